//! Working time as Vietnamese state agencies count it: Monday to Friday (Decision 188/1999/QĐ-TTg), less
//! the public holidays of the Labour Code (45/2019/QH14, Art. 112) with their compensatory days
//! (Art. 111.3), as changed each year by the Ministry of Home Affairs' notice (days off and swapped
//! working Saturdays), which arrives as data ([`Override`]), never as a release.
//!
//! Periods are counted as the Civil Code says (91/2015/QH13, Art. 147–148): the day of the event is not
//! counted, and a period ends at 24:00 of its last day, local time.

pub mod clock;
pub mod lunar;
pub mod office_hours;
pub mod store;

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate, Weekday};

use self::lunar::LunarDate;

/// Where a day's status comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = DaySource)]
pub enum Source {
    /// A public holiday of the Labour Code, computed for the year.
    Statute,
    /// A weekday off because a holiday fell on a weekend.
    Compensatory,
    /// An announced change: a day off or a worked weekend day.
    Notice,
}

/// A day that differs from the Monday–Friday rule, or a holiday that falls on a weekend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecialDay {
    pub date: NaiveDate,
    pub working: bool,
    pub name: String,
    pub source: Source,
    /// The notice that decided it, for [`Source::Notice`].
    pub notice: Option<String>,
}

/// An announced change to one day: off (`working: false`) or worked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    pub date: NaiveDate,
    pub working: bool,
    pub name: String,
    pub notice: String,
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

fn ymd(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day)
}

/// The public holidays of `year` by the Labour Code, where the year's notice has not said otherwise: the
/// five Tết days are the last day of the lunar year and the first four of the new one, and the day beside
/// 2 September is the one that joins it to a weekend.
pub fn statutory_holidays(year: i32) -> Vec<(NaiveDate, String)> {
    let mut days = Vec::new();
    let mut add = |date: Option<NaiveDate>, name: &str| days.extend(date.map(|d| (d, name.to_string())));
    add(ymd(year, 1, 1), "Tết Dương lịch");
    let tet = lunar::tet(year);
    add(tet.pred_opt(), "Tết Nguyên Đán (ngày cuối năm)");
    for (offset, name) in ["mùng 1", "mùng 2", "mùng 3", "mùng 4"].into_iter().enumerate() {
        add(tet.checked_add_days(Days::new(offset as u64)), &format!("Tết Nguyên Đán ({name})"));
    }
    add(lunar::from_lunar(LunarDate { year, month: 3, day: 10, leap: false }), "Giỗ Tổ Hùng Vương");
    add(ymd(year, 4, 30), "Ngày Chiến thắng");
    add(ymd(year, 5, 1), "Ngày Quốc tế Lao động");
    let national_day = ymd(year, 9, 2);
    add(national_day, "Quốc khánh");
    let beside = national_day.and_then(|day| match day.weekday() {
        Weekday::Mon | Weekday::Thu | Weekday::Sun => day.succ_opt(),
        _ => day.pred_opt(),
    });
    add(beside, "Quốc khánh (ngày liền kề)");
    days.sort();
    days
}

/// The days a working calendar treats apart from Monday to Friday: the year's holidays, the weekdays that
/// make up for holidays on a weekend, and the announced overrides, which win.
#[derive(Debug, Clone, Default)]
pub struct WorkingCalendar {
    overrides: BTreeMap<NaiveDate, Override>,
}

impl WorkingCalendar {
    pub fn new(overrides: impl IntoIterator<Item = Override>) -> Self {
        WorkingCalendar { overrides: overrides.into_iter().map(|o| (o.date, o)).collect() }
    }

    /// Every day of `year` that differs from the Monday–Friday rule, and every holiday on a weekend, in
    /// date order.
    pub fn special_days(&self, year: i32) -> Vec<SpecialDay> {
        let mut days: BTreeMap<NaiveDate, SpecialDay> = BTreeMap::new();
        // No holiday falls late enough in December to be made up in the next year.
        let mut owed = 0;
        let holidays = statutory_holidays(year);
        let holiday_dates: Vec<NaiveDate> = holidays.iter().map(|(date, _)| *date).collect();
        for (date, name) in holidays {
            days.insert(date, SpecialDay { date, working: false, name, source: Source::Statute, notice: None });
            owed += usize::from(is_weekend(date));
            // A run of holidays is made up on the working days right after it (Art. 111.3).
            let next = date.succ_opt();
            if owed > 0 && next.is_some_and(|next| !holiday_dates.contains(&next)) {
                let mut day = date;
                while owed > 0 {
                    let Some(next) = day.succ_opt() else { break };
                    day = next;
                    if is_weekend(day) || holiday_dates.contains(&day) {
                        continue;
                    }
                    owed -= 1;
                    let name = format!("Nghỉ bù {}", name_of_run(&days, day));
                    let source = Source::Compensatory;
                    days.insert(day, SpecialDay { date: day, working: false, name, source, notice: None });
                }
            }
        }
        for o in self.overrides.values().filter(|o| o.date.year() == year) {
            let special = SpecialDay {
                date: o.date,
                working: o.working,
                name: o.name.clone(),
                source: Source::Notice,
                notice: Some(o.notice.clone()),
            };
            days.insert(o.date, special);
        }
        let differs = |d: &SpecialDay| d.working == is_weekend(d.date);
        days.into_values().filter(|d| differs(d) || d.source == Source::Statute).collect()
    }

    /// Whether offices work on `date`.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        YearDays::new(self).is_working(date)
    }

    /// The last day of a period of `days` working days that starts with an event on `start`: `start` itself
    /// is not counted. The period ends at 24:00 of the day returned.
    pub fn add_working_days(&self, start: NaiveDate, days: u32) -> NaiveDate {
        let mut year_days = YearDays::new(self);
        let mut day = start;
        let mut left = days;
        while left > 0 {
            day = day.succ_opt().expect("a deadline within the calendar's range");
            if year_days.is_working(day) {
                left -= 1;
            }
        }
        day
    }

    /// How many working days there are after `from` up to and including `to`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let mut year_days = YearDays::new(self);
        from.iter_days().skip(1).take_while(|day| *day <= to).map(|day| u32::from(year_days.is_working(day))).sum()
    }

    /// The day a period of calendar days that ends on `last` really ends: a last day off moves to the next
    /// working day (Civil Code, Art. 148.5).
    pub fn end_on_working_day(&self, last: NaiveDate) -> NaiveDate {
        let mut year_days = YearDays::new(self);
        let mut day = last;
        while !year_days.is_working(day) {
            day = day.succ_opt().expect("a deadline within the calendar's range");
        }
        day
    }
}

/// A holiday's name for the compensatory day that makes up for it (the run it follows).
fn name_of_run(days: &BTreeMap<NaiveDate, SpecialDay>, compensation: NaiveDate) -> String {
    days.range(..compensation)
        .rev()
        .find(|(_, d)| d.source == Source::Statute)
        .map_or_else(String::new, |(_, d)| d.name.clone())
}

/// The special days of the years a count passes through, computed once per year.
struct YearDays<'a> {
    calendar: &'a WorkingCalendar,
    years: BTreeMap<i32, BTreeMap<NaiveDate, bool>>,
}

impl<'a> YearDays<'a> {
    fn new(calendar: &'a WorkingCalendar) -> Self {
        YearDays { calendar, years: BTreeMap::new() }
    }

    fn is_working(&mut self, date: NaiveDate) -> bool {
        let year = self.years.entry(date.year()).or_insert_with(|| {
            self.calendar.special_days(date.year()).into_iter().map(|d| (d.date, d.working)).collect()
        });
        year.get(&date).copied().unwrap_or(!is_weekend(date))
    }
}

/// The changes the Ministry of Home Affairs announced for 2026 (notice 9441/TB-BNV): Friday 2 January off
/// for Saturday 10 January, Monday 31 August off for Saturday 22 August. Tết (Saturday 14 – Sunday 22
/// February), Giỗ Tổ's compensation on Monday 27 April and 1 September beside National Day are what the
/// statute and the default rules give.
pub fn notice_2026() -> Vec<Override> {
    const NOTICE: &str = "9441/TB-BNV";
    let day = |month, day, working, name: &str| Override {
        date: NaiveDate::from_ymd_opt(2026, month, day).expect("a real day"),
        working,
        name: name.to_string(),
        notice: NOTICE.to_string(),
    };
    vec![
        day(1, 2, false, "Nghỉ hoán đổi (làm bù thứ Bảy 10/01)"),
        day(1, 10, true, "Làm bù cho thứ Sáu 02/01"),
        day(8, 22, true, "Làm bù cho thứ Hai 31/08"),
        day(8, 31, false, "Nghỉ hoán đổi (làm bù thứ Bảy 22/08)"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn days_off(calendar: &WorkingCalendar, year: i32) -> Vec<String> {
        calendar
            .special_days(year)
            .into_iter()
            .filter(|d| !d.working && !is_weekend(d.date))
            .map(|d| d.date.to_string())
            .collect()
    }

    #[test]
    fn gio_to_falls_on_the_tenth_day_of_the_third_lunar_month() {
        // As the calendars published for those years show it.
        let published = [
            (2012, "2012-03-31"),
            (2013, "2013-04-19"),
            (2014, "2014-04-09"),
            (2015, "2015-04-28"),
            (2016, "2016-04-16"),
            (2017, "2017-04-06"),
            (2018, "2018-04-25"),
            (2019, "2019-04-14"),
            (2020, "2020-04-02"),
            (2021, "2021-04-21"),
            (2022, "2022-04-10"),
            (2023, "2023-04-29"),
            (2024, "2024-04-18"),
            (2025, "2025-04-07"),
            (2026, "2026-04-26"),
            (2027, "2027-04-16"),
        ];
        for (year, expected) in published {
            let gio_to = statutory_holidays(year).into_iter().find(|(_, name)| name == "Giỗ Tổ Hùng Vương");
            assert_eq!(gio_to.map(|(d, _)| d), Some(date(expected)), "{year}");
        }
    }

    #[test]
    fn the_2026_calendar_is_the_one_announced() {
        let calendar = WorkingCalendar::new(notice_2026());
        assert_eq!(
            days_off(&calendar, 2026),
            [
                "2026-01-01",
                "2026-01-02", // New Year, and the swapped Friday
                "2026-02-16",
                "2026-02-17",
                "2026-02-18",
                "2026-02-19",
                "2026-02-20", // Tết
                "2026-04-27", // Giỗ Tổ (Sunday 26/4) made up on Monday
                "2026-04-30",
                "2026-05-01", // Reunification Day, Labour Day
                "2026-08-31",
                "2026-09-01",
                "2026-09-02", // the swapped Monday, National Day
            ]
        );
        assert!(calendar.is_working_day(date("2026-01-10")), "the swapped Saturday is worked");
        assert!(calendar.is_working_day(date("2026-08-22")));
        assert!(calendar.is_working_day(date("2026-09-03")));
        assert!(!calendar.is_working_day(date("2026-02-14")) && !calendar.is_working_day(date("2026-02-22")));
        let gio_to = calendar.special_days(2026).into_iter().find(|d| d.date == date("2026-04-27")).unwrap();
        assert_eq!((gio_to.source, gio_to.name.as_str()), (Source::Compensatory, "Nghỉ bù Giỗ Tổ Hùng Vương"));
    }

    #[test]
    fn holidays_on_a_weekend_are_made_up_on_the_next_working_days() {
        let calendar = WorkingCalendar::default();
        // Tết 2027 (Saturday 6 February): Friday 5 – Tuesday 9 off, and the weekend made up on Wednesday and
        // Thursday.
        let off = days_off(&calendar, 2027);
        for day in ["2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11"] {
            assert!(off.contains(&day.to_string()), "{day} in {off:?}");
        }
        assert!(calendar.is_working_day(date("2027-02-12")));
        // 2 September 2023 was a Saturday: Friday 1 and Monday 4 September were off.
        assert_eq!(days_off(&calendar, 2023).iter().filter(|d| d.starts_with("2023-09")).count(), 2);
    }

    #[test]
    fn the_day_of_the_event_is_not_counted_and_swapped_saturdays_are() {
        let calendar = WorkingCalendar::new(notice_2026());
        // Received on a Monday: three working days are Tuesday to Thursday.
        assert_eq!(calendar.add_working_days(date("2026-03-02"), 3), date("2026-03-05"));
        // Received on Friday 9 January 2026: the swapped Saturday 10 counts.
        assert_eq!(calendar.add_working_days(date("2026-01-09"), 1), date("2026-01-10"));
        // Received on the Friday before Tết 2027 (29 January): three working days end after Tết.
        assert_eq!(calendar.add_working_days(date("2027-01-29"), 3), date("2027-02-03"));
        // Received on Wednesday 3 February 2027: Thursday, then Tết and its make-up days, then Friday 12 and
        // Monday 15.
        assert_eq!(calendar.add_working_days(date("2027-02-03"), 3), date("2027-02-15"));
        // A period of calendar days that ends on a day off ends on the next working day.
        assert_eq!(calendar.end_on_working_day(date("2026-02-15")), date("2026-02-23"));
        assert_eq!(calendar.end_on_working_day(date("2026-02-23")), date("2026-02-23"));
    }

    #[test]
    fn an_override_wins_over_the_statute() {
        let extra = Override {
            date: date("2026-11-24"),
            working: false,
            name: "Ngày Văn hóa Việt Nam".into(),
            notice: "test".into(),
        };
        let calendar = WorkingCalendar::new([extra]);
        assert!(!calendar.is_working_day(date("2026-11-24")));
        assert_eq!(calendar.add_working_days(date("2026-11-23"), 1), date("2026-11-25"));
    }
}
