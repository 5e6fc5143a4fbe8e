//! Small value types that are parsed once and trusted after: the ids, an email address, a mobile
//! number, a province code, an account's role and language, what happened on a report and why it was
//! rejected. They sit at the bottom of the crate (they know only `error.rs`), so settings, accounts,
//! passwords, tokens, reports and notifications can all hold them without importing each other.

pub mod email;
pub mod event_kind;
pub mod ids;
pub mod locale;
pub mod phone;
pub mod province;
pub mod reject_reason;
pub mod role;

pub use email::Email;
pub use event_kind::EventKind;
pub use ids::{
    AgentId, ApiKeyId, CampaignId, EventId, MediaId, MessageId, NotificationId, OrganizationId, ReportId, SessionId,
    UserId,
};
pub use locale::{locale_str, parse_locale, LOCALES};
pub use phone::PhoneNumber;
pub use province::{is_known_province, ProvinceCode};
pub use reject_reason::RejectReason;
pub use role::Role;
