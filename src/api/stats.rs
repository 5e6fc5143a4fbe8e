//! `/api/v1/admin/stats/…` (officials, the IOC, administrators): the figures of the reports one may see.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::extractors::{AdminOnly, AdminUser, CurrentUser, OfficialOnly, OfficialUser};
use crate::api::reports::heatmap_area;
use crate::api::state::AppState;
use crate::calendar::office_hours::local;
use crate::calendar::store::{parse_date, parse_province};
use crate::error::{AppError, FieldErrors};
use crate::http::{Json, Path, Query};
use crate::reports::heatmap::Heatmap;
use crate::reports::ReportStatus;
use crate::stats::adoption::{self, Adoption, Population};
use crate::stats::{self, months, GroupBy, Period, SortBy, Stats, StatsQuery};
use crate::units::UnitCode;
use crate::values::OrganizationId;
use crate::workflow::{heatmap, jurisdiction, InboxFilter};
use chrono::Datelike;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/admin/stats").route(web::get().to(get_stats)))
        .service(web::resource("/admin/stats/adoption").route(web::get().to(get_adoption)))
        .service(web::resource("/admin/units/{code}/population").route(web::put().to(put_population)))
        .service(web::resource("/admin/stats/heatmap").route(web::get().to(get_heatmap)));
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// The first Vietnamese day (UTC+7) of the period, `YYYY-MM-DD`; default: 1 January of `to`'s year.
    #[param(example = "2026-01-01")]
    from: Option<String>,
    /// The last day of the period (included); default: today. At most 731 days after `from`.
    #[param(example = "2026-12-31")]
    to: Option<String>,
    /// A province code (2 digits).
    #[param(example = "68")]
    province: Option<String>,
    /// A commune-level unit code (5 digits).
    unit: Option<String>,
    /// An organization's id.
    organization: Option<String>,
    category: Option<String>,
    urgent: Option<bool>,
    /// The scorecard: the same figures per `unit`, `organization` or `category`.
    group_by: Option<String>,
    /// What the scorecard is ordered by: `key`, `received` (default), `resolved_share`, `on_time_share`,
    /// `overdue_now`, `escalated`, `median_resolve_minutes`, `mean_rating`, `satisfied_share`.
    sort: Option<String>,
    /// `desc` (default) or `asc`.
    order: Option<String>,
    /// `json` (default) or `csv` (the scorecard's table, a total row last).
    format: Option<String>,
}

impl StatsParams {
    fn parse(self, today: chrono::NaiveDate) -> Result<(StatsQuery, bool), AppError> {
        let mut errors = FieldErrors::default();
        let from = self.from.and_then(|raw| errors.check(parse_date(&raw, "from")));
        let to = self.to.and_then(|raw| errors.check(parse_date(&raw, "to")));
        let province = self.province.and_then(|raw| errors.check(parse_province(&raw, "province")));
        let unit = self.unit.and_then(|raw| errors.check(UnitCode::parse_field(&raw, "unit")));
        let group_by = errors.one_of(self.group_by, GroupBy::NAMES, "group_by");
        let sort = errors.one_of(self.sort, SortBy::NAMES, "sort");
        let order = errors.one_of(self.order, &["asc", "desc"], "order");
        let csv = errors.one_of(self.format, &["json", "csv"], "format").is_some_and(|f| f == "csv");
        errors.finish()?;
        let to = to.unwrap_or(today);
        let from = from.unwrap_or_else(|| to.with_ordinal(1).expect("every year has a first day"));
        let period = Period::parse(from, to)?;
        let (start, end) = period.bounds();
        let filter = InboxFilter {
            province: province.map(|p| p.as_str().to_string()),
            unit: unit.map(|u| u.as_str().to_string()),
            organization: self.organization.map(|o| OrganizationId::from(o.as_str())),
            category: self.category,
            urgent: self.urgent,
            from: Some(start),
            to: Some(end),
            ..InboxFilter::default()
        };
        let query = StatsQuery {
            filter,
            period,
            group_by: group_by.map(|g| g.parse().expect("one of the names")),
            sort: sort.map_or(SortBy::Received, |s| s.parse().expect("one of the names")),
            descending: order.is_none_or(|o| o == "desc"),
        };
        Ok((query, csv))
    }
}

/// The IOC's figures for the reports received in a period (Vietnamese days) that the caller's inbox
/// shows (an IOC member: the province; an administrator: every province served): counts by status,
/// category and channel; resolved, on time, overdue now and escalated; median and p90 minutes to accept,
/// start and resolve (within 1 %); ratings; a daily series; with `group_by`, the scorecard per unit,
/// organization or category; with `format=csv`, the scorecard as a spreadsheet. A filter naming a
/// province, commune or organization outside the caller's jurisdiction: 403.
#[utoipa::path(get, path = "/api/v1/admin/stats", tag = "officials", operation_id = "stats", security(("bearer" = [])),
    params(StatsParams),
    responses(
        (status = 200, description = "The figures", content(
            (Stats = "application/json"),
            (String = "text/csv", example = "key,name,received,resolved,resolved_share,on_time,on_time_share,overdue_now,escalated,median_accept_minutes,p90_accept_minutes,median_start_minutes,p90_start_minutes,median_resolve_minutes,p90_resolve_minutes,rated,rated_share,mean_rating,satisfied_share,reopened,reopened_share\n"),
        )),
        (status = 403, description = "`forbidden`: not an official or administrator, or a province, unit or organization outside the caller's jurisdiction"),
        (status = 422, description = "`validation_failed`: a malformed filter, an unknown unit, organization or category, `to` before `from` or more than 731 days after it"),
    ))]
pub async fn get_stats(
    user: CurrentUser,
    state: web::Data<AppState>,
    params: Query<StatsParams>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let (query, csv) = params.into_inner().parse(local(now).date())?;
    let (user_id, role, area) = (user.user.id.clone(), user.role, state.settings.service_area.clone());
    // The sums are brought up to date on the primary, then read where reads go (a replica, when set).
    state.db.run(months::refresh).await?;
    let figures = state
        .db
        .read(move |conn| {
            let jurisdiction = stats::staff_jurisdiction(conn, &user_id, role, &area)?;
            stats::ensure_within(conn, &jurisdiction, &query.filter)?;
            stats::stats(conn, &jurisdiction, &user_id, &query, now)
        })
        .await?;
    if !csv {
        return Ok(HttpResponse::Ok().json(figures));
    }
    let file_name = format!("congdanso-stats-{}-{}.csv", figures.from, figures.to);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((actix_web::http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")))
        .body(stats::csv(&figures)?))
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
        .read(move |conn| {
            let jurisdiction = jurisdiction(conn, &official_id)?;
            heatmap(conn, &jurisdiction, &official_id, &filter, &area, zoom)
        })
        .await?;
    Ok(HttpResponse::Ok().json(map))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AdoptionParams {
    /// A province code (2 digits); 403 outside the caller's jurisdiction.
    #[param(example = "68")]
    province: Option<String>,
    /// `unit`: every commune of the scope, with its population.
    group_by: Option<String>,
}

/// How many residents use the app, per commune of the caller's jurisdiction (see the README's
/// Adoption): citizens' accounts, verified ones, active ones (filed, supported or rated in the last 90
/// days), onboarding sign-ups, and, where a population was entered, the shares of it and the target.
#[utoipa::path(get, path = "/api/v1/admin/stats/adoption", tag = "officials", operation_id = "adoption", security(("bearer" = [])),
    params(AdoptionParams),
    responses(
        (status = 200, description = "The figures", body = Adoption),
        (status = 403, description = "`forbidden`: not an official or administrator, or a province outside the caller's jurisdiction"),
        (status = 422, description = "`validation_failed`: a malformed province or `group_by`"),
    ))]
pub async fn get_adoption(
    user: CurrentUser,
    state: web::Data<AppState>,
    params: Query<AdoptionParams>,
) -> Result<HttpResponse, AppError> {
    let params = params.into_inner();
    let mut errors = FieldErrors::default();
    let province = params.province.and_then(|raw| errors.check(parse_province(&raw, "province")));
    let per_unit = errors.one_of(params.group_by, &["unit"], "group_by").is_some();
    errors.finish()?;
    let (user_id, role, area, now) =
        (user.user.id.clone(), user.role, state.settings.service_area.clone(), state.clock.now());
    let figures = state
        .db
        .read(move |conn| {
            let jurisdiction = stats::staff_jurisdiction(conn, &user_id, role, &area)?;
            adoption::adoption(conn, &jurisdiction, province.as_ref().map(|p| p.as_str()), per_unit, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(figures))
}

/// Enter a commune's adult population (the year it is for, its source) and the share of it the province
/// aims to have on the app; replaces what was entered before; written to the audit log.
#[utoipa::path(put, path = "/api/v1/admin/units/{code}/population", tag = "admin", operation_id = "putUnitPopulation", security(("bearer" = [])),
    params(("code" = String, Path, description = "A commune-level unit code (5 digits)", example = "24778")),
    request_body = Population,
    responses(
        (status = 200, description = "The population as stored", body = Population),
        AdminOnly,
        (status = 404, description = "`unit_not_found`: no current commune-level unit has this code"),
        (status = 422, description = "`validation_failed`: `adults` outside 1–50,000,000, `year` outside 1990–next year, `source` empty or over 200 characters, `target_share` not in (0, 1]"),
    ))]
pub async fn put_population(
    admin: AdminUser,
    state: web::Data<AppState>,
    code: Path<String>,
    body: Json<Population>,
) -> Result<HttpResponse, AppError> {
    let unit = UnitCode::parse(&code).ok_or_else(|| AppError::UnitNotFound(code.to_string()))?;
    let now = chrono::Utc::now().naive_utc();
    let population = body.0.parse(local(now).year())?;
    let admin = admin.0.id().clone();
    let stored = population.clone();
    state.db.run(move |conn| adoption::set_population(conn, &admin, &unit, &stored, now)).await?;
    Ok(HttpResponse::Ok().json(population))
}
