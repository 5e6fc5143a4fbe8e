//! Black-box tests: the real app on a random port, over HTTP, against SQLite and PostgreSQL.

#[path = "../common/mod.rs"]
mod common;

mod accounts;
mod api_keys;
mod auth;
mod boundaries;
mod calendar;
mod cli;
mod console;
mod contract;
mod deadlines;
mod deadlines_in_working_time;
mod devices;
mod errors;
mod health;
mod heatmap;
mod inbox;
mod instances;
mod media;
mod notifications;
mod onboarding;
mod open311;
mod open_data;
mod organizations;
mod outbox;
mod privacy;
mod push;
mod reference_data;
mod replica;
mod reports;
mod responses;
mod schema;
mod sms_gateway;
mod stats;
mod workflow;
