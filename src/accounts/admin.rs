//! Administrators manage accounts: create officials, volunteers and other administrators, find, change.

use chrono::Utc;
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{
    ensure_unused, find_user, insert_user, parse_locale, Email, FullName, NewAccount, PhoneNumber, Role, UserRow,
};
use crate::auth::password::Password;
use crate::auth::tokens;
use crate::db::schema::users;
use crate::db::DbConnection;
use crate::error::{AppError, FieldErrors, FieldIssue, Locale};
use crate::organizations;
use crate::units::{find_unit, UnitCode, UnitRow};
use crate::values::{OrganizationId, UserId};

/// Pages of the user list: 50 unless `limit` says otherwise, at most 200.
pub(crate) const PAGE: crate::http::PageSize = crate::http::PageSize { default: 50, max: 200 };

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub full_name: String,
    /// `citizen`, `volunteer`, `official` or `admin`.
    pub role: String,
    /// Required for officials and volunteers: the commune or province whose office they work for. An
    /// official of a commune becomes a member of that commune's office (created if needed), unless
    /// `organization_id` names another organization.
    pub unit_code: Option<String>,
    /// Officials: the organization they work for (a department, the IOC), instead of their commune's office.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub organization_id: Option<OrganizationId>,
    pub locale: Option<String>,
    /// Leave out to have one generated and returned once as `initial_password`.
    pub password: Option<String>,
}

pub struct NewUser {
    pub email: Option<Email>,
    pub phone: Option<PhoneNumber>,
    pub full_name: FullName,
    pub role: Role,
    pub unit_code: Option<UnitCode>,
    pub organization_id: Option<OrganizationId>,
    pub locale: Locale,
    pub password: Password,
    pub generated_password: bool,
}

impl CreateUserRequest {
    pub fn parse(self) -> Result<NewUser, AppError> {
        let mut errors = FieldErrors::default();
        let email = self.email.as_deref().and_then(|e| errors.check(Email::parse(e, "email")));
        let phone = self.phone.as_deref().and_then(|p| errors.check(PhoneNumber::parse(p, "phone")));
        if self.email.is_none() && self.phone.is_none() {
            errors.add("email", FieldIssue::EmailOrPhoneRequired);
        }
        let full_name = errors.check(FullName::parse(&self.full_name, "full_name"));
        let role = errors.check(Role::parse(&self.role, "role"));
        let unit_code = self.unit_code.as_deref().and_then(|u| errors.check(UnitCode::parse_field(u, "unit_code")));
        if role.is_some_and(Role::needs_unit) && self.unit_code.is_none() {
            errors.add("unit_code", FieldIssue::Required);
        }
        let organization_id = self.organization_id;
        if organization_id.is_some() && role != Some(Role::Official) {
            errors.add("organization_id", FieldIssue::NotAnOfficial);
        }
        let locale = self.locale.as_deref().map_or(Some(Locale::Vi), |l| errors.check(parse_locale(l, "locale")));
        let generated_password = self.password.is_none();
        let password = match self.password {
            Some(raw) => errors.check(Password::parse_for_account(raw, "password", phone.as_ref(), email.as_ref())),
            None => Some(Password::generate()),
        };
        errors.finish()?;
        match (full_name, role, locale, password) {
            (Some(full_name), Some(role), Some(locale), Some(password)) => Ok(NewUser {
                email,
                phone,
                full_name,
                role,
                unit_code,
                organization_id,
                locale,
                password,
                generated_password,
            }),
            _ => Err(AppError::Internal("new user parsed without its fields".into())),
        }
    }
}

pub fn create_user(conn: &mut DbConnection, new: &NewUser, password_hash: String) -> Result<UserRow, AppError> {
    crate::db::transaction(conn, |conn| {
        let unit = new.unit_code.as_ref().map(|code| known_unit(conn, code)).transpose()?;
        ensure_unused(conn, new.phone.as_ref(), new.email.as_ref())?;
        let account = NewAccount {
            phone: new.phone.as_ref(),
            email: new.email.as_ref(),
            full_name: &new.full_name,
            role: new.role,
            locale: new.locale,
            unit_code: new.unit_code.as_ref().map(UnitCode::as_str),
            consent_at: None,
            onboarding_code: None,
        };
        let user = insert_user(conn, &account, password_hash)?;
        if new.role == Role::Official {
            organizations::place_official(conn, &user.id, unit.as_ref(), new.organization_id.as_ref(), None)?;
        }
        Ok(user)
    })
}

fn known_unit(conn: &mut DbConnection, code: &UnitCode) -> Result<UnitRow, AppError> {
    find_unit(conn, code).map_err(|_| AppError::invalid("unit_code", FieldIssue::UnitCode))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListUsersQuery {
    /// Text in the name, email or phone; case and diacritics are ignored.
    q: Option<String>,
    /// Only this role.
    role: Option<String>,
    /// 1 to 200, default 50.
    limit: Option<u32>,
    cursor: Option<String>,
}

pub struct UserFilter {
    text: Option<String>,
    role: Option<Role>,
    before: Option<String>,
    pub limit: i64,
}

impl ListUsersQuery {
    pub fn parse(self) -> Result<UserFilter, AppError> {
        let mut errors = FieldErrors::default();
        let role = self.role.as_deref().and_then(|r| errors.check(Role::parse(r, "role")));
        let limit = crate::http::page_limit(self.limit, PAGE, &mut errors);
        crate::http::check_id_cursor(self.cursor.as_deref(), &mut errors);
        errors.finish()?;
        let text = self.q.map(|q| crate::text::fold(&q)).filter(|q| !q.is_empty());
        Ok(UserFilter { text, role, before: self.cursor, limit })
    }
}

/// Live accounts, newest first (ids are time-ordered UUIDv7), up to `limit + 1`.
pub fn list_users(conn: &mut DbConnection, filter: &UserFilter) -> Result<Vec<UserRow>, AppError> {
    let mut query = users::table.select(UserRow::as_select()).filter(users::deleted_at.is_null()).into_boxed();
    if let Some(text) = &filter.text {
        query = query.filter(users::search_text.like(format!("%{text}%")));
    }
    if let Some(role) = filter.role {
        query = query.filter(users::role.eq(role.as_str()));
    }
    if let Some(before) = &filter.before {
        query = query.filter(users::id.lt(before.clone()));
    }
    Ok(query.order(users::id.desc()).limit(filter.limit + 1).load(conn)?)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    pub role: Option<String>,
    /// `false` deactivates: the account's tokens stop working at once and its sessions end.
    pub active: Option<bool>,
    /// An official moved to a commune leaves the office of the commune they were in and joins the new
    /// one's, unless `organization_id` names another organization.
    pub unit_code: Option<String>,
    /// Officials: add them to this organization (a department, the IOC).
    #[schema(value_type = Option<String>, format = Uuid)]
    pub organization_id: Option<OrganizationId>,
}

pub struct UserChange {
    role: Option<Role>,
    active: Option<bool>,
    unit_code: Option<UnitCode>,
    organization_id: Option<OrganizationId>,
}

impl UpdateUserRequest {
    pub fn parse(self) -> Result<UserChange, AppError> {
        let mut errors = FieldErrors::default();
        let role = self.role.as_deref().and_then(|r| errors.check(Role::parse(r, "role")));
        let unit_code = self.unit_code.as_deref().and_then(|u| errors.check(UnitCode::parse_field(u, "unit_code")));
        errors.finish()?;
        Ok(UserChange { role, active: self.active, unit_code, organization_id: self.organization_id })
    }
}

pub fn update_user(
    conn: &mut DbConnection,
    admin_id: &UserId,
    user_id: &UserId,
    change: &UserChange,
) -> Result<UserRow, AppError> {
    crate::db::transaction(conn, |conn| {
        let user = find_user(conn, user_id)?;
        let demotes_self = change.role.is_some_and(|r| r != Role::Admin) || change.active == Some(false);
        if &user.id == admin_id && demotes_self {
            return Err(AppError::CannotChangeSelf);
        }
        let new_unit = change.unit_code.as_ref().map(|code| known_unit(conn, code)).transpose()?;
        let role = change.role.unwrap_or(user.role()?);
        let unit_code = change.unit_code.as_ref().map(|c| c.as_str().to_string()).or(user.unit_code.clone());
        if role.needs_unit() && unit_code.is_none() {
            return Err(AppError::invalid("unit_code", FieldIssue::Required));
        }
        let active = change.active.unwrap_or(user.active);
        diesel::update(users::table.find(user_id))
            .set((
                users::role.eq(role.as_str()),
                users::unit_code.eq(&unit_code),
                users::active.eq(active),
                users::updated_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)?;
        if !active {
            tokens::revoke_all_sessions(conn, user_id)?;
        }
        // An official who becomes one, moves, or is given an organization is placed (see place_official).
        let old_unit = user.unit_code.as_deref().map(|code| stored_unit(conn, code)).transpose()?.flatten();
        let moved = new_unit.as_ref().is_some_and(|unit| Some(&unit.code) != user.unit_code.as_ref());
        let became_official = role == Role::Official && user.role()? != Role::Official;
        match (role, &change.organization_id) {
            (Role::Official, organization) if became_official || moved || organization.is_some() => {
                let unit = new_unit.or_else(|| old_unit.clone());
                let left = old_unit.filter(|_| moved);
                organizations::place_official(conn, user_id, unit.as_ref(), organization.as_ref(), left.as_ref())?;
            }
            (_, Some(_)) if role != Role::Official => {
                return Err(AppError::invalid("organization_id", FieldIssue::NotAnOfficial));
            }
            _ => {}
        }
        find_user(conn, user_id)
    })
}

/// The unit an account names, if it still exists.
fn stored_unit(conn: &mut DbConnection, code: &str) -> Result<Option<UnitRow>, AppError> {
    let Ok(code) = UnitCode::parse_field(code, "unit_code") else { return Ok(None) };
    match find_unit(conn, &code) {
        Ok(unit) => Ok(Some(unit)),
        Err(AppError::UnitNotFound(_)) => Ok(None),
        Err(other) => Err(other),
    }
}
