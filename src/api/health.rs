//! `/health/live` (the process answers) and `/health/ready` (it can reach its database).

use actix_web::{web, HttpResponse};
use diesel::connection::SimpleConnection;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::state::AppState;
use crate::config::DatabaseUrl;
use crate::error::AppError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/health/live").route(web::get().to(live)))
        .service(web::resource("/health/ready").route(web::get().to(ready)));
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
    /// `sqlite` or `postgres`; only on `/health/ready`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
}

/// The process is up.
#[utoipa::path(get, path = "/health/live", tag = "health", operation_id = "live",
    responses((status = 200, description = "Alive", body = Health)))]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok", database: None })
}

/// The service can take traffic: its database answers.
#[utoipa::path(get, path = "/health/ready", tag = "health", operation_id = "ready",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "`database_unavailable`"),
    ))]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    state.db.run(|conn| Ok(conn.batch_execute("SELECT 1")?)).await?;
    let database = match state.settings.database {
        DatabaseUrl::Sqlite(_) => "sqlite",
        DatabaseUrl::Postgres(_) => "postgres",
    };
    Ok(HttpResponse::Ok().json(Health { status: "ready", database: Some(database) }))
}
