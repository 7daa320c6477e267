//! Publishing outbox records: a record is written with its change (so it exists exactly when
//! the change committed), published by a relay, then marked published (it leaves the pending
//! index). A relay that dies between reading and publishing leaves the record pending: the next
//! run (the DynamoDB Stream's retry on AWS, the outbox sweep everywhere) publishes it.
//! Consumers are idempotent, so a record published twice has one effect.

use crate::error::DomainResult;
use crate::events::{DomainEvent, PENDING};
use crate::resource::Deps;
use crate::store::{Condition, Index, Query, StoreError, Update, Write};
use async_trait::async_trait;

/// The event bus port: EventBridge on AWS, in process in hospital-local.
#[async_trait]
pub trait EventBus: Send + Sync + 'static {
    /// Publishes the events; answers, per event in order, whether it was accepted.
    async fn publish(&self, events: &[DomainEvent]) -> Vec<Result<(), String>>;
}

/// What a relay run did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Relayed {
    pub published: Vec<String>,
    pub failed: Vec<String>,
}

/// Publishes `events` and marks each one the bus accepted as published.
pub async fn publish(
    deps: &Deps,
    bus: &dyn EventBus,
    events: &[DomainEvent],
) -> DomainResult<Relayed> {
    let mut out = Relayed::default();
    if events.is_empty() {
        return Ok(out);
    }
    let results = bus.publish(events).await;
    for (event, result) in events.iter().zip(results) {
        match result {
            Ok(()) => {
                mark_published(deps, event).await?;
                out.published.push(event.event_id.clone());
            }
            Err(e) => {
                tracing::warn!(event_id = %event.event_id, detail_type = %event.detail_type, error = %e, "event not published; stays pending");
                out.failed.push(event.event_id.clone());
            }
        }
    }
    Ok(out)
}

/// Takes the record out of the pending index (it stays, for its TTL, as a trace).
async fn mark_published(deps: &Deps, event: &DomainEvent) -> DomainResult<()> {
    let update = Update::new().remove("gsi2pk").remove("gsi2sk").set(
        "published_at",
        crate::resource::record::rfc3339(deps.calendar.now()),
    );
    match deps
        .store
        .transact(vec![Write::update_if(
            DomainEvent::outbox_key(&event.event_id),
            update,
            Condition::Exists,
        )])
        .await
    {
        // Expired meanwhile (after a month of outage): nothing to mark.
        Ok(()) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Pending outbox records, oldest first, at most `limit`, written at least `min_age` ago
/// (by their id's time: a ULID starts with its creation instant).
pub async fn pending(
    deps: &Deps,
    min_age: chrono::Duration,
    limit: usize,
) -> DomainResult<Vec<DomainEvent>> {
    // Real time, not the hospital clock: event ids are ULIDs minted at real time.
    let cutoff = (chrono::Utc::now() - min_age).timestamp_millis().max(0) as u64;
    let page = deps
        .store
        .query(&Query::index(Index::Gsi2, PENDING).limit(limit))
        .await?;
    Ok(page
        .items
        .iter()
        .filter_map(DomainEvent::from_outbox_item)
        .filter(|e| {
            ulid::Ulid::from_string(&e.event_id)
                .map(|u| u.timestamp_ms() <= cutoff)
                .unwrap_or(true)
        })
        .collect())
}

/// The outbox sweep: publishes what stayed pending for `min_age` (a relay that died, a bus
/// that failed), in batches, up to `max` records a run.
pub async fn sweep(
    deps: &Deps,
    bus: &dyn EventBus,
    min_age: chrono::Duration,
    max: usize,
) -> DomainResult<Relayed> {
    let mut total = Relayed::default();
    while total.published.len() + total.failed.len() < max {
        let batch = pending(deps, min_age, 50).await?;
        let batch: Vec<DomainEvent> = batch
            .into_iter()
            .filter(|e| !total.failed.contains(&e.event_id))
            .collect();
        if batch.is_empty() {
            break;
        }
        let run = publish(deps, bus, &batch).await?;
        let progressed = !run.published.is_empty();
        total.published.extend(run.published);
        total.failed.extend(run.failed);
        if !progressed {
            break;
        }
    }
    Ok(total)
}
