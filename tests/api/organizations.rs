//! Organizations, their officials, and routing a report to the one that must act.

use serde_json::{json, Value};

use crate::common::{assert_problem, report_at, TestApp, DA_LAT};
use crate::on_both_databases;

on_both_databases!(
    a_commune_category_goes_to_the_office_of_the_commune,
    a_department_category_goes_to_the_department_its_rule_names,
    administrators_manage_organizations_members_and_rules,
    first_reports_of_a_commune_race_to_one_office,
);

/// A report of `category` in Đà Lạt.
fn report_of(category: &str) -> Value {
    report_at(DA_LAT, json!({"category": category, "description": "Phản ánh để thử định tuyến."}))
}

async fn organizations(app: &TestApp, admin: &str, query: &str) -> Vec<Value> {
    let page: Value = app.get_as(admin, &format!("/api/v1/admin/organizations?{query}")).await.json().await.unwrap();
    page["items"].as_array().unwrap().clone()
}

async fn a_commune_category_goes_to_the_office_of_the_commune(app: TestApp) {
    let admin = app.admin_token().await;
    let citizen = app.citizen("0912345678").await;
    let first = app.file_report(&citizen, &report_of("waste")).await;
    let second = app.file_report(&citizen, &report_of("street_lighting")).await;
    assert_eq!(first.organization_id, second.organization_id, "one office per commune, created once");
    let offices = organizations(&app, &admin, "province=68&kind=commune_office").await;
    assert_eq!(offices.len(), 1);
    assert_eq!(offices[0]["id"], first.organization_id);
    assert_eq!(offices[0]["unit_code"], first.unit_code);
    assert!(offices[0]["name"].as_str().unwrap().starts_with("UBND "));
    assert_eq!(offices[0]["name"], first.organization_name, "the citizen sees who handles it");
    let note = first.timeline[0].note.as_deref().unwrap();
    assert!(note.contains("handled by the office of commune"), "{note}");
}

async fn a_department_category_goes_to_the_department_its_rule_names(app: TestApp) {
    let admin = app.admin_token().await;
    let citizen = app.citizen("0912345678").await;
    // Without a rule, a department category falls back to the commune office, and says so.
    let unruled = app.file_report(&citizen, &report_of("water_supply")).await;
    assert!(unruled.timeline[0].note.as_deref().unwrap().contains("has no department"));

    let department = app.water_department(&admin).await;
    let routed = app.file_report(&citizen, &report_of("water_supply")).await;
    assert_eq!(department["id"], routed.organization_id);
    assert_eq!(department["name"], routed.organization_name);
    assert!(routed.timeline[0].note.as_deref().unwrap().contains("Công ty Cấp nước Lâm Đồng"));
    // A commune category is unaffected.
    assert_ne!(department["id"], app.file_report(&citizen, &report_of("waste")).await.organization_id);
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
    let citizen = app.citizen("0912345678").await;
    let member = |org: &str, user: &str| {
        app.client.put(app.url(&format!("/api/v1/admin/organizations/{org}/members/{user}"))).bearer_auth(&admin).send()
    };
    let (ioc_id, official_id) = (ioc["id"].as_str().unwrap(), official["user"]["id"].as_str().unwrap());
    assert_eq!(member(ioc_id, official_id).await.unwrap().status(), 204);
    assert_eq!(member(ioc_id, official_id).await.unwrap().status(), 204, "idempotent");
    let problem = assert_problem(member(ioc_id, &citizen.id).await.unwrap(), 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "not_an_official");
    assert_problem(member("no-such-org", official_id).await.unwrap(), 404, "organization_not_found").await;
    let removed = app
        .client
        .delete(app.url(&format!("/api/v1/admin/organizations/{ioc_id}/members/{official_id}")))
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

    assert_problem(app.get_as(&citizen.token, "/api/v1/admin/organizations").await, 403, "forbidden").await;
}

/// The first reports of a commune, filed at the same moment, share one new office.
async fn first_reports_of_a_commune_race_to_one_office(app: TestApp) {
    let admin = app.admin_token().await;
    let mut citizens = Vec::new();
    for phone in ["0912345671", "0912345672", "0912345673", "0912345674"] {
        citizens.push(app.citizen(phone).await);
    }
    let waste = report_of("waste");
    let reports = futures_util::future::join_all(citizens.iter().map(|c| app.file_report(c, &waste))).await;
    let offices: std::collections::HashSet<_> = reports.into_iter().map(|r| r.organization_id).collect();
    assert_eq!(offices.len(), 1);
    assert_eq!(organizations(&app, &admin, "kind=commune_office").await.len(), 1);
}
