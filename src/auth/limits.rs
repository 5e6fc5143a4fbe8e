//! Rate limits on the endpoints attackers hammer (sign-up, log-in, password reset, onboarding codes and
//! activation) and on each third-party application's API key.
//!
//! Limits count who or what a request is for (a login name, a phone, an email, a device, a volunteer, a
//! key), because here many people share one address: mobile carriers put many subscribers behind one
//! public address (CGNAT), and an onboarding drive signs up a whole hall on one Wi-Fi. The client
//! address is still counted, against a much higher ceiling, to stop floods. Counts live in the database
//! (`rate_limits`), in windows of a minute, so every instance of the server shares them.

use std::net::IpAddr;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Timestamp};

use crate::auth::tokens::token_hash;
use crate::db::schema::rate_limits;
use crate::db::DbConnection;
use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Register,
    Login,
    PasswordReset,
    /// Looking up onboarding codes, volunteers' assisted sign-ups and activating their accounts.
    Onboarding,
    /// Filing through Open311 with an API key.
    Open311,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Register => "register",
            Action::Login => "login",
            Action::PasswordReset => "password_reset",
            Action::Onboarding => "onboarding",
            Action::Open311 => "open311",
        }
    }
}

const WINDOW_SECS: i64 = 60;
/// Buckets idle this long are deleted by [`sweep`].
const KEEP_SECS: i64 = 3600;

/// One count to make: a bucket and its allowance a minute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    bucket: String,
    per_minute: u32,
}

/// The allowances a minute the settings give.
#[derive(Debug, Clone, Copy)]
pub struct Limiter {
    /// Per login name, phone, email, device or volunteer, for each action.
    pub per_subject: u32,
    /// Per client address, for each action: a ceiling against floods, well above what a hall of people
    /// behind one address sends.
    pub per_address: u32,
}

impl Limiter {
    pub fn address(&self, action: Action, client: IpAddr) -> Counted {
        Counted { bucket: bucket(action, "address", &client.to_string()), per_minute: self.per_address }
    }

    /// What `action` is for: `kind` (`login`, `phone`, `device`, `volunteer`, …) and its value.
    pub fn subject(&self, action: Action, kind: &str, value: &str) -> Counted {
        Counted { bucket: bucket(action, kind, value), per_minute: self.per_subject }
    }
}

impl Counted {
    /// A bucket with its own allowance (an API key's).
    pub fn with_limit(action: Action, kind: &str, value: &str, per_minute: u32) -> Counted {
        Counted { bucket: bucket(action, kind, value), per_minute }
    }
}

/// `action:kind:` and the value's SHA-256: no address, phone or name is stored.
fn bucket(action: Action, kind: &str, value: &str) -> String {
    format!("{}:{kind}:{}", action.as_str(), token_hash(value.trim()))
}

#[derive(QueryableByName)]
struct Window {
    #[diesel(sql_type = Integer)]
    hits: i32,
    #[diesel(sql_type = Timestamp)]
    window_start: NaiveDateTime,
}

/// Counts one request in each bucket; refuses it with the seconds to wait when any allowance of the
/// current minute is spent. Each count is one statement, atomic whichever instance makes it.
pub fn count(conn: &mut DbConnection, counted: &[Counted], now: NaiveDateTime) -> Result<(), AppError> {
    let expired = now - Duration::seconds(WINDOW_SECS);
    let mut wait = 0;
    for Counted { bucket, per_minute } in counted {
        let window = hit(conn, bucket, now, expired)?;
        if window.hits > i32::try_from(*per_minute).unwrap_or(i32::MAX) {
            let ends = window.window_start + Duration::seconds(WINDOW_SECS);
            wait = wait.max((ends - now).num_seconds().max(1));
        }
    }
    match wait {
        0 => Ok(()),
        secs => Err(AppError::RateLimited { retry_after_secs: secs.unsigned_abs() }),
    }
}

/// One more hit in `bucket`'s window, or the first of a new one when it has run out.
fn hit(conn: &mut DbConnection, bucket: &str, now: NaiveDateTime, expired: NaiveDateTime) -> Result<Window, AppError> {
    // SQLite numbers its parameters ?1…, PostgreSQL $1…; the statement is otherwise the same.
    let statement = |p: &str| {
        format!(
            "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ({p}1, {p}2, 1) \
             ON CONFLICT (bucket) DO UPDATE SET \
             hits = CASE WHEN rate_limits.window_start <= {p}3 THEN 1 ELSE rate_limits.hits + 1 END, \
             window_start = CASE WHEN rate_limits.window_start <= {p}3 THEN {p}2 ELSE rate_limits.window_start END \
             RETURNING hits, window_start"
        )
    };
    let window = match conn {
        DbConnection::Postgres(pg) => diesel::sql_query(statement("$"))
            .bind::<Text, _>(bucket)
            .bind::<Timestamp, _>(now)
            .bind::<Timestamp, _>(expired)
            .get_result::<Window>(pg)?,
        DbConnection::Sqlite(sqlite) => diesel::sql_query(statement("?"))
            .bind::<Text, _>(bucket)
            .bind::<Timestamp, _>(now)
            .bind::<Timestamp, _>(expired)
            .get_result::<Window>(sqlite)?,
    };
    Ok(window)
}

/// Deletes the buckets idle for an hour (the deadline worker calls it).
pub fn sweep(conn: &mut DbConnection, now: NaiveDateTime) -> Result<usize, AppError> {
    let idle = now - Duration::seconds(KEEP_SECS);
    Ok(diesel::delete(rate_limits::table.filter(rate_limits::window_start.lt(idle))).execute(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_name_their_values_only_by_a_hash() {
        let limiter = Limiter { per_subject: 3, per_address: 100 };
        let login = limiter.subject(Action::Login, "login", "0912345678");
        assert!(login.bucket.starts_with("login:login:") && !login.bucket.contains("0912345678"));
        assert_eq!(login.per_minute, 3);
        let address = limiter.address(Action::Register, "10.0.0.1".parse().unwrap());
        assert!(!address.bucket.contains("10.0.0.1") && address.per_minute == 100);
        assert_ne!(limiter.subject(Action::Register, "login", "0912345678").bucket, login.bucket);
    }
}
