//! The background worker that tells the followers of news left for it (`fan_out`) and empties the
//! outbox (mail through the mailer, text messages through the [`SmsSender`]). It wakes when a mail is enqueued, when a retry falls
//! due, and at least once a minute (for mail enqueued by other instances).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::Notify;

use super::fan_out;
use super::mailer::Mailer;
use super::notifier::Notifier;
use super::outbox;
use super::secrets::MessageSecrets;
use super::sms::SmsSender;
use crate::db::Db;

const LONGEST_SLEEP: Duration = Duration::from_secs(60);

/// What delivers each channel of the outbox, and reveals the secrets messages carry.
pub struct Senders {
    pub mailer: Mailer,
    pub sms: Box<dyn SmsSender>,
    pub secrets: MessageSecrets,
}

impl Senders {
    fn send(&self, row: &outbox::OutboxRow) -> Result<(), String> {
        let body = self.secrets.reveal(&row.body, row.secret_kind(), &row.id);
        match row.channel.as_str() {
            outbox::SMS => self.sms.send(&row.recipient, &body),
            _ => self.mailer.send(&row.recipient, &row.subject, body),
        }
    }
}

/// How the worker retries, and how long sent messages are kept.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub retry: outbox::RetryPolicy,
    pub retention: chrono::Duration,
}

pub fn spawn(db: Db, senders: Senders, policy: Policy, wake: Arc<Notify>, notifier: Arc<Notifier>) {
    let mailer = Arc::new(senders);
    tokio::spawn(async move {
        loop {
            if let Err(err) = tell_many_followers(&db, &notifier).await {
                tracing::warn!(error = %err, "notifications for many followers failed; will retry");
            }
            let sleep = match deliver_due(&db, &mailer, policy).await {
                Ok(sleep) => sleep,
                Err(err) => {
                    tracing::warn!(error = %err, "outbox: database unavailable, retrying");
                    policy.retry.first_retry
                }
            };
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(sleep) => {}
            }
        }
    });
}

/// Tells the followers of news left for the worker (`fan_out`), a page at a time, until none is left:
/// before the mail, since telling them writes mail.
async fn tell_many_followers(db: &Db, notifier: &Arc<Notifier>) -> Result<(), crate::error::AppError> {
    loop {
        let notifier = Arc::clone(notifier);
        let told = db.run(move |conn| fan_out::tell_next_pages(conn, &notifier)).await?;
        if told == 0 {
            return Ok(());
        }
        tracing::info!(told, "notifications for many followers");
    }
}

/// Sends what is due; returns how long to sleep before the next mail falls due.
async fn deliver_due(db: &Db, mailer: &Arc<Senders>, policy: Policy) -> Result<Duration, crate::error::AppError> {
    loop {
        let rows = db.run(|conn| outbox::claim_due(conn, Utc::now().naive_utc())).await?;
        if rows.is_empty() {
            break;
        }
        for row in rows {
            let sender = Arc::clone(mailer);
            let (row, result) = actix_web::web::block(move || {
                let result = sender.send(&row);
                (row, result)
            })
            .await
            .map_err(|err| crate::error::AppError::Internal(format!("blocking task: {err}")))?;
            match result {
                Ok(()) => {
                    tracing::info!(mail = %row.id, "outbox: sent");
                    let id = row.id.clone();
                    db.run(move |conn| outbox::mark_sent(conn, &id, Utc::now().naive_utc())).await?;
                }
                Err(error) => {
                    let (id, reason) = (row.id.clone(), error.clone());
                    let failure = db
                        .run(move |conn| outbox::mark_failed(conn, &row, &error, policy.retry, Utc::now().naive_utc()))
                        .await?;
                    match failure {
                        outbox::Failure::WillRetry { attempts } => {
                            tracing::warn!(mail = %id, attempts, error = %reason, "outbox: delivery failed, will retry")
                        }
                        outbox::Failure::GivenUp { attempts } => {
                            tracing::error!(mail = %id, attempts, error = %reason, "outbox: delivery failed too often, given up")
                        }
                    }
                }
            }
        }
    }
    let cutoff = Utc::now().naive_utc() - policy.retention;
    let purged =
        db.run(move |conn| Ok(outbox::purge_before(conn, cutoff)? + fan_out::purge_before(conn, cutoff)?)).await?;
    if purged > 0 {
        tracing::debug!(purged, "outbox: deleted messages and notification jobs past their retention");
    }
    let next = db.run(outbox::next_due).await?;
    Ok(match next {
        Some(due) => (due - Utc::now().naive_utc()).to_std().unwrap_or(Duration::ZERO).min(LONGEST_SLEEP),
        None => LONGEST_SLEEP,
    })
}
