//! What citizens do to a filed report: neighbours support it ("me too"); its reporter withdraws it,
//! adds photos, rates the handling or reopens it, each through the lifecycle.

use chrono::Utc;
use diesel::prelude::*;

use super::lifecycle::{self, Step, Transition};
use super::queries::find_visible;
use super::row::ReportRow;
use crate::db::schema::{report_supports, reports};
use crate::db::{self, DbConnection};
use crate::error::{AppError, FieldIssue};
use crate::notify::notifier::Notifier;
use crate::values::{MediaId, ReportId, UserId};

/// "Me too": counted once per person; supporting twice changes nothing. Returns the new count.
pub fn support(conn: &mut DbConnection, report_id: &ReportId, user_id: &UserId) -> Result<i32, AppError> {
    db::transaction(conn, |conn| {
        let report = find_visible(conn, report_id, Some(user_id))?;
        if &report.reporter_id == user_id {
            return Err(AppError::OwnReport);
        }
        let already = report_supports::table.find((report_id, user_id)).count().get_result::<i64>(conn)? > 0;
        if !already {
            diesel::insert_into(report_supports::table)
                .values((
                    report_supports::report_id.eq(report_id),
                    report_supports::user_id.eq(user_id),
                    report_supports::created_at.eq(Utc::now().naive_utc()),
                ))
                .execute(conn)?;
            diesel::update(reports::table.find(report_id))
                .set(reports::supporters.eq(reports::supporters + 1))
                .execute(conn)?;
        }
        Ok(reports::table.find(report_id).select(reports::supporters).first(conn)?)
    })
}

pub fn unsupport(conn: &mut DbConnection, report_id: &ReportId, user_id: &UserId) -> Result<i32, AppError> {
    db::transaction(conn, |conn| {
        find_visible(conn, report_id, Some(user_id))?;
        let removed = diesel::delete(report_supports::table.find((report_id, user_id))).execute(conn)?;
        if removed > 0 {
            diesel::update(reports::table.find(report_id))
                .set(reports::supporters.eq(reports::supporters - 1))
                .execute(conn)?;
        }
        Ok(reports::table.find(report_id).select(reports::supporters).first(conn)?)
    })
}

/// The caller's own report, if `transition` is allowed in its status. Someone else's report is "not
/// found", so it does not reveal that it exists.
fn own(
    conn: &mut DbConnection,
    report_id: &ReportId,
    user_id: &UserId,
    transition: Transition,
) -> Result<ReportRow, AppError> {
    let report = find_visible(conn, report_id, Some(user_id))?;
    if &report.reporter_id != user_id {
        return Err(AppError::ReportNotFound);
    }
    lifecycle::ensure_allowed(transition, &report)?;
    Ok(report)
}

/// Photos may be added (up to 5 in all) by the reporter while nobody has started on the report.
pub fn add_photos(
    conn: &mut DbConnection,
    notifier: &Notifier,
    report_id: &ReportId,
    user_id: &UserId,
    ids: &[MediaId],
) -> Result<(), AppError> {
    db::transaction(conn, |conn| {
        let report = own(conn, report_id, user_id, Transition::AddPhotos)?;
        let present = crate::media::count_of_report(conn, report_id)? as usize;
        if present + ids.len() > super::MAX_MEDIA {
            return Err(AppError::invalid("media_ids", FieldIssue::TooMany { max: super::MAX_MEDIA - present }));
        }
        crate::media::attach(conn, ids, user_id, report_id, None, "media_ids")?;
        let step = Step::new(Transition::AddPhotos, Some(user_id), Utc::now().naive_utc());
        lifecycle::apply(conn, notifier, &report, step).map(|_| ())
    })
}

/// The reporter takes a report back while nobody has started on it.
pub fn withdraw(
    conn: &mut DbConnection,
    notifier: &Notifier,
    report_id: &ReportId,
    user_id: &UserId,
) -> Result<(), AppError> {
    db::transaction(conn, |conn| {
        let report = own(conn, report_id, user_id, Transition::Withdraw)?;
        let step = Step::new(Transition::Withdraw, Some(user_id), Utc::now().naive_utc());
        lifecycle::apply(conn, notifier, &report, step).map(|_| ())
    })
}

/// The reporter rates how a resolved report was handled; rating closes it.
pub fn rate(
    conn: &mut DbConnection,
    notifier: &Notifier,
    report_id: &ReportId,
    user_id: &UserId,
    score: i32,
    comment: Option<&str>,
) -> Result<(), AppError> {
    db::transaction(conn, |conn| {
        let report = own(conn, report_id, user_id, Transition::Rate)?;
        let now = Utc::now().naive_utc();
        let note = format!("{score}/5{}", comment.map(|c| format!(": {c}")).unwrap_or_default());
        let mut step = Step::new(Transition::Rate, Some(user_id), now);
        step.changes.rating_score = Some(Some(score));
        step.changes.rating_comment = Some(comment);
        step.changes.rated_at = Some(Some(now));
        step.note = Some(&note);
        lifecycle::apply(conn, notifier, &report, step).map(|_| ())
    })
}

/// The reporter says a resolved report is not solved, within [`REOPEN_DAYS`](super::REOPEN_DAYS): back to `in_progress`.
pub fn reopen(
    conn: &mut DbConnection,
    notifier: &Notifier,
    report_id: &ReportId,
    user_id: &UserId,
    reason: &str,
) -> Result<(), AppError> {
    db::transaction(conn, |conn| {
        let report = own(conn, report_id, user_id, Transition::Reopen)?;
        let now = Utc::now().naive_utc();
        if report.resolved_at.is_some_and(|at| now - at > chrono::Duration::days(super::REOPEN_DAYS)) {
            return Err(AppError::ReopenPeriodOver);
        }
        let step = Step { note: Some(reason), ..Step::new(Transition::Reopen, Some(user_id), now) };
        lifecycle::apply(conn, notifier, &report, step).map(|_| ())
    })
}
