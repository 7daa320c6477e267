//! Printing: one table per measurement, then the goals side by side.

use crate::analytics::HistoryResult;
use crate::args::{AnalyticsArgs, ClientKind, HttpArgs, InitArgs};
use crate::init::InitResult;
use crate::load::{LoadResult, WARM_UP};
use crate::size::{BinarySize, GOAL_BYTES};
use std::time::Duration;

/// The goals (docs/benchmarks.md).
const INIT_GOAL_RATIO: f64 = 2.0;
const HTTP_GOAL_THROUGHPUT: f64 = 0.60;
const HTTP_GOAL_P99_RATIO: f64 = 2.0;
/// Items read over the long history / over the short one, within which they count as the same
/// (the bounded-read test's tolerance).
const SAME_READS: std::ops::RangeInclusive<f64> = 0.95..=1.05;

pub fn print_sizes(sizes: &[BinarySize]) {
    println!(
        "Release Lambda binaries (stripped): goal ≤ {:.0} MiB per function binary",
        mib(GOAL_BYTES)
    );
    println!("  {:<21} {:>11}  goal", "binary", "size");
    for s in sizes {
        match s.bytes {
            Some(bytes) => println!(
                "  {:<21} {:>11}  {}",
                s.name,
                fmt_mib(bytes),
                verdict(bytes <= GOAL_BYTES)
            ),
            None => println!(
                "  {:<21} {:>11}  (no {}; build: {})",
                s.name,
                "-",
                s.path.display(),
                crate::BUILD
            ),
        }
    }
    println!();
}

pub fn print_http(args: &HttpArgs, results: &[LoadResult]) {
    println!(
        "GET /v1/patients/{{id}}: {} keep-alive connections, {} s measured after {} s warm-up, \
         {} load generator in this process",
        args.concurrency,
        args.seconds,
        WARM_UP.as_secs(),
        match args.client {
            ClientKind::Raw => "raw HTTP/1.1",
            ClientKind::Reqwest => "reqwest",
        }
    );
    println!(
        "  {:<27} {:>10} {:>10} {:>10} {:>10} {:>9} {:>7}",
        "target", "req/s", "p50", "p99", "max", "failures", "bytes"
    );
    for r in results {
        println!(
            "  {:<27} {:>10.0} {:>10} {:>10} {:>10} {:>9} {:>7}",
            r.name,
            r.requests_per_second(),
            fmt_duration(percentile(&r.latencies, 50.0)),
            fmt_duration(percentile(&r.latencies, 99.0)),
            fmt_duration(r.latencies.last().copied()),
            r.failures,
            r.body_bytes
        );
    }
    println!();
}

pub fn print_init(args: &InitArgs, results: &[InitResult]) {
    println!(
        "Lambda init: process start to first response under a mock Runtime API, \
         {} runs per binary (+1 discarded); hospital runs HOSPITAL_FUNCTION=patients",
        args.init_runs
    );
    println!(
        "  {:<15} {:>9} {:>11} {:>11} {:>11} {:>11} {:>11} {:>9} {:>7}  ddb",
        "binary",
        "size",
        "/next p50",
        "resp p50",
        "resp p90",
        "resp min",
        "resp max",
        "peak RSS",
        "status"
    );
    for r in results {
        let mut next: Vec<_> = r.runs.iter().map(|x| x.to_next).collect();
        let resp = r.responses();
        let mut rss: Vec<_> = r.runs.iter().filter_map(|x| x.peak_rss_kib).collect();
        next.sort_unstable();
        rss.sort_unstable();
        let mut statuses: Vec<String> = r
            .runs
            .iter()
            .map(|x| x.status.map_or("-".to_string(), |s| s.to_string()))
            .collect();
        statuses.sort();
        statuses.dedup();
        let ddb = r
            .runs
            .first()
            .map(|x| x.dynamodb_calls.join("+"))
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| "-".into());
        println!(
            "  {:<15} {:>9} {:>11} {:>11} {:>11} {:>11} {:>11} {:>9} {:>7}  {}",
            r.name,
            fmt_size(r.size),
            fmt_duration(percentile(&next, 50.0)),
            fmt_duration(percentile(&resp, 50.0)),
            fmt_duration(percentile(&resp, 90.0)),
            fmt_duration(resp.first().copied()),
            fmt_duration(resp.last().copied()),
            percentile(&rss, 50.0)
                .map_or("-".to_string(), |k| format!("{:.1} MiB", k as f64 / 1024.0)),
            statuses.join(","),
            ddb
        );
    }
    println!(
        "  (/next: process start to its first Runtime API poll; resp: to its first invocation \
         response; status: the function's HTTP status; ddb: DynamoDB calls answered by the mock)"
    );
    println!();
}

/// The goals of whatever was measured, one line each.
pub fn print_goals(sizes: &[BinarySize], init: &[InitResult], http: &[LoadResult]) {
    println!("Goals");
    if !sizes.is_empty() {
        let measured: Vec<(&str, u64)> = sizes
            .iter()
            .filter_map(|s| s.bytes.map(|b| (s.name, b)))
            .collect();
        let largest = measured.iter().map(|(_, b)| *b).max().unwrap_or(0);
        let list: Vec<String> = measured
            .iter()
            .map(|(name, b)| format!("{name} {:.2}", mib(*b)))
            .collect();
        let complete = measured.len() == sizes.len();
        println!(
            "  {:<40} {:>10}  {:<9} {:<7}  ({} MiB)",
            "binary size, largest function binary",
            if complete {
                fmt_mib(largest)
            } else {
                "-".into()
            },
            format!("≤ {:.0} MiB", mib(GOAL_BYTES)),
            if complete {
                verdict(largest <= GOAL_BYTES)
            } else {
                "not all built"
            },
            list.join(", ")
        );
    }
    if let [hospital, baselines @ ..] = init {
        let h = percentile(&hospital.responses(), 50.0);
        for (i, baseline) in baselines.iter().enumerate() {
            let e = percentile(&baseline.responses(), 50.0);
            let (Some(h), Some(e)) = (h, e) else { continue };
            let ratio = h.as_secs_f64() / e.as_secs_f64();
            // The goal is against the first baseline; the others are shown for information.
            let (goal, verdict) = if i == 0 {
                (
                    format!("≤ {INIT_GOAL_RATIO:.0}×"),
                    verdict(ratio <= INIT_GOAL_RATIO),
                )
            } else {
                ("(info)".to_string(), "")
            };
            println!(
                "  {:<40} {:>10}  {:<9} {:<7}  ({} vs {}, p50 to first response)",
                format!("init, hospital / {}", baseline.name),
                format!("{ratio:.1}×"),
                goal,
                verdict,
                fmt_duration(Some(h)),
                fmt_duration(Some(e))
            );
        }
    }
    if let [hospital, bare, ..] = http {
        let share = hospital.requests_per_second() / bare.requests_per_second();
        println!(
            "  {:<40} {:>10}  {:<9} {:<7}  ({:.0} vs {:.0} req/s)",
            "HTTP req/s, hospital-local / bare axum",
            format!("{:.0} %", share * 100.0),
            format!("≥ {:.0} %", HTTP_GOAL_THROUGHPUT * 100.0),
            verdict(share >= HTTP_GOAL_THROUGHPUT),
            hospital.requests_per_second(),
            bare.requests_per_second()
        );
        let (h, b) = (
            percentile(&hospital.latencies, 99.0),
            percentile(&bare.latencies, 99.0),
        );
        if let (Some(h), Some(b)) = (h, b) {
            let ratio = h.as_secs_f64() / b.as_secs_f64();
            println!(
                "  {:<40} {:>10}  {:<9} {:<7}  ({} vs {})",
                "HTTP p99, hospital-local / bare axum",
                format!("{ratio:.1}×"),
                format!("≤ {HTTP_GOAL_P99_RATIO:.0}×"),
                verdict(ratio <= HTTP_GOAL_P99_RATIO),
                fmt_duration(Some(h)),
                fmt_duration(Some(b))
            );
        }
    }
}

pub fn print_analytics(args: &AnalyticsArgs, results: &[HistoryResult]) {
    let baseline = results.first();
    println!(
        "Analytics: each indicator's {}-day query (the {} days before the history's end), \
         {} runs after 1 discarded; demo hospital, seed {}",
        crate::analytics::WINDOW_DAYS,
        crate::analytics::WINDOW_DAYS,
        args.runs,
        args.seed
    );
    for (index, h) in results.iter().enumerate() {
        println!(
            "  history: {} days ({} to {}), {} items in the store ({}), {} ({})",
            h.days,
            h.meta.first_day,
            h.meta.end_day - chrono::Duration::days(1),
            h.store_items,
            fmt_size(h.file_bytes),
            h.dir.display(),
            if h.reused { "reused" } else { "generated now" }
        );
        println!("  query: {} to {}", h.window.from, h.window.to);
        let compare = index > 0;
        let ratio_head = match baseline {
            Some(b) if compare => format!(
                " {:>8} {:>8} {:>8}",
                format!("items÷{}d", b.days),
                format!("p50÷{}d", b.days),
                "reads"
            ),
            _ => String::new(),
        };
        println!(
            "  {:<20} {:>7} {:>8} {:>10} {:>10}{}  answer",
            "indicator", "items", "requests", "p50", "p90", ratio_head
        );
        for (i, row) in h.rows.iter().enumerate() {
            let items = row.reads.first().map_or(0, |r| r.items);
            let requests = row.reads.first().map_or(0, |r| r.requests);
            let steady = row
                .reads
                .iter()
                .all(|r| r.items == items && r.requests == requests);
            let p50 = percentile(&row.latencies, 50.0);
            let ratios = match baseline.and_then(|b| b.rows.get(i)) {
                Some(base) if compare => {
                    let base_items = base.reads.first().map_or(0, |r| r.items);
                    let items_ratio = items as f64 / base_items.max(1) as f64;
                    let latency_ratio = match (p50, percentile(&base.latencies, 50.0)) {
                        (Some(a), Some(b)) if !b.is_zero() => {
                            format!("{:.2}", a.as_secs_f64() / b.as_secs_f64())
                        }
                        _ => "-".into(),
                    };
                    format!(
                        " {:>8.2} {:>8} {:>8}",
                        items_ratio,
                        latency_ratio,
                        reads_verdict(items_ratio)
                    )
                }
                _ => String::new(),
            };
            println!(
                "  {:<20} {:>7} {:>8} {:>10} {:>10}{}  {}{}",
                row.indicator.name(),
                items,
                requests,
                fmt_duration(p50),
                fmt_duration(percentile(&row.latencies, 90.0)),
                ratios,
                row.answer,
                if steady {
                    ""
                } else {
                    " (reads varied between runs)"
                }
            );
        }
    }
    println!(
        "  (items: items the query read from the store; requests: gets and query pages; \
         reads: items within ±5 % of the {}-day history's (same), under (fewer) or over (MORE))",
        baseline.map_or(0, |b| b.days)
    );
}

/// Fewer items over the long history is no failure: the demo's two histories are not the same
/// hospital in their last 30 days (their census curves follow the history's length), and a
/// window with fewer discharges reads fewer. Only more is worth a look.
fn reads_verdict(ratio: f64) -> &'static str {
    if SAME_READS.contains(&ratio) {
        "same"
    } else if ratio < *SAME_READS.start() {
        "fewer"
    } else {
        "MORE"
    }
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT MET" }
}

/// Nearest-rank percentile of sorted values.
pub fn percentile<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

pub fn fmt_duration(d: Option<Duration>) -> String {
    match d {
        None => "-".into(),
        Some(d) if d < Duration::from_millis(1) => format!("{} µs", d.as_micros()),
        Some(d) if d < Duration::from_secs(1) => format!("{:.2} ms", d.as_secs_f64() * 1e3),
        Some(d) => format!("{:.2} s", d.as_secs_f64()),
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// One decimal, as the init table has always shown sizes.
pub fn fmt_size(bytes: u64) -> String {
    format!("{:.1} MiB", mib(bytes))
}

/// Two decimals: the size goal is 12 MiB, and tenths hide which side of it a binary is.
fn fmt_mib(bytes: u64) -> String {
    format!("{:.2} MiB", mib(bytes))
}

pub fn machine(cores: usize) -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map_or("unknown CPU".to_string(), |(_, m)| m.trim().to_string());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|k| format!(", Linux {}", k.trim()))
        .unwrap_or_default();
    format!("machine: {cores} cores, {model}{kernel}")
}
