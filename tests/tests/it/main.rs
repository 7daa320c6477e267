//! Cross-crate integration tests, in one binary (DESIGN §7).

mod common;
mod concurrency;
mod http_machinery;
mod inputs;
mod lambda_events;
mod openapi;
mod operations;
mod patients;
mod rbac;
mod registries;
mod template;
