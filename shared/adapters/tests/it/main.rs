//! The adapters' integration tests: one binary (one binary: each links the AWS SDK), the conformance suite run against
//! every store.

mod conformance;
mod dynamodb;
mod embedded;
