//! The monthly sums the IOC's figures are read from, so a year of a province's reports is a few thousand
//! rows rather than a million. One row per (month received, commune, organization, category, urgent,
//! channel) holds that group's [`Tally`].
//!
//! Every change to a report writes a row to `stats_changes` in its own transaction (`reports::events`); before
//! the figures are read, and on each tick of the deadline worker, [`refresh`] computes the stale months of
//! the communes changed again from their reports. A change row is removed only after the sums that
//! include it were written, so no change is lost to a crash; one refresh runs at a time (PostgreSQL
//! advisory lock), and whoever does not get the lock reads the sums as they are.
//!
//! The days of a period outside whole months (the 3rd to the 20th, the last 30 days) are read from the
//! reports themselves.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, Months, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::tally::{Daily, Fact, Histogram, Tally};
use super::{facts, month_of, start_of, GroupBy, Period, StatsQuery};
use crate::calendar::office_hours::local_month;
use crate::db::schema::{admin_units, report_stats_months, reports, stats_changes};
use crate::db::{self, DbConnection};
use crate::error::AppError;
use crate::values::UserId;
use crate::workflow::{InboxFilter, Jurisdiction};

/// How many (month, commune) sums one refresh transaction computes.
const BATCH: i64 = 500;

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

    pub fn group(&self, by: GroupBy) -> String {
        match by {
            GroupBy::Unit => self.unit_code.clone(),
            GroupBy::Organization => self.organization_id.clone(),
            GroupBy::Category => self.category.clone(),
        }
    }
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
        DbConnection::Postgres(pg) => {
            Ok(diesel::sql_query("SELECT pg_try_advisory_xact_lock(7316001) AS locked").get_result::<Locked>(pg)?.locked)
        }
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
            for (month, unit) in &stale {
                // Read the change rows first: one written after this point stays for the next refresh.
                let seen: Vec<String> = stats_changes::table
                    .filter(stats_changes::month.eq(month))
                    .filter(stats_changes::unit_code.eq(unit))
                    .select(stats_changes::id)
                    .load(conn)?;
                compute(conn, *month, unit)?;
                diesel::delete(stats_changes::table.filter(stats_changes::id.eq_any(seen))).execute(conn)?;
            }
            Ok(Some(stale.len()))
        })?;
        match computed {
            Some(n) if n > 0 => done += n,
            _ => return Ok(done),
        }
    }
}

/// The sums of `unit`'s reports received in `month`, computed from the reports and written anew.
fn compute(conn: &mut DbConnection, month: NaiveDate, unit: &str) -> Result<(), AppError> {
    let province = crate::units::province_of(conn, unit)?.unwrap_or_default();
    let everything = Jurisdiction { organizations: Vec::new(), ioc_provinces: vec![province] };
    let filter = InboxFilter {
        unit: Some(unit.to_string()),
        from: Some(start_of(month)),
        to: Some(start_of(month + Months::new(1))),
        ..InboxFilter::default()
    };
    let tallies = tally_by_key(facts(conn, &everything, &UserId::from(""), &filter)?);
    diesel::delete(
        report_stats_months::table
            .filter(report_stats_months::month.eq(month))
            .filter(report_stats_months::unit_code.eq(unit)),
    )
    .execute(conn)?;
    for (key, tally) in tallies {
        let statuses = tally.by_status.iter().map(|(s, n)| format!("{s}:{n}")).collect::<Vec<_>>().join(",");
        diesel::insert_into(report_stats_months::table)
            .values((
                report_stats_months::month.eq(key.month),
                report_stats_months::unit_code.eq(&key.unit_code),
                report_stats_months::organization_id.eq(&key.organization_id),
                report_stats_months::category_code.eq(&key.category),
                report_stats_months::urgent.eq(key.urgent),
                report_stats_months::channel.eq(&key.channel),
                report_stats_months::received.eq(tally.received),
                report_stats_months::resolved.eq(tally.resolved),
                report_stats_months::on_time.eq(tally.on_time),
                report_stats_months::escalated.eq(tally.escalated),
                report_stats_months::rated.eq(tally.rated),
                report_stats_months::rating_sum.eq(tally.rating_sum),
                report_stats_months::satisfied.eq(tally.satisfied),
                report_stats_months::reopened.eq(tally.reopened),
                report_stats_months::statuses.eq(statuses),
                report_stats_months::to_accept.eq(tally.to_accept.encode()),
                report_stats_months::to_start.eq(tally.to_start.encode()),
                report_stats_months::to_resolve.eq(tally.to_resolve.encode()),
                report_stats_months::daily.eq(tally.daily.encode()),
            ))
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

type MonthRow = (
    (NaiveDate, String, String, String, bool, String),
    (i64, i64, i64, i64, i64, i64, i64, i64),
    (String, String, String, String, String),
);

/// The tallies of what `query` selects within `jurisdiction`, each with its key: whole months from their
/// sums (refreshed first), the days around them from the reports.
pub fn tallies(
    conn: &mut DbConnection,
    jurisdiction: &Jurisdiction,
    official: &UserId,
    query: &StatsQuery,
) -> Result<Vec<(Key, Tally)>, AppError> {
    let (months, edges) = split(&query.period);
    let mut found = Vec::new();
    for edge in edges {
        let (from, to) = edge.bounds();
        let filter = InboxFilter { from: Some(from), to: Some(to), ..query.filter.clone() };
        found.extend(tally_by_key(facts(conn, jurisdiction, official, &filter)?));
    }
    let Some((first, end)) = months else { return Ok(found) };
    refresh(conn)?;
    let filter = &query.filter;
    let mut rows = report_stats_months::table
        .filter(report_stats_months::month.ge(first))
        .filter(report_stats_months::month.lt(end))
        .into_boxed();
    let province_communes = admin_units::table
        .filter(admin_units::parent_code.eq_any(jurisdiction.ioc_provinces.clone()))
        .select(admin_units::code);
    rows = rows.filter(
        report_stats_months::organization_id
            .eq_any(jurisdiction.organizations.iter().map(|o| o.as_str().to_string()).collect::<Vec<_>>())
            .or(report_stats_months::unit_code.eq_any(province_communes)),
    );
    if let Some(unit) = &filter.unit {
        rows = rows.filter(report_stats_months::unit_code.eq(unit.clone()));
    }
    if let Some(province) = &filter.province {
        let communes = admin_units::table.filter(admin_units::parent_code.eq(province.clone())).select(admin_units::code);
        rows = rows.filter(report_stats_months::unit_code.eq_any(communes));
    }
    if let Some(organization) = &filter.organization {
        rows = rows.filter(report_stats_months::organization_id.eq(organization.as_str().to_string()));
    }
    if let Some(category) = &filter.category {
        rows = rows.filter(report_stats_months::category_code.eq(category.clone()));
    }
    if let Some(urgent) = filter.urgent {
        rows = rows.filter(report_stats_months::urgent.eq(urgent));
    }
    use report_stats_months as m;
    let loaded: Vec<MonthRow> = rows
        .select((
            (m::month, m::unit_code, m::organization_id, m::category_code, m::urgent, m::channel),
            (m::received, m::resolved, m::on_time, m::escalated, m::rated, m::rating_sum, m::satisfied, m::reopened),
            (m::statuses, m::to_accept, m::to_start, m::to_resolve, m::daily),
        ))
        .load(conn)?;
    for ((month, unit_code, organization_id, category, urgent, channel), counts, texts) in loaded {
        let (received, resolved, on_time, escalated, rated, rating_sum, satisfied, reopened) = counts;
        let (statuses, to_accept, to_start, to_resolve, daily) = texts;
        let by_status = statuses
            .split(',')
            .filter_map(|pair| pair.split_once(':').and_then(|(s, n)| Some((s.to_string(), n.parse().ok()?))))
            .collect();
        let tally = Tally {
            received,
            by_status,
            by_category: BTreeMap::from([(category.clone(), received)]),
            by_channel: BTreeMap::from([(channel.clone(), received)]),
            resolved,
            on_time,
            escalated,
            rated,
            rating_sum,
            satisfied,
            reopened,
            to_accept: Histogram::decode(&to_accept),
            to_start: Histogram::decode(&to_start),
            to_resolve: Histogram::decode(&to_resolve),
            daily: Daily::decode(&daily),
        };
        found.push((Key { month, unit_code, organization_id, category, urgent, channel }, tally));
    }
    Ok(found)
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

/// Every (month, commune) with reports, for a full recomputation (`congdanso refresh-stats --all`).
pub fn mark_all(conn: &mut DbConnection) -> Result<usize, AppError> {
    let received: Vec<(NaiveDateTime, String)> = reports::table.select((reports::created_at, reports::unit_code)).load(conn)?;
    let keys: BTreeSet<(NaiveDate, String)> =
        received.into_iter().map(|(at, unit)| (local_month(at), unit)).collect();
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
