//! A report's timeline: the events written as it changes, who is told of them, and what the public and
//! the reporter see of it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::row::ReportRow;
use super::ReportStatus;
use crate::calendar::office_hours::local_month;
use crate::db::schema::{admin_units, report_events, reports, stats_changes};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::notify::notifier::{self, Notifier};
use crate::notify::{fan_out, templates};
use crate::values::{EventId, EventKind, OrganizationId, RejectReason, ReportId, UserId};

/// An event in a report's history. Public ones are shown on the report and told to its followers.
#[derive(Debug, Clone, Copy)]
pub struct NewEvent<'a> {
    /// The report as the caller read it: what an event needs of it (place, month, text) does not change.
    pub report: &'a ReportRow,
    pub actor_id: Option<&'a UserId>,
    pub kind: EventKind,
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
    pub fn public(report: &'a ReportRow, kind: EventKind, at: NaiveDateTime) -> Self {
        NewEvent {
            report,
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

/// Notes, in the transaction changing report `id`, that the IOC's sums of the month it was received in, in
/// its commune, must be computed again (`stats::months`).
fn stats_changed(conn: &mut DbConnection, report: &ReportRow) -> Result<(), AppError> {
    diesel::insert_into(stats_changes::table)
        .values((
            stats_changes::id.eq(uuid::Uuid::now_v7().to_string()),
            stats_changes::month.eq(local_month(report.created_at)),
            stats_changes::unit_code.eq(&report.unit_code),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records `event`; a public one notifies the report's reporter and supporters (but not its actor), a
/// message its reporter. Returns the event's id.
pub fn record_event(conn: &mut DbConnection, notifier: &Notifier, event: NewEvent) -> Result<EventId, AppError> {
    let id = EventId::new();
    let note = event.stored_note();
    diesel::insert_into(report_events::table)
        .values((
            report_events::id.eq(&id),
            report_events::report_id.eq(&event.report.id),
            report_events::actor_id.eq(event.actor_id),
            report_events::kind.eq(event.kind.as_str()),
            report_events::from_status.eq(event.from.map(ReportStatus::as_str)),
            report_events::to_status.eq(event.to.map(ReportStatus::as_str)),
            report_events::note.eq(&note),
            report_events::is_public.eq(event.is_public),
            report_events::created_at.eq(event.at),
        ))
        .execute(conn)?;
    stats_changed(conn, event.report)?;
    // A report's first event has no one to tell: its reporter filed it and no one supports it yet.
    let has_followers = event.kind != EventKind::Submitted;
    // What passes between the office and the reporter is not public, yet told to the reporter.
    if has_followers && (event.is_public || event.kind.between_office_and_reporter()) {
        let (report, actor, with_supporters) = (&event.report.id, event.actor_id, event.is_public);
        let most = notifier.inline_most;
        let followers = notifier::followers(conn, report, actor, with_supporters, None, most.saturating_add(1))?;
        if !followers.is_empty() {
            let excerpt = excerpt(&event.report.description);
            let message = |locale| {
                let news = templates::ReportNews {
                    kind: event.kind,
                    excerpt: &excerpt,
                    note: event.note,
                    reject_reason: event.rejection.map(|r| r.reason),
                    reopen_days: super::REOPEN_DAYS,
                };
                let text = templates::report_news(locale, &news);
                notifier.about_report(event.kind.as_str(), report, text, false)
            };
            // Many followers (a report thousands support) are told after this transaction, by the worker.
            if followers.len() > most {
                fan_out::enqueue(conn, report, actor, with_supporters, event.at, message)?;
            } else {
                notifier.send(conn, &followers, event.at, message)?;
            }
        }
    }
    Ok(id)
}

/// When the latest event of `kind` happened on a report, if ever.
pub fn last_event_at(
    conn: &mut DbConnection,
    report_id: &ReportId,
    kind: EventKind,
) -> Result<Option<NaiveDateTime>, AppError> {
    Ok(report_events::table
        .filter(report_events::report_id.eq(report_id))
        .filter(report_events::kind.eq(kind.as_str()))
        .select(diesel::dsl::max(report_events::created_at))
        .first(conn)?)
}

/// One entry of a report's public timeline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportEvent {
    #[schema(value_type = String, example = "submitted")]
    pub kind: EventKind,
    pub from_status: Option<ReportStatus>,
    pub to_status: Option<ReportStatus>,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

/// A timeline entry as officials see it: internal notes included.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InternalEvent {
    #[schema(value_type = String)]
    pub kind: EventKind,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub actor_id: Option<UserId>,
    #[schema(value_type = Option<String>)]
    pub from_status: Option<ReportStatus>,
    #[schema(value_type = Option<String>)]
    pub to_status: Option<ReportStatus>,
    pub note: Option<String>,
    pub is_public: bool,
    pub at: DateTime<Utc>,
}

/// Who reads a report's timeline, which decides what of it they see.
#[derive(Debug, Clone, Copy)]
enum Audience<'a> {
    /// Anyone: the public events.
    Public,
    /// Its reporter: the public events and what passes between the office and them.
    Reporter,
    /// Officials: every event. The reporter's own events carry no actor id on an anonymous report
    /// (`hidden_actor`): the id would tie it to their other reports.
    Officials { hidden_actor: Option<&'a UserId> },
}

/// A report's timeline as `audience` sees it, oldest first.
fn timeline(conn: &mut DbConnection, report_id: &ReportId, audience: Audience) -> Result<Vec<InternalEvent>, AppError> {
    let mut query = report_events::table.filter(report_events::report_id.eq(report_id)).into_boxed();
    query = match audience {
        Audience::Public => query.filter(report_events::is_public.eq(true)),
        Audience::Reporter => {
            let private = [EventKind::Message, EventKind::Question, EventKind::Answered];
            debug_assert!(private.iter().all(|kind| kind.between_office_and_reporter()));
            let private = private.map(EventKind::as_str);
            query.filter(report_events::is_public.eq(true).or(report_events::kind.eq_any(private)))
        }
        Audience::Officials { .. } => query,
    };
    let hidden = match audience {
        Audience::Officials { hidden_actor } => hidden_actor,
        Audience::Public | Audience::Reporter => None,
    };
    type Row = (String, Option<UserId>, Option<String>, Option<String>, Option<String>, bool, NaiveDateTime);
    let rows: Vec<Row> = query
        .order(report_events::id.asc())
        .select((
            report_events::kind,
            report_events::actor_id,
            report_events::from_status,
            report_events::to_status,
            report_events::note,
            report_events::is_public,
            report_events::created_at,
        ))
        .load(conn)?;
    let status = |s: Option<String>| s.map(|s| ReportStatus::from_stored(&s)).transpose();
    rows.into_iter()
        .map(|(kind, actor_id, from, to, note, is_public, at)| {
            Ok(InternalEvent {
                kind: EventKind::from_stored(&kind)?,
                actor_id: actor_id.filter(|actor| Some(actor) != hidden),
                from_status: status(from)?,
                to_status: status(to)?,
                note,
                is_public,
                at: at.and_utc(),
            })
        })
        .collect()
}

/// The public events of a report, and for its reporter (`for_reporter`) also what passed between the
/// office and them.
pub fn public_timeline(
    conn: &mut DbConnection,
    report_id: &ReportId,
    for_reporter: bool,
) -> Result<Vec<ReportEvent>, AppError> {
    let audience = if for_reporter { Audience::Reporter } else { Audience::Public };
    Ok(timeline(conn, report_id, audience)?
        .into_iter()
        .map(|event| ReportEvent {
            kind: event.kind,
            from_status: event.from_status,
            to_status: event.to_status,
            note: event.note,
            at: event.at,
        })
        .collect())
}

/// Every event of a report, internal notes included, as the officials handling it see them.
pub fn officials_timeline(conn: &mut DbConnection, report: &ReportRow) -> Result<Vec<InternalEvent>, AppError> {
    let hidden_actor = report.is_anonymous.then_some(&report.reporter_id);
    timeline(conn, &report.id, Audience::Officials { hidden_actor })
}
