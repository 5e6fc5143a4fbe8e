//! `/api/v1/me/devices`: the installations of the app that push notifications go to.

use actix_web::{web, HttpResponse};
use chrono::Utc;

use crate::api::extractors::CurrentUser;
use crate::api::state::AppState;
use crate::error::{AppError, FieldErrors};
use crate::http::{Json, Path};
use crate::notify::devices::{self, Device, DeviceRequest, InstallationId};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/me/devices").route(web::get().to(list))).service(
        web::resource("/me/devices/{installation_id}").route(web::put().to(register)).route(web::delete().to(remove)),
    );
}

/// Register the app's installation and its push token, after each log-in and whenever the token
/// changes. Idempotent. An installation another account had moves to the caller (a shared phone), and a
/// token leaves any other installation that held it.
#[utoipa::path(put, path = "/api/v1/me/devices/{installation_id}", tag = "me", operation_id = "registerDevice",
    security(("bearer" = [])), request_body = DeviceRequest,
    params(("installation_id" = String, Path, description = "The app's id for its installation: 8 to 128 letters, digits, `-` or `_`")),
    responses(
        (status = 200, description = "Registered", body = Device),
        (status = 400, description = "`malformed_json`"),
        (status = 422, description = "`validation_failed`: `installation_id`, `platform` (android or ios), `push_token`, `app_version` (at most 32 characters), `locale` (vi or en)"),
    ))]
pub async fn register(
    current: CurrentUser,
    state: web::Data<AppState>,
    installation_id: Path<String>,
    body: Json<DeviceRequest>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::default();
    let installation = errors.check(InstallationId::parse(&installation_id));
    let device = errors.check(body.0.parse());
    errors.finish()?;
    let (installation, device) = (installation.expect("checked"), device.expect("checked"));
    let user_id = current.user.id.clone();
    let now = Utc::now().naive_utc();
    let device = state.db.run(move |conn| devices::register(conn, &user_id, &installation, &device, now)).await?;
    Ok(HttpResponse::Ok().json(device))
}

/// Remove an installation (on log-out): no more pushes go to it.
#[utoipa::path(delete, path = "/api/v1/me/devices/{installation_id}", tag = "me", operation_id = "removeDevice",
    security(("bearer" = [])),
    params(("installation_id" = String, Path, description = "The app's id for its installation")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "`device_not_found`, also for another account's"),
    ))]
pub async fn remove(
    current: CurrentUser,
    state: web::Data<AppState>,
    installation_id: Path<String>,
) -> Result<HttpResponse, AppError> {
    let installation = InstallationId::parse(&installation_id).map_err(|_| AppError::DeviceNotFound)?;
    let user_id = current.user.id.clone();
    state.db.run(move |conn| devices::remove(conn, &user_id, &installation)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's installations, most recently registered first.
#[utoipa::path(get, path = "/api/v1/me/devices", tag = "me", operation_id = "myDevices", security(("bearer" = [])),
    responses(
        (status = 200, description = "The installations", body = Vec<Device>),
    ))]
pub async fn list(current: CurrentUser, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let user_id = current.user.id.clone();
    let devices = state.db.run(move |conn| devices::of_user(conn, &user_id)).await?;
    Ok(HttpResponse::Ok().json(devices))
}
