//! `/api/v1/me` (a person's own account) and `/api/v1/admin/users` (administrators).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::admin::{
    create_user, list_users, update_user, CreateUserRequest, ListUsersQuery, UpdateUserRequest,
};
use crate::accounts::me::{self, PersonalData, UpdateMeRequest};
use crate::accounts::User;
use crate::api::extractors::{AdminOnly, AdminUser, CurrentUser};
use crate::api::state::AppState;
use crate::auth::password::Verification;
use crate::error::{AppError, FieldIssue};
use crate::http::{Json, Page, Path, Query};
use crate::organizations::{memberships, Organization};
use crate::values::UserId;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/me")
            .route(web::get().to(get_me))
            .route(web::patch().to(update_me))
            .route(web::delete().to(delete_me)),
    )
    .service(web::resource("/me/export").route(web::get().to(export_me)))
    .service(
        web::resource("/admin/users").route(web::post().to(admin_create_user)).route(web::get().to(admin_list_users)),
    )
    .service(web::resource("/admin/users/{id}").route(web::patch().to(admin_update_user)));
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/v1/me", tag = "me", operation_id = "getMe", security(("bearer" = [])),
    responses(
        (status = 200, description = "The account", body = User),
        (status = 403, description = "`account_disabled`"),
    ))]
pub async fn get_me(current: CurrentUser) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(User::try_from(&current.user)?))
}

/// Change name, language or email (a new email is verified again).
#[utoipa::path(patch, path = "/api/v1/me", tag = "me", operation_id = "updateMe", security(("bearer" = [])), request_body = UpdateMeRequest,
    responses(
        (status = 200, description = "The updated account", body = User),
        (status = 409, description = "`account_exists`: the new email belongs to another account"),
        (status = 422, description = "`validation_failed`"),
    ))]
pub async fn update_me(
    current: CurrentUser,
    state: web::Data<AppState>,
    body: Json<UpdateMeRequest>,
) -> Result<HttpResponse, AppError> {
    let change = body.0.parse()?;
    let app = state.clone();
    let user = state.db.run(move |conn| me::update_profile(conn, &current.user.id, &change, &app.secrets)).await?;
    state.outbox_wake.notify_one();
    Ok(HttpResponse::Ok().json(User::try_from(&user)?))
}

/// Everything the service holds about the signed-in person, as JSON.
#[utoipa::path(get, path = "/api/v1/me/export", tag = "me", operation_id = "exportMe", security(("bearer" = [])),
    responses(
        (status = 200, description = "All personal data held", body = PersonalData),
    ))]
pub async fn export_me(current: CurrentUser, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let data = state.db.run(move |conn| me::export(conn, &current.user.id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Content-Disposition", "attachment; filename=\"congdanso-personal-data.json\""))
        .json(data))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteMeRequest {
    /// The current password, to confirm.
    pub password: String,
}

/// Delete the account: personal data is erased, every session ends; reports stay, anonymized.
#[utoipa::path(delete, path = "/api/v1/me", tag = "me", operation_id = "deleteMe", security(("bearer" = [])), request_body = DeleteMeRequest,
    responses(
        (status = 204, description = "Deleted"),
        (status = 422, description = "`validation_failed`: the password is wrong"),
    ))]
pub async fn delete_me(
    current: CurrentUser,
    state: web::Data<AppState>,
    body: Json<DeleteMeRequest>,
) -> Result<HttpResponse, AppError> {
    let verification = state.passwords.verify(body.0.password, Some(current.user.password_hash.clone())).await?;
    if verification == Verification::Wrong {
        return Err(AppError::invalid("password", FieldIssue::WrongPassword));
    }
    state.db.run(move |conn| me::erase(conn, &current.user.id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A new account, with its generated password when none was given (shown only here, once).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedUser {
    pub user: User,
    /// The organizations an official works for: their jurisdiction.
    pub memberships: Vec<Organization>,
    pub initial_password: Option<String>,
}

/// An account as an administrator changed it, with the organizations an official works for.
#[derive(Debug, Serialize, ToSchema)]
pub struct ManagedUser {
    #[serde(flatten)]
    pub user: User,
    /// The organizations an official works for: their jurisdiction.
    pub memberships: Vec<Organization>,
}

/// Create an official, volunteer, administrator or citizen account. An official of a commune joins that
/// commune's office (created if needed) unless `organization_id` names another organization.
#[utoipa::path(post, path = "/api/v1/admin/users", tag = "admin", operation_id = "adminCreateUser", security(("bearer" = [])), request_body = CreateUserRequest,
    responses(
        (status = 201, description = "Created", body = CreatedUser),
        (status = 403, description = "`forbidden`: not an administrator"),
        (status = 409, description = "`account_exists`"),
        (status = 422, description = "`validation_failed`"),
    ))]
pub async fn admin_create_user(
    _admin: AdminUser,
    state: web::Data<AppState>,
    body: Json<CreateUserRequest>,
) -> Result<HttpResponse, AppError> {
    let new = body.0.parse()?;
    let password_hash = state.passwords.hash(&new.password).await?;
    let initial_password = new.generated_password.then(|| new.password.expose().to_string());
    let (user, memberships) = state
        .db
        .run(move |conn| {
            let user = create_user(conn, &new, password_hash)?;
            Ok((user.clone(), memberships(conn, &user.id)?))
        })
        .await?;
    Ok(HttpResponse::Created().json(CreatedUser { user: User::try_from(&user)?, memberships, initial_password }))
}

/// Find accounts, newest first.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", operation_id = "adminListUsers", security(("bearer" = [])), params(ListUsersQuery),
    responses(
        (status = 200, description = "A page of accounts", body = Page<User>),
        AdminOnly,
        (status = 422, description = "`validation_failed`"),
    ))]
pub async fn admin_list_users(
    _admin: AdminUser,
    state: web::Data<AppState>,
    query: Query<ListUsersQuery>,
) -> Result<HttpResponse, AppError> {
    let filter = query.into_inner().parse()?;
    let limit = filter.limit;
    let rows = state.db.run(move |conn| list_users(conn, &filter)).await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |row| row.id.to_string(), |row| User::try_from(row))?))
}

/// Change an account's role, unit or active flag. Deactivation ends its sessions and stops its tokens at once.
#[utoipa::path(patch, path = "/api/v1/admin/users/{id}", tag = "admin", operation_id = "adminUpdateUser", security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")), request_body = UpdateUserRequest,
    responses(
        (status = 200, description = "The updated account", body = ManagedUser),
        AdminOnly,
        (status = 404, description = "`user_not_found`"),
        (status = 409, description = "`cannot_change_self`: administrators cannot demote or deactivate themselves"),
        (status = 422, description = "`validation_failed`"),
    ))]
pub async fn admin_update_user(
    admin: AdminUser,
    state: web::Data<AppState>,
    id: Path<UserId>,
    body: Json<UpdateUserRequest>,
) -> Result<HttpResponse, AppError> {
    let change = body.0.parse()?;
    let (user, memberships) = state
        .db
        .run(move |conn| {
            let user = update_user(conn, &admin.0.user.id, &id, &change)?;
            Ok((user.clone(), memberships(conn, &user.id)?))
        })
        .await?;
    Ok(HttpResponse::Ok().json(ManagedUser { user: User::try_from(&user)?, memberships }))
}
