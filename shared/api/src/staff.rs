//! Staff members (the seed's funcionário).

use crate::AppState;
use crate::openapi::Doc;
use crate::resources::crud;
use axum::Router;
use hospital_core::staff::StaffMember;

pub const COLLECTION: &str = "/v1/staff";
pub const ITEM: &str = "/v1/staff/{id}";

pub fn router() -> Router<AppState> {
    crud::<StaffMember>(Router::new(), COLLECTION, ITEM)
}

pub fn describe(doc: &mut Doc) {
    doc.resource::<StaffMember>("staff", COLLECTION, ITEM);
}
