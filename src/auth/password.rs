//! Password hashing with Argon2id (the crate's defaults follow OWASP's minimum parameters).

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::error::ApiError;

/// Hashes a password into a PHC string (`$argon2id$v=19$…`). Slow by design: call it off the
/// async executor.
pub fn hash(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(format!("password hashing: {e}")))
}

/// True when `password` matches the stored hash. An unreadable hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Spends the same time as a real check, for logins to accounts that do not exist, so that the
/// answer's timing does not tell whether an email is registered.
pub fn verify_against_nothing(password: &str) {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    if let Some(dummy) = DUMMY.get_or_init(|| hash("no account has this password").ok()) {
        let _ = verify(password, dummy);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let stored = hash("a long passphrase 42").unwrap_or_default();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("a long passphrase 42", &stored));
        assert!(!verify("a long passphrase 43", &stored));
        assert!(!verify("a long passphrase 42", "not a hash"));
    }
}
