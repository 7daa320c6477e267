//! The billing function: billing entries (RF12).

use crate::rbac::{BILLING_READ, BILLING_WRITE};
use crate::registry::{Function, TableAccess};
use crate::resources::{Crud, crud};
use crate::routes::Route;
use hospital_core::billing::BillingEntry;
use serde_json::json;

pub const FUNCTION: Function = Function {
    name: "billing",
    description: "Billing entries (RF12): charges, payments, cancellations",
    table: TableAccess::ReadWrite,
    routes,
};

fn routes() -> Vec<Route> {
    crud::<BillingEntry>(
        Crud {
            tag: "billing",
            collection: "/v1/billing-entries",
            item: "/v1/billing-entries/{id}",
            create: BILLING_WRITE,
            read: BILLING_READ,
            update: BILLING_WRITE,
            delete: &[],
        },
        json!({
            "patient_id": "01JBEN16F07QRVXFM2VY5PFPDZ", "insurer_id": "01JBEMSW30RD39EK9TNMZCBE0T",
            "description": "Consulta de cardiologia", "amount_cents": 35000, "currency": "BRL",
            "due_on": "2030-04-04"
        }),
    )
}
