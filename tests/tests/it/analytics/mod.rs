//! The managers' view end to end, on both stores: each indicator against figures worked out by
//! hand on a small fixture hospital (the arithmetic is in the tests), late changes correcting
//! the days they touch, reads that stay bounded whatever the length of the history, and the
//! daily report as its recipients get it.
//!
//! Data: CPFs from `cpf(6000..)`.

mod bounded;
mod fixture;
mod indicators;
mod report;

pub use crate::automation::{emails_to, run_job};
pub use crate::operations::*;

/// GET as `role`, asserting 200: the body.
pub async fn get_as_ok(local: &Local, role: Role, path: &str) -> Value {
    let (s, b, _) = get_as(local, role, path).await;
    assert_eq!(s, 200, "GET {path}: {b}");
    b
}

/// A hospital-local with the dev clock, recipients and a low occupancy threshold (40 %), so the
/// small fixture raises the alert.
pub async fn start(backend: Backend) -> Local {
    Local::start_with(backend, |c| {
        c.dev_clock = true;
        c.settings.management_emails = vec!["gestao@hospital.example".into()];
        c.settings.hospital_name = "Hospital Santa Clara".into();
        c.settings.occupancy_alert_percent = 40.0;
    })
    .await
}
