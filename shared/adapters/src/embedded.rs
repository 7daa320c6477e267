//! The embedded store: redb, one file (or memory), same contract as DynamoDB.
//!
//! Layout: `items` maps `(pk, sk)` to the item's JSON bytes; `gsi1`/`gsi2` map
//! `(gsipk, gsisk, pk, sk)` to `()`, maintained in the same write transaction as the item, and
//! only for items holding both index attributes (a sparse index, like a DynamoDB GSI). redb
//! serialises write transactions, which is what makes conditional writes atomic here.

use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use hospital_core::store::{
    Index, Item, Key, PK, Query, QueryPage, SK, SkRange, Store, StoreError, StoreResult, Write,
    condition_holds, is_expired,
};
use redb::{
    Database, ReadableTable, ReadableTableMetadata, Table, TableDefinition, WriteTransaction,
};
use serde_json::Value;

use crate::{now_epoch_secs, validate_query, validate_writes};

type ItemKey<'a> = (&'a str, &'a str);
type IndexKey<'a> = (&'a str, &'a str, &'a str, &'a str);

const ITEMS: TableDefinition<ItemKey, &[u8]> = TableDefinition::new("items");
const GSI1: TableDefinition<IndexKey, ()> = TableDefinition::new("gsi1");
const GSI2: TableDefinition<IndexKey, ()> = TableDefinition::new("gsi2");

fn index_table(ix: Index) -> TableDefinition<'static, IndexKey<'static>, ()> {
    match ix {
        Index::Gsi1 => GSI1,
        Index::Gsi2 => GSI2,
    }
}

/// The embedded store. Cheap to clone; clones share the database.
#[derive(Clone)]
pub struct EmbeddedStore {
    db: Arc<Database>,
    /// Told about every committed outbox record (hospital-local's relay listens).
    on_commit: Option<tokio::sync::mpsc::UnboundedSender<Item>>,
}

impl std::fmt::Debug for EmbeddedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedStore").finish_non_exhaustive()
    }
}

impl EmbeddedStore {
    /// Opens (or creates) a durable store in the file at `path`, creating parent directories.
    pub fn open(path: &Path) -> StoreResult<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Unavailable(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let db = Database::create(path)
            .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
        Self::init(db)
    }

    /// A store that lives in memory only, for tests.
    pub fn in_memory() -> Self {
        // Creating tables in a fresh in-memory database has no failure mode but a bug.
        Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(db_err)
            .and_then(Self::init)
            .expect("in-memory redb database")
    }

    /// Creates the tables up front so that read transactions never meet a missing table.
    fn init(db: Database) -> StoreResult<Self> {
        let txn = db.begin_write().map_err(db_err)?;
        {
            txn.open_table(ITEMS).map_err(db_err)?;
            txn.open_table(GSI1).map_err(db_err)?;
            txn.open_table(GSI2).map_err(db_err)?;
        }
        txn.commit().map_err(db_err)?;
        Ok(Self {
            db: Arc::new(db),
            on_commit: None,
        })
    }

    /// A store that sends every pending outbox record it commits to the returned receiver, once the transaction is durable: hospital-local's
    /// in-process relay. Records it misses (the process died first) stay pending in the store.
    pub fn with_outbox_feed(mut self) -> (Self, tokio::sync::mpsc::UnboundedReceiver<Item>) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        self.on_commit = Some(tx);
        (self, rx)
    }

    /// Number of entries (live or expired) in the table and each index; for tests and tools.
    pub async fn stats(&self) -> StoreResult<EmbeddedStats> {
        self.blocking(|db| {
            let txn = db.begin_read().map_err(db_err)?;
            Ok(EmbeddedStats {
                items: txn
                    .open_table(ITEMS)
                    .map_err(db_err)?
                    .len()
                    .map_err(db_err)?,
                gsi1: txn
                    .open_table(GSI1)
                    .map_err(db_err)?
                    .len()
                    .map_err(db_err)?,
                gsi2: txn
                    .open_table(GSI2)
                    .map_err(db_err)?
                    .len()
                    .map_err(db_err)?,
            })
        })
        .await
    }

    /// A write transaction waits for other writers and fsyncs: keep it off the async workers.
    async fn blocking<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Database) -> StoreResult<T> + Send + 'static,
    {
        let db = Arc::clone(&self.db);
        tokio::task::spawn_blocking(move || f(&db))
            .await
            .map_err(|e| StoreError::Unavailable(format!("embedded store task failed: {e}")))?
    }
}

/// Entry counts of an [`EmbeddedStore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmbeddedStats {
    pub items: u64,
    pub gsi1: u64,
    pub gsi2: u64,
}

#[async_trait]
impl Store for EmbeddedStore {
    // Reads run on the caller's thread: a redb read transaction is a snapshot of memory-mapped
    // pages that never waits for a writer or the disk's flush, and a hop to the blocking pool
    // cost more than the read itself.
    async fn get(&self, key: &Key) -> StoreResult<Option<Item>> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let items = txn.open_table(ITEMS).map_err(db_err)?;
        let now = now_epoch_secs();
        let found = items
            .get((key.pk.as_str(), key.sk.as_str()))
            .map_err(db_err)?
            .map(|v| decode(v.value()))
            .transpose()?;
        Ok(found.filter(|item| !is_expired(item, now)))
    }

    async fn query(&self, query: &Query) -> StoreResult<QueryPage> {
        validate_query(query)?;
        run_query(&self.db, query)
    }

    async fn transact(&self, writes: Vec<Write>) -> StoreResult<()> {
        validate_writes(&writes)?;
        let written = self
            .blocking(move |db| {
                let txn = db.begin_write().map_err(db_err)?;
                let written = apply(&txn, &writes)?;
                txn.commit().map_err(db_err)?;
                Ok(written)
            })
            .await?;
        if let Some(feed) = &self.on_commit {
            for item in written.into_iter().filter(|i| {
                i.get("gsi2pk").and_then(Value::as_str) == Some(hospital_core::events::PENDING)
            }) {
                // The receiver gone means the process is stopping; the record stays pending.
                let _ = feed.send(item);
            }
        }
        Ok(())
    }
}

/// Checks every condition, then applies every write, inside `txn`. On error nothing was
/// written that will be committed (the caller drops `txn`, which aborts it).
fn apply(txn: &WriteTransaction, writes: &[Write]) -> StoreResult<Vec<Item>> {
    let mut items = txn.open_table(ITEMS).map_err(db_err)?;
    let now = now_epoch_secs();

    // The stored item of every write (expired ones too: their index entries must go), and
    // what each write leaves under its key.
    let mut planned = Vec::with_capacity(writes.len());
    for (i, w) in writes.iter().enumerate() {
        let key = write_key(w);
        let current = items
            .get((key.pk.as_str(), key.sk.as_str()))
            .map_err(db_err)?
            .map(|v| decode(v.value()))
            .transpose()?;
        let live = current.as_ref().filter(|item| !is_expired(item, now));
        if let Some(c) = w.condition()
            && !condition_holds(c, live)
        {
            return Err(StoreError::ConditionFailed { index: Some(i) });
        }
        let new = match w {
            Write::Check { .. } => continue,
            Write::Put { item, .. } => Some(item.clone()),
            Write::Delete { .. } => None,
            // An expired item is gone, as far as anyone can tell: start afresh.
            Write::Update { update, .. } => Some(update.apply(&key, live)?),
        };
        if let Some(item) = &new {
            crate::validate_item(item)?;
        }
        planned.push((key, current, new));
    }

    let mut gsi1 = txn.open_table(GSI1).map_err(db_err)?;
    let mut gsi2 = txn.open_table(GSI2).map_err(db_err)?;
    let mut written = Vec::new();
    for (key, current, new) in planned {
        for (ix, table) in [(Index::Gsi1, &mut gsi1), (Index::Gsi2, &mut gsi2)] {
            update_index(table, ix, &key, current.as_ref(), new.as_ref())?;
        }
        let k = (key.pk.as_str(), key.sk.as_str());
        match new {
            Some(item) => {
                let bytes = serde_json::to_vec(&item)
                    .map_err(|e| StoreError::Invalid(format!("item not serialisable: {e}")))?;
                items.insert(k, bytes.as_slice()).map_err(db_err)?;
                written.push(item);
            }
            None => {
                items.remove(k).map_err(db_err)?;
            }
        }
    }
    Ok(written)
}

fn update_index(
    table: &mut Table<IndexKey, ()>,
    ix: Index,
    key: &Key,
    old: Option<&Item>,
    new: Option<&Item>,
) -> StoreResult<()> {
    let old = old.and_then(|i| index_attrs(i, ix));
    let new = new.and_then(|i| index_attrs(i, ix));
    if old == new {
        return Ok(());
    }
    if let Some((gpk, gsk)) = old {
        table
            .remove((gpk, gsk, key.pk.as_str(), key.sk.as_str()))
            .map_err(db_err)?;
    }
    if let Some((gpk, gsk)) = new {
        table
            .insert((gpk, gsk, key.pk.as_str(), key.sk.as_str()), ())
            .map_err(db_err)?;
    }
    Ok(())
}

/// The item's position in the index, if it has both (string) index attributes.
fn index_attrs(item: &Item, ix: Index) -> Option<(&str, &str)> {
    Some((
        item.get(ix.pk_attr())?.as_str()?,
        item.get(ix.sk_attr())?.as_str()?,
    ))
}

fn write_key(w: &Write) -> Key {
    // validate_transaction guarantees string pk/sk.
    w.key().unwrap_or_else(|| Key::new("", ""))
}

/// A key range over a table whose keys are tuples of strings (2 for items, 4 for an index),
/// compared element-wise by bytes, as redb compares `&str` tuples.
struct Span {
    lo: Bound<Vec<String>>,
    hi: Bound<Vec<String>>,
}

impl Span {
    /// The keys of `query`'s partition and sort-key range, after its `start_after`.
    fn of(query: &Query) -> StoreResult<Span> {
        let width = if query.index.is_some() { 4 } else { 2 };
        let key = |part: &str, sort: &str| {
            let mut k = vec![part.to_string(), sort.to_string()];
            k.resize(width, String::new());
            k
        };
        // The first partition after ours: no string sorts between `pk` and `pk + "\0"`.
        let next_partition = Bound::Excluded(key(&format!("{}\0", query.pk), ""));
        let (lo, hi) = match &query.sk {
            SkRange::All => (Bound::Included(key(&query.pk, "")), next_partition),
            SkRange::BeginsWith(prefix) => (
                Bound::Included(key(&query.pk, prefix)),
                match prefix_successor(prefix) {
                    Some(next) => Bound::Excluded(key(&query.pk, &next)),
                    None => next_partition,
                },
            ),
            // Inclusive of `b` with any table key after it in an index.
            SkRange::Between(a, b) => (
                Bound::Included(key(&query.pk, a)),
                Bound::Excluded(key(&query.pk, &format!("{b}\0"))),
            ),
        };
        let mut span = Span { lo, hi };
        if let Some(start) = &query.start_after {
            let start = start_key(query, start)?;
            if query.forward {
                if bound_value(&span.lo).is_none_or(|lo| &start >= lo) {
                    span.lo = Bound::Excluded(start);
                }
            } else if bound_value(&span.hi).is_none_or(|hi| &start <= hi) {
                span.hi = Bound::Excluded(start);
            }
        }
        Ok(span)
    }

    fn is_empty(&self) -> bool {
        match (bound_value(&self.lo), bound_value(&self.hi)) {
            (Some(lo), Some(hi)) => {
                lo > hi
                    || (lo == hi
                        && !(matches!(self.lo, Bound::Included(_))
                            && matches!(self.hi, Bound::Included(_))))
            }
            _ => false,
        }
    }

    fn pair_bounds(&self) -> (Bound<ItemKey<'_>>, Bound<ItemKey<'_>>) {
        fn f(k: &[String]) -> ItemKey<'_> {
            (&k[0], &k[1])
        }
        (
            self.lo.as_ref().map(Vec::as_slice).map(f),
            self.hi.as_ref().map(Vec::as_slice).map(f),
        )
    }

    fn quad_bounds(&self) -> (Bound<IndexKey<'_>>, Bound<IndexKey<'_>>) {
        fn f(k: &[String]) -> IndexKey<'_> {
            (&k[0], &k[1], &k[2], &k[3])
        }
        (
            self.lo.as_ref().map(Vec::as_slice).map(f),
            self.hi.as_ref().map(Vec::as_slice).map(f),
        )
    }
}

fn bound_value<T>(b: &Bound<T>) -> Option<&T> {
    match b {
        Bound::Included(v) | Bound::Excluded(v) => Some(v),
        Bound::Unbounded => None,
    }
}

/// The least string greater than every string starting with `prefix` (increment its last
/// character, dropping characters that cannot be incremented); `None` if there is none.
fn prefix_successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (last as u32 + 1..=char::MAX as u32).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// The `start_after` attributes of a query, as a key of the scanned table.
fn start_key(query: &Query, start: &Item) -> StoreResult<Vec<String>> {
    query
        .key_attrs()
        .into_iter()
        .map(|attr| {
            start
                .get(attr)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| {
                    StoreError::Invalid(format!("start_after lacks the string attribute {attr}"))
                })
        })
        .collect()
}

fn run_query(db: &Database, query: &Query) -> StoreResult<QueryPage> {
    let span = Span::of(query)?;
    if span.is_empty() {
        return Ok(QueryPage::default());
    }
    let txn = db.begin_read().map_err(db_err)?;
    let items = txn.open_table(ITEMS).map_err(db_err)?;
    let now = now_epoch_secs();
    let mut page = QueryPage::default();
    // Pushes a live item; true when the page is full.
    let mut take = |item: Item| {
        if !is_expired(&item, now) {
            page.items.push(item);
        }
        page.items.len() >= query.limit
    };

    match query.index {
        None => {
            let range = items.range::<ItemKey>(span.pair_bounds()).map_err(db_err)?;
            let range: Box<dyn Iterator<Item = _>> = if query.forward {
                Box::new(range)
            } else {
                Box::new(range.rev())
            };
            for entry in range {
                let (_, v) = entry.map_err(db_err)?;
                if take(decode(v.value())?) {
                    break;
                }
            }
        }
        Some(ix) => {
            let index = txn.open_table(index_table(ix)).map_err(db_err)?;
            let range = index
                .range::<IndexKey>(span.quad_bounds())
                .map_err(db_err)?;
            let range: Box<dyn Iterator<Item = _>> = if query.forward {
                Box::new(range)
            } else {
                Box::new(range.rev())
            };
            for entry in range {
                let (k, _) = entry.map_err(db_err)?;
                let (_, _, pk, sk) = k.value();
                let v = items.get((pk, sk)).map_err(db_err)?.ok_or_else(|| {
                    StoreError::Unavailable(format!(
                        "{} entry without item ({PK}={pk}, {SK}={sk})",
                        ix.name()
                    ))
                })?;
                if take(decode(v.value())?) {
                    break;
                }
            }
        }
    }

    if page.items.len() >= query.limit {
        page.last_key = page.items.last().map(|item| query.key_of(item));
    }
    Ok(page)
}

fn decode(bytes: &[u8]) -> StoreResult<Item> {
    serde_json::from_slice(bytes)
        .map_err(|e| StoreError::Unavailable(format!("corrupt item in embedded store: {e}")))
}

fn db_err(e: impl Into<redb::Error>) -> StoreError {
    StoreError::Unavailable(format!("embedded store: {}", e.into()))
}
