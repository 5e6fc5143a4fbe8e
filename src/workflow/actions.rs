//! What officials do to a report, and the one place that says which action is allowed in which status.
//!
//! Every change is a conditional update on the status (and organization) the official saw, so of two
//! concurrent actions on one report only one can win; the other is told the report's new status.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{find_in, Jurisdiction};
use crate::db::schema::{categories, organization_members, organizations, reports, users};
use crate::db::{self, DbConnection};
use crate::error::{AppError, FieldErrors, FieldIssue};
use crate::notify::notifier::Notifier;
use crate::reports::store::{record_event, tell_office_of_urgent, NewEvent, ReportRow};
use crate::reports::{ReportStatus, MAX_MEDIA};

/// Urgent reports are due within hours, whatever the category's usual deadline.
const URGENT_SLA_HOURS: i64 = 4;
/// A note, counted after trimming.
pub(crate) const NOTE_CHARS: usize = 2000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    /// `accept`, `assign`, `start`, `resolve`, `reject`, `transfer`, `comment` or `message`.
    pub action: String,
    /// Required for `resolve` (shown to the citizen), `transfer`, `comment` and `message` (to the reporter only).
    pub note: Option<String>,
    /// `assign`: an official of the report's organization.
    pub assignee_id: Option<String>,
    /// `transfer`: the organization to take the report over.
    pub organization_id: Option<String>,
    /// `reject`: `duplicate`, `out_of_scope`, `spam` or `insufficient_info`.
    pub reason: Option<String>,
    /// `reject` as `duplicate`: the report this one repeats.
    pub duplicate_of: Option<String>,
    /// `comment`: shown to the citizen (default false: an internal note).
    pub public: Option<bool>,
    /// `resolve`: photos of the result (at most 5), uploaded by the acting official beforehand.
    pub media_ids: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Accept,
    Assign {
        assignee: String,
    },
    Start,
    Resolve {
        note: String,
        media_ids: Vec<String>,
    },
    Reject {
        reason: &'static str,
        duplicate_of: Option<String>,
        note: Option<String>,
    },
    Transfer {
        organization: String,
        note: String,
    },
    Comment {
        note: String,
        public: bool,
    },
    /// To the reporter only, in the app: how officials reach a reporter, anonymous or not, without
    /// learning who they are.
    Message {
        note: String,
    },
}

pub(crate) const ACTIONS: &[&str] =
    &["accept", "assign", "start", "resolve", "reject", "transfer", "comment", "message"];

pub(crate) const REJECT_REASONS: &[&str] = &["duplicate", "out_of_scope", "spam", "insufficient_info"];

impl ActionRequest {
    pub fn parse(self) -> Result<Action, AppError> {
        let mut errors = FieldErrors::default();
        let note = self.note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
        if note.as_ref().is_some_and(|n| n.chars().count() > NOTE_CHARS) {
            errors.add("note", FieldIssue::TooLong { max: NOTE_CHARS });
        }
        let media_ids = self.media_ids.unwrap_or_default();
        if media_ids.len() > MAX_MEDIA {
            errors.add("media_ids", FieldIssue::TooMany { max: MAX_MEDIA });
        }
        if !media_ids.is_empty() && self.action != "resolve" {
            errors.add("media_ids", FieldIssue::InvalidValue("photos only with `resolve`".into()));
        }
        let mut required = |value: Option<String>, field: &str| {
            if value.is_none() {
                errors.add(field, FieldIssue::Required);
            }
            value.unwrap_or_default()
        };
        let action = match self.action.as_str() {
            "accept" => Action::Accept,
            "start" => Action::Start,
            "assign" => Action::Assign { assignee: required(self.assignee_id, "assignee_id") },
            "resolve" => Action::Resolve { note: required(note, "note"), media_ids },
            "transfer" => {
                let organization = required(self.organization_id, "organization_id");
                Action::Transfer { organization, note: required(note, "note") }
            }
            "comment" => Action::Comment { note: required(note, "note"), public: self.public.unwrap_or(false) },
            "message" => Action::Message { note: required(note, "note") },
            "reject" => {
                let reason = REJECT_REASONS.iter().copied().find(|r| Some(*r) == self.reason.as_deref());
                match reason {
                    None => errors.add("reason", FieldIssue::OneOf(REJECT_REASONS)),
                    Some("duplicate") if self.duplicate_of.is_none() => {
                        errors.add("duplicate_of", FieldIssue::Required)
                    }
                    Some(_) => {}
                }
                Action::Reject { reason: reason.unwrap_or("spam"), duplicate_of: self.duplicate_of, note }
            }
            _ => {
                errors.add("action", FieldIssue::OneOf(ACTIONS));
                Action::Start
            }
        };
        errors.finish()?;
        Ok(action)
    }
}

/// The status an action leads to from `from`, or `None` when the action is not allowed there.
/// This table is the state machine of DESIGN.md.
pub fn next_status(action: &Action, from: ReportStatus) -> Option<ReportStatus> {
    use ReportStatus::*;
    match (action, from) {
        (Action::Accept, Submitted) => Some(Accepted),
        (Action::Start, Accepted) => Some(InProgress),
        (Action::Resolve { .. }, Accepted | InProgress) => Some(Resolved),
        (Action::Reject { .. }, Submitted | Accepted) => Some(Rejected),
        (Action::Transfer { .. }, Submitted | Accepted | InProgress) => Some(Submitted),
        (Action::Assign { .. }, Submitted | Accepted | InProgress) => Some(from),
        (
            Action::Comment { .. } | Action::Message { .. },
            Submitted | Accepted | InProgress | Resolved | Closed | Rejected,
        ) => Some(from),
        _ => None,
    }
}

fn kind(action: &Action) -> &'static str {
    match action {
        Action::Accept => "accepted",
        Action::Assign { .. } => "assigned",
        Action::Start => "started",
        Action::Resolve { .. } => "resolved",
        Action::Reject { .. } => "rejected",
        Action::Transfer { .. } => "transferred",
        Action::Comment { .. } => "comment",
        Action::Message { .. } => crate::reports::store::MESSAGE,
    }
}

/// Applies `action` to a report of the official's jurisdiction.
pub fn act(
    conn: &mut DbConnection,
    notifier: &Notifier,
    jurisdiction: &Jurisdiction,
    official: &str,
    report_id: &str,
    action: &Action,
) -> Result<(), AppError> {
    db::transaction(conn, |conn| {
        let report = find_in(conn, jurisdiction, official, report_id)?;
        let from = report.status()?;
        let to = next_status(action, from).ok_or_else(|| AppError::InvalidTransition(from.as_str().to_string()))?;
        let now = Utc::now().naive_utc();
        let organization = report.organization_id.clone().unwrap_or_default();
        // The update applies only if nobody changed the report since it was read.
        let unchanged = reports::table
            .filter(reports::id.eq(&report.id))
            .filter(reports::status.eq(from.as_str()))
            .filter(reports::organization_id.eq(&organization));
        let claimed = match action {
            Action::Accept => {
                let due_at = now + Duration::hours(sla_hours(conn, &report)?);
                diesel::update(unchanged)
                    .set((reports::status.eq(to.as_str()), reports::due_at.eq(due_at), reports::updated_at.eq(now)))
                    .execute(conn)?
            }
            Action::Assign { assignee } => {
                ensure_member(conn, &organization, assignee)?;
                diesel::update(unchanged)
                    .set((reports::assignee_id.eq(assignee), reports::updated_at.eq(now)))
                    .execute(conn)?
            }
            Action::Transfer { organization: target, .. } => {
                let exists = organizations::table.find(target).count().get_result::<i64>(conn)? == 1;
                if !exists || *target == organization {
                    return Err(AppError::invalid(
                        "organization_id",
                        FieldIssue::InvalidValue("another existing organization".into()),
                    ));
                }
                diesel::update(unchanged)
                    .set((
                        reports::status.eq(to.as_str()),
                        reports::organization_id.eq(target),
                        reports::assignee_id.eq(None::<String>),
                        reports::due_at.eq(None::<chrono::NaiveDateTime>),
                        reports::updated_at.eq(now),
                    ))
                    .execute(conn)?
            }
            Action::Reject { duplicate_of: Some(original), .. } => {
                // The original's id goes on the public timeline: it must be a report both this official
                // and the public may see. Any other answers like an unknown id, so nothing leaks.
                let citable = original != &report.id
                    && match find_in(conn, jurisdiction, official, original) {
                        Ok(original) => original.visible_to(None),
                        Err(AppError::ReportNotFound) => false,
                        Err(other) => return Err(other),
                    };
                if !citable {
                    return Err(AppError::invalid(
                        "duplicate_of",
                        FieldIssue::InvalidValue("another public report of your jurisdiction".into()),
                    ));
                }
                diesel::update(unchanged)
                    .set((reports::status.eq(to.as_str()), reports::updated_at.eq(now)))
                    .execute(conn)?
            }
            Action::Resolve { .. } => diesel::update(unchanged)
                .set((reports::status.eq(to.as_str()), reports::resolved_at.eq(now), reports::updated_at.eq(now)))
                .execute(conn)?,
            _ => diesel::update(unchanged)
                .set((reports::status.eq(to.as_str()), reports::updated_at.eq(now)))
                .execute(conn)?,
        };
        if claimed == 0 {
            // Someone else acted first: tell the status the report has now.
            let current: String = reports::table.find(&report.id).select(reports::status).first(conn)?;
            return Err(AppError::InvalidTransition(current));
        }
        let (note, public) = match action {
            Action::Resolve { note, .. } => (Some(note.clone()), true),
            Action::Reject { reason, duplicate_of, note } => {
                let why = match duplicate_of {
                    Some(original) => format!("{reason}: {original}"),
                    None => reason.to_string(),
                };
                (Some(note.as_ref().map_or(why.clone(), |n| format!("{why}; {n}"))), true)
            }
            Action::Transfer { organization, note } => {
                let name: String = organizations::table.find(organization).select(organizations::name).first(conn)?;
                (Some(format!("{name}: {note}")), true)
            }
            Action::Comment { note, public } => (Some(note.clone()), *public),
            Action::Message { note } => (Some(note.clone()), false),
            Action::Assign { assignee } => (Some(format!("to {assignee}")), false),
            Action::Accept | Action::Start => (None, true),
        };
        let changes_status = from != to;
        let event = record_event(
            conn,
            notifier,
            NewEvent {
                report_id: &report.id,
                actor_id: Some(official),
                kind: kind(action),
                from: changes_status.then_some(from),
                to: changes_status.then_some(to),
                note: note.as_deref(),
                is_public: public,
                at: now,
            },
        )?;
        match action {
            Action::Resolve { media_ids, .. } => {
                crate::media::attach(conn, media_ids, official, &report.id, Some(&event), "media_ids")
            }
            Action::Transfer { organization, .. } if report.urgent => {
                tell_office_of_urgent(conn, notifier, &report.id, organization, now)
            }
            _ => Ok(()),
        }
    })
}

fn sla_hours(conn: &mut DbConnection, report: &ReportRow) -> Result<i64, AppError> {
    let hours: i32 = categories::table.find(&report.category_code).select(categories::sla_hours).first(conn)?;
    Ok(if report.urgent { i64::from(hours).min(URGENT_SLA_HOURS) } else { i64::from(hours) })
}

/// Reports are assigned only to active officials of the organization that handles them.
fn ensure_member(conn: &mut DbConnection, organization: &str, user_id: &str) -> Result<(), AppError> {
    let member = organization_members::table
        .inner_join(users::table.on(users::id.eq(organization_members::user_id)))
        .filter(organization_members::organization_id.eq(organization))
        .filter(organization_members::user_id.eq(user_id))
        .filter(users::active.eq(true))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if member {
        Ok(())
    } else {
        Err(AppError::invalid("assignee_id", FieldIssue::NotAnOfficial))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReportStatus::*;

    #[test]
    fn the_state_machine_follows_the_design() {
        let resolve = Action::Resolve { note: "done".into(), media_ids: vec![] };
        let reject = Action::Reject { reason: "spam", duplicate_of: None, note: None };
        let transfer = Action::Transfer { organization: "x".into(), note: "y".into() };
        assert_eq!(next_status(&Action::Accept, Submitted), Some(Accepted));
        assert_eq!(next_status(&Action::Accept, Accepted), None);
        assert_eq!(next_status(&Action::Start, Submitted), None);
        assert_eq!(next_status(&Action::Start, Accepted), Some(InProgress));
        assert_eq!(next_status(&resolve, InProgress), Some(Resolved));
        assert_eq!(next_status(&resolve, Submitted), None);
        assert_eq!(next_status(&reject, Accepted), Some(Rejected));
        assert_eq!(next_status(&reject, InProgress), None);
        assert_eq!(next_status(&transfer, InProgress), Some(Submitted));
        assert_eq!(next_status(&transfer, Resolved), None);
        for status in [Resolved, Closed, Rejected, Withdrawn] {
            assert_eq!(next_status(&Action::Assign { assignee: "a".into() }, status), None);
        }
        assert_eq!(next_status(&Action::Comment { note: "n".into(), public: false }, Withdrawn), None);
    }
}
