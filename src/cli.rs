//! The command line: `serve` (the default), `migrate`, `openapi`, `create-admin`.

use std::io::{BufRead, IsTerminal};

use clap::{Parser, Subcommand};

use crate::accounts::{self, Email};
use crate::auth::password::Password;
use crate::config::Settings;
use crate::db::Db;
use crate::startup::{prepare_database, Application};

#[derive(Debug, Parser)]
#[command(name = "congdanso", version, about = "Citizen–government feedback backend")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate, seed and serve the API (the default).
    Serve,
    /// Bring the database schema up to date and seed reference data, then exit.
    Migrate,
    /// Print the OpenAPI contract as YAML.
    Openapi,
    /// Create an administrator. The password is read from standard input; with none given (or from a
    /// terminal) one is generated and printed once.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Quản trị viên")]
        full_name: String,
    },
    /// Load unit boundaries from a GeoJSON FeatureCollection; reports each feature that cannot be used.
    /// A running server uses them after a restart (the admin API applies them at once).
    ImportBoundaries {
        file: std::path::PathBuf,
        /// The feature property holding the unit code.
        #[arg(long, default_value = "code")]
        code_property: String,
    },
}

/// Runs one command; the error is the one line to show the operator.
pub async fn run(cli: Cli) -> Result<(), String> {
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Openapi = command {
        print!("{}", crate::openapi::yaml());
        return Ok(());
    }
    let settings = Settings::from_env().map_err(|err| err.to_string())?;
    crate::telemetry::init(settings.log_format);
    match command {
        Command::Serve => {
            let app = Application::build(settings.clone()).await.map_err(|err| err.to_string())?;
            tracing::info!(address = %settings.bind, port = app.port(), database = ?settings.database, "serving");
            app.run_until_stopped().await.map_err(|err| format!("server: {err}"))
        }
        Command::Migrate => {
            let db = Db::new(&settings).map_err(|err| format!("DATABASE_URL: {err}"))?;
            let report = prepare_database(db).await.map_err(|err| format!("DATABASE_URL: {err}"))?;
            println!(
                "database ready: {} units, {} categories and {} calendar days added",
                report.units_added, report.categories_added, report.calendar_days_added
            );
            Ok(())
        }
        Command::CreateAdmin { email, full_name } => {
            let email =
                Email::parse(&email, "email").map_err(|_| format!("--email: {email:?} is not an email address"))?;
            let (password, generated) = match read_password_from_stdin()? {
                Some(raw) => {
                    let password = Password::parse(raw, "password")
                        .map_err(|_| "the password must have 8 to 128 characters".to_string())?;
                    (password, false)
                }
                None => (Password::generate(), true),
            };
            let db = Db::new(&settings).map_err(|err| format!("DATABASE_URL: {err}"))?;
            prepare_database(db.clone()).await.map_err(|err| format!("DATABASE_URL: {err}"))?;
            let shown_email = email.clone();
            let id = db
                .run(move |conn| accounts::create_admin(conn, &email, &password, &full_name).map(|id| (id, password)))
                .await
                .map_err(|err| match err {
                    crate::error::AppError::AccountExists => format!("an account with {} exists", shown_email.as_str()),
                    other => other.to_string(),
                })?;
            println!("created administrator {} ({})", shown_email.as_str(), id.0);
            if generated {
                println!("password (shown once, store it now): {}", id.1.expose());
            }
            Ok(())
        }
        Command::ImportBoundaries { file, code_property } => {
            let bytes = std::fs::read(&file).map_err(|err| format!("{}: {err}", file.display()))?;
            let collection: serde_json::Value =
                serde_json::from_slice(&bytes).map_err(|err| format!("{}: not JSON: {err}", file.display()))?;
            let (parsed, problems) = crate::routing::boundaries::parse_collection(&collection, &code_property)
                .map_err(|_| format!("{}: not a GeoJSON FeatureCollection", file.display()))?;
            let db = Db::new(&settings).map_err(|err| format!("DATABASE_URL: {err}"))?;
            prepare_database(db.clone()).await.map_err(|err| format!("DATABASE_URL: {err}"))?;
            let result = db
                .run(move |conn| crate::routing::boundaries::store(conn, parsed, problems))
                .await
                .map_err(|err| err.to_string())?;
            println!("imported {} boundaries", result.imported.len());
            for problem in &result.problems {
                println!(
                    "feature #{} ({}): {}: {}",
                    problem.index,
                    problem.code.as_deref().unwrap_or("no code"),
                    problem.problem,
                    problem.message
                );
            }
            if result.imported.is_empty() && !result.problems.is_empty() {
                return Err("no boundary could be imported".into());
            }
            Ok(())
        }
        Command::Openapi => unreachable!("handled above"),
    }
}

/// The first line of standard input, unless it is a terminal or empty.
fn read_password_from_stdin() -> Result<Option<String>, String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Ok(None);
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line).map_err(|err| format!("reading the password from stdin: {err}"))?;
    let line = line.trim_end_matches(['\r', '\n']).to_string();
    Ok(Some(line).filter(|l| !l.is_empty()))
}
