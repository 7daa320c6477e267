//! The doctors function: doctors (RF02) and the specialties each holds.

use crate::rbac::{ADMINISTRATION, EVERYONE};
use crate::registry::{Function, TableAccess};
use crate::resources::{Crud, crud, referenced_route};
use crate::routes::Route;
use hospital_core::doctors::Doctor;
use hospital_core::specialties::Specialty;
use serde_json::json;

pub const FUNCTION: Function = Function {
    name: "doctors",
    description: "Doctors (RF02) and their specialties",
    table: TableAccess::ReadWrite,
    routes,
};

fn routes() -> Vec<Route> {
    let mut routes = crud::<Doctor>(
        Crud {
            tag: "doctors",
            collection: "/v1/doctors",
            item: "/v1/doctors/{id}",
            create: ADMINISTRATION,
            read: EVERYONE,
            update: ADMINISTRATION,
            delete: ADMINISTRATION,
        },
        json!({
            "full_name": "Ana Paula Ribeiro", "cpf": "11144477735",
            "crm": {"number": "123456", "uf": "SP"}, "email": "ana.ribeiro@example.com",
            "phone": "+5511987654321", "status": "active", "specialty_ids": []
        }),
    );
    routes.push(referenced_route::<Doctor, Specialty>(
        "doctors",
        "/v1/doctors/{id}/specialties",
        EVERYONE,
        "The specialties of a doctor",
        "list_doctor_specialties",
    ));
    routes
}
