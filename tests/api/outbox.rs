//! Messages at rest: no usable secret in the outbox, nothing kept past its retention or its account,
//! and no endless retries of a message that cannot be delivered.

use std::time::Duration;

use serde_json::json;

use crate::common::{Message, TestApp, PASSWORD};
use crate::on_both_databases;

on_both_databases!(no_usable_secret_is_stored_with_a_message, an_erased_account_leaves_no_message_behind);
on_both_databases!(with [("CDS_OUTBOX_RETENTION_DAYS", "0")] => sent_messages_go_after_the_retention_period);
on_both_databases!(
    with [("CDS_SMTP_URL", "smtp://127.0.0.1:1"), ("CDS_OUTBOX_MAX_ATTEMPTS", "2")] =>
    undeliverable_messages_are_given_up
);

/// Waits (up to 15 s) until the outbox satisfies `done`.
async fn outbox_until(app: &TestApp, done: impl Fn(&[Message]) -> bool) -> Vec<Message> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let rows = app.outbox().await;
        if done(&rows) {
            return rows;
        }
        assert!(tokio::time::Instant::now() < deadline, "the outbox never got there: {rows:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn no_usable_secret_is_stored_with_a_message(app: TestApp) {
    app.citizen_by_email("binh@example.vn", "vi").await;
    let verification = app.mail.next_mail().await.token();
    let forgot = app.post_json("/api/v1/auth/password/forgot", &json!({"login": "binh@example.vn"})).await;
    assert_eq!(forgot.status(), 202);
    let reset = app.mail.next_mail().await.token();

    let stored = app.outbox().await;
    assert_eq!(stored.len(), 2);
    for row in &stored {
        assert!(!row.body.contains(&verification) && !row.body.contains(&reset), "{}", row.body);
        assert!(row.body.contains("token={{secret}}"), "{}", row.body);
    }
    // The links that reached the mailbox work all the same.
    let verified = app.post_json("/api/v1/auth/verify-email", &json!({"token": verification})).await;
    assert_eq!(verified.status(), 200);
    let body = json!({"token": reset, "new_password": "một mật khẩu mới 2026"});
    assert_eq!(app.post_json("/api/v1/auth/password/reset", &body).await.status(), 204);
}

async fn an_erased_account_leaves_no_message_behind(app: TestApp) {
    let citizen = app.citizen_by_email("binh@example.vn", "vi").await;
    let user_id = citizen.id.as_str();
    app.mail.next_mail().await;
    app.post_json("/api/v1/auth/password/forgot", &json!({"login": "binh@example.vn"})).await;
    app.mail.next_mail().await;
    assert_eq!(app.outbox().await.iter().filter(|row| row.user_id.as_deref() == Some(user_id)).count(), 2);

    let erased = app
        .client
        .delete(app.url("/api/v1/me"))
        .bearer_auth(&citizen.token)
        .json(&json!({"password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(erased.status(), 204);
    let left = app.outbox().await;
    assert!(
        left.iter().all(|row| row.user_id.as_deref() != Some(user_id) && row.recipient != "binh@example.vn"),
        "{left:?}"
    );
}

async fn sent_messages_go_after_the_retention_period(app: TestApp) {
    app.citizen_by_email("binh@example.vn", "vi").await;
    assert!(app.mail.next_mail().await.body.contains("Chào Trần Thị Bình"));
    outbox_until(&app, |rows| rows.is_empty()).await;
}

async fn undeliverable_messages_are_given_up(app: TestApp) {
    app.citizen_by_email("binh@example.vn", "vi").await;
    let rows = outbox_until(&app, |rows| rows.iter().any(|row| row.failed)).await;
    assert_eq!(rows[0].attempts, 2);
}
