//! The automation of hospital-local, in process: an event bus that hands each event to the
//! consumers of the catalogue, the relay that feeds it the outbox records the store commits,
//! and a scheduler that runs the catalogue's jobs at their times (hospital time zone). The same
//! catalogue, consumers and jobs as the Lambda functions run on AWS.

use async_trait::async_trait;
use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Timelike, Utc};
use hospital_core::automation::catalogue::{self, Consumer, Job, Schedule};
use hospital_core::automation::relay::{self, EventBus};
use hospital_core::automation::{Ctx, Handled};
use hospital_core::events::DomainEvent;
use hospital_core::store::Item;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::Notify;

/// Deliveries a consumer gets before its event is set aside (logged and kept as a dead
/// letter), as EventBridge's retry policy and dead-letter queue do on AWS.
const DELIVERY_ATTEMPTS: u32 = 5;

/// The in-process bus: each published event goes to every consumer the catalogue routes it to,
/// on a task of its own.
#[derive(Default)]
pub struct InProcessBus {
    /// The context holds this bus: [`InProcessBus::detach`] breaks the cycle on shutdown, so
    /// the store is dropped (and the embedded store's file lock released).
    ctx: std::sync::Mutex<Option<Ctx>>,
    flight: Arc<Flight>,
}

/// Deliveries under way, and a signal when there are none.
#[derive(Default)]
struct Flight {
    count: AtomicUsize,
    idle: Notify,
}

/// Counts one delivery under way while it lives.
struct InFlight(Arc<Flight>);

impl InFlight {
    fn start(flight: &Arc<Flight>) -> Self {
        flight.count.fetch_add(1, Ordering::SeqCst);
        InFlight(flight.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl InProcessBus {
    /// Consumers run with `ctx` (set after the context that holds this bus is built).
    pub fn attach(&self, ctx: Ctx) {
        if let Ok(mut c) = self.ctx.lock() {
            *c = Some(ctx);
        }
    }

    /// Stops delivering: events published from now on are refused (and stay in the outbox).
    pub fn detach(&self) {
        if let Ok(mut c) = self.ctx.lock() {
            *c = None;
        }
    }

    /// Waits until no delivery is in flight (or `limit` passes).
    pub async fn settle(&self, limit: std::time::Duration) {
        let wait = async {
            while self.flight.count.load(Ordering::SeqCst) > 0 {
                let notified = self.flight.idle.notified();
                if self.flight.count.load(Ordering::SeqCst) == 0 {
                    break;
                }
                let _ = tokio::time::timeout(std::time::Duration::from_millis(50), notified).await;
            }
        };
        let _ = tokio::time::timeout(limit, wait).await;
    }
}

#[async_trait]
impl EventBus for InProcessBus {
    async fn publish(&self, events: &[DomainEvent]) -> Vec<Result<(), String>> {
        let ctx = self.ctx.lock().ok().and_then(|c| c.clone());
        let Some(ctx) = ctx else {
            return events
                .iter()
                .map(|_| Err("the bus is not attached yet".to_string()))
                .collect();
        };
        for event in events {
            for consumer in catalogue::routes_of(event) {
                let flight = InFlight::start(&self.flight);
                let (ctx, event) = (ctx.clone(), event.clone());
                tokio::spawn(async move {
                    deliver(&ctx, consumer, &event).await;
                    drop(flight);
                });
            }
        }
        events.iter().map(|_| Ok(())).collect()
    }
}

/// Hands `event` to `consumer`, retrying with backoff; after the last attempt it is a dead
/// letter: an error line and an item under `deadletter#<consumer>`.
async fn deliver(ctx: &Ctx, consumer: &Consumer, event: &DomainEvent) {
    let mut last = String::new();
    for attempt in 0..DELIVERY_ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(200 << attempt)).await;
        }
        match (consumer.handle)(ctx, event).await {
            Ok(h) => {
                tracing::info!(consumer = consumer.name, event_id = %event.event_id, detail_type = %event.detail_type, outcome = %h.describe(), "event handled");
                return;
            }
            Err(e) => {
                last = e.to_string();
                tracing::warn!(consumer = consumer.name, event_id = %event.event_id, attempt, error = %last, "event delivery failed");
            }
        }
    }
    tracing::error!(consumer = consumer.name, event_id = %event.event_id, error = %last, "event set aside as a dead letter");
    let mut item = Item::new();
    item.insert("pk".into(), format!("deadletter#{}", consumer.name).into());
    item.insert("sk".into(), event.event_id.clone().into());
    item.insert(hospital_core::resource::ENTITY.into(), "dead_letter".into());
    item.insert("event".into(), event.bus_detail());
    item.insert("source".into(), event.source.clone().into());
    item.insert("detail_type".into(), event.detail_type.clone().into());
    item.insert("error".into(), last.into());
    let _ = ctx
        .deps
        .store
        .transact(vec![hospital_core::store::Write::put(item)])
        .await;
}

/// The relay: publishes the outbox records the embedded store hands over as it commits them,
/// and, at start and every `sweep` after, whatever stayed pending (a crash between a commit and
/// its hand-over, a store without a feed such as DynamoDB).
pub async fn relay_loop(
    ctx: Ctx,
    bus: Arc<dyn EventBus>,
    mut feed: Option<tokio::sync::mpsc::UnboundedReceiver<Item>>,
    sweep: std::time::Duration,
) {
    let run_sweep = |min_age: Duration| {
        let (deps, bus) = (ctx.deps.clone(), bus.clone());
        async move {
            match relay::sweep(&deps, bus.as_ref(), min_age, 10_000).await {
                Ok(r) if !r.published.is_empty() => {
                    tracing::info!(published = r.published.len(), "outbox swept")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "outbox sweep failed"),
            }
        }
    };
    run_sweep(Duration::zero()).await;
    let mut ticker = tokio::time::interval(sweep);
    ticker.tick().await;
    loop {
        let next = async {
            match &mut feed {
                Some(f) => f.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            item = next => {
                let Some(item) = item else { feed = None; continue };
                if let Some(event) = DomainEvent::from_outbox_item(&item)
                    && let Err(e) = relay::publish(&ctx.deps, bus.as_ref(), &[event]).await
                {
                    tracing::warn!(error = %e, "relay failed; the sweep will publish it");
                }
            }
            _ = ticker.tick() => {
                // With a feed, only what it missed; without one, everything pending.
                let min_age = if feed.is_some() { Duration::seconds(10) } else { Duration::zero() };
                run_sweep(min_age).await;
            }
        }
    }
}

/// The next time `schedule` fires after `now`, in `tz`.
pub fn next_run(schedule: Schedule, now: DateTime<Utc>, tz: chrono_tz::Tz) -> DateTime<Utc> {
    let local = now.with_timezone(&tz);
    match schedule {
        Schedule::Every { minutes } => {
            let minutes = i64::from(minutes.max(1));
            let since_midnight = i64::from(local.hour()) * 60 + i64::from(local.minute());
            let next = (since_midnight / minutes + 1) * minutes;
            let midnight = local.date_naive().and_time(NaiveTime::MIN);
            let at = midnight + Duration::minutes(next);
            tz.from_local_datetime(&at)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or(now + Duration::minutes(minutes))
        }
        Schedule::Daily { hour, minute } => {
            let mut day = local.date_naive();
            loop {
                let at = day.and_hms_opt(hour, minute, 0).unwrap_or_default();
                if let Some(t) = tz.from_local_datetime(&at).earliest()
                    && t.with_timezone(&Utc) > now
                {
                    return t.with_timezone(&Utc);
                }
                day = day.succ_opt().unwrap_or(day);
                if day.year() > 9000 {
                    return now + Duration::days(1);
                }
            }
        }
    }
}

/// Runs each job of the catalogue at its times, on real time (with the dev clock on, jobs run
/// when asked: `POST /v1/dev/jobs/{name}`).
pub async fn scheduler(ctx: Ctx) {
    let tz = ctx.deps.calendar.tz();
    let mut tasks = Vec::new();
    for job in catalogue::JOBS {
        let ctx = ctx.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let now = Utc::now();
                let at = next_run(job.schedule, now, tz);
                let wait = (at - now).to_std().unwrap_or_default();
                tokio::time::sleep(wait).await;
                let report = run_job(&ctx, job).await;
                tracing::info!(job = job.name, report = %report, "scheduled job ran");
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}

/// Runs one job now, recorded ([`hospital_core::automation::runs`]: a failure is logged and
/// alerted there); answers its report (or its error, as a report).
pub async fn run_job(ctx: &Ctx, job: &Job) -> Value {
    answer(
        job.name,
        hospital_core::automation::runs::run(ctx, job).await,
    )
}

/// A run's outcome as the dev route and `run-job` print it.
pub fn answer(
    name: &str,
    result: hospital_core::DomainResult<hospital_core::automation::jobs::Report>,
) -> Value {
    match result {
        Ok(report) => json!({"job": name, "ok": true, "report": report}),
        Err(e) => json!({"job": name, "ok": false, "error": e.cause()}),
    }
}

/// The outcome of a consumer, for reports.
pub fn outcome(h: &Handled) -> String {
    h.describe()
}
