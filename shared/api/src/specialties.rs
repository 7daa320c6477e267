//! Medical specialties (RF03).

use crate::AppState;
use crate::openapi::Doc;
use crate::resources::{self, crud};
use axum::Router;
use axum::routing::get;
use hospital_core::doctors::Doctor;
use hospital_core::specialties::Specialty;

pub const COLLECTION: &str = "/v1/specialties";
pub const ITEM: &str = "/v1/specialties/{id}";

pub const DOCTORS: &str = "/v1/specialties/{id}/doctors";

pub fn router() -> Router<AppState> {
    crud::<Specialty>(Router::new(), COLLECTION, ITEM)
        .route(DOCTORS, get(resources::referrers::<Specialty, Doctor>))
}

pub fn describe(doc: &mut Doc) {
    doc.resource::<Specialty>("specialties", COLLECTION, ITEM);
    doc.related::<Doctor>(
        "specialties",
        DOCTORS,
        "The doctors of a specialty",
        "list_specialty_doctors",
        true,
    );
}
