//! The languages an account can choose, as the API spells them; `Locale` itself lives with the messages
//! in `error.rs`.

use crate::error::{AppError, FieldIssue, Locale};

/// The languages an account can choose, as `locale` spells them.
pub const LOCALES: &[&str] = &["vi", "en"];

pub fn parse_locale(raw: &str, field: &str) -> Result<Locale, AppError> {
    match raw.trim() {
        "vi" => Ok(Locale::Vi),
        "en" => Ok(Locale::En),
        _ => Err(AppError::invalid(field, FieldIssue::OneOf(LOCALES))),
    }
}

pub fn locale_str(locale: Locale) -> &'static str {
    match locale {
        Locale::Vi => "vi",
        Locale::En => "en",
    }
}
