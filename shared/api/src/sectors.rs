//! The sectors function: hospital sectors (RF10).

use crate::rbac::{ADMINISTRATION, EVERYONE};
use crate::registry::{Function, TableAccess};
use crate::resources::{Crud, crud};
use crate::routes::Route;
use hospital_core::sectors::Sector;
use serde_json::json;

pub const FUNCTION: Function = Function {
    name: "sectors",
    description: "Hospital sectors (RF10)",
    table: TableAccess::ReadWrite,
    routes,
};

fn routes() -> Vec<Route> {
    crud::<Sector>(
        Crud {
            tag: "sectors",
            collection: "/v1/sectors",
            item: "/v1/sectors/{id}",
            create: ADMINISTRATION,
            read: EVERYONE,
            update: ADMINISTRATION,
            delete: ADMINISTRATION,
        },
        json!({"name": "UTI Adulto", "floor": 3, "kind": "icu", "alert_email": "uti.adulto@example.com"}),
    )
}
