//! The event bus port over EventBridge: `PutEvents` on the stack's own bus, in batches of at
//! most ten entries; entries the bus refuses are retried (with backoff) a few times, then
//! reported failed, so their outbox records stay pending for the next run.

use async_trait::async_trait;
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use hospital_core::automation::relay::EventBus;
use hospital_core::events::DomainEvent;
use std::time::Duration;

/// Most entries one PutEvents call takes.
pub const BATCH: usize = 10;
const ATTEMPTS: u32 = 3;

#[derive(Debug, Clone)]
pub struct EventBridgeBus {
    client: Client,
    bus: String,
}

impl EventBridgeBus {
    pub fn new(client: Client, bus: impl Into<String>) -> Self {
        Self {
            client,
            bus: bus.into(),
        }
    }

    fn entry(&self, e: &DomainEvent) -> PutEventsRequestEntry {
        PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(&e.source)
            .detail_type(&e.detail_type)
            .detail(e.bus_detail().to_string())
            .time(aws_sdk_eventbridge::primitives::DateTime::from_millis(
                e.occurred_at.timestamp_millis(),
            ))
            .build()
    }

    /// One batch: the outcome of each of its events, after retrying the refused ones.
    async fn batch(&self, events: &[DomainEvent]) -> Vec<Result<(), String>> {
        let mut results: Vec<Result<(), String>> =
            vec![Err("not attempted".to_string()); events.len()];
        let mut todo: Vec<usize> = (0..events.len()).collect();
        for attempt in 0..ATTEMPTS {
            if todo.is_empty() {
                break;
            }
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
            }
            let entries = todo.iter().map(|i| self.entry(&events[*i])).collect();
            match self
                .client
                .put_events()
                .set_entries(Some(entries))
                .send()
                .await
            {
                Ok(out) => {
                    let mut again = Vec::new();
                    for (i, entry) in todo.iter().zip(out.entries()) {
                        match entry.error_code() {
                            None => results[*i] = Ok(()),
                            Some(code) => {
                                results[*i] = Err(format!(
                                    "{code}: {}",
                                    entry.error_message().unwrap_or_default()
                                ));
                                again.push(*i);
                            }
                        }
                    }
                    todo = again;
                }
                Err(e) => {
                    let message = aws_sdk_eventbridge::error::DisplayErrorContext(&e).to_string();
                    for i in &todo {
                        results[*i] = Err(message.clone());
                    }
                }
            }
        }
        results
    }
}

#[async_trait]
impl EventBus for EventBridgeBus {
    async fn publish(&self, events: &[DomainEvent]) -> Vec<Result<(), String>> {
        let mut out = Vec::with_capacity(events.len());
        for chunk in events.chunks(BATCH) {
            out.extend(self.batch(chunk).await);
        }
        out
    }
}
