//! Access tokens (short-lived JWTs) and refresh tokens (opaque, stored hashed, rotated on every use).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::db::schema::refresh_tokens;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::values::{Role, SessionId, UserId};

/// Who access tokens are for; a token minted for another audience is refused.
pub const AUDIENCE: &str = "congdanso-app";
pub const ACCESS_TOKEN_SECS: i64 = 15 * 60;
const REFRESH_TOKEN_DAYS: i64 = 30;
pub const REFRESH_TOKEN_SECS: i64 = REFRESH_TOKEN_DAYS * 24 * 3600;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: UserId,
    pub role: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    /// The session (refresh-token family) the token was issued in: ending the session ends the token.
    pub sid: SessionId,
}

/// Signs and checks access tokens: HS256 only, with issuer and audience pinned.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
}

impl TokenKeys {
    pub fn new(secret: &[u8], issuer: &str) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[issuer]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 5;
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.to_string(),
        }
    }

    pub fn issue_access_token(&self, user_id: &UserId, role: Role, session_id: &SessionId) -> Result<String, AppError> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: AUDIENCE.to_string(),
            sub: user_id.clone(),
            role: role.as_str().to_string(),
            iat: now,
            exp: now + ACCESS_TOKEN_SECS,
            jti: uuid::Uuid::now_v7().to_string(),
            sid: session_id.clone(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|err| AppError::Internal(format!("jwt: {err}")))
    }

    /// The claims of a valid token; an expired one is told apart so the app knows to refresh.
    pub fn verify(&self, token: &str) -> Result<Claims, AppError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map(|data| data.claims).map_err(|err| {
            match err.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => AppError::TokenExpired,
                _ => AppError::Unauthenticated,
            }
        })
    }
}

/// A random token for the client and the SHA-256 we store in its place.
pub fn new_opaque_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Insertable)]
#[diesel(table_name = refresh_tokens)]
// Prepared once per connection (see `ReportRow`).
#[diesel(treat_none_as_default_value = false)]
struct NewRefreshToken<'a> {
    id: String,
    user_id: &'a UserId,
    family_id: &'a SessionId,
    token_hash: String,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
}

fn insert_refresh_token(conn: &mut DbConnection, user_id: &UserId, family_id: &SessionId) -> Result<String, AppError> {
    let (token, token_hash) = new_opaque_token();
    let now = Utc::now().naive_utc();
    diesel::insert_into(refresh_tokens::table)
        .values(NewRefreshToken {
            id: uuid::Uuid::now_v7().to_string(),
            user_id,
            family_id,
            token_hash,
            created_at: now,
            expires_at: now + Duration::days(REFRESH_TOKEN_DAYS),
        })
        .execute(conn)?;
    Ok(token)
}

/// A session: one log-in on one device, and the refresh token that continues it.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: SessionId,
    pub refresh_token: String,
}

/// Starts a session (a new token family) with its first refresh token.
pub fn start_session(conn: &mut DbConnection, user_id: &UserId) -> Result<Session, AppError> {
    let id = SessionId::new();
    let refresh_token = insert_refresh_token(conn, user_id, &id)?;
    Ok(Session { id, refresh_token })
}

/// The refresh tokens that keep `user_id`'s session `session_id` going: not logged out, revoked or
/// expired. The session is live while one is left; access tokens are checked against it on every
/// request (see [`crate::accounts::find_signed_in`]), so ending a session ends its tokens at once.
#[diesel::dsl::auto_type(no_type_alias)]
pub fn live_session<'a>(user_id: &'a UserId, session_id: &'a SessionId, now: NaiveDateTime) -> _ {
    refresh_tokens::table
        .filter(refresh_tokens::family_id.eq(session_id))
        .filter(refresh_tokens::user_id.eq(user_id))
        .filter(refresh_tokens::revoked_at.is_null())
        .filter(refresh_tokens::expires_at.gt(now))
}

enum Rotation {
    Rotated { user_id: UserId, session: Session },
    Reused,
    Invalid,
}

/// Exchanges a refresh token for the next one in its family. A token presented twice means it was
/// stolen (or the app is confused): the whole family is revoked, and both holders must sign in again.
pub fn rotate(conn: &mut DbConnection, presented: &str) -> Result<(UserId, Session), AppError> {
    let hash = token_hash(presented);
    let now = Utc::now().naive_utc();
    // The revocation must be committed even though the caller gets an error, hence the inner enum.
    let outcome = crate::db::transaction(conn, |conn| -> Result<Rotation, AppError> {
        let found: Option<(String, UserId, SessionId, NaiveDateTime, Option<NaiveDateTime>)> = refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(&hash))
            .select((
                refresh_tokens::id,
                refresh_tokens::user_id,
                refresh_tokens::family_id,
                refresh_tokens::expires_at,
                refresh_tokens::revoked_at,
            ))
            .first(conn)
            .optional()?;
        let Some((id, user_id, family_id, expires_at, revoked_at)) = found else { return Ok(Rotation::Invalid) };
        if revoked_at.is_some() || expires_at <= now {
            return Ok(Rotation::Invalid);
        }
        // Only one presenter can flip `used_at`; a second one, even concurrent, is a reuse.
        let claimed = diesel::update(
            refresh_tokens::table.filter(refresh_tokens::id.eq(&id)).filter(refresh_tokens::used_at.is_null()),
        )
        .set(refresh_tokens::used_at.eq(now))
        .execute(conn)?;
        if claimed == 0 {
            revoke_family(conn, &family_id, now)?;
            return Ok(Rotation::Reused);
        }
        let refresh_token = insert_refresh_token(conn, &user_id, &family_id)?;
        Ok(Rotation::Rotated { user_id, session: Session { id: family_id, refresh_token } })
    })?;
    match outcome {
        Rotation::Rotated { user_id, session } => Ok((user_id, session)),
        Rotation::Reused => Err(AppError::RefreshTokenReused),
        Rotation::Invalid => Err(AppError::InvalidRefreshToken),
    }
}

fn revoke_family(conn: &mut DbConnection, family_id: &SessionId, now: NaiveDateTime) -> Result<(), AppError> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)?;
    Ok(())
}

/// Ends the session the refresh token belongs to (log-out on one device).
pub fn revoke_session(conn: &mut DbConnection, user_id: &UserId, presented: &str) -> Result<(), AppError> {
    let family = session_of(conn, presented, Some(user_id))?.ok_or(AppError::InvalidRefreshToken)?;
    revoke_family(conn, &family, Utc::now().naive_utc())
}

/// Ends the session of a refresh token, if it names one (log-out where only the token is known: the
/// console's cookie).
pub fn revoke_presented(conn: &mut DbConnection, presented: &str) -> Result<(), AppError> {
    match session_of(conn, presented, None)? {
        Some(family) => revoke_family(conn, &family, Utc::now().naive_utc()),
        None => Ok(()),
    }
}

fn session_of(
    conn: &mut DbConnection,
    presented: &str,
    user_id: Option<&UserId>,
) -> Result<Option<SessionId>, AppError> {
    let mut query = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(token_hash(presented)))
        .select(refresh_tokens::family_id)
        .into_boxed();
    if let Some(user_id) = user_id {
        query = query.filter(refresh_tokens::user_id.eq(user_id));
    }
    Ok(query.first(conn).optional()?)
}

/// Ends every session of the user (log-out everywhere, password reset, deactivation).
pub fn revoke_all_sessions(conn: &mut DbConnection, user_id: &UserId) -> Result<(), AppError> {
    diesel::update(
        refresh_tokens::table.filter(refresh_tokens::user_id.eq(user_id)).filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Utc::now().naive_utc()))
    .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_are_bound_to_issuer_and_audience() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef", "https://tinh.example");
        let token =
            keys.issue_access_token(&UserId::from("user-1"), Role::Citizen, &SessionId::from("session-1")).unwrap();
        let claims = keys.verify(&token).unwrap();
        assert_eq!(
            (claims.sub.as_str(), claims.role.as_str(), claims.sid.as_str()),
            ("user-1", "citizen", "session-1")
        );
        assert_eq!(claims.exp - claims.iat, ACCESS_TOKEN_SECS);

        let other_issuer = TokenKeys::new(b"0123456789abcdef0123456789abcdef", "https://other.example");
        assert!(matches!(other_issuer.verify(&token), Err(AppError::Unauthenticated)));
        let other_key = TokenKeys::new(b"another key, another key, another", "https://tinh.example");
        assert!(matches!(other_key.verify(&token), Err(AppError::Unauthenticated)));
    }

    #[test]
    fn opaque_tokens_are_random_and_hashed() {
        let (a, hash_a) = new_opaque_token();
        let (b, _) = new_opaque_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash_a, token_hash(&a));
        assert_eq!(hash_a.len(), 64);
    }
}
