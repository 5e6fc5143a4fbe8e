//! Officials act on reports: the state machine, jurisdiction, and concurrent actions.

use congdanso::values::OrganizationId;
use serde_json::{json, Value};

use crate::common::{assert_problem, TestApp};
use crate::on_both_databases;

on_both_databases!(
    a_report_goes_from_submitted_to_resolved_and_the_citizen_sees_it,
    illegal_actions_name_the_current_status,
    other_jurisdictions_cannot_act_and_transfer_moves_the_report,
    concurrent_resolve_and_transfer_leave_one_result,
    citizen_official_citizen_end_to_end,
    a_report_resolved_over_a_week_ago_cannot_be_reopened,
    resolving_shows_photos_of_the_result_and_its_officials_see_private_photos,
    a_duplicate_cites_only_a_public_report_of_the_jurisdiction,
);

const DA_LAT: (f64, f64) = (11.9033, 108.443);
const SAI_GON: (f64, f64) = (10.7769, 106.7009);

struct World {
    admin: String,
    citizen: String,
    report: Value,
    official: String,
    official_id: String,
}

async fn file(app: &TestApp, token: &str, (lat, lon): (f64, f64), urgent: bool) -> Value {
    let position = json!({"lat": lat, "lon": lon});
    app.file_report(token, &json!({"category": "drainage_flooding", "description": "Ngập nặng sau mưa.", "position": position, "urgent": urgent})).await
}

async fn world(app: &TestApp, urgent: bool) -> World {
    let admin = app.admin_token().await;
    let citizen = app.register_phone("0912345678").await["access_token"].as_str().unwrap().to_string();
    let report = file(app, &citizen, DA_LAT, urgent).await;
    let (official, official_id) =
        app.official_of(&admin, report["organization_id"].as_str().unwrap(), "canbo@dalat.gov.vn", "vi").await;
    World { admin, citizen, report, official, official_id }
}

async fn act(app: &TestApp, token: &str, report: &Value, body: Value) -> reqwest::Response {
    app.post_json_as(token, &format!("/api/v1/admin/reports/{}/actions", report["id"].as_str().unwrap()), &body).await
}

async fn a_report_goes_from_submitted_to_resolved_and_the_citizen_sees_it(app: TestApp) {
    let w = world(&app, true).await;
    let accepted: Value = act(&app, &w.official, &w.report, json!({"action": "accept"})).await.json().await.unwrap();
    assert_eq!(accepted["status"], "accepted");
    let due = chrono::DateTime::parse_from_rfc3339(accepted["due_at"].as_str().unwrap()).unwrap();
    let hours = (due.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes() as f64 / 60.0;
    assert!((3.9..=4.0).contains(&hours), "urgent: due within 4 hours, got {hours}");

    let assigned: Value = act(&app, &w.official, &w.report, json!({"action": "assign", "assignee_id": w.official_id}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(assigned["assignee_id"], w.official_id.as_str());
    let mine: Value = app.get_as(&w.official, "/api/v1/admin/reports?assignee=me").await.json().await.unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);

    act(&app, &w.official, &w.report, json!({"action": "comment", "note": "Đã liên hệ công ty thoát nước."})).await;
    assert_eq!(act(&app, &w.official, &w.report, json!({"action": "start"})).await.status(), 200);
    let problem =
        assert_problem(act(&app, &w.official, &w.report, json!({"action": "resolve"})).await, 422, "validation_failed")
            .await;
    assert_eq!(problem["errors"][0]["field"], "note");
    let resolved: Value =
        act(&app, &w.official, &w.report, json!({"action": "resolve", "note": "Đã khơi thông cống."}))
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(resolved["status"], "resolved");
    let kinds: Vec<&str> =
        resolved["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["submitted", "accepted", "assigned", "comment", "started", "resolved"]);

    // The citizen sees the public steps, not the internal note or the assignment.
    let seen: Value = app
        .get_as(&w.citizen, &format!("/api/v1/reports/{}", w.report["id"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["status"], "resolved");
    let public: Vec<&str> = seen["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(public, ["submitted", "accepted", "started", "resolved"]);
    assert_eq!(seen["timeline"][3]["note"], "Đã khơi thông cống.");
    assert!(!seen.to_string().contains("công ty thoát nước"));
}

async fn illegal_actions_name_the_current_status(app: TestApp) {
    let w = world(&app, false).await;
    for action in [json!({"action": "start"}), json!({"action": "resolve", "note": "x"})] {
        let problem = assert_problem(act(&app, &w.official, &w.report, action).await, 409, "invalid_transition").await;
        assert!(problem["detail"].as_str().unwrap().contains("submitted"), "{problem}");
    }
    let problem =
        assert_problem(act(&app, &w.official, &w.report, json!({"action": "reject"})).await, 422, "validation_failed")
            .await;
    assert_eq!(problem["errors"][0]["field"], "reason");
    let problem = assert_problem(
        act(&app, &w.official, &w.report, json!({"action": "reject", "reason": "duplicate"})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "duplicate_of");
    assert_problem(act(&app, &w.official, &w.report, json!({"action": "dance"})).await, 422, "validation_failed").await;
    let citizen = app.register_phone("0987654321").await["access_token"].as_str().unwrap().to_string();
    let problem = assert_problem(
        act(&app, &w.official, &w.report, json!({"action": "assign", "assignee_id": "someone"})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["code"], "not_an_official");

    let rejected: Value = act(
        &app,
        &w.official,
        &w.report,
        json!({"action": "reject", "reason": "out_of_scope", "note": "Thuộc thẩm quyền tỉnh khác."}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(rejected["status"], "rejected");
    for action in [
        json!({"action": "accept"}),
        json!({"action": "reject", "reason": "spam"}),
        json!({"action": "assign", "assignee_id": w.official_id}),
    ] {
        let problem = assert_problem(act(&app, &w.official, &w.report, action).await, 409, "invalid_transition").await;
        assert!(problem["detail"].as_str().unwrap().contains("rejected"));
    }
    assert_problem(act(&app, &citizen, &w.report, json!({"action": "accept"})).await, 403, "forbidden").await;
    assert_problem(act(&app, &w.admin, &w.report, json!({"action": "accept"})).await, 403, "forbidden").await;
}

async fn other_jurisdictions_cannot_act_and_transfer_moves_the_report(app: TestApp) {
    let w = world(&app, false).await;
    let elsewhere = file(&app, &w.citizen, SAI_GON, false).await;
    let (other, _) =
        app.official_of(&w.admin, elsewhere["organization_id"].as_str().unwrap(), "canbo@hcm.gov.vn", "vi").await;
    assert_problem(act(&app, &other, &w.report, json!({"action": "accept"})).await, 404, "report_not_found").await;

    let transferred: Value = act(
        &app,
        &w.official,
        &w.report,
        json!({"action": "transfer", "organization_id": elsewhere["organization_id"], "note": "Sai địa bàn."}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(transferred["status"], "submitted");
    assert_eq!(transferred["organization_id"], elsewhere["organization_id"]);
    assert_problem(act(&app, &w.official, &w.report, json!({"action": "accept"})).await, 404, "report_not_found").await;
    assert_eq!(act(&app, &other, &w.report, json!({"action": "accept"})).await.status(), 200);
    let problem = assert_problem(
        act(&app, &other, &w.report, json!({"action": "transfer", "organization_id": "nowhere", "note": "x"})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "organization_id");
}

async fn concurrent_resolve_and_transfer_leave_one_result(app: TestApp) {
    let w = world(&app, false).await;
    let elsewhere = file(&app, &w.citizen, SAI_GON, false).await;
    act(&app, &w.official, &w.report, json!({"action": "accept"})).await;
    act(&app, &w.official, &w.report, json!({"action": "start"})).await;
    let (resolve, transfer) = tokio::join!(
        act(&app, &w.official, &w.report, json!({"action": "resolve", "note": "Xong."})),
        act(
            &app,
            &w.official,
            &w.report,
            json!({"action": "transfer", "organization_id": elsewhere["organization_id"], "note": "Chuyển."})
        ),
    );
    let statuses = [resolve.status().as_u16(), transfer.status().as_u16()];
    // The loser is refused: 409 when it sees the new status, 404 when the transfer took the report away.
    let refused = |s: &u16| *s == 409 || *s == 404;
    assert!(
        statuses.iter().filter(|s| **s == 200).count() == 1 && statuses.iter().any(refused),
        "one wins, one is refused: {statuses:?}"
    );
    let row = app
        .database()
        .run({
            let id = congdanso::values::ReportId::from(w.report["id"].as_str().unwrap());
            move |conn| congdanso::reports::store::find_any(conn, &id)
        })
        .await
        .unwrap();
    let events = app
        .database()
        .run({
            let row = row.clone();
            move |conn| congdanso::workflow::full_timeline(conn, &row)
        })
        .await
        .unwrap();
    let last = events.last().unwrap().kind.clone();
    match (row.status.as_str(), last.as_str()) {
        ("resolved", "resolved") => {
            assert_eq!(row.organization_id, w.report["organization_id"].as_str().map(OrganizationId::from))
        }
        ("submitted", "transferred") => {
            assert_eq!(row.organization_id, elsewhere["organization_id"].as_str().map(OrganizationId::from))
        }
        other => panic!("inconsistent result {other:?}"),
    }
    assert_eq!(events.iter().filter(|e| e.kind == "resolved" || e.kind == "transferred").count(), 1);
}

/// The whole story over HTTP: a citizen files, the ward accepts and resolves, the citizen reopens, the
/// ward resolves again, the citizen rates, the report is closed.
async fn citizen_official_citizen_end_to_end(app: TestApp) {
    let w = world(&app, false).await;
    let id = w.report["id"].as_str().unwrap().to_string();
    let path = |what: &str| format!("/api/v1/reports/{id}/{what}");
    for action in ["accept", "start"] {
        assert_eq!(act(&app, &w.official, &w.report, json!({"action": action})).await.status(), 200);
    }
    act(&app, &w.official, &w.report, json!({"action": "resolve", "note": "Đã khơi thông cống."})).await;

    // Rating and reopening are the reporter's alone.
    let neighbour = app.register_phone("0987654321").await["access_token"].as_str().unwrap().to_string();
    assert_problem(app.post_json_as(&neighbour, &path("rating"), &json!({"score": 1})).await, 404, "report_not_found")
        .await;
    let problem = assert_problem(
        app.post_json_as(&w.citizen, &path("reopen"), &json!({"reason": "x"})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "reason");
    let reopened: Value = app
        .post_json_as(&w.citizen, &path("reopen"), &json!({"reason": "Vẫn còn ngập sau mưa tối qua."}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(reopened["status"], "in_progress");
    assert_problem(
        app.post_json_as(&w.citizen, &path("rating"), &json!({"score": 5})).await,
        409,
        "invalid_transition",
    )
    .await;

    act(&app, &w.official, &w.report, json!({"action": "resolve", "note": "Đã nạo vét toàn tuyến."})).await;
    for score in [0, 6] {
        assert_problem(
            app.post_json_as(&w.citizen, &path("rating"), &json!({"score": score})).await,
            422,
            "validation_failed",
        )
        .await;
    }
    let rated: Value = app
        .post_json_as(&w.citizen, &path("rating"), &json!({"score": 5, "comment": "Cảm ơn phường."}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rated["status"], "closed");
    assert_eq!(rated["rating"]["score"], 5);
    let kinds: Vec<&str> = rated["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["submitted", "accepted", "started", "resolved", "reopened", "resolved", "rated"]);
    assert_problem(
        app.post_json_as(&w.citizen, &path("rating"), &json!({"score": 4})).await,
        409,
        "invalid_transition",
    )
    .await;
    let inbox: Value = app.get_as(&w.official, "/api/v1/admin/reports").await.json().await.unwrap();
    assert_eq!(inbox["counts"]["closed"], 1);
}

async fn a_report_resolved_over_a_week_ago_cannot_be_reopened(app: TestApp) {
    let w = world(&app, false).await;
    for action in
        [json!({"action": "accept"}), json!({"action": "start"}), json!({"action": "resolve", "note": "Xong."})]
    {
        act(&app, &w.official, &w.report, action).await;
    }
    app.database()
        .run(|conn| {
            use congdanso::db::schema::reports;
            use diesel::prelude::*;
            let eight_days_ago = chrono::Utc::now().naive_utc() - chrono::Duration::days(8);
            diesel::update(reports::table).set(reports::resolved_at.eq(eight_days_ago)).execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    let path = format!("/api/v1/reports/{}/reopen", w.report["id"].as_str().unwrap());
    assert_problem(
        app.post_json_as(&w.citizen, &path, &json!({"reason": "Vẫn còn ngập."})).await,
        409,
        "reopen_period_over",
    )
    .await;
}

async fn resolving_shows_photos_of_the_result_and_its_officials_see_private_photos(app: TestApp) {
    use crate::media::{fetch, jpeg, uploaded};
    let admin = app.admin_token().await;
    let citizen = app.register_phone("0912345678").await["access_token"].as_str().unwrap().to_string();
    let evidence = uploaded(&app, &citizen, jpeg(16, 16)).await;
    let position = json!({"lat": DA_LAT.0, "lon": DA_LAT.1});
    let private = json!({"category": "drainage_flooding", "description": "Cống trước nhà tôi bị tắc.", "position": position, "is_public": false, "media_ids": [evidence["id"]]});
    let report = app.file_report(&citizen, &private).await;
    let (official, _) =
        app.official_of(&admin, report["organization_id"].as_str().unwrap(), "canbo@dalat.gov.vn", "vi").await;
    let elsewhere = file(&app, &citizen, SAI_GON, false).await;
    let (other, _) =
        app.official_of(&admin, elsewhere["organization_id"].as_str().unwrap(), "canbo@hcm.gov.vn", "vi").await;

    // The citizen's photo of a private report: for the officials who handle it, not for others.
    assert_eq!(fetch(&app, Some(&official), &evidence["url"]).await.status(), 200);
    assert_eq!(fetch(&app, Some(&official), &evidence["thumbnail_url"]).await.status(), 200);
    assert_problem(fetch(&app, Some(&other), &evidence["url"]).await, 404, "media_not_found").await;
    assert_problem(fetch(&app, None, &evidence["url"]).await, 404, "media_not_found").await;

    let result = uploaded(&app, &official, jpeg(24, 16)).await;
    let not_yet = act(&app, &official, &report, json!({"action": "accept", "media_ids": [result["id"]]})).await;
    assert_eq!(assert_problem(not_yet, 422, "validation_failed").await["errors"][0]["field"], "media_ids");
    act(&app, &official, &report, json!({"action": "accept"})).await;
    act(&app, &official, &report, json!({"action": "start"})).await;
    // Someone else's photo is refused, and the report stays as it was.
    let resolve = |photo: &Value| json!({"action": "resolve", "note": "Đã thông cống.", "media_ids": [photo["id"]]});
    let problem =
        assert_problem(act(&app, &official, &report, resolve(&evidence)).await, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "media_ids[0]");
    let resolved: Value = act(&app, &official, &report, resolve(&result)).await.json().await.unwrap();
    assert_eq!(resolved["status"], "resolved");
    assert!(resolved["resolved_at"].is_string());
    assert_eq!(resolved["media"].as_array().unwrap().len(), 1);
    assert_eq!(resolved["result_media"][0]["id"], result["id"]);

    let seen: Value = app
        .get_as(&citizen, &format!("/api/v1/reports/{}", report["id"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["result_media"][0]["id"], result["id"]);
    assert_eq!(fetch(&app, Some(&citizen), &result["url"]).await.status(), 200);
    assert_problem(fetch(&app, Some(&other), &result["url"]).await, 404, "media_not_found").await;
}

async fn a_duplicate_cites_only_a_public_report_of_the_jurisdiction(app: TestApp) {
    let w = world(&app, false).await;
    let neighbour = app.register_phone("0987654321").await["access_token"].as_str().unwrap().to_string();
    let elsewhere = file(&app, &neighbour, SAI_GON, false).await;
    let position = json!({"lat": DA_LAT.0, "lon": DA_LAT.1});
    let private = app
        .file_report(
            &neighbour,
            &json!({"category": "drainage_flooding", "description": "Ngập.", "position": position, "is_public": false}),
        )
        .await;
    let reject_as_duplicate_of =
        |original: &str| json!({"action": "reject", "reason": "duplicate", "duplicate_of": original});
    let unknown = act(&app, &w.official, &w.report, reject_as_duplicate_of(&uuid::Uuid::now_v7().to_string())).await;
    let unknown = assert_problem(unknown, 422, "validation_failed").await;
    assert_eq!(unknown["errors"][0]["field"], "duplicate_of");
    // Another ward's report and a private one answer exactly like an id that does not exist.
    for hidden in [&elsewhere, &private] {
        let response = act(&app, &w.official, &w.report, reject_as_duplicate_of(hidden["id"].as_str().unwrap())).await;
        assert_eq!(assert_problem(response, 422, "validation_failed").await, unknown);
    }
    let public = file(&app, &neighbour, DA_LAT, false).await;
    let original = public["id"].as_str().unwrap();
    let rejected = act(&app, &w.official, &w.report, reject_as_duplicate_of(original)).await;
    assert_eq!(rejected.status(), 200);
    let seen = app.get_json(&format!("/api/v1/reports/{}", w.report["id"].as_str().unwrap())).await;
    assert!(seen["timeline"].to_string().contains(original));
    assert!(!seen.to_string().contains(elsewhere["id"].as_str().unwrap()));
}
