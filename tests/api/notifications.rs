//! Notifications: followers of a report hear of each public event, in their own language, in the app
//! and by mail to a verified address; urgent reports reach their office at once.

use serde_json::json;

use crate::common::{assert_problem, report_at, sign_up, Citizen, TestApp, DA_LAT, PASSWORD, SAI_GON};
use crate::on_both_databases;

on_both_databases!(
    followers_hear_of_every_public_event_in_their_language,
    notifications_are_paged_and_marked_read_by_their_owner_only,
    an_urgent_report_reaches_its_office_at_once,
    a_deleted_account_keeps_no_notifications_and_gets_no_more,
    a_rejection_is_told_with_its_reason_in_words,
    mail_follows_what_each_person_chose,
);
on_both_databases!(with [("CDS_NOTIFY_INLINE_MOST", "2")] => many_followers_are_told_once_after_the_action);

/// A citizen who reads English and whose email is verified (so mail may go there).
async fn english_reporter(app: &TestApp) -> Citizen {
    let reporter = app.register(sign_up(json!({"email": "an@example.vn", "full_name": "An", "locale": "en"}))).await;
    let verification = app.mail.next_mail().await;
    let verified = app.post_json("/api/v1/auth/verify-email", &json!({"token": verification.token()})).await;
    assert_eq!(verified.status(), 200);
    reporter
}

async fn followers_hear_of_every_public_event_in_their_language(app: TestApp) {
    let admin = app.admin_token().await;
    let reporter = english_reporter(&app).await;
    // A supporter who reads Vietnamese, signed up by phone: in-app only.
    let supporter = app.citizen("0912345678").await;
    // A supporter whose email is not verified: no mail to an address nobody confirmed.
    let unverified = app.register(sign_up(json!({"email": "binh@example.vn", "full_name": "Bình"}))).await;
    app.mail.next_mail().await; // Bình's verification mail

    let report = app.file_report(&reporter, &report_at(DA_LAT, json!({}))).await;
    let id = report.id.as_str();
    for follower in [&supporter, &unverified] {
        let supported = app.post_json_as(&follower.token, &format!("/api/v1/reports/{id}/support"), &json!({})).await;
        assert_eq!(supported.status(), 200);
    }
    let official = app.official_of(&admin, &report.organization_id, "canbo@dalat.gov.vn", "vi").await;

    app.acted(&official, id, json!({"action": "accept"})).await;
    app.acted(&official, id, json!({"action": "comment", "note": "Ghi chú nội bộ."})).await;
    app.acted(&official, id, json!({"action": "assign", "assignee_id": official.id})).await;
    app.acted(&official, id, json!({"action": "comment", "note": "Đã cử người kiểm tra.", "public": true})).await;
    app.acted(&official, id, json!({"action": "start"})).await;
    app.acted(&official, id, json!({"action": "resolve", "note": "Đã nạo vét cống."})).await;

    let told = ["resolved", "started", "comment", "accepted"];
    let english = app.notifications(&reporter.token, "").await;
    assert_eq!(english.kinds(), told, "internal notes and assignments are not news: {english:?}");
    assert_eq!(english.unread_count, 4);
    let titles: Vec<&str> = english.items.iter().map(|n| n.title.as_str()).collect();
    assert_eq!(
        titles,
        ["Report resolved", "Work on the report has started", "New reply on the report", "Report accepted"]
    );
    let resolved = &english.items[0];
    assert_eq!(resolved.report_id.as_deref(), Some(id));
    assert!(resolved.body.contains("Đã nạo vét cống."), "{resolved:?}");
    assert!(resolved.body.contains("reopen it within 7 working days"), "{resolved:?}");
    assert!(resolved.link.as_deref().unwrap().ends_with(&format!("/reports/{id}")));
    assert!(resolved.read_at.is_none());

    let vietnamese = app.notifications(&supporter.token, "").await;
    assert_eq!(vietnamese.kinds(), told);
    assert_eq!(vietnamese.items[0].title, "Phản ánh đã được xử lý");
    assert_eq!(vietnamese.items[3].title, "Phản ánh đã được tiếp nhận");
    assert_eq!(app.notifications(&unverified.token, "").await.kinds(), told);

    // The same four, by mail, to the one verified address, in English.
    let mut mails = Vec::new();
    for _ in told {
        mails.push(app.mail.next_mail().await);
    }
    assert!(mails.iter().all(|mail| mail.to == "an@example.vn"), "{mails:?}");
    assert!(mails.iter().all(|mail| mail.body.contains("Report: “Ngập nặng sau mưa")), "{mails:?}");
    assert!(mails.iter().any(|mail| mail.body.contains("Đã cử người kiểm tra.")));

    // The reporter's own steps are news to the supporters only.
    let reopen = json!({"reason": "Vẫn còn ngập."});
    let reopened = app.post_json_as(&reporter.token, &format!("/api/v1/reports/{id}/reopen"), &reopen).await;
    assert_eq!(reopened.status(), 200);
    assert_eq!(app.notifications(&supporter.token, "").await.kinds()[0], "reopened");
    assert_eq!(app.notifications(&reporter.token, "").await.items.len(), 4);
    // Nor does the acting official hear of their own actions.
    assert!(app.notifications(&official.token, "").await.items.is_empty());
    let outbox = app.outbox().await;
    let to = |address: &str| outbox.iter().filter(|message| message.recipient == address).count();
    assert_eq!(to("an@example.vn"), 1 + told.len(), "verification, then the news");
    assert_eq!(to("binh@example.vn"), 1, "the verification mail only: the address is not confirmed");
}

async fn notifications_are_paged_and_marked_read_by_their_owner_only(app: TestApp) {
    let admin = app.admin_token().await;
    let reporter = app.citizen("0912345678").await;
    let someone_else = app.citizen("0987654321").await;
    let report = app.file_report(&reporter, &report_at(DA_LAT, json!({}))).await;
    let official = app.official_of(&admin, &report.organization_id, "canbo@dalat.gov.vn", "vi").await;
    app.acted(&official, &report.id, json!({"action": "accept"})).await;
    app.acted(&official, &report.id, json!({"action": "start"})).await;
    app.acted(&official, &report.id, json!({"action": "resolve", "note": "Xong."})).await;

    let first = app.notifications(&reporter.token, "?limit=2").await;
    assert_eq!(first.kinds(), ["resolved", "started"]);
    let cursor = first.next_cursor.as_deref().unwrap();
    let second = app.notifications(&reporter.token, &format!("?limit=2&cursor={cursor}")).await;
    assert_eq!(second.kinds(), ["accepted"]);
    assert!(second.next_cursor.is_none());

    let newest = &first.items[0].id;
    let read = |token: &str| {
        let request = app.client.post(app.url(&format!("/api/v1/me/notifications/{newest}/read"))).bearer_auth(token);
        async move { request.json(&json!({})).send().await.unwrap() }
    };
    assert_problem(read(&someone_else.token).await, 404, "notification_not_found").await;
    assert_eq!(read(&reporter.token).await.status(), 204);
    assert_eq!(read(&reporter.token).await.status(), 204, "reading again is harmless");
    let after = app.notifications(&reporter.token, "").await;
    assert_eq!(after.unread_count, 2);
    assert!(after.items[0].read_at.is_some());
    assert_eq!(app.notifications(&reporter.token, "?unread=true").await.kinds(), ["started", "accepted"]);

    let all = app.post_json_as(&reporter.token, "/api/v1/me/notifications/read-all", &json!({})).await;
    assert_eq!(all.status(), 204);
    assert_eq!(app.notifications(&reporter.token, "").await.unread_count, 0);
    assert!(app.notifications(&reporter.token, "?unread=true").await.items.is_empty());

    for bad in ["cursor=x", "limit=0"] {
        let page = app.get_as(&reporter.token, &format!("/api/v1/me/notifications?{bad}")).await;
        assert_problem(page, 422, "validation_failed").await;
    }
    assert_problem(app.get("/api/v1/me/notifications").await, 401, "unauthenticated").await;
}

async fn an_urgent_report_reaches_its_office_at_once(app: TestApp) {
    let admin = app.admin_token().await;
    let citizen = app.citizen("0912345678").await;
    let first = app.file_report(&citizen, &report_at(DA_LAT, json!({}))).await;
    let official = app.official_of(&admin, &first.organization_id, "canbo@dalat.gov.vn", "en").await;
    app.file_report(&citizen, &report_at(DA_LAT, json!({}))).await;
    assert!(app.notifications(&official.token, "").await.items.is_empty(), "only urgent ones");

    let urgent = app.file_report(&citizen, &report_at(DA_LAT, json!({"urgent": true}))).await;
    let told = app.notifications(&official.token, "").await;
    assert_eq!(told.kinds(), ["urgent_report"]);
    assert_eq!(told.items[0].report_id, Some(urgent.id.clone()));
    assert_eq!(told.items[0].title, "An urgent report needs action now");
    assert!(told.items[0].body.contains("Hẻm 12"), "{told:?}");
    let mail = app.mail.next_mail().await;
    assert_eq!(mail.to, "canbo@dalat.gov.vn");
    assert!(mail.body.contains("Urgent report at Hẻm 12"), "{}", mail.body);

    // Passed to another office, it reaches that office's officials at once too.
    let elsewhere = app.file_report(&citizen, &report_at(SAI_GON, json!({}))).await;
    let other = app.official_of(&admin, &elsewhere.organization_id, "canbo@hcm.gov.vn", "vi").await;
    let transfer = json!({"action": "transfer", "organization_id": elsewhere.organization_id, "note": "Sai địa bàn."});
    app.acted(&official, &urgent.id, transfer).await;
    let told = app.notifications(&other.token, "").await;
    assert_eq!(told.kinds(), ["urgent_report"]);
    assert_eq!(told.items[0].title, "Phản ánh khẩn cấp cần xử lý ngay");
    assert_eq!(app.mail.next_mail().await.to, "canbo@hcm.gov.vn");
}

async fn a_deleted_account_keeps_no_notifications_and_gets_no_more(app: TestApp) {
    let admin = app.admin_token().await;
    let reporter = app.citizen("0912345678").await;
    let supporter = app.citizen("0987654321").await;
    let report = app.file_report(&reporter, &report_at(DA_LAT, json!({}))).await;
    app.post_json_as(&supporter.token, &format!("/api/v1/reports/{}/support", report.id), &json!({})).await;
    let official = app.official_of(&admin, &report.organization_id, "canbo@dalat.gov.vn", "vi").await;
    app.acted(&official, &report.id, json!({"action": "accept"})).await;
    assert_eq!(app.notifications(&supporter.token, "").await.kinds(), ["accepted"]);

    let deleted = app
        .client
        .delete(app.url("/api/v1/me"))
        .bearer_auth(&supporter.token)
        .json(&json!({"password": PASSWORD}))
        .send();
    assert_eq!(deleted.await.unwrap().status(), 204);
    app.acted(&official, &report.id, json!({"action": "start"})).await;
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
    assert_eq!(app.notifications(&reporter.token, "").await.kinds(), ["started", "accepted"]);
}

async fn a_rejection_is_told_with_its_reason_in_words(app: TestApp) {
    let admin = app.admin_token().await;
    let reporter = app.citizen("0912345678").await;
    let english = english_reporter(&app).await;
    let report = app.file_report(&reporter, &report_at(DA_LAT, json!({}))).await;
    let other = app.file_report(&english, &report_at(DA_LAT, json!({}))).await;
    let official = app.official_of(&admin, &report.organization_id, "phuong@dalat.gov.vn", "vi").await;
    let note = "Thuộc thẩm quyền của công ty cấp thoát nước; đã chuyển thông tin.";
    app.acted(&official, &report.id, json!({"action": "reject", "reason": "out_of_scope", "note": note})).await;
    app.acted(&official, &other.id, json!({"action": "reject", "reason": "insufficient_info"})).await;

    let body = &app.notifications(&reporter.token, "").await.items[0].body;
    assert!(body.contains("Lý do: không thuộc phạm vi giải quyết của chính quyền"), "{body}");
    assert!(body.ends_with(&format!("\n{note}")), "the official's note whole, its ';' included: {body}");
    let body = &app.notifications(&english.token, "").await.items[0].body;
    assert!(body.ends_with("Reason: there is not enough information to act on"), "{body}");

    // The timeline keeps the reason's code before the note.
    let public = app.get_json(&format!("/api/v1/reports/{}", report.id)).await;
    let last = public["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["note"], format!("out_of_scope; {note}"));
}

/// News for more followers than an action tells itself (here 2) is left to the outbox workers, which
/// tell them a page at a time: everyone once, even with two instances working.
async fn many_followers_are_told_once_after_the_action(app: TestApp) {
    let other = app.another_instance(&[("CDS_NOTIFY_INLINE_MOST", "2")]).await;
    let admin = app.admin_token().await;
    let reporter = app.citizen("0912345678").await;
    let report = app.file_report(&reporter, &report_at(DA_LAT, json!({}))).await;
    let id = report.id.as_str();
    let mut followers = vec![reporter];
    for phone in ["0912000001", "0912000002", "0912000003", "0912000004"] {
        let supporter = other.citizen(phone).await;
        let supported =
            other.post_json_as(&supporter.token, &format!("/api/v1/reports/{id}/support"), &json!({})).await;
        assert_eq!(supported.status(), 200);
        followers.push(supporter);
    }
    let official = app.official_of(&admin, &report.organization_id, "canbo@dalat.gov.vn", "vi").await;
    app.acted(&official, id, json!({"action": "comment", "note": "Đã cử người kiểm tra.", "public": true})).await;

    // The action left one job; the workers of both instances tell its five followers, two at a time.
    let database = app.database();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let jobs: Vec<(Option<String>, bool)> = database
            .run(|conn| {
                use congdanso::db::schema::notification_jobs;
                use diesel::prelude::*;
                let columns = (notification_jobs::after_user, notification_jobs::done_at.is_not_null());
                Ok(notification_jobs::table.select(columns).load(conn)?)
            })
            .await
            .unwrap();
        assert_eq!(jobs.len(), 1, "one job for the one event: {jobs:?}");
        if jobs[0].1 {
            let last = followers.iter().map(|f| f.id.clone()).max();
            assert_eq!(jobs[0].0, last, "told through the last follower");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the job was never done");
        tokio::task::yield_now().await;
    }
    for follower in &followers {
        let told = app.notifications(&follower.token, "").await;
        assert_eq!(told.kinds(), ["comment"], "once each: {told:?}");
        assert_eq!(told.items[0].body.contains("Đã cử người kiểm tra."), true, "{told:?}");
    }
    assert!(app.notifications(&official.token, "").await.items.is_empty(), "not the official who said it");
}

async fn mail_follows_what_each_person_chose(app: TestApp) {
    let admin = app.admin_token().await;
    let reporter = english_reporter(&app).await;
    let report = app.file_report(&reporter, &report_at(DA_LAT, json!({}))).await;
    let official = app.official_of(&admin, &report.organization_id, "canbo@dalat.gov.vn", "vi").await;
    // Mail is written in the action's transaction: what the outbox holds once the action answered is all.
    let mails_to_reporter =
        || async { app.outbox().await.into_iter().filter(|m| m.recipient == "an@example.vn").count() };
    assert_eq!(mails_to_reporter().await, 1, "the verification mail");

    let path = "/api/v1/me/notification-settings";
    let no_news_by_mail = json!({"email": {"report_news": false}});
    assert_eq!(app.patch_json_as(&reporter.token, path, &no_news_by_mail).await.status(), 200);
    app.acted(&official, &report.id, json!({"action": "accept"})).await;
    assert_eq!(mails_to_reporter().await, 1, "no mail for news the reporter turned off");
    assert_eq!(app.notifications(&reporter.token, "").await.kinds(), ["accepted"], "the app's list has it all");

    let news_by_mail = json!({"email": {"report_news": true}});
    assert_eq!(app.patch_json_as(&reporter.token, path, &news_by_mail).await.status(), 200);
    app.acted(&official, &report.id, json!({"action": "start"})).await;
    assert_eq!(mails_to_reporter().await, 2);
}
