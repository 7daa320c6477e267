//! `hospital`: the binary of every HTTP function (but the reports route). Each function of
//! template.yaml sets `HOSPITAL_FUNCTION` to its name (see docs/deploy.md).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let name = std::env::var("HOSPITAL_FUNCTION")
        .map_err(|_| "HOSPITAL_FUNCTION is not set (template.yaml sets it per function)")?;
    hospital_functions::run_http_function(&name).await
}
