//! Typed settings, read once from the environment. Every default makes `cargo run` work on a laptop;
//! every error names the variable so an operator can fix it from one line.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::units::ProvinceCode;

#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseUrl,
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub public_url: String,
    pub service_area: ServiceArea,
    pub db_pool_size: u32,
    pub db_timeout: Duration,
    pub log_format: LogFormat,
}

/// Where the data lives: an embedded SQLite file (pilots, development) or PostgreSQL (a province).
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl std::fmt::Debug for DatabaseUrl {
    // PostgreSQL URLs may carry a password; never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres(_) => write!(f, "postgres://…"),
        }
    }
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if let Some(path) = raw.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("expected sqlite://PATH, the path is empty".into());
            }
            Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
        } else if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            Ok(DatabaseUrl::Postgres(raw.to_string()))
        } else {
            Err(format!("expected sqlite://PATH or postgres://USER@HOST/DB, got {raw:?}"))
        }
    }
}

/// The provinces this deployment serves; positions elsewhere are refused rather than guessed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceArea {
    Everywhere,
    Provinces(BTreeSet<ProvinceCode>),
}

impl ServiceArea {
    pub fn contains(&self, province: &ProvinceCode) -> bool {
        match self {
            ServiceArea::Everywhere => true,
            ServiceArea::Provinces(set) => set.contains(province),
        }
    }

    fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.is_empty() || raw.eq_ignore_ascii_case("all") {
            return Ok(ServiceArea::Everywhere);
        }
        let mut set = BTreeSet::new();
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let code = ProvinceCode::parse(part)
                .filter(|code| crate::seed::is_known_province(code))
                .ok_or_else(|| format!("{part:?} is not one of the 34 province codes (e.g. 01, 68, 79)"))?;
            set.insert(code);
        }
        Ok(ServiceArea::Provinces(set))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// A setting that cannot be used, with the variable that holds it.
#[derive(Debug, thiserror::Error)]
#[error("{var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests can describe an environment without touching the process's.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        fn setting<T>(
            lookup: &impl Fn(&str) -> Option<String>,
            var: &'static str,
            default: &str,
            parse: impl FnOnce(&str) -> Result<T, String>,
        ) -> Result<T, ConfigError> {
            let raw = lookup(var).unwrap_or_else(|| default.to_string());
            parse(&raw).map_err(|message| ConfigError { var, message })
        }

        let database = setting(&lookup, "DATABASE_URL", "sqlite://data/congdanso.db", DatabaseUrl::parse)?;
        let bind: SocketAddr = setting(&lookup, "CDS_BIND", "127.0.0.1:8080", |raw| {
            raw.trim().parse().map_err(|_| format!("expected HOST:PORT such as 127.0.0.1:8080, got {raw:?}"))
        })?;
        let data_dir = setting(&lookup, "CDS_DATA_DIR", "data", |raw| {
            if raw.trim().is_empty() {
                Err("must not be empty".to_string())
            } else {
                Ok(PathBuf::from(raw.trim()))
            }
        })?;
        let public_url = setting(&lookup, "CDS_PUBLIC_URL", &format!("http://{bind}"), |raw| {
            let url = raw.trim().trim_end_matches('/');
            if url.starts_with("http://") || url.starts_with("https://") {
                Ok(url.to_string())
            } else {
                Err(format!("expected an http:// or https:// URL, got {raw:?}"))
            }
        })?;
        let service_area = setting(&lookup, "CDS_PROVINCES", "all", ServiceArea::parse)?;
        let db_pool_size = setting(&lookup, "CDS_DB_POOL_SIZE", "10", |raw| match raw.trim().parse::<u32>() {
            Ok(n) if (1..=200).contains(&n) => Ok(n),
            _ => Err(format!("expected a whole number from 1 to 200, got {raw:?}")),
        })?;
        let db_timeout = setting(&lookup, "CDS_DB_TIMEOUT_SECS", "5", |raw| match raw.trim().parse::<u64>() {
            Ok(n) if (1..=300).contains(&n) => Ok(Duration::from_secs(n)),
            _ => Err(format!("expected seconds from 1 to 300, got {raw:?}")),
        })?;
        let log_format = setting(&lookup, "CDS_LOG_FORMAT", "text", |raw| match raw.trim() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(format!("expected text or json, got {raw:?}")),
        })?;

        Ok(Settings { database, bind, data_dir, public_url, service_area, db_pool_size, db_timeout, log_format })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings_with(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let env: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_lookup(|name| env.get(name).cloned())
    }

    #[test]
    fn defaults_run_on_a_local_sqlite_file() {
        let settings = settings_with(&[]).unwrap();
        assert_eq!(settings.database, DatabaseUrl::Sqlite(PathBuf::from("data/congdanso.db")));
        assert_eq!(settings.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(settings.public_url, "http://127.0.0.1:8080");
        assert_eq!(settings.service_area, ServiceArea::Everywhere);
    }

    #[test]
    fn a_bad_setting_names_its_variable() {
        let err = settings_with(&[("DATABASE_URL", "nonsense")]).unwrap_err();
        assert_eq!(err.var, "DATABASE_URL");
        assert!(err.to_string().starts_with("DATABASE_URL: expected sqlite://"));

        let err = settings_with(&[("CDS_BIND", "localhost")]).unwrap_err();
        assert_eq!(err.var, "CDS_BIND");

        let err = settings_with(&[("CDS_PROVINCES", "68,99")]).unwrap_err();
        assert_eq!(err.var, "CDS_PROVINCES");
        assert!(err.message.contains("\"99\""), "{}", err.message);
    }

    #[test]
    fn service_area_lists_known_provinces() {
        let settings = settings_with(&[("CDS_PROVINCES", " 68, 79 ")]).unwrap();
        assert!(settings.service_area.contains(&ProvinceCode::parse("68").unwrap()));
        assert!(!settings.service_area.contains(&ProvinceCode::parse("01").unwrap()));
    }

    #[test]
    fn postgres_urls_are_not_printed() {
        let url = DatabaseUrl::parse("postgres://app:secret@db/congdanso").unwrap();
        assert!(!format!("{url:?}").contains("secret"));
    }
}
