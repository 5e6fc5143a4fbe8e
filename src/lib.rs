//! congdanso ("công dân số"): the backend of a provincial citizen–government app.
//!
//! `startup::Application` builds the HTTP server; `main.rs` is only the command line around it.

pub mod accounts;
pub mod allocator;
pub mod api;
pub mod audit;
pub mod auth;
pub mod blocking;
pub mod calendar;
pub mod categories;
pub mod cli;
pub mod config;
pub mod console;
pub mod db;
pub mod error;
pub mod http;
pub mod limits;
pub mod media;
pub mod notify;
pub mod onboarding;
pub mod open311;
pub mod open_data;
pub mod openapi;
pub mod organizations;
pub mod reference;
pub mod reports;
pub mod routing;
pub mod seed;
pub mod startup;
pub mod stats;
pub mod telemetry;
pub mod text;
pub mod units;
pub mod values;
pub mod workflow;
