//! Domain errors: what went wrong in terms a caller can act on. The HTTP layer maps each
//! variant to a status code and the error envelope.

use crate::store::StoreError;
use serde::Serialize;

/// One problem with one field (or with the request as a whole when `field` is empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// Well-formed input that breaks a rule (422).
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// Malformed request parameters, e.g. a tampered cursor (400).
    #[error("{message}")]
    BadRequest {
        field: Option<String>,
        message: String,
    },
    #[error("{kind} {id} not found")]
    NotFound { kind: &'static str, id: String },
    /// The write would break a uniqueness or reference rule (409).
    #[error("{message}")]
    Conflict {
        field: Option<String>,
        message: String,
    },
    /// `If-Match` named a version that is no longer current (412).
    #[error("the {kind} was modified: current version is {current}")]
    PreconditionFailed { kind: &'static str, current: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl DomainError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::Validation(vec![FieldError::new(field, message)])
    }
    pub fn conflict(field: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::Conflict {
            field: Some(field.into()),
            message: message.into(),
        }
    }
    /// The error with its cause spelled out (a validation error names its fields), for logs
    /// and operational alerts.
    pub fn cause(&self) -> String {
        match self {
            DomainError::Validation(errors) => errors
                .iter()
                .map(|e| {
                    if e.field.is_empty() {
                        e.message.clone()
                    } else {
                        format!("{}: {}", e.field, e.message)
                    }
                })
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        }
    }

    pub fn bad_request(field: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::BadRequest {
            field: Some(field.into()),
            message: message.into(),
        }
    }
}

pub type DomainResult<T> = Result<T, DomainError>;
