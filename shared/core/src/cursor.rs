//! Opaque list cursors. A cursor holds the key of the last item of a page, which may contain a
//! folded patient name; it travels in URLs (proxy, API Gateway and browser logs), so it is
//! encrypted and authenticated (XChaCha20-Poly1305, random nonce) with a key of the
//! deployment, bound to the query it came from. A tampered or foreign cursor is a 400 and can
//! never read outside the list it came from; none shows anything readable.

use crate::error::DomainError;
use crate::store::{Item, Query};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde_json::Value;
use sha2::{Digest, Sha256};

const NONCE: usize = 24;

/// The cursor key. Cheap to clone.
#[derive(Clone)]
pub struct Cursors {
    cipher: XChaCha20Poly1305,
}

impl Cursors {
    /// A key derived from a secret of any length (`CURSOR_KEY`, or hospital-local's key file).
    pub fn new(secret: &[u8]) -> Self {
        let key = Sha256::digest(secret);
        Self {
            cipher: XChaCha20Poly1305::new(&key),
        }
    }

    pub fn encode(&self, key: &Item, query: &Query) -> String {
        let values: Vec<&Value> = query
            .key_attrs()
            .into_iter()
            .map(|a| key.get(a).unwrap_or(&Value::Null))
            .collect();
        let plain = Value::from(values.into_iter().cloned().collect::<Vec<_>>()).to_string();
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plain.as_bytes(),
                    aad: &binding(query),
                },
            )
            // Encryption fails only for messages beyond ~256 GiB.
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend(sealed);
        URL_SAFE_NO_PAD.encode(out)
    }

    pub fn decode(&self, cursor: &str, query: &Query) -> Result<Item, DomainError> {
        let invalid = || DomainError::bad_request("cursor", "invalid cursor");
        let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
        if bytes.len() <= NONCE {
            return Err(invalid());
        }
        let (nonce, sealed) = bytes.split_at(NONCE);
        let nonce: [u8; NONCE] = nonce.try_into().map_err(|_| invalid())?;
        let plain = self
            .cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: &binding(query),
                },
            )
            .map_err(|_| invalid())?;
        let Ok(Value::Array(values)) = serde_json::from_slice::<Value>(&plain) else {
            return Err(invalid());
        };
        let attrs = query.key_attrs();
        if values.len() != attrs.len() || values.iter().any(|v| !v.is_string()) {
            return Err(invalid());
        }
        Ok(attrs.into_iter().map(str::to_string).zip(values).collect())
    }
}

/// What a cursor is bound to: the index and partition of its query.
fn binding(query: &Query) -> Vec<u8> {
    let index = query.index.map(|i| i.name()).unwrap_or("table");
    format!("{index}\u{0}{}", query.pk).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Index;

    #[test]
    fn round_trip_tamper_and_nothing_readable() {
        let cursors = Cursors::new(b"secret");
        let q = Query::index(Index::Gsi1, "patient");
        let mut item = Item::new();
        for (k, v) in [
            ("pk", "patient#1"),
            ("sk", "patient"),
            ("gsi1pk", "patient"),
            ("gsi1sk", "maria!da!silva 01J"),
        ] {
            item.insert(k.into(), v.into());
        }
        let c = cursors.encode(&q.key_of(&item), &q);
        assert_eq!(cursors.decode(&c, &q).unwrap(), q.key_of(&item));
        let raw = URL_SAFE_NO_PAD.decode(&c).unwrap();
        assert!(!String::from_utf8_lossy(&raw).contains("maria"));
        assert!(cursors.decode("not-base64!", &q).is_err());
        assert!(cursors.decode(&URL_SAFE_NO_PAD.encode("[1]"), &q).is_err());
        // Bound to its query, and to its key.
        assert!(
            cursors
                .decode(&c, &Query::index(Index::Gsi1, "doctor"))
                .is_err()
        );
        assert!(Cursors::new(b"other").decode(&c, &q).is_err());
        let mut flipped = raw.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(
            cursors
                .decode(&URL_SAFE_NO_PAD.encode(flipped), &q)
                .is_err()
        );
    }
}
