//! The Vietnamese lunisolar calendar, computed for Vietnam's time zone (UTC+7): a month begins on the
//! local day of a new moon, and month 11 is the one that holds the winter solstice. Because the day is
//! counted in UTC+7, a few years differ from the Chinese calendar (UTC+8), e.g. Tết 2007 and 2030.
//!
//! The astronomy follows Hồ Ngọc Đức's published description ("Thuật toán tính âm lịch"): the new moon
//! and the sun's longitude after Jean Meeus, "Astronomical Algorithms" (1998), accurate to minutes for
//! 1800–2199, which is all a working calendar needs.

use std::f64::consts::PI;

use chrono::{Datelike, NaiveDate};

/// Vietnam's offset from UTC, in hours.
const TIME_ZONE: f64 = 7.0;
/// Mean length of a synodic month, in days.
const SYNODIC_MONTH: f64 = 29.530588853;
/// Julian day of the new moon of 1900-01-01, from which new moons are numbered.
const EPOCH: f64 = 2415021.076998695;

/// A day of the lunar calendar. `leap` marks a leap month (tháng nhuận), which repeats the number of the
/// month before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LunarDate {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub leap: bool,
}

/// Julian day number of a Gregorian date (noon of that day).
fn julian_day(date: NaiveDate) -> i64 {
    // 0001-01-01 of the proleptic Gregorian calendar is Julian day 1,721,426.
    i64::from(date.num_days_from_ce()) + 1_721_425
}

fn from_julian_day(day: i64) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(day - 1_721_425).ok()?)
}

/// The moment (Julian day, UT) of the `k`-th new moon after 1900-01-01.
fn new_moon(k: i64) -> f64 {
    let k = k as f64;
    let t = k / 1236.85;
    let (t2, t3) = (t * t, t * t * t);
    let dr = PI / 180.0;
    let mut jd = 2415020.75933 + 29.53058868 * k + 0.0001178 * t2 - 0.000000155 * t3;
    jd += 0.00033 * ((166.56 + 132.87 * t - 0.009173 * t2) * dr).sin();
    let m = 359.2242 + 29.10535608 * k - 0.0000333 * t2 - 0.00000347 * t3; // the sun's mean anomaly
    let mpr = 306.0253 + 385.81691806 * k + 0.0107306 * t2 + 0.00001236 * t3; // the moon's
    let f = 21.2964 + 390.67050646 * k - 0.0016528 * t2 - 0.00000239 * t3; // the moon's argument of latitude
    let mut c1 = (0.1734 - 0.000393 * t) * (m * dr).sin() + 0.0021 * (2.0 * dr * m).sin();
    c1 += -0.4068 * (mpr * dr).sin() + 0.0161 * (dr * 2.0 * mpr).sin();
    c1 -= 0.0004 * (dr * 3.0 * mpr).sin();
    c1 += 0.0104 * (dr * 2.0 * f).sin() - 0.0051 * (dr * (m + mpr)).sin();
    c1 += -0.0074 * (dr * (m - mpr)).sin() + 0.0004 * (dr * (2.0 * f + m)).sin();
    c1 += -0.0004 * (dr * (2.0 * f - m)).sin() - 0.0006 * (dr * (2.0 * f + mpr)).sin();
    c1 += 0.0010 * (dr * (2.0 * f - mpr)).sin() + 0.0005 * (dr * (2.0 * mpr + m)).sin();
    let delta_t = if t < -11.0 {
        0.001 + 0.000839 * t + 0.0002261 * t2 - 0.00000845 * t3 - 0.000000081 * t * t3
    } else {
        -0.000278 + 0.000265 * t + 0.000262 * t2
    };
    jd + c1 - delta_t
}

/// The sun's apparent longitude at Julian day `jd` (UT), in radians within [0, 2π).
fn sun_longitude(jd: f64) -> f64 {
    let t = (jd - 2451545.0) / 36525.0;
    let t2 = t * t;
    let dr = PI / 180.0;
    let m = 357.52910 + 35999.05030 * t - 0.0001559 * t2 - 0.00000048 * t * t2;
    let l0 = 280.46645 + 36000.76983 * t + 0.0003032 * t2;
    let dl = (1.914600 - 0.004817 * t - 0.000014 * t2) * (dr * m).sin()
        + (0.019993 - 0.000101 * t) * (dr * 2.0 * m).sin()
        + 0.000290 * (dr * 3.0 * m).sin();
    ((l0 + dl) * dr).rem_euclid(2.0 * PI)
}

/// Which of the twelve 30° sectors (major solar terms) the sun is in at the start of local day `day`.
fn sun_sector(day: i64) -> i64 {
    (sun_longitude(day as f64 - 0.5 - TIME_ZONE / 24.0) / PI * 6.0).floor() as i64
}

/// The local day on which the `k`-th new moon falls.
fn new_moon_day(k: i64) -> i64 {
    (new_moon(k) + 0.5 + TIME_ZONE / 24.0).floor() as i64
}

fn moon_number(day: i64) -> i64 {
    ((day as f64 - EPOCH) / SYNODIC_MONTH).floor() as i64
}

/// The first day of lunar month 11 (the month of the winter solstice) of Gregorian year `year`.
fn month_11(year: i32) -> i64 {
    let Some(new_year_eve) = NaiveDate::from_ymd_opt(year, 12, 31) else { return 0 };
    let k = ((julian_day(new_year_eve) as f64 - 2415021.0) / SYNODIC_MONTH).floor() as i64;
    let start = new_moon_day(k);
    // A new moon after the sun has passed 270° starts month 12: month 11 began a moon earlier.
    if sun_sector(start) >= 9 {
        new_moon_day(k - 1)
    } else {
        start
    }
}

/// In a year of 13 months, how many months after month 11 the leap month comes: the first month in which
/// the sun enters no new sector (no major solar term).
fn leap_month_offset(month_11_start: i64) -> i64 {
    let k = ((month_11_start as f64 - EPOCH) / SYNODIC_MONTH + 0.5).floor() as i64;
    let mut i = 1;
    let mut arc = sun_sector(new_moon_day(k + i));
    loop {
        let last = arc;
        i += 1;
        arc = sun_sector(new_moon_day(k + i));
        if arc == last || i >= 14 {
            return i - 1;
        }
    }
}

/// The lunar date of a Gregorian day.
pub fn to_lunar(date: NaiveDate) -> LunarDate {
    let day = julian_day(date);
    let k = moon_number(day);
    let mut month_start = new_moon_day(k + 1);
    if month_start > day {
        month_start = new_moon_day(k);
    }
    let this_11 = month_11(date.year());
    let (a11, b11, mut year) = if this_11 >= month_start {
        (month_11(date.year() - 1), this_11, date.year())
    } else {
        (this_11, month_11(date.year() + 1), date.year() + 1)
    };
    let diff = (month_start - a11) / 29;
    let mut month = diff + 11;
    let mut leap = false;
    if b11 - a11 > 365 {
        let leap_offset = leap_month_offset(a11);
        if diff >= leap_offset {
            month = diff + 10;
            leap = diff == leap_offset;
        }
    }
    if month > 12 {
        month -= 12;
    }
    if month >= 11 && diff < 4 {
        year -= 1;
    }
    LunarDate { year, month: month as u32, day: (day - month_start + 1) as u32, leap }
}

/// The Gregorian day of a lunar date; `None` for a date that does not exist (a leap month the year has
/// not, or a day past the month's end).
pub fn from_lunar(lunar: LunarDate) -> Option<NaiveDate> {
    let LunarDate { year, month, day, leap } = lunar;
    if !(1..=12).contains(&month) || !(1..=30).contains(&day) {
        return None;
    }
    let (a11, b11) =
        if month < 11 { (month_11(year - 1), month_11(year)) } else { (month_11(year), month_11(year + 1)) };
    let k = (0.5 + (a11 as f64 - EPOCH) / SYNODIC_MONTH).floor() as i64;
    let mut offset = (i64::from(month) - 11).rem_euclid(12);
    if b11 - a11 > 365 {
        let leap_offset = leap_month_offset(a11);
        let leap_month = (leap_offset - 2).rem_euclid(12);
        if leap && i64::from(month) != leap_month {
            return None;
        }
        if leap || offset >= leap_offset {
            offset += 1;
        }
    } else if leap {
        return None;
    }
    let start = new_moon_day(k + offset);
    let date = from_julian_day(start + i64::from(day) - 1)?;
    // Day 30 of a 29-day month is the next month's first day: no such date.
    (to_lunar(date) == lunar).then_some(date)
}

/// The first day of lunar year `year` (Tết Nguyên Đán, mùng 1 tháng Giêng).
pub fn tet(year: i32) -> NaiveDate {
    from_lunar(LunarDate { year, month: 1, day: 1, leap: false }).expect("every lunar year has a first day")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    /// Tết as Vietnam kept it, 2000–2050 (the Vietnamese calendar, UTC+7).
    const TET: [&str; 51] = [
        "2000-02-05",
        "2001-01-24",
        "2002-02-12",
        "2003-02-01",
        "2004-01-22",
        "2005-02-09",
        "2006-01-29",
        "2007-02-17",
        "2008-02-07",
        "2009-01-26",
        "2010-02-14",
        "2011-02-03",
        "2012-01-23",
        "2013-02-10",
        "2014-01-31",
        "2015-02-19",
        "2016-02-08",
        "2017-01-28",
        "2018-02-16",
        "2019-02-05",
        "2020-01-25",
        "2021-02-12",
        "2022-02-01",
        "2023-01-22",
        "2024-02-10",
        "2025-01-29",
        "2026-02-17",
        "2027-02-06",
        "2028-01-26",
        "2029-02-13",
        "2030-02-02",
        "2031-01-23",
        "2032-02-11",
        "2033-01-31",
        "2034-02-19",
        "2035-02-08",
        "2036-01-28",
        "2037-02-15",
        "2038-02-04",
        "2039-01-24",
        "2040-02-12",
        "2041-02-01",
        "2042-01-22",
        "2043-02-10",
        "2044-01-30",
        "2045-02-17",
        "2046-02-06",
        "2047-01-26",
        "2048-02-14",
        "2049-02-02",
        "2050-01-23",
    ];

    #[test]
    fn tet_falls_on_the_published_days_from_2000_to_2050() {
        for (year, expected) in (2000..).zip(TET) {
            assert_eq!(tet(year), date(expected), "Tết {year}");
            assert_eq!(to_lunar(date(expected)), LunarDate { year, month: 1, day: 1, leap: false });
        }
    }

    #[test]
    fn vietnam_and_china_differ_where_the_new_moon_is_near_midnight() {
        // In China (UTC+8) Tết 2007 was on 18 February and 2030's on 3 February.
        assert_eq!(tet(2007), date("2007-02-17"));
        assert_eq!(tet(2030), date("2030-02-02"));
    }

    #[test]
    fn leap_months_are_found_and_named_after_the_month_before() {
        // 2020 had a leap 4th month (23 May – 20 June), 2023 a leap 2nd month (22 March – 19 April).
        assert_eq!(to_lunar(date("2020-05-23")), LunarDate { year: 2020, month: 4, day: 1, leap: true });
        assert_eq!(to_lunar(date("2023-03-22")), LunarDate { year: 2023, month: 2, day: 1, leap: true });
        assert_eq!(from_lunar(LunarDate { year: 2023, month: 2, day: 1, leap: true }), Some(date("2023-03-22")));
        assert_eq!(from_lunar(LunarDate { year: 2024, month: 2, day: 1, leap: true }), None);
    }

    #[test]
    fn every_day_goes_to_the_lunar_calendar_and_back() {
        let mut day = date("1999-12-01");
        while day <= date("2051-03-01") {
            let lunar = to_lunar(day);
            assert_eq!(from_lunar(lunar), Some(day), "{day} → {lunar:?}");
            day = day.succ_opt().unwrap();
        }
        assert_eq!(from_lunar(LunarDate { year: 2026, month: 13, day: 1, leap: false }), None);
    }
}
