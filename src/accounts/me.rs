//! What a person can do with their own account: see it, change it, export it, delete it.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::register::send_verification;
use super::{
    ensure_unused, find_user, locale_str, parse_locale, search_text, Email, FullName, PhoneNumber, User, UserRow,
};
use crate::auth::one_time::{self, Purpose};
use crate::auth::tokens;
use crate::db::schema::{notifications, onboarding_signups, one_time_tokens, refresh_tokens, reports, users};
use crate::db::DbConnection;
use crate::error::{AppError, FieldErrors, Locale};
use crate::notify::outbox;
use crate::notify::secrets::MessageSecrets;
use crate::values::{AgentId, CampaignId, UserId};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeRequest {
    pub full_name: Option<String>,
    /// `vi` or `en`.
    pub locale: Option<String>,
    /// A new email must be verified again; until then it is shown with `email_verified: false`.
    pub email: Option<String>,
}

pub struct ProfileChange {
    full_name: Option<FullName>,
    locale: Option<Locale>,
    email: Option<Email>,
}

impl UpdateMeRequest {
    pub fn parse(self) -> Result<ProfileChange, AppError> {
        let mut errors = FieldErrors::default();
        let full_name = self.full_name.as_deref().and_then(|n| errors.check(FullName::parse(n, "full_name")));
        let locale = self.locale.as_deref().and_then(|l| errors.check(parse_locale(l, "locale")));
        let email = self.email.as_deref().and_then(|e| errors.check(Email::parse(e, "email")));
        errors.finish()?;
        Ok(ProfileChange { full_name, locale, email })
    }
}

pub fn update_profile(
    conn: &mut DbConnection,
    user_id: &UserId,
    change: &ProfileChange,
    secrets: &MessageSecrets,
) -> Result<UserRow, AppError> {
    crate::db::transaction(conn, |conn| {
        let user = find_user(conn, user_id)?;
        let now = Utc::now().naive_utc();
        let full_name = change.full_name.as_ref().map_or(user.full_name.as_str(), FullName::as_str).to_string();
        let locale = change.locale.map_or(user.locale.clone(), |l| locale_str(l).to_string());
        let new_email = change.email.as_ref().filter(|email| user.email.as_deref() != Some(email.as_str()));
        if let Some(email) = new_email {
            ensure_unused(conn, None, Some(email))?;
            one_time::void_all(conn, &user.id, Purpose::VerifyEmail)?;
            diesel::update(users::table.find(&user.id))
                .set((users::email.eq(email.as_str()), users::email_verified_at.eq(None::<NaiveDateTime>)))
                .execute(conn)?;
        }
        let email = new_email.map(|e| e.as_str().to_string()).or(user.email.clone());
        let phone = user.phone.as_deref().and_then(|p| PhoneNumber::parse(p, "phone").ok());
        diesel::update(users::table.find(&user.id))
            .set((
                users::full_name.eq(&full_name),
                users::locale.eq(&locale),
                users::search_text.eq(search_text(&full_name, email.as_deref(), phone.as_ref())),
                users::updated_at.eq(now),
            ))
            .execute(conn)?;
        let updated = find_user(conn, &user.id)?;
        if let Some(email) = new_email {
            send_verification(conn, secrets, &updated, email.as_str())?;
        }
        Ok(updated)
    })
}

/// Marks the email a verification token was sent to as verified, if it is still the account's email.
pub fn verify_email(conn: &mut DbConnection, token: &str) -> Result<UserRow, AppError> {
    crate::db::transaction(conn, |conn| {
        let (user_id, email) = one_time::consume(conn, token, Purpose::VerifyEmail)?;
        let user = find_user(conn, &user_id).map_err(|_| AppError::InvalidToken)?;
        if user.email.is_none() || user.email != email {
            return Err(AppError::InvalidToken);
        }
        diesel::update(users::table.find(&user_id))
            .set(users::email_verified_at.eq(Utc::now().naive_utc()))
            .execute(conn)?;
        find_user(conn, &user_id)
    })
}

pub fn set_password_hash(conn: &mut DbConnection, user_id: &UserId, hash: &str) -> Result<(), AppError> {
    diesel::update(users::table.find(user_id))
        .set((users::password_hash.eq(hash), users::updated_at.eq(Utc::now().naive_utc())))
        .execute(conn)?;
    Ok(())
}

/// Everything held about a person (Decree 13/2023: the data subject's right to access).
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonalData {
    pub account: User,
    pub consent_at: Option<chrono::DateTime<Utc>>,
    pub email_verified_at: Option<chrono::DateTime<Utc>>,
    pub onboarding_code: Option<String>,
    pub updated_at: chrono::DateTime<Utc>,
    /// Log-in sessions (refresh tokens themselves are never shown, only their dates).
    pub sessions: Vec<SessionRecord>,
    /// The onboarding campaign the account is credited to, if any.
    pub onboarding: Option<OnboardingRecord>,
    /// Every notification the person has received.
    pub notifications: Vec<crate::notify::feed::Notification>,
    /// The installations of the app push notifications go to, with their tokens.
    pub devices: Vec<crate::notify::devices::Device>,
    /// What the person chose to receive by push and mail.
    pub notification_settings: crate::notify::preferences::NotificationSettings,
    pub exported_at: chrono::DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OnboardingRecord {
    #[schema(value_type = String, format = Uuid)]
    pub campaign_id: CampaignId,
    #[schema(value_type = String, format = Uuid)]
    pub agent_id: AgentId,
    pub unit_code: String,
    /// Opened by a volunteer on the person's behalf.
    pub assisted: bool,
    pub credited_at: chrono::DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionRecord {
    pub created_at: chrono::DateTime<Utc>,
    pub expires_at: chrono::DateTime<Utc>,
    pub used_at: Option<chrono::DateTime<Utc>>,
    pub revoked_at: Option<chrono::DateTime<Utc>>,
}

pub fn export(conn: &mut DbConnection, user_id: &UserId) -> Result<PersonalData, AppError> {
    let user = find_user(conn, user_id)?;
    let sessions: Vec<(NaiveDateTime, NaiveDateTime, Option<NaiveDateTime>, Option<NaiveDateTime>)> =
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .order(refresh_tokens::created_at.asc())
            .select((
                refresh_tokens::created_at,
                refresh_tokens::expires_at,
                refresh_tokens::used_at,
                refresh_tokens::revoked_at,
            ))
            .load(conn)?;
    let onboarding = onboarding_signups::table
        .find(user_id)
        .select((
            onboarding_signups::campaign_id,
            onboarding_signups::agent_id,
            onboarding_signups::unit_code,
            onboarding_signups::assisted,
            onboarding_signups::created_at,
        ))
        .first::<(CampaignId, AgentId, String, bool, NaiveDateTime)>(conn)
        .optional()?
        .map(|(campaign_id, agent_id, unit_code, assisted, at)| OnboardingRecord {
            campaign_id,
            agent_id,
            unit_code,
            assisted,
            credited_at: at.and_utc(),
        });
    let notifications = crate::notify::feed::list(conn, user_id, false, None, i64::from(u32::MAX))?;
    Ok(PersonalData {
        account: User::try_from(&user)?,
        onboarding,
        notifications: notifications.iter().map(crate::notify::feed::Notification::from).collect(),
        devices: crate::notify::devices::of_user(conn, user_id)?,
        notification_settings: crate::notify::preferences::of_user(conn, user_id)?.into(),
        consent_at: user.consent_at.map(|t| t.and_utc()),
        email_verified_at: user.email_verified_at.map(|t| t.and_utc()),
        onboarding_code: user.onboarding_code.clone(),
        updated_at: user.updated_at.and_utc(),
        sessions: sessions
            .into_iter()
            .map(|(created_at, expires_at, used_at, revoked_at)| SessionRecord {
                created_at: created_at.and_utc(),
                expires_at: expires_at.and_utc(),
                used_at: used_at.map(|t| t.and_utc()),
                revoked_at: revoked_at.map(|t| t.and_utc()),
            })
            .collect(),
        exported_at: Utc::now(),
    })
}

/// Erases the person's data and ends every session. The row stays (without anything personal) so that
/// what they reported keeps its history, anonymized.
pub fn erase(conn: &mut DbConnection, user_id: &UserId) -> Result<(), AppError> {
    crate::db::transaction(conn, |conn| {
        let user = find_user(conn, user_id)?;
        tokens::revoke_all_sessions(conn, user_id)?;
        diesel::delete(one_time_tokens::table.filter(one_time_tokens::user_id.eq(user_id))).execute(conn)?;
        for login in user.email.iter().chain(user.phone.iter()) {
            crate::auth::lockout::clear_failures(conn, login)?;
        }
        let addresses: Vec<&str> = user.email.iter().chain(user.phone.iter()).map(String::as_str).collect();
        outbox::forget_account(conn, user_id, &addresses)?;
        crate::notify::devices::forget_account(conn, user_id)?;
        crate::notify::preferences::forget_account(conn, user_id)?;
        diesel::delete(notifications::table.filter(notifications::user_id.eq(user_id))).execute(conn)?;
        let now = Utc::now().naive_utc();
        // What they reported stays, for the neighbours and the officials, but no longer names them.
        diesel::update(reports::table.filter(reports::reporter_id.eq(user_id)))
            .set(reports::is_anonymous.eq(true))
            .execute(conn)?;
        diesel::update(users::table.find(user_id))
            .set((
                users::email.eq(None::<String>),
                users::phone.eq(None::<String>),
                users::full_name.eq(""),
                users::password_hash.eq("!erased"),
                users::active.eq(false),
                users::email_verified_at.eq(None::<NaiveDateTime>),
                users::onboarding_code.eq(None::<String>),
                users::search_text.eq(""),
                users::updated_at.eq(now),
                users::deleted_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    })
}
