//! Typed decoding of JSON with errors that name the offending field.

use crate::error::FieldError;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Deserializes `value`, turning serde's error into a field error: unknown fields, missing
/// fields and wrong types all name the field (`emergency_contact.phone`, `allergies[2]`).
pub fn decode<T: DeserializeOwned>(value: Value) -> Result<T, FieldError> {
    serde_path_to_error::deserialize(value).map_err(|e| describe(e.path().to_string(), e.inner()))
}

/// Like [`decode`] but straight from request bytes. `Err(None)` means the bytes are not JSON
/// at all (a 400, not a 422).
pub fn decode_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Option<FieldError>> {
    let value: Value = serde_json::from_slice(bytes).map_err(|_| None)?;
    decode(value).map_err(Some)
}

fn describe(path: String, err: &serde_json::Error) -> FieldError {
    let msg = err.to_string();
    let path = if path == "." { String::new() } else { path };
    let join = |name: &str| {
        if path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        }
    };
    // serde reports these two at the parent's path, with the name in backticks.
    if let Some(name) = backticked(&msg, "unknown field `") {
        // The path already ends at the unknown key.
        let field = if path.ends_with(name) {
            path.clone()
        } else {
            join(name)
        };
        return FieldError::new(field, "unknown field");
    }
    if let Some(name) = backticked(&msg, "missing field `") {
        return FieldError::new(join(name), "is required");
    }
    // Strip serde_json's " at line 1 column 42" suffix: positions mean nothing to a caller.
    let msg = match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    };
    FieldError::new(path, msg)
}

fn backticked<'a>(msg: &'a str, prefix: &str) -> Option<&'a str> {
    let start = msg.find(prefix)? + prefix.len();
    let end = msg[start..].find('`')?;
    Some(&msg[start..start + end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        phone: String,
    }
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        inner: Option<Inner>,
        tags: Vec<u8>,
    }

    #[test]
    fn names_the_field() {
        let e =
            decode::<Outer>(serde_json::json!({"name": "a", "tags": [], "bogus": 1})).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.message.as_str()),
            ("bogus", "unknown field")
        );
        let e = decode::<Outer>(serde_json::json!({"tags": []})).unwrap_err();
        assert_eq!(e.field, "name");
        let e = decode::<Outer>(serde_json::json!({"name": "a", "tags": [1, "x"]})).unwrap_err();
        assert_eq!(e.field, "tags[1]");
        let e =
            decode::<Outer>(serde_json::json!({"name": "a", "tags": [], "inner": {"phone": 1}}))
                .unwrap_err();
        assert_eq!(e.field, "inner.phone");
        let e = decode::<Outer>(serde_json::json!({"name": "a", "tags": [], "inner": {"x": 1}}))
            .unwrap_err();
        assert_eq!(e.field, "inner.x");
        assert!(matches!(decode_slice::<Outer>(b"{nope"), Err(None)));
    }
}
