//! Reading reports: one by id with the visibility rules, and the lists (by place, by filters, the
//! caller's own, similar ones nearby).

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
/// "Near" lists sort by distance in memory; a dense place is cut at this many candidates, newest kept.
const MOST_NEAR_CANDIDATES: i64 = 5_000;

/// A page of public reports (`limit + 1` rows to tell whether more follow), newest first, or by
/// distance with `near`.
pub fn list_public(conn: &mut DbConnection, filter: &ReportFilter) -> Result<Vec<ReportRow>, AppError> {
    let area = filter.near.map(|(center, radius)| BoundingBox::around(center, radius)).or(filter.bbox);
    let mut query = reports::table
        .select(ReportRow::as_select())
        .filter(reports::is_public.eq(true))
        .filter(reports::status.ne(ReportStatus::Withdrawn.as_str()))
        .into_boxed();
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
        query = query.filter(crate::reports::queries::containing_text(text));
    }
    if let Some(since) = filter.since {
        query = query.filter(reports::created_at.ge(since));
    }
    match filter.near {
        None => {
            if let Some(before) = &filter.cursor {
                query = query.filter(reports::id.lt(before.clone()));
            }
            Ok(query.order(reports::id.desc()).limit(filter.limit + 1).load(conn)?)
        }
        Some((center, radius)) => {
            let mut rows: Vec<(f64, ReportRow)> = query
                .order(reports::id.desc())
                .limit(MOST_NEAR_CANDIDATES)
                .load(conn)?
                .into_iter()
                .map(|row: ReportRow| (row.distance_m(center), row))
                .filter(|(distance, _)| *distance <= radius)
                .collect();
            rows.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.id.cmp(&a.1.id)));
            let skip = filter.cursor.as_deref().and_then(|c| c.parse::<usize>().ok()).unwrap_or(0);
            Ok(rows.into_iter().skip(skip).take(filter.limit as usize + 1).map(|(_, row)| row).collect())
        }
    }
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

/// Reports whose folded text contains `text` (folded): answered from a trigram index on either database
/// (`report_search`).
pub fn containing_text(
    text: &str,
) -> diesel::dsl::EqAny<
    reports::id,
    diesel::dsl::Select<
        diesel::dsl::Filter<report_search::table, diesel::dsl::Like<report_search::search_text, String>>,
        report_search::report_id,
    >,
> {
    let matching = report_search::table.filter(report_search::search_text.like(format!("%{text}%")));
    reports::id.eq_any(matching.select(report_search::report_id))
}
