//! Privacy rules: an anonymous reporter is anonymous to the ward too (only the province's IOC may learn
//! who it is, with a reason, audited); staff identifiers stay out of public views.

use serde_json::{json, Value};

use crate::common::{assert_problem, TestApp};
use crate::on_both_databases;

on_both_databases!(
    an_anonymous_reporter_is_known_only_to_the_ioc_with_a_reason,
    the_public_sees_the_organization_not_the_official,
);

const DA_LAT: (f64, f64) = (11.9033, 108.443); // Phường Xuân Hương - Đà Lạt (68)
const SAI_GON: (f64, f64) = (10.7769, 106.7009); // Hồ Chí Minh City (79)

async fn file(app: &TestApp, token: &str, (lat, lon): (f64, f64), anonymous: bool) -> Value {
    let body = json!({"category": "waste", "description": "Rác ở chợ.", "position": {"lat": lat, "lon": lon},
        "is_anonymous": anonymous});
    app.file_report(token, &body).await
}

async fn ioc_of(app: &TestApp, admin: &str, province: &str, email: &str) -> String {
    let ioc = app.create_ioc(admin, province).await;
    app.official_of(admin, ioc["id"].as_str().unwrap(), email, "vi").await.0
}

async fn act(app: &TestApp, token: &str, report: &str, body: Value) -> reqwest::Response {
    app.post_json_as(token, &format!("/api/v1/admin/reports/{report}/actions"), &body).await
}

async fn audit(app: &TestApp, action: &'static str) -> Vec<Option<String>> {
    app.database()
        .run(move |conn| {
            use congdanso::db::schema::audit_log;
            use diesel::prelude::*;
            Ok(audit_log::table.filter(audit_log::action.eq(action)).select(audit_log::reason).load(conn)?)
        })
        .await
        .unwrap()
}

async fn an_anonymous_reporter_is_known_only_to_the_ioc_with_a_reason(app: TestApp) {
    let admin = app.admin_token().await;
    let citizen = app.register(json!({"phone": "0912345678", "email": "binh@example.vn", "password": "đèn đường hỏng 2026", "full_name": "Trần Thị Bình", "consent": true})).await;
    let citizen = citizen["access_token"].as_str().unwrap().to_string();
    let report = file(&app, &citizen, DA_LAT, true).await;
    let id = report["id"].as_str().unwrap().to_string();
    let ward =
        app.official_of(&admin, report["organization_id"].as_str().unwrap(), "phuong@lamdong.gov.vn", "vi").await.0;
    let ioc = ioc_of(&app, &admin, "68", "ioc@lamdong.gov.vn").await;
    let other_ioc = ioc_of(&app, &admin, "79", "ioc@hcm.gov.vn").await;

    // The ward handles the report without learning who filed it, nor the reporter's account id.
    assert_eq!(act(&app, &citizen, &id, json!({"action": "accept"})).await.status(), 403);
    let seen: Value = app.get_as(&ward, &format!("/api/v1/admin/reports/{id}")).await.json().await.unwrap();
    assert_eq!(seen["is_anonymous"], true);
    assert!(seen["reporter_contact"].is_null(), "{seen}");
    let reporter_id = app.get_as(&citizen, "/api/v1/me").await.json::<Value>().await.unwrap()["id"].clone();
    assert!(!seen.to_string().contains(reporter_id.as_str().unwrap()), "{seen}");
    assert!(audit(&app, "view_reporter_contact").await.is_empty(), "nothing was looked at");

    // It reaches the reporter through a message only the reporter sees.
    let message = "Xin cho biết rác ở cổng nào của chợ?";
    let sent = act(&app, &ward, &id, json!({"action": "message", "note": message})).await;
    assert_eq!(sent.status(), 200);
    let sent: Value = sent.json().await.unwrap();
    assert!(!sent.to_string().contains(reporter_id.as_str().unwrap()));
    let for_reporter: Value = app.get_as(&citizen, &format!("/api/v1/reports/{id}")).await.json().await.unwrap();
    assert!(for_reporter["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "message" && e["note"] == message));
    let for_public: Value = app.get_json(&format!("/api/v1/reports/{id}")).await;
    assert!(!for_public.to_string().contains(message), "{for_public}");
    let inbox: Value = app.get_as(&citizen, "/api/v1/me/notifications").await.json().await.unwrap();
    assert!(inbox.to_string().contains(message), "the reporter is notified: {inbox}");
    assert_problem(act(&app, &ward, &id, json!({"action": "message"})).await, 422, "validation_failed").await;

    // Only the IOC of the report's province may learn who it is, and only with a reason.
    let path = format!("/api/v1/admin/reports/{id}/reporter");
    let reveal = |token: &str, body: Value| {
        let (token, path, app) = (token.to_string(), path.clone(), &app);
        async move { app.post_json_as(&token, &path, &body).await }
    };
    let reason = json!({"reason": "Người phản ánh báo có dấu hiệu đe dọa, cần liên hệ trực tiếp."});
    assert_problem(reveal(&ward, reason.clone()).await, 403, "forbidden").await;
    assert_problem(reveal(&other_ioc, reason.clone()).await, 404, "report_not_found").await;
    assert_problem(reveal(&citizen, reason.clone()).await, 403, "forbidden").await;
    assert_problem(reveal(&ioc, json!({"reason": "vì sao"})).await, 422, "validation_failed").await;
    assert_problem(reveal(&ioc, json!({})).await, 422, "validation_failed").await;
    assert!(audit(&app, "reveal_reporter").await.is_empty());
    let ioc_view: Value = app.get_as(&ioc, &format!("/api/v1/admin/reports/{id}")).await.json().await.unwrap();
    assert!(ioc_view["reporter_contact"].is_null(), "the IOC too must state a reason");

    let revealed = reveal(&ioc, reason.clone()).await;
    assert_eq!(revealed.status(), 200);
    let revealed: Value = revealed.json().await.unwrap();
    assert_eq!(
        (revealed["full_name"].as_str(), revealed["phone"].as_str()),
        (Some("Trần Thị Bình"), Some("+84912345678"))
    );
    assert_eq!(audit(&app, "reveal_reporter").await, [reason["reason"].as_str().map(str::to_string)]);
}

async fn the_public_sees_the_organization_not_the_official(app: TestApp) {
    let admin = app.admin_token().await;
    let citizen = app.register_phone("0912345678").await["access_token"].as_str().unwrap().to_string();
    let report = file(&app, &citizen, SAI_GON, false).await;
    let id = report["id"].as_str().unwrap().to_string();
    let (official, official_id) =
        app.official_of(&admin, report["organization_id"].as_str().unwrap(), "phuong@hcm.gov.vn", "vi").await;
    let assigned: Value =
        act(&app, &official, &id, json!({"action": "assign", "assignee_id": official_id})).await.json().await.unwrap();
    assert_eq!(assigned["assignee_id"], official_id.as_str(), "officials see whom it is assigned to");

    let public: Value = app.get_json(&format!("/api/v1/reports/{id}")).await;
    let listed: Value = app.get_json("/api/v1/reports").await;
    let own: Value = app.get_as(&citizen, &format!("/api/v1/reports/{id}")).await.json().await.unwrap();
    for view in [&public, &listed, &own] {
        assert!(!view.to_string().contains(&official_id), "{view}");
    }
    assert!(public["organization_name"].as_str().is_some_and(|name| !name.is_empty()));
}
