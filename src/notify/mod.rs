//! Telling people things: the mail outbox (written in the same transaction as the change that causes
//! a mail), the worker that delivers it, the mailer (lettre) and the message texts (vi, en).

pub mod mailer;
pub mod outbox;
pub mod templates;
pub mod worker;

/// A plain-text mail waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}
