//! The reviews function (AUTO04): long stays flagged by the long-stays job, listed and resolved
//! by the care team and management. Reviews are created by the job only: no POST, no DELETE.

use crate::rbac::REVIEW;
use crate::registry::{Function, TableAccess};
use crate::resources::{Crud, crud};
use crate::routes::Route;
use hospital_core::reviews::Review;
use serde_json::json;

pub const FUNCTION: Function = Function {
    name: "reviews",
    description: "AUTO04: long stays under review, resolved with a note",
    table: TableAccess::ReadWrite,
    routes,
};

fn routes() -> Vec<Route> {
    crud::<Review>(
        Crud {
            tag: "reviews",
            collection: "/v1/reviews",
            item: "/v1/reviews/{id}",
            create: REVIEW,
            read: REVIEW,
            update: REVIEW,
            delete: REVIEW,
        },
        json!({}),
    )
    .into_iter()
    .filter(|r| r.method != "POST")
    .collect()
}
