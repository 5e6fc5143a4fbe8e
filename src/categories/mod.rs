//! Report categories: what a report is about, who handles it and how fast.

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::schema::categories;
use crate::db::DbConnection;
use crate::error::AppError;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = categories)]
pub struct CategoryRow {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub handler_kind: String,
    pub sla_hours: i32,
    pub urgent_allowed: bool,
    pub sort_order: i32,
    pub active: bool,
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
    /// Hours the handling organization has before the report escalates.
    pub sla_hours: i32,
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
            sla_hours: row.sla_hours,
            urgent_allowed: row.urgent_allowed,
        })
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
