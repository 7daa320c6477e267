//! The HTTP layer: one axum router per Lambda function, and the machinery every router shares —
//! the error envelope, request ids, auth/RBAC, body extractors, idempotency keys, paging and the
//! OpenAPI document.

pub mod accounts;
pub mod admissions;
pub mod analytics;
pub mod appointments;
pub mod auth;
pub mod automation;
pub mod beds;
pub mod billing;
pub mod body;
pub mod dev;
pub mod doctors;
pub mod error;
pub mod exams;
pub mod idempotency;
pub mod insurers;
pub mod medications;
pub mod meta;
pub mod openapi;
pub mod patients;
pub mod prescriptions;
pub mod rbac;
pub mod registry;
pub mod request_id;
pub mod resources;
pub mod reviews;
pub mod routes;
pub mod sectors;
pub mod specialties;
pub mod staff;
pub mod tariffs;

use auth::Authenticator;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use error::ApiError;
use hospital_core::resource::Deps;
use std::any::Any;
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;

/// Runs a scheduled job by name, now (the daily report for a `date` when given): what it did,
/// or why not (no such job, a date the job takes none of). hospital-local's
/// `POST /v1/dev/jobs/{name}[?date=YYYY-MM-DD]`.
pub type JobRunner = Arc<
    dyn Fn(
            String,
            Option<String>,
        ) -> std::pin::Pin<
            Box<dyn Future<Output = Result<serde_json::Value, error::ApiError>> + Send>,
        > + Send
        + Sync,
>;

/// What every handler can reach: the router's state. One `Arc`, because axum clones the state
/// for every layer and extractor of every request, and one atomic increment is cheaper than
/// one per field (docs/benchmarks.md).
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    pub fn new(services: Services) -> Self {
        Self(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// The fields of [`AppState`].
pub struct Services {
    pub deps: Deps,
    /// hospital-local's scenario clock, when `HOSPITAL_DEV_CLOCK=1` (the `/v1/dev` routes).
    pub dev_clock: Option<Arc<hospital_core::time::ScenarioClock>>,
    /// hospital-local's jobs, on demand (`POST /v1/dev/jobs/{name}`).
    pub dev_jobs: Option<JobRunner>,
    /// Thresholds the indicators use (`OCCUPANCY_ALERT_PERCENT`).
    pub settings: Arc<hospital_core::automation::Settings>,
    /// Where daily reports are kept (the reports function; hospital-local).
    pub reports: Option<Arc<dyn hospital_core::automation::notify::Files>>,
    /// The account directory (`/v1/users`): the Cognito user pool on AWS, the store locally.
    pub users: Option<Arc<dyn hospital_core::accounts::Users>>,
    /// hospital-local's identity provider (`/v1/auth/*`).
    pub local_identity: Option<Arc<accounts::LocalIdentity>>,
}

/// The complete HTTP application for the named functions (hospital-local passes all of
/// [`registry::local_names`], a Lambda function its own name), with the shared layers around
/// it. Unknown names are ignored, and so is `dev` unless the state has a dev clock. Only these
/// functions' routes are built: the roles the auth layer checks come from them.
pub fn app(functions: &[&str], state: AppState, authenticator: Arc<dyn Authenticator>) -> Router {
    let mut router = Router::new();
    let mut rules = auth::Rules::default();
    // hospital-local's development routes exist only with its dev clock on.
    let dev_on = state.dev_clock.is_some();
    for f in functions
        .iter()
        .filter_map(|f| registry::function(f))
        .filter(|f| dev_on || f.name != dev::FUNCTION.name)
    {
        for route in (f.routes)() {
            rules.insert(route.method, route.path, route.roles);
            router = router.route(route.path, route.handler);
        }
    }
    with_shared_layers(router, state, auth::Access::new(authenticator, rules))
}

/// Wraps routes in what every function shares: auth/RBAC, idempotency keys, the envelope for
/// unknown routes and methods, the body limit, panic recovery and request ids.
pub fn with_shared_layers(
    routes: Router<AppState>,
    state: AppState,
    access: auth::Access,
) -> Router {
    routes
        // route_layer: only matched routes are guarded, so an unknown path is a 404.
        .route_layer(from_fn_with_state((access, state.clone()), guard))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(body::MAX_BODY_BYTES))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(from_fn_with_state(state.clone(), request_id::middleware))
        .with_state(state)
}

/// Every matched route's guard: auth and RBAC, then `Idempotency-Key` (which scopes keys by
/// caller). One layer rather than two: axum clones a route's layers for every request.
async fn guard(
    axum::extract::State((access, state)): axum::extract::State<(auth::Access, AppState)>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match auth::authorize(&access, req) {
        Ok(req) => idempotency::middleware(axum::extract::State(state), req, next).await,
        Err(e) => e.into_response(),
    }
}

/// RF26: every 5xx is an operational alert (a log line, an `OperationalAlert` event, the
/// on-call digest), recorded best-effort before the response goes ([`request_id::middleware`]):
/// awaited rather than spawned, because Lambda freezes the environment once the response is
/// sent, and on its one-thread runtime a spawned write might not even have started. Bounded,
/// so that a store which is itself the cause of the 5xx does not hold the answer up.
async fn alert_on_server_error(
    state: &AppState,
    status: StatusCode,
    method: &axum::http::Method,
    route: &str,
    request: &str,
) {
    // For on-call, in pt-BR (the digest's language); the request id finds the log lines.
    let detail = format!("erro {status} em {method} {route} (requisição {request})");
    let mut tx = state.deps.tx();
    hospital_core::automation::consumers::alert(&mut tx, "server_error", route, &detail);
    let write = tx.commit(state.deps.store.as_ref());
    match tokio::time::timeout(std::time::Duration::from_secs(2), write).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::error!(error = ?e, "could not record the alert of a 5xx"),
        Err(_) => tracing::error!("recording the alert of a 5xx took over 2 s; given up"),
    }
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        "this route does not accept that method",
    )
}

fn panic_response(_: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    ApiError::internal().into_response()
}
