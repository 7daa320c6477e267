//! The two S3 calls the stack makes (put an object, get one), signed with SigV4 and sent over
//! hyper and rustls.
//!
//! Why not `aws-sdk-s3`: for these two calls it linked about 1.2 MiB into every binary that
//! keeps or attaches a report (its client, and `crc-fast` for its checksums, which cannot be
//! turned off), and it kept `hospital-reports` over the functions' size goal
//! (docs/benchmarks.md).
//! The signer (`aws-sigv4`), hyper and rustls are the ones the other SDK clients already link.
//! The tests run this client against moto and read back what it wrote with `aws-sdk-s3`.

use aws_credential_types::provider::ProvideCredentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use std::time::{Duration, SystemTime};

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

/// Characters of a key written as they are (RFC 3986 unreserved, and `/` between segments).
const KEY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// Attempts per call: S3 asks to retry 500, 503 (`SlowDown`) and dropped connections.
const ATTEMPTS: u32 = 3;
/// One attempt (a report is a few hundred KiB, in the function's own region).
const ATTEMPT: Duration = Duration::from_secs(3);
/// All attempts, so that the reports function (10 s Lambda timeout) still answers with the
/// error envelope when S3 does not.
const DEADLINE: Duration = Duration::from_secs(7);

/// One bucket.
#[derive(Clone)]
pub struct Bucket {
    http: Client<Https, Full<Bytes>>,
    credentials: Option<aws_credential_types::provider::SharedCredentialsProvider>,
    region: String,
    /// `https://<bucket>.s3.<region>.amazonaws.com` (virtual-hosted, as AWS recommends), or
    /// `<endpoint>/<bucket>` (path-style) when the configuration names an endpoint (moto).
    /// The stack's bucket is named by CloudFormation (no dots) in a commercial region; the
    /// China and GovCloud partitions, FIPS and dual-stack endpoints would need more here.
    base: String,
}

impl std::fmt::Debug for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bucket").field("base", &self.base).finish()
    }
}

/// What a call answered, when it is not a success.
#[derive(Debug)]
pub enum S3Error {
    NotFound,
    Failed(String),
}

impl std::fmt::Display for S3Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            S3Error::NotFound => f.write_str("no such key"),
            S3Error::Failed(e) => f.write_str(e),
        }
    }
}

impl Bucket {
    /// The bucket `name`, reached with the configuration's region, credentials and endpoint.
    pub fn new(sdk: &aws_config::SdkConfig, name: &str) -> Result<Self, String> {
        let region = sdk
            .region()
            .map(|r| r.to_string())
            .ok_or("no AWS region for S3")?;
        let base = match sdk.endpoint_url() {
            Some(endpoint) => format!("{}/{name}", endpoint.trim_end_matches('/')),
            None => format!("https://{name}.s3.{region}.amazonaws.com"),
        };
        let mut connector = HttpConnector::new();
        connector.enforce_http(false);
        connector.set_connect_timeout(Some(Duration::from_secs(5)));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(crate::aws::tls_config()?)
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        Ok(Self {
            http: Client::builder(TokioExecutor::new()).build(https),
            credentials: sdk.credentials_provider(),
            region,
            base,
        })
    }

    /// Stores `bytes` at `key`.
    pub async fn put(&self, key: &str, content_type: &str, bytes: Vec<u8>) -> Result<(), S3Error> {
        self.call("PUT", key, Some((content_type, Bytes::from(bytes))))
            .await
            .map(drop)
    }

    /// The object at `key`.
    pub async fn get(&self, key: &str) -> Result<Vec<u8>, S3Error> {
        self.call("GET", key, None).await.map(|b| b.to_vec())
    }

    async fn call(
        &self,
        method: &str,
        key: &str,
        body: Option<(&str, Bytes)>,
    ) -> Result<Bytes, S3Error> {
        let url = format!("{}/{}", self.base, utf8_percent_encode(key, KEY));
        let deadline = tokio::time::Instant::now() + DEADLINE;
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(100 << (2 * attempt))).await;
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                break;
            }
            let request = self.signed(method, &url, body.as_ref()).await?;
            match tokio::time::timeout(ATTEMPT.min(left), self.send(request)).await {
                Ok(Ok((status, bytes))) if status.is_success() => return Ok(bytes),
                // A missing bucket is a 404 too, but a misconfiguration, not an absent file.
                Ok(Ok((status, bytes)))
                    if status == hyper::StatusCode::NOT_FOUND
                        && bytes.windows(9).any(|w| w == b"NoSuchKey") =>
                {
                    return Err(S3Error::NotFound);
                }
                Ok(Ok((status, bytes))) => {
                    last = format!(
                        "S3 {method} answered {status}: {}",
                        String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
                    );
                    if !status.is_server_error() {
                        break;
                    }
                }
                Ok(Err(e)) => last = format!("S3 {method}: {e}"),
                Err(_) => last = format!("S3 {method}: no answer in time"),
            }
        }
        Err(S3Error::Failed(last))
    }

    async fn send(
        &self,
        request: hyper::Request<Full<Bytes>>,
    ) -> Result<(hyper::StatusCode, Bytes), String> {
        let response = self
            .http
            .request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok((status, bytes))
    }

    /// The request, signed as S3 wants it: the payload's SHA-256 in `x-amz-content-sha256`,
    /// the path encoded once and not normalised.
    async fn signed(
        &self,
        method: &str,
        url: &str,
        body: Option<&(&str, Bytes)>,
    ) -> Result<hyper::Request<Full<Bytes>>, S3Error> {
        let failed = |e: &dyn std::fmt::Display| S3Error::Failed(format!("S3 request: {e}"));
        let provider = self
            .credentials
            .as_ref()
            .ok_or_else(|| failed(&"no AWS credentials"))?;
        // Lambda's credentials are environment variables, read each call; a provider that
        // fetches (SSO, STS) would want the SDK's identity cache in front of it.
        let identity = provider
            .provide_credentials()
            .await
            .map_err(|e| failed(&e))?
            .into();
        let mut settings = SigningSettings::default();
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("s3")
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .map_err(|e| failed(&e))?
            .into();
        let headers: Vec<(&str, &str)> = body
            .map(|(content_type, _)| vec![("content-type", *content_type)])
            .unwrap_or_default();
        let payload = body.map_or(&b""[..], |(_, b)| b.as_ref());
        let signable = SignableRequest::new(
            method,
            url,
            headers.iter().copied(),
            SignableBody::Bytes(payload),
        )
        .map_err(|e| failed(&e))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| failed(&e))?
            .into_parts();
        let mut request = hyper::Request::builder().method(method).uri(url);
        for (name, value) in &headers {
            request = request.header(*name, *value);
        }
        let mut request = request
            .body(Full::new(body.map(|(_, b)| b.clone()).unwrap_or_default()))
            .map_err(|e| failed(&e))?;
        instructions.apply_to_request_http1x(&mut request);
        Ok(request)
    }
}
