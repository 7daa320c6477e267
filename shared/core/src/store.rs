//! The storage port: the narrow set of operations every repository is written against.
//!
//! It mirrors what DynamoDB does well (single-table design, docs/design.md) so that the DynamoDB
//! adapter is a thin translation and the embedded store can honour exactly the same contract:
//! items are JSON objects addressed by `pk`/`sk`, optionally projected into overloaded global
//! secondary indexes (`gsi1pk`/`gsi1sk`, `gsi2pk`/`gsi2sk`), every write can carry a condition,
//! and a transaction of up to 100 writes commits as a whole or not at all.

use async_trait::async_trait;
use serde_json::{Map, Value};

/// Attribute names the adapters know about.
pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const VERSION: &str = "version";
/// Epoch seconds after which an item is treated as gone (DynamoDB's TTL attribute).
pub const TTL: &str = "expires_at";
/// Most actions DynamoDB accepts in one TransactWriteItems call.
pub const MAX_TRANSACTION_ACTIONS: usize = 100;

/// A stored item: a JSON object holding at least `pk` and `sk` (strings).
pub type Item = Map<String, Value>;

/// The secondary indexes of the table. Each projects all attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Index {
    Gsi1,
    Gsi2,
}

impl Index {
    pub const ALL: [Index; 2] = [Index::Gsi1, Index::Gsi2];

    pub fn name(self) -> &'static str {
        match self {
            Index::Gsi1 => "gsi1",
            Index::Gsi2 => "gsi2",
        }
    }
    pub fn pk_attr(self) -> &'static str {
        match self {
            Index::Gsi1 => "gsi1pk",
            Index::Gsi2 => "gsi2pk",
        }
    }
    pub fn sk_attr(self) -> &'static str {
        match self {
            Index::Gsi1 => "gsi1sk",
            Index::Gsi2 => "gsi2sk",
        }
    }
}

/// The primary key of an item.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }

    /// Reads `pk`/`sk` out of an item.
    pub fn of(item: &Item) -> Option<Key> {
        Some(Key::new(item.get(PK)?.as_str()?, item.get(SK)?.as_str()?))
    }
}

/// A condition a write must satisfy against the item currently stored under its key.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// No item under the key (create).
    NotExists,
    /// An item exists under the key (reference check, update without version).
    Exists,
    /// An item exists and its `version` attribute equals this number (optimistic concurrency).
    VersionIs(u64),
    /// An item exists and its integer attribute compares to `value` as `op` says
    /// (`stock >= 3`, `count = 0`). A missing attribute never satisfies it.
    Num { attr: String, op: Cmp, value: i64 },
    /// An item exists and its attribute equals this JSON value (a status, an owner).
    Equals { attr: String, value: Value },
    /// Every condition holds (an empty list always holds).
    All(Vec<Condition>),
}

/// How [`Condition::Num`] compares the stored number with the given one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    pub fn holds(self, stored: i64, value: i64) -> bool {
        match self {
            Cmp::Eq => stored == value,
            Cmp::Lt => stored < value,
            Cmp::Le => stored <= value,
            Cmp::Gt => stored > value,
            Cmp::Ge => stored >= value,
        }
    }
    /// The operator in DynamoDB's condition-expression syntax.
    pub fn symbol(self) -> &'static str {
        match self {
            Cmp::Eq => "=",
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
        }
    }
}

impl Condition {
    /// `attr >= value` (e.g. stock never below zero).
    pub fn at_least(attr: impl Into<String>, value: i64) -> Self {
        Condition::Num {
            attr: attr.into(),
            op: Cmp::Ge,
            value,
        }
    }
    pub fn num(attr: impl Into<String>, op: Cmp, value: i64) -> Self {
        Condition::Num {
            attr: attr.into(),
            op,
            value,
        }
    }
    pub fn equals(attr: impl Into<String>, value: impl Into<Value>) -> Self {
        Condition::Equals {
            attr: attr.into(),
            value: value.into(),
        }
    }
}

/// An in-place change of one item, as DynamoDB's UpdateItem does it: set attributes, add to
/// integer attributes (a missing one counts as 0) and remove attributes. When no item exists
/// (and the condition allows it), one is created from the key and these changes. Atomic adds
/// let many writers change one counter without reading it first, so they never race.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Update {
    pub set: Item,
    pub add: Vec<(String, i64)>,
    pub remove: Vec<String>,
}

impl Update {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn set(mut self, attr: impl Into<String>, value: impl Into<Value>) -> Self {
        self.set.insert(attr.into(), value.into());
        self
    }
    pub fn add(mut self, attr: impl Into<String>, delta: i64) -> Self {
        self.add.push((attr.into(), delta));
        self
    }
    pub fn remove(mut self, attr: impl Into<String>) -> Self {
        self.remove.push(attr.into());
        self
    }

    /// Applies the change to `current` (or to a new item with `key`), as both adapters must.
    pub fn apply(&self, key: &Key, current: Option<&Item>) -> StoreResult<Item> {
        let mut item = current.cloned().unwrap_or_else(|| {
            let mut i = Item::new();
            i.insert(PK.into(), key.pk.clone().into());
            i.insert(SK.into(), key.sk.clone().into());
            i
        });
        for (k, v) in &self.set {
            item.insert(k.clone(), v.clone());
        }
        for (k, delta) in &self.add {
            let now = match item.get(k) {
                None => 0,
                Some(v) => v.as_i64().ok_or_else(|| {
                    StoreError::Invalid(format!("cannot add to the non-integer attribute {k}"))
                })?,
            };
            let next = now
                .checked_add(*delta)
                .ok_or_else(|| StoreError::Invalid(format!("adding {delta} to {k} overflows")))?;
            item.insert(k.clone(), next.into());
        }
        for k in &self.remove {
            item.remove(k);
        }
        Ok(item)
    }

    /// Attribute names in the order SET, ADD, REMOVE.
    fn attrs(&self) -> impl Iterator<Item = &str> {
        self.set
            .keys()
            .map(String::as_str)
            .chain(self.add.iter().map(|(k, _)| k.as_str()))
            .chain(self.remove.iter().map(String::as_str))
    }
}

/// One write of a transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    Put {
        item: Item,
        condition: Option<Condition>,
    },
    Delete {
        key: Key,
        condition: Option<Condition>,
    },
    /// Changes (or creates) one item in place.
    Update {
        key: Key,
        update: Update,
        condition: Option<Condition>,
    },
    /// Writes nothing; the transaction fails unless the condition holds.
    Check { key: Key, condition: Condition },
}

impl Write {
    pub fn put(item: Item) -> Self {
        Write::Put {
            item,
            condition: None,
        }
    }
    pub fn put_if(item: Item, condition: Condition) -> Self {
        Write::Put {
            item,
            condition: Some(condition),
        }
    }
    pub fn delete(key: Key) -> Self {
        Write::Delete {
            key,
            condition: None,
        }
    }
    pub fn delete_if(key: Key, condition: Condition) -> Self {
        Write::Delete {
            key,
            condition: Some(condition),
        }
    }
    pub fn check(key: Key, condition: Condition) -> Self {
        Write::Check { key, condition }
    }
    pub fn update(key: Key, update: Update) -> Self {
        Write::Update {
            key,
            update,
            condition: None,
        }
    }
    pub fn update_if(key: Key, update: Update, condition: Condition) -> Self {
        Write::Update {
            key,
            update,
            condition: Some(condition),
        }
    }

    /// The key of the item this write targets (`None` for a put of an item without one).
    pub fn key(&self) -> Option<Key> {
        match self {
            Write::Put { item, .. } => Key::of(item),
            Write::Delete { key, .. } | Write::Check { key, .. } | Write::Update { key, .. } => {
                Some(key.clone())
            }
        }
    }

    pub fn condition(&self) -> Option<&Condition> {
        match self {
            Write::Put { condition, .. }
            | Write::Delete { condition, .. }
            | Write::Update { condition, .. } => condition.as_ref(),
            Write::Check { condition, .. } => Some(condition),
        }
    }
}

/// Which sort keys a query returns within its partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkRange {
    All,
    BeginsWith(String),
    /// Inclusive on both ends, like DynamoDB's BETWEEN.
    Between(String, String),
}

/// A query over one partition of the table or of an index.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub index: Option<Index>,
    /// The partition key value (`pk`, or the index's partition attribute).
    pub pk: String,
    pub sk: SkRange,
    pub limit: usize,
    /// Ascending sort-key order when true.
    pub forward: bool,
    /// Exclusive start: the key attributes of the last item of the previous page, as returned
    /// in [`QueryPage::last_key`] (`pk`, `sk` and, for an index, its two attributes).
    pub start_after: Option<Item>,
}

impl Query {
    pub fn table(pk: impl Into<String>) -> Self {
        Query {
            index: None,
            pk: pk.into(),
            sk: SkRange::All,
            limit: 100,
            forward: true,
            start_after: None,
        }
    }
    pub fn index(index: Index, pk: impl Into<String>) -> Self {
        Query {
            index: Some(index),
            ..Query::table(pk)
        }
    }
    pub fn sk(mut self, sk: SkRange) -> Self {
        self.sk = sk;
        self
    }
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }
    pub fn backward(mut self) -> Self {
        self.forward = false;
        self
    }
    pub fn start_after(mut self, key: Option<Item>) -> Self {
        self.start_after = key;
        self
    }

    /// The attributes that identify an item's position in this query's order.
    pub fn key_attrs(&self) -> Vec<&'static str> {
        match self.index {
            None => vec![PK, SK],
            Some(ix) => vec![ix.pk_attr(), ix.sk_attr(), PK, SK],
        }
    }

    /// The position of `item` in this query's order, usable as `start_after`.
    pub fn key_of(&self, item: &Item) -> Item {
        self.key_attrs()
            .into_iter()
            .filter_map(|a| item.get(a).map(|v| (a.to_string(), v.clone())))
            .collect()
    }
}

/// A page of query results.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryPage {
    pub items: Vec<Item>,
    /// Present when the query stopped because of its limit: pass it as `start_after` to go on.
    /// (Like DynamoDB, it may be present even when nothing follows.)
    pub last_key: Option<Item>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A condition did not hold. `index` is the position of the failing write in the
    /// transaction (0 for a single write), when the backend tells.
    #[error("condition failed (write {index:?})")]
    ConditionFailed { index: Option<usize> },
    /// The request was malformed for the store (bad key, too many actions, …): a bug.
    #[error("invalid store request: {0}")]
    Invalid(String),
    /// The backend failed or could not be reached.
    #[error("store unavailable: {0}")]
    Unavailable(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The storage port.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The item under `key`, if any (and not past its TTL).
    async fn get(&self, key: &Key) -> StoreResult<Option<Item>>;

    /// Items of one partition in sort-key order, at most `limit` of them.
    async fn query(&self, query: &Query) -> StoreResult<QueryPage>;

    /// Applies every write or none. At most [`MAX_TRANSACTION_ACTIONS`] writes, each to a
    /// distinct key.
    async fn transact(&self, writes: Vec<Write>) -> StoreResult<()>;
}

/// Now in epoch seconds, for TTL checks.
pub fn is_expired(item: &Item, now_epoch_secs: i64) -> bool {
    item.get(TTL)
        .and_then(Value::as_i64)
        .is_some_and(|t| t <= now_epoch_secs)
}

/// Checks the parts of a transaction every adapter must reject the same way.
pub fn validate_transaction(writes: &[Write]) -> StoreResult<()> {
    if writes.is_empty() || writes.len() > MAX_TRANSACTION_ACTIONS {
        return Err(StoreError::Invalid(format!(
            "a transaction holds 1 to {MAX_TRANSACTION_ACTIONS} writes, not {}",
            writes.len()
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for w in writes {
        let key = w
            .key()
            .ok_or_else(|| StoreError::Invalid("item without string pk/sk".into()))?;
        if key.pk.is_empty() || key.sk.is_empty() {
            return Err(StoreError::Invalid("empty pk or sk".into()));
        }
        if let Write::Update { update, .. } = w {
            let mut names = std::collections::HashSet::new();
            for attr in update.attrs() {
                if attr == PK || attr == SK {
                    return Err(StoreError::Invalid(
                        "an update cannot change pk or sk".into(),
                    ));
                }
                if attr.is_empty() || !names.insert(attr) {
                    return Err(StoreError::Invalid(format!(
                        "an update names the attribute {attr:?} twice (or empty)"
                    )));
                }
            }
            if update.set.is_empty() && update.add.is_empty() && update.remove.is_empty() {
                return Err(StoreError::Invalid("an update that changes nothing".into()));
            }
        }
        if !seen.insert(key) {
            return Err(StoreError::Invalid(
                "two writes of one transaction target the same item".into(),
            ));
        }
    }
    Ok(())
}

/// Evaluates a condition against the current item, the way DynamoDB would.
pub fn condition_holds(condition: &Condition, current: Option<&Item>) -> bool {
    match (condition, current) {
        (Condition::NotExists, current) => current.is_none(),
        (Condition::Exists, current) => current.is_some(),
        (Condition::All(all), current) => all.iter().all(|c| condition_holds(c, current)),
        (Condition::VersionIs(v), Some(item)) => {
            item.get(VERSION).and_then(Value::as_u64) == Some(*v)
        }
        (Condition::Num { attr, op, value }, Some(item)) => item
            .get(attr)
            .and_then(Value::as_i64)
            .is_some_and(|n| op.holds(n, *value)),
        (Condition::Equals { attr, value }, Some(item)) => item.get(attr) == Some(value),
        (_, None) => false,
    }
}
