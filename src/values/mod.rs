//! Small value types that are parsed once and trusted after: an email address, a mobile number, a
//! province code. They sit at the bottom of the crate (they know only `error.rs`), so settings, accounts
//! and passwords can all hold them without importing each other.

pub mod email;
pub mod phone;
pub mod province;

pub use email::Email;
pub use phone::PhoneNumber;
pub use province::{is_known_province, ProvinceCode};
