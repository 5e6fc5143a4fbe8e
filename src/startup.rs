//! Builds the application: the one place routes, middleware and state are put together.
//! `main` and every test call [`Application::build`], so tests exercise exactly what ships.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, App, HttpServer};
use tracing_actix_web::TracingLogger;

use crate::config::Settings;
use crate::db::{self, Db};
use crate::error::{self, AppError};
use crate::http::JSON_LIMIT;
use crate::seed::{self, SeedReport};
use crate::{categories, health, openapi, telemetry, units};

/// What every request handler can reach.
pub struct AppState {
    pub db: Db,
    pub settings: Settings,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("DATABASE_URL: cannot prepare the database: {0}")]
    Database(AppError),
    #[error("CDS_BIND: cannot listen on {addr}: {source}")]
    Bind { addr: std::net::SocketAddr, source: std::io::Error },
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
            tracing::info!(units = report.units_added, categories = report.categories_added, "seeded reference data");
        }
        let addr = settings.bind;
        let listener = TcpListener::bind(addr).map_err(|source| StartupError::Bind { addr, source })?;
        let port = listener.local_addr().map_err(|source| StartupError::Bind { addr, source })?.port();
        let state = web::Data::new(AppState { db, settings });
        let server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(error::problem_responses))
                .wrap(Compress::default())
                .wrap(from_fn(telemetry::echo_request_id))
                .wrap(TracingLogger::default())
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(JSON_LIMIT))
                .app_data(web::QueryConfig::default().error_handler(|err, _| AppError::from(&err).into()))
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

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::scope("/api/v1").configure(units::routes::configure).configure(categories::routes::configure))
        .configure(health::configure)
        .route("/api-docs/openapi.json", web::get().to(openapi::serve));
}

/// Brings the schema up to date and seeds reference data; safe to run on every start.
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
