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
            println!("database ready: {} units and {} categories added", report.units_added, report.categories_added);
            Ok(())
        }
        Command::CreateAdmin { email, full_name } => {
            let email = Email::parse(&email, "email").map_err(|_| format!("--email: {email:?} is not an email address"))?;
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
