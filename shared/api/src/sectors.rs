//! Hospital sectors (RF10).

use crate::AppState;
use crate::openapi::Doc;
use crate::resources::crud;
use axum::Router;
use hospital_core::sectors::Sector;

pub const COLLECTION: &str = "/v1/sectors";
pub const ITEM: &str = "/v1/sectors/{id}";

pub fn router() -> Router<AppState> {
    crud::<Sector>(Router::new(), COLLECTION, ITEM)
}

pub fn describe(doc: &mut Doc) {
    doc.resource::<Sector>("sectors", COLLECTION, ITEM);
}
