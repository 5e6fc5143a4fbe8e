//! Unit boundaries from GeoJSON: each feature checked on its own, the valid ones kept, the others
//! reported with what is wrong, so one bad polygon does not block a province's import.

use chrono::Utc;
use diesel::prelude::*;
use geo::{Coord, LineString, MultiPolygon, Polygon, Validation};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::db::schema::admin_units;
use crate::db::{self, DbConnection};
use crate::error::AppError;
use crate::units::UnitCode;

/// What is wrong with one feature of an import.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct FeatureProblem {
    /// Position of the feature in the collection, from 0.
    pub index: usize,
    pub code: Option<String>,
    /// `missing_code`, `unknown_unit`, `not_polygon`, `coordinate_order` or `invalid_geometry`.
    pub problem: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BoundaryImport {
    /// Codes of the units whose boundary was stored.
    pub imported: Vec<String>,
    pub problems: Vec<FeatureProblem>,
}

/// A boundary that passed every check that needs no database.
pub struct ParsedBoundary {
    pub index: usize,
    pub code: String,
    pub shape: MultiPolygon<f64>,
    /// The geometry as given, to store.
    pub geometry: Value,
}

fn problem(index: usize, code: Option<&str>, problem: &'static str, message: impl Into<String>) -> FeatureProblem {
    FeatureProblem { index, code: code.map(str::to_string), problem, message: message.into() }
}

/// Reads a GeoJSON geometry (Polygon or MultiPolygon, `[lon, lat]`) into a shape.
pub fn shape_of(geometry: &Value) -> Result<MultiPolygon<f64>, (&'static str, String)> {
    let polygons: Vec<&Value> = match geometry["type"].as_str() {
        Some("Polygon") => vec![&geometry["coordinates"]],
        Some("MultiPolygon") => geometry["coordinates"].as_array().map(|p| p.iter().collect()).unwrap_or_default(),
        other => return Err(("not_polygon", format!("geometry type {other:?}; expected Polygon or MultiPolygon"))),
    };
    let ring = |value: &Value| -> Result<LineString<f64>, (&'static str, String)> {
        let points = value.as_array().ok_or(("invalid_geometry", "a ring is not an array".to_string()))?;
        let coords = points
            .iter()
            .map(|p| match (p[0].as_f64(), p[1].as_f64()) {
                (Some(x), Some(y)) => Ok(Coord { x, y }),
                _ => Err(("invalid_geometry", format!("position {p} is not [lon, lat]"))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if coords.len() < 4 || coords.first() != coords.last() {
            return Err((
                "invalid_geometry",
                "a ring needs at least 4 positions and must end where it starts".to_string(),
            ));
        }
        // Vietnam lies at 8–24° N and 102–118° E; [lat, lon] pairs land the other way round.
        let swapped = coords.iter().all(|c| (8.0..=24.0).contains(&c.x) && (102.0..=118.0).contains(&c.y));
        if swapped {
            return Err(("coordinate_order", "positions look like [lat, lon]; GeoJSON is [lon, lat]".to_string()));
        }
        if coords.iter().any(|c| !(-180.0..=180.0).contains(&c.x) || !(-90.0..=90.0).contains(&c.y)) {
            return Err(("invalid_geometry", "a position is outside [-180, 180] × [-90, 90]".to_string()));
        }
        Ok(LineString::new(coords))
    };
    let mut shapes = Vec::with_capacity(polygons.len());
    for polygon in polygons {
        let rings = polygon
            .as_array()
            .filter(|r| !r.is_empty())
            .ok_or(("invalid_geometry", "a polygon has no rings".to_string()))?;
        let exterior = ring(&rings[0])?;
        let interiors = rings[1..].iter().map(ring).collect::<Result<Vec<_>, _>>()?;
        shapes.push(Polygon::new(exterior, interiors));
    }
    let shape = MultiPolygon(shapes);
    if shape.0.is_empty() {
        return Err(("invalid_geometry", "no polygon".to_string()));
    }
    if let Err(err) = shape.check_validation() {
        return Err(("invalid_geometry", err.to_string()));
    }
    Ok(shape)
}

/// Checks every feature of a FeatureCollection; `code_property` names the property holding the unit code.
pub fn parse_collection(
    collection: &Value,
    code_property: &str,
) -> Result<(Vec<ParsedBoundary>, Vec<FeatureProblem>), AppError> {
    if collection["type"] != "FeatureCollection" {
        return Err(AppError::invalid("type", crate::error::FieldIssue::OneOf(&["FeatureCollection"])));
    }
    let features = collection["features"].as_array().cloned().unwrap_or_default();
    let mut parsed = Vec::new();
    let mut problems = Vec::new();
    for (index, feature) in features.iter().enumerate() {
        let raw_code = match &feature["properties"][code_property] {
            Value::String(code) => Some(code.trim().to_string()),
            Value::Number(number) => Some(format!("{number:0>5}")),
            _ => None,
        };
        let Some(code) = raw_code.as_deref().and_then(UnitCode::parse) else {
            problems.push(problem(
                index,
                raw_code.as_deref(),
                "missing_code",
                format!("no unit code in property {code_property:?}"),
            ));
            continue;
        };
        match shape_of(&feature["geometry"]) {
            Ok(shape) => parsed.push(ParsedBoundary {
                index,
                code: code.as_str().to_string(),
                shape,
                geometry: feature["geometry"].clone(),
            }),
            Err((kind, message)) => problems.push(problem(index, Some(code.as_str()), kind, message)),
        }
    }
    Ok((parsed, problems))
}

/// Stores the boundaries of known units in one transaction; unknown codes are reported.
pub fn store(
    conn: &mut DbConnection,
    parsed: Vec<ParsedBoundary>,
    mut problems: Vec<FeatureProblem>,
) -> Result<BoundaryImport, AppError> {
    db::transaction(conn, |conn| {
        let now = Utc::now().naive_utc();
        let mut imported = Vec::new();
        for boundary in parsed {
            let updated = diesel::update(admin_units::table.find(&boundary.code))
                .set((
                    admin_units::boundary.eq(boundary.geometry.to_string()),
                    admin_units::boundary_updated_at.eq(now),
                ))
                .execute(conn)?;
            if updated == 1 {
                imported.push(boundary.code);
            } else {
                problems.push(problem(
                    boundary.index,
                    Some(&boundary.code),
                    "unknown_unit",
                    "no administrative unit has this code",
                ));
            }
        }
        problems.sort_by_key(|p| p.index);
        Ok(BoundaryImport { imported, problems })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn square(lon: f64, lat: f64, half: f64) -> Value {
        json!({"type": "Polygon", "coordinates": [[[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half], [lon - half, lat - half]]]})
    }

    #[test]
    fn each_feature_is_judged_on_its_own() {
        let collection = json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"code": "24781"}, "geometry": square(108.44, 11.90, 0.01)},
            {"type": "Feature", "properties": {"name": "no code"}, "geometry": square(108.44, 11.90, 0.01)},
            {"type": "Feature", "properties": {"code": "24787"}, "geometry": square(11.90, 108.44, 0.01)},
            {"type": "Feature", "properties": {"code": "24787"}, "geometry": {"type": "Point", "coordinates": [108.4, 11.9]}},
            {"type": "Feature", "properties": {"code": "24790"}, "geometry": {"type": "Polygon", "coordinates": [[[108.4, 11.9], [108.5, 11.9], [108.4, 11.9]]]}},
            {"type": "Feature", "properties": {"code": "24793"}, "geometry": {"type": "Polygon", "coordinates":
                [[[108.40, 11.90], [108.50, 12.00], [108.50, 11.90], [108.40, 12.00], [108.40, 11.90]]]}},
        ]});
        let (parsed, problems) = parse_collection(&collection, "code").unwrap();
        assert_eq!(parsed.iter().map(|p| p.code.as_str()).collect::<Vec<_>>(), ["24781"]);
        let kinds: Vec<_> = problems.iter().map(|p| (p.index, p.problem)).collect();
        assert_eq!(
            kinds,
            [
                (1, "missing_code"),
                (2, "coordinate_order"),
                (3, "not_polygon"),
                (4, "invalid_geometry"),
                (5, "invalid_geometry")
            ]
        );
    }
}
