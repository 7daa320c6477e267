//! Generic resource machinery, written once: every entity is a [`Resource`] (a struct of its
//! writable fields plus a few declarations), and [`Repository`] gives it create / get / list /
//! merge-patch / delete over the storage port with the invariants of `docs/design.md`: every
//! write conditional, uniqueness by marker items, references by counters, dashboards by
//! tallies, domain events in an outbox — all in the same transaction as the change.
//!
//! - [`keys`]: where each item lives (the key design);
//! - [`record`]: a stored resource and its JSON/item forms;
//! - [`filter`]: how lists are narrowed;
//! - [`tx`]: a transaction being assembled, each write with what its failure means;
//! - [`repository`]: the operations.

pub mod filter;
pub mod keys;
pub mod record;
pub mod repository;
pub mod tx;

pub use filter::{Filter, FilterKind, default_filter};
pub use keys::{ENTITY, item_key};
pub use record::Record;
pub use repository::{Deps, Page, Repository, reject_read_only};
pub use tx::{Blame, Change, Tx, TxError};

use crate::DomainResult;
use crate::error::FieldError;
use crate::store::Key;
use crate::time::Calendar;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::future::Future;
use validator::Validate;

/// A value that must be unique among the resources of one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unique {
    pub field: &'static str,
    pub value: String,
}

/// A reference from a resource's field to another resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The referring field, as named in errors (`specialty_ids[1]`).
    pub field: String,
    pub kind: &'static str,
    pub id: String,
}

impl Reference {
    pub fn new(field: impl Into<String>, kind: &'static str, id: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            kind,
            id: id.into(),
        }
    }
}

/// A copy of a record kept under another key, in the same transaction as the record: for a
/// list neither index serves (a patient's appointments, a bed's admissions). Listed by a
/// query of its partition, in sort-key order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub pk: String,
    pub sk: String,
}

/// A counter item a resource contributes one to; `labels` are stored with the count.
#[derive(Debug, Clone, PartialEq)]
pub struct Tally {
    pub key: Key,
    pub labels: crate::store::Item,
}

/// An amount a resource adds to one attribute of a counter item while it stands as it is
/// (the analytics' per-day figures: [`crate::analytics::counters`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Count {
    pub key: Key,
    pub attr: String,
    pub n: i64,
}

/// The JSON Schema of an id (a ULID) in a query parameter.
pub const ULID_SCHEMA: &str =
    r#"{"type": "string", "pattern": "^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$"}"#;

/// Paging limits of the HTTP conventions (`docs/http.md`).
pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 200;

/// Attempts of a write that lost a race on its own item (without `If-Match`), before
/// answering 409. Each attempt re-reads, so only contention costs attempts.
pub const ATTEMPTS: usize = 64;

/// Most deletable sub-resources a parent may hold, so that deleting it fits one transaction.
pub const MAX_CHILDREN: usize = 80;

/// An entity managed by the generic machinery. The struct holds the writable fields only;
/// `id`, `version`, `created_at` and `updated_at` live in [`Record`].
pub trait Resource:
    Serialize + DeserializeOwned + Validate + Clone + PartialEq + Send + Sync + 'static
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
    /// What to say when a unique value of `field` is taken (default: "another <kind> already
    /// has this <field>").
    fn conflict_message(_field: &str) -> Option<&'static str> {
        None
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
    fn filter(params: &[(&str, &str)], _calendar: &Calendar) -> DomainResult<Filter> {
        default_filter::<Self>(params)
    }

    /// Fields the server maintains (a stock quantity changed only by stock movements, a status
    /// changed only by its own operations): rejected in request bodies, kept by updates.
    const SERVER_FIELDS: &'static [&'static str] = &[];
    /// Clinical detail (results, diagnoses), as JSON pointers into the record
    /// (`/admitting_diagnosis`, `/discharge/discharge_diagnosis`): left out of what callers
    /// outside the care team read (the HTTP layer decides who: `rbac::CLINICAL_READ`).
    const CLINICAL: &'static [&'static str] = &[];
    /// Text fields that may hold line breaks (notes); every other text is a single line.
    const MULTILINE: &'static [&'static str] = &[];
    /// Kinds of sub-resources that are records to keep: while any exists, the resource can't be
    /// deleted (409). Other sub-resources are deleted with it.
    const PROTECTED_CHILDREN: &'static [&'static str] = &[];
    /// Clinical and financial records are never deleted: DELETE is not offered (405).
    const DELETABLE: bool = true;

    /// Other resources this one refers to; each must exist when written, and can't be deleted
    /// while referred to.
    fn references(&self) -> Vec<Reference> {
        Vec::new()
    }
    /// Rules about becoming `self`: from `before` on update, from nothing on create (allowed
    /// status transitions, what may change in which state, times relative to now).
    fn check_change(&self, _before: Option<&Self>, _calendar: &Calendar) -> Vec<FieldError> {
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
    /// Counters this resource contributes to as it stands. The machinery adds the difference
    /// between the contributions before and after a change to each counter, by atomic adds in
    /// the change's transaction: a late registration or a cancellation corrects exactly the
    /// days it touches. Days are the hospital's, in `tz`.
    fn counts(&self, _tz: chrono_tz::Tz) -> Vec<Count> {
        Vec::new()
    }
    /// Where copies of the record are kept for lists ([`View`]).
    fn views(&self, _id: &str) -> Vec<View> {
        Vec::new()
    }
    /// Server-maintained fields a change sets (when a status moved, …), before validation.
    /// `today` is the hospital's date at `now`.
    fn stamp(&mut self, _before: Option<&Self>, _now: DateTime<Utc>, _today: chrono::NaiveDate) {}
    /// Server fields naming who made a change (the caller's `sub`), set after [`Self::stamp`]
    /// on updates made for a caller.
    fn by(&mut self, _before: Option<&Self>, _actor: &str) {}
    /// What else a change of this resource writes in its transaction: domain events for the
    /// outbox, history items. Called for creates, updates and deletes alike.
    fn on_change(_change: &Change<'_, Self>, _tx: &mut Tx) {}
    /// Checks and writes a change needs that read other items (a doctor holds the specialty
    /// booked, a slot of the agenda is free), added to the change's transaction. When the
    /// transaction then fails on something read here moving ([`Blame::Moved`]), the change
    /// is planned again on fresh reads.
    fn plan<'a>(
        _change: &'a Change<'a, Self>,
        _deps: &'a Deps,
        _tx: &'a mut Tx,
    ) -> impl Future<Output = DomainResult<()>> + Send + 'a {
        async { Ok(()) }
    }
}
