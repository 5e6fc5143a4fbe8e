//! Builds the application: the one place routes, middleware and state are put together.
//! `main` and every test call [`Application::build`], so tests exercise exactly what ships.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, App, HttpServer};
use tracing_actix_web::TracingLogger;

use tokio::sync::Notify;

use crate::api::state::AppState;
use crate::auth::limits::Limiter;
use crate::auth::password::PasswordService;
use crate::auth::tokens::TokenKeys;
use crate::calendar::clock::Clock;
use crate::config::{Environment, Secret, Settings};
use crate::db::{self, Db};
use crate::error::{self, AppError};
use crate::limits::JSON_LIMIT;
use crate::media::{ImageLimits, ImageWork, MediaStorage};
use crate::notify::notifier::Notifier;
use crate::notify::secrets::MessageSecrets;
use crate::notify::{mailer::Mailer, outbox, worker};
use crate::onboarding::codes::CodeSigner;
use crate::routing::locator::UnitLocator;
use crate::seed::{self, SeedReport};
use crate::{api, openapi, telemetry};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("DATABASE_URL: cannot prepare the database: {0}")]
    Database(AppError),
    #[error("CDS_BIND: cannot listen on {addr}: {source}")]
    Bind { addr: std::net::SocketAddr, source: std::io::Error },
    #[error("{0}")]
    Setting(String),
}

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Migrates and seeds the database, binds the listener (port 0 picks a free one) and builds the server.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let db = Db::new(&settings).map_err(StartupError::Database)?;
        let report = prepare_database(db.clone()).await.map_err(StartupError::Database)?;
        if report != SeedReport::default() {
            let (units, categories, calendar_days) =
                (report.units_added, report.categories_added, report.calendar_days_added);
            tracing::info!(units, categories, calendar_days, "seeded reference data");
        }
        if let Some(email) = settings.bootstrap_admin_email.clone() {
            let bootstrap_db = db.clone();
            let created =
                actix_web::web::block(move || crate::accounts::bootstrap_admin(&mut *bootstrap_db.get()?, &email))
                    .await
                    .map_err(|err| StartupError::Setting(format!("CDS_BOOTSTRAP_ADMIN_EMAIL: {err}")))?
                    .map_err(|err| StartupError::Setting(format!("CDS_BOOTSTRAP_ADMIN_EMAIL: {err}")))?;
            if let Some(password) = created {
                // Printed, never logged: logs are kept and shipped, this line is read once by the operator.
                println!(
                    "bootstrap administrator {} created; password (shown once, change it): {}",
                    settings.bootstrap_admin_email.as_deref().unwrap_or_default(),
                    password.expose()
                );
            }
        }
        let jwt_secret = key(&settings, settings.jwt_secret.as_ref(), "jwt-secret", "CDS_JWT_SECRET")?;
        let onboarding_key = key(&settings, settings.onboarding_key.as_ref(), "onboarding-key", "CDS_ONBOARDING_KEY")?;
        let mailer = Mailer::new(&settings).map_err(StartupError::Setting)?;
        let outbox_wake = Arc::new(Notify::new());
        let sms = crate::notify::sms::sender(&settings).map_err(StartupError::Setting)?;
        let secrets = MessageSecrets::derive(jwt_secret.as_bytes(), &settings.app_link_base);
        let push = (settings.fcm.as_ref())
            .map(|fcm| crate::notify::push::Fcm::new(&fcm.credentials, &fcm.url))
            .transpose()
            .map_err(StartupError::Setting)?;
        let pushes = push.is_some();
        let senders = worker::Senders { mailer, sms, push, secrets: secrets.clone() };
        let policy = worker::Policy {
            retry: outbox::RetryPolicy {
                first_retry: settings.outbox_retry,
                max_attempts: settings.outbox_max_attempts,
            },
            retention: chrono::Duration::from_std(settings.outbox_retention)
                .map_err(|err| StartupError::Setting(format!("CDS_OUTBOX_RETENTION_DAYS: {err}")))?,
        };
        let mut notifier = Notifier::new(&settings.app_link_base);
        if pushes {
            notifier = notifier.with(Box::new(crate::notify::push::Push));
        }
        notifier.inline_most = settings.notify_inline_most;
        let notifier = Arc::new(notifier);
        worker::spawn(db.clone(), senders, policy, Arc::clone(&outbox_wake), Arc::clone(&notifier));
        let clock = match settings.clock_start {
            Some(start) => {
                tracing::warn!(%start, "CDS_CLOCK_START: reports' clock starts at another moment than now");
                Clock::starting_at(start)
            }
            None => Clock::default(),
        };
        if let Some(every) = settings.deadline_check {
            crate::workflow::deadlines::spawn(
                db.clone(),
                clock,
                Arc::clone(&notifier),
                every,
                Arc::clone(&outbox_wake),
            );
            crate::stats::months::spawn(db.clone(), every);
        }
        let media = MediaStorage::new(&settings).map_err(StartupError::Setting)?;
        let boundaries = {
            let db = db.clone();
            actix_web::web::block(move || UnitLocator::load(&mut *db.get()?))
                .await
                .map_err(|err| StartupError::Database(AppError::Internal(err.to_string())))?
                .map_err(StartupError::Database)?
        };
        if !boundaries.is_empty() {
            tracing::info!(units = boundaries.len(), "unit boundaries loaded");
        }
        crate::media::spawn_cleanup(db.clone(), media.clone());
        let passwords =
            PasswordService::new(settings.hash_concurrency).map_err(|err| StartupError::Setting(err.to_string()))?;
        let addr = settings.bind;
        let listener = TcpListener::bind(addr).map_err(|source| StartupError::Bind { addr, source })?;
        let port = listener.local_addr().map_err(|source| StartupError::Bind { addr, source })?.port();
        let state = web::Data::new(AppState {
            db,
            tokens: TokenKeys::new(jwt_secret.as_bytes(), &settings.public_url),
            passwords,
            limiter: Limiter { per_subject: settings.auth_rate_limit, per_address: settings.address_rate_limit },
            outbox_wake,
            notifier,
            onboarding: CodeSigner::new(onboarding_key.as_bytes()),
            secrets,
            media,
            images: ImageWork::new(
                settings.image_concurrency,
                ImageLimits {
                    max_pixels: settings.media_max_pixels,
                    max_decoded_bytes: settings.media_max_decoded_bytes,
                },
            ),
            categories: crate::http::KeptJson::new(api::categories::CATEGORIES_KEPT_FOR),
            boundaries: std::sync::RwLock::new(Arc::new(boundaries)),
            clock,
            settings,
        });
        spawn_boundary_refresh(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(crate::http::head_as_get))
                .wrap(from_fn(error::problem_responses))
                .wrap(from_fn(openapi::allow_header))
                .wrap(Compress::default())
                .wrap(from_fn(telemetry::echo_request_id))
                .wrap(TracingLogger::<telemetry::PrivateRootSpan>::new())
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(JSON_LIMIT))
                .configure(routes)
                .default_service(web::to(|| async { Err::<actix_web::HttpResponse, _>(AppError::RouteNotFound) }))
        })
        .listen(listener)
        .map_err(|source| StartupError::Bind { addr, source })?
        // On SIGTERM, stop accepting and give in-flight requests this long to finish.
        .shutdown_timeout(30)
        .run();
        Ok(Application { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server from outside (a test, when it is done with it).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// The key access tokens are signed with: `CDS_JWT_SECRET`, or in development one generated on first
/// start and kept in the data dir (so sessions survive a restart).
/// A key from its setting or, in development, generated once and kept in the data dir as `file`.
fn key(settings: &Settings, configured: Option<&Secret>, file: &str, var: &str) -> Result<String, StartupError> {
    if let Some(secret) = configured {
        return Ok(secret.expose().to_string());
    }
    debug_assert_eq!(settings.environment, Environment::Development);
    let path = settings.data_dir.join(file);
    let fail = |err: std::io::Error| StartupError::Setting(format!("CDS_DATA_DIR: {}: {err}", path.display()));
    match std::fs::read_to_string(&path) {
        Ok(secret) if secret.trim().len() >= 32 => return Ok(secret.trim().to_string()),
        Ok(_) | Err(_) => {}
    }
    std::fs::create_dir_all(&settings.data_dir).map_err(fail)?;
    let (secret, _) = crate::auth::tokens::new_opaque_token();
    std::fs::write(&path, &secret).map_err(fail)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(fail)?;
    }
    tracing::warn!(path = %path.display(), "{var} is not set: generated a development key; set it in production");
    Ok(secret)
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .configure(api::units::configure)
            .configure(api::categories::configure)
            .configure(api::calendar::configure)
            .configure(crate::api::auth::configure)
            .configure(crate::api::accounts::configure)
            .configure(crate::api::reports::configure)
            .configure(crate::api::media::configure_api)
            .configure(crate::api::organizations::configure)
            .configure(crate::api::workflow::configure)
            .configure(crate::api::stats::configure)
            .configure(crate::api::notifications::configure)
            .configure(crate::api::devices::configure)
            .configure(crate::api::notification_settings::configure)
            .configure(crate::api::onboarding::configure)
            .configure(crate::api::open_data::configure)
            .configure(crate::api::api_keys::configure),
    )
    .configure(crate::api::open311::configure)
    .configure(crate::console::configure)
    .configure(crate::api::media::configure_files)
    .configure(api::health::configure)
    .route("/api-docs/openapi.json", web::get().to(openapi::serve));
}

/// Boundaries imported by another process (the CLI, another instance) reach this one within
/// `CDS_BOUNDARY_CHECK_SECS`.
fn spawn_boundary_refresh(state: web::Data<AppState>) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(state.settings.boundary_check).await;
            let current = state.boundaries();
            let reloaded = state
                .db
                .run(move |conn| {
                    let version = crate::routing::locator::version(conn)?;
                    if current.is_behind(version) {
                        UnitLocator::load(conn).map(Some)
                    } else {
                        Ok(None)
                    }
                })
                .await;
            match reloaded {
                Ok(Some(locator)) => {
                    // Swapped in before it is said, so whoever reads the log finds it in use.
                    let units = locator.len();
                    state.replace_boundaries(locator);
                    tracing::info!(units, "unit boundaries reloaded");
                }
                Ok(None) => {}
                Err(err) => tracing::warn!(error = %err, "boundary check failed; will retry"),
            }
        }
    });
}

pub async fn prepare_database(db: Db) -> Result<SeedReport, AppError> {
    actix_web::web::block(move || {
        let mut conn = db.get()?;
        db::exclusively(&mut conn, |conn| {
            db::run_migrations(conn)?;
            seed::seed_reference_data(conn)
        })
    })
    .await
    .map_err(|err| AppError::Internal(format!("blocking task: {err}")))?
}
