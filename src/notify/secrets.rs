//! One-time secrets in messages (verification and reset links, activation codes) are never stored.
//!
//! The outbox keeps such a message with [`PLACEHOLDER`] where the secret goes; the secret is derived
//! from the message's id under a server key only when the message is sent. The database holds the
//! message id and the secret's hash, neither of which opens anything without the key. Six-digit codes
//! are hashed with the key too: a plain hash of one of a million codes is no secret.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::values::{MessageId, UserId};

/// Stands in a stored message body for the secret it will carry.
pub const PLACEHOLDER: &str = "{{secret}}";

/// What a message's secret looks like to its reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// 256 bits in URL-safe base64, for links.
    Token,
    /// Six digits, for a text message typed in by hand.
    Code,
}

impl SecretKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SecretKind::Token => "token",
            SecretKind::Code => "code",
        }
    }

    pub fn parse(stored: &str) -> Option<Self> {
        match stored {
            "token" => Some(SecretKind::Token),
            "code" => Some(SecretKind::Code),
            _ => None,
        }
    }
}

#[derive(Clone)]
pub struct MessageSecrets {
    key: Vec<u8>,
    /// Where links in messages point (`CDS_APP_LINK_BASE`).
    link_base: String,
}

impl MessageSecrets {
    /// Derives its own key from a server key (`CDS_JWT_SECRET`), so one setting does not serve two uses.
    pub fn derive(server_key: &[u8], link_base: &str) -> Self {
        let mut mac = Hmac::<Sha256>::new_from_slice(server_key).expect("HMAC takes keys of any length");
        mac.update(b"congdanso message secrets v1");
        MessageSecrets { key: mac.finalize().into_bytes().to_vec(), link_base: link_base.trim_end_matches('/').into() }
    }

    /// The link to `page` of the app with the message's token, as a stored body holds it.
    pub fn link(&self, page: &str) -> String {
        format!("{}/{page}?token={PLACEHOLDER}", self.link_base)
    }

    fn mac(&self, label: &str, parts: &[&str]) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(label.as_bytes());
        for part in parts {
            mac.update(b"\0");
            mac.update(part.as_bytes());
        }
        mac.finalize().into_bytes().into()
    }

    /// The secret message `message_id` carries.
    pub fn secret(&self, kind: SecretKind, message_id: &MessageId) -> String {
        let bytes = self.mac(kind.as_str(), &[message_id.as_str()]);
        match kind {
            SecretKind::Token => URL_SAFE_NO_PAD.encode(bytes),
            SecretKind::Code => {
                let number = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
                format!("{:06}", number % 1_000_000)
            }
        }
    }

    /// The stored form of a six-digit code of `user_id`: keyed, so the database does not reveal it.
    pub fn code_hash(&self, user_id: &UserId, code: &str) -> String {
        self.mac("code hash", &[user_id.as_str(), code.trim()]).iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A stored body made ready to send: the placeholder replaced by the message's secret.
    pub fn reveal(&self, body: &str, kind: Option<SecretKind>, message_id: &MessageId) -> String {
        match kind {
            Some(kind) => body.replace(PLACEHOLDER, &self.secret(kind, message_id)),
            None => body.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_depend_on_the_message_and_the_key() {
        let secrets = MessageSecrets::derive(b"a server key of thirty-two bytes!", "https://app.example");
        let token = secrets.secret(SecretKind::Token, &MessageId::from("m1"));
        assert_eq!(token.len(), 43);
        assert_eq!(token, secrets.secret(SecretKind::Token, &MessageId::from("m1")));
        assert_ne!(token, secrets.secret(SecretKind::Token, &MessageId::from("m2")));
        let other = MessageSecrets::derive(b"another server key, thirty-two b", "https://app.example");
        assert_ne!(token, other.secret(SecretKind::Token, &MessageId::from("m1")));
        let code = secrets.secret(SecretKind::Code, &MessageId::from("m1"));
        assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()), "{code}");
        assert_eq!(
            secrets.reveal("code {{secret}}.", Some(SecretKind::Code), &MessageId::from("m1")),
            format!("code {code}.")
        );
        assert_ne!(secrets.code_hash(&"u1".into(), &code), other.code_hash(&"u1".into(), &code));
    }
}
