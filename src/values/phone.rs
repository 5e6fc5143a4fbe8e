//! Vietnamese mobile numbers, accepted as people write them and stored in E.164 (`+84…`).

use crate::error::{AppError, FieldIssue};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

/// The mobile prefixes after the leading 0 (03x, 05x, 07x, 08x, 09x), by the 2018 numbering plan.
fn is_mobile_prefix(first_two: &str) -> bool {
    matches!(
        first_two,
        "32" | "33"
            | "34"
            | "35"
            | "36"
            | "37"
            | "38"
            | "39"
            | "52"
            | "55"
            | "56"
            | "58"
            | "59"
            | "70"
            | "76"
            | "77"
            | "78"
            | "79"
            | "81"
            | "82"
            | "83"
            | "84"
            | "85"
            | "86"
            | "87"
            | "88"
            | "89"
            | "90"
            | "91"
            | "92"
            | "93"
            | "94"
            | "96"
            | "97"
            | "98"
            | "99"
    )
}

impl PhoneNumber {
    /// Accepts `0912 345 678`, `84912345678`, `+84 912.345.678`; refuses landlines and wrong lengths.
    pub fn parse(raw: &str, field: &str) -> Result<Self, AppError> {
        let compact: String = raw.chars().filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')')).collect();
        let national = if let Some(rest) = compact.strip_prefix("+84") {
            rest
        } else if let Some(rest) = compact.strip_prefix("84").filter(|rest| rest.len() == 9) {
            rest
        } else if let Some(rest) = compact.strip_prefix('0') {
            rest
        } else {
            return Err(AppError::invalid(field, FieldIssue::Phone));
        };
        let national = national.strip_prefix('0').filter(|_| compact.starts_with('+')).unwrap_or(national);
        if national.is_empty() || !national.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AppError::invalid(field, FieldIssue::Phone));
        }
        if national.starts_with('2') {
            return Err(AppError::invalid(field, FieldIssue::Landline));
        }
        if national.len() != 9 || !is_mobile_prefix(&national[..2]) {
            return Err(AppError::invalid(field, FieldIssue::Phone));
        }
        Ok(PhoneNumber(format!("+84{national}")))
    }

    /// E.164, e.g. `+84912345678`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number as dialled at home, e.g. `0912345678`.
    pub fn national(&self) -> String {
        format!("0{}", &self.0[3..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(raw: &str) -> Result<String, FieldIssue> {
        PhoneNumber::parse(raw, "phone").map(|p| p.0).map_err(|err| match err {
            AppError::Validation(mut fields) => fields.remove(0).issue,
            other => panic!("{other:?}"),
        })
    }

    #[test]
    fn every_accepted_form_gives_e164() {
        for raw in [
            "0912345678",
            "0912 345 678",
            "0912.345.678",
            "84912345678",
            "+84912345678",
            "+84 912 345 678",
            "+84 (0) 912-345-678",
        ] {
            assert_eq!(parsed(raw), Ok("+84912345678".to_string()), "{raw}");
        }
        assert_eq!(parsed("0386123456"), Ok("+84386123456".into()));
        assert_eq!(parsed("0845123456"), Ok("+84845123456".into()), "084 is Vinaphone, not the country code");
    }

    #[test]
    fn landlines_and_wrong_lengths_are_refused() {
        assert_eq!(parsed("024 3825 3536"), Err(FieldIssue::Landline));
        assert_eq!(parsed("+84 28 3829 6052"), Err(FieldIssue::Landline));
        for raw in ["091234567", "09123456789", "0112345678", "0612345678", "912345678", "hello", "", "+1 415 555 0100"]
        {
            assert_eq!(parsed(raw), Err(FieldIssue::Phone), "{raw}");
        }
    }
}
