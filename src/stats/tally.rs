//! What the IOC's figures are computed from: a [`Tally`] of reports, built from each report's [`Fact`]s
//! and mergeable, so the tally of a year is the sum of its months' (see `months.rs`) and of the days at
//! its edges, read from the reports themselves.

use std::collections::{BTreeMap, HashMap};

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
/// percentile read from the buckets is within 1 % (and half a minute) of the exact one, and a year of a
/// province's reports fits in a few hundred numbers. Dense: the count of bucket `b` is at index `b`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Histogram(pub Vec<i64>);

const EXACT_MINUTES: u32 = 60;
const BUCKET_GROWTH: f64 = 1.02;
/// Durations beyond about 10 years count in the last bucket.
const LAST_BUCKET: u32 = 760;

impl Histogram {
    pub fn bucket(minutes: i64) -> u32 {
        let minutes = minutes.max(0);
        if minutes < i64::from(EXACT_MINUTES) {
            minutes as u32
        } else {
            let above = (minutes as f64 / f64::from(EXACT_MINUTES)).ln() / BUCKET_GROWTH.ln();
            (EXACT_MINUTES + above.floor() as u32).min(LAST_BUCKET)
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

    fn add_to(&mut self, bucket: u32, count: i64) {
        let bucket = bucket.min(LAST_BUCKET) as usize;
        if self.0.len() <= bucket {
            self.0.resize(bucket + 1, 0);
        }
        self.0[bucket] += count;
    }

    pub fn add(&mut self, minutes: i64) {
        self.add_to(Self::bucket(minutes), 1);
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (bucket, count) in other.0.iter().enumerate().filter(|(_, n)| **n != 0) {
            self.add_to(bucket as u32, *count);
        }
    }

    pub fn count(&self) -> i64 {
        self.0.iter().sum()
    }

    /// The duration at or below which a `share` of them lie (the nearest-rank percentile), in minutes.
    pub fn percentile(&self, share: f64) -> Option<i64> {
        let count = self.count();
        if count == 0 {
            return None;
        }
        let rank = ((share * count as f64).ceil() as i64).clamp(1, count);
        let mut seen = 0;
        self.0.iter().enumerate().find_map(|(bucket, n)| {
            seen += n;
            (seen >= rank).then(|| Self::minutes(bucket as u32))
        })
    }

    /// `bucket:count` pairs joined by commas, as the monthly sums keep it.
    pub fn encode(&self) -> String {
        let pairs = self.0.iter().enumerate().filter(|(_, n)| **n != 0);
        pairs.map(|(b, n)| format!("{b}:{n}")).collect::<Vec<_>>().join(",")
    }

    /// Adds what [`Histogram::encode`] wrote.
    pub fn add_encoded(&mut self, raw: &str) {
        for pair in raw.split(',') {
            if let Some((bucket, count)) =
                pair.split_once(':').and_then(|(b, n)| Some((b.parse().ok()?, n.parse().ok()?)))
            {
                self.add_to(bucket, count);
            }
        }
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

/// Per Vietnamese day, by its number of days since 1 January 1970.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Daily(HashMap<i32, DayCounts>);

const EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a date");

impl Daily {
    fn at(&mut self, moment: NaiveDateTime) -> &mut DayCounts {
        self.0.entry((local(moment).date() - EPOCH).num_days() as i32).or_default()
    }

    pub fn on(&self, day: NaiveDate) -> DayCounts {
        self.0.get(&((day - EPOCH).num_days() as i32)).copied().unwrap_or_default()
    }

    fn add_to(&mut self, day: i32, counts: DayCounts) {
        let mine = self.0.entry(day).or_default();
        mine.received += counts.received;
        mine.resolved += counts.resolved;
        mine.overdue += counts.overdue;
    }

    pub fn merge(&mut self, other: &Daily) {
        for (day, counts) in &other.0 {
            self.add_to(*day, *counts);
        }
    }

    /// `day:received:resolved:overdue` entries (the day as its number) joined by commas.
    pub fn encode(&self) -> String {
        let mut days: Vec<_> = self.0.iter().collect();
        days.sort_by_key(|(day, _)| **day);
        days.iter()
            .map(|(day, c)| format!("{day}:{}:{}:{}", c.received, c.resolved, c.overdue))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Adds what [`Daily::encode`] wrote.
    pub fn add_encoded(&mut self, raw: &str) {
        for entry in raw.split(',') {
            let mut numbers = entry.split(':').map(|n| n.parse::<i64>().ok());
            let mut next = || numbers.next().flatten();
            if let (Some(day), Some(received), Some(resolved), Some(overdue)) = (next(), next(), next(), next()) {
                self.add_to(day as i32, DayCounts { received, resolved, overdue });
            }
        }
    }
}

/// Counts by name (status, category, channel): a few names, so a list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts(pub Vec<(String, i64)>);

impl Counts {
    pub fn add(&mut self, name: &str, n: i64) {
        match self.0.iter_mut().find(|(known, _)| known == name) {
            Some((_, count)) => *count += n,
            None => self.0.push((name.to_string(), n)),
        }
    }

    pub fn merge(&mut self, other: &Counts) {
        for (name, n) in &other.0 {
            self.add(name, *n);
        }
    }

    pub fn to_map(&self) -> BTreeMap<String, i64> {
        self.0.iter().cloned().collect()
    }
}

/// The sums the figures are read from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    pub received: i64,
    pub by_status: Counts,
    pub by_category: Counts,
    pub by_channel: Counts,
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
        self.by_status.add(&fact.status, 1);
        self.by_category.add(&fact.category, 1);
        self.by_channel.add(&fact.channel, 1);
        self.daily.at(fact.received_at).received += 1;
        let resolved = fact
            .resolved_at
            .filter(|_| fact.status == ReportStatus::Resolved.as_str() || fact.status == ReportStatus::Closed.as_str());
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
        self.received += other.received;
        self.by_status.merge(&other.by_status);
        self.by_category.merge(&other.by_category);
        self.by_channel.merge(&other.by_channel);
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

    /// The counts by status, category and channel, as the monthly sums keep them:
    /// `status:NAME:N,category:NAME:N,channel:NAME:N,…`.
    pub fn encode_counts(&self) -> String {
        let named = [("status", &self.by_status), ("category", &self.by_category), ("channel", &self.by_channel)];
        let entries =
            named.iter().flat_map(|(kind, counts)| counts.0.iter().map(move |(name, n)| format!("{kind}:{name}:{n}")));
        entries.collect::<Vec<_>>().join(",")
    }

    /// Adds what [`Tally::encode_counts`] wrote.
    pub fn add_encoded_counts(&mut self, raw: &str) {
        for entry in raw.split(',') {
            let mut parts = entry.splitn(3, ':');
            let (Some(kind), Some(name), Some(Ok(n))) =
                (parts.next(), parts.next(), parts.next().map(str::parse::<i64>))
            else {
                continue;
            };
            match kind {
                "status" => self.by_status.add(name, n),
                "category" => self.by_category.add(name, n),
                "channel" => self.by_channel.add(name, n),
                _ => {}
            }
        }
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
        let mut decoded = Histogram::default();
        decoded.add_encoded(&histogram.encode());
        assert_eq!(decoded, histogram);
    }

    #[test]
    fn days_and_counts_survive_their_encoding() {
        let mut tally = Tally::default();
        let at = |raw: &str| NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M").unwrap();
        let fact = Fact {
            received_at: at("2026-03-01 18:00"),
            unit_code: "24778".into(),
            organization_id: None,
            urgent: false,
            status: "closed".into(),
            category: "waste".into(),
            channel: "app".into(),
            resolved_at: Some(at("2026-03-03 02:00")),
            resolved_on_time: Some(true),
            rating: Some(4),
            accepted_at: None,
            started_at: None,
            reopened: false,
            escalations: vec![at("2026-03-02 01:00")],
        };
        tally.add(&fact);
        let mut decoded = Tally::default();
        decoded.daily.add_encoded(&tally.daily.encode());
        decoded.add_encoded_counts(&tally.encode_counts());
        assert_eq!((decoded.daily, decoded.by_category), (tally.daily.clone(), tally.by_category.clone()));
        let day = |raw: &str| raw.parse::<NaiveDate>().unwrap();
        assert_eq!(tally.daily.on(day("2026-03-02")), DayCounts { received: 1, resolved: 0, overdue: 1 }, "UTC+7");
        assert_eq!(tally.daily.on(day("2026-03-03")).resolved, 1);
    }
}
