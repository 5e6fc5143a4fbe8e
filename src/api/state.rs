//! What every request handler can reach: the pool, the settings and the services built once at start-up.
//! It sits at the bottom of the web layer: every handler file and the extractors take it from here, and
//! `startup.rs` alone builds it and wires the routes, so no handler imports the code that configures it.

use std::sync::Arc;

use tokio::sync::Notify;

use crate::auth::limits::Limiter;
use crate::auth::password::PasswordService;
use crate::auth::tokens::TokenKeys;
use crate::calendar::clock::Clock;
use crate::config::Settings;
use crate::db::Db;
use crate::media::{ImageWork, MediaStorage};
use crate::notify::notifier::Notifier;
use crate::notify::secrets::MessageSecrets;
use crate::onboarding::codes::CodeSigner;
use crate::routing::locator::UnitLocator;

/// What every request handler can reach.
pub struct AppState {
    pub db: Db,
    pub settings: Settings,
    pub tokens: TokenKeys,
    pub passwords: PasswordService,
    /// The allowances a minute of the rate-limited endpoints (counted in the database).
    pub limiter: Limiter,
    /// Wakes the outbox worker after a transaction that enqueued mail.
    pub outbox_wake: Arc<Notify>,
    /// Tells people what happened (in-app and mail), inside the transaction of the change.
    pub notifier: Arc<Notifier>,
    /// Signs and checks volunteers' onboarding codes.
    pub onboarding: CodeSigner,
    /// Makes the one-time secrets messages carry (links, activation codes) and keeps them out of the database.
    pub secrets: MessageSecrets,
    pub media: MediaStorage,
    /// Decodes photos a bounded number at a time.
    pub images: ImageWork,
    /// The time reports' lives go by (see `CDS_CLOCK_START`).
    pub clock: Clock,
    /// The categories' answer, kept in memory (see `CATEGORIES_KEPT_FOR`).
    pub categories: crate::http::KeptJson,
    /// Unit boundaries for locating positions; replaced whole when boundaries are imported.
    pub boundaries: std::sync::RwLock<Arc<UnitLocator>>,
}

impl AppState {
    pub fn boundaries(&self) -> Arc<UnitLocator> {
        Arc::clone(&self.boundaries.read().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    pub fn notifier(&self) -> Arc<Notifier> {
        Arc::clone(&self.notifier)
    }

    pub fn replace_boundaries(&self, locator: UnitLocator) {
        *self.boundaries.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(locator);
    }
}
