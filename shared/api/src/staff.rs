//! The staff function: staff members (funcionários).

use crate::rbac::ADMINISTRATION;
use crate::registry::{Function, TableAccess};
use crate::resources::{Crud, crud};
use crate::routes::Route;
use hospital_core::staff::StaffMember;
use serde_json::json;

pub const FUNCTION: Function = Function {
    name: "staff",
    description: "Staff members: nurses, front desk, pharmacy, billing",
    table: TableAccess::ReadWrite,
    routes,
};

fn routes() -> Vec<Route> {
    crud::<StaffMember>(
        Crud {
            tag: "staff",
            collection: "/v1/staff",
            item: "/v1/staff/{id}",
            create: ADMINISTRATION,
            read: ADMINISTRATION,
            update: ADMINISTRATION,
            delete: ADMINISTRATION,
        },
        json!({
            "full_name": "Carlos Eduardo Souza", "cpf": "52998224725", "role": "nurse",
            "email": "carlos.souza@example.com", "phone": "+5511976543210", "hired_on": "2020-02-01"
        }),
    )
}
