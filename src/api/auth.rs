//! `/api/v1/auth/*`: sign-up, log-in, token refresh, log-out, email verification, password reset.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::accounts::register::{earlier_registration, register_citizen, RegisterRequest, RetryKey};
use crate::accounts::{login, reset};
use crate::accounts::{me, User};
use crate::api::extractors::CurrentUser;
use crate::api::extractors::{limit, DeviceIdHeader, RateLimited};
use crate::api::session_response::{token_response, TokenResponse};
use crate::api::state::AppState;
use crate::auth::limits::Action;
use crate::auth::password::{Password, Verification};
use crate::auth::tokens;
use crate::error::AppError;
use crate::http::{request_hash, IdempotencyKey, Json};
use crate::onboarding;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/auth/register").route(web::post().to(register)))
        .service(web::resource("/auth/login").route(web::post().to(log_in)))
        .service(web::resource("/auth/refresh").route(web::post().to(refresh)))
        .service(web::resource("/auth/logout").route(web::post().to(log_out)))
        .service(web::resource("/auth/logout-all").route(web::post().to(log_out_everywhere)))
        .service(web::resource("/auth/verify-email").route(web::post().to(verify_email)))
        .service(web::resource("/auth/password/forgot").route(web::post().to(forgot_password)))
        .service(web::resource("/auth/password/reset").route(web::post().to(reset_password)));
}

/// Sign up as a citizen. Send an `Idempotency-Key` (a UUID per sign-up form): a retry with the same key
/// and body (whose first answer was lost) is answered 200 with a session of the account the first one
/// made, instead of `account_exists`.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", operation_id = "register", request_body = RegisterRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "8 to 128 visible ASCII characters; a UUID per sign-up"), DeviceIdHeader),
    responses(
        (status = 201, description = "Account created and signed in; a verification mail is on its way when an email was given", body = TokenResponse),
        (status = 200, description = "A retry under the same `Idempotency-Key`: signed in to the account made the first time", body = TokenResponse),
        (status = 409, description = "`account_exists`: the phone or the email is taken (which one is not said); `idempotency_key_reused`: the key came with another body"),
        (status = 422, description = "`validation_failed`"),
        RateLimited,
    ))]
pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<RegisterRequest>,
) -> Result<HttpResponse, AppError> {
    // A sign-up counts against the phone and email it is for and, through a volunteer's QR code, against
    // that volunteer: never against the hall's one address, beyond the flood ceiling.
    let identities = [("phone", &body.0.phone), ("email", &body.0.email), ("volunteer", &body.0.onboarding_code)];
    let subjects: Vec<(&str, &str)> =
        identities.iter().filter_map(|(kind, value)| value.as_deref().map(|v| (*kind, v))).collect();
    limit(&state, &req, Action::Register, &subjects).await?;
    let retry = match IdempotencyKey::optional(&req)? {
        Some(key) => {
            // The password stays out of the fingerprint: a retry proves it against the account's hash.
            let mut fingerprint = serde_json::to_value(&body.0).map_err(|err| AppError::Internal(err.to_string()))?;
            fingerprint["password"] = serde_json::Value::Null;
            Some(Arc::new(RetryKey { key, request_hash: request_hash(&fingerprint)? }))
        }
        None => None,
    };
    let password = body.0.password.clone();
    if let Some(answer) = answer_retry(&state, retry.as_ref(), &password).await? {
        return Ok(answer);
    }
    let registration = body.0.parse()?;
    let password_hash = state.passwords.hash(&registration.password).await?;
    let app = state.clone();
    let key = retry.clone();
    let made = state
        .db
        .run(move |conn| {
            let code = registration.onboarding_code.clone();
            register_citizen(conn, &registration, password_hash, &app.secrets, key.as_deref(), |conn, user| {
                let Some(code) = code else { return Ok(()) };
                onboarding::store::credit_at_sign_up(conn, &app.onboarding, &user.id, &code).map(|_| ())
            })
        })
        .await;
    match made {
        Ok((user, refresh_token)) => {
            state.outbox_wake.notify_one();
            Ok(HttpResponse::Created().json(token_response(&state, &user, refresh_token)?))
        }
        // A retry that raced its first request: the key names the account now.
        Err(AppError::AccountExists) if retry.is_some() => {
            answer_retry(&state, retry.as_ref(), &password).await?.ok_or(AppError::AccountExists)
        }
        Err(other) => Err(other),
    }
}

/// Answers a sign-up retried under its key with a new session of the account the first request made,
/// once the password matches; `None` when the key made no account.
async fn answer_retry(
    state: &AppState,
    retry: Option<&Arc<RetryKey>>,
    password: &str,
) -> Result<Option<HttpResponse>, AppError> {
    let Some(retry) = retry.cloned() else { return Ok(None) };
    let Some(user) = state.db.run(move |conn| earlier_registration(conn, &retry)).await? else { return Ok(None) };
    match state.passwords.verify(password.to_string(), Some(user.password_hash.clone())).await? {
        Verification::Correct { .. } => {
            let id = user.id.clone();
            let refresh_token = state.db.run(move |conn| tokens::start_session(conn, &id)).await?;
            Ok(Some(HttpResponse::Ok().json(token_response(state, &user, refresh_token)?)))
        }
        Verification::Wrong => Err(AppError::IdempotencyKeyReused),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// A phone number in any accepted form, or an email.
    #[schema(example = "0912345678")]
    pub login: String,
    pub password: String,
}

/// Log in with phone or email.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", operation_id = "login", request_body = LoginRequest, params(DeviceIdHeader),
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "`invalid_credentials`: the same for a wrong password and an unknown account"),
        (status = 403, description = "`account_disabled`"),
        (status = 429, description = "`too_many_attempts` (this login is locked for a while after repeated wrong passwords) or `rate_limited`; both with `Retry-After`"),
    ))]
pub async fn log_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<LoginRequest>,
) -> Result<HttpResponse, AppError> {
    limit(&state, &req, Action::Login, &[("login", &body.0.login)]).await?;
    let LoginRequest { login, password } = body.0;
    let user = login::log_in(&state.db, &state.passwords, &login, password).await?;
    let user_id = user.id.clone();
    let refresh_token = state.db.run(move |conn| tokens::start_session(conn, &user_id)).await?;
    Ok(HttpResponse::Ok().json(token_response(&state, &user, refresh_token)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Exchange a refresh token for new tokens (the old one is used up).
///
/// Presenting a refresh token a second time revokes every token of its session.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", operation_id = "refresh", request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = TokenResponse),
        (status = 401, description = "`invalid_refresh_token` (unknown, expired, revoked) or `refresh_token_reused` (the session is now revoked)"),
        (status = 403, description = "`account_disabled`"),
    ))]
pub async fn refresh(state: web::Data<AppState>, body: Json<RefreshRequest>) -> Result<HttpResponse, AppError> {
    let presented = body.0.refresh_token;
    let (user, refresh_token) = state.db.run(move |conn| login::continue_session(conn, &presented)).await?;
    Ok(HttpResponse::Ok().json(token_response(&state, &user, refresh_token)?))
}

/// End this session (the one the refresh token belongs to).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", operation_id = "logout", request_body = RefreshRequest,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "`unauthenticated`, `token_expired` or `invalid_refresh_token`"),
    ))]
pub async fn log_out(
    current: CurrentUser,
    state: web::Data<AppState>,
    body: Json<RefreshRequest>,
) -> Result<HttpResponse, AppError> {
    let presented = body.0.refresh_token;
    state.db.run(move |conn| tokens::revoke_session(conn, &current.user.id, &presented)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// End every session of the account, on every device.
#[utoipa::path(post, path = "/api/v1/auth/logout-all", tag = "auth", operation_id = "logoutAll",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out everywhere"),
    ))]
pub async fn log_out_everywhere(current: CurrentUser, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    state.db.run(move |conn| tokens::revoke_all_sessions(conn, &current.user.id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// The token from the mailed link.
    pub token: String,
}

/// Confirm an email address with the token from the verification mail.
#[utoipa::path(post, path = "/api/v1/auth/verify-email", tag = "auth", operation_id = "verifyEmail", request_body = TokenRequest,
    responses(
        (status = 200, description = "Verified", body = User),
        (status = 400, description = "`invalid_token`: unknown, used, expired, or for an email the account no longer has"),
    ))]
pub async fn verify_email(state: web::Data<AppState>, body: Json<TokenRequest>) -> Result<HttpResponse, AppError> {
    let token = body.0.token;
    let user = state.db.run(move |conn| me::verify_email(conn, &token)).await?;
    Ok(HttpResponse::Ok().json(User::try_from(&user)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForgotPasswordRequest {
    /// Phone or email of the account; the reset link goes to the account's email.
    pub login: String,
}

/// Ask for a password reset link. Always 202, whether or not the account exists.
#[utoipa::path(post, path = "/api/v1/auth/password/forgot", tag = "auth", operation_id = "forgotPassword", request_body = ForgotPasswordRequest, params(DeviceIdHeader),
    responses(
        (status = 202, description = "If the account exists and has an email, a reset link is on its way"),
        (status = 429, description = "`rate_limited`"),
    ))]
pub async fn forgot_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<ForgotPasswordRequest>,
) -> Result<HttpResponse, AppError> {
    limit(&state, &req, Action::PasswordReset, &[("login", &body.0.login)]).await?;
    let login = body.0.login;
    crate::accounts::Login::check_length(&login)?;
    let app = state.clone();
    if state.db.run(move |conn| reset::request_reset(conn, &login, &app.secrets)).await? {
        state.outbox_wake.notify_one();
    }
    Ok(HttpResponse::Accepted().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordRequest {
    pub token: String,
    pub new_password: String,
}

/// Set a new password with the token from the reset mail; every session of the account ends.
#[utoipa::path(post, path = "/api/v1/auth/password/reset", tag = "auth", operation_id = "resetPassword", request_body = ResetPasswordRequest, params(DeviceIdHeader),
    responses(
        (status = 204, description = "Password changed; sign in again everywhere"),
        (status = 400, description = "`invalid_token`"),
        (status = 422, description = "`validation_failed`: the new password breaks a rule"),
        (status = 429, description = "`rate_limited`"),
    ))]
pub async fn reset_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<ResetPasswordRequest>,
) -> Result<HttpResponse, AppError> {
    limit(&state, &req, Action::PasswordReset, &[("token", &body.0.token)]).await?;
    let ResetPasswordRequest { token, new_password } = body.0;
    let lookup = token.clone();
    let user = state.db.run(move |conn| reset::account_of(conn, &lookup)).await?;
    let phone = user.phone.as_deref().and_then(|p| crate::accounts::PhoneNumber::parse(p, "phone").ok());
    let email = user.email.as_deref().and_then(|e| crate::accounts::Email::parse(e, "email").ok());
    let password = Password::parse_for_account(new_password, "new_password", phone.as_ref(), email.as_ref())?;
    let hash = state.passwords.hash(&password).await?;
    state.db.run(move |conn| reset::reset_password(conn, &token, &hash)).await?;
    Ok(HttpResponse::NoContent().finish())
}
