//! `hospital-bench`: the project's benchmarks (docs/benchmarks.md). With no subcommand, one run
//! prints, side by side with their goals:
//!
//! 1. the size of the four release Lambda binaries (`size`);
//! 2. the `hospital` binary's Lambda init time, running the `patients` function, under a local
//!    mock of the Lambda Runtime API, next to an empty `lambda_runtime` binary (`init`);
//! 3. requests/s, p50 and p99 of `GET /v1/patients/{id}` on hospital-local (embedded store)
//!    next to a bare axum handler serving the same JSON body on the same machine (`http`).
//!
//! `hospital-bench analytics` times each analytics indicator's 30-day query over two years of
//! demo history next to 90 days, with the items each one reads (it is separate: generating two
//! years of history takes minutes the first time).
//!
//! ```text
//! cargo build --release -p hospital-functions -p empty-lambda   # the Lambda binaries (size) and the init baselines
//! cargo build --profile local -p hospital-bench         # hospital-local as it runs, for speed
//! target/local/hospital-bench [--seconds 5] [--concurrency 16] [--init-runs 20]
//! target/local/hospital-bench analytics [--runs 20] [--regenerate]
//! ```
//!
//! The load generator runs in this process, on its own tokio runtime; the servers run on
//! another. Both share the machine's cores, so the HTTP figures are a floor, not a ceiling.

mod analytics;
mod args;
mod http;
mod init;
mod load;
mod report;
mod runtime_mock;
mod size;

use args::{Cli, Command};
use clap::Parser;

/// hospital-local's allocator (infra/local/src/main.rs), so that the in-process server measured
/// here allocates as the real binary does. The bare axum handler hardly allocates.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Result<T, E = BoxError> = std::result::Result<T, E>;

/// The command that builds everything the benchmarks run, as the error messages say it.
const BUILD: &str = "cargo build --release -p hospital-functions -p empty-lambda && \
                     cargo build --profile local -p hospital-bench";

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        eprintln!("hospital-bench: {e}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cfg!(debug_assertions) {
        eprintln!(
            "warning: this is a debug build; build with --profile local for meaningful figures"
        );
    }
    println!("hospital-bench  {}", report::machine(cores));
    println!();

    match cli.command {
        None => {
            let all = cli.all;
            let sizes = size::measure(&all.init.bin_dir()?);
            report::print_sizes(&sizes);
            // Fail now, not after the HTTP half, when a binary to time is missing.
            init::locate(&all.init)?;
            let rt = Runtimes::new(cores)?;
            let http = http::bench(&all.http, &rt.server, &rt.client)?;
            report::print_http(&all.http, &http);
            let init = init::bench(&all.init, &rt.server, &rt.client)?;
            report::print_init(&all.init, &init);
            report::print_goals(&sizes, &init, &http);
        }
        Some(Command::Size(a)) => report::print_sizes(&size::measure(&a.bin_dir()?)),
        Some(Command::Init(a)) => {
            let rt = Runtimes::new(cores)?;
            let init = init::bench(&a, &rt.server, &rt.client)?;
            report::print_init(&a, &init);
            report::print_goals(&[], &init, &[]);
        }
        Some(Command::Http(a)) => {
            let rt = Runtimes::new(cores)?;
            let http = http::bench(&a, &rt.server, &rt.client)?;
            report::print_http(&a, &http);
            report::print_goals(&[], &[], &http);
        }
        Some(Command::Analytics(a)) => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(cores)
                .enable_all()
                .build()?;
            let results = rt.block_on(analytics::bench(&a))?;
            report::print_analytics(&a, &results);
        }
    }
    Ok(())
}

/// The servers and the load generator get separate thread pools (each as wide as the machine),
/// so neither starves the other's scheduler; they still share the cores.
struct Runtimes {
    server: tokio::runtime::Runtime,
    client: tokio::runtime::Runtime,
}

impl Runtimes {
    fn new(cores: usize) -> Result<Self> {
        Ok(Self {
            server: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(cores)
                .thread_name("bench-server")
                .enable_all()
                .build()?,
            client: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(cores)
                .thread_name("bench-client")
                .enable_all()
                .build()?,
        })
    }
}
