//! Where a report came from. Reports filed in our app have no record here (their channel is `app`);
//! a third-party application's (Open311) keeps its API key and the contact it gave for the person.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::schema::{api_keys, report_sources};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::values::{ApiKeyId, ReportId};

/// The channel of a report filed in our own app.
pub const APP_CHANNEL: &str = "app";
/// The channel of a report a third-party application filed through Open311.
pub const OPEN311_CHANNEL: &str = "open311";

/// A report's source other than our app, as the application gave it.
#[derive(Debug, Clone, Default, PartialEq, Insertable, Queryable, Selectable)]
#[diesel(table_name = report_sources)]
pub struct ReportSource {
    pub channel: String,
    pub api_key_id: Option<ApiKeyId>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub device_id: Option<String>,
    /// The person's account in the application (not ours).
    pub account_id: Option<String>,
    /// A photo the application links to (we do not fetch it).
    pub media_url: Option<String>,
}

impl ReportSource {
    /// The name the application gave for the person, if any.
    pub fn full_name(&self) -> Option<String> {
        let parts: Vec<&str> = [&self.first_name, &self.last_name]
            .into_iter()
            .flatten()
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

pub fn record(conn: &mut DbConnection, id: &ReportId, source: &ReportSource) -> Result<(), AppError> {
    diesel::insert_into(report_sources::table).values((report_sources::report_id.eq(id), source)).execute(conn)?;
    Ok(())
}

/// Report `id`'s source and the name of the application that filed it, if it came from one.
pub fn source_of(conn: &mut DbConnection, id: &ReportId) -> Result<Option<(ReportSource, Option<String>)>, AppError> {
    Ok(report_sources::table
        .find(id)
        .left_join(api_keys::table)
        .select((ReportSource::as_select(), api_keys::name.nullable()))
        .first(conn)
        .optional()?)
}

/// The sources of those of `ids` that have one.
pub fn sources_of(conn: &mut DbConnection, ids: &[&str]) -> Result<HashMap<String, ReportSource>, AppError> {
    let sources: Vec<(String, ReportSource)> = report_sources::table
        .filter(report_sources::report_id.eq_any(ids))
        .select((report_sources::report_id, ReportSource::as_select()))
        .load(conn)?;
    Ok(sources.into_iter().collect())
}
