//! The deadline worker: a reminder once most of a step's working time has run, escalation to the IOC once
//! it is missed, and the closing of reports whose time is up — each exactly once, even with two workers.
//!
//! The app's own worker is off here (`CDS_DEADLINE_CHECK_SECS=0`): the test runs two workers itself, at
//! the moments it chooses, and reads their mails from the outbox (delivery is tested with the accounts).

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::common::{report_at, Citizen, Official, Report, TestApp, DA_LAT};
use crate::on_both_databases;

on_both_databases!(with [("CDS_DEADLINE_CHECK_SECS", "0")] =>
    an_overdue_report_escalates_once_even_with_two_workers,
    the_office_is_reminded_once_when_most_of_the_working_time_has_run,
    a_resolved_report_closes_seven_working_days_later,
    an_unanswered_question_closes_the_report_for_want_of_information,
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
    let report = app.acted(&ward, &report.id, json!({"action": "accept"})).await;
    (report, ward, ioc_official, citizen)
}

/// Two workers at once as of `at`, as two instances of the app would run them.
async fn two_workers(app: &TestApp, at: DateTime<Utc>) -> congdanso::workflow::deadlines::DeadlineRun {
    let (a, b) = tokio::join!(app.run_deadlines_at(at), app.run_deadlines_at(at));
    congdanso::workflow::deadlines::DeadlineRun {
        reminded: a.reminded + b.reminded,
        escalated: a.escalated + b.escalated,
        closed: a.closed + b.closed,
    }
}

async fn an_overdue_report_escalates_once_even_with_two_workers(app: TestApp) {
    let (report, ward, ioc_official, _) = accepted_report(&app).await;
    let due = report.due_at.unwrap();
    assert_eq!(two_workers(&app, due - Duration::minutes(1)).await.escalated, 0, "not yet due");
    let run = two_workers(&app, due + Duration::minutes(1)).await;
    assert_eq!(run.escalated, 1);
    assert_eq!(two_workers(&app, due + Duration::minutes(2)).await.escalated, 0, "never twice");

    let id = report.id.as_str();
    let seen: serde_json::Value = app.get_json_as(&ioc_official.token, &format!("/api/v1/admin/reports/{id}")).await;
    assert!(seen["escalated_at"].is_string());
    assert_eq!(seen["timeline"].as_array().unwrap().iter().filter(|e| e["kind"] == "escalated").count(), 1);
    let later = app.at(&(due + Duration::minutes(5)).to_rfc3339()).await;
    assert_eq!(later.inbox(&ward.token, "?overdue=true").await.ids(), [id]);
    assert!(app.inbox(&ward.token, "?overdue=true").await.items.is_empty(), "not overdue yet now");

    let mails = app.outbox().await;
    let escalations: Vec<_> = mails.iter().filter(|m| m.recipient == "ioc@lamdong.gov.vn").collect();
    assert_eq!(escalations.len(), 1, "{mails:?}");
    assert!(
        escalations[0].body.contains(id) && escalations[0].body.contains("quá hạn"),
        "in the IOC official's language: {}",
        escalations[0].body
    );
    assert_eq!(app.notifications(&ioc_official.token, "").await.items[0].kind, "escalated");
}

async fn the_office_is_reminded_once_when_most_of_the_working_time_has_run(app: TestApp) {
    let (report, ward, _, _) = accepted_report(&app).await;
    let due = report.due_at.unwrap();
    assert_eq!(two_workers(&app, Utc::now()).await.reminded, 0, "just accepted");
    let run = two_workers(&app, due - Duration::minutes(1)).await;
    assert_eq!((run.reminded, run.escalated), (1, 0));
    assert_eq!(two_workers(&app, due - Duration::seconds(30)).await.reminded, 0, "never twice");
    let mails = app.outbox().await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].recipient, "phuong@dalat.gov.vn");
    // Resolution is counted in whole working days: due at the end of one, on Vietnam's clocks.
    let last_day = (due + Duration::hours(7) - Duration::seconds(1)).format("%d/%m/%Y").to_string();
    assert!(
        mails[0].body.contains(&format!("is due at 24:00 {last_day}")) && mails[0].body.contains(&report.id),
        "{}",
        mails[0].body
    );
    assert_eq!(app.notifications(&ward.token, "").await.items[0].kind, "deadline_reminder");
}

async fn a_resolved_report_closes_seven_working_days_later(app: TestApp) {
    let (report, ward, _, citizen) = accepted_report(&app).await;
    app.acted(&ward, &report.id, json!({"action": "start"})).await;
    let resolved = app.acted(&ward, &report.id, json!({"action": "resolve", "note": "Đã thu gom."})).await;
    assert_eq!(resolved.resolved_on_time, Some(true));
    let closes_at = resolved.closes_at.unwrap();
    // Seven working days take at least nine calendar days (a weekend among them).
    assert!(closes_at - resolved.resolved_at.unwrap() >= Duration::days(8), "{closes_at}");
    assert_eq!(two_workers(&app, closes_at - Duration::minutes(1)).await.closed, 0, "still within the period");
    assert_eq!(two_workers(&app, closes_at + Duration::minutes(1)).await.closed, 1);
    let seen: Report = serde_json::from_value(app.get_json(&format!("/api/v1/reports/{}", report.id)).await).unwrap();
    assert_eq!(seen.status, "closed");
    assert_eq!(seen.kinds().last(), Some(&"closed"));
    assert_eq!(app.notifications(&citizen.token, "").await.items[0].kind, "closed");
}

async fn an_unanswered_question_closes_the_report_for_want_of_information(app: TestApp) {
    let (report, ward, _, citizen) = accepted_report(&app).await;
    let asked = app.acted(&ward, &report.id, json!({"action": "ask", "note": "Điểm tập kết rác ở số nhà nào?"})).await;
    assert_eq!(asked.status, "waiting_for_citizen");
    let closes_at = asked.closes_at.unwrap();
    assert_eq!(asked.deadline.as_ref().map(|d| (d.step.as_str(), d.due_at)), Some(("answer", closes_at)));
    // Waiting, the office's own deadline neither reminds nor escalates.
    let run = two_workers(&app, report.due_at.unwrap() + Duration::minutes(1)).await;
    assert_eq!((run.reminded, run.escalated, run.closed), (0, 0, 0));
    assert_eq!(two_workers(&app, closes_at + Duration::minutes(1)).await.closed, 1);
    let seen: Report = app.get_json_as(&citizen.token, &format!("/api/v1/reports/{}", report.id)).await;
    assert_eq!(seen.status, "rejected");
    let last = seen.timeline.last().unwrap();
    assert_eq!((last.kind.as_str(), last.note.as_deref()), ("closed", Some("insufficient_info")));
    assert!(seen.kinds().contains(&"question"), "the reporter sees the question: {:?}", seen.kinds());
}
