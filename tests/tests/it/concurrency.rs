//! Races that must have exactly one winner, on both stores.

use crate::common::*;
use futures::future::join_all;
use serde_json::json;

async fn same_cpf_creates(local: &Local) {
    let body = patient("Corrida", 40);
    let results = join_all(
        (0..20).map(|_| async { local.post("/v1/patients", &body).await.status().as_u16() }),
    )
    .await;
    let created = results.iter().filter(|s| **s == 201).count();
    let conflicts = results.iter().filter(|s| **s == 409).count();
    assert_eq!((created, conflicts), (1, 19), "{results:?}");
    let (_, page) =
        crate::common::body(local.get(&format!("/v1/patients?cpf={}", cpf(40))).await).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
}

async fn same_if_match_patches(local: &Local) {
    let (s, p) = body(local.post("/v1/patients", &patient("Alvo", 41)).await).await;
    assert_eq!(s, 201);
    let loc = format!("/v1/patients/{}", p["id"].as_str().unwrap());
    let results = join_all((0..50).map(|i| {
        let loc = loc.clone();
        async move {
            local
                .patch(
                    &loc,
                    &json!({"allergies": [format!("a{i}")]}),
                    Some("\"1\""),
                )
                .await
                .status()
                .as_u16()
        }
    }))
    .await;
    let ok = results.iter().filter(|s| **s == 200).count();
    let stale = results.iter().filter(|s| **s == 412).count();
    assert_eq!((ok, stale), (1, 49), "{results:?}");
    let (_, now) = body(local.get(&loc).await).await;
    assert_eq!(now["version"], 2);
}

#[tokio::test]
async fn races_on_embedded_store() {
    let local = Local::start(Backend::Embedded).await;
    same_cpf_creates(&local).await;
    same_if_match_patches(&local).await;
    local.stop().await;
}

#[tokio::test]
async fn races_on_dynamodb() {
    let local = Local::start(Backend::Dynamo).await;
    same_cpf_creates(&local).await;
    same_if_match_patches(&local).await;
    local.stop().await;
}
