//! Job runs, recorded: every run of a scheduled job — by its schedule, `hospital-local run-job`
//! or the dev route — leaves a record (name, started, finished, outcome, counts, error) listed
//! by `GET /v1/automation/job-runs`. A failed run is also an ERROR log line and an operational
//! alert naming the cause, written with its record.

use super::Ctx;
use super::catalogue::Job;
use super::consumers::{LOG_KEEP_SECS, alert};
use super::jobs::Report;
use crate::error::DomainResult;
use crate::resource::record::rfc3339;
use crate::store::{Item, Key, Update, Write};
use serde_json::{Map, Value, json};
use std::future::Future;

/// Where job runs are listed, newest first.
pub const JOB_RUNS: &str = "automation#job_run";

/// Runs `job` now, recorded.
pub async fn run(ctx: &Ctx, job: &Job) -> DomainResult<Report> {
    record(ctx, job.name, (job.run)(ctx)).await
}

/// Runs `work` as a run of the job `name`, recorded: a `running` record first (a run that dies
/// midway stays so), then its outcome.
pub async fn record(
    ctx: &Ctx,
    name: &str,
    work: impl Future<Output = DomainResult<Report>>,
) -> DomainResult<Report> {
    let id = crate::ids::new_id();
    let key = Key::new(format!("job-run#{id}"), "job-run");
    let started = rfc3339(ctx.deps.calendar.now());
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.clone().into());
    item.insert("sk".into(), key.sk.clone().into());
    item.insert(crate::resource::ENTITY.into(), "job_run".into());
    item.insert("id".into(), id.clone().into());
    item.insert("job".into(), name.into());
    item.insert("started_at".into(), started.clone().into());
    item.insert("outcome".into(), "running".into());
    item.insert("gsi1pk".into(), JOB_RUNS.into());
    item.insert("gsi1sk".into(), format!("{started} {id}").into());
    item.insert(
        crate::store::TTL.into(),
        (ctx.deps.calendar.wall_secs() + LOG_KEEP_SECS).into(),
    );
    if let Err(e) = ctx.deps.store.transact(vec![Write::put(item)]).await {
        // The job may still do its work; it is its outcome that matters.
        tracing::error!(job = name, error = %e, "could not record the start of a job run");
    }
    let result = work.await;
    let mut tx = ctx.deps.tx();
    let finished = rfc3339(tx.now());
    let update = Update::new().set("finished_at", finished);
    let update = match &result {
        Ok(report) => update.set("outcome", "ok").set("counts", counts(report)),
        Err(e) => {
            let cause = e.cause();
            tracing::error!(job = name, run = %id, error = %cause, "job failed");
            alert(
                &mut tx,
                "job_failed",
                name,
                &format!("a tarefa {name} falhou: {cause}"),
            );
            update.set("outcome", "failed").set("error", cause)
        }
    };
    tx.push(Write::update(key, update), crate::resource::Blame::Moved);
    if let Err(e) = tx.commit(ctx.deps.store.as_ref()).await {
        tracing::error!(job = name, run = %id, error = ?e, "could not record the outcome of a job run");
    }
    result
}

/// The figures of a report: its numbers, and the lengths of its lists.
fn counts(report: &Report) -> Value {
    let mut out = Map::new();
    if let Some(o) = report.as_object() {
        for (k, v) in o {
            match v {
                Value::Number(_) => {
                    out.insert(k.clone(), v.clone());
                }
                Value::Array(a) => {
                    out.insert(k.clone(), json!(a.len()));
                }
                _ => {}
            }
        }
    }
    Value::Object(out)
}
