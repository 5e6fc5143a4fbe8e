//! Passwords: checked on the way in, hashed with argon2id, never printed.

use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::Rng;

use crate::error::{AppError, FieldIssue};

const MIN_CHARS: usize = 8;
const MAX_CHARS: usize = 128;

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

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::{PasswordHash, PasswordVerifier};

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
    fn length_is_counted_in_characters() {
        assert!(Password::parse("ngắn".into(), "password").is_err());
        assert!(Password::parse("đđđđđđđđ".into(), "password").is_ok());
        assert!(Password::parse("x".repeat(129), "password").is_err());
        assert_eq!(Password::generate().expose().len(), 20);
        assert_eq!(format!("{:?}", Password::generate()), "Password(…)");
    }
}
