//! The outbox of mail and text messages. Any number of workers, in any number of instances, may deliver from it: a row is
//! claimed by a conditional update that only one of them can win, and a claim lapses if its worker dies.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::Mail;
use crate::db::schema::outbox;
use crate::db::DbConnection;
use crate::error::AppError;

/// How long a claimed row stays with its worker before another may retry it.
const CLAIM_SECS: i64 = 120;
const CLAIM_BATCH: i64 = 20;
/// Retries stop growing at this interval; a mail is never dropped.
const LONGEST_BACKOFF_SECS: i64 = 3600;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub attempts: i32,
    /// `mail` or `sms`.
    pub channel: String,
}

pub const MAIL: &str = "mail";
pub const SMS: &str = "sms";

/// Adds a mail; call inside the transaction of the change that causes it.
pub fn enqueue(conn: &mut DbConnection, mail: &Mail, now: NaiveDateTime) -> Result<(), AppError> {
    insert(conn, MAIL, &mail.to, &mail.subject, &mail.body, now)
}

/// Adds a text message to `phone` (E.164); call inside the transaction of the change that causes it.
pub fn enqueue_sms(conn: &mut DbConnection, phone: &str, text: &str, now: NaiveDateTime) -> Result<(), AppError> {
    insert(conn, SMS, phone, "", text, now)
}

fn insert(
    conn: &mut DbConnection,
    channel: &str,
    recipient: &str,
    subject: &str,
    body: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::insert_into(outbox::table)
        .values((
            outbox::id.eq(uuid::Uuid::now_v7().to_string()),
            outbox::channel.eq(channel),
            outbox::recipient.eq(recipient),
            outbox::subject.eq(subject),
            outbox::body.eq(body),
            outbox::created_at.eq(now),
            outbox::next_attempt_at.eq(now),
            outbox::attempts.eq(0),
        ))
        .execute(conn)?;
    Ok(())
}

/// Claims up to a batch of due mails for this worker.
pub fn claim_due(conn: &mut DbConnection, now: NaiveDateTime) -> Result<Vec<OutboxRow>, AppError> {
    let due = || {
        outbox::table
            .filter(outbox::sent_at.is_null())
            .filter(outbox::next_attempt_at.le(now))
            .filter(outbox::locked_until.is_null().or(outbox::locked_until.lt(now)))
    };
    let candidates: Vec<OutboxRow> =
        due().select(OutboxRow::as_select()).order(outbox::next_attempt_at.asc()).limit(CLAIM_BATCH).load(conn)?;
    let mut claimed = Vec::with_capacity(candidates.len());
    for row in candidates {
        let won = diesel::update(due().filter(outbox::id.eq(&row.id)))
            .set(outbox::locked_until.eq(now + Duration::seconds(CLAIM_SECS)))
            .execute(conn)?;
        if won == 1 {
            claimed.push(row);
        }
    }
    Ok(claimed)
}

pub fn mark_sent(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> Result<(), AppError> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::sent_at.eq(now),
            outbox::locked_until.eq(None::<NaiveDateTime>),
            outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Schedules the next try: `first_retry`, then twice as long after each failure.
pub fn mark_failed(
    conn: &mut DbConnection,
    row: &OutboxRow,
    error: &str,
    first_retry: std::time::Duration,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let attempts = row.attempts + 1;
    let doublings = (attempts - 1).clamp(0, 20) as u32;
    let delay = (first_retry.as_secs() as i64).saturating_mul(1 << doublings).min(LONGEST_BACKOFF_SECS);
    diesel::update(outbox::table.find(&row.id))
        .set((
            outbox::attempts.eq(attempts),
            outbox::next_attempt_at.eq(now + Duration::seconds(delay)),
            outbox::locked_until.eq(None::<NaiveDateTime>),
            outbox::last_error.eq(error.chars().take(500).collect::<String>()),
        ))
        .execute(conn)?;
    Ok(())
}

/// When the next unsent mail falls due, so the worker can sleep until then.
pub fn next_due(conn: &mut DbConnection) -> Result<Option<NaiveDateTime>, AppError> {
    Ok(outbox::table
        .filter(outbox::sent_at.is_null())
        .select(diesel::dsl::min(outbox::next_attempt_at))
        .first::<Option<NaiveDateTime>>(conn)?)
}

/// Drops unsent messages to an address or phone (its owner deleted their account).
pub fn forget_recipient(conn: &mut DbConnection, recipient: &str) -> Result<(), AppError> {
    diesel::delete(outbox::table.filter(outbox::recipient.eq(recipient)).filter(outbox::sent_at.is_null()))
        .execute(conn)?;
    Ok(())
}
