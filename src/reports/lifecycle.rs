//! A report's life in one place: which transition is allowed from which status and by whom, and the one
//! function that makes it happen. Every change of `reports.status` goes through [`apply`]: the officials'
//! actions, the IOC's review, the reporter's (withdraw, add photos, answer, reopen, rate) and the system's
//! (auto-close).
//!
//! [`apply`] is a conditional update on the status (and organization) the caller read, so of two
//! concurrent transitions on one report only one can win; the other is told the report's new status.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::deadlines::Due;
use super::events::{record_event, NewEvent, Rejection};
use super::row::ReportRow;
use super::ReportStatus;
use crate::db::schema::reports;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::notify::notifier::Notifier;
use crate::values::{EventId, EventKind, OrganizationId, UserId};

/// Who may cause a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// An official of an organization handling the report (or of the province's IOC).
    Official,
    /// The citizen who filed the report.
    Reporter,
    /// The server itself (the deadline worker).
    System,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Accept,
    Assign,
    Start,
    Resolve,
    Reject,
    Transfer,
    /// An internal note.
    Comment,
    /// A note shown to the reporter and followers.
    Reply,
    /// A note to the reporter only.
    Message,
    /// A question to the reporter, who must answer before the office goes on: the clock stops.
    Ask,
    /// The office's one extension of its deadline.
    Extend,
    /// The IOC sends a poorly rated report back to its office.
    ReviewReopen,
    /// The IOC closes the review of a poorly rated report with a note.
    ReviewClose,
    Withdraw,
    AddPhotos,
    /// The reporter answers the office's question: the clock runs again.
    Answer,
    Reopen,
    Rate,
    /// A resolved report closes once its reopening period is over, and one waiting for an answer that did
    /// not come is rejected for want of information.
    AutoClose,
}

impl Transition {
    pub const ALL: [Transition; 19] = [
        Transition::Accept,
        Transition::Assign,
        Transition::Start,
        Transition::Resolve,
        Transition::Reject,
        Transition::Transfer,
        Transition::Comment,
        Transition::Reply,
        Transition::Message,
        Transition::Ask,
        Transition::Extend,
        Transition::ReviewReopen,
        Transition::ReviewClose,
        Transition::Withdraw,
        Transition::AddPhotos,
        Transition::Answer,
        Transition::Reopen,
        Transition::Rate,
        Transition::AutoClose,
    ];

    pub fn party(self) -> Party {
        use Transition::*;
        match self {
            Accept | Assign | Start | Resolve | Reject | Transfer | Comment | Reply | Message | Ask | Extend
            | ReviewReopen | ReviewClose => Party::Official,
            Withdraw | AddPhotos | Answer | Reopen | Rate => Party::Reporter,
            AutoClose => Party::System,
        }
    }

    /// The status this transition leads to from `from`, or `None` where it is not allowed.
    /// This table is the state machine of DESIGN.md.
    pub fn next(self, from: ReportStatus) -> Option<ReportStatus> {
        use ReportStatus::*;
        use Transition as T;
        match (self, from) {
            (T::Accept, Submitted) => Some(Accepted),
            (T::Start, Accepted) => Some(InProgress),
            (T::Resolve, Accepted | InProgress) => Some(Resolved),
            (T::Reject, Submitted | Accepted | WaitingForCitizen) => Some(Rejected),
            (T::Transfer, Submitted | Accepted | InProgress) => Some(Submitted),
            (T::Assign, Submitted | Accepted | InProgress | WaitingForCitizen) => Some(from),
            (
                T::Comment | T::Reply | T::Message,
                Submitted | Accepted | InProgress | WaitingForCitizen | Resolved | Closed | Rejected,
            ) => Some(from),
            (T::Ask, Accepted | InProgress) => Some(WaitingForCitizen),
            (T::Extend, Accepted | InProgress) => Some(from),
            (T::ReviewReopen, Closed) => Some(InProgress),
            (T::ReviewClose, Closed) => Some(Closed),
            (T::Withdraw, Submitted) => Some(Withdrawn),
            (T::AddPhotos, Submitted) => Some(Submitted),
            (T::Answer, WaitingForCitizen) => Some(InProgress),
            (T::Reopen, Resolved) => Some(InProgress),
            (T::Rate | T::AutoClose, Resolved) => Some(Closed),
            (T::AutoClose, WaitingForCitizen) => Some(Rejected),
            _ => None,
        }
    }

    /// Whether `party` may cause this transition from `from`, and the status it leads to.
    pub fn allowed(self, party: Party, from: ReportStatus) -> Option<ReportStatus> {
        if self.party() == party {
            self.next(from)
        } else {
            None
        }
    }

    /// The kind of the event it writes on the report's timeline.
    pub fn event_kind(self) -> EventKind {
        use Transition::*;
        match self {
            Accept => EventKind::Accepted,
            Assign => EventKind::Assigned,
            Start => EventKind::Started,
            Resolve => EventKind::Resolved,
            Reject => EventKind::Rejected,
            Transfer => EventKind::Transferred,
            Comment | Reply => EventKind::Comment,
            Message => EventKind::Message,
            Ask => EventKind::Question,
            Extend => EventKind::Extended,
            ReviewReopen | Reopen => EventKind::Reopened,
            ReviewClose => EventKind::Reviewed,
            Withdraw => EventKind::Withdrawn,
            AddPhotos => EventKind::PhotosAdded,
            Answer => EventKind::Answered,
            Rate => EventKind::Rated,
            AutoClose => EventKind::Closed,
        }
    }

    /// Whether its event is on the public timeline (and told to the report's followers). An assignment
    /// names an official, a comment is internal, a message, question or answer is between the office and
    /// the reporter.
    fn is_public(self) -> bool {
        !matches!(
            self,
            Transition::Assign | Transition::Comment | Transition::Message | Transition::Ask | Transition::Answer
        )
    }
}

/// The other columns a transition sets with the status. `None` leaves a column as it is; `Some(None)`
/// clears it.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = reports)]
pub struct Changes<'a> {
    pub due_at: Option<Option<NaiveDateTime>>,
    pub organization_id: Option<Option<&'a OrganizationId>>,
    pub assignee_id: Option<Option<&'a UserId>>,
    pub resolved_at: Option<Option<NaiveDateTime>>,
    pub rating_score: Option<Option<i32>>,
    pub rating_comment: Option<Option<&'a str>>,
    pub rated_at: Option<Option<NaiveDateTime>>,
    pub remind_at: Option<Option<NaiveDateTime>>,
    pub escalated_at: Option<Option<NaiveDateTime>>,
    pub closes_at: Option<Option<NaiveDateTime>>,
    pub resolved_on_time: Option<Option<bool>>,
    pub review_requested_at: Option<Option<NaiveDateTime>>,
}

impl Changes<'_> {
    /// A new step's deadline: its reminder and escalation are still to come.
    pub fn start_step(&mut self, due: Due) {
        self.due_at = Some(Some(due.due_at));
        self.remind_at = Some(Some(due.remind_at));
        self.escalated_at = Some(None);
    }
}

/// One transition of one report, as the caller (who has checked their right to the report) asks it.
pub struct Step<'a> {
    pub transition: Transition,
    /// The official or reporter; `None` for the system.
    pub actor: Option<&'a UserId>,
    pub changes: Changes<'a>,
    pub note: Option<&'a str>,
    pub rejection: Option<Rejection<'a>>,
    pub at: NaiveDateTime,
}

impl<'a> Step<'a> {
    pub fn new(transition: Transition, actor: Option<&'a UserId>, at: NaiveDateTime) -> Self {
        Step { transition, actor, changes: Changes::default(), note: None, rejection: None, at }
    }
}

/// The status `transition` leads `report` to, or 409 `invalid_transition` naming the status it is in.
pub fn ensure_allowed(transition: Transition, report: &ReportRow) -> Result<ReportStatus, AppError> {
    let from = report.status()?;
    transition.allowed(transition.party(), from).ok_or_else(|| AppError::InvalidTransition(from.as_str().to_string()))
}

/// Applies `step` to `report` as read: the guarded update, then the event (which notifies the report's
/// followers when public). Returns the event's id. The caller runs it in a transaction with whatever else
/// the transition does (photos attached, offices told).
pub fn apply(
    conn: &mut DbConnection,
    notifier: &Notifier,
    report: &ReportRow,
    step: Step,
) -> Result<EventId, AppError> {
    let from = report.status()?;
    let to = ensure_allowed(step.transition, report)?;
    // The update applies only if nobody changed the report's status or organization since it was read.
    let organization = report.organization_id.as_ref().map_or("", OrganizationId::as_str);
    let unchanged = reports::table
        .filter(reports::id.eq(&report.id))
        .filter(reports::status.eq(from.as_str()))
        .filter(reports::organization_id.eq(organization).or(reports::organization_id.is_null()));
    // The one statement in the crate that changes a report's status.
    let always = (reports::status.eq(to.as_str()), reports::updated_at.eq(step.at));
    let claimed = diesel::update(unchanged).set((always, &step.changes)).execute(conn)?;
    if claimed == 0 {
        // Someone else acted first: tell the status the report has now.
        let current: String = reports::table.find(&report.id).select(reports::status).first(conn)?;
        return Err(AppError::InvalidTransition(current));
    }
    let changes_status = from != to;
    record_event(
        conn,
        notifier,
        NewEvent {
            report,
            actor_id: step.actor,
            kind: step.transition.event_kind(),
            from: changes_status.then_some(from),
            to: changes_status.then_some(to),
            note: step.note,
            rejection: step.rejection,
            is_public: step.transition.is_public(),
            at: step.at,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReportStatus::*;
    use Transition as T;

    const STATUSES: [ReportStatus; 8] =
        [Submitted, Accepted, InProgress, WaitingForCitizen, Resolved, Closed, Rejected, Withdrawn];
    const PARTIES: [Party; 3] = [Party::Official, Party::Reporter, Party::System];

    /// The design's table, written out in full: (transition, who, from) → to. Anything not listed is refused.
    fn expected(transition: Transition, party: Party, from: ReportStatus) -> Option<ReportStatus> {
        let notes = [Submitted, Accepted, InProgress, WaitingForCitizen, Resolved, Closed, Rejected];
        let rows: &[(Transition, Party, &[ReportStatus], Option<ReportStatus>)] = &[
            (T::Accept, Party::Official, &[Submitted], Some(Accepted)),
            (T::Start, Party::Official, &[Accepted], Some(InProgress)),
            (T::Resolve, Party::Official, &[Accepted, InProgress], Some(Resolved)),
            (T::Reject, Party::Official, &[Submitted, Accepted, WaitingForCitizen], Some(Rejected)),
            (T::Transfer, Party::Official, &[Submitted, Accepted, InProgress], Some(Submitted)),
            (T::Ask, Party::Official, &[Accepted, InProgress], Some(WaitingForCitizen)),
            (T::ReviewReopen, Party::Official, &[Closed], Some(InProgress)),
            (T::Withdraw, Party::Reporter, &[Submitted], Some(Withdrawn)),
            (T::Answer, Party::Reporter, &[WaitingForCitizen], Some(InProgress)),
            (T::Reopen, Party::Reporter, &[Resolved], Some(InProgress)),
            (T::Rate, Party::Reporter, &[Resolved], Some(Closed)),
            (T::AutoClose, Party::System, &[Resolved], Some(Closed)),
            (T::AutoClose, Party::System, &[WaitingForCitizen], Some(Rejected)),
        ];
        let unchanged: &[(Transition, Party, &[ReportStatus])] = &[
            (T::Assign, Party::Official, &[Submitted, Accepted, InProgress, WaitingForCitizen]),
            (T::Extend, Party::Official, &[Accepted, InProgress]),
            (T::ReviewClose, Party::Official, &[Closed]),
            (T::Comment, Party::Official, &notes),
            (T::Reply, Party::Official, &notes),
            (T::Message, Party::Official, &notes),
            (T::AddPhotos, Party::Reporter, &[Submitted]),
        ];
        rows.iter()
            .find(|(t, p, froms, _)| *t == transition && *p == party && froms.contains(&from))
            .map(|(_, _, _, to)| *to)
            .or_else(|| {
                unchanged
                    .iter()
                    .find(|(t, p, froms)| *t == transition && *p == party && froms.contains(&from))
                    .map(|_| Some(from))
            })
            .flatten()
    }

    #[test]
    fn every_transition_from_every_status_by_every_party_follows_the_design() {
        for transition in Transition::ALL {
            for party in PARTIES {
                for from in STATUSES {
                    assert_eq!(
                        transition.allowed(party, from),
                        expected(transition, party, from),
                        "{transition:?} by {party:?} from {from:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn nothing_leaves_a_withdrawn_report_and_only_notes_and_the_iocs_review_touch_a_closed_one() {
        for transition in Transition::ALL {
            assert_eq!(transition.next(Withdrawn), None, "{transition:?}");
            if let Some(to) = transition.next(Closed) {
                assert!(matches!(transition, T::Comment | T::Reply | T::Message | T::ReviewClose | T::ReviewReopen));
                assert_eq!(to == Closed, transition != T::ReviewReopen, "{transition:?}");
            }
        }
    }

    #[test]
    fn only_status_changes_are_public_among_officials_notes() {
        assert!(T::Reply.is_public() && T::Resolve.is_public() && T::AutoClose.is_public());
        assert!(!T::Comment.is_public() && !T::Message.is_public() && !T::Assign.is_public());
        assert!(!T::Ask.is_public() && !T::Answer.is_public() && T::Extend.is_public());
    }
}
