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
use diesel::dsl::count_star;

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

/// Gathers counts per grid cell (all reports, and those overdue) into squares at `zoom`.
pub fn aggregate(per_cell: &[(i64, i64)], overdue_per_cell: &[(i64, i64)], zoom: u8) -> Heatmap {
    let side = cells_per_side(zoom);
    let square_of = |cell: i64| {
        let (row, column) = (cell / super::geo::ROW, cell % super::geo::ROW);
        (row.div_euclid(side), column.div_euclid(side))
    };
    let mut counts: BTreeMap<(i64, i64), (i64, i64)> = BTreeMap::new();
    for &(cell, count) in per_cell {
        counts.entry(square_of(cell)).or_default().0 += count;
    }
    for &(cell, overdue) in overdue_per_cell {
        counts.entry(square_of(cell)).or_default().1 += overdue;
    }
    let size_deg = FINEST_DEG * side as f64;
    let squares: Vec<HeatSquare> = counts
        .into_iter()
        .filter(|(_, (count, _))| *count > 0)
        .map(|((row, column), (count, overdue))| {
            let (min_lat, min_lon) = super::geo::cell_corner(row * side, column * side);
            HeatSquare { min_lat, min_lon, size_deg, count, overdue, overdue_share: overdue as f64 / count as f64 }
        })
        .collect();
    Heatmap { zoom, size_deg, total: squares.iter().map(|s| s.count).sum(), squares }
}

/// The public reports in `area` (of `category`, if given), per square at `zoom`, as of `now`: counted per
/// grid cell by the database.
pub fn public(
    conn: &mut DbConnection,
    area: &BoundingBox,
    category: Option<&str>,
    zoom: u8,
    now: NaiveDateTime,
) -> Result<Heatmap, AppError> {
    let per_cell = || {
        let mut query = reports::table
            .group_by(reports::cell)
            .select((reports::cell, count_star()))
            .into_boxed()
            .filter(reports::is_public.eq(true))
            .filter(reports::status.ne(ReportStatus::Withdrawn.as_str()))
            .filter(reports::lat.between(area.min_lat, area.max_lat))
            .filter(reports::lon.between(area.min_lon, area.max_lon));
        if let Some(category) = category {
            query = query.filter(reports::category_code.eq(category.to_string()));
        }
        query
    };
    let all: Vec<(i64, i64)> = per_cell().load(conn)?;
    let overdue: Vec<(i64, i64)> = per_cell()
        .filter(reports::status.eq_any(ReportStatus::running_names()))
        .filter(reports::due_at.lt(now))
        .load(conn)?;
    Ok(aggregate(&all, &overdue, zoom))
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
    fn cells_fall_in_their_square_and_overdue_ones_are_counted_apart() {
        let (da_lat_cell, saigon) = (cell_of(11.941, 108.451), cell_of(10.776, 106.700));
        let per_cell = [(da_lat_cell, 3), (saigon, 1)];
        let overdue = [(da_lat_cell, 1), (saigon, 1)];
        let map = aggregate(&per_cell, &overdue, 14);
        assert_eq!(map.total, 4);
        assert_eq!(map.squares.len(), 2);
        let square = &map.squares[1]; // south to north: Đà Lạt after Sài Gòn
        assert_eq!((square.count, square.overdue), (3, 1));
        assert!((square.min_lat - 11.94).abs() < 1e-9 && (square.min_lon - 108.45).abs() < 1e-9, "{square:?}");
        // Zoomed out to 0.64° squares, a neighbouring cell joins Đà Lạt's.
        let per_cell = [(da_lat_cell, 3), (cell_of(11.949, 108.459), 2), (saigon, 1)];
        let coarse = aggregate(&per_cell, &overdue, 8);
        assert_eq!(coarse.squares.iter().map(|s| s.count).collect::<Vec<_>>(), [1, 5]);
        assert!((coarse.size_deg - 0.64).abs() < 1e-9);
    }
}
