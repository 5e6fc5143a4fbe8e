//! Telling people things: the [`notifier::Notifier`] (in-app list and mail), the mail outbox (written in
//! the same transaction as the change that causes a mail), news for many followers told later
//! (`fan_out`), the worker that delivers both, the mailer
//! (lettre), the message texts (vi, en) and the in-app list's API.

pub mod devices;
pub mod fan_out;
pub mod feed;
pub mod mailer;
pub mod notifier;
pub mod outbox;
pub mod secrets;
pub mod sms;
pub mod templates;
pub mod worker;

/// A plain-text mail waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}
