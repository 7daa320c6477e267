//! The patients router (RF01) with addresses as a sub-resource (RF13).

use crate::AppState;
use crate::openapi::Doc;
use crate::resources;
use axum::Router;
use axum::routing::get;
use hospital_core::patients::{Address, Patient};

pub const COLLECTION: &str = "/v1/patients";
pub const ITEM: &str = "/v1/patients/{id}";
pub const ADDRESSES: &str = "/v1/patients/{patient_id}/addresses";
pub const ADDRESS: &str = "/v1/patients/{patient_id}/addresses/{id}";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            COLLECTION,
            get(resources::list::<Patient>).post(resources::create::<Patient>),
        )
        .route(
            ITEM,
            get(resources::get::<Patient>)
                .patch(resources::update::<Patient>)
                .delete(resources::delete::<Patient>),
        )
        .route(
            ADDRESSES,
            get(resources::list::<Address>).post(resources::create::<Address>),
        )
        .route(
            ADDRESS,
            get(resources::get::<Address>)
                .patch(resources::update::<Address>)
                .delete(resources::delete::<Address>),
        )
}

pub fn describe(doc: &mut Doc) {
    doc.resource::<Patient>("patients", COLLECTION, ITEM);
    doc.resource::<Address>("patients", ADDRESSES, ADDRESS);
}
