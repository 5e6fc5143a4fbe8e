//! The background worker that tells the followers of news left for it (`fan_out`) and empties the
//! outbox (mail through the mailer, text messages through the [`SmsSender`], pushes through [`Fcm`]). It
//! wakes when a message is enqueued, when a retry falls due, and at least once a minute (for messages
//! enqueued by other instances, or deferred past quiet hours).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::Notify;

use super::fan_out;
use super::mailer::Mailer;
use super::notifier::Notifier;
use super::outbox;
use super::push::Fcm;
use super::secrets::MessageSecrets;
use super::sms::SmsSender;
use super::Undelivered;
use crate::db::Db;

const LONGEST_SLEEP: Duration = Duration::from_secs(60);
/// A refused credential fails every message alike: said once in this long, not once per message.
const CREDENTIALS_WARNING_EVERY: Duration = Duration::from_secs(600);

/// What delivers each channel of the outbox, and reveals the secrets messages carry.
pub struct Senders {
    pub mailer: Mailer,
    pub sms: Box<dyn SmsSender>,
    /// `None` without `CDS_FCM_CREDENTIALS` (then no push is enqueued either).
    pub push: Option<Fcm>,
    pub secrets: MessageSecrets,
}

impl Senders {
    async fn send(self: &Arc<Self>, row: &outbox::OutboxRow) -> Result<(), Undelivered> {
        let body = self.secrets.reveal(&row.body, row.secret_kind(), &row.id);
        match row.channel.as_str() {
            outbox::SMS => self.sms.send(&row.recipient, &body, row.id.as_str()).await,
            outbox::PUSH => match &self.push {
                Some(fcm) => fcm.send(&body).await,
                None => Err(Undelivered::Retry("push is not configured (CDS_FCM_CREDENTIALS)".into())),
            },
            _ => {
                // lettre's SMTP transport blocks.
                let (senders, to, subject) = (Arc::clone(self), row.recipient.clone(), row.subject.clone());
                actix_web::web::block(move || senders.mailer.send(&to, &subject, body))
                    .await
                    .map_err(|err| Undelivered::Retry(format!("blocking task: {err}")))?
                    .map_err(Undelivered::Retry)
            }
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
    let senders = Arc::new(senders);
    tokio::spawn(async move {
        let mut credentials_warned = None;
        loop {
            if let Err(err) = tell_many_followers(&db, &notifier).await {
                tracing::warn!(error = %err, "notifications for many followers failed; will retry");
            }
            let sleep = match deliver_due(&db, &senders, policy, &mut credentials_warned).await {
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
async fn deliver_due(
    db: &Db,
    senders: &Arc<Senders>,
    policy: Policy,
    credentials_warned: &mut Option<Instant>,
) -> Result<Duration, crate::error::AppError> {
    loop {
        let rows = db.run(|conn| outbox::claim_due(conn, Utc::now().naive_utc())).await?;
        if rows.is_empty() {
            break;
        }
        for row in rows {
            let id = row.id.clone();
            let Err(undelivered) = senders.send(&row).await else {
                tracing::info!(message = %id, channel = %row.channel, "outbox: sent");
                db.run(move |conn| outbox::mark_sent(conn, &id, Utc::now().naive_utc())).await?;
                continue;
            };
            let gone = matches!(undelivered, Undelivered::Gone(_));
            let worth_retrying = !matches!(undelivered, Undelivered::Gone(_) | Undelivered::Refused(_));
            let reason = undelivered.reason().to_string();
            let failure = db
                .run(move |conn| {
                    crate::db::transaction(conn, |conn| {
                        if gone && row.channel == outbox::PUSH {
                            super::devices::forget_push_token(conn, &row.recipient)?;
                        }
                        outbox::mark_failed(conn, &row, &reason, policy.retry, worth_retrying, Utc::now().naive_utc())
                    })
                })
                .await?;
            let reason = undelivered.reason();
            match (failure, &undelivered) {
                (outbox::Failure::GivenUp { attempts }, Undelivered::Gone(_) | Undelivered::Refused(_)) => {
                    tracing::info!(message = %id, attempts, error = %reason, "outbox: cannot be delivered; not retried")
                }
                (outbox::Failure::GivenUp { attempts }, _) => {
                    tracing::error!(message = %id, attempts, error = %reason, "outbox: delivery failed too often, given up")
                }
                (outbox::Failure::WillRetry { .. }, Undelivered::Credentials(_)) => {
                    if credentials_warned.is_none_or(|at| at.elapsed() >= CREDENTIALS_WARNING_EVERY) {
                        *credentials_warned = Some(Instant::now());
                        tracing::error!(error = %reason, "outbox: our credentials were refused; messages wait until they are fixed");
                    }
                }
                (outbox::Failure::WillRetry { attempts }, _) => {
                    tracing::warn!(message = %id, attempts, error = %reason, "outbox: delivery failed, will retry")
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
