use clap::{Parser, Subcommand};
use hospital_api::auth::Role;
use hospital_local::Config;
use hospital_local::demo;

/// glibc's malloc spends much of a request in arena locks when two workers allocate at once;
/// mimalloc's per-thread heaps do not (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The Hospital API on one machine: `hospital-local` serves it, `hospital-local token --role
/// doctor` prints a bearer token.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve every router under /v1 (the default).
    Serve {
        /// Fill an empty data dir with the demo hospital first (as `demo-data` with its
        /// defaults); a data dir that holds data is served as it is. Also `HOSPITAL_DEMO=1`.
        #[arg(long)]
        demo: bool,
    },
    /// Print a bearer token valid for 12 hours (only the token, on stdout).
    Token {
        /// admin, manager, doctor, nurse, receptionist, billing or pharmacist; repeatable.
        #[arg(long = "role", required = true)]
        roles: Vec<Role>,
        /// The token's subject (a user id; it appears in logs, so not a name or e-mail).
        #[arg(long, default_value = "local-user")]
        sub: String,
        /// The doctor record (its id) a doctor's token acts as: a doctor changes only the
        /// prescriptions of that record.
        #[arg(long)]
        doctor_id: Option<String>,
    },
    /// Run a scheduled job once, now (at the dev clock's now when the server has one), and
    /// print what it did: reminders, beds-low, billing-overdue, exams-overdue, long-stays,
    /// stock-sweep, consistency-scan, alert-digest, outbox-sweep, daily-report. Goes through
    /// the running server when one holds the data dir.
    RunJob {
        name: String,
        /// For daily-report: the day to report (YYYY-MM-DD; default yesterday).
        #[arg(long)]
        date: Option<String>,
    },
    /// Fill the data dir's store (it must hold no patients) with a fictional Brazilian
    /// hospital: sectors, beds, doctors, insurers, 500 patients and DAYS days of history
    /// ending today (appointments, exams, prescriptions, admissions, billing), all through the
    /// API's use cases.
    DemoData {
        /// The same seed gives the same figures (on the same day).
        #[arg(long, default_value_t = demo::DEFAULT_SEED)]
        seed: u64,
        /// Days of history, 7 to 730 (two years take minutes; an analytics query spans at
        /// most 366 days of them).
        #[arg(long, default_value_t = demo::DEFAULT_DAYS,
              value_parser = clap::value_parser!(u32)
                  .range(i64::from(*demo::DAYS.start())..=i64::from(*demo::DAYS.end())))]
        days: u32,
    },
}

fn main() -> std::process::ExitCode {
    // A missing .env is fine; a malformed one is worth saying.
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("error: .env: {e}");
        return std::process::ExitCode::FAILURE;
    }
    let cli = Cli::parse();
    let result = match Config::from_env() {
        Err(e) => Err(e),
        Ok(config) => match cli.command.unwrap_or(Command::Serve { demo: false }) {
            Command::Token {
                roles,
                sub,
                doctor_id,
            } => token(&config, &sub, &roles, doctor_id.as_deref()),
            Command::RunJob { name, date } => run_job(config, &name, date.as_deref()),
            Command::DemoData { seed, days } => demo_data(&config, seed, days),
            Command::Serve { demo } => match demo_from_env() {
                Ok(env) => serve(config, demo || env),
                Err(e) => Err(e),
            },
        },
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn token(
    config: &Config,
    sub: &str,
    roles: &[Role],
    doctor_id: Option<&str>,
) -> Result<(), String> {
    let jwt = hospital_local::jwt(config)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs() as i64;
    println!(
        "{}",
        jwt.issue_for(sub, roles, doctor_id, now, hospital_local::TOKEN_SECS)?
    );
    Ok(())
}

/// `HOSPITAL_DEMO=1`: serve with the demo hospital (as `serve --demo`).
fn demo_from_env() -> Result<bool, String> {
    match std::env::var("HOSPITAL_DEMO").ok().as_deref() {
        None | Some("") | Some("0") => Ok(false),
        Some("1") => Ok(true),
        Some(other) => Err(format!("HOSPITAL_DEMO must be 1 or 0, not {other:?}")),
    }
}

fn serve(config: Config, demo: bool) -> Result<(), String> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    rt.block_on(async {
        if demo {
            tracing::info!(data_dir = %config.data_dir.display(), "generating the demo hospital");
            match demo::prepare(&config, &demo::Options::default()).await? {
                Some(summary) => eprint!("{}", summary.render(&config)),
                None => tracing::info!("the store already holds data: serving it as it is"),
            }
        }
        let server = hospital_local::start(&config).await?;
        tracing::info!(addr = %server.addr, store = ?config.store, "hospital-local listening");
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
        server.stop().await;
        Ok(())
    })
}

fn demo_data(config: &Config, seed: u64, days: u32) -> Result<(), String> {
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let summary = rt.block_on(demo::generate(
        config,
        &demo::Options {
            seed,
            days,
            now: None,
        },
    ))?;
    print!("{}", summary.render(config));
    Ok(())
}

fn run_job(config: Config, name: &str, date: Option<&str>) -> Result<(), String> {
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let report = rt.block_on(hospital_local::run_job(&config, name, date))?;
    println!(
        "{}",
        serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
    );
    Ok(())
}
