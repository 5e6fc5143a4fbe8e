//! Campaigns and their agents in the database, what a code says, and crediting an account to a campaign.

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;

use super::codes::{CodeSigner, MAX_AGENT_NUMBER};
use super::{deep_link, vietnam_today, Agent, AgentRow, Campaign, CampaignRow, CampaignStatus, Manager};
use crate::db::schema::{admin_units, campaign_agents, campaigns, onboarding_signups, users};
use crate::db::{self, DbConnection};
use crate::error::{AppError, FieldErrors, FieldIssue};
use crate::units::{find_unit, UnitCode};
use crate::values::{AgentId, CampaignId, UserId};

/// A campaign's name, counted after trimming.
pub(crate) const NAME_CHARS: (usize, usize) = (3, 200);
pub(crate) const MOST_SIGNUPS: i32 = 10_000_000;
/// An agent's display name, counted after trimming.
pub(crate) const DISPLAY_NAME_CHARS: usize = 100;
/// The advisory lock that serializes handing out agent numbers ("cds_agn").
const AGENT_NUMBER_LOCK: i64 = 0x0063_6473_5f61_676e;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCampaignRequest {
    #[schema(example = "Đi từng ngõ, gõ từng nhà — Phường Lâm Viên")]
    pub name: String,
    /// The unit the campaign covers, with everything under it.
    #[schema(example = "24781")]
    pub unit_code: String,
    #[schema(example = "2026-12-01")]
    pub starts_on: NaiveDate,
    #[schema(example = "2026-12-31")]
    pub ends_on: NaiveDate,
    #[schema(example = 2000)]
    pub target_signups: i32,
}

/// Changes to a campaign; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignChanges {
    pub name: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub target_signups: Option<i32>,
}

fn check_name(name: &str, errors: &mut FieldErrors) -> String {
    let name = name.trim().to_string();
    match name.chars().count() {
        n if n < NAME_CHARS.0 => errors.add("name", FieldIssue::TooShort { min: NAME_CHARS.0 }),
        n if n > NAME_CHARS.1 => errors.add("name", FieldIssue::TooLong { max: NAME_CHARS.1 }),
        _ => {}
    }
    name
}

fn check_period_and_target(starts_on: NaiveDate, ends_on: NaiveDate, target: i32, errors: &mut FieldErrors) {
    if ends_on < starts_on {
        errors.add("ends_on", FieldIssue::InvalidValue("on or after starts_on".into()));
    }
    if !(1..=MOST_SIGNUPS).contains(&target) {
        errors.add("target_signups", FieldIssue::OutOfRange { min: 1.0, max: f64::from(MOST_SIGNUPS) });
    }
}

pub fn create(
    conn: &mut DbConnection,
    manager: &Manager,
    created_by: &UserId,
    request: NewCampaignRequest,
) -> Result<CampaignRow, AppError> {
    let mut errors = FieldErrors::default();
    let name = check_name(&request.name, &mut errors);
    let unit_code = errors.check(UnitCode::parse_field(&request.unit_code, "unit_code"));
    check_period_and_target(request.starts_on, request.ends_on, request.target_signups, &mut errors);
    errors.finish()?;
    let unit = find_unit(conn, &unit_code.expect("checked above"))
        .map_err(|_| AppError::invalid("unit_code", FieldIssue::UnitCode))?;
    let province_code = if unit.level == 1 { unit.code.clone() } else { unit.parent_code.clone().unwrap_or_default() };
    if !manager.manages(&unit.code, &province_code) {
        return Err(AppError::Forbidden);
    }
    let now = Utc::now().naive_utc();
    let row = CampaignRow {
        id: CampaignId::new(),
        name,
        unit_code: unit.code,
        province_code,
        starts_on: request.starts_on,
        ends_on: request.ends_on,
        target_signups: request.target_signups,
        created_by: created_by.clone(),
        created_at: now,
        updated_at: now,
        closed_at: None,
        poster_agent_id: None,
    };
    diesel::insert_into(campaigns::table).values(&row).execute(conn)?;
    Ok(row)
}

/// The campaign if the manager may see it; anything else is "not found" (it does not say it exists).
pub fn find(conn: &mut DbConnection, manager: &Manager, id: &CampaignId) -> Result<CampaignRow, AppError> {
    campaigns::table
        .find(id)
        .select(CampaignRow::as_select())
        .first(conn)
        .optional()?
        .filter(|c| manager.sees(&c.unit_code, &c.province_code))
        .ok_or(AppError::CampaignNotFound)
}

/// The campaigns the manager may see, newest first, `limit + 1` after `cursor`, optionally of one province.
pub fn list(
    conn: &mut DbConnection,
    manager: &Manager,
    province: Option<&str>,
    cursor: Option<&str>,
    limit: i64,
) -> Result<Vec<CampaignRow>, AppError> {
    let mut query = campaigns::table.select(CampaignRow::as_select()).order(campaigns::id.desc()).into_boxed();
    match manager {
        Manager::Admin => {}
        Manager::Official { province_code, province_wide: true, .. } => {
            query = query.filter(campaigns::province_code.eq(province_code.clone()))
        }
        Manager::Official { unit_code, province_code, .. } => {
            query = query.filter(campaigns::unit_code.eq_any([unit_code.clone(), province_code.clone()]))
        }
    }
    if let Some(province) = province {
        query = query.filter(campaigns::province_code.eq(province.to_string()));
    }
    if let Some(cursor) = cursor {
        query = query.filter(campaigns::id.lt(cursor.to_string()));
    }
    Ok(query.limit(limit + 1).load(conn)?)
}

/// The campaign if the manager may change it and it is not closed.
fn open(conn: &mut DbConnection, manager: &Manager, id: &CampaignId) -> Result<CampaignRow, AppError> {
    let campaign = find(conn, manager, id)?;
    if !manager.manages(&campaign.unit_code, &campaign.province_code) {
        return Err(AppError::Forbidden);
    }
    if campaign.closed_at.is_some() {
        return Err(AppError::CampaignClosed);
    }
    Ok(campaign)
}

pub fn update(
    conn: &mut DbConnection,
    manager: &Manager,
    id: &CampaignId,
    changes: CampaignChanges,
) -> Result<CampaignRow, AppError> {
    db::transaction(conn, |conn| {
        let campaign = open(conn, manager, id)?;
        let mut errors = FieldErrors::default();
        let name = changes.name.map(|n| check_name(&n, &mut errors)).unwrap_or(campaign.name);
        let starts_on = changes.starts_on.unwrap_or(campaign.starts_on);
        let ends_on = changes.ends_on.unwrap_or(campaign.ends_on);
        let target = changes.target_signups.unwrap_or(campaign.target_signups);
        check_period_and_target(starts_on, ends_on, target, &mut errors);
        errors.finish()?;
        diesel::update(campaigns::table.find(id))
            .set((
                campaigns::name.eq(name),
                campaigns::starts_on.eq(starts_on),
                campaigns::ends_on.eq(ends_on),
                campaigns::target_signups.eq(target),
                campaigns::updated_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)?;
        find(conn, manager, id)
    })
}

/// Ends a campaign for good: its codes are refused from now on.
pub fn close(conn: &mut DbConnection, manager: &Manager, id: &CampaignId) -> Result<CampaignRow, AppError> {
    db::transaction(conn, |conn| {
        open(conn, manager, id)?;
        let now = Utc::now().naive_utc();
        diesel::update(campaigns::table.find(id).filter(campaigns::closed_at.is_null()))
            .set((campaigns::closed_at.eq(now), campaigns::updated_at.eq(now)))
            .execute(conn)?;
        find(conn, manager, id)
    })
}

pub fn unit_name(conn: &mut DbConnection, code: &str) -> Result<String, AppError> {
    Ok(admin_units::table.find(code).select(admin_units::name).first(conn)?)
}

/// The API view of campaigns: unit names and sign-up counts.
pub fn views(conn: &mut DbConnection, rows: &[CampaignRow]) -> Result<Vec<Campaign>, AppError> {
    let today = vietnam_today(Utc::now());
    rows.iter()
        .map(|row| {
            let unit_name = unit_name(conn, &row.unit_code)?;
            let signups: i64 = onboarding_signups::table
                .filter(onboarding_signups::campaign_id.eq(&row.id))
                .count()
                .get_result(conn)?;
            Ok(Campaign {
                id: row.id.clone(),
                name: row.name.clone(),
                unit_code: row.unit_code.clone(),
                unit_name,
                province_code: row.province_code.clone(),
                starts_on: row.starts_on,
                ends_on: row.ends_on,
                target_signups: row.target_signups,
                status: row.status(today),
                signups,
                created_at: row.created_at.and_utc(),
                closed_at: row.closed_at.map(|t| t.and_utc()),
            })
        })
        .collect()
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgentRequest {
    /// The volunteer's account, if they have one (it lets them see their own code and tally, and sign
    /// neighbours up).
    #[schema(value_type = Option<String>, format = Uuid)]
    pub user_id: Option<UserId>,
    #[schema(example = "Đoàn viên Nguyễn Thị Hoa")]
    pub display_name: String,
    /// Where the agent works, within the campaign's unit; the campaign's unit when absent.
    pub unit_code: Option<String>,
}

pub fn add_agent(
    conn: &mut DbConnection,
    manager: &Manager,
    campaign_id: &CampaignId,
    request: NewAgentRequest,
) -> Result<AgentRow, AppError> {
    db::transaction(conn, |conn| {
        let campaign = open(conn, manager, campaign_id)?;
        let mut errors = FieldErrors::default();
        let display_name = request.display_name.trim().to_string();
        match display_name.chars().count() {
            0 => errors.add("display_name", FieldIssue::Required),
            n if n > DISPLAY_NAME_CHARS => errors.add("display_name", FieldIssue::TooLong { max: DISPLAY_NAME_CHARS }),
            _ => {}
        }
        if let Some(user_id) = &request.user_id {
            let exists = users::table
                .filter(users::id.eq(user_id))
                .filter(users::deleted_at.is_null())
                .count()
                .get_result::<i64>(conn)?
                == 1;
            if !exists {
                errors.add("user_id", FieldIssue::UnknownUser);
            }
        }
        let unit_code = match &request.unit_code {
            None => campaign.unit_code.clone(),
            Some(raw) => {
                let within = match UnitCode::parse(raw) {
                    Some(code) => {
                        let unit = find_unit(conn, &code).ok();
                        unit.filter(|u| {
                            u.code == campaign.unit_code || u.parent_code.as_ref() == Some(&campaign.unit_code)
                        })
                    }
                    None => None,
                };
                match within {
                    Some(unit) => unit.code,
                    None => {
                        errors.add("unit_code", FieldIssue::InvalidValue("the campaign's unit or one under it".into()));
                        String::new()
                    }
                }
            }
        };
        errors.finish()?;
        // Numbers are handed out in order, one agent at a time.
        db::lock_until_commit(conn, AGENT_NUMBER_LOCK)?;
        let number = campaign_agents::table
            .select(diesel::dsl::max(campaign_agents::number))
            .first::<Option<i32>>(conn)?
            .unwrap_or(0)
            + 1;
        if number > MAX_AGENT_NUMBER {
            return Err(AppError::Internal("no agent numbers left".into()));
        }
        let row = AgentRow {
            id: AgentId::new(),
            number,
            campaign_id: campaign.id,
            user_id: request.user_id,
            display_name,
            unit_code,
            active: true,
            created_at: Utc::now().naive_utc(),
        };
        diesel::insert_into(campaign_agents::table).values(&row).execute(conn)?;
        Ok(row)
    })
}

/// The name the campaign's own agent goes by (on posters without a volunteer, in tallies).
pub const POSTER_AGENT_NAME: &str = "Áp phích của chiến dịch";

/// The campaign's own agent, made the first time it is needed: posters on the office wall carry its
/// code, and sign-ups through it count for the campaign and its unit.
pub fn poster_agent(
    conn: &mut DbConnection,
    manager: &Manager,
    campaign_id: &CampaignId,
) -> Result<AgentRow, AppError> {
    db::transaction(conn, |conn| {
        // One at a time, so that two first posters make one agent.
        db::lock_until_commit(conn, AGENT_NUMBER_LOCK)?;
        let campaign = open(conn, manager, campaign_id)?;
        if let Some(agent_id) = &campaign.poster_agent_id {
            return find_agent(conn, campaign_id, agent_id);
        }
        let request = NewAgentRequest { user_id: None, display_name: POSTER_AGENT_NAME.into(), unit_code: None };
        let agent = add_agent(conn, manager, campaign_id, request)?;
        diesel::update(campaigns::table.find(campaign_id))
            .set(campaigns::poster_agent_id.eq(&agent.id))
            .execute(conn)?;
        Ok(agent)
    })
}

pub fn find_agent(conn: &mut DbConnection, campaign_id: &CampaignId, agent_id: &AgentId) -> Result<AgentRow, AppError> {
    campaign_agents::table
        .filter(campaign_agents::id.eq(agent_id))
        .filter(campaign_agents::campaign_id.eq(campaign_id))
        .select(AgentRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::AgentNotFound)
}

/// Deactivates (or reactivates) an agent: a deactivated agent's code credits nobody.
pub fn set_agent_active(
    conn: &mut DbConnection,
    manager: &Manager,
    campaign_id: &CampaignId,
    agent_id: &AgentId,
    active: bool,
) -> Result<AgentRow, AppError> {
    db::transaction(conn, |conn| {
        open(conn, manager, campaign_id)?;
        find_agent(conn, campaign_id, agent_id)?;
        diesel::update(campaign_agents::table.find(agent_id)).set(campaign_agents::active.eq(active)).execute(conn)?;
        find_agent(conn, campaign_id, agent_id)
    })
}

pub fn agents_of(conn: &mut DbConnection, campaign_id: &CampaignId) -> Result<Vec<AgentRow>, AppError> {
    Ok(campaign_agents::table
        .filter(campaign_agents::campaign_id.eq(campaign_id))
        .select(AgentRow::as_select())
        .order(campaign_agents::number.asc())
        .load(conn)?)
}

pub fn agents_of_user(conn: &mut DbConnection, user_id: &UserId) -> Result<Vec<AgentRow>, AppError> {
    Ok(campaign_agents::table
        .filter(campaign_agents::user_id.eq(user_id))
        .select(AgentRow::as_select())
        .order(campaign_agents::number.asc())
        .load(conn)?)
}

pub fn agent_views(
    conn: &mut DbConnection,
    rows: &[AgentRow],
    signer: &CodeSigner,
    app_link_base: &str,
) -> Result<Vec<Agent>, AppError> {
    rows.iter()
        .map(|row| {
            let code = signer.code(row.number);
            let signups: i64 =
                onboarding_signups::table.filter(onboarding_signups::agent_id.eq(&row.id)).count().get_result(conn)?;
            Ok(Agent {
                id: row.id.clone(),
                campaign_id: row.campaign_id.clone(),
                display_name: row.display_name.clone(),
                user_id: row.user_id.clone(),
                unit_code: row.unit_code.clone(),
                active: row.active,
                link: deep_link(app_link_base, &code),
                code,
                signups,
                created_at: row.created_at.and_utc(),
            })
        })
        .collect()
}

/// What a genuine code stands for.
pub struct Resolved {
    pub campaign: CampaignRow,
    pub agent: AgentRow,
    pub status: CampaignStatus,
}

impl Resolved {
    /// Whether a sign-up with the code is credited now.
    pub fn active(&self) -> bool {
        self.agent.active && self.status == CampaignStatus::Running
    }
}

/// The agent and campaign behind a code. Forged or altered codes, and codes of closed or ended
/// campaigns, are refused, each with its own error.
pub fn resolve(conn: &mut DbConnection, signer: &CodeSigner, code: &str) -> Result<Resolved, AppError> {
    let number = signer.verify(code).ok_or(AppError::OnboardingCodeInvalid)?;
    let (agent, campaign): (AgentRow, CampaignRow) = campaign_agents::table
        .inner_join(campaigns::table.on(campaigns::id.eq(campaign_agents::campaign_id)))
        .filter(campaign_agents::number.eq(number))
        .select((AgentRow::as_select(), CampaignRow::as_select()))
        .first(conn)
        .optional()?
        .ok_or(AppError::OnboardingCodeInvalid)?;
    let status = campaign.status(vietnam_today(Utc::now()));
    match status {
        CampaignStatus::Closed => Err(AppError::OnboardingCampaignClosed),
        CampaignStatus::Ended => Err(AppError::OnboardingCampaignEnded),
        CampaignStatus::Upcoming | CampaignStatus::Running => Ok(Resolved { campaign, agent, status }),
    }
}

/// Credits `user_id` to the campaign, agent and unit of an active agent. Once: an account already
/// credited stays where it is (`already_credited`); the same code again is a harmless retry.
pub fn credit(conn: &mut DbConnection, user_id: &UserId, resolved: &Resolved, assisted: bool) -> Result<(), AppError> {
    if !resolved.agent.active {
        return Err(AppError::invalid("onboarding_code", FieldIssue::OnboardingCode("onboarding_agent_inactive")));
    }
    if resolved.status == CampaignStatus::Upcoming {
        return Err(AppError::invalid(
            "onboarding_code",
            FieldIssue::OnboardingCode("onboarding_campaign_not_started"),
        ));
    }
    let credited_to: Option<AgentId> =
        onboarding_signups::table.find(user_id).select(onboarding_signups::agent_id).first(conn).optional()?;
    match credited_to {
        Some(agent) if agent == resolved.agent.id => return Ok(()),
        Some(_) => return Err(AppError::AlreadyCredited),
        None => {}
    }
    diesel::insert_into(onboarding_signups::table)
        .values((
            onboarding_signups::user_id.eq(user_id),
            onboarding_signups::campaign_id.eq(&resolved.campaign.id),
            onboarding_signups::agent_id.eq(&resolved.agent.id),
            onboarding_signups::unit_code.eq(&resolved.agent.unit_code),
            onboarding_signups::assisted.eq(assisted),
            onboarding_signups::created_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)
        .map_err(crate::db::taken_as(AppError::AlreadyCredited))?;
    Ok(())
}

/// A code given at sign-up: refused codes are errors of the `onboarding_code` field, so the app can
/// offer to go on without it. Returns what the code stands for.
pub fn credit_at_sign_up(
    conn: &mut DbConnection,
    signer: &CodeSigner,
    user_id: &UserId,
    code: &str,
) -> Result<Resolved, AppError> {
    let resolved = resolve(conn, signer, code).map_err(|err| match err {
        AppError::OnboardingCodeInvalid | AppError::OnboardingCampaignClosed | AppError::OnboardingCampaignEnded => {
            AppError::invalid("onboarding_code", FieldIssue::OnboardingCode(err.code()))
        }
        other => other,
    })?;
    credit(conn, user_id, &resolved, false)?;
    Ok(resolved)
}
