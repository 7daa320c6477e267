//! The tariffs function: the daily rates that automatic billing of a discharge uses (RF24).

use crate::rbac::{BILLING_READ, BILLING_WRITE};
use crate::registry::{Function, TableAccess};
use crate::resources::{Crud, crud};
use crate::routes::Route;
use hospital_core::tariffs::Tariff;
use serde_json::json;

pub const FUNCTION: Function = Function {
    name: "tariffs",
    description: "Tariffs: daily bed rates per sector, bed kind or default, per insurer (RF24)",
    table: TableAccess::ReadWrite,
    routes,
};

fn routes() -> Vec<Route> {
    crud::<Tariff>(
        Crud {
            tag: "tariffs",
            collection: "/v1/tariffs",
            item: "/v1/tariffs/{id}",
            create: BILLING_WRITE,
            read: BILLING_READ,
            update: BILLING_WRITE,
            delete: BILLING_WRITE,
        },
        json!({"scope": "default", "daily_rate_cents": 85000, "currency": "BRL", "description": "Diária padrão"}),
    )
}
