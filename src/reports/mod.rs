//! Feedback reports ("phản ánh hiện trường"): a citizen's description of a problem at a place, its
//! status, its timeline, and the neighbours who support it.

pub mod actions;
pub mod deadlines;
pub mod events;
pub mod filing;
pub mod geo;
pub mod heatmap;
pub mod lifecycle;
pub mod queries;
pub mod row;
pub mod source;
pub mod views;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{AppError, FieldErrors, FieldIssue};
use crate::routing::Position;
use crate::units::LatLon;
use crate::values::{MediaId, OrganizationId, ReportId, UserId};

/// A resolved report may be reopened for this many working days; then it closes by itself.
pub const REOPEN_DAYS: u32 = 7;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    Submitted,
    Accepted,
    InProgress,
    /// The office asked the reporter a question; its clock is stopped until the answer.
    WaitingForCitizen,
    Resolved,
    Closed,
    Rejected,
    /// Taken back by the reporter while still `submitted`.
    Withdrawn,
}

impl ReportStatus {
    const ALL: [ReportStatus; 8] = [
        ReportStatus::Submitted,
        ReportStatus::Accepted,
        ReportStatus::InProgress,
        ReportStatus::WaitingForCitizen,
        ReportStatus::Resolved,
        ReportStatus::Closed,
        ReportStatus::Rejected,
        ReportStatus::Withdrawn,
    ];
    pub const NAMES: &'static [&'static str] =
        &["submitted", "accepted", "in_progress", "waiting_for_citizen", "resolved", "closed", "rejected", "withdrawn"];

    pub fn as_str(self) -> &'static str {
        Self::NAMES[Self::ALL.iter().position(|s| *s == self).unwrap_or(0)]
    }

    pub fn parse(raw: &str, field: &str) -> Result<Self, AppError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| AppError::invalid(field, FieldIssue::OneOf(Self::NAMES)))
    }

    /// A status read from the database, which holds only statuses this code wrote.
    pub fn from_stored(raw: &str) -> Result<Self, AppError> {
        Self::parse(raw, "status").map_err(|_| AppError::Internal(format!("unknown status {raw:?}")))
    }

    /// Still waiting to be handled: what a neighbour may support instead of filing again.
    pub fn is_open(self) -> bool {
        self.clock_runs() || self == ReportStatus::WaitingForCitizen
    }

    /// The office's deadline runs: it can be overdue, reminded and escalated (not while it waits for the
    /// reporter's answer).
    pub fn clock_runs(self) -> bool {
        matches!(self, ReportStatus::Submitted | ReportStatus::Accepted | ReportStatus::InProgress)
    }

    /// The names of the open statuses, for queries.
    pub fn open_names() -> Vec<&'static str> {
        Self::ALL.iter().filter(|s| s.is_open()).map(|s| s.as_str()).collect()
    }

    /// The names of the statuses whose deadline runs, for queries.
    pub fn running_names() -> Vec<&'static str> {
        Self::ALL.iter().filter(|s| s.clock_runs()).map(|s| s.as_str()).collect()
    }
}

/// Where the phone was, and how sure it was.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportPosition {
    #[schema(example = 11.9404)]
    pub lat: f64,
    #[schema(example = 108.4583)]
    pub lon: f64,
    /// The phone's estimate of its GPS error, in metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_m: Option<f64>,
}

pub const DESCRIPTION_CHARS: std::ops::RangeInclusive<usize> = 5..=2000;
pub const ADDRESS_CHARS: usize = 300;
pub const MAX_MEDIA: usize = 5;
/// The largest GPS error believed, in metres.
pub const MAX_ACCURACY_M: f64 = 10_000.0;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReportRequest {
    /// A category `code` from `GET /api/v1/categories`.
    #[schema(example = "street_lighting")]
    pub category: String,
    /// 5 to 2000 characters.
    #[schema(example = "Đèn đường trước nhà số 12 bị hỏng ba hôm nay.")]
    pub description: String,
    pub position: ReportPosition,
    /// What the citizen calls the place, up to 300 characters.
    #[serde(default)]
    pub address_text: Option<String>,
    /// Up to 5 photos uploaded first, the caller's own and not yet used.
    #[serde(default)]
    #[schema(value_type = Vec<String>, format = Uuid)]
    pub media_ids: Vec<MediaId>,
    /// When the phone captured the report (it may be sent much later over a weak network).
    #[serde(default)]
    pub captured_at: Option<DateTime<Utc>>,
    /// Shown to everyone (default); a private report is seen only by its reporter and the officials.
    #[serde(default)]
    pub is_public: Option<bool>,
    /// The reporter's name is never shown to the public.
    #[serde(default)]
    pub is_anonymous: Option<bool>,
    /// Only for categories that allow it.
    #[serde(default)]
    pub urgent: Option<bool>,
}

/// A report that passed every rule that needs no database.
#[derive(Debug, Clone)]
pub struct NewReport {
    pub category: String,
    pub description: String,
    pub position: Position,
    pub accuracy_m: Option<f64>,
    pub address_text: Option<String>,
    pub media_ids: Vec<MediaId>,
    pub captured_at: Option<NaiveDateTime>,
    pub is_public: bool,
    pub is_anonymous: bool,
    pub urgent: bool,
    /// Where it came from, when not from our app (recorded with it).
    pub source: Option<source::ReportSource>,
}

/// Phones' clocks drift; a capture time this far ahead of ours is still believed.
const CLOCK_SKEW_SECS: i64 = 300;

impl NewReportRequest {
    pub fn parse(&self) -> Result<NewReport, AppError> {
        let mut errors = FieldErrors::default();
        let description = self.description.trim().to_string();
        let chars = description.chars().count();
        if chars < *DESCRIPTION_CHARS.start() {
            errors.add("description", FieldIssue::TooShort { min: *DESCRIPTION_CHARS.start() });
        } else if chars > *DESCRIPTION_CHARS.end() {
            errors.add("description", FieldIssue::TooLong { max: *DESCRIPTION_CHARS.end() });
        }
        let position =
            errors.check(Position::parse(LatLon { lat: self.position.lat, lon: self.position.lon }, "position"));
        if position.is_some_and(|p| p.lat() == 0.0 && p.lon() == 0.0) {
            errors.add("position", FieldIssue::NullIsland);
        }
        let accuracy_m = self.position.accuracy_m;
        if accuracy_m.is_some_and(|a| !(0.0..=MAX_ACCURACY_M).contains(&a)) {
            errors.add("position.accuracy_m", FieldIssue::OutOfRange { min: 0.0, max: MAX_ACCURACY_M });
        }
        let address_text = self.address_text.as_deref().map(str::trim).filter(|a| !a.is_empty()).map(str::to_string);
        if address_text.as_ref().is_some_and(|a| a.chars().count() > ADDRESS_CHARS) {
            errors.add("address_text", FieldIssue::TooLong { max: ADDRESS_CHARS });
        }
        if self.media_ids.len() > MAX_MEDIA {
            errors.add("media_ids", FieldIssue::TooMany { max: MAX_MEDIA });
        }
        if self.captured_at.is_some_and(|t| (t - Utc::now()).num_seconds() > CLOCK_SKEW_SECS) {
            errors.add("captured_at", FieldIssue::InTheFuture);
        }
        errors.finish()?;
        let position = position.ok_or_else(|| AppError::Internal("position parsed without value".into()))?;
        Ok(NewReport {
            category: self.category.trim().to_string(),
            description,
            position,
            accuracy_m,
            address_text,
            media_ids: self.media_ids.clone(),
            captured_at: self.captured_at.map(|t| t.naive_utc()),
            is_public: self.is_public.unwrap_or(true),
            is_anonymous: self.is_anonymous.unwrap_or(false),
            urgent: self.urgent.unwrap_or(false),
            source: None,
        })
    }
}

/// Who filed a report, as the public may see it: a name, never a phone or email; nothing when anonymous.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Reporter {
    pub display_name: String,
}

/// A report as the app shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report {
    #[schema(value_type = String, format = Uuid)]
    pub id: ReportId,
    pub status: ReportStatus,
    /// The category's `code`.
    pub category: String,
    pub description: String,
    pub position: ReportPosition,
    pub address_text: Option<String>,
    /// The commune-level unit the position lies in.
    pub unit_code: String,
    /// True while the unit was found by nearest centroid rather than by boundary.
    pub unit_approximate: bool,
    /// The reporter's photos.
    pub media: Vec<crate::media::Media>,
    /// Photos of the result, attached by the officials who resolved the report.
    pub result_media: Vec<crate::media::Media>,
    pub is_public: bool,
    pub is_anonymous: bool,
    pub urgent: bool,
    /// Absent when anonymous (and for reports of deleted accounts).
    pub reporter: Option<Reporter>,
    pub supporters: i32,
    /// When the viewer is the reporter.
    pub is_mine: bool,
    /// Whether the viewer supports it.
    pub supported_by_me: bool,
    pub captured_at: Option<DateTime<Utc>>,
    /// When the server received it.
    pub received_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub due_at: Option<DateTime<Utc>>,
    /// The organization handling the report.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub organization_id: Option<OrganizationId>,
    /// Its name, e.g. "UBND Phường Lâm Viên - Đà Lạt".
    pub organization_name: Option<String>,
    /// The official it is assigned to: in officials' views only (the public sees the organization's name).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub assignee_id: Option<UserId>,
    /// When its current step missed its deadline and escalated to the province IOC.
    pub escalated_at: Option<DateTime<Utc>>,
    /// When it was last resolved; the reporter may reopen it for 7 working days.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Whether it was last resolved before its deadline.
    pub resolved_on_time: Option<bool>,
    /// When it closes by itself: resolved and not reopened, or waiting for an answer that does not come.
    pub closes_at: Option<DateTime<Utc>>,
    /// Since when it is in the IOC's review queue (a rating of 1 or 2 not yet reviewed).
    pub review_requested_at: Option<DateTime<Utc>>,
    /// The reporter's rating of the handling (given once, on a resolved report, which closes it).
    pub rating: Option<Rating>,
    /// Distance from `near`, in metres, when the list was asked for by distance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Rating {
    /// 1 (bad) to 5 (good).
    pub score: i32,
    pub comment: Option<String>,
    pub rated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportDetail {
    #[serde(flatten)]
    pub report: Report,
    /// The current step's deadline, in UTC and local time, with the working time left.
    pub deadline: Option<deadlines::Deadline>,
    pub timeline: Vec<events::ReportEvent>,
}
