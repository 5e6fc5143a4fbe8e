//! Where reports cluster: counts per square of the reports' grid (multiples of 0.01°, coarser as a map
//! zooms out), with the share overdue, ready for a map layer. The squares are unions of the grid cells
//! reports are indexed by (`geo.rs`), so a report's square is arithmetic on its `cell`.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::geo::BoundingBox;
use super::ReportStatus;
use crate::db::schema::reports;
use crate::db::DbConnection;
use crate::error::{AppError, FieldIssue};

/// The grid's finest square, in degrees.
const FINEST_DEG: f64 = 0.01;
/// Zoom levels of web maps (0: the world in one tile).
pub const ZOOMS: std::ops::RangeInclusive<u8> = 0..=22;
/// The most squares one answer holds; a larger box must be asked for at a lower zoom.
pub const MOST_SQUARES: usize = 20_000;
/// At this zoom and closer, squares are the grid's own (0.01°, about 1.1 km).
const FINEST_ZOOM: u8 = 14;

/// How many grid cells a square spans on each side: doubling for each zoom level below the finest, so
/// a square stays about a quarter of a map tile.
pub fn cells_per_side(zoom: u8) -> i64 {
    1 << FINEST_ZOOM.saturating_sub(zoom).min(16)
}

/// One square of the heatmap.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct HeatSquare {
    /// The square's south-west corner and size, in degrees (WGS84).
    pub min_lat: f64,
    pub min_lon: f64,
    pub size_deg: f64,
    pub count: i64,
    /// Of them, past their deadline and still with the office.
    pub overdue: i64,
    pub overdue_share: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Heatmap {
    pub zoom: u8,
    pub size_deg: f64,
    pub total: i64,
    /// Squares with at least one report, south to north, west to east.
    pub squares: Vec<HeatSquare>,
}

/// The box, checked: at most [`MOST_SQUARES`] squares at `zoom`.
pub fn check_area(area: &BoundingBox, zoom: u8, field: &str) -> Result<(), AppError> {
    let size = FINEST_DEG * cells_per_side(zoom) as f64;
    let squares = ((area.max_lat - area.min_lat) / size).ceil() * ((area.max_lon - area.min_lon) / size).ceil();
    if squares > MOST_SQUARES as f64 {
        return Err(AppError::invalid(
            field,
            FieldIssue::InvalidValue(format!("a smaller box, or a lower zoom: over {MOST_SQUARES} squares")),
        ));
    }
    Ok(())
}

/// Counts `reports` (each its grid cell, status and deadline) per square at `zoom`, as of `now`.
pub fn aggregate(
    reports: impl IntoIterator<Item = (i64, String, Option<NaiveDateTime>)>,
    zoom: u8,
    now: NaiveDateTime,
) -> Heatmap {
    let side = cells_per_side(zoom);
    let mut counts: BTreeMap<(i64, i64), (i64, i64)> = BTreeMap::new();
    for (cell, status, due_at) in reports {
        let (row, column) = (cell / super::geo::ROW, cell % super::geo::ROW);
        let square = (row.div_euclid(side), column.div_euclid(side));
        let running = ReportStatus::from_stored(&status).is_ok_and(ReportStatus::clock_runs);
        let overdue = running && due_at.is_some_and(|due| due < now);
        let entry = counts.entry(square).or_default();
        entry.0 += 1;
        entry.1 += i64::from(overdue);
    }
    let size_deg = FINEST_DEG * side as f64;
    let squares: Vec<HeatSquare> = counts
        .into_iter()
        .map(|((row, column), (count, overdue))| {
            let (min_lat, min_lon) = super::geo::cell_corner(row * side, column * side);
            HeatSquare { min_lat, min_lon, size_deg, count, overdue, overdue_share: overdue as f64 / count as f64 }
        })
        .collect();
    Heatmap { zoom, size_deg, total: squares.iter().map(|s| s.count).sum(), squares }
}

/// The public reports in `area` (received since `since`, of `category`), per square at `zoom`.
pub fn public(
    conn: &mut DbConnection,
    area: &BoundingBox,
    category: Option<&str>,
    zoom: u8,
    now: NaiveDateTime,
) -> Result<Heatmap, AppError> {
    let mut query = reports::table
        .filter(reports::is_public.eq(true))
        .filter(reports::status.ne(ReportStatus::Withdrawn.as_str()))
        .filter(reports::lat.between(area.min_lat, area.max_lat))
        .filter(reports::lon.between(area.min_lon, area.max_lon))
        .select((reports::cell, reports::status, reports::due_at))
        .into_boxed();
    if let Some(category) = category {
        query = query.filter(reports::category_code.eq(category.to_string()));
    }
    Ok(aggregate(query.load::<(i64, String, Option<NaiveDateTime>)>(conn)?, zoom, now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::geo::cell_of;

    #[test]
    fn squares_double_for_each_zoom_level_out() {
        assert_eq!(cells_per_side(18), 1);
        assert_eq!(cells_per_side(14), 1);
        assert_eq!(cells_per_side(13), 2);
        assert_eq!(cells_per_side(10), 16);
    }

    #[test]
    fn reports_fall_in_their_square_and_overdue_ones_are_counted_apart() {
        let now = NaiveDateTime::parse_from_str("2026-12-02 10:00", "%Y-%m-%d %H:%M").unwrap();
        let past = Some(now - chrono::Duration::hours(1));
        let reports = vec![
            (cell_of(11.941, 108.451), "accepted".to_string(), past),
            (cell_of(11.949, 108.459), "submitted".to_string(), None),
            (cell_of(11.949, 108.459), "resolved".to_string(), past),
            (cell_of(10.776, 106.700), "in_progress".to_string(), past),
        ];
        let map = aggregate(reports.clone(), 14, now);
        assert_eq!(map.total, 4);
        assert_eq!(map.squares.len(), 2);
        let da_lat = &map.squares[1];
        assert_eq!((da_lat.count, da_lat.overdue), (3, 1), "a resolved report is not overdue");
        assert!((da_lat.min_lat - 11.94).abs() < 1e-9 && (da_lat.min_lon - 108.45).abs() < 1e-9, "{da_lat:?}");
        // Zoomed out to 0.64° squares, Đà Lạt's three fall in one.
        let coarse = aggregate(reports, 8, now);
        assert_eq!(coarse.squares.iter().map(|s| s.count).collect::<Vec<_>>(), [1, 3]);
        assert!((coarse.size_deg - 0.64).abs() < 1e-9);
    }
}
