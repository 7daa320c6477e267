//! The insurers function: health plans (RF11; convênios in Portuguese).

use crate::rbac::{INSURER_READ, INSURER_WRITE};
use crate::registry::{Function, TableAccess};
use crate::resources::{Crud, crud};
use crate::routes::Route;
use hospital_core::insurers::Insurer;
use serde_json::json;

pub const FUNCTION: Function = Function {
    name: "insurers",
    description: "Insurers: health plans (RF11)",
    table: TableAccess::ReadWrite,
    routes,
};

fn routes() -> Vec<Route> {
    crud::<Insurer>(
        Crud {
            tag: "insurers",
            collection: "/v1/insurers",
            item: "/v1/insurers/{id}",
            create: INSURER_WRITE,
            read: INSURER_READ,
            update: INSURER_WRITE,
            delete: INSURER_WRITE,
        },
        json!({
            "name": "Saúde Total", "ans_registration": "123456", "plan_type": "corporate",
            "billing_email": "faturamento@saudetotal.example.com", "payment_terms_days": 30
        }),
    )
}
