//! Opaque secrets (refresh tokens, reset tokens, feedback links): 256 bits from the operating
//! system's CSPRNG, sent once, stored only as a SHA-256 hash.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// A new random token, URL-safe.
pub fn generate() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| ApiError::internal(format!("random source: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The stored form of a token. A fast hash is right here: the token has 256 bits of entropy, so
/// there is nothing to brute-force, and lookups by hash stay indexed.
pub fn hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_distinct_and_hashed() {
        let a = generate().unwrap_or_default();
        let b = generate().unwrap_or_default();
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), a);
    }
}
