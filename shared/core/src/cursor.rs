//! Opaque list cursors: the key of the last item of a page, as base64url JSON. Decoding checks
//! that the cursor belongs to the query it is used with, so a tampered or foreign cursor is a
//! 400 and can never read outside the list it came from.

use crate::error::DomainError;
use crate::store::{Item, Query};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

pub fn encode(key: &Item) -> String {
    URL_SAFE_NO_PAD.encode(Value::Object(key.clone()).to_string())
}

pub fn decode(cursor: &str, query: &Query) -> Result<Item, DomainError> {
    let invalid = || DomainError::bad_request("cursor", "invalid cursor");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let Ok(Value::Object(key)) = serde_json::from_slice::<Value>(&bytes) else {
        return Err(invalid());
    };
    let attrs = query.key_attrs();
    let well_formed = key.len() == attrs.len()
        && attrs.iter().all(|a| {
            key.get(*a)
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty())
        });
    let partition = attrs[0];
    if !well_formed || key.get(partition).and_then(Value::as_str) != Some(query.pk.as_str()) {
        return Err(invalid());
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Index;

    #[test]
    fn round_trip_and_tamper() {
        let q = Query::index(Index::Gsi1, "patient");
        let mut item = Item::new();
        for (k, v) in [
            ("pk", "patient#1"),
            ("sk", "patient"),
            ("gsi1pk", "patient"),
            ("gsi1sk", "ana#1"),
        ] {
            item.insert(k.into(), v.into());
        }
        let c = encode(&q.key_of(&item));
        assert_eq!(decode(&c, &q).unwrap(), q.key_of(&item));
        assert!(decode("not-base64!", &q).is_err());
        assert!(decode(&URL_SAFE_NO_PAD.encode("[1]"), &q).is_err());
        let other = Query::index(Index::Gsi1, "doctor");
        assert!(decode(&c, &other).is_err());
        let mut c2 = c.clone();
        c2.pop();
        assert!(decode(&c2, &q).is_err());
    }
}
