//! Staff members: `/v1/staff/**`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    hospital_functions::run_http("staff").await
}
