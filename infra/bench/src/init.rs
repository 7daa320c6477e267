//! Lambda init: the `hospital` binary running the `patients` function, from process start to
//! its first response under a mock Runtime API ([`crate::runtime_mock`]), next to
//! `empty-lambda`, a `lambda_runtime` binary that does nothing (the floor: process start,
//! tokio, the Runtime API client), and `empty-lambda-1t`, the same on tokio's current-thread
//! runtime as `hospital` is (`infra/empty-lambda`).

use crate::args::InitArgs;
use crate::runtime_mock::{self, MockEvent};
use crate::{BUILD, Result};
use axum::body::Bytes;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const INIT_TIMEOUT: Duration = Duration::from_secs(20);

/// The binaries timed, as (row name, file name): the stack's HTTP binary running the
/// `patients` function (every start gets HOSPITAL_FUNCTION=patients), the baseline of the goal
/// (as lambda_runtime's examples start), and the like-for-like baseline.
pub const BINARIES: [(&str, &str); 3] = [
    ("hospital", "hospital"),
    ("empty-lambda", "empty-lambda"),
    ("empty-lambda-1t", "empty-lambda-1t"),
];

pub struct InitRun {
    pub to_next: Duration,
    pub to_response: Duration,
    pub peak_rss_kib: Option<u64>,
    pub status: Option<u64>,
    /// The DynamoDB operations the function called (answered by the mock).
    pub dynamodb_calls: Vec<String>,
}

pub struct InitResult {
    pub name: &'static str,
    pub size: u64,
    pub runs: Vec<InitRun>,
}

impl InitResult {
    /// Time to the first response, sorted.
    pub fn responses(&self) -> Vec<Duration> {
        let mut resp: Vec<_> = self.runs.iter().map(|x| x.to_response).collect();
        resp.sort_unstable();
        resp
    }
}

/// The binaries to time, with their sizes; an error naming the build command when one is
/// missing (checked before anything runs, so a default run fails at once, not after the HTTP
/// half).
pub fn locate(args: &InitArgs) -> Result<Vec<(&'static str, PathBuf, u64)>> {
    let bin_dir = args.bin_dir()?;
    let mut out = Vec::new();
    for (name, file) in BINARIES {
        let path = bin_dir.join(file);
        let size = std::fs::metadata(&path)
            .map_err(|e| {
                format!(
                    "cannot find {} ({e}); build it first: {BUILD}",
                    path.display()
                )
            })?
            .len();
        out.push((name, path, size));
    }
    Ok(out)
}

pub fn bench(
    args: &InitArgs,
    server_rt: &tokio::runtime::Runtime,
    client_rt: &tokio::runtime::Runtime,
) -> Result<Vec<InitResult>> {
    let binaries = locate(args)?;
    let mut results: Vec<InitResult> = binaries
        .iter()
        .map(|(name, _, size)| InitResult {
            name,
            size: *size,
            runs: Vec::new(),
        })
        .collect();

    let logs = tempfile::tempdir()?;
    // One discarded start per binary (page cache, first-touch effects), then interleaved runs
    // so drifts in machine load hit both binaries alike.
    for round in 0..=args.init_runs {
        for (result, (_, path, _)) in results.iter_mut().zip(&binaries) {
            let run_id = format!("bench-{}-{round}", result.name);
            let log = logs.path().join(format!("{run_id}.stderr"));
            let run = client_rt.block_on(init_once(path, &run_id, &log, server_rt.handle()))?;
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
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let runtime_api = listener.local_addr()?.to_string();
    let (mut rx, mock_task) = runtime_mock::serve(listener, run_id, server);
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
