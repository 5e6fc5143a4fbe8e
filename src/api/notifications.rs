//! `GET /api/v1/me/notifications` and the read marks.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::extractors::CurrentUser;
use crate::api::state::AppState;
use crate::error::{AppError, FieldErrors};
use crate::http::{check_id_cursor, page_limit, Page, PageSize, Path, Query};
use crate::notify::feed::{self, Notification};
use crate::values::NotificationId;

/// Pages of this list: 20 items unless `limit` says otherwise, at most 100.
pub(crate) const PAGE: PageSize = PageSize { default: 20, max: 100 };

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/me/notifications").route(web::get().to(list)))
        .service(web::resource("/me/notifications/read-all").route(web::post().to(read_all)))
        .service(web::resource("/me/notifications/{id}/read").route(web::post().to(read)));
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationsQuery {
    /// Only the unread ones.
    unread: Option<bool>,
    /// 1 to 100, default 20.
    limit: Option<u32>,
    cursor: Option<String>,
}

/// A page of notifications, and how many are unread in all (for the badge).
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationPage {
    #[serde(flatten)]
    pub page: Page<Notification>,
    pub unread_count: i64,
}

/// The caller's notifications, newest first: news of the reports they filed or support (and, for
/// officials, urgent reports, reminders and escalations).
#[utoipa::path(get, path = "/api/v1/me/notifications", tag = "notifications", operation_id = "myNotifications",
    security(("bearer" = [])), params(NotificationsQuery),
    responses(
        (status = 200, description = "A page of notifications", body = NotificationPage),
        (status = 422, description = "`validation_failed`: bad `limit` or `cursor`"),
    ))]
pub async fn list(
    current: CurrentUser,
    state: web::Data<AppState>,
    query: Query<NotificationsQuery>,
) -> Result<HttpResponse, AppError> {
    let NotificationsQuery { unread, limit, cursor } = query.into_inner();
    let mut errors = FieldErrors::default();
    let limit = page_limit(limit, PAGE, &mut errors);
    check_id_cursor(cursor.as_deref(), &mut errors);
    errors.finish()?;
    let user_id = current.user.id.clone();
    let page = state
        .db
        .run(move |conn| {
            let rows = feed::list(conn, &user_id, unread.unwrap_or(false), cursor.as_deref(), limit)?;
            Ok(NotificationPage {
                page: Page::from_rows(rows, limit, |row| row.id.to_string(), |row| Ok(Notification::from(row)))?,
                unread_count: feed::unread_count(conn, &user_id)?,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Mark one notification read.
#[utoipa::path(post, path = "/api/v1/me/notifications/{id}/read", tag = "notifications", operation_id = "readNotification",
    security(("bearer" = [])), params(("id" = String, Path, description = "Notification id")),
    responses(
        (status = 204, description = "Read (also when it already was)"),
        (status = 404, description = "`notification_not_found`, also for someone else's"),
    ))]
pub async fn read(
    current: CurrentUser,
    state: web::Data<AppState>,
    id: Path<NotificationId>,
) -> Result<HttpResponse, AppError> {
    let user_id = current.user.id.clone();
    state.db.run(move |conn| feed::mark_read(conn, &user_id, &id, Utc::now().naive_utc())).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Mark all of the caller's notifications read.
#[utoipa::path(post, path = "/api/v1/me/notifications/read-all", tag = "notifications", operation_id = "readAllNotifications",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "All read"),
    ))]
pub async fn read_all(current: CurrentUser, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let user_id = current.user.id.clone();
    state.db.run(move |conn| feed::mark_all_read(conn, &user_id, Utc::now().naive_utc())).await?;
    Ok(HttpResponse::NoContent().finish())
}
