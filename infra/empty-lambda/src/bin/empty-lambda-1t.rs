//! `empty-lambda` on tokio's current-thread runtime, as the stack's binaries run: the
//! like-for-like baseline, so the benchmark also shows what `hospital` adds beyond the choice
//! of runtime.

use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|_event: LambdaEvent<serde_json::Value>| async {
        Ok::<_, Error>(serde_json::json!({}))
    }))
    .await
}
