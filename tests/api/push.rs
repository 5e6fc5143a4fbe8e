//! Push notifications through FCM, against a local FCM and OAuth2 token endpoint that speak the real
//! protocols (`common::fcm`): news reaches each installation once, waits out FCM's downtime in the
//! outbox, forgets tokens FCM calls dead, and follows each person's choices and quiet hours.

use std::future::Future;
use std::time::Duration;

use chrono::Timelike;
use serde_json::{json, Value};

use crate::common::fcm::{FakeFcm, Pushed};
use crate::common::{assert_problem, report_at, Backend, TestApp, DA_LAT};

/// Like `on_both_databases!`, with a fake FCM started first and the app sending its pushes there.
macro_rules! with_fake_fcm {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::run(crate::common::Backend::Sqlite, super::$test).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::run(crate::common::Backend::Postgres, super::$test).await;
            }
        }
    )*};
}

with_fake_fcm!(
    a_status_change_reaches_each_of_the_reporters_devices_once_even_through_fcm_downtime,
    a_token_fcm_calls_unregistered_is_forgotten,
    each_person_chooses_what_is_pushed_and_when,
);

mod a_refused_credential_keeps_the_pushes_until_an_operator_fixes_it {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::a_refused_credential_keeps_the_pushes_until_an_operator_fixes_it(crate::common::Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::a_refused_credential_keeps_the_pushes_until_an_operator_fixes_it(crate::common::Backend::Postgres).await;
    }
}

async fn run<T, F>(backend: Backend, test: T)
where
    T: FnOnce(TestApp, FakeFcm) -> F,
    F: Future<Output = ()>,
{
    let fcm = FakeFcm::start().await;
    let env = fcm.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let Some(app) = TestApp::spawn_with(backend, &env).await else { return };
    let servers = app.servers();
    test(app, fcm).await;
    servers.stop().await;
}

/// Registers an installation for the account whose access token is `access`.
async fn register(app: &TestApp, access: &str, installation: &str, platform: &str, token: &str) {
    let body = json!({"platform": platform, "push_token": token, "app_version": "2.4.1", "locale": "vi"});
    let registered = app.put_json_as(access, &format!("/api/v1/me/devices/{installation}"), &body).await;
    assert_eq!(registered.status(), 200);
}

/// The push rows of the outbox: (token, sent, failed, due in the future).
async fn push_rows(app: &TestApp) -> Vec<(String, bool, bool, bool)> {
    app.database()
        .run(|conn| {
            use congdanso::db::schema::outbox;
            use diesel::prelude::*;
            let rows: Vec<(
                String,
                Option<chrono::NaiveDateTime>,
                Option<chrono::NaiveDateTime>,
                chrono::NaiveDateTime,
            )> = outbox::table
                .filter(outbox::channel.eq("push"))
                .order(outbox::id.asc())
                .select((outbox::recipient, outbox::sent_at, outbox::failed_at, outbox::next_attempt_at))
                .load(conn)?;
            let now = chrono::Utc::now().naive_utc();
            Ok(rows
                .into_iter()
                .map(|(token, sent, failed, due)| (token, sent.is_some(), failed.is_some(), due > now))
                .collect())
        })
        .await
        .unwrap()
}

/// Waits (up to 20 s) until `done` holds: the worker delivers on its own time.
async fn until<T: std::fmt::Debug, F: Future<Output = T>>(
    what: &str,
    mut probe: impl FnMut() -> F,
    done: impl Fn(&T) -> bool,
) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let seen = probe().await;
        if done(&seen) {
            return seen;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what} never happened: {seen:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn of_event<'a>(pushed: &'a [Pushed], event: &str) -> Vec<&'a Pushed> {
    pushed.iter().filter(|p| p.message["data"]["event"] == event).collect()
}

async fn a_status_change_reaches_each_of_the_reporters_devices_once_even_through_fcm_downtime(
    app: TestApp,
    fcm: FakeFcm,
) {
    let admin = app.admin_token().await;
    let reporter = app.citizen("0912345678").await;
    register(&app, &reporter.token, "fid-phone-0001", "android", "token-phone").await;
    register(&app, &reporter.token, "fid-tablet-0002", "ios", "token-tablet").await;
    let report = app.file_report(&reporter, &report_at(DA_LAT, json!({}))).await;
    let official = app.official_of(&admin, &report.organization_id, "canbo@dalat.gov.vn", "vi").await;

    fcm.set_down(true);
    app.acted(&official, &report.id, json!({"action": "accept"})).await;
    until("a send while FCM is down", || async { fcm.refused_while_down() }, |refused| *refused >= 2).await;
    assert!(fcm.pushed().is_empty());
    let waiting = push_rows(&app).await;
    assert_eq!(waiting.len(), 2, "one per installation: {waiting:?}");
    assert!(waiting.iter().all(|(_, sent, failed, _)| !sent && !failed), "kept for a retry: {waiting:?}");

    fcm.set_down(false);
    let rows = until("delivery after FCM is back", || push_rows(&app), |rows| rows.iter().all(|r| r.1)).await;
    assert_eq!(rows.len(), 2);
    let accepted = fcm.pushed();
    assert_eq!(accepted.len(), 2, "once each: {accepted:?}");
    let mut tokens: Vec<&str> = accepted.iter().map(|p| p.token.as_str()).collect();
    tokens.sort();
    assert_eq!(tokens, ["token-phone", "token-tablet"]);
    for pushed in &accepted {
        let message = &pushed.message;
        assert_eq!(message["notification"]["title"], "Phản ánh đã được tiếp nhận");
        assert!(message["notification"]["body"].as_str().unwrap().contains("Ngập nặng sau mưa"), "{message}");
        assert_eq!(message["data"]["report_id"], report.id.as_str());
        assert_eq!(message["data"]["event"], "accepted");
        assert!(message["data"]["link"].as_str().unwrap().ends_with(&format!("/reports/{}", report.id)));
        assert_eq!(message["android"]["priority"], "normal");
        assert_eq!(message["apns"]["headers"]["apns-priority"], "5");
    }

    // The next change goes at once, once to each installation.
    app.acted(&official, &report.id, json!({"action": "start"})).await;
    let pushed = until("the next change", || async { fcm.pushed() }, |p| of_event(p, "started").len() >= 2).await;
    assert_eq!(of_event(&pushed, "started").len(), 2);
    assert_eq!(of_event(&pushed, "accepted").len(), 2, "nothing sent twice");
    // One access token served every send: it is kept until shortly before it expires.
    assert_eq!(fcm.tokens_issued(), 1);
    // Officials hear by push only of alerts: they have no installation here, and the office's own
    // actions are not news to it.
    assert!(pushed.iter().all(|p| p.token.starts_with("token-")));
    fcm.stop().await;
}

async fn a_token_fcm_calls_unregistered_is_forgotten(app: TestApp, fcm: FakeFcm) {
    let admin = app.admin_token().await;
    let reporter = app.citizen("0912345678").await;
    register(&app, &reporter.token, "fid-old-phone-01", "android", "token-uninstalled").await;
    register(&app, &reporter.token, "fid-new-phone-02", "android", "token-live").await;
    fcm.kill_token("token-uninstalled");
    let report = app.file_report(&reporter, &report_at(DA_LAT, json!({}))).await;
    let official = app.official_of(&admin, &report.organization_id, "canbo@dalat.gov.vn", "vi").await;

    app.acted(&official, &report.id, json!({"action": "accept"})).await;
    let rows = until(
        "both pushes settled",
        || push_rows(&app),
        |rows| rows.len() == 2 && rows.iter().all(|(_, sent, failed, _)| sent | failed),
    )
    .await;
    let dead = rows.iter().find(|r| r.0 == "token-uninstalled").unwrap();
    assert!(dead.2, "given up at once, not retried: {rows:?}");
    let devices: Vec<Value> = app.get_json_as(&reporter.token, "/api/v1/me/devices").await;
    let left: Vec<&str> = devices.iter().map(|d| d["installation_id"].as_str().unwrap()).collect();
    assert_eq!(left, ["fid-new-phone-02"]);
    assert_eq!(fcm.pushed().len(), 1);

    // The next news goes to the live installation only.
    app.acted(&official, &report.id, json!({"action": "start"})).await;
    until("the next push", || async { fcm.pushed() }, |p| p.len() == 2).await;
    assert_eq!(push_rows(&app).await.len(), 3);
    fcm.stop().await;
}

/// `HH:MM` in Vietnam, `minutes` from now.
fn vietnam_time(minutes: i64) -> String {
    let local = chrono::Utc::now().naive_utc() + chrono::Duration::hours(7) + chrono::Duration::minutes(minutes);
    format!("{:02}:{:02}", local.hour(), local.minute())
}

async fn each_person_chooses_what_is_pushed_and_when(app: TestApp, fcm: FakeFcm) {
    let admin = app.admin_token().await;
    let reporter = app.citizen("0912345678").await;
    register(&app, &reporter.token, "fid-phone-0001", "android", "token-reporter").await;
    let path = "/api/v1/me/notification-settings";
    let settings: Value = app.get_json_as(&reporter.token, path).await;
    assert_eq!(
        settings,
        json!({"push": {"report_news": true, "office_alerts": true},
               "email": {"report_news": true, "office_alerts": true}, "quiet_hours": null})
    );

    // No news by push: the app's list still has it, FCM gets nothing.
    let off = app.patch_json_as(&reporter.token, path, &json!({"push": {"report_news": false}})).await;
    assert_eq!(off.status(), 200);
    let off: Value = off.json().await.unwrap();
    assert_eq!(off["push"], json!({"report_news": false, "office_alerts": true}));
    assert_eq!(off["email"]["report_news"], true, "left out, so kept");
    let report = app.file_report(&reporter, &report_at(DA_LAT, json!({}))).await;
    let official = app.official_of(&admin, &report.organization_id, "canbo@dalat.gov.vn", "vi").await;
    app.acted(&official, &report.id, json!({"action": "accept"})).await;
    assert_eq!(app.notifications(&reporter.token, "").await.kinds(), ["accepted"]);
    assert!(push_rows(&app).await.is_empty());

    // Back on, in quiet hours: the push waits in the outbox until they end, it is not dropped.
    let quiet =
        json!({"push": {"report_news": true}, "quiet_hours": {"from": vietnam_time(-60), "until": vietnam_time(60)}});
    let quieted: Value = app.patch_json_as(&reporter.token, path, &quiet).await.json().await.unwrap();
    assert_eq!(quieted["quiet_hours"], quiet["quiet_hours"]);
    app.acted(&official, &report.id, json!({"action": "start"})).await;
    let rows = push_rows(&app).await;
    assert_eq!(rows.len(), 1);
    let (_, sent, failed, later) = &rows[0];
    assert!(!sent && !failed && *later, "deferred to the end of quiet hours: {rows:?}");

    // An urgent report reaches an official at once, quiet hours or not, at high priority.
    register(&app, &official.token, "fid-official-01", "android", "token-official").await;
    let quiet_official = app.patch_json_as(&official.token, path, &json!({"quiet_hours": quiet["quiet_hours"]})).await;
    assert_eq!(quiet_official.status(), 200);
    let urgent = app.file_report(&reporter, &report_at(DA_LAT, json!({"urgent": true}))).await;
    let pushed = until("the urgent push", || async { fcm.pushed() }, |p| !p.is_empty()).await;
    assert_eq!(pushed.len(), 1, "the reporter's push still waits: {pushed:?}");
    assert_eq!(pushed[0].token, "token-official");
    assert_eq!(pushed[0].message["data"]["event"], "urgent_report");
    assert_eq!(pushed[0].message["data"]["report_id"], urgent.id.as_str());
    assert_eq!(pushed[0].message["android"]["priority"], "high");
    assert_eq!(pushed[0].message["apns"]["headers"]["apns-priority"], "10");

    // Ending quiet hours, and what is refused.
    let ended: Value =
        app.patch_json_as(&reporter.token, path, &json!({"quiet_hours": null})).await.json().await.unwrap();
    assert_eq!(ended["quiet_hours"], Value::Null);
    let bad = json!({"quiet_hours": {"from": "25:00", "until": "07:00"}});
    assert_problem(app.patch_json_as(&reporter.token, path, &bad).await, 422, "validation_failed").await;
    let same = json!({"quiet_hours": {"from": "07:00", "until": "07:00"}});
    assert_problem(app.patch_json_as(&reporter.token, path, &same).await, 422, "validation_failed").await;
    let list = json!([null, null]);
    assert_problem(app.patch_json_as(&reporter.token, path, &list).await, 422, "validation_failed").await;
    let unknown = json!({"sms": {"report_news": true}});
    assert_problem(app.patch_json_as(&reporter.token, path, &unknown).await, 422, "validation_failed").await;
    let anonymous = app.client.get(app.url(path)).send().await.unwrap();
    assert_problem(anonymous, 401, "unauthenticated").await;

    // The choices are the person's data: exported with it.
    let export: Value = app.get_json_as(&reporter.token, "/api/v1/me/export").await;
    assert_eq!(export["notification_settings"]["push"]["report_news"], true);
    fcm.stop().await;
}

/// A key file for an account the token endpoint does not know: nothing is pushed, nothing is lost, and
/// once an instance runs with the right key, every waiting push leaves.
async fn a_refused_credential_keeps_the_pushes_until_an_operator_fixes_it(backend: Backend) {
    let fcm = FakeFcm::start().await;
    let wrong = fcm.credentials_of("someone-else@other-project.iam.gserviceaccount.com");
    let env = [("CDS_FCM_CREDENTIALS", wrong.to_str().unwrap()), ("CDS_FCM_URL", fcm.url.as_str())];
    let Some(app) = TestApp::spawn_with(backend, &env).await else { return };
    let servers = app.servers();
    let admin = app.admin_token().await;
    let reporter = app.citizen("0912345678").await;
    register(&app, &reporter.token, "fid-phone-0001", "android", "token-phone").await;
    let report = app.file_report(&reporter, &report_at(DA_LAT, json!({}))).await;
    let official = app.official_of(&admin, &report.organization_id, "canbo@dalat.gov.vn", "vi").await;
    app.acted(&official, &report.id, json!({"action": "accept"})).await;

    let attempts = || async {
        app.outbox()
            .await
            .into_iter()
            .filter(|m| m.recipient == "token-phone")
            .map(|m| (m.attempts, m.failed))
            .collect::<Vec<_>>()
    };
    let tried = until("a refused try", attempts, |rows| rows.iter().any(|(attempts, _)| *attempts >= 1)).await;
    assert_eq!(tried.len(), 1);
    assert!(!tried[0].1, "kept for a retry");
    assert_eq!(fcm.tokens_issued(), 0);
    assert!(fcm.pushed().is_empty());

    // The operator puts the right key in place and starts an instance with it.
    let fixed = fcm.env();
    let fixed: Vec<(&str, &str)> = fixed.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let _instance = app.another_instance(&fixed).await;
    let pushed = until("the waiting push", || async { fcm.pushed() }, |p| !p.is_empty()).await;
    assert_eq!(pushed.len(), 1);
    assert_eq!(pushed[0].message["data"]["event"], "accepted");
    servers.stop().await;
    fcm.stop().await;
    let _ = std::fs::remove_file(wrong);
}
