//! Deadlines: a reminder to the handling office once most of a step's working time has run
//! (`remind_at`), escalation to the province IOC once the step's deadline is missed, and the closing of
//! reports whose time is up (`closes_at`): resolved ones after the reopening period, and those whose
//! reporter did not answer the office's question, rejected for want of information. The times are set
//! in working time when each step begins (`reports::deadlines`); this worker only compares them with
//! `now`. Each happens exactly once per report however many instances run the worker: workers take
//! different reports (`FOR UPDATE SKIP LOCKED` on PostgreSQL), and a report is claimed by a conditional
//! update (clearing `remind_at`, setting `escalated_at`, or of its status) that only one of them can win.

use std::sync::Arc;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use tokio::sync::Notify;

use crate::calendar::clock::Clock;
use crate::db::schema::{organizations, reports};
use crate::db::{self, Db, DbConnection};
use crate::error::AppError;
use crate::load_skip_locked;
use crate::notify::notifier::{ioc_officials_over, officials, Notifier};
use crate::notify::templates;
use crate::reports::deadlines::local_label;
use crate::reports::events::{record_event, NewEvent, Rejection};
use crate::reports::lifecycle::{self, Step, Transition};
use crate::reports::queries::find_any;
use crate::reports::row::ReportRow;
use crate::reports::ReportStatus;
use crate::values::{EventKind, RejectReason, ReportId};

const BATCH: i64 = 100;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeadlineRun {
    pub reminded: usize,
    pub escalated: usize,
    /// Resolved reports closed because their reporter neither rated nor reopened them in time, and
    /// reports rejected because their reporter did not answer the office's question in time.
    pub closed: usize,
}

/// Reminds and escalates what is due at `now`; returns how many of each this call did.
pub fn run_once(conn: &mut DbConnection, notifier: &Notifier, now: NaiveDateTime) -> Result<DeadlineRun, AppError> {
    let escalated = db::transaction(conn, |conn| -> Result<usize, AppError> {
        let overdue = load_skip_locked!(
            &mut *conn,
            reports::table
                .select(ReportRow::as_select())
                .filter(reports::due_at.lt(now))
                .filter(reports::status.eq_any(ReportStatus::running_names()))
                .filter(reports::escalated_at.is_null())
                .limit(BATCH),
            ReportRow
        )?;
        let mut escalated = 0;
        for report in overdue {
            // The claim: of two workers that both read the report, only one sets `escalated_at`.
            let claimed = diesel::update(reports::table.find(&report.id).filter(reports::escalated_at.is_null()))
                .set(reports::escalated_at.eq(now))
                .execute(conn)?;
            if claimed == 1 {
                escalate(conn, notifier, &report, now)?;
                escalated += 1;
            }
        }
        Ok(escalated)
    })?;

    let reminded = db::transaction(conn, |conn| -> Result<usize, AppError> {
        let nearly_due = load_skip_locked!(
            &mut *conn,
            reports::table
                .select(ReportRow::as_select())
                .filter(reports::remind_at.le(now))
                .filter(reports::due_at.ge(now))
                .filter(reports::status.eq_any(ReportStatus::running_names()))
                .limit(BATCH),
            ReportRow
        )?;
        let mut reminded = 0;
        for report in nearly_due {
            let claimed = diesel::update(reports::table.find(&report.id).filter(reports::remind_at.is_not_null()))
                .set(reports::remind_at.eq(None::<NaiveDateTime>))
                .execute(conn)?;
            if claimed == 0 {
                continue;
            }
            let due = report.due_at.map(local_label).unwrap_or_default();
            let office = officials(conn, report.organization_id.as_slice())?;
            notifier.send(conn, &office, now, |locale| {
                let text = templates::deadline_reminder(locale, &report.id, &due);
                notifier.about_report("deadline_reminder", &report.id, text, true)
            })?;
            reminded += 1;
        }
        Ok(reminded)
    })?;

    // A resolved report the reporter neither rated nor reopened within the reopening period closes; one
    // whose reporter never answered the office's question is rejected for want of information.
    let closed = db::transaction(conn, |conn| -> Result<usize, AppError> {
        let settled = load_skip_locked!(
            &mut *conn,
            reports::table
                .filter(
                    reports::status
                        .eq_any([ReportStatus::Resolved.as_str(), ReportStatus::WaitingForCitizen.as_str(),])
                )
                .filter(reports::closes_at.lt(now))
                .select(reports::id)
                .limit(BATCH),
            ReportId
        )?;
        let mut closed = 0;
        for id in settled {
            let report = find_any(conn, &id)?;
            let mut step = Step::new(Transition::AutoClose, None, now);
            step.changes.closes_at = Some(None);
            if report.status == ReportStatus::WaitingForCitizen.as_str() {
                step.rejection = Some(Rejection { reason: RejectReason::InsufficientInfo, duplicate_of: None });
            }
            match lifecycle::apply(conn, notifier, &report, step) {
                Ok(_) => closed += 1,
                // Rated, reopened or answered since it was read: nothing to close.
                Err(AppError::InvalidTransition(_)) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(closed)
    })?;
    Ok(DeadlineRun { reminded, escalated, closed })
}

/// The internal `escalated` event, and word to the officials of the province's IOC.
fn escalate(
    conn: &mut DbConnection,
    notifier: &Notifier,
    report: &ReportRow,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let office = match &report.organization_id {
        Some(id) => organizations::table.find(id).select(organizations::name).first::<String>(conn).optional()?,
        None => None,
    }
    .unwrap_or_default();
    let note = format!("overdue at {office}");
    let event = NewEvent { note: Some(&note), is_public: false, ..NewEvent::public(report, EventKind::Escalated, now) };
    record_event(conn, notifier, event)?;
    let iocs = ioc_officials_over(conn, &report.unit_code)?;
    notifier.send(conn, &iocs, now, |locale| {
        let text = templates::escalation(locale, &report.id, &office);
        notifier.about_report(EventKind::Escalated.as_str(), &report.id, text, true)
    })
}

/// Checks deadlines every `every` by `clock`, waking the outbox worker when it wrote mail; then deletes
/// idle rate-limit buckets.
pub fn spawn(db: Db, clock: Clock, notifier: Arc<Notifier>, every: std::time::Duration, outbox_wake: Arc<Notify>) {
    tokio::spawn(async move {
        loop {
            let notifier = Arc::clone(&notifier);
            match db.run(move |conn| run_once(conn, &notifier, clock.now())).await {
                Ok(run) if run != DeadlineRun::default() => {
                    tracing::info!(
                        reminded = run.reminded,
                        escalated = run.escalated,
                        closed = run.closed,
                        "deadlines"
                    );
                    outbox_wake.notify_one();
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "deadline check failed; will retry"),
            }
            // Rate limits are counted in real time, whatever the reports' clock says.
            let swept = db.run(|conn| crate::auth::limits::sweep(conn, chrono::Utc::now().naive_utc())).await;
            if let Err(err) = swept {
                tracing::warn!(error = %err, "sweeping rate limits failed; will retry");
            }
            tokio::time::sleep(every).await;
        }
    });
}
