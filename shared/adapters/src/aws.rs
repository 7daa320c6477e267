//! The AWS SDK configuration every adapter's client is built from, once per process.
//!
//! The HTTPS client trusts the roots behind AWS endpoints (Amazon Trust Services), compiled in:
//! the SDK's default client reads the whole system certificate store (~150 files) on its first
//! request, which was most of a function's cold start. `HOSPITAL_NATIVE_ROOTS=1` brings the
//! system store back, for an endpoint behind another CA (a corporate proxy). TLS is rustls with
//! ring, the smaller of its crypto providers (docs/benchmarks.md).
//!
//! Two ways to the configuration: [`lambda_config`] takes everything from the environment
//! Lambda sets (no provider chains, so none of their code — profiles, SSO, STS, instance
//! metadata — is linked into the functions); [`sdk_config`] runs the SDK's default chains, for
//! a developer's machine with profiles.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::Builder;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};

static AWS_ROOTS: &[u8] = include_bytes!("aws-roots.pem");

/// The HTTPS client every SDK client here uses (the SDK's own is not linked: see Cargo.toml).
/// `None` only if the compiled-in roots fail to parse, which a test would catch.
pub fn https_client() -> Option<aws_sdk_dynamodb::config::SharedHttpClient> {
    let native = std::env::var("HOSPITAL_NATIVE_ROOTS").is_ok_and(|v| v == "1");
    let trust = TrustStore::empty()
        .with_native_roots(native)
        .with_pem_certificate(AWS_ROOTS);
    let context = match TlsContext::builder().with_trust_store(trust).build() {
        Ok(c) => c,
        Err(e) => {
            // The PEM is compiled in; this is a bug. The SDK's default client still works.
            tracing::error!(error = %e, "cannot build the TLS context; using the SDK's default");
            return None;
        }
    };
    Some(
        Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .tls_context(context)
            .build_https(),
    )
}

/// The same trust for the clients built here without the SDK (the S3 calls, `crate::s3`):
/// the compiled-in roots, and the system's when `HOSPITAL_NATIVE_ROOTS=1`.
pub fn tls_config() -> Result<rustls::ClientConfig, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(AWS_ROOTS) {
        let cert = cert.map_err(|e| format!("compiled-in roots: {e}"))?;
        roots
            .add(cert)
            .map_err(|e| format!("compiled-in roots: {e}"))?;
    }
    if std::env::var("HOSPITAL_NATIVE_ROOTS").is_ok_and(|v| v == "1") {
        // Unreadable system certificates are skipped, as the SDK's client does.
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    }
    rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())
    .map(|b| b.with_root_certificates(roots).with_no_client_auth())
}

/// The configuration of a Lambda function, from the variables Lambda sets: `AWS_REGION`,
/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`). `endpoint` points
/// the clients elsewhere (moto, DynamoDB Local).
pub fn lambda_config(endpoint: Option<String>) -> Result<SdkConfig, String> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let region = env("AWS_REGION").ok_or("AWS_REGION is not set")?;
    if env("AWS_ACCESS_KEY_ID").is_none() {
        return Err("AWS_ACCESS_KEY_ID is not set".into());
    }
    let client = https_client().ok_or("cannot build the HTTPS client")?;
    let mut builder = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(aws_config::Region::new(region))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
            ),
        )
        .http_client(client)
        .retry_config(aws_config::retry::RetryConfig::standard())
        .time_source(aws_smithy_async::time::SystemTimeSource::new());
    if let Some(sleep) = aws_smithy_async::rt::sleep::default_async_sleep() {
        builder = builder.sleep_impl(sleep);
    }
    if let Some(endpoint) = endpoint {
        builder = builder.endpoint_url(endpoint);
    }
    Ok(builder.build())
}

/// The SDK configuration from the environment (credentials, region, `AWS_ENDPOINT_URL*`),
/// talking to `endpoint` instead of AWS when given (moto, DynamoDB Local).
///
/// Where the environment holds the credentials and the region (every Lambda function, the
/// tests), they are taken from it directly: the SDK's default chains would also look for
/// profile files, SSO and instance metadata, which costs a cold start for nothing. Otherwise
/// (a developer's machine with profiles) the default chains apply.
pub async fn sdk_config(endpoint: Option<String>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(client) = https_client() {
        loader = loader.http_client(client);
    }
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if let (Some(region), Some(_)) = (env("AWS_REGION"), env("AWS_ACCESS_KEY_ID")) {
        loader = loader
            .region(aws_config::Region::new(region))
            .credentials_provider(
                aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
            );
    }
    if let Some(endpoint) = endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    loader.load().await
}
