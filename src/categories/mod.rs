//! Report categories: what a report is about, who handles it and how fast.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::schema::{categories, category_deadlines};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::values::{ProvinceCode, UserId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = categories)]
pub struct CategoryRow {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub handler_kind: String,
    pub urgent_hours: i32,
    pub urgent_allowed: bool,
    pub sort_order: i32,
    pub active: bool,
    pub accept_hours: i32,
    pub resolve_days: i32,
    pub max_resolve_days: i32,
}

/// Which kind of organization handles reports of a category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HandlerKind {
    /// The commune or ward People's Committee office where the report is.
    Commune,
    /// A provincial department (sở, ngành), province-wide.
    Department,
}

/// A report category as the app shows it; both names are given so the app can switch language offline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Category {
    #[schema(example = "street_lighting")]
    pub code: String,
    #[schema(example = "Chiếu sáng công cộng")]
    pub name_vi: String,
    #[schema(example = "Street lighting")]
    pub name_en: String,
    pub handler_kind: HandlerKind,
    /// How long each step may take (a province may set its own).
    pub deadlines: StepRules,
    pub urgent_allowed: bool,
}

impl TryFrom<CategoryRow> for Category {
    type Error = AppError;

    fn try_from(row: CategoryRow) -> Result<Self, AppError> {
        let handler_kind = match row.handler_kind.as_str() {
            "commune" => HandlerKind::Commune,
            "department" => HandlerKind::Department,
            other => return Err(AppError::Internal(format!("unknown handler kind {other:?} in categories"))),
        };
        Ok(Category {
            code: row.code,
            name_vi: row.name_vi,
            name_en: row.name_en,
            handler_kind,
            deadlines: StepRules {
                accept_working_hours: row.accept_hours,
                resolve_working_days: row.resolve_days,
                max_resolve_working_days: row.max_resolve_days,
                urgent_hours: row.urgent_hours,
            },
            urgent_allowed: row.urgent_allowed,
        })
    }
}

/// A category's deadlines, or a province's own for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Queryable, Serialize, ToSchema)]
pub struct StepRules {
    /// Office hours to accept (triage) a report.
    pub accept_working_hours: i32,
    /// Working days to resolve it once accepted.
    pub resolve_working_days: i32,
    /// The latest an extension may move the resolution to, in working days from acceptance.
    pub max_resolve_working_days: i32,
    /// Clock hours to resolve an urgent report.
    pub urgent_hours: i32,
}

/// The deadlines of `category` in `province`: the province's own where it set them, else the category's.
pub fn deadlines_in(conn: &mut DbConnection, category: &str, province: &str) -> Result<StepRules, AppError> {
    let own: Option<StepRules> = category_deadlines::table
        .find((category, province))
        .select((
            category_deadlines::accept_hours,
            category_deadlines::resolve_days,
            category_deadlines::max_resolve_days,
            category_deadlines::urgent_hours,
        ))
        .first(conn)
        .optional()?;
    match own {
        Some(rules) => Ok(rules),
        None => Ok(categories::table
            .find(category)
            .select((
                categories::accept_hours,
                categories::resolve_days,
                categories::max_resolve_days,
                categories::urgent_hours,
            ))
            .first(conn)?),
    }
}

/// Active categories in display order.
pub fn list_active(conn: &mut DbConnection) -> Result<Vec<CategoryRow>, AppError> {
    Ok(categories::table
        .select(CategoryRow::as_select())
        .filter(categories::active.eq(true))
        .order((categories::sort_order.asc(), categories::code.asc()))
        .load(conn)?)
}

/// Deadlines an administrator may set, per step.
pub const ACCEPT_HOURS: std::ops::RangeInclusive<i32> = 1..=80;
pub const RESOLVE_DAYS: std::ops::RangeInclusive<i32> = 1..=60;
pub const MAX_RESOLVE_DAYS: std::ops::RangeInclusive<i32> = 1..=90;
pub const URGENT_HOURS: std::ops::RangeInclusive<i32> = 1..=168;

/// Sets `category`'s deadlines for every province (`province: None`) or one province's own, and writes
/// who did it to the audit log. Reports take them when their next step begins.
pub fn set_deadlines(
    conn: &mut DbConnection,
    category: &str,
    province: Option<&ProvinceCode>,
    rules: StepRules,
    admin: &UserId,
    now: NaiveDateTime,
) -> Result<StepRules, AppError> {
    crate::db::transaction(conn, |conn| {
        let known = categories::table.find(category).count().get_result::<i64>(conn)? > 0;
        if !known {
            return Err(AppError::CategoryNotFound);
        }
        let StepRules { accept_working_hours, resolve_working_days, max_resolve_working_days, urgent_hours } = rules;
        match province {
            None => {
                diesel::update(categories::table.find(category))
                    .set((
                        categories::accept_hours.eq(accept_working_hours),
                        categories::resolve_days.eq(resolve_working_days),
                        categories::max_resolve_days.eq(max_resolve_working_days),
                        categories::urgent_hours.eq(urgent_hours),
                    ))
                    .execute(conn)?;
            }
            Some(province) => {
                diesel::delete(category_deadlines::table.find((category, province.as_str()))).execute(conn)?;
                diesel::insert_into(category_deadlines::table)
                    .values((
                        category_deadlines::category_code.eq(category),
                        category_deadlines::province_code.eq(province.as_str()),
                        category_deadlines::accept_hours.eq(accept_working_hours),
                        category_deadlines::resolve_days.eq(resolve_working_days),
                        category_deadlines::max_resolve_days.eq(max_resolve_working_days),
                        category_deadlines::urgent_hours.eq(urgent_hours),
                        category_deadlines::updated_by.eq(admin),
                        category_deadlines::updated_at.eq(now),
                    ))
                    .execute(conn)?;
            }
        }
        let subject = match province {
            Some(province) => format!("{category}/{}", province.as_str()),
            None => category.to_string(),
        };
        let entry = crate::audit::Entry {
            actor: admin,
            action: "category_deadlines",
            subject: ("category", &subject),
            reason: None,
            at: now,
        };
        crate::audit::record(conn, entry)?;
        deadlines_in(conn, category, province.map_or("", ProvinceCode::as_str))
    })
}
