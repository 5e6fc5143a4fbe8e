//! News of a report with more followers than [`Notifier::inline_most`]: the action leaves one job
//! (`notification_jobs`, its message already written in each language) instead of telling thousands of
//! supporters inside its own transaction; the outbox worker then tells them a page at a time. Each page
//! moves the job's cursor in the transaction that tells it, and only if nobody moved it first, so each
//! follower is told once however many instances work. Done jobs are kept as long as sent mail.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::notifier::{followers, Message, Notifier};
use crate::db::schema::notification_jobs;
use crate::db::DbConnection;
use crate::error::{AppError, Locale};
use crate::values::{ReportId, UserId};

/// Leaves `message` for the followers of `report_id` (but `except`) to the outbox worker.
pub fn enqueue(
    conn: &mut DbConnection,
    report_id: &ReportId,
    except: Option<&UserId>,
    with_supporters: bool,
    at: NaiveDateTime,
    message: impl Fn(Locale) -> Message,
) -> Result<(), AppError> {
    let written =
        |locale| serde_json::to_string(&message(locale)).map_err(|err| AppError::Internal(format!("a message: {err}")));
    diesel::insert_into(notification_jobs::table)
        .values((
            notification_jobs::id.eq(uuid::Uuid::now_v7().to_string()),
            notification_jobs::report_id.eq(report_id),
            notification_jobs::except_user.eq(except),
            notification_jobs::with_supporters.eq(with_supporters),
            notification_jobs::message_vi.eq(written(Locale::Vi)?),
            notification_jobs::message_en.eq(written(Locale::En)?),
            notification_jobs::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notification_jobs)]
struct Job {
    id: String,
    report_id: ReportId,
    except_user: Option<UserId>,
    with_supporters: bool,
    message_vi: String,
    message_en: String,
    created_at: NaiveDateTime,
    after_user: Option<String>,
}

/// Tells the next page of followers of each waiting job (the oldest first); returns how many people
/// were told. The worker calls it until it tells nobody.
pub fn tell_next_pages(conn: &mut DbConnection, notifier: &Notifier) -> Result<usize, AppError> {
    let jobs: Vec<Job> = notification_jobs::table
        .filter(notification_jobs::done_at.is_null())
        .select(Job::as_select())
        .order(notification_jobs::id.asc())
        .limit(10)
        .load(conn)?;
    let mut told = 0;
    for job in jobs {
        told += crate::db::transaction(conn, |conn| tell_page(conn, notifier, &job))?;
    }
    Ok(told)
}

/// Tells the next page: as many followers as an action may tell in its own transaction.
fn tell_page(conn: &mut DbConnection, notifier: &Notifier, job: &Job) -> Result<usize, AppError> {
    let most = notifier.inline_most.max(1);
    let (report, except, after) = (&job.report_id, job.except_user.as_ref(), job.after_user.as_deref());
    let page = followers(conn, report, except, job.with_supporters, after, most)?;
    // Take the page, unless another worker took it since the job was read: the cursor must not have moved.
    let done = (page.len() < most).then(|| chrono::Utc::now().naive_utc());
    let last = page.last().map(|r| r.user_id.to_string()).or_else(|| job.after_user.clone());
    let this = notification_jobs::table.find(&job.id).filter(notification_jobs::done_at.is_null());
    let moved = (notification_jobs::after_user.eq(&last), notification_jobs::done_at.eq(done));
    let taken = match &job.after_user {
        None => diesel::update(this.filter(notification_jobs::after_user.is_null())).set(moved).execute(conn)?,
        Some(after) => diesel::update(this.filter(notification_jobs::after_user.eq(after))).set(moved).execute(conn)?,
    };
    if taken == 0 {
        return Ok(0);
    }
    let read = |raw: &str| {
        serde_json::from_str::<Message>(raw).map_err(|err| AppError::Internal(format!("a stored message: {err}")))
    };
    let (vi, en) = (read(&job.message_vi)?, read(&job.message_en)?);
    notifier.send(conn, &page, job.created_at, |locale| match locale {
        Locale::Vi => vi.clone(),
        Locale::En => en.clone(),
    })?;
    Ok(page.len())
}

/// Deletes the jobs done before `cutoff` (kept as long as sent mail is).
pub fn purge_before(conn: &mut DbConnection, cutoff: NaiveDateTime) -> Result<usize, AppError> {
    Ok(diesel::delete(notification_jobs::table.filter(notification_jobs::done_at.lt(cutoff))).execute(conn)?)
}
