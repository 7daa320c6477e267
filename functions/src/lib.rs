//! What every Lambda function shares: configuration from the environment, the clients built
//! once at init, and the caller's identity read from the HTTP API JWT authorizer's claims.
//!
//! The stack's four binaries ([`hospital_api::registry::BINARIES`]) each run the function
//! `HOSPITAL_FUNCTION` names: `hospital` the HTTP functions ([`run_http_function`], which
//! reaches no automation code, so none is linked; the reports route reads the reports
//! bucket), and with the adapters their [`Wiring`] links, `hospital-automation` (the consumers
//! and jobs that need the table, the relay and the outbox sweep: EventBridge), `hospital-mail`
//! (the notifier: SES) and `hospital-reports` (the daily report job: S3 and the renderer, no
//! HTTP routes).

use aws_lambda_events::eventbridge::EventBridgeEvent;
use axum::Router;
use hospital_adapters::dynamodb::DynamoStore;
use hospital_api::auth::{
    AuthError, Authenticator, COGNITO_DOCTOR_CLAIM, DOCTOR_CLAIM, GROUPS_CLAIM, Principal,
    ROLES_CLAIM, check_claims, roles_of,
};
use hospital_core::analytics::report::Render;
use hospital_core::automation::catalogue::{self, Consumer, Job};
use hospital_core::automation::notify::{Files, Mailer};
use hospital_core::automation::relay::EventBus;
use hospital_core::automation::{Ctx, Handled, Settings, relay};
use hospital_core::cursor::Cursors;
use hospital_core::events::DomainEvent;
use hospital_core::resource::Deps;
use hospital_core::time::{Calendar, SystemClock, parse_tz};
use lambda_http::request::RequestContext;
use std::sync::Arc;

/// Reads the caller from the API Gateway HTTP API request context. The JWT authorizer has
/// already verified the token's signature, issuer, audience and expiry before the function runs;
/// what it does not check (a sub fit for logs, a lifetime of at most a day) is checked here.
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
        // API Gateway hands every claim over as a string (arrays flattened to `[a b]`).
        let values: std::collections::HashMap<&str, serde_json::Value> =
            [ROLES_CLAIM, GROUPS_CLAIM]
                .into_iter()
                .filter_map(|k| {
                    claims
                        .get(k)
                        .map(|v| (k, serde_json::Value::String(v.clone())))
                })
                .collect();
        let roles = roles_of(|k| values.get(k));
        let number = |k: &str| claims.get(k).and_then(|v| v.trim().parse::<i64>().ok());
        let now = chrono::Utc::now().timestamp();
        check_claims(&sub, number("iat"), number("exp"), now)?;
        // Cognito's ID token names the doctor in the account's custom attribute.
        let doctor_id = [DOCTOR_CLAIM, COGNITO_DOCTOR_CLAIM]
            .into_iter()
            .find_map(|k| claims.get(k).filter(|v| !v.is_empty()).cloned());
        Ok(Principal {
            sub,
            roles,
            doctor_id,
        })
    }
}

/// The function's HTTP application over any store (the tests replay sample events through it
/// with the embedded store).
pub fn http_app(
    function: &str,
    deps: Deps,
    reports: Option<Arc<dyn hospital_core::automation::notify::Files>>,
) -> Router {
    http_app_with(function, deps, reports, None)
}

/// [`http_app`] with the account directory (the `users` function's Cognito user pool).
pub fn http_app_with(
    function: &str,
    deps: Deps,
    reports: Option<Arc<dyn hospital_core::automation::notify::Files>>,
    users: Option<Arc<dyn hospital_core::accounts::Users>>,
) -> Router {
    let settings = match Settings::from_vars(var) {
        Ok(s) => s,
        Err(e) => {
            // Thresholds fall back to their defaults; the mistake is logged at every cold start.
            tracing::error!(error = %e, "malformed setting; defaults used");
            Settings::default()
        }
    };
    let state = hospital_api::AppState::new(hospital_api::Services {
        deps,
        dev_clock: None,
        dev_jobs: None,
        settings: Arc::new(settings),
        reports,
        users,
        local_identity: None,
    });
    // The function serves its routes, never their OpenAPI operations (meta builds the document
    // when asked), so they are not built at cold start.
    hospital_api::routes::undocumented(|| {
        hospital_api::app(&[function], state, Arc::new(AuthorizerClaims))
    })
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
    /// The AWS SDK's configuration, from what Lambda sets (no provider chains).
    pub sdk: aws_config::SdkConfig,
    pub calendar: Calendar,
    /// `CURSOR_KEY`: the secret list cursors are encrypted with (the template resolves it
    /// from the stack's generated secret).
    pub cursors: Cursors,
}

fn var(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|v| !v.is_empty())
}

impl Config {
    pub fn from_env() -> Result<Self, String> {
        let table = var("TABLE_NAME").ok_or("TABLE_NAME is not set")?;
        let tz = parse_tz(&var("HOSPITAL_TIMEZONE").unwrap_or_else(|| "America/Sao_Paulo".into()))?;
        let cursor_key = var("CURSOR_KEY").ok_or("CURSOR_KEY is not set")?;
        Ok(Self {
            table,
            sdk: hospital_adapters::aws::lambda_config(None)?,
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

/// Builds an adapter over the SDK's configuration (an error fails the function's init).
pub type Client<T> = fn(&aws_config::SdkConfig) -> Result<Arc<T>, String>;

/// The automation adapters a binary links: each binary passes its own, so that the others
/// don't carry SES, EventBridge, S3 or the report renderer. A port a binary does not wire
/// refuses loudly ([`Unwired`]); the registry routes no function to a binary that lacks what
/// it needs (`binary_of`, checked by the tests).
#[derive(Clone, Copy)]
pub struct Wiring {
    /// The binary's name, as in [`hospital_api::registry::BINARIES`].
    pub binary: &'static str,
    pub mailer: Option<Client<dyn Mailer>>,
    pub files: Option<Client<dyn Files>>,
    pub bus: Option<Client<dyn EventBus>>,
    pub render: Option<fn() -> Arc<dyn Render>>,
}

impl Wiring {
    /// `hospital-mail`: SES, and the reports bucket for attachments.
    pub const MAIL: Wiring = Wiring {
        binary: "hospital-mail",
        mailer: Some(ses),
        files: Some(s3_files),
        bus: None,
        render: None,
    };
    /// `hospital-automation`: the table and EventBridge.
    pub const AUTOMATION: Wiring = Wiring {
        binary: "hospital-automation",
        mailer: None,
        files: None,
        bus: Some(eventbridge),
        render: None,
    };
    /// `hospital-reports`: the reports bucket and the renderer.
    pub const REPORTS: Wiring = Wiring {
        binary: "hospital-reports",
        mailer: None,
        files: Some(s3_files),
        bus: None,
        render: Some(renderer),
    };

    /// Every automation binary's wiring.
    pub const ALL: [Wiring; 3] = [Self::AUTOMATION, Self::MAIL, Self::REPORTS];

    /// Whether it links what `needs` asks for.
    pub fn provides(&self, needs: &[hospital_core::automation::catalogue::Needs]) -> bool {
        use hospital_core::automation::catalogue::Needs;
        needs.iter().all(|n| match n {
            Needs::Mail => self.mailer.is_some(),
            Needs::PublishEvents => self.bus.is_some(),
            Needs::Reports => self.files.is_some(),
        })
    }
}

fn renderer() -> Arc<dyn Render> {
    Arc::new(hospital_report::Renderer)
}

/// A port this binary does not link.
pub struct Unwired(&'static str);

#[async_trait::async_trait]
impl Mailer for Unwired {
    async fn send(
        &self,
        _: &hospital_core::automation::notify::Email,
    ) -> Result<String, hospital_core::automation::notify::MailError> {
        Err(hospital_core::automation::notify::MailError::Permanent(
            format!("no mailer in {}", self.0),
        ))
    }
}

#[async_trait::async_trait]
impl Files for Unwired {
    async fn put(&self, _: &str, _: &str, _: Vec<u8>) -> hospital_core::DomainResult<()> {
        Err(unwired("files", self.0))
    }
    async fn get(&self, _: &str) -> hospital_core::DomainResult<Option<Vec<u8>>> {
        Err(unwired("files", self.0))
    }
}

#[async_trait::async_trait]
impl EventBus for Unwired {
    async fn publish(&self, events: &[DomainEvent]) -> Vec<Result<(), String>> {
        events
            .iter()
            .map(|_| Err(format!("no event bus in {}", self.0)))
            .collect()
    }
}

impl Render for Unwired {
    fn render(
        &self,
        _: &hospital_core::analytics::model::DailyReport,
    ) -> Result<Vec<hospital_core::analytics::report::ReportFile>, String> {
        Err(format!("no report renderer in {}", self.0))
    }
}

fn unwired(port: &str, binary: &str) -> hospital_core::DomainError {
    hospital_core::DomainError::Store(hospital_core::store::StoreError::Unavailable(format!(
        "no {port} in {binary}"
    )))
}

/// `hospital`: runs the named HTTP function. It reaches neither the automation catalogue nor
/// its adapters (but the reports bucket, which the reports route reads), so the binary links
/// none of them.
pub async fn run_http_function(function: &str) -> Result<(), lambda_http::Error> {
    use hospital_api::registry::{FUNCTIONS, TableAccess};
    match FUNCTIONS.iter().find(|f| f.name == function) {
        Some(f) => run_http(function, f.table == TableAccess::ReportFiles).await,
        None => Err(format!(
            "no HTTP function named {function:?} (events and jobs run in the other binaries)"
        )
        .into()),
    }
}

/// An automation binary: runs the named consumer, job or relay, if this binary is the one
/// that serves it. It reaches none of the HTTP functions, so the binary links no routes.
pub async fn run(function: &str, wiring: Wiring) -> Result<(), lambda_http::Error> {
    match hospital_api::registry::automation_binary(function) {
        None => return Err(format!("no event consumer, job or relay named {function:?}").into()),
        Some(b) if b != wiring.binary => {
            return Err(format!("{function} runs in the {b} binary, not {}", wiring.binary).into());
        }
        Some(_) => {}
    }
    if function == hospital_api::registry::COGNITO_MESSAGES {
        return run_cognito_messages().await;
    }
    if let Some(consumer) = catalogue::consumer(function) {
        return run_consumer(consumer, wiring).await;
    }
    if let Some(job) = catalogue::job(function) {
        return run_job(job, wiring).await;
    }
    run_relay(wiring).await
}

/// The relay's function name.
pub const RELAY: &str = hospital_api::registry::RELAY;

fn deps(config: Config) -> Deps {
    let store =
        DynamoStore::from_config(&config.sdk, config.table, var("AWS_ENDPOINT_URL_DYNAMODB"));
    Deps {
        store: Arc::new(store),
        calendar: config.calendar,
        cursors: config.cursors,
    }
}

/// Init and run an HTTP function: config, DynamoDB client (once), router, the runtime loop.
/// Only the reports function reads the reports bucket (`report_files`).
pub async fn run_http(function: &str, report_files: bool) -> Result<(), lambda_http::Error> {
    init_tracing();
    let config = Config::from_env()?;
    let reports = if report_files {
        Some(s3_files(&config.sdk)?)
    } else {
        None
    };
    // The users function's directory: the stack's user pool.
    let users = if function == hospital_api::accounts::USERS_FN.name {
        let pool = var("USER_POOL_ID").ok_or("USER_POOL_ID is not set")?;
        Some(
            Arc::new(hospital_adapters::cognito::CognitoUsers::from_config(
                &config.sdk,
                pool,
            )) as Arc<dyn hospital_core::accounts::Users>,
        )
    } else {
        None
    };
    let app = http_app_with(function, deps(config), reports, users);
    lambda_http::run(app).await
}

/// The automation's context on AWS: the table, and what the binary wires of SES, the reports
/// bucket, EventBridge and the renderer.
pub async fn automation_ctx(wiring: Wiring) -> Result<Ctx, String> {
    let config = Config::from_env()?;
    let sdk = config.sdk.clone();
    let deps = deps(config);
    let settings = Settings::from_vars(var)?;
    let missing = || Arc::new(Unwired(wiring.binary));
    Ok(Ctx {
        deps,
        settings: Arc::new(settings),
        mailer: wiring
            .mailer
            .map_or_else(|| Ok(missing() as Arc<dyn Mailer>), |f| f(&sdk))?,
        reports: wiring
            .files
            .map_or_else(|| Ok(missing() as Arc<dyn Files>), |f| f(&sdk))?,
        bus: wiring
            .bus
            .map_or_else(|| Ok(missing() as Arc<dyn EventBus>), |f| f(&sdk))?,
        render: wiring
            .render
            .map_or_else(|| missing() as Arc<dyn Render>, |f| f()),
    })
}

/// SES v2 from `SENDER_ADDRESS` and `SES_CONFIGURATION_SET`.
pub fn ses(sdk: &aws_config::SdkConfig) -> Result<Arc<dyn Mailer>, String> {
    let sender = var("SENDER_ADDRESS").unwrap_or_else(|| "no-reply@hospital.example".into());
    Ok(Arc::new(hospital_adapters::mail::SesMailer::new(
        aws_sdk_sesv2::Client::new(sdk),
        sender,
        var("SES_CONFIGURATION_SET"),
    )))
}

/// The reports bucket, `REPORTS_BUCKET`.
pub fn s3_files(sdk: &aws_config::SdkConfig) -> Result<Arc<dyn Files>, String> {
    let bucket = var("REPORTS_BUCKET").ok_or("REPORTS_BUCKET is not set")?;
    Ok(Arc::new(hospital_adapters::files::S3Files::new(
        sdk, &bucket,
    )?))
}

/// The stack's bus, `EVENT_BUS_NAME`.
pub fn eventbridge(sdk: &aws_config::SdkConfig) -> Result<Arc<dyn EventBus>, String> {
    Ok(Arc::new(
        hospital_adapters::eventbridge::EventBridgeBus::new(
            aws_sdk_eventbridge::Client::new(sdk),
            var("EVENT_BUS_NAME").unwrap_or_else(|| "default".into()),
        ),
    ))
}

/// A CloudWatch Embedded Metric Format line: a counter CloudWatch extracts from the log.
pub fn metric(name: &str, value: u64, function: &str) {
    let line = serde_json::json!({
        "_aws": {
            "Timestamp": chrono::Utc::now().timestamp_millis(),
            "CloudWatchMetrics": [{
                "Namespace": "Hospital",
                "Dimensions": [["Function"]],
                "Metrics": [{"Name": name, "Unit": "Count"}],
            }],
        },
        "Function": function,
        name: value,
    });
    println!("{line}");
}

/// An event consumer: EventBridge delivers the events of its rule; an error makes Lambda
/// retry, then send the event to the function's dead-letter queue.
pub async fn run_consumer(
    consumer: &'static Consumer,
    wiring: Wiring,
) -> Result<(), lambda_http::Error> {
    init_tracing();
    let ctx = automation_ctx(wiring).await?;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<EventBridgeEvent<serde_json::Value>>| {
            let ctx = ctx.clone();
            async move { consume(&ctx, consumer, event.payload).await }
        },
    ))
    .await
}

/// Handles one EventBridge event with `consumer`.
pub async fn consume(
    ctx: &Ctx,
    consumer: &Consumer,
    e: EventBridgeEvent<serde_json::Value>,
) -> Result<serde_json::Value, lambda_http::Error> {
    let Some(event) = DomainEvent::from_bus(&e.source, &e.detail_type, &e.detail) else {
        tracing::error!(source = %e.source, detail_type = %e.detail_type, "not a domain event; dropped");
        return Ok(serde_json::json!({"outcome": "not a domain event"}));
    };
    let handled = (consumer.handle)(ctx, &event).await.map_err(|e| {
        tracing::error!(consumer = consumer.name, event_id = %event.event_id, error = %e, "consumer failed");
        e.to_string()
    })?;
    tracing::info!(consumer = consumer.name, event_id = %event.event_id, outcome = %handled.describe(), "event handled");
    if let Handled::Done(_) = handled {
        metric(
            if consumer.name == "notifier" {
                "EmailsSent"
            } else {
                "EventsHandled"
            },
            1,
            consumer.name,
        );
    }
    Ok(serde_json::json!({"outcome": handled.describe()}))
}

/// A scheduled job: EventBridge Scheduler invokes it at its times.
pub async fn run_job(job: &'static Job, wiring: Wiring) -> Result<(), lambda_http::Error> {
    init_tracing();
    let ctx = automation_ctx(wiring).await?;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |_: lambda_runtime::LambdaEvent<serde_json::Value>| {
            let ctx = ctx.clone();
            async move {
                // Recorded, and a failure logged and alerted, by `runs`; the invocation fails
                // too, so the Scheduler's retry policy applies.
                let report = hospital_core::automation::runs::run(&ctx, job)
                    .await
                    .map_err(|e| e.cause())?;
                tracing::info!(job = job.name, report = %report, "job ran");
                metric("JobRuns", 1, job.name);
                Ok::<_, lambda_http::Error>(report)
            }
        },
    ))
    .await
}

/// The relay: the table's stream (filtered to new outbox records) → EventBridge.
pub async fn run_relay(wiring: Wiring) -> Result<(), lambda_http::Error> {
    init_tracing();
    let ctx = automation_ctx(wiring).await?;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<aws_lambda_events::dynamodb::Event>| {
            let ctx = ctx.clone();
            async move { relay_records(&ctx, event.payload).await }
        },
    ))
    .await
}

/// Publishes the outbox records of a stream batch; answers the records to retry (the first one
/// that failed and everything after it, as the stream must keep their order).
pub async fn relay_records(
    ctx: &Ctx,
    batch: aws_lambda_events::dynamodb::Event,
) -> Result<serde_json::Value, lambda_http::Error> {
    let mut events = Vec::new();
    for record in &batch.records {
        if record.event_name != "INSERT" {
            continue;
        }
        let item: hospital_core::store::Item =
            serde_dynamo::from_item(record.change.new_image.clone())
                .map_err(|e| format!("unreadable stream image: {e}"))?;
        if let Some(event) = DomainEvent::from_outbox_item(&item) {
            events.push((
                record.change.sequence_number.clone().unwrap_or_default(),
                event,
            ));
        }
    }
    let list: Vec<DomainEvent> = events.iter().map(|(_, e)| e.clone()).collect();
    let run = relay::publish(&ctx.deps, ctx.bus.as_ref(), &list).await?;
    metric("EventsPublished", run.published.len() as u64, RELAY);
    let first_failed = events
        .iter()
        .position(|(_, e)| run.failed.contains(&e.event_id));
    let failures: Vec<serde_json::Value> = match first_failed {
        Some(i) => events[i..]
            .iter()
            .map(|(seq, _)| serde_json::json!({"itemIdentifier": seq}))
            .collect(),
        None => Vec::new(),
    };
    Ok(serde_json::json!({"batchItemFailures": failures}))
}

/// The user pool's CustomMessage trigger: Cognito's account e-mails from our templates.
pub async fn run_cognito_messages() -> Result<(), lambda_http::Error> {
    init_tracing();
    let settings = Arc::new(Settings::from_vars(var)?);
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<CustomMessage>| {
            let settings = settings.clone();
            async move { cognito_message(event.payload, &settings) }
        },
    ))
    .await
}

pub use aws_lambda_events::cognito::CognitoEventUserPoolsCustomMessage as CustomMessage;

pub use hospital_core::accounts::RESEND_METADATA;

/// Fills in the e-mail of a CustomMessage event: subject and HTML body from the account
/// templates, with Cognito's placeholders for the code (`{####}`) and, in an invitation, the
/// login (`{username}`), which Cognito replaces as it sends. Triggers without an e-mail of ours
/// (MFA codes) are answered unchanged: Cognito sends its default.
pub fn cognito_message(
    mut event: CustomMessage,
    settings: &Settings,
) -> Result<CustomMessage, lambda_http::Error> {
    use aws_lambda_events::cognito::CognitoEventUserPoolsCustomMessageTriggerSource as Source;
    use hospital_core::accounts::{AccountEmail, render_email};
    let resend = event
        .request
        .client_metadata
        .get(RESEND_METADATA)
        .is_some_and(|v| v == "true");
    let (kind, valid_for) = match event.cognito_event_user_pools_header.trigger_source {
        Some(Source::AdminCreateUser) if resend => (AccountEmail::Resend, "7 dias"),
        Some(Source::AdminCreateUser) => (AccountEmail::Invite, "7 dias"),
        Some(Source::ForgotPassword) => (AccountEmail::Reset, "1 hora"),
        Some(
            Source::SignUp
            | Source::ResendCode
            | Source::UpdateUserAttribute
            | Source::VerifyUserAttribute,
        ) => (AccountEmail::Verify, "24 horas"),
        _ => return Ok(event),
    };
    let code = event
        .request
        .code_parameter
        .clone()
        .unwrap_or_else(|| "{####}".into());
    let username = event
        .request
        .username_parameter
        .clone()
        .unwrap_or_else(|| "{username}".into());
    let name = event
        .request
        .user_attributes
        .get("name")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_string();
    let (subject, _text, html) =
        render_email(kind, &name, &username, &code, valid_for, settings)
            .map_err(|e| format!("cannot render the {} e-mail: {e}", kind.template()))?;
    event.response.email_subject = Some(subject);
    event.response.email_message = Some(html);
    Ok(event)
}
