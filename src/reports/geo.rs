//! The grid reports are indexed by: cells of 0.01° (about 1.1 km north–south), numbered so that a
//! query for "near here" or "in this box" becomes `cell IN (…)` on an index, on both databases.

use crate::error::{AppError, FieldIssue};
use crate::routing::Position;

const CELLS_PER_DEGREE: f64 = 100.0;
/// A cell is `row * ROW + column`.
pub(super) const ROW: i64 = 100_000;
const ROW_OFFSET: i64 = 9_000;
const COLUMN_OFFSET: i64 = 18_000;

/// The cell holding a position.
pub fn cell_of(lat: f64, lon: f64) -> i64 {
    let row = (lat * CELLS_PER_DEGREE).floor() as i64 + ROW_OFFSET;
    let column = (lon * CELLS_PER_DEGREE).floor() as i64 + COLUMN_OFFSET;
    row * ROW + column
}

/// The south-west corner (lat, lon) of the cell in `row` and `column`.
pub(super) fn cell_corner(row: i64, column: i64) -> (f64, f64) {
    ((row - ROW_OFFSET) as f64 / CELLS_PER_DEGREE, (column - COLUMN_OFFSET) as f64 / CELLS_PER_DEGREE)
}

/// A box in WGS84: `minLon,minLat,maxLon,maxLat` as GeoJSON orders it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundingBox {
    pub min_lat: f64,
    pub min_lon: f64,
    pub max_lat: f64,
    pub max_lon: f64,
}

impl BoundingBox {
    /// From `minLon,minLat,maxLon,maxLat`, given in field `field`.
    pub fn parse(raw: &str, field: &str) -> Result<Self, AppError> {
        let parts: Option<Vec<f64>> = raw.split(',').map(|p| p.trim().parse::<f64>().ok()).collect();
        match parts.as_deref() {
            Some(&[min_lon, min_lat, max_lon, max_lat])
                if min_lat < max_lat
                    && min_lon < max_lon
                    && min_lat >= -90.0
                    && max_lat <= 90.0
                    && min_lon >= -180.0
                    && max_lon <= 180.0 =>
            {
                Ok(BoundingBox { min_lat, min_lon, max_lat, max_lon })
            }
            _ => Err(AppError::invalid(field, FieldIssue::InvalidValue("expected minLon,minLat,maxLon,maxLat".into()))),
        }
    }

    /// The box around `center` reaching `radius_m` in every direction.
    pub fn around(center: Position, radius_m: f64) -> Self {
        let dlat = radius_m / 111_320.0;
        let dlon = radius_m / (111_320.0 * center.lat().to_radians().cos().max(0.01));
        BoundingBox {
            min_lat: center.lat() - dlat,
            min_lon: center.lon() - dlon,
            max_lat: center.lat() + dlat,
            max_lon: center.lon() + dlon,
        }
    }

    /// Every cell the box touches, or `None` when there are more than `most` (then a range scan on
    /// latitude serves better than a long list).
    pub fn cells(&self, most: usize) -> Option<Vec<i64>> {
        let (low, high) = (cell_of(self.min_lat, self.min_lon), cell_of(self.max_lat, self.max_lon));
        let (rows, columns) = (low / ROW..=high / ROW, low % ROW..=high % ROW);
        let count = rows.clone().count() * columns.clone().count();
        (count <= most).then(|| rows.flat_map(|row| columns.clone().map(move |column| row * ROW + column)).collect())
    }

    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        (self.min_lat..=self.max_lat).contains(&lat) && (self.min_lon..=self.max_lon).contains(&lon)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::LatLon;

    #[test]
    fn neighbouring_points_share_or_border_cells() {
        assert_eq!(cell_of(11.9404, 108.4583), cell_of(11.9499, 108.4501));
        assert_ne!(cell_of(11.9404, 108.4583), cell_of(11.9504, 108.4583));
        assert_eq!(cell_of(-0.001, -0.001), (9_000 - 1) * ROW + 18_000 - 1);
    }

    #[test]
    fn a_500_m_circle_needs_at_most_a_few_cells() {
        let center = Position::parse(LatLon { lat: 11.9404, lon: 108.4583 }, "p").unwrap();
        let cells = BoundingBox::around(center, 500.0).cells(100).unwrap();
        assert!((1..=4).contains(&cells.len()), "{cells:?}");
        assert!(cells.contains(&cell_of(11.9404, 108.4583)));
        let whole_country = BoundingBox { min_lat: 8.0, min_lon: 102.0, max_lat: 23.5, max_lon: 110.0 };
        assert!(whole_country.cells(400).is_none());
    }
}
