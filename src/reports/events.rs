//! A report's timeline: the events written as it changes, who is told of them, and what the public and
//! the reporter see of it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{ReportEvent, ReportStatus};
use crate::db::schema::{admin_units, report_events, reports};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::notify::notifier::{self, Notifier};
use crate::notify::templates;
use crate::values::{EventId, OrganizationId, RejectReason, ReportId, UserId};

/// An event in a report's history. Public ones are shown on the report and told to its followers.
#[derive(Debug, Clone, Copy)]
pub struct NewEvent<'a> {
    pub report_id: &'a ReportId,
    pub actor_id: Option<&'a UserId>,
    pub kind: &'a str,
    pub from: Option<ReportStatus>,
    pub to: Option<ReportStatus>,
    /// The free text; a rejection's reason is kept typed beside it and written before it.
    pub note: Option<&'a str>,
    pub rejection: Option<Rejection<'a>>,
    pub is_public: bool,
    pub at: NaiveDateTime,
}

/// Why a report was rejected: stored as the event's note `reason[: original][; note]`, and told in words
/// in notifications.
#[derive(Debug, Clone, Copy)]
pub struct Rejection<'a> {
    pub reason: RejectReason,
    /// The report it repeats, for [`RejectReason::Duplicate`].
    pub duplicate_of: Option<&'a ReportId>,
}

impl NewEvent<'_> {
    /// The note as stored and shown on the timeline.
    fn stored_note(&self) -> Option<String> {
        let Some(rejection) = self.rejection else { return self.note.map(str::to_string) };
        let mut why = rejection.reason.as_str().to_string();
        if let Some(original) = rejection.duplicate_of {
            why += &format!(": {original}");
        }
        Some(self.note.map_or(why.clone(), |note| format!("{why}; {note}")))
    }
}

impl<'a> NewEvent<'a> {
    /// A public event with no actor, status change or note: fill in the rest with `..`.
    pub fn public(report_id: &'a ReportId, kind: &'a str, at: NaiveDateTime) -> Self {
        NewEvent {
            report_id,
            actor_id: None,
            kind,
            from: None,
            to: None,
            note: None,
            rejection: None,
            is_public: true,
            at,
        }
    }

    pub fn status_change(
        report_id: &'a ReportId,
        kind: &'a str,
        from: ReportStatus,
        to: ReportStatus,
        at: NaiveDateTime,
    ) -> Self {
        NewEvent { from: Some(from), to: Some(to), ..Self::public(report_id, kind, at) }
    }
}

/// An urgent report is told to the officials of its office as soon as it reaches them, not at the
/// next look at the inbox.
pub fn tell_office_of_urgent(
    conn: &mut DbConnection,
    notifier: &Notifier,
    report_id: &ReportId,
    organization_id: &OrganizationId,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let officials = notifier::officials(conn, std::slice::from_ref(organization_id))?;
    let (description, address, unit): (String, Option<String>, String) = reports::table
        .inner_join(admin_units::table.on(admin_units::code.eq(reports::unit_code)))
        .filter(reports::id.eq(report_id))
        .select((reports::description, reports::address_text, admin_units::name))
        .first(conn)?;
    let place = address.map_or(unit.clone(), |address| format!("{address}, {unit}"));
    let excerpt = excerpt(&description);
    notifier.send(conn, &officials, now, |locale| {
        notifier.about_report("urgent_report", report_id, templates::urgent_report(locale, &excerpt, &place), true)
    })
}

/// How a report is named in notifications: the start of its description.
fn excerpt(description: &str) -> String {
    const CHARS: usize = 80;
    let mut excerpt: String = description.chars().take(CHARS).collect();
    if description.chars().count() > CHARS {
        excerpt.push('…');
    }
    excerpt
}

/// The kind of an officials' message to the reporter: not public, yet shown to (and notified to) the
/// reporter.
pub const MESSAGE: &str = "message";

/// Records `event`; a public one notifies the report's reporter and supporters (but not its actor), a
/// message its reporter. Returns the event's id.
pub fn record_event(conn: &mut DbConnection, notifier: &Notifier, event: NewEvent) -> Result<EventId, AppError> {
    let id = EventId::new();
    let note = event.stored_note();
    diesel::insert_into(report_events::table)
        .values((
            report_events::id.eq(&id),
            report_events::report_id.eq(event.report_id),
            report_events::actor_id.eq(event.actor_id),
            report_events::kind.eq(event.kind),
            report_events::from_status.eq(event.from.map(ReportStatus::as_str)),
            report_events::to_status.eq(event.to.map(ReportStatus::as_str)),
            report_events::note.eq(&note),
            report_events::is_public.eq(event.is_public),
            report_events::created_at.eq(event.at),
        ))
        .execute(conn)?;
    if event.is_public || event.kind == MESSAGE {
        let followers = notifier::followers(conn, event.report_id, event.actor_id, event.is_public)?;
        if !followers.is_empty() {
            let description: String = reports::table.find(event.report_id).select(reports::description).first(conn)?;
            let excerpt = excerpt(&description);
            notifier.send(conn, &followers, event.at, |locale| {
                let news = templates::ReportNews {
                    kind: event.kind,
                    excerpt: &excerpt,
                    note: event.note,
                    reject_reason: event.rejection.map(|r| r.reason),
                    reopen_days: super::REOPEN_DAYS,
                };
                let text = templates::report_news(locale, &news);
                notifier.about_report(event.kind, event.report_id, text, false)
            })?;
        }
    }
    Ok(id)
}

/// The public events of a report, and for its reporter (`for_reporter`) also the officials' messages.
pub fn public_timeline(
    conn: &mut DbConnection,
    report_id: &ReportId,
    for_reporter: bool,
) -> Result<Vec<ReportEvent>, AppError> {
    let shown = if for_reporter { vec![MESSAGE] } else { vec![] };
    let events: Vec<(String, Option<String>, Option<String>, Option<String>, NaiveDateTime)> = report_events::table
        .filter(report_events::report_id.eq(report_id))
        .filter(report_events::is_public.eq(true).or(report_events::kind.eq_any(shown)))
        .order(report_events::id.asc())
        .select((
            report_events::kind,
            report_events::from_status,
            report_events::to_status,
            report_events::note,
            report_events::created_at,
        ))
        .load(conn)?;
    let status = |s: Option<String>| s.and_then(|s| ReportStatus::parse(&s, "status").ok());
    Ok(events
        .into_iter()
        .map(|(kind, from, to, note, at)| ReportEvent {
            kind,
            from_status: status(from),
            to_status: status(to),
            note,
            at: at.and_utc(),
        })
        .collect())
}
