//! Authentication's building blocks: passwords (argon2id), tokens (JWT access + rotating refresh,
//! sessions), one-time links and codes, log-in lock-out and rate limits. The log-in and reset flows
//! that use them with accounts live in `accounts/`; the `CurrentUser` extractor in `api/`.

pub mod limits;
pub mod lockout;
pub mod one_time;
pub mod password;
pub mod tokens;
