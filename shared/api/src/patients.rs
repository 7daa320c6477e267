//! The patients router (RF01) with addresses as a sub-resource (RF13).

use crate::AppState;
use crate::openapi::Doc;
use crate::resources::crud;
use axum::Router;
use hospital_core::patients::{Address, Patient};

pub const COLLECTION: &str = "/v1/patients";
pub const ITEM: &str = "/v1/patients/{id}";
pub const ADDRESSES: &str = "/v1/patients/{patient_id}/addresses";
pub const ADDRESS: &str = "/v1/patients/{patient_id}/addresses/{id}";

pub fn router() -> Router<AppState> {
    let router = crud::<Patient>(Router::new(), COLLECTION, ITEM);
    crud::<Address>(router, ADDRESSES, ADDRESS)
}

pub fn describe(doc: &mut Doc) {
    doc.resource::<Patient>("patients", COLLECTION, ITEM);
    doc.resource::<Address>("patients", ADDRESSES, ADDRESS);
}
