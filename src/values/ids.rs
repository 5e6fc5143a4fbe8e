//! The ids of the things the app keeps: a UUID string in a `Text` column of either database, in JSON a
//! plain string. One type per kind of thing, so that a report's id cannot be passed where a user's is
//! expected. Any string read from a request or a row is taken as it is: an id that names nothing is
//! simply not found, as before the types existed.

use std::fmt;

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, AsExpression, FromSqlRow)]
        #[serde(transparent)]
        #[diesel(sql_type = Text)]
        pub struct $name(String);

        impl $name {
            /// A fresh id (a UUID v7, so ids sort by creation time).
            #[allow(clippy::new_without_default)] // a fresh id is no default
            pub fn new() -> Self {
                $name(uuid::Uuid::now_v7().to_string())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                $name(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                $name(id.to_string())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<DB: Backend> FromSql<Text, DB> for $name
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                String::from_sql(bytes).map($name)
            }
        }

        impl<DB: Backend> ToSql<Text, DB> for $name
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.0.as_str().to_sql(out)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                uuid_schema()
            }
        }

        impl utoipa::ToSchema for $name {}
    )*};
}

ids! {
    /// A feedback report.
    ReportId;
    /// An account: a citizen, a volunteer, an official or an admin.
    UserId;
    /// An office that handles reports.
    OrganizationId;
    /// An uploaded photo.
    MediaId;
    /// An entry of a report's timeline.
    EventId;
    /// An in-app notification.
    NotificationId;
    /// An onboarding drive.
    CampaignId;
    /// A volunteer's (or a poster's) signed code in a campaign.
    AgentId;
    /// A session: one log-in on one device (its refresh-token family; access tokens carry it as `sid`).
    SessionId;
    /// A message in the mail/SMS outbox (its one-time secrets are derived from it).
    MessageId;
    /// A third-party application's API key (not the key itself).
    ApiKeyId;
}

/// How every id appears in the contract: a string in UUID format.
fn uuid_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))).into()
}

impl ReportId {
    /// A key for `db::lock_until_commit` that serializes changes to one report: the id's last 16 hex
    /// digits (random in a UUID v7); ids that do not parse share key 0, which is only slower.
    pub fn lock_key(&self) -> i64 {
        let digits: String = self.0.chars().filter(char::is_ascii_hexdigit).collect();
        let tail = &digits[digits.len().saturating_sub(16)..];
        u64::from_str_radix(tail, 16).map_or(0, |key| key as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_a_plain_string_in_json() {
        let id = ReportId::from("0190e0c4-7d3a-7b1e-9a4b-2f4c5d6e7f80");
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"0190e0c4-7d3a-7b1e-9a4b-2f4c5d6e7f80\"");
        assert_eq!(serde_json::from_str::<ReportId>(&json).unwrap(), id);
    }

    #[test]
    fn a_fresh_id_is_a_uuid() {
        let id = UserId::new();
        assert!(uuid::Uuid::parse_str(id.as_str()).is_ok());
        assert_eq!(id.to_string(), id.as_str());
    }
}
