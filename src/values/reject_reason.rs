//! Why an official turns a report down. The code is stored with the rejection and shown on the public
//! timeline; notifications tell it in words.

use crate::error::{AppError, FieldIssue};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectReason {
    /// It repeats an earlier report (which the rejection names).
    Duplicate,
    OutOfScope,
    Spam,
    InsufficientInfo,
}

impl RejectReason {
    const ALL: [RejectReason; 4] =
        [RejectReason::Duplicate, RejectReason::OutOfScope, RejectReason::Spam, RejectReason::InsufficientInfo];
    pub const NAMES: &'static [&'static str] = &["duplicate", "out_of_scope", "spam", "insufficient_info"];

    pub fn as_str(self) -> &'static str {
        Self::NAMES[Self::ALL.iter().position(|r| *r == self).unwrap_or(0)]
    }

    pub fn parse(raw: &str, field: &str) -> Result<Self, AppError> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == raw)
            .ok_or_else(|| AppError::invalid(field, FieldIssue::OneOf(Self::NAMES)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_reasons_match_one_to_one() {
        for name in RejectReason::NAMES {
            assert_eq!(RejectReason::parse(name, "reason").unwrap().as_str(), *name);
        }
        assert!(RejectReason::parse("lazy", "reason").is_err());
    }
}
