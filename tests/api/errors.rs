//! Every bad request gets a problem document with its own code, in the caller's language.

use crate::common::{assert_problem, proxy::Proxy, sign_up, Backend, TestApp, TestDb};
use crate::on_both_databases;

on_both_databases!(
    malformed_json_is_400,
    wrong_content_type_is_415,
    oversize_body_is_413,
    unknown_fields_are_refused_where_strict,
    missing_and_out_of_range_fields_are_listed,
    unknown_route_is_a_problem_not_a_page,
    wrong_method_is_405,
    head_answers_like_get_without_a_body,
    a_405_names_the_allowed_methods,
    english_on_request_vietnamese_otherwise,
    responses_are_compressed_and_carry_a_request_id,
    control_characters_never_reach_the_database,
    query_errors_name_the_parameter,
    messages_speak_json_not_rust,
);

const LOCATE: &str = "/api/v1/units/locate";

async fn post_raw(app: &TestApp, content_type: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
    app.client.post(app.url(LOCATE)).header("content-type", content_type).body(body).send().await.unwrap()
}

async fn malformed_json_is_400(app: TestApp) {
    for body in ["{\"position\": ", "not json", ""] {
        assert_problem(post_raw(&app, "application/json", body).await, 400, "malformed_json").await;
    }
}

async fn wrong_content_type_is_415(app: TestApp) {
    let body = r#"{"position":{"lat":11.94,"lon":108.45}}"#;
    assert_problem(post_raw(&app, "text/plain", body).await, 415, "unsupported_media_type").await;
    let response = app.client.post(app.url(LOCATE)).body(body).send().await.unwrap();
    assert_problem(response, 415, "unsupported_media_type").await;
}

async fn oversize_body_is_413(app: TestApp) {
    let padding = "x".repeat(70 * 1024);
    let body = format!(r#"{{"position":{{"lat":11.94,"lon":108.45}},"note":"{padding}"}}"#);
    assert_problem(post_raw(&app, "application/json", body).await, 413, "payload_too_large").await;
}

async fn unknown_fields_are_refused_where_strict(app: TestApp) {
    let body = serde_json::json!({"position": {"lat": 11.94, "lon": 108.45, "alt": 1500}});
    let problem = assert_problem(app.post_json(LOCATE, &body).await, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "position.alt");
    assert_eq!(problem["errors"][0]["code"], "unknown_field");

    let body = serde_json::json!({"position": {"lat": 11.94, "lon": 108.45}, "accuracy": 5});
    let problem = assert_problem(app.post_json(LOCATE, &body).await, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "accuracy");
}

async fn missing_and_out_of_range_fields_are_listed(app: TestApp) {
    let problem = assert_problem(app.post_json(LOCATE, &serde_json::json!({})).await, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "position");
    assert_eq!(problem["errors"][0]["code"], "required");

    let body = serde_json::json!({"position": {"lat": 95.0, "lon": -181.0}});
    let problem = assert_problem(app.post_json(LOCATE, &body).await, 422, "validation_failed").await;
    let fields: Vec<_> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["position.lat", "position.lon"]);
    assert!(problem["errors"].as_array().unwrap().iter().all(|e| e["code"] == "out_of_range"));

    let body = serde_json::json!({"position": {"lat": "north", "lon": 108.45}});
    let problem = assert_problem(app.post_json(LOCATE, &body).await, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "position.lat");
    assert_eq!(problem["errors"][0]["code"], "invalid_value");
}

async fn unknown_route_is_a_problem_not_a_page(app: TestApp) {
    assert_problem(app.get("/api/v1/nothing-here").await, 404, "route_not_found").await;
    assert_problem(app.get("/").await, 404, "route_not_found").await;
}

async fn wrong_method_is_405(app: TestApp) {
    let response = app.client.delete(app.url("/api/v1/units")).send().await.unwrap();
    assert_problem(response, 405, "method_not_allowed").await;
    let response = app.client.get(app.url(LOCATE)).send().await.unwrap();
    assert_problem(response, 405, "method_not_allowed").await;
}

async fn head_answers_like_get_without_a_body(app: TestApp) {
    let get = app.get("/api/v1/categories").await;
    let (get_type, get_etag) = (get.headers()["content-type"].clone(), get.headers().get("etag").cloned());
    let head = app.client.head(app.url("/api/v1/categories")).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-type"], get_type);
    assert_eq!(head.headers().get("etag").cloned(), get_etag);
    assert!(head.bytes().await.unwrap().is_empty());

    let missing = app.client.head(app.url("/api/v1/units/99999")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.headers()["content-type"], "application/problem+json");
    // A route without GET has no HEAD either.
    assert_eq!(app.client.head(app.url(LOCATE)).send().await.unwrap().status(), 405);
}

async fn a_405_names_the_allowed_methods(app: TestApp) {
    let allow = |response: &reqwest::Response| response.headers().get("allow").map(|v| v.to_str().unwrap().to_string());
    let response = app.client.delete(app.url("/api/v1/units")).send().await.unwrap();
    assert_eq!(allow(&response).as_deref(), Some("GET, HEAD"));
    let response = app.client.request(reqwest::Method::TRACE, app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(allow(&response).as_deref(), Some("DELETE, GET, HEAD, PATCH"));
    assert_problem(response, 405, "method_not_allowed").await;
}

async fn english_on_request_vietnamese_otherwise(app: TestApp) {
    let vietnamese = assert_problem(app.get("/api/v1/units/99999").await, 404, "unit_not_found").await;
    assert_eq!(vietnamese["title"], "Không tìm thấy đơn vị hành chính");

    let response = app
        .client
        .get(app.url("/api/v1/units/99999"))
        .header("Accept-Language", "en-US,en;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-language"], "en");
    let english = assert_problem(response, 404, "unit_not_found").await;
    assert_eq!(english["title"], "Administrative unit not found");

    let body = serde_json::json!({"position": {"lat": 95.0, "lon": 0.0}});
    let response = app.client.post(app.url(LOCATE)).header("Accept-Language", "en").json(&body).send().await.unwrap();
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["message"], "The value must be between -90 and 90.");
}

async fn responses_are_compressed_and_carry_a_request_id(app: TestApp) {
    // reqwest is built without transparent decompression here, so the header shows what was sent.
    for encoding in ["gzip", "br"] {
        let response = app
            .client
            .get(app.url("/api/v1/units?parent=68"))
            .header("Accept-Encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-encoding"], encoding);
        assert!(response.headers().contains_key("x-request-id"));
    }
    let a = app.get("/health/live").await.headers()["x-request-id"].clone();
    let b = app.get("/health/live").await.headers()["x-request-id"].clone();
    assert_ne!(a, b);
}

/// PostgreSQL only: SQLite is a file inside the process and cannot go away like a server can.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_down_is_503_and_recovers_when_it_returns() {
    let Some(db) = TestDb::create(Backend::Postgres) else { return };
    let proxy = Proxy::start(db.server_address()).await;
    let url = db.url_via(&proxy.address);
    let proxy_address = proxy.address.clone();
    let app = TestApp::spawn_on(db, &url, &[("CDS_DB_TIMEOUT_SECS", "1")]).await;
    assert_eq!(app.get("/health/ready").await.status(), 200);

    proxy.cut();
    let problem = assert_problem(app.get("/health/ready").await, 503, "database_unavailable").await;
    assert!(problem["detail"].as_str().unwrap().contains("thử lại"));
    let response = app.get("/api/v1/categories").await;
    assert!(response.headers().contains_key("retry-after"));
    assert_problem(response, 503, "database_unavailable").await;
    // Liveness does not depend on the database: an orchestrator must not restart a healthy process.
    assert_eq!(app.get("/health/live").await.status(), 200);

    let upstream = app.db.server_address();
    let _restored = Proxy::start_at(&proxy_address, upstream).await;
    assert_eq!(app.get("/health/ready").await.status(), 200);
    assert_eq!(app.get("/api/v1/categories").await.status(), 200);
}

async fn control_characters_never_reach_the_database(app: TestApp) {
    // A path segment that holds one names nothing.
    for path in ["/api/v1/reports/%00", "/media/%00", "/media/%00/thumbnail", "/api/v1/units/6%008"] {
        assert_problem(app.get(path).await, 404, "route_not_found").await;
    }
    let problem = assert_problem(app.get("/api/v1/reports?category=a%00").await, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "category");
    assert_eq!(problem["errors"][0]["code"], "control_character");

    let register = |full_name: &str, email: &str| sign_up(serde_json::json!({"email": email, "full_name": full_name}));
    for (body, field) in [
        (register("An\u{0}", "an@x.vn"), "full_name"),
        (register("An", "a\u{0}@x.vn"), "email"),
        (register("An\u{85}", "an@x.vn"), "full_name"),
        (register("An\u{7f}", "an@x.vn"), "full_name"),
    ] {
        let response = app.post_json("/api/v1/auth/register", &body).await;
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert_eq!(
            (problem["errors"][0]["field"].as_str(), problem["errors"][0]["code"].as_str()),
            (Some(field), Some("control_character"))
        );
    }
    let login = serde_json::json!({"login": "0912345678\u{0}", "password": "x"});
    let problem = assert_problem(app.post_json("/api/v1/auth/login", &login).await, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "login");
    // Nothing was stored: the account can be made with the clean address.
    app.register(register("An", "an@x.vn")).await;
}

async fn query_errors_name_the_parameter(app: TestApp) {
    let problem = assert_problem(app.get("/api/v1/units?limit=many").await, 422, "validation_failed").await;
    assert_eq!(
        (problem["errors"][0]["field"].as_str(), problem["errors"][0]["code"].as_str()),
        (Some("limit"), Some("invalid_value"))
    );
    let problem =
        assert_problem(app.get("/api/v1/reports/similar?lat=11.9&lon=108.4").await, 422, "validation_failed").await;
    assert_eq!(
        (problem["errors"][0]["field"].as_str(), problem["errors"][0]["code"].as_str()),
        (Some("category"), Some("required"))
    );
    let problem = assert_problem(app.get("/api/v1/units?colour=red").await, 422, "validation_failed").await;
    assert_eq!(
        (problem["errors"][0]["field"].as_str(), problem["errors"][0]["code"].as_str()),
        (Some("colour"), Some("unknown_field"))
    );
}

async fn messages_speak_json_not_rust(app: TestApp) {
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("Accept-Language", "en")
        .json(&serde_json::json!([]))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 422, "validation_failed").await;
    let message = problem["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("expected a JSON object") && !message.contains("LoginRequest"), "{message}");
    let response =
        app.client.get(app.url("/api/v1/units?limit=-1")).header("Accept-Language", "en").send().await.unwrap();
    let problem = assert_problem(response, 422, "validation_failed").await;
    let message = problem["errors"][0]["message"].as_str().unwrap();
    assert!(!message.contains("u32"), "{message}");
}
