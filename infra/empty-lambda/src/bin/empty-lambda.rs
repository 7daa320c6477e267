//! The baseline for the Lambda init benchmark: a `lambda_runtime` binary that does nothing but
//! answer `{}`, as lambda_runtime's examples start (tokio's multi-threaded runtime), so
//! `hospital-bench` can show what the `patients` function adds on top of the runtime itself
//! (tokio, the Runtime API client, process start).

use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|_event: LambdaEvent<serde_json::Value>| async {
        Ok::<_, Error>(serde_json::json!({}))
    }))
    .await
}
