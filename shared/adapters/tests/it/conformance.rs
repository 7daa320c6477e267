//! The store contract, as async functions over `Arc<dyn Store>`. Every adapter runs all of
//! them through [`conformance_tests!`]; each test gets a store of its own (a fresh database or
//! table), so the functions may assume nothing else writes to it.

use std::sync::Arc;

use hospital_core::store::{
    Cmp, Condition, Index, Item, Key, MAX_TRANSACTION_ACTIONS, Query, SkRange, Store, StoreError,
    Update, Write,
};
use serde_json::{Value, json};

/// A store plus whatever must outlive it (a temp dir, …).
pub struct Fixture {
    pub store: Arc<dyn Store>,
    pub _keep: Box<dyn std::any::Any + Send>,
}

impl Fixture {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Fixture {
            store,
            _keep: Box::new(()),
        }
    }
}

/// Generates one `#[tokio::test]` per suite function, calling `$factory(test_name).await` for
/// a fresh [`Fixture`].
macro_rules! conformance_tests {
    ($factory:path) => {
        $crate::conformance::conformance_tests!(@each $factory;
            round_trip,
            put_if_not_exists,
            versioned_update,
            conditional_delete,
            exists_check,
            at_least,
            failed_transaction_writes_nothing,
            invalid_requests,
            table_key_ranges,
            table_paging,
            index_paging,
            sparse_index,
            index_entry_moves,
            ttl_hides_expired,
            concurrent_versioned_writes,
            concurrent_transactions,
            update_creates_sets_adds_removes,
            update_conditions,
            update_moves_index_entries,
            compound_conditions,
            invalid_updates,
            concurrent_adds,
            concurrent_guarded_decrements,
        );
    };
    (@each $factory:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let fixture = $factory(stringify!($name)).await;
                $crate::conformance::$name(fixture.store.clone()).await;
            }
        )*
    };
}
pub(crate) use conformance_tests;

pub fn item(pk: &str, sk: &str, rest: Value) -> Item {
    let mut item = Item::new();
    item.insert("pk".into(), pk.into());
    item.insert("sk".into(), sk.into());
    if let Value::Object(rest) = rest {
        item.extend(rest);
    }
    item
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

async fn put(store: &Arc<dyn Store>, item: Item) {
    store.transact(vec![Write::put(item)]).await.expect("put");
}

async fn get(store: &Arc<dyn Store>, pk: &str, sk: &str) -> Option<Item> {
    store.get(&Key::new(pk, sk)).await.expect("get")
}

fn sks(items: &[Item]) -> Vec<&str> {
    items.iter().map(|i| i["sk"].as_str().unwrap()).collect()
}

#[track_caller]
fn assert_condition_failed(result: Result<(), StoreError>, at: usize) {
    match result {
        Err(StoreError::ConditionFailed { index }) => assert_eq!(index, Some(at)),
        other => panic!("expected ConditionFailed at {at}, got {other:?}"),
    }
}

#[track_caller]
fn assert_invalid<T: std::fmt::Debug>(result: Result<T, StoreError>) {
    assert!(
        matches!(result, Err(StoreError::Invalid(_))),
        "expected Invalid, got {result:?}"
    );
}

pub async fn round_trip(store: Arc<dyn Store>) {
    let original = item(
        "RT#1",
        "PROFILE",
        json!({
            "name": "José da Silva",
            "age": 42,
            "balance": -7,
            "ratio": 1.5,
            "big": 9_007_199_254_740_993u64,
            "active": true,
            "deleted": false,
            "nothing": null,
            "empty": "",
            "tags": ["a", "b", 3, null, {"x": [true]}],
            "no_tags": [],
            "address": {"city": "Recife", "geo": {"lat": -8.05, "lon": -34.9}, "lines": []},
            "no_address": {},
            "version": 1
        }),
    );
    put(&store, original.clone()).await;
    assert_eq!(get(&store, "RT#1", "PROFILE").await, Some(original));
    assert_eq!(get(&store, "RT#1", "OTHER").await, None);
    assert_eq!(get(&store, "RT#2", "PROFILE").await, None);

    // An unconditional put replaces the whole item.
    let replaced = item("RT#1", "PROFILE", json!({"name": "Maria"}));
    put(&store, replaced.clone()).await;
    assert_eq!(get(&store, "RT#1", "PROFILE").await, Some(replaced));
}

pub async fn put_if_not_exists(store: Arc<dyn Store>) {
    let first = item("NE#1", "A", json!({"who": "first"}));
    let second = item("NE#1", "A", json!({"who": "second"}));
    store
        .transact(vec![Write::put_if(first.clone(), Condition::NotExists)])
        .await
        .expect("first create");
    assert_condition_failed(
        store
            .transact(vec![Write::put_if(second, Condition::NotExists)])
            .await,
        0,
    );
    assert_eq!(get(&store, "NE#1", "A").await, Some(first));
}

pub async fn versioned_update(store: Arc<dyn Store>) {
    let v1 = item("VU#1", "A", json!({"version": 1, "n": "one"}));
    let v2 = item("VU#1", "A", json!({"version": 2, "n": "two"}));
    let stale = item("VU#1", "A", json!({"version": 2, "n": "stale"}));
    store
        .transact(vec![Write::put_if(v1, Condition::NotExists)])
        .await
        .expect("create");
    store
        .transact(vec![Write::put_if(v2.clone(), Condition::VersionIs(1))])
        .await
        .expect("update at version 1");
    assert_condition_failed(
        store
            .transact(vec![Write::put_if(stale, Condition::VersionIs(1))])
            .await,
        0,
    );
    assert_eq!(get(&store, "VU#1", "A").await, Some(v2));

    // A version condition on a missing item fails (it is not an upsert).
    let ghost = item("VU#2", "A", json!({"version": 1}));
    assert_condition_failed(
        store
            .transact(vec![Write::put_if(ghost, Condition::VersionIs(0))])
            .await,
        0,
    );
    assert_eq!(get(&store, "VU#2", "A").await, None);
}

pub async fn conditional_delete(store: Arc<dyn Store>) {
    let key = Key::new("CD#1", "A");
    put(&store, item("CD#1", "A", json!({"version": 3}))).await;
    assert_condition_failed(
        store
            .transact(vec![Write::delete_if(key.clone(), Condition::VersionIs(2))])
            .await,
        0,
    );
    assert!(get(&store, "CD#1", "A").await.is_some());
    store
        .transact(vec![Write::delete_if(key.clone(), Condition::VersionIs(3))])
        .await
        .expect("delete at version 3");
    assert_eq!(get(&store, "CD#1", "A").await, None);
    assert_condition_failed(
        store
            .transact(vec![Write::delete_if(key.clone(), Condition::Exists)])
            .await,
        0,
    );
    // Deleting what is not there, unconditionally, is fine.
    store
        .transact(vec![Write::delete(key)])
        .await
        .expect("idempotent delete");
}

pub async fn exists_check(store: Arc<dyn Store>) {
    put(&store, item("EX#insurer", "META", json!({"name": "Acme"}))).await;
    let insurer = Key::new("EX#insurer", "META");
    let missing = Key::new("EX#nobody", "META");

    store
        .transact(vec![
            Write::check(insurer.clone(), Condition::Exists),
            Write::put(item("EX#plan", "1", json!({"insurer": "EX#insurer"}))),
        ])
        .await
        .expect("reference exists");
    assert!(get(&store, "EX#plan", "1").await.is_some());

    assert_condition_failed(
        store
            .transact(vec![
                Write::check(missing.clone(), Condition::Exists),
                Write::put(item("EX#plan", "2", json!({}))),
            ])
            .await,
        0,
    );
    assert_eq!(get(&store, "EX#plan", "2").await, None);

    // A lone check.
    store
        .transact(vec![Write::check(insurer.clone(), Condition::Exists)])
        .await
        .expect("lone check holds");
    assert_condition_failed(
        store
            .transact(vec![Write::check(missing.clone(), Condition::Exists)])
            .await,
        0,
    );
    store
        .transact(vec![Write::check(missing, Condition::NotExists)])
        .await
        .expect("lone NotExists check holds");
    assert_condition_failed(
        store
            .transact(vec![Write::check(insurer, Condition::NotExists)])
            .await,
        0,
    );
}

pub async fn at_least(store: Arc<dyn Store>) {
    let stock = |n: i64| item("AL#drug", "STOCK", json!({"qty": n, "label": "x"}));
    let at_least = |value: i64| Condition::at_least("qty", value);
    put(&store, stock(5)).await;
    // Take 2 of 5: needs qty >= 2.
    store
        .transact(vec![Write::put_if(stock(3), at_least(2))])
        .await
        .expect("enough stock");
    // Boundary: qty 3 >= 3 holds.
    store
        .transact(vec![Write::check(
            Key::new("AL#drug", "STOCK"),
            at_least(3),
        )])
        .await
        .expect("boundary holds");
    assert_condition_failed(
        store
            .transact(vec![Write::put_if(stock(-1), at_least(4))])
            .await,
        0,
    );
    assert_eq!(get(&store, "AL#drug", "STOCK").await, Some(stock(3)));
    // Negative thresholds compare numerically.
    store
        .transact(vec![Write::check(
            Key::new("AL#drug", "STOCK"),
            at_least(-10),
        )])
        .await
        .expect("negative threshold");
    // A missing attribute, or a missing item, never satisfies it.
    let other_attr = Condition::at_least("absent", 0);
    assert_condition_failed(
        store
            .transact(vec![Write::check(Key::new("AL#drug", "STOCK"), other_attr)])
            .await,
        0,
    );
    assert_condition_failed(
        store
            .transact(vec![Write::check(
                Key::new("AL#none", "STOCK"),
                at_least(0),
            )])
            .await,
        0,
    );
}

pub async fn failed_transaction_writes_nothing(store: Arc<dyn Store>) {
    let existing = item("TX#x", "A", json!({"version": 1, "keep": true}));
    let guarded = item("TX#y", "A", json!({"version": 1}));
    put(&store, existing.clone()).await;
    put(&store, guarded.clone()).await;

    let writes = vec![
        Write::put_if(item("TX#a", "A", json!({"n": 1})), Condition::NotExists),
        Write::put(item(
            "TX#b",
            "A",
            json!({"n": 2, "gsi1pk": "TXL", "gsi1sk": "b"}),
        )),
        Write::delete(Key::new("TX#x", "A")),
        Write::put_if(
            item("TX#y", "A", json!({"version": 10})),
            Condition::VersionIs(9),
        ),
    ];
    assert_condition_failed(store.transact(writes).await, 3);
    assert_eq!(get(&store, "TX#a", "A").await, None);
    assert_eq!(get(&store, "TX#b", "A").await, None);
    assert_eq!(get(&store, "TX#x", "A").await, Some(existing.clone()));
    assert_eq!(get(&store, "TX#y", "A").await, Some(guarded.clone()));
    let listed = store
        .query(&Query::index(Index::Gsi1, "TXL"))
        .await
        .expect("index query");
    assert!(listed.items.is_empty(), "index written: {listed:?}");

    // The reported position is the first failing write, wherever it is.
    let writes = vec![
        Write::put(item("TX#a", "A", json!({}))),
        Write::check(Key::new("TX#missing", "A"), Condition::Exists),
        Write::put_if(item("TX#x", "A", json!({})), Condition::NotExists),
    ];
    assert_condition_failed(store.transact(writes).await, 1);
    assert_eq!(get(&store, "TX#a", "A").await, None);

    // And when every condition holds, all of it happens.
    let writes = vec![
        Write::put_if(item("TX#a", "A", json!({"n": 1})), Condition::NotExists),
        Write::delete_if(Key::new("TX#x", "A"), Condition::VersionIs(1)),
        Write::put_if(
            item("TX#y", "A", json!({"version": 2})),
            Condition::VersionIs(1),
        ),
    ];
    store.transact(writes).await.expect("all conditions hold");
    assert!(get(&store, "TX#a", "A").await.is_some());
    assert_eq!(get(&store, "TX#x", "A").await, None);
    assert_eq!(
        get(&store, "TX#y", "A").await,
        Some(item("TX#y", "A", json!({"version": 2})))
    );
}

pub async fn invalid_requests(store: Arc<dyn Store>) {
    // Two writes to one item.
    assert_invalid(
        store
            .transact(vec![
                Write::put(item("IV#1", "A", json!({}))),
                Write::delete(Key::new("IV#1", "A")),
            ])
            .await,
    );
    assert_invalid(
        store
            .transact(vec![
                Write::check(Key::new("IV#1", "A"), Condition::NotExists),
                Write::put(item("IV#1", "A", json!({}))),
            ])
            .await,
    );
    assert_invalid(store.transact(vec![]).await);
    let too_many = (0..=MAX_TRANSACTION_ACTIONS)
        .map(|i| Write::put(item("IV#many", &format!("{i:03}"), json!({}))))
        .collect();
    assert_invalid(store.transact(too_many).await);
    let mut keyless = item("IV#2", "A", json!({}));
    keyless.remove("sk");
    assert_invalid(store.transact(vec![Write::put(keyless)]).await);
    assert_invalid(
        store
            .transact(vec![Write::put(item("", "A", json!({})))])
            .await,
    );
    // Index keys must be non-empty strings; TTL integer seconds.
    assert_invalid(
        store
            .transact(vec![Write::put(item(
                "IV#3",
                "A",
                json!({"gsi1pk": 7, "gsi1sk": "x"}),
            ))])
            .await,
    );
    assert_invalid(
        store
            .transact(vec![Write::put(item(
                "IV#3",
                "A",
                json!({"gsi2pk": "p", "gsi2sk": ""}),
            ))])
            .await,
    );
    assert_invalid(
        store
            .transact(vec![Write::put(item(
                "IV#3",
                "A",
                json!({"expires_at": "soon"}),
            ))])
            .await,
    );
    assert_eq!(get(&store, "IV#1", "A").await, None);
    assert_eq!(get(&store, "IV#3", "A").await, None);
    assert_eq!(get(&store, "IV#many", "000").await, None);

    assert_invalid(store.query(&Query::table("IV#1").limit(0)).await);
    assert_invalid(store.query(&Query::table("")).await);
    assert_invalid(
        store
            .query(&Query::table("IV#1").sk(SkRange::Between("b".into(), "a".into())))
            .await,
    );
}

async fn seed_ranges(store: &Arc<dyn Store>) {
    for sk in ["c#1", "a#2", "b#1", "a#1", "b#2", "b#10"] {
        put(store, item("KR", sk, json!({"v": sk}))).await;
    }
    // Neighbouring partitions must never leak in.
    for pk in ["KR#", "KRX", "K"] {
        put(store, item(pk, "a#1", json!({}))).await;
        put(store, item(pk, "b#1", json!({}))).await;
    }
}

pub async fn table_key_ranges(store: Arc<dyn Store>) {
    seed_ranges(&store).await;
    let q = |sk: SkRange| Query::table("KR").sk(sk);
    let run = |query: Query| {
        let store = store.clone();
        async move {
            let page = store.query(&query).await.expect("query");
            assert_eq!(page.last_key, None, "no limit hit: {query:?}");
            sks(&page.items)
                .into_iter()
                .map(String::from)
                .collect::<Vec<_>>()
        }
    };

    assert_eq!(
        run(q(SkRange::All)).await,
        ["a#1", "a#2", "b#1", "b#10", "b#2", "c#1"]
    );
    assert_eq!(
        run(q(SkRange::All).backward()).await,
        ["c#1", "b#2", "b#10", "b#1", "a#2", "a#1"]
    );
    assert_eq!(
        run(q(SkRange::BeginsWith("b#".into()))).await,
        ["b#1", "b#10", "b#2"]
    );
    assert_eq!(
        run(q(SkRange::BeginsWith("b#1".into()))).await,
        ["b#1", "b#10"]
    );
    assert_eq!(
        run(q(SkRange::BeginsWith("a".into())).backward()).await,
        ["a#2", "a#1"]
    );
    assert!(run(q(SkRange::BeginsWith("z".into()))).await.is_empty());
    // BETWEEN is inclusive on both ends.
    assert_eq!(
        run(q(SkRange::Between("a#2".into(), "b#10".into()))).await,
        ["a#2", "b#1", "b#10"]
    );
    assert_eq!(
        run(q(SkRange::Between("a#2".into(), "b#10".into())).backward()).await,
        ["b#10", "b#1", "a#2"]
    );
    assert_eq!(
        run(q(SkRange::Between("b".into(), "b~".into()))).await,
        ["b#1", "b#10", "b#2"]
    );
    assert_eq!(
        run(q(SkRange::Between("c#1".into(), "c#1".into()))).await,
        ["c#1"]
    );
    assert!(run(Query::table("KR-none")).await.is_empty());

    // Items come back whole.
    let page = store
        .query(&q(SkRange::BeginsWith("c".into())))
        .await
        .unwrap();
    assert_eq!(page.items, vec![item("KR", "c#1", json!({"v": "c#1"}))]);
}

/// Follows `last_key` to the end; returns the pages' sort keys (by `attr`).
async fn all_pages(store: &Arc<dyn Store>, query: Query, attr: &str) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut start = None;
    loop {
        let page = store
            .query(&query.clone().start_after(start))
            .await
            .expect("query page");
        assert!(page.items.len() <= query.limit);
        if page.items.len() < query.limit {
            // A short page ends the query (a filter may shorten DynamoDB pages, but nothing
            // here expires).
            assert_eq!(page.last_key, None, "short page with a cursor");
        }
        pages.push(
            page.items
                .iter()
                .map(|i| i[attr].as_str().unwrap().to_string())
                .collect(),
        );
        match page.last_key {
            Some(key) => {
                assert!(pages.len() < 100, "paging does not end");
                start = Some(key);
            }
            None => return pages,
        }
    }
}

pub async fn table_paging(store: Arc<dyn Store>) {
    seed_ranges(&store).await;
    let pages = all_pages(&store, Query::table("KR").limit(2), "sk").await;
    let flat: Vec<_> = pages.concat();
    assert_eq!(flat, ["a#1", "a#2", "b#1", "b#10", "b#2", "c#1"]);
    assert_eq!(
        &pages[..3],
        [["a#1", "a#2"], ["b#1", "b#10"], ["b#2", "c#1"]]
    );

    let pages = all_pages(&store, Query::table("KR").limit(4).backward(), "sk").await;
    assert_eq!(pages[0], ["c#1", "b#2", "b#10", "b#1"]);
    assert_eq!(pages.concat(), ["c#1", "b#2", "b#10", "b#1", "a#2", "a#1"]);

    let range = Query::table("KR")
        .sk(SkRange::BeginsWith("b".into()))
        .limit(1);
    assert_eq!(
        all_pages(&store, range, "sk").await.concat(),
        ["b#1", "b#10", "b#2"]
    );

    // A page that exactly fills its limit may carry a cursor to an empty page.
    let page = store.query(&Query::table("KR").limit(6)).await.unwrap();
    assert_eq!(page.items.len(), 6);
    if let Some(key) = page.last_key {
        let rest = store
            .query(&Query::table("KR").limit(6).start_after(Some(key)))
            .await
            .unwrap();
        assert!(rest.items.is_empty());
        assert_eq!(rest.last_key, None);
    }
}

pub async fn index_paging(store: Arc<dyn Store>) {
    // Inserted out of order; index sort keys are distinct (DynamoDB leaves the order of equal
    // index sort keys unspecified).
    for i in (0..25).rev() {
        let pk = format!("IP#{:02}", (i * 7) % 25);
        let extra = json!({"gsi1pk": "IPLIST", "gsi1sk": format!("2024-01-{:02}", i + 1), "n": i});
        put(&store, item(&pk, "META", extra)).await;
    }
    for i in 0..5 {
        let extra = json!({"gsi1pk": "IPOTHER", "gsi1sk": format!("2024-01-{:02}", i + 1)});
        put(&store, item(&format!("IPX#{i}"), "META", extra)).await;
    }
    let expected: Vec<String> = (1..=25).map(|d| format!("2024-01-{d:02}")).collect();

    let pages = all_pages(
        &store,
        Query::index(Index::Gsi1, "IPLIST").limit(7),
        "gsi1sk",
    )
    .await;
    assert_eq!(pages.concat(), expected);
    assert_eq!(
        pages
            .iter()
            .map(Vec::len)
            .filter(|n| *n > 0)
            .collect::<Vec<_>>(),
        [7, 7, 7, 4]
    );

    let pages = all_pages(
        &store,
        Query::index(Index::Gsi1, "IPLIST").limit(7).backward(),
        "gsi1sk",
    )
    .await;
    let mut reversed = expected.clone();
    reversed.reverse();
    assert_eq!(pages.concat(), reversed);

    let window = Query::index(Index::Gsi1, "IPLIST")
        .sk(SkRange::Between("2024-01-10".into(), "2024-01-19".into()))
        .limit(3);
    assert_eq!(
        all_pages(&store, window, "gsi1sk").await.concat(),
        expected[9..19]
    );

    let prefix = Query::index(Index::Gsi1, "IPLIST").sk(SkRange::BeginsWith("2024-01-2".into()));
    assert_eq!(
        all_pages(&store, prefix, "gsi1sk").await.concat(),
        expected[19..]
    );

    // The cursor of an index query carries the index and table keys.
    let page = store
        .query(&Query::index(Index::Gsi1, "IPLIST").limit(1))
        .await
        .unwrap();
    let cursor = page.last_key.expect("cursor");
    for attr in ["gsi1pk", "gsi1sk", "pk", "sk"] {
        assert!(cursor.contains_key(attr), "cursor lacks {attr}: {cursor:?}");
    }
    // Index queries return whole items.
    assert_eq!(page.items[0]["n"], json!(0));

    // The other index is separate.
    let other = store
        .query(&Query::index(Index::Gsi2, "IPLIST"))
        .await
        .unwrap();
    assert!(other.items.is_empty());
}

pub async fn sparse_index(store: Arc<dyn Store>) {
    put(
        &store,
        item("SP#1", "A", json!({"gsi1pk": "SPL", "gsi1sk": "1"})),
    )
    .await;
    put(&store, item("SP#2", "A", json!({"gsi1pk": "SPL"}))).await;
    put(&store, item("SP#3", "A", json!({"gsi1sk": "3"}))).await;
    put(&store, item("SP#4", "A", json!({}))).await;
    put(
        &store,
        item("SP#5", "A", json!({"gsi2pk": "SPL", "gsi2sk": "5"})),
    )
    .await;
    put(
        &store,
        item(
            "SP#6",
            "A",
            json!({"gsi1pk": "SPL", "gsi1sk": "6", "gsi2pk": "SPL", "gsi2sk": "6"}),
        ),
    )
    .await;

    let gsi1 = store
        .query(&Query::index(Index::Gsi1, "SPL"))
        .await
        .unwrap();
    let pks: Vec<_> = gsi1
        .items
        .iter()
        .map(|i| i["pk"].as_str().unwrap())
        .collect();
    assert_eq!(pks, ["SP#1", "SP#6"]);
    let gsi2 = store
        .query(&Query::index(Index::Gsi2, "SPL"))
        .await
        .unwrap();
    let pks: Vec<_> = gsi2
        .items
        .iter()
        .map(|i| i["pk"].as_str().unwrap())
        .collect();
    assert_eq!(pks, ["SP#5", "SP#6"]);
}

pub async fn index_entry_moves(store: Arc<dyn Store>) {
    let listed = |pk: &'static str, ix: Index| {
        let store = store.clone();
        async move {
            let page = store.query(&Query::index(ix, pk)).await.expect("query");
            page.items
                .iter()
                .map(|i| i[ix.sk_attr()].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    let bed = |extra: Value| item("MV#bed1", "META", extra);

    put(
        &store,
        bed(json!({"gsi1pk": "MV#ward-a", "gsi1sk": "1", "version": 1})),
    )
    .await;
    assert_eq!(listed("MV#ward-a", Index::Gsi1).await, ["1"]);

    // Moves to another index partition.
    store
        .transact(vec![Write::put_if(
            bed(json!({"gsi1pk": "MV#ward-b", "gsi1sk": "1", "version": 2})),
            Condition::VersionIs(1),
        )])
        .await
        .unwrap();
    assert!(listed("MV#ward-a", Index::Gsi1).await.is_empty());
    assert_eq!(listed("MV#ward-b", Index::Gsi1).await, ["1"]);

    // Moves within its partition.
    put(&store, bed(json!({"gsi1pk": "MV#ward-b", "gsi1sk": "2"}))).await;
    assert_eq!(listed("MV#ward-b", Index::Gsi1).await, ["2"]);
    let old = store
        .query(&Query::index(Index::Gsi1, "MV#ward-b").sk(SkRange::BeginsWith("1".into())))
        .await
        .unwrap();
    assert!(old.items.is_empty());

    // Leaves gsi1 for gsi2.
    put(&store, bed(json!({"gsi2pk": "MV#ward-b", "gsi2sk": "9"}))).await;
    assert!(listed("MV#ward-b", Index::Gsi1).await.is_empty());
    assert_eq!(listed("MV#ward-b", Index::Gsi2).await, ["9"]);

    // Deleting removes it from the index.
    store
        .transact(vec![Write::delete(Key::new("MV#bed1", "META"))])
        .await
        .unwrap();
    assert!(listed("MV#ward-b", Index::Gsi2).await.is_empty());
}

pub async fn ttl_hides_expired(store: Arc<dyn Store>) {
    let past = now() - 60;
    let future = now() + 3600;
    let expired = item(
        "TTL#1",
        "LOCK",
        json!({"expires_at": past, "version": 1, "gsi1pk": "TTLL", "gsi1sk": "1"}),
    );
    let live = item(
        "TTL#1",
        "LOCK2",
        json!({"expires_at": future, "gsi1pk": "TTLL", "gsi1sk": "2"}),
    );
    put(&store, expired).await;
    put(&store, live.clone()).await;

    assert_eq!(get(&store, "TTL#1", "LOCK").await, None);
    assert_eq!(get(&store, "TTL#1", "LOCK2").await, Some(live.clone()));
    let table = store.query(&Query::table("TTL#1")).await.unwrap();
    assert_eq!(table.items, vec![live.clone()]);
    let index = store
        .query(&Query::index(Index::Gsi1, "TTLL"))
        .await
        .unwrap();
    assert_eq!(index.items, vec![live]);

    // An expired item counts as absent for conditions.
    let key = Key::new("TTL#1", "LOCK");
    assert_condition_failed(
        store
            .transact(vec![Write::check(key.clone(), Condition::Exists)])
            .await,
        0,
    );
    assert_condition_failed(
        store
            .transact(vec![Write::put_if(
                item("TTL#1", "LOCK", json!({"version": 2})),
                Condition::VersionIs(1),
            )])
            .await,
        0,
    );
    let fresh = item(
        "TTL#1",
        "LOCK",
        json!({"holder": "b", "expires_at": future}),
    );
    store
        .transact(vec![Write::put_if(fresh.clone(), Condition::NotExists)])
        .await
        .expect("create over an expired item");
    assert_eq!(get(&store, "TTL#1", "LOCK").await, Some(fresh.clone()));
    // The new item replaced the old one entirely, index entry included.
    let index = store
        .query(&Query::index(Index::Gsi1, "TTLL"))
        .await
        .unwrap();
    assert_eq!(sks(&index.items), ["LOCK2"]);
    assert_condition_failed(
        store
            .transact(vec![Write::put_if(fresh, Condition::NotExists)])
            .await,
        0,
    );
}

/// Every racer's result: `Ok` or a condition failure at `expect_index`, nothing else.
async fn race(
    store: &Arc<dyn Store>,
    racers: usize,
    writes: impl Fn(usize) -> Vec<Write>,
    expect_index: usize,
) -> Vec<usize> {
    let tasks: Vec<_> = (0..racers)
        .map(|i| {
            let store = store.clone();
            let writes = writes(i);
            tokio::spawn(async move { (i, store.transact(writes).await) })
        })
        .collect();
    let mut winners = Vec::new();
    for task in futures::future::join_all(tasks).await {
        let (i, result) = task.expect("task");
        match result {
            Ok(()) => winners.push(i),
            Err(StoreError::ConditionFailed { index }) => assert_eq!(index, Some(expect_index)),
            Err(e) => panic!("racer {i}: unexpected {e}"),
        }
    }
    winners
}

async fn race_versioned_writes(store: &Arc<dyn Store>) -> Vec<usize> {
    put(store, item("CC#1", "A", json!({"version": 1}))).await;
    race(
        store,
        50,
        |i| {
            let next = item("CC#1", "A", json!({"version": 2, "writer": i}));
            vec![Write::put_if(next, Condition::VersionIs(1))]
        },
        0,
    )
    .await
}

pub async fn concurrent_versioned_writes(store: Arc<dyn Store>) {
    let winners = race_versioned_writes(&store).await;
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    let stored = get(&store, "CC#1", "A").await.unwrap();
    assert_eq!(stored["writer"], json!(winners[0]));
    assert_eq!(stored["version"], json!(2));
}

/// Twenty admissions claim one bed: each a transaction guarded by a condition on the bed.
async fn race_transactions(store: &Arc<dyn Store>) -> Vec<usize> {
    race(
        store,
        20,
        |i| {
            vec![
                Write::put_if(
                    item("CT#bed", "OCCUPANT", json!({"admission": i})),
                    Condition::NotExists,
                ),
                Write::put(item(
                    &format!("CT#adm{i:02}"),
                    "META",
                    json!({"bed": "CT#bed"}),
                )),
            ]
        },
        0,
    )
    .await
}

pub async fn concurrent_transactions(store: Arc<dyn Store>) {
    let winners = race_transactions(&store).await;
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    let occupant = get(&store, "CT#bed", "OCCUPANT").await.unwrap();
    assert_eq!(occupant["admission"], json!(winners[0]));
    for i in 0..20 {
        let admission = get(&store, &format!("CT#adm{i:02}"), "META").await;
        assert_eq!(admission.is_some(), i == winners[0], "admission {i}");
    }
}

pub async fn update_creates_sets_adds_removes(store: Arc<dyn Store>) {
    let key = Key::new("UP#1", "COUNTER");
    // On a missing item: created from the key and the changes; ADD starts from 0.
    store
        .transact(vec![Write::update(
            key.clone(),
            Update::new()
                .set("label", "beds")
                .add("count", 2)
                .add("other", -1),
        )])
        .await
        .expect("upsert");
    assert_eq!(
        get(&store, "UP#1", "COUNTER").await,
        Some(item(
            "UP#1",
            "COUNTER",
            json!({"label": "beds", "count": 2, "other": -1})
        ))
    );
    // On an existing item: other attributes are kept.
    store
        .transact(vec![Write::update(
            key.clone(),
            Update::new()
                .add("count", 5)
                .remove("other")
                .set("nested", json!({"a": [1, "x"]})),
        )])
        .await
        .expect("update");
    assert_eq!(
        get(&store, "UP#1", "COUNTER").await,
        Some(item(
            "UP#1",
            "COUNTER",
            json!({"label": "beds", "count": 7, "nested": {"a": [1, "x"]}})
        ))
    );
    // Removing an absent attribute is fine.
    store
        .transact(vec![Write::update(key, Update::new().remove("never"))])
        .await
        .expect("remove absent");
}

pub async fn update_conditions(store: Arc<dyn Store>) {
    let key = Key::new("UC#1", "STOCK");
    let take = |n: i64| {
        Write::update_if(
            key.clone(),
            Update::new().add("qty", -n).add("version", 1),
            Condition::at_least("qty", n),
        )
    };
    // Missing item: the condition fails and nothing is created.
    assert_condition_failed(store.transact(vec![take(1)]).await, 0);
    assert_eq!(get(&store, "UC#1", "STOCK").await, None);
    put(
        &store,
        item("UC#1", "STOCK", json!({"qty": 3, "version": 1})),
    )
    .await;
    store.transact(vec![take(2)]).await.expect("enough");
    assert_condition_failed(store.transact(vec![take(2)]).await, 0);
    assert_eq!(
        get(&store, "UC#1", "STOCK").await,
        Some(item("UC#1", "STOCK", json!({"qty": 1, "version": 2})))
    );
    // Create-only update.
    let fresh = Key::new("UC#2", "X");
    let create = || {
        Write::update_if(
            fresh.clone(),
            Update::new().set("a", 1),
            Condition::NotExists,
        )
    };
    store.transact(vec![create()]).await.expect("create");
    assert_condition_failed(store.transact(vec![create()]).await, 0);
    // In a transaction, a failed update leaves everything as it was.
    assert_condition_failed(
        store
            .transact(vec![Write::put(item("UC#3", "Y", json!({}))), take(5)])
            .await,
        1,
    );
    assert_eq!(get(&store, "UC#3", "Y").await, None);
}

pub async fn update_moves_index_entries(store: Arc<dyn Store>) {
    let key = Key::new("UI#1", "MED");
    store
        .transact(vec![Write::update(
            key.clone(),
            Update::new()
                .set("gsi2pk", "LOW")
                .set("gsi2sk", "a")
                .add("qty", 1),
        )])
        .await
        .expect("into the index");
    let low = store
        .query(&Query::index(Index::Gsi2, "LOW"))
        .await
        .unwrap();
    assert_eq!(low.items.len(), 1);
    assert_eq!(low.items[0]["qty"], json!(1));
    store
        .transact(vec![Write::update(
            key.clone(),
            Update::new()
                .remove("gsi2pk")
                .remove("gsi2sk")
                .add("qty", 10),
        )])
        .await
        .expect("out of the index");
    let low = store
        .query(&Query::index(Index::Gsi2, "LOW"))
        .await
        .unwrap();
    assert!(low.items.is_empty(), "{low:?}");
    assert_eq!(get(&store, "UI#1", "MED").await.unwrap()["qty"], json!(11));
}

pub async fn compound_conditions(store: Arc<dyn Store>) {
    put(
        &store,
        item(
            "CO#1",
            "A",
            json!({"qty": 5, "status": "available", "version": 3}),
        ),
    )
    .await;
    let key = Key::new("CO#1", "A");
    let check = |c: Condition| Write::check(key.clone(), c);
    for (c, holds) in [
        (Condition::num("qty", Cmp::Eq, 5), true),
        (Condition::num("qty", Cmp::Lt, 5), false),
        (Condition::num("qty", Cmp::Le, 5), true),
        (Condition::num("qty", Cmp::Gt, 4), true),
        (Condition::num("qty", Cmp::Ge, 6), false),
        (Condition::equals("status", "available"), true),
        (Condition::equals("status", "occupied"), false),
        (Condition::equals("absent", "x"), false),
        (
            Condition::All(vec![
                Condition::VersionIs(3),
                Condition::at_least("qty", 5),
                Condition::num("qty", Cmp::Lt, 9),
            ]),
            true,
        ),
        (
            Condition::All(vec![Condition::VersionIs(3), Condition::at_least("qty", 6)]),
            false,
        ),
        (Condition::All(vec![]), true),
    ] {
        let result = store.transact(vec![check(c.clone())]).await;
        if holds {
            result.unwrap_or_else(|e| panic!("{c:?} should hold: {e}"));
        } else {
            assert_condition_failed(result, 0);
        }
    }
    // An empty All holds on a missing item too; the others don't.
    store
        .transact(vec![Write::check(
            Key::new("CO#none", "A"),
            Condition::All(vec![]),
        )])
        .await
        .expect("empty All on a missing item");
    assert_condition_failed(
        store
            .transact(vec![Write::check(
                Key::new("CO#none", "A"),
                Condition::equals("status", "available"),
            )])
            .await,
        0,
    );
}

pub async fn invalid_updates(store: Arc<dyn Store>) {
    let key = Key::new("IU#1", "A");
    for update in [
        Update::new(),
        Update::new().set("pk", "other"),
        Update::new().set("a", 1).add("a", 1),
        Update::new().set("gsi1pk", ""),
        Update::new().set("gsi1pk", 3),
        Update::new().set("expires_at", "soon"),
    ] {
        assert_invalid(
            store
                .transact(vec![Write::update(key.clone(), update)])
                .await,
        );
    }
    put(&store, item("IU#1", "A", json!({"name": "x"}))).await;
    // Adding to a string is refused, and leaves the item alone.
    let result = store
        .transact(vec![Write::update(
            key.clone(),
            Update::new().add("name", 1),
        )])
        .await;
    assert!(result.is_err(), "{result:?}");
    assert_eq!(get(&store, "IU#1", "A").await.unwrap()["name"], json!("x"));
}

/// Fifty writers add to one counter without reading it: all succeed, none is lost.
pub async fn concurrent_adds(store: Arc<dyn Store>) {
    let winners = race(
        &store,
        50,
        |i| {
            vec![
                Write::update(Key::new("CA#1", "COUNT"), Update::new().add("count", 1)),
                Write::put(item(&format!("CA#w{i:02}"), "W", json!({}))),
            ]
        },
        0,
    )
    .await;
    assert_eq!(winners.len(), 50);
    assert_eq!(
        get(&store, "CA#1", "COUNT").await.unwrap()["count"],
        json!(50)
    );
}

/// Fifty dispensings of one unit from a stock of nine: exactly nine succeed.
pub async fn concurrent_guarded_decrements(store: Arc<dyn Store>) {
    put(&store, item("CG#1", "STOCK", json!({"qty": 9}))).await;
    let winners = race(
        &store,
        50,
        |i| {
            vec![
                Write::update_if(
                    Key::new("CG#1", "STOCK"),
                    Update::new().add("qty", -1),
                    Condition::at_least("qty", 1),
                ),
                Write::put_if(
                    item(&format!("CG#m{i:02}"), "MOVE", json!({})),
                    Condition::NotExists,
                ),
            ]
        },
        0,
    )
    .await;
    assert_eq!(winners.len(), 9, "winners: {winners:?}");
    assert_eq!(get(&store, "CG#1", "STOCK").await.unwrap()["qty"], json!(0));
}
