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
}

impl Role {
    pub const NAMES: &'static [&'static str] = &["citizen", "volunteer", "official", "admin"];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Citizen => "citizen",
            Role::Volunteer => "volunteer",
            Role::Official => "official",
            Role::Admin => "admin",
        }
    }

    pub fn parse(raw: &str, field: &str) -> Result<Self, AppError> {
        [Role::Citizen, Role::Volunteer, Role::Official, Role::Admin]
            .into_iter()
            .find(|role| role.as_str() == raw)
            .ok_or_else(|| AppError::invalid(field, FieldIssue::OneOf(Self::NAMES)))
    }

    /// Officials and volunteers work for one unit's office; the others do not.
    pub fn needs_unit(self) -> bool {
        matches!(self, Role::Official | Role::Volunteer)
    }
}
