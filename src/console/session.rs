//! The console's session. Log-in answers the access token to the page (kept in memory, never in
//! storage a script of another origin or an extension could read later) and sets the refresh token in a
//! cookie that is `HttpOnly` (no script reads it), `Secure`, `SameSite=Strict` and scoped to
//! `/console/session`: no API request carries it, so the API stays bearer-only and needs no CSRF defence.
//! The three endpoints the cookie authenticates (refresh, log-out) or sets (log-in) refuse any request
//! that could come from another site: they need the console's own header (a cross-site form cannot send
//! one, and a cross-site script would need a CORS preflight nobody answers) and a same-origin
//! `Sec-Fetch-Site`/`Origin` where the browser sends them.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::{login, User, UserRow};
use crate::api::extractors::limit;
use crate::api::session_response::{token_response, TokenResponse};
use crate::api::state::AppState;
use crate::auth::limits::Action;
use crate::auth::tokens::{self, Session};
use crate::error::AppError;
use crate::http::Json;
use crate::values::Role;

const COOKIE: &str = "cds_console";
const COOKIE_PATH: &str = "/console/session";
/// The header only the console's own script sends.
pub const CONSOLE_HEADER: &str = "x-console";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/session").route(web::post().to(log_in)).route(web::delete().to(log_out)))
        .service(web::resource("/session/refresh").route(web::post().to(refresh)));
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsoleLogin {
    /// An official's or administrator's phone number or email.
    pub login: String,
    pub password: String,
}

/// What the console's page keeps in memory.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsoleSession {
    /// JWT, valid `expires_in` seconds: `Authorization: Bearer …` on `/api/v1`.
    pub access_token: String,
    pub expires_in: i64,
    pub user: User,
}

/// Refuses a request the console's own page did not make.
fn same_site_only(req: &HttpRequest) -> Result<(), AppError> {
    let headers = req.headers();
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if text(CONSOLE_HEADER) != Some("1") {
        return Err(AppError::CrossSiteRequest);
    }
    if text("sec-fetch-site").is_some_and(|site| site != "same-origin") {
        return Err(AppError::CrossSiteRequest);
    }
    let host = req.connection_info().host().to_string();
    let origin_host = |origin: &str| origin.split_once("://").map(|(_, rest)| rest.to_string());
    if text("origin").is_some_and(|origin| origin_host(origin).as_deref() != Some(host.as_str())) {
        return Err(AppError::CrossSiteRequest);
    }
    Ok(())
}

fn session_cookie(value: String, max_age_secs: i64) -> Cookie<'static> {
    Cookie::build(COOKIE, value)
        .path(COOKIE_PATH)
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Strict)
        .max_age(actix_web::cookie::time::Duration::seconds(max_age_secs))
        .finish()
}

fn staff_only(user: &UserRow) -> Result<(), AppError> {
    match user.role()? {
        Role::Official | Role::Admin => Ok(()),
        Role::Citizen | Role::Volunteer | Role::Application => Err(AppError::ConsoleStaffOnly),
    }
}

/// The tokens every log-in issues: the access token and the user to the page, the refresh token to the
/// cookie.
fn answer(state: &AppState, user: &UserRow, session: Session) -> Result<HttpResponse, AppError> {
    let TokenResponse { access_token, refresh_token, expires_in, user, .. } = token_response(state, user, session)?;
    let body = ConsoleSession { access_token, expires_in, user };
    Ok(HttpResponse::Ok()
        .cookie(session_cookie(refresh_token, tokens::REFRESH_TOKEN_SECS))
        .insert_header(("cache-control", "no-store"))
        .json(body))
}

/// Log in to the console: officials and administrators only (a citizen is told the console is not
/// for them, after the password is checked, so the answer says nothing of accounts one cannot open).
#[utoipa::path(post, path = "/console/session", tag = "console", operation_id = "consoleLogin",
    request_body = ConsoleLogin,
    params(("X-Console" = String, Header, description = "`1`: only the console's own page sends it")),
    responses(
        (status = 200, description = "Signed in; the refresh token is set in an HttpOnly cookie", body = ConsoleSession),
        (status = 401, description = "`invalid_credentials`"),
        (status = 403, description = "`console_staff_only` (a citizen's or volunteer's account), `account_disabled`, `cross_site_request`"),
        (status = 429, description = "`too_many_attempts` or `rate_limited`"),
    ))]
pub async fn log_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<ConsoleLogin>,
) -> Result<HttpResponse, AppError> {
    same_site_only(&req)?;
    limit(&state, &req, Action::Login, &[("login", &body.0.login)]).await?;
    let ConsoleLogin { login, password } = body.0;
    let user = login::log_in(&state.db, &state.passwords, &login, password).await?;
    staff_only(&user)?;
    let user_id = user.id.clone();
    let session = state.db.run(move |conn| tokens::start_session(conn, &user_id)).await?;
    answer(&state, &user, session)
}

fn presented(req: &HttpRequest) -> Result<String, AppError> {
    req.cookie(COOKIE).map(|c| c.value().to_string()).filter(|v| !v.is_empty()).ok_or(AppError::InvalidRefreshToken)
}

/// A new access token for the page (after a reload, or before the last one expires), from the cookie;
/// the cookie's refresh token is used up and replaced.
#[utoipa::path(post, path = "/console/session/refresh", tag = "console", operation_id = "consoleRefresh",
    params(("X-Console" = String, Header, description = "`1`")),
    responses(
        (status = 200, description = "A new access token; the cookie holds the next refresh token", body = ConsoleSession),
        (status = 401, description = "`invalid_refresh_token` (no cookie, or used, expired, revoked) or `refresh_token_reused`"),
        (status = 403, description = "`account_disabled`, `console_staff_only` (the account is no longer an official's), `cross_site_request`"),
    ))]
pub async fn refresh(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    same_site_only(&req)?;
    let presented = presented(&req)?;
    let (user, session) = state.db.run(move |conn| login::continue_session(conn, &presented)).await?;
    staff_only(&user)?;
    answer(&state, &user, session)
}

/// Log out: the session ends (its refresh token is revoked) and the cookie is cleared.
#[utoipa::path(delete, path = "/console/session", tag = "console", operation_id = "consoleLogout",
    params(("X-Console" = String, Header, description = "`1`")),
    responses(
        (status = 204, description = "Signed out"),
        (status = 403, description = "`cross_site_request`"),
    ))]
pub async fn log_out(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    same_site_only(&req)?;
    if let Ok(presented) = presented(&req) {
        state.db.run(move |conn| tokens::revoke_presented(conn, &presented)).await?;
    }
    Ok(HttpResponse::NoContent().cookie(session_cookie(String::new(), 0)).finish())
}
