//! Open311 GeoReport v2 for third-party applications. So far: their API keys (`keys.rs`); the
//! GeoReport operations over reports come next (issue 14).

pub mod keys;
