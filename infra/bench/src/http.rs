//! HTTP: `GET /v1/patients/{id}` on hospital-local (embedded store, the whole stack) next to a
//! bare axum handler answering the same JSON document.

use crate::Result;
use crate::args::HttpArgs;
use crate::load::{LoadResult, http_client, load};
use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use hospital_api::auth::{LocalJwt, Role};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::oneshot;

const JWT_SECRET: &str = "hospital-bench-secret-0123456789abcdef";

/// hospital-local first, then the bare handler: the two results in that order.
pub fn bench(
    args: &HttpArgs,
    server_rt: &tokio::runtime::Runtime,
    client_rt: &tokio::runtime::Runtime,
) -> Result<Vec<LoadResult>> {
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
