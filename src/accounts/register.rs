//! Citizen sign-up: phone or email, a password, consent to data processing (Decree 13/2023).

use chrono::Utc;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ensure_unused, insert_user, parse_locale, Email, FullName, NewAccount, PhoneNumber, Role, UserRow};
use crate::auth::one_time::{self, Purpose};
use crate::auth::password::Password;
use crate::auth::tokens;
use crate::db::schema::registration_keys;
use crate::db::DbConnection;
use crate::error::{AppError, FieldErrors, FieldIssue, Locale};
use crate::http::IdempotencyKey;
use crate::notify::secrets::MessageSecrets;
use crate::notify::templates;
use crate::values::UserId;

/// The longest onboarding code looked at (counted after trimming): longer than any real one.
pub(crate) const ONBOARDING_CODE_CHARS: usize = 64;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// Vietnamese mobile number: `0912 345 678`, `84912345678` or `+84 912 345 678`.
    #[schema(example = "0912 345 678")]
    pub phone: Option<String>,
    #[schema(example = "an.nguyen@example.vn")]
    pub email: Option<String>,
    /// 8 to 128 characters; not a common password, the phone number or the email.
    pub password: String,
    #[schema(example = "Nguyễn Văn An")]
    pub full_name: String,
    /// `vi` (default) or `en`.
    pub locale: Option<String>,
    /// The code of a volunteer's QR code scanned during an onboarding drive: the account is credited to
    /// its campaign, volunteer and unit. A forged code, or one of a closed or ended campaign or an
    /// inactive volunteer, is an error of this field (`onboarding_code_invalid`, …): sign up without it.
    pub onboarding_code: Option<String>,
    /// Consent to the processing of personal data; must be `true`.
    pub consent: bool,
}

/// A sign-up that passed every rule.
pub struct Registration {
    pub phone: Option<PhoneNumber>,
    pub email: Option<Email>,
    pub password: Password,
    pub full_name: FullName,
    pub locale: Locale,
    pub onboarding_code: Option<String>,
}

impl RegisterRequest {
    pub fn parse(self) -> Result<Registration, AppError> {
        let mut errors = FieldErrors::default();
        let phone = self
            .phone
            .as_deref()
            .filter(|p| !p.trim().is_empty())
            .and_then(|p| errors.check(PhoneNumber::parse(p, "phone")));
        let email =
            self.email.as_deref().filter(|e| !e.trim().is_empty()).and_then(|e| errors.check(Email::parse(e, "email")));
        if self.phone.as_deref().is_none_or(|p| p.trim().is_empty())
            && self.email.as_deref().is_none_or(|e| e.trim().is_empty())
        {
            errors.add("phone", FieldIssue::EmailOrPhoneRequired);
        }
        let password =
            errors.check(Password::parse_for_account(self.password, "password", phone.as_ref(), email.as_ref()));
        let full_name = errors.check(FullName::parse(&self.full_name, "full_name"));
        let locale = match self.locale.as_deref() {
            Some(raw) => errors.check(parse_locale(raw, "locale")),
            None => Some(Locale::Vi),
        };
        let onboarding_code = self.onboarding_code.map(|code| code.trim().to_string()).filter(|code| !code.is_empty());
        if onboarding_code.as_ref().is_some_and(|code| code.chars().count() > ONBOARDING_CODE_CHARS) {
            errors.add("onboarding_code", FieldIssue::TooLong { max: ONBOARDING_CODE_CHARS });
        }
        if !self.consent {
            errors.add("consent", FieldIssue::MustBeTrue);
        }
        errors.finish()?;
        match (password, full_name, locale) {
            (Some(password), Some(full_name), Some(locale)) => {
                Ok(Registration { phone, email, password, full_name, locale, onboarding_code })
            }
            _ => Err(AppError::Internal("registration parsed without its fields".into())),
        }
    }
}

/// Creates the citizen, the verification mail (when there is an email) and the first session, in one
/// transaction. `on_created` runs in it as soon as the account exists: the caller credits a volunteer's
/// onboarding code there, so an account and its credit commit together (and accounts need not know
/// onboarding, which builds on them). Returns the account and its refresh token.
pub fn register_citizen(
    conn: &mut DbConnection,
    registration: &Registration,
    password_hash: String,
    secrets: &MessageSecrets,
    retry_key: Option<&RetryKey>,
    on_created: impl FnOnce(&mut DbConnection, &UserRow) -> Result<(), AppError>,
) -> Result<(UserRow, tokens::Session), AppError> {
    crate::db::transaction(conn, |conn| {
        ensure_unused(conn, registration.phone.as_ref(), registration.email.as_ref())?;
        let now = Utc::now().naive_utc();
        let account = NewAccount {
            phone: registration.phone.as_ref(),
            email: registration.email.as_ref(),
            full_name: &registration.full_name,
            role: Role::Citizen,
            locale: registration.locale,
            unit_code: None,
            consent_at: Some(now),
            onboarding_code: registration.onboarding_code.as_deref(),
        };
        let user = insert_user(conn, &account, password_hash)?;
        on_created(conn, &user)?;
        if let Some(email) = &registration.email {
            send_verification(conn, secrets, &user, email.as_str())?;
        }
        if let Some(retry) = retry_key {
            diesel::insert_into(registration_keys::table)
                .values((
                    registration_keys::key.eq(retry.key.as_str()),
                    registration_keys::request_hash.eq(&retry.request_hash),
                    registration_keys::user_id.eq(&user.id),
                    registration_keys::created_at.eq(now),
                ))
                .execute(conn)
                // The key already made another account (with another phone or email).
                .map_err(crate::db::taken_as(AppError::IdempotencyKeyReused))?;
        }
        let refresh_token = tokens::start_session(conn, &user.id)?;
        Ok((user, refresh_token))
    })
}

/// How long a sign-up's `Idempotency-Key` answers retries.
const RETRY_HOURS: i64 = 24;

/// The `Idempotency-Key` of a sign-up and the fingerprint of its body without the password.
pub struct RetryKey {
    pub key: IdempotencyKey,
    pub request_hash: String,
}

/// The account an earlier sign-up with this key made (within a day), if any; the same key with another
/// body is `idempotency_key_reused`. The caller still checks the password before answering with it.
pub fn earlier_registration(conn: &mut DbConnection, retry: &RetryKey) -> Result<Option<UserRow>, AppError> {
    let since = Utc::now().naive_utc() - chrono::Duration::hours(RETRY_HOURS);
    let earlier: Option<(String, UserId)> = registration_keys::table
        .find(retry.key.as_str())
        .filter(registration_keys::created_at.gt(since))
        .select((registration_keys::request_hash, registration_keys::user_id))
        .first(conn)
        .optional()?;
    match earlier {
        None => Ok(None),
        Some((hash, _)) if hash != retry.request_hash => Err(AppError::IdempotencyKeyReused),
        Some((_, user_id)) => Ok(Some(super::find_user(conn, &user_id)?).filter(|user| user.deleted_at.is_none())),
    }
}

/// Puts a mail with a verification link for `email` in the outbox (inside the caller's transaction).
pub fn send_verification(
    conn: &mut DbConnection,
    secrets: &MessageSecrets,
    user: &UserRow,
    email: &str,
) -> Result<(), AppError> {
    one_time::send_secret(conn, secrets, &user.id, Purpose::VerifyEmail, Some(email), |_| {
        templates::verify_email(user.locale(), email, &user.full_name, &secrets.link("verify-email")).into()
    })
}
