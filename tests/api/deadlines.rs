//! Deadlines: reminders before, escalation to the IOC after — each exactly once, even with two workers.
//!
//! The test's workers run outside the app, so the app's mail worker is not woken for their mails: the
//! tests read them from the outbox (delivery itself is tested with the accounts).

use serde_json::json;

use crate::common::{report_at, Citizen, Official, Report, TestApp, DA_LAT};
use crate::on_both_databases;

// The app's own deadline worker waits an hour here, so the test's two "workers" are the only ones.
on_both_databases!(with [("CDS_DEADLINE_CHECK_SECS", "3600")] =>
    an_overdue_report_escalates_once_even_with_two_workers,
    a_report_nearly_due_reminds_its_office_once,
    a_resolved_report_closes_after_the_reopening_period,
);

/// An accepted report of a Đà Lạt ward, its ward official, an IOC official of Lâm Đồng, and its reporter.
async fn accepted_report(app: &TestApp) -> (Report, Official, Official, Citizen) {
    let admin = app.admin_token().await;
    let citizen = app.citizen("0912345678").await;
    let report = app
        .file_report(
            &citizen,
            &report_at(DA_LAT, json!({"category": "waste", "description": "Rác chưa được thu gom."})),
        )
        .await;
    let ward = app.official_of(&admin, &report.organization_id, "phuong@dalat.gov.vn", "en").await;
    let ioc_official = app.ioc_official(&admin, "68", "ioc@lamdong.gov.vn").await;
    app.acted(&ward, &report.id, json!({"action": "accept"})).await;
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

    let id = report.id.as_str();
    let seen: serde_json::Value = app.get_json_as(&ioc_official.token, &format!("/api/v1/admin/reports/{id}")).await;
    assert!(seen["escalated_at"].is_string());
    assert_eq!(seen["timeline"].as_array().unwrap().iter().filter(|e| e["kind"] == "escalated").count(), 1);
    assert_eq!(app.inbox(&ward.token, "?overdue=true").await.items[0].id, id);

    let mails = app.outbox().await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].recipient, "ioc@lamdong.gov.vn");
    assert!(
        mails[0].body.contains(id) && mails[0].body.contains("quá hạn"),
        "in the IOC official's language: {}",
        mails[0].body
    );
    assert_eq!(app.notifications(&ioc_official.token, "").await.items[0].kind, "escalated");
}

async fn a_report_nearly_due_reminds_its_office_once(app: TestApp) {
    let (report, ward, _, _) = accepted_report(&app).await;
    set_due_in(&app, 60).await;
    let run = two_workers(&app).await;
    assert_eq!((run.reminded, run.escalated), (1, 0));
    assert_eq!(two_workers(&app).await.reminded, 0);
    let mails = app.outbox().await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].recipient, "phuong@dalat.gov.vn");
    assert!(
        mails[0].body.contains("is due in about 1 hours") && mails[0].body.contains(&report.id),
        "{}",
        mails[0].body
    );
    assert_eq!(app.notifications(&ward.token, "").await.items[0].kind, "deadline_reminder");
}

async fn a_resolved_report_closes_after_the_reopening_period(app: TestApp) {
    let (report, ward, _, citizen) = accepted_report(&app).await;
    app.acted(&ward, &report.id, json!({"action": "start"})).await;
    app.acted(&ward, &report.id, json!({"action": "resolve", "note": "Đã thu gom."})).await;
    assert_eq!(two_workers(&app).await.closed, 0, "still within the 7 days");
    app.resolved_days_ago(8).await;
    assert_eq!(two_workers(&app).await.closed, 1);
    let seen: Report = serde_json::from_value(app.get_json(&format!("/api/v1/reports/{}", report.id)).await).unwrap();
    assert_eq!(seen.status, "closed");
    assert_eq!(seen.kinds().last(), Some(&"closed"));
    assert_eq!(app.notifications(&citizen.token, "").await.items[0].kind, "closed");
}
