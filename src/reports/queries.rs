//! Reading reports: one by id with the visibility rules, and the lists (by place, by filters, the
//! caller's own, similar ones nearby).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::geo::BoundingBox;
use super::row::ReportRow;
use super::ReportStatus;
use crate::db::schema::{report_search, reports};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::routing::Position;
use crate::values::{ReportId, UserId};

/// The report if `viewer` may see it: public ones for everyone, the rest for their reporter only.
/// Anything else is "not found", so hidden reports do not reveal that they exist.
pub fn find_visible(conn: &mut DbConnection, id: &ReportId, viewer: Option<&UserId>) -> Result<ReportRow, AppError> {
    Some(find_any(conn, id)?).filter(|r| r.visible_to(viewer)).ok_or(AppError::ReportNotFound)
}

/// A report whatever its visibility (for callers that have already checked the right to see it).
pub fn find_any(conn: &mut DbConnection, id: &ReportId) -> Result<ReportRow, AppError> {
    reports::table.find(id).select(ReportRow::as_select()).first(conn).optional()?.ok_or(AppError::ReportNotFound)
}

/// Filters of the public list.
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    pub bbox: Option<BoundingBox>,
    pub near: Option<(Position, f64)>,
    pub status: Option<ReportStatus>,
    pub category: Option<String>,
    pub unit: Option<String>,
    pub text: Option<String>,
    pub since: Option<NaiveDateTime>,
    /// Newest first: the id to continue below. By distance: how many to skip.
    pub cursor: Option<String>,
    pub limit: i64,
}

/// Bounding boxes touching more cells than this are read by a latitude range instead.
const MOST_CELLS: usize = 400;
/// "Similar" lists sort by distance in memory; a dense place is cut at this many candidates.
const MOST_NEAR_CANDIDATES: i64 = 5_000;
/// Metres in a degree of latitude (and of longitude at the equator).
const METRES_PER_DEGREE: f64 = 111_320.0;

type Backend = <DbConnection as diesel::Connection>::Backend;

/// `query` narrowed to the public reports `filter` asks for (place, status, category, unit, text, time).
fn public_filters<'a, ST: 'a>(
    mut query: reports::BoxedQuery<'a, Backend, ST>,
    filter: &ReportFilter,
) -> reports::BoxedQuery<'a, Backend, ST> {
    query = query.filter(reports::is_public.eq(true)).filter(reports::status.ne(ReportStatus::Withdrawn.as_str()));
    let area = filter.near.map(|(center, radius)| BoundingBox::around(center, radius)).or(filter.bbox);
    if let Some(area) = area {
        match area.cells(MOST_CELLS) {
            Some(cells) => query = query.filter(reports::cell.eq_any(cells)),
            None => query = query.filter(reports::lat.between(area.min_lat, area.max_lat)),
        }
        query = query
            .filter(reports::lon.between(area.min_lon, area.max_lon))
            .filter(reports::lat.between(area.min_lat, area.max_lat));
    }
    if let Some(status) = filter.status {
        query = query.filter(reports::status.eq(status.as_str()));
    }
    if let Some(category) = &filter.category {
        query = query.filter(reports::category_code.eq(category.clone()));
    }
    if let Some(unit) = &filter.unit {
        query = query.filter(reports::unit_code.eq(unit.clone()));
    }
    if let Some(text) = &filter.text {
        query = query.filter(containing_text(text));
    }
    if let Some(since) = filter.since {
        query = query.filter(reports::created_at.ge(since));
    }
    query
}

/// A page of public reports, newest first (`limit + 1` rows to tell whether more follow).
pub fn list_public(conn: &mut DbConnection, filter: &ReportFilter) -> Result<Vec<ReportRow>, AppError> {
    let mut query = public_filters(reports::table.select(ReportRow::as_select()).into_boxed(), filter);
    if let Some(before) = &filter.cursor {
        query = query.filter(reports::id.lt(before.clone()));
    }
    Ok(query.order(reports::id.desc()).limit(filter.limit + 1).load(conn)?)
}

/// Where a page of reports by distance goes on: beyond this squared distance (m², exactly as the
/// database computed it) and, among reports as far, below this id. Written `SQUARED~ID`.
#[derive(Debug, Clone, PartialEq)]
pub struct NearCursor {
    pub squared_m2: f64,
    pub id: String,
}

impl NearCursor {
    pub fn parse(raw: &str) -> Option<NearCursor> {
        let (squared, id) = raw.split_once('~')?;
        let squared_m2 = squared.parse::<f64>().ok().filter(|d| d.is_finite() && *d >= 0.0)?;
        uuid::Uuid::parse_str(id).ok()?;
        Some(NearCursor { squared_m2, id: id.to_string() })
    }
}

impl std::fmt::Display for NearCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `{}` writes the shortest text that reads back as the same f64.
        write!(f, "{}~{}", self.squared_m2, self.id)
    }
}

/// A page of public reports within `filter.near`'s radius, nearest first (`limit + 1` rows), each with
/// its squared distance in m². The database orders the candidates (distances on a local flat map, within
/// 0.1 % of the great-circle one at these radii) and cuts the page reading them from the grid or position
/// index alone; then only the page's rows are read.
pub fn list_near(conn: &mut DbConnection, filter: &ReportFilter) -> Result<Vec<(f64, ReportRow)>, AppError> {
    let Some((center, radius)) = filter.near else { return Ok(Vec::new()) };
    let east_scale = METRES_PER_DEGREE * center.lat().to_radians().cos();
    let north = (reports::lat - center.lat()) * METRES_PER_DEGREE;
    let east = (reports::lon - center.lon()) * east_scale;
    let squared = north * north + east * east;
    let mut query = public_filters(reports::table.select((reports::id, squared)).into_boxed(), filter)
        .filter(squared.le(radius * radius));
    if let Some(after) = filter.cursor.as_deref().and_then(NearCursor::parse) {
        let beyond = squared.gt(after.squared_m2).or(squared.eq(after.squared_m2).and(reports::id.lt(after.id)));
        query = query.filter(beyond);
    }
    let page: Vec<(String, f64)> =
        query.order((squared.asc(), reports::id.desc())).limit(filter.limit + 1).load(conn)?;
    let ids: Vec<&str> = page.iter().map(|(id, _)| id.as_str()).collect();
    let rows: Vec<ReportRow> =
        reports::table.filter(reports::id.eq_any(&ids)).select(ReportRow::as_select()).load(conn)?;
    let mut rows: HashMap<String, ReportRow> = rows.into_iter().map(|row| (row.id.to_string(), row)).collect();
    Ok(page.into_iter().filter_map(|(id, squared)| rows.remove(&id).map(|row| (squared, row))).collect())
}

/// The caller's own reports, every status, newest first (`limit + 1` rows).
pub fn list_mine(
    conn: &mut DbConnection,
    user_id: &UserId,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<ReportRow>, AppError> {
    let mut query = reports::table.select(ReportRow::as_select()).filter(reports::reporter_id.eq(user_id)).into_boxed();
    if let Some(before) = before {
        query = query.filter(reports::id.lt(before.to_string()));
    }
    Ok(query.order(reports::id.desc()).limit(limit + 1).load(conn)?)
}

/// Open public reports of `category` within `radius_m` of `position`, nearest first: what the app offers
/// to support instead of filing a duplicate.
pub fn similar(
    conn: &mut DbConnection,
    position: Position,
    category: &str,
    radius_m: f64,
) -> Result<Vec<ReportRow>, AppError> {
    let area = BoundingBox::around(position, radius_m);
    let cells = area.cells(MOST_CELLS).unwrap_or_default();
    let open = ReportStatus::open_names();
    let mut rows: Vec<(f64, ReportRow)> = reports::table
        .select(ReportRow::as_select())
        .filter(reports::category_code.eq(category))
        .filter(reports::cell.eq_any(cells))
        .filter(reports::is_public.eq(true))
        .filter(reports::status.eq_any(open))
        .limit(MOST_NEAR_CANDIDATES)
        .load(conn)?
        .into_iter()
        .map(|row: ReportRow| (row.distance_m(position), row))
        .filter(|(distance, _)| *distance <= radius_m)
        .collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(rows.into_iter().take(20).map(|(_, row)| row).collect())
}

/// `reports.id IN (SELECT report_id FROM report_search WHERE search_text LIKE …)`.
pub type ContainingText = diesel::dsl::EqAny<
    reports::id,
    diesel::dsl::Select<
        diesel::dsl::Filter<report_search::table, diesel::dsl::Like<report_search::search_text, String>>,
        report_search::report_id,
    >,
>;

/// Reports whose folded text contains `text` (folded): answered from a trigram index on either database
/// (`report_search`).
pub fn containing_text(text: &str) -> ContainingText {
    let matching = report_search::table.filter(report_search::search_text.like(format!("%{text}%")));
    reports::id.eq_any(matching.select(report_search::report_id))
}
