//! Doctors (RF02) and their specialties: `/v1/doctors/**`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    hospital_functions::run_http("doctors").await
}
