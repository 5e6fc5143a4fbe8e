//! API keys of third-party applications (Open311 clients): created by administrators and shown once,
//! stored as their SHA-256; each names its application and a contact address, the provinces it may file
//! reports in and how many requests a minute it may make. Revoked keys stay listed, and stop working.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::{insert_user, FullName, NewAccount};
use crate::audit::Entry;
use crate::auth::tokens::{new_opaque_token, token_hash};
use crate::calendar::store::{parse_province, text_within};
use crate::config::ServiceArea;
use crate::db::schema::api_keys;
use crate::db::DbConnection;
use crate::error::Locale;
use crate::error::{AppError, FieldErrors, FieldIssue};
use crate::values::{ApiKeyId, Email, ProvinceCode, Role, UserId};

/// What every key starts with, so a leaked one is recognized (secret scanners, logs).
pub const KEY_PREFIX: &str = "cds_";
/// Requests a minute when the administrator names no limit.
pub const DEFAULT_RATE_LIMIT: i32 = 60;
const MOST_PER_MINUTE: i32 = 10_000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyRequest {
    /// The application's name, 1–100 characters.
    #[schema(example = "Bản đồ phản ánh của Đại học Đà Lạt")]
    pub name: String,
    /// Who to write to about it.
    #[schema(example = "lab@dlu.edu.vn")]
    pub contact: String,
    /// The provinces it may file reports in (codes within the deployment's service area), at least one.
    #[schema(example = json!(["68"]))]
    pub provinces: Vec<String>,
    /// Requests a minute, 1–10,000; default 60.
    #[schema(example = 60)]
    pub rate_limit_per_minute: Option<i32>,
}

/// A key's settings, checked.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub name: String,
    pub contact: Email,
    pub provinces: Vec<ProvinceCode>,
    pub rate_limit_per_minute: i32,
}

impl ApiKeyRequest {
    pub fn parse(self, area: &ServiceArea) -> Result<NewApiKey, AppError> {
        let mut errors = FieldErrors::default();
        let name = text_within(&self.name, 1..=100, "name", &mut errors);
        let contact = errors.check(Email::parse(&self.contact, "contact"));
        if self.provinces.is_empty() {
            errors.add("provinces", FieldIssue::Required);
        }
        let mut provinces = Vec::new();
        for (i, raw) in self.provinces.iter().enumerate() {
            let field = format!("provinces[{i}]");
            match errors.check(parse_province(raw, &field)) {
                Some(code) if !area.contains(&code) => errors.add(&field, FieldIssue::OutsideServiceArea),
                Some(code) if !provinces.contains(&code) => provinces.push(code),
                _ => {}
            }
        }
        let rate_limit_per_minute = self.rate_limit_per_minute.unwrap_or(DEFAULT_RATE_LIMIT);
        if !(1..=MOST_PER_MINUTE).contains(&rate_limit_per_minute) {
            errors.add("rate_limit_per_minute", FieldIssue::OutOfRange { min: 1.0, max: f64::from(MOST_PER_MINUTE) });
        }
        errors.finish()?;
        let contact = contact.expect("checked above");
        Ok(NewApiKey { name, contact, provinces, rate_limit_per_minute })
    }
}

/// A key as administrators see it: never the key itself, only its first characters.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub name: String,
    pub contact: String,
    pub provinces: Vec<String>,
    pub rate_limit_per_minute: i32,
    /// The key's first characters, to tell keys apart (`cds_` and 6 more).
    #[schema(example = "cds_Xy3k9Q")]
    pub prefix: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::DateTime<chrono::Utc>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A new key: `key` is shown this once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedApiKey {
    /// The key to give the application: shown only now, stored only as its SHA-256.
    #[schema(example = "cds_Xy3k9Q…")]
    pub key: String,
    pub api_key: ApiKey,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_keys)]
struct ApiKeyRow {
    id: ApiKeyId,
    name: String,
    contact: String,
    prefix: String,
    provinces: String,
    rate_limit_per_minute: i32,
    created_at: NaiveDateTime,
    revoked_at: Option<NaiveDateTime>,
    last_used_at: Option<NaiveDateTime>,
}

impl From<ApiKeyRow> for ApiKey {
    fn from(row: ApiKeyRow) -> ApiKey {
        ApiKey {
            id: row.id,
            name: row.name,
            contact: row.contact,
            provinces: row.provinces.split(',').filter(|p| !p.is_empty()).map(str::to_string).collect(),
            rate_limit_per_minute: row.rate_limit_per_minute,
            prefix: row.prefix,
            created_at: row.created_at.and_utc(),
            revoked_at: row.revoked_at.map(|t| t.and_utc()),
            last_used_at: row.last_used_at.map(|t| t.and_utc()),
        }
    }
}

/// Creates a key; written to the audit log.
pub fn create(
    conn: &mut DbConnection,
    admin: &UserId,
    new: &NewApiKey,
    now: NaiveDateTime,
) -> Result<CreatedApiKey, AppError> {
    let (secret, _) = new_opaque_token();
    let key = format!("{KEY_PREFIX}{secret}");
    let id = ApiKeyId::new();
    let provinces: Vec<&str> = new.provinces.iter().map(ProvinceCode::as_str).collect();
    crate::db::transaction(conn, |conn| {
        diesel::insert_into(api_keys::table)
            .values((
                api_keys::id.eq(&id),
                api_keys::name.eq(&new.name),
                api_keys::contact.eq(new.contact.as_str()),
                api_keys::key_hash.eq(token_hash(&key)),
                api_keys::prefix.eq(key.chars().take(KEY_PREFIX.len() + 6).collect::<String>()),
                api_keys::provinces.eq(provinces.join(",")),
                api_keys::rate_limit_per_minute.eq(new.rate_limit_per_minute),
                api_keys::created_by.eq(admin),
                api_keys::created_at.eq(now),
            ))
            .execute(conn)?;
        application_account(conn, &id)?;
        let subject = ("api_key", id.as_str());
        crate::audit::record(conn, Entry { actor: admin, action: "create_api_key", subject, reason: None, at: now })?;
        let api_key = find(conn, &id)?;
        Ok(CreatedApiKey { key, api_key })
    })
}

fn find(conn: &mut DbConnection, id: &ApiKeyId) -> Result<ApiKey, AppError> {
    let row = api_keys::table.find(id).select(ApiKeyRow::as_select()).first(conn).optional()?;
    row.map(ApiKey::from).ok_or(AppError::ApiKeyNotFound)
}

/// Every key, newest first, revoked ones included.
pub fn list(conn: &mut DbConnection) -> Result<Vec<ApiKey>, AppError> {
    let rows = api_keys::table.select(ApiKeyRow::as_select()).order(api_keys::id.desc()).load(conn)?;
    Ok(rows.into_iter().map(ApiKey::from).collect())
}

/// Revokes a key from `now` on (a key revoked before keeps its first revocation); written to the audit log.
pub fn revoke(conn: &mut DbConnection, admin: &UserId, id: &ApiKeyId, now: NaiveDateTime) -> Result<ApiKey, AppError> {
    crate::db::transaction(conn, |conn| {
        find(conn, id)?;
        diesel::update(api_keys::table.find(id).filter(api_keys::revoked_at.is_null()))
            .set(api_keys::revoked_at.eq(now))
            .execute(conn)?;
        let subject = ("api_key", id.as_str());
        crate::audit::record(conn, Entry { actor: admin, action: "revoke_api_key", subject, reason: None, at: now })?;
        find(conn, id)
    })
}

/// What the application's accounts have instead of a password hash: nothing to sign in with.
const NO_SIGN_IN: &str = "application account: no sign-in";

/// The account key `id`'s reports are filed under when no citizen's account matches the contact the
/// application gives: named after the application, made with the key (or on first use, for keys made
/// before these accounts existed). It has no email or phone, so nobody can sign in to it.
pub fn application_account(conn: &mut DbConnection, id: &ApiKeyId) -> Result<UserId, AppError> {
    let (name, account): (String, Option<UserId>) =
        api_keys::table.find(id).select((api_keys::name, api_keys::account_id)).first(conn)?;
    if let Some(account) = account {
        return Ok(account);
    }
    let full_name = FullName::parse(&name, "name")?;
    let account = NewAccount {
        phone: None,
        email: None,
        full_name: &full_name,
        role: Role::Application,
        locale: Locale::Vi,
        unit_code: None,
        consent_at: None,
        onboarding_code: None,
    };
    let user = insert_user(conn, &account, NO_SIGN_IN.to_string())?;
    diesel::update(api_keys::table.find(id).filter(api_keys::account_id.is_null()))
        .set(api_keys::account_id.eq(&user.id))
        .execute(conn)?;
    // A concurrent first use may have set another: theirs is the key's.
    Ok(api_keys::table.find(id).select(api_keys::account_id.assume_not_null()).first(conn)?)
}

/// The live key `presented` is, noting its use; 403 `forbidden` for a key that is unknown or revoked.
pub fn authenticate(conn: &mut DbConnection, presented: &str, now: NaiveDateTime) -> Result<ApiKey, AppError> {
    let row = api_keys::table
        .filter(api_keys::key_hash.eq(token_hash(presented.trim())))
        .filter(api_keys::revoked_at.is_null())
        .select(ApiKeyRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::Forbidden)?;
    diesel::update(api_keys::table.find(&row.id)).set(api_keys::last_used_at.eq(now)).execute(conn)?;
    Ok(ApiKey { last_used_at: Some(now.and_utc()), ..ApiKey::from(row) })
}
