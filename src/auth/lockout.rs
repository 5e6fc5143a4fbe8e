//! Lock-out after repeated wrong passwords, with a growing delay. Counted per login name, so a name
//! with no account behaves exactly like one with an account (no enumeration by lock-out). Names are
//! kept as their SHA-256: whatever people type at the log-in form is not stored.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::login_attempts;
use crate::db::DbConnection;
use crate::error::AppError;

/// Wrong passwords allowed before the first lock.
const FREE_FAILURES: i32 = 5;
const FIRST_LOCK_SECS: i64 = 30;
const LONGEST_LOCK_SECS: i64 = 3600;
/// A quiet day forgives earlier failures.
const FORGET_AFTER_HOURS: i64 = 24;

/// The row a login name is counted under.
fn stored_key(login_key: &str) -> String {
    crate::auth::tokens::token_hash(login_key)
}

/// Refuses the attempt while the login name is locked.
pub fn ensure_unlocked(conn: &mut DbConnection, login_key: &str, now: NaiveDateTime) -> Result<(), AppError> {
    let locked_until: Option<Option<NaiveDateTime>> = login_attempts::table
        .find(stored_key(login_key))
        .select(login_attempts::locked_until)
        .first(conn)
        .optional()?;
    match locked_until.flatten() {
        Some(until) if until > now => {
            Err(AppError::LoginLocked { retry_after_secs: (until - now).num_seconds().max(1) as u64 })
        }
        _ => Ok(()),
    }
}

/// Counts a wrong password; from the sixth on, each locks for twice as long as the one before.
pub fn record_failure(conn: &mut DbConnection, login_key: &str, now: NaiveDateTime) -> Result<(), AppError> {
    let login_key = &stored_key(login_key);
    crate::db::transaction(conn, |conn| {
        let previous: Option<(i32, NaiveDateTime)> = login_attempts::table
            .find(login_key)
            .select((login_attempts::failures, login_attempts::last_failure_at))
            .first(conn)
            .optional()?;
        let failures = match previous {
            Some((failures, last)) if now - last < Duration::hours(FORGET_AFTER_HOURS) => failures + 1,
            _ => 1,
        };
        let locked_until = (failures >= FREE_FAILURES).then(|| {
            let doublings = (failures - FREE_FAILURES).min(20) as u32;
            now + Duration::seconds((FIRST_LOCK_SECS << doublings).min(LONGEST_LOCK_SECS))
        });
        if previous.is_some() {
            diesel::update(login_attempts::table.find(login_key))
                .set((
                    login_attempts::failures.eq(failures),
                    login_attempts::locked_until.eq(locked_until),
                    login_attempts::last_failure_at.eq(now),
                ))
                .execute(conn)?;
        } else {
            diesel::insert_into(login_attempts::table)
                .values((
                    login_attempts::login_key.eq(login_key),
                    login_attempts::failures.eq(failures),
                    login_attempts::locked_until.eq(locked_until),
                    login_attempts::last_failure_at.eq(now),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// Forgets the failures of a login name (a correct password, a reset, an erased account).
pub fn clear_failures(conn: &mut DbConnection, login_key: &str) -> Result<(), AppError> {
    diesel::delete(login_attempts::table.find(stored_key(login_key))).execute(conn)?;
    Ok(())
}
