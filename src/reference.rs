//! Reference data read from memory on the common paths (filing a report, its deadlines): categories and
//! their deadlines, administrative units, organizations and their office hours, routing rules and the
//! working calendar. It changes a few times a year and is read on every filing, so a copy is kept.
//!
//! The database holds a token that triggers replace with a random one on every change to those tables
//! (`reference_version`). A reader asks for the token (one statement) and takes the copy kept for it,
//! loading one when there is none. The copy belongs to the data, not to the process: instances sharing a
//! database see each other's changes on their next read, and two databases (tests run many in one
//! process) never share a token for different data. A new organization leaves the token alone: commune
//! offices are created by the first report of their commune, and reloading every instance for each would
//! cost more than asking the database for an office the copy lacks ([`Reference::commune_office`]).

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex};

use diesel::prelude::*;

use crate::calendar::office_hours::OfficeHours;
use crate::calendar::store::{self, CalendarDayRow};
use crate::calendar::WorkingCalendar;
use crate::categories::{CategoryRow, StepRules};
use crate::db::schema::{admin_units, categories, category_deadlines, organizations, reference_version, routing_rules};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::organizations::{OrganizationKind, OrganizationRow};
use crate::units::UnitRow;
use crate::values::OrganizationId;

/// Copies kept at once: one per database in production; tests run many databases in one process.
const KEPT_COPIES: usize = 8;

/// Copies by token, the most recently used last.
static KEPT: Mutex<Vec<(String, Arc<Reference>)>> = Mutex::new(Vec::new());

/// One consistent copy of the reference data.
pub struct Reference {
    categories: HashMap<String, CategoryRow>,
    /// A province's own deadlines for a category, by (category, province).
    deadlines: HashMap<(String, String), StepRules>,
    units: HashMap<String, UnitRow>,
    organizations: HashMap<OrganizationId, OrganizationRow>,
    /// Commune offices by their commune's code.
    offices: HashMap<String, OrganizationId>,
    /// The department handling a category in a province, by (province, category).
    departments: HashMap<(String, String), OrganizationId>,
    /// Every stored calendar day, the whole country's first within a date.
    calendar: Vec<CalendarDayRow>,
}

/// The reference data as the database holds it now.
pub fn current(conn: &mut DbConnection) -> Result<Arc<Reference>, AppError> {
    let token = token(conn)?;
    if let Some(kept) = kept(&token) {
        return Ok(kept);
    }
    let loaded = Arc::new(Reference::load(conn)?);
    // A change committed while loading may be in the copy: keep it only under a token that did not move.
    if self::token(conn)? == token {
        keep(token, Arc::clone(&loaded));
    }
    Ok(loaded)
}

fn token(conn: &mut DbConnection) -> Result<String, AppError> {
    Ok(reference_version::table.select(reference_version::token).first(conn)?)
}

fn kept(token: &str) -> Option<Arc<Reference>> {
    let mut kept = KEPT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let at = kept.iter().position(|(kept_token, _)| kept_token == token)?;
    let entry = kept.remove(at);
    let copy = Arc::clone(&entry.1);
    kept.push(entry);
    Some(copy)
}

fn keep(token: String, copy: Arc<Reference>) {
    let mut kept = KEPT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if kept.len() >= KEPT_COPIES {
        kept.remove(0);
    }
    kept.push((token, copy));
}

impl Reference {
    fn load(conn: &mut DbConnection) -> Result<Self, AppError> {
        let categories: Vec<CategoryRow> = categories::table.select(CategoryRow::as_select()).load(conn)?;
        let deadlines: Vec<(String, String, StepRules)> = category_deadlines::table
            .select((
                category_deadlines::category_code,
                category_deadlines::province_code,
                (
                    category_deadlines::accept_hours,
                    category_deadlines::resolve_days,
                    category_deadlines::max_resolve_days,
                    category_deadlines::urgent_hours,
                ),
            ))
            .load(conn)?;
        let units: Vec<UnitRow> = admin_units::table.select(UnitRow::as_select()).load(conn)?;
        let organizations: Vec<OrganizationRow> =
            organizations::table.select(OrganizationRow::as_select()).load(conn)?;
        let departments: Vec<(String, String, OrganizationId)> = routing_rules::table
            .select((routing_rules::province_code, routing_rules::category_code, routing_rules::organization_id))
            .load(conn)?;
        let offices = organizations
            .iter()
            .filter(|row| row.kind == OrganizationKind::CommuneOffice.as_str())
            .filter_map(|row| Some((row.unit_code.clone()?, row.id.clone())))
            .collect();
        Ok(Reference {
            categories: categories.into_iter().map(|row| (row.code.clone(), row)).collect(),
            deadlines: deadlines.into_iter().map(|(category, province, rules)| ((category, province), rules)).collect(),
            units: units.into_iter().map(|row| (row.code.clone(), row)).collect(),
            organizations: organizations.into_iter().map(|row| (row.id.clone(), row)).collect(),
            offices,
            departments: departments
                .into_iter()
                .map(|(province, category, organization)| ((province, category), organization))
                .collect(),
            calendar: store::every_day(conn)?,
        })
    }

    pub fn category(&self, code: &str) -> Option<&CategoryRow> {
        self.categories.get(code)
    }

    /// The deadlines of `category` in `province`: the province's own, else the category's.
    pub fn deadlines(&self, category: &str, province: &str) -> Result<StepRules, AppError> {
        if let Some(own) = self.deadlines.get(&(category.to_string(), province.to_string())) {
            return Ok(*own);
        }
        let row = self.category(category).ok_or_else(|| AppError::Internal(format!("category {category}")))?;
        Ok(StepRules {
            accept_working_hours: row.accept_hours,
            resolve_working_days: row.resolve_days,
            max_resolve_working_days: row.max_resolve_days,
            urgent_hours: row.urgent_hours,
        })
    }

    /// Any unit, in force or not.
    pub fn unit(&self, code: &str) -> Option<&UnitRow> {
        self.units.get(code)
    }

    /// The commune-level units in force.
    pub fn communes(&self) -> impl Iterator<Item = &UnitRow> {
        self.units.values().filter(|unit| unit.level == 2 && unit.valid_to.is_none())
    }

    pub fn organization(&self, id: &OrganizationId) -> Option<&OrganizationRow> {
        self.organizations.get(id)
    }

    /// The office of `commune`, if it existed when the copy was made (the caller asks the database
    /// otherwise: a new office does not replace the copy).
    pub fn commune_office(&self, commune: &str) -> Option<&OrganizationRow> {
        self.offices.get(commune).and_then(|id| self.organization(id))
    }

    /// The department a routing rule gives `category` in `province`.
    pub fn department(&self, province: &str, category: &str) -> Option<&OrganizationRow> {
        self.departments.get(&(province.to_string(), category.to_string())).and_then(|id| self.organization(id))
    }

    /// The hours `id`'s deadlines in working hours run in: its own, or the default (also for an
    /// organization this copy does not know, such as an office created since).
    pub fn office_hours(&self, id: &OrganizationId) -> Result<OfficeHours, AppError> {
        self.organization(id).map_or_else(|| Ok(OfficeHours::default()), OrganizationRow::office_hours)
    }

    /// The calendar a count that starts in `years`' first year and may run into the next ones uses, with
    /// `province`'s own days.
    pub fn working_calendar(&self, years: RangeInclusive<i32>, province: Option<&str>) -> WorkingCalendar {
        store::working_calendar(&self.calendar, years, province)
    }
}
