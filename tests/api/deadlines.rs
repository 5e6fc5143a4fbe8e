//! Deadlines: reminders before, escalation to the IOC after — each exactly once, even with two workers.

use serde_json::{json, Value};

use crate::common::{Backend, TestApp};

const DA_LAT: (f64, f64) = (11.9033, 108.443);

/// The app's own deadline worker waits an hour here, so the test's two "workers" are the only ones.
async fn app_on(backend: Backend) -> Option<TestApp> {
    TestApp::spawn_with(backend, &[("CDS_DEADLINE_CHECK_SECS", "3600")]).await
}

/// An accepted report of a Đà Lạt ward, its ward official, an IOC official of Lâm Đồng, and its reporter.
async fn accepted_report(app: &TestApp) -> (Value, String, String, String) {
    let admin = app.admin_token().await;
    let citizen = app.register_phone("0912345678").await["access_token"].as_str().unwrap().to_string();
    let body = json!({"category": "waste", "description": "Rác chưa được thu gom.", "position": {"lat": DA_LAT.0, "lon": DA_LAT.1}});
    let report = app.file_report(&citizen, &body).await;
    let ward =
        app.official_of(&admin, report["organization_id"].as_str().unwrap(), "phuong@dalat.gov.vn", "en").await.0;
    let ioc = app.create_ioc(&admin, "68").await;
    let ioc_official = app.official_of(&admin, ioc["id"].as_str().unwrap(), "ioc@lamdong.gov.vn", "vi").await.0;
    let accepted = app
        .post_json_as(
            &ward,
            &format!("/api/v1/admin/reports/{}/actions", report["id"].as_str().unwrap()),
            &json!({"action": "accept"}),
        )
        .await;
    assert_eq!(accepted.status(), 200);
    (report, ward, ioc_official, citizen)
}

async fn set_due_in(app: &TestApp, minutes: i64) {
    app.database()
        .run(move |conn| {
            use congdanso::db::schema::reports;
            use diesel::prelude::*;
            diesel::update(reports::table)
                .set(reports::due_at.eq(chrono::Utc::now().naive_utc() + chrono::Duration::minutes(minutes)))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
}

/// The mails written to the outbox (the test's workers run outside the app, so the app's mail worker
/// is not woken for them; delivery itself is tested with the accounts).
async fn outbox(app: &TestApp) -> Vec<(String, String)> {
    app.database()
        .run(|conn| {
            use congdanso::db::schema::outbox;
            use diesel::prelude::*;
            Ok(outbox::table
                .order(outbox::id.asc())
                .select((outbox::recipient, outbox::body))
                .load::<(String, String)>(conn)?)
        })
        .await
        .unwrap()
}

/// Two workers at once, as two instances of the app would run them.
async fn two_workers(app: &TestApp) -> congdanso::workflow::deadlines::DeadlineRun {
    let run = |db: congdanso::db::Db| async move {
        let notifier = congdanso::notify::notifier::Notifier::new("http://app.test");
        db.run(move |conn| congdanso::workflow::deadlines::run_once(conn, &notifier, chrono::Utc::now().naive_utc()))
            .await
            .unwrap()
    };
    let (a, b) = tokio::join!(run(app.database()), run(app.database()));
    congdanso::workflow::deadlines::DeadlineRun {
        reminded: a.reminded + b.reminded,
        escalated: a.escalated + b.escalated,
        closed: a.closed + b.closed,
    }
}

async fn an_overdue_report_escalates_once_even_with_two_workers(app: TestApp) {
    let (report, ward, ioc_official, _) = accepted_report(&app).await;
    set_due_in(&app, -60).await;
    let run = two_workers(&app).await;
    assert_eq!(run.escalated, 1);
    assert_eq!(two_workers(&app).await.escalated, 0, "never twice");

    let id = report["id"].as_str().unwrap();
    let seen: Value = app.get_as(&ioc_official, &format!("/api/v1/admin/reports/{id}")).await.json().await.unwrap();
    assert!(seen["escalated_at"].is_string());
    assert_eq!(seen["timeline"].as_array().unwrap().iter().filter(|e| e["kind"] == "escalated").count(), 1);
    let overdue: Value = app.get_as(&ward, "/api/v1/admin/reports?overdue=true").await.json().await.unwrap();
    assert_eq!(overdue["items"][0]["id"], id);

    let mails = outbox(&app).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].0, "ioc@lamdong.gov.vn");
    assert!(
        mails[0].1.contains(id) && mails[0].1.contains("quá hạn"),
        "in the IOC official's language: {}",
        mails[0].1
    );
    assert_eq!(latest_notification(&app, &ioc_official).await["kind"], "escalated");
}

async fn latest_notification(app: &TestApp, token: &str) -> Value {
    let page: Value = app.get_as(token, "/api/v1/me/notifications").await.json().await.unwrap();
    page["items"][0].clone()
}

async fn a_report_nearly_due_reminds_its_office_once(app: TestApp) {
    let (report, ward, _, _) = accepted_report(&app).await;
    set_due_in(&app, 60).await;
    let run = two_workers(&app).await;
    assert_eq!((run.reminded, run.escalated), (1, 0));
    assert_eq!(two_workers(&app).await.reminded, 0);
    let mails = outbox(&app).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].0, "phuong@dalat.gov.vn");
    assert!(
        mails[0].1.contains("is due in about 1 hours") && mails[0].1.contains(report["id"].as_str().unwrap()),
        "{}",
        mails[0].1
    );
    assert_eq!(latest_notification(&app, &ward).await["kind"], "deadline_reminder");
}

async fn a_resolved_report_closes_after_the_reopening_period(app: TestApp) {
    let (report, ward, _, citizen) = accepted_report(&app).await;
    let actions = format!("/api/v1/admin/reports/{}/actions", report["id"].as_str().unwrap());
    app.post_json_as(&ward, &actions, &json!({"action": "start"})).await;
    app.post_json_as(&ward, &actions, &json!({"action": "resolve", "note": "Đã thu gom."})).await;
    assert_eq!(two_workers(&app).await.closed, 0, "still within the 7 days");
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
    assert_eq!(two_workers(&app).await.closed, 1);
    let seen = app.get_json(&format!("/api/v1/reports/{}", report["id"].as_str().unwrap())).await;
    assert_eq!(seen["status"], "closed");
    assert_eq!(seen["timeline"].as_array().unwrap().last().unwrap()["kind"], "closed");
    assert_eq!(latest_notification(&app, &citizen).await["kind"], "closed");
}

macro_rules! with_deadline_app {
    ($($test:ident),*) => {$(
        mod $test {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$test(super::app_on(crate::common::Backend::Sqlite).await.unwrap()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = super::app_on(crate::common::Backend::Postgres).await {
                    super::$test(app).await;
                }
            }
        }
    )*};
}

with_deadline_app!(
    an_overdue_report_escalates_once_even_with_two_workers,
    a_report_nearly_due_reminds_its_office_once,
    a_resolved_report_closes_after_the_reopening_period
);
