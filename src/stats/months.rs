//! The sums the IOC's figures are read from, so a year of a province's reports is a few rows rather than
//! a million. Each row holds a group's [`Tally`]: in `report_stats_months`, one per (month received,
//! commune, organization, category, urgent, channel), one per (month, commune) and one per (month,
//! province) (`*` for what they sum over); in `report_stats_days`, one per (day, commune) and (day,
//! province). [`Grain`] picks the coarsest that answers a query.
//!
//! Every change to a report writes a row to `stats_changes` in its own transaction (`reports::events`);
//! before the figures are read, and on each tick of the deadline worker, [`refresh`] computes the stale
//! months of the communes changed again from their reports, then their provinces'. A change row is
//! removed only after the sums that include it were written, so no change is lost to a crash; one refresh
//! runs at a time (PostgreSQL advisory lock), and whoever does not get the lock reads the sums as they are.
//!
//! The days of a period outside whole months (the 3rd to the 20th, the last 30 days) come from the daily
//! sums, or, with a filter they do not keep (category, organization, urgency), from the reports.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, Months, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::tally::{Fact, Tally};
use super::{facts, month_of, start_of, GroupBy, Period, StatsQuery};
use crate::calendar::office_hours::{local, local_month};
use crate::db::schema::{admin_units, report_stats_days, report_stats_months, reports, stats_changes};
use crate::db::{self, DbConnection};
use crate::error::AppError;
use crate::values::UserId;
use crate::workflow::{InboxFilter, Jurisdiction};

/// How many (month, commune) sums one refresh transaction computes.
const BATCH: i64 = 500;

/// The organization, category and channel of a commune's one-row month.
const ALL: &str = "*";

type SumColumns = (i64, i64, i64, i64, i64, i64, i64, i64);
type SumTexts = (String, String, String, String, String);

/// The sums' columns of both tables, as [`add_row`] takes them.
macro_rules! sum_columns {
    ($t:ident) => {
        ($t::received, $t::resolved, $t::on_time, $t::escalated, $t::rated, $t::rating_sum, $t::satisfied, $t::reopened)
    };
}
macro_rules! sum_texts {
    ($t:ident) => {
        ($t::counts, $t::to_accept, $t::to_start, $t::to_resolve, $t::daily)
    };
}

/// Whose sums a report counts in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub month: NaiveDate,
    pub unit_code: String,
    /// `""`: no organization handles it yet.
    pub organization_id: String,
    pub category: String,
    pub urgent: bool,
    pub channel: String,
}

impl Key {
    fn of(fact: &Fact) -> Key {
        Key {
            month: local_month(fact.received_at),
            unit_code: fact.unit_code.clone(),
            organization_id: fact.organization_id.clone().unwrap_or_default(),
            category: fact.category.clone(),
            urgent: fact.urgent,
            channel: fact.channel.clone(),
        }
    }
}

/// The group of `query.group_by` a row or report of this commune, organization and category is in
/// (one group, `""`, without).
fn group_of(by: Option<GroupBy>, unit_code: String, organization_id: String, category: String) -> String {
    match by {
        None => String::new(),
        Some(GroupBy::Unit) => unit_code,
        Some(GroupBy::Organization) => organization_id,
        Some(GroupBy::Category) => category,
    }
}

/// Narrows rows of sums table `$t` to the place `$filter` names: at the provinces' grain, the
/// jurisdiction's provinces (or the one asked); otherwise the commune, or the province's communes, asked.
macro_rules! in_place {
    ($rows:expr, $t:ident, $jurisdiction:expr, $filter:expr, $grain:expr) => {{
        let (mut rows, jurisdiction, filter): (_, &Jurisdiction, &InboxFilter) = ($rows, $jurisdiction, $filter);
        if $grain == Grain::Provinces {
            rows = rows.filter($t::unit_code.eq_any(jurisdiction.ioc_provinces.clone()));
            if let Some(province) = &filter.province {
                rows = rows.filter($t::unit_code.eq(province.clone()));
            }
        } else {
            if let Some(unit) = &filter.unit {
                rows = rows.filter($t::unit_code.eq(unit.clone()));
            }
            if let Some(province) = &filter.province {
                let communes =
                    admin_units::table.filter(admin_units::parent_code.eq(province.clone())).select(admin_units::code);
                rows = rows.filter($t::unit_code.eq_any(communes));
            }
        }
        rows
    }};
}

/// Whether this connection may refresh now: one refresh at a time across every instance.
fn lock_refresh(conn: &mut DbConnection) -> Result<bool, AppError> {
    #[derive(QueryableByName)]
    struct Locked {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        locked: bool,
    }
    match conn {
        // An arbitrary number naming this lock; released at the end of the transaction.
        DbConnection::Postgres(pg) => Ok(diesel::sql_query("SELECT pg_try_advisory_xact_lock(7316001) AS locked")
            .get_result::<Locked>(pg)?
            .locked),
        // SQLite's write transaction is already the only one.
        DbConnection::Sqlite(_) => Ok(true),
    }
}

/// Computes the sums of every month of a commune changed since the last refresh; returns how many
/// (month, commune) were computed. Another refresh under way: nothing to do here.
pub fn refresh(conn: &mut DbConnection) -> Result<usize, AppError> {
    let mut done = 0;
    loop {
        let computed = db::transaction(conn, |conn| -> Result<Option<usize>, AppError> {
            if !lock_refresh(conn)? {
                return Ok(None);
            }
            let stale: Vec<(NaiveDate, String)> = stats_changes::table
                .select((stats_changes::month, stats_changes::unit_code))
                .distinct()
                .order((stats_changes::month, stats_changes::unit_code))
                .limit(BATCH)
                .load(conn)?;
            let mut provinces = BTreeSet::new();
            for (month, unit) in &stale {
                // Read the change rows first: one written after this point stays for the next refresh.
                let seen: Vec<String> = stats_changes::table
                    .filter(stats_changes::month.eq(month))
                    .filter(stats_changes::unit_code.eq(unit))
                    .select(stats_changes::id)
                    .load(conn)?;
                if let Some(province) = compute(conn, *month, unit)? {
                    provinces.insert((*month, province));
                }
                diesel::delete(stats_changes::table.filter(stats_changes::id.eq_any(seen))).execute(conn)?;
            }
            for (month, province) in provinces {
                compute_province(conn, month, &province)?;
            }
            Ok(Some(stale.len()))
        })?;
        match computed {
            Some(n) if n > 0 => done += n,
            _ => return Ok(done),
        }
    }
}

/// The sums' columns of `$tally`, for a row of `$table` (the monthly or the daily sums).
macro_rules! sums {
    ($table:ident, $tally:expr) => {{
        let tally: &Tally = $tally;
        (
            $table::received.eq(tally.received),
            $table::resolved.eq(tally.resolved),
            $table::on_time.eq(tally.on_time),
            $table::escalated.eq(tally.escalated),
            $table::rated.eq(tally.rated),
            $table::rating_sum.eq(tally.rating_sum),
            $table::satisfied.eq(tally.satisfied),
            $table::reopened.eq(tally.reopened),
            $table::counts.eq(tally.encode_counts()),
            $table::to_accept.eq(tally.to_accept.encode()),
            $table::to_start.eq(tally.to_start.encode()),
            $table::to_resolve.eq(tally.to_resolve.encode()),
            $table::daily.eq(tally.daily.encode()),
        )
    }};
}

/// The sums of `unit`'s reports received in `month`, computed from the reports and written anew;
/// returns the unit's province, whose sums must follow.
fn compute(conn: &mut DbConnection, month: NaiveDate, unit: &str) -> Result<Option<String>, AppError> {
    let province = crate::units::province_of(conn, unit)?;
    let everything = Jurisdiction { organizations: Vec::new(), ioc_provinces: province.iter().cloned().collect() };
    let filter = InboxFilter {
        unit: Some(unit.to_string()),
        from: Some(start_of(month)),
        to: Some(start_of(month + Months::new(1))),
        ..InboxFilter::default()
    };
    let facts = facts(conn, &everything, &UserId::from(""), &filter)?;
    let mut days: BTreeMap<NaiveDate, Tally> = BTreeMap::new();
    for fact in &facts {
        days.entry(local(fact.received_at).date()).or_default().add(fact);
    }
    let tallies = tally_by_key(facts);
    diesel::delete(
        report_stats_months::table
            .filter(report_stats_months::month.eq(month))
            .filter(report_stats_months::unit_code.eq(unit)),
    )
    .execute(conn)?;
    let mut whole = Tally::default();
    for tally in tallies.values() {
        whole.merge(tally);
    }
    let commune = (!tallies.is_empty()).then(|| Key {
        month,
        unit_code: unit.to_string(),
        organization_id: ALL.into(),
        category: ALL.into(),
        urgent: false,
        channel: ALL.into(),
    });
    for (key, tally) in tallies.iter().chain(commune.as_ref().map(|key| (key, &whole))) {
        diesel::insert_into(report_stats_months::table)
            .values((
                report_stats_months::month.eq(key.month),
                report_stats_months::unit_code.eq(&key.unit_code),
                report_stats_months::organization_id.eq(&key.organization_id),
                report_stats_months::category_code.eq(&key.category),
                report_stats_months::urgent.eq(key.urgent),
                report_stats_months::channel.eq(&key.channel),
                sums!(report_stats_months, tally),
            ))
            .execute(conn)?;
    }
    diesel::delete(
        report_stats_days::table
            .filter(report_stats_days::day.ge(month))
            .filter(report_stats_days::day.lt(month + Months::new(1)))
            .filter(report_stats_days::unit_code.eq(unit)),
    )
    .execute(conn)?;
    for (day, tally) in &days {
        diesel::insert_into(report_stats_days::table)
            .values((
                report_stats_days::day.eq(*day),
                report_stats_days::unit_code.eq(unit),
                sums!(report_stats_days, tally),
            ))
            .execute(conn)?;
    }
    Ok(province)
}

/// A province's month in one row (and each of its days), summed from its communes' one-row months.
fn compute_province(conn: &mut DbConnection, month: NaiveDate, province: &str) -> Result<(), AppError> {
    use report_stats_days as d;
    use report_stats_months as m;
    let communes =
        || admin_units::table.filter(admin_units::parent_code.eq(province.to_string())).select(admin_units::code);
    let rows: Vec<(SumColumns, SumTexts)> = m::table
        .filter(m::month.eq(month))
        .filter(m::category_code.eq(ALL))
        .filter(m::unit_code.eq_any(communes()))
        .select((sum_columns!(m), sum_texts!(m)))
        .load(conn)?;
    let mut whole = Tally::default();
    for (counts, texts) in &rows {
        add_row(&mut whole, *counts, texts);
    }
    diesel::delete(m::table.filter(m::month.eq(month)).filter(m::unit_code.eq(province))).execute(conn)?;
    if !rows.is_empty() {
        diesel::insert_into(m::table)
            .values((
                m::month.eq(month),
                m::unit_code.eq(province),
                m::organization_id.eq(ALL),
                m::category_code.eq(ALL),
                m::urgent.eq(false),
                m::channel.eq(ALL),
                sums!(report_stats_months, &whole),
            ))
            .execute(conn)?;
    }
    let in_month = || d::day.ge(month).and(d::day.lt(month + Months::new(1)));
    let rows: Vec<(NaiveDate, SumColumns, SumTexts)> = d::table
        .filter(in_month())
        .filter(d::unit_code.eq_any(communes()))
        .select((d::day, sum_columns!(d), sum_texts!(d)))
        .load(conn)?;
    let mut days: BTreeMap<NaiveDate, Tally> = BTreeMap::new();
    for (day, counts, texts) in &rows {
        add_row(days.entry(*day).or_default(), *counts, texts);
    }
    diesel::delete(d::table.filter(in_month()).filter(d::unit_code.eq(province))).execute(conn)?;
    for (day, tally) in &days {
        diesel::insert_into(d::table)
            .values((d::day.eq(*day), d::unit_code.eq(province), sums!(report_stats_days, tally)))
            .execute(conn)?;
    }
    Ok(())
}

fn tally_by_key(facts: Vec<Fact>) -> BTreeMap<Key, Tally> {
    let mut tallies: BTreeMap<Key, Tally> = BTreeMap::new();
    for fact in &facts {
        tallies.entry(Key::of(fact)).or_default().add(fact);
    }
    tallies
}

/// The whole months within `period` (first days, end excluded), and the days around them.
fn split(period: &Period) -> (Option<(NaiveDate, NaiveDate)>, Vec<Period>) {
    let first = if period.from == month_of(period.from) { period.from } else { month_of(period.from) + Months::new(1) };
    let end = month_of(period.to + Duration::days(1));
    if first >= end {
        return (None, vec![*period]);
    }
    let mut edges = Vec::new();
    if period.from < first {
        edges.push(Period { from: period.from, to: first - Duration::days(1) });
    }
    if end <= period.to {
        edges.push(Period { from: end, to: period.to });
    }
    (Some((first, end)), edges)
}

type MonthRow = ((String, String, String), SumColumns, SumTexts);

/// The tallies of what `query` selects within `jurisdiction`, per group of `query.group_by` (one group,
/// `""`, without): whole months from their sums, the days around them from the reports. It only reads, so
/// it may run on a replica: the caller [`refresh`]es the sums first, on the primary.
/// `province_wide`: the jurisdiction is whole provinces (an IOC, an administrator), so a province's
/// figures may be read from its communes' one-row months.
pub fn tallies(
    conn: &mut DbConnection,
    jurisdiction: &Jurisdiction,
    official: &UserId,
    query: &StatsQuery,
    province_wide: bool,
) -> Result<BTreeMap<String, Tally>, AppError> {
    let group = |key: Key| group_of(query.group_by, key.unit_code, key.organization_id, key.category);
    let (months, edges) = split(&query.period);
    let mut groups: BTreeMap<String, Tally> = BTreeMap::new();
    let filter = &query.filter;
    let grain = Grain::of(query, province_wide);
    for edge in edges {
        if grain != Grain::Reports {
            add_days(conn, jurisdiction, query, grain, &edge, &mut groups)?;
            continue;
        }
        let (from, to) = edge.bounds();
        let filter = InboxFilter { from: Some(from), to: Some(to), ..query.filter.clone() };
        for fact in facts(conn, jurisdiction, official, &filter)? {
            groups.entry(group(Key::of(&fact))).or_default().add(&fact);
        }
    }
    let Some((first, end)) = months else { return Ok(groups) };
    use report_stats_months as m;
    let mut rows = m::table.filter(m::month.ge(first)).filter(m::month.lt(end)).into_boxed();
    let province_communes = admin_units::table
        .filter(admin_units::parent_code.eq_any(jurisdiction.ioc_provinces.clone()))
        .select(admin_units::code);
    rows = match grain {
        Grain::Provinces => rows.filter(m::category_code.eq(ALL)),
        Grain::Communes => rows.filter(m::category_code.eq(ALL)).filter(m::unit_code.eq_any(province_communes)),
        Grain::Reports => {
            let organizations: Vec<String> =
                jurisdiction.organizations.iter().map(|o| o.as_str().to_string()).collect();
            rows.filter(m::category_code.ne(ALL))
                .filter(m::organization_id.eq_any(organizations).or(m::unit_code.eq_any(province_communes)))
        }
    };
    rows = in_place!(rows, m, jurisdiction, filter, grain);
    if let Some(organization) = &filter.organization {
        rows = rows.filter(m::organization_id.eq(organization.as_str().to_string()));
    }
    if let Some(category) = &filter.category {
        rows = rows.filter(m::category_code.eq(category.clone()));
    }
    if let Some(urgent) = filter.urgent {
        rows = rows.filter(m::urgent.eq(urgent));
    }
    let loaded: Vec<MonthRow> = rows
        .select(((m::unit_code, m::organization_id, m::category_code), sum_columns!(m), sum_texts!(m)))
        .load(conn)?;
    for ((unit_code, organization_id, category), counts, texts) in loaded {
        let key = group_of(query.group_by, unit_code, organization_id, category);
        add_row(groups.entry(key).or_default(), counts, &texts);
    }
    Ok(groups)
}

/// Adds a row of sums to `tally`, decoded straight into it: a year is thousands of rows.
fn add_row(tally: &mut Tally, counts: SumColumns, texts: &SumTexts) {
    let (received, resolved, on_time, escalated, rated, rating_sum, satisfied, reopened) = counts;
    let (names, to_accept, to_start, to_resolve, daily) = texts;
    tally.received += received;
    tally.resolved += resolved;
    tally.on_time += on_time;
    tally.escalated += escalated;
    tally.rated += rated;
    tally.rating_sum += rating_sum;
    tally.satisfied += satisfied;
    tally.reopened += reopened;
    tally.add_encoded_counts(names);
    tally.to_accept.add_encoded(to_accept);
    tally.to_start.add_encoded(to_start);
    tally.to_resolve.add_encoded(to_resolve);
    tally.daily.add_encoded(daily);
}

/// The days of `edge` from the daily sums of the provinces or of the communes in the scope.
fn add_days(
    conn: &mut DbConnection,
    jurisdiction: &Jurisdiction,
    query: &StatsQuery,
    grain: Grain,
    edge: &Period,
    groups: &mut BTreeMap<String, Tally>,
) -> Result<(), AppError> {
    use report_stats_days as d;
    let mut rows = d::table.filter(d::day.ge(edge.from)).filter(d::day.le(edge.to)).into_boxed();
    if grain == Grain::Communes {
        let province_communes = admin_units::table
            .filter(admin_units::parent_code.eq_any(jurisdiction.ioc_provinces.clone()))
            .select(admin_units::code);
        rows = rows.filter(d::unit_code.eq_any(province_communes));
    }
    rows = in_place!(rows, d, jurisdiction, &query.filter, grain);
    let loaded: Vec<(String, SumColumns, SumTexts)> =
        rows.select((d::unit_code, sum_columns!(d), sum_texts!(d))).load(conn)?;
    for (unit_code, counts, texts) in loaded {
        // Days are kept per commune only: grouped at most by commune (`Grain::of`).
        let key = group_of(query.group_by, unit_code, String::new(), String::new());
        add_row(groups.entry(key).or_default(), counts, &texts);
    }
    Ok(())
}

/// Which sums answer a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grain {
    /// A province's one-row months and days: whole provinces, no grouping.
    Provinces,
    /// Each commune's one-row months and days: whole provinces, per commune or one commune.
    Communes,
    /// The months per organization, category and urgency (and the reports themselves at the edges).
    Reports,
}

impl Grain {
    fn of(query: &StatsQuery, province_wide: bool) -> Grain {
        let filter = &query.filter;
        let whole_communes = province_wide
            && filter.category.is_none()
            && filter.organization.is_none()
            && filter.urgent.is_none()
            && matches!(query.group_by, None | Some(GroupBy::Unit));
        match whole_communes {
            false => Grain::Reports,
            true if query.group_by.is_none() && filter.unit.is_none() => Grain::Provinces,
            true => Grain::Communes,
        }
    }
}

/// Keeps the sums fresh between looks, every `every` (with the deadline worker's period), so a look
/// rarely computes any.
pub fn spawn(db: crate::db::Db, every: std::time::Duration) {
    tokio::spawn(async move {
        loop {
            if let Err(err) = db.run(refresh).await {
                tracing::warn!(error = %err, "refreshing the statistics failed; will retry");
            }
            tokio::time::sleep(every).await;
        }
    });
}

/// Marks every (month, commune) with reports stale, for a full recomputation at the next refresh (the
/// stats bench, after seeding in SQL).
pub fn mark_all(conn: &mut DbConnection) -> Result<usize, AppError> {
    let received: Vec<(NaiveDateTime, String)> =
        reports::table.select((reports::created_at, reports::unit_code)).load(conn)?;
    let keys: BTreeSet<(NaiveDate, String)> = received.into_iter().map(|(at, unit)| (local_month(at), unit)).collect();
    let rows: Vec<_> = keys
        .iter()
        .map(|(month, unit)| {
            (
                stats_changes::id.eq(uuid::Uuid::now_v7().to_string()),
                stats_changes::month.eq(*month),
                stats_changes::unit_code.eq(unit.clone()),
            )
        })
        .collect();
    for chunk in rows.chunks(1000) {
        crate::insert_batch!(&mut *conn, stats_changes::table, chunk.to_vec())?;
    }
    Ok(keys.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(raw: &str) -> NaiveDate {
        raw.parse().unwrap()
    }

    #[test]
    fn whole_months_are_summed_and_the_days_around_them_read() {
        let year = Period { from: day("2026-01-01"), to: day("2026-12-31") };
        assert_eq!(split(&year), (Some((day("2026-01-01"), day("2027-01-01"))), vec![]));
        let odd = Period { from: day("2026-01-15"), to: day("2026-04-10") };
        assert_eq!(
            split(&odd),
            (
                Some((day("2026-02-01"), day("2026-04-01"))),
                vec![
                    Period { from: day("2026-01-15"), to: day("2026-01-31") },
                    Period { from: day("2026-04-01"), to: day("2026-04-10") }
                ]
            )
        );
        let inside = Period { from: day("2026-03-02"), to: day("2026-03-31") };
        assert_eq!(split(&inside), (None, vec![inside]));
        let february = Period { from: day("2026-02-01"), to: day("2026-02-28") };
        assert_eq!(split(&february), (Some((day("2026-02-01"), day("2026-03-01"))), vec![]));
    }
}
