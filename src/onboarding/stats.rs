//! Tallies: sign-ups of a campaign per day (Vietnamese days), per agent and per unit, against its
//! target, and how many of those accounts went on to file or support a report ("activated"); and a
//! province's campaigns side by side.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::{vietnam_date, Campaign, CampaignRow, CampaignStatus, Manager};
use crate::db::schema::{admin_units, campaign_agents, onboarding_signups, report_supports, reports};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::values::{AgentId, CampaignId, UserId};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayCount {
    pub date: NaiveDate,
    pub signups: i64,
    pub activated: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentCount {
    #[schema(value_type = String, format = Uuid)]
    pub agent_id: AgentId,
    pub display_name: String,
    pub signups: i64,
    pub activated: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitCount {
    pub unit_code: String,
    pub unit_name: String,
    pub signups: i64,
    pub activated: i64,
}

/// The numbers of one campaign. `total` = the sum per day = per agent = per unit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CampaignStats {
    pub campaign: Campaign,
    pub target_signups: i32,
    pub total: i64,
    /// `total / target_signups` (1.0 = target reached).
    pub progress: f64,
    /// Accounts that filed or supported at least one report.
    pub activated: i64,
    /// `activated / total` (0 when there are no sign-ups).
    pub activation_rate: f64,
    /// Assisted sign-ups among `total`.
    pub assisted: i64,
    pub per_day: Vec<DayCount>,
    pub per_agent: Vec<AgentCount>,
    pub per_unit: Vec<UnitCount>,
}

/// One credited account.
pub struct Signup {
    pub campaign_id: CampaignId,
    pub agent_id: AgentId,
    pub agent_name: String,
    pub unit_code: String,
    pub unit_name: String,
    pub date: NaiveDate,
    pub assisted: bool,
    pub activated: bool,
}

#[derive(Queryable)]
struct SignupRow {
    user_id: UserId,
    campaign_id: CampaignId,
    agent_id: AgentId,
    agent_name: String,
    unit_code: String,
    unit_name: String,
    at: NaiveDateTime,
    assisted: bool,
}

/// Every account credited to the campaigns `campaign_ids`.
pub fn signups(conn: &mut DbConnection, campaign_ids: &[CampaignId]) -> Result<Vec<Signup>, AppError> {
    let rows: Vec<SignupRow> = onboarding_signups::table
        .inner_join(campaign_agents::table.on(campaign_agents::id.eq(onboarding_signups::agent_id)))
        .inner_join(admin_units::table.on(admin_units::code.eq(onboarding_signups::unit_code)))
        .filter(onboarding_signups::campaign_id.eq_any(campaign_ids))
        .order(onboarding_signups::created_at.asc())
        .select((
            onboarding_signups::user_id,
            onboarding_signups::campaign_id,
            onboarding_signups::agent_id,
            campaign_agents::display_name,
            onboarding_signups::unit_code,
            admin_units::name,
            onboarding_signups::created_at,
            onboarding_signups::assisted,
        ))
        .load(conn)?;
    let credited = || onboarding_signups::table.filter(onboarding_signups::campaign_id.eq_any(campaign_ids));
    let mut active: HashSet<UserId> = reports::table
        .filter(reports::reporter_id.eq_any(credited().select(onboarding_signups::user_id)))
        .select(reports::reporter_id)
        .distinct()
        .load::<UserId>(conn)?
        .into_iter()
        .collect();
    active.extend(
        report_supports::table
            .filter(report_supports::user_id.eq_any(credited().select(onboarding_signups::user_id)))
            .select(report_supports::user_id)
            .distinct()
            .load::<UserId>(conn)?,
    );
    Ok(rows
        .into_iter()
        .map(|row| Signup {
            activated: active.contains(&row.user_id),
            campaign_id: row.campaign_id,
            agent_id: row.agent_id,
            agent_name: row.agent_name,
            unit_code: row.unit_code,
            unit_name: row.unit_name,
            date: vietnam_date(row.at),
            assisted: row.assisted,
        })
        .collect())
}

fn ratio(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 / whole as f64 * 1000.0).round() / 1000.0
    }
}

/// Counts of `signups` grouped by `key` (in key order), with each group's label.
fn grouped<K: Ord, L>(signups: &[Signup], key: impl Fn(&Signup) -> (K, L)) -> Vec<(K, L, i64, i64)> {
    let mut groups: BTreeMap<K, (L, i64, i64)> = BTreeMap::new();
    for signup in signups {
        let (k, label) = key(signup);
        let entry = groups.entry(k).or_insert((label, 0, 0));
        entry.1 += 1;
        entry.2 += i64::from(signup.activated);
    }
    groups.into_iter().map(|(k, (label, n, active))| (k, label, n, active)).collect()
}

pub fn campaign_stats(conn: &mut DbConnection, campaign: Campaign) -> Result<CampaignStats, AppError> {
    let signups = signups(conn, std::slice::from_ref(&campaign.id))?;
    let total = signups.len() as i64;
    let activated = signups.iter().filter(|s| s.activated).count() as i64;
    let per_unit = grouped(&signups, |s| (s.unit_code.clone(), s.unit_name.clone()))
        .into_iter()
        .map(|(unit_code, unit_name, signups, activated)| UnitCount { unit_code, unit_name, signups, activated })
        .collect();
    // Agents without sign-ups are listed too: a volunteer who has not reached anyone yet is news.
    let mut per_agent: Vec<AgentCount> = grouped(&signups, |s| (s.agent_id.clone(), s.agent_name.clone()))
        .into_iter()
        .map(|(agent_id, display_name, signups, activated)| AgentCount { agent_id, display_name, signups, activated })
        .collect();
    let idle: Vec<(AgentId, String)> = campaign_agents::table
        .filter(campaign_agents::campaign_id.eq(&campaign.id))
        .select((campaign_agents::id, campaign_agents::display_name))
        .load(conn)?;
    let seen: HashMap<AgentId, ()> = per_agent.iter().map(|a| (a.agent_id.clone(), ())).collect();
    per_agent.extend(
        idle.into_iter().filter(|(id, _)| !seen.contains_key(id)).map(|(agent_id, display_name)| AgentCount {
            agent_id,
            display_name,
            signups: 0,
            activated: 0,
        }),
    );
    per_agent.sort_by(|a, b| b.signups.cmp(&a.signups).then_with(|| a.display_name.cmp(&b.display_name)));
    Ok(CampaignStats {
        target_signups: campaign.target_signups,
        total,
        progress: ratio(total, i64::from(campaign.target_signups)),
        activated,
        activation_rate: ratio(activated, total),
        assisted: signups.iter().filter(|s| s.assisted).count() as i64,
        per_day: grouped(&signups, |s| (s.date, String::new()))
            .into_iter()
            .map(|(date, _, signups, activated)| DayCount { date, signups, activated })
            .collect(),
        per_agent,
        per_unit,
        campaign,
    })
}

/// The CSV export of a campaign: one row per day, agent and unit; its columns add up to the totals.
pub fn campaign_csv(conn: &mut DbConnection, campaign_id: &CampaignId) -> Result<String, AppError> {
    let signups = signups(conn, std::slice::from_ref(campaign_id))?;
    let rows = grouped(&signups, |s| {
        ((s.date, s.agent_id.clone(), s.unit_code.clone()), (s.agent_name.clone(), s.unit_name.clone()))
    });
    let mut writer = csv::Writer::from_writer(Vec::new());
    let csv_error = |err: csv::Error| AppError::Internal(format!("CSV: {err}"));
    writer
        .write_record(["date", "agent_id", "agent_name", "unit_code", "unit_name", "signups", "activated"])
        .map_err(csv_error)?;
    for ((date, agent_id, unit_code), (agent_name, unit_name), signups, activated) in rows {
        writer
            .write_record([
                date.to_string(),
                agent_id.into_string(),
                agent_name,
                unit_code,
                unit_name,
                signups.to_string(),
                activated.to_string(),
            ])
            .map_err(csv_error)?;
    }
    let bytes = writer.into_inner().map_err(|err| AppError::Internal(format!("CSV: {err}")))?;
    String::from_utf8(bytes).map_err(|err| AppError::Internal(format!("CSV: {err}")))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CampaignTally {
    #[schema(value_type = String, format = Uuid)]
    pub campaign_id: CampaignId,
    pub name: String,
    pub unit_code: String,
    pub status: CampaignStatus,
    pub target_signups: i32,
    pub signups: i64,
    pub progress: f64,
    pub activated: i64,
}

/// A province's campaigns side by side, and its sign-ups per unit across them. A commune official sees
/// the province's totals, but only the campaigns they may read (their commune's and the province-wide
/// ones) and only their own commune's row per unit, as `GET /admin/campaigns/{id}` would show them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProvinceStats {
    pub province_code: String,
    pub province_name: String,
    /// Sign-ups in the whole province.
    pub total: i64,
    pub activated: i64,
    pub campaigns: Vec<CampaignTally>,
    pub per_unit: Vec<UnitCount>,
}

impl ProvinceStats {
    /// The detail `manager` may read; the province's totals stay.
    pub fn as_seen_by(mut self, manager: &Manager) -> Self {
        let province = self.province_code.clone();
        self.campaigns.retain(|c| manager.sees(&c.unit_code, &province));
        if let Manager::Official { unit_code, province_wide: false, .. } = manager {
            self.per_unit.retain(|u| &u.unit_code == unit_code);
        }
        self
    }
}

pub fn province_stats(
    conn: &mut DbConnection,
    province_code: &str,
    campaigns: &[CampaignRow],
    today: NaiveDate,
) -> Result<ProvinceStats, AppError> {
    let province_name: String = admin_units::table
        .find(province_code)
        .select(admin_units::name)
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::UnitNotFound(province_code.to_string()))?;
    let ids: Vec<CampaignId> = campaigns.iter().map(|c| c.id.clone()).collect();
    let signups = signups(conn, &ids)?;
    let tallies = campaigns
        .iter()
        .map(|c| {
            let own = signups.iter().filter(|s| s.campaign_id == c.id);
            let (count, activated) = own.fold((0, 0), |(n, a), s| (n + 1, a + i64::from(s.activated)));
            CampaignTally {
                campaign_id: c.id.clone(),
                name: c.name.clone(),
                unit_code: c.unit_code.clone(),
                status: c.status(today),
                target_signups: c.target_signups,
                signups: count,
                progress: ratio(count, i64::from(c.target_signups)),
                activated,
            }
        })
        .collect();
    Ok(ProvinceStats {
        province_code: province_code.to_string(),
        province_name,
        total: signups.len() as i64,
        activated: signups.iter().filter(|s| s.activated).count() as i64,
        campaigns: tallies,
        per_unit: grouped(&signups, |s| (s.unit_code.clone(), s.unit_name.clone()))
            .into_iter()
            .map(|(unit_code, unit_name, signups, activated)| UnitCount { unit_code, unit_name, signups, activated })
            .collect(),
    })
}
