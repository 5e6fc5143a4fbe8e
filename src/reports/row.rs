//! A row of the `reports` table, and what it tells by itself.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::ReportStatus;
use crate::db::schema::reports;
use crate::error::AppError;
use crate::routing::Position;
use crate::values::{OrganizationId, ReportId, UserId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = reports)]
// `None` goes in as NULL rather than DEFAULT: the statement is then the same for every row, and is
// prepared once per connection instead of for each filing.
#[diesel(treat_none_as_default_value = false)]
pub struct ReportRow {
    pub id: ReportId,
    pub reporter_id: UserId,
    pub category_code: String,
    pub description: String,
    pub address_text: Option<String>,
    pub search_text: String,
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: Option<f64>,
    pub cell: i64,
    pub unit_code: String,
    pub unit_approximate: bool,
    pub status: String,
    pub is_public: bool,
    pub is_anonymous: bool,
    pub urgent: bool,
    pub supporters: i32,
    pub captured_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub due_at: Option<NaiveDateTime>,
    pub organization_id: Option<OrganizationId>,
    pub assignee_id: Option<UserId>,
    pub resolved_at: Option<NaiveDateTime>,
    pub rating_score: Option<i32>,
    pub rating_comment: Option<String>,
    pub rated_at: Option<NaiveDateTime>,
    pub escalated_at: Option<NaiveDateTime>,
    /// When the office is to be reminded of the deadline; cleared once it has been.
    pub remind_at: Option<NaiveDateTime>,
    /// When the report closes by itself: resolved and not reopened, or waiting for an answer.
    pub closes_at: Option<NaiveDateTime>,
    pub resolved_on_time: Option<bool>,
    /// A rating of 1–2 put it in the IOC's review queue; cleared once reviewed.
    pub review_requested_at: Option<NaiveDateTime>,
}

impl ReportRow {
    pub fn status(&self) -> Result<ReportStatus, AppError> {
        ReportStatus::from_stored(&self.status)
    }

    pub fn visible_to(&self, viewer: Option<&UserId>) -> bool {
        let mine = viewer == Some(&self.reporter_id);
        mine || (self.is_public && self.status != ReportStatus::Withdrawn.as_str())
    }

    pub(super) fn distance_m(&self, from: Position) -> f64 {
        from.distance_km(self.lat, self.lon) * 1000.0
    }
}
