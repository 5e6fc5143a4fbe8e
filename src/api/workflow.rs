//! `/api/v1/admin/reports`: the officials' inbox and a report's full view.

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::extractors::{OfficialOnly, OfficialUser};
use crate::api::state::AppState;
use crate::error::{AppError, FieldErrors, FieldIssue};
use crate::http::{Json, Page, PageSize, Path, Query};
use crate::reports::deadlines::{self, Deadline};
use crate::reports::events::{officials_timeline, InternalEvent};
use crate::reports::views::official_views;
use crate::reports::{Report, ReportStatus};
use crate::units::UnitCode;
use crate::values::{ReportId, UserId};
use crate::workflow::{
    find_in, inbox, jurisdiction, reporter_contact, reveal_anonymous_reporter, Assignee, InboxFilter, ReporterContact,
    RevealReason,
};

/// Pages of this list: 20 items unless `limit` says otherwise, at most 100.
pub(crate) const PAGE: PageSize = PageSize { default: 20, max: 100 };

/// The words `assignee` takes besides an official's id.
pub(crate) const ASSIGNEE_WORDS: &[&str] = &["me", "none"];

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/admin/reports").route(web::get().to(list)))
        .service(web::resource("/admin/reports/{id}").route(web::get().to(get)))
        .service(web::resource("/admin/reports/{id}/actions").route(web::post().to(act)))
        .service(web::resource("/admin/reports/{id}/reporter").route(web::post().to(reveal_reporter)));
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    status: Option<String>,
    category: Option<String>,
    unit: Option<String>,
    /// `me`, `none`, or an official's id.
    assignee: Option<String>,
    /// Past `due_at` and still open.
    overdue: Option<bool>,
    urgent: Option<bool>,
    /// Text in the description or address; case and diacritics are ignored.
    q: Option<String>,
    /// Received at or after (RFC 3339).
    from: Option<chrono::DateTime<chrono::Utc>>,
    /// Received before (RFC 3339).
    to: Option<chrono::DateTime<chrono::Utc>>,
    /// `pending`: the IOC's review queue, reports a reporter rated 1 or 2 that nobody has reviewed yet.
    review: Option<String>,
    /// 1 to 100, default 20.
    limit: Option<u32>,
    cursor: Option<String>,
}

/// The one value `review` takes.
pub(crate) const REVIEW_WORDS: &[&str] = &["pending"];

impl InboxQuery {
    fn parse(self, now: chrono::NaiveDateTime) -> Result<InboxFilter, AppError> {
        let mut errors = FieldErrors::default();
        let status = self.status.as_deref().and_then(|s| errors.check(ReportStatus::parse(s, "status")));
        let unit = self.unit.as_deref().and_then(|u| errors.check(UnitCode::parse_field(u, "unit")));
        let assignee = self.assignee.and_then(|a| match a.as_str() {
            _ if a == ASSIGNEE_WORDS[0] => Some(Assignee::Me),
            _ if a == ASSIGNEE_WORDS[1] => Some(Assignee::Nobody),
            id if uuid::Uuid::parse_str(id).is_ok() => Some(Assignee::User(UserId::from(id))),
            _ => {
                errors.add("assignee", FieldIssue::InvalidValue("`me`, `none` or an official's id".into()));
                None
            }
        });
        let review_pending = errors.one_of(self.review, REVIEW_WORDS, "review").is_some();
        let limit = crate::http::page_limit(self.limit, PAGE, &mut errors);
        crate::http::check_id_cursor(self.cursor.as_deref(), &mut errors);
        errors.finish()?;
        Ok(InboxFilter {
            status,
            category: self.category,
            unit: unit.map(|u| u.as_str().to_string()),
            assignee,
            overdue: self.overdue,
            urgent: self.urgent,
            text: self.q.map(|q| crate::text::fold(&q)).filter(|q| !q.is_empty()),
            from: self.from.map(|t| t.naive_utc()),
            to: self.to.map(|t| t.naive_utc()),
            review_pending,
            cursor: self.cursor,
            limit,
            now,
            ..InboxFilter::default()
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Inbox {
    #[serde(flatten)]
    pub page: Page<Report>,
    /// Reports per status under the same filters (all statuses), for the tabs of a UI.
    pub counts: BTreeMap<String, i64>,
}

/// The reports of the caller's organizations (an IOC member: of the whole province), newest first.
/// `review=pending` is the IOC's review queue.
#[utoipa::path(get, path = "/api/v1/admin/reports", tag = "officials", operation_id = "inbox", security(("bearer" = [])), params(InboxQuery),
    responses(
        (status = 200, description = "A page of the inbox with counts per status", body = Inbox),
        OfficialOnly,
        (status = 422, description = "`validation_failed`"),
    ))]
pub async fn list(
    official: OfficialUser,
    state: web::Data<AppState>,
    query: Query<InboxQuery>,
) -> Result<HttpResponse, AppError> {
    let filter = query.into_inner().parse(state.clock.now())?;
    let official_id = official.0.user.id.clone();
    let public_url = state.settings.public_url.clone();
    let inbox = state
        .db
        .run(move |conn| {
            let jurisdiction = jurisdiction(conn, &official_id)?;
            let (rows, counts) = inbox(conn, &jurisdiction, &official_id, &filter)?;
            let views = official_views(conn, &rows, &public_url)?;
            let page =
                Page::from_rows(views, filter.limit, |report| report.id.to_string(), |report| Ok(report.clone()))?;
            Ok(Inbox { page, counts })
        })
        .await?;
    Ok(HttpResponse::Ok().json(inbox))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OfficialReport {
    #[serde(flatten)]
    pub report: Report,
    /// Absent when the report is anonymous (only the province's IOC may learn who filed it, with
    /// `POST …/reporter`; others reach the reporter with the `message` action) or the reporter deleted
    /// their account.
    pub reporter_contact: Option<ReporterContact>,
    /// The current step's deadline, in UTC and local time, with the working time left.
    pub deadline: Option<Deadline>,
    /// Every event, internal notes included.
    pub timeline: Vec<InternalEvent>,
}

/// One report of the caller's jurisdiction, with the reporter's contact (each view is audited) and
/// internal notes. Reports outside the jurisdiction are "not found".
#[utoipa::path(get, path = "/api/v1/admin/reports/{id}", tag = "officials", operation_id = "officialReport", security(("bearer" = [])),
    params(("id" = String, Path, description = "Report id")),
    responses(
        (status = 200, description = "The report", body = OfficialReport),
        OfficialOnly,
        (status = 404, description = "`report_not_found`, also for reports outside the caller's jurisdiction"),
    ))]
pub async fn get(
    official: OfficialUser,
    state: web::Data<AppState>,
    id: Path<ReportId>,
) -> Result<HttpResponse, AppError> {
    let official_id = official.0.user.id.clone();
    let public_url = state.settings.public_url.clone();
    let now = state.clock.now();
    let report = state
        .db
        .run(move |conn| {
            let jurisdiction = jurisdiction(conn, &official_id)?;
            let row = find_in(conn, &jurisdiction, &official_id, &id)?;
            let reporter_contact = reporter_contact(conn, &row, &official_id)?;
            let timeline = officials_timeline(conn, &row)?;
            let deadline = deadlines::current(conn, &row, now)?;
            let report = official_views(conn, std::slice::from_ref(&row), &public_url)?.remove(0);
            Ok(OfficialReport { report, reporter_contact, deadline, timeline })
        })
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActedReport {
    #[serde(flatten)]
    pub report: Report,
    pub deadline: Option<Deadline>,
    pub timeline: Vec<InternalEvent>,
}

/// Act on a report: `accept` (the resolution is due in the category's working days; urgent: its clock
/// hours), `assign`, `start`, `resolve` (with a public note), `reject` (with a reason), `transfer` (to
/// another organization, back to `submitted` there, whose triage starts), `comment` (internal unless
/// `public`), `message` (to the reporter only), `ask` (a question to the reporter: `waiting_for_citizen`,
/// the clock stops), `extend` (once, with a public reason, to `due_date` at the latest the category's
/// most), and for the IOC of the report's province `review_reopen` / `review_close` of a report in its
/// review queue.
#[utoipa::path(post, path = "/api/v1/admin/reports/{id}/actions", tag = "officials", operation_id = "actOnReport", security(("bearer" = [])),
    params(("id" = String, Path, description = "Report id")), request_body = crate::workflow::actions::ActionRequest,
    responses(
        (status = 200, description = "The report after the action", body = ActedReport),
        OfficialOnly,
        (status = 404, description = "`report_not_found`, also outside the caller's jurisdiction"),
        (status = 403, description = "`forbidden`: a review action by someone not of the IOC of the report's province"),
        (status = 409, description = "`invalid_transition`: not allowed in the report's current status (named in `detail`), or someone acted first; `already_extended`; `no_review_pending`"),
        (status = 422, description = "`validation_failed`: unknown action, missing note, reason or assignee, `due_date` not after the deadline or beyond the category's most"),
    ))]
pub async fn act(
    official: OfficialUser,
    state: web::Data<AppState>,
    id: Path<ReportId>,
    body: Json<crate::workflow::actions::ActionRequest>,
) -> Result<HttpResponse, AppError> {
    let action = body.0.parse()?;
    let official_id = official.0.user.id.clone();
    let public_url = state.settings.public_url.clone();
    let notifier = state.notifier();
    let now = state.clock.now();
    let acted = state
        .db
        .run(move |conn| {
            let jurisdiction = jurisdiction(conn, &official_id)?;
            crate::workflow::actions::act(conn, &notifier, &jurisdiction, &official_id, &id, &action, now)?;
            // After a transfer the report may have left the official's jurisdiction: read it directly.
            let row = crate::reports::queries::find_any(conn, &id)?;
            let deadline = deadlines::current(conn, &row, now)?;
            let report = official_views(conn, std::slice::from_ref(&row), &public_url)?.remove(0);
            Ok(ActedReport { report, deadline, timeline: officials_timeline(conn, &row)? })
        })
        .await?;
    state.outbox_wake.notify_one();
    Ok(HttpResponse::Ok().json(acted))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealRequest {
    /// Why the IOC needs to know who filed the report (10 to 500 characters, counted after trimming); kept
    /// in the audit log.
    pub reason: String,
}

/// Who filed an anonymous report: for members of the IOC of the report's province only, with a stated
/// reason. Each look, with its reason, is written to the audit log.
#[utoipa::path(post, path = "/api/v1/admin/reports/{id}/reporter", tag = "officials", operation_id = "revealReporter", security(("bearer" = [])),
    params(("id" = String, Path, description = "Report id")), request_body = RevealRequest,
    responses(
        (status = 200, description = "The reporter's contact", body = ReporterContact),
        (status = 403, description = "`forbidden`: not a member of the IOC of the report's province"),
        (status = 404, description = "`report_not_found` (also outside the caller's jurisdiction), or `user_not_found`: the reporter deleted their account"),
        (status = 422, description = "`validation_failed`: `reason` missing, too short or too long"),
    ))]
pub async fn reveal_reporter(
    official: OfficialUser,
    state: web::Data<AppState>,
    id: Path<ReportId>,
    body: Json<RevealRequest>,
) -> Result<HttpResponse, AppError> {
    let reason = RevealReason::parse(&body.0.reason, "reason")?;
    let official_id = official.0.user.id.clone();
    let contact = state
        .db
        .run(move |conn| {
            let jurisdiction = jurisdiction(conn, &official_id)?;
            reveal_anonymous_reporter(conn, &jurisdiction, &official_id, &id, &reason)
        })
        .await?;
    Ok(HttpResponse::Ok().json(contact))
}
