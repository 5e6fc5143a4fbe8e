//! Accounts: the people who use the system, their roles, and what they can do with their own data.

pub mod admin;
pub mod login;
pub mod me;
pub mod register;
pub mod reset;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::password::{self, Password};
use crate::auth::tokens;
use crate::db::schema::users;
use crate::db::DbConnection;
use crate::error::{AppError, FieldIssue, Locale};
pub use crate::values::{locale_str, parse_locale, Email, PhoneNumber, Role, LOCALES};
use crate::values::{SessionId, UserId};

/// A person's name as they want it shown: 1 to 100 characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FullName(String);

impl FullName {
    /// Counted after runs of whitespace are collapsed to one space and the ends trimmed.
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str, field: &str) -> Result<Self, AppError> {
        let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        match name.chars().count() {
            0 => Err(AppError::invalid(field, FieldIssue::Required)),
            n if n > Self::MAX_CHARS => Err(AppError::invalid(field, FieldIssue::TooLong { max: Self::MAX_CHARS })),
            _ => Ok(FullName(name)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a person logs in with: a phone number in any accepted form, or an email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Login {
    Phone(PhoneNumber),
    Email(Email),
}

impl Login {
    /// The longest login name looked at: no email address is longer.
    pub const MAX_CHARS: usize = 254;

    /// Refuses a name longer than any login before anything is done with it.
    pub fn check_length(raw: &str) -> Result<(), AppError> {
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(AppError::invalid("login", FieldIssue::TooLong { max: Self::MAX_CHARS }));
        }
        Ok(())
    }

    pub fn parse(raw: &str) -> Option<Self> {
        if raw.contains('@') {
            Email::parse(raw, "login").ok().map(Login::Email)
        } else {
            PhoneNumber::parse(raw, "login").ok().map(Login::Phone)
        }
    }

    /// The key failed attempts are counted under; unparseable input is counted as typed.
    pub fn key_of(raw: &str) -> String {
        match Self::parse(raw) {
            Some(Login::Phone(phone)) => phone.as_str().to_string(),
            Some(Login::Email(email)) => email.as_str().to_string(),
            None => raw.trim().to_lowercase(),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: UserId,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password_hash: String,
    pub full_name: String,
    pub role: String,
    pub locale: String,
    pub unit_code: Option<String>,
    pub active: bool,
    pub email_verified_at: Option<NaiveDateTime>,
    pub consent_at: Option<NaiveDateTime>,
    pub onboarding_code: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

impl UserRow {
    pub fn role(&self) -> Result<Role, AppError> {
        Role::from_stored(&self.role)
    }

    pub fn locale(&self) -> Locale {
        parse_locale(&self.locale, "locale").unwrap_or(Locale::Vi)
    }
}

/// An account as its owner (or an administrator) sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    #[schema(value_type = String, format = Uuid)]
    pub id: UserId,
    /// E.164, e.g. `+84912345678`.
    pub phone: Option<String>,
    pub email: Option<String>,
    pub email_verified: bool,
    pub full_name: String,
    pub role: Role,
    /// `vi` or `en`: the language of mail and notifications.
    pub locale: String,
    /// The unit whose office an official or volunteer works for.
    pub unit_code: Option<String>,
    pub active: bool,
    pub created_at: chrono::DateTime<Utc>,
}

impl TryFrom<&UserRow> for User {
    type Error = AppError;

    fn try_from(row: &UserRow) -> Result<Self, AppError> {
        Ok(User {
            id: row.id.clone(),
            phone: row.phone.clone(),
            email: row.email.clone(),
            email_verified: row.email_verified_at.is_some(),
            full_name: row.full_name.clone(),
            role: row.role()?,
            locale: row.locale.clone(),
            unit_code: row.unit_code.clone(),
            active: row.active,
            created_at: row.created_at.and_utc(),
        })
    }
}

/// The text administrators search in: name, email and phone, folded.
pub fn search_text(name: &str, email: Option<&str>, phone: Option<&PhoneNumber>) -> String {
    let phone = phone.map(|p| format!("{} {}", p.as_str(), p.national())).unwrap_or_default();
    crate::text::fold(&format!("{name} {} {phone}", email.unwrap_or_default()))
}

/// A live account by id (deleted accounts are gone for every purpose).
pub fn find_user(conn: &mut DbConnection, id: &UserId) -> Result<UserRow, AppError> {
    users::table
        .find(id)
        .filter(users::deleted_at.is_null())
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::UserNotFound)
}

/// The account behind an access token, with whether the token's session is still live, in one query:
/// every authenticated request asks both.
pub fn find_signed_in(
    conn: &mut DbConnection,
    id: &UserId,
    session_id: &SessionId,
    now: NaiveDateTime,
) -> Result<(UserRow, bool), AppError> {
    users::table
        .find(id)
        .filter(users::deleted_at.is_null())
        .select((UserRow::as_select(), diesel::dsl::exists(tokens::live_session(id, session_id, now))))
        .first(conn)
        .optional()?
        .ok_or(AppError::UserNotFound)
}

pub fn find_by_login(conn: &mut DbConnection, login: &Login) -> Result<Option<UserRow>, AppError> {
    let query = users::table.select(UserRow::as_select()).filter(users::deleted_at.is_null()).into_boxed();
    let query = match login {
        Login::Phone(phone) => query.filter(users::phone.eq(phone.as_str().to_string())),
        Login::Email(email) => query.filter(users::email.eq(email.as_str().to_string())),
    };
    Ok(query.first(conn).optional()?)
}

/// Refuses when the phone or email already belongs to an account, without saying which.
pub fn ensure_unused(
    conn: &mut DbConnection,
    phone: Option<&PhoneNumber>,
    email: Option<&Email>,
) -> Result<(), AppError> {
    let phone_taken = match phone {
        Some(phone) => users::table.filter(users::phone.eq(phone.as_str())).count().get_result::<i64>(conn)? > 0,
        None => false,
    };
    let email_taken = match email {
        Some(email) => users::table.filter(users::email.eq(email.as_str())).count().get_result::<i64>(conn)? > 0,
        None => false,
    };
    if phone_taken || email_taken {
        Err(AppError::AccountExists)
    } else {
        Ok(())
    }
}

/// A new account's fields.
pub struct NewAccount<'a> {
    pub phone: Option<&'a PhoneNumber>,
    pub email: Option<&'a Email>,
    pub full_name: &'a FullName,
    pub role: Role,
    pub locale: Locale,
    pub unit_code: Option<&'a str>,
    pub consent_at: Option<NaiveDateTime>,
    pub onboarding_code: Option<&'a str>,
}

/// Inserts an account (after `ensure_unused`); a concurrent twin that slipped past the check still
/// cannot make a second account: the unique indexes refuse it as `account_exists`.
pub fn insert_user(
    conn: &mut DbConnection,
    account: &NewAccount<'_>,
    password_hash: String,
) -> Result<UserRow, AppError> {
    let now = Utc::now().naive_utc();
    let id = UserId::new();
    diesel::insert_into(users::table)
        .values((
            users::id.eq(&id),
            users::email.eq(account.email.map(Email::as_str)),
            users::phone.eq(account.phone.map(PhoneNumber::as_str)),
            users::password_hash.eq(password_hash),
            users::full_name.eq(account.full_name.as_str()),
            users::role.eq(account.role.as_str()),
            users::locale.eq(locale_str(account.locale)),
            users::unit_code.eq(account.unit_code),
            users::active.eq(true),
            users::consent_at.eq(account.consent_at),
            users::onboarding_code.eq(account.onboarding_code),
            users::search_text.eq(search_text(
                account.full_name.as_str(),
                account.email.map(Email::as_str),
                account.phone,
            )),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .execute(conn)
        .map_err(crate::db::taken_as(AppError::AccountExists))?;
    find_user(conn, &id)
}

/// Creates an administrator; refuses an email already in use. Returns the new user's id.
pub fn create_admin(
    conn: &mut DbConnection,
    email: &Email,
    password: &Password,
    full_name: &str,
) -> Result<UserId, AppError> {
    let password_hash = password::hash(password)?;
    let full_name = FullName::parse(full_name, "full_name")?;
    crate::db::transaction(conn, |conn| {
        ensure_unused(conn, None, Some(email))?;
        let account = NewAccount {
            phone: None,
            email: Some(email),
            full_name: &full_name,
            role: Role::Admin,
            locale: Locale::Vi,
            unit_code: None,
            consent_at: None,
            onboarding_code: None,
        };
        Ok(insert_user(conn, &account, password_hash)?.id)
    })
}

/// On a database without any account, creates the first administrator with a one-time password.
pub fn bootstrap_admin(conn: &mut DbConnection, email: &str) -> Result<Option<Password>, AppError> {
    if users::table.count().get_result::<i64>(conn)? > 0 {
        return Ok(None);
    }
    let email = Email::parse(email, "email")?;
    let password = Password::generate();
    match create_admin(conn, &email, &password, "Quản trị viên") {
        Ok(_) => Ok(Some(password)),
        // Another instance starting at the same moment made it first.
        Err(AppError::AccountExists) => Ok(None),
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_keys_are_normalized() {
        assert_eq!(Login::key_of("0912 345 678"), "+84912345678");
        assert_eq!(Login::key_of(" An@Example.VN"), "an@example.vn");
        assert_eq!(Login::key_of("  Someone "), "someone");
    }

    #[test]
    fn full_names_are_trimmed_and_bounded() {
        assert_eq!(FullName::parse("  Nguyễn   Văn  An ", "n").unwrap().as_str(), "Nguyễn Văn An");
        assert!(FullName::parse("   ", "n").is_err());
        assert!(FullName::parse(&"a".repeat(101), "n").is_err());
    }
}
