//! Medications (RF07) and stock movements: `/v1/medications/**`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    hospital_functions::run_http("medications").await
}
