//! Authentication: password hashing now; tokens and extractors come with citizen accounts.

pub mod password;
