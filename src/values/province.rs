//! Province codes, and which of them the national list knows.

/// The 34 provinces and 3,321 commune-level units in force since the 2025 reform (from vietnamadminunits, MIT).
/// `seed.rs` loads it into the database; here it answers which province codes exist, before any database.
pub const UNITS_CSV: &str = include_str!("../../seed/vn-admin-units-2025.csv");

/// The code of one of the 34 provinces.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProvinceCode(String);

impl ProvinceCode {
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        (raw.len() == 2 && raw.bytes().all(|b| b.is_ascii_digit())).then(|| ProvinceCode(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub fn is_known_province(code: &ProvinceCode) -> bool {
    UNITS_CSV.lines().skip(1).any(|line| line.split(',').next() == Some(code.as_str()))
}
