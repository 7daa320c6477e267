//! Insurers (RF11): `/v1/insurers/**`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    hospital_functions::run_http("insurers").await
}
