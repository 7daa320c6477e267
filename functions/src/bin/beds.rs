//! Beds (RF09) and the bed board: `/v1/beds/**`, `/v1/bed-board`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    hospital_functions::run_http("beds").await
}
