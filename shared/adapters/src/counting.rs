//! A store that counts what passes through it: the items reads return and the writes applied.
//! The analytics' bounded-read test and benchmark measure with it (reads that must not grow
//! with the length of the history).

use async_trait::async_trait;
use hospital_core::store::{Item, Key, Query, QueryPage, Store, StoreResult, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub struct CountingStore {
    inner: Arc<dyn Store>,
    items_read: AtomicU64,
    requests: AtomicU64,
}

/// What a [`CountingStore`] saw since it was last reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reads {
    /// Items returned by gets and queries.
    pub items: u64,
    /// Gets and query pages.
    pub requests: u64,
}

impl CountingStore {
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self {
            inner,
            items_read: AtomicU64::new(0),
            requests: AtomicU64::new(0),
        }
    }

    /// The reads so far, and a fresh start.
    pub fn take(&self) -> Reads {
        Reads {
            items: self.items_read.swap(0, Ordering::SeqCst),
            requests: self.requests.swap(0, Ordering::SeqCst),
        }
    }
}

#[async_trait]
impl Store for CountingStore {
    async fn get(&self, key: &Key) -> StoreResult<Option<Item>> {
        let item = self.inner.get(key).await?;
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.items_read
            .fetch_add(u64::from(item.is_some()), Ordering::Relaxed);
        Ok(item)
    }

    async fn query(&self, query: &Query) -> StoreResult<QueryPage> {
        let page = self.inner.query(query).await?;
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.items_read
            .fetch_add(page.items.len() as u64, Ordering::Relaxed);
        Ok(page)
    }

    async fn transact(&self, writes: Vec<Write>) -> StoreResult<()> {
        self.inner.transact(writes).await
    }
}
