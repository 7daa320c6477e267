//! What every Lambda function shares: configuration from the environment, the clients built
//! once at init, and the caller's identity read from the HTTP API JWT authorizer's claims.
//! The `hospital` binary runs the function `HOSPITAL_FUNCTION` names.

use axum::Router;
use hospital_adapters::dynamodb::DynamoStore;
use hospital_api::auth::{AuthError, Authenticator, Principal, ROLES_CLAIM, parse_roles};
use hospital_core::cursor::Cursors;
use hospital_core::resource::Deps;
use hospital_core::time::{Calendar, SystemClock, parse_tz};
use lambda_http::request::RequestContext;
use std::sync::Arc;

/// Reads the caller from the API Gateway HTTP API request context. The JWT authorizer has
/// already verified the token's signature, issuer, audience and expiry before the function runs.
pub struct AuthorizerClaims;

impl Authenticator for AuthorizerClaims {
    fn authenticate(&self, parts: &axum::http::request::Parts) -> Result<Principal, AuthError> {
        let claims = match parts.extensions.get::<RequestContext>() {
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx
                .authorizer
                .as_ref()
                .and_then(|a| a.jwt.as_ref())
                .map(|jwt| &jwt.claims),
            _ => None,
        }
        .ok_or_else(|| AuthError("no JWT claims in the request context".into()))?;
        let sub = claims
            .get("sub")
            .cloned()
            .ok_or_else(|| AuthError("the token has no sub claim".into()))?;
        let roles = claims
            .get(ROLES_CLAIM)
            .map(|r| parse_roles(&serde_json::Value::String(r.clone())))
            .unwrap_or_default();
        Ok(Principal { sub, roles })
    }
}

/// The function's HTTP application over any store (the tests replay sample events through it
/// with the embedded store).
pub fn http_app(function: &str, deps: Deps) -> Router {
    let state = hospital_api::AppState {
        deps,
        dev_clock: None,
    };
    hospital_api::app(&[function], state, Arc::new(AuthorizerClaims))
        .layer(axum::middleware::from_fn(request_id_from_context))
}

/// Uses API Gateway's request id as ours, so log lines and the caller's id match.
async fn request_id_from_context(
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let id = match req.extensions().get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.request_id.clone(),
        _ => None,
    };
    if let Some(v) = id.and_then(|id| axum::http::HeaderValue::from_str(&id).ok()) {
        req.headers_mut()
            .insert(hospital_api::request_id::HEADER, v);
    }
    next.run(req).await
}

/// Settings every function reads from its environment (set by template.yaml).
pub struct Config {
    pub table: String,
    pub calendar: Calendar,
    /// `CURSOR_KEY`: the secret list cursors are encrypted with (the template resolves it
    /// from the stack's generated secret).
    pub cursors: Cursors,
}

impl Config {
    pub fn from_env() -> Result<Self, String> {
        let table = std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME is not set".to_string())?;
        let tz = parse_tz(
            &std::env::var("HOSPITAL_TIMEZONE").unwrap_or_else(|_| "America/Sao_Paulo".into()),
        )?;
        let cursor_key =
            std::env::var("CURSOR_KEY").map_err(|_| "CURSOR_KEY is not set".to_string())?;
        Ok(Self {
            table,
            calendar: Calendar::new(Arc::new(SystemClock), tz),
            cursors: Cursors::new(cursor_key.as_bytes()),
        })
    }
}

/// JSON logs without ANSI colours, as CloudWatch wants them.
pub fn init_tracing() {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_current_span(true)
        .with_target(false)
        .without_time()
        .init();
}

/// Runs the named function: its HTTP routes under `lambda_http`.
pub async fn run(function: &str) -> Result<(), lambda_http::Error> {
    if hospital_api::registry::function(function).is_some() {
        return run_http(function).await;
    }
    Err(format!("no function named {function:?}").into())
}

/// Init and run an HTTP function: config, DynamoDB client (once), router, the runtime loop.
pub async fn run_http(function: &str) -> Result<(), lambda_http::Error> {
    init_tracing();
    let config = Config::from_env()?;
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").ok();
    let store = DynamoStore::from_env(config.table, endpoint).await;
    let app = http_app(
        function,
        Deps {
            store: Arc::new(store),
            calendar: config.calendar,
            cursors: config.cursors,
        },
    );
    lambda_http::run(app).await
}
