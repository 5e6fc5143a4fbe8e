//! Authentication: passwords (argon2id), tokens (JWT access + rotating refresh), the `CurrentUser`
//! extractor and role guards, log-in lock-out, rate limits, and the sign-up/log-in/reset endpoints.

pub mod extractors;
pub mod limits;
pub mod lockout;
pub mod login;
pub mod one_time;
pub mod password;
pub mod reset;
pub mod routes;
pub mod session_response;
pub mod tokens;

pub use extractors::{AdminUser, CurrentUser, MaybeUser, OfficialUser};
