//! `hospital-bench`: one run prints
//!
//! 1. requests/s, p50 and p99 of `GET /v1/patients/{id}` on hospital-local (embedded store)
//!    next to a bare axum handler serving the same JSON body on the same machine;
//! 2. the `patients` Lambda function's init time (process start to its first response) under a
//!    local mock of the Lambda Runtime API, next to an empty `lambda_runtime` binary.
//!
//! Build and run (see docs/benchmarks.md):
//!
//! ```text
//! cargo build --release -p hospital-bench -p hospital-functions --bin hospital-bench --bin empty-lambda --bin hospital
//! target/release/hospital-bench [--seconds 5] [--concurrency 16] [--init-runs 20]
//! ```
//!
//! The load generator runs in this process, on its own tokio runtime; the servers run on
//! another. Both share the machine's cores, so the HTTP figures are a floor, not a ceiling.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hospital_api::auth::{LocalJwt, Role};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, oneshot};

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Result<T, E = BoxError> = std::result::Result<T, E>;

const JWT_SECRET: &str = "hospital-bench-secret-0123456789abcdef";
const WARM_UP: Duration = Duration::from_secs(1);
const INIT_TIMEOUT: Duration = Duration::from_secs(20);
const PATIENT_ID_IN_EVENT: &str = "01JD3Q0V4W6X8Y9Z0A1B2C3D4E";

const USAGE: &str = "\
usage: hospital-bench [--seconds N] [--concurrency C] [--init-runs R] [--client raw|reqwest]
                      [--only http|init] [--bin-dir DIR]

  --seconds N       measured seconds per HTTP target, after a 1 s warm-up (default 5)
  --concurrency C   concurrent keep-alive connections (default 16)
  --init-runs R     process starts per Lambda binary (default 20, plus one discarded)
  --client raw|reqwest
                    the load generator's HTTP client: a minimal keep-alive HTTP/1.1 client
                    (default, cheapest) or reqwest
  --only http|init  run one half only
  --bin-dir DIR     where `patients` and `empty-lambda` are (default: next to this binary)

Build first: cargo build --release -p hospital-bench -p hospital-functions --bin hospital-bench --bin empty-lambda --bin hospital";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientKind {
    Raw,
    Reqwest,
}

#[derive(Debug, Clone)]
struct Args {
    client: ClientKind,
    seconds: u64,
    concurrency: usize,
    init_runs: usize,
    http: bool,
    init: bool,
    bin_dir: Option<PathBuf>,
}

impl Args {
    fn parse() -> Result<Self, String> {
        let mut args = Args {
            client: ClientKind::Raw,
            seconds: 5,
            concurrency: 16,
            init_runs: 20,
            http: true,
            init: true,
            bin_dir: None,
        };
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            if flag == "-h" || flag == "--help" {
                return Err(USAGE.to_string());
            }
            let value = it
                .next()
                .ok_or_else(|| format!("{flag} needs a value\n\n{USAGE}"))?;
            let number = |v: &str| -> Result<u64, String> {
                v.parse::<u64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("{flag} must be a positive integer, not {v:?}"))
            };
            match flag.as_str() {
                "--seconds" => args.seconds = number(&value)?,
                "--concurrency" => args.concurrency = number(&value)? as usize,
                "--init-runs" => args.init_runs = number(&value)? as usize,
                "--only" => match value.as_str() {
                    "http" => args.init = false,
                    "init" => args.http = false,
                    other => return Err(format!("--only must be http or init, not {other:?}")),
                },
                "--client" => {
                    args.client = match value.as_str() {
                        "raw" => ClientKind::Raw,
                        "reqwest" => ClientKind::Reqwest,
                        other => {
                            return Err(format!("--client must be raw or reqwest, not {other:?}"));
                        }
                    }
                }
                "--bin-dir" => args.bin_dir = Some(PathBuf::from(value)),
                other => return Err(format!("unknown argument {other:?}\n\n{USAGE}")),
            }
        }
        Ok(args)
    }
}

fn main() {
    let args = match Args::parse() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(&args) {
        eprintln!("hospital-bench: {e}");
        std::process::exit(1);
    }
}

fn run(args: &Args) -> Result<()> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cfg!(debug_assertions) {
        eprintln!("warning: this is a debug build; build with --release for meaningful figures");
    }
    println!("hospital-bench  {}", machine(cores));
    println!();

    // The servers and the load generator get separate thread pools (each as wide as the
    // machine), so neither starves the other's scheduler; they still share the cores.
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .thread_name("bench-server")
        .enable_all()
        .build()?;
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .thread_name("bench-client")
        .enable_all()
        .build()?;

    if args.http {
        let results = http_bench(args, &server_rt, &client_rt)?;
        print_http(args, &results);
    }
    if args.init {
        let results = init_bench(args, &server_rt, &client_rt)?;
        print_init(args, &results);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// HTTP: hospital-local vs bare axum
// ---------------------------------------------------------------------------------------------

struct HttpResult {
    name: &'static str,
    /// Latencies of the requests started after the warm-up and completed in the window, sorted.
    latencies: Vec<Duration>,
    window: Duration,
    failures: u64,
    body_bytes: usize,
}

fn http_bench(
    args: &Args,
    server_rt: &tokio::runtime::Runtime,
    client_rt: &tokio::runtime::Runtime,
) -> Result<Vec<HttpResult>> {
    let dir = tempfile::tempdir()?;
    let mut config = hospital_local::Config::in_dir(dir.path());
    config.jwt_secret = Some(JWT_SECRET.into());
    // `start` spawns the server task onto the runtime it is polled on: the server runtime.
    let server = server_rt.block_on(hospital_local::start(&config))?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() as i64;
    let token = LocalJwt::new(JWT_SECRET.as_bytes()).issue(
        "bench",
        &[Role::Receptionist, Role::Doctor],
        now,
        3600,
    )?;
    let auth = format!("Bearer {token}");

    let (id, body) = client_rt.block_on(create_patient(&server.url(), &auth))?;
    eprintln!(
        "http: hospital-local on {}, patient {id} ({} bytes of JSON)",
        server.url(),
        body.len()
    );
    let path = format!("/v1/patients/{id}");
    let hospital = client_rt.block_on(load(
        "hospital-local (embedded)",
        server.addr,
        &path,
        &auth,
        args,
    ))?;
    server_rt.block_on(server.stop());

    // The bare handler answers the very same JSON document, serialized per request like the
    // real one, and receives the same request bytes (it ignores the Authorization header).
    let document: Arc<serde_json::Value> = Arc::new(serde_json::from_slice(&body)?);
    let (bare_addr, stop_bare, bare_task) = server_rt.block_on(start_bare(document))?;
    eprintln!("http: bare axum on http://{bare_addr}");
    let bare = client_rt.block_on(load("bare axum handler", bare_addr, &path, &auth, args))?;
    let _ = stop_bare.send(());
    let _ = server_rt.block_on(bare_task);
    Ok(vec![hospital, bare])
}

fn http_client() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .no_proxy()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(1)
        .build()?)
}

async fn create_patient(base: &str, auth: &str) -> Result<(String, Bytes)> {
    let client = http_client()?;
    let created = client
        .post(format!("{base}/v1/patients"))
        .header(header::AUTHORIZATION, auth)
        .json(&serde_json::json!({
            "full_name": "Maria da Silva",
            "cpf": "52998224725",
            "birth_date": "1984-03-09",
            "sex": "female",
        }))
        .send()
        .await?;
    let status = created.status();
    let text = created.text().await?;
    if status != reqwest::StatusCode::CREATED {
        return Err(format!("POST /v1/patients answered {status}: {text}").into());
    }
    let value: serde_json::Value = serde_json::from_str(&text)?;
    let id = value
        .get("id")
        .and_then(|v| v.as_str())
        .ok_or_else(|| format!("POST /v1/patients answered no id: {text}"))?
        .to_string();
    let got = client
        .get(format!("{base}/v1/patients/{id}"))
        .header(header::AUTHORIZATION, auth)
        .send()
        .await?;
    let status = got.status();
    let body = got.bytes().await?;
    if status != reqwest::StatusCode::OK {
        return Err(format!(
            "GET /v1/patients/{id} answered {status}: {}",
            String::from_utf8_lossy(&body)
        )
        .into());
    }
    Ok((id, body))
}

type BareServer = (SocketAddr, oneshot::Sender<()>, tokio::task::JoinHandle<()>);

async fn start_bare(document: Arc<serde_json::Value>) -> Result<BareServer> {
    let app = Router::new().route(
        "/v1/patients/{id}",
        get(move || {
            let document = document.clone();
            async move { axum::Json(&*document).into_response() }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
        if let Err(e) = served {
            eprintln!("bare axum server stopped: {e}");
        }
    });
    Ok((addr, tx, task))
}

#[derive(Default)]
struct WorkerStats {
    latencies: Vec<Duration>,
    failures: u64,
    first_failure: Option<String>,
    body_bytes: usize,
}

/// One keep-alive connection of the load generator.
enum Conn {
    /// A minimal HTTP/1.1 client: a pre-built request, a `Content-Length` body, nothing else,
    /// so the load generator costs little more than its system calls.
    Raw {
        addr: SocketAddr,
        request: Vec<u8>,
        stream: Option<tokio::net::TcpStream>,
        buf: Vec<u8>,
    },
    /// reqwest (hyper), a realistic client with more overhead per request.
    Reqwest {
        client: reqwest::Client,
        url: String,
        auth: String,
    },
}

impl Conn {
    fn new(kind: ClientKind, addr: SocketAddr, path: &str, auth: &str) -> Result<Self> {
        Ok(match kind {
            ClientKind::Raw => Conn::Raw {
                addr,
                request: format!(
                    "GET {path} HTTP/1.1\r\nhost: {addr}\r\nauthorization: {auth}\r\n\
                     accept: */*\r\n\r\n"
                )
                .into_bytes(),
                stream: None,
                buf: Vec::with_capacity(4096),
            },
            ClientKind::Reqwest => Conn::Reqwest {
                client: http_client()?,
                url: format!("http://{addr}{path}"),
                auth: auth.to_string(),
            },
        })
    }

    /// One GET; Ok(body length) on a 200.
    async fn get(&mut self) -> Result<usize, String> {
        match self {
            Conn::Raw {
                addr,
                request,
                stream,
                buf,
            } => {
                let result = raw_exchange(*addr, request, stream, buf).await;
                if result.is_err() {
                    // Start over on a new connection.
                    *stream = None;
                }
                result
            }
            Conn::Reqwest { client, url, auth } => {
                let response = client
                    .get(url.as_str())
                    .header(header::AUTHORIZATION, auth.as_str())
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let status = response.status();
                let body = response.bytes().await.map_err(|e| e.to_string())?;
                if status != reqwest::StatusCode::OK {
                    return Err(format!("{status}: {}", snippet(&body)));
                }
                Ok(body.len())
            }
        }
    }
}

async fn raw_exchange(
    addr: SocketAddr,
    request: &[u8],
    stream: &mut Option<tokio::net::TcpStream>,
    buf: &mut Vec<u8>,
) -> Result<usize, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    if stream.is_none() {
        let connected = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
        connected
            .set_nodelay(true)
            .map_err(|e| format!("TCP_NODELAY: {e}"))?;
        *stream = Some(connected);
    }
    let stream = stream.as_mut().ok_or("no connection")?;
    stream
        .write_all(request)
        .await
        .map_err(|e| format!("write: {e}"))?;
    buf.clear();
    let head_end = loop {
        let n = stream
            .read_buf(buf)
            .await
            .map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err("the server closed the connection".into());
        }
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| "non-UTF-8 response head")?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| format!("bad status line in {head:?}"))?;
    let mut length = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = value.trim().parse::<usize>().ok();
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err("a chunked response; the raw client needs Content-Length \
                        (use --client reqwest)"
                .into());
        }
    }
    let length = length.ok_or("a response without Content-Length")?;
    while buf.len() < head_end + length {
        let n = stream
            .read_buf(buf)
            .await
            .map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err("the server closed the connection mid-body".into());
        }
    }
    if buf.len() != head_end + length {
        return Err("unexpected bytes after the response".into());
    }
    if status != 200 {
        return Err(format!("{status}: {}", snippet(&buf[head_end..])));
    }
    Ok(length)
}

fn snippet(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned()
}

/// `concurrency` workers, each with its own keep-alive connection, issue requests back to
/// back (closed loop) for the warm-up plus `seconds`.
async fn load(
    name: &'static str,
    addr: SocketAddr,
    path: &str,
    auth: &str,
    args: &Args,
) -> Result<HttpResult> {
    let start = Instant::now();
    let measure_from = start + WARM_UP;
    let window = Duration::from_secs(args.seconds);
    let measure_to = measure_from + window;
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency {
        let mut conn = Conn::new(args.client, addr, path, auth)?;
        workers.spawn(async move {
            let mut stats = WorkerStats {
                latencies: Vec::with_capacity(64 * 1024),
                ..WorkerStats::default()
            };
            loop {
                let t0 = Instant::now();
                if t0 >= measure_to {
                    break;
                }
                let outcome = conn.get().await;
                let t1 = Instant::now();
                if t0 < measure_from || t1 > measure_to {
                    continue;
                }
                match outcome {
                    Ok(len) => {
                        stats.latencies.push(t1 - t0);
                        stats.body_bytes = len;
                    }
                    Err(e) => {
                        stats.failures += 1;
                        stats.first_failure.get_or_insert(e);
                    }
                }
            }
            stats
        });
    }
    let mut result = HttpResult {
        name,
        latencies: Vec::new(),
        window,
        failures: 0,
        body_bytes: 0,
    };
    while let Some(joined) = workers.join_next().await {
        let stats = joined?;
        result.latencies.extend(stats.latencies);
        result.failures += stats.failures;
        result.body_bytes = result.body_bytes.max(stats.body_bytes);
        if let Some(e) = stats.first_failure {
            eprintln!("http: {name}: failed request: {e}");
        }
    }
    result.latencies.sort_unstable();
    Ok(result)
}

fn print_http(args: &Args, results: &[HttpResult]) {
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
        let rps = r.latencies.len() as f64 / r.window.as_secs_f64();
        println!(
            "  {:<27} {:>10.0} {:>10} {:>10} {:>10} {:>9} {:>7}",
            r.name,
            rps,
            fmt_duration(percentile(&r.latencies, 50.0)),
            fmt_duration(percentile(&r.latencies, 99.0)),
            fmt_duration(r.latencies.last().copied()),
            r.failures,
            r.body_bytes
        );
    }
    println!();
}

// ---------------------------------------------------------------------------------------------
// Lambda init: `patients` vs `empty-lambda` under a mock Runtime API
// ---------------------------------------------------------------------------------------------

enum MockEvent {
    Next(Instant),
    Response {
        at: Instant,
        id: String,
        body: Bytes,
    },
    Error {
        id: String,
        body: Bytes,
    },
    DynamoDb(String),
}

struct Mock {
    /// The request id handed out by the next `/next`, or None once the one invocation of the
    /// current run is out (later `/next` calls wait until the process is killed).
    pending: Mutex<Option<String>>,
    events: mpsc::UnboundedSender<MockEvent>,
}

impl Mock {
    fn emit(&self, event: MockEvent) {
        // The receiver lives as long as the benchmark; a send error only means it is over.
        let _ = self.events.send(event);
    }
}

fn invocation_event() -> serde_json::Value {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    serde_json::json!({
        "version": "2.0",
        "routeKey": "GET /v1/patients/{id}",
        "rawPath": format!("/v1/patients/{PATIENT_ID_IN_EVENT}"),
        "rawQueryString": "",
        "headers": {
            "accept": "application/json",
            "host": "bench.execute-api.us-east-1.amazonaws.com",
            "user-agent": "hospital-bench",
            "x-forwarded-proto": "https"
        },
        "pathParameters": { "id": PATIENT_ID_IN_EVENT },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "bench",
            "domainName": "bench.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "bench",
            "http": {
                "method": "GET",
                "path": format!("/v1/patients/{PATIENT_ID_IN_EVENT}"),
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "hospital-bench"
            },
            "requestId": "hospital-bench",
            "routeKey": "GET /v1/patients/{id}",
            "stage": "$default",
            "time": "29/Nov/2026:12:00:00 +0000",
            "timeEpoch": now_ms,
            "authorizer": {
                "jwt": {
                    "claims": { "sub": "bench", "roles": "[doctor]" },
                    "scopes": null
                }
            }
        },
        "isBase64Encoded": false
    })
}

async fn mock_next(State(mock): State<Arc<Mock>>) -> Response {
    mock.emit(MockEvent::Next(Instant::now()));
    let id = mock.pending.lock().map(|mut p| p.take()).unwrap_or(None);
    let Some(id) = id else {
        // One invocation per process start: the runtime now waits here until it is killed.
        return std::future::pending().await;
    };
    let deadline = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
        + 30_000;
    (
        [
            ("lambda-runtime-aws-request-id", id),
            ("lambda-runtime-deadline-ms", deadline.to_string()),
            (
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:123456789012:function:bench".to_string(),
            ),
            (
                "lambda-runtime-trace-id",
                "Root=1-6749ac40-0123456789abcdef01234567;Sampled=0".to_string(),
            ),
            ("content-type", "application/json".to_string()),
        ],
        invocation_event().to_string(),
    )
        .into_response()
}

async fn mock_response(
    State(mock): State<Arc<Mock>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    let at = Instant::now();
    mock.emit(MockEvent::Response { at, id, body });
    StatusCode::ACCEPTED
}

async fn mock_invocation_error(
    State(mock): State<Arc<Mock>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    mock.emit(MockEvent::Error { id, body });
    StatusCode::ACCEPTED
}

async fn mock_init_error(State(mock): State<Arc<Mock>>, body: Bytes) -> StatusCode {
    mock.emit(MockEvent::Error {
        id: "init".into(),
        body,
    });
    StatusCode::ACCEPTED
}

/// Everything else: DynamoDB calls (the functions' endpoint points here) get an empty JSON
/// answer, i.e. `GetItem` finds nothing, so the function's GET answers 404 without the network.
async fn mock_fallback(State(mock): State<Arc<Mock>>, headers: HeaderMap) -> Response {
    match headers.get("x-amz-target").and_then(|v| v.to_str().ok()) {
        Some(target) => {
            mock.emit(MockEvent::DynamoDb(target.to_string()));
            ([(header::CONTENT_TYPE, "application/x-amz-json-1.0")], "{}").into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn mock_router(mock: Arc<Mock>) -> Router {
    Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(mock_next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(mock_response),
        )
        .route(
            "/2018-06-01/runtime/invocation/{id}/error",
            post(mock_invocation_error),
        )
        .route("/2018-06-01/runtime/init/error", post(mock_init_error))
        .fallback(mock_fallback)
        .with_state(mock)
}

struct InitRun {
    to_next: Duration,
    to_response: Duration,
    peak_rss_kib: Option<u64>,
    status: Option<u64>,
    /// The DynamoDB operations the function called (answered by the mock).
    dynamodb_calls: Vec<String>,
}

struct InitResult {
    name: &'static str,
    size: u64,
    runs: Vec<InitRun>,
}

fn init_bench(
    args: &Args,
    server_rt: &tokio::runtime::Runtime,
    client_rt: &tokio::runtime::Runtime,
) -> Result<Vec<InitResult>> {
    let bin_dir = match &args.bin_dir {
        Some(dir) => dir.clone(),
        None => std::env::current_exe()?
            .parent()
            .ok_or("the current executable has no parent directory")?
            .to_path_buf(),
    };
    // The stack's one binary, running the `patients` function.
    let binaries = [("patients", "hospital"), ("empty-lambda", "empty-lambda")];
    let mut results = Vec::new();
    for (name, file) in binaries {
        let path = bin_dir.join(file);
        let size = std::fs::metadata(&path)
            .map_err(|e| {
                format!(
                    "cannot find {} ({e}); build it first: \
                     cargo build --release -p hospital-bench -p hospital-functions --bin hospital-bench --bin empty-lambda --bin hospital",
                    path.display()
                )
            })?
            .len();
        results.push(InitResult {
            name,
            size,
            runs: Vec::new(),
        });
    }

    let logs = tempfile::tempdir()?;
    // One discarded start per binary (page cache, first-touch effects), then interleaved runs
    // so drifts in machine load hit both binaries alike.
    for round in 0..=args.init_runs {
        for (index, result) in results.iter_mut().enumerate() {
            let path = bin_dir.join(binaries[index].1);
            let run_id = format!("bench-{}-{round}", result.name);
            let log = logs.path().join(format!("{run_id}.stderr"));
            let run = client_rt.block_on(init_once(&path, &run_id, &log, server_rt.handle()))?;
            if round > 0 {
                result.runs.push(run);
            }
        }
    }
    Ok(results)
}

/// One process start under its own mock Runtime API (a fresh port per start, so nothing from
/// an earlier process can reach this run), on the server runtime.
async fn init_once(
    binary: &Path,
    run_id: &str,
    log: &Path,
    server: &tokio::runtime::Handle,
) -> Result<InitRun> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mock = Arc::new(Mock {
        pending: Mutex::new(Some(run_id.to_string())),
        events: tx,
    });
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let runtime_api = listener.local_addr()?.to_string();
    let router = mock_router(mock);
    let mock_task = server.spawn(async move {
        let served = match tokio::net::TcpListener::from_std(listener) {
            Ok(listener) => axum::serve(listener, router).await,
            Err(e) => Err(e),
        };
        if let Err(e) = served {
            eprintln!("mock Runtime API stopped: {e}");
        }
    });
    let stderr = std::fs::File::create(log)?;
    let function_name = binary
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut command = Command::new(binary);
    command
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", &runtime_api)
        .env("AWS_LAMBDA_FUNCTION_NAME", &function_name)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/hospital-bench/config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/hospital-bench/credentials",
        )
        .env("TABLE_NAME", "hospital")
        .env("HOSPITAL_FUNCTION", "patients")
        .env("CURSOR_KEY", "hospital-bench-cursor-key")
        .env("AWS_ENDPOINT_URL_DYNAMODB", format!("http://{runtime_api}"))
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr);

    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    let pid = child.id();

    let mut to_next = None;
    let mut dynamodb_calls = Vec::new();
    let outcome: Result<(Duration, Bytes), String> = loop {
        match tokio::time::timeout_at((started + INIT_TIMEOUT).into(), rx.recv()).await {
            Err(_) => break Err(format!("no response within {INIT_TIMEOUT:?}")),
            Ok(None) => break Err("the mock Runtime API stopped".into()),
            Ok(Some(MockEvent::Next(at))) => {
                to_next.get_or_insert(at.saturating_duration_since(started));
            }
            Ok(Some(MockEvent::DynamoDb(target))) => {
                let operation = target.rsplit('.').next().unwrap_or(&target).to_string();
                dynamodb_calls.push(operation);
            }
            Ok(Some(MockEvent::Response { at, id, body })) if id == run_id => {
                break Ok((at.saturating_duration_since(started), body));
            }
            Ok(Some(MockEvent::Response { .. })) => {}
            Ok(Some(MockEvent::Error { id, body })) => {
                break Err(format!(
                    "reported an error ({id}): {}",
                    String::from_utf8_lossy(&body)
                ));
            }
        }
    };
    // Peak RSS so far, read before the kill.
    let peak_rss_kib = peak_rss_kib(pid);
    let _ = child.kill();
    let exit = child.wait()?;
    mock_task.abort();

    match outcome {
        Ok((to_response, body)) => {
            let status = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("statusCode").and_then(|s| s.as_u64()));
            Ok(InitRun {
                to_next: to_next.unwrap_or(to_response),
                to_response,
                peak_rss_kib,
                status,
                dynamodb_calls,
            })
        }
        Err(e) => {
            let stderr = std::fs::read_to_string(log).unwrap_or_default();
            Err(format!(
                "{} ({run_id}): {e}; exit {exit}; stderr:\n{}",
                binary.display(),
                stderr.trim_end()
            )
            .into())
        }
    }
}

/// VmHWM from /proc/<pid>/status, in KiB (Linux only).
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

fn print_init(args: &Args, results: &[InitResult]) {
    println!(
        "Lambda init: process start to first response under a mock Runtime API, \
         {} runs per binary (+1 discarded)",
        args.init_runs
    );
    println!(
        "  {:<13} {:>9} {:>11} {:>11} {:>11} {:>11} {:>11} {:>9} {:>7}  ddb",
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
        let mut resp: Vec<_> = r.runs.iter().map(|x| x.to_response).collect();
        let mut rss: Vec<_> = r.runs.iter().filter_map(|x| x.peak_rss_kib).collect();
        next.sort_unstable();
        resp.sort_unstable();
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
            "  {:<13} {:>9} {:>11} {:>11} {:>11} {:>11} {:>11} {:>9} {:>7}  {}",
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
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

/// Nearest-rank percentile of sorted values.
fn percentile<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn fmt_duration(d: Option<Duration>) -> String {
    match d {
        None => "-".into(),
        Some(d) if d < Duration::from_millis(1) => format!("{} µs", d.as_micros()),
        Some(d) if d < Duration::from_secs(1) => format!("{:.2} ms", d.as_secs_f64() * 1e3),
        Some(d) => format!("{:.2} s", d.as_secs_f64()),
    }
}

fn fmt_size(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn machine(cores: usize) -> String {
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
