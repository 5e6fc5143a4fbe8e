//! Which unit's boundary holds a point: an in-memory R-tree of the loaded boundaries' bounding boxes,
//! then an exact point-in-polygon test on the few candidates. Microseconds per point.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use geo::{BoundingRect, Contains, MultiPolygon, Point};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

use super::boundaries::shape_of;
use crate::db::schema::admin_units;
use crate::db::DbConnection;
use crate::error::AppError;

type Entry = GeomWithData<Rectangle<[f64; 2]>, usize>;

#[derive(Default)]
pub struct UnitLocator {
    tree: RTree<Entry>,
    units: Vec<(String, MultiPolygon<f64>)>,
    /// The boundaries' [`version`] when loaded.
    version: Option<NaiveDateTime>,
}

/// When boundaries last changed (by any process: the CLI, another instance's import).
pub fn version(conn: &mut DbConnection) -> Result<Option<NaiveDateTime>, AppError> {
    Ok(admin_units::table.select(diesel::dsl::max(admin_units::boundary_updated_at)).first(conn)?)
}

impl UnitLocator {
    /// From `(code, shape)` pairs.
    pub fn new(units: Vec<(String, MultiPolygon<f64>)>) -> Self {
        let entries = units
            .iter()
            .enumerate()
            .flat_map(|(index, (_, shape))| {
                shape.0.iter().filter_map(move |polygon| {
                    let rect = polygon.bounding_rect()?;
                    Some(GeomWithData::new(
                        Rectangle::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]),
                        index,
                    ))
                })
            })
            .collect();
        UnitLocator { tree: RTree::bulk_load(entries), units, version: None }
    }

    /// Every boundary stored for a unit in force.
    pub fn load(conn: &mut DbConnection) -> Result<Self, AppError> {
        let loaded_version = version(conn)?;
        let rows: Vec<(String, Option<String>)> = admin_units::table
            .filter(admin_units::boundary.is_not_null())
            .filter(admin_units::valid_to.is_null())
            .select((admin_units::code, admin_units::boundary))
            .load(conn)?;
        let mut units = Vec::with_capacity(rows.len());
        for (code, boundary) in rows {
            let geometry: serde_json::Value = serde_json::from_str(boundary.as_deref().unwrap_or("null"))
                .map_err(|err| AppError::Internal(format!("boundary of {code}: {err}")))?;
            let shape =
                shape_of(&geometry).map_err(|(_, why)| AppError::Internal(format!("boundary of {code}: {why}")))?;
            units.push((code, shape));
        }
        Ok(UnitLocator { version: loaded_version, ..Self::new(units) })
    }

    /// Whether boundaries changed since this was loaded.
    pub fn is_behind(&self, version: Option<NaiveDateTime>) -> bool {
        self.version != version
    }

    pub fn len(&self) -> usize {
        self.units.len()
    }

    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// The code of the unit whose boundary contains the point, if any is loaded there.
    pub fn locate(&self, lon: f64, lat: f64) -> Option<&str> {
        let point = Point::new(lon, lat);
        self.tree
            .locate_all_at_point(&[lon, lat])
            .map(|entry| entry.data)
            .find(|&index| self.units[index].1.contains(&point))
            .map(|index| self.units[index].0.as_str())
    }

    /// Candidates whose bounding box holds the point (for the micro-benchmark's baseline).
    pub fn boxes_at(&self, lon: f64, lat: f64) -> usize {
        self.tree.locate_in_envelope_intersecting(&AABB::from_point([lon, lat])).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn a_point_goes_to_the_polygon_that_holds_it() {
        let a = MultiPolygon(vec![
            polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0), (x: 0.0, y: 0.0)],
        ]);
        // An L-shape whose bounding box also covers (1.5, 1.5), which it does not contain.
        let b = MultiPolygon(vec![
            polygon![(x: 1.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 2.0), (x: 1.8, y: 2.0), (x: 1.8, y: 0.2), (x: 1.0, y: 0.2), (x: 1.0, y: 0.0)],
        ]);
        let locator = UnitLocator::new(vec![("A".into(), a), ("B".into(), b)]);
        assert_eq!(locator.locate(0.5, 0.5), Some("A"));
        assert_eq!(locator.locate(1.9, 1.5), Some("B"));
        assert_eq!(locator.locate(1.5, 1.5), None);
        assert_eq!(locator.locate(5.0, 5.0), None);
    }
}
