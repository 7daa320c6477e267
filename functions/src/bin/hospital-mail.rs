//! `hospital-mail`: the notifier: e-mail through SES v2, attachments from the reports bucket.
//! `HOSPITAL_FUNCTION` names the function (see docs/deploy.md).

// One thread: Lambda sends an environment one invocation at a time, so the worker threads of
// the multi-threaded runtime (and finding how many to start) were cold-start cost for nothing.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let name = std::env::var("HOSPITAL_FUNCTION")
        .map_err(|_| "HOSPITAL_FUNCTION is not set (template.yaml sets it per function)")?;
    hospital_functions::run(&name, hospital_functions::Wiring::MAIL).await
}
