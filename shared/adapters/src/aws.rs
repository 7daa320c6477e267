//! The AWS SDK configuration every adapter's client is built from, once per process.
//!
//! The HTTPS client trusts the roots behind AWS endpoints (Amazon Trust Services), compiled in:
//! the SDK's default client reads the whole system certificate store (~150 files) on its first
//! request, which was most of a function's cold start. `HOSPITAL_NATIVE_ROOTS=1` brings the
//! system store back, for an endpoint behind another CA (a corporate proxy).

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::Builder;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};

static AWS_ROOTS: &[u8] = include_bytes!("aws-roots.pem");

fn https_client() -> Option<aws_sdk_dynamodb::config::SharedHttpClient> {
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
            .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
            .tls_context(context)
            .build_https(),
    )
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
