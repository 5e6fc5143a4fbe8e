//! `CurrentUser` and the role guards every protected handler takes. The account is read from the
//! database on each request, so a deactivated account or a changed role takes effect at once.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};

use chrono::Utc;

use crate::accounts::{find_signed_in, Login, Role, UserRow};
use crate::api::state::AppState;
use crate::auth::limits::{self, Action};
use crate::error::AppError;
use crate::values::UserId;

/// The signed-in account behind a valid access token.
pub struct CurrentUser {
    pub user: UserRow,
    pub role: Role,
}

impl CurrentUser {
    pub fn id(&self) -> &UserId {
        &self.user.id
    }
}

fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::Internal("app state missing".into()))?;
            let claims = state.tokens.verify(&token.ok_or(AppError::Unauthenticated)?)?;
            let user = state
                .db
                .run(move |conn| {
                    let (user, session_live) = find_signed_in(conn, &claims.sub, &claims.sid, Utc::now().naive_utc())?;
                    if !user.active {
                        // Said before the session check, which deactivation also ends: the app can tell why.
                        return Err(AppError::AccountDisabled);
                    }
                    // Logging out, a password reset or revocation ends the session and its tokens with it.
                    if !session_live {
                        return Err(AppError::Unauthenticated);
                    }
                    Ok(user)
                })
                .await
                .map_err(|err| match err {
                    AppError::UserNotFound => AppError::Unauthenticated,
                    other => other,
                })?;
            let role = user.role()?;
            Ok(CurrentUser { user, role })
        })
    }
}

/// The signed-in account if it has `role`; anyone else gets 403 `forbidden`.
fn with_role(
    req: &HttpRequest,
    payload: &mut Payload,
    role: Role,
) -> impl Future<Output = Result<CurrentUser, AppError>> {
    let current = CurrentUser::from_request(req, payload);
    async move {
        let current = current.await?;
        if current.role == role {
            Ok(current)
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// A signed-in administrator; anyone else gets 403 `forbidden`.
pub struct AdminUser(pub CurrentUser);

impl FromRequest for AdminUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let admin = with_role(req, payload, Role::Admin);
        Box::pin(async move { admin.await.map(AdminUser) })
    }
}

/// The client's address for rate limiting: the peer, or the forwarded address behind a trusted proxy.
pub fn client_ip(req: &HttpRequest, trust_forwarded: bool) -> IpAddr {
    let forwarded = trust_forwarded
        .then(|| req.connection_info().realip_remote_addr().and_then(|addr| addr.parse::<IpAddr>().ok()))
        .flatten();
    forwarded.or_else(|| req.peer_addr().map(|addr| addr.ip())).unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

/// The signed-in account when the request carries a token; `None` for anonymous requests. A token that
/// is present but invalid or expired is still refused, so the app learns it must refresh.
pub struct MaybeUser(pub Option<CurrentUser>);

impl MaybeUser {
    pub fn id(&self) -> Option<UserId> {
        self.0.as_ref().map(|current| current.user.id.clone())
    }
}

impl FromRequest for MaybeUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if req.headers().contains_key(header::AUTHORIZATION) {
            let current = CurrentUser::from_request(req, payload);
            Box::pin(async move { Ok(MaybeUser(Some(current.await?))) })
        } else {
            Box::pin(async { Ok(MaybeUser(None)) })
        }
    }
}

/// A signed-in official; anyone else gets 403 `forbidden`. What they may see is decided per report
/// by their organizations (see `workflow`).
pub struct OfficialUser(pub CurrentUser);

impl FromRequest for OfficialUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let official = with_role(req, payload, Role::Official);
        Box::pin(async move { official.await.map(OfficialUser) })
    }
}

/// Counts the request for `action` against the allowances of its client address (the flood ceiling),
/// its device (`Device-Id`, when the app sends one) and each of `subjects` (`(kind, value)`: the login
/// name, phone, volunteer… it is for), shared by every instance.
pub(crate) async fn limit(
    state: &AppState,
    req: &HttpRequest,
    action: Action,
    subjects: &[(&str, &str)],
) -> Result<(), AppError> {
    let limiter = state.limiter;
    let mut counted = vec![limiter.address(action, client_ip(req, state.settings.trust_forwarded))];
    if let Some(device) = device_id(req) {
        counted.push(limiter.subject(action, "device", device));
    }
    counted.extend(subjects.iter().map(|(kind, value)| match *kind {
        // One person however they write it: "0912 345 678" and "+84912345678" are one phone.
        "login" | "phone" | "email" => limiter.subject(action, kind, &Login::key_of(value)),
        _ => limiter.subject(action, kind, value),
    }));
    state.db.run(move |conn| limits::count(conn, &counted, Utc::now().naive_utc())).await
}

/// The app's install id from `Device-Id` (1–128 visible characters), if it sent a usable one.
fn device_id(req: &HttpRequest) -> Option<&str> {
    let raw = req.headers().get(DEVICE_ID)?.to_str().ok()?.trim();
    ((1..=128).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic())).then_some(raw)
}

/// The header the app names its install with, for limits per device.
pub const DEVICE_ID: &str = "Device-Id";

/// `Device-Id`, for the contract of the operations [`limit`] counts.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // only its annotations are read, by the contract
pub struct DeviceIdHeader {
    /// The app's install id, 1–128 visible ASCII characters: rate limits count each device as one.
    #[param(rename = "Device-Id")]
    device_id: Option<String>,
}

/// The answer to anyone but an administrator, for the contract of operations that take `AdminUser`.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // only its annotations are read, by the contract
pub enum AdminOnly {
    #[response(status = 403, description = "`forbidden`")]
    NotAnAdministrator,
}

/// The answer to anyone but an official, for the contract of operations that take `OfficialUser`.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // only its annotations are read, by the contract
pub enum OfficialOnly {
    #[response(status = 403, description = "`forbidden`: not an official")]
    NotAnOfficial,
}

/// The answer of an operation counted by [`limit`] once its client's allowance is spent.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // only its annotations are read, by the contract
pub enum RateLimited {
    #[response(
        status = 429,
        description = "`rate_limited`: the allowance a minute of the person, device (`Device-Id`) or address is spent; with `Retry-After`"
    )]
    TooManyRequests,
}
