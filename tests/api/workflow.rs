//! Officials act on reports: the state machine, jurisdiction, and concurrent actions.

use congdanso::values::OrganizationId;
use serde_json::{json, Value};

use crate::common::{assert_problem, jpeg, report_at, Citizen, Media, Official, Report, TestApp, DA_LAT, SAI_GON};
use crate::on_both_databases;

on_both_databases!(
    a_report_goes_from_submitted_to_resolved_and_the_citizen_sees_it,
    illegal_actions_name_the_current_status,
    other_jurisdictions_cannot_act_and_transfer_moves_the_report,
    concurrent_resolve_and_transfer_leave_one_result,
    citizen_official_citizen_end_to_end,
    a_report_resolved_seven_working_days_ago_cannot_be_reopened,
    resolving_shows_photos_of_the_result_and_its_officials_see_private_photos,
    a_duplicate_cites_only_a_public_report_of_the_jurisdiction,
);

struct World {
    admin: String,
    citizen: Citizen,
    report: Report,
    official: Official,
}

async fn world(app: &TestApp, urgent: bool) -> World {
    let admin = app.admin_token().await;
    let citizen = app.citizen("0912345678").await;
    let report = app.file_report(&citizen, &report_at(DA_LAT, json!({"urgent": urgent}))).await;
    let official = app.official_of(&admin, &report.organization_id, "canbo@dalat.gov.vn", "vi").await;
    World { admin, citizen, report, official }
}

async fn a_report_goes_from_submitted_to_resolved_and_the_citizen_sees_it(app: TestApp) {
    let w = world(&app, true).await;
    let accepted = app.acted(&w.official, &w.report.id, json!({"action": "accept"})).await;
    assert_eq!(accepted.status, "accepted");
    let hours = (accepted.due_at.unwrap() - chrono::Utc::now()).num_minutes() as f64 / 60.0;
    assert!((23.9..=24.0).contains(&hours), "urgent: due in 24 clock hours, got {hours}");
    assert_eq!(accepted.deadline.as_ref().map(|d| d.counted_in.as_str()), Some("hours"));

    let assigned =
        app.acted(&w.official, &w.report.id, json!({"action": "assign", "assignee_id": w.official.id})).await;
    assert_eq!(assigned.assignee_id, Some(w.official.id.clone()));
    assert_eq!(app.inbox(&w.official.token, "?assignee=me").await.items.len(), 1);

    app.acted(&w.official, &w.report.id, json!({"action": "comment", "note": "Đã liên hệ công ty thoát nước."})).await;
    app.acted(&w.official, &w.report.id, json!({"action": "start"})).await;
    let resolve = app.act(&w.official.token, &w.report.id, json!({"action": "resolve"})).await;
    let problem = assert_problem(resolve, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "note");
    let resolved =
        app.acted(&w.official, &w.report.id, json!({"action": "resolve", "note": "Đã khơi thông cống."})).await;
    assert_eq!(resolved.status, "resolved");
    assert_eq!(resolved.kinds(), ["submitted", "accepted", "assigned", "comment", "started", "resolved"]);

    // The citizen sees the public steps, not the internal note or the assignment.
    let seen: Value = app.get_json_as(&w.citizen.token, &format!("/api/v1/reports/{}", w.report.id)).await;
    assert!(!seen.to_string().contains("công ty thoát nước"));
    let seen: Report = serde_json::from_value(seen).unwrap();
    assert_eq!(seen.status, "resolved");
    assert_eq!(seen.kinds(), ["submitted", "accepted", "started", "resolved"]);
    assert_eq!(seen.timeline[3].note.as_deref(), Some("Đã khơi thông cống."));
}

async fn illegal_actions_name_the_current_status(app: TestApp) {
    let w = world(&app, false).await;
    let (official, id) = (w.official.token.as_str(), w.report.id.as_str());
    for action in [json!({"action": "start"}), json!({"action": "resolve", "note": "x"})] {
        let problem = assert_problem(app.act(official, id, action).await, 409, "invalid_transition").await;
        assert!(problem["detail"].as_str().unwrap().contains("submitted"), "{problem}");
    }
    let problem =
        assert_problem(app.act(official, id, json!({"action": "reject"})).await, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "reason");
    let problem = assert_problem(
        app.act(official, id, json!({"action": "reject", "reason": "duplicate"})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "duplicate_of");
    assert_problem(app.act(official, id, json!({"action": "dance"})).await, 422, "validation_failed").await;
    let citizen = app.citizen("0987654321").await;
    let problem = assert_problem(
        app.act(official, id, json!({"action": "assign", "assignee_id": "someone"})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["code"], "not_an_official");

    let reject = json!({"action": "reject", "reason": "out_of_scope", "note": "Thuộc thẩm quyền tỉnh khác."});
    assert_eq!(app.acted(&w.official, id, reject).await.status, "rejected");
    for action in [
        json!({"action": "accept"}),
        json!({"action": "reject", "reason": "spam"}),
        json!({"action": "assign", "assignee_id": w.official.id}),
    ] {
        let problem = assert_problem(app.act(official, id, action).await, 409, "invalid_transition").await;
        assert!(problem["detail"].as_str().unwrap().contains("rejected"));
    }
    assert_problem(app.act(&citizen.token, id, json!({"action": "accept"})).await, 403, "forbidden").await;
    assert_problem(app.act(&w.admin, id, json!({"action": "accept"})).await, 403, "forbidden").await;
}

async fn other_jurisdictions_cannot_act_and_transfer_moves_the_report(app: TestApp) {
    let w = world(&app, false).await;
    let elsewhere = app.file_report(&w.citizen, &report_at(SAI_GON, json!({}))).await;
    let other = app.official_of(&w.admin, &elsewhere.organization_id, "canbo@hcm.gov.vn", "vi").await;
    let accept = json!({"action": "accept"});
    assert_problem(app.act(&other.token, &w.report.id, accept.clone()).await, 404, "report_not_found").await;

    let transfer = json!({"action": "transfer", "organization_id": elsewhere.organization_id, "note": "Sai địa bàn."});
    let transferred = app.acted(&w.official, &w.report.id, transfer).await;
    assert_eq!(transferred.status, "submitted");
    assert_eq!(transferred.organization_id, elsewhere.organization_id);
    assert_problem(app.act(&w.official.token, &w.report.id, accept.clone()).await, 404, "report_not_found").await;
    app.acted(&other, &w.report.id, accept).await;
    let problem = assert_problem(
        app.act(&other.token, &w.report.id, json!({"action": "transfer", "organization_id": "nowhere", "note": "x"}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "organization_id");
}

async fn concurrent_resolve_and_transfer_leave_one_result(app: TestApp) {
    let w = world(&app, false).await;
    let elsewhere = app.file_report(&w.citizen, &report_at(SAI_GON, json!({}))).await;
    app.acted(&w.official, &w.report.id, json!({"action": "accept"})).await;
    app.acted(&w.official, &w.report.id, json!({"action": "start"})).await;
    let (resolve, transfer) = tokio::join!(
        app.act(&w.official.token, &w.report.id, json!({"action": "resolve", "note": "Xong."})),
        app.act(
            &w.official.token,
            &w.report.id,
            json!({"action": "transfer", "organization_id": elsewhere.organization_id, "note": "Chuyển."})
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
            let id = w.report.id.clone();
            move |conn| congdanso::reports::queries::find_any(conn, &congdanso::values::ReportId::from(id))
        })
        .await
        .unwrap();
    let events = app
        .database()
        .run({
            let row = row.clone();
            move |conn| congdanso::reports::events::officials_timeline(conn, &row)
        })
        .await
        .unwrap();
    let last = events.last().unwrap().kind.clone();
    match (row.status.as_str(), last.as_str()) {
        ("resolved", "resolved") => {
            assert_eq!(row.organization_id, Some(OrganizationId::from(w.report.organization_id)))
        }
        ("submitted", "transferred") => {
            assert_eq!(row.organization_id, Some(OrganizationId::from(elsewhere.organization_id)))
        }
        other => panic!("inconsistent result {other:?}"),
    }
    assert_eq!(events.iter().filter(|e| e.kind.as_str() == "resolved" || e.kind.as_str() == "transferred").count(), 1);
}

/// The whole story over HTTP: a citizen files, the ward accepts and resolves, the citizen reopens, the
/// ward resolves again, the citizen rates, the report is closed.
async fn citizen_official_citizen_end_to_end(app: TestApp) {
    let w = world(&app, false).await;
    let id = &w.report.id;
    let path = |what: &str| format!("/api/v1/reports/{id}/{what}");
    for action in ["accept", "start"] {
        app.acted(&w.official, id, json!({"action": action})).await;
    }
    app.acted(&w.official, id, json!({"action": "resolve", "note": "Đã khơi thông cống."})).await;

    // Rating and reopening are the reporter's alone.
    let neighbour = app.citizen("0987654321").await;
    assert_problem(
        app.post_json_as(&neighbour.token, &path("rating"), &json!({"score": 1})).await,
        404,
        "report_not_found",
    )
    .await;
    let problem = assert_problem(
        app.post_json_as(&w.citizen.token, &path("reopen"), &json!({"reason": "x"})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "reason");
    let reopened: Report = app
        .post_json_as(&w.citizen.token, &path("reopen"), &json!({"reason": "Vẫn còn ngập sau mưa tối qua."}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(reopened.status, "in_progress");
    assert_problem(
        app.post_json_as(&w.citizen.token, &path("rating"), &json!({"score": 5})).await,
        409,
        "invalid_transition",
    )
    .await;

    app.acted(&w.official, id, json!({"action": "resolve", "note": "Đã nạo vét toàn tuyến."})).await;
    for score in [0, 6] {
        assert_problem(
            app.post_json_as(&w.citizen.token, &path("rating"), &json!({"score": score})).await,
            422,
            "validation_failed",
        )
        .await;
    }
    let rated: Value = app
        .post_json_as(&w.citizen.token, &path("rating"), &json!({"score": 5, "comment": "Cảm ơn phường."}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rated["rating"]["score"], 5);
    let rated: Report = serde_json::from_value(rated).unwrap();
    assert_eq!(rated.status, "closed");
    assert_eq!(rated.kinds(), ["submitted", "accepted", "started", "resolved", "reopened", "resolved", "rated"]);
    assert_problem(
        app.post_json_as(&w.citizen.token, &path("rating"), &json!({"score": 4})).await,
        409,
        "invalid_transition",
    )
    .await;
    assert_eq!(app.inbox(&w.official.token, "").await.counts["closed"], 1);
}

async fn a_report_resolved_seven_working_days_ago_cannot_be_reopened(app: TestApp) {
    let w = world(&app, false).await;
    let mut resolved = None;
    for action in
        [json!({"action": "accept"}), json!({"action": "start"}), json!({"action": "resolve", "note": "Xong."})]
    {
        resolved = Some(app.acted(&w.official, &w.report.id, action).await);
    }
    let closes_at = resolved.unwrap().closes_at.unwrap();
    // An instance whose worker has not closed it yet, a minute after the period ended.
    let later = app.at(&(closes_at + chrono::Duration::minutes(1)).to_rfc3339()).await;
    let path = format!("/api/v1/reports/{}/reopen", w.report.id);
    assert_problem(
        later.post_json_as(&w.citizen.token, &path, &json!({"reason": "Vẫn còn ngập."})).await,
        409,
        "reopen_period_over",
    )
    .await;
    let within = app.at(&(closes_at - chrono::Duration::minutes(1)).to_rfc3339()).await;
    let reopened = within.post_json_as(&w.citizen.token, &path, &json!({"reason": "Vẫn còn ngập."})).await;
    assert_eq!(reopened.status(), 200);
    let reopened: crate::common::Report = reopened.json().await.unwrap();
    assert_eq!(reopened.deadline.map(|d| d.step), Some("resolve".to_string()), "a new deadline to resolve it");
}

async fn resolving_shows_photos_of_the_result_and_its_officials_see_private_photos(app: TestApp) {
    let admin = app.admin_token().await;
    let citizen = app.citizen("0912345678").await;
    let evidence = app.upload(&citizen.token, jpeg(16, 16)).await;
    let private = report_at(
        DA_LAT,
        json!({"description": "Cống trước nhà tôi bị tắc.", "is_public": false, "media_ids": [evidence.id]}),
    );
    let report = app.file_report(&citizen, &private).await;
    let official = app.official_of(&admin, &report.organization_id, "canbo@dalat.gov.vn", "vi").await;
    let elsewhere = app.file_report(&citizen, &report_at(SAI_GON, json!({}))).await;
    let other = app.official_of(&admin, &elsewhere.organization_id, "canbo@hcm.gov.vn", "vi").await;

    // The citizen's photo of a private report: for the officials who handle it, not for others.
    assert_eq!(app.fetch(Some(&official.token), &evidence.url).await.status(), 200);
    assert_eq!(app.fetch(Some(&official.token), &evidence.thumbnail_url).await.status(), 200);
    assert_problem(app.fetch(Some(&other.token), &evidence.url).await, 404, "media_not_found").await;
    assert_problem(app.fetch(None, &evidence.url).await, 404, "media_not_found").await;

    let result = app.upload(&official.token, jpeg(24, 16)).await;
    let not_yet = app.act(&official.token, &report.id, json!({"action": "accept", "media_ids": [result.id]})).await;
    assert_eq!(assert_problem(not_yet, 422, "validation_failed").await["errors"][0]["field"], "media_ids");
    app.acted(&official, &report.id, json!({"action": "accept"})).await;
    app.acted(&official, &report.id, json!({"action": "start"})).await;
    // Someone else's photo is refused, and the report stays as it was.
    let resolve = |photo: &Media| json!({"action": "resolve", "note": "Đã thông cống.", "media_ids": [photo.id]});
    let problem =
        assert_problem(app.act(&official.token, &report.id, resolve(&evidence)).await, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "media_ids[0]");
    let resolved = app.acted(&official, &report.id, resolve(&result)).await;
    assert_eq!(resolved.status, "resolved");
    assert!(resolved.resolved_at.is_some());
    assert_eq!(resolved.media.len(), 1);
    assert_eq!(resolved.result_media[0].id, result.id);

    let seen: Report = app.get_json_as(&citizen.token, &format!("/api/v1/reports/{}", report.id)).await;
    assert_eq!(seen.result_media[0].id, result.id);
    assert_eq!(app.fetch(Some(&citizen.token), &result.url).await.status(), 200);
    assert_problem(app.fetch(Some(&other.token), &result.url).await, 404, "media_not_found").await;
}

async fn a_duplicate_cites_only_a_public_report_of_the_jurisdiction(app: TestApp) {
    let w = world(&app, false).await;
    let neighbour = app.citizen("0987654321").await;
    let elsewhere = app.file_report(&neighbour, &report_at(SAI_GON, json!({}))).await;
    let private = app.file_report(&neighbour, &report_at(DA_LAT, json!({"is_public": false}))).await;
    let reject_as_duplicate_of = |original: &str| {
        let body = json!({"action": "reject", "reason": "duplicate", "duplicate_of": original});
        app.act(&w.official.token, &w.report.id, body)
    };
    let unknown = reject_as_duplicate_of(&uuid::Uuid::now_v7().to_string()).await;
    let unknown = assert_problem(unknown, 422, "validation_failed").await;
    assert_eq!(unknown["errors"][0]["field"], "duplicate_of");
    // Another ward's report and a private one answer exactly like an id that does not exist.
    for hidden in [&elsewhere, &private] {
        let response = reject_as_duplicate_of(&hidden.id).await;
        assert_eq!(assert_problem(response, 422, "validation_failed").await, unknown);
    }
    let public = app.file_report(&neighbour, &report_at(DA_LAT, json!({}))).await;
    assert_eq!(reject_as_duplicate_of(&public.id).await.status(), 200);
    let seen = app.get_json(&format!("/api/v1/reports/{}", w.report.id)).await;
    assert!(seen["timeline"].to_string().contains(&public.id));
    assert!(!seen.to_string().contains(&elsewhere.id));
}
