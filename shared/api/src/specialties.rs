//! The specialties function: medical specialties (RF03) and the doctors who hold each.

use crate::rbac::{ADMINISTRATION, EVERYONE};
use crate::registry::{Function, TableAccess};
use crate::resources::{Crud, crud, referrers_route};
use crate::routes::Route;
use hospital_core::doctors::Doctor;
use hospital_core::specialties::Specialty;
use serde_json::json;

pub const FUNCTION: Function = Function {
    name: "specialties",
    description: "Medical specialties (RF03) and their doctors",
    table: TableAccess::ReadWrite,
    routes,
};

fn routes() -> Vec<Route> {
    let mut routes = crud::<Specialty>(
        Crud {
            tag: "specialties",
            collection: "/v1/specialties",
            item: "/v1/specialties/{id}",
            create: ADMINISTRATION,
            read: EVERYONE,
            update: ADMINISTRATION,
            delete: ADMINISTRATION,
        },
        json!({"name": "Cardiologia", "description": "Diagnóstico e tratamento das doenças do coração"}),
    );
    routes.push(referrers_route::<Specialty, Doctor>(
        "specialties",
        "/v1/specialties/{id}/doctors",
        EVERYONE,
        "The doctors of a specialty",
        "list_specialty_doctors",
    ));
    routes
}
