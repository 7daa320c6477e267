//! The command line. With no subcommand the default run measures size, init and HTTP, and
//! takes the options of `init` and `http`; each measurement can also run on its own.

use clap::{Args, Parser, Subcommand, ValueEnum};
use hospital_local::demo;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    version,
    about = "Hospital's benchmarks: binary sizes, Lambda init, HTTP throughput, analytics reads",
    long_about = "Hospital's benchmarks (docs/benchmarks.md). With no subcommand: the size of the \
                  four release Lambda binaries, the `hospital` binary's init time (the patients \
                  function) against an empty lambda_runtime binary, and hospital-local's \
                  GET /v1/patients/{id} against a bare axum handler, each next to its goal.",
    after_help = "Build first: cargo build --release -p hospital-functions -p empty-lambda && \
                  cargo build --profile local -p hospital-bench",
    // The default run's options go before any subcommand, not with one.
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub all: AllArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Size of the four release Lambda binaries, next to the goal (≤ 12 MiB each).
    Size(BinDir),
    /// The `hospital` binary's cold start (HOSPITAL_FUNCTION=patients) under a mock Lambda
    /// Runtime API, next to `empty-lambda` (goal: ≤ 2× its time) and `empty-lambda-1t`.
    Init(InitArgs),
    /// GET /v1/patients/{id} on hospital-local next to a bare axum handler (goal: ≥ 60 % of
    /// its requests/s, p99 ≤ 2× its p99).
    Http(HttpArgs),
    /// Items read and latency of each analytics indicator's 30-day query over a long demo
    /// history, next to a short one (the reads must not grow with the history).
    Analytics(AnalyticsArgs),
}

/// The default run: init and HTTP options together.
#[derive(Debug, Args)]
pub struct AllArgs {
    #[command(flatten)]
    pub http: HttpArgs,
    #[command(flatten)]
    pub init: InitArgs,
}

#[derive(Debug, Clone, Args)]
pub struct HttpArgs {
    /// Measured seconds per HTTP target, after a 1 s warm-up.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    pub seconds: u64,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..))]
    pub concurrency: u64,
    /// The load generator's HTTP client.
    #[arg(long, value_enum, default_value_t = ClientKind::Raw)]
    pub client: ClientKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClientKind {
    /// A minimal keep-alive HTTP/1.1 client (cheapest: little more than its system calls).
    Raw,
    /// reqwest (hyper): a realistic client with more overhead per request.
    Reqwest,
}

#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// Process starts per Lambda binary (plus one discarded start each).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..))]
    pub init_runs: u64,
    #[command(flatten)]
    pub bin: BinDir,
}

impl InitArgs {
    pub fn bin_dir(&self) -> crate::Result<PathBuf> {
        self.bin.bin_dir()
    }
}

#[derive(Debug, Clone, Args)]
pub struct BinDir {
    /// Where the Lambda binaries and the `empty-lambda` baselines are [default: `release` in
    /// the target directory this binary is in].
    #[arg(long, value_name = "DIR")]
    pub bin_dir: Option<PathBuf>,
}

impl BinDir {
    pub fn bin_dir(&self) -> crate::Result<PathBuf> {
        match &self.bin_dir {
            Some(dir) => Ok(dir.clone()),
            // target/local/hospital-bench → target/release: the Lambda binaries are built with
            // the release profile (size), this benchmark with the local one (speed).
            None => Ok(std::env::current_exe()?
                .parent()
                .and_then(|profile| profile.parent())
                .ok_or("cannot tell the target directory; pass --bin-dir")?
                .join("release")),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct AnalyticsArgs {
    /// The demo generator's seed (the same seed gives the same hospital).
    #[arg(long, default_value_t = demo::DEFAULT_SEED)]
    pub seed: u64,
    /// Days of the long history.
    #[arg(long, default_value_t = 730, value_parser = clap::value_parser!(u32).range(demo_days()))]
    pub days: u32,
    /// Days of the short history it is compared with.
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u32).range(demo_days()))]
    pub baseline_days: u32,
    /// Timed runs of each query (after one discarded run).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..))]
    pub runs: u64,
    /// Generate the histories again even when a cached one is there.
    #[arg(long)]
    pub regenerate: bool,
    /// Where generated histories are kept, one directory each (`<days>d-seed<seed>`)
    /// [default: bench-data in the target directory this binary is in].
    #[arg(long, value_name = "DIR")]
    pub data_root: Option<PathBuf>,
}

impl AnalyticsArgs {
    pub fn data_root(&self) -> crate::Result<PathBuf> {
        if let Some(dir) = &self.data_root {
            return Ok(dir.clone());
        }
        // target/local/hospital-bench → target/bench-data: beside the build, so `cargo
        // clean` is how it goes away, and out of the source tree.
        let exe = std::env::current_exe()?;
        let target = exe
            .parent()
            .and_then(|profile| profile.parent())
            .ok_or("cannot tell the target directory; pass --data-root")?;
        Ok(target.join("bench-data"))
    }
}

/// The history lengths the demo generator accepts, as clap's range.
fn demo_days() -> std::ops::RangeInclusive<i64> {
    i64::from(*demo::DAYS.start())..=i64::from(*demo::DAYS.end())
}
