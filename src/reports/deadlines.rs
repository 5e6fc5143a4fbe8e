//! A report's deadlines in Vietnamese working time. Each step of its life has one: a `submitted` report
//! must be accepted (triaged) within its category's working hours, an accepted one resolved within its
//! working days, and a question to the reporter answered within 10 working days. Urgent reports count
//! clock hours, around the clock. Days are counted as the Civil Code says (the day of the event is not
//! counted; a period ends at 24:00 local time of its last day, a working day), hours within the handling
//! office's hours on working days.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::row::ReportRow;
use super::ReportStatus;
use crate::calendar::office_hours::{self, OfficeHours};
use crate::calendar::WorkingCalendar;
use crate::categories::StepRules;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::reference::Reference;
use crate::values::OrganizationId;

/// An urgent report is accepted within this many clock hours.
pub const URGENT_ACCEPT_HOURS: i64 = 2;
/// The reporter has this many working days to answer an office's question; then the report closes.
pub const ANSWER_DAYS: u32 = 10;
/// The office is reminded when this share of a step's (working) time has run.
pub const REMIND_SHARE: f64 = 0.8;

/// What the handling office has to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Triage: accept, reject or transfer the report.
    Accept,
    Resolve,
    /// The office asked the reporter a question; its own clock is stopped meanwhile.
    Answer,
}

impl Step {
    /// The step a report in `status` is at; `None` once nothing is due.
    pub fn of(status: ReportStatus) -> Option<Step> {
        match status {
            ReportStatus::Submitted => Some(Step::Accept),
            ReportStatus::Accepted | ReportStatus::InProgress => Some(Step::Resolve),
            ReportStatus::WaitingForCitizen => Some(Step::Answer),
            _ => None,
        }
    }
}

/// How a step's time runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Counting {
    /// Office hours on working days.
    WorkingHours,
    /// Whole working days, ending at 24:00.
    WorkingDays,
    /// Clock hours, day and night (urgent reports).
    Hours,
}

/// When a step is due, and when its office is reminded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub due_at: NaiveDateTime,
    pub remind_at: NaiveDateTime,
}

/// What one report's deadlines are counted with: its rules, the handling office's hours and the
/// calendar of its province. Times in and out are UTC.
#[derive(Debug, Clone)]
pub struct ReportClock {
    rules: StepRules,
    urgent: bool,
    hours: OfficeHours,
    calendar: WorkingCalendar,
}

impl ReportClock {
    pub fn new(rules: StepRules, urgent: bool, hours: OfficeHours, calendar: WorkingCalendar) -> Self {
        ReportClock { rules, urgent, hours, calendar }
    }

    /// The clock of `report` once handled by `organization`, for counts around `at`.
    pub fn load(
        conn: &mut DbConnection,
        report: &ReportRow,
        organization: Option<&OrganizationId>,
        at: NaiveDateTime,
    ) -> Result<Self, AppError> {
        Self::of(&*crate::reference::current(conn)?, report, organization, at)
    }

    /// The clock from reference data already at hand.
    pub fn of(
        reference: &Reference,
        report: &ReportRow,
        organization: Option<&OrganizationId>,
        at: NaiveDateTime,
    ) -> Result<Self, AppError> {
        let province =
            reference.unit(&report.unit_code).and_then(|unit| unit.parent_code.as_deref()).unwrap_or_default();
        let rules = reference.deadlines(&report.category_code, province)?;
        let hours = match organization {
            Some(id) => reference.office_hours(id)?,
            None => OfficeHours::default(),
        };
        // A year back for a pause that began last year, a year on for a count that runs into the next.
        let year = office_hours::local(at).year();
        let calendar = reference.working_calendar(year - 1..=year + 1, Some(province));
        Ok(ReportClock::new(rules, report.urgent, hours, calendar))
    }

    pub fn counting(&self, step: Step) -> Counting {
        match step {
            Step::Answer => Counting::WorkingDays,
            _ if self.urgent => Counting::Hours,
            Step::Accept => Counting::WorkingHours,
            Step::Resolve => Counting::WorkingDays,
        }
    }

    /// When `step`, begun at `from`, is due.
    pub fn due(&self, step: Step, from: NaiveDateTime) -> Due {
        let due_at = match (step, self.counting(step)) {
            (Step::Accept, Counting::Hours) => from + Duration::hours(URGENT_ACCEPT_HOURS),
            (_, Counting::Hours) => from + Duration::hours(i64::from(self.rules.urgent_hours)),
            (_, Counting::WorkingHours) => office_hours::utc(self.calendar.add_office_minutes(
                office_hours::local(from),
                i64::from(self.rules.accept_working_hours) * 60,
                &self.hours,
            )),
            (Step::Answer, Counting::WorkingDays) => self.after_working_days(from, ANSWER_DAYS),
            (_, Counting::WorkingDays) => self.after_working_days(from, days(self.rules.resolve_working_days)),
        };
        Due { due_at, remind_at: self.reminder(step, from, due_at) }
    }

    /// The end of the `days`-th working day after the day of `from`.
    pub fn after_working_days(&self, from: NaiveDateTime, days: u32) -> NaiveDateTime {
        end_of(self.calendar.add_working_days(office_hours::local(from).date(), days))
    }

    /// When the office is reminded of a step running from `from` to `due_at`: once [`REMIND_SHARE`] of
    /// its time has run (its working time, unless it counts clock hours).
    pub fn reminder(&self, step: Step, from: NaiveDateTime, due_at: NaiveDateTime) -> NaiveDateTime {
        if self.counting(step) == Counting::Hours {
            let span = (due_at - from).num_seconds() as f64;
            return from + Duration::seconds((span * REMIND_SHARE) as i64);
        }
        let (from_local, due_local) = (office_hours::local(from), office_hours::local(due_at));
        let working = self.calendar.office_minutes_between(from_local, due_local, &self.hours);
        let share = (working as f64 * REMIND_SHARE) as i64;
        office_hours::utc(self.calendar.add_office_minutes(from_local, share, &self.hours))
    }

    /// The deadline of a step `due_at`, stopped from `paused_at` to `resumed_at`: later by the working
    /// days (or clock time, or office time) that passed meanwhile.
    pub fn resumed(
        &self,
        step: Step,
        due_at: NaiveDateTime,
        paused_at: NaiveDateTime,
        resumed_at: NaiveDateTime,
    ) -> Due {
        let due_at = match self.counting(step) {
            Counting::Hours => due_at + (resumed_at - paused_at).max(Duration::zero()),
            Counting::WorkingHours => {
                let (paused, resumed) = (office_hours::local(paused_at), office_hours::local(resumed_at));
                let lost = self.calendar.office_minutes_between(paused, resumed, &self.hours);
                office_hours::utc(self.calendar.add_office_minutes(office_hours::local(due_at), lost, &self.hours))
            }
            Counting::WorkingDays => {
                let (paused, resumed) = (office_hours::local(paused_at).date(), office_hours::local(resumed_at).date());
                let lost = self.calendar.working_days_between(paused, resumed);
                end_of(self.calendar.add_working_days(last_day(due_at), lost))
            }
        };
        Due { due_at, remind_at: self.reminder(step, resumed_at, due_at) }
    }

    /// The latest the resolution of a report due at `due_at` may be extended to: the category's most
    /// working days in all.
    pub fn latest_extension(&self, due_at: NaiveDateTime) -> NaiveDateTime {
        let more = self.rules.max_resolve_working_days - self.rules.resolve_working_days;
        if more <= 0 {
            return due_at;
        }
        end_of(self.calendar.add_working_days(last_day(due_at), days(more)))
    }

    /// The end of `day` as a deadline: 24:00 local time, of the next working day when `day` is off.
    pub fn end_of_working_day(&self, day: NaiveDate) -> NaiveDateTime {
        end_of(self.calendar.end_on_working_day(day))
    }

    /// The time left until `due_at` at `now`, in minutes of the step's time (office time unless it counts
    /// clock hours); negative once past.
    pub fn minutes_left(&self, step: Step, now: NaiveDateTime, due_at: NaiveDateTime) -> i64 {
        if self.counting(step) == Counting::Hours {
            return (due_at - now).num_minutes();
        }
        let (now, due) = (office_hours::local(now), office_hours::local(due_at));
        if now <= due {
            self.calendar.office_minutes_between(now, due, &self.hours)
        } else {
            -self.calendar.office_minutes_between(due, now, &self.hours)
        }
    }
}

fn days(count: i32) -> u32 {
    u32::try_from(count).unwrap_or(0)
}

/// 24:00 local time of `day`, in UTC.
fn end_of(day: NaiveDate) -> NaiveDateTime {
    office_hours::utc(day.succ_opt().unwrap_or(day).and_hms_opt(0, 0, 0).unwrap_or_default())
}

/// The local day a deadline falls in (a deadline at 24:00 belongs to the day that ends).
pub fn last_day(due_at: NaiveDateTime) -> NaiveDate {
    (office_hours::local(due_at) - Duration::seconds(1)).date()
}

/// A moment as Vietnam's clocks show it, with its offset: `2027-02-17T00:00:00+07:00`.
pub fn local_time(utc: NaiveDateTime) -> DateTime<FixedOffset> {
    let offset = FixedOffset::east_opt(office_hours::UTC_OFFSET.num_seconds() as i32).expect("a valid offset");
    utc.and_utc().with_timezone(&offset)
}

/// A deadline as people here write it, on Vietnam's clocks: `24:00 05/03/2026` for the end of a day,
/// `16:30 05/03/2026` otherwise.
pub fn local_label(due_at: NaiveDateTime) -> String {
    let local = office_hours::local(due_at);
    if local.time() == chrono::NaiveTime::MIN {
        format!("24:00 {}", last_day(due_at).format("%d/%m/%Y"))
    } else {
        local.format("%H:%M %d/%m/%Y").to_string()
    }
}

/// A report's current deadline as the app and the console show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Deadline {
    pub step: Step,
    pub counted_in: Counting,
    pub due_at: DateTime<Utc>,
    /// The same moment on Vietnam's clocks (UTC+7).
    #[schema(value_type = String, example = "2027-02-17T00:00:00+07:00")]
    pub due_local: DateTime<FixedOffset>,
    /// Minutes left in the step's time: office hours on working days, or clock time for urgent reports;
    /// negative once overdue.
    pub minutes_left: i64,
    pub overdue: bool,
    /// Whether its one extension has been used.
    pub extended: bool,
}

/// The deadline `report` is at `now`, if any: its step's, or the reporter's answer's while it waits.
pub fn current(conn: &mut DbConnection, report: &ReportRow, now: NaiveDateTime) -> Result<Option<Deadline>, AppError> {
    let Some(step) = Step::of(report.status()?) else { return Ok(None) };
    let due_at = if step == Step::Answer { report.closes_at } else { report.due_at };
    let Some(due_at) = due_at else { return Ok(None) };
    let clock = ReportClock::load(conn, report, report.organization_id.as_ref(), now)?;
    let minutes_left = clock.minutes_left(step, now, due_at);
    Ok(Some(Deadline {
        step,
        counted_in: clock.counting(step),
        due_at: due_at.and_utc(),
        due_local: local_time(due_at),
        minutes_left,
        overdue: due_at < now,
        extended: super::events::last_event_at(conn, &report.id, crate::values::EventKind::Extended)?.is_some(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::notice_2026;

    fn at(text: &str) -> NaiveDateTime {
        office_hours::utc(NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap())
    }

    fn clock(urgent: bool) -> ReportClock {
        let rules = StepRules {
            accept_working_hours: 8,
            resolve_working_days: 3,
            max_resolve_working_days: 5,
            urgent_hours: 24,
        };
        ReportClock::new(rules, urgent, OfficeHours::default(), WorkingCalendar::new(notice_2026()))
    }

    #[test]
    fn the_day_of_acceptance_is_not_counted_and_the_deadline_ends_at_midnight() {
        // Accepted Monday 2 March 2026 at 10:00 (local): Tuesday, Wednesday, Thursday; due at 24:00 Thursday.
        assert_eq!(clock(false).due(Step::Resolve, at("2026-03-02 10:00")).due_at, at("2026-03-06 00:00"));
    }

    #[test]
    fn days_off_do_not_count_and_swapped_saturdays_do() {
        // Accepted Friday 13 February 2026, the eve of Tết: off from 14 to 22 February.
        assert_eq!(clock(false).due(Step::Resolve, at("2026-02-13 09:00")).due_at, at("2026-02-26 00:00"));
        // Accepted Thursday 8 January 2026: Friday 9, the worked Saturday 10, Monday 12.
        assert_eq!(clock(false).due(Step::Resolve, at("2026-01-08 09:00")).due_at, at("2026-01-13 00:00"));
    }

    #[test]
    fn triage_runs_in_office_hours_and_urgent_reports_around_the_clock() {
        assert_eq!(clock(false).due(Step::Accept, at("2026-03-06 16:00")).due_at, at("2026-03-09 16:30"));
        assert_eq!(clock(true).due(Step::Accept, at("2026-03-06 16:00")).due_at, at("2026-03-06 18:00"));
        assert_eq!(clock(true).due(Step::Resolve, at("2026-03-06 16:00")).due_at, at("2026-03-07 16:00"));
    }

    #[test]
    fn the_reminder_comes_when_four_fifths_of_the_working_time_have_run() {
        // Eight office hours from Monday 07:30: reminded after 6 h 24 min of them, at 15:54.
        let due = clock(false).due(Step::Accept, at("2026-03-02 07:30"));
        assert_eq!(due.remind_at, at("2026-03-02 15:54"));
        let urgent = clock(true).due(Step::Resolve, at("2026-03-02 00:00"));
        assert_eq!(urgent.remind_at, at("2026-03-02 19:12"));
    }

    #[test]
    fn a_pause_moves_the_deadline_by_the_working_days_it_lasted() {
        let c = clock(false);
        let due = c.due(Step::Resolve, at("2026-03-02 10:00")).due_at;
        // Asked on Tuesday, answered on the next Monday: Wednesday to Monday are four working days.
        let resumed = c.resumed(Step::Resolve, due, at("2026-03-03 09:00"), at("2026-03-09 09:00"));
        assert_eq!(resumed.due_at, at("2026-03-12 00:00"));
        // Answered the same day: nothing is lost.
        assert_eq!(c.resumed(Step::Resolve, due, at("2026-03-03 09:00"), at("2026-03-03 15:00")).due_at, due);
    }

    #[test]
    fn an_extension_reaches_the_categorys_most_working_days_and_no_further() {
        let c = clock(false);
        let due = c.due(Step::Resolve, at("2026-03-02 10:00")).due_at;
        assert_eq!(c.latest_extension(due), at("2026-03-10 00:00"));
        assert_eq!(c.end_of_working_day(NaiveDate::from_ymd_opt(2026, 3, 7).unwrap()), at("2026-03-10 00:00"));
    }

    #[test]
    fn time_left_counts_office_minutes_and_goes_negative_once_overdue() {
        let c = clock(false);
        assert_eq!(c.minutes_left(Step::Accept, at("2026-03-02 10:00"), at("2026-03-02 14:30")), 150);
        assert_eq!(c.minutes_left(Step::Accept, at("2026-03-02 14:30"), at("2026-03-02 10:00")), -150);
        assert_eq!(clock(true).minutes_left(Step::Resolve, at("2026-03-02 10:00"), at("2026-03-02 14:30")), 270);
    }

    #[test]
    fn local_time_carries_vietnams_offset() {
        assert_eq!(local_time(at("2027-02-17 00:00")).to_rfc3339(), "2027-02-17T00:00:00+07:00");
        assert_eq!(local_label(at("2027-02-17 00:00")), "24:00 16/02/2027");
        assert_eq!(local_label(at("2027-02-17 16:30")), "16:30 17/02/2027");
    }
}
