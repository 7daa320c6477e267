//! Doctors (RF02) and their specialties.

use crate::AppState;
use crate::openapi::Doc;
use crate::resources::{self, crud};
use axum::Router;
use axum::routing::get;
use hospital_core::doctors::Doctor;
use hospital_core::specialties::Specialty;

pub const COLLECTION: &str = "/v1/doctors";
pub const ITEM: &str = "/v1/doctors/{id}";
pub const SPECIALTIES: &str = "/v1/doctors/{id}/specialties";

pub fn router() -> Router<AppState> {
    crud::<Doctor>(Router::new(), COLLECTION, ITEM)
        .route(SPECIALTIES, get(resources::referenced::<Doctor, Specialty>))
}

pub fn describe(doc: &mut Doc) {
    doc.resource::<Doctor>("doctors", COLLECTION, ITEM);
    doc.related::<Specialty>(
        "doctors",
        SPECIALTIES,
        "The specialties of a doctor",
        "list_doctor_specialties",
        false,
    );
}
