//! Deadlines: a reminder to the handling office shortly before a report is due, escalation to the
//! province IOC once it is missed, and the closing of resolved reports after the reopening period. Each
//! happens exactly once per report however many instances run the worker: workers take different
//! reports (`FOR UPDATE SKIP LOCKED` on PostgreSQL), and a report is claimed by a conditional update
//! (of `reminded_at`, `escalated_at`, or its status) that only one of them can win.

use std::sync::Arc;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use tokio::sync::Notify;

use crate::db::schema::{admin_units, organizations, reports};
use crate::db::{self, Db, DbConnection};
use crate::error::AppError;
use crate::load_skip_locked;
use crate::notify::notifier::{officials, Notifier};
use crate::notify::templates;
use crate::reports::events::{record_event, NewEvent};
use crate::reports::lifecycle::{self, Step, Transition};
use crate::reports::queries::find_any;
use crate::reports::row::ReportRow;
use crate::reports::ReportStatus;
use crate::values::{EventKind, OrganizationId, ReportId};

/// How long before its deadline the handling office is reminded.
pub const REMIND_BEFORE_HOURS: i64 = 2;
const BATCH: i64 = 100;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeadlineRun {
    pub reminded: usize,
    pub escalated: usize,
    /// Resolved reports closed because their reporter neither rated nor reopened them in time.
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
                .filter(reports::status.eq_any(ReportStatus::open_names()))
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
                .filter(reports::due_at.ge(now))
                .filter(reports::due_at.lt(now + Duration::hours(REMIND_BEFORE_HOURS)))
                .filter(reports::status.eq_any(ReportStatus::open_names()))
                .filter(reports::reminded_at.is_null())
                .limit(BATCH),
            ReportRow
        )?;
        let mut reminded = 0;
        for report in nearly_due {
            let claimed = diesel::update(reports::table.find(&report.id).filter(reports::reminded_at.is_null()))
                .set(reports::reminded_at.eq(now))
                .execute(conn)?;
            if claimed == 0 {
                continue;
            }
            let hours_left = report.due_at.map_or(0, |due| (due - now).num_hours().max(1));
            let office = officials(conn, report.organization_id.as_slice())?;
            notifier.send(conn, &office, now, |locale| {
                let text = templates::deadline_reminder(locale, &report.id, hours_left);
                notifier.about_report("deadline_reminder", &report.id, text, true)
            })?;
            reminded += 1;
        }
        Ok(reminded)
    })?;

    // A resolved report the reporter neither rated nor reopened within the reopening period closes.
    let closed = db::transaction(conn, |conn| -> Result<usize, AppError> {
        let settled = load_skip_locked!(
            &mut *conn,
            reports::table
                .filter(reports::status.eq(ReportStatus::Resolved.as_str()))
                .filter(reports::resolved_at.lt(now - Duration::days(crate::reports::REOPEN_DAYS)))
                .select(reports::id)
                .limit(BATCH),
            ReportId
        )?;
        let mut closed = 0;
        for id in settled {
            let report = find_any(conn, &id)?;
            match lifecycle::apply(conn, notifier, &report, Step::new(Transition::AutoClose, None, now)) {
                Ok(_) => closed += 1,
                // Rated or reopened since it was read: nothing to close.
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
    let event =
        NewEvent { note: Some(&note), is_public: false, ..NewEvent::public(&report.id, EventKind::Escalated, now) };
    record_event(conn, notifier, event)?;
    let province: Option<String> =
        admin_units::table.find(&report.unit_code).select(admin_units::parent_code).first::<Option<String>>(conn)?;
    let iocs: Vec<OrganizationId> = organizations::table
        .filter(organizations::kind.eq("ioc"))
        .filter(organizations::province_code.eq(province.unwrap_or_default()))
        .select(organizations::id)
        .load(conn)?;
    let iocs = officials(conn, &iocs)?;
    notifier.send(conn, &iocs, now, |locale| {
        let text = templates::escalation(locale, &report.id, &office);
        notifier.about_report(EventKind::Escalated.as_str(), &report.id, text, true)
    })
}

/// Checks deadlines every `every`, waking the outbox worker when it wrote mail.
pub fn spawn(db: Db, notifier: Arc<Notifier>, every: std::time::Duration, outbox_wake: Arc<Notify>) {
    tokio::spawn(async move {
        loop {
            let notifier = Arc::clone(&notifier);
            match db.run(move |conn| run_once(conn, &notifier, chrono::Utc::now().naive_utc())).await {
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
            tokio::time::sleep(every).await;
        }
    });
}
