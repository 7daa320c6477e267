//! `/v1/health` and `/v1/openapi.json`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    hospital_functions::run_http("meta").await
}
