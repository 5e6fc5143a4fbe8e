//! Single-use tokens: email verification (24 h) and password reset (1 h) sent by mail, activation codes
//! of assisted accounts (72 h) sent by text message. Stored hashed.

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::tokens::token_hash;
use crate::db::schema::one_time_tokens;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::notify::outbox::{self, Outgoing};
use crate::notify::secrets::{MessageSecrets, SecretKind, PLACEHOLDER};
use crate::values::{MessageId, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
    /// Six digits, so they are hashed with their account's id (the same digits serve many accounts)
    /// under a key (a plain hash of one of a million codes hides nothing).
    Activate,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::ResetPassword => "reset_password",
            Purpose::Activate => "activate",
        }
    }

    fn lifetime(self) -> Duration {
        match self {
            Purpose::VerifyEmail => Duration::hours(24),
            Purpose::ResetPassword => Duration::hours(1),
            Purpose::Activate => Duration::hours(72),
        }
    }
}

/// Puts a message that carries a new secret of `purpose` for `user_id` in the outbox, inside the
/// caller's transaction. `write` gets the placeholder to put where the secret goes: the secret itself
/// is made when the message is sent (see `notify::secrets`); only its hash is kept here. `email` is
/// the address a verification confirms.
pub fn send_secret(
    conn: &mut DbConnection,
    secrets: &MessageSecrets,
    user_id: &UserId,
    purpose: Purpose,
    email: Option<&str>,
    write: impl FnOnce(&str) -> Outgoing,
) -> Result<(), AppError> {
    let message_id = MessageId::new();
    let hash = match purpose {
        Purpose::Activate => secrets.code_hash(user_id, &secrets.secret(SecretKind::Code, &message_id)),
        Purpose::VerifyEmail | Purpose::ResetPassword => token_hash(&secrets.secret(SecretKind::Token, &message_id)),
    };
    store(conn, user_id, purpose, email, hash)?;
    let kind = if purpose == Purpose::Activate { SecretKind::Code } else { SecretKind::Token };
    outbox::enqueue_with_secret(conn, &message_id, user_id, &write(PLACEHOLDER), kind, Utc::now().naive_utc())
}

fn store(
    conn: &mut DbConnection,
    user_id: &UserId,
    purpose: Purpose,
    email: Option<&str>,
    hash: String,
) -> Result<(), AppError> {
    let now = Utc::now().naive_utc();
    diesel::insert_into(one_time_tokens::table)
        .values((
            one_time_tokens::token_hash.eq(hash),
            one_time_tokens::user_id.eq(user_id),
            one_time_tokens::purpose.eq(purpose.as_str()),
            one_time_tokens::email.eq(email),
            one_time_tokens::created_at.eq(now),
            one_time_tokens::expires_at.eq(now + purpose.lifetime()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The user and email of a token still usable, or `invalid_token` when unknown, used or expired.
pub fn find_valid(
    conn: &mut DbConnection,
    token: &str,
    purpose: Purpose,
) -> Result<(UserId, Option<String>), AppError> {
    find_valid_hash(conn, token_hash(token), purpose)
}

fn find_valid_hash(
    conn: &mut DbConnection,
    hash: String,
    purpose: Purpose,
) -> Result<(UserId, Option<String>), AppError> {
    let now: NaiveDateTime = Utc::now().naive_utc();
    usable(hash, purpose, now)
        .select((one_time_tokens::user_id, one_time_tokens::email))
        .first(conn)
        .optional()?
        .ok_or(AppError::InvalidToken)
}

/// Uses up a token: returns its user and email, or `invalid_token` when unknown, used or expired.
pub fn consume(conn: &mut DbConnection, token: &str, purpose: Purpose) -> Result<(UserId, Option<String>), AppError> {
    consume_hash(conn, token_hash(token), purpose)
}

/// Uses up the activation code `code` of `user_id`, or `invalid_token`.
pub fn consume_code(
    conn: &mut DbConnection,
    secrets: &MessageSecrets,
    user_id: &UserId,
    code: &str,
) -> Result<(), AppError> {
    consume_hash(conn, secrets.code_hash(user_id, code), Purpose::Activate).map(drop)
}

fn consume_hash(conn: &mut DbConnection, hash: String, purpose: Purpose) -> Result<(UserId, Option<String>), AppError> {
    let found = find_valid_hash(conn, hash.clone(), purpose)?;
    let now: NaiveDateTime = Utc::now().naive_utc();
    // Two requests with one token: only the one that flips `used_at` goes on.
    let claimed = diesel::update(usable(hash, purpose, now)).set(one_time_tokens::used_at.eq(now)).execute(conn)?;
    if claimed == 0 {
        return Err(AppError::InvalidToken);
    }
    Ok(found)
}

fn usable(hash: String, purpose: Purpose, now: NaiveDateTime) -> UsableTokens {
    one_time_tokens::table
        .filter(one_time_tokens::token_hash.eq(hash))
        .filter(one_time_tokens::purpose.eq(purpose.as_str()))
        .filter(one_time_tokens::used_at.is_null())
        .filter(one_time_tokens::expires_at.gt(now))
}

type UsableTokens = diesel::dsl::Filter<
    diesel::dsl::Filter<
        diesel::dsl::Filter<
            diesel::dsl::Filter<one_time_tokens::table, diesel::dsl::Eq<one_time_tokens::token_hash, String>>,
            diesel::dsl::Eq<one_time_tokens::purpose, &'static str>,
        >,
        diesel::dsl::IsNull<one_time_tokens::used_at>,
    >,
    diesel::dsl::Gt<one_time_tokens::expires_at, NaiveDateTime>,
>;

/// Drops the user's unused tokens of `purpose` (a changed email makes older verification links void).
pub fn void_all(conn: &mut DbConnection, user_id: &UserId, purpose: Purpose) -> Result<(), AppError> {
    diesel::delete(
        one_time_tokens::table
            .filter(one_time_tokens::user_id.eq(user_id))
            .filter(one_time_tokens::purpose.eq(purpose.as_str()))
            .filter(one_time_tokens::used_at.is_null()),
    )
    .execute(conn)?;
    Ok(())
}
