//! QR-code onboarding drives: campaigns in a unit over a period with a target, their volunteers
//! ("agents") each with a signed code shown as a QR code, the crediting of sign-ups to campaign, agent and
//! unit (once per account), assisted sign-up of neighbours, and the tallies.

pub mod assisted;
pub mod codes;
pub mod qr;
pub mod stats;
pub mod store;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::accounts::{Role, UserRow};
use crate::db::schema::{admin_units, campaign_agents, campaigns};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::values::{AgentId, CampaignId, UserId};

/// Campaign days are Vietnamese days (UTC+7, no daylight saving).
pub fn vietnam_today(now: DateTime<Utc>) -> NaiveDate {
    vietnam_date(now.naive_utc())
}

pub fn vietnam_date(utc: NaiveDateTime) -> NaiveDate {
    (utc + Duration::hours(7)).date()
}

/// Who may manage campaigns, and where: administrators everywhere; an official in their own unit (a
/// province-level official in the whole province), who also reads the province-wide campaigns covering
/// it. Anything outside is "not found".
#[derive(Debug, Clone)]
pub enum Manager {
    Admin,
    Official { unit_code: String, province_code: String, province_wide: bool },
}

impl Manager {
    pub fn of(conn: &mut DbConnection, user: &UserRow) -> Result<Manager, AppError> {
        match user.role()? {
            Role::Admin => Ok(Manager::Admin),
            Role::Official => {
                let unit = user.unit_code.clone().ok_or(AppError::Forbidden)?;
                let (level, parent): (i32, Option<String>) = admin_units::table
                    .find(&unit)
                    .select((admin_units::level, admin_units::parent_code))
                    .first(conn)?;
                let province_wide = level == 1;
                let province_code = if province_wide { unit.clone() } else { parent.unwrap_or_default() };
                Ok(Manager::Official { unit_code: unit, province_code, province_wide })
            }
            Role::Citizen | Role::Volunteer | Role::Application => Err(AppError::Forbidden),
        }
    }

    /// Whether a campaign of `unit_code` in `province_code` is this manager's to change.
    pub fn manages(&self, unit_code: &str, province_code: &str) -> bool {
        match self {
            Manager::Admin => true,
            Manager::Official { province_code: own, province_wide: true, .. } => own == province_code,
            Manager::Official { unit_code: own, .. } => own == unit_code,
        }
    }

    /// Whether this manager may read such a campaign: their own, and for a commune official also the
    /// province-wide campaigns of their province (which cover their commune).
    pub fn sees(&self, unit_code: &str, province_code: &str) -> bool {
        self.manages(unit_code, province_code)
            || matches!(self, Manager::Official { province_code: own, .. } if own == unit_code)
    }

    /// Whether this manager may see the tallies of a whole province.
    pub fn covers_province(&self, province_code: &str) -> bool {
        match self {
            Manager::Admin => true,
            Manager::Official { province_code: own, .. } => own == province_code,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = campaigns)]
pub struct CampaignRow {
    pub id: CampaignId,
    pub name: String,
    pub unit_code: String,
    pub province_code: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub target_signups: i32,
    pub created_by: UserId,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
    /// The campaign's own agent, whose code posters without a volunteer carry.
    pub poster_agent_id: Option<AgentId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    /// Before `starts_on`.
    Upcoming,
    Running,
    /// After `ends_on`.
    Ended,
    /// Closed by its manager.
    Closed,
}

impl CampaignRow {
    pub fn status(&self, today: NaiveDate) -> CampaignStatus {
        if self.closed_at.is_some() {
            CampaignStatus::Closed
        } else if today > self.ends_on {
            CampaignStatus::Ended
        } else if today < self.starts_on {
            CampaignStatus::Upcoming
        } else {
            CampaignStatus::Running
        }
    }
}

/// A campaign as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Campaign {
    #[schema(value_type = String, format = Uuid)]
    pub id: CampaignId,
    pub name: String,
    pub unit_code: String,
    pub unit_name: String,
    pub province_code: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub target_signups: i32,
    pub status: CampaignStatus,
    /// Accounts credited to the campaign so far.
    pub signups: i64,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = campaign_agents)]
pub struct AgentRow {
    pub id: AgentId,
    pub number: i32,
    pub campaign_id: CampaignId,
    pub user_id: Option<UserId>,
    pub display_name: String,
    pub unit_code: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

/// A volunteer of a campaign, with the code their QR code carries.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Agent {
    #[schema(value_type = String, format = Uuid)]
    pub id: AgentId,
    #[schema(value_type = String, format = Uuid)]
    pub campaign_id: CampaignId,
    pub display_name: String,
    /// The volunteer's own account, when they have one.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub user_id: Option<UserId>,
    /// Where the agent works: the campaign's unit or one under it. Their sign-ups count there.
    pub unit_code: String,
    pub active: bool,
    /// 12 characters, signed; what the QR code carries.
    #[schema(example = "0K2M9QF3XV7A")]
    pub code: String,
    /// The deep link of the QR code: `CDS_APP_LINK_BASE?c=CODE`.
    pub link: String,
    /// Accounts credited to this agent.
    pub signups: i64,
    pub created_at: DateTime<Utc>,
}

/// The deep link a volunteer's QR code encodes; it also opens as a web page.
pub fn deep_link(app_link_base: &str, code: &str) -> String {
    format!("{app_link_base}?c={code}")
}
