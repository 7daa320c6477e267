//! Cross-crate integration tests, in one binary (one binary: each links the AWS SDK).

mod accounts;
mod analytics;
mod automation;
mod common;
mod concurrency;
mod demo;
mod http_machinery;
mod inputs;
mod lambda_events;
mod openapi;
mod operations;
mod patients;
mod rbac;
mod registries;
mod template;
