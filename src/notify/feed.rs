//! The in-app list of a person's notifications, newest first, with read marks.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::schema::notifications;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::values::{NotificationId, ReportId, UserId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notifications)]
pub struct NotificationRow {
    pub id: NotificationId,
    pub kind: String,
    pub report_id: Option<ReportId>,
    pub title: String,
    pub body: String,
    pub link: String,
    pub created_at: NaiveDateTime,
    pub read_at: Option<NaiveDateTime>,
}

/// One notification, in the language its recipient had when it was written.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Notification {
    #[schema(value_type = String, format = Uuid)]
    pub id: NotificationId,
    /// What happened: a report event (`accepted`, `started`, `resolved`, `rejected`, `transferred`,
    /// `comment`, `closed`, `reopened`, `withdrawn`, `photos_added`, `rated`), or for officials
    /// `urgent_report`, `deadline_reminder`, `escalated`.
    pub kind: String,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub report_id: Option<ReportId>,
    pub title: String,
    pub body: String,
    /// Where the app opens it (`CDS_APP_LINK_BASE/…`).
    pub link: String,
    pub created_at: DateTime<Utc>,
    /// Null while unread.
    pub read_at: Option<DateTime<Utc>>,
}

impl From<&NotificationRow> for Notification {
    fn from(row: &NotificationRow) -> Self {
        Notification {
            id: row.id.clone(),
            kind: row.kind.clone(),
            report_id: row.report_id.clone(),
            title: row.title.clone(),
            body: row.body.clone(),
            link: row.link.clone(),
            created_at: row.created_at.and_utc(),
            read_at: row.read_at.map(|t| t.and_utc()),
        }
    }
}

/// `limit + 1` of the user's notifications after `cursor` (newest first), only unread ones if asked.
pub fn list(
    conn: &mut DbConnection,
    user_id: &UserId,
    unread_only: bool,
    cursor: Option<&str>,
    limit: i64,
) -> Result<Vec<NotificationRow>, AppError> {
    let mut query = notifications::table
        .filter(notifications::user_id.eq(user_id))
        .select(NotificationRow::as_select())
        .order(notifications::id.desc())
        .limit(limit + 1)
        .into_boxed();
    if unread_only {
        query = query.filter(notifications::read_at.is_null());
    }
    if let Some(cursor) = cursor {
        query = query.filter(notifications::id.lt(cursor.to_string()));
    }
    Ok(query.load(conn)?)
}

pub fn unread_count(conn: &mut DbConnection, user_id: &UserId) -> Result<i64, AppError> {
    Ok(notifications::table
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)?)
}

/// Marks one of the user's notifications read (again: the first time is kept). Someone else's is
/// "not found".
pub fn mark_read(
    conn: &mut DbConnection,
    user_id: &UserId,
    id: &NotificationId,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let mine = notifications::table.filter(notifications::id.eq(id)).filter(notifications::user_id.eq(user_id));
    if mine.count().get_result::<i64>(conn)? == 0 {
        return Err(AppError::NotificationNotFound);
    }
    diesel::update(mine.filter(notifications::read_at.is_null())).set(notifications::read_at.eq(now)).execute(conn)?;
    Ok(())
}

/// Marks every unread notification of the user read; returns how many.
pub fn mark_all_read(conn: &mut DbConnection, user_id: &UserId, now: NaiveDateTime) -> Result<usize, AppError> {
    Ok(diesel::update(
        notifications::table.filter(notifications::user_id.eq(user_id)).filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(now))
    .execute(conn)?)
}
