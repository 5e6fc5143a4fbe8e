//! Typed settings, read once from the environment. Every default makes `cargo run` work on a laptop;
//! every error names the variable so an operator can fix it from one line.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::values::{is_known_province, Email, ProvinceCode};

#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseUrl,
    /// A streaming replica of `database` for public reads and statistics (PostgreSQL only).
    pub read_database: Option<DatabaseUrl>,
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub public_url: String,
    pub service_area: ServiceArea,
    pub db_pool_size: u32,
    pub db_timeout: Duration,
    pub log_format: LogFormat,
    pub environment: Environment,
    /// `None` in development, where a secret is generated and kept in the data dir.
    pub jwt_secret: Option<Secret>,
    pub smtp: MailTransport,
    pub sms: SmsTransport,
    /// Send texts with Vietnamese diacritics (`CDS_SMS_UNICODE`); without, they are taken off, as many
    /// brandname templates are registered without them (and a Unicode text holds 70 characters, not 160).
    pub sms_unicode: bool,
    pub sms_limits: SmsLimits,
    /// Signs volunteers' onboarding codes. Printed QR posters outlive other keys, so it is its own.
    pub onboarding_key: Option<Secret>,
    pub mail_from: String,
    pub app_link_base: String,
    pub bootstrap_admin_email: Option<String>,
    /// Requests a minute per login name, phone, email, device or volunteer on each of sign-up, log-in,
    /// password reset and onboarding.
    pub auth_rate_limit: u32,
    /// Requests a minute per client address on each of them: the ceiling against floods.
    pub address_rate_limit: u32,
    /// News of a report with more followers than this is told by the outbox worker, after the action.
    pub notify_inline_most: usize,
    /// Take the client address from `Forwarded`/`X-Forwarded-For` (only behind a trusted reverse proxy).
    pub trust_forwarded: bool,
    /// First retry delay of undelivered mail; it doubles with every failure.
    pub outbox_retry: Duration,
    /// Tries before an undeliverable message is given up.
    pub outbox_max_attempts: u32,
    /// How long sent (or given-up) messages are kept before they are deleted.
    pub outbox_retention: Duration,
    pub hash_concurrency: usize,
    /// How close an open report of the same category must be to be offered as "the same problem".
    pub similar_radius_m: f64,
    /// The largest photo accepted, in bytes.
    pub media_max_bytes: usize,
    /// The most pixels a photo may have (a decompression bomb has many).
    pub media_max_pixels: u64,
    /// The most bytes decoding one photo may take (pixels × bytes per pixel).
    pub media_max_decoded_bytes: u64,
    /// How many photos are decoded at once; times `media_max_decoded_bytes`, it bounds image memory.
    pub image_concurrency: usize,
    pub media_store: MediaStore,
    /// How often reports' deadlines are checked (reminders, escalation, closing); `None` (0) leaves it
    /// to other instances.
    pub deadline_check: Option<Duration>,
    /// How often a running server looks for boundaries imported elsewhere (the CLI, another instance).
    pub boundary_check: Duration,
    /// The moment the clock reports' lives go by starts at, when not now (`CDS_CLOCK_START`): for
    /// rehearsing a date (the eve of Tết) in development and tests; refused in production.
    pub clock_start: Option<chrono::DateTime<chrono::Utc>>,
    /// The licence open data is published under: its name and where it is read.
    pub open_data_license: String,
    pub open_data_license_url: String,
    /// The id Open311 clients may send as `jurisdiction_id` besides the province codes served
    /// (`CDS_OPEN311_JURISDICTION_ID`, e.g. `lamdong.gov.vn`).
    pub open311_jurisdiction_id: Option<String>,
    /// Push notifications through FCM, when a service-account key is given.
    pub fcm: Option<FcmSettings>,
    /// The console's map tiles (`{z}/{x}/{y}` URL template; empty: no background) and their credit.
    pub console_map_tiles: String,
    pub console_map_attribution: String,
}

/// Where FCM is reached and as whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FcmSettings {
    /// The service-account key file downloaded from the Firebase console (`CDS_FCM_CREDENTIALS`); its
    /// `token_uri` is where access tokens come from.
    pub credentials: PathBuf,
    /// FCM's base URL (`CDS_FCM_URL`): Google's, or a local one in tests.
    pub url: String,
}

/// Where photos are kept.
#[derive(Clone, PartialEq, Eq)]
pub enum MediaStore {
    /// `CDS_DATA_DIR/media`.
    Files,
    /// An S3 bucket (AWS, or any S3-compatible store with `AWS_ENDPOINT`).
    S3 {
        bucket: String,
        prefix: String,
        region: String,
        endpoint: Option<String>,
        access_key_id: Option<String>,
        secret_access_key: Option<Secret>,
        allow_http: bool,
    },
}

impl std::fmt::Debug for MediaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MediaStore::Files => f.write_str("file"),
            MediaStore::S3 { bucket, prefix, .. } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

/// How mail leaves: SMTP, or `.eml` files in the data dir (development).
#[derive(Clone, PartialEq, Eq)]
pub enum MailTransport {
    Smtp(String),
    Files,
}

impl std::fmt::Debug for MailTransport {
    // SMTP URLs may carry credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MailTransport::Smtp(_) => f.write_str("smtp://…"),
            MailTransport::Files => f.write_str("file"),
        }
    }
}

/// Where text messages go: a provider's HTTP API (eSMS.vn), a carrier's SMSC over SMPP, a file in the data
/// dir or the log (development), or nowhere (`off`, the production default), where assisted sign-up
/// answers 503 `sms_unavailable`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmsTransport {
    File,
    Log,
    Off,
    Http(EsmsGateway),
    Smpp(SmppGateway),
}

/// An eSMS.vn account sending as a registered brandname (`CDS_SMS=http`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EsmsGateway {
    pub url: String,
    pub api_key: String,
    pub secret_key: Secret,
    pub brandname: String,
    /// eSMS's `SmsType`: `2` is a brandname customer-care message (what an activation code is).
    pub sms_type: String,
}

/// A session with a carrier's SMSC (`CDS_SMS=smpp`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmppGateway {
    /// `host:port`.
    pub address: String,
    pub system_id: String,
    pub password: Secret,
    /// The brandname or short code messages come from.
    pub source_addr: String,
}

/// The most text messages enqueued in one day (Vietnam's): they cost money, and a script signing up
/// neighbours in a loop should not spend a province's budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmsLimits {
    pub per_phone_per_day: i64,
    pub per_day: i64,
}

/// A secret value whose `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Whether `url` names an http:// or https:// address (the settings that are URLs).
fn is_http_url(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

/// The value of `var`, which `CDS_SMS=<transport>` needs.
fn required(
    lookup: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    transport: &str,
) -> Result<String, ConfigError> {
    match lookup(var).map(|raw| raw.trim().to_string()) {
        Some(value) if !value.is_empty() => Ok(value),
        _ => Err(ConfigError { var, message: format!("required when CDS_SMS={transport}") }),
    }
}

/// `value` if it is printable ASCII of at most `most` characters: SMPP's fields are C strings of a fixed
/// size, and a longer one would only fail at the first message.
fn smpp_field(var: &'static str, value: String, most: usize) -> Result<String, ConfigError> {
    if value.len() <= most && value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        Ok(value)
    } else {
        Err(ConfigError { var, message: format!("expected at most {most} ASCII characters (SMPP's limit)") })
    }
}

impl EsmsGateway {
    /// eSMS's documented JSON endpoint for one customer-care message.
    pub const DEFAULT_URL: &'static str = "https://rest.esms.vn/MainService.svc/json/SendMultipleMessage_V4_post_json/";

    fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let url = lookup("CDS_SMS_URL").map(|raw| raw.trim().to_string()).filter(|raw| !raw.is_empty());
        let url = url.unwrap_or_else(|| Self::DEFAULT_URL.to_string());
        if !is_http_url(&url) {
            let message = format!("expected an http:// or https:// URL, got {url:?}");
            return Err(ConfigError { var: "CDS_SMS_URL", message });
        }
        let sms_type = lookup("CDS_SMS_TYPE").map(|raw| raw.trim().to_string()).unwrap_or_else(|| "2".into());
        if sms_type.is_empty() || sms_type.len() > 3 || !sms_type.bytes().all(|b| b.is_ascii_digit()) {
            let message = format!("expected eSMS's SmsType, a number such as 2 (customer care), got {sms_type:?}");
            return Err(ConfigError { var: "CDS_SMS_TYPE", message });
        }
        Ok(EsmsGateway {
            url,
            api_key: required(lookup, "CDS_SMS_API_KEY", "http")?,
            secret_key: Secret(required(lookup, "CDS_SMS_SECRET_KEY", "http")?),
            brandname: required(lookup, "CDS_SMS_BRANDNAME", "http")?,
            sms_type,
        })
    }
}

impl SmppGateway {
    fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let address = required(lookup, "CDS_SMPP_ADDRESS", "smpp")?;
        let port =
            address.rsplit_once(':').and_then(|(host, port)| port.parse::<u16>().ok().filter(|_| !host.is_empty()));
        if port.is_none() {
            let message = format!("expected HOST:PORT such as smsc.example.vn:2775, got {address:?}");
            return Err(ConfigError { var: "CDS_SMPP_ADDRESS", message });
        }
        let system_id = required(lookup, "CDS_SMPP_SYSTEM_ID", "smpp")?;
        let password = required(lookup, "CDS_SMPP_PASSWORD", "smpp")?;
        let source_addr = required(lookup, "CDS_SMPP_SOURCE_ADDR", "smpp")?;
        Ok(SmppGateway {
            address,
            system_id: smpp_field("CDS_SMPP_SYSTEM_ID", system_id, 15)?,
            password: Secret(smpp_field("CDS_SMPP_PASSWORD", password, 8)?),
            source_addr: smpp_field("CDS_SMPP_SOURCE_ADDR", source_addr, 20)?,
        })
    }
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
                .filter(is_known_province)
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

/// A parser of whole numbers from `min` to `max`, for [`setting`].
fn whole_number<T>(min: T, max: T) -> impl Fn(&str) -> Result<T, String>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    move |raw| match raw.trim().parse::<T>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("expected a whole number from {min} to {max}, got {raw:?}")),
    }
}

fn boolean(raw: &str) -> Result<bool, String> {
    match raw.trim() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(format!("expected true or false, got {raw:?}")),
    }
}

/// Why a production key could be guessed, if it could: a placeholder from an example file, one short
/// piece repeated, or too few different characters to be random.
fn guessable(key: &str) -> Option<&'static str> {
    let lower = key.to_lowercase();
    if ["change", "example", "secret", "placeholder", "password", "default", "xxxx"].iter().any(|w| lower.contains(w)) {
        return Some("looks like a placeholder");
    }
    let chars: Vec<char> = key.chars().collect();
    if (1..=chars.len() / 2).any(|n| chars.chunks(n).all(|piece| chars[..piece.len()] == *piece)) {
        return Some("is one piece repeated");
    }
    let mut distinct = chars.clone();
    distinct.sort_unstable();
    distinct.dedup();
    // 32 random hex characters show 10 or more different ones 9,999 times in 10,000; base64 more.
    (distinct.len() < 10).then_some("has too few different characters to be random")
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
        let read_database = setting(&lookup, "CDS_DATABASE_READ_URL", "", |raw| match (raw.trim(), &database) {
            ("", _) => Ok(None),
            (_, DatabaseUrl::Sqlite(_)) => {
                Err("read replicas are PostgreSQL's; DATABASE_URL is a SQLite file (leave this unset)".to_string())
            }
            (url, DatabaseUrl::Postgres(_)) => match DatabaseUrl::parse(url)? {
                replica @ DatabaseUrl::Postgres(_) => Ok(Some(replica)),
                DatabaseUrl::Sqlite(_) => Err("expected postgres://USER@HOST/DB, a streaming replica".to_string()),
            },
        })?;
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
            if is_http_url(url) {
                Ok(url.to_string())
            } else {
                Err(format!("expected an http:// or https:// URL, got {raw:?}"))
            }
        })?;
        let service_area = setting(&lookup, "CDS_PROVINCES", "all", ServiceArea::parse)?;
        let db_pool_size = setting(&lookup, "CDS_DB_POOL_SIZE", "10", whole_number::<u32>(1, 200))?;
        let db_timeout = setting(&lookup, "CDS_DB_TIMEOUT_SECS", "5", |raw| match raw.trim().parse::<u64>() {
            Ok(n) if (1..=300).contains(&n) => Ok(Duration::from_secs(n)),
            _ => Err(format!("expected seconds from 1 to 300, got {raw:?}")),
        })?;
        let log_format = setting(&lookup, "CDS_LOG_FORMAT", "text", |raw| match raw.trim() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(format!("expected text or json, got {raw:?}")),
        })?;

        let environment = setting(&lookup, "CDS_ENV", "development", |raw| match raw.trim() {
            "development" | "dev" => Ok(Environment::Development),
            "production" | "prod" => Ok(Environment::Production),
            _ => Err(format!("expected development or production, got {raw:?}")),
        })?;
        let production = environment == Environment::Production;
        // Keys: generated and kept in the data dir in development, required in production.
        let key = |raw: &str| match raw.trim() {
            "" if production => Err("required when CDS_ENV=production (at least 32 random characters)".to_string()),
            "" => Ok(None),
            secret if secret.len() < 32 => Err("must be at least 32 characters".to_string()),
            secret if production => guessable(secret).map_or(Ok(Some(Secret(secret.to_string()))), |why| {
                Err(format!("{why}: use 32+ random characters, e.g. `openssl rand -base64 48`"))
            }),
            secret => Ok(Some(Secret(secret.to_string()))),
        };
        let jwt_secret = setting(&lookup, "CDS_JWT_SECRET", "", key)?;
        let onboarding_key = setting(&lookup, "CDS_ONBOARDING_KEY", "", key)?;
        // Development channels keep messages (and the codes in them) in files or logs: not in production,
        // unless an operator says so for a trial.
        let allow_dev_channels = setting(&lookup, "CDS_ALLOW_DEV_CHANNELS", "false", boolean)?;
        let dev_channel = |name: &str| {
            if production && !allow_dev_channels {
                Err(format!("{name} is for development; CDS_ENV=production needs a real channel (or CDS_ALLOW_DEV_CHANNELS=true)"))
            } else {
                Ok(())
            }
        };
        let smtp = setting(&lookup, "CDS_SMTP_URL", "file", |raw| match raw.trim() {
            "file" => dev_channel("file").map(|()| MailTransport::Files),
            url if url.starts_with("smtp://") || url.starts_with("smtps://") => {
                Ok(MailTransport::Smtp(url.to_string()))
            }
            _ => Err("expected smtp://HOST:PORT, smtps://USER:PASSWORD@HOST, or file".to_string()),
        })?;
        let sms = setting(&lookup, "CDS_SMS", if production { "off" } else { "file" }, |raw| match raw.trim() {
            "file" => dev_channel("file").map(|()| "file"),
            "log" => dev_channel("log").map(|()| "log"),
            "off" => Ok("off"),
            "http" => Ok("http"),
            "smpp" => Ok("smpp"),
            _ => Err("expected http, smpp, file, log or off".to_string()),
        })?;
        let sms = match sms {
            "http" => SmsTransport::Http(EsmsGateway::from_lookup(&lookup)?),
            "smpp" => SmsTransport::Smpp(SmppGateway::from_lookup(&lookup)?),
            "file" => SmsTransport::File,
            "log" => SmsTransport::Log,
            _ => SmsTransport::Off,
        };
        let sms_unicode = setting(&lookup, "CDS_SMS_UNICODE", "false", boolean)?;
        let sms_limits = SmsLimits {
            per_phone_per_day: setting(&lookup, "CDS_SMS_PER_PHONE_PER_DAY", "5", whole_number::<i64>(1, 1000))?,
            per_day: setting(&lookup, "CDS_SMS_PER_DAY", "2000", whole_number::<i64>(1, 100_000_000))?,
        };
        let mail_from = setting(&lookup, "CDS_MAIL_FROM", "Công dân số <no-reply@localhost>", |raw| {
            raw.trim()
                .parse::<lettre::message::Mailbox>()
                .map(|_| raw.trim().to_string())
                .map_err(|_| format!("expected an address such as \"Công dân số <no-reply@tinh.gov.vn>\", got {raw:?}"))
        })?;
        let app_link_base = setting(&lookup, "CDS_APP_LINK_BASE", &format!("{public_url}/app"), |raw| {
            let url = raw.trim().trim_end_matches('/');
            if url.contains("://") {
                Ok(url.to_string())
            } else {
                Err(format!("expected a URL such as https://app.tinh.gov.vn or congdanso://, got {raw:?}"))
            }
        })?;
        let bootstrap_admin_email = setting(&lookup, "CDS_BOOTSTRAP_ADMIN_EMAIL", "", |raw| match raw.trim() {
            "" => Ok(None),
            email => Email::parse(email, "email")
                .map(|e| Some(e.as_str().to_string()))
                .map_err(|_| format!("{raw:?} is not an email address")),
        })?;
        let per_minute = |raw: &str| match raw.trim().parse::<u32>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(format!("expected requests per minute (1 or more), got {raw:?}")),
        };
        let auth_rate_limit = setting(&lookup, "CDS_AUTH_RATE_LIMIT", "20", per_minute)?;
        let address_rate_limit = setting(&lookup, "CDS_ADDRESS_RATE_LIMIT", "600", per_minute)?;
        let notify_inline_most = setting(&lookup, "CDS_NOTIFY_INLINE_MOST", "50", whole_number::<usize>(0, 10_000))?;
        let trust_forwarded = setting(&lookup, "CDS_TRUST_FORWARDED", "false", boolean)?;
        let outbox_retry = setting(&lookup, "CDS_OUTBOX_RETRY_SECS", "30", |raw| match raw.trim().parse::<u64>() {
            Ok(n) if (1..=3600).contains(&n) => Ok(Duration::from_secs(n)),
            _ => Err(format!("expected seconds from 1 to 3600, got {raw:?}")),
        })?;
        let outbox_max_attempts = setting(&lookup, "CDS_OUTBOX_MAX_ATTEMPTS", "10", whole_number::<u32>(1, 100))?;
        let outbox_retention =
            setting(&lookup, "CDS_OUTBOX_RETENTION_DAYS", "7", |raw| match raw.trim().parse::<u64>() {
                Ok(n) if n <= 3650 => Ok(Duration::from_secs(n * 24 * 3600)),
                _ => Err(format!("expected days from 0 to 3650, got {raw:?}")),
            })?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        // One core stays free for everything else while a log-in storm hashes passwords.
        let default_hashers = cores.saturating_sub(1).max(1).to_string();
        let hash_concurrency =
            setting(&lookup, "CDS_HASH_CONCURRENCY", &default_hashers, whole_number::<usize>(1, 64))?;

        let similar_radius_m = setting(&lookup, "CDS_SIMILAR_RADIUS_M", "50", |raw| match raw.trim().parse::<f64>() {
            Ok(m) if (1.0..=1000.0).contains(&m) => Ok(m),
            _ => Err(format!("expected metres from 1 to 1000, got {raw:?}")),
        })?;

        let media_max_bytes =
            setting(&lookup, "CDS_MEDIA_MAX_BYTES", "10485760", |raw| match raw.trim().parse::<usize>() {
                Ok(n) if (1024..=100 * 1024 * 1024).contains(&n) => Ok(n),
                _ => Err(format!("expected bytes from 1024 to 104857600, got {raw:?}")),
            })?;
        let media_max_pixels =
            setting(&lookup, "CDS_MEDIA_MAX_PIXELS", "50000000", |raw| match raw.trim().parse::<u64>() {
                Ok(n) if (10_000..=500_000_000).contains(&n) => Ok(n),
                _ => Err(format!("expected a pixel count from 10000 to 500000000, got {raw:?}")),
            })?;
        let media_max_decoded_bytes =
            setting(&lookup, "CDS_MEDIA_MAX_DECODED_MB", "100", |raw| match raw.trim().parse::<u64>() {
                Ok(n) if (1..=65_536).contains(&n) => Ok(n << 20),
                _ => Err(format!("expected MiB from 1 to 65536, got {raw:?}")),
            })?;
        let image_concurrency = setting(&lookup, "CDS_IMAGE_CONCURRENCY", "2", whole_number::<usize>(1, 64))?;

        let media_store = setting(&lookup, "CDS_MEDIA_STORE", "file", |raw| match raw.trim() {
            "file" => Ok(MediaStore::Files),
            url => {
                let location = url
                    .strip_prefix("s3://")
                    .ok_or_else(|| format!("expected file or s3://BUCKET[/PREFIX], got {raw:?}"))?;
                let (bucket, prefix) = location.split_once('/').unwrap_or((location, ""));
                if bucket.is_empty() {
                    return Err("the bucket name is empty".to_string());
                }
                Ok(MediaStore::S3 {
                    bucket: bucket.to_string(),
                    prefix: prefix.trim_matches('/').to_string(),
                    region: lookup("AWS_REGION")
                        .or_else(|| lookup("AWS_DEFAULT_REGION"))
                        .unwrap_or_else(|| "us-east-1".into()),
                    endpoint: lookup("AWS_ENDPOINT").or_else(|| lookup("AWS_ENDPOINT_URL")),
                    access_key_id: lookup("AWS_ACCESS_KEY_ID"),
                    secret_access_key: lookup("AWS_SECRET_ACCESS_KEY").map(Secret),
                    allow_http: lookup("AWS_ALLOW_HTTP").is_some_and(|v| v == "true"),
                })
            }
        })?;

        let interval = |raw: &str| match raw.trim().parse::<u64>() {
            Ok(n) if (1..=3600).contains(&n) => Ok(Duration::from_secs(n)),
            _ => Err(format!("expected seconds from 1 to 3600, got {raw:?}")),
        };
        let deadline_check = setting(&lookup, "CDS_DEADLINE_CHECK_SECS", "60", |raw| match raw.trim() {
            "0" => Ok(None),
            _ => interval(raw).map(Some).map_err(|_| format!("expected seconds from 0 (off) to 3600, got {raw:?}")),
        })?;
        let boundary_check = setting(&lookup, "CDS_BOUNDARY_CHECK_SECS", "60", interval)?;
        // Both go into a `Link` header: printable ASCII without quotes or angle brackets.
        let header_text = |raw: &str| {
            let text = raw.trim();
            let fits = !text.is_empty() && text.bytes().all(|b| (0x20..0x7f).contains(&b) && !b"\"<>".contains(&b));
            fits.then(|| text.to_string())
                .ok_or_else(|| format!("expected printable ASCII without quotes or <>, got {raw:?}"))
        };
        let open_data_license = setting(&lookup, "CDS_OPEN_DATA_LICENSE", "CC BY 4.0", header_text)?;
        let open_data_license_url =
            setting(&lookup, "CDS_OPEN_DATA_LICENSE_URL", "https://creativecommons.org/licenses/by/4.0/", header_text)?;
        let open311_jurisdiction_id = match lookup("CDS_OPEN311_JURISDICTION_ID").map(|raw| raw.trim().to_string()) {
            Some(id) if id.is_empty() => None,
            Some(id) if id.len() > 100 || id.chars().any(|c| c.is_whitespace() || c.is_control()) => {
                let message = format!("expected an id without spaces, at most 100 characters, got {id:?}");
                return Err(ConfigError { var: "CDS_OPEN311_JURISDICTION_ID", message });
            }
            id => id,
        };
        let clock_start = match lookup("CDS_CLOCK_START") {
            None => None,
            Some(_) if production => {
                return Err(ConfigError { var: "CDS_CLOCK_START", message: "is for development only".into() })
            }
            Some(raw) => Some(
                chrono::DateTime::parse_from_rfc3339(raw.trim())
                    .map_err(|_| ConfigError {
                        var: "CDS_CLOCK_START",
                        message: format!("expected an RFC 3339 time such as 2027-02-05T10:00:00+07:00, got {raw:?}"),
                    })?
                    .to_utc(),
            ),
        };

        let fcm = match lookup("CDS_FCM_CREDENTIALS").map(|raw| raw.trim().to_string()) {
            None => None,
            Some(path) if path.is_empty() => None,
            Some(path) => Some(FcmSettings {
                credentials: PathBuf::from(path),
                url: setting(&lookup, "CDS_FCM_URL", "https://fcm.googleapis.com", |raw| match raw.trim() {
                    url if is_http_url(url) => Ok(url.trim_end_matches('/').to_string()),
                    _ => Err(format!("expected a URL such as https://fcm.googleapis.com, got {raw:?}")),
                })?,
            }),
        };

        let console_map_tiles = setting(
            &lookup,
            "CDS_CONSOLE_MAP_TILES",
            "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            |raw| match raw.trim() {
                "" => Ok(String::new()),
                url if is_http_url(url) => {
                    if url.contains("{z}") && !url.contains(|c: char| c.is_whitespace() || c == ';') {
                        Ok(url.to_string())
                    } else {
                        Err(format!("expected a tile URL template with {{z}}, {{x}} and {{y}}, got {raw:?}"))
                    }
                }
                _ => Err(format!("expected https://…/{{z}}/{{x}}/{{y}}.png or empty, got {raw:?}")),
            },
        )?;
        let console_map_attribution =
            setting(&lookup, "CDS_CONSOLE_MAP_ATTRIBUTION", "© OpenStreetMap contributors", |raw| {
                Ok::<_, String>(raw.trim().to_string())
            })?;

        Ok(Settings {
            console_map_tiles,
            console_map_attribution,
            fcm,
            database,
            read_database,
            bind,
            data_dir,
            public_url,
            service_area,
            db_pool_size,
            db_timeout,
            log_format,
            environment,
            jwt_secret,
            smtp,
            sms,
            sms_unicode,
            sms_limits,
            onboarding_key,
            mail_from,
            app_link_base,
            bootstrap_admin_email,
            auth_rate_limit,
            address_rate_limit,
            notify_inline_most,
            trust_forwarded,
            outbox_retry,
            outbox_max_attempts,
            outbox_retention,
            hash_concurrency,
            similar_radius_m,
            media_max_bytes,
            media_max_pixels,
            media_max_decoded_bytes,
            image_concurrency,
            media_store,
            deadline_check,
            boundary_check,
            clock_start,
            open_data_license,
            open_data_license_url,
            open311_jurisdiction_id,
        })
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

        let err = settings_with(&[("CDS_DATABASE_READ_URL", "postgres://replica/cds")]).unwrap_err();
        assert_eq!(err.var, "CDS_DATABASE_READ_URL", "a SQLite primary has no replicas");
        let primary = ("DATABASE_URL", "postgres://primary/cds");
        let err = settings_with(&[primary, ("CDS_DATABASE_READ_URL", "sqlite://replica.db")]).unwrap_err();
        assert_eq!(err.var, "CDS_DATABASE_READ_URL");
        let settings = settings_with(&[primary, ("CDS_DATABASE_READ_URL", "postgres://replica/cds")]).unwrap();
        assert_eq!(settings.read_database, Some(DatabaseUrl::Postgres("postgres://replica/cds".into())));

        let err = settings_with(&[("CDS_BIND", "localhost")]).unwrap_err();
        assert_eq!(err.var, "CDS_BIND");

        let err = settings_with(&[("CDS_PROVINCES", "68,99")]).unwrap_err();
        assert_eq!(err.var, "CDS_PROVINCES");
        assert!(err.message.contains("\"99\""), "{}", err.message);
    }

    #[test]
    fn image_work_is_bounded_by_decoded_bytes_and_concurrency() {
        let settings = settings_with(&[]).unwrap();
        assert_eq!((settings.media_max_decoded_bytes, settings.image_concurrency), (100 << 20, 2));
        let settings = settings_with(&[("CDS_MEDIA_MAX_DECODED_MB", "8"), ("CDS_IMAGE_CONCURRENCY", "4")]).unwrap();
        assert_eq!((settings.media_max_decoded_bytes, settings.image_concurrency), (8 << 20, 4));
        assert_eq!(settings_with(&[("CDS_MEDIA_MAX_DECODED_MB", "0")]).unwrap_err().var, "CDS_MEDIA_MAX_DECODED_MB");
        assert_eq!(settings_with(&[("CDS_IMAGE_CONCURRENCY", "0")]).unwrap_err().var, "CDS_IMAGE_CONCURRENCY");
    }

    #[test]
    fn service_area_lists_known_provinces() {
        let settings = settings_with(&[("CDS_PROVINCES", " 68, 79 ")]).unwrap();
        assert!(settings.service_area.contains(&ProvinceCode::parse("68").unwrap()));
        assert!(!settings.service_area.contains(&ProvinceCode::parse("01").unwrap()));
    }

    #[test]
    fn production_requires_its_keys() {
        let err = settings_with(&[("CDS_ENV", "production")]).unwrap_err();
        assert_eq!(err.var, "CDS_JWT_SECRET");
        let err = settings_with(&[("CDS_JWT_SECRET", "short")]).unwrap_err();
        assert_eq!(err.var, "CDS_JWT_SECRET");
        let err = settings_with(&[("CDS_ENV", "production"), ("CDS_JWT_SECRET", JWT_KEY)]).unwrap_err();
        assert_eq!(err.var, "CDS_ONBOARDING_KEY");
        let settings = settings_with(&production(&[])).unwrap();
        assert!(settings.jwt_secret.is_some());
        assert!(!format!("{settings:?}").contains(JWT_KEY));
    }

    const JWT_KEY: &str = "q8Vf2LxR0tZk7mWc3NpY9sHd4GjB6aUe1Xo5";

    /// Production settings with good keys and a mail server, plus `extra`.
    fn production<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut vars = vec![
            ("CDS_ENV", "production"),
            ("CDS_JWT_SECRET", JWT_KEY),
            ("CDS_ONBOARDING_KEY", "Zt3nW8cQ1rYv6KpE0mHs5LdA9fUx2JgB7oTi"),
            ("CDS_SMTP_URL", "smtp://mail:25"),
        ];
        vars.extend_from_slice(extra);
        vars
    }

    #[test]
    fn production_refuses_guessable_keys() {
        for key in [
            "change-me-change-me-change-me-change-me",
            "0123456789012345678901234567890123",
            "abababababababababababababababababab",
            "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk",
            "my-super-Secret-key-for-the-province",
        ] {
            let err = settings_with(&production(&[("CDS_JWT_SECRET", key)])).unwrap_err();
            assert_eq!(err.var, "CDS_JWT_SECRET", "{key}");
            assert!(err.message.contains("openssl rand"), "{}", err.message);
        }
        // Development takes any key of 32 characters: it never leaves the developer's machine.
        assert!(settings_with(&[("CDS_JWT_SECRET", "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk")]).is_ok());
    }

    #[test]
    fn production_refuses_development_channels_unless_allowed() {
        assert_eq!(settings_with(&production(&[])).unwrap().sms, SmsTransport::Off);
        for (var, value) in [("CDS_SMTP_URL", "file"), ("CDS_SMS", "file"), ("CDS_SMS", "log")] {
            let err = settings_with(&production(&[(var, value)])).unwrap_err();
            assert_eq!(err.var, var, "{value}");
            assert!(err.message.contains("CDS_ALLOW_DEV_CHANNELS"), "{}", err.message);
            assert!(settings_with(&production(&[(var, value), ("CDS_ALLOW_DEV_CHANNELS", "true")])).is_ok());
        }
        // Without CDS_SMTP_URL, production has no mail channel at all.
        let no_mail: Vec<_> = production(&[]).into_iter().filter(|(var, _)| *var != "CDS_SMTP_URL").collect();
        assert_eq!(settings_with(&no_mail).unwrap_err().var, "CDS_SMTP_URL");
        assert_eq!(settings_with(&[]).unwrap().sms, SmsTransport::File);
    }

    const ESMS: [(&str, &str); 4] = [
        ("CDS_SMS", "http"),
        ("CDS_SMS_API_KEY", "A1B2C3"),
        ("CDS_SMS_SECRET_KEY", "s3cr3t-of-esms"),
        ("CDS_SMS_BRANDNAME", "CONGDANSO"),
    ];

    #[test]
    fn an_sms_gateway_needs_its_account() {
        let settings = settings_with(&ESMS).unwrap();
        let SmsTransport::Http(gateway) = &settings.sms else { panic!("{:?}", settings.sms) };
        assert_eq!(gateway.url, EsmsGateway::DEFAULT_URL);
        assert_eq!((gateway.brandname.as_str(), gateway.sms_type.as_str()), ("CONGDANSO", "2"));
        assert!(!settings.sms_unicode, "plain text unless asked");
        assert!(!format!("{settings:?}").contains("s3cr3t-of-esms"));
        for missing in ["CDS_SMS_API_KEY", "CDS_SMS_SECRET_KEY", "CDS_SMS_BRANDNAME"] {
            let vars: Vec<_> = ESMS.into_iter().filter(|(var, _)| *var != missing).collect();
            let err = settings_with(&vars).unwrap_err();
            assert_eq!(err.var, missing);
            assert_eq!(err.to_string(), format!("{missing}: required when CDS_SMS=http"));
        }
        let with = |extra: (&'static str, &'static str)| {
            let mut vars = ESMS.to_vec();
            vars.push(extra);
            settings_with(&vars)
        };
        assert_eq!(with(("CDS_SMS_URL", "rest.esms.vn")).unwrap_err().var, "CDS_SMS_URL");
        assert_eq!(with(("CDS_SMS_TYPE", "cskh")).unwrap_err().var, "CDS_SMS_TYPE");
        assert_eq!(with(("CDS_SMS_UNICODE", "yes")).unwrap_err().var, "CDS_SMS_UNICODE");
        assert!(with(("CDS_SMS_UNICODE", "true")).unwrap().sms_unicode);
        // A real gateway is a production channel.
        assert!(settings_with(&production(&ESMS)).is_ok());
    }

    #[test]
    fn an_smsc_needs_its_address_and_account_within_smpp_sizes() {
        let smpp = [
            ("CDS_SMS", "smpp"),
            ("CDS_SMPP_ADDRESS", "smsc.viettel.example:2775"),
            ("CDS_SMPP_SYSTEM_ID", "lamdong"),
            ("CDS_SMPP_PASSWORD", "pw123456"),
            ("CDS_SMPP_SOURCE_ADDR", "LAMDONG"),
        ];
        let settings = settings_with(&smpp).unwrap();
        let SmsTransport::Smpp(gateway) = &settings.sms else { panic!("{:?}", settings.sms) };
        assert_eq!((gateway.address.as_str(), gateway.source_addr.as_str()), ("smsc.viettel.example:2775", "LAMDONG"));
        assert!(!format!("{settings:?}").contains("pw123456"));
        let with = |var: &'static str, value: &'static str| {
            let vars: Vec<_> = smpp.iter().map(|&(v, old)| (v, if v == var { value } else { old })).collect();
            settings_with(&vars)
        };
        assert_eq!(
            with("CDS_SMPP_PASSWORD", "").unwrap_err().to_string(),
            "CDS_SMPP_PASSWORD: required when CDS_SMS=smpp"
        );
        assert_eq!(with("CDS_SMPP_PASSWORD", "nine-long").unwrap_err().var, "CDS_SMPP_PASSWORD");
        assert_eq!(with("CDS_SMPP_SYSTEM_ID", "a-system-id-of-16").unwrap_err().var, "CDS_SMPP_SYSTEM_ID");
        assert_eq!(with("CDS_SMPP_ADDRESS", "smsc.viettel.example").unwrap_err().var, "CDS_SMPP_ADDRESS");
        assert_eq!(with("CDS_SMPP_SOURCE_ADDR", "Lâm Đồng").unwrap_err().var, "CDS_SMPP_SOURCE_ADDR");
    }

    #[test]
    fn sms_limits_default_to_five_a_phone_and_two_thousand_a_day() {
        let limits = settings_with(&[]).unwrap().sms_limits;
        assert_eq!(limits, SmsLimits { per_phone_per_day: 5, per_day: 2000 });
        assert_eq!(settings_with(&[("CDS_SMS_PER_PHONE_PER_DAY", "0")]).unwrap_err().var, "CDS_SMS_PER_PHONE_PER_DAY");
        assert_eq!(settings_with(&[("CDS_SMS_PER_DAY", "lots")]).unwrap_err().var, "CDS_SMS_PER_DAY");
    }

    #[test]
    fn mail_settings_are_checked() {
        assert_eq!(settings_with(&[]).unwrap().smtp, MailTransport::Files);
        assert_eq!(settings_with(&[("CDS_SMTP_URL", "mail.example")]).unwrap_err().var, "CDS_SMTP_URL");
        assert_eq!(settings_with(&[("CDS_MAIL_FROM", "nobody")]).unwrap_err().var, "CDS_MAIL_FROM");
        assert_eq!(settings_with(&[("CDS_BOOTSTRAP_ADMIN_EMAIL", "x")]).unwrap_err().var, "CDS_BOOTSTRAP_ADMIN_EMAIL");
    }

    #[test]
    fn postgres_urls_are_not_printed() {
        let url = DatabaseUrl::parse("postgres://app:secret@db/congdanso").unwrap();
        assert!(!format!("{url:?}").contains("secret"));
    }
}
