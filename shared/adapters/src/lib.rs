//! Adapters for the storage port ([`hospital_core::store::Store`]).
//!
//! - [`DynamoStore`]: DynamoDB (single table, GSIs `gsi1`/`gsi2`, TTL on `expires_at`).
//! - [`EmbeddedStore`]: a durable, pure-Rust store on redb, for local runs and unit tests.
//!
//! Both reject the same malformed requests the same way (see [`validate_writes`] and
//! [`validate_query`]) so that code tested on the embedded store behaves alike on DynamoDB.

pub mod aws;
pub mod cognito;
pub mod counting;
pub mod dynamodb;
pub mod embedded;
pub mod eventbridge;
pub mod files;
pub mod mail;
pub mod s3;

pub use dynamodb::DynamoStore;
pub use embedded::EmbeddedStore;

use hospital_core::store::{
    Index, Item, Query, SkRange, StoreError, StoreResult, TTL, Write, validate_transaction,
};
use serde_json::Value;

/// [`validate_transaction`] plus the item checks DynamoDB would otherwise fail on at run time
/// (see [`validate_item`]), for every put and for what every update sets.
pub fn validate_writes(writes: &[Write]) -> StoreResult<()> {
    validate_transaction(writes)?;
    for w in writes {
        match w {
            Write::Put { item, .. } => validate_item(item)?,
            Write::Update { update, .. } => validate_item(&update.set)?,
            _ => {}
        }
    }
    Ok(())
}

/// An index key attribute, when present, must be a non-empty string (DynamoDB rejects any
/// other type or an empty string for a GSI key), and `expires_at`, when present, an integer
/// number of epoch seconds (the only form both stores expire alike).
pub fn validate_item(item: &Item) -> StoreResult<()> {
    for ix in Index::ALL {
        for attr in [ix.pk_attr(), ix.sk_attr()] {
            match item.get(attr) {
                None => {}
                Some(Value::String(s)) if !s.is_empty() => {}
                Some(other) => {
                    return Err(StoreError::Invalid(format!(
                        "index key attribute {attr} must be a non-empty string, not {other}"
                    )));
                }
            }
        }
    }
    if let Some(ttl) = item.get(TTL).filter(|t| t.as_i64().is_none()) {
        return Err(StoreError::Invalid(format!(
            "{TTL} must be integer epoch seconds, not {ttl}"
        )));
    }
    Ok(())
}

/// Rejects queries DynamoDB would reject: an empty partition, a zero limit, a reversed range.
pub fn validate_query(query: &Query) -> StoreResult<()> {
    if query.pk.is_empty() {
        return Err(StoreError::Invalid(
            "query with an empty partition key".into(),
        ));
    }
    if query.limit == 0 {
        return Err(StoreError::Invalid("query limit must be at least 1".into()));
    }
    match &query.sk {
        SkRange::Between(lo, hi) if lo > hi => Err(StoreError::Invalid(format!(
            "sort key range is reversed: {lo:?} > {hi:?}"
        ))),
        _ => Ok(()),
    }
}

/// Now in epoch seconds, the clock TTL is judged by.
pub(crate) fn now_epoch_secs() -> i64 {
    chrono::Utc::now().timestamp()
}
