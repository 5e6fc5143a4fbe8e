//! Routing: from a position to the commune responsible for it, and to the office that handles a report
//! there; both from the kept reference data.

pub mod boundaries;
pub mod locator;

use crate::categories::CategoryRow;
use crate::config::ServiceArea;
use crate::db::DbConnection;
use crate::error::{AppError, FieldError, FieldIssue};
use crate::organizations::{self, OrganizationRow};
use crate::reference::Reference;
use crate::units::{LatLon, ProvinceCode, UnitRow};

/// A checked WGS84 position; holding one means latitude and longitude are in range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    lat: f64,
    lon: f64,
}

impl Position {
    /// Checks both coordinates of the input found in `field`, reporting each that is wrong.
    pub fn parse(input: LatLon, field: &str) -> Result<Self, AppError> {
        let mut errors = Vec::new();
        for (name, value, limit) in [("lat", input.lat, 90.0), ("lon", input.lon, 180.0)] {
            if !value.is_finite() || value.abs() > limit {
                errors.push(FieldError::new(
                    format!("{field}.{name}"),
                    FieldIssue::OutOfRange { min: -limit, max: limit },
                ));
            }
        }
        if errors.is_empty() {
            Ok(Position { lat: input.lat, lon: input.lon })
        } else {
            Err(AppError::Validation(errors))
        }
    }

    pub fn lat(self) -> f64 {
        self.lat
    }

    pub fn lon(self) -> f64 {
        self.lon
    }

    /// Great-circle distance in kilometres (haversine; plenty for distances inside a country).
    pub fn distance_km(self, lat: f64, lon: f64) -> f64 {
        const EARTH_RADIUS_KM: f64 = 6371.0;
        let (dlat, dlon) = ((lat - self.lat).to_radians(), (lon - self.lon).to_radians());
        let a = (dlat / 2.0).sin().powi(2)
            + self.lat.to_radians().cos() * lat.to_radians().cos() * (dlon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * a.sqrt().asin()
    }
}

/// A commune's centroid farther than this from the position is not taken as its commune: the largest
/// communes span about 1,100 km², and a point beyond is more likely outside the country.
const MAX_CENTROID_DISTANCE_KM: f64 = 40.0;
/// Centroids farther than this many degrees (over 40 km at Vietnam's latitudes) are passed over before
/// the distance is computed.
const SEARCH_BOX_DEGREES: f64 = 0.5;

#[derive(Debug, Clone)]
pub struct Located {
    pub unit: UnitRow,
    pub province: UnitRow,
    pub distance_km: f64,
    pub approximate: bool,
}

/// The commune-level unit holding `position`: by its loaded boundary when there is one, otherwise the
/// unit in force with the nearest centroid (marked approximate, for the IOC to confirm). Only units
/// inside the service area count.
pub fn locate_commune(
    reference: &Reference,
    position: Position,
    area: &ServiceArea,
    boundaries: &locator::UnitLocator,
) -> Result<Located, AppError> {
    let in_area =
        |unit: &UnitRow| unit.parent_code.as_deref().and_then(ProvinceCode::parse).is_some_and(|p| area.contains(&p));
    let by_boundary = boundaries.locate(position.lon, position.lat).and_then(|code| reference.unit(&code));
    if let Some(unit) = by_boundary.filter(|unit| unit.level == 2 && in_area(unit)) {
        return with_province(reference, unit, position.distance_km(unit.lat, unit.lon), false);
    }
    let (unit, distance_km) = reference
        .communes()
        .filter(|unit| (unit.lat - position.lat).abs() <= SEARCH_BOX_DEGREES)
        .filter(|unit| (unit.lon - position.lon).abs() <= SEARCH_BOX_DEGREES && in_area(unit))
        .map(|unit| (unit, position.distance_km(unit.lat, unit.lon)))
        .filter(|(_, distance)| *distance <= MAX_CENTROID_DISTANCE_KM)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .ok_or(AppError::OutsideServiceArea)?;
    with_province(reference, unit, distance_km, true)
}

fn with_province(
    reference: &Reference,
    unit: &UnitRow,
    distance_km: f64,
    approximate: bool,
) -> Result<Located, AppError> {
    let province = unit
        .parent_code
        .as_deref()
        .and_then(|code| reference.unit(code))
        .ok_or_else(|| AppError::Internal(format!("commune {} has no province", unit.code)))?;
    Ok(Located { unit: unit.clone(), province: province.clone(), distance_km, approximate })
}

/// Who handles a report of `category` in `commune`, and why (recorded on the report's first event). A
/// commune's office is created the first time a report needs it.
pub fn handling_office(
    conn: &mut DbConnection,
    reference: &Reference,
    category: &CategoryRow,
    commune: &UnitRow,
) -> Result<(OrganizationRow, String), AppError> {
    let province = commune.parent_code.as_deref().unwrap_or_default();
    let office = |conn: &mut DbConnection| match reference.commune_office(&commune.code) {
        Some(office) => Ok(office.clone()),
        None => organizations::commune_office(conn, commune),
    };
    if category.handler_kind != "department" {
        let reason = format!("category {} is handled by the office of commune {}", category.code, commune.code);
        return Ok((office(conn)?, reason));
    }
    if let Some(department) = reference.department(province, &category.code) {
        let reason = format!("category {} is handled by {} in province {province}", category.code, department.name);
        return Ok((department.clone(), reason));
    }
    let reason =
        format!("category {} has no department in province {province}; the commune office handles it", category.code);
    Ok((office(conn)?, reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_out_of_range_name_each_coordinate() {
        let Err(AppError::Validation(errors)) = Position::parse(LatLon { lat: 91.0, lon: f64::NAN }, "position") else {
            panic!("expected a validation error");
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["position.lat", "position.lon"]);
        assert!(Position::parse(LatLon { lat: -90.0, lon: 180.0 }, "position").is_ok());
    }

    #[test]
    fn hanoi_to_ho_chi_minh_city_is_about_1140_km() {
        let hanoi = Position::parse(LatLon { lat: 21.0285, lon: 105.8542 }, "p").unwrap();
        let distance = hanoi.distance_km(10.7769, 106.7009);
        assert!((1130.0..1150.0).contains(&distance), "{distance}");
    }
}
