//! `/api/v1/admin/stats/…` (officials, the IOC, administrators): the figures of the reports one may see.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::extractors::{OfficialOnly, OfficialUser};
use crate::api::reports::heatmap_area;
use crate::api::state::AppState;
use crate::error::{AppError, FieldErrors};
use crate::http::Query;
use crate::reports::heatmap::Heatmap;
use crate::reports::ReportStatus;
use crate::units::UnitCode;
use crate::workflow::{heatmap, jurisdiction, InboxFilter};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/admin/stats/heatmap").route(web::get().to(get_heatmap)));
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsHeatmapQuery {
    /// `minLon,minLat,maxLon,maxLat`.
    #[param(example = "108.35,11.85,108.55,12.00")]
    bbox: String,
    /// The map's zoom, 0 to 22 (see `GET /api/v1/reports/heatmap`).
    #[param(example = 12)]
    zoom: i64,
    status: Option<String>,
    category: Option<String>,
    /// A commune-level unit code.
    unit: Option<String>,
    urgent: Option<bool>,
    /// Received at or after (RFC 3339).
    from: Option<chrono::DateTime<chrono::Utc>>,
    /// Received before (RFC 3339).
    to: Option<chrono::DateTime<chrono::Utc>>,
}

/// Where the reports of the caller's jurisdiction cluster (an IOC member: the whole province; private
/// reports included), per square of a grid as fine as the map's zoom, with the share overdue.
#[utoipa::path(get, path = "/api/v1/admin/stats/heatmap", tag = "officials", operation_id = "statsHeatmap", security(("bearer" = [])),
    params(StatsHeatmapQuery),
    responses(
        (status = 200, description = "The squares with reports", body = Heatmap),
        OfficialOnly,
        (status = 422, description = "`validation_failed`: a malformed `bbox` or filter, a `zoom` outside 0–22, or too many squares for the zoom"),
    ))]
pub async fn get_heatmap(
    official: OfficialUser,
    state: web::Data<AppState>,
    query: Query<StatsHeatmapQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let mut errors = FieldErrors::default();
    let status = query.status.as_deref().and_then(|s| errors.check(ReportStatus::parse(s, "status")));
    let unit = query.unit.as_deref().and_then(|u| errors.check(UnitCode::parse_field(u, "unit")));
    errors.finish()?;
    let (area, zoom) = heatmap_area(&query.bbox, query.zoom)?;
    let filter = InboxFilter {
        status,
        category: query.category,
        unit: unit.map(|u| u.as_str().to_string()),
        urgent: query.urgent,
        from: query.from.map(|t| t.naive_utc()),
        to: query.to.map(|t| t.naive_utc()),
        now: state.clock.now(),
        ..InboxFilter::default()
    };
    let official_id = official.0.user.id.clone();
    let map = state
        .db
        .run(move |conn| {
            let jurisdiction = jurisdiction(conn, &official_id)?;
            heatmap(conn, &jurisdiction, &official_id, &filter, &area, zoom)
        })
        .await?;
    Ok(HttpResponse::Ok().json(map))
}
