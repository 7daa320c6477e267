//! The conformance suite on DynamoDB, as served by one `moto_server` per test binary (one
//! request at a time, see hospital-testkit, so the race tests are meaningful); every
//! test gets its own table.

use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::TimeToLiveStatus;
use hospital_adapters::DynamoStore;
use hospital_core::store::{Key, Store, StoreError, Write};
use hospital_testkit::{MotoServer, aws_test_env};
use serde_json::json;

use crate::conformance::{Fixture, item};

/// A client built without the environment, so tests need not mutate it, on the project's
/// HTTPS client (the SDK's default one is not linked).
fn client(endpoint: &str) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .http_client(hospital_adapters::aws::https_client().expect("https client"))
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .endpoint_url(endpoint)
        .build();
    Client::from_conf(config)
}

async fn dynamo(table: &str) -> DynamoStore {
    let moto = MotoServer::shared().await;
    let store = DynamoStore::new(client(&moto.endpoint()), format!("conformance-{table}"));
    store.ensure_table().await.expect("ensure table");
    store
}

async fn dynamo_store(test: &str) -> Fixture {
    Fixture::new(Arc::new(dynamo(test).await))
}

mod moto {
    crate::conformance::conformance_tests!(super::dynamo_store);
}

#[tokio::test]
async fn ensure_table_is_idempotent_and_enables_ttl() {
    let store = dynamo("ensure-twice").await;
    store.ensure_table().await.expect("second ensure");
    let ttl = store
        .client()
        .describe_time_to_live()
        .table_name(store.table())
        .send()
        .await
        .unwrap();
    let ttl = ttl.time_to_live_description().unwrap();
    assert_eq!(ttl.attribute_name(), Some("expires_at"));
    assert_eq!(ttl.time_to_live_status(), Some(&TimeToLiveStatus::Enabled));
    let table = store
        .client()
        .describe_table()
        .table_name(store.table())
        .send()
        .await
        .unwrap();
    let mut indexes: Vec<_> = table
        .table()
        .unwrap()
        .global_secondary_indexes()
        .iter()
        .filter_map(|g| g.index_name())
        .collect();
    indexes.sort();
    assert_eq!(indexes, ["gsi1", "gsi2"]);
}

#[tokio::test]
async fn from_env_talks_to_the_endpoint() {
    aws_test_env();
    let moto = MotoServer::shared().await;
    let store = DynamoStore::from_env("conformance-from-env", Some(moto.endpoint())).await;
    store.ensure_table().await.unwrap();
    let it = item("ENV#1", "A", json!({"ok": true}));
    store.transact(vec![Write::put(it.clone())]).await.unwrap();
    assert_eq!(store.get(&Key::new("ENV#1", "A")).await.unwrap(), Some(it));
}

#[tokio::test]
async fn unreachable_endpoint_is_unavailable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let store = DynamoStore::new(client(&format!("http://127.0.0.1:{port}")), "nowhere");
    match store.get(&Key::new("A", "B")).await {
        Err(StoreError::Unavailable(msg)) => assert!(!msg.is_empty()),
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn missing_table_is_unavailable() {
    let moto = MotoServer::shared().await;
    let store = DynamoStore::new(client(&moto.endpoint()), "conformance-never-created");
    let err = store
        .transact(vec![Write::put(item("A", "B", json!({})))])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
}
