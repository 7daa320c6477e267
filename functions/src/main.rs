//! `hospital`: the binary of every HTTP function. Each function of
//! template.yaml sets `HOSPITAL_FUNCTION` to its name (see docs/deploy.md).

// One thread: Lambda sends an environment one invocation at a time, so the worker threads of
// the multi-threaded runtime (and finding how many to start) were cold-start cost for nothing.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let name = std::env::var("HOSPITAL_FUNCTION")
        .map_err(|_| "HOSPITAL_FUNCTION is not set (template.yaml sets it per function)")?;
    hospital_functions::run_http_function(&name).await
}
