//! Patients (RF01) and their addresses (RF13): `/v1/patients/**`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    hospital_functions::run_http("patients").await
}
