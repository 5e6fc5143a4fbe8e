//! Telling people things: the [`notifier::Notifier`] (in-app list, mail, push), the outbox (written in
//! the same transaction as the change that causes a message), news for many followers told later
//! (`fan_out`), the worker that delivers both, the senders (mailer, FCM, SMS gateways), each person's
//! devices and notification settings, the message texts (vi, en) and the in-app list's API.

pub mod devices;
pub mod fan_out;
pub mod feed;
pub mod mailer;
pub mod notifier;
pub mod outbox;
pub mod preferences;
pub mod push;
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

/// Why a message did not leave, which decides what the outbox does with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undelivered {
    /// Try again later: the service was down, busy, or refused this time.
    Retry(String),
    /// The address no longer exists (the app was uninstalled): never try it again, and forget it.
    Gone(String),
    /// This message can never be delivered as it is (a number the gateway refuses): given up, the address kept.
    Refused(String),
    /// Our own credentials were refused: every message fails alike until an operator fixes them. Retried,
    /// and logged once per interval rather than once per message.
    Credentials(String),
}

impl Undelivered {
    pub fn reason(&self) -> &str {
        match self {
            Undelivered::Retry(reason)
            | Undelivered::Gone(reason)
            | Undelivered::Refused(reason)
            | Undelivered::Credentials(reason) => reason,
        }
    }
}
