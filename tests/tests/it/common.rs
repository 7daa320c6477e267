//! Test harness: hospital-local started in-process over the embedded store (in a temp dir) or
//! over DynamoDB (a moto_server the tests start), and an HTTP client that signs requests with
//! tokens of any role.

use hospital_api::auth::{LocalJwt, Role};
use hospital_local::{Config, Server, StoreKind};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};

pub const SECRET: &str = "test-secret-test-secret-test-secret";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Embedded,
    Dynamo,
}

pub struct Local {
    pub server: Option<Server>,
    pub config: Config,
    pub http: reqwest::Client,
    jwt: LocalJwt,
    _dir: Option<tempfile::TempDir>,
}

static TABLES: AtomicUsize = AtomicUsize::new(0);

impl Local {
    pub async fn start(backend: Backend) -> Local {
        Self::start_with(backend, |_| {}).await
    }

    /// [`Local::start`] with the configuration adjusted first (e.g. `config.dev_clock = true`).
    pub async fn start_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> Local {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = Config::in_dir(dir.path());
        config.jwt_secret = Some(SECRET.into());
        if backend == Backend::Dynamo {
            hospital_testkit::aws_test_env();
            let moto = hospital_testkit::MotoServer::shared().await;
            config.store = StoreKind::DynamoDb;
            config.dynamodb_endpoint = Some(moto.endpoint());
            config.table = format!(
                "hospital-{}-{}",
                std::process::id(),
                TABLES.fetch_add(1, Ordering::SeqCst)
            );
        }
        configure(&mut config);
        Self::with_config(config, Some(dir)).await
    }

    pub async fn with_config(config: Config, dir: Option<tempfile::TempDir>) -> Local {
        let server = hospital_local::start(&config)
            .await
            .expect("start hospital-local");
        Local {
            server: Some(server),
            config,
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(64)
                .build()
                .expect("client"),
            jwt: LocalJwt::new(SECRET.as_bytes()),
            _dir: dir,
        }
    }

    /// Stops the server and starts a new one on the same data.
    pub async fn restart(&mut self) {
        if let Some(s) = self.server.take() {
            s.stop().await;
        }
        self.server = Some(hospital_local::start(&self.config).await.expect("restart"));
    }

    pub fn token(&self, role: Role) -> String {
        self.jwt
            .issue(&format!("test-{}", role.as_str()), &[role], now(), 3600)
            .expect("token")
    }

    /// A token for `sub` with `roles`, acting as the doctor record `doctor_id` when given.
    pub fn token_with(&self, sub: &str, roles: &[Role], doctor_id: Option<&str>) -> String {
        self.jwt
            .issue_for(sub, roles, doctor_id, now(), 3600)
            .expect("token")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.server.as_ref().expect("running").url(), path)
    }

    /// A request as `role` (admin when None is not wanted: pass the role explicitly).
    pub fn req(&self, method: Method, path: &str, role: Option<Role>) -> RequestBuilder {
        let b = self.http.request(method, self.url(path));
        match role {
            Some(r) => b.bearer_auth(self.token(r)),
            None => b,
        }
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.req(Method::POST, path, Some(Role::Admin))
            .json(body)
            .send()
            .await
            .expect("send")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.req(Method::GET, path, Some(Role::Admin))
            .send()
            .await
            .expect("send")
    }

    pub async fn patch(&self, path: &str, body: &Value, if_match: Option<&str>) -> Response {
        let mut b = self
            .req(Method::PATCH, path, Some(Role::Admin))
            .header("content-type", "application/merge-patch+json")
            .body(body.to_string());
        if let Some(tag) = if_match {
            b = b.header("if-match", tag);
        }
        b.send().await.expect("send")
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.req(Method::DELETE, path, Some(Role::Admin))
            .send()
            .await
            .expect("send")
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.server.take() {
            s.stop().await;
        }
    }
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// Reads a response's status and JSON body.
pub async fn body(res: Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let text = res.text().await.expect("body");
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"))
    };
    (status, value)
}

/// Asserts the error envelope with `status` and, when given, an error naming `field`.
#[track_caller]
pub fn assert_envelope(status: u16, body: &Value, expected: u16, field: Option<&str>) {
    assert_eq!(status, expected, "unexpected status; body: {body}");
    let errors = body["error"]
        .as_array()
        .unwrap_or_else(|| panic!("no envelope: {body}"));
    assert!(!errors.is_empty(), "empty error list: {body}");
    for e in errors {
        assert!(
            e["title"].is_string() && e["message"].is_string(),
            "bad error item: {e}"
        );
    }
    assert!(
        body["request_id"].as_str().is_some_and(|s| !s.is_empty()),
        "no request id: {body}"
    );
    if let Some(f) = field {
        assert!(
            errors.iter().any(|e| e["field"] == f),
            "no error names {f}: {body}"
        );
    }
}

/// Valid CPFs, generated (check digits computed) so tests never collide.
pub fn cpf(n: u32) -> String {
    let base: Vec<u32> = format!("{:09}", 100_000_000 + n)
        .chars()
        .filter_map(|c| c.to_digit(10))
        .collect();
    let mut d = base.clone();
    for len in [9usize, 10] {
        let sum: u32 = (0..len).map(|i| d[i] * (len as u32 + 1 - i as u32)).sum();
        let r = (sum * 10) % 11;
        d.push(if r == 10 { 0 } else { r });
    }
    d.iter().map(|x| x.to_string()).collect()
}

pub fn patient(name: &str, n: u32) -> Value {
    json!({
        "full_name": name,
        "cpf": cpf(n),
        "birth_date": "1984-03-09",
        "sex": "female",
        "phone": "+5511987654321",
        "email": "paciente@example.com",
        "emergency_contact": {"name": "João", "phone": "+5511912345678", "relationship": "irmão"},
        "allergies": ["dipirona"]
    })
}

pub fn address() -> Value {
    json!({
        "cep": "01310-100",
        "street": "Avenida Paulista",
        "number": "1578",
        "district": "Bela Vista",
        "city": "São Paulo",
        "uf": "SP"
    })
}
