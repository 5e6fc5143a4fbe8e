//! Email addresses, normalized so one person cannot hold two accounts by changing case.

use crate::error::{AppError, FieldIssue};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Trims and lower-cases; accepts `local@domain.tld` without spaces, at most 254 characters, that
    /// the mailer can send to (lettre's own parser): an address it cannot use would fail forever.
    pub fn parse(raw: &str, field: &str) -> Result<Self, AppError> {
        let email = raw.trim().to_lowercase();
        let well_formed = email.len() <= 254
            && email.parse::<lettre::Address>().is_ok()
            && !email.chars().any(char::is_whitespace)
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.split('.').count() >= 2
                    && domain.split('.').all(|label| !label.is_empty())
            });
        if well_formed {
            Ok(Email(email))
        } else {
            Err(AppError::invalid(field, FieldIssue::Email))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::Email;

    #[test]
    fn normalizes_case_and_whitespace() {
        assert_eq!(Email::parse("  An.Nguyen@Example.VN ", "email").unwrap().as_str(), "an.nguyen@example.vn");
    }

    #[test]
    fn refuses_what_cannot_be_an_address() {
        for bad in [
            "",
            "an",
            "an@",
            "@example.vn",
            "an@example",
            "an@@example.vn",
            "an nguyen@example.vn",
            "an@example..vn",
            "a<b>@x.vn",
            "a@x.vn>",
            "\"a\"@x.vn;b@x.vn",
        ] {
            assert!(Email::parse(bad, "email").is_err(), "{bad:?} accepted");
        }
    }
}
