//! Administrative units: the province → commune tree, seeded from the national list, read by everyone.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::schema::admin_units;
use crate::db::DbConnection;
use crate::error::{AppError, FieldIssue};
pub use crate::values::ProvinceCode;

/// The official code of a unit: 2 digits for a province, 5 for a commune-level unit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnitCode(String);

impl UnitCode {
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let digits = raw.bytes().all(|b| b.is_ascii_digit());
        (digits && matches!(raw.len(), 2 | 5)).then(|| UnitCode(raw.to_string()))
    }

    /// Parses a code given in field `field`, or says which field is wrong.
    pub fn parse_field(raw: &str, field: &str) -> Result<Self, AppError> {
        Self::parse(raw).ok_or_else(|| AppError::invalid(field, FieldIssue::UnitCode))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What kind of unit this is, by the name the law gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// Tỉnh
    Province,
    /// Thành phố trực thuộc trung ương
    Municipality,
    /// Phường
    Ward,
    /// Xã
    Commune,
    /// Đặc khu
    SpecialZone,
}

impl UnitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Province => "province",
            UnitKind::Municipality => "municipality",
            UnitKind::Ward => "ward",
            UnitKind::Commune => "commune",
            UnitKind::SpecialZone => "special_zone",
        }
    }

    fn from_db(value: &str) -> Result<Self, AppError> {
        [UnitKind::Province, UnitKind::Municipality, UnitKind::Ward, UnitKind::Commune, UnitKind::SpecialZone]
            .into_iter()
            .find(|kind| kind.as_str() == value)
            .ok_or_else(|| AppError::Internal(format!("unknown unit kind {value:?} in admin_units")))
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = admin_units)]
pub struct UnitRow {
    pub code: String,
    pub parent_code: Option<String>,
    pub level: i32,
    pub kind: String,
    pub name: String,
    pub search_name: String,
    pub lat: f64,
    pub lon: f64,
    pub area_km2: Option<f64>,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub successor_code: Option<String>,
}

/// A point in WGS84, as the app sends and receives it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LatLon {
    #[schema(example = 11.9404)]
    pub lat: f64,
    #[schema(example = 108.4583)]
    pub lon: f64,
}

/// An administrative unit as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Unit {
    #[schema(example = "00070")]
    pub code: String,
    #[schema(example = "Phường Hoàn Kiếm")]
    pub name: String,
    pub kind: UnitKind,
    /// 1 = province, 2 = commune-level unit.
    pub level: i32,
    #[schema(example = "01")]
    pub parent_code: Option<String>,
    /// The unit's centroid.
    pub centroid: LatLon,
    /// Area in km²; null where the national list gives none (for a province: where a commune lacks one).
    pub area_km2: Option<f64>,
    pub valid_from: NaiveDate,
    /// Set when the unit was dissolved or merged; `successor_code` then names the unit that took over.
    pub valid_to: Option<NaiveDate>,
    pub successor_code: Option<String>,
}

impl TryFrom<&UnitRow> for Unit {
    type Error = AppError;

    fn try_from(row: &UnitRow) -> Result<Self, AppError> {
        Ok(Unit {
            kind: UnitKind::from_db(&row.kind)?,
            code: row.code.clone(),
            name: row.name.clone(),
            level: row.level,
            parent_code: row.parent_code.clone(),
            centroid: LatLon { lat: row.lat, lon: row.lon },
            area_km2: row.area_km2,
            valid_from: row.valid_from,
            valid_to: row.valid_to,
            successor_code: row.successor_code.clone(),
        })
    }
}

/// Which units to list: children of `parent`, or provinces when there is neither parent nor text.
#[derive(Debug, Clone)]
pub struct UnitFilter {
    pub parent: Option<UnitCode>,
    /// Folded search text (see [`crate::text::fold`]); matches anywhere in the unit's name.
    pub text: Option<String>,
    pub after: Option<UnitCode>,
    pub limit: i64,
}

pub fn find_unit(conn: &mut DbConnection, code: &UnitCode) -> Result<UnitRow, AppError> {
    admin_units::table
        .find(code.as_str())
        .select(UnitRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::UnitNotFound(code.as_str().to_string()))
}

/// The province a commune-level unit (a report's) belongs to; `None` for a province itself.
pub fn province_of(conn: &mut DbConnection, commune: &str) -> Result<Option<String>, AppError> {
    Ok(admin_units::table.find(commune).select(admin_units::parent_code).first(conn)?)
}

/// Current units in code order, up to `filter.limit + 1` (the extra one tells that more follow).
pub fn list_units(conn: &mut DbConnection, filter: &UnitFilter) -> Result<Vec<UnitRow>, AppError> {
    let mut query =
        admin_units::table.select(UnitRow::as_select()).filter(admin_units::valid_to.is_null()).into_boxed();
    if let Some(parent) = &filter.parent {
        find_unit(conn, parent)?;
        query = query.filter(admin_units::parent_code.eq(parent.as_str().to_string()));
    } else if filter.text.is_none() {
        query = query.filter(admin_units::level.eq(1));
    }
    if let Some(text) = &filter.text {
        query = query.filter(admin_units::search_name.like(format!("%{text}%")));
    }
    if let Some(after) = &filter.after {
        query = query.filter(admin_units::code.gt(after.as_str().to_string()));
    }
    Ok(query.order(admin_units::code.asc()).limit(filter.limit + 1).load(conn)?)
}
