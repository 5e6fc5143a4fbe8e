//! Assisted sign-up: a volunteer opens an account for a neighbour who has a phone but no email (and may
//! not manage a sign-up form). The account has no password until the neighbour sets one with the
//! six-digit activation code sent to their phone.

use chrono::Utc;
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;

use super::store::{credit, Resolved};
use super::{vietnam_today, AgentRow, CampaignRow, CampaignStatus};
use crate::accounts::{self, FullName, NewAccount, PhoneNumber, Role, UserRow};
use crate::auth::lockout;
use crate::auth::one_time::{self, Purpose};
use crate::config::SmsLimits;
use crate::db::schema::{campaign_agents, campaigns, onboarding_signups, one_time_tokens, users};
use crate::db::{self, DbConnection};
use crate::error::{AppError, FieldErrors, FieldIssue, Locale};
use crate::notify::outbox::Outgoing;
use crate::notify::secrets::MessageSecrets;
use crate::notify::sms;
use crate::values::{AgentId, UserId};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssistedSignUpRequest {
    /// The volunteer's own agent (see `GET /api/v1/me/agents`) the account is credited to.
    #[schema(value_type = String, format = Uuid)]
    pub agent_id: AgentId,
    /// The neighbour's mobile number; the activation code goes there.
    #[schema(example = "0912 345 678")]
    pub phone: String,
    #[schema(example = "Trần Văn Bảy")]
    pub full_name: String,
    /// `vi` (default) or `en`: the language of the text message and of the account.
    pub locale: Option<String>,
    /// The neighbour agreed to the processing of their personal data; must be `true`.
    pub consent: bool,
}

pub struct AssistedSignUp {
    pub agent_id: AgentId,
    pub phone: PhoneNumber,
    pub full_name: FullName,
    pub locale: Locale,
}

impl AssistedSignUpRequest {
    pub fn parse(self) -> Result<AssistedSignUp, AppError> {
        let mut errors = FieldErrors::default();
        let phone = errors.check(PhoneNumber::parse(&self.phone, "phone"));
        let full_name = errors.check(FullName::parse(&self.full_name, "full_name"));
        let locale =
            self.locale.as_deref().map_or(Some(Locale::Vi), |l| errors.check(accounts::parse_locale(l, "locale")));
        if !self.consent {
            errors.add("consent", FieldIssue::MustBeTrue);
        }
        errors.finish()?;
        Ok(AssistedSignUp {
            agent_id: self.agent_id,
            phone: phone.expect("checked"),
            full_name: full_name.expect("checked"),
            locale: locale.expect("checked"),
        })
    }
}

/// The account made, and whether this call made it (a retry of the same sign-up returns the first).
pub struct Assisted {
    pub user: UserRow,
    pub created: bool,
}

/// Opens the account, credits it to the volunteer's agent, and sends the activation code by text message,
/// in one transaction, within the day's `limits` of texts. `unusable_hash` is a password hash that
/// matches nothing.
pub fn sign_up(
    conn: &mut DbConnection,
    secrets: &MessageSecrets,
    limits: SmsLimits,
    volunteer_id: &UserId,
    request: &AssistedSignUp,
    unusable_hash: String,
) -> Result<Assisted, AppError> {
    db::transaction(conn, |conn| {
        // Someone else's agent is "not found": volunteers sign up only under their own code.
        let (agent, campaign): (AgentRow, CampaignRow) = campaign_agents::table
            .inner_join(campaigns::table.on(campaigns::id.eq(campaign_agents::campaign_id)))
            .filter(campaign_agents::id.eq(&request.agent_id))
            .filter(campaign_agents::user_id.eq(volunteer_id))
            .select((AgentRow::as_select(), CampaignRow::as_select()))
            .first(conn)
            .optional()?
            .ok_or(AppError::AgentNotFound)?;
        if let Some(earlier) = earlier_sign_up(conn, &agent.id, &request.phone, true)? {
            return Ok(Assisted { user: earlier, created: false });
        }
        let status = campaign.status(vietnam_today(Utc::now()));
        match status {
            CampaignStatus::Closed => return Err(AppError::OnboardingCampaignClosed),
            CampaignStatus::Ended => return Err(AppError::OnboardingCampaignEnded),
            CampaignStatus::Upcoming | CampaignStatus::Running => {}
        }
        accounts::ensure_unused(conn, Some(&request.phone), None)?;
        let account = NewAccount {
            phone: Some(&request.phone),
            email: None,
            full_name: &request.full_name,
            role: Role::Citizen,
            locale: request.locale,
            unit_code: None,
            consent_at: Some(Utc::now().naive_utc()),
            onboarding_code: None,
        };
        let user = accounts::insert_user(conn, &account, unusable_hash)?;
        let resolved = Resolved { campaign, agent, status };
        credit(conn, &user.id, &resolved, true).map_err(|err| match err {
            AppError::Validation(mut fields) => {
                fields.iter_mut().for_each(|f| f.field = "agent_id".into());
                AppError::Validation(fields)
            }
            other => other,
        })?;
        send_activation_code(conn, secrets, limits, &user.id, &request.phone, request.locale)?;
        Ok(Assisted { user, created: true })
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResendRequest {
    #[schema(value_type = String, format = Uuid)]
    pub agent_id: AgentId,
    #[schema(example = "0912 345 678")]
    pub phone: String,
}

/// A new activation code for an account the volunteer opened that still waits for activation (the
/// message was lost, or the code expired); the earlier code stops working.
pub fn resend(
    conn: &mut DbConnection,
    secrets: &MessageSecrets,
    limits: SmsLimits,
    volunteer_id: &UserId,
    agent_id: &AgentId,
    phone: &PhoneNumber,
) -> Result<UserRow, AppError> {
    db::transaction(conn, |conn| {
        let own = campaign_agents::table
            .filter(campaign_agents::id.eq(agent_id))
            .filter(campaign_agents::user_id.eq(volunteer_id))
            .count()
            .get_result::<i64>(conn)?
            == 1;
        if !own {
            return Err(AppError::AgentNotFound);
        }
        let user = earlier_sign_up(conn, agent_id, phone, false)?.ok_or(AppError::UserNotFound)?;
        one_time::void_all(conn, &user.id, Purpose::Activate)?;
        send_activation_code(conn, secrets, limits, &user.id, phone, user.locale())?;
        Ok(user)
    })
}

/// The account this agent already opened for this phone and that is still waiting for activation:
/// a retried request (its answer lost on a weak network) gets it again, and no second message.
fn earlier_sign_up(
    conn: &mut DbConnection,
    agent_id: &AgentId,
    phone: &PhoneNumber,
    unexpired_only: bool,
) -> Result<Option<UserRow>, AppError> {
    // Expired codes count too when asked (a plain filter: boxed subqueries do not work across backends).
    let expiring_after = if unexpired_only {
        Utc::now().naive_utc()
    } else {
        chrono::NaiveDate::from_ymd_opt(2000, 1, 1).expect("a valid date").into()
    };
    let waiting = one_time_tokens::table
        .filter(one_time_tokens::purpose.eq("activate"))
        .filter(one_time_tokens::used_at.is_null())
        .filter(one_time_tokens::expires_at.gt(expiring_after))
        .select(one_time_tokens::user_id);
    Ok(users::table
        .inner_join(onboarding_signups::table.on(onboarding_signups::user_id.eq(users::id)))
        .filter(users::phone.eq(phone.as_str()))
        .filter(onboarding_signups::agent_id.eq(agent_id))
        .filter(onboarding_signups::assisted.eq(true))
        .filter(users::id.eq_any(waiting))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

fn send_activation_code(
    conn: &mut DbConnection,
    secrets: &MessageSecrets,
    limits: SmsLimits,
    user_id: &UserId,
    phone: &PhoneNumber,
    locale: Locale,
) -> Result<(), AppError> {
    sms::limits::ensure_within(conn, limits, phone.as_str(), Utc::now().naive_utc())?;
    one_time::send_secret(conn, secrets, user_id, Purpose::Activate, None, |code| {
        Outgoing::sms(phone.as_str(), activation_text(locale, code))
    })
}

fn activation_text(locale: Locale, code: &str) -> String {
    match locale {
        Locale::Vi => format!(
            "Cong dan so: ma kich hoat tai khoan cua ban la {code}. Ma dung mot lan, trong 72 gio. Khong chia se ma nay."
        ),
        Locale::En => {
            format!("Cong dan so: your account activation code is {code}. It works once, for 72 hours. Do not share it.")
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivateRequest {
    #[schema(example = "0912 345 678")]
    pub phone: String,
    /// The six digits of the text message.
    #[schema(example = "493817")]
    pub code: String,
    /// The password the neighbour chooses (8 to 128 characters).
    pub password: String,
}

/// Sets the first password of an assisted account with its activation code (once), and starts a
/// session. Wrong codes count against the phone number like wrong passwords (lock-out).
pub fn activate(
    conn: &mut DbConnection,
    secrets: &MessageSecrets,
    phone: &PhoneNumber,
    code: &str,
    password_hash: String,
) -> Result<(UserRow, crate::auth::tokens::Session), AppError> {
    let login_key = format!("activate:{}", phone.as_str());
    let now = Utc::now().naive_utc();
    lockout::ensure_unlocked(conn, &login_key, now)?;
    let user = accounts::find_by_login(conn, &accounts::Login::Phone(phone.clone()))?;
    let activated = db::transaction(conn, |conn| {
        let user = user.ok_or(AppError::InvalidToken)?;
        one_time::consume_code(conn, secrets, &user.id, code)?;
        diesel::update(users::table.find(&user.id))
            .set((users::password_hash.eq(password_hash), users::updated_at.eq(now)))
            .execute(conn)?;
        let refresh_token = crate::auth::tokens::start_session(conn, &user.id)?;
        Ok((user, refresh_token))
    });
    match activated {
        Err(AppError::InvalidToken) => {
            lockout::record_failure(conn, &login_key, now)?;
            Err(AppError::InvalidToken)
        }
        Ok(done) => {
            lockout::clear_failures(conn, &login_key)?;
            Ok(done)
        }
        Err(other) => Err(other),
    }
}
