//! Encryption at rest: values sealed with AES-256-GCM under the current data key, each carrying
//! the id of its key and its own random nonce, and opened with whichever configured key sealed
//! it.
//!
//! [`Keyring::seal`] takes bytes and gives a [`Sealed`] value, stored as text with
//! [`Sealed::to_text`]; [`Keyring::open`] gives the bytes back, or a [`CryptoError`] that names
//! the key and never the value: a value sealed under a key the service does not hold, or under
//! another key with the same id, or altered in the database, is refused, never returned as
//! garbage. The key id is bound into the authentication tag, so a value cannot be passed off as
//! sealed under another key.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use rand::Rng;

use crate::config::{DataKey, DataKeys};
use crate::error::ApiError;

/// The bytes of a nonce.
pub const NONCE_BYTES: usize = 12;
/// The prefix of the stored form, naming the scheme.
const SCHEME: &str = "aes256gcm1";

/// A sealed value: the id of its key, its nonce, and the ciphertext with its tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub nonce: [u8; NONCE_BYTES],
    pub ciphertext: Vec<u8>,
}

impl Sealed {
    /// The stored form: `aes256gcm1:<key id>:<nonce>:<ciphertext>`, both in base64.
    pub fn to_text(&self) -> String {
        format!(
            "{SCHEME}:{}:{}:{}",
            self.key_id,
            STANDARD_NO_PAD.encode(self.nonce),
            STANDARD_NO_PAD.encode(&self.ciphertext)
        )
    }

    /// Reads the stored form.
    pub fn parse(text: &str) -> Result<Sealed, CryptoError> {
        let mut parts = text.split(':');
        let (Some(SCHEME), Some(key_id), Some(nonce), Some(ciphertext), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(CryptoError::Malformed);
        };
        let nonce = STANDARD_NO_PAD
            .decode(nonce)
            .ok()
            .and_then(|n| <[u8; NONCE_BYTES]>::try_from(n).ok())
            .ok_or(CryptoError::Malformed)?;
        let ciphertext = STANDARD_NO_PAD
            .decode(ciphertext)
            .map_err(|_| CryptoError::Malformed)?;
        Ok(Sealed {
            key_id: key_id.to_owned(),
            nonce,
            ciphertext,
        })
    }
}

/// Why a value cannot be sealed or opened. No variant holds any of the value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("the stored value is not a sealed value")]
    Malformed,
    #[error(
        "the stored value is sealed under key {0:?}, which is neither DATA_ENCRYPTION_KEY nor one of DATA_ENCRYPTION_OLD_KEYS"
    )]
    UnknownKey(String),
    #[error(
        "the stored value does not open under key {0:?}: the key is not the one that sealed it, or the value was altered"
    )]
    WrongKey(String),
    #[error("the value could not be sealed")]
    Seal,
}

impl From<CryptoError> for ApiError {
    fn from(error: CryptoError) -> Self {
        ApiError::internal(format!("encrypted value: {error}"))
    }
}

/// The ciphers of the configured keys: the current one seals, every one opens.
pub struct Keyring {
    current: (String, Aes256Gcm),
    old: Vec<(String, Aes256Gcm)>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current.0)
            .field(
                "old",
                &self.old.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

fn cipher(key: &DataKey) -> (String, Aes256Gcm) {
    let bytes = Key::<Aes256Gcm>::from(*key.bytes());
    (key.id().to_owned(), Aes256Gcm::new(&bytes))
}

impl Keyring {
    pub fn new(keys: &DataKeys) -> Keyring {
        Keyring {
            current: cipher(&keys.current),
            old: keys.old.iter().map(cipher).collect(),
        }
    }

    /// The id of the key that seals.
    pub fn current_id(&self) -> &str {
        &self.current.0
    }

    /// Whether `sealed` is under the current key (so re-encryption leaves it).
    pub fn is_current(&self, sealed: &Sealed) -> bool {
        sealed.key_id == self.current.0
    }

    /// Seals `plaintext` under the current key with a fresh random nonce.
    pub fn seal(&self, plaintext: &[u8]) -> Result<Sealed, CryptoError> {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rng().fill(&mut nonce);
        let (id, cipher) = &self.current;
        let ciphertext = cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: id.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Seal)?;
        Ok(Sealed {
            key_id: id.clone(),
            nonce,
            ciphertext,
        })
    }

    /// Opens a sealed value with the key whose id it carries.
    pub fn open(&self, sealed: &Sealed) -> Result<Vec<u8>, CryptoError> {
        let (id, cipher) = std::iter::once(&self.current)
            .chain(&self.old)
            .find(|(id, _)| *id == sealed.key_id)
            .ok_or_else(|| CryptoError::UnknownKey(sealed.key_id.clone()))?;
        cipher
            .decrypt(
                &Nonce::from(sealed.nonce),
                Payload {
                    msg: &sealed.ciphertext,
                    aad: id.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::WrongKey(id.clone()))
    }

    /// Seals text and gives its stored form.
    pub fn seal_text(&self, plaintext: &str) -> Result<String, CryptoError> {
        Ok(self.seal(plaintext.as_bytes())?.to_text())
    }

    /// Opens a stored form back into text.
    pub fn open_text(&self, stored: &str) -> Result<String, CryptoError> {
        let bytes = self.open(&Sealed::parse(stored)?)?;
        String::from_utf8(bytes).map_err(|_| CryptoError::Malformed)
    }

    /// The stored form re-sealed under the current key, or `None` when it already is.
    pub fn reseal_text(&self, stored: &str) -> Result<Option<String>, CryptoError> {
        let sealed = Sealed::parse(stored)?;
        if self.is_current(&sealed) {
            return Ok(None);
        }
        let plaintext = self.open(&sealed)?;
        Ok(Some(self.seal(&plaintext)?.to_text()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(current: &str, old: &str) -> Keyring {
        Keyring::new(&DataKeys::parse(current, old).expect("keys"))
    }

    const A: &str = "a:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const A_OTHER: &str = "a:ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";
    const B: &str = "b:ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";

    #[test]
    fn a_sealed_value_opens_and_hides_its_text() {
        let ring = keys(A, "");
        let sealed = ring.seal_text("12345678").expect("sealed");
        assert!(sealed.starts_with("aes256gcm1:a:"), "{sealed}");
        assert!(!sealed.contains("12345678"));
        assert_eq!(ring.open_text(&sealed).as_deref(), Ok("12345678"));
        let again = ring.seal_text("12345678").expect("sealed");
        assert_ne!(sealed, again, "every value has its own nonce");
    }

    #[test]
    fn a_wrong_key_refuses_to_open_with_a_clear_error() {
        let sealed = keys(A, "").seal_text("12345678").expect("sealed");
        assert_eq!(
            keys(B, "").open_text(&sealed),
            Err(CryptoError::UnknownKey("a".into()))
        );
        let error = keys(A_OTHER, "").open_text(&sealed).expect_err("wrong key");
        assert_eq!(error, CryptoError::WrongKey("a".into()));
        assert!(!error.to_string().contains("12345678"));
        let mut altered = Sealed::parse(&sealed).expect("parses");
        altered.ciphertext[0] ^= 1;
        assert_eq!(
            keys(A, "").open(&altered),
            Err(CryptoError::WrongKey("a".into()))
        );
        let mut relabelled = Sealed::parse(&sealed).expect("parses");
        relabelled.key_id = "b".into();
        assert!(keys(B, A).open(&relabelled).is_err(), "the id is bound");
        assert_eq!(
            keys(A, "").open_text("12345678"),
            Err(CryptoError::Malformed)
        );
    }

    #[test]
    fn rotation_opens_old_values_and_reseals_them_under_the_new_key() {
        let old = keys(A, "").seal_text("roll 42").expect("sealed");
        let rotated = keys(B, A);
        assert_eq!(rotated.open_text(&old).as_deref(), Ok("roll 42"));
        let resealed = rotated.reseal_text(&old).expect("resealed").expect("moved");
        assert!(resealed.starts_with("aes256gcm1:b:"));
        assert_eq!(rotated.reseal_text(&resealed), Ok(None));
        assert_eq!(keys(B, "").open_text(&resealed).as_deref(), Ok("roll 42"));
    }
}
