//! Volunteers' codes: 12 characters that carry an agent's number and a signature over it, so that codes
//! cannot be guessed, enumerated or altered without the server's key (`CDS_ONBOARDING_KEY`).
//!
//! 3 bytes of agent number (up to 16.7 million agents) and 4 bytes of HMAC-SHA256 (a guess is right once
//! in 4.3 billion tries) make 56 bits, written in Crockford's base32: digits and capitals without I, L,
//! O, U, so a code copied by hand or read over the phone survives; lower case, `O` for `0` and `I`/`L`
//! for `1` are read as meant.

use hmac::{Hmac, Mac};
use sha2::Sha256;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const NUMBER_BYTES: usize = 3;
const CHECK_BYTES: usize = 4;
const PAYLOAD_BYTES: usize = NUMBER_BYTES + CHECK_BYTES;
/// 56 bits in 5-bit characters.
pub const CODE_LEN: usize = (PAYLOAD_BYTES * 8).div_ceil(5);
pub const MAX_AGENT_NUMBER: i32 = (1 << (8 * NUMBER_BYTES)) - 1;

#[derive(Clone)]
pub struct CodeSigner {
    key: Vec<u8>,
}

impl CodeSigner {
    pub fn new(key: &[u8]) -> Self {
        CodeSigner { key: key.to_vec() }
    }

    fn mac(&self, number: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(b"congdanso onboarding agent ");
        mac.update(number);
        mac
    }

    /// The code of agent `number` (1 to [`MAX_AGENT_NUMBER`]).
    pub fn code(&self, number: i32) -> String {
        let number = &(number as u32).to_be_bytes()[4 - NUMBER_BYTES..];
        let check = self.mac(number).finalize().into_bytes();
        let mut payload = number.to_vec();
        payload.extend_from_slice(&check[..CHECK_BYTES]);
        encode(&payload)
    }

    /// The agent number a genuine code carries; `None` for anything forged, altered or malformed.
    pub fn verify(&self, code: &str) -> Option<i32> {
        let payload = decode(code)?;
        let (number, check) = payload.split_at(NUMBER_BYTES);
        // Constant time: how much of a guess was right must not show in the time taken.
        self.mac(number).verify_truncated_left(check).ok()?;
        Some(number.iter().fold(0i32, |n, &b| (n << 8) | i32::from(b)))
    }
}

fn encode(bytes: &[u8]) -> String {
    let mut bits: u64 = 0;
    for &b in bytes {
        bits = (bits << 8) | u64::from(b);
    }
    let padding = CODE_LEN * 5 - bytes.len() * 8;
    bits <<= padding;
    (0..CODE_LEN).rev().map(|i| ALPHABET[((bits >> (i * 5)) & 31) as usize] as char).collect()
}

fn decode(code: &str) -> Option<[u8; PAYLOAD_BYTES]> {
    let symbols: Vec<u8> = code.bytes().filter(|b| !matches!(b, b'-' | b' ')).collect();
    if symbols.len() != CODE_LEN {
        return None;
    }
    let mut bits: u64 = 0;
    for symbol in symbols {
        let symbol = match symbol.to_ascii_uppercase() {
            b'O' => b'0',
            b'I' | b'L' => b'1',
            other => other,
        };
        let value = ALPHABET.iter().position(|&a| a == symbol)? as u64;
        bits = (bits << 5) | value;
    }
    let padding = CODE_LEN * 5 - PAYLOAD_BYTES * 8;
    if bits & ((1 << padding) - 1) != 0 {
        return None;
    }
    bits >>= padding;
    let mut payload = [0u8; PAYLOAD_BYTES];
    for (i, byte) in payload.iter_mut().enumerate() {
        *byte = (bits >> (8 * (PAYLOAD_BYTES - 1 - i))) as u8;
    }
    Some(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_twelve_characters_and_carry_their_agent() {
        let signer = CodeSigner::new(b"a key of the province's own choosing");
        for number in [1, 2, 977, MAX_AGENT_NUMBER] {
            let code = signer.code(number);
            assert_eq!(code.len(), 12, "{code}");
            assert_eq!(signer.verify(&code), Some(number));
            assert_eq!(signer.verify(&code.to_lowercase()), Some(number), "read in any case");
        }
    }

    #[test]
    fn altered_forged_and_foreign_codes_are_refused() {
        let signer = CodeSigner::new(b"a key of the province's own choosing");
        let code = signer.code(42);
        for position in 0..code.len() {
            let mut altered = code.clone().into_bytes();
            altered[position] = if altered[position] == b'Z' { b'Y' } else { b'Z' };
            assert_eq!(signer.verify(std::str::from_utf8(&altered).unwrap()), None, "altered at {position}");
        }
        assert_eq!(CodeSigner::new(b"another province's key").verify(&code), None);
        assert_eq!(signer.verify("000000000000"), None);
        assert_eq!(signer.verify("short"), None);
        assert_eq!(signer.verify("ÀÀÀÀÀÀÀÀÀÀÀÀ"), None);
    }
}
