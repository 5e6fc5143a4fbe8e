//! The installations of the app that push notifications go to. The app registers its push token after
//! each log-in (and whenever the token changes) and removes it on log-out. A token belongs to one
//! installation and an installation to the account that registered it last: on a shared phone, news
//! follows whoever is logged in. Tokens are personal data: exported and erased with the account.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::devices;
use crate::db::{self, DbConnection};
use crate::error::{AppError, FieldErrors, FieldIssue, Locale};
use crate::values::{locale_str, parse_locale, UserId};

/// The app's own id for its installation (Firebase's installation id, or a UUID it keeps): 8 to 128
/// letters, digits, `-` and `_`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallationId(String);

impl InstallationId {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if (8..=128).contains(&raw.len()) && raw.chars().all(allowed) {
            Ok(InstallationId(raw.to_string()))
        } else {
            Err(AppError::invalid(
                "installation_id",
                FieldIssue::InvalidValue("8 to 128 letters, digits, '-' or '_'".into()),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Android,
    Ios,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Android => "android",
            Platform::Ios => "ios",
        }
    }

    fn parse(stored: &str) -> Result<Self, AppError> {
        match stored {
            "android" => Ok(Platform::Android),
            "ios" => Ok(Platform::Ios),
            other => Err(AppError::Internal(format!("stored platform {other:?}"))),
        }
    }
}

/// FCM registration tokens are about 160 characters; APNs-derived ones are shorter. Anything longer is
/// not a token.
const PUSH_TOKEN_CHARS: usize = 4096;
const APP_VERSION_CHARS: usize = 32;

/// What the app sends to register (or refresh) its installation.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceRequest {
    pub platform: Platform,
    /// The FCM registration token.
    pub push_token: String,
    #[schema(example = "2.4.1")]
    pub app_version: String,
    /// The language its notifications are written in: `vi` or `en`.
    #[schema(example = "vi")]
    pub locale: String,
}

/// A checked registration.
pub struct NewDevice {
    platform: Platform,
    push_token: String,
    app_version: String,
    locale: Locale,
}

impl DeviceRequest {
    pub fn parse(self) -> Result<NewDevice, AppError> {
        let mut errors = FieldErrors::default();
        let push_token = self.push_token.trim().to_string();
        if push_token.is_empty() {
            errors.add("push_token", FieldIssue::Required);
        } else if push_token.len() > PUSH_TOKEN_CHARS || push_token.chars().any(char::is_whitespace) {
            errors.add("push_token", FieldIssue::InvalidValue("not a push token".into()));
        }
        let app_version = self.app_version.trim().to_string();
        if app_version.is_empty() {
            errors.add("app_version", FieldIssue::Required);
        } else if app_version.chars().count() > APP_VERSION_CHARS {
            errors.add("app_version", FieldIssue::TooLong { max: APP_VERSION_CHARS });
        }
        let locale = errors.check(parse_locale(&self.locale, "locale"));
        errors.finish()?;
        Ok(NewDevice { platform: self.platform, push_token, app_version, locale: locale.expect("checked above") })
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = devices)]
pub struct DeviceRow {
    pub installation_id: String,
    pub user_id: UserId,
    pub platform: String,
    pub push_token: String,
    pub app_version: String,
    pub locale: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// An installation as its owner sees it (and exports it).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Device {
    pub installation_id: String,
    pub platform: Platform,
    pub push_token: String,
    pub app_version: String,
    pub locale: String,
    pub registered_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl TryFrom<DeviceRow> for Device {
    type Error = AppError;

    fn try_from(row: DeviceRow) -> Result<Self, AppError> {
        Ok(Device {
            platform: Platform::parse(&row.platform)?,
            installation_id: row.installation_id,
            push_token: row.push_token,
            app_version: row.app_version,
            locale: row.locale,
            registered_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        })
    }
}

/// Registers `installation` for `user_id`: the installation moves to this account if another had it,
/// and the token leaves any other installation that held it. Repeating it changes nothing but the time.
pub fn register(
    conn: &mut DbConnection,
    user_id: &UserId,
    installation: &InstallationId,
    device: &NewDevice,
    now: NaiveDateTime,
) -> Result<Device, AppError> {
    db::transaction(conn, |conn| {
        diesel::delete(
            devices::table
                .filter(devices::push_token.eq(&device.push_token))
                .filter(devices::installation_id.ne(installation.as_str())),
        )
        .execute(conn)?;
        let changes = (
            devices::user_id.eq(user_id),
            devices::platform.eq(device.platform.as_str()),
            devices::push_token.eq(&device.push_token),
            devices::app_version.eq(&device.app_version),
            devices::locale.eq(locale_str(device.locale)),
            devices::updated_at.eq(now),
        );
        // One statement, so that two registrations of one installation at once cannot both insert.
        let upsert = diesel::insert_into(devices::table)
            .values((devices::installation_id.eq(installation.as_str()), devices::created_at.eq(now), changes))
            .on_conflict(devices::installation_id)
            .do_update()
            .set(changes);
        match conn {
            DbConnection::Postgres(pg) => upsert.execute(pg),
            DbConnection::Sqlite(sqlite) => upsert.execute(sqlite),
        }?;
        find(conn, user_id, installation)?.try_into()
    })
}

fn find(conn: &mut DbConnection, user_id: &UserId, installation: &InstallationId) -> Result<DeviceRow, AppError> {
    devices::table
        .find(installation.as_str())
        .filter(devices::user_id.eq(user_id))
        .select(DeviceRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::DeviceNotFound)
}

/// Removes the installation (the app logs out on it); only its owner may.
pub fn remove(conn: &mut DbConnection, user_id: &UserId, installation: &InstallationId) -> Result<(), AppError> {
    let removed = diesel::delete(devices::table.find(installation.as_str()).filter(devices::user_id.eq(user_id)))
        .execute(conn)?;
    if removed == 0 {
        return Err(AppError::DeviceNotFound);
    }
    Ok(())
}

/// The account's installations, most recently registered first.
pub fn of_user(conn: &mut DbConnection, user_id: &UserId) -> Result<Vec<Device>, AppError> {
    devices::table
        .filter(devices::user_id.eq(user_id))
        .order((devices::updated_at.desc(), devices::installation_id.asc()))
        .select(DeviceRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Device::try_from)
        .collect()
}

/// Forgets every installation of an account (its owner erased it).
pub fn forget_account(conn: &mut DbConnection, user_id: &UserId) -> Result<(), AppError> {
    diesel::delete(devices::table.filter(devices::user_id.eq(user_id))).execute(conn)?;
    Ok(())
}

/// Deletes the installation holding `push_token`: FCM said the token is dead (the app was uninstalled).
pub fn forget_push_token(conn: &mut DbConnection, push_token: &str) -> Result<(), AppError> {
    diesel::delete(devices::table.filter(devices::push_token.eq(push_token))).execute(conn)?;
    Ok(())
}
