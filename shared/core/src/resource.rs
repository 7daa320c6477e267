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
    /// Listing order of top-level resources (a name through [`crate::validate::sort_text`]);
    /// the id is appended after a space.
    fn sort_key(&self) -> String {
        String::new()
    }
    /// The list filters this resource accepts as query parameters.
    const FILTERS: &'static [(&'static str, FilterKind)] = &[];
    /// Builds the list filter from the filter parameters given (each one of [`Self::FILTERS`]).
    /// The default accepts one parameter at a time.
    fn filter(params: &[(&str, &str)]) -> DomainResult<Filter> {
        default_filter::<Self>(params)
    }

    /// Fields the server maintains (e.g. a stock quantity changed only by stock movements):
    /// rejected in request bodies, kept as they are by updates.
    const SERVER_FIELDS: &'static [&'static str] = &[];
    /// Kinds of sub-resources that are records to keep: while any exists, the resource can't be
    /// deleted (409). Other sub-resources are deleted with it.
    const PROTECTED_CHILDREN: &'static [&'static str] = &[];

    /// Other resources this one refers to; each must exist when written, and can't be deleted
    /// while referred to.
    fn references(&self) -> Vec<Reference> {
        Vec::new()
    }
    /// Rules about becoming `self`: from `before` on update, from nothing on create (allowed
    /// status transitions).
    fn check_change(&self, _before: Option<&Self>) -> Vec<FieldError> {
        Vec::new()
    }
    /// Why this resource can't be deleted now, if it can't (an occupied bed): a 409.
    fn undeletable(&self) -> Option<String> {
        None
    }
    /// The item's entry in the second index (`gsi2pk`, `gsi2sk`), for filtered lists.
    fn index2(&self, _id: &str) -> Option<(String, String)> {
        None
    }
    /// Counters this resource adds one to while it exists (the bed board's counts per sector
    /// and status), kept in the same transaction as the resource.
    fn tallies(&self) -> Vec<Tally> {
        Vec::new()
    }
}

/// How a list query parameter narrows the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterKind {
    /// Prefix of the listing order, through [`crate::validate::sort_text`] (`?name=ma`).
    SortPrefix,
    /// Exact match on the unique document number of this name (CPF, ANS registration); its
    /// punctuation is ignored as the resources ignore it (`?cpf=529.982.247-25`).
    Unique(&'static str),
    /// Handled by the resource's own [`Resource::filter`] (an index-2 query); the text
    /// describes it in the API document.
    Custom(&'static str),
}

/// A reference from a resource's field to another resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The referring field, as named in errors (`specialty_ids[1]`).
    pub field: String,
    pub kind: &'static str,
    pub id: String,
}

/// A counter item a resource contributes one to; `labels` are stored with the count.
#[derive(Debug, Clone, PartialEq)]
pub struct Tally {
    pub key: Key,
    pub labels: Item,
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
/// The attribute naming what an item is (`patient`, `unique`, `tally`, …); not `kind`, which
/// several entities use as a field of their own.
pub const ENTITY: &str = "entity";
const KEY_ATTRS: [&str; 7] = ["pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", ENTITY];

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

pub(crate) fn parent_key(parent: &str, parent_id: &str) -> Key {
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

    pub(crate) fn to_item(&self) -> Item {
        let Value::Object(mut item) = self.to_json() else {
            unreachable!("to_json always builds an object")
        };
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

    pub(crate) fn from_item(mut item: Item) -> DomainResult<Self> {
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
    /// A partition of the second index, optionally narrowed by sort key.
    Index2 {
        pk: String,
        sk: SkRange,
    },
}

/// The filter of [`Resource::FILTERS`] for one given parameter.
pub fn default_filter<R: Resource>(params: &[(&str, &str)]) -> DomainResult<Filter> {
    let Some(((name, value), rest)) = params.split_first() else {
        return Ok(Filter::All);
    };
    if let Some((other, _)) = rest.first() {
        return Err(DomainError::bad_request(*other, "use one filter at a time"));
    }
    match R::FILTERS.iter().find(|(p, _)| p == name).map(|(_, k)| *k) {
        Some(FilterKind::SortPrefix) => Ok(Filter::SortPrefix(crate::validate::sort_text(value))),
        Some(FilterKind::Unique(field)) => Ok(Filter::Unique(Unique {
            field,
            value: crate::validate::digits_only(value.trim()),
        })),
        _ => Err(DomainError::bad_request(*name, "unsupported filter")),
    }
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

/// Attempts of a write that lost a race on a counter or (without `If-Match`) on the item
/// itself, before answering 409. Each attempt re-reads, so only contention costs attempts.
pub const ATTEMPTS: usize = 64;

/// Most deletable sub-resources a parent may hold, so that deleting it fits one transaction.
pub const MAX_CHILDREN: usize = 80;

/// Sort key of a resource's reference counter, in its own partition.
const REFS: &str = "refs";

/// What repositories need: the store and the calendar.
#[derive(Clone)]
pub struct Deps {
    pub store: Arc<dyn Store>,
    pub calendar: Calendar,
}

/// What a write of a transaction stands for, to explain its failure.
#[derive(Debug, Clone)]
enum Blame {
    /// The resource's own item: lost a race (retry, or 412 under If-Match).
    Item,
    Unique(Unique),
    Parent,
    /// A counter moved under us: retry.
    Busy,
}

/// A transaction being assembled, each write with its blame.
#[derive(Default)]
struct Plan {
    writes: Vec<Write>,
    blame: Vec<Blame>,
}

impl Plan {
    fn push(&mut self, write: Write, blame: Blame) {
        self.writes.push(write);
        self.blame.push(blame);
    }
}

/// What a missing counter means.
enum Missing<'a> {
    /// A tally not counted yet: create it.
    Create(&'a Item),
    /// The referenced resource is gone: a 422 on the referring field.
    Fail(&'a Reference),
    Skip,
}

enum Outcome {
    Done,
    Retry,
}

fn obj(pairs: impl IntoIterator<Item = (&'static str, Value)>) -> Item {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn key_item(key: &Key) -> Item {
    obj([("pk", key.pk.clone().into()), ("sk", key.sk.clone().into())])
}

fn refs_key(kind: &str, id: &str) -> Key {
    Key::new(format!("{kind}#{id}"), REFS)
}

fn marker_key<R: Resource>(target: &Reference, id: &str) -> Key {
    Key::new(
        format!("{}#{}", target.kind, target.id),
        format!("ref#{}#{id}", R::KIND),
    )
}

/// References deduplicated by target: a resource counts once per target.
fn distinct(refs: Vec<Reference>) -> Vec<Reference> {
    let mut out: Vec<Reference> = Vec::new();
    for r in refs {
        if !out.iter().any(|o| o.kind == r.kind && o.id == r.id) {
            out.push(r);
        }
    }
    out
}

fn minus(a: &[Reference], b: &[Reference]) -> Vec<Reference> {
    a.iter()
        .filter(|r| !b.iter().any(|o| o.kind == r.kind && o.id == r.id))
        .cloned()
        .collect()
}

fn count_of(item: &Item) -> i64 {
    item.get("count").and_then(Value::as_i64).unwrap_or(0)
}

fn version_of(item: &Item) -> u64 {
    item.get("version").and_then(Value::as_u64).unwrap_or(0)
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

/// Rejects request fields the client may not set: metadata, the parent's id, server fields.
pub fn reject_read_only<R: Resource>(body: &Value) -> DomainResult<()> {
    let Some(map) = body.as_object() else {
        return Err(DomainError::invalid("", "the body must be a JSON object"));
    };
    let parent = parent_field::<R>();
    let mut errors = Vec::new();
    for k in map.keys() {
        if META.contains(&k.as_str()) || Some(k.as_str()) == parent.as_deref() {
            errors.push(FieldError::new(k.clone(), "is read-only"));
        } else if R::SERVER_FIELDS.contains(&k.as_str()) {
            errors.push(FieldError::new(k.clone(), "is maintained by the server"));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Validation(errors))
    }
}

impl<R: Resource> Repository<R> {
    pub fn new(deps: Deps) -> Self {
        Self {
            deps,
            _r: PhantomData,
        }
    }

    pub fn deps(&self) -> &Deps {
        &self.deps
    }

    fn prepare(&self, data: &mut R, before: Option<&R>) -> DomainResult<()> {
        data.normalize();
        let mut errors = match data.validate() {
            Ok(()) => Vec::new(),
            Err(e) => field_errors(&e),
        };
        errors.extend(data.check(&self.deps.calendar));
        errors.extend(data.check_change(before));
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

    /// Creates from a JSON body: read-only fields rejected, then decoded and validated.
    pub async fn create_json(
        &self,
        parent_id: Option<&str>,
        body: Value,
    ) -> DomainResult<Record<R>> {
        reject_read_only::<R>(&body)?;
        let data: R = crate::json::decode(body).map_err(|e| DomainError::Validation(vec![e]))?;
        self.create(parent_id, data).await
    }

    pub async fn create(&self, parent_id: Option<&str>, mut data: R) -> DomainResult<Record<R>> {
        let parent_id = self.parent_ids(parent_id)?;
        self.prepare(&mut data, None)?;
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
        for _ in 0..ATTEMPTS {
            let mut plan = Plan::default();
            plan.push(
                Write::put_if(record.to_item(), Condition::NotExists),
                Blame::Item,
            );
            for u in record.data.uniques() {
                plan.push(self.unique_put(&u, &record.id), Blame::Unique(u));
            }
            if let (Some(parent), Some(pid)) = (R::PARENT, parent_id) {
                plan.push(
                    Write::check(parent_key(parent, pid), Condition::Exists),
                    Blame::Parent,
                );
            }
            if R::PARENT.is_none() {
                let mut counter = key_item(&refs_key(R::KIND, &record.id));
                counter.insert("count".into(), 0.into());
                counter.insert("version".into(), 1.into());
                plan.push(Write::put_if(counter, Condition::NotExists), Blame::Item);
            }
            self.plan_references(
                &mut plan,
                &record.id,
                &distinct(record.data.references()),
                &[],
            )
            .await?;
            self.plan_tallies(&mut plan, &record.data.tallies(), &[])
                .await?;
            match self.run(plan, None, parent_id, &record.id).await? {
                Outcome::Done => return Ok(record),
                Outcome::Retry => continue,
            }
        }
        Err(self.busy())
    }

    fn busy(&self) -> DomainError {
        DomainError::Conflict {
            field: None,
            message: format!("the {} is being changed by others; retry", R::KIND),
        }
    }

    fn unique_put(&self, u: &Unique, owner: &str) -> Write {
        let mut item = key_item(&unique_key::<R>(u));
        item.insert(ENTITY.into(), "unique".into());
        item.insert("owner".into(), owner.into());
        Write::put_if(item, Condition::NotExists)
    }

    /// Adds `delta` to a counter item in the plan, conditional on the version read.
    /// A missing counter is created (tallies) or means the referenced resource is gone.
    async fn plan_counter(
        &self,
        plan: &mut Plan,
        key: Key,
        delta: i64,
        missing: Missing<'_>,
    ) -> DomainResult<()> {
        match self.deps.store.get(&key).await? {
            Some(current) => {
                let mut next = current.clone();
                next.insert("count".into(), (count_of(&current) + delta).into());
                next.insert("version".into(), (version_of(&current) + 1).into());
                plan.push(
                    Write::put_if(next, Condition::VersionIs(version_of(&current))),
                    Blame::Busy,
                );
            }
            None => match missing {
                Missing::Fail(r) => {
                    return Err(DomainError::invalid(
                        r.field.clone(),
                        format!("no {} with id {}", r.kind, r.id),
                    ));
                }
                Missing::Skip => {}
                Missing::Create(labels) => {
                    let mut item = key_item(&key);
                    item.extend(labels.clone());
                    item.insert(ENTITY.into(), "tally".into());
                    item.insert("count".into(), delta.into());
                    item.insert("version".into(), 1.into());
                    plan.push(Write::put_if(item, Condition::NotExists), Blame::Busy);
                }
            },
        }
        Ok(())
    }

    /// Counts `added` references in and `removed` ones out, with their markers.
    async fn plan_references(
        &self,
        plan: &mut Plan,
        id: &str,
        added: &[Reference],
        removed: &[Reference],
    ) -> DomainResult<()> {
        for r in added {
            if !ids::is_id(&r.id) {
                return Err(DomainError::invalid(
                    r.field.clone(),
                    format!("must be a {} id (ULID)", r.kind),
                ));
            }
            self.plan_counter(plan, refs_key(r.kind, &r.id), 1, Missing::Fail(r))
                .await?;
            let mut marker = key_item(&marker_key::<R>(r, id));
            marker.insert(ENTITY.into(), "ref".into());
            marker.insert("referrer_kind".into(), R::KIND.into());
            marker.insert("referrer_id".into(), id.into());
            plan.push(Write::put(marker), Blame::Busy);
        }
        for r in removed {
            self.plan_counter(plan, refs_key(r.kind, &r.id), -1, Missing::Skip)
                .await?;
            plan.push(Write::delete(marker_key::<R>(r, id)), Blame::Busy);
        }
        Ok(())
    }

    async fn plan_tallies(
        &self,
        plan: &mut Plan,
        added: &[Tally],
        removed: &[Tally],
    ) -> DomainResult<()> {
        for t in added.iter().filter(|t| !removed.contains(t)) {
            self.plan_counter(plan, t.key.clone(), 1, Missing::Create(&t.labels))
                .await?;
        }
        for t in removed.iter().filter(|t| !added.contains(t)) {
            self.plan_counter(plan, t.key.clone(), -1, Missing::Skip)
                .await?;
        }
        Ok(())
    }

    /// Commits a plan; explains a failed condition by the blame of the write that failed.
    async fn run(
        &self,
        plan: Plan,
        if_match: Option<u64>,
        parent_id: Option<&str>,
        id: &str,
    ) -> DomainResult<Outcome> {
        match self.deps.store.transact(plan.writes).await {
            Ok(()) => Ok(Outcome::Done),
            Err(StoreError::ConditionFailed { index }) => {
                match index.and_then(|i| plan.blame.get(i)) {
                    Some(Blame::Unique(u)) => Err(DomainError::conflict(
                        u.field,
                        format!("another {} already has this {}", R::KIND, u.field),
                    )),
                    Some(Blame::Parent) => Err(DomainError::NotFound {
                        kind: R::PARENT.unwrap_or_default(),
                        id: parent_id.unwrap_or_default().to_string(),
                    }),
                    Some(Blame::Item) if if_match.is_some() => {
                        let now = self.get(parent_id, id).await?;
                        Err(DomainError::PreconditionFailed {
                            kind: R::KIND,
                            current: now.version,
                        })
                    }
                    // A counter or the item moved, or the backend did not say which write
                    // failed: read again and retry.
                    _ => Ok(Outcome::Retry),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The stored resource, provided it is at the version `If-Match` names (412 otherwise).
    async fn current(
        &self,
        parent_id: Option<&str>,
        id: &str,
        if_match: Option<u64>,
    ) -> DomainResult<Record<R>> {
        let current = self.get(parent_id, id).await?;
        match if_match {
            Some(v) if v != current.version => Err(DomainError::PreconditionFailed {
                kind: R::KIND,
                current: current.version,
            }),
            _ => Ok(current),
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

    /// Runs a query of this resource's items with paging; `limit` and `cursor` as given by
    /// the caller.
    pub async fn page(
        &self,
        query: Query,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> DomainResult<(Vec<Item>, Option<String>)> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(DomainError::bad_request(
                "limit",
                format!("limit must be between 1 and {MAX_LIMIT}"),
            ));
        }
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
        Ok((items, next_cursor))
    }

    pub async fn list(
        &self,
        parent_id: Option<&str>,
        filter: Filter,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> DomainResult<Page<R>> {
        let parent_id = self.parent_ids(parent_id)?;
        let query = match (filter, R::PARENT, parent_id) {
            (Filter::Unique(u), _, _) => return self.find_unique(&u, parent_id).await,
            (_, Some(parent), Some(pid)) => {
                self.require_parent(parent, pid).await?;
                Query::table(format!("{parent}#{pid}"))
                    .sk(SkRange::BeginsWith(format!("{}#", R::KIND)))
            }
            (Filter::SortPrefix(prefix), _, _) => {
                Query::index(Index::Gsi1, R::KIND).sk(SkRange::BeginsWith(prefix))
            }
            (Filter::Index2 { pk, sk }, _, _) => Query::index(Index::Gsi2, pk).sk(sk),
            _ => Query::index(Index::Gsi1, R::KIND),
        };
        let (items, next_cursor) = self.page(query, limit, cursor).await?;
        let items = items
            .into_iter()
            .map(Record::from_item)
            .collect::<DomainResult<Vec<_>>>()?;
        Ok(Page { items, next_cursor })
    }

    async fn require_parent(&self, parent: &'static str, pid: &str) -> DomainResult<()> {
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
        Ok(())
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

    /// The ids of the resources of `kind` that refer to resource `id`, paged.
    pub async fn referrers(
        &self,
        id: &str,
        kind: &str,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> DomainResult<(Vec<String>, Option<String>)> {
        self.get(None, id).await?;
        let query = Query::table(format!("{}#{id}", R::KIND))
            .sk(SkRange::BeginsWith(format!("ref#{kind}#")));
        let (items, next) = self.page(query, limit, cursor).await?;
        let ids = items
            .iter()
            .filter_map(|i| {
                i.get("referrer_id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .collect();
        Ok((ids, next))
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
        if !patch.is_object() {
            return Err(DomainError::invalid(
                "",
                "a merge patch must be a JSON object",
            ));
        }
        reject_read_only::<R>(patch)?;
        let parent_id = self.parent_ids(parent_id)?;
        for _ in 0..ATTEMPTS {
            let current = self.current(parent_id, id, if_match).await?;
            let mut doc = serde_json::to_value(&current.data)
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            json_patch::merge(&mut doc, patch);
            let mut data: R =
                crate::json::decode(doc).map_err(|e| DomainError::Validation(vec![e]))?;
            self.prepare(&mut data, Some(&current.data))?;
            let record = Record {
                version: current.version + 1,
                updated_at: self.deps.calendar.now(),
                data,
                ..current.clone()
            };
            let mut plan = Plan::default();
            plan.push(
                Write::put_if(record.to_item(), Condition::VersionIs(current.version)),
                Blame::Item,
            );
            let (old, new) = (current.data.uniques(), record.data.uniques());
            for u in new.iter().filter(|u| !old.contains(u)) {
                plan.push(self.unique_put(u, &record.id), Blame::Unique(u.clone()));
            }
            for u in old.iter().filter(|u| !new.contains(u)) {
                plan.push(Write::delete(unique_key::<R>(u)), Blame::Busy);
            }
            let (old, new) = (
                distinct(current.data.references()),
                distinct(record.data.references()),
            );
            self.plan_references(
                &mut plan,
                &record.id,
                &minus(&new, &old),
                &minus(&old, &new),
            )
            .await?;
            self.plan_tallies(&mut plan, &record.data.tallies(), &current.data.tallies())
                .await?;
            match self.run(plan, if_match, parent_id, id).await? {
                Outcome::Done => return Ok(record),
                Outcome::Retry => continue,
            }
        }
        Err(self.busy())
    }

    /// Deletes the resource, its unique markers and its deletable sub-resources. Refused (409)
    /// while other resources refer to it or it holds protected records.
    pub async fn delete(
        &self,
        parent_id: Option<&str>,
        id: &str,
        if_match: Option<u64>,
    ) -> DomainResult<()> {
        let parent_id = self.parent_ids(parent_id)?;
        for _ in 0..ATTEMPTS {
            let current = self.current(parent_id, id, if_match).await?;
            if let Some(message) = current.data.undeletable() {
                return Err(DomainError::Conflict {
                    field: None,
                    message,
                });
            }
            let key = item_key::<R>(parent_id, id);
            let mut plan = Plan::default();
            plan.push(
                Write::delete_if(key.clone(), Condition::VersionIs(current.version)),
                Blame::Item,
            );
            for u in current.data.uniques() {
                plan.push(Write::delete(unique_key::<R>(&u)), Blame::Busy);
            }
            if R::PARENT.is_none() {
                self.refuse_if_kept(id).await?;
                let counter_key = refs_key(R::KIND, id);
                if let Some(counter) = self.deps.store.get(&counter_key).await? {
                    if count_of(&counter) > 0 {
                        return Err(self.still_referenced(id).await?);
                    }
                    plan.push(
                        Write::delete_if(
                            counter_key.clone(),
                            Condition::VersionIs(version_of(&counter)),
                        ),
                        Blame::Busy,
                    );
                }
                for child in self.children(&key).await? {
                    plan.push(Write::delete(child), Blame::Busy);
                }
            }
            self.plan_references(&mut plan, id, &[], &distinct(current.data.references()))
                .await?;
            self.plan_tallies(&mut plan, &[], &current.data.tallies())
                .await?;
            match self.run(plan, if_match, parent_id, id).await? {
                Outcome::Done => return Ok(()),
                Outcome::Retry => continue,
            }
        }
        Err(self.busy())
    }

    async fn refuse_if_kept(&self, id: &str) -> DomainResult<()> {
        for child in R::PROTECTED_CHILDREN {
            let page = self
                .deps
                .store
                .query(
                    &Query::table(format!("{}#{id}", R::KIND))
                        .sk(SkRange::BeginsWith(format!("{child}#")))
                        .limit(1),
                )
                .await?;
            if !page.items.is_empty() {
                return Err(DomainError::Conflict {
                    field: None,
                    message: format!(
                        "the {} has {} records, which are kept; it cannot be deleted",
                        R::KIND,
                        child.replace('_', " ")
                    ),
                });
            }
        }
        Ok(())
    }

    /// The 409 for a resource still referred to, naming up to five referrers.
    async fn still_referenced(&self, id: &str) -> DomainResult<DomainError> {
        let page = self
            .deps
            .store
            .query(
                &Query::table(format!("{}#{id}", R::KIND))
                    .sk(SkRange::BeginsWith("ref#".into()))
                    .limit(5),
            )
            .await?;
        let names: Vec<String> = page
            .items
            .iter()
            .filter_map(|i| {
                Some(format!(
                    "{} {}",
                    i.get("referrer_kind")?.as_str()?,
                    i.get("referrer_id")?.as_str()?
                ))
            })
            .collect();
        Ok(DomainError::Conflict {
            field: None,
            message: format!(
                "the {} is still referred to by {}{}",
                R::KIND,
                names.join(", "),
                if page.last_key.is_some() {
                    " and others"
                } else {
                    ""
                }
            ),
        })
    }

    /// Deletable items in the resource's partition (its sub-resources), but not the item,
    /// its reference counter or reference markers.
    async fn children(&self, key: &Key) -> DomainResult<Vec<Key>> {
        let page = self
            .deps
            .store
            .query(&Query::table(key.pk.clone()).limit(MAX_CHILDREN + 5))
            .await?;
        let keys: Vec<Key> = page
            .items
            .iter()
            .filter_map(Key::of)
            .filter(|k| k.sk != key.sk && k.sk != REFS && !k.sk.starts_with("ref#"))
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
