//! The adapters' integration tests: one binary (DESIGN §7), the conformance suite run against
//! every store.

mod conformance;
mod dynamodb;
mod embedded;
