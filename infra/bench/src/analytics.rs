//! Analytics: each indicator's 30-day query (the 30 days ending the day before the history's
//! end) over a long demo history and a short one, with the items each query reads and its
//! latency. The analytics read counters and month views kept with each change, so the items
//! read should not grow with the length of the history (tests/tests/it/analytics/bounded.rs
//! checks that on a small synthetic hospital; this runs the demo hospital, 500 patients).
//!
//! Histories come from the demo generator (`hospital_local::demo`, the same code as
//! `hospital-local demo-data`) and are kept under `<data root>/<days>d-seed<seed>/`: two years
//! take minutes to generate, so a run reuses what an earlier one left unless told
//! `--regenerate`. A history ends at 00:00 of the day it was generated; a reused one keeps
//! that end, so its queries are dated from it, not from today.

use crate::Result;
use crate::args::AnalyticsArgs;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use hospital_adapters::counting::{CountingStore, Reads};
use hospital_adapters::embedded::EmbeddedStore;
use hospital_core::analytics::appointments::{GroupBy, appointments};
use hospital_core::analytics::billing::billing;
use hospital_core::analytics::coverage::coverage;
use hospital_core::analytics::occupancy::occupancy;
use hospital_core::analytics::stays::{StayGroupBy, length_of_stay, readmissions};
use hospital_core::analytics::{Period, Span};
use hospital_core::automation::Settings;
use hospital_core::cursor::Cursors;
use hospital_core::resource::Deps;
use hospital_core::time::{Calendar, ScenarioClock, day_bounds, parse_tz};
use hospital_local::{Config, demo};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// The query's range, in days.
pub const WINDOW_DAYS: u64 = 30;
/// hospital-local's store file in a data dir (`hospital_local::open_store`).
const STORE_FILE: &str = "hospital.redb";
/// What the benchmark writes beside a generated store once it is complete: a directory without
/// it is an interrupted generation and is made again.
const META_FILE: &str = "bench-history.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indicator {
    Occupancy,
    Appointments,
    Billing,
    LengthOfStay,
    Readmissions,
    MedicationCoverage,
}

pub const INDICATORS: [Indicator; 6] = [
    Indicator::Occupancy,
    Indicator::Appointments,
    Indicator::Billing,
    Indicator::LengthOfStay,
    Indicator::Readmissions,
    Indicator::MedicationCoverage,
];

impl Indicator {
    pub fn name(self) -> &'static str {
        match self {
            Indicator::Occupancy => "occupancy",
            Indicator::Appointments => "appointments",
            Indicator::Billing => "billing",
            Indicator::LengthOfStay => "length-of-stay",
            Indicator::Readmissions => "readmissions",
            Indicator::MedicationCoverage => "medication-coverage",
        }
    }

    /// Runs the query as its route does with no optional parameter (shared/api/src/
    /// analytics.rs: day rows, group by specialty or diagnosis, a 30-day readmission window,
    /// 30 days of use with a 5-day threshold), and sums up its answer in a few words, so a
    /// table shows the histories hold comparable hospitals.
    async fn run(self, deps: &Deps, span: Span, settings: &Settings) -> Result<String> {
        Ok(match self {
            Indicator::Occupancy => {
                let o = occupancy(
                    deps,
                    span,
                    Period::Day,
                    None,
                    settings.occupancy_alert_percent,
                )
                .await?;
                let patient_days: i64 = o.hospital.iter().map(|r| r.patient_days).sum();
                let bed_days: i64 = o.hospital.iter().map(|r| r.available_bed_days).sum();
                format!(
                    "{patient_days} patient-days of {bed_days} bed-days, {} sectors",
                    o.sectors.len()
                )
            }
            Indicator::Appointments => {
                let a = appointments(deps, span, GroupBy::Specialty, Period::Day).await?;
                let total: i64 = a.groups.iter().flat_map(|g| &g.rows).map(|r| r.total).sum();
                format!("{total} appointments, {} specialties", a.groups.len())
            }
            Indicator::Billing => {
                let b = billing(deps, span).await?;
                format!(
                    "{} entries, {} insurers",
                    b.totals.entries,
                    b.insurers.len()
                )
            }
            Indicator::LengthOfStay => {
                let l = length_of_stay(deps, span, StayGroupBy::Diagnosis).await?;
                format!("{} discharges, {} diagnoses", l.discharges, l.groups.len())
            }
            Indicator::Readmissions => {
                let r = readmissions(deps, span, 30).await?;
                format!(
                    "{} admissions, {} readmissions",
                    r.admissions, r.readmissions
                )
            }
            Indicator::MedicationCoverage => {
                let c = coverage(deps, WINDOW_DAYS as i64, 5).await?;
                let below = c.items.iter().filter(|i| i.below_threshold).count();
                format!("{} medications, {below} below 5 days", c.items.len())
            }
        })
    }
}

/// One history and what its queries did.
pub struct HistoryResult {
    pub days: u32,
    pub dir: PathBuf,
    pub meta: Meta,
    pub reused: bool,
    pub store_items: u64,
    pub file_bytes: u64,
    pub window: Span,
    pub rows: Vec<IndicatorResult>,
}

pub struct IndicatorResult {
    pub indicator: Indicator,
    /// The reads of every timed run (the same each time, unless something is wrong).
    pub reads: Vec<Reads>,
    /// Sorted.
    pub latencies: Vec<std::time::Duration>,
    pub answer: String,
}

/// Written beside a generated store: what it holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Meta {
    pub seed: u64,
    pub days: u32,
    pub first_day: NaiveDate,
    /// The history ends at 00:00 of this day (hospital time).
    pub end_day: NaiveDate,
    pub generated_at: DateTime<Utc>,
    pub generation_seconds: f64,
    /// The generator's counts (admissions, appointments, …), as it reported them.
    pub counts: serde_json::Value,
}

/// The baseline history first, then the long one.
pub async fn bench(args: &AnalyticsArgs) -> Result<Vec<HistoryResult>> {
    let root = args.data_root()?;
    let settings = Settings::default();
    let mut histories = Vec::new();
    for days in [args.baseline_days, args.days] {
        let (dir, meta, reused) = prepare(&root, args.seed, days, args.regenerate).await?;
        histories.push(open(days, dir, meta, reused).await?);
    }

    let mut results: Vec<HistoryResult> = Vec::new();
    let mut opened = Vec::new();
    for (h, counting, deps) in histories {
        opened.push((counting, deps));
        results.push(h);
    }
    // One discarded round (the page cache, the first touch of each table), then rounds that
    // alternate between the histories so drifts in machine load hit both alike.
    for round in 0..=args.runs {
        for (result, (counting, deps)) in results.iter_mut().zip(&opened) {
            for (i, indicator) in INDICATORS.into_iter().enumerate() {
                counting.take();
                let started = Instant::now();
                let answer = indicator
                    .run(deps, result.window, &settings)
                    .await
                    .map_err(|e| format!("{} over {} days: {e}", indicator.name(), result.days))?;
                let elapsed = started.elapsed();
                let reads = counting.take();
                if round > 0 {
                    let row = &mut result.rows[i];
                    row.reads.push(reads);
                    row.latencies.push(elapsed);
                    row.answer = answer;
                }
            }
        }
    }
    for r in &mut results {
        for row in &mut r.rows {
            row.latencies.sort_unstable();
        }
    }
    Ok(results)
}

/// The history of `days` days for `seed`: the cached one, or a new one.
async fn prepare(
    root: &Path,
    seed: u64,
    days: u32,
    regenerate: bool,
) -> Result<(PathBuf, Meta, bool)> {
    let dir = root.join(format!("{days}d-seed{seed}"));
    let meta_path = dir.join(META_FILE);
    if !regenerate && let Some(meta) = read_meta(&meta_path)? {
        if meta.seed == seed && meta.days == days && dir.join(STORE_FILE).is_file() {
            eprintln!(
                "analytics: reusing {} ({} days, {} to {}, generated {} in {:.0} s; \
                 --regenerate makes it again)",
                dir.display(),
                meta.days,
                meta.first_day,
                meta.end_day - Duration::days(1),
                meta.generated_at.format("%Y-%m-%d %H:%M UTC"),
                meta.generation_seconds
            );
            return Ok((dir, meta, true));
        }
        eprintln!(
            "analytics: {} does not hold the history its name says; generating it again",
            meta_path.display()
        );
    }
    // The generator fills an empty store only: whatever is there (an interrupted generation,
    // or one to redo) goes first. Only the directory this benchmark names is removed.
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .map_err(|e| format!("cannot remove {}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    eprintln!(
        "analytics: generating {days} days of demo history (seed {seed}) into {} \
         (two years: a minute or two in a release build)",
        dir.display()
    );
    let config = Config::in_dir(&dir);
    let summary = demo::generate(
        &config,
        &demo::Options {
            seed,
            days,
            now: None,
        },
    )
    .await?;
    eprintln!(
        "analytics: {}",
        summary
            .render(&config)
            .split("Next:")
            .next()
            .unwrap_or_default()
            .trim_end()
            .replace('\n', "\n  ")
    );
    let meta = Meta {
        seed,
        days,
        first_day: summary.first_day,
        end_day: summary.today,
        generated_at: Utc::now(),
        generation_seconds: summary.elapsed.as_secs_f64(),
        counts: serde_json::to_value(&summary.counts)?,
    };
    // Written last and renamed into place: its presence says the store is complete.
    let partial = dir.join(format!("{META_FILE}.partial"));
    std::fs::write(&partial, serde_json::to_vec_pretty(&meta)?)?;
    std::fs::rename(&partial, &meta_path)?;
    Ok((dir, meta, false))
}

fn read_meta(path: &Path) -> Result<Option<Meta>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(serde_json::from_slice(&bytes).ok()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display()).into()),
    }
}

/// Opens a history's store behind a counting one, with a calendar fixed at noon of the day
/// the history ends: "today" for the queries, with nothing recorded after its first instant.
async fn open(
    days: u32,
    dir: PathBuf,
    meta: Meta,
    reused: bool,
) -> Result<(HistoryResult, Arc<CountingStore>, Deps)> {
    let config = Config::in_dir(&dir);
    let tz = parse_tz(&config.timezone)?;
    let path = dir.join(STORE_FILE);
    let store = EmbeddedStore::open(&path).map_err(|e| {
        format!(
            "cannot open {} ({e}); is hospital-local serving it?",
            path.display()
        )
    })?;
    let stats = store.stats().await?;
    let file_bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
    let counting = Arc::new(CountingStore::new(Arc::new(store)));
    let clock = Arc::new(ScenarioClock::default());
    clock.set(Some(day_bounds(meta.end_day, tz).0 + Duration::hours(12)));
    let deps = Deps {
        store: counting.clone(),
        calendar: Calendar::new(clock, tz),
        // The analytics page nothing through cursors; any key does.
        cursors: Cursors::new(b"hospital-bench"),
    };
    let yesterday = meta.end_day - Duration::days(1);
    let result = HistoryResult {
        days,
        dir,
        reused,
        store_items: stats.items,
        file_bytes,
        window: Span::ending(yesterday, WINDOW_DAYS),
        rows: INDICATORS
            .iter()
            .map(|&indicator| IndicatorResult {
                indicator,
                reads: Vec::new(),
                latencies: Vec::new(),
                answer: String::new(),
            })
            .collect(),
        meta,
    };
    Ok((result, counting, deps))
}
