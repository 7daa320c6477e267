//! A stored resource: its data plus the metadata every resource carries, and its two forms —
//! the public JSON and the stored item (the JSON plus its keys).

use super::Resource;
use super::keys::{ENTITY, item_key, parent_field};
use crate::error::{DomainError, DomainResult};
use crate::store::{Item, StoreError};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct Record<R> {
    pub id: String,
    pub parent_id: Option<String>,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub data: R,
}

/// Fields every record carries besides its data.
pub const META: [&str; 4] = ["id", "version", "created_at", "updated_at"];
const KEY_ATTRS: [&str; 7] = ["pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", ENTITY];

impl<R: Resource> Record<R> {
    /// A new record at version 1.
    pub fn new(id: String, parent_id: Option<String>, now: DateTime<Utc>, data: R) -> Self {
        Record {
            id,
            parent_id,
            version: 1,
            created_at: now,
            updated_at: now,
            data,
        }
    }

    /// The next version of this record holding `data`.
    pub fn next(&self, data: R, now: DateTime<Utc>) -> Self {
        Record {
            version: self.version + 1,
            updated_at: now,
            data,
            ..self.clone()
        }
    }

    /// The public JSON form: metadata, the parent's id (`patient_id`) and the data fields.
    pub fn to_json(&self) -> Value {
        Value::Object(self.to_map())
    }

    fn to_map(&self) -> Map<String, Value> {
        let mut data = match serde_json::to_value(&self.data) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        let mut out = Map::with_capacity(data.len() + 12);
        out.insert("id".into(), Value::from(self.id.clone()));
        if let (Some(field), Some(pid)) = (parent_field::<R>(), &self.parent_id) {
            out.insert(field, Value::from(pid.clone()));
        }
        out.insert("version".into(), Value::from(self.version));
        out.insert("created_at".into(), Value::from(rfc3339(self.created_at)));
        out.insert("updated_at".into(), Value::from(rfc3339(self.updated_at)));
        out.append(&mut data);
        out
    }

    /// The stored form: the public JSON plus the item's keys and index entries.
    pub fn to_item(&self) -> Item {
        let mut item = self.to_map();
        let key = item_key::<R>(self.parent_id.as_deref(), &self.id);
        item.insert("pk".into(), key.pk.into());
        item.insert("sk".into(), key.sk.into());
        item.insert(ENTITY.into(), R::KIND.into());
        if R::PARENT.is_none() {
            item.insert("gsi1pk".into(), R::KIND.into());
            item.insert(
                "gsi1sk".into(),
                format!("{} {}", self.data.sort_key(), self.id).into(),
            );
        }
        if let Some((pk, sk)) = self.data.index2(&self.id) {
            item.insert("gsi2pk".into(), pk.into());
            item.insert("gsi2sk".into(), sk.into());
        }
        item
    }

    /// The public JSON of a stored item, straight from the item: its keys removed. (What
    /// `from_item` then `to_json` would give, without the round trip through `R`.)
    pub fn json_of_item(mut item: Item) -> DomainResult<(u64, Value)> {
        for k in KEY_ATTRS {
            item.remove(k);
        }
        let version = item.get("version").and_then(Value::as_u64).ok_or_else(|| {
            DomainError::Store(StoreError::Invalid(format!(
                "stored {} lacks a valid version",
                R::KIND
            )))
        })?;
        Ok((version, Value::Object(item)))
    }

    pub fn from_item(mut item: Item) -> DomainResult<Self> {
        for k in KEY_ATTRS {
            item.remove(k);
        }
        let corrupt = |what: &str| {
            DomainError::Store(StoreError::Invalid(format!(
                "stored {} lacks a valid {what}",
                R::KIND
            )))
        };
        let id = take_str(&mut item, "id").ok_or_else(|| corrupt("id"))?;
        let parent_id = match parent_field::<R>() {
            Some(f) => Some(take_str(&mut item, &f).ok_or_else(|| corrupt(&f))?),
            None => None,
        };
        let version = item
            .remove("version")
            .and_then(|v| v.as_u64())
            .ok_or_else(|| corrupt("version"))?;
        let mut time = |f: &str| {
            take_str(&mut item, f)
                .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
                .map(|t| t.with_timezone(&Utc))
                .ok_or_else(|| corrupt(f))
        };
        let created_at = time("created_at")?;
        let updated_at = time("updated_at")?;
        let data: R = serde_json::from_value(Value::Object(item)).map_err(|_| corrupt("body"))?;
        Ok(Record {
            id,
            parent_id,
            version,
            created_at,
            updated_at,
            data,
        })
    }
}

fn take_str(item: &mut Item, field: &str) -> Option<String> {
    match item.remove(field) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

/// Timestamps as the API writes them: RFC 3339, UTC, milliseconds.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
