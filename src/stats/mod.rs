//! The province operations centre's (IOC) figures: how many reports came in over a period of Vietnamese
//! days, how they were handled (on time or not, how fast), how satisfied their reporters were, per day
//! and per unit, organization or category (the scorecard), each official seeing only what their inbox
//! shows. Figures are about the reports *received* in the period, whatever day they were handled.

pub mod adoption;
pub mod months;
pub mod tally;

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use diesel::dsl::count_star;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use self::tally::{Fact, Tally};
use crate::calendar::office_hours::utc;
use crate::config::ServiceArea;
use crate::db::schema::{admin_units, categories, organizations, report_events, report_sources, reports};
use crate::db::DbConnection;
use crate::error::{AppError, FieldIssue};
use crate::reports::source::APP_CHANNEL;
use crate::reports::ReportStatus;
use crate::values::{EventKind, ProvinceCode, Role, UserId};
use crate::workflow::{within_scope, InboxFilter, Jurisdiction};

/// The longest period one answer covers: two years, day by day.
pub const MOST_DAYS: i64 = 731;

/// Vietnamese calendar days (UTC+7), both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    pub fn parse(from: NaiveDate, to: NaiveDate) -> Result<Period, AppError> {
        if to < from {
            return Err(AppError::invalid("to", FieldIssue::InvalidValue("a day on or after `from`".into())));
        }
        if (to - from).num_days() >= MOST_DAYS {
            return Err(AppError::invalid(
                "to",
                FieldIssue::InvalidValue(format!("at most {MOST_DAYS} days after `from`")),
            ));
        }
        Ok(Period { from, to })
    }

    /// The UTC moment the period starts and the one it ends before.
    pub fn bounds(&self) -> (NaiveDateTime, NaiveDateTime) {
        (start_of(self.from), start_of(self.to + Duration::days(1)))
    }

    pub fn days(&self) -> impl Iterator<Item = NaiveDate> {
        let to = self.to;
        self.from.iter_days().take_while(move |day| *day <= to)
    }
}

/// The UTC moment a Vietnamese day begins.
pub fn start_of(day: NaiveDate) -> NaiveDateTime {
    utc(day.and_time(NaiveTime::MIN))
}

/// The first day of `day`'s month.
pub fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).expect("every month has a first day")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::AsRefStr)]
#[strum(serialize_all = "snake_case")]
pub enum GroupBy {
    Unit,
    Organization,
    Category,
}

impl GroupBy {
    pub const NAMES: &'static [&'static str] = &["unit", "organization", "category"];
}

/// What a scorecard is ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::AsRefStr)]
#[strum(serialize_all = "snake_case")]
pub enum SortBy {
    Key,
    Received,
    ResolvedShare,
    OnTimeShare,
    OverdueNow,
    Escalated,
    MedianResolveMinutes,
    MeanRating,
    SatisfiedShare,
}

impl SortBy {
    pub const NAMES: &'static [&'static str] = &[
        "key",
        "received",
        "resolved_share",
        "on_time_share",
        "overdue_now",
        "escalated",
        "median_resolve_minutes",
        "mean_rating",
        "satisfied_share",
    ];
}

/// How long reports took, from receipt, in clock minutes.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Durations {
    /// Reports that reached the step.
    pub count: i64,
    pub median_minutes: Option<i64>,
    pub p90_minutes: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Times {
    /// To the first acceptance.
    pub accept: Durations,
    /// To the first start of work.
    pub start: Durations,
    /// To the (last) resolution.
    pub resolve: Durations,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Handled {
    /// Resolved (now `resolved`, or `closed` after a resolution).
    pub resolved: i64,
    /// Of those received.
    pub resolved_share: Option<f64>,
    /// Resolved before their deadline.
    pub on_time: i64,
    /// Of those resolved.
    pub on_time_share: Option<f64>,
    /// Still with the office and past their deadline, now.
    pub overdue_now: i64,
    /// Whose deadline passed at least once (and went to the IOC).
    pub escalated: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Satisfaction {
    pub rated: i64,
    /// Of those resolved.
    pub rated_share: Option<f64>,
    /// The mean rating, 1 to 5.
    pub mean: Option<f64>,
    /// Rated 4 or 5 ("hài lòng"), of those rated.
    pub satisfied_share: Option<f64>,
    /// Reopened at least once (by the reporter or the IOC's review).
    pub reopened: i64,
    /// Of those resolved.
    pub reopened_share: Option<f64>,
}

/// The figures of one set of reports.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Figures {
    /// Received in the period (withdrawn ones left out).
    pub received: i64,
    /// By current status.
    pub by_status: BTreeMap<String, i64>,
    pub by_category: BTreeMap<String, i64>,
    /// By the way they came: `app` (Open311 and assisted filing will add theirs).
    pub by_channel: BTreeMap<String, i64>,
    pub handled: Handled,
    pub times: Times,
    pub satisfaction: Satisfaction,
}

fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

impl Figures {
    fn of(tally: &Tally, overdue_now: i64) -> Figures {
        let durations = |h: &tally::Histogram| Durations {
            count: h.count(),
            median_minutes: h.percentile(0.5),
            p90_minutes: h.percentile(0.9),
        };
        let mut by_status: BTreeMap<String, i64> = ReportStatus::NAMES
            .iter()
            .filter(|s| **s != ReportStatus::Withdrawn.as_str())
            .map(|s| (s.to_string(), 0))
            .collect();
        for (status, n) in &tally.by_status.0 {
            *by_status.entry(status.clone()).or_default() += n;
        }
        Figures {
            received: tally.received,
            by_status,
            by_category: tally.by_category.to_map(),
            by_channel: tally.by_channel.to_map(),
            handled: Handled {
                resolved: tally.resolved,
                resolved_share: share(tally.resolved, tally.received),
                on_time: tally.on_time,
                on_time_share: share(tally.on_time, tally.resolved),
                overdue_now,
                escalated: tally.escalated,
            },
            times: Times {
                accept: durations(&tally.to_accept),
                start: durations(&tally.to_start),
                resolve: durations(&tally.to_resolve),
            },
            satisfaction: Satisfaction {
                rated: tally.rated,
                rated_share: share(tally.rated, tally.resolved),
                mean: (tally.rated > 0).then(|| tally.rating_sum as f64 / tally.rated as f64),
                satisfied_share: share(tally.satisfied, tally.rated),
                reopened: tally.reopened,
                reopened_share: share(tally.reopened, tally.resolved),
            },
        }
    }

    fn sort_value(&self, by: SortBy) -> Option<f64> {
        match by {
            SortBy::Key => None,
            SortBy::Received => Some(self.received as f64),
            SortBy::ResolvedShare => self.handled.resolved_share,
            SortBy::OnTimeShare => self.handled.on_time_share,
            SortBy::OverdueNow => Some(self.handled.overdue_now as f64),
            SortBy::Escalated => Some(self.handled.escalated as f64),
            SortBy::MedianResolveMinutes => self.times.resolve.median_minutes.map(|m| m as f64),
            SortBy::MeanRating => self.satisfaction.mean,
            SortBy::SatisfiedShare => self.satisfaction.satisfied_share,
        }
    }
}

/// One day of the series.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DayFigures {
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    /// Received that day.
    pub received: i64,
    /// Of the period's reports, resolved that day.
    pub resolved: i64,
    /// Of the period's reports, deadlines that passed that day.
    pub overdue: i64,
}

/// One row of the scorecard.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct GroupFigures {
    /// The unit code, organization id or category code (`""`: reports no organization handles yet).
    pub key: String,
    pub name: String,
    pub figures: Figures,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Stats {
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    /// The moment "overdue now" was judged at.
    #[schema(value_type = String, format = DateTime)]
    pub as_of: chrono::DateTime<chrono::Utc>,
    /// All the reports the filters and the caller's jurisdiction select.
    pub total: Figures,
    /// Every day of the period.
    pub daily: Vec<DayFigures>,
    /// With `group_by`: the scorecard, ordered by `sort`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<GroupFigures>>,
}

/// What to count: the caller's filters (their `from`/`to` are replaced by the period's bounds).
#[derive(Debug, Clone)]
pub struct StatsQuery {
    pub filter: InboxFilter,
    pub period: Period,
    pub group_by: Option<GroupBy>,
    pub sort: SortBy,
    pub descending: bool,
}

/// 403 `forbidden` where a filter names a province, commune or organization outside `jurisdiction`
/// (an official asking for another commune's figures is told so, rather than shown zeros); 422 for one
/// that does not exist.
pub fn ensure_within(
    conn: &mut DbConnection,
    jurisdiction: &Jurisdiction,
    filter: &InboxFilter,
) -> Result<(), AppError> {
    // (kind, province, commune) of each of the official's organizations.
    let own: Vec<(String, String, Option<String>)> = organizations::table
        .filter(organizations::id.eq_any(&jurisdiction.organizations))
        .select((organizations::kind, organizations::province_code, organizations::unit_code))
        .load(conn)?;
    let ioc = |province: &str| jurisdiction.ioc_provinces.iter().any(|p| p == province);
    if let Some(province) = &filter.province {
        if !ioc(province) && !own.iter().any(|(_, p, _)| p == province) {
            return Err(AppError::Forbidden);
        }
    }
    if let Some(unit) = &filter.unit {
        let province: Option<String> = admin_units::table
            .find(unit)
            .filter(admin_units::level.eq(2))
            .select(admin_units::parent_code)
            .first(conn)
            .optional()?
            .flatten();
        let province = province
            .ok_or_else(|| AppError::invalid("unit", FieldIssue::InvalidValue("no such commune-level unit".into())))?;
        // A commune's office sees its commune; a department, its province's.
        let sees = |(_, p, u): &(String, String, Option<String>)| {
            u.as_deref() == Some(unit) || (u.is_none() && *p == province)
        };
        if !ioc(&province) && !own.iter().any(sees) {
            return Err(AppError::Forbidden);
        }
    }
    if let Some(organization) = &filter.organization {
        let province: String = organizations::table
            .find(organization)
            .select(organizations::province_code)
            .first(conn)
            .optional()?
            .ok_or_else(|| {
                AppError::invalid("organization", FieldIssue::InvalidValue("no such organization".into()))
            })?;
        if !ioc(&province) && !jurisdiction.organizations.contains(organization) {
            return Err(AppError::Forbidden);
        }
    }
    if let Some(category) = &filter.category {
        let known: i64 = categories::table.find(category).count().get_result(conn)?;
        if known == 0 {
            return Err(AppError::invalid("category", FieldIssue::UnknownCategory));
        }
    }
    Ok(())
}

/// The figures of `query` for an official with `jurisdiction`, as of `now`.
pub fn stats(
    conn: &mut DbConnection,
    jurisdiction: &Jurisdiction,
    official: &UserId,
    query: &StatsQuery,
    now: NaiveDateTime,
) -> Result<Stats, AppError> {
    let province_wide = province_wide(conn, jurisdiction)?;
    let mut groups = months::tallies(conn, jurisdiction, official, query, province_wide)?;
    let mut total = Tally::default();
    for tally in groups.values() {
        total.merge(tally);
    }
    let overdue = overdue_now(conn, jurisdiction, official, query, now)?;
    let daily = query
        .period
        .days()
        .map(|date| {
            let day = total.daily.on(date);
            DayFigures { date, received: day.received, resolved: day.resolved, overdue: day.overdue }
        })
        .collect();
    let groups = match query.group_by {
        None => None,
        Some(by) => {
            let names = group_names(conn, by, groups.keys().chain(overdue.keys()))?;
            // A group with nothing received in the period but something overdue still shows.
            for key in overdue.keys() {
                groups.entry(key.clone()).or_default();
            }
            let mut rows: Vec<GroupFigures> = groups
                .iter()
                .map(|(key, tally)| GroupFigures {
                    key: key.clone(),
                    name: names.get(key).cloned().unwrap_or_default(),
                    figures: Figures::of(tally, overdue.get(key).copied().unwrap_or(0)),
                })
                .collect();
            sort(&mut rows, query.sort, query.descending);
            Some(rows)
        }
    };
    Ok(Stats {
        from: query.period.from,
        to: query.period.to,
        as_of: now.and_utc(),
        total: Figures::of(&total, overdue.values().sum()),
        daily,
        groups,
    })
}

/// Whether `jurisdiction` is whole provinces: an administrator's, or an official's whose organizations
/// are all IOCs.
fn province_wide(conn: &mut DbConnection, jurisdiction: &Jurisdiction) -> Result<bool, AppError> {
    let others: i64 = organizations::table
        .filter(organizations::id.eq_any(&jurisdiction.organizations))
        .filter(organizations::kind.ne("ioc"))
        .count()
        .get_result(conn)?;
    Ok(others == 0)
}

/// Orders the scorecard: by the figure asked (groups without it last), then by key.
fn sort(rows: &mut [GroupFigures], by: SortBy, descending: bool) {
    rows.sort_by(|a, b| {
        let (x, y) = (a.figures.sort_value(by), b.figures.sort_value(by));
        let by_value = match (x, y) {
            (Some(x), Some(y)) if descending => y.total_cmp(&x),
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        };
        let by_key = if by == SortBy::Key && descending { b.key.cmp(&a.key) } else { a.key.cmp(&b.key) };
        by_value.then(by_key)
    });
}

/// The names of the groups: communes' and organizations' own, categories' in Vietnamese.
fn group_names<'a>(
    conn: &mut DbConnection,
    by: GroupBy,
    keys: impl Iterator<Item = &'a String>,
) -> Result<HashMap<String, String>, AppError> {
    let keys: Vec<&String> = keys.collect();
    let pairs: Vec<(String, String)> = match by {
        GroupBy::Unit => admin_units::table
            .filter(admin_units::code.eq_any(keys))
            .select((admin_units::code, admin_units::name))
            .load(conn)?,
        GroupBy::Organization => organizations::table
            .filter(organizations::id.eq_any(keys))
            .select((organizations::id, organizations::name))
            .load(conn)?,
        GroupBy::Category => categories::table
            .filter(categories::code.eq_any(keys))
            .select((categories::code, categories::name_vi))
            .load(conn)?,
    };
    Ok(pairs.into_iter().collect())
}

/// The reports of the period still with their office and past their deadline at `now`, per group
/// (one group, `""`, without `group_by`): a live count, as it changes by the minute.
fn overdue_now(
    conn: &mut DbConnection,
    jurisdiction: &Jurisdiction,
    official: &UserId,
    query: &StatsQuery,
    now: NaiveDateTime,
) -> Result<BTreeMap<String, i64>, AppError> {
    let filter = query.filter.clone();
    macro_rules! overdue_by {
        ($key:expr) => {{
            let grouped = reports::table.group_by($key).select(($key, count_star())).into_boxed();
            within_scope!(grouped, jurisdiction, official, &filter, true)
                .filter(reports::status.eq_any(ReportStatus::running_names()))
                .filter(reports::due_at.lt(now))
        }};
    }
    let counts: Vec<(String, i64)> = match query.group_by {
        None => {
            let all =
                within_scope!(reports::table.select(count_star()).into_boxed(), jurisdiction, official, &filter, true)
                    .filter(reports::status.eq_any(ReportStatus::running_names()))
                    .filter(reports::due_at.lt(now))
                    .first(conn)?;
            vec![(String::new(), all)]
        }
        Some(GroupBy::Unit) => overdue_by!(reports::unit_code).load(conn)?,
        Some(GroupBy::Category) => overdue_by!(reports::category_code).load(conn)?,
        Some(GroupBy::Organization) => {
            let rows: Vec<(Option<String>, i64)> = overdue_by!(reports::organization_id).load(conn)?;
            rows.into_iter().map(|(org, n)| (org.unwrap_or_default(), n)).collect()
        }
    };
    Ok(counts.into_iter().filter(|(_, n)| *n > 0).collect())
}

/// Each report within `jurisdiction` passing `filter` (received between its `from` and `to`), with what
/// its timeline says of it: read from the reports and their events.
pub fn facts(
    conn: &mut DbConnection,
    jurisdiction: &Jurisdiction,
    official: &UserId,
    filter: &InboxFilter,
) -> Result<Vec<Fact>, AppError> {
    let columns = (
        reports::id,
        reports::created_at,
        reports::unit_code,
        reports::organization_id,
        reports::category_code,
        reports::urgent,
        reports::status,
        reports::resolved_at,
        reports::resolved_on_time,
        reports::rating_score,
        report_sources::channel.nullable(),
    );
    type Row = (
        String,
        NaiveDateTime,
        String,
        Option<String>,
        String,
        bool,
        String,
        Option<NaiveDateTime>,
        Option<bool>,
        Option<i32>,
        Option<String>,
    );
    let sourced = reports::table.left_join(report_sources::table).select(columns).into_boxed();
    let rows: Vec<Row> = within_scope!(sourced, jurisdiction, official, filter, true).load(conn)?;
    let kinds =
        [EventKind::Accepted, EventKind::Started, EventKind::Reopened, EventKind::Escalated].map(EventKind::as_str);
    let events = report_events::table
        .inner_join(reports::table)
        .filter(report_events::kind.eq_any(kinds))
        .select((report_events::report_id, report_events::kind, report_events::created_at))
        .order(report_events::created_at.asc())
        .into_boxed();
    let events: Vec<(String, String, NaiveDateTime)> =
        within_scope!(events, jurisdiction, official, filter, true).load(conn)?;
    let mut facts: HashMap<String, Fact> = HashMap::with_capacity(rows.len());
    let mut order = Vec::with_capacity(rows.len());
    for (
        id,
        received_at,
        unit_code,
        organization_id,
        category,
        urgent,
        status,
        resolved_at,
        on_time,
        rating,
        channel,
    ) in rows
    {
        order.push(id.clone());
        let fact = Fact {
            received_at,
            unit_code,
            organization_id,
            category,
            urgent,
            channel: channel.unwrap_or_else(|| APP_CHANNEL.to_string()),
            status,
            resolved_at,
            resolved_on_time: on_time,
            rating,
            accepted_at: None,
            started_at: None,
            reopened: false,
            escalations: Vec::new(),
        };
        facts.insert(id, fact);
    }
    for (id, kind, at) in events {
        let Some(fact) = facts.get_mut(&id) else { continue };
        match EventKind::from_stored(&kind)? {
            EventKind::Accepted => fact.accepted_at = fact.accepted_at.or(Some(at)),
            EventKind::Started => fact.started_at = fact.started_at.or(Some(at)),
            EventKind::Reopened => fact.reopened = true,
            EventKind::Escalated => fact.escalations.push(at),
            _ => {}
        }
    }
    Ok(order.into_iter().filter_map(|id| facts.remove(&id)).collect())
}

/// What a member of staff may count: an official, what their inbox shows; an administrator, every
/// province the deployment serves (as its IOC would). Anyone else: 403 `forbidden`.
pub fn staff_jurisdiction(
    conn: &mut DbConnection,
    user: &UserId,
    role: Role,
    area: &ServiceArea,
) -> Result<Jurisdiction, AppError> {
    match role {
        Role::Official => crate::workflow::jurisdiction(conn, user),
        Role::Admin => {
            let provinces: Vec<String> =
                admin_units::table.filter(admin_units::level.eq(1)).select(admin_units::code).load(conn)?;
            let served = provinces.into_iter().filter(|p| ProvinceCode::parse(p).is_some_and(|p| area.contains(&p)));
            Ok(Jurisdiction { organizations: Vec::new(), ioc_provinces: served.collect() })
        }
        Role::Citizen | Role::Volunteer | Role::Application => Err(AppError::Forbidden),
    }
}

/// The scorecard (or, without `group_by`, the total) as CSV for a spreadsheet: a row per group, then
/// the total. Starts with a byte-order mark, which spreadsheet programs need to read UTF-8.
pub fn csv(stats: &Stats) -> Result<Vec<u8>, AppError> {
    let mut out = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let internal = |err: csv::Error| AppError::Internal(format!("writing CSV: {err}"));
    out.write_record(CSV_COLUMNS).map_err(internal)?;
    let total = GroupFigures { key: "total".into(), name: "Tổng".into(), figures: stats.total.clone() };
    for row in stats.groups.iter().flatten().chain(std::iter::once(&total)) {
        let f = &row.figures;
        let number = |n: i64| n.to_string();
        let maybe = |v: Option<f64>| v.map(|v| format!("{v:.4}")).unwrap_or_default();
        let minutes = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
        out.write_record([
            row.key.clone(),
            row.name.clone(),
            number(f.received),
            number(f.handled.resolved),
            maybe(f.handled.resolved_share),
            number(f.handled.on_time),
            maybe(f.handled.on_time_share),
            number(f.handled.overdue_now),
            number(f.handled.escalated),
            minutes(f.times.accept.median_minutes),
            minutes(f.times.accept.p90_minutes),
            minutes(f.times.start.median_minutes),
            minutes(f.times.start.p90_minutes),
            minutes(f.times.resolve.median_minutes),
            minutes(f.times.resolve.p90_minutes),
            number(f.satisfaction.rated),
            maybe(f.satisfaction.rated_share),
            maybe(f.satisfaction.mean),
            maybe(f.satisfaction.satisfied_share),
            number(f.satisfaction.reopened),
            maybe(f.satisfaction.reopened_share),
        ])
        .map_err(internal)?;
    }
    out.into_inner().map_err(|err| AppError::Internal(format!("writing CSV: {err}")))
}

/// The columns of the CSV scorecard, documented in the README.
pub const CSV_COLUMNS: [&str; 21] = [
    "key",
    "name",
    "received",
    "resolved",
    "resolved_share",
    "on_time",
    "on_time_share",
    "overdue_now",
    "escalated",
    "median_accept_minutes",
    "p90_accept_minutes",
    "median_start_minutes",
    "p90_start_minutes",
    "median_resolve_minutes",
    "p90_resolve_minutes",
    "rated",
    "rated_share",
    "mean_rating",
    "satisfied_share",
    "reopened",
    "reopened_share",
];
