//! Notifications: followers of a report hear of each public event, in their own language, in the app
//! and by mail to a verified address; urgent reports reach their office at once.

use serde_json::{json, Value};

use crate::common::{assert_problem, TestApp};
use crate::on_both_databases;

on_both_databases!(
    followers_hear_of_every_public_event_in_their_language,
    notifications_are_paged_and_marked_read_by_their_owner_only,
    an_urgent_report_reaches_its_office_at_once,
    a_deleted_account_keeps_no_notifications_and_gets_no_more,
    a_rejection_is_told_with_its_reason_in_words,
);

const DA_LAT: (f64, f64) = (11.9033, 108.443);
const SAI_GON: (f64, f64) = (10.7769, 106.7009);
const PASSWORD: &str = "đèn đường hỏng 2026";

fn token(tokens: &Value) -> String {
    tokens["access_token"].as_str().unwrap().to_string()
}

async fn file(app: &TestApp, token: &str, (lat, lon): (f64, f64), urgent: bool) -> Value {
    let body = json!({"category": "drainage_flooding", "description": "Ngập nặng sau mưa ở hẻm 12.", "position": {"lat": lat, "lon": lon}, "urgent": urgent, "address_text": "Hẻm 12"});
    app.file_report(token, &body).await
}

async fn act(app: &TestApp, token: &str, report: &Value, body: Value) {
    let path = format!("/api/v1/admin/reports/{}/actions", report["id"].as_str().unwrap());
    let response = app.post_json_as(token, &path, &body).await;
    assert_eq!(response.status(), 200, "{body}");
}

async fn notifications(app: &TestApp, token: &str, query: &str) -> Value {
    let response = app.get_as(token, &format!("/api/v1/me/notifications{query}")).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn kinds(page: &Value) -> Vec<&str> {
    page["items"].as_array().unwrap().iter().map(|n| n["kind"].as_str().unwrap()).collect()
}

/// A citizen who reads English and whose email is verified (so mail may go there).
async fn english_reporter(app: &TestApp) -> String {
    let tokens = app
        .register(
            json!({"email": "an@example.vn", "password": PASSWORD, "full_name": "An", "locale": "en", "consent": true}),
        )
        .await;
    let verification = app.mail.next_mail().await;
    let verified = app.post_json("/api/v1/auth/verify-email", &json!({"token": verification.token()})).await;
    assert_eq!(verified.status(), 200);
    token(&tokens)
}

async fn followers_hear_of_every_public_event_in_their_language(app: TestApp) {
    let admin = app.admin_token().await;
    let reporter = english_reporter(&app).await;
    // A supporter who reads Vietnamese, signed up by phone: in-app only.
    let supporter = token(&app.register_phone("0912345678").await);
    // A supporter whose email is not verified: no mail to an address nobody confirmed.
    let unverified = token(
        &app.register(json!({"email": "binh@example.vn", "password": PASSWORD, "full_name": "Bình", "consent": true}))
            .await,
    );
    app.mail.next_mail().await; // Bình's verification mail

    let report = file(&app, &reporter, DA_LAT, false).await;
    let id = report["id"].as_str().unwrap();
    for follower in [&supporter, &unverified] {
        let supported = app.post_json_as(follower, &format!("/api/v1/reports/{id}/support"), &json!({})).await;
        assert_eq!(supported.status(), 200);
    }
    let (official, official_id) =
        app.official_of(&admin, report["organization_id"].as_str().unwrap(), "canbo@dalat.gov.vn", "vi").await;

    act(&app, &official, &report, json!({"action": "accept"})).await;
    act(&app, &official, &report, json!({"action": "comment", "note": "Ghi chú nội bộ."})).await;
    act(&app, &official, &report, json!({"action": "assign", "assignee_id": official_id})).await;
    act(&app, &official, &report, json!({"action": "comment", "note": "Đã cử người kiểm tra.", "public": true})).await;
    act(&app, &official, &report, json!({"action": "start"})).await;
    act(&app, &official, &report, json!({"action": "resolve", "note": "Đã nạo vét cống."})).await;

    let told = ["resolved", "started", "comment", "accepted"];
    let english = notifications(&app, &reporter, "").await;
    assert_eq!(kinds(&english), told, "internal notes and assignments are not news: {english}");
    assert_eq!(english["unread_count"], 4);
    let titles: Vec<&str> = english["items"].as_array().unwrap().iter().map(|n| n["title"].as_str().unwrap()).collect();
    assert_eq!(
        titles,
        ["Report resolved", "Work on the report has started", "New reply on the report", "Report accepted"]
    );
    let resolved = &english["items"][0];
    assert_eq!(resolved["report_id"], id);
    assert!(resolved["body"].as_str().unwrap().contains("Đã nạo vét cống."), "{resolved}");
    assert!(resolved["body"].as_str().unwrap().contains("reopen it within 7 days"), "{resolved}");
    assert!(resolved["link"].as_str().unwrap().ends_with(&format!("/reports/{id}")));
    assert!(resolved["read_at"].is_null());

    let vietnamese = notifications(&app, &supporter, "").await;
    assert_eq!(kinds(&vietnamese), told);
    assert_eq!(vietnamese["items"][0]["title"], "Phản ánh đã được xử lý");
    assert_eq!(vietnamese["items"][3]["title"], "Phản ánh đã được tiếp nhận");
    assert_eq!(kinds(&notifications(&app, &unverified, "").await), told);

    // The same four, by mail, to the one verified address, in English.
    let mut mails = Vec::new();
    for _ in told {
        mails.push(app.mail.next_mail().await);
    }
    assert!(mails.iter().all(|mail| mail.to == "an@example.vn"), "{mails:?}");
    assert!(mails.iter().all(|mail| mail.body.contains("Report: “Ngập nặng sau mưa")), "{mails:?}");
    assert!(mails.iter().any(|mail| mail.body.contains("Đã cử người kiểm tra.")));

    // The reporter's own steps are news to the supporters only.
    let reopened =
        app.post_json_as(&reporter, &format!("/api/v1/reports/{id}/reopen"), &json!({"reason": "Vẫn còn ngập."})).await;
    assert_eq!(reopened.status(), 200);
    assert_eq!(kinds(&notifications(&app, &supporter, "").await)[0], "reopened");
    assert_eq!(kinds(&notifications(&app, &reporter, "").await).len(), 4);
    // Nor does the acting official hear of their own actions.
    assert_eq!(kinds(&notifications(&app, &official, "").await), Vec::<&str>::new());
    let recipients: Vec<String> = app
        .database()
        .run(|conn| {
            use congdanso::db::schema::outbox;
            use diesel::prelude::*;
            Ok(outbox::table.select(outbox::recipient).load(conn)?)
        })
        .await
        .unwrap();
    let to = |address: &str| recipients.iter().filter(|r| *r == address).count();
    assert_eq!(to("an@example.vn"), 1 + told.len(), "verification, then the news");
    assert_eq!(to("binh@example.vn"), 1, "the verification mail only: the address is not confirmed");
}

async fn notifications_are_paged_and_marked_read_by_their_owner_only(app: TestApp) {
    let admin = app.admin_token().await;
    let reporter = token(&app.register_phone("0912345678").await);
    let someone_else = token(&app.register_phone("0987654321").await);
    let report = file(&app, &reporter, DA_LAT, false).await;
    let (official, _) =
        app.official_of(&admin, report["organization_id"].as_str().unwrap(), "canbo@dalat.gov.vn", "vi").await;
    act(&app, &official, &report, json!({"action": "accept"})).await;
    act(&app, &official, &report, json!({"action": "start"})).await;
    act(&app, &official, &report, json!({"action": "resolve", "note": "Xong."})).await;

    let first = notifications(&app, &reporter, "?limit=2").await;
    assert_eq!(kinds(&first), ["resolved", "started"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = notifications(&app, &reporter, &format!("?limit=2&cursor={cursor}")).await;
    assert_eq!(kinds(&second), ["accepted"]);
    assert!(second["next_cursor"].is_null());

    let newest = first["items"][0]["id"].as_str().unwrap().to_string();
    let read = |token: &str, id: &str| {
        let path = format!("/api/v1/me/notifications/{id}/read");
        let token = token.to_string();
        let app = &app;
        async move { app.post_json_as(&token, &path, &json!({})).await }
    };
    assert_problem(read(&someone_else, &newest).await, 404, "notification_not_found").await;
    assert_eq!(read(&reporter, &newest).await.status(), 204);
    assert_eq!(read(&reporter, &newest).await.status(), 204, "reading again is harmless");
    let after = notifications(&app, &reporter, "").await;
    assert_eq!(after["unread_count"], 2);
    assert!(after["items"][0]["read_at"].is_string());
    assert_eq!(kinds(&notifications(&app, &reporter, "?unread=true").await), ["started", "accepted"]);

    let all = app.post_json_as(&reporter, "/api/v1/me/notifications/read-all", &json!({})).await;
    assert_eq!(all.status(), 204);
    assert_eq!(notifications(&app, &reporter, "").await["unread_count"], 0);
    assert_eq!(kinds(&notifications(&app, &reporter, "?unread=true").await), Vec::<&str>::new());

    assert_problem(app.get_as(&reporter, "/api/v1/me/notifications?cursor=x").await, 422, "validation_failed").await;
    assert_problem(app.get_as(&reporter, "/api/v1/me/notifications?limit=0").await, 422, "validation_failed").await;
    assert_problem(app.get("/api/v1/me/notifications").await, 401, "unauthenticated").await;
}

async fn an_urgent_report_reaches_its_office_at_once(app: TestApp) {
    let admin = app.admin_token().await;
    let citizen = token(&app.register_phone("0912345678").await);
    let first = file(&app, &citizen, DA_LAT, false).await;
    let (official, _) =
        app.official_of(&admin, first["organization_id"].as_str().unwrap(), "canbo@dalat.gov.vn", "en").await;
    file(&app, &citizen, DA_LAT, false).await;
    assert_eq!(kinds(&notifications(&app, &official, "").await), Vec::<&str>::new(), "only urgent ones");

    let urgent = file(&app, &citizen, DA_LAT, true).await;
    let told = notifications(&app, &official, "").await;
    assert_eq!(kinds(&told), ["urgent_report"]);
    assert_eq!(told["items"][0]["report_id"], urgent["id"]);
    assert_eq!(told["items"][0]["title"], "An urgent report needs action now");
    assert!(told["items"][0]["body"].as_str().unwrap().contains("Hẻm 12"), "{told}");
    let mail = app.mail.next_mail().await;
    assert_eq!(mail.to, "canbo@dalat.gov.vn");
    assert!(mail.body.contains("Urgent report at Hẻm 12"), "{}", mail.body);

    // Passed to another office, it reaches that office's officials at once too.
    let elsewhere = file(&app, &citizen, SAI_GON, false).await;
    let (other, _) =
        app.official_of(&admin, elsewhere["organization_id"].as_str().unwrap(), "canbo@hcm.gov.vn", "vi").await;
    let transfer =
        json!({"action": "transfer", "organization_id": elsewhere["organization_id"], "note": "Sai địa bàn."});
    act(&app, &official, &urgent, transfer).await;
    let told = notifications(&app, &other, "").await;
    assert_eq!(kinds(&told), ["urgent_report"]);
    assert_eq!(told["items"][0]["title"], "Phản ánh khẩn cấp cần xử lý ngay");
    assert_eq!(app.mail.next_mail().await.to, "canbo@hcm.gov.vn");
}

async fn a_deleted_account_keeps_no_notifications_and_gets_no_more(app: TestApp) {
    let admin = app.admin_token().await;
    let reporter = token(&app.register_phone("0912345678").await);
    let supporter = token(&app.register_phone("0987654321").await);
    let report = file(&app, &reporter, DA_LAT, false).await;
    let id = report["id"].as_str().unwrap();
    app.post_json_as(&supporter, &format!("/api/v1/reports/{id}/support"), &json!({})).await;
    let (official, _) =
        app.official_of(&admin, report["organization_id"].as_str().unwrap(), "canbo@dalat.gov.vn", "vi").await;
    act(&app, &official, &report, json!({"action": "accept"})).await;
    assert_eq!(kinds(&notifications(&app, &supporter, "").await), ["accepted"]);

    let deleted =
        app.client.delete(app.url("/api/v1/me")).bearer_auth(&supporter).json(&json!({"password": PASSWORD})).send();
    assert_eq!(deleted.await.unwrap().status(), 204);
    act(&app, &official, &report, json!({"action": "start"})).await;
    let per_user: Vec<String> = app
        .database()
        .run(|conn| {
            use congdanso::db::schema::notifications;
            use diesel::prelude::*;
            Ok(notifications::table.select(notifications::user_id).load(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(per_user.len(), 2, "the reporter's two, nothing for the deleted supporter: {per_user:?}");
    assert_eq!(kinds(&notifications(&app, &reporter, "").await), ["started", "accepted"]);
}

async fn a_rejection_is_told_with_its_reason_in_words(app: TestApp) {
    let admin = app.admin_token().await;
    let reporter = token(&app.register_phone("0912345678").await);
    let english = english_reporter(&app).await;
    let report = file(&app, &reporter, DA_LAT, false).await;
    let other = file(&app, &english, DA_LAT, false).await;
    let official =
        app.official_of(&admin, report["organization_id"].as_str().unwrap(), "phuong@dalat.gov.vn", "vi").await.0;
    let note = "Thuộc thẩm quyền của công ty cấp thoát nước; đã chuyển thông tin.";
    act(&app, &official, &report, json!({"action": "reject", "reason": "out_of_scope", "note": note})).await;
    act(&app, &official, &other, json!({"action": "reject", "reason": "insufficient_info"})).await;

    let told = notifications(&app, &reporter, "").await;
    let body = told["items"][0]["body"].as_str().unwrap();
    assert!(body.contains("Lý do: không thuộc phạm vi giải quyết của chính quyền"), "{body}");
    assert!(body.ends_with(&format!("\n{note}")), "the official's note whole, its ';' included: {body}");
    let told = notifications(&app, &english, "").await;
    let body = told["items"][0]["body"].as_str().unwrap();
    assert!(body.ends_with("Reason: there is not enough information to act on"), "{body}");

    // The timeline keeps the reason's code before the note.
    let public = app.get_json(&format!("/api/v1/reports/{}", report["id"].as_str().unwrap())).await;
    let last = public["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["note"], format!("out_of_scope; {note}"));
}
