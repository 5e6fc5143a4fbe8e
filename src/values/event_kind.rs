//! What happened on a report, as its timeline records it. It lives here, below both `reports/` (which
//! writes events) and `notify/` (which tells them in words), so neither parses the other's strings.

use serde::Serialize;

use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Submitted,
    Accepted,
    /// Given to an official (internal).
    Assigned,
    Started,
    Resolved,
    Rejected,
    Transferred,
    /// An official's note: internal, or a public reply.
    Comment,
    /// An official's message to the reporter alone.
    Message,
    Withdrawn,
    PhotosAdded,
    Reopened,
    Rated,
    Closed,
    /// Its deadline passed (internal).
    Escalated,
    /// The office asks the reporter a question (to the reporter only); the clock stops.
    Question,
    /// The reporter's answer (to the officials); the clock runs again.
    Answered,
    /// The office took its one extension, with the reason and the new deadline.
    Extended,
    /// A rating of 1 or 2 sent the report to the IOC's review queue (internal).
    ReviewRequested,
    /// The IOC reviewed a poorly rated report and closed the review, with a note.
    Reviewed,
}

impl EventKind {
    const ALL: [EventKind; 20] = [
        EventKind::Submitted,
        EventKind::Accepted,
        EventKind::Assigned,
        EventKind::Started,
        EventKind::Resolved,
        EventKind::Rejected,
        EventKind::Transferred,
        EventKind::Comment,
        EventKind::Message,
        EventKind::Withdrawn,
        EventKind::PhotosAdded,
        EventKind::Reopened,
        EventKind::Rated,
        EventKind::Closed,
        EventKind::Escalated,
        EventKind::Question,
        EventKind::Answered,
        EventKind::Extended,
        EventKind::ReviewRequested,
        EventKind::Reviewed,
    ];
    const NAMES: [&'static str; 20] = [
        "submitted",
        "accepted",
        "assigned",
        "started",
        "resolved",
        "rejected",
        "transferred",
        "comment",
        "message",
        "withdrawn",
        "photos_added",
        "reopened",
        "rated",
        "closed",
        "escalated",
        "question",
        "answered",
        "extended",
        "review_requested",
        "reviewed",
    ];

    pub fn as_str(self) -> &'static str {
        Self::NAMES[Self::ALL.iter().position(|k| *k == self).unwrap_or(0)]
    }

    /// Not public, yet the reporter sees it and is told of it: what passes between the office and them.
    pub fn between_office_and_reporter(self) -> bool {
        matches!(self, EventKind::Message | EventKind::Question | EventKind::Answered)
    }

    /// The kind of a stored event; the database holds only kinds this code wrote.
    pub fn from_stored(raw: &str) -> Result<Self, AppError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| AppError::Internal(format!("unknown event kind {raw:?} in report_events")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_kinds_match_one_to_one_and_serialize_alike() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::from_stored(kind.as_str()).unwrap(), kind);
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        assert!(EventKind::from_stored("liked").is_err());
    }
}
