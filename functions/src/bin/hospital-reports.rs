//! `hospital-reports`: the daily report (drawn, kept in S3) and the route that serves past reports.
//! `HOSPITAL_FUNCTION` names the function (see docs/deploy.md).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let name = std::env::var("HOSPITAL_FUNCTION")
        .map_err(|_| "HOSPITAL_FUNCTION is not set (template.yaml sets it per function)")?;
    hospital_functions::run_reports(&name).await
}
