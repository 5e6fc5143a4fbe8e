//! Open data: the public reports, anonymized, for anyone to download and reuse under the province's
//! licence. What leaves: what the app already shows everyone about a public report, less who filed it
//! (no name, phone, email or account id), less every note (the timeline is not exported), with the
//! position rounded to 0.001° (about 110 m). Private and withdrawn reports never leave.
//!
//! The export is read a page at a time in id order (ids are UUID v7: filing order), so a million rows
//! stream out in constant memory; `formats` turns each page into bytes.

pub mod formats;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::calendar::office_hours;
use crate::db::schema::{admin_units, categories, organizations, reports};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::reports::ReportStatus;
use crate::values::ReportId;

/// How finely positions are published: 3 decimals of a degree, about 110 m.
pub const POSITION_DECIMALS: i32 = 3;

/// Which public reports to export. Days are Vietnamese calendar days (UTC+7), `to` included.
#[derive(Debug, Clone, Default)]
pub struct OpenDataFilter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub province: Option<String>,
    pub category: Option<String>,
    pub status: Option<ReportStatus>,
}

/// One exported report: the columns of the CSV, the properties of a GeoJSON feature.
#[derive(Debug, Clone, Serialize)]
pub struct OpenReport {
    pub id: ReportId,
    /// When the server received it (UTC).
    pub received_at: String,
    pub category: String,
    pub category_name: String,
    pub status: String,
    pub description: String,
    pub address_text: Option<String>,
    pub unit_code: String,
    pub unit_name: String,
    pub province_code: String,
    pub organization: Option<String>,
    pub lat: f64,
    pub lon: f64,
    pub urgent: bool,
    pub supporters: i32,
    pub due_at: Option<String>,
    pub resolved_at: Option<String>,
    pub resolved_on_time: Option<bool>,
    pub rating: Option<i32>,
}

/// The names of [`OpenReport`]'s fields, in order: the CSV header, documented in the README.
pub const COLUMNS: [&str; 19] = [
    "id",
    "received_at",
    "category",
    "category_name",
    "status",
    "description",
    "address_text",
    "unit_code",
    "unit_name",
    "province_code",
    "organization",
    "lat",
    "lon",
    "urgent",
    "supporters",
    "due_at",
    "resolved_at",
    "resolved_on_time",
    "rating",
];

type Row = (
    (ReportId, NaiveDateTime, String, String, String, Option<String>),
    (String, String, String, Option<String>),
    Option<String>,
    (f64, f64, bool, i32, Option<NaiveDateTime>, Option<NaiveDateTime>, Option<bool>, Option<i32>),
);

/// Up to `limit` public reports after `after` (in id order) that pass `filter`.
pub fn page(
    conn: &mut DbConnection,
    filter: &OpenDataFilter,
    after: Option<&ReportId>,
    limit: i64,
) -> Result<Vec<OpenReport>, AppError> {
    let mut query = reports::table
        .inner_join(admin_units::table.on(admin_units::code.eq(reports::unit_code)))
        .inner_join(categories::table.on(categories::code.eq(reports::category_code)))
        .left_join(organizations::table.on(organizations::id.nullable().eq(reports::organization_id)))
        .filter(reports::is_public.eq(true))
        .filter(reports::status.ne(ReportStatus::Withdrawn.as_str()))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(reports::id.gt(after.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(reports::created_at.ge(start_of(from)));
    }
    if let Some(to) = filter.to.and_then(|to| to.succ_opt()) {
        query = query.filter(reports::created_at.lt(start_of(to)));
    }
    if let Some(province) = &filter.province {
        query = query.filter(admin_units::parent_code.eq(province.clone()));
    }
    if let Some(category) = &filter.category {
        query = query.filter(reports::category_code.eq(category.clone()));
    }
    if let Some(status) = filter.status {
        query = query.filter(reports::status.eq(status.as_str()));
    }
    let rows: Vec<Row> = query
        .order(reports::id.asc())
        .limit(limit)
        .select((
            (
                reports::id,
                reports::created_at,
                reports::category_code,
                reports::status,
                reports::description,
                reports::address_text,
            ),
            (categories::name_vi, reports::unit_code, admin_units::name, admin_units::parent_code),
            organizations::name.nullable(),
            (
                reports::lat,
                reports::lon,
                reports::urgent,
                reports::supporters,
                reports::due_at,
                reports::resolved_at,
                reports::resolved_on_time,
                reports::rating_score,
            ),
        ))
        .load(conn)?;
    Ok(rows.into_iter().map(open_report).collect())
}

fn open_report(row: Row) -> OpenReport {
    let (report, (category_name, unit_code, unit_name, province), organization, numbers) = row;
    let (id, received_at, category, status, description, address_text) = report;
    let (lat, lon, urgent, supporters, due_at, resolved_at, resolved_on_time, rating) = numbers;
    OpenReport {
        id,
        received_at: rfc3339(received_at),
        category,
        category_name,
        status,
        description,
        address_text,
        unit_code,
        unit_name,
        province_code: province.unwrap_or_default(),
        organization,
        lat: rounded(lat),
        lon: rounded(lon),
        urgent,
        supporters,
        due_at: due_at.map(rfc3339),
        resolved_at: resolved_at.map(rfc3339),
        resolved_on_time,
        rating,
    }
}

/// A coordinate to [`POSITION_DECIMALS`] decimals.
pub fn rounded(degrees: f64) -> f64 {
    let scale = 10f64.powi(POSITION_DECIMALS);
    (degrees * scale).round() / scale
}

fn rfc3339(at: NaiveDateTime) -> String {
    at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// 00:00 of a Vietnamese day, in UTC.
fn start_of(day: NaiveDate) -> NaiveDateTime {
    office_hours::utc(day.and_time(chrono::NaiveTime::MIN))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_rounded_to_about_a_hundred_metres() {
        assert_eq!(rounded(11.940_449), 11.94);
        assert_eq!(rounded(108.458_3), 108.458);
        assert_eq!(rounded(-0.000_4), -0.0);
    }

    #[test]
    fn the_columns_are_the_fields_in_order() {
        let report = OpenReport {
            id: ReportId::from("r"),
            received_at: String::new(),
            category: String::new(),
            category_name: String::new(),
            status: String::new(),
            description: String::new(),
            address_text: None,
            unit_code: String::new(),
            unit_name: String::new(),
            province_code: String::new(),
            organization: None,
            lat: 0.0,
            lon: 0.0,
            urgent: false,
            supporters: 0,
            due_at: None,
            resolved_at: None,
            resolved_on_time: None,
            rating: None,
        };
        let mut csv = csv::Writer::from_writer(Vec::new());
        csv.serialize(&report).unwrap();
        let written = String::from_utf8(csv.into_inner().unwrap()).unwrap();
        assert_eq!(written.lines().next(), Some(COLUMNS.join(",").as_str()));
    }
}
