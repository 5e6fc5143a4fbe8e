//! What the IOC's figures are computed from: a [`Tally`] of reports, built from each report's [`Fact`]s
//! and mergeable, so the tally of a year is the sum of its months' (see `months.rs`) and of the days at
//! its edges, read from the reports themselves.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};

use crate::calendar::office_hours::local;
use crate::reports::ReportStatus;

/// What one report contributes to the figures.
#[derive(Debug, Clone)]
pub struct Fact {
    pub received_at: NaiveDateTime,
    pub unit_code: String,
    pub organization_id: Option<String>,
    pub urgent: bool,
    pub status: String,
    pub category: String,
    pub channel: String,
    pub resolved_at: Option<NaiveDateTime>,
    pub resolved_on_time: Option<bool>,
    pub rating: Option<i32>,
    /// The first acceptance and the first start of work.
    pub accepted_at: Option<NaiveDateTime>,
    pub started_at: Option<NaiveDateTime>,
    pub reopened: bool,
    /// Every time a deadline of the report passed.
    pub escalations: Vec<NaiveDateTime>,
}

/// A rating of 4 or 5 counts as satisfied ("hài lòng").
pub const SATISFIED_FROM: i32 = 4;

/// Durations in minutes, counted in buckets: each minute up to an hour, then buckets 2 % wide, so a
/// percentile read from the buckets is within 1 % (and half a minute) of the exact one, and a year of a province's reports
/// fits in a few hundred numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Histogram(pub BTreeMap<u32, i64>);

const EXACT_MINUTES: u32 = 60;
const BUCKET_GROWTH: f64 = 1.02;

impl Histogram {
    pub fn bucket(minutes: i64) -> u32 {
        let minutes = minutes.max(0);
        if minutes < i64::from(EXACT_MINUTES) {
            minutes as u32
        } else {
            let above = (minutes as f64 / f64::from(EXACT_MINUTES)).ln() / BUCKET_GROWTH.ln();
            EXACT_MINUTES + above.floor() as u32
        }
    }

    /// The minutes a bucket stands for: its own below an hour, else the geometric middle of its range.
    pub fn minutes(bucket: u32) -> i64 {
        if bucket < EXACT_MINUTES {
            return i64::from(bucket);
        }
        let low = f64::from(EXACT_MINUTES) * BUCKET_GROWTH.powi((bucket - EXACT_MINUTES) as i32);
        (low * BUCKET_GROWTH.sqrt()).round() as i64
    }

    pub fn add(&mut self, minutes: i64) {
        *self.0.entry(Self::bucket(minutes)).or_default() += 1;
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (bucket, count) in &other.0 {
            *self.0.entry(*bucket).or_default() += count;
        }
    }

    pub fn count(&self) -> i64 {
        self.0.values().sum()
    }

    /// The duration at or below which a `share` of them lie (the nearest-rank percentile), in minutes.
    pub fn percentile(&self, share: f64) -> Option<i64> {
        let count = self.count();
        if count == 0 {
            return None;
        }
        let rank = ((share * count as f64).ceil() as i64).clamp(1, count);
        let mut seen = 0;
        self.0.iter().find_map(|(bucket, n)| {
            seen += n;
            (seen >= rank).then(|| Self::minutes(*bucket))
        })
    }

    /// `bucket:count` pairs joined by commas, as the monthly aggregates keep it.
    pub fn encode(&self) -> String {
        self.0.iter().map(|(b, n)| format!("{b}:{n}")).collect::<Vec<_>>().join(",")
    }

    pub fn decode(raw: &str) -> Histogram {
        Histogram(
            raw.split(',')
                .filter_map(|pair| {
                    let (bucket, count) = pair.split_once(':')?;
                    Some((bucket.parse().ok()?, count.parse().ok()?))
                })
                .collect(),
        )
    }
}

/// What happened on one day to the reports tallied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayCounts {
    pub received: i64,
    pub resolved: i64,
    /// Deadlines that passed that day.
    pub overdue: i64,
}

/// Per Vietnamese day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Daily(pub BTreeMap<NaiveDate, DayCounts>);

impl Daily {
    fn at(&mut self, moment: NaiveDateTime) -> &mut DayCounts {
        self.0.entry(local(moment).date()).or_default()
    }

    pub fn merge(&mut self, other: &Daily) {
        for (day, counts) in &other.0 {
            let mine = self.0.entry(*day).or_default();
            mine.received += counts.received;
            mine.resolved += counts.resolved;
            mine.overdue += counts.overdue;
        }
    }

    /// `YYYYMMDD:received:resolved:overdue` entries joined by commas.
    pub fn encode(&self) -> String {
        self.0
            .iter()
            .map(|(day, c)| format!("{}:{}:{}:{}", day.format("%Y%m%d"), c.received, c.resolved, c.overdue))
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn decode(raw: &str) -> Daily {
        Daily(
            raw.split(',')
                .filter_map(|entry| {
                    let mut parts = entry.split(':');
                    let day = NaiveDate::parse_from_str(parts.next()?, "%Y%m%d").ok()?;
                    let mut next = || parts.next().and_then(|n| n.parse().ok());
                    Some((day, DayCounts { received: next()?, resolved: next()?, overdue: next()? }))
                })
                .collect(),
        )
    }
}

/// The sums the figures are read from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    pub received: i64,
    pub by_status: BTreeMap<String, i64>,
    pub by_category: BTreeMap<String, i64>,
    pub by_channel: BTreeMap<String, i64>,
    /// Resolved (now resolved or closed after a resolution).
    pub resolved: i64,
    pub on_time: i64,
    /// Reports whose deadline passed at least once.
    pub escalated: i64,
    pub rated: i64,
    pub rating_sum: i64,
    pub satisfied: i64,
    pub reopened: i64,
    pub to_accept: Histogram,
    pub to_start: Histogram,
    pub to_resolve: Histogram,
    pub daily: Daily,
}

/// To the nearest minute.
fn minutes_between(from: NaiveDateTime, to: NaiveDateTime) -> i64 {
    ((to - from).num_seconds() as f64 / 60.0).round() as i64
}

impl Tally {
    pub fn add(&mut self, fact: &Fact) {
        self.received += 1;
        *self.by_status.entry(fact.status.clone()).or_default() += 1;
        *self.by_category.entry(fact.category.clone()).or_default() += 1;
        *self.by_channel.entry(fact.channel.clone()).or_default() += 1;
        self.daily.at(fact.received_at).received += 1;
        let resolved = fact.resolved_at.filter(|_| {
            fact.status == ReportStatus::Resolved.as_str() || fact.status == ReportStatus::Closed.as_str()
        });
        if let Some(resolved_at) = resolved {
            self.resolved += 1;
            self.on_time += i64::from(fact.resolved_on_time == Some(true));
            self.to_resolve.add(minutes_between(fact.received_at, resolved_at));
            self.daily.at(resolved_at).resolved += 1;
        }
        if let Some(accepted_at) = fact.accepted_at {
            self.to_accept.add(minutes_between(fact.received_at, accepted_at));
        }
        if let Some(started_at) = fact.started_at {
            self.to_start.add(minutes_between(fact.received_at, started_at));
        }
        self.escalated += i64::from(!fact.escalations.is_empty());
        for escalation in &fact.escalations {
            self.daily.at(*escalation).overdue += 1;
        }
        if let Some(score) = fact.rating {
            self.rated += 1;
            self.rating_sum += i64::from(score);
            self.satisfied += i64::from(score >= SATISFIED_FROM);
        }
        self.reopened += i64::from(fact.reopened);
    }

    pub fn merge(&mut self, other: &Tally) {
        fn add_all(mine: &mut BTreeMap<String, i64>, theirs: &BTreeMap<String, i64>) {
            for (key, n) in theirs {
                *mine.entry(key.clone()).or_default() += n;
            }
        }
        self.received += other.received;
        add_all(&mut self.by_status, &other.by_status);
        add_all(&mut self.by_category, &other.by_category);
        add_all(&mut self.by_channel, &other.by_channel);
        self.resolved += other.resolved;
        self.on_time += other.on_time;
        self.escalated += other.escalated;
        self.rated += other.rated;
        self.rating_sum += other.rating_sum;
        self.satisfied += other.satisfied;
        self.reopened += other.reopened;
        self.to_accept.merge(&other.to_accept);
        self.to_start.merge(&other.to_start);
        self.to_resolve.merge(&other.to_resolve);
        self.daily.merge(&other.daily);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_exact_below_an_hour_and_within_one_percent_above() {
        for minutes in [0, 1, 59] {
            assert_eq!(Histogram::minutes(Histogram::bucket(minutes)), minutes);
        }
        for minutes in [60, 61, 90, 600, 1439, 14_400, 200_000] {
            let read = Histogram::minutes(Histogram::bucket(minutes)) as f64;
            assert!((read - minutes as f64).abs() <= 0.01 * minutes as f64 + 0.5, "{minutes} read as {read}");
        }
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut histogram = Histogram::default();
        for minutes in [5, 1, 3, 2, 4, 10, 20, 30, 40, 50] {
            histogram.add(minutes);
        }
        assert_eq!(histogram.percentile(0.5), Some(5));
        assert_eq!(histogram.percentile(0.9), Some(40));
        assert_eq!(Histogram::default().percentile(0.5), None);
        assert_eq!(Histogram::decode(&histogram.encode()), histogram);
    }

    #[test]
    fn days_survive_their_encoding() {
        let mut daily = Daily::default();
        daily.0.insert(NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(), DayCounts { received: 3, resolved: 1, overdue: 2 });
        daily.0.insert(NaiveDate::from_ymd_opt(2026, 3, 9).unwrap(), DayCounts { received: 0, resolved: 4, overdue: 0 });
        assert_eq!(Daily::decode(&daily.encode()), daily);
        assert_eq!(Daily::decode(""), Daily::default());
    }
}
