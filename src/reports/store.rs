//! Reports in the database: filing (at most once per idempotency key), reading with visibility rules,
//! lists by place and filters, support, withdrawal.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use super::events::{record_event, tell_office_of_urgent, NewEvent};
use super::geo::{cell_of, BoundingBox};
use super::lifecycle::{self, Step, Transition};
use super::row::ReportRow;
use super::{NewReport, Report, ReportPosition, ReportStatus, Reporter};
use crate::config::ServiceArea;
use crate::db::schema::{categories, idempotency_keys, media, organizations, report_supports, reports, users};
use crate::db::{self, DbConnection};
use crate::error::{AppError, FieldErrors, FieldIssue};
use crate::http::IdempotencyKey;
use crate::notify::notifier::Notifier;
use crate::routing::locator::UnitLocator;
use crate::routing::{self, Position};
use crate::values::{EventKind, MediaId, OrganizationId, ReportId, UserId};

pub enum Filed {
    /// A new report.
    New(ReportId),
    /// The report this key already filed (a retry).
    Existing(ReportId),
}

/// What an earlier request with this key filed, if anything; another body under the same key is refused.
fn earlier_filing(
    conn: &mut DbConnection,
    user_id: &UserId,
    key: &IdempotencyKey,
    request_hash: &str,
) -> Result<Option<ReportId>, AppError> {
    let earlier: Option<(String, ReportId)> = idempotency_keys::table
        .find((user_id, key.as_str()))
        .select((idempotency_keys::request_hash, idempotency_keys::report_id))
        .first(conn)
        .optional()?;
    match earlier {
        Some((hash, report_id)) if hash == request_hash => Ok(Some(report_id)),
        Some(_) => Err(AppError::IdempotencyKeyReused),
        None => Ok(None),
    }
}

/// Filing fails either for a reason to tell the client, or because a concurrent retry with the same key
/// committed first (then its report is the answer).
enum FilingError {
    App(AppError),
    KeyTaken,
}

impl From<AppError> for FilingError {
    fn from(err: AppError) -> Self {
        FilingError::App(err)
    }
}

impl From<diesel::result::Error> for FilingError {
    fn from(err: diesel::result::Error) -> Self {
        FilingError::App(err.into())
    }
}

/// Files a report with its first event, once per idempotency key even when retries race.
#[allow(clippy::too_many_arguments)] // what a filing needs; grouping them would only rename them
pub fn file_report(
    conn: &mut DbConnection,
    notifier: &Notifier,
    reporter_id: &UserId,
    key: &IdempotencyKey,
    request_hash: &str,
    new: &NewReport,
    area: &ServiceArea,
    boundaries: &UnitLocator,
) -> Result<Filed, AppError> {
    let result = db::transaction(conn, |conn| -> Result<Filed, FilingError> {
        if let Some(report_id) = earlier_filing(conn, reporter_id, key, request_hash)? {
            return Ok(Filed::Existing(report_id));
        }
        check_references(conn, new, reporter_id)?;
        let located = routing::locate_commune(conn, new.position, area, boundaries).map_err(|err| match err {
            AppError::OutsideServiceArea => AppError::invalid("position", FieldIssue::OutsideServiceArea),
            other => other,
        })?;
        let (organization, reason) = crate::organizations::route(conn, &new.category, &located.unit)?;
        let now = Utc::now().naive_utc();
        let id = ReportId::new();
        let search_text =
            crate::text::fold(&format!("{} {}", new.description, new.address_text.as_deref().unwrap_or_default()));
        diesel::insert_into(reports::table)
            .values(ReportRow {
                id: id.clone(),
                reporter_id: reporter_id.clone(),
                category_code: new.category.clone(),
                description: new.description.clone(),
                address_text: new.address_text.clone(),
                search_text,
                lat: new.position.lat(),
                lon: new.position.lon(),
                accuracy_m: new.accuracy_m,
                cell: cell_of(new.position.lat(), new.position.lon()),
                unit_code: located.unit.code.clone(),
                unit_approximate: located.approximate,
                status: ReportStatus::Submitted.as_str().to_string(),
                is_public: new.is_public,
                is_anonymous: new.is_anonymous,
                urgent: new.urgent,
                supporters: 0,
                captured_at: new.captured_at,
                created_at: now,
                updated_at: now,
                due_at: None,
                organization_id: Some(organization.id.clone()),
                assignee_id: None,
                resolved_at: None,
                rating_score: None,
                rating_comment: None,
                rated_at: None,
                reminded_at: None,
                escalated_at: None,
            })
            .execute(conn)?;
        crate::media::attach(conn, &new.media_ids, reporter_id, &id, None, "media_ids")?;
        let how = if located.approximate { "nearest centroid, to be confirmed" } else { "boundary" };
        let note = format!("unit {} ({how}); {reason}", located.unit.code);
        record_event(
            conn,
            notifier,
            NewEvent {
                actor_id: Some(reporter_id),
                to: Some(ReportStatus::Submitted),
                note: Some(&note),
                ..NewEvent::public(&id, EventKind::Submitted, now)
            },
        )?;
        if new.urgent {
            tell_office_of_urgent(conn, notifier, &id, &organization.id, now)?;
        }
        diesel::insert_into(idempotency_keys::table)
            .values((
                idempotency_keys::user_id.eq(reporter_id),
                idempotency_keys::key.eq(key.as_str()),
                idempotency_keys::request_hash.eq(request_hash),
                idempotency_keys::report_id.eq(&id),
                idempotency_keys::created_at.eq(now),
            ))
            .execute(conn)
            .map_err(crate::db::taken_as(FilingError::KeyTaken))?;
        Ok(Filed::New(id))
    });
    match result {
        Ok(filed) => Ok(filed),
        Err(FilingError::App(err)) => Err(err),
        Err(FilingError::KeyTaken) => earlier_filing(conn, reporter_id, key, request_hash)?
            .map(Filed::Existing)
            .ok_or_else(|| AppError::Internal("idempotency key taken, yet not found".into())),
    }
}

/// The category exists and takes this report; the photos are the reporter's own and unused.
fn check_references(conn: &mut DbConnection, new: &NewReport, reporter_id: &UserId) -> Result<(), AppError> {
    let mut errors = FieldErrors::default();
    let urgent_allowed: Option<bool> = categories::table
        .find(&new.category)
        .filter(categories::active.eq(true))
        .select(categories::urgent_allowed)
        .first(conn)
        .optional()?;
    match urgent_allowed {
        None => errors.add("category", FieldIssue::UnknownCategory),
        Some(false) if new.urgent => errors.add("urgent", FieldIssue::UrgentNotAllowed),
        Some(_) => {}
    }
    for (index, id) in new.media_ids.iter().enumerate() {
        let usable = media::table
            .find(id)
            .filter(media::owner_id.eq(reporter_id))
            .filter(media::report_id.is_null())
            .count()
            .get_result::<i64>(conn)?
            == 1;
        let repeated = new.media_ids[..index].contains(id);
        if !usable || repeated {
            errors.add(&format!("media_ids[{index}]"), FieldIssue::UnknownMedia);
        }
    }
    errors.finish()
}

/// The report if `viewer` may see it: public ones for everyone, the rest for their reporter only.
/// Anything else is "not found", so hidden reports do not reveal that they exist.
pub fn find_visible(conn: &mut DbConnection, id: &ReportId, viewer: Option<&UserId>) -> Result<ReportRow, AppError> {
    Some(find_any(conn, id)?).filter(|r| r.visible_to(viewer)).ok_or(AppError::ReportNotFound)
}

/// A report whatever its visibility (for callers that have already checked the right to see it).
pub fn find_any(conn: &mut DbConnection, id: &ReportId) -> Result<ReportRow, AppError> {
    reports::table.find(id).select(ReportRow::as_select()).first(conn).optional()?.ok_or(AppError::ReportNotFound)
}

/// Reports as the officials who handle them see them: the public view, plus whom each is assigned to.
pub fn official_views(conn: &mut DbConnection, rows: &[ReportRow], public_url: &str) -> Result<Vec<Report>, AppError> {
    let mut views = views(conn, rows, None, None, public_url)?;
    for (view, row) in views.iter_mut().zip(rows) {
        view.assignee_id = row.assignee_id.clone();
    }
    Ok(views)
}

/// The API view of rows, for `viewer`: reporters' names where not anonymous, and what the viewer supports.
pub fn views(
    conn: &mut DbConnection,
    rows: &[ReportRow],
    viewer: Option<&UserId>,
    near: Option<Position>,
    public_url: &str,
) -> Result<Vec<Report>, AppError> {
    // The reporter's photos, and the officials' photos of the result, per report.
    let mut photos: HashMap<(ReportId, bool), Vec<crate::media::Media>> = HashMap::new();
    for row in crate::media::of_reports(conn, &rows.iter().map(|r| &r.id).collect::<Vec<_>>())? {
        let Some(report_id) = row.report_id.clone() else { continue };
        let key = (report_id, row.event_id.is_some());
        photos.entry(key).or_default().push(crate::media::Media::of(&row, public_url));
    }
    let named: Vec<&UserId> = rows.iter().filter(|r| !r.is_anonymous).map(|r| &r.reporter_id).collect();
    let names: HashMap<UserId, String> = if named.is_empty() {
        HashMap::new()
    } else {
        users::table
            .filter(users::id.eq_any(named))
            .filter(users::deleted_at.is_null())
            .select((users::id, users::full_name))
            .load::<(UserId, String)>(conn)?
            .into_iter()
            .collect()
    };
    let organization_ids: Vec<&OrganizationId> = rows.iter().filter_map(|r| r.organization_id.as_ref()).collect();
    let organization_names: HashMap<OrganizationId, String> = if organization_ids.is_empty() {
        HashMap::new()
    } else {
        organizations::table
            .filter(organizations::id.eq_any(organization_ids))
            .select((organizations::id, organizations::name))
            .load::<(OrganizationId, String)>(conn)?
            .into_iter()
            .collect()
    };
    let supported: HashSet<ReportId> = match viewer {
        Some(viewer) if !rows.is_empty() => report_supports::table
            .filter(report_supports::user_id.eq(viewer))
            .filter(report_supports::report_id.eq_any(rows.iter().map(|r| &r.id)))
            .select(report_supports::report_id)
            .load::<ReportId>(conn)?
            .into_iter()
            .collect(),
        _ => HashSet::new(),
    };
    rows.iter()
        .map(|row| {
            Ok(Report {
                id: row.id.clone(),
                status: row.status()?,
                category: row.category_code.clone(),
                description: row.description.clone(),
                position: ReportPosition { lat: row.lat, lon: row.lon, accuracy_m: row.accuracy_m },
                address_text: row.address_text.clone(),
                unit_code: row.unit_code.clone(),
                unit_approximate: row.unit_approximate,
                media: photos.remove(&(row.id.clone(), false)).unwrap_or_default(),
                result_media: photos.remove(&(row.id.clone(), true)).unwrap_or_default(),
                is_public: row.is_public,
                is_anonymous: row.is_anonymous,
                urgent: row.urgent,
                reporter: names
                    .get(&row.reporter_id)
                    .filter(|_| !row.is_anonymous)
                    .map(|name| Reporter { display_name: name.clone() }),
                supporters: row.supporters,
                is_mine: viewer == Some(&row.reporter_id),
                supported_by_me: supported.contains(&row.id),
                captured_at: row.captured_at.map(|t| t.and_utc()),
                received_at: row.created_at.and_utc(),
                created_at: row.created_at.and_utc(),
                updated_at: row.updated_at.and_utc(),
                due_at: row.due_at.map(|t| t.and_utc()),
                organization_id: row.organization_id.clone(),
                organization_name: row.organization_id.as_ref().and_then(|id| organization_names.get(id).cloned()),
                assignee_id: None,
                resolved_at: row.resolved_at.map(|t| t.and_utc()),
                escalated_at: row.escalated_at.map(|t| t.and_utc()),
                rating: row.rating_score.zip(row.rated_at).map(|(score, at)| super::Rating {
                    score,
                    comment: row.rating_comment.clone(),
                    rated_at: at.and_utc(),
                }),
                distance_m: near.map(|p| (row.distance_m(p) * 10.0).round() / 10.0),
            })
        })
        .collect()
}

/// Filters of the public list.
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    pub bbox: Option<BoundingBox>,
    pub near: Option<(Position, f64)>,
    pub status: Option<ReportStatus>,
    pub category: Option<String>,
    pub unit: Option<String>,
    pub text: Option<String>,
    pub since: Option<NaiveDateTime>,
    /// Newest first: the id to continue below. By distance: how many to skip.
    pub cursor: Option<String>,
    pub limit: i64,
}

/// Bounding boxes touching more cells than this are read by a latitude range instead.
const MOST_CELLS: usize = 400;
/// "Near" lists sort by distance in memory; a dense place is cut at this many candidates, newest kept.
const MOST_NEAR_CANDIDATES: i64 = 5_000;

/// A page of public reports (`limit + 1` rows to tell whether more follow), newest first, or by
/// distance with `near`.
pub fn list_public(conn: &mut DbConnection, filter: &ReportFilter) -> Result<Vec<ReportRow>, AppError> {
    let area = filter.near.map(|(center, radius)| BoundingBox::around(center, radius)).or(filter.bbox);
    let mut query = reports::table
        .select(ReportRow::as_select())
        .filter(reports::is_public.eq(true))
        .filter(reports::status.ne(ReportStatus::Withdrawn.as_str()))
        .into_boxed();
    if let Some(area) = area {
        match area.cells(MOST_CELLS) {
            Some(cells) => query = query.filter(reports::cell.eq_any(cells)),
            None => query = query.filter(reports::lat.between(area.min_lat, area.max_lat)),
        }
        query = query
            .filter(reports::lon.between(area.min_lon, area.max_lon))
            .filter(reports::lat.between(area.min_lat, area.max_lat));
    }
    if let Some(status) = filter.status {
        query = query.filter(reports::status.eq(status.as_str()));
    }
    if let Some(category) = &filter.category {
        query = query.filter(reports::category_code.eq(category.clone()));
    }
    if let Some(unit) = &filter.unit {
        query = query.filter(reports::unit_code.eq(unit.clone()));
    }
    if let Some(text) = &filter.text {
        query = query.filter(reports::search_text.like(format!("%{text}%")));
    }
    if let Some(since) = filter.since {
        query = query.filter(reports::created_at.ge(since));
    }
    match filter.near {
        None => {
            if let Some(before) = &filter.cursor {
                query = query.filter(reports::id.lt(before.clone()));
            }
            Ok(query.order(reports::id.desc()).limit(filter.limit + 1).load(conn)?)
        }
        Some((center, radius)) => {
            let mut rows: Vec<(f64, ReportRow)> = query
                .order(reports::id.desc())
                .limit(MOST_NEAR_CANDIDATES)
                .load(conn)?
                .into_iter()
                .map(|row: ReportRow| (row.distance_m(center), row))
                .filter(|(distance, _)| *distance <= radius)
                .collect();
            rows.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.id.cmp(&a.1.id)));
            let skip = filter.cursor.as_deref().and_then(|c| c.parse::<usize>().ok()).unwrap_or(0);
            Ok(rows.into_iter().skip(skip).take(filter.limit as usize + 1).map(|(_, row)| row).collect())
        }
    }
}

/// The caller's own reports, every status, newest first (`limit + 1` rows).
pub fn list_mine(
    conn: &mut DbConnection,
    user_id: &UserId,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<ReportRow>, AppError> {
    let mut query = reports::table.select(ReportRow::as_select()).filter(reports::reporter_id.eq(user_id)).into_boxed();
    if let Some(before) = before {
        query = query.filter(reports::id.lt(before.to_string()));
    }
    Ok(query.order(reports::id.desc()).limit(limit + 1).load(conn)?)
}

/// Open public reports of `category` within `radius_m` of `position`, nearest first: what the app offers
/// to support instead of filing a duplicate.
pub fn similar(
    conn: &mut DbConnection,
    position: Position,
    category: &str,
    radius_m: f64,
) -> Result<Vec<ReportRow>, AppError> {
    let area = BoundingBox::around(position, radius_m);
    let cells = area.cells(MOST_CELLS).unwrap_or_default();
    let open = ReportStatus::open_names();
    let mut rows: Vec<(f64, ReportRow)> = reports::table
        .select(ReportRow::as_select())
        .filter(reports::category_code.eq(category))
        .filter(reports::cell.eq_any(cells))
        .filter(reports::is_public.eq(true))
        .filter(reports::status.eq_any(open))
        .limit(MOST_NEAR_CANDIDATES)
        .load(conn)?
        .into_iter()
        .map(|row: ReportRow| (row.distance_m(position), row))
        .filter(|(distance, _)| *distance <= radius_m)
        .collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(rows.into_iter().take(20).map(|(_, row)| row).collect())
}

/// "Me too": counted once per person; supporting twice changes nothing. Returns the new count.
pub fn support(conn: &mut DbConnection, report_id: &ReportId, user_id: &UserId) -> Result<i32, AppError> {
    db::transaction(conn, |conn| {
        let report = find_visible(conn, report_id, Some(user_id))?;
        if &report.reporter_id == user_id {
            return Err(AppError::OwnReport);
        }
        let already = report_supports::table.find((report_id, user_id)).count().get_result::<i64>(conn)? > 0;
        if !already {
            diesel::insert_into(report_supports::table)
                .values((
                    report_supports::report_id.eq(report_id),
                    report_supports::user_id.eq(user_id),
                    report_supports::created_at.eq(Utc::now().naive_utc()),
                ))
                .execute(conn)?;
            diesel::update(reports::table.find(report_id))
                .set(reports::supporters.eq(reports::supporters + 1))
                .execute(conn)?;
        }
        Ok(reports::table.find(report_id).select(reports::supporters).first(conn)?)
    })
}

pub fn unsupport(conn: &mut DbConnection, report_id: &ReportId, user_id: &UserId) -> Result<i32, AppError> {
    db::transaction(conn, |conn| {
        find_visible(conn, report_id, Some(user_id))?;
        let removed = diesel::delete(report_supports::table.find((report_id, user_id))).execute(conn)?;
        if removed > 0 {
            diesel::update(reports::table.find(report_id))
                .set(reports::supporters.eq(reports::supporters - 1))
                .execute(conn)?;
        }
        Ok(reports::table.find(report_id).select(reports::supporters).first(conn)?)
    })
}

/// The caller's own report, if `transition` is allowed in its status. Someone else's report is "not
/// found", so it does not reveal that it exists.
fn own(
    conn: &mut DbConnection,
    report_id: &ReportId,
    user_id: &UserId,
    transition: Transition,
) -> Result<ReportRow, AppError> {
    let report = find_visible(conn, report_id, Some(user_id))?;
    if &report.reporter_id != user_id {
        return Err(AppError::ReportNotFound);
    }
    lifecycle::ensure_allowed(transition, &report)?;
    Ok(report)
}

/// Photos may be added (up to 5 in all) by the reporter while nobody has started on the report.
pub fn add_photos(
    conn: &mut DbConnection,
    notifier: &Notifier,
    report_id: &ReportId,
    user_id: &UserId,
    ids: &[MediaId],
) -> Result<(), AppError> {
    db::transaction(conn, |conn| {
        let report = own(conn, report_id, user_id, Transition::AddPhotos)?;
        let present = crate::media::count_of_report(conn, report_id)? as usize;
        if present + ids.len() > super::MAX_MEDIA {
            return Err(AppError::invalid("media_ids", FieldIssue::TooMany { max: super::MAX_MEDIA - present }));
        }
        crate::media::attach(conn, ids, user_id, report_id, None, "media_ids")?;
        let step = Step::new(Transition::AddPhotos, Some(user_id), Utc::now().naive_utc());
        lifecycle::apply(conn, notifier, &report, step).map(|_| ())
    })
}

/// The reporter takes a report back while nobody has started on it.
pub fn withdraw(
    conn: &mut DbConnection,
    notifier: &Notifier,
    report_id: &ReportId,
    user_id: &UserId,
) -> Result<(), AppError> {
    db::transaction(conn, |conn| {
        let report = own(conn, report_id, user_id, Transition::Withdraw)?;
        let step = Step::new(Transition::Withdraw, Some(user_id), Utc::now().naive_utc());
        lifecycle::apply(conn, notifier, &report, step).map(|_| ())
    })
}

/// The reporter rates how a resolved report was handled; rating closes it.
pub fn rate(
    conn: &mut DbConnection,
    notifier: &Notifier,
    report_id: &ReportId,
    user_id: &UserId,
    score: i32,
    comment: Option<&str>,
) -> Result<(), AppError> {
    db::transaction(conn, |conn| {
        let report = own(conn, report_id, user_id, Transition::Rate)?;
        let now = Utc::now().naive_utc();
        let note = format!("{score}/5{}", comment.map(|c| format!(": {c}")).unwrap_or_default());
        let mut step = Step::new(Transition::Rate, Some(user_id), now);
        step.changes.rating_score = Some(Some(score));
        step.changes.rating_comment = Some(comment);
        step.changes.rated_at = Some(Some(now));
        step.note = Some(&note);
        lifecycle::apply(conn, notifier, &report, step).map(|_| ())
    })
}

/// The reporter says a resolved report is not solved, within [`REOPEN_DAYS`](super::REOPEN_DAYS): back to `in_progress`.
pub fn reopen(
    conn: &mut DbConnection,
    notifier: &Notifier,
    report_id: &ReportId,
    user_id: &UserId,
    reason: &str,
) -> Result<(), AppError> {
    db::transaction(conn, |conn| {
        let report = own(conn, report_id, user_id, Transition::Reopen)?;
        let now = Utc::now().naive_utc();
        if report.resolved_at.is_some_and(|at| now - at > chrono::Duration::days(super::REOPEN_DAYS)) {
            return Err(AppError::ReopenPeriodOver);
        }
        let step = Step { note: Some(reason), ..Step::new(Transition::Reopen, Some(user_id), now) };
        lifecycle::apply(conn, notifier, &report, step).map(|_| ())
    })
}
