//! Log-in: the same answer, in about the same time, for a wrong password and an unknown account.

use chrono::Utc;

use super::{find_by_login, Login, UserRow};
use crate::auth::lockout;
use crate::auth::password::{PasswordService, Verification};
use crate::db::Db;
use crate::error::AppError;

/// Checks the password of the account `raw_login` names; on success the account, with its hash
/// upgraded when the hashing parameters have changed since it was made.
pub async fn log_in(
    db: &Db,
    passwords: &PasswordService,
    raw_login: &str,
    password: String,
) -> Result<UserRow, AppError> {
    Login::check_length(raw_login)?;
    let login_key = Login::key_of(raw_login);
    let login = Login::parse(raw_login);
    let key = login_key.clone();
    let user = db
        .run(move |conn| {
            lockout::ensure_unlocked(conn, &key, Utc::now().naive_utc())?;
            login.map_or(Ok(None), |login| find_by_login(conn, &login))
        })
        .await?;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let verification = passwords.verify(password.clone(), stored).await?;
    let key = login_key.clone();
    let Verification::Correct { outdated_hash } = verification else {
        db.run(move |conn| lockout::record_failure(conn, &key, Utc::now().naive_utc())).await?;
        return Err(AppError::InvalidCredentials);
    };
    let mut user = user.ok_or(AppError::InvalidCredentials)?;
    if !user.active {
        return Err(AppError::AccountDisabled);
    }
    let new_hash = if outdated_hash {
        Some(passwords.hash(&super::password::Password::parse(password, "password")?).await?)
    } else {
        None
    };
    let user_id = user.id.clone();
    db.run(move |conn| {
        lockout::clear_failures(conn, &key)?;
        if let Some(hash) = new_hash {
            super::me::set_password_hash(conn, &user_id, &hash)?;
        }
        Ok(())
    })
    .await?;
    user.password_hash.clear();
    Ok(user)
}

/// Continues a session with its refresh token (used up, the next one returned with the account):
/// the app's refresh and the console's alike. A deactivated account is refused.
pub fn continue_session(
    conn: &mut crate::db::DbConnection,
    presented: &str,
) -> Result<(UserRow, crate::auth::tokens::Session), AppError> {
    let (user_id, session) = crate::auth::tokens::rotate(conn, presented)?;
    let user = super::find_user(conn, &user_id).map_err(|_| AppError::InvalidRefreshToken)?;
    if !user.active {
        return Err(AppError::AccountDisabled);
    }
    Ok((user, session))
}
