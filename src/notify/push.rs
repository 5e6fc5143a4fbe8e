//! Push notifications through Firebase Cloud Messaging (HTTP v1), to every installation of the app a
//! recipient registered. The [`Push`] channel writes one outbox row per installation in the caller's
//! transaction (its FCM token as the recipient, the FCM message as the body); the worker hands each to
//! [`Fcm`], which authenticates as the province's service account (an RS256-signed assertion exchanged
//! for an OAuth2 token by `gcp_auth`, which keeps the token until shortly before it expires).

use std::path::Path;
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use gcp_auth::TokenProvider;
use serde::Deserialize;

use super::notifier::{Channel, Message, Recipient};
use super::preferences::{self, Kind};
use super::{outbox, Undelivered};
use crate::db::schema::devices;
use crate::db::DbConnection;
use crate::error::AppError;

/// The OAuth2 scope FCM's send endpoint asks for.
pub const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
/// FCM refuses messages over 4 KB; titles and bodies are cut well below it (Vietnamese letters take up
/// to three bytes).
const TITLE_CHARS: usize = 100;
const BODY_CHARS: usize = 600;
/// Neither the token endpoint nor FCM may hold the worker longer than this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// Push to each of the recipient's installations, if they want this kind of news by push. News that is
/// not urgent waits out their quiet hours in the outbox.
pub struct Push;

impl Channel for Push {
    fn deliver(
        &self,
        conn: &mut DbConnection,
        to: &Recipient,
        message: &Message,
        now: NaiveDateTime,
    ) -> Result<(), AppError> {
        if !to.preferences.wants(preferences::Channel::Push, Kind::of(&message.kind)) {
            return Ok(());
        }
        let urgent = preferences::is_urgent(&message.kind);
        let quiet_until = to.preferences.quiet_hours.and_then(|quiet| quiet.deferred_until(now));
        let due = if urgent { now } else { quiet_until.unwrap_or(now) };
        let tokens: Vec<String> =
            devices::table.filter(devices::user_id.eq(&to.user_id)).select(devices::push_token).load(conn)?;
        for token in tokens {
            let body = fcm_message(&token, message, urgent).to_string();
            outbox::enqueue_push(conn, &to.user_id, &token, &message.title, body, due, now)?;
        }
        Ok(())
    }
}

fn cut(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

/// The FCM v1 `message` for one installation: what the phone shows, what the app needs to open the
/// report (FCM's data values are strings), and how soon the platforms should deliver it.
pub fn fcm_message(token: &str, message: &Message, urgent: bool) -> serde_json::Value {
    let mut data = serde_json::json!({"event": message.kind, "link": message.link});
    if let Some(report_id) = &message.report_id {
        data["report_id"] = report_id.to_string().into();
    }
    serde_json::json!({
        "token": token,
        "notification": {"title": cut(&message.title, TITLE_CHARS), "body": cut(&message.body, BODY_CHARS)},
        "data": data,
        "android": {"priority": if urgent { "high" } else { "normal" }},
        "apns": {"headers": {"apns-priority": if urgent { "10" } else { "5" }}},
    })
}

/// Sends FCM messages as the service account in `CDS_FCM_CREDENTIALS`.
pub struct Fcm {
    account: gcp_auth::CustomServiceAccount,
    send_url: String,
    client: reqwest::Client,
}

impl Fcm {
    /// `base_url` is FCM's (`https://fcm.googleapis.com`, or a test's); the token endpoint is the key
    /// file's `token_uri`.
    pub fn new(credentials: &Path, base_url: &str) -> Result<Self, String> {
        let fail = |why: String| format!("CDS_FCM_CREDENTIALS: {}: {why}", credentials.display());
        let account = gcp_auth::CustomServiceAccount::from_file(credentials).map_err(|err| fail(err.to_string()))?;
        let project = account.project_id().ok_or_else(|| fail("the key file names no project_id".into()))?;
        let send_url = format!("{}/v1/projects/{project}/messages:send", base_url.trim_end_matches('/'));
        let client =
            reqwest::Client::builder().timeout(REQUEST_TIMEOUT).build().map_err(|err| fail(err.to_string()))?;
        Ok(Fcm { account, send_url, client })
    }

    /// Sends one stored message (an FCM v1 `message` object).
    pub async fn send(&self, message: &str) -> Result<(), Undelivered> {
        let token = match tokio::time::timeout(REQUEST_TIMEOUT, self.account.token(&[SCOPE])).await {
            Ok(Ok(token)) => token,
            Ok(Err(err)) => return Err(Undelivered::Credentials(format!("FCM: no access token: {err}"))),
            Err(_) => return Err(Undelivered::Credentials("FCM: the token endpoint did not answer".into())),
        };
        let response = self
            .client
            .post(&self.send_url)
            .bearer_auth(token.as_str())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(format!(r#"{{"message":{message}}}"#))
            .send()
            .await
            .map_err(|err| Undelivered::Retry(format!("FCM: {err}")))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let answer: Option<ErrorAnswer> = response.json().await.ok();
        Err(undelivered(status.as_u16(), answer.map(|a| a.error)))
    }
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: ErrorStatus,
}

/// A `google.rpc.Status`, whose details carry FCM's own `errorCode`.
#[derive(Deserialize)]
struct ErrorStatus {
    #[serde(default)]
    status: String,
    #[serde(default)]
    details: Vec<ErrorDetail>,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(rename = "errorCode")]
    error_code: Option<String>,
}

/// What FCM's refusal means for the message (firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode).
fn undelivered(http_status: u16, error: Option<ErrorStatus>) -> Undelivered {
    let code = error
        .as_ref()
        .and_then(|e| e.details.iter().find_map(|d| d.error_code.clone()))
        .or_else(|| error.as_ref().map(|e| e.status.clone()).filter(|s| !s.is_empty()))
        .unwrap_or_default();
    let reason = format!("FCM: HTTP {http_status} {code}");
    match (http_status, code.as_str()) {
        // The app was uninstalled, or the token belongs to another Firebase project.
        (_, "UNREGISTERED" | "SENDER_ID_MISMATCH") => Undelivered::Gone(reason),
        // The APNs certificate or key in the Firebase project, or our service account, was refused.
        (_, "THIRD_PARTY_AUTH_ERROR" | "UNAUTHENTICATED" | "PERMISSION_DENIED") | (401 | 403, _) => {
            Undelivered::Credentials(reason)
        }
        // The message itself is wrong: sending it again would fail again.
        (_, "INVALID_ARGUMENT") => Undelivered::Refused(reason),
        // QUOTA_EXCEEDED, UNAVAILABLE, INTERNAL and whatever else: later.
        _ => Undelivered::Retry(reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::ReportId;

    fn message(kind: &str, body: &str) -> Message {
        Message {
            kind: kind.into(),
            report_id: Some(ReportId::new()),
            title: "Phản ánh đã được xử lý".into(),
            body: body.into(),
            link: "congdanso://reports/1".into(),
        }
    }

    #[test]
    fn a_message_stays_under_fcms_four_kilobytes_however_long_the_note() {
        let long = "Đường Trần Hưng Đạo đã được sửa xong, cảm ơn người dân đã phản ánh. ".repeat(200);
        let fcm = fcm_message(&"t".repeat(200), &message("resolved", &long), false);
        assert!(fcm.to_string().len() < 4096, "{} bytes", fcm.to_string().len());
        assert!(fcm["notification"]["body"].as_str().unwrap().ends_with('…'));
        assert_eq!(fcm["android"]["priority"], "normal");
        assert_eq!(fcm["apns"]["headers"]["apns-priority"], "5");
        assert!(fcm["data"]["report_id"].is_string());
    }

    #[test]
    fn urgent_news_is_sent_at_high_priority_on_both_platforms() {
        let fcm = fcm_message("t", &message("urgent_report", "Cây đổ chắn đường"), true);
        assert_eq!(fcm["android"]["priority"], "high");
        assert_eq!(fcm["apns"]["headers"]["apns-priority"], "10");
    }

    #[test]
    fn fcm_refusals_map_to_forget_retry_or_fix_the_credentials() {
        let error = |status: &str, code: Option<&str>| {
            Some(ErrorStatus {
                status: status.into(),
                details: vec![ErrorDetail { error_code: code.map(str::to_string) }],
            })
        };
        assert!(matches!(undelivered(404, error("NOT_FOUND", Some("UNREGISTERED"))), Undelivered::Gone(_)));
        assert!(matches!(
            undelivered(403, error("PERMISSION_DENIED", Some("SENDER_ID_MISMATCH"))),
            Undelivered::Gone(_)
        ));
        assert!(matches!(undelivered(429, error("RESOURCE_EXHAUSTED", Some("QUOTA_EXCEEDED"))), Undelivered::Retry(_)));
        assert!(matches!(undelivered(503, error("UNAVAILABLE", None)), Undelivered::Retry(_)));
        assert!(matches!(undelivered(500, None), Undelivered::Retry(_)));
        assert!(matches!(undelivered(401, error("UNAUTHENTICATED", None)), Undelivered::Credentials(_)));
        assert!(matches!(
            undelivered(400, error("INVALID_ARGUMENT", Some("INVALID_ARGUMENT"))),
            Undelivered::Refused(_)
        ));
    }
}
