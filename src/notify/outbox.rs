//! The outbox of mail, text messages and pushes. Any number of workers, in any number of instances, may deliver from it: a row is
//! claimed by a conditional update that only one of them can win, and a claim lapses if its worker dies.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::secrets::SecretKind;
use super::Mail;
use crate::db::schema::outbox;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::values::{MessageId, UserId};

/// How long a claimed row stays with its worker before another may retry it.
const CLAIM_SECS: i64 = 120;
const CLAIM_BATCH: i64 = 20;
/// Retries stop growing at this interval.
const LONGEST_BACKOFF_SECS: i64 = 3600;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: MessageId,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub attempts: i32,
    /// `mail`, `sms` or `push`.
    pub channel: String,
    /// What the body's [`PLACEHOLDER`](super::secrets::PLACEHOLDER) stands for, if anything.
    pub secret: Option<String>,
}

impl OutboxRow {
    pub fn secret_kind(&self) -> Option<SecretKind> {
        self.secret.as_deref().and_then(SecretKind::parse)
    }
}

pub const MAIL: &str = "mail";
pub const SMS: &str = "sms";
/// A push notification to one installation: the recipient is its FCM token, the body the FCM message.
pub const PUSH: &str = "push";

/// A message on its way into the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub channel: &'static str,
    pub recipient: String,
    pub subject: String,
    pub body: String,
}

impl Outgoing {
    /// A text message to `phone` (E.164).
    pub fn sms(phone: &str, text: String) -> Self {
        Outgoing { channel: SMS, recipient: phone.to_string(), subject: String::new(), body: text }
    }
}

impl From<Mail> for Outgoing {
    fn from(mail: Mail) -> Self {
        Outgoing { channel: MAIL, recipient: mail.to, subject: mail.subject, body: mail.body }
    }
}

/// Adds a mail for the account `user_id`; call inside the transaction of the change that causes it.
pub fn enqueue(conn: &mut DbConnection, user_id: &UserId, mail: Mail, now: NaiveDateTime) -> Result<(), AppError> {
    insert(conn, &MessageId::new(), user_id, &mail.into(), None, now, now)
}

/// Adds a push notification for the installation whose FCM token is `token` (`message` is the FCM
/// message for it), to leave at `due` (later than `now` in the recipient's quiet hours).
pub fn enqueue_push(
    conn: &mut DbConnection,
    user_id: &UserId,
    token: &str,
    title: &str,
    message: String,
    due: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let push = Outgoing { channel: PUSH, recipient: token.to_string(), subject: title.to_string(), body: message };
    insert(conn, &MessageId::new(), user_id, &push, None, now, due)
}

/// Adds a message whose body holds the placeholder of a secret of `kind`, derived from `id` when it
/// is sent (use [`crate::auth::one_time::send_secret`], which also keeps the secret's hash).
pub fn enqueue_with_secret(
    conn: &mut DbConnection,
    id: &MessageId,
    user_id: &UserId,
    message: &Outgoing,
    kind: SecretKind,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    insert(conn, id, user_id, message, Some(kind), now, now)
}

fn insert(
    conn: &mut DbConnection,
    id: &MessageId,
    user_id: &UserId,
    message: &Outgoing,
    secret: Option<SecretKind>,
    now: NaiveDateTime,
    due: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::insert_into(outbox::table)
        .values((
            outbox::id.eq(id),
            outbox::user_id.eq(user_id),
            outbox::channel.eq(message.channel),
            outbox::recipient.eq(&message.recipient),
            outbox::subject.eq(&message.subject),
            outbox::body.eq(&message.body),
            outbox::secret.eq(secret.map(SecretKind::as_str)),
            outbox::created_at.eq(now),
            outbox::next_attempt_at.eq(due),
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
            .filter(outbox::failed_at.is_null())
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

pub fn mark_sent(conn: &mut DbConnection, id: &MessageId, now: NaiveDateTime) -> Result<(), AppError> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::sent_at.eq(now),
            outbox::locked_until.eq(None::<NaiveDateTime>),
            outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// How the outbox retries a message that could not be sent.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// The delay after the first failure; it doubles with each further one, up to an hour.
    pub first_retry: std::time::Duration,
    /// Tries before the message is given up (an address that cannot work would be retried forever).
    pub max_attempts: u32,
}

/// Schedules the next try, or gives the message up after `policy.max_attempts` (or at once when it is not
/// `worth_retrying`: its address is gone); says which.
pub fn mark_failed(
    conn: &mut DbConnection,
    row: &OutboxRow,
    error: &str,
    policy: RetryPolicy,
    worth_retrying: bool,
    now: NaiveDateTime,
) -> Result<Failure, AppError> {
    let attempts = row.attempts + 1;
    let doublings = (attempts - 1).clamp(0, 20) as u32;
    let delay = (policy.first_retry.as_secs() as i64).saturating_mul(1 << doublings).min(LONGEST_BACKOFF_SECS);
    let given_up = !worth_retrying || attempts as u32 >= policy.max_attempts;
    diesel::update(outbox::table.find(&row.id))
        .set((
            outbox::attempts.eq(attempts),
            outbox::next_attempt_at.eq(now + Duration::seconds(delay)),
            outbox::locked_until.eq(None::<NaiveDateTime>),
            outbox::last_error.eq(error.chars().take(500).collect::<String>()),
            outbox::failed_at.eq(given_up.then_some(now)),
        ))
        .execute(conn)?;
    Ok(if given_up { Failure::GivenUp { attempts } } else { Failure::WillRetry { attempts } })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    WillRetry { attempts: i32 },
    GivenUp { attempts: i32 },
}

/// When the next unsent mail falls due, so the worker can sleep until then.
pub fn next_due(conn: &mut DbConnection) -> Result<Option<NaiveDateTime>, AppError> {
    Ok(outbox::table
        .filter(outbox::sent_at.is_null())
        .filter(outbox::failed_at.is_null())
        .select(diesel::dsl::min(outbox::next_attempt_at))
        .first::<Option<NaiveDateTime>>(conn)?)
}

/// Deletes every message of an account, sent or not, and any other to its addresses (its owner
/// erased it: Decree 13/2023).
pub fn forget_account(conn: &mut DbConnection, user_id: &UserId, addresses: &[&str]) -> Result<(), AppError> {
    diesel::delete(outbox::table.filter(outbox::user_id.eq(user_id).or(outbox::recipient.eq_any(addresses))))
        .execute(conn)?;
    Ok(())
}

/// Deletes messages sent or given up before `cutoff`: what they said is personal, and kept no longer
/// than someone may need to trace a delivery.
pub fn purge_before(conn: &mut DbConnection, cutoff: NaiveDateTime) -> Result<usize, AppError> {
    Ok(diesel::delete(outbox::table.filter(outbox::sent_at.lt(cutoff).or(outbox::failed_at.lt(cutoff))))
        .execute(conn)?)
}
