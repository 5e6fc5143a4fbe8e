//! `/api/v1/reports` and `/api/v1/me/reports`.

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::extractors::{CurrentUser, MaybeUser};
use crate::api::state::AppState;
use crate::db::DbConnection;
use crate::error::{AppError, FieldErrors, FieldIssue};
use crate::http::{check_id_cursor, page_limit, request_hash, IdempotencyKey, Json, Page, PageSize, Path, Query};
use crate::notify::notifier::Notifier;
use crate::reports::events;
use crate::reports::filing::{self, Filed};
use crate::reports::geo::BoundingBox;
use crate::reports::heatmap::{self, Heatmap};
use crate::reports::queries::{self, NearCursor, ReportFilter};
use crate::reports::row::ReportRow;
use crate::reports::{actions, views};
use crate::reports::{NewReportRequest, Report, ReportDetail, ReportStatus};
use crate::routing::Position;
use crate::units::{LatLon, UnitCode};
use crate::values::{MediaId, ReportId, UserId};
use crate::workflow::actions::NOTE_CHARS;

/// What the reporter's own actions on a report answer when the report is not theirs (or not there).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // only its annotations are read, by the contract
enum NotOwnReport {
    #[response(status = 404, description = "`report_not_found` (also for someone else's report)")]
    NotFound,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/reports").route(web::post().to(file)).route(web::get().to(list)))
        .service(web::resource("/reports/similar").route(web::get().to(similar)))
        .service(web::resource("/reports/heatmap").route(web::get().to(heatmap)))
        .service(web::resource("/reports/{id}").route(web::get().to(get)))
        .service(
            web::resource("/reports/{id}/support").route(web::post().to(support)).route(web::delete().to(unsupport)),
        )
        .service(web::resource("/reports/{id}/withdraw").route(web::post().to(withdraw)))
        .service(web::resource("/reports/{id}/media").route(web::post().to(add_photos)))
        .service(web::resource("/reports/{id}/rating").route(web::post().to(rate)))
        .service(web::resource("/reports/{id}/reopen").route(web::post().to(reopen)))
        .service(web::resource("/reports/{id}/answer").route(web::post().to(answer)))
        .service(web::resource("/me/reports").route(web::get().to(mine)));
}

fn detail(
    conn: &mut DbConnection,
    id: &ReportId,
    viewer: Option<&UserId>,
    public_url: &str,
    now: NaiveDateTime,
) -> Result<ReportDetail, AppError> {
    let row = queries::find_visible(conn, id, viewer)?;
    let report = views::views(conn, std::slice::from_ref(&row), viewer, None, public_url)?.remove(0);
    let for_reporter = viewer == Some(&row.reporter_id);
    let deadline = crate::reports::deadlines::current(conn, &row, now)?;
    Ok(ReportDetail { report, deadline, timeline: events::public_timeline(conn, id, for_reporter)? })
}

/// File a report. Send an `Idempotency-Key` (a UUID per report): retrying with the same key returns the
/// same report, never a second one.
#[utoipa::path(post, path = "/api/v1/reports", tag = "reports", operation_id = "fileReport", security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "8–128 characters, one per report; reuse it when retrying")),
    request_body = NewReportRequest,
    responses(
        (status = 201, description = "Filed", body = ReportDetail),
        (status = 200, description = "A retry: the report filed earlier with this key", body = ReportDetail),
        (status = 400, description = "`idempotency_key_required` or `malformed_json`"),
        (status = 409, description = "`idempotency_key_reused`: the key was used for another body"),
        (status = 422, description = "`validation_failed`: description length, position (out of range, (0,0), `outside_service_area`), `unknown_category`, `urgent_not_allowed`, `unknown_media`, `captured_at` in the future"),
    ))]
pub async fn file(
    req: HttpRequest,
    current: CurrentUser,
    state: web::Data<AppState>,
    body: Json<NewReportRequest>,
) -> Result<HttpResponse, AppError> {
    let key = IdempotencyKey::required(&req)?;
    let request_hash = request_hash(&body.0)?;
    let new = body.0.parse()?;
    let area = state.settings.service_area.clone();
    let user_id = current.user.id.clone();
    let public_url = state.settings.public_url.clone();
    let notifier = state.notifier();
    let boundaries = state.boundaries();
    let now = state.clock.now();
    let (filed, report) = state
        .db
        .run(move |conn| {
            let filed =
                filing::file_report(conn, &notifier, &user_id, &key, &request_hash, &new, &area, &boundaries, now)?;
            let id = match &filed {
                Filed::New(id) | Filed::Existing(id) => id.clone(),
            };
            Ok((filed, detail(conn, &id, Some(&user_id), &public_url, now)?))
        })
        .await?;
    state.outbox_wake.notify_one();
    Ok(match filed {
        Filed::New(_) => HttpResponse::Created().json(report),
        Filed::Existing(_) => HttpResponse::Ok().json(report),
    })
}

/// One report with its public timeline. Private and withdrawn reports are visible to their reporter only.
#[utoipa::path(get, path = "/api/v1/reports/{id}", tag = "reports", operation_id = "getReport", security((), ("bearer" = [])),
    params(("id" = String, Path, description = "Report id")),
    responses(
        (status = 200, description = "The report", body = ReportDetail),
        (status = 401, description = "`unauthenticated` or `token_expired` (only when a token is sent)"),
        (status = 404, description = "`report_not_found`, also for reports the caller may not see"),
    ))]
pub async fn get(viewer: MaybeUser, state: web::Data<AppState>, id: Path<ReportId>) -> Result<HttpResponse, AppError> {
    let viewer = viewer.id();
    let signed_in = viewer.is_some();
    let public_url = state.settings.public_url.clone();
    let now = state.clock.now();
    let id = id.into_inner();
    let view = move |conn: &mut DbConnection| detail(conn, &id, viewer.as_ref(), &public_url, now);
    // A replica may lag: what a reporter sees of their own report, and a signed-in viewer's report the
    // replica does not have yet (they may have just filed it), comes from the primary.
    let report = state
        .db
        .read_unless_behind(view, |read| match read {
            Ok(report) => report.report.is_mine,
            Err(AppError::ReportNotFound) => signed_in,
            Err(_) => false,
        })
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListReportsQuery {
    /// `minLon,minLat,maxLon,maxLat`.
    #[param(example = "108.40,11.90,108.50,11.98")]
    bbox: Option<String>,
    /// `lat,lon`: only reports within `radius_m`, nearest first.
    #[param(example = "11.9404,108.4583")]
    near: Option<String>,
    /// With `near`: 1 to 5000 metres (default 500).
    radius_m: Option<f64>,
    status: Option<String>,
    category: Option<String>,
    /// A commune-level unit code.
    unit: Option<String>,
    /// Text in the description or address; case and diacritics are ignored.
    q: Option<String>,
    /// Only reports received at or after this time (RFC 3339).
    since: Option<chrono::DateTime<chrono::Utc>>,
    /// 1 to 100, default 20.
    limit: Option<u32>,
    cursor: Option<String>,
}

pub(crate) const MAX_RADIUS_M: f64 = 5000.0;
/// Pages of public reports and of one's own: 20 unless `limit` says otherwise, at most 100.
pub(crate) const PAGE: PageSize = PageSize { default: 20, max: 100 };

fn parse_lat_lon(raw: &str, field: &str) -> Result<Position, AppError> {
    let parts: Vec<f64> = raw
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| AppError::invalid(field, FieldIssue::InvalidValue("expected lat,lon".into())))?;
    match parts[..] {
        [lat, lon] => Position::parse(LatLon { lat, lon }, field),
        _ => Err(AppError::invalid(field, FieldIssue::InvalidValue("expected lat,lon".into()))),
    }
}

impl ListReportsQuery {
    fn parse(self) -> Result<ReportFilter, AppError> {
        let mut errors = FieldErrors::default();
        let bbox = self.bbox.as_deref().and_then(|raw| errors.check(BoundingBox::parse(raw, "bbox")));
        let center = self.near.as_deref().and_then(|raw| errors.check(parse_lat_lon(raw, "near")));
        let radius = self.radius_m.unwrap_or(500.0);
        if !(1.0..=MAX_RADIUS_M).contains(&radius) {
            errors.add("radius_m", FieldIssue::OutOfRange { min: 1.0, max: MAX_RADIUS_M });
        }
        let status = self.status.as_deref().and_then(|s| errors.check(ReportStatus::parse(s, "status")));
        let unit = self.unit.as_deref().and_then(|u| errors.check(UnitCode::parse_field(u, "unit")));
        let limit = page_limit(self.limit, PAGE, &mut errors);
        let cursor_ok = match (&self.cursor, center) {
            (Some(c), Some(_)) => NearCursor::parse(c).is_some(),
            (Some(c), None) => uuid::Uuid::parse_str(c).is_ok(),
            (None, _) => true,
        };
        if !cursor_ok {
            errors.add("cursor", FieldIssue::InvalidValue("not a cursor from this list".into()));
        }
        errors.finish()?;
        Ok(ReportFilter {
            bbox,
            near: center.map(|c| (c, radius)),
            status,
            category: self.category,
            unit: unit.map(|u| u.as_str().to_string()),
            text: self.q.map(|q| crate::text::fold(&q)).filter(|q| !q.is_empty()),
            since: self.since.map(|t| t.naive_utc()),
            cursor: self.cursor,
            limit,
        })
    }
}

/// Public reports, newest first; with `near`, nearest first within `radius_m`.
#[utoipa::path(get, path = "/api/v1/reports", tag = "reports", operation_id = "listReports", security((), ("bearer" = [])), params(ListReportsQuery),
    responses(
        (status = 200, description = "A page of reports", body = Page<Report>),
        (status = 422, description = "`validation_failed`: a malformed filter or an unknown parameter"),
    ))]
pub async fn list(
    viewer: MaybeUser,
    state: web::Data<AppState>,
    query: Query<ListReportsQuery>,
) -> Result<HttpResponse, AppError> {
    let filter = query.into_inner().parse()?;
    let viewer = viewer.id();
    let public_url = state.settings.public_url.clone();
    let page = state
        .db
        .read(move |conn| {
            let near = filter.near.map(|(center, _)| center);
            let (rows, squared): (Vec<ReportRow>, HashMap<String, f64>) = match near {
                None => (queries::list_public(conn, &filter)?, HashMap::new()),
                Some(_) => {
                    let found = queries::list_near(conn, &filter)?;
                    let squared = found.iter().map(|(d, row)| (row.id.to_string(), *d)).collect();
                    (found.into_iter().map(|(_, row)| row).collect(), squared)
                }
            };
            let views = views::views(conn, &rows, viewer.as_ref(), near, &public_url)?;
            // By distance, the page goes on beyond the last one's distance; newest first, below its id.
            let key = |report: &Report| match squared.get(report.id.as_str()) {
                Some(&squared_m2) => NearCursor { squared_m2, id: report.id.to_string() }.to_string(),
                None => report.id.to_string(),
            };
            Page::from_rows(views, filter.limit, key, |report| Ok(report.clone()))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MyReportsQuery {
    /// 1 to 100, default 20.
    limit: Option<u32>,
    cursor: Option<String>,
}

/// The caller's own reports, every status, newest first.
#[utoipa::path(get, path = "/api/v1/me/reports", tag = "reports", operation_id = "myReports", security(("bearer" = [])), params(MyReportsQuery),
    responses(
        (status = 200, description = "A page of the caller's reports", body = Page<Report>),
        (status = 422, description = "`validation_failed`"),
    ))]
pub async fn mine(
    current: CurrentUser,
    state: web::Data<AppState>,
    query: Query<MyReportsQuery>,
) -> Result<HttpResponse, AppError> {
    let MyReportsQuery { limit, cursor } = query.into_inner();
    let mut errors = FieldErrors::default();
    let limit = page_limit(limit, PAGE, &mut errors);
    check_id_cursor(cursor.as_deref(), &mut errors);
    errors.finish()?;
    let user_id = current.user.id.clone();
    let public_url = state.settings.public_url.clone();
    let page = state
        .db
        .run(move |conn| {
            let rows = queries::list_mine(conn, &user_id, cursor.as_deref(), limit)?;
            let views = views::views(conn, &rows, Some(&user_id), None, &public_url)?;
            Page::from_rows(views, limit, |report| report.id.to_string(), |report| Ok(report.clone()))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SimilarQuery {
    lat: f64,
    lon: f64,
    /// The category the citizen is about to report in.
    category: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SimilarReports {
    pub items: Vec<Report>,
}

/// Open public reports of the same category close by (within the similarity radius, 50 m by default):
/// the app offers to support one of them instead of filing a duplicate.
#[utoipa::path(get, path = "/api/v1/reports/similar", tag = "reports", operation_id = "similarReports", security((), ("bearer" = [])), params(SimilarQuery),
    responses(
        (status = 200, description = "Nearest first", body = SimilarReports),
        (status = 422, description = "`validation_failed`"),
    ))]
pub async fn similar(
    viewer: MaybeUser,
    state: web::Data<AppState>,
    query: Query<SimilarQuery>,
) -> Result<HttpResponse, AppError> {
    let SimilarQuery { lat, lon, category } = query.into_inner();
    let position = Position::parse(LatLon { lat, lon }, "position")?;
    let radius = state.settings.similar_radius_m;
    let viewer = viewer.id();
    let public_url = state.settings.public_url.clone();
    let items = state
        .db
        .read(move |conn| {
            let rows = queries::similar(conn, position, &category, radius)?;
            views::views(conn, &rows, viewer.as_ref(), Some(position), &public_url)
        })
        .await?;
    Ok(HttpResponse::Ok().json(SimilarReports { items }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Support {
    pub supporters: i32,
    pub supported_by_me: bool,
}

/// Support a report ("me too"); once per person, supporting again changes nothing.
#[utoipa::path(post, path = "/api/v1/reports/{id}/support", tag = "reports", operation_id = "supportReport", security(("bearer" = [])),
    params(("id" = String, Path, description = "Report id")),
    responses(
        (status = 200, description = "Supported", body = Support),
        (status = 404, description = "`report_not_found`"),
        (status = 409, description = "`own_report`: reporters cannot support their own report"),
    ))]
pub async fn support(
    current: CurrentUser,
    state: web::Data<AppState>,
    id: Path<ReportId>,
) -> Result<HttpResponse, AppError> {
    let supporters = state.db.run(move |conn| actions::support(conn, &id, &current.user.id)).await?;
    Ok(HttpResponse::Ok().json(Support { supporters, supported_by_me: true }))
}

/// Take one's support back.
#[utoipa::path(delete, path = "/api/v1/reports/{id}/support", tag = "reports", operation_id = "unsupportReport", security(("bearer" = [])),
    params(("id" = String, Path, description = "Report id")),
    responses(
        (status = 200, description = "Not supported (any more)", body = Support),
        (status = 404, description = "`report_not_found`"),
    ))]
pub async fn unsupport(
    current: CurrentUser,
    state: web::Data<AppState>,
    id: Path<ReportId>,
) -> Result<HttpResponse, AppError> {
    let supporters = state.db.run(move |conn| actions::unsupport(conn, &id, &current.user.id)).await?;
    Ok(HttpResponse::Ok().json(Support { supporters, supported_by_me: false }))
}

/// Applies a reporter's `change` to their report `id` and answers with the report as it is now; the
/// notifications it wrote go out at once.
async fn change_own_report(
    state: &AppState,
    current: &CurrentUser,
    id: ReportId,
    change: impl FnOnce(&mut DbConnection, &Notifier, &ReportId, &UserId, NaiveDateTime) -> Result<(), AppError>
        + Send
        + 'static,
) -> Result<HttpResponse, AppError> {
    let user_id = current.user.id.clone();
    let public_url = state.settings.public_url.clone();
    let notifier = state.notifier();
    let now = state.clock.now();
    let report = state
        .db
        .run(move |conn| {
            change(conn, &notifier, &id, &user_id, now)?;
            detail(conn, &id, Some(&user_id), &public_url, now)
        })
        .await?;
    state.outbox_wake.notify_one();
    Ok(HttpResponse::Ok().json(report))
}

/// Withdraw one's own report while it is still `submitted`.
#[utoipa::path(post, path = "/api/v1/reports/{id}/withdraw", tag = "reports", operation_id = "withdrawReport", security(("bearer" = [])),
    params(("id" = String, Path, description = "Report id")),
    responses(
        (status = 200, description = "Withdrawn", body = ReportDetail),
        NotOwnReport,
        (status = 409, description = "`invalid_transition`: the report is no longer `submitted`"),
    ))]
pub async fn withdraw(
    current: CurrentUser,
    state: web::Data<AppState>,
    id: Path<ReportId>,
) -> Result<HttpResponse, AppError> {
    change_own_report(&state, &current, id.into_inner(), move |conn, notifier, id, user_id, _| {
        actions::withdraw(conn, notifier, id, user_id)
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddPhotosRequest {
    /// The caller's own unused photos; a report holds at most 5.
    #[schema(value_type = Vec<String>, format = Uuid)]
    pub media_ids: Vec<MediaId>,
}

/// Add photos to one's own report while it is still `submitted`.
#[utoipa::path(post, path = "/api/v1/reports/{id}/media", tag = "reports", operation_id = "addReportPhotos", security(("bearer" = [])),
    params(("id" = String, Path, description = "Report id")), request_body = AddPhotosRequest,
    responses(
        (status = 200, description = "The report with its photos", body = ReportDetail),
        NotOwnReport,
        (status = 409, description = "`invalid_transition`: the report is no longer `submitted`"),
        (status = 422, description = "`validation_failed`: `unknown_media`, or `too_many` photos"),
    ))]
pub async fn add_photos(
    current: CurrentUser,
    state: web::Data<AppState>,
    id: Path<ReportId>,
    body: Json<AddPhotosRequest>,
) -> Result<HttpResponse, AppError> {
    let ids = body.0.media_ids;
    change_own_report(&state, &current, id.into_inner(), move |conn, notifier, id, user_id, _| {
        actions::add_photos(conn, notifier, id, user_id, &ids)
    })
    .await
}

pub(crate) const RATING_SCORES: std::ops::RangeInclusive<i32> = 1..=5;
/// A rating's comment, counted after trimming.
pub(crate) const COMMENT_CHARS: usize = 1000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingRequest {
    /// 1 (bad) to 5 (good).
    pub score: i32,
    /// Up to 1000 characters.
    pub comment: Option<String>,
}

/// Rate how one's resolved report was handled; the report is then closed. A rating of 1 or 2 also puts
/// it in the review queue of the province's IOC.
#[utoipa::path(post, path = "/api/v1/reports/{id}/rating", tag = "reports", operation_id = "rateReport", security(("bearer" = [])),
    params(("id" = String, Path, description = "Report id")), request_body = RatingRequest,
    responses(
        (status = 200, description = "Rated and closed", body = ReportDetail),
        NotOwnReport,
        (status = 409, description = "`invalid_transition`: the report is not `resolved`"),
        (status = 422, description = "`validation_failed`: score outside 1–5, comment too long"),
    ))]
pub async fn rate(
    current: CurrentUser,
    state: web::Data<AppState>,
    id: Path<ReportId>,
    body: Json<RatingRequest>,
) -> Result<HttpResponse, AppError> {
    let RatingRequest { score, comment } = body.0;
    let mut errors = FieldErrors::default();
    if !RATING_SCORES.contains(&score) {
        let (min, max) = (f64::from(*RATING_SCORES.start()), f64::from(*RATING_SCORES.end()));
        errors.add("score", FieldIssue::OutOfRange { min, max });
    }
    let comment = comment.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
    if comment.as_ref().is_some_and(|c| c.chars().count() > COMMENT_CHARS) {
        errors.add("comment", FieldIssue::TooLong { max: COMMENT_CHARS });
    }
    errors.finish()?;
    change_own_report(&state, &current, id.into_inner(), move |conn, notifier, id, user_id, now| {
        actions::rate(conn, notifier, id, user_id, score, comment.as_deref(), now)
    })
    .await
}

/// Why a report is reopened, counted after trimming.
pub(crate) const REOPEN_REASON_CHARS: std::ops::RangeInclusive<usize> = 5..=2000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenRequest {
    /// Why the problem is not solved (5 to 2000 characters).
    pub reason: String,
}

/// Reopen one's resolved report within 7 working days when the problem is not solved; it goes back to
/// `in_progress` with a new deadline.
#[utoipa::path(post, path = "/api/v1/reports/{id}/reopen", tag = "reports", operation_id = "reopenReport", security(("bearer" = [])),
    params(("id" = String, Path, description = "Report id")), request_body = ReopenRequest,
    responses(
        (status = 200, description = "Reopened", body = ReportDetail),
        NotOwnReport,
        (status = 409, description = "`invalid_transition` (not `resolved`) or `reopen_period_over` (resolved more than 7 working days ago)"),
        (status = 422, description = "`validation_failed`: the reason is too short or too long"),
    ))]
pub async fn reopen(
    current: CurrentUser,
    state: web::Data<AppState>,
    id: Path<ReportId>,
    body: Json<ReopenRequest>,
) -> Result<HttpResponse, AppError> {
    let reason = body.0.reason.trim().to_string();
    match reason.chars().count() {
        n if n < *REOPEN_REASON_CHARS.start() => {
            return Err(AppError::invalid("reason", FieldIssue::TooShort { min: *REOPEN_REASON_CHARS.start() }))
        }
        n if n > *REOPEN_REASON_CHARS.end() => {
            return Err(AppError::invalid("reason", FieldIssue::TooLong { max: *REOPEN_REASON_CHARS.end() }))
        }
        _ => {}
    }
    change_own_report(&state, &current, id.into_inner(), move |conn, notifier, id, user_id, now| {
        actions::reopen(conn, notifier, id, user_id, &reason, now)
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    /// The answer to the office's question (1 to 2000 characters).
    pub note: String,
}

/// Answer the question the office asked about one's report (`waiting_for_citizen`): the report goes back
/// to `in_progress`, and its deadline moves on by the working time the office waited.
#[utoipa::path(post, path = "/api/v1/reports/{id}/answer", tag = "reports", operation_id = "answerQuestion", security(("bearer" = [])),
    params(("id" = String, Path, description = "Report id")), request_body = AnswerRequest,
    responses(
        (status = 200, description = "Answered", body = ReportDetail),
        NotOwnReport,
        (status = 409, description = "`invalid_transition`: the report is not `waiting_for_citizen`"),
        (status = 422, description = "`validation_failed`: the answer is empty or too long"),
    ))]
pub async fn answer(
    current: CurrentUser,
    state: web::Data<AppState>,
    id: Path<ReportId>,
    body: Json<AnswerRequest>,
) -> Result<HttpResponse, AppError> {
    let note = body.0.note.trim().to_string();
    if note.is_empty() {
        return Err(AppError::invalid("note", FieldIssue::Required));
    }
    if note.chars().count() > NOTE_CHARS {
        return Err(AppError::invalid("note", FieldIssue::TooLong { max: NOTE_CHARS }));
    }
    change_own_report(&state, &current, id.into_inner(), move |conn, notifier, id, user_id, now| {
        actions::answer(conn, notifier, id, user_id, &note, now)
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HeatmapQuery {
    /// `minLon,minLat,maxLon,maxLat`.
    #[param(example = "108.35,11.85,108.55,12.00")]
    bbox: String,
    /// The map's zoom, 0 to 22: squares of 0.01° (about 1.1 km) at 14 and closer, twice as wide for each
    /// level further out; at most 20,000 squares in the box.
    #[param(example = 12)]
    zoom: i64,
    category: Option<String>,
}

/// Parses a heatmap's box and zoom together: the box may hold only so many squares at that zoom.
pub(crate) fn heatmap_area(bbox: &str, zoom: i64) -> Result<(BoundingBox, u8), AppError> {
    let mut errors = FieldErrors::default();
    let area = errors.check(BoundingBox::parse(bbox, "bbox"));
    let zoom = u8::try_from(zoom).ok().filter(|z| heatmap::ZOOMS.contains(z));
    if zoom.is_none() {
        let (min, max) = (f64::from(*heatmap::ZOOMS.start()), f64::from(*heatmap::ZOOMS.end()));
        errors.add("zoom", FieldIssue::OutOfRange { min, max });
    }
    errors.finish()?;
    let (Some(area), Some(zoom)) = (area, zoom) else { return Err(AppError::Internal("parsed without value".into())) };
    heatmap::check_area(&area, zoom, "bbox")?;
    Ok((area, zoom))
}

/// Where public reports cluster: counts per square of a grid as fine as the map's zoom, with the share
/// overdue, for a map layer.
#[utoipa::path(get, path = "/api/v1/reports/heatmap", tag = "reports", operation_id = "reportsHeatmap", params(HeatmapQuery),
    responses(
        (status = 200, description = "The squares with reports", body = Heatmap),
        (status = 422, description = "`validation_failed`: a malformed `bbox`, a `zoom` outside 0–22, or too many squares for the zoom"),
    ))]
pub async fn heatmap(state: web::Data<AppState>, query: Query<HeatmapQuery>) -> Result<HttpResponse, AppError> {
    let HeatmapQuery { bbox, zoom, category } = query.into_inner();
    let (area, zoom) = heatmap_area(&bbox, zoom)?;
    let now = state.clock.now();
    let map = state.db.read(move |conn| heatmap::public(conn, &area, category.as_deref(), zoom, now)).await?;
    Ok(HttpResponse::Ok().insert_header((actix_web::http::header::CACHE_CONTROL, "public, max-age=60")).json(map))
}
