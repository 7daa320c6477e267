//! Typed decoding of JSON with errors that name the offending field.

use crate::error::FieldError;
use serde::Deserialize;
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
    let value: Value = parse_strict(bytes).map_err(|_| None)?;
    decode(value).map_err(Some)
}

/// Parses JSON text into a value, refusing an object that repeats a key: with "last one wins"
/// a body could say two things at once (`{"status": "paid", "status": "pending"}`), and what
/// a proxy or an audit log reads might not be what we act on.
pub fn parse_strict(bytes: &[u8]) -> Result<Value, String> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = Strict::deserialize(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(value.0)
}

struct Strict(Value);

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let Strict(v) = map.next_value()?;
            if out.contains_key(&key) {
                return Err(serde::de::Error::custom(format!("duplicate key {key:?}")));
            }
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
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
        assert!(parse_strict(br#"{"a": 1, "b": {"a": 2}}"#).is_ok());
        assert!(parse_strict(br#"{"a": 1, "a": 2}"#).is_err());
        assert!(parse_strict(br#"[{"x": {"y": 1, "y": 1}}]"#).is_err());
        assert!(parse_strict(br#"{"a": 1} trailing"#).is_err());
    }
}
