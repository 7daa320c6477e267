//! Generic resource machinery, written once: every registry entity (patients, their addresses,
//! and the registries that follow) is a [`Resource`], and [`Repository`] gives it create / get /
//! list / merge-patch / delete over the storage port with the invariants DESIGN §3 asks for:
//! every write conditional, uniqueness enforced by unique-marker items in the same transaction,
//! optimistic concurrency on `version`.
//!
//! Key design (single table):
//! - top-level item: `pk = "<kind>#<id>"`, `sk = "<kind>"`; listed through gsi1
//!   (`gsi1pk = "<kind>"`, `gsi1sk = "<sort key>#<id>"`);
//! - sub-resource item: in its parent's partition, `pk = "<parent>#<parent_id>"`,
//!   `sk = "<kind>#<id>"`, listed by a query on that partition;
//! - unique marker: `pk = "unique#<kind>#<field>#<value>"`, `sk = "unique"`, `owner = <id>`.

use crate::cursor;
use crate::error::{DomainError, DomainResult, FieldError};
use crate::ids;
use crate::store::{Condition, Index, Item, Key, Query, SkRange, Store, StoreError, Write};
use crate::time::Calendar;
use crate::validate::field_errors;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::marker::PhantomData;
use std::sync::Arc;
use validator::Validate;

/// A value that must be unique among the resources of one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unique {
    pub field: &'static str,
    pub value: String,
}

/// An entity managed by the generic machinery. The struct holds the writable fields only;
/// `id`, `version`, `created_at` and `updated_at` live in [`Record`].
pub trait Resource:
    Serialize + DeserializeOwned + Validate + Clone + Send + Sync + 'static
{
    /// Singular name used in keys and messages (`patient`).
    const KIND: &'static str;
    /// For a sub-resource, the kind of its parent (`address` → `patient`).
    const PARENT: Option<&'static str> = None;

    /// Canonical forms before validation (trimmed text, digits-only document numbers).
    fn normalize(&mut self) {}
    /// Rules beyond single-field formats (dates relative to today, cross-field rules).
    fn check(&self, _calendar: &Calendar) -> Vec<FieldError> {
        Vec::new()
    }
    /// Values that must be unique among resources of this kind.
    fn uniques(&self) -> Vec<Unique> {
        Vec::new()
    }
    /// Listing order of top-level resources (e.g. the folded name); the id is appended.
    fn sort_key(&self) -> String {
        String::new()
    }
    /// Canonical form of a unique value given as a list filter (`?cpf=529.982.247-25`).
    fn normalize_unique(_field: &str, value: &str) -> String {
        value.trim().to_string()
    }
    /// The list filters this resource accepts as query parameters.
    const FILTERS: &'static [(&'static str, FilterKind)] = &[];
}

/// How a list query parameter narrows the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterKind {
    /// Prefix of the listing order, folded like [`Resource::sort_key`] (`?name=ma`).
    SortPrefix,
    /// Exact match on the unique field of this name, normalized like the resource normalizes it.
    Unique(&'static str),
}

/// A stored resource: its data plus the metadata every resource carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Record<R> {
    pub id: String,
    pub parent_id: Option<String>,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub data: R,
}

const META: [&str; 4] = ["id", "version", "created_at", "updated_at"];
const KEY_ATTRS: [&str; 7] = ["pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "kind"];

fn parent_field<R: Resource>() -> Option<String> {
    R::PARENT.map(|p| format!("{p}_id"))
}

/// The key of a top-level resource's item, or of a sub-resource's item in its parent partition.
pub fn item_key<R: Resource>(parent_id: Option<&str>, id: &str) -> Key {
    match (R::PARENT, parent_id) {
        (Some(parent), Some(pid)) => {
            Key::new(format!("{parent}#{pid}"), format!("{}#{id}", R::KIND))
        }
        _ => Key::new(format!("{}#{id}", R::KIND), R::KIND),
    }
}

fn parent_key(parent: &str, parent_id: &str) -> Key {
    Key::new(format!("{parent}#{parent_id}"), parent)
}

fn unique_key<R: Resource>(u: &Unique) -> Key {
    Key::new(
        format!("unique#{}#{}#{}", R::KIND, u.field, u.value),
        "unique",
    )
}

impl<R: Resource> Record<R> {
    /// The public JSON form: metadata, the parent's id (`patient_id`) and the data fields.
    pub fn to_json(&self) -> Value {
        let mut map = match serde_json::to_value(&self.data) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        let mut out = Map::new();
        out.insert("id".into(), Value::from(self.id.clone()));
        if let (Some(field), Some(pid)) = (parent_field::<R>(), &self.parent_id) {
            out.insert(field, Value::from(pid.clone()));
        }
        out.insert("version".into(), Value::from(self.version));
        out.insert("created_at".into(), Value::from(rfc3339(self.created_at)));
        out.insert("updated_at".into(), Value::from(rfc3339(self.updated_at)));
        out.append(&mut map);
        Value::Object(out)
    }

    fn to_item(&self) -> Item {
        let Value::Object(mut item) = self.to_json() else {
            unreachable!("to_json always builds an object")
        };
        let key = item_key::<R>(self.parent_id.as_deref(), &self.id);
        item.insert("pk".into(), key.pk.into());
        item.insert("sk".into(), key.sk.into());
        item.insert("kind".into(), R::KIND.into());
        if R::PARENT.is_none() {
            item.insert("gsi1pk".into(), R::KIND.into());
            item.insert(
                "gsi1sk".into(),
                format!("{}#{}", self.data.sort_key(), self.id).into(),
            );
        }
        item
    }

    fn from_item(mut item: Item) -> DomainResult<Self> {
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

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// How a list is narrowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    All,
    /// Sort keys starting with this (already folded) prefix.
    SortPrefix(String),
    /// The one resource holding this unique value, if any.
    Unique(Unique),
}

/// A page of records and the cursor of the next page.
#[derive(Debug, Clone)]
pub struct Page<R> {
    pub items: Vec<Record<R>>,
    pub next_cursor: Option<String>,
}

/// Paging limits of DESIGN §4.
pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 200;

/// Attempts of a merge-patch without `If-Match` before giving up on a busy item.
const UPDATE_ATTEMPTS: usize = 5;

/// Most sub-resource items a parent may hold, so that deleting it fits one transaction.
pub const MAX_CHILDREN: usize = 90;

/// What repositories need: the store and the calendar.
#[derive(Clone)]
pub struct Deps {
    pub store: Arc<dyn Store>,
    pub calendar: Calendar,
}

/// Create / read / list / patch / delete for one resource type, written once.
pub struct Repository<R> {
    deps: Deps,
    _r: PhantomData<fn() -> R>,
}

impl<R> Clone for Repository<R> {
    fn clone(&self) -> Self {
        Self {
            deps: self.deps.clone(),
            _r: PhantomData,
        }
    }
}

impl<R: Resource> Repository<R> {
    pub fn new(deps: Deps) -> Self {
        Self {
            deps,
            _r: PhantomData,
        }
    }

    fn prepare(&self, data: &mut R) -> DomainResult<()> {
        data.normalize();
        let mut errors = match data.validate() {
            Ok(()) => Vec::new(),
            Err(e) => field_errors(&e),
        };
        errors.extend(data.check(&self.deps.calendar));
        if errors.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Validation(errors))
        }
    }

    fn parent_ids<'a>(&self, parent_id: Option<&'a str>) -> DomainResult<Option<&'a str>> {
        match (R::PARENT, parent_id) {
            (None, _) => Ok(None),
            (Some(_), Some(pid)) if ids::is_id(pid) => Ok(Some(pid)),
            (Some(parent), pid) => Err(DomainError::NotFound {
                kind: parent,
                id: pid.unwrap_or_default().to_string(),
            }),
        }
    }

    pub async fn create(&self, parent_id: Option<&str>, mut data: R) -> DomainResult<Record<R>> {
        let parent_id = self.parent_ids(parent_id)?;
        self.prepare(&mut data)?;
        if let Some(pid) = parent_id
            && self.count_children(pid).await? >= MAX_CHILDREN
        {
            return Err(DomainError::Conflict {
                field: None,
                message: format!(
                    "a {} holds at most {MAX_CHILDREN} of these",
                    R::PARENT.unwrap_or_default()
                ),
            });
        }
        let now = self.deps.calendar.now();
        let record = Record {
            id: ids::new_id(),
            parent_id: parent_id.map(str::to_string),
            version: 1,
            created_at: now,
            updated_at: now,
            data,
        };
        let uniques = record.data.uniques();
        let mut writes = vec![Write::put_if(record.to_item(), Condition::NotExists)];
        writes.extend(uniques.iter().map(|u| self.unique_put(u, &record.id)));
        if let (Some(parent), Some(pid)) = (R::PARENT, parent_id) {
            writes.push(Write::check(parent_key(parent, pid), Condition::Exists));
        }
        match self.deps.store.transact(writes).await {
            Ok(()) => Ok(record),
            Err(StoreError::ConditionFailed { index }) => {
                Err(self.write_conflict(index, &uniques, parent_id))
            }
            Err(e) => Err(e.into()),
        }
    }

    fn unique_put(&self, u: &Unique, owner: &str) -> Write {
        let key = unique_key::<R>(u);
        let mut item = Item::new();
        item.insert("pk".into(), key.pk.into());
        item.insert("sk".into(), key.sk.into());
        item.insert("kind".into(), "unique".into());
        item.insert("owner".into(), owner.into());
        Write::put_if(item, Condition::NotExists)
    }

    /// Explains a failed create/update transaction laid out as: the item, its new unique
    /// markers, then (on create) the parent check.
    fn write_conflict(
        &self,
        index: Option<usize>,
        uniques: &[Unique],
        parent_id: Option<&str>,
    ) -> DomainError {
        match index {
            Some(i) if i >= 1 && i <= uniques.len() => {
                let u = &uniques[i - 1];
                DomainError::conflict(
                    u.field,
                    format!("another {} already has this {}", R::KIND, u.field),
                )
            }
            Some(i) if i == uniques.len() + 1 && parent_id.is_some() => DomainError::NotFound {
                kind: R::PARENT.unwrap_or_default(),
                id: parent_id.unwrap_or_default().to_string(),
            },
            _ => DomainError::Conflict {
                field: None,
                message: format!("the {} changed concurrently; retry", R::KIND),
            },
        }
    }

    pub async fn get(&self, parent_id: Option<&str>, id: &str) -> DomainResult<Record<R>> {
        let parent_id = self.parent_ids(parent_id)?;
        let not_found = || DomainError::NotFound {
            kind: R::KIND,
            id: id.to_string(),
        };
        if !ids::is_id(id) {
            return Err(not_found());
        }
        match self.deps.store.get(&item_key::<R>(parent_id, id)).await? {
            Some(item) => Record::from_item(item),
            None => Err(not_found()),
        }
    }

    pub async fn list(
        &self,
        parent_id: Option<&str>,
        filter: Filter,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> DomainResult<Page<R>> {
        let parent_id = self.parent_ids(parent_id)?;
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(DomainError::bad_request(
                "limit",
                format!("limit must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let query = match (&filter, R::PARENT, parent_id) {
            (Filter::Unique(u), _, _) => return self.find_unique(u, parent_id).await,
            (_, Some(parent), Some(pid)) => {
                if self
                    .deps
                    .store
                    .get(&parent_key(parent, pid))
                    .await?
                    .is_none()
                {
                    return Err(DomainError::NotFound {
                        kind: parent,
                        id: pid.to_string(),
                    });
                }
                Query::table(format!("{parent}#{pid}"))
                    .sk(SkRange::BeginsWith(format!("{}#", R::KIND)))
            }
            (Filter::SortPrefix(prefix), _, _) => {
                Query::index(Index::Gsi1, R::KIND).sk(SkRange::BeginsWith(prefix.clone()))
            }
            _ => Query::index(Index::Gsi1, R::KIND),
        };
        let start = cursor.map(|c| cursor::decode(c, &query)).transpose()?;
        // Ask for one more than the page so `next_cursor` is null exactly when nothing follows.
        let query = query.limit(limit + 1).start_after(start);
        let page = self.deps.store.query(&query).await?;
        let mut items = page.items;
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|last| cursor::encode(&query.key_of(last)))
        } else {
            // Fewer than asked yet not finished: the store skipped expired items; go on from
            // where it stopped.
            page.last_key.as_ref().map(cursor::encode)
        };
        let items = items
            .into_iter()
            .map(Record::from_item)
            .collect::<DomainResult<Vec<_>>>()?;
        Ok(Page { items, next_cursor })
    }

    async fn find_unique(&self, u: &Unique, parent_id: Option<&str>) -> DomainResult<Page<R>> {
        let owner = self
            .deps
            .store
            .get(&unique_key::<R>(u))
            .await?
            .and_then(|item| {
                item.get("owner")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            });
        let items = match owner {
            Some(id) => match self.get(parent_id, &id).await {
                Ok(r) => vec![r],
                Err(DomainError::NotFound { .. }) => Vec::new(),
                Err(e) => return Err(e),
            },
            None => Vec::new(),
        };
        Ok(Page {
            items,
            next_cursor: None,
        })
    }

    /// Applies a JSON Merge Patch (RFC 7396). With `if_match` the update happens only on that
    /// version (412 otherwise); without it a concurrent change is retried on fresh data.
    pub async fn update(
        &self,
        parent_id: Option<&str>,
        id: &str,
        patch: &Value,
        if_match: Option<u64>,
    ) -> DomainResult<Record<R>> {
        self.reject_read_only(patch)?;
        for _ in 0..UPDATE_ATTEMPTS {
            let current = self.get(parent_id, id).await?;
            if let Some(v) = if_match
                && v != current.version
            {
                return Err(DomainError::PreconditionFailed {
                    kind: R::KIND,
                    current: current.version,
                });
            }
            let mut doc = serde_json::to_value(&current.data)
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            json_patch::merge(&mut doc, patch);
            let mut data: R =
                crate::json::decode(doc).map_err(|e| DomainError::Validation(vec![e]))?;
            self.prepare(&mut data)?;
            let record = Record {
                version: current.version + 1,
                updated_at: self.deps.calendar.now(),
                data,
                ..current.clone()
            };
            let old = current.data.uniques();
            let new: Vec<Unique> = record
                .data
                .uniques()
                .into_iter()
                .filter(|u| !old.contains(u))
                .collect();
            let mut writes = vec![Write::put_if(
                record.to_item(),
                Condition::VersionIs(current.version),
            )];
            writes.extend(new.iter().map(|u| self.unique_put(u, &record.id)));
            writes.extend(
                old.iter()
                    .filter(|u| !record.data.uniques().contains(u))
                    .map(|u| Write::delete(unique_key::<R>(u))),
            );
            match self.deps.store.transact(writes).await {
                Ok(()) => return Ok(record),
                Err(StoreError::ConditionFailed { index: Some(0) }) if if_match.is_none() => {
                    continue;
                }
                Err(StoreError::ConditionFailed { index: Some(0) }) => {
                    let current = self.get(parent_id, id).await?;
                    return Err(DomainError::PreconditionFailed {
                        kind: R::KIND,
                        current: current.version,
                    });
                }
                Err(StoreError::ConditionFailed { index }) => {
                    return Err(self.write_conflict(index, &new, None));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(DomainError::Conflict {
            field: None,
            message: format!("the {} is being changed by others; retry", R::KIND),
        })
    }

    fn reject_read_only(&self, patch: &Value) -> DomainResult<()> {
        let Some(map) = patch.as_object() else {
            return Err(DomainError::invalid(
                "",
                "a merge patch must be a JSON object",
            ));
        };
        let parent = parent_field::<R>();
        let errors: Vec<FieldError> = map
            .keys()
            .filter(|k| META.contains(&k.as_str()) || Some(k.as_str()) == parent.as_deref())
            .map(|k| FieldError::new(k.clone(), "is read-only"))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Validation(errors))
        }
    }

    /// Deletes the resource, its unique markers and the sub-resources in its partition.
    pub async fn delete(
        &self,
        parent_id: Option<&str>,
        id: &str,
        if_match: Option<u64>,
    ) -> DomainResult<()> {
        let current = self.get(parent_id, id).await?;
        if let Some(v) = if_match
            && v != current.version
        {
            return Err(DomainError::PreconditionFailed {
                kind: R::KIND,
                current: current.version,
            });
        }
        let key = item_key::<R>(parent_id, id);
        let children = if R::PARENT.is_none() {
            self.children(&key).await?
        } else {
            Vec::new()
        };
        let mut writes = vec![Write::delete_if(
            key.clone(),
            Condition::VersionIs(current.version),
        )];
        writes.extend(
            current
                .data
                .uniques()
                .iter()
                .map(|u| Write::delete(unique_key::<R>(u))),
        );
        writes.extend(children.into_iter().map(Write::delete));
        match self.deps.store.transact(writes).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed { .. }) => {
                let now = self.get(parent_id, id).await?;
                return Err(DomainError::PreconditionFailed {
                    kind: R::KIND,
                    current: now.version,
                });
            }
            Err(e) => return Err(e.into()),
        }
        // A sub-resource created while the delete was in flight would be left behind, unseen
        // (its parent is gone); sweep once more so none lingers.
        if R::PARENT.is_none() {
            for child in self.children(&key).await? {
                self.deps.store.transact(vec![Write::delete(child)]).await?;
            }
        }
        Ok(())
    }

    async fn children(&self, key: &Key) -> DomainResult<Vec<Key>> {
        let page = self
            .deps
            .store
            .query(&Query::table(key.pk.clone()).limit(MAX_CHILDREN + 2))
            .await?;
        let keys: Vec<Key> = page
            .items
            .iter()
            .filter_map(Key::of)
            .filter(|k| k.sk != key.sk)
            .collect();
        if keys.len() > MAX_CHILDREN {
            return Err(DomainError::Conflict {
                field: None,
                message: format!(
                    "the {} has too many sub-resources to delete at once",
                    R::KIND
                ),
            });
        }
        Ok(keys)
    }

    /// Number of sub-resources of kind `R` under a parent; used to cap them (see MAX_CHILDREN).
    pub async fn count_children(&self, parent_id: &str) -> DomainResult<usize> {
        let Some(parent) = R::PARENT else {
            return Ok(0);
        };
        let page = self
            .deps
            .store
            .query(
                &Query::table(format!("{parent}#{parent_id}"))
                    .sk(SkRange::BeginsWith(format!("{}#", R::KIND)))
                    .limit(MAX_CHILDREN + 1),
            )
            .await?;
        Ok(page.items.len())
    }
}
