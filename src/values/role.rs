//! What an account may do.

use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{AppError, FieldIssue};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Citizen,
    Volunteer,
    Official,
    Admin,
    /// A third-party application's account (Open311): its reports are filed under it; it has no email
    /// or phone, so nobody signs in to it, and administrators cannot give this role.
    Application,
}

impl Role {
    /// Every role an account may have.
    pub const NAMES: &'static [&'static str] = &["citizen", "volunteer", "official", "admin", "application"];
    /// The roles an administrator may give (and filter by).
    pub const ASSIGNABLE: &'static [&'static str] = &["citizen", "volunteer", "official", "admin"];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Citizen => "citizen",
            Role::Volunteer => "volunteer",
            Role::Official => "official",
            Role::Admin => "admin",
            Role::Application => "application",
        }
    }

    /// A role an administrator may give.
    pub fn parse(raw: &str, field: &str) -> Result<Self, AppError> {
        [Role::Citizen, Role::Volunteer, Role::Official, Role::Admin]
            .into_iter()
            .find(|role| role.as_str() == raw)
            .ok_or_else(|| AppError::invalid(field, FieldIssue::OneOf(Self::ASSIGNABLE)))
    }

    /// A role as stored: one an administrator can give, or an application's.
    pub fn from_stored(raw: &str) -> Result<Self, AppError> {
        if raw == Role::Application.as_str() {
            return Ok(Role::Application);
        }
        Role::parse(raw, "role").map_err(|_| AppError::Internal(format!("unknown role {raw:?} in users")))
    }

    /// Officials and volunteers work for one unit's office; the others do not.
    pub fn needs_unit(self) -> bool {
        matches!(self, Role::Official | Role::Volunteer)
    }
}
