//! `/api/v1/admin/api-keys` (administrators): third-party applications' keys for Open311.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::extractors::{AdminOnly, AdminUser};
use crate::api::state::AppState;
use crate::error::AppError;
use crate::http::{Json, Path};
use crate::open311::keys::{self, ApiKey, ApiKeyRequest, CreatedApiKey};
use crate::values::ApiKeyId;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/admin/api-keys").route(web::post().to(create)).route(web::get().to(list)))
        .service(web::resource("/admin/api-keys/{id}").route(web::delete().to(revoke)));
}

/// Create a key for a third-party application: the answer holds the key, shown this once (only its
/// SHA-256 is kept); written to the audit log.
#[utoipa::path(post, path = "/api/v1/admin/api-keys", tag = "admin", operation_id = "createApiKey", security(("bearer" = [])),
    request_body = ApiKeyRequest,
    responses(
        (status = 201, description = "The key, shown this once", body = CreatedApiKey),
        AdminOnly,
        (status = 422, description = "`validation_failed`: a bad `name` or `contact`, no province or one outside the service area, `rate_limit_per_minute` outside 1–10,000"),
    ))]
pub async fn create(
    admin: AdminUser,
    state: web::Data<AppState>,
    body: Json<ApiKeyRequest>,
) -> Result<HttpResponse, AppError> {
    let new = body.0.parse(&state.settings.service_area)?;
    let admin = admin.0.id().clone();
    let now = chrono::Utc::now().naive_utc();
    let created = state.db.run(move |conn| keys::create(conn, &admin, &new, now)).await?;
    Ok(HttpResponse::Created().json(created))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeys {
    /// Newest first, revoked ones included.
    pub items: Vec<ApiKey>,
}

/// Every application's key (never the key itself).
#[utoipa::path(get, path = "/api/v1/admin/api-keys", tag = "admin", operation_id = "listApiKeys", security(("bearer" = [])),
    responses((status = 200, description = "The keys", body = ApiKeys), AdminOnly))]
pub async fn list(_admin: AdminUser, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let items = state.db.run(keys::list).await?;
    Ok(HttpResponse::Ok().json(ApiKeys { items }))
}

/// Revoke a key: it stops working at once and stays listed with `revoked_at`; written to the audit log.
#[utoipa::path(delete, path = "/api/v1/admin/api-keys/{id}", tag = "admin", operation_id = "revokeApiKey", security(("bearer" = [])),
    params(("id" = String, Path, description = "The key's id")),
    responses(
        (status = 200, description = "The key, revoked", body = ApiKey),
        AdminOnly,
        (status = 404, description = "`api_key_not_found`"),
    ))]
pub async fn revoke(
    admin: AdminUser,
    state: web::Data<AppState>,
    id: Path<ApiKeyId>,
) -> Result<HttpResponse, AppError> {
    let (admin, id) = (admin.0.id().clone(), id.into_inner());
    let now = chrono::Utc::now().naive_utc();
    let revoked = state.db.run(move |conn| keys::revoke(conn, &admin, &id, now)).await?;
    Ok(HttpResponse::Ok().json(revoked))
}
