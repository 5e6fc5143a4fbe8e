//! What each account chose to receive: per channel (push, mail) and kind of news, and quiet hours when
//! pushes that are not urgent wait until morning (deferred, never dropped). The in-app list always has
//! everything: it is where a choice not to be told elsewhere can still be read.

use chrono::{Duration, NaiveDateTime, NaiveTime, Timelike};
use diesel::prelude::*;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use crate::calendar::office_hours;
use crate::db::schema::notification_settings;
use crate::db::DbConnection;
use crate::error::{AppError, FieldErrors, FieldIssue};
use crate::values::UserId;

/// The kinds of news one chooses between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// What happens to the reports one filed or supports.
    ReportNews,
    /// To an office's officials and the IOC: urgent reports, deadlines near or missed, answers, reviews.
    OfficeAlerts,
}

impl Kind {
    /// The kind of a [`Message`](super::notifier::Message) by its `kind`.
    pub fn of(message_kind: &str) -> Kind {
        match message_kind {
            "urgent_report" | "deadline_reminder" | "escalated" | "answered" | "review_requested" => Kind::OfficeAlerts,
            _ => Kind::ReportNews,
        }
    }
}

/// News that must not wait: pushed at once, through quiet hours, at the platforms' high priority.
pub fn is_urgent(message_kind: &str) -> bool {
    matches!(message_kind, "urgent_report" | "escalated")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Push,
    Email,
}

/// Quiet hours, Vietnam time; `from` after `until` spans midnight (22:00–06:30).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    from: NaiveTime,
    until: NaiveTime,
}

impl QuietHours {
    /// When a push that is not urgent, made at `now` (UTC), may leave: `None` when at once.
    pub fn deferred_until(&self, now: NaiveDateTime) -> Option<NaiveDateTime> {
        let local = office_hours::local(now);
        let time = local.time();
        let quiet = if self.from <= self.until {
            self.from <= time && time < self.until
        } else {
            time >= self.from || time < self.until
        };
        if !quiet {
            return None;
        }
        let end_day = if time < self.until { local.date() } else { local.date() + Duration::days(1) };
        Some(office_hours::utc(end_day.and_time(self.until)))
    }

    fn minutes(time: NaiveTime) -> i32 {
        (time.hour() * 60 + time.minute()) as i32
    }

    fn from_minutes(from: i32, until: i32) -> Option<QuietHours> {
        let time = |m: i32| NaiveTime::from_hms_opt(u32::try_from(m / 60).ok()?, u32::try_from(m % 60).ok()?, 0);
        Some(QuietHours { from: time(from)?, until: time(until)? })
    }
}

/// An account's choices. Without any stored: everything, no quiet hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preferences {
    pub push_report_news: bool,
    pub push_office_alerts: bool,
    pub email_report_news: bool,
    pub email_office_alerts: bool,
    pub quiet_hours: Option<QuietHours>,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            push_report_news: true,
            push_office_alerts: true,
            email_report_news: true,
            email_office_alerts: true,
            quiet_hours: None,
        }
    }
}

impl Preferences {
    pub fn wants(&self, channel: Channel, kind: Kind) -> bool {
        match (channel, kind) {
            (Channel::Push, Kind::ReportNews) => self.push_report_news,
            (Channel::Push, Kind::OfficeAlerts) => self.push_office_alerts,
            (Channel::Email, Kind::ReportNews) => self.email_report_news,
            (Channel::Email, Kind::OfficeAlerts) => self.email_office_alerts,
        }
    }
}

/// The stored columns, as the recipients' queries select them (left-joined: all null without a row).
pub type StoredColumns = (Option<bool>, Option<bool>, Option<bool>, Option<bool>, Option<i32>, Option<i32>);

/// The columns to select, left-joined to `users`.
#[allow(clippy::type_complexity)]
pub fn columns() -> (
    diesel::dsl::Nullable<notification_settings::push_report_news>,
    diesel::dsl::Nullable<notification_settings::push_office_alerts>,
    diesel::dsl::Nullable<notification_settings::email_report_news>,
    diesel::dsl::Nullable<notification_settings::email_office_alerts>,
    diesel::dsl::Nullable<notification_settings::quiet_from>,
    diesel::dsl::Nullable<notification_settings::quiet_until>,
) {
    (
        notification_settings::push_report_news.nullable(),
        notification_settings::push_office_alerts.nullable(),
        notification_settings::email_report_news.nullable(),
        notification_settings::email_office_alerts.nullable(),
        notification_settings::quiet_from.nullable(),
        notification_settings::quiet_until.nullable(),
    )
}

impl From<StoredColumns> for Preferences {
    fn from(stored: StoredColumns) -> Self {
        let (push_news, push_alerts, email_news, email_alerts, quiet_from, quiet_until) = stored;
        let default = Preferences::default();
        Preferences {
            push_report_news: push_news.unwrap_or(default.push_report_news),
            push_office_alerts: push_alerts.unwrap_or(default.push_office_alerts),
            email_report_news: email_news.unwrap_or(default.email_report_news),
            email_office_alerts: email_alerts.unwrap_or(default.email_office_alerts),
            quiet_hours: quiet_from.zip(quiet_until).and_then(|(from, until)| QuietHours::from_minutes(from, until)),
        }
    }
}

/// One channel's choices, as the API shows and takes them.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelChoices {
    /// News of the reports one filed or supports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_news: Option<bool>,
    /// Officials: urgent reports, deadlines near or missed, answers from reporters, reviews.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office_alerts: Option<bool>,
}

/// Quiet hours as the API shows and takes them: `HH:MM`, Vietnam time.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuietHoursBody {
    #[schema(example = "22:00")]
    pub from: String,
    #[schema(example = "06:30")]
    pub until: String,
}

/// An account's notification settings.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationSettings {
    pub push: ChannelChoices,
    pub email: ChannelChoices,
    /// When pushes that are not urgent wait (Vietnam time); urgent ones still come. `null`: never.
    pub quiet_hours: Option<QuietHoursBody>,
}

impl From<Preferences> for NotificationSettings {
    fn from(p: Preferences) -> Self {
        let hhmm = |t: NaiveTime| t.format("%H:%M").to_string();
        NotificationSettings {
            push: ChannelChoices { report_news: Some(p.push_report_news), office_alerts: Some(p.push_office_alerts) },
            email: ChannelChoices {
                report_news: Some(p.email_report_news),
                office_alerts: Some(p.email_office_alerts),
            },
            quiet_hours: p.quiet_hours.map(|q| QuietHoursBody { from: hhmm(q.from), until: hhmm(q.until) }),
        }
    }
}

/// A change of settings: what is left out stays as it was; `quiet_hours: null` ends them.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsChange {
    #[serde(default, deserialize_with = "object")]
    pub push: Option<ChannelChoices>,
    #[serde(default, deserialize_with = "object")]
    pub email: Option<ChannelChoices>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<QuietHoursBody>)]
    pub quiet_hours: Option<Option<QuietHoursBody>>,
}

/// An object or null: serde's derived structs would also take an array of their fields in order.
fn object<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned>(d: D) -> Result<Option<T>, D::Error> {
    match Option::<serde_json::Map<String, serde_json::Value>>::deserialize(d)? {
        None => Ok(None),
        Some(map) => T::deserialize(serde_json::Value::Object(map)).map(Some).map_err(serde::de::Error::custom),
    }
}

/// Tells `"quiet_hours": null` (end them) from leaving the field out (keep them).
fn present<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned>(d: D) -> Result<Option<Option<T>>, D::Error> {
    object(d).map(Some)
}

fn parse_time(raw: &str, field: &str, errors: &mut FieldErrors) -> Option<NaiveTime> {
    let parsed = NaiveTime::parse_from_str(raw.trim(), "%H:%M").ok().filter(|_| raw.trim().len() == 5);
    if parsed.is_none() {
        errors.add(field, FieldIssue::InvalidValue("a time of day as HH:MM, 00:00 to 23:59".into()));
    }
    parsed
}

impl SettingsChange {
    /// `current` with this change made.
    pub fn applied_to(self, current: Preferences) -> Result<Preferences, AppError> {
        let mut errors = FieldErrors::default();
        let mut next = current;
        if let Some(push) = self.push {
            next.push_report_news = push.report_news.unwrap_or(next.push_report_news);
            next.push_office_alerts = push.office_alerts.unwrap_or(next.push_office_alerts);
        }
        if let Some(email) = self.email {
            next.email_report_news = email.report_news.unwrap_or(next.email_report_news);
            next.email_office_alerts = email.office_alerts.unwrap_or(next.email_office_alerts);
        }
        match self.quiet_hours {
            None => {}
            Some(None) => next.quiet_hours = None,
            Some(Some(quiet)) => {
                let from = parse_time(&quiet.from, "quiet_hours.from", &mut errors);
                let until = parse_time(&quiet.until, "quiet_hours.until", &mut errors);
                if let (Some(from), Some(until)) = (from, until) {
                    if from == until {
                        errors.add("quiet_hours.until", FieldIssue::InvalidValue("must differ from `from`".into()));
                    }
                    next.quiet_hours = Some(QuietHours { from, until });
                }
            }
        }
        errors.finish()?;
        Ok(next)
    }
}

/// The account's preferences (the defaults when it never chose).
pub fn of_user(conn: &mut DbConnection, user_id: &UserId) -> Result<Preferences, AppError> {
    let stored: Option<StoredColumns> =
        notification_settings::table.find(user_id).select(columns()).first(conn).optional()?;
    Ok(stored.map(Preferences::from).unwrap_or_default())
}

/// Stores the account's preferences, replacing any before.
pub fn save(conn: &mut DbConnection, user_id: &UserId, p: &Preferences, now: NaiveDateTime) -> Result<(), AppError> {
    let quiet = p.quiet_hours.map(|q| (QuietHours::minutes(q.from), QuietHours::minutes(q.until)));
    let values = (
        notification_settings::push_report_news.eq(p.push_report_news),
        notification_settings::push_office_alerts.eq(p.push_office_alerts),
        notification_settings::email_report_news.eq(p.email_report_news),
        notification_settings::email_office_alerts.eq(p.email_office_alerts),
        notification_settings::quiet_from.eq(quiet.map(|q| q.0)),
        notification_settings::quiet_until.eq(quiet.map(|q| q.1)),
        notification_settings::updated_at.eq(now),
    );
    let upsert = diesel::insert_into(notification_settings::table)
        .values((notification_settings::user_id.eq(user_id), values))
        .on_conflict(notification_settings::user_id)
        .do_update()
        .set(values);
    match conn {
        DbConnection::Postgres(pg) => upsert.execute(pg),
        DbConnection::Sqlite(sqlite) => upsert.execute(sqlite),
    }?;
    Ok(())
}

/// Forgets the account's choices (its owner erased it).
pub fn forget_account(conn: &mut DbConnection, user_id: &UserId) -> Result<(), AppError> {
    diesel::delete(notification_settings::table.find(user_id)).execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(utc: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(utc, "%Y-%m-%d %H:%M").unwrap()
    }

    fn quiet(from: &str, until: &str) -> QuietHours {
        let t = |s| NaiveTime::parse_from_str(s, "%H:%M").unwrap();
        QuietHours { from: t(from), until: t(until) }
    }

    #[test]
    fn a_push_in_quiet_hours_over_midnight_waits_until_they_end_in_vietnam() {
        let night = quiet("22:00", "06:30");
        // 23:15 in Vietnam (16:15 UTC) waits until 06:30 the next morning (23:30 UTC).
        assert_eq!(night.deferred_until(at("2026-12-03 16:15")), Some(at("2026-12-03 23:30")));
        // 02:00 in Vietnam (19:00 UTC the day before) waits until 06:30 that morning.
        assert_eq!(night.deferred_until(at("2026-12-03 19:00")), Some(at("2026-12-03 23:30")));
        // 06:30 sharp and midday are not quiet.
        assert_eq!(night.deferred_until(at("2026-12-03 23:30")), None);
        assert_eq!(night.deferred_until(at("2026-12-04 05:00")), None);
    }

    #[test]
    fn quiet_hours_within_a_day_end_the_same_day() {
        let siesta = quiet("11:30", "13:30");
        assert_eq!(siesta.deferred_until(at("2026-12-04 05:00")), Some(at("2026-12-04 06:30")));
        assert_eq!(siesta.deferred_until(at("2026-12-04 06:30")), None);
    }

    #[test]
    fn a_change_keeps_what_it_leaves_out_and_refuses_bad_times() {
        let change: SettingsChange = serde_json::from_str(r#"{"push": {"report_news": false}}"#).unwrap();
        let next = change.applied_to(Preferences::default()).unwrap();
        assert!(!next.push_report_news && next.push_office_alerts && next.email_report_news);
        let bad: SettingsChange =
            serde_json::from_str(r#"{"quiet_hours": {"from": "25:00", "until": "6:00"}}"#).unwrap();
        let Err(AppError::Validation(fields)) = bad.applied_to(next) else { panic!("accepted") };
        assert_eq!(fields.len(), 2);
        let ended: SettingsChange = serde_json::from_str(r#"{"quiet_hours": null}"#).unwrap();
        let with_quiet = Preferences { quiet_hours: Some(quiet("22:00", "06:00")), ..next };
        assert_eq!(ended.applied_to(with_quiet).unwrap().quiet_hours, None);
    }
}
