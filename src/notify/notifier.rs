//! The `Notifier`: tells people about what happens to reports, through every channel they can be
//! reached on. Each channel writes to its own durable queue inside the caller's transaction, so a
//! notification exists exactly when the change that caused it does, and is never sent for a change that
//! rolled back. In-app, mail, and push (FCM) when configured; each recipient's [`Preferences`] say which.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::preferences::{self, Preferences, StoredColumns};
use super::templates::Text;
use super::{outbox, Mail};
use crate::db::schema::{
    admin_units, notification_settings, notifications, organization_members, organizations, report_supports, reports,
    users,
};
use crate::db::DbConnection;
use crate::error::{AppError, Locale};
use crate::values::{parse_locale, NotificationId, OrganizationId, ReportId, Role, UserId};

/// Someone to tell, with how to reach them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub user_id: UserId,
    pub locale: Locale,
    /// An address mail may go to: a citizen's once verified; an official's as their admin set it.
    pub email: Option<String>,
    /// What they chose to receive on which channel.
    pub preferences: Preferences,
}

/// What to tell, already in the recipient's language.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Message {
    /// The event kind for news about a report (`resolved`, …), or `urgent_report`, `deadline_reminder`, `escalated`.
    pub kind: String,
    pub report_id: Option<ReportId>,
    pub title: String,
    pub body: String,
    pub link: String,
}

/// One way of reaching people.
pub trait Channel: Send + Sync {
    fn deliver(
        &self,
        conn: &mut DbConnection,
        to: &Recipient,
        message: &Message,
        now: NaiveDateTime,
    ) -> Result<(), AppError>;
}

/// The list the app shows under "Thông báo".
pub struct InApp;

impl Channel for InApp {
    fn deliver(
        &self,
        conn: &mut DbConnection,
        to: &Recipient,
        message: &Message,
        now: NaiveDateTime,
    ) -> Result<(), AppError> {
        diesel::insert_into(notifications::table)
            .values((
                notifications::id.eq(NotificationId::new()),
                notifications::user_id.eq(&to.user_id),
                notifications::kind.eq(&message.kind),
                notifications::report_id.eq(&message.report_id),
                notifications::title.eq(&message.title),
                notifications::body.eq(&message.body),
                notifications::link.eq(&message.link),
                notifications::created_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    }
}

/// Mail through the outbox, to those with an address mail may go to.
pub struct Email;

impl Channel for Email {
    fn deliver(
        &self,
        conn: &mut DbConnection,
        to: &Recipient,
        message: &Message,
        now: NaiveDateTime,
    ) -> Result<(), AppError> {
        let Some(address) = &to.email else { return Ok(()) };
        if !to.preferences.wants(preferences::Channel::Email, preferences::Kind::of(&message.kind)) {
            return Ok(());
        }
        let mail = Mail {
            to: address.clone(),
            subject: message.title.clone(),
            body: format!("{}\n\n{}\n", message.body, message.link),
        };
        outbox::enqueue(conn, &to.user_id, mail, now)
    }
}

pub struct Notifier {
    channels: Vec<Box<dyn Channel>>,
    /// Where links in notifications point: the app's deep-link base (`CDS_APP_LINK_BASE`).
    link_base: String,
    /// News of a report with more followers than this is told by the outbox worker (see `fan_out`),
    /// not inside the action's transaction.
    pub inline_most: usize,
}

/// The followers told inside an action's transaction at most, unless the settings say otherwise.
pub const INLINE_MOST: usize = 50;

impl Notifier {
    /// In-app and mail.
    pub fn new(link_base: &str) -> Self {
        Notifier {
            channels: vec![Box::new(InApp), Box::new(Email)],
            link_base: link_base.trim_end_matches('/').into(),
            inline_most: INLINE_MOST,
        }
    }

    /// And `channel` (push, when FCM is configured).
    pub fn with(mut self, channel: Box<dyn Channel>) -> Self {
        self.channels.push(channel);
        self
    }

    /// A message about a report, linking to where its recipient opens it: the officials' view of the
    /// report, or the citizens'.
    pub fn about_report(&self, kind: &str, report_id: &ReportId, text: Text, to_officials: bool) -> Message {
        let path = if to_officials { "admin/reports" } else { "reports" };
        Message {
            kind: kind.to_string(),
            report_id: Some(report_id.clone()),
            title: text.title,
            body: text.body,
            link: format!("{}/{path}/{report_id}", self.link_base),
        }
    }

    /// Tells each recipient `message(their locale)` through every channel.
    pub fn send(
        &self,
        conn: &mut DbConnection,
        recipients: &[Recipient],
        now: NaiveDateTime,
        message: impl Fn(Locale) -> Message,
    ) -> Result<(), AppError> {
        for recipient in recipients {
            let message = message(recipient.locale);
            for channel in &self.channels {
                channel.deliver(conn, recipient, &message, now)?;
            }
        }
        Ok(())
    }
}

type RecipientRow = (UserId, String, Option<String>, Option<NaiveDateTime>, String, StoredColumns);

fn recipient(row: RecipientRow) -> Recipient {
    let (user_id, locale, email, verified_at, role, chosen) = row;
    let trusted = !matches!(Role::from_stored(&role), Ok(Role::Citizen | Role::Application));
    Recipient {
        user_id,
        locale: parse_locale(&locale, "locale").unwrap_or(Locale::Vi),
        email: email.filter(|_| trusted || verified_at.is_some()),
        preferences: Preferences::from(chosen),
    }
}

/// Who follows a report: its reporter and (with `with_supporters`) its supporters, except `except` (who
/// caused the news); at most `most`, in id order after `after`. Deleted and deactivated accounts are
/// told nothing.
pub fn followers(
    conn: &mut DbConnection,
    report_id: &ReportId,
    except: Option<&UserId>,
    with_supporters: bool,
    after: Option<&str>,
    most: usize,
) -> Result<Vec<Recipient>, AppError> {
    // Reporter and supporters are read apart: `id IN (reporter) OR id IN (supporters)` keeps PostgreSQL
    // from either index and has it walk every account in id order.
    let told = || {
        users::table
            .left_join(notification_settings::table)
            .filter(users::id.ne(except.map_or("", UserId::as_str)))
            .filter(users::active.eq(true))
            .filter(users::deleted_at.is_null())
            .filter(users::id.gt(after.unwrap_or_default()))
            .order(users::id.asc())
            .limit(i64::try_from(most).unwrap_or(i64::MAX))
            .select((
                users::id,
                users::locale,
                users::email,
                users::email_verified_at,
                users::role,
                preferences::columns(),
            ))
            .into_boxed()
    };
    let reporter = reports::table.find(report_id).select(reports::reporter_id);
    let mut rows: Vec<RecipientRow> = told().filter(users::id.eq_any(reporter)).load(conn)?;
    if with_supporters {
        let supporters =
            report_supports::table.filter(report_supports::report_id.eq(report_id)).select(report_supports::user_id);
        rows.extend(told().filter(users::id.eq_any(supporters)).load::<RecipientRow>(conn)?);
        rows.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        rows.dedup_by(|a, b| a.0.as_str() == b.0.as_str());
        rows.truncate(most);
    }
    Ok(rows.into_iter().map(recipient).collect())
}

/// The active officials of the IOC of the province that commune-level unit `unit_code` lies in.
pub fn ioc_officials_over(conn: &mut DbConnection, unit_code: &str) -> Result<Vec<Recipient>, AppError> {
    let province = admin_units::table.find(unit_code).select(admin_units::parent_code.assume_not_null());
    let iocs: Vec<OrganizationId> = organizations::table
        .filter(organizations::kind.eq("ioc"))
        .filter(organizations::province_code.eq_any(province))
        .select(organizations::id)
        .load(conn)?;
    officials(conn, &iocs)
}

/// The active officials of the organizations `organization_ids`.
pub fn officials(conn: &mut DbConnection, organization_ids: &[OrganizationId]) -> Result<Vec<Recipient>, AppError> {
    let members = organization_members::table
        .filter(organization_members::organization_id.eq_any(organization_ids))
        .select(organization_members::user_id);
    let rows: Vec<RecipientRow> = users::table
        .left_join(notification_settings::table)
        .filter(users::id.eq_any(members))
        .filter(users::active.eq(true))
        .order(users::id.asc())
        .select((users::id, users::locale, users::email, users::email_verified_at, users::role, preferences::columns()))
        .load(conn)?;
    Ok(rows.into_iter().map(recipient).collect())
}
