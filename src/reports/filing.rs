//! Filing a report: at most once per idempotency key, located and routed, its photos attached, the
//! urgent ones told to their office at once.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::deadlines::{ReportClock, Step};
use super::events::{record_event, tell_office_of_urgent, NewEvent};
use super::geo::cell_of;
use super::row::ReportRow;
use super::{NewReport, ReportStatus};
use crate::categories::CategoryRow;
use crate::config::ServiceArea;
use crate::db::schema::{idempotency_keys, media, reports};
use crate::db::{self, DbConnection};
use crate::error::{AppError, FieldErrors, FieldIssue};
use crate::http::IdempotencyKey;
use crate::notify::notifier::Notifier;
use crate::reference::Reference;
use crate::routing;
use crate::routing::locator::UnitLocator;
use crate::values::{EventKind, MediaId, ReportId, UserId};

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
    now: NaiveDateTime,
) -> Result<Filed, AppError> {
    let result = db::transaction(conn, |conn| -> Result<Filed, FilingError> {
        if let Some(report_id) = earlier_filing(conn, reporter_id, key, request_hash)? {
            return Ok(Filed::Existing(report_id));
        }
        let reference = crate::reference::current(conn)?;
        let category = check_references(conn, &reference, new, reporter_id)?;
        let located = routing::locate_commune(&reference, new.position, area, boundaries).map_err(|err| match err {
            AppError::OutsideServiceArea => AppError::invalid("position", FieldIssue::OutsideServiceArea),
            other => other,
        })?;
        let (organization, reason) = routing::handling_office(conn, &reference, category, &located.unit)?;
        let id = ReportId::new();
        let search_text =
            crate::text::fold(&format!("{} {}", new.description, new.address_text.as_deref().unwrap_or_default()));
        let mut row = ReportRow {
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
            escalated_at: None,
            remind_at: None,
            closes_at: None,
            resolved_on_time: None,
            review_requested_at: None,
        };
        // The office's triage is due in its working hours from now.
        let due = ReportClock::of(&reference, &row, Some(&organization.id), now)?.due(Step::Accept, now);
        (row.due_at, row.remind_at) = (Some(due.due_at), Some(due.remind_at));
        diesel::insert_into(reports::table).values(&row).execute(conn)?;
        crate::media::attach(conn, &new.media_ids, reporter_id, &id, None, "media_ids")?;
        if let Some(source) = &new.source {
            super::source::record(conn, &id, source)?;
        }
        let how = if located.approximate { "nearest centroid, to be confirmed" } else { "boundary" };
        let note = format!("unit {} ({how}); {reason}", located.unit.code);
        record_event(
            conn,
            notifier,
            NewEvent {
                actor_id: Some(reporter_id),
                to: Some(ReportStatus::Submitted),
                note: Some(&note),
                ..NewEvent::public(&row, EventKind::Submitted, now)
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

/// The category exists and takes this report (it is returned); the photos are the reporter's own and unused.
fn check_references<'r>(
    conn: &mut DbConnection,
    reference: &'r Reference,
    new: &NewReport,
    reporter_id: &UserId,
) -> Result<&'r CategoryRow, AppError> {
    let mut errors = FieldErrors::default();
    let category = reference.category(&new.category).filter(|category| category.active);
    match category {
        None => errors.add("category", FieldIssue::UnknownCategory),
        Some(category) if new.urgent && !category.urgent_allowed => errors.add("urgent", FieldIssue::UrgentNotAllowed),
        Some(_) => {}
    }
    let usable: HashSet<MediaId> = if new.media_ids.is_empty() {
        HashSet::new()
    } else {
        media::table
            .filter(media::id.eq_any(&new.media_ids))
            .filter(media::owner_id.eq(reporter_id))
            .filter(media::report_id.is_null())
            .select(media::id)
            .load::<MediaId>(conn)?
            .into_iter()
            .collect()
    };
    for (index, id) in new.media_ids.iter().enumerate() {
        if !usable.contains(id) || new.media_ids[..index].contains(id) {
            errors.add(&format!("media_ids[{index}]"), FieldIssue::UnknownMedia);
        }
    }
    errors.finish()?;
    category.ok_or_else(|| AppError::Internal("a category that passed the checks is missing".into()))
}
