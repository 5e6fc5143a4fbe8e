//! The time reports' lives go by. It is the system's clock, except where development or a test starts it
//! at another moment (`CDS_CLOCK_START`) to rehearse a date such as the eve of Tết: it then runs on from
//! there at the usual pace. Tokens and sessions keep the system's clock.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};

#[derive(Debug, Clone, Copy, Default)]
pub struct Clock {
    ahead: Duration,
}

impl Clock {
    /// A clock that reads `start` now.
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        Clock { ahead: start - Utc::now() }
    }

    /// The current moment, UTC.
    pub fn now(&self) -> NaiveDateTime {
        (Utc::now() + self.ahead).naive_utc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_started_clock_runs_on_from_its_start() {
        let start = DateTime::parse_from_rfc3339("2027-02-05T10:00:00+07:00").unwrap().to_utc();
        let read = Clock::starting_at(start).now();
        assert!(read >= start.naive_utc() && read - start.naive_utc() < Duration::seconds(5));
        assert!((Clock::default().now() - Utc::now().naive_utc()).num_seconds().abs() < 5);
    }
}
