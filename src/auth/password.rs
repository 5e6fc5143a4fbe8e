//! Passwords: checked on the way in, hashed with argon2id, never printed.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::Rng;

use crate::blocking::BoundedBlocking;
use crate::error::{AppError, FieldIssue};
use crate::values::{Email, PhoneNumber};

/// Passwords too common to allow (a short list of the ones most guessed, Vietnamese ones included).
const COMMON_PASSWORDS: &str = include_str!("common-passwords.txt");

pub const MIN_CHARS: usize = 8;
pub const MAX_CHARS: usize = 128;

/// A password that meets the length rules. Its `Debug` hides it, so it cannot leak into logs.
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

impl Password {
    pub fn parse(raw: String, field: &str) -> Result<Self, AppError> {
        let chars = raw.chars().count();
        if chars < MIN_CHARS {
            return Err(AppError::invalid(field, FieldIssue::TooShort { min: MIN_CHARS }));
        }
        if chars > MAX_CHARS {
            return Err(AppError::invalid(field, FieldIssue::TooLong { max: MAX_CHARS }));
        }
        Ok(Password(raw))
    }

    /// A password for an account: the length rules, and neither a well-known password nor the account's
    /// own phone number or email.
    pub fn parse_for_account(
        raw: String,
        field: &str,
        phone: Option<&PhoneNumber>,
        email: Option<&Email>,
    ) -> Result<Self, AppError> {
        let password = Self::parse(raw, field)?;
        let lowered = password.0.trim().to_lowercase();
        if COMMON_PASSWORDS.lines().any(|common| common == lowered) {
            return Err(AppError::invalid(field, FieldIssue::CommonPassword));
        }
        let digits: String = lowered.chars().filter(char::is_ascii_digit).collect();
        let is_phone = phone.is_some_and(|phone| {
            digits.len() + 2 >= lowered.chars().count()
                && [
                    phone.as_str().trim_start_matches('+').to_string(),
                    phone.national(),
                    phone.national()[1..].to_string(),
                ]
                .contains(&digits)
        });
        let is_email = email.is_some_and(|email| {
            let local = email.as_str().split('@').next().unwrap_or_default();
            lowered == email.as_str() || lowered == local
        });
        if is_phone || is_email {
            return Err(AppError::invalid(field, FieldIssue::PasswordIsIdentity));
        }
        Ok(password)
    }

    /// A random password of 20 characters, without look-alikes (0/O, 1/l/I) so it can be read aloud.
    pub fn generate() -> Self {
        const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let mut rng = rand::rngs::OsRng;
        Password((0..20).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// argon2id with OWASP's recommended parameters: 19 MiB of memory, 2 passes, 1 lane.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) to store.
pub fn hash(password: &Password) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.0.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| AppError::Internal(format!("argon2: {err}")))
}

/// Whether a stored hash was made with other parameters than today's, and should be replaced.
fn is_outdated(stored: &PasswordHash<'_>) -> bool {
    let current = hasher();
    let params = current.params();
    stored.algorithm.as_str() != "argon2id"
        || Params::try_from(stored).map_or(true, |p| {
            p.m_cost() != params.m_cost() || p.t_cost() != params.t_cost() || p.p_cost() != params.p_cost()
        })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    Wrong,
    Correct { outdated_hash: bool },
}

/// Hashes and verifies on the blocking pool, a bounded number at a time, so a log-in storm queues up
/// here instead of taking every core from the other requests.
pub struct PasswordService {
    pool: BoundedBlocking,
    /// Verified against when the account does not exist, so that case costs the same time.
    decoy_hash: String,
}

impl PasswordService {
    pub fn new(concurrency: usize) -> Result<Self, AppError> {
        let decoy_hash = hash(&Password::generate())?;
        Ok(PasswordService { pool: BoundedBlocking::new(concurrency), decoy_hash })
    }

    /// A valid hash of a password nobody knows, for accounts that have none yet (it never matches).
    pub fn unusable_hash(&self) -> String {
        self.decoy_hash.clone()
    }

    pub async fn hash(&self, password: &Password) -> Result<String, AppError> {
        let password = Password(password.0.clone());
        self.pool.run(move || hash(&password)).await
    }

    /// Checks `password` against `stored`, or against a decoy when there is no account.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<Verification, AppError> {
        let exists = stored.is_some();
        let stored = stored.unwrap_or_else(|| self.decoy_hash.clone());
        let verification = self
            .pool
            .run(move || {
                let parsed =
                    PasswordHash::new(&stored).map_err(|err| AppError::Internal(format!("stored hash: {err}")))?;
                Ok(match hasher().verify_password(password.as_bytes(), &parsed) {
                    Ok(()) => Verification::Correct { outdated_hash: is_outdated(&parsed) },
                    Err(_) => Verification::Wrong,
                })
            })
            .await?;
        Ok(if exists { verification } else { Verification::Wrong })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_with_argon2id_and_owasp_parameters() {
        let password = Password::parse("mật khẩu đủ dài".into(), "password").unwrap();
        let stored = hash(&password).unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        let parsed = PasswordHash::new(&stored).unwrap();
        assert!(hasher().verify_password("mật khẩu đủ dài".as_bytes(), &parsed).is_ok());
        assert!(hasher().verify_password(b"wrong password", &parsed).is_err());
    }

    #[test]
    fn account_passwords_are_neither_common_nor_the_identity() {
        let phone = PhoneNumber::parse("0912345678", "phone").unwrap();
        let email = Email::parse("an.nguyen@example.vn", "email").unwrap();
        let check = |raw: &str| Password::parse_for_account(raw.into(), "password", Some(&phone), Some(&email));
        assert!(check("MatKhau123").is_err());
        assert!(check("0912345678").is_err());
        assert!(check("84912345678").is_err());
        assert!(check("+84912345678").is_err());
        assert!(check("0912.345.678").is_err());
        assert!(check("an.nguyen@example.vn").is_err());
        assert!(check("an.nguyen").is_err());
        assert!(check("đèn đường hỏng 2026").is_ok());
        assert!(check("0912345678 là số của tôi").is_ok(), "a longer phrase containing the number is fine");
    }

    #[test]
    fn hashes_made_with_weaker_parameters_are_outdated() {
        let current = hash(&Password::generate()).unwrap();
        assert!(!is_outdated(&PasswordHash::new(&current).unwrap()));
        let weak = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(8 * 1024, 1, 1, None).unwrap())
            .hash_password(b"password", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        assert!(is_outdated(&PasswordHash::new(&weak).unwrap()));
    }

    #[test]
    fn length_is_counted_in_characters() {
        assert!(Password::parse("ngắn".into(), "password").is_err());
        assert!(Password::parse("đđđđđđđđ".into(), "password").is_ok());
        assert!(Password::parse("x".repeat(129), "password").is_err());
        assert_eq!(Password::generate().expose().len(), 20);
        assert_eq!(format!("{:?}", Password::generate()), "Password(…)");
    }
}
