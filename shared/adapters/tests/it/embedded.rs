//! The conformance suite on the embedded store, in memory and on disk, plus what only a
//! durable file can show.

use std::sync::Arc;

use hospital_adapters::EmbeddedStore;
use hospital_adapters::embedded::EmbeddedStats;
use hospital_core::store::{Condition, Index, Key, Query, Store, Write};
use serde_json::json;

use crate::conformance::{Fixture, item};

async fn memory_store(_test: &str) -> Fixture {
    Fixture::new(Arc::new(EmbeddedStore::in_memory()))
}

async fn file_store(_test: &str) -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = EmbeddedStore::open(&dir.path().join("store.redb")).expect("open store");
    Fixture {
        store: Arc::new(store),
        _keep: Box::new(dir),
    }
}

mod memory {
    crate::conformance::conformance_tests!(super::memory_store);
}

mod file {
    crate::conformance::conformance_tests!(super::file_store);
}

#[tokio::test]
async fn data_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    // Parent directories are created.
    let path = dir.path().join("nested/deeper/store.redb");
    let bed = item(
        "BED#1",
        "META",
        json!({"version": 1, "gsi1pk": "WARD#A", "gsi1sk": "BED#1", "label": "1A"}),
    );
    {
        let store = EmbeddedStore::open(&path).unwrap();
        store
            .transact(vec![
                Write::put_if(bed.clone(), Condition::NotExists),
                Write::put(item(
                    "BED#2",
                    "META",
                    json!({"gsi1pk": "WARD#A", "gsi1sk": "BED#2"}),
                )),
            ])
            .await
            .unwrap();
        store
            .transact(vec![Write::delete(Key::new("BED#2", "META"))])
            .await
            .unwrap();
    }
    let store = EmbeddedStore::open(&path).unwrap();
    assert_eq!(
        store.get(&Key::new("BED#1", "META")).await.unwrap(),
        Some(bed.clone())
    );
    assert_eq!(store.get(&Key::new("BED#2", "META")).await.unwrap(), None);
    let ward = store
        .query(&Query::index(Index::Gsi1, "WARD#A"))
        .await
        .unwrap();
    assert_eq!(ward.items, vec![bed.clone()]);
    // Conditions see the reopened state.
    let stale = item("BED#1", "META", json!({"version": 2}));
    assert!(
        store
            .transact(vec![Write::put_if(stale, Condition::NotExists)])
            .await
            .is_err()
    );
}

#[tokio::test]
async fn open_twice_is_refused_not_corrupting() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.redb");
    let _first = EmbeddedStore::open(&path).unwrap();
    assert!(EmbeddedStore::open(&path).is_err());
}

/// Index maintenance leaves no stale entries behind (queries alone would not notice a leaked
/// entry whose item still exists elsewhere in the index).
#[tokio::test]
async fn index_entries_do_not_leak() {
    let store = EmbeddedStore::in_memory();
    let put = |i: serde_json::Value| {
        let store = store.clone();
        async move {
            store
                .transact(vec![Write::put(item("LK#1", "A", i))])
                .await
                .unwrap()
        }
    };
    put(json!({"gsi1pk": "a", "gsi1sk": "1"})).await;
    put(json!({"gsi1pk": "a", "gsi1sk": "2"})).await;
    put(json!({"gsi1pk": "b", "gsi1sk": "2", "gsi2pk": "x", "gsi2sk": "y"})).await;
    assert_eq!(
        store.stats().await.unwrap(),
        EmbeddedStats {
            items: 1,
            gsi1: 1,
            gsi2: 1
        }
    );
    put(json!({})).await;
    assert_eq!(
        store.stats().await.unwrap(),
        EmbeddedStats {
            items: 1,
            gsi1: 0,
            gsi2: 0
        }
    );
    put(json!({"gsi2pk": "x", "gsi2sk": "y"})).await;
    store
        .transact(vec![Write::delete(Key::new("LK#1", "A"))])
        .await
        .unwrap();
    assert_eq!(
        store.stats().await.unwrap(),
        EmbeddedStats {
            items: 0,
            gsi1: 0,
            gsi2: 0
        }
    );
}
