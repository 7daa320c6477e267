//! Medical specialties (RF03): `/v1/specialties/**`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    hospital_functions::run_http("specialties").await
}
