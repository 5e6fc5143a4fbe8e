//! Deadlines: a reminder to the handling office shortly before a report is due, escalation to the
//! province IOC once it is missed, and the closing of resolved reports after the reopening period. Each
//! happens exactly once per report however many instances run the worker: a report is claimed by a
//! conditional update (of `reminded_at`, `escalated_at`, or its status).

use std::sync::Arc;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use tokio::sync::Notify;

use crate::accounts::parse_locale;
use crate::db::schema::{admin_units, organization_members, organizations, reports, users};
use crate::db::{self, Db, DbConnection};
use crate::error::{AppError, Locale};
use crate::notify::{outbox, templates, Mail};
use crate::reports::store::{record_event, ReportRow};
use crate::reports::ReportStatus;

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

fn open_statuses() -> [&'static str; 2] {
    [ReportStatus::Accepted.as_str(), ReportStatus::InProgress.as_str()]
}

/// E-mail addresses (with their language) of the active members of the organizations `organization_ids`.
fn members(conn: &mut DbConnection, organization_ids: Vec<String>) -> Result<Vec<(String, Locale)>, AppError> {
    let rows: Vec<(Option<String>, String)> = organization_members::table
        .inner_join(users::table.on(users::id.eq(organization_members::user_id)))
        .filter(organization_members::organization_id.eq_any(organization_ids))
        .filter(users::active.eq(true))
        .select((users::email, users::locale))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(email, locale)| Some((email?, parse_locale(&locale, "locale").unwrap_or(Locale::Vi))))
        .collect())
}

/// Reminds and escalates what is due at `now`; returns how many of each this call did.
pub fn run_once(conn: &mut DbConnection, now: NaiveDateTime, link_base: &str) -> Result<DeadlineRun, AppError> {
    let mut run = DeadlineRun::default();
    let overdue: Vec<ReportRow> = reports::table
        .select(ReportRow::as_select())
        .filter(reports::due_at.lt(now))
        .filter(reports::status.eq_any(open_statuses()))
        .filter(reports::escalated_at.is_null())
        .limit(BATCH)
        .load(conn)?;
    for report in overdue {
        let escalated = db::transaction(conn, |conn| -> Result<bool, AppError> {
            let claimed = diesel::update(reports::table.find(&report.id).filter(reports::escalated_at.is_null()))
                .set(reports::escalated_at.eq(now))
                .execute(conn)?;
            if claimed == 0 {
                return Ok(false);
            }
            let office = match &report.organization_id {
                Some(id) => {
                    organizations::table.find(id).select(organizations::name).first::<String>(conn).optional()?
                }
                None => None,
            }
            .unwrap_or_default();
            record_event(
                conn,
                &report.id,
                None,
                "escalated",
                None,
                None,
                Some(&format!("overdue at {office}")),
                false,
                now,
            )?;
            let province: Option<String> = admin_units::table
                .find(&report.unit_code)
                .select(admin_units::parent_code)
                .first::<Option<String>>(conn)?;
            let iocs: Vec<String> = organizations::table
                .filter(organizations::kind.eq("ioc"))
                .filter(organizations::province_code.eq(province.unwrap_or_default()))
                .select(organizations::id)
                .load(conn)?;
            let link = format!("{link_base}/admin/reports/{}", report.id);
            for (email, locale) in members(conn, iocs)? {
                let mail: Mail = templates::escalation(locale, &email, &report.id, &office, &link);
                outbox::enqueue(conn, &mail, now)?;
            }
            Ok(true)
        })?;
        run.escalated += usize::from(escalated);
    }

    let nearly_due: Vec<ReportRow> = reports::table
        .select(ReportRow::as_select())
        .filter(reports::due_at.ge(now))
        .filter(reports::due_at.lt(now + Duration::hours(REMIND_BEFORE_HOURS)))
        .filter(reports::status.eq_any(open_statuses()))
        .filter(reports::reminded_at.is_null())
        .limit(BATCH)
        .load(conn)?;
    for report in nearly_due {
        let reminded = db::transaction(conn, |conn| -> Result<bool, AppError> {
            let claimed = diesel::update(reports::table.find(&report.id).filter(reports::reminded_at.is_null()))
                .set(reports::reminded_at.eq(now))
                .execute(conn)?;
            if claimed == 0 {
                return Ok(false);
            }
            let hours_left = report.due_at.map_or(0, |due| (due - now).num_hours().max(1));
            let link = format!("{link_base}/admin/reports/{}", report.id);
            for (email, locale) in members(conn, report.organization_id.iter().cloned().collect())? {
                outbox::enqueue(
                    conn,
                    &templates::deadline_reminder(locale, &email, &report.id, hours_left, &link),
                    now,
                )?;
            }
            Ok(true)
        })?;
        run.reminded += usize::from(reminded);
    }

    // A resolved report the reporter neither rated nor reopened within the reopening period closes.
    let settled: Vec<String> = reports::table
        .filter(reports::status.eq(ReportStatus::Resolved.as_str()))
        .filter(reports::resolved_at.lt(now - Duration::days(crate::reports::store::REOPEN_DAYS)))
        .select(reports::id)
        .limit(BATCH)
        .load(conn)?;
    for id in settled {
        let closed = db::transaction(conn, |conn| -> Result<bool, AppError> {
            let claimed =
                diesel::update(reports::table.find(&id).filter(reports::status.eq(ReportStatus::Resolved.as_str())))
                    .set((reports::status.eq(ReportStatus::Closed.as_str()), reports::updated_at.eq(now)))
                    .execute(conn)?;
            if claimed == 1 {
                record_event(
                    conn,
                    &id,
                    None,
                    "closed",
                    Some(ReportStatus::Resolved),
                    Some(ReportStatus::Closed),
                    None,
                    true,
                    now,
                )?;
            }
            Ok(claimed == 1)
        })?;
        run.closed += usize::from(closed);
    }
    Ok(run)
}

/// Checks deadlines every `every`, waking the outbox worker when it wrote mail.
pub fn spawn(db: Db, link_base: String, every: std::time::Duration, outbox_wake: Arc<Notify>) {
    tokio::spawn(async move {
        loop {
            let base = link_base.clone();
            match db.run(move |conn| run_once(conn, chrono::Utc::now().naive_utc(), &base)).await {
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
