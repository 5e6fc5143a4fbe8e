//! Time counted in office hours, for deadlines set in working hours (a report's triage, say): the clock
//! runs only within an office's hours on working days. Vietnam keeps one offset from UTC all year (no
//! summer time), so local time is UTC + 7 hours.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};

use super::{WorkingCalendar, YearDays};

/// Vietnam's offset from UTC.
pub const UTC_OFFSET: Duration = Duration::hours(7);

/// Local time in Vietnam of a UTC moment.
pub fn local(utc: NaiveDateTime) -> NaiveDateTime {
    utc + UTC_OFFSET
}

/// The first day of the Vietnamese month `utc` falls in.
pub fn local_month(utc: NaiveDateTime) -> chrono::NaiveDate {
    use chrono::Datelike;
    local(utc).date().with_day(1).expect("every month has a first day")
}

/// The UTC moment of a local time in Vietnam.
pub fn utc(local: NaiveDateTime) -> NaiveDateTime {
    local - UTC_OFFSET
}

/// The hours an office is open on a working day, local time, as periods in order that do not overlap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeHours {
    periods: Vec<(NaiveTime, NaiveTime)>,
}

impl Default for OfficeHours {
    /// 07:30–11:30 and 13:30–17:00, as most communes keep them.
    fn default() -> Self {
        let at = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("a time of day");
        OfficeHours { periods: vec![(at(7, 30), at(11, 30)), (at(13, 30), at(17, 0))] }
    }
}

impl OfficeHours {
    /// From periods in order; `None` when one is empty, reversed or overlaps the one before.
    pub fn new(periods: Vec<(NaiveTime, NaiveTime)>) -> Option<Self> {
        let ordered =
            periods.iter().all(|(start, end)| start < end) && periods.windows(2).all(|pair| pair[0].1 <= pair[1].0);
        (ordered && !periods.is_empty()).then_some(OfficeHours { periods })
    }

    /// From the text an administrator writes: periods `HH:MM-HH:MM`, separated by commas
    /// (`07:30-11:30,13:30-17:00`).
    pub fn parse(raw: &str) -> Option<Self> {
        let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").ok();
        let periods = raw
            .split(',')
            .map(|period| {
                let (start, end) = period.split_once('-')?;
                Some((time(start)?, time(end)?))
            })
            .collect::<Option<Vec<_>>>()?;
        Self::new(periods)
    }

    /// The open periods of `day` as moments.
    fn on(&self, day: NaiveDate) -> impl Iterator<Item = (NaiveDateTime, NaiveDateTime)> + '_ {
        self.periods.iter().map(move |(start, end)| (day.and_time(*start), day.and_time(*end)))
    }
}

impl std::fmt::Display for OfficeHours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let periods: Vec<String> = self
            .periods
            .iter()
            .map(|(start, end)| format!("{}-{}", start.format("%H:%M"), end.format("%H:%M")))
            .collect();
        f.write_str(&periods.join(","))
    }
}

/// How far a count may run before it gives up: far beyond any deadline.
const MOST_DAYS: u32 = 3 * 366;

impl WorkingCalendar {
    /// The local moment at which `minutes` of office time have passed since local moment `start`.
    pub fn add_office_minutes(&self, start: NaiveDateTime, minutes: i64, hours: &OfficeHours) -> NaiveDateTime {
        let mut year_days = YearDays::new(self);
        let mut left = Duration::minutes(minutes.max(0));
        let mut day = start.date();
        for _ in 0..MOST_DAYS {
            if year_days.is_working(day) {
                for (open, close) in hours.on(day) {
                    let from = open.max(start);
                    if from >= close {
                        continue;
                    }
                    if left <= close - from {
                        return from + left;
                    }
                    left -= close - from;
                }
            }
            let Some(next) = day.succ_opt() else { break };
            day = next;
        }
        start + left
    }

    /// The office time between two local moments, in minutes; 0 when `to` is not after `from`.
    pub fn office_minutes_between(&self, from: NaiveDateTime, to: NaiveDateTime, hours: &OfficeHours) -> i64 {
        let mut year_days = YearDays::new(self);
        let mut total = Duration::zero();
        let mut day = from.date();
        while day <= to.date() {
            if year_days.is_working(day) {
                for (open, close) in hours.on(day) {
                    let (start, end) = (open.max(from), close.min(to));
                    if start < end {
                        total += end - start;
                    }
                }
            }
            let Some(next) = day.succ_opt() else { break };
            day = next;
        }
        total.num_minutes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::notice_2026;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn the_clock_runs_in_office_hours_on_working_days_only() {
        let calendar = WorkingCalendar::new(notice_2026());
        let hours = OfficeHours::default();
        // Filed Monday 10:00: four office hours end at 16:00 (1½ until 11:30, then 2½ from 13:30).
        assert_eq!(calendar.add_office_minutes(at("2026-03-02 10:00"), 240, &hours), at("2026-03-02 16:00"));
        // Filed Friday 16:00 with eight hours: one on Friday, four on Monday morning, three after lunch.
        assert_eq!(calendar.add_office_minutes(at("2026-03-06 16:00"), 480, &hours), at("2026-03-09 16:30"));
        // Filed at night: the count starts when the office opens.
        assert_eq!(calendar.add_office_minutes(at("2026-03-02 21:00"), 60, &hours), at("2026-03-03 08:30"));
        // Filed on the eve of Tết 2026 (Friday 13 February, 16:30): two hours run on into Monday 23.
        assert_eq!(calendar.add_office_minutes(at("2026-02-13 16:30"), 120, &hours), at("2026-02-23 09:00"));
        // The swapped Saturday 10 January 2026 is a working day.
        assert_eq!(calendar.add_office_minutes(at("2026-01-09 17:00"), 30, &hours), at("2026-01-10 08:00"));
    }

    #[test]
    fn office_time_between_two_moments_leaves_out_nights_lunch_and_days_off() {
        let calendar = WorkingCalendar::new(notice_2026());
        let hours = OfficeHours::default();
        assert_eq!(calendar.office_minutes_between(at("2026-03-02 10:00"), at("2026-03-02 16:00"), &hours), 240);
        assert_eq!(calendar.office_minutes_between(at("2026-03-06 16:00"), at("2026-03-09 16:30"), &hours), 480);
        assert_eq!(calendar.office_minutes_between(at("2026-02-13 17:00"), at("2026-02-22 23:00"), &hours), 0);
        assert_eq!(calendar.office_minutes_between(at("2026-03-03 10:00"), at("2026-03-02 10:00"), &hours), 0);
    }

    #[test]
    fn office_hours_must_be_ordered_periods() {
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
        assert!(OfficeHours::new(vec![(t(8), t(12)), (t(13), t(17))]).is_some());
        assert!(OfficeHours::new(vec![(t(13), t(17)), (t(8), t(12))]).is_none());
        assert!(OfficeHours::new(vec![(t(8), t(8))]).is_none());
        assert!(OfficeHours::new(vec![]).is_none());
    }

    #[test]
    fn office_hours_read_as_written_and_write_as_read() {
        assert_eq!(OfficeHours::parse("07:30-11:30, 13:30-17:00"), Some(OfficeHours::default()));
        assert_eq!(OfficeHours::default().to_string(), "07:30-11:30,13:30-17:00");
        for bad in ["", "7-11", "08:00-12:00,11:00-17:00", "12:00-08:00", "08:00"] {
            assert_eq!(OfficeHours::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn local_time_is_seven_hours_ahead_of_utc() {
        assert_eq!(local(at("2026-03-01 17:00")), at("2026-03-02 00:00"));
        assert_eq!(utc(at("2026-03-02 00:00")), at("2026-03-01 17:00"));
    }
}
