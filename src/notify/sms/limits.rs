//! The day's budget of text messages, checked when one is put in the outbox (in the transaction of the
//! request that causes it), so the volunteer hears at once why no code will come.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::calendar::office_hours;
use crate::config::SmsLimits;
use crate::db::schema::outbox;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::notify::outbox::SMS;

/// Refuses a text to `phone` (E.164) when that phone, or the whole deployment, has had its texts for the
/// day (Vietnam's, from midnight). Counted from the outbox, so every instance counts the same messages;
/// two requests at the same instant may both pass, which overshoots by one or two, not by a budget.
pub fn ensure_within(
    conn: &mut DbConnection,
    limits: SmsLimits,
    phone: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let midnight = start_of_vietnam_day(now);
    let today = || outbox::table.filter(outbox::channel.eq(SMS)).filter(outbox::created_at.ge(midnight));
    let retry_after_secs = (midnight + Duration::days(1) - now).num_seconds().max(1) as u64;
    let to_phone: i64 = today().filter(outbox::recipient.eq(phone)).count().get_result(conn)?;
    if to_phone >= limits.per_phone_per_day {
        return Err(AppError::SmsLimitPhone { retry_after_secs });
    }
    let all: i64 = today().count().get_result(conn)?;
    if all >= limits.per_day {
        return Err(AppError::SmsLimitDaily { retry_after_secs });
    }
    Ok(())
}

/// The last midnight in Vietnam before `now`, in UTC like the outbox's times.
fn start_of_vietnam_day(now: NaiveDateTime) -> NaiveDateTime {
    office_hours::utc(office_hours::local(now).date().and_hms_opt(0, 0, 0).expect("midnight exists"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(utc: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(utc, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn the_day_starts_at_midnight_in_vietnam() {
        // 16:59 UTC is 23:59 in Hà Nội: still the day that began at 17:00 UTC the day before.
        assert_eq!(start_of_vietnam_day(at("2027-02-05 16:59")), at("2027-02-04 17:00"));
        assert_eq!(start_of_vietnam_day(at("2027-02-05 17:00")), at("2027-02-05 17:00"));
        assert_eq!(start_of_vietnam_day(at("2027-02-05 03:00")), at("2027-02-04 17:00"));
    }
}
