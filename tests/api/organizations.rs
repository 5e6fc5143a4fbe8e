//! Organizations, their officials, and routing a report to the one that must act.

use serde_json::{json, Value};

use crate::common::{assert_problem, TestApp};
use crate::on_both_databases;

on_both_databases!(
    a_commune_category_goes_to_the_office_of_the_commune,
    a_department_category_goes_to_the_department_its_rule_names,
    administrators_manage_organizations_members_and_rules,
    first_reports_of_a_commune_race_to_one_office,
);

/// Đà Lạt, Lâm Đồng.
const DA_LAT: (f64, f64) = (11.9404, 108.4583);

async fn file(app: &TestApp, token: &str, category: &str) -> Value {
    let position = json!({"lat": DA_LAT.0, "lon": DA_LAT.1});
    app.file_report(
        token,
        &json!({"category": category, "description": "Phản ánh để thử định tuyến.", "position": position}),
    )
    .await
}

async fn organizations(app: &TestApp, admin: &str, query: &str) -> Vec<Value> {
    let page: Value = app.get_as(admin, &format!("/api/v1/admin/organizations?{query}")).await.json().await.unwrap();
    page["items"].as_array().unwrap().clone()
}

async fn a_commune_category_goes_to_the_office_of_the_commune(app: TestApp) {
    let admin = app.admin_token().await;
    let citizen = app.register_phone("0912345678").await["access_token"].as_str().unwrap().to_string();
    let first = file(&app, &citizen, "waste").await;
    let second = file(&app, &citizen, "street_lighting").await;
    assert_eq!(first["organization_id"], second["organization_id"], "one office per commune, created once");
    let offices = organizations(&app, &admin, "province=68&kind=commune_office").await;
    assert_eq!(offices.len(), 1);
    assert_eq!(offices[0]["id"], first["organization_id"]);
    assert_eq!(offices[0]["unit_code"], first["unit_code"]);
    assert!(offices[0]["name"].as_str().unwrap().starts_with("UBND "));
    assert_eq!(first["organization_name"], offices[0]["name"], "the citizen sees who handles it");
    let note = first["timeline"][0]["note"].as_str().unwrap();
    assert!(note.contains("handled by the office of commune"), "{note}");
}

async fn a_department_category_goes_to_the_department_its_rule_names(app: TestApp) {
    let admin = app.admin_token().await;
    let citizen = app.register_phone("0912345678").await["access_token"].as_str().unwrap().to_string();
    // Without a rule, a department category falls back to the commune office, and says so.
    let unruled = file(&app, &citizen, "water_supply").await;
    assert!(unruled["timeline"][0]["note"].as_str().unwrap().contains("has no department"));

    let department: Value = app
        .post_json_as(
            &admin,
            "/api/v1/admin/organizations",
            &json!({"kind": "department", "name": "Công ty Cấp nước Lâm Đồng", "province_code": "68"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let rule = app
        .client
        .put(app.url("/api/v1/admin/routing-rules/68/water_supply"))
        .bearer_auth(&admin)
        .json(&json!({"organization_id": department["id"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(rule.status(), 204);
    let routed = file(&app, &citizen, "water_supply").await;
    assert_eq!(routed["organization_id"], department["id"]);
    assert_eq!(routed["organization_name"], department["name"]);
    assert!(routed["timeline"][0]["note"].as_str().unwrap().contains("Công ty Cấp nước Lâm Đồng"));
    // A commune category is unaffected.
    assert_ne!(file(&app, &citizen, "waste").await["organization_id"], department["id"]);
}

async fn administrators_manage_organizations_members_and_rules(app: TestApp) {
    let admin = app.admin_token().await;
    let create =
        |body: Value| app.client.post(app.url("/api/v1/admin/organizations")).bearer_auth(&admin).json(&body).send();
    let ioc: Value = create(json!({"kind": "ioc", "name": "IOC Lâm Đồng", "province_code": "68"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ioc["kind"], "ioc");
    assert_problem(
        create(json!({"kind": "ioc", "name": "IOC thứ hai", "province_code": "68"})).await.unwrap(),
        409,
        "organization_exists",
    )
    .await;
    let office = create(json!({"kind": "commune_office", "name": "UBND Phường Xuân Hương - Đà Lạt", "province_code": "68", "unit_code": "24781"})).await.unwrap();
    assert_eq!(office.status(), 201);
    for (body, field) in [
        (json!({"kind": "commune_office", "name": "X", "province_code": "68"}), "unit_code"),
        (json!({"kind": "commune_office", "name": "X", "province_code": "01", "unit_code": "24787"}), "unit_code"),
        (json!({"kind": "department", "name": "X", "province_code": "99"}), "province_code"),
        (json!({"kind": "ministry", "name": "X", "province_code": "68"}), "kind"),
        (json!({"kind": "department", "name": " ", "province_code": "68"}), "name"),
    ] {
        let problem = assert_problem(create(body.clone()).await.unwrap(), 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
    }

    let official: Value = app
        .post_json_as(
            &admin,
            "/api/v1/admin/users",
            &json!({"email": "canbo@lamdong.gov.vn", "full_name": "Cán bộ", "role": "official", "unit_code": "24781"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let citizen = app.register_phone("0912345678").await;
    let member = |org: &str, user: &str| {
        app.client.put(app.url(&format!("/api/v1/admin/organizations/{org}/members/{user}"))).bearer_auth(&admin).send()
    };
    let ioc_id = ioc["id"].as_str().unwrap();
    assert_eq!(member(ioc_id, official["user"]["id"].as_str().unwrap()).await.unwrap().status(), 204);
    assert_eq!(member(ioc_id, official["user"]["id"].as_str().unwrap()).await.unwrap().status(), 204, "idempotent");
    let problem = assert_problem(
        member(ioc_id, citizen["user"]["id"].as_str().unwrap()).await.unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["code"], "not_an_official");
    assert_problem(
        member("no-such-org", official["user"]["id"].as_str().unwrap()).await.unwrap(),
        404,
        "organization_not_found",
    )
    .await;
    let removed =
        app.client
            .delete(app.url(&format!(
                "/api/v1/admin/organizations/{ioc_id}/members/{}",
                official["user"]["id"].as_str().unwrap()
            )))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
    assert_eq!(removed.status(), 204);

    let rule = |province: &str, category: &str, org: &Value| {
        app.client
            .put(app.url(&format!("/api/v1/admin/routing-rules/{province}/{category}")))
            .bearer_auth(&admin)
            .json(&json!({"organization_id": org}))
            .send()
    };
    let problem = assert_problem(rule("68", "water_supply", &ioc["id"]).await.unwrap(), 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "not_a_department");

    let citizen_token = citizen["access_token"].as_str().unwrap();
    assert_problem(app.get_as(citizen_token, "/api/v1/admin/organizations").await, 403, "forbidden").await;
}

/// The first reports of a commune, filed at the same moment, share one new office.
async fn first_reports_of_a_commune_race_to_one_office(app: TestApp) {
    let admin = app.admin_token().await;
    let mut tokens = Vec::new();
    for phone in ["0912345671", "0912345672", "0912345673", "0912345674"] {
        tokens.push(app.register_phone(phone).await["access_token"].as_str().unwrap().to_string());
    }
    let reports = futures_util::future::join_all(tokens.iter().map(|token| file(&app, token, "waste"))).await;
    let offices: std::collections::HashSet<_> =
        reports.iter().map(|r| r["organization_id"].as_str().unwrap().to_string()).collect();
    assert_eq!(offices.len(), 1);
    assert_eq!(organizations(&app, &admin, "kind=commune_office").await.len(), 1);
}
