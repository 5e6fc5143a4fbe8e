//! Single-use tokens: email verification (24 h) and password reset (1 h) sent by mail, activation codes
//! of assisted accounts (72 h) sent by text message. Stored hashed.

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::tokens::{new_opaque_token, token_hash};
use crate::db::schema::one_time_tokens;
use crate::db::DbConnection;
use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
    /// Six digits, so they are hashed with their account's id: the same digits serve many accounts.
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

/// Issues a token for `user_id`; `email` is the address a verification token confirms.
pub fn issue(
    conn: &mut DbConnection,
    user_id: &str,
    purpose: Purpose,
    email: Option<&str>,
) -> Result<String, AppError> {
    let (token, _) = new_opaque_token();
    store(conn, user_id, purpose, email, &token)?;
    Ok(token)
}

/// A six-digit activation code for `user_id`; use it up with `consume(activation_key(user_id, code))`.
pub fn issue_activation_code(conn: &mut DbConnection, user_id: &str) -> Result<String, AppError> {
    let code = format!("{:06}", rand::Rng::gen_range(&mut rand::rngs::OsRng, 0..1_000_000));
    store(conn, user_id, Purpose::Activate, None, &activation_key(user_id, &code))?;
    Ok(code)
}

pub fn activation_key(user_id: &str, code: &str) -> String {
    format!("{user_id}:{}", code.trim())
}

fn store(
    conn: &mut DbConnection,
    user_id: &str,
    purpose: Purpose,
    email: Option<&str>,
    token: &str,
) -> Result<(), AppError> {
    let hash = token_hash(token);
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
) -> Result<(String, Option<String>), AppError> {
    let now: NaiveDateTime = Utc::now().naive_utc();
    usable(token, purpose, now)
        .select((one_time_tokens::user_id, one_time_tokens::email))
        .first(conn)
        .optional()?
        .ok_or(AppError::InvalidToken)
}

/// Uses up a token: returns its user and email, or `invalid_token` when unknown, used or expired.
pub fn consume(conn: &mut DbConnection, token: &str, purpose: Purpose) -> Result<(String, Option<String>), AppError> {
    let found = find_valid(conn, token, purpose)?;
    let now: NaiveDateTime = Utc::now().naive_utc();
    // Two requests with one token: only the one that flips `used_at` goes on.
    let claimed = diesel::update(usable(token, purpose, now)).set(one_time_tokens::used_at.eq(now)).execute(conn)?;
    if claimed == 0 {
        return Err(AppError::InvalidToken);
    }
    Ok(found)
}

fn usable(token: &str, purpose: Purpose, now: NaiveDateTime) -> UsableTokens {
    one_time_tokens::table
        .filter(one_time_tokens::token_hash.eq(token_hash(token)))
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
pub fn void_all(conn: &mut DbConnection, user_id: &str, purpose: Purpose) -> Result<(), AppError> {
    diesel::delete(
        one_time_tokens::table
            .filter(one_time_tokens::user_id.eq(user_id))
            .filter(one_time_tokens::purpose.eq(purpose.as_str()))
            .filter(one_time_tokens::used_at.is_null()),
    )
    .execute(conn)?;
    Ok(())
}
