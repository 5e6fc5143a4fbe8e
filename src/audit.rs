//! The audit log: who looked at or changed what, when, and why. Written in the transaction of the look or
//! change it records, so neither happens without the other.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::audit_log;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::values::UserId;

/// One line of the audit log.
pub struct Entry<'a> {
    pub actor: &'a UserId,
    /// What was done, e.g. `reveal_reporter`, `calendar_override`.
    pub action: &'a str,
    /// What it was done to: a kind (`report`, `calendar_day`, …) and an id.
    pub subject: (&'a str, &'a str),
    pub reason: Option<&'a str>,
    pub at: NaiveDateTime,
}

pub fn record(conn: &mut DbConnection, entry: Entry) -> Result<(), AppError> {
    let (subject_type, subject_id) = entry.subject;
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::id.eq(uuid::Uuid::now_v7().to_string()),
            audit_log::actor_id.eq(entry.actor),
            audit_log::action.eq(entry.action),
            audit_log::subject_type.eq(subject_type),
            audit_log::subject_id.eq(subject_id),
            audit_log::created_at.eq(entry.at),
            audit_log::reason.eq(entry.reason),
        ))
        .execute(conn)?;
    Ok(())
}
