//! `/api/v1/units`: the administrative tree, and which commune a position falls in.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::extractors::{AdminOnly, AdminUser};
use crate::api::state::AppState;
use crate::error::{AppError, FieldIssue};
use crate::http::{cacheable_json, page_limit, Json, Page, PageSize, Path, Query};
use crate::routing::boundaries::{self, BoundaryImport};
use crate::routing::locator::UnitLocator;
use crate::routing::{self, Position};
use crate::units::{find_unit, list_units, LatLon, Unit, UnitCode, UnitFilter};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/admin/units/boundaries").route(web::post().to(import_boundaries)))
        .service(web::resource("/units").route(web::get().to(list)))
        .service(web::resource("/units/locate").route(web::post().to(locate)))
        .service(web::resource("/units/{code}").route(web::get().to(get)));
}

/// Pages of units: 200 (every commune of the largest province) unless `limit` says otherwise, at most 500.
pub(crate) const PAGE: PageSize = PageSize { default: 200, max: 500 };
pub(crate) const MAX_QUERY_CHARS: usize = 100;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UnitsQuery {
    /// List the units under this one (a province code lists its communes).
    #[param(example = "68")]
    parent: Option<String>,
    /// Text to find in unit names; case and diacritics are ignored (`hoan kiem` finds `Phường Hoàn Kiếm`).
    #[param(example = "hoan kiem")]
    q: Option<String>,
    /// Page size, 1 to 500 (default 200: every commune of the largest province fits in one page).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

impl UnitsQuery {
    fn parse(self) -> Result<UnitFilter, AppError> {
        let parent = self.parent.as_deref().map(|raw| UnitCode::parse_field(raw, "parent")).transpose()?;
        let after = self.cursor.as_deref().map(|raw| UnitCode::parse_field(raw, "cursor")).transpose()?;
        let text = match self.q {
            Some(q) if q.chars().count() > MAX_QUERY_CHARS => {
                return Err(AppError::invalid("q", FieldIssue::TooLong { max: MAX_QUERY_CHARS }))
            }
            Some(q) => Some(crate::text::fold(&q)).filter(|folded| !folded.is_empty()),
            None => None,
        };
        let mut errors = crate::error::FieldErrors::default();
        let limit = page_limit(self.limit, PAGE, &mut errors);
        errors.finish()?;
        Ok(UnitFilter { parent, text, after, limit })
    }
}

/// List administrative units.
///
/// Without `parent` and `q`: the 34 provinces. With `parent`: the units under it. With `q`: units whose
/// name contains the text, anywhere or under `parent`. Only units in force today are listed.
#[utoipa::path(get, path = "/api/v1/units", tag = "units", operation_id = "listUnits", params(UnitsQuery),
    responses(
        (status = 200, description = "A page of units, in code order", body = Page<Unit>, headers(("ETag" = String))),
        (status = 304, description = "The app's cached copy (If-None-Match) is current"),
        (status = 404, description = "`unit_not_found`: no unit with the `parent` code"),
        (status = 422, description = "`validation_failed`: bad `parent`, `cursor`, `limit`, `q` or an unknown parameter"),
    ))]
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: Query<UnitsQuery>,
) -> Result<HttpResponse, AppError> {
    let filter = query.into_inner().parse()?;
    let limit = filter.limit;
    let rows = state.db.run(move |conn| list_units(conn, &filter)).await?;
    cacheable_json(&req, &Page::from_rows(rows, limit, |row| row.code.clone(), |row| Unit::try_from(row))?)
}

/// One administrative unit by its code, including units no longer in force.
#[utoipa::path(get, path = "/api/v1/units/{code}", tag = "units", operation_id = "getUnit",
    params(("code" = String, Path, description = "2-digit province or 5-digit commune code", example = "00070")),
    responses(
        (status = 200, description = "The unit", body = Unit, headers(("ETag" = String))),
        (status = 304, description = "The app's cached copy (If-None-Match) is current"),
        (status = 404, description = "`unit_not_found`"),
        (status = 422, description = "`validation_failed`: the code is not 2 or 5 digits"),
    ))]
pub async fn get(req: HttpRequest, state: web::Data<AppState>, code: Path<String>) -> Result<HttpResponse, AppError> {
    let code = UnitCode::parse_field(&code, "code")?;
    let row = state.db.run(move |conn| find_unit(conn, &code)).await?;
    cacheable_json(&req, &Unit::try_from(&row)?)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocateRequest {
    pub position: LatLon,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct LocateResponse {
    /// The commune-level unit the position is taken to be in.
    pub unit: Unit,
    pub province: Unit,
    /// Distance from the position to the unit's centroid.
    pub distance_km: f64,
    /// True when the unit was found by nearest centroid rather than by a loaded boundary.
    pub approximate: bool,
}

/// Which commune a position is in.
///
/// A POST so that a citizen's position never lands in URL logs. The unit whose loaded boundary holds the
/// position; where no boundary is loaded, the commune with the nearest centroid (within 40 km), marked
/// `approximate`.
#[utoipa::path(post, path = "/api/v1/units/locate", tag = "units", operation_id = "locateUnit", request_body = LocateRequest,
    responses(
        (status = 200, description = "The unit containing the position", body = LocateResponse),
        (status = 400, description = "`malformed_json`"),
        (status = 413, description = "`payload_too_large`"),
        (status = 415, description = "`unsupported_media_type`: the body is not `application/json`"),
        (status = 422, description = "`validation_failed` (bad or missing `position`, unknown field) or `outside_service_area`"),
    ))]
pub async fn locate(state: web::Data<AppState>, body: Json<LocateRequest>) -> Result<HttpResponse, AppError> {
    let position = Position::parse(body.0.position, "position")?;
    let area = state.settings.service_area.clone();
    let boundaries = state.boundaries();
    let located = state
        .db
        .run(move |conn| routing::locate_commune(&*crate::reference::current(conn)?, position, &area, &boundaries))
        .await?;
    Ok(HttpResponse::Ok().json(LocateResponse {
        unit: Unit::try_from(&located.unit)?,
        province: Unit::try_from(&located.province)?,
        distance_km: (located.distance_km * 100.0).round() / 100.0,
        approximate: located.approximate,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BoundaryQuery {
    /// The feature property that holds the unit code (default `code`).
    #[param(example = "ma_xa")]
    code_property: Option<String>,
}

/// Boundaries of all 3,321 communes as GeoJSON run to tens of megabytes.
const BOUNDARIES_LIMIT: usize = 64 * 1024 * 1024;

/// Load unit boundaries from a GeoJSON FeatureCollection of Polygon/MultiPolygon features.
///
/// Each feature is checked on its own: the valid ones are stored and used at once for locating
/// positions; the others are listed with what is wrong (`missing_code`, `unknown_unit`, `not_polygon`,
/// `coordinate_order`, `invalid_geometry`).
#[utoipa::path(post, path = "/api/v1/admin/units/boundaries", tag = "admin", operation_id = "importBoundaries", security(("bearer" = [])),
    params(BoundaryQuery),
    request_body(content = Object, content_type = "application/geo+json", description = "A GeoJSON FeatureCollection, [lon, lat] in WGS84"),
    responses(
        (status = 200, description = "What was stored and what was not", body = BoundaryImport),
        AdminOnly,
        (status = 413, description = "`payload_too_large`: over 64 MiB"),
        (status = 422, description = "`validation_failed`: not a FeatureCollection"),
    ))]
pub async fn import_boundaries(
    req: HttpRequest,
    _admin: AdminUser,
    state: web::Data<AppState>,
    query: Query<BoundaryQuery>,
    mut payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    use futures_util::StreamExt;
    let is_json = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json") || ct.starts_with("application/geo+json"));
    if !is_json {
        return Err(AppError::UnsupportedMediaType);
    }
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|err| AppError::MalformedJson(err.to_string()))?;
        if body.len() + chunk.len() > BOUNDARIES_LIMIT {
            return Err(AppError::PayloadTooLarge { limit: BOUNDARIES_LIMIT });
        }
        body.extend_from_slice(&chunk);
    }
    let code_property = query.into_inner().code_property.unwrap_or_else(|| "code".into());
    let (parsed, problems) = web::block(move || {
        let collection: serde_json::Value = crate::http::parse_json(&body)?;
        boundaries::parse_collection(&collection, &code_property)
    })
    .await
    .map_err(|err| AppError::Internal(format!("blocking task: {err}")))??;
    let (imported, locator) = state
        .db
        .run(move |conn| {
            let imported = boundaries::store(conn, parsed, problems)?;
            Ok((imported, UnitLocator::load(conn)?))
        })
        .await?;
    state.replace_boundaries(locator);
    Ok(HttpResponse::Ok().json(imported))
}
