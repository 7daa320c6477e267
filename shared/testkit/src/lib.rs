//! Test helpers: a `moto_server` on a free 127.0.0.1 port, started and stopped by the tests.
//!
//! The server runs under a small `sh` watchdog that holds the read end of a pipe whose write end
//! only this process owns. When the [`MotoServer`] is dropped, or the test process dies in any
//! way (even SIGKILL), the pipe closes and the watchdog kills moto, so no orphan outlives the
//! tests — including the never-dropped [`MotoServer::shared`] instance.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::OnceCell;

const NOT_INSTALLED: &str = "moto_server not found: install it with `pip install 'moto[server]'` (the README's test command does this)";
const READY_TIMEOUT: Duration = Duration::from_secs(20);
const START_ATTEMPTS: usize = 3;

/// `$1` is the port, `$2` the project's `scripts/moto_serial.py`. Fd 3 keeps our pipe: a
/// background list's stdin is /dev/null in sh, so the watcher reads the pipe through a second
/// descriptor. The shell exits when moto does, which
/// lets `start` notice a server that died (port taken, bad install).
///
/// moto is served one request at a time (scripts/moto_serial.py, `moto_server` minus threads):
/// moto applies a TransactWriteItems item by item without a lock, so on concurrent threads two
/// transactions conditional on the same item can both commit. DynamoDB isolates them;
/// serialized, moto does too, and the race tests test our code rather than moto's threading.
const WATCHDOG: &str = r#"
python3 "$2" "$1" </dev/null >/dev/null 2>&1 &
m=$!
exec 3<&0
( cat <&3 >/dev/null; kill "$m" 2>/dev/null ) &
exec 0</dev/null
wait "$m"
"#;

/// `argv[1]` is moto's endpoint, `argv[2]` the user's policy document; boto3 comes with moto.
const IAM_USER: &str = r#"
import boto3, sys
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
iam.create_user(UserName="tests")
key = iam.create_access_key(UserName="tests")["AccessKey"]
iam.put_user_policy(UserName="tests", PolicyName="tests", PolicyDocument=sys.argv[2])
print(key["AccessKeyId"], key["SecretAccessKey"])
"#;

/// A running `moto_server`, killed on drop.
pub struct MotoServer {
    port: u16,
    watchdog: Child,
    /// Closing this (on drop) tells the watchdog to kill moto.
    lifeline: Option<ChildStdin>,
}

static SHARED: OnceCell<MotoServer> = OnceCell::const_new();

impl MotoServer {
    /// Starts a fresh server on a free port and waits until it answers.
    ///
    /// Panics with an installation hint when `moto_server` is not on `PATH`.
    pub async fn start() -> MotoServer {
        Self::start_with(&[]).await
    }

    /// A server that checks every request's signature (as AWS does) after the first three
    /// requests, which are left for [`MotoServer::iam_user`]. Plain moto accepts any signature.
    pub async fn start_checking_signatures() -> MotoServer {
        Self::start_with(&[("INITIAL_NO_AUTH_ACTION_COUNT", "3")]).await
    }

    /// Creates an IAM user with the `policy` document (JSON), with the three unchecked requests
    /// of [`MotoServer::start_checking_signatures`]; answers its access key id and secret.
    pub fn iam_user(&self, policy: &str) -> (String, String) {
        let out = Command::new("python3")
            .arg("-c")
            .arg(IAM_USER)
            .arg(self.endpoint())
            .arg(policy)
            .output()
            .expect("python3 runs");
        assert!(
            out.status.success(),
            "creating the IAM user failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut parts = out.split_whitespace().map(str::to_owned);
        match (parts.next(), parts.next()) {
            (Some(id), Some(secret)) => (id, secret),
            _ => panic!("no access key in {out:?}"),
        }
    }

    async fn start_with(env: &[(&str, &str)]) -> MotoServer {
        if find_on_path("moto_server").is_none() {
            panic!("{NOT_INSTALLED}");
        }
        let mut last_err = String::new();
        // Another process may grab the port between our probe and moto's bind: try again.
        for _ in 0..START_ATTEMPTS {
            match Self::try_start(env).await {
                Ok(server) => return server,
                Err(e) => last_err = e.to_string(),
            }
        }
        panic!("moto_server did not start: {last_err}");
    }

    /// One server for the whole test binary; tests isolate themselves by table name.
    pub async fn shared() -> &'static MotoServer {
        SHARED.get_or_init(MotoServer::start).await
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Clears every service's state (`POST /moto-api/reset`).
    pub async fn reset(&self) {
        match http_request(self.addr(), "POST", "/moto-api/reset").await {
            Ok(200) => {}
            Ok(status) => panic!("moto reset answered HTTP {status}"),
            Err(e) => panic!("moto reset failed: {e}"),
        }
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    async fn try_start(env: &[(&str, &str)]) -> io::Result<MotoServer> {
        let port = free_port()?;
        let watchdog = Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg("moto-watchdog")
            .arg(port.to_string())
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../scripts/moto_serial.py"
            ))
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let mut server = MotoServer {
            port,
            lifeline: None,
            watchdog,
        };
        server.lifeline = server.watchdog.stdin.take();

        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let probe = http_request(server.addr(), "GET", "/moto-api/").await;
            if probe.is_ok_and(|status| status < 500) {
                return Ok(server);
            }
            if let Some(status) = server.watchdog.try_wait()? {
                return Err(io::Error::other(format!(
                    "moto_server on port {port} exited ({status})"
                )));
            }
            if Instant::now() >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("moto_server on port {port} not ready after {READY_TIMEOUT:?}"),
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        drop(self.lifeline.take());
        // Wait briefly so the port is free when drop returns; the watchdog exits right after
        // moto does.
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            match self.watchdog.try_wait() {
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                _ => return,
            }
        }
        let _ = self.watchdog.kill();
        let _ = self.watchdog.wait();
    }
}

/// Static test credentials and region for the AWS SDK, and no instance-metadata probing.
/// Only sets variables that are unset.
pub fn aws_test_env() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for (name, value) in [
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ] {
            if std::env::var_os(name).is_none() {
                // SAFETY: runs once; every caller returns only after it finished, and tests
                // read these variables only after calling this.
                unsafe { std::env::set_var(name, value) };
            }
        }
    });
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A bodiless HTTP/1.1 request; returns the status code.
async fn http_request(addr: SocketAddr, method: &str, path: &str) -> io::Result<u16> {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await?;
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        let head = String::from_utf8_lossy(&response);
        head.strip_prefix("HTTP/1.")
            .and_then(|rest| rest.get(2..5))
            .and_then(|code| code.parse::<u16>().ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "not an HTTP response"))
    };
    tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "moto did not answer"))?
}
