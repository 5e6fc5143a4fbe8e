//! Privacy rules: an anonymous reporter is anonymous to the ward too (only the province's IOC may learn
//! who it is, with a reason, audited); staff identifiers stay out of public views.

use serde_json::{json, Value};

use crate::common::{assert_problem, report_at, sign_up, TestApp, DA_LAT, SAI_GON};
use crate::on_both_databases;

on_both_databases!(
    an_anonymous_reporter_is_known_only_to_the_ioc_with_a_reason,
    the_public_sees_the_organization_not_the_official,
);

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
    let citizen = app
        .register(sign_up(json!({"phone": "0912345678", "email": "binh@example.vn", "full_name": "Trần Thị Bình"})))
        .await;
    let waste = json!({"category": "waste", "description": "Rác ở chợ.", "is_anonymous": true});
    let report = app.file_report(&citizen, &report_at(DA_LAT, waste)).await;
    let id = report.id.as_str();
    let ward = app.official_of(&admin, &report.organization_id, "phuong@lamdong.gov.vn", "vi").await.token;
    let ioc = app.ioc_official(&admin, "68", "ioc@lamdong.gov.vn").await.token;
    let other_ioc = app.ioc_official(&admin, "79", "ioc@hcm.gov.vn").await.token;

    // The ward handles the report without learning who filed it, nor the reporter's account id.
    assert_eq!(app.act(&citizen.token, id, json!({"action": "accept"})).await.status(), 403);
    let seen: Value = app.get_as(&ward, &format!("/api/v1/admin/reports/{id}")).await.json().await.unwrap();
    assert_eq!(seen["is_anonymous"], true);
    assert!(seen["reporter_contact"].is_null(), "{seen}");
    assert!(!seen.to_string().contains(&citizen.id), "{seen}");
    assert!(audit(&app, "view_reporter_contact").await.is_empty(), "nothing was looked at");

    // It reaches the reporter through a message only the reporter sees.
    let message = "Xin cho biết rác ở cổng nào của chợ?";
    let sent = app.act(&ward, id, json!({"action": "message", "note": message})).await;
    assert_eq!(sent.status(), 200);
    let sent: Value = sent.json().await.unwrap();
    assert!(!sent.to_string().contains(&citizen.id));
    let for_reporter: Value = app.get_as(&citizen.token, &format!("/api/v1/reports/{id}")).await.json().await.unwrap();
    assert!(for_reporter["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "message" && e["note"] == message));
    let for_public: Value = app.get_json(&format!("/api/v1/reports/{id}")).await;
    assert!(!for_public.to_string().contains(message), "{for_public}");
    let inbox: Value = app.get_as(&citizen.token, "/api/v1/me/notifications").await.json().await.unwrap();
    assert!(inbox.to_string().contains(message), "the reporter is notified: {inbox}");
    assert_problem(app.act(&ward, id, json!({"action": "message"})).await, 422, "validation_failed").await;

    // Only the IOC of the report's province may learn who it is, and only with a reason.
    let path = format!("/api/v1/admin/reports/{id}/reporter");
    let reveal = |token: &str, body: Value| {
        let (token, path, app) = (token.to_string(), path.clone(), &app);
        async move { app.post_json_as(&token, &path, &body).await }
    };
    let reason = json!({"reason": "Người phản ánh báo có dấu hiệu đe dọa, cần liên hệ trực tiếp."});
    assert_problem(reveal(&ward, reason.clone()).await, 403, "forbidden").await;
    assert_problem(reveal(&other_ioc, reason.clone()).await, 404, "report_not_found").await;
    assert_problem(reveal(&citizen.token, reason.clone()).await, 403, "forbidden").await;
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
    let citizen = app.citizen("0912345678").await;
    let report = app.file_report(&citizen, &report_at(SAI_GON, json!({}))).await;
    let id = report.id.as_str();
    let official = app.official_of(&admin, &report.organization_id, "phuong@hcm.gov.vn", "vi").await;
    let assigned = app.acted(&official, id, json!({"action": "assign", "assignee_id": official.id})).await;
    assert_eq!(assigned.assignee_id, Some(official.id.clone()), "officials see whom it is assigned to");

    let public: Value = app.get_json(&format!("/api/v1/reports/{id}")).await;
    let listed: Value = app.get_json("/api/v1/reports").await;
    let own: Value = app.get_as(&citizen.token, &format!("/api/v1/reports/{id}")).await.json().await.unwrap();
    for view in [&public, &listed, &own] {
        assert!(!view.to_string().contains(&official.id), "{view}");
    }
    assert!(public["organization_name"].as_str().is_some_and(|name| !name.is_empty()));
}
