//! `hospital`: the one Lambda binary every function of the stack runs. Each function of
//! template.yaml sets `HOSPITAL_FUNCTION` to its name, and this binary serves that function
//! alone: its routes (an HTTP function), or its events and schedules. One build serves the
//! whole stack (see docs/deploy.md).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let name = std::env::var("HOSPITAL_FUNCTION")
        .map_err(|_| "HOSPITAL_FUNCTION is not set (template.yaml sets it per function)")?;
    hospital_functions::run(&name).await
}
