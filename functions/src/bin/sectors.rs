//! Sectors (RF10): `/v1/sectors/**`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    hospital_functions::run_http("sectors").await
}
