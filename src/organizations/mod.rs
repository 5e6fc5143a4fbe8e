//! Organizations that handle reports (commune offices, provincial departments, the province IOC), their
//! officials, and the rules that route a report to one of them.

use chrono::Utc;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::calendar::office_hours::OfficeHours;
use crate::db::schema::{categories, organization_members, organizations, routing_rules, users};
use crate::db::{self, DbConnection};
use crate::error::{AppError, FieldIssue};
use crate::units::UnitRow;
use crate::values::{OrganizationId, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrganizationKind {
    /// The People's Committee office of one commune or ward.
    CommuneOffice,
    /// A provincial department (sở, ngành): province-wide, for the categories routed to it.
    Department,
    /// The province's Intelligent Operation Centre: everything in the province, escalations.
    Ioc,
}

impl OrganizationKind {
    pub const NAMES: &'static [&'static str] = &["commune_office", "department", "ioc"];

    pub fn as_str(self) -> &'static str {
        match self {
            OrganizationKind::CommuneOffice => "commune_office",
            OrganizationKind::Department => "department",
            OrganizationKind::Ioc => "ioc",
        }
    }

    pub fn parse(raw: &str, field: &str) -> Result<Self, AppError> {
        [OrganizationKind::CommuneOffice, OrganizationKind::Department, OrganizationKind::Ioc]
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| AppError::invalid(field, FieldIssue::OneOf(Self::NAMES)))
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = organizations)]
pub struct OrganizationRow {
    pub id: OrganizationId,
    pub kind: String,
    pub name: String,
    pub province_code: String,
    pub unit_code: Option<String>,
    pub created_at: chrono::NaiveDateTime,
    /// As `OfficeHours` writes them; `None` keeps the default.
    pub office_hours: Option<String>,
}

impl OrganizationRow {
    /// The hours its deadlines in working hours run in: its own, or the default.
    pub fn office_hours(&self) -> Result<OfficeHours, AppError> {
        match &self.office_hours {
            Some(text) => OfficeHours::parse(text)
                .ok_or_else(|| AppError::Internal(format!("stored office hours {text:?} do not parse"))),
            None => Ok(OfficeHours::default()),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Organization {
    #[schema(value_type = String, format = Uuid)]
    pub id: OrganizationId,
    pub kind: OrganizationKind,
    pub name: String,
    pub province_code: String,
    /// The commune of a commune office.
    pub unit_code: Option<String>,
    /// The hours its deadlines in working hours run in, local time.
    #[schema(example = "07:30-11:30,13:30-17:00")]
    pub office_hours: String,
}

impl TryFrom<&OrganizationRow> for Organization {
    type Error = AppError;

    fn try_from(row: &OrganizationRow) -> Result<Self, AppError> {
        Ok(Organization {
            id: row.id.clone(),
            kind: OrganizationKind::parse(&row.kind, "kind")
                .map_err(|_| AppError::Internal(format!("kind {:?}", row.kind)))?,
            name: row.name.clone(),
            province_code: row.province_code.clone(),
            unit_code: row.unit_code.clone(),
            office_hours: row.office_hours.clone().unwrap_or_else(|| OfficeHours::default().to_string()),
        })
    }
}

fn insert(
    conn: &mut DbConnection,
    kind: OrganizationKind,
    name: &str,
    province_code: &str,
    unit_code: Option<&str>,
) -> Result<OrganizationRow, AppError> {
    let row = OrganizationRow {
        id: OrganizationId::new(),
        kind: kind.as_str().to_string(),
        name: name.to_string(),
        province_code: province_code.to_string(),
        unit_code: unit_code.map(str::to_string),
        created_at: Utc::now().naive_utc(),
        office_hours: None,
    };
    diesel::insert_into(organizations::table)
        .values(&row)
        .execute(conn)
        .map_err(crate::db::taken_as(AppError::OrganizationExists))?;
    Ok(row)
}

/// Sets the hours an organization's deadlines in working hours run in; steps begun from now on use them.
pub fn set_office_hours(
    conn: &mut DbConnection,
    id: &OrganizationId,
    hours: &OfficeHours,
) -> Result<OrganizationRow, AppError> {
    let changed = diesel::update(organizations::table.find(id))
        .set(organizations::office_hours.eq(hours.to_string()))
        .execute(conn)?;
    if changed == 0 {
        return Err(AppError::OrganizationNotFound);
    }
    find(conn, id)
}

pub fn find(conn: &mut DbConnection, id: &OrganizationId) -> Result<OrganizationRow, AppError> {
    organizations::table
        .find(id)
        .select(OrganizationRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::OrganizationNotFound)
}

fn find_commune_office(conn: &mut DbConnection, commune: &UnitRow) -> Result<Option<OrganizationRow>, AppError> {
    Ok(organizations::table
        .filter(organizations::kind.eq(OrganizationKind::CommuneOffice.as_str()))
        .filter(organizations::unit_code.eq(&commune.code))
        .select(OrganizationRow::as_select())
        .first(conn)
        .optional()?)
}

/// The office of a commune, created the first time a report needs it.
pub fn commune_office(conn: &mut DbConnection, commune: &UnitRow) -> Result<OrganizationRow, AppError> {
    if let Some(office) = find_commune_office(conn, commune)? {
        return Ok(office);
    }
    let province = commune
        .parent_code
        .as_deref()
        .ok_or_else(|| AppError::Internal(format!("commune {} without province", commune.code)))?;
    let name = format!("UBND {}", commune.name);
    // Two first reports in one commune may race to create its office: the loser's insert is undone to
    // its savepoint (the surrounding transaction goes on) and it takes the winner's office.
    match db::transaction(conn, |conn| {
        insert(conn, OrganizationKind::CommuneOffice, &name, province, Some(&commune.code))
    }) {
        Err(AppError::OrganizationExists) => {
            find_commune_office(conn, commune)?.ok_or_else(|| AppError::Internal("commune office vanished".into()))
        }
        other => other,
    }
}

pub struct NewOrganization {
    pub kind: OrganizationKind,
    pub name: String,
    pub province_code: String,
    pub unit_code: Option<String>,
}

pub fn create(conn: &mut DbConnection, new: &NewOrganization) -> Result<OrganizationRow, AppError> {
    use crate::db::schema::admin_units;
    db::transaction(conn, |conn| {
        let province_level: Option<i32> =
            admin_units::table.find(&new.province_code).select(admin_units::level).first(conn).optional()?;
        if province_level != Some(1) {
            return Err(AppError::invalid("province_code", FieldIssue::UnitCode));
        }
        match (new.kind, &new.unit_code) {
            (OrganizationKind::CommuneOffice, Some(code)) => {
                let parent: Option<Option<String>> =
                    admin_units::table.find(code).select(admin_units::parent_code).first(conn).optional()?;
                if parent.flatten().as_deref() != Some(new.province_code.as_str()) {
                    return Err(AppError::invalid("unit_code", FieldIssue::UnitCode));
                }
            }
            (OrganizationKind::CommuneOffice, None) => {
                return Err(AppError::invalid("unit_code", FieldIssue::Required))
            }
            (_, Some(_)) => return Err(AppError::invalid("unit_code", FieldIssue::UnknownField)),
            (_, None) => {}
        }
        insert(conn, new.kind, &new.name, &new.province_code, new.unit_code.as_deref())
    })
}

pub fn list(
    conn: &mut DbConnection,
    province: Option<&str>,
    kind: Option<OrganizationKind>,
) -> Result<Vec<OrganizationRow>, AppError> {
    let mut query = organizations::table.select(OrganizationRow::as_select()).into_boxed();
    if let Some(province) = province {
        query = query.filter(organizations::province_code.eq(province.to_string()));
    }
    if let Some(kind) = kind {
        query = query.filter(organizations::kind.eq(kind.as_str()));
    }
    Ok(query.order((organizations::province_code.asc(), organizations::name.asc())).limit(1000).load(conn)?)
}

/// Adds an official to an organization (idempotent).
pub fn add_member(conn: &mut DbConnection, organization_id: &OrganizationId, user_id: &UserId) -> Result<(), AppError> {
    db::transaction(conn, |conn| {
        find(conn, organization_id)?;
        let role: Option<String> = users::table
            .find(user_id)
            .filter(users::deleted_at.is_null())
            .select(users::role)
            .first(conn)
            .optional()?;
        match role.as_deref() {
            None => return Err(AppError::UserNotFound),
            Some("official") => {}
            Some(_) => return Err(AppError::invalid("user_id", FieldIssue::NotAnOfficial)),
        }
        let present = organization_members::table.find((organization_id, user_id)).count().get_result::<i64>(conn)? > 0;
        if !present {
            diesel::insert_into(organization_members::table)
                .values((
                    organization_members::organization_id.eq(organization_id),
                    organization_members::user_id.eq(user_id),
                    organization_members::created_at.eq(Utc::now().naive_utc()),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

pub fn remove_member(
    conn: &mut DbConnection,
    organization_id: &OrganizationId,
    user_id: &UserId,
) -> Result<(), AppError> {
    find(conn, organization_id)?;
    diesel::delete(organization_members::table.find((organization_id, user_id))).execute(conn)?;
    Ok(())
}

/// The organizations an official acts for, by name.
pub fn memberships(conn: &mut DbConnection, user_id: &UserId) -> Result<Vec<Organization>, AppError> {
    let rows: Vec<OrganizationRow> = organizations::table
        .inner_join(organization_members::table.on(organization_members::organization_id.eq(organizations::id)))
        .filter(organization_members::user_id.eq(user_id))
        .order(organizations::name.asc())
        .select(OrganizationRow::as_select())
        .load(conn)?;
    rows.iter().map(Organization::try_from).collect()
}

/// Puts an official to work: in `organization` when one is named, else in the office of their commune
/// (created if needed). Jurisdiction comes only from membership: an official of a commune who is in no
/// organization would see an empty inbox, and nothing would say why. A province-level official is placed
/// only where named (the IOC or a department). `moved_from`: the unit they leave, whose office they leave.
pub fn place_official(
    conn: &mut DbConnection,
    user_id: &UserId,
    unit: Option<&UnitRow>,
    organization: Option<&OrganizationId>,
    moved_from: Option<&UnitRow>,
) -> Result<(), AppError> {
    if let Some(old_office) = moved_from.map(|unit| find_commune_office(conn, unit)).transpose()?.flatten() {
        remove_member(conn, &old_office.id, user_id)?;
    }
    let office = match (organization, unit) {
        (Some(named), _) => named.clone(),
        (None, Some(unit)) if unit.level == 2 => commune_office(conn, unit)?.id,
        (None, _) => return Ok(()),
    };
    add_member(conn, &office, user_id).map_err(|err| match err {
        AppError::OrganizationNotFound => {
            AppError::invalid("organization_id", FieldIssue::InvalidValue("an existing organization".into()))
        }
        other => other,
    })
}

/// Routes `category` in `province` to a department of that province.
pub fn set_rule(
    conn: &mut DbConnection,
    province: &str,
    category: &str,
    organization_id: &OrganizationId,
) -> Result<(), AppError> {
    db::transaction(conn, |conn| {
        let department = find(conn, organization_id)
            .map_err(|_| AppError::invalid("organization_id", FieldIssue::NotADepartment))?;
        if department.kind != OrganizationKind::Department.as_str() || department.province_code != province {
            return Err(AppError::invalid("organization_id", FieldIssue::NotADepartment));
        }
        if categories::table.find(category).count().get_result::<i64>(conn)? == 0 {
            return Err(AppError::invalid("category", FieldIssue::UnknownCategory));
        }
        diesel::delete(routing_rules::table.find((province, category))).execute(conn)?;
        diesel::insert_into(routing_rules::table)
            .values((
                routing_rules::province_code.eq(province),
                routing_rules::category_code.eq(category),
                routing_rules::organization_id.eq(organization_id),
            ))
            .execute(conn)?;
        Ok(())
    })
}
