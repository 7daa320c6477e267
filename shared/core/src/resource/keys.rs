//! Where each item of a resource lives in the one table (the key design of `docs/design.md`):
//!
//! - top-level item: `pk = "<kind>#<id>"`, `sk = "<kind>"`; listed through gsi1
//!   (`gsi1pk = "<kind>"`, `gsi1sk = "<sort key> <id>"`);
//! - sub-resource item: in its parent's partition, `pk = "<parent>#<parent_id>"`,
//!   `sk = "<kind>#<id>"`, listed by a query on that partition;
//! - unique marker: `pk = "unique#<kind>#<field>#<value>"`, `sk = "unique"`, `owner = <id>`;
//! - reference counter: `pk = "<kind>#<id>"`, `sk = "refs"`, `count` = resources referring to
//!   it; one marker per referrer beside it, `sk = "ref#<referrer kind>#<referrer id>"`.

use super::{Reference, Resource, Unique};
use crate::store::Key;

/// The attribute naming what an item is (`patient`, `unique`, `tally`, …); not `kind`, which
/// several entities use as a field of their own.
pub const ENTITY: &str = "entity";

/// Sort key of a resource's reference counter, in its own partition.
pub const REFS: &str = "refs";

/// The key of a top-level resource's item, or of a sub-resource's item in its parent partition.
pub fn item_key<R: Resource>(parent_id: Option<&str>, id: &str) -> Key {
    match (R::PARENT, parent_id) {
        (Some(parent), Some(pid)) => {
            Key::new(format!("{parent}#{pid}"), format!("{}#{id}", R::KIND))
        }
        _ => Key::new(format!("{}#{id}", R::KIND), R::KIND),
    }
}

pub fn parent_key(parent: &str, parent_id: &str) -> Key {
    Key::new(format!("{parent}#{parent_id}"), parent)
}

pub fn unique_key<R: Resource>(u: &Unique) -> Key {
    Key::new(
        format!("unique#{}#{}#{}", R::KIND, u.field, u.value),
        "unique",
    )
}

pub fn refs_key(kind: &str, id: &str) -> Key {
    Key::new(format!("{kind}#{id}"), REFS)
}

pub fn marker_key(target: &Reference, referrer_kind: &str, referrer_id: &str) -> Key {
    Key::new(
        format!("{}#{}", target.kind, target.id),
        format!("ref#{referrer_kind}#{referrer_id}"),
    )
}

/// The field naming a sub-resource's parent (`patient_id`).
pub fn parent_field<R: Resource>() -> Option<String> {
    R::PARENT.map(|p| format!("{p}_id"))
}
