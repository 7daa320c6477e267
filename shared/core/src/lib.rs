//! Hospital domain: entities, validation rules, key design and the ports they need.
//! Nothing here names AWS, HTTP or a file (docs/architecture.md).

pub mod accounts;
pub mod admissions;
pub mod analytics;
pub mod appointments;
pub mod automation;
pub mod beds;
pub mod billing;
pub mod cursor;
pub mod doctors;
pub mod error;
pub mod events;
pub mod exams;
pub mod ids;
pub mod insurers;
pub mod intervals;
pub mod json;
pub mod medications;
pub mod patients;
pub mod prescriptions;
pub mod resource;
pub mod reviews;
pub mod sectors;
pub mod specialties;
pub mod staff;
pub mod store;
pub mod tariffs;
pub mod time;
pub mod validate;

pub use error::{DomainError, DomainResult, FieldError};
