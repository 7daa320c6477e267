//! `hospital-reports`: the daily report job (drawn, kept in S3). No HTTP routes: past reports
//! are served by the `reports` function of the `hospital` binary.
//! `HOSPITAL_FUNCTION` names the function (see docs/deploy.md).

// One thread: Lambda sends an environment one invocation at a time, so the worker threads of
// the multi-threaded runtime (and finding how many to start) were cold-start cost for nothing.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let name = std::env::var("HOSPITAL_FUNCTION")
        .map_err(|_| "HOSPITAL_FUNCTION is not set (template.yaml sets it per function)")?;
    hospital_functions::run(&name, hospital_functions::Wiring::REPORTS).await
}
