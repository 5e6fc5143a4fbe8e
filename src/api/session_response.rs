//! What sign-up, log-in, refresh and a volunteer-assisted activation answer: a new session's tokens and
//! the user. Shared by `api/auth.rs` and `api/onboarding.rs`.

use serde::Serialize;
use utoipa::ToSchema;

use crate::accounts::{User, UserRow};
use crate::api::state::AppState;
use crate::auth::tokens::{self, Session};
use crate::error::AppError;

/// Tokens for a new session.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// JWT (HS256), valid `expires_in` seconds; send as `Authorization: Bearer …`.
    pub access_token: String,
    /// Opaque, valid 30 days, single-use: each refresh returns the next one.
    pub refresh_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    #[schema(example = 900)]
    pub expires_in: i64,
    pub user: User,
}

pub(crate) fn token_response(state: &AppState, user: &UserRow, session: Session) -> Result<TokenResponse, AppError> {
    Ok(TokenResponse {
        access_token: state.tokens.issue_access_token(&user.id, user.role()?, &session.id)?,
        refresh_token: session.refresh_token,
        token_type: "Bearer",
        expires_in: tokens::ACCESS_TOKEN_SECS,
        user: User::try_from(user)?,
    })
}
