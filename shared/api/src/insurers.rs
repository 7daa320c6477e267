//! Insurers: health plans (RF11).

use crate::AppState;
use crate::openapi::Doc;
use crate::resources::crud;
use axum::Router;
use hospital_core::insurers::Insurer;

pub const COLLECTION: &str = "/v1/insurers";
pub const ITEM: &str = "/v1/insurers/{id}";

pub fn router() -> Router<AppState> {
    crud::<Insurer>(Router::new(), COLLECTION, ITEM)
}

pub fn describe(doc: &mut Doc) {
    doc.resource::<Insurer>("insurers", COLLECTION, ITEM);
}
