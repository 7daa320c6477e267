//! A transaction being assembled: the writes of one change (a resource, its markers, counters,
//! tallies, history and outbox events, and whatever other resources the use case changes with
//! it), each with what its failed condition would mean.

use super::keys::{ENTITY, item_key, marker_key, parent_key, refs_key, unique_key};
use super::{Record, Reference, Resource, Tally, Unique};
use crate::error::{DomainError, FieldError};
use crate::events::DomainEvent;
use crate::store::{Cmp, Condition, Item, Key, Store, StoreError, Update, Write};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// What a write stands for, to explain its failed condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Blame {
    /// The resource's own item moved since it was read (another write got there first):
    /// read again and retry, or answer 412 under `If-Match`.
    Item { kind: &'static str, id: String },
    /// A unique value is taken (409 naming the field).
    Unique {
        kind: &'static str,
        field: &'static str,
        message: Option<&'static str>,
    },
    /// The parent of a sub-resource is gone (404).
    Parent { kind: &'static str, id: String },
    /// A referenced resource does not exist (422 naming the referring field).
    Reference(Reference),
    /// A resource being deleted is still referred to (409).
    Referenced { kind: &'static str, id: String },
    /// A rule a use case guards with a condition (a bed that must be available, stock that
    /// must suffice): this error, as is.
    Rule(RuleError),
    /// Something read to plan the change moved: read again and retry.
    Moved,
    /// A consumer's record of an event it handled already exists: a repeated delivery.
    Duplicate,
}

/// The error a [`Blame::Rule`] stands for.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleError {
    /// 409
    Conflict {
        field: Option<String>,
        message: String,
    },
    /// 422
    Invalid { field: String, message: String },
}

impl RuleError {
    pub fn conflict(field: impl Into<String>, message: impl Into<String>) -> Self {
        RuleError::Conflict {
            field: Some(field.into()).filter(|f: &String| !f.is_empty()),
            message: message.into(),
        }
    }
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        RuleError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<RuleError> for DomainError {
    fn from(e: RuleError) -> Self {
        match e {
            RuleError::Conflict { field, message } => DomainError::Conflict { field, message },
            RuleError::Invalid { field, message } => {
                DomainError::Validation(vec![FieldError::new(field, message)])
            }
        }
    }
}

impl Blame {
    /// The caller-facing error of a failed write, for blames that have one on their own
    /// (`Item`, `Referenced` and `Moved` need the caller's context: `None`).
    pub fn error(&self) -> Option<DomainError> {
        match self {
            Blame::Unique {
                kind,
                field,
                message,
            } => Some(DomainError::conflict(
                *field,
                message
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("another {kind} already has this {field}")),
            )),
            Blame::Parent { kind, id } => Some(DomainError::NotFound {
                kind,
                id: id.clone(),
            }),
            Blame::Reference(r) => Some(DomainError::invalid(
                r.field.clone(),
                format!("no {} with id {}", r.kind, r.id),
            )),
            Blame::Rule(rule) => Some(rule.clone().into()),
            Blame::Item { .. } | Blame::Referenced { .. } | Blame::Moved | Blame::Duplicate => None,
        }
    }
}

/// Why a transaction did not commit.
#[derive(Debug)]
pub enum TxError {
    /// The write with this blame failed its condition.
    Failed(Blame),
    /// A condition failed and the store did not say which.
    Unexplained,
    Store(StoreError),
}

impl TxError {
    /// Whether reading again and retrying may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            TxError::Failed(Blame::Moved | Blame::Item { .. }) | TxError::Unexplained
        )
    }
}

/// One change of a resource as its [`Resource::on_change`] sees it: before and after
/// (`None` before a create, after a delete).
pub struct Change<'a, R> {
    pub before: Option<&'a Record<R>>,
    pub after: Option<&'a Record<R>>,
    /// When the change happens (the hospital clock).
    pub now: DateTime<Utc>,
}

impl<R> Change<'_, R> {
    /// The record after the change, or before a delete.
    pub fn current(&self) -> Option<&Record<R>> {
        self.after.or(self.before)
    }
}

pub struct Tx {
    writes: Vec<Write>,
    blame: Vec<Blame>,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
    /// Real time in epoch seconds, for TTLs (the hospital clock may be a scenario's).
    wall_secs: i64,
}

/// How long an outbox record is kept after its change (the relay publishes it within seconds;
/// the rest is room for an outage).
pub const OUTBOX_KEEP_SECS: i64 = 30 * 24 * 3600;

impl Tx {
    /// A transaction stamped with the calendar's now.
    pub fn new(calendar: &crate::time::Calendar) -> Self {
        Tx {
            writes: Vec::new(),
            blame: Vec::new(),
            now: calendar.now(),
            tz: calendar.tz(),
            wall_secs: calendar.wall_secs(),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// The hospital's time zone.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.tz
    }

    /// The hospital's date at this transaction's now.
    pub fn today(&self) -> chrono::NaiveDate {
        self.now.with_timezone(&self.tz).date_naive()
    }

    pub fn len(&self) -> usize {
        self.writes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    /// Adds a write. A transaction may touch an item once, so a write to an item this one
    /// already touches is merged into the first: two updates into one (their adds summed), a
    /// check into the write it checks — in each case with every condition required. (Two
    /// admissions' effects on one tally; a stock movement's parent check on the medication the
    /// same transaction updates.)
    pub fn push(&mut self, write: Write, blame: Blame) {
        let Some(key) = write.key() else {
            self.writes.push(write);
            self.blame.push(blame);
            return;
        };
        let Some(i) = self
            .writes
            .iter()
            .position(|w| w.key().as_ref() == Some(&key))
        else {
            self.writes.push(write);
            self.blame.push(blame);
            return;
        };
        let first = std::mem::replace(
            &mut self.writes[i],
            Write::check(key.clone(), Condition::Exists),
        );
        let merged = match (first, write) {
            (
                Write::Update {
                    key,
                    update: mut a,
                    condition: ca,
                },
                Write::Update {
                    update: b,
                    condition: cb,
                    ..
                },
            ) => {
                for (k, v) in b.set {
                    a.set.insert(k, v);
                }
                for (k, d) in b.add {
                    match a.add.iter_mut().find(|(x, _)| *x == k) {
                        Some((_, total)) => *total += d,
                        None => a.add.push((k, d)),
                    }
                }
                for k in b.remove {
                    if !a.remove.contains(&k) {
                        a.remove.push(k);
                    }
                }
                Write::Update {
                    key,
                    update: a,
                    condition: both(ca, cb),
                }
            }
            (Write::Check { condition, .. }, other) | (other, Write::Check { condition, .. }) => {
                if matches!(other, Write::Check { .. }) {
                    // Two checks: keep the second's blame, require both.
                    self.blame[i] = blame;
                }
                with_condition(other, Some(condition))
            }
            (first, second) => {
                // Not mergeable: keep both, and let the store refuse the transaction as the
                // bug it is.
                self.writes[i] = first;
                self.writes.push(second);
                self.blame.push(blame);
                return;
            }
        };
        self.writes[i] = merged;
    }

    /// Writes a new resource with its unique markers, reference counts, tallies and whatever
    /// its [`Resource::on_change`] adds.
    pub fn create<R: Resource>(&mut self, record: &Record<R>) {
        self.push(
            Write::put_if(record.to_item(), Condition::NotExists),
            item_blame(record),
        );
        for u in record.data.uniques() {
            self.claim_unique::<R>(&u, &record.id);
        }
        if let (Some(parent), Some(pid)) = (R::PARENT, record.parent_id.as_deref()) {
            self.push(
                Write::check(parent_key(parent, pid), Condition::Exists),
                Blame::Parent {
                    kind: parent,
                    id: pid.to_string(),
                },
            );
        }
        if R::PARENT.is_none() {
            let mut counter = key_item(&refs_key(R::KIND, &record.id));
            counter.insert(ENTITY.into(), "refs".into());
            counter.insert("count".into(), 0.into());
            self.push(Write::put_if(counter, Condition::NotExists), Blame::Moved);
        }
        self.references::<R>(&record.id, &distinct(record.data.references()), &[]);
        self.tallies(&record.data.tallies(), &[]);
        self.counts(&[], &record.data.counts(self.tz));
        self.views(None, Some(record));
        R::on_change(
            &Change {
                before: None,
                after: Some(record),
                now: self.now,
            },
            self,
        );
    }

    /// Writes the record's copies under its views, and removes those it no longer has.
    fn views<R: Resource>(&mut self, before: Option<&Record<R>>, after: Option<&Record<R>>) {
        let old = before.map(|r| r.data.views(&r.id)).unwrap_or_default();
        let new = after.map(|r| r.data.views(&r.id)).unwrap_or_default();
        for v in old.iter().filter(|v| !new.contains(v)) {
            self.push(
                Write::delete(Key::new(v.pk.clone(), v.sk.clone())),
                Blame::Moved,
            );
        }
        if let Some(record) = after
            && !new.is_empty()
        {
            let Value::Object(json) = record.to_json() else {
                return;
            };
            for v in new {
                let mut item = json.clone();
                item.insert("pk".into(), v.pk.into());
                item.insert("sk".into(), v.sk.into());
                item.insert(ENTITY.into(), format!("{}_view", R::KIND).into());
                self.push(Write::put(item), Blame::Moved);
            }
        }
    }

    /// Writes the next version of a resource, conditional on the version it was read at, with
    /// the markers, counts and tallies that changed.
    pub fn update<R: Resource>(&mut self, before: &Record<R>, after: &Record<R>) {
        self.push(
            Write::put_if(after.to_item(), Condition::VersionIs(before.version)),
            item_blame(before),
        );
        let (old, new) = (before.data.uniques(), after.data.uniques());
        for u in new.iter().filter(|u| !old.contains(u)) {
            self.claim_unique::<R>(u, &after.id);
        }
        for u in old.iter().filter(|u| !new.contains(u)) {
            self.push(Write::delete(unique_key::<R>(u)), Blame::Moved);
        }
        let (old, new) = (
            distinct(before.data.references()),
            distinct(after.data.references()),
        );
        self.references::<R>(&after.id, &minus(&new, &old), &minus(&old, &new));
        self.tallies(&after.data.tallies(), &before.data.tallies());
        self.counts(&before.data.counts(self.tz), &after.data.counts(self.tz));
        self.views(Some(before), Some(after));
        R::on_change(
            &Change {
                before: Some(before),
                after: Some(after),
                now: self.now,
            },
            self,
        );
    }

    /// Deletes a resource (conditional on its version and, for a top-level one, on nobody
    /// referring to it), its markers, and its contributions to counts and tallies.
    pub fn delete<R: Resource>(&mut self, record: &Record<R>) {
        self.push(
            Write::delete_if(
                item_key::<R>(record.parent_id.as_deref(), &record.id),
                Condition::VersionIs(record.version),
            ),
            item_blame(record),
        );
        for u in record.data.uniques() {
            self.push(Write::delete(unique_key::<R>(&u)), Blame::Moved);
        }
        if R::PARENT.is_none() {
            self.push(
                Write::delete_if(
                    refs_key(R::KIND, &record.id),
                    Condition::num("count", Cmp::Eq, 0),
                ),
                Blame::Referenced {
                    kind: R::KIND,
                    id: record.id.clone(),
                },
            );
        }
        self.references::<R>(&record.id, &[], &distinct(record.data.references()));
        self.tallies(&[], &record.data.tallies());
        self.counts(&record.data.counts(self.tz), &[]);
        self.views(Some(record), None);
        R::on_change(
            &Change {
                before: Some(record),
                after: None,
                now: self.now,
            },
            self,
        );
    }

    /// Records that `consumer` handled `event_id`, in the transaction of its effect: a second
    /// delivery fails with [`Blame::Duplicate`] and has no effect. Kept 90 days (events are
    /// redelivered within a day).
    pub fn handled(&mut self, consumer: &str, event_id: &str) {
        let mut item = key_item(&Key::new(format!("processed#{consumer}"), event_id));
        item.insert(ENTITY.into(), "processed".into());
        item.insert("at".into(), super::record::rfc3339(self.now).into());
        item.insert(
            crate::store::TTL.into(),
            (self.wall_secs + 90 * 24 * 3600).into(),
        );
        self.push(Write::put_if(item, Condition::NotExists), Blame::Duplicate);
    }

    /// Real time in epoch seconds (for TTLs).
    pub fn wall_secs(&self) -> i64 {
        self.wall_secs
    }

    /// Records a domain event in the outbox, to be published once this transaction commits.
    pub fn event(&mut self, event: DomainEvent) {
        let item = event.to_outbox_item(self.wall_secs + OUTBOX_KEEP_SECS);
        self.push(Write::put_if(item, Condition::NotExists), Blame::Moved);
    }

    fn claim_unique<R: Resource>(&mut self, u: &Unique, owner: &str) {
        let mut item = key_item(&unique_key::<R>(u));
        item.insert(ENTITY.into(), "unique".into());
        item.insert("owner".into(), owner.into());
        self.push(
            Write::put_if(item, Condition::NotExists),
            Blame::Unique {
                kind: R::KIND,
                field: u.field,
                message: R::conflict_message(u.field),
            },
        );
    }

    /// Counts `added` references in (each target must exist: its counter does) and `removed`
    /// ones out, with a marker per referrer.
    fn references<R: Resource>(&mut self, id: &str, added: &[Reference], removed: &[Reference]) {
        for r in added {
            self.push(
                Write::update_if(
                    refs_key(r.kind, &r.id),
                    Update::new().add("count", 1),
                    Condition::Exists,
                ),
                Blame::Reference(r.clone()),
            );
            let mut marker = key_item(&marker_key(r, R::KIND, id));
            marker.insert(ENTITY.into(), "ref".into());
            marker.insert("referrer_kind".into(), R::KIND.into());
            marker.insert("referrer_id".into(), id.into());
            self.push(Write::put(marker), Blame::Moved);
        }
        for r in removed {
            self.push(
                Write::update(refs_key(r.kind, &r.id), Update::new().add("count", -1)),
                Blame::Moved,
            );
            self.push(Write::delete(marker_key(r, R::KIND, id)), Blame::Moved);
        }
    }

    /// Adds one to each tally in `added` and takes one from each in `removed` (atomic adds:
    /// concurrent writers never race on a tally).
    pub fn tallies(&mut self, added: &[Tally], removed: &[Tally]) {
        for t in added.iter().filter(|t| !removed.contains(t)) {
            let mut update = Update::new().add("count", 1).set(ENTITY, "tally");
            for (k, v) in &t.labels {
                update = update.set(k.clone(), v.clone());
            }
            self.push(Write::update(t.key.clone(), update), Blame::Moved);
        }
        for t in removed.iter().filter(|t| !added.contains(t)) {
            self.push(
                Write::update(t.key.clone(), Update::new().add("count", -1)),
                Blame::Moved,
            );
        }
    }

    /// Adds `after − before` to each counter, one update per counter item; what nets to zero
    /// is not written.
    pub fn counts(&mut self, before: &[super::Count], after: &[super::Count]) {
        let mut net: Vec<(Key, Vec<(String, i64)>)> = Vec::new();
        let signed = before
            .iter()
            .map(|c| (c, -c.n))
            .chain(after.iter().map(|c| (c, c.n)));
        for (c, n) in signed {
            let attrs = match net.iter_mut().find(|(k, _)| *k == c.key) {
                Some((_, attrs)) => attrs,
                None => {
                    net.push((c.key.clone(), Vec::new()));
                    let last = net.len() - 1;
                    &mut net[last].1
                }
            };
            match attrs.iter_mut().find(|(a, _)| *a == c.attr) {
                Some((_, total)) => *total += n,
                None => attrs.push((c.attr.clone(), n)),
            }
        }
        for (key, attrs) in net {
            let mut update = Update::new();
            for (attr, n) in attrs.into_iter().filter(|(_, n)| *n != 0) {
                update = update.add(attr, n);
            }
            if !update.add.is_empty() {
                self.push(
                    Write::update(key, update.set(ENTITY, "counter")),
                    Blame::Moved,
                );
            }
        }
    }

    /// Commits every write or none; a failed condition comes back as the blame of its write.
    pub async fn commit(self, store: &dyn Store) -> Result<(), TxError> {
        match store.transact(self.writes).await {
            Ok(()) => Ok(()),
            Err(StoreError::ConditionFailed { index }) => {
                match index.and_then(|i| self.blame.get(i)) {
                    Some(b) => Err(TxError::Failed(b.clone())),
                    None => Err(TxError::Unexplained),
                }
            }
            Err(e) => Err(TxError::Store(e)),
        }
    }
}

fn both(a: Option<Condition>, b: Option<Condition>) -> Option<Condition> {
    match (a, b) {
        (None, c) | (c, None) => c,
        (Some(a), Some(b)) => Some(Condition::All(vec![a, b])),
    }
}

/// `write` with `extra` required as well as its own condition.
fn with_condition(write: Write, extra: Option<Condition>) -> Write {
    match write {
        Write::Put { item, condition } => Write::Put {
            item,
            condition: both(condition, extra),
        },
        Write::Delete { key, condition } => Write::Delete {
            key,
            condition: both(condition, extra),
        },
        Write::Update {
            key,
            update,
            condition,
        } => Write::Update {
            key,
            update,
            condition: both(condition, extra),
        },
        Write::Check { key, condition } => Write::Check {
            key,
            condition: both(Some(condition), extra).unwrap_or(Condition::Exists),
        },
    }
}

fn item_blame<R: Resource>(record: &Record<R>) -> Blame {
    Blame::Item {
        kind: R::KIND,
        id: record.id.clone(),
    }
}

pub(crate) fn key_item(key: &Key) -> Item {
    let mut item = Item::new();
    item.insert("pk".into(), Value::from(key.pk.clone()));
    item.insert("sk".into(), Value::from(key.sk.clone()));
    item
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
