//! The API contract: the committed `api-spec/openapi.yaml` is what the code generates and serves.

use crate::common::TestApp;
use crate::on_both_databases;

const COMMITTED: &str = include_str!("../../api-spec/openapi.yaml");

#[test]
fn committed_spec_is_the_generated_one() {
    let generated = congdanso::openapi::yaml();
    assert!(
        generated == COMMITTED,
        "api-spec/openapi.yaml is stale; regenerate it with `cargo run -- openapi > api-spec/openapi.yaml` and commit"
    );
}

#[test]
fn every_error_response_uses_the_problem_schema() {
    let spec: serde_json::Value = serde_json::to_value(congdanso::openapi::ApiDoc::openapi_json()).unwrap();
    assert_eq!(spec["openapi"], "3.1.0");
    for (path, operations) in spec["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                if !(status.starts_with('4') || status.starts_with('5')) {
                    continue;
                }
                if path.starts_with("/open311/") {
                    // Open311's errors are its specification's `[{code, description}]`.
                    let items = &response["content"]["application/json"]["schema"]["items"]["$ref"];
                    assert_eq!(items, "#/components/schemas/Open311Error", "{method} {path} {status}");
                } else {
                    let schema = &response["content"]["application/problem+json"]["schema"]["$ref"];
                    assert_eq!(schema, "#/components/schemas/Problem", "{method} {path} {status}");
                }
            }
        }
    }
}

on_both_databases!(spec_is_served);

async fn spec_is_served(app: TestApp) {
    let served = app.get_json("/api-docs/openapi.json").await;
    assert_eq!(served, serde_json::to_value(congdanso::openapi::ApiDoc::openapi_json()).unwrap());
}
