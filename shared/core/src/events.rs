//! Domain events: facts other parts of the system react to (a discharge bills the stay, a
//! released bed is announced). Each is written to the outbox in the same transaction as the
//! change it reports, so it exists exactly when the change committed; a relay publishes it
//! afterwards (`docs/events.md`). Payloads hold ids and facts, never names or CPFs.

use crate::resource::keys::ENTITY;
use crate::store::{Item, Key};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The index partition (gsi2) of outbox records not yet published.
pub const PENDING: &str = "outbox#pending";
/// The index partition (gsi1) of every outbox record kept, published or not, by id (time).
pub const ALL: &str = "outbox";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainEvent {
    /// ULID: the key consumers deduplicate by.
    pub event_id: String,
    /// `hospital.<context>`, e.g. `hospital.admissions`.
    pub source: String,
    /// PascalCase past tense, e.g. `PatientDischarged`.
    pub detail_type: String,
    pub occurred_at: DateTime<Utc>,
    /// Ids and facts.
    pub detail: Value,
}

impl DomainEvent {
    pub fn new(source: &str, detail_type: &str, occurred_at: DateTime<Utc>, detail: Value) -> Self {
        Self {
            event_id: crate::ids::new_id(),
            source: source.to_string(),
            detail_type: detail_type.to_string(),
            occurred_at,
            detail,
        }
    }

    pub fn outbox_key(event_id: &str) -> Key {
        Key::new(format!("outbox#{event_id}"), "outbox")
    }

    /// The outbox record: listed under [`ALL`] while kept (until `expires_at`, epoch seconds),
    /// and under [`PENDING`] until a relay has published it.
    pub fn to_outbox_item(&self, expires_at: i64) -> Item {
        let key = Self::outbox_key(&self.event_id);
        let mut item = Map::new();
        item.insert("pk".into(), key.pk.into());
        item.insert("sk".into(), key.sk.into());
        item.insert(ENTITY.into(), "outbox".into());
        item.insert("gsi1pk".into(), ALL.into());
        item.insert("gsi1sk".into(), self.event_id.clone().into());
        item.insert("gsi2pk".into(), PENDING.into());
        item.insert("gsi2sk".into(), self.event_id.clone().into());
        item.insert("event_id".into(), self.event_id.clone().into());
        item.insert("source".into(), self.source.clone().into());
        item.insert("detail_type".into(), self.detail_type.clone().into());
        item.insert(
            "occurred_at".into(),
            crate::resource::record::rfc3339(self.occurred_at).into(),
        );
        item.insert("detail".into(), self.detail.clone());
        item.insert(crate::store::TTL.into(), expires_at.into());
        item
    }

    /// The `detail` of the event on the bus: the payload's fields, plus `event_id` and
    /// `occurred_at`.
    pub fn bus_detail(&self) -> Value {
        let mut detail = match &self.detail {
            Value::Object(m) => m.clone(),
            other => {
                let mut m = Map::new();
                m.insert("payload".into(), other.clone());
                m
            }
        };
        detail.insert("event_id".into(), self.event_id.clone().into());
        detail.insert(
            "occurred_at".into(),
            crate::resource::record::rfc3339(self.occurred_at).into(),
        );
        Value::Object(detail)
    }

    /// An event as the bus delivers it (source, detail type, detail): the inverse of
    /// [`Self::bus_detail`].
    pub fn from_bus(source: &str, detail_type: &str, detail: &Value) -> Option<Self> {
        let mut payload = detail.as_object()?.clone();
        let event_id = payload.remove("event_id")?.as_str()?.to_string();
        let occurred_at = DateTime::parse_from_rfc3339(payload.remove("occurred_at")?.as_str()?)
            .ok()?
            .with_timezone(&Utc);
        Some(Self {
            event_id,
            source: source.to_string(),
            detail_type: detail_type.to_string(),
            occurred_at,
            detail: Value::Object(payload),
        })
    }

    /// Reads an outbox record back (`None` if the item is not one).
    pub fn from_outbox_item(item: &Item) -> Option<Self> {
        if item.get(ENTITY).and_then(Value::as_str) != Some("outbox") {
            return None;
        }
        let text = |k: &str| item.get(k).and_then(Value::as_str).map(str::to_string);
        Some(Self {
            event_id: text("event_id")?,
            source: text("source")?,
            detail_type: text("detail_type")?,
            occurred_at: DateTime::parse_from_rfc3339(&text("occurred_at")?)
                .ok()?
                .with_timezone(&Utc),
            detail: item.get("detail").cloned().unwrap_or(Value::Null),
        })
    }
}
