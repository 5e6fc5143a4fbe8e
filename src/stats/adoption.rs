//! Adoption, the figure every provincial digital-transformation plan sets a target for: per commune,
//! how many residents have an account, a verified one, one used in the last 90 days, one opened through
//! an onboarding drive, and, where the province entered the commune's adult population, those as shares
//! of it next to the province's target.
//!
//! A citizen belongs to the commune of the onboarding drive that signed them up, else to the commune of
//! the first report they filed; an account with neither is in no commune (the app asks no address).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Duration, NaiveDateTime};
use diesel::dsl::min;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::Entry;
use crate::db::schema::{
    admin_units, onboarding_signups, organizations, report_supports, reports, unit_populations, users,
};
use crate::db::DbConnection;
use crate::error::{AppError, FieldErrors, FieldIssue};
use crate::units::UnitCode;
use crate::values::{Role, UserId};
use crate::workflow::Jurisdiction;

/// Active: filed, supported or rated a report within this many days.
pub const ACTIVE_DAYS: i64 = 90;
/// The share of residents a plan aims for when the province names none ("80 % of residents").
pub const DEFAULT_TARGET: f64 = 0.8;

/// A commune's adult population as the province entered it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Population {
    /// Residents aged 18 and over.
    #[schema(example = 12500)]
    pub adults: i64,
    /// The year the figure is for.
    #[schema(example = 2025)]
    pub year: i32,
    /// Where it comes from (a census, the commune's statistics office…), 1–200 characters.
    #[schema(example = "Niên giám thống kê tỉnh Lâm Đồng 2025")]
    pub source: String,
    /// The share of adults the province aims to have on the app, above 0 and at most 1; default 0.8.
    #[serde(default = "default_target")]
    #[schema(example = 0.8)]
    pub target_share: f64,
}

fn default_target() -> f64 {
    DEFAULT_TARGET
}

impl Population {
    pub fn parse(self, this_year: i32) -> Result<Population, AppError> {
        let mut errors = FieldErrors::default();
        if !(1..=50_000_000).contains(&self.adults) {
            errors.add("adults", FieldIssue::OutOfRange { min: 1.0, max: 50_000_000.0 });
        }
        if !(1990..=this_year + 1).contains(&self.year) {
            errors.add("year", FieldIssue::OutOfRange { min: 1990.0, max: f64::from(this_year + 1) });
        }
        let source = crate::calendar::store::text_within(&self.source, 1..=200, "source", &mut errors);
        if !(self.target_share > 0.0 && self.target_share <= 1.0) {
            errors.add("target_share", FieldIssue::OutOfRange { min: 0.0, max: 1.0 });
        }
        errors.finish()?;
        Ok(Population { source, ..self })
    }
}

/// Enters (or replaces) commune `unit`'s population; written to the audit log. 404 `unit_not_found` for
/// anything but a current commune-level unit.
pub fn set_population(
    conn: &mut DbConnection,
    admin: &UserId,
    unit: &UnitCode,
    population: &Population,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    crate::db::transaction(conn, |conn| {
        let commune: i64 = admin_units::table
            .find(unit.as_str())
            .filter(admin_units::level.eq(2))
            .filter(admin_units::valid_to.is_null())
            .count()
            .get_result(conn)?;
        if commune == 0 {
            return Err(AppError::UnitNotFound(unit.as_str().to_string()));
        }
        // Replaced in one transaction (diesel's MultiConnection has no upsert).
        diesel::delete(unit_populations::table.find(unit.as_str())).execute(conn)?;
        diesel::insert_into(unit_populations::table)
            .values((
                unit_populations::unit_code.eq(unit.as_str()),
                unit_populations::adults.eq(population.adults),
                unit_populations::year.eq(population.year),
                unit_populations::source.eq(&population.source),
                unit_populations::target_share.eq(population.target_share),
                unit_populations::updated_by.eq(admin),
                unit_populations::updated_at.eq(now),
            ))
            .execute(conn)?;
        let subject = ("unit_population", unit.as_str());
        crate::audit::record(conn, Entry { actor: admin, action: "set_population", subject, reason: None, at: now })
    })
}

/// The figures of one commune, or of all of them together.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct AdoptionFigures {
    /// Citizens' accounts (deleted ones left out).
    pub citizens: i64,
    /// With an email address confirmed by its link, or a phone number proven by an activation code.
    pub verified: i64,
    /// That filed, supported or rated a report in the last 90 days.
    pub active: i64,
    /// Credited to an onboarding drive.
    pub onboarding_signups: i64,
    /// The adults of the communes with a population entered; `null` where none is.
    pub adults: Option<i64>,
    /// Citizens of those communes, of their adults.
    pub signed_up_share: Option<f64>,
    /// Active citizens of those communes, of their adults.
    pub active_share: Option<f64>,
    /// The target (for all communes together, their adults' weighted mean).
    pub target_share: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct UnitAdoption {
    pub unit_code: String,
    pub unit_name: String,
    /// The population entered, if any.
    pub population: Option<Population>,
    pub figures: AdoptionFigures,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Adoption {
    #[schema(value_type = String, format = DateTime)]
    pub as_of: chrono::DateTime<chrono::Utc>,
    pub total: AdoptionFigures,
    /// With `group_by=unit`: every commune of the scope, in code order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub units: Option<Vec<UnitAdoption>>,
}

/// The communes an official's figures cover: their commune offices' communes, every commune of the
/// provinces of their departments and IOCs; narrowed to `province` when given (403 outside).
fn communes_in_scope(
    conn: &mut DbConnection,
    jurisdiction: &Jurisdiction,
    province: Option<&str>,
) -> Result<Vec<(String, String)>, AppError> {
    let own: Vec<(Option<String>, String)> = organizations::table
        .filter(organizations::id.eq_any(&jurisdiction.organizations))
        .select((organizations::unit_code, organizations::province_code))
        .load(conn)?;
    let mut provinces: Vec<String> = jurisdiction.ioc_provinces.clone();
    let mut communes: Vec<String> = Vec::new();
    for (unit, province) in own {
        match unit {
            Some(unit) => communes.push(unit),
            None => provinces.push(province),
        }
    }
    let visible: Vec<(String, String, Option<String>)> = admin_units::table
        .filter(admin_units::level.eq(2))
        .filter(admin_units::code.eq_any(&communes).or(admin_units::parent_code.eq_any(&provinces)))
        .select((admin_units::code, admin_units::name, admin_units::parent_code))
        .order(admin_units::code)
        .load(conn)?;
    if let Some(province) = province {
        if !visible.iter().any(|(_, _, parent)| parent.as_deref() == Some(province)) {
            return Err(AppError::Forbidden);
        }
    }
    Ok(visible
        .into_iter()
        .filter(|(_, _, parent)| province.is_none_or(|p| parent.as_deref() == Some(p)))
        .map(|(code, name, _)| (code, name))
        .collect())
}

/// Which commune each citizen belongs to (see the module's doc), with whether their account is verified.
fn citizens_by_commune(conn: &mut DbConnection) -> Result<HashMap<String, (String, bool)>, AppError> {
    let citizens: Vec<(String, Option<NaiveDateTime>, bool)> = users::table
        .filter(users::role.eq(Role::Citizen.as_str()))
        .filter(users::deleted_at.is_null())
        .select((users::id, users::email_verified_at, users::active))
        .load(conn)?;
    let signups: HashMap<String, (String, bool)> = onboarding_signups::table
        .select((onboarding_signups::user_id, onboarding_signups::unit_code, onboarding_signups::assisted))
        .load::<(String, String, bool)>(conn)?
        .into_iter()
        .map(|(user, unit, assisted)| (user, (unit, assisted)))
        .collect();
    // Each reporter's earliest report per commune; the earliest of those is where they first filed.
    let firsts: Vec<(String, String, Option<NaiveDateTime>)> = reports::table
        .group_by((reports::reporter_id, reports::unit_code))
        .select((reports::reporter_id, reports::unit_code, min(reports::created_at)))
        .load(conn)?;
    let mut first_report: HashMap<String, (NaiveDateTime, String)> = HashMap::new();
    for (reporter, unit, at) in firsts {
        let Some(at) = at else { continue };
        let entry = first_report.entry(reporter).or_insert((at, unit.clone()));
        if at < entry.0 {
            *entry = (at, unit);
        }
    }
    let mut placed = HashMap::new();
    for (id, email_verified_at, active) in citizens {
        let signup = signups.get(&id);
        // An assisted account is activated with a code sent to its phone: that proves the number.
        let verified = email_verified_at.is_some() || signup.is_some_and(|(_, assisted)| *assisted && active);
        let unit = signup.map(|(unit, _)| unit.clone()).or_else(|| first_report.get(&id).map(|(_, unit)| unit.clone()));
        if let Some(unit) = unit {
            placed.insert(id, (unit, verified));
        }
    }
    Ok(placed)
}

/// Who filed, supported or rated a report since `since`.
fn active_since(conn: &mut DbConnection, since: NaiveDateTime) -> Result<HashSet<String>, AppError> {
    let filed: Vec<String> =
        reports::table.filter(reports::created_at.ge(since)).select(reports::reporter_id).distinct().load(conn)?;
    let rated: Vec<String> =
        reports::table.filter(reports::rated_at.ge(since)).select(reports::reporter_id).distinct().load(conn)?;
    let supported: Vec<String> = report_supports::table
        .filter(report_supports::created_at.ge(since))
        .select(report_supports::user_id)
        .distinct()
        .load(conn)?;
    Ok(filed.into_iter().chain(rated).chain(supported).collect())
}

/// The adoption figures of the communes in `jurisdiction` (narrowed to `province`), as of `now`.
pub fn adoption(
    conn: &mut DbConnection,
    jurisdiction: &Jurisdiction,
    province: Option<&str>,
    per_unit: bool,
    now: NaiveDateTime,
) -> Result<Adoption, AppError> {
    let communes = communes_in_scope(conn, jurisdiction, province)?;
    let codes: Vec<&String> = communes.iter().map(|(code, _)| code).collect();
    let populations: HashMap<String, Population> = unit_populations::table
        .filter(unit_populations::unit_code.eq_any(&codes))
        .select((
            unit_populations::unit_code,
            unit_populations::adults,
            unit_populations::year,
            unit_populations::source,
            unit_populations::target_share,
        ))
        .load::<(String, i64, i32, String, f64)>(conn)?
        .into_iter()
        .map(|(unit, adults, year, source, target_share)| (unit, Population { adults, year, source, target_share }))
        .collect();
    let placed = citizens_by_commune(conn)?;
    let active = active_since(conn, now - Duration::days(ACTIVE_DAYS))?;
    let signups: Vec<String> = onboarding_signups::table
        .filter(onboarding_signups::unit_code.eq_any(&codes))
        .select(onboarding_signups::unit_code)
        .load(conn)?;

    let mut counts: BTreeMap<&str, AdoptionFigures> =
        codes.iter().map(|c| (c.as_str(), AdoptionFigures::default())).collect();
    for (user, (unit, verified)) in &placed {
        let Some(figures) = counts.get_mut(unit.as_str()) else { continue };
        figures.citizens += 1;
        figures.verified += i64::from(*verified);
        figures.active += i64::from(active.contains(user));
    }
    for unit in &signups {
        if let Some(figures) = counts.get_mut(unit.as_str()) {
            figures.onboarding_signups += 1;
        }
    }
    let with_population = |figures: &mut AdoptionFigures, population: Option<&Population>| {
        if let Some(population) = population {
            figures.adults = Some(population.adults);
            figures.signed_up_share = Some(figures.citizens as f64 / population.adults as f64);
            figures.active_share = Some(figures.active as f64 / population.adults as f64);
            figures.target_share = Some(population.target_share);
        }
    };
    let mut total = AdoptionFigures::default();
    let (mut adults, mut citizens_counted, mut active_counted, mut target_weighted) = (0_i64, 0_i64, 0_i64, 0.0);
    let mut units = Vec::new();
    for (code, name) in &communes {
        let mut figures = counts.remove(code.as_str()).unwrap_or_default();
        total.citizens += figures.citizens;
        total.verified += figures.verified;
        total.active += figures.active;
        total.onboarding_signups += figures.onboarding_signups;
        let population = populations.get(code);
        if let Some(population) = population {
            adults += population.adults;
            citizens_counted += figures.citizens;
            active_counted += figures.active;
            target_weighted += population.target_share * population.adults as f64;
        }
        with_population(&mut figures, population);
        if per_unit {
            units.push(UnitAdoption {
                unit_code: code.clone(),
                unit_name: name.clone(),
                population: population.cloned(),
                figures,
            });
        }
    }
    if adults > 0 {
        total.adults = Some(adults);
        total.signed_up_share = Some(citizens_counted as f64 / adults as f64);
        total.active_share = Some(active_counted as f64 / adults as f64);
        total.target_share = Some(target_weighted / adults as f64);
    }
    Ok(Adoption { as_of: now.and_utc(), total, units: per_unit.then_some(units) })
}
