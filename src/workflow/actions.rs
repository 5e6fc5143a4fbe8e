//! What officials do to a report: the actions they may ask for, parsed, and what each names checked.
//! Which action is allowed in which status, and the change itself, are the lifecycle's
//! (`reports::lifecycle`).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{find_in, Jurisdiction};
use crate::db::schema::{organization_members, organizations, users};
use crate::db::{self, DbConnection};
use crate::error::{AppError, FieldErrors, FieldIssue};
use crate::notify::notifier::Notifier;
use crate::reports::deadlines::{last_day, Due, ReportClock, Step as DeadlineStep};
use crate::reports::events::{last_event_at, tell_office_of_urgent, Rejection};
use crate::reports::lifecycle::{self, Changes, Step, Transition};
use crate::reports::row::ReportRow;
use crate::reports::{MAX_MEDIA, REOPEN_DAYS};
use crate::values::{EventKind, MediaId, OrganizationId, RejectReason, ReportId, UserId};

/// A note, counted after trimming.
pub(crate) const NOTE_CHARS: usize = 2000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    /// `accept`, `assign`, `start`, `resolve`, `reject`, `transfer`, `comment`, `message`, `ask`, `extend`,
    /// and for the province's IOC `review_reopen` and `review_close`.
    pub action: String,
    /// Required for `resolve` (shown to the citizen), `transfer`, `comment`, `message` and `ask` (to the
    /// reporter only: the question), `extend` (the reason, public), `review_reopen` and `review_close`.
    pub note: Option<String>,
    /// `extend`: the last day of the new deadline (local date, `YYYY-MM-DD`); a day off moves to the next
    /// working day. It must be later than the current deadline and no later than the category's most.
    #[schema(value_type = Option<String>, format = Date, example = "2027-02-19")]
    pub due_date: Option<String>,
    /// `assign`: an official of the report's organization.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub assignee_id: Option<UserId>,
    /// `transfer`: the organization to take the report over.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub organization_id: Option<OrganizationId>,
    /// `reject`: `duplicate`, `out_of_scope`, `spam` or `insufficient_info`.
    pub reason: Option<String>,
    /// `reject` as `duplicate`: the report this one repeats.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub duplicate_of: Option<ReportId>,
    /// `comment`: shown to the citizen (default false: an internal note).
    pub public: Option<bool>,
    /// `resolve`: photos of the result (at most 5), uploaded by the acting official beforehand.
    #[schema(value_type = Option<Vec<String>>, format = Uuid)]
    pub media_ids: Option<Vec<MediaId>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Accept,
    Assign {
        assignee: UserId,
    },
    Start,
    Resolve {
        note: String,
        media_ids: Vec<MediaId>,
    },
    Reject {
        reason: RejectReason,
        duplicate_of: Option<ReportId>,
        note: Option<String>,
    },
    Transfer {
        organization: OrganizationId,
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
    /// A question the reporter must answer before the office goes on; the clock stops meanwhile.
    Ask {
        note: String,
    },
    /// The one extension of the deadline, to the end of `due_date`, for a public reason.
    Extend {
        due_date: NaiveDate,
        note: String,
    },
    /// The IOC sends a poorly rated report back to its office.
    ReviewReopen {
        note: String,
    },
    /// The IOC closes the review of a poorly rated report.
    ReviewClose {
        note: String,
    },
}

pub(crate) const ACTIONS: &[&str] = &[
    "accept",
    "assign",
    "start",
    "resolve",
    "reject",
    "transfer",
    "comment",
    "message",
    "ask",
    "extend",
    "review_reopen",
    "review_close",
];

pub(crate) const REJECT_REASONS: &[&str] = RejectReason::NAMES;

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
        let action = match self.action.as_str() {
            "accept" => Action::Accept,
            "start" => Action::Start,
            "assign" => Action::Assign { assignee: required(&mut errors, self.assignee_id, "assignee_id") },
            "resolve" => Action::Resolve { note: required(&mut errors, note, "note"), media_ids },
            "transfer" => {
                let organization = required(&mut errors, self.organization_id, "organization_id");
                Action::Transfer { organization, note: required(&mut errors, note, "note") }
            }
            "comment" => {
                Action::Comment { note: required(&mut errors, note, "note"), public: self.public.unwrap_or(false) }
            }
            "message" => Action::Message { note: required(&mut errors, note, "note") },
            "ask" => Action::Ask { note: required(&mut errors, note, "note") },
            "extend" => {
                let due_date = match self.due_date.as_deref() {
                    None => {
                        errors.add("due_date", FieldIssue::Required);
                        None
                    }
                    Some(raw) => errors.check(crate::calendar::store::parse_date(raw, "due_date")),
                };
                Action::Extend { due_date: due_date.unwrap_or_default(), note: required(&mut errors, note, "note") }
            }
            "review_reopen" => Action::ReviewReopen { note: required(&mut errors, note, "note") },
            "review_close" => Action::ReviewClose { note: required(&mut errors, note, "note") },
            "reject" => {
                let reason = errors.check(RejectReason::parse(self.reason.as_deref().unwrap_or_default(), "reason"));
                if reason == Some(RejectReason::Duplicate) && self.duplicate_of.is_none() {
                    errors.add("duplicate_of", FieldIssue::Required);
                }
                Action::Reject { reason: reason.unwrap_or(RejectReason::Spam), duplicate_of: self.duplicate_of, note }
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

/// `value`, or an error that `field` is missing (the empty stand-in returned then never leaves `parse`).
fn required<T: From<String>>(errors: &mut FieldErrors, value: Option<T>, field: &str) -> T {
    value.unwrap_or_else(|| {
        errors.add(field, FieldIssue::Required);
        T::from(String::new())
    })
}

impl Action {
    /// The lifecycle transition this action is.
    pub fn transition(&self) -> Transition {
        match self {
            Action::Accept => Transition::Accept,
            Action::Assign { .. } => Transition::Assign,
            Action::Start => Transition::Start,
            Action::Resolve { .. } => Transition::Resolve,
            Action::Reject { .. } => Transition::Reject,
            Action::Transfer { .. } => Transition::Transfer,
            Action::Comment { public: false, .. } => Transition::Comment,
            Action::Comment { public: true, .. } => Transition::Reply,
            Action::Message { .. } => Transition::Message,
            Action::Ask { .. } => Transition::Ask,
            Action::Extend { .. } => Transition::Extend,
            Action::ReviewReopen { .. } => Transition::ReviewReopen,
            Action::ReviewClose { .. } => Transition::ReviewClose,
        }
    }
}

/// Applies `action`, at `now`, to a report of the official's jurisdiction: checks what the action names
/// (the assignee, the organization, the original of a duplicate, the new deadline), sets the deadline of
/// the step it leads to, then hands the transition to the lifecycle.
pub fn act(
    conn: &mut DbConnection,
    notifier: &Notifier,
    jurisdiction: &Jurisdiction,
    official: &UserId,
    report_id: &ReportId,
    action: &Action,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    db::transaction(conn, |conn| {
        let report = find_in(conn, jurisdiction, official, report_id)?;
        lifecycle::ensure_allowed(action.transition(), &report)?;
        let organization = report.organization_id.as_ref();
        let mut step = Step::new(action.transition(), Some(official), now);
        let note = match action {
            Action::Accept => {
                let clock = ReportClock::load(conn, &report, organization, now)?;
                step.changes.start_step(clock.due(DeadlineStep::Resolve, now));
                None
            }
            Action::Start => None,
            Action::Assign { assignee } => {
                ensure_member(conn, organization, assignee)?;
                step.changes.assignee_id = Some(Some(assignee));
                Some(format!("to {assignee}"))
            }
            Action::Transfer { organization: target, note } => {
                let name: Option<String> =
                    organizations::table.find(target).select(organizations::name).first(conn).optional()?;
                let Some(name) = name.filter(|_| Some(target) != organization) else {
                    return Err(AppError::invalid(
                        "organization_id",
                        FieldIssue::InvalidValue("another existing organization".into()),
                    ));
                };
                step.changes.organization_id = Some(Some(target));
                step.changes.assignee_id = Some(None);
                // The new office's triage starts now, in its own hours.
                let clock = ReportClock::load(conn, &report, Some(target), now)?;
                step.changes.start_step(clock.due(DeadlineStep::Accept, now));
                Some(format!("{name}: {note}"))
            }
            Action::Reject { reason, duplicate_of, note } => {
                if let Some(original) = duplicate_of {
                    ensure_citable(conn, jurisdiction, official, &report, original)?;
                }
                step.rejection = Some(Rejection { reason: *reason, duplicate_of: duplicate_of.as_ref() });
                step.changes.closes_at = Some(None);
                note.clone()
            }
            Action::Resolve { note, .. } => {
                let clock = ReportClock::load(conn, &report, organization, now)?;
                step.changes.resolved_at = Some(Some(now));
                step.changes.resolved_on_time = Some(Some(report.due_at.is_none_or(|due| now <= due)));
                step.changes.closes_at = Some(Some(clock.after_working_days(now, REOPEN_DAYS)));
                Some(note.clone())
            }
            Action::Ask { note } => {
                // The question's event marks when the clock stopped.
                let clock = ReportClock::load(conn, &report, organization, now)?;
                step.changes.closes_at = Some(Some(clock.due(DeadlineStep::Answer, now).due_at));
                Some(note.clone())
            }
            Action::Extend { due_date, note } => {
                // Two officials extending at once: the second waits, then finds the first's event.
                db::lock_until_commit(conn, report.id.lock_key())?;
                if last_event_at(conn, &report.id, EventKind::Extended)?.is_some() {
                    return Err(AppError::AlreadyExtended);
                }
                let clock = ReportClock::load(conn, &report, organization, now)?;
                let due_at = clock.end_of_working_day(*due_date);
                let current = report.due_at.unwrap_or(now);
                let latest = clock.latest_extension(current);
                if due_at <= current.max(now) || due_at > latest {
                    let why = format!("a day after the current deadline and no later than {}", last_day(latest));
                    return Err(AppError::invalid("due_date", FieldIssue::InvalidValue(why)));
                }
                step.changes.start_step(Due { due_at, remind_at: clock.reminder(DeadlineStep::Resolve, now, due_at) });
                // The public timeline tells the new last day with the reason.
                Some(format!("{}: {note}", last_day(due_at)))
            }
            Action::ReviewReopen { note } | Action::ReviewClose { note } => {
                ensure_reviewer(conn, jurisdiction, &report)?;
                step.changes.review_requested_at = Some(None);
                if matches!(action, Action::ReviewReopen { .. }) {
                    let clock = ReportClock::load(conn, &report, organization, now)?;
                    step.changes.start_step(clock.due(DeadlineStep::Resolve, now));
                    // The reporter rates the new result afresh; the old rating stays on the timeline.
                    clear_rating(&mut step.changes);
                }
                Some(note.clone())
            }
            Action::Comment { note, .. } | Action::Message { note } => Some(note.clone()),
        };
        step.note = note.as_deref();
        let event = lifecycle::apply(conn, notifier, &report, step)?;
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

fn clear_rating(changes: &mut Changes) {
    changes.rating_score = Some(None);
    changes.rating_comment = Some(None);
    changes.rated_at = Some(None);
}

/// Only the IOC of the report's province reviews it, and only while the review is asked for.
fn ensure_reviewer(conn: &mut DbConnection, jurisdiction: &Jurisdiction, report: &ReportRow) -> Result<(), AppError> {
    jurisdiction.ensure_ioc_of(conn, report)?;
    if report.review_requested_at.is_none() {
        return Err(AppError::NoReviewPending);
    }
    Ok(())
}

/// The original of a duplicate goes on the public timeline: it must be a report both this official and
/// the public may see. Any other answers like an unknown id, so nothing leaks.
fn ensure_citable(
    conn: &mut DbConnection,
    jurisdiction: &Jurisdiction,
    official: &UserId,
    report: &ReportRow,
    original: &ReportId,
) -> Result<(), AppError> {
    let citable = *original != report.id
        && match find_in(conn, jurisdiction, official, original) {
            Ok(original) => original.visible_to(None),
            Err(AppError::ReportNotFound) => false,
            Err(other) => return Err(other),
        };
    if citable {
        Ok(())
    } else {
        Err(AppError::invalid(
            "duplicate_of",
            FieldIssue::InvalidValue("another public report of your jurisdiction".into()),
        ))
    }
}

/// Reports are assigned only to active officials of the organization that handles them.
fn ensure_member(
    conn: &mut DbConnection,
    organization: Option<&OrganizationId>,
    user_id: &UserId,
) -> Result<(), AppError> {
    let member = organization_members::table
        .inner_join(users::table.on(users::id.eq(organization_members::user_id)))
        .filter(organization_members::organization_id.nullable().eq(organization))
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
