//! The keys that encrypt stored values (bank details), read from `DATA_ENCRYPTION_KEY` and
//! `DATA_ENCRYPTION_OLD_KEYS`.
//!
//! A key is written `<id>:<base64 of 32 bytes>` (`2026a:3q2+7w…=`), or as the base64 alone, when
//! its id is `k` and the first eight hexadecimal digits of the SHA-256 of the key. The id is kept
//! beside every value sealed with the key, so that after a rotation the old keys, listed
//! comma-separated in `DATA_ENCRYPTION_OLD_KEYS`, still open what they sealed until
//! `grantfund reencrypt` has sealed it again under the current one.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// The id of the development key, used when no key is given outside production.
pub const DEVELOPMENT_DATA_KEY_ID: &str = "dev";
/// The bytes of a key.
pub const DATA_KEY_BYTES: usize = 32;
/// The longest key id.
pub const MAX_DATA_KEY_ID: usize = 32;

/// One AES-256 key and its id. Its `Debug` shows the id alone.
#[derive(Clone, PartialEq, Eq)]
pub struct DataKey {
    id: String,
    bytes: [u8; DATA_KEY_BYTES],
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl DataKey {
    /// A key with the id given.
    pub fn new(id: &str, bytes: [u8; DATA_KEY_BYTES]) -> Result<DataKey, String> {
        let well_formed = !id.is_empty()
            && id.len() <= MAX_DATA_KEY_ID
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !well_formed {
            return Err(format!(
                "a key id is 1 to {MAX_DATA_KEY_ID} letters, digits, '-' or '_'"
            ));
        }
        Ok(DataKey {
            id: id.to_owned(),
            bytes,
        })
    }

    /// Reads `<id>:<base64>` or `<base64>`. The error says what is wrong, never the key.
    pub fn parse(text: &str) -> Result<DataKey, String> {
        let text = text.trim();
        let (id, encoded) = match text.split_once(':') {
            Some((id, encoded)) => (Some(id), encoded),
            None => (None, text),
        };
        let decoded = STANDARD
            .decode(encoded.trim())
            .map_err(|_| "the key is not base64".to_owned())?;
        let bytes: [u8; DATA_KEY_BYTES] = decoded.try_into().map_err(|d: Vec<u8>| {
            format!(
                "the key must be {DATA_KEY_BYTES} bytes (base64 of `openssl rand 32`); it has {}",
                d.len()
            )
        })?;
        match id {
            Some(id) => DataKey::new(id, bytes),
            None => {
                let digest = Sha256::digest(bytes);
                let id: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
                DataKey::new(&format!("k{id}"), bytes)
            }
        }
    }

    /// The key used outside production when none is given. Never accepted in production.
    pub fn development() -> DataKey {
        DataKey {
            id: DEVELOPMENT_DATA_KEY_ID.to_owned(),
            bytes: Sha256::digest(b"grantfund development data key: never use in production")
                .into(),
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// The key itself, for the cipher alone.
    pub fn bytes(&self) -> &[u8; DATA_KEY_BYTES] {
        &self.bytes
    }
}

/// The current key, which seals every new value, and the old ones, which only open.
#[derive(Clone, Debug)]
pub struct DataKeys {
    pub current: DataKey,
    pub old: Vec<DataKey>,
}

impl DataKeys {
    /// Reads the current key and the comma-separated old ones; ids must differ.
    pub fn parse(current: &str, old: &str) -> Result<DataKeys, (&'static str, String)> {
        let current = DataKey::parse(current).map_err(|e| ("DATA_ENCRYPTION_KEY", e))?;
        let old = old
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| DataKey::parse(k).map_err(|e| ("DATA_ENCRYPTION_OLD_KEYS", e)))
            .collect::<Result<Vec<_>, _>>()?;
        let keys = DataKeys { current, old };
        let mut ids: Vec<&str> = keys.all().map(DataKey::id).collect();
        ids.sort_unstable();
        if let Some(pair) = ids.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err((
                "DATA_ENCRYPTION_OLD_KEYS",
                format!("two keys have the id {:?}", pair[0]),
            ));
        }
        Ok(keys)
    }

    /// Only the development key.
    pub fn development() -> DataKeys {
        DataKeys {
            current: DataKey::development(),
            old: Vec::new(),
        }
    }

    /// The current key, then the old ones.
    pub fn all(&self) -> impl Iterator<Item = &DataKey> {
        std::iter::once(&self.current).chain(&self.old)
    }

    /// Whether any key is the development key, which production refuses.
    pub fn uses_development_key(&self) -> bool {
        let development = DataKey::development();
        self.all().any(|k| k.bytes == development.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    #[test]
    fn a_key_reads_with_or_without_its_id() {
        let named = DataKey::parse(&format!("2026a:{KEY}")).expect("named key");
        assert_eq!(named.id(), "2026a");
        assert_eq!(named.bytes()[31], 31);
        let derived = DataKey::parse(KEY).expect("key alone");
        assert!(derived.id().starts_with('k') && derived.id().len() == 9);
        assert_eq!(derived.bytes(), named.bytes());
    }

    #[test]
    fn malformed_keys_are_refused_without_repeating_them() {
        for bad in ["", "not base64!", "c2hvcnQ=", &format!("bad id:{KEY}")] {
            let error = DataKey::parse(bad).expect_err(bad);
            assert!(!error.contains(KEY), "{error}");
        }
        assert!(
            DataKey::parse("c2hvcnQ=")
                .expect_err("short")
                .contains("32 bytes")
        );
    }

    #[test]
    fn ids_must_differ_and_debug_hides_the_key() {
        let error = DataKeys::parse(&format!("a:{KEY}"), &format!("b:{KEY}, a:{KEY}"))
            .expect_err("duplicate id");
        assert!(error.1.contains("\"a\""), "{error:?}");
        let keys = DataKeys::parse(&format!("a:{KEY}"), &format!("b:{KEY}")).expect("keys");
        assert_eq!(keys.all().count(), 2);
        assert!(!format!("{keys:?}").contains("bytes"));
        assert!(DataKeys::development().uses_development_key());
        assert!(!keys.uses_development_key());
    }
}
