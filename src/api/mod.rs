//! The HTTP layer: one file of thin handlers per resource (extract, call the domain folder's plain
//! function, map), the shared request state, the extractors that say who is calling, and the health
//! probes. Nothing below this folder knows a request; `startup.rs` wires these files into the app.

pub mod accounts;
pub mod api_keys;
pub mod auth;
pub mod calendar;
pub mod categories;
pub mod devices;
pub mod extractors;
pub mod health;
pub mod media;
pub mod notification_settings;
pub mod notifications;
pub mod onboarding;
pub mod open311;
pub mod open_data;
pub mod organizations;
pub mod reports;
pub mod session_response;
pub mod state;
pub mod stats;
pub mod units;
pub mod workflow;
