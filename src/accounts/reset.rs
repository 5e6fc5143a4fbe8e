//! Password reset by mail: a single-use link valid for an hour; using it ends every session.

use super::{find_by_login, find_user, me::set_password_hash, Login, UserRow};
use crate::auth::one_time::{self, Purpose};
use crate::auth::tokens;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::notify::secrets::MessageSecrets;
use crate::notify::templates;

/// Sends a reset mail when `raw_login` names an active account with an email; otherwise does nothing,
/// and the caller answers the same either way.
pub fn request_reset(conn: &mut DbConnection, raw_login: &str, secrets: &MessageSecrets) -> Result<bool, AppError> {
    let Some(login) = Login::parse(raw_login) else { return Ok(false) };
    crate::db::transaction(conn, |conn| {
        let Some(user) = find_by_login(conn, &login)?.filter(|u| u.active) else { return Ok(false) };
        let Some(email) = user.email.clone() else { return Ok(false) };
        one_time::send_secret(conn, secrets, &user.id, Purpose::ResetPassword, None, |_| {
            templates::reset_password(user.locale(), &email, &user.full_name, &secrets.link("reset-password")).into()
        })?;
        Ok(true)
    })
}

/// The account a reset token is for, without using the token up (to check the new password against it).
pub fn account_of(conn: &mut DbConnection, token: &str) -> Result<UserRow, AppError> {
    let (user_id, _) = one_time::find_valid(conn, token, Purpose::ResetPassword)?;
    find_user(conn, &user_id).map_err(|_| AppError::InvalidToken)
}

/// Uses the token, sets the new password, ends every session and lifts any log-in lock.
pub fn reset_password(conn: &mut DbConnection, token: &str, password_hash: &str) -> Result<(), AppError> {
    crate::db::transaction(conn, |conn| {
        let (user_id, _) = one_time::consume(conn, token, Purpose::ResetPassword)?;
        let user = find_user(conn, &user_id).map_err(|_| AppError::InvalidToken)?;
        set_password_hash(conn, &user_id, password_hash)?;
        tokens::revoke_all_sessions(conn, &user_id)?;
        for login in user.email.iter().chain(user.phone.iter()) {
            crate::auth::lockout::clear_failures(conn, login)?;
        }
        Ok(())
    })
}
