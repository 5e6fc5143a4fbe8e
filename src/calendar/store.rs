//! The announced overrides, kept in `calendar_days`: the whole country's (province code `''`) and each
//! province's own days. This file owns the table; reading a year and entering a day are its two doors.

use std::ops::RangeInclusive;

use chrono::{Datelike, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::{Override, SpecialDay, WorkingCalendar};
use crate::db::schema::calendar_days;
use crate::db::DbConnection;
use crate::error::{AppError, FieldErrors, FieldIssue};
use crate::values::{is_known_province, ProvinceCode, UserId};

/// The years the calendar answers for (the lunar calendar is computed for 1800–2199).
pub const YEARS: RangeInclusive<i32> = 1900..=2199;
/// Lengths, in characters after trimming, of what an administrator enters for a day.
pub const NAME_CHARS: RangeInclusive<usize> = 1..=100;
pub const NOTICE_CHARS: RangeInclusive<usize> = 1..=50;
pub const REASON_CHARS: RangeInclusive<usize> = 10..=500;

/// The province code of a day that holds for the whole country.
const NATIONAL: &str = "";

/// One stored override.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = calendar_days)]
pub struct CalendarDayRow {
    pub date: NaiveDate,
    /// `''` for the whole country, else a province code.
    pub province_code: String,
    pub working: bool,
    pub name: String,
    pub notice: String,
    pub reason: String,
    pub updated_by: Option<UserId>,
    pub updated_at: NaiveDateTime,
}

impl CalendarDayRow {
    pub fn province(&self) -> Option<&str> {
        Some(self.province_code.as_str()).filter(|code| *code != NATIONAL)
    }
}

/// What an administrator enters for one day, parsed.
#[derive(Debug, Clone)]
pub struct DayEntry {
    pub date: NaiveDate,
    /// `None` for the whole country.
    pub province: Option<ProvinceCode>,
    pub working: bool,
    pub name: String,
    pub notice: String,
    pub reason: String,
}

/// A year the calendar answers for, given in field `field`.
pub fn parse_year(year: i32, field: &str) -> Result<i32, AppError> {
    YEARS.contains(&year).then_some(year).ok_or_else(|| {
        AppError::invalid(field, FieldIssue::OutOfRange { min: (*YEARS.start()).into(), max: (*YEARS.end()).into() })
    })
}

/// A day written `YYYY-MM-DD`, of a year the calendar answers for.
pub fn parse_date(raw: &str, field: &str) -> Result<NaiveDate, AppError> {
    let shaped = raw.len() == 10
        && raw.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok().filter(|_| shaped).ok_or_else(|| {
        AppError::invalid(field, FieldIssue::InvalidValue("expected a date written YYYY-MM-DD".into()))
    })?;
    parse_year(date.year(), field)?;
    Ok(date)
}

/// One of the 34 provinces, given in field `field`.
pub fn parse_province(raw: &str, field: &str) -> Result<ProvinceCode, AppError> {
    let code = ProvinceCode::parse(raw).ok_or_else(|| AppError::invalid(field, FieldIssue::UnitCode))?;
    is_known_province(&code).then_some(code).ok_or_else(|| AppError::invalid(field, FieldIssue::UnknownProvince))
}

/// `raw` trimmed, if its length is within `chars`; else the issue is kept in `errors`.
pub fn text_within(raw: &str, chars: RangeInclusive<usize>, field: &str, errors: &mut FieldErrors) -> String {
    let text = raw.trim();
    match text.chars().count() {
        0 if *chars.start() > 0 => errors.add(field, FieldIssue::Required),
        n if n < *chars.start() => errors.add(field, FieldIssue::TooShort { min: *chars.start() }),
        n if n > *chars.end() => errors.add(field, FieldIssue::TooLong { max: *chars.end() }),
        _ => {}
    }
    text.to_string()
}

/// The overrides that hold in `year`: the whole country's, and `province`'s own, which win on the same day.
pub fn overrides(
    conn: &mut DbConnection,
    year: i32,
    province: Option<&ProvinceCode>,
) -> Result<Vec<Override>, AppError> {
    Ok(holding(&every_day(conn)?, year..=year, province.map(ProvinceCode::as_str)).collect())
}

/// Every stored day, the whole country's first within a date (what the kept reference data holds).
pub fn every_day(conn: &mut DbConnection) -> Result<Vec<CalendarDayRow>, AppError> {
    Ok(calendar_days::table
        .order((calendar_days::date.asc(), calendar_days::province_code.asc()))
        .select(CalendarDayRow::as_select())
        .load(conn)?)
}

/// The calendar a count that starts in `years`' first year and may run into the next ones uses, with
/// `province`'s own days, from `days` ordered as [`every_day`] reads them.
pub fn working_calendar(
    days: &[CalendarDayRow],
    years: RangeInclusive<i32>,
    province: Option<&str>,
) -> WorkingCalendar {
    WorkingCalendar::new(holding(days, years, province))
}

/// The overrides among `days` (ordered as [`every_day`] reads them) that hold in `years` for `province`:
/// the national row of a day comes first, so that the province's own row of the same day replaces it.
fn holding<'a>(
    days: &'a [CalendarDayRow],
    years: RangeInclusive<i32>,
    province: Option<&'a str>,
) -> impl Iterator<Item = Override> + 'a {
    let province = province.unwrap_or(NATIONAL);
    days.iter()
        .filter(move |day| years.contains(&day.date.year()))
        .filter(move |day| day.province_code == NATIONAL || day.province_code == province)
        .map(|day| Override {
            date: day.date,
            working: day.working,
            name: day.name.clone(),
            notice: day.notice.clone(),
        })
}

/// The days of `year` that differ from Monday to Friday, for the whole country or for `province`.
pub fn special_days(
    conn: &mut DbConnection,
    year: i32,
    province: Option<&ProvinceCode>,
) -> Result<Vec<SpecialDay>, AppError> {
    Ok(WorkingCalendar::new(overrides(conn, year, province)?).special_days(year))
}

/// Enters (or replaces) one day, and writes who did it and why to the audit log, in one transaction.
pub fn set_day(conn: &mut DbConnection, entry: &DayEntry, admin: &UserId) -> Result<CalendarDayRow, AppError> {
    let province_code = entry.province.as_ref().map_or(NATIONAL, ProvinceCode::as_str).to_string();
    let subject_id = match &entry.province {
        Some(province) => format!("{}/{}", entry.date, province.as_str()),
        None => entry.date.to_string(),
    };
    let now = Utc::now().naive_utc();
    let row = CalendarDayRow {
        date: entry.date,
        province_code,
        working: entry.working,
        name: entry.name.clone(),
        notice: entry.notice.clone(),
        reason: entry.reason.clone(),
        updated_by: Some(admin.clone()),
        updated_at: now,
    };
    crate::db::transaction(conn, |conn| {
        diesel::delete(calendar_days::table.find((row.date, &row.province_code))).execute(conn)?;
        diesel::insert_into(calendar_days::table).values(&row).execute(conn)?;
        let entry = crate::audit::Entry {
            actor: admin,
            action: "calendar_override",
            subject: ("calendar_day", &subject_id),
            reason: Some(&row.reason),
            at: now,
        };
        crate::audit::record(conn, entry)?;
        Ok(row.clone())
    })
}

/// Adds the national overrides the table lacks (a day already entered is left as it is), as the seed does
/// on every start; `reason` says where they come from. Returns how many were added.
pub fn add_missing(conn: &mut DbConnection, overrides: &[Override], reason: &str) -> Result<usize, AppError> {
    let known: Vec<NaiveDate> = calendar_days::table
        .filter(calendar_days::province_code.eq(NATIONAL))
        .filter(calendar_days::date.eq_any(overrides.iter().map(|o| o.date)))
        .select(calendar_days::date)
        .load(conn)?;
    let now = Utc::now().naive_utc();
    let rows: Vec<CalendarDayRow> = overrides
        .iter()
        .filter(|o| !known.contains(&o.date))
        .map(|o| CalendarDayRow {
            date: o.date,
            province_code: NATIONAL.to_string(),
            working: o.working,
            name: o.name.clone(),
            notice: o.notice.clone(),
            reason: reason.to_string(),
            updated_by: None,
            updated_at: now,
        })
        .collect();
    if !rows.is_empty() {
        crate::insert_batch!(conn, calendar_days::table, &rows)?;
    }
    Ok(rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue(result: Result<impl std::fmt::Debug, AppError>) -> FieldIssue {
        match result {
            Err(AppError::Validation(fields)) => fields[0].issue.clone(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn dates_are_written_in_full_within_the_calendars_years() {
        assert_eq!(parse_date("2026-11-24", "date").unwrap(), NaiveDate::from_ymd_opt(2026, 11, 24).unwrap());
        for bad in ["2026-1-2", "2026-02-30", "20261124", "2026-11-24x", "+2026-11-24", "２０２６-11-24"] {
            assert!(matches!(issue(parse_date(bad, "date")), FieldIssue::InvalidValue(_)), "{bad}");
        }
        assert!(matches!(issue(parse_date("1899-12-31", "date")), FieldIssue::OutOfRange { .. }));
        assert_eq!(parse_year(2199, "year").unwrap(), 2199);
        assert!(parse_year(2200, "year").is_err());
    }

    #[test]
    fn a_province_must_exist() {
        assert_eq!(parse_province("68", "province").unwrap().as_str(), "68");
        assert_eq!(issue(parse_province("6", "province")), FieldIssue::UnitCode);
        assert_eq!(issue(parse_province("99", "province")), FieldIssue::UnknownProvince);
    }

    #[test]
    fn text_is_trimmed_and_counted_in_characters() {
        let mut errors = FieldErrors::default();
        assert_eq!(text_within("  Ngày Văn hóa  ", NAME_CHARS, "name", &mut errors), "Ngày Văn hóa");
        text_within(" ", NAME_CHARS, "name", &mut errors);
        text_within("ngắn", REASON_CHARS, "reason", &mut errors);
        text_within(&"x".repeat(51), NOTICE_CHARS, "notice", &mut errors);
        match errors.finish() {
            Err(AppError::Validation(fields)) => assert_eq!(
                fields.into_iter().map(|f| f.issue).collect::<Vec<_>>(),
                [FieldIssue::Required, FieldIssue::TooShort { min: 10 }, FieldIssue::TooLong { max: 50 }]
            ),
            other => panic!("{other:?}"),
        }
    }
}
