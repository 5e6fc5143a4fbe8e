//! The officials' side: the inbox of the reports their organizations handle, and (next) the actions
//! that move a report through its statuses. Every lookup goes through [`Jurisdiction`], so a report
//! outside it is "not found", never "forbidden" (which would tell that it exists).

pub mod actions;
pub mod deadlines;

use std::collections::BTreeMap;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::Entry;
use crate::db::schema::{organization_members, organizations, reports, users};
use crate::db::DbConnection;
use crate::error::{AppError, FieldIssue};
use crate::reports::geo::BoundingBox;
use crate::reports::heatmap::{self, Heatmap};
use crate::reports::row::ReportRow;
use crate::reports::ReportStatus;
use crate::values::{OrganizationId, ReportId, Role, UserId};
use diesel::dsl::count_star;

type Backend = <DbConnection as diesel::Connection>::Backend;

/// What an official may see: reports handled by their organizations, and every report of a province
/// whose IOC they belong to.
#[derive(Debug, Clone, Default)]
pub struct Jurisdiction {
    pub organizations: Vec<OrganizationId>,
    pub ioc_provinces: Vec<String>,
}

impl Jurisdiction {
    /// 403 `forbidden` unless the official is of the IOC of `report`'s province: what only the IOC may do
    /// (learn who filed an anonymous report, review a poorly rated one).
    pub fn ensure_ioc_of(&self, conn: &mut DbConnection, report: &ReportRow) -> Result<(), AppError> {
        let province = crate::units::province_of(conn, &report.unit_code)?;
        if province.is_some_and(|p| self.ioc_provinces.contains(&p)) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

pub fn jurisdiction(conn: &mut DbConnection, user_id: &UserId) -> Result<Jurisdiction, AppError> {
    let memberships: Vec<(OrganizationId, String, String)> = organization_members::table
        .inner_join(organizations::table.on(organizations::id.eq(organization_members::organization_id)))
        .filter(organization_members::user_id.eq(user_id))
        .select((organizations::id, organizations::kind, organizations::province_code))
        .load(conn)?;
    let ioc_provinces = memberships.iter().filter(|(_, kind, _)| kind == "ioc").map(|(_, _, p)| p.clone()).collect();
    Ok(Jurisdiction { organizations: memberships.into_iter().map(|(id, _, _)| id).collect(), ioc_provinces })
}

/// Whose reports an inbox lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignee {
    Me,
    Nobody,
    User(UserId),
}

#[derive(Debug, Clone, Default)]
pub struct InboxFilter {
    pub status: Option<ReportStatus>,
    pub category: Option<String>,
    pub unit: Option<String>,
    /// A province code: its communes' reports.
    pub province: Option<String>,
    pub organization: Option<OrganizationId>,
    pub assignee: Option<Assignee>,
    pub overdue: Option<bool>,
    pub urgent: Option<bool>,
    pub text: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    /// Only reports a rating of 1–2 sent to the IOC's review queue and not yet reviewed.
    pub review_pending: bool,
    pub cursor: Option<String>,
    pub limit: i64,
    /// The moment "overdue" is judged at.
    pub now: NaiveDateTime,
}

/// Limits a boxed query of `reports` (whatever it selects and groups by) to the reports within
/// `jurisdiction` that pass `filter` (the status filter only when `by_status`). A macro, because diesel
/// does not name the type of a boxed query that groups.
macro_rules! within_scope {
    ($query:expr, $jurisdiction:expr, $official:expr, $filter:expr, $by_status:expr) => {{
        use $crate::db::schema::{admin_units, reports};
        use $crate::reports::ReportStatus;
        use $crate::workflow::{Assignee, InboxFilter, Jurisdiction};
        let (jurisdiction, official, filter, by_status): (&Jurisdiction, &$crate::values::UserId, &InboxFilter, bool) =
            ($jurisdiction, $official, $filter, $by_status);
        let query = $query;
        let provinces_units = admin_units::table
            .filter(admin_units::parent_code.eq_any(jurisdiction.ioc_provinces.clone()))
            .select(admin_units::code);
        let query = query.filter(reports::status.ne(ReportStatus::Withdrawn.as_str()));
        let organizations = &jurisdiction.organizations;
        // One office (most officials) is an `=`, and no provinces no OR: either would keep PostgreSQL from
        // reading the office's reports newest first from its index, so it would sort all of them.
        let mut query = match (organizations.as_slice(), jurisdiction.ioc_provinces.is_empty()) {
            ([one], true) => query.filter(reports::organization_id.eq(one.clone())),
            (_, true) => query.filter(reports::organization_id.eq_any(organizations.clone())),
            (_, false) => query.filter(
                reports::organization_id.eq_any(organizations.clone()).or(reports::unit_code.eq_any(provinces_units)),
            ),
        };
        if let (true, Some(status)) = (by_status, filter.status) {
            query = query.filter(reports::status.eq(status.as_str()));
        }
        if let Some(category) = &filter.category {
            query = query.filter(reports::category_code.eq(category.clone()));
        }
        if let Some(unit) = &filter.unit {
            query = query.filter(reports::unit_code.eq(unit.clone()));
        }
        if let Some(province) = &filter.province {
            let communes =
                admin_units::table.filter(admin_units::parent_code.eq(province.clone())).select(admin_units::code);
            query = query.filter(reports::unit_code.eq_any(communes));
        }
        if let Some(organization) = &filter.organization {
            query = query.filter(reports::organization_id.eq(organization.clone()));
        }
        match &filter.assignee {
            Some(Assignee::Me) => query = query.filter(reports::assignee_id.eq(official.clone())),
            Some(Assignee::Nobody) => query = query.filter(reports::assignee_id.is_null()),
            Some(Assignee::User(id)) => query = query.filter(reports::assignee_id.eq(id.clone())),
            None => {}
        }
        let open = ReportStatus::running_names();
        let now = filter.now;
        match filter.overdue {
            Some(true) => query = query.filter(reports::due_at.lt(now)).filter(reports::status.eq_any(open)),
            Some(false) => {
                query =
                    query.filter(reports::due_at.is_null().or(reports::due_at.ge(now)).or(reports::status.ne_all(open)))
            }
            None => {}
        }
        if filter.review_pending {
            query = query.filter(reports::review_requested_at.is_not_null());
        }
        if let Some(urgent) = filter.urgent {
            query = query.filter(reports::urgent.eq(urgent));
        }
        if let Some(text) = &filter.text {
            query = query.filter(crate::reports::queries::containing_text(text));
        }
        if let Some(from) = filter.from {
            query = query.filter(reports::created_at.ge(from));
        }
        if let Some(to) = filter.to {
            query = query.filter(reports::created_at.lt(to));
        }
        query
    }};
}
pub(crate) use within_scope;

/// The reports within `jurisdiction` that pass `filter` (the status filter only when `by_status`).
fn scoped(
    jurisdiction: &Jurisdiction,
    official: &UserId,
    filter: &InboxFilter,
    by_status: bool,
) -> reports::BoxedQuery<'static, Backend> {
    within_scope!(reports::table.into_boxed(), jurisdiction, official, filter, by_status)
}

/// One page of the inbox, newest first (`limit + 1` rows), and the count per status for the tabs.
pub fn inbox(
    conn: &mut DbConnection,
    jurisdiction: &Jurisdiction,
    official: &UserId,
    filter: &InboxFilter,
) -> Result<(Vec<ReportRow>, BTreeMap<String, i64>), AppError> {
    let mut page = scoped(jurisdiction, official, filter, true);
    if let Some(before) = &filter.cursor {
        page = page.filter(reports::id.lt(before.clone()));
    }
    let rows = page.select(ReportRow::as_select()).order(reports::id.desc()).limit(filter.limit + 1).load(conn)?;
    let per_status = reports::table.group_by(reports::status).select((reports::status, count_star())).into_boxed();
    let found: Vec<(String, i64)> = within_scope!(per_status, jurisdiction, official, filter, false).load(conn)?;
    let mut counts: BTreeMap<String, i64> = ReportStatus::NAMES
        .iter()
        .filter(|s| **s != ReportStatus::Withdrawn.as_str())
        .map(|status| (status.to_string(), 0))
        .collect();
    counts.extend(found);
    Ok((rows, counts))
}

/// The reports within `jurisdiction` that pass `filter` and lie in `area`, per square at `zoom`: counted
/// per grid cell by the database, the cells gathered into squares here.
pub fn heatmap(
    conn: &mut DbConnection,
    jurisdiction: &Jurisdiction,
    official: &UserId,
    filter: &InboxFilter,
    area: &BoundingBox,
    zoom: u8,
) -> Result<Heatmap, AppError> {
    let per_cell = || {
        let query = reports::table.group_by(reports::cell).select((reports::cell, count_star())).into_boxed();
        within_scope!(query, jurisdiction, official, filter, true)
            .filter(reports::lat.between(area.min_lat, area.max_lat))
            .filter(reports::lon.between(area.min_lon, area.max_lon))
    };
    let all: Vec<(i64, i64)> = per_cell().load(conn)?;
    let overdue: Vec<(i64, i64)> = per_cell()
        .filter(reports::status.eq_any(ReportStatus::running_names()))
        .filter(reports::due_at.lt(filter.now))
        .load(conn)?;
    Ok(heatmap::aggregate(&all, &overdue, zoom))
}

/// A report within the official's jurisdiction, or "not found".
pub fn find_in(
    conn: &mut DbConnection,
    jurisdiction: &Jurisdiction,
    official: &UserId,
    id: &ReportId,
) -> Result<ReportRow, AppError> {
    scoped(jurisdiction, official, &InboxFilter::default(), false)
        .filter(reports::id.eq(id.clone()))
        .select(ReportRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::ReportNotFound)
}

/// How to reach the reporter; officials see it, and each look is written to the audit log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReporterContact {
    pub full_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// The third-party application (Open311) that filed the report; the name, phone and email are then
    /// what it gave for the person, unless they match a citizen's account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application: Option<String>,
}

/// The reporter's contact for the officials handling the report, recording the look in the audit log.
/// An anonymous reporter stays anonymous to them: `None`, and nothing was looked at. Only the province's
/// IOC can see who filed an anonymous report, with a reason ([`reveal_anonymous_reporter`]).
pub fn reporter_contact(
    conn: &mut DbConnection,
    report: &ReportRow,
    official: &UserId,
) -> Result<Option<ReporterContact>, AppError> {
    if report.is_anonymous {
        return Ok(None);
    }
    audited_contact(conn, report, official, "view_reporter_contact", None)
}

/// Who filed report `id`, for a member of the IOC of the report's province, who states `reason`; the look
/// and its reason go to the audit log. Other officials get 403 `forbidden`; a report outside the
/// jurisdiction is "not found"; a reporter who deleted their account, `user_not_found`.
pub fn reveal_anonymous_reporter(
    conn: &mut DbConnection,
    jurisdiction: &Jurisdiction,
    official: &UserId,
    id: &ReportId,
    reason: &RevealReason,
) -> Result<ReporterContact, AppError> {
    let report = find_in(conn, jurisdiction, official, id)?;
    jurisdiction.ensure_ioc_of(conn, &report)?;
    audited_contact(conn, &report, official, "reveal_reporter", Some(reason.as_str()))?.ok_or(AppError::UserNotFound)
}

/// Why an IOC member needs to know who filed an anonymous report: 10 to 500 characters, kept in the audit log.
#[derive(Debug, Clone)]
pub struct RevealReason(String);

impl RevealReason {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_CHARS: usize = 500;

    pub fn parse(raw: &str, field: &str) -> Result<Self, AppError> {
        let reason = raw.trim();
        match reason.chars().count() {
            n if n < Self::MIN_CHARS => Err(AppError::invalid(field, FieldIssue::TooShort { min: Self::MIN_CHARS })),
            n if n > Self::MAX_CHARS => Err(AppError::invalid(field, FieldIssue::TooLong { max: Self::MAX_CHARS })),
            _ => Ok(RevealReason(reason.to_string())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn audited_contact(
    conn: &mut DbConnection,
    report: &ReportRow,
    official: &UserId,
    action: &str,
    reason: Option<&str>,
) -> Result<Option<ReporterContact>, AppError> {
    crate::db::transaction(conn, |conn| {
        let account: Option<(String, Option<String>, Option<String>, String)> = users::table
            .find(&report.reporter_id)
            .filter(users::deleted_at.is_null())
            .select((users::full_name, users::phone, users::email, users::role))
            .first(conn)
            .optional()?;
        let source = crate::reports::source::source_of(conn, &report.id)?;
        let subject = ("report", report.id.as_str());
        crate::audit::record(conn, Entry { actor: official, action, subject, reason, at: Utc::now().naive_utc() })?;
        let Some((full_name, phone, email, role)) = account else { return Ok(None) };
        let Some((source, application)) = source else {
            return Ok(Some(ReporterContact { full_name, phone, email, application: None }));
        };
        // Filed under the application's own account: the person is who the application says.
        Ok(Some(if Role::from_stored(&role)? == Role::Application {
            let full_name = source.full_name().unwrap_or(full_name);
            ReporterContact { full_name, phone: source.phone, email: source.email, application }
        } else {
            ReporterContact { full_name, phone, email, application }
        }))
    })
}
