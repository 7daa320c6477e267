//! hospital-local: the whole API in one process with no cloud. Data lives in an embedded redb
//! file under `HOSPITAL_DATA_DIR` (or in DynamoDB with `HOSPITAL_STORE=dynamodb`); callers
//! authenticate with tokens signed by a local key (`hospital-local token --role doctor`).

pub mod automation;
pub mod demo;

use automation::InProcessBus;
use hospital_adapters::dynamodb::DynamoStore;
use hospital_adapters::embedded::EmbeddedStore;
use hospital_adapters::files::LocalFiles;
use hospital_adapters::mail::OutboxMailer;
use hospital_api::AppState;
use hospital_api::auth::LocalJwt;
use hospital_core::automation::{Ctx, Settings, catalogue};
use hospital_core::cursor::Cursors;
use hospital_core::resource::Deps;
use hospital_core::store::Store;
use hospital_core::time::{Calendar, Clock, ScenarioClock, SystemClock, parse_tz};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreKind {
    Embedded,
    DynamoDb,
}

/// Every setting, from the environment (and an optional `.env` file, loaded by main).
#[derive(Debug, Clone)]
pub struct Config {
    /// `HOSPITAL_ADDR`, default 127.0.0.1:8000.
    pub addr: String,
    /// `HOSPITAL_DATA_DIR`, default ./.hospital: the database file and the token key.
    pub data_dir: PathBuf,
    /// `HOSPITAL_STORE`: `embedded` (default) or `dynamodb`.
    pub store: StoreKind,
    /// `HOSPITAL_DYNAMODB_ENDPOINT`, e.g. http://127.0.0.1:5000 for moto.
    pub dynamodb_endpoint: Option<String>,
    /// `HOSPITAL_TABLE`, default `hospital`.
    pub table: String,
    /// `HOSPITAL_TIMEZONE`, default America/Sao_Paulo.
    pub timezone: String,
    /// `HOSPITAL_JWT_SECRET`: the token key; when unset, one is generated into the data dir.
    pub jwt_secret: Option<String>,
    /// `HOSPITAL_CURSOR_KEY`: the key list cursors are encrypted with; when unset, one is
    /// generated into the data dir.
    pub cursor_key: Option<String>,
    /// `HOSPITAL_DEV_CLOCK=1`: the scenario clock (`PUT /v1/dev/clock`) is on.
    pub dev_clock: bool,
    /// Runs the scheduled jobs at their times (off in tests; with the dev clock, jobs run when
    /// asked).
    pub scheduler: bool,
    /// `SENDER_ADDRESS`: the From of e-mails.
    pub sender: String,
    /// Thresholds and recipients of the automations (`REMINDER_HOURS`, `BILLING_EMAILS`, …).
    pub settings: Settings,
}

impl Config {
    pub fn from_env() -> Result<Self, String> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let store = match var("HOSPITAL_STORE").as_deref() {
            None | Some("embedded") => StoreKind::Embedded,
            Some("dynamodb") => StoreKind::DynamoDb,
            Some(other) => {
                return Err(format!(
                    "HOSPITAL_STORE must be `embedded` or `dynamodb`, not {other:?}"
                ));
            }
        };
        let config = Self {
            addr: var("HOSPITAL_ADDR").unwrap_or_else(|| "127.0.0.1:8000".into()),
            data_dir: var("HOSPITAL_DATA_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(".hospital")),
            store,
            dynamodb_endpoint: var("HOSPITAL_DYNAMODB_ENDPOINT"),
            table: var("HOSPITAL_TABLE").unwrap_or_else(|| "hospital".into()),
            timezone: var("HOSPITAL_TIMEZONE").unwrap_or_else(|| "America/Sao_Paulo".into()),
            jwt_secret: var("HOSPITAL_JWT_SECRET"),
            cursor_key: var("HOSPITAL_CURSOR_KEY"),
            scheduler: true,
            sender: var("SENDER_ADDRESS")
                .unwrap_or_else(|| "Hospital <no-reply@hospital.local>".into()),
            settings: Settings::from_vars(var)?,
            dev_clock: match var("HOSPITAL_DEV_CLOCK").as_deref() {
                None | Some("0") => false,
                Some("1") => true,
                Some(other) => {
                    return Err(format!("HOSPITAL_DEV_CLOCK must be 1 or 0, not {other:?}"));
                }
            },
        };
        parse_tz(&config.timezone)?;
        Ok(config)
    }

    /// Defaults with the data in `dir` (for tests and benchmarks).
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            addr: "127.0.0.1:0".into(),
            data_dir: dir.to_path_buf(),
            store: StoreKind::Embedded,
            dynamodb_endpoint: None,
            table: "hospital".into(),
            timezone: "America/Sao_Paulo".into(),
            jwt_secret: None,
            cursor_key: None,
            dev_clock: false,
            scheduler: false,
            sender: "Hospital <no-reply@hospital.local>".into(),
            settings: Settings::default(),
        }
    }
}

/// How long a token lasts, from `POST /v1/auth/token` or `hospital-local token`.
pub const TOKEN_SECS: i64 = 12 * 3600;

/// The local token key: `HOSPITAL_JWT_SECRET`, else `<data dir>/jwt-secret`, created on first
/// use with owner-only permissions.
pub fn jwt(config: &Config) -> Result<LocalJwt, String> {
    Ok(LocalJwt::new(&secret(
        config,
        "jwt-secret",
        config.jwt_secret.as_deref(),
    )?))
}

/// A secret from configuration, else from `<data dir>/<file>`, created on first use with
/// owner-only permissions.
fn secret(config: &Config, file: &str, configured: Option<&str>) -> Result<Vec<u8>, String> {
    if let Some(secret) = configured {
        return Ok(secret.as_bytes().to_vec());
    }
    let path = config.data_dir.join(file);
    match std::fs::read(&path) {
        Ok(s) if s.len() >= 32 => Ok(s),
        _ => {
            std::fs::create_dir_all(&config.data_dir)
                .map_err(|e| format!("cannot create {}: {e}", config.data_dir.display()))?;
            // Two ULIDs' worth of randomness (160 bits), hex-free and printable.
            let secret = format!("{}{}", ulid::Ulid::new(), ulid::Ulid::new()).into_bytes();
            write_private(&path, &secret)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Ok(secret)
        }
    }
}

fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(data)
}

/// The outbox records a store hands over as it commits them (the embedded store does).
pub type OutboxFeed = tokio::sync::mpsc::UnboundedReceiver<hospital_core::store::Item>;

/// Opens the configured store (creating the DynamoDB table if it is missing).
pub async fn open_store(config: &Config) -> Result<(Arc<dyn Store>, Option<OutboxFeed>), String> {
    match config.store {
        StoreKind::Embedded => {
            let store = EmbeddedStore::open(&config.data_dir.join("hospital.redb"))
                .map_err(|e| format!("cannot open the embedded store: {e}"))?;
            let (store, feed) = store.with_outbox_feed();
            Ok((Arc::new(store), Some(feed)))
        }
        StoreKind::DynamoDb => {
            let store =
                DynamoStore::from_env(config.table.clone(), config.dynamodb_endpoint.clone()).await;
            store
                .ensure_table()
                .await
                .map_err(|e| format!("cannot prepare DynamoDB table {}: {e}", config.table))?;
            Ok((Arc::new(store), None))
        }
    }
}

/// Why a job run on demand did not run, or failed.
#[derive(Debug)]
pub enum JobError {
    NoSuchJob,
    /// A date given where none is taken, or not a date.
    Date(String),
    Failed(hospital_core::DomainError),
}

impl std::fmt::Display for JobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JobError::NoSuchJob => f.write_str("no such job"),
            JobError::Date(e) => write!(f, "date: {e}"),
            JobError::Failed(e) => write!(f, "the job failed: {}", e.cause()),
        }
    }
}

/// Everything hospital-local runs with: the dependencies of every use case, the automation's
/// context (mailer to the outbox folder, files under the data dir, the in-process bus).
pub struct Hospital {
    pub ctx: Ctx,
    pub bus: Arc<InProcessBus>,
    pub dev_clock: Option<Arc<ScenarioClock>>,
    feed: Option<OutboxFeed>,
}

impl Hospital {
    pub fn deps(&self) -> &Deps {
        &self.ctx.deps
    }

    /// The accounts kept in the store, their e-mails sent through the outbox mailer.
    pub fn accounts(&self) -> hospital_core::accounts::LocalAccounts {
        hospital_core::accounts::LocalAccounts::new(
            self.deps(),
            self.ctx.mailer.clone(),
            self.ctx.settings.clone(),
        )
    }

    /// Runs a job of the catalogue now (the daily report of `date`, `YYYY-MM-DD`, when given;
    /// other jobs run at the clock's now and take no date), recorded as a job run (a failure is
    /// logged and alerted there), then waits (a few seconds at most) for what it set off — the
    /// e-mails it asked for — to be delivered. What it did, or why it did not run or failed.
    pub async fn job(&self, name: &str, date: Option<&str>) -> Result<serde_json::Value, JobError> {
        use hospital_core::automation::{jobs, runs};
        let job = catalogue::job(name).ok_or(JobError::NoSuchJob)?;
        let outcome = match date {
            None => runs::run(&self.ctx, job).await,
            Some(_) if name != "daily-report" => {
                return Err(JobError::Date(format!(
                    "a date is for daily-report; {name} runs at now"
                )));
            }
            Some(d) => {
                let day = hospital_core::time::parse_date(d).map_err(JobError::Date)?;
                runs::record(&self.ctx, name, jobs::daily_report_on(&self.ctx, day)).await
            }
        };
        match outcome {
            Ok(report) => {
                let report = serde_json::json!({"job": name, "ok": true, "report": report});
                Ok(self.settled(report).await)
            }
            Err(e) => {
                // What the failure set off (its operational alert) is delivered as well.
                self.settled(serde_json::Value::Null).await;
                Err(JobError::Failed(e))
            }
        }
    }

    async fn settled(&self, report: serde_json::Value) -> serde_json::Value {
        // Its outbox records reach the bus through the relay; give them a moment.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        self.bus.settle(std::time::Duration::from_secs(10)).await;
        report
    }
}

/// Assembles hospital-local over the configured store.
pub async fn assemble(config: &Config) -> Result<Hospital, String> {
    // With the dev clock on, every rule reads the time from the scenario clock.
    let dev_clock = config.dev_clock.then(|| Arc::new(ScenarioClock::default()));
    let clock: Arc<dyn Clock> = match &dev_clock {
        Some(c) => c.clone(),
        None => Arc::new(SystemClock),
    };
    let mut hospital = assemble_with_clock(config, clock).await?;
    hospital.dev_clock = dev_clock;
    Ok(hospital)
}

/// Assembles hospital-local with every rule reading the time from `clock` (the demo
/// generator's scenario clock, which it moves through the simulated days).
pub async fn assemble_with_clock(
    config: &Config,
    clock: Arc<dyn Clock>,
) -> Result<Hospital, String> {
    let (store, feed) = open_store(config).await?;
    let tz = parse_tz(&config.timezone)?;
    let deps = Deps {
        store,
        calendar: Calendar::new(clock, tz),
        cursors: Cursors::new(&secret(config, "cursor-key", config.cursor_key.as_deref())?),
    };
    let bus = Arc::new(InProcessBus::default());
    let ctx = Ctx {
        deps,
        settings: Arc::new(config.settings.clone()),
        mailer: Arc::new(OutboxMailer::new(
            config.data_dir.join("outbox"),
            config.sender.clone(),
        )),
        reports: Arc::new(LocalFiles::new(config.data_dir.join("files"))),
        bus: bus.clone(),
        render: Arc::new(hospital_report::Renderer),
    };
    bus.attach(ctx.clone());
    Ok(Hospital {
        ctx,
        bus,
        dev_clock: None,
        feed,
    })
}

/// The whole API of `hospital`.
pub fn app(config: &Config, hospital: &Arc<Hospital>) -> Result<axum::Router, String> {
    let runner = hospital.clone();
    let jobs: hospital_api::JobRunner = Arc::new(move |name: String, date: Option<String>| {
        let h = runner.clone();
        Box::pin(async move {
            use hospital_api::error::ApiError;
            h.job(&name, date.as_deref()).await.map_err(|e| match e {
                JobError::NoSuchJob => ApiError::not_found("no such job").with_field("name"),
                JobError::Date(e) => ApiError::bad_request(e).with_field("date"),
                JobError::Failed(e) => ApiError::from(e),
            })
        })
    });
    // hospital-local is its own identity provider: accounts in the store, codes e-mailed to
    // the outbox folder, tokens signed with the local key.
    let accounts = Arc::new(hospital.accounts());
    let identity = Arc::new(hospital_api::accounts::LocalIdentity {
        accounts: accounts.clone(),
        jwt: Arc::new(jwt(config)?),
        token_secs: TOKEN_SECS,
    });
    Ok(hospital_api::app(
        &hospital_api::registry::local_names(),
        AppState::new(hospital_api::Services {
            deps: hospital.deps().clone(),
            dev_clock: hospital.dev_clock.clone(),
            dev_jobs: Some(jobs),
            settings: hospital.ctx.settings.clone(),
            reports: Some(hospital.ctx.reports.clone()),
            users: Some(accounts),
            local_identity: Some(identity),
        }),
        Arc::new(jwt(config)?),
    ))
}

/// A running server, for tests and benchmarks.
pub struct Server {
    pub addr: std::net::SocketAddr,
    /// The store it serves (tests inspect it: outbox records, counters).
    pub store: Arc<dyn Store>,
    pub hospital: Arc<Hospital>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    background: Vec<tokio::task::JoinHandle<()>>,
}

impl Server {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// Stops accepting, finishes in-flight requests and releases the store.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
        self.hospital
            .bus
            .settle(std::time::Duration::from_secs(5))
            .await;
        self.hospital.bus.detach();
        for b in self.background {
            b.abort();
            let _ = b.await;
        }
    }
}

/// Binds `config.addr` and serves in the background.
pub async fn start(config: &Config) -> Result<Server, String> {
    let mut hospital = assemble(config).await?;
    let feed = hospital.feed.take();
    let hospital = Arc::new(hospital);
    let store = hospital.deps().store.clone();
    let app = app(config, &hospital)?;
    let mut background = vec![tokio::spawn(automation::relay_loop(
        hospital.ctx.clone(),
        hospital.bus.clone(),
        feed,
        std::time::Duration::from_secs(if config.store == StoreKind::Embedded {
            30
        } else {
            1
        }),
    ))];
    // With the dev clock on, jobs run when asked (POST /v1/dev/jobs/{name}), at its time.
    if hospital.dev_clock.is_none() && config.scheduler {
        background.push(tokio::spawn(automation::scheduler(hospital.ctx.clone())));
    }
    let listener = tokio::net::TcpListener::bind(&config.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.addr))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let result = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
        if let Err(e) = result {
            tracing::error!(error = %e, "server stopped");
        }
    });
    Ok(Server {
        addr,
        store,
        hospital,
        background,
        shutdown: Some(tx),
        task,
    })
}

/// Runs a job once from the command line: through the running server when one holds the
/// embedded store (it allows one process; the server must run with the dev clock, which gives
/// it `POST /v1/dev/jobs/{name}`), else in this process, waiting for what the job set off (its
/// e-mails) before answering. A job that failed is an error naming its cause (so
/// `hospital-local run-job` exits non-zero).
pub async fn run_job(
    config: &Config,
    name: &str,
    date: Option<&str>,
) -> Result<serde_json::Value, String> {
    let query = date.map(|d| format!("?date={d}")).unwrap_or_default();
    match assemble(config).await {
        Ok(mut hospital) => {
            if catalogue::job(name).is_none() {
                hospital.bus.detach();
                return Err(format!("no job named {name:?}"));
            }
            let feed = hospital.feed.take();
            let hospital = Arc::new(hospital);
            let relay = tokio::spawn(automation::relay_loop(
                hospital.ctx.clone(),
                hospital.bus.clone(),
                feed,
                std::time::Duration::from_secs(1),
            ));
            let report = hospital.job(name, date).await.map_err(|e| match e {
                JobError::Failed(e) => format!("the job {name} failed: {}", e.cause()),
                other => other.to_string(),
            });
            relay.abort();
            let _ = relay.await;
            // The bus holds the context, which holds the store: release the store, so that
            // this process may open it again (the embedded store allows one opening).
            hospital.bus.detach();
            report
        }
        Err(e) if e.contains("already open") || e.contains("Database already open") => {
            // The server holds the store: ask it.
            let url = format!("http://{}/v1/dev/jobs/{name}{query}", config.addr);
            let token = jwt(config)?.issue(
                "hospital-local-cli",
                &[hospital_api::auth::Role::Admin],
                chrono::Utc::now().timestamp(),
                300,
            )?;
            let res = reqwest::Client::new()
                .post(&url)
                .bearer_auth(token)
                .send()
                .await
                .map_err(|e| {
                    format!(
                        "the data dir is in use, and the server at {} did not answer: {e}",
                        config.addr
                    )
                })?;
            let status = res.status();
            let body: serde_json::Value = res.json().await.map_err(|e| e.to_string())?;
            if status.is_success() {
                Ok(body)
            } else if status == reqwest::StatusCode::UNPROCESSABLE_ENTITY
                || status.is_server_error()
            {
                Err(format!("the job {name} failed: {}", envelope_cause(&body)))
            } else if status == reqwest::StatusCode::NOT_FOUND
                && body["error"][0]["field"].is_null()
            {
                // No such route: the dev routes exist only with the dev clock.
                Err(format!(
                    "the server at {} holds the data dir and runs without HOSPITAL_DEV_CLOCK=1, \
                     so its jobs run on their schedule only; restart it with HOSPITAL_DEV_CLOCK=1 \
                     to run jobs on demand",
                    config.addr
                ))
            } else {
                Err(format!("the server answered {status}: {body}"))
            }
        }
        Err(e) => Err(e),
    }
}

/// The errors of an error envelope as one line (each message names its field already).
fn envelope_cause(body: &serde_json::Value) -> String {
    let errors = body["error"].as_array().into_iter().flatten();
    let causes: Vec<&str> = errors.filter_map(|e| e["message"].as_str()).collect();
    if causes.is_empty() {
        body.to_string()
    } else {
        causes.join("; ")
    }
}
