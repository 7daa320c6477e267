//! The load generator: `concurrency` workers, each with one keep-alive connection, send
//! requests back to back (closed loop); the requests that start after the warm-up and end
//! inside the measured window are recorded.

use crate::Result;
use crate::args::{ClientKind, HttpArgs};
use axum::http::header;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

pub const WARM_UP: Duration = Duration::from_secs(1);

pub struct LoadResult {
    pub name: &'static str,
    /// Latencies of the requests started after the warm-up and completed in the window, sorted.
    pub latencies: Vec<Duration>,
    pub window: Duration,
    pub failures: u64,
    pub body_bytes: usize,
}

impl LoadResult {
    pub fn requests_per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.window.as_secs_f64()
    }
}

/// A reqwest client for one connection: no proxy from the environment (the servers are on
/// loopback), no Nagle delay.
pub fn http_client() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .no_proxy()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(1)
        .build()?)
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

pub fn snippet(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned()
}

/// `concurrency` workers, each with its own keep-alive connection, issue requests back to
/// back (closed loop) for the warm-up plus `seconds`.
pub async fn load(
    name: &'static str,
    addr: SocketAddr,
    path: &str,
    auth: &str,
    args: &HttpArgs,
) -> Result<LoadResult> {
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
    let mut result = LoadResult {
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
