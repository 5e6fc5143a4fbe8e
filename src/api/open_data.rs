//! `/api/v1/open-data/reports.{csv,geojson,ndjson}` (anybody): the public reports, anonymized, streamed.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::state::AppState;
use crate::calendar::store::{parse_date, parse_province};
use crate::db::Db;
use crate::error::{AppError, FieldErrors, FieldIssue};
use crate::http::{Path, Query};
use crate::open_data::formats::{Format, License};
use crate::open_data::{self, OpenDataFilter};
use crate::reports::ReportStatus;
use crate::values::ReportId;

/// Rows read from the database at a time: enough to keep the pipe full, few enough to keep memory flat.
const PAGE_ROWS: i64 = 1000;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/open-data/reports.{format}").route(web::get().to(export)));
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OpenDataQuery {
    /// Reports received on or after this Vietnamese day (`YYYY-MM-DD`, UTC+7).
    #[param(example = "2026-01-01")]
    from: Option<String>,
    /// Reports received on or before this Vietnamese day.
    #[param(example = "2026-12-31")]
    to: Option<String>,
    /// A province code (2 digits).
    #[param(example = "68")]
    province: Option<String>,
    category: Option<String>,
    status: Option<String>,
}

impl OpenDataQuery {
    fn parse(self) -> Result<OpenDataFilter, AppError> {
        let mut errors = FieldErrors::default();
        let from = self.from.and_then(|raw| errors.check(parse_date(&raw, "from")));
        let to = self.to.and_then(|raw| errors.check(parse_date(&raw, "to")));
        if from.zip(to).is_some_and(|(from, to)| from > to) {
            errors.add("to", FieldIssue::InvalidValue("a day on or after `from`".into()));
        }
        let province = self.province.and_then(|raw| errors.check(parse_province(&raw, "province")));
        let status = self.status.and_then(|raw| errors.check(ReportStatus::parse(&raw, "status")));
        errors.finish()?;
        Ok(OpenDataFilter {
            from,
            to,
            province: province.map(|p| p.as_str().to_string()),
            category: self.category,
            status,
        })
    }
}

/// The public reports, anonymized, as CSV, GeoJSON or NDJSON (`.csv`, `.geojson`, `.ndjson`), streamed
/// as they are read: no reporter's name, phone, email or id, no notes, positions rounded to 0.001°
/// (about 110 m); private and withdrawn reports are left out. Published under the licence named in the
/// `Link` header (`rel="license"`) and, in GeoJSON, in the collection's `license`. Gzip on request.
#[utoipa::path(get, path = "/api/v1/open-data/reports.{format}", tag = "open data", operation_id = "openDataReports",
    params(("format" = String, Path, description = "`csv`, `geojson` or `ndjson`", example = "csv"), OpenDataQuery),
    responses(
        (status = 200, description = "The file, streamed", content(
            (String = "text/csv", example = "id,received_at,category,category_name,status,description,address_text,unit_code,unit_name,province_code,organization,lat,lon,urgent,supporters,due_at,resolved_at,resolved_on_time,rating\n"),
            (serde_json::Value = "application/geo+json"),
            (String = "application/x-ndjson"),
        ), headers(("Content-Disposition" = String), ("Link" = String, description = "The licence, `rel=\"license\"`"))),
        (status = 404, description = "`route_not_found`: another format"),
        (status = 422, description = "`validation_failed`: a bad date, province or status, or `to` before `from`"),
    ))]
pub async fn export(
    state: web::Data<AppState>,
    format: Path<String>,
    query: Query<OpenDataQuery>,
) -> Result<HttpResponse, AppError> {
    let format = Format::from_extension(&format.into_inner()).ok_or(AppError::RouteNotFound)?;
    let filter = query.into_inner().parse()?;
    let license =
        License { name: state.settings.open_data_license.clone(), url: state.settings.open_data_license_url.clone() };
    let link = format!("<{}>; rel=\"license\"; title=\"{}\"", license.url, license.name);
    let today = crate::calendar::office_hours::local(chrono::Utc::now().naive_utc()).date();
    let file_name = format!("congdanso-reports-{today}.{}", format.extension());
    let export = Export { db: state.db.clone(), filter, format, license };
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")))
        .insert_header((header::LINK, link))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .streaming(futures_util::stream::unfold((Phase::Head, export), next_chunk)))
}

struct Export {
    db: Db,
    filter: OpenDataFilter,
    format: Format,
    license: License,
}

/// Where the export is.
enum Phase {
    Head,
    /// Reading pages after `after`; `first` until a row was written.
    Rows {
        after: Option<ReportId>,
        first: bool,
    },
    Tail,
    Done,
}

type Chunk = Result<Bytes, AppError>;

/// The next piece of the file, read from the database only when the client has taken the last one.
async fn next_chunk((phase, export): (Phase, Export)) -> Option<(Chunk, (Phase, Export))> {
    match phase {
        Phase::Head => {
            let head = Bytes::from(export.format.head(&export.license));
            Some((Ok(head), (Phase::Rows { after: None, first: true }, export)))
        }
        Phase::Rows { after, first } => {
            let filter = export.filter.clone();
            let from = after.clone();
            let page = export.db.read(move |conn| open_data::page(conn, &filter, from.as_ref(), PAGE_ROWS)).await;
            let written = page.and_then(|rows| Ok((export.format.rows(&rows, first)?, rows)));
            match written {
                Ok((bytes, rows)) => {
                    let next = match rows.last() {
                        Some(last) if rows.len() as i64 == PAGE_ROWS => {
                            Phase::Rows { after: Some(last.id.clone()), first: false }
                        }
                        _ => Phase::Tail,
                    };
                    Some((Ok(Bytes::from(bytes)), (next, export)))
                }
                Err(err) => {
                    // The status line is out: the client sees the file cut short.
                    tracing::warn!(error = %err, "open-data export stopped");
                    Some((Err(err), (Phase::Done, export)))
                }
            }
        }
        Phase::Tail => Some((Ok(Bytes::from(export.format.tail())), (Phase::Done, export))),
        Phase::Done => None,
    }
}
