//! Open311's service requests are our public reports, read the way the public API reads them (private
//! and withdrawn reports never appear, nor anything of who filed them): `GET requests` and
//! `GET requests/{id}`.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDateTime, SecondsFormat, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::xml::{Element, ToXml};
use super::Open311Error;
use crate::db::schema::{categories, report_events, reports};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::reports::row::ReportRow;
use crate::reports::source::sources_of;
use crate::reports::views::views;
use crate::reports::ReportStatus;

/// The window of a search without dates, and the longest one may ask for.
pub const WINDOW_DAYS: i64 = 90;
/// The most requests one answer holds, newest first.
pub const MOST_REQUESTS: i64 = 1000;

/// One service request: a public report as Open311 names its fields.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ServiceRequest {
    pub service_request_id: String,
    /// `open` while an office is on it (or it waits for the reporter), `closed` once resolved, closed or
    /// rejected.
    pub status: String,
    /// An extension: the report's own status (`submitted`, `accepted`, `in_progress`,
    /// `waiting_for_citizen`, `resolved`, `closed`, `rejected`).
    pub detailed_status: String,
    /// The latest public note on the report.
    pub status_notes: Option<String>,
    pub service_name: Option<String>,
    pub service_code: String,
    pub description: Option<String>,
    /// The office handling it.
    pub agency_responsible: Option<String>,
    pub service_notice: Option<String>,
    pub requested_datetime: String,
    pub updated_datetime: Option<String>,
    /// The current step's deadline.
    pub expected_datetime: Option<String>,
    pub address: Option<String>,
    pub address_id: Option<String>,
    pub zipcode: Option<String>,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    /// The report's first photo, or the photo the application that filed it linked to.
    pub media_url: Option<String>,
}

fn w3c(moment: DateTime<Utc>) -> String {
    moment.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl ToXml for ServiceRequest {
    fn to_xml(&self) -> Element {
        let optional = |name: &'static str, value: &Option<String>| Element::text(name, value.as_deref().unwrap_or(""));
        let number = |name: &'static str, value: Option<f64>| {
            Element::text(name, value.map(|v| v.to_string()).unwrap_or_default())
        };
        Element::new("request")
            .child(Element::text("service_request_id", &self.service_request_id))
            .child(Element::text("status", &self.status))
            .child(Element::text("detailed_status", &self.detailed_status))
            .child(optional("status_notes", &self.status_notes))
            .child(optional("service_name", &self.service_name))
            .child(Element::text("service_code", &self.service_code))
            .child(optional("description", &self.description))
            .child(optional("agency_responsible", &self.agency_responsible))
            .child(optional("service_notice", &self.service_notice))
            .child(Element::text("requested_datetime", &self.requested_datetime))
            .child(optional("updated_datetime", &self.updated_datetime))
            .child(optional("expected_datetime", &self.expected_datetime))
            .child(optional("address", &self.address))
            .child(optional("address_id", &self.address_id))
            .child(optional("zipcode", &self.zipcode))
            .child(number("lat", self.lat))
            .child(number("long", self.long))
            .child(optional("media_url", &self.media_url))
    }
}

/// Open311's two statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenOrClosed {
    Open,
    Closed,
}

impl OpenOrClosed {
    /// Open while the report waits to be handled (`ReportStatus::is_open`).
    fn of(status: ReportStatus) -> OpenOrClosed {
        if status.is_open() {
            OpenOrClosed::Open
        } else {
            OpenOrClosed::Closed
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            OpenOrClosed::Open => "open",
            OpenOrClosed::Closed => "closed",
        }
    }

    fn statuses(self) -> Vec<&'static str> {
        let open = ReportStatus::open_names();
        match self {
            OpenOrClosed::Open => open,
            OpenOrClosed::Closed => ReportStatus::NAMES.iter().copied().filter(|s| !open.contains(s)).collect(),
        }
    }
}

/// What `GET requests` asks, read from its query parameters (absent and empty alike).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestSearch {
    pub ids: Vec<String>,
    pub service_codes: Vec<String>,
    pub statuses: Vec<OpenOrClosed>,
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
}

fn list_of(raw: Option<&String>) -> Vec<String> {
    raw.map(|r| r.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()).unwrap_or_default()
}

fn datetime(raw: &str, name: &str) -> Result<NaiveDateTime, Open311Error> {
    DateTime::parse_from_rfc3339(raw.trim()).map(|t| t.naive_utc()).map_err(|_| {
        Open311Error::new(400, format!("{name} is not a W3C datetime (e.g. 2026-03-02T08:00:00+07:00): {raw}"))
    })
}

impl RequestSearch {
    /// The search in `params`: 400 for a bad date or status, or dates more than 90 days apart.
    pub fn parse(params: &HashMap<String, String>, now: NaiveDateTime) -> Result<RequestSearch, Open311Error> {
        let given = |name: &str| params.get(name).filter(|v| !v.trim().is_empty());
        let start = given("start_date").map(|raw| datetime(raw, "start_date")).transpose()?;
        let end = given("end_date").map(|raw| datetime(raw, "end_date")).transpose()?;
        let window = Duration::days(WINDOW_DAYS);
        let (from, to) = match (start, end) {
            (Some(from), Some(to)) => (from, to),
            (Some(from), None) => (from, from + window),
            (None, Some(to)) => (to - window, to),
            (None, None) => (now - window, now),
        };
        if to < from || to - from > window {
            return Err(Open311Error::new(400, "start_date and end_date must be in order and at most 90 days apart"));
        }
        let mut statuses = Vec::new();
        for status in list_of(given("status")) {
            statuses.push(match status.as_str() {
                "open" => OpenOrClosed::Open,
                "closed" => OpenOrClosed::Closed,
                other => return Err(Open311Error::new(400, format!("status is open or closed, not {other}"))),
            });
        }
        Ok(RequestSearch {
            ids: list_of(given("service_request_id")),
            service_codes: list_of(given("service_code")),
            statuses,
            from,
            to,
        })
    }
}

/// The public reports `search` finds, newest first, at most 1,000. Ids, when given, override every other
/// parameter (as the specification says).
pub fn search(
    conn: &mut DbConnection,
    search: &RequestSearch,
    public_url: &str,
) -> Result<Vec<ServiceRequest>, AppError> {
    let mut query = reports::table
        .select(ReportRow::as_select())
        .filter(reports::is_public.eq(true))
        .filter(reports::status.ne(ReportStatus::Withdrawn.as_str()))
        .into_boxed();
    if !search.ids.is_empty() {
        let rows = query.filter(reports::id.eq_any(search.ids.clone())).order(reports::id.desc()).load(conn)?;
        return service_requests(conn, &rows, public_url);
    }
    query = query.filter(reports::created_at.ge(search.from)).filter(reports::created_at.le(search.to));
    if !search.service_codes.is_empty() {
        query = query.filter(reports::category_code.eq_any(search.service_codes.clone()));
    }
    if !search.statuses.is_empty() {
        let statuses: Vec<&str> = search.statuses.iter().flat_map(|s| s.statuses()).collect();
        query = query.filter(reports::status.eq_any(statuses));
    }
    let rows = query.order(reports::id.desc()).limit(MOST_REQUESTS).load(conn)?;
    service_requests(conn, &rows, public_url)
}

/// Report `id` as a service request, if it is public.
pub fn find(conn: &mut DbConnection, id: &str, public_url: &str) -> Result<Option<ServiceRequest>, AppError> {
    let row = reports::table
        .find(id)
        .filter(reports::is_public.eq(true))
        .filter(reports::status.ne(ReportStatus::Withdrawn.as_str()))
        .select(ReportRow::as_select())
        .first(conn)
        .optional()?;
    Ok(service_requests(conn, row.as_slice(), public_url)?.pop())
}

/// The rows as Open311 shows them, through the public view of reports (nothing of their reporter).
fn service_requests(
    conn: &mut DbConnection,
    rows: &[ReportRow],
    public_url: &str,
) -> Result<Vec<ServiceRequest>, AppError> {
    let public = views(conn, rows, None, None, public_url)?;
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    // The latest public note of each: the newest first, the first kept.
    let notes: Vec<(String, String)> = report_events::table
        .filter(report_events::report_id.eq_any(&ids))
        .filter(report_events::is_public.eq(true))
        .filter(report_events::note.is_not_null())
        .order(report_events::created_at.desc())
        .select((report_events::report_id, report_events::note.assume_not_null()))
        .load(conn)?;
    let mut latest_note: HashMap<String, String> = HashMap::new();
    for (report, note) in notes {
        latest_note.entry(report).or_insert(note);
    }
    let names: HashMap<String, String> =
        categories::table.select((categories::code, categories::name_vi)).load(conn)?.into_iter().collect();
    let mut linked_photos: HashMap<String, String> =
        sources_of(conn, &ids)?.into_iter().filter_map(|(id, source)| source.media_url.map(|url| (id, url))).collect();
    Ok(public
        .into_iter()
        .map(|report| ServiceRequest {
            service_request_id: report.id.to_string(),
            status: OpenOrClosed::of(report.status).as_str().into(),
            detailed_status: report.status.as_str().into(),
            status_notes: latest_note.remove(report.id.as_str()),
            service_name: names.get(&report.category).cloned(),
            service_code: report.category.clone(),
            description: Some(report.description.chars().take(4000).collect()),
            agency_responsible: report.organization_name.clone(),
            service_notice: None,
            requested_datetime: w3c(report.received_at),
            updated_datetime: Some(w3c(report.updated_at)),
            expected_datetime: report.due_at.map(w3c),
            address: report.address_text.clone(),
            address_id: None,
            zipcode: None,
            lat: Some(report.position.lat),
            long: Some(report.position.lon),
            // Our own photos first, else the one the application linked to.
            media_url: report.media.first().map(|m| m.url.clone()).or_else(|| linked_photos.remove(report.id.as_str())),
        })
        .collect())
}
