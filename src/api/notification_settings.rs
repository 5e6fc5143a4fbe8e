//! `/api/v1/me/notification-settings`: what the signed-in person receives by push and by mail, and
//! their quiet hours.

use actix_web::{web, HttpResponse};
use chrono::Utc;

use crate::api::extractors::CurrentUser;
use crate::api::state::AppState;
use crate::error::AppError;
use crate::http::Json;
use crate::notify::preferences::{self, NotificationSettings, SettingsChange};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/me/notification-settings").route(web::get().to(get)).route(web::patch().to(update)));
}

/// The caller's notification settings: per channel (push, email) and kind of news, and quiet hours.
/// Without any chosen, everything is on and there are no quiet hours. The in-app list always has all.
#[utoipa::path(get, path = "/api/v1/me/notification-settings", tag = "me", operation_id = "myNotificationSettings",
    security(("bearer" = [])),
    responses((status = 200, description = "The settings", body = NotificationSettings)))]
pub async fn get(current: CurrentUser, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let user_id = current.user.id.clone();
    let chosen = state.db.run(move |conn| preferences::of_user(conn, &user_id)).await?;
    Ok(HttpResponse::Ok().json(NotificationSettings::from(chosen)))
}

/// Change what the caller receives: what is left out stays as it was; `quiet_hours: null` ends quiet
/// hours. Pushes that are not urgent wait until quiet hours end (Vietnam time); urgent reports and
/// escalations to officials still come at once.
#[utoipa::path(patch, path = "/api/v1/me/notification-settings", tag = "me",
    operation_id = "updateNotificationSettings", security(("bearer" = [])), request_body = SettingsChange,
    responses(
        (status = 200, description = "The settings now", body = NotificationSettings),
        (status = 400, description = "`malformed_json`"),
        (status = 422, description = "`validation_failed`: `quiet_hours.from`, `quiet_hours.until` (HH:MM, and not the same)"),
    ))]
pub async fn update(
    current: CurrentUser,
    state: web::Data<AppState>,
    body: Json<SettingsChange>,
) -> Result<HttpResponse, AppError> {
    let user_id = current.user.id.clone();
    let change = body.0;
    let chosen = state
        .db
        .run(move |conn| {
            crate::db::transaction(conn, |conn| {
                let chosen = change.applied_to(preferences::of_user(conn, &user_id)?)?;
                preferences::save(conn, &user_id, &chosen, Utc::now().naive_utc())?;
                Ok(chosen)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(NotificationSettings::from(chosen)))
}
