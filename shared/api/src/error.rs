//! The error envelope of every failure, from every layer (docs/http.md; RF15):
//! `{"error": [{"title", "message", "field"?}], "request_id"}`.

use crate::request_id;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hospital_core::{DomainError, FieldError, store::StoreError};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorItem {
    /// Error class, e.g. `ValidationError`, `NotFound`, `Conflict`.
    pub title: &'static str,
    pub message: String,
    /// The offending field (`cpf`, `emergency_contact.phone`), when one is to blame.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// The envelope, as documented in the OpenAPI document.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorEnvelope {
    pub error: Vec<ErrorItem>,
    /// Quote it when reporting a problem: it finds the request's log lines.
    pub request_id: String,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub errors: Vec<ErrorItem>,
}

impl ApiError {
    pub fn new(status: StatusCode, title: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            errors: vec![ErrorItem {
                title,
                message: message.into(),
                field: None,
            }],
        }
    }
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        let field = field.into();
        if let Some(e) = self.errors.first_mut() {
            e.field = (!field.is_empty()).then_some(field);
        }
        self
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    }
    pub fn validation(errors: Vec<FieldError>) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            errors: errors
                .into_iter()
                .map(|e| ErrorItem {
                    title: "ValidationError",
                    message: if e.field.is_empty() {
                        e.message
                    } else {
                        format!("{}: {}", e.field, e.message)
                    },
                    field: (!e.field.is_empty()).then_some(e.field),
                })
                .collect(),
        }
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Unauthorized", message)
    }
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "your role may not do this",
        )
    }
    /// A 403 saying why this caller may not, where the role alone does not (another doctor's
    /// prescription).
    pub fn forbidden_because(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "Forbidden", message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NotFound", message)
    }
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "unexpected error; quote the request id when reporting it",
        )
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Validation(errors) => ApiError::validation(errors),
            DomainError::BadRequest { field, message } => {
                ApiError::bad_request(message).with_field(field.unwrap_or_default())
            }
            DomainError::NotFound { kind, id } if hospital_core::ids::is_id(&id) => {
                ApiError::not_found(format!("{kind} {id} not found"))
            }
            // Not an id at all: say so, without echoing it.
            DomainError::NotFound { kind, .. } => {
                ApiError::not_found(format!("{kind} not found: the id is not a ULID"))
            }
            DomainError::Conflict { field, message } => {
                ApiError::new(StatusCode::CONFLICT, "Conflict", message)
                    .with_field(field.unwrap_or_default())
            }
            e @ DomainError::PreconditionFailed { .. } => ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "PreconditionFailed",
                e.to_string(),
            )
            .with_field("If-Match"),
            DomainError::Store(StoreError::Unavailable(detail)) => {
                tracing::error!(%detail, "store unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "ServiceUnavailable",
                    "storage is unavailable; retry later",
                )
            }
            DomainError::Store(e) => {
                tracing::error!(error = %e, "store error");
                ApiError::internal()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorEnvelope {
            error: self.errors,
            request_id: request_id::current().unwrap_or_default(),
        };
        let mut res = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        // A body that never came: close rather than wait for the rest of it.
        if self.status == StatusCode::REQUEST_TIMEOUT {
            res.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
