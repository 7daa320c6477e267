//! The patients function: patients (RF01) with their addresses as a sub-resource (RF13).

use crate::rbac::{ADDRESS_READ, ONLY_ADMIN, PATIENT_EDIT, PATIENT_READ, PATIENT_REGISTER};
use crate::registry::{Function, TableAccess};
use crate::resources::{Crud, crud};
use crate::routes::Route;
use hospital_core::patients::{Address, Patient};
use serde_json::json;

pub const FUNCTION: Function = Function {
    name: "patients",
    description: "Patients (RF01) and their addresses (RF13)",
    table: TableAccess::ReadWrite,
    routes,
};

fn routes() -> Vec<Route> {
    let mut routes = crud::<Patient>(
        Crud {
            tag: "patients",
            collection: "/v1/patients",
            item: "/v1/patients/{id}",
            create: PATIENT_REGISTER,
            read: PATIENT_READ,
            update: PATIENT_EDIT,
            delete: ONLY_ADMIN,
        },
        json!({
            "full_name": "Maria da Silva", "cpf": "52998224725", "birth_date": "1984-03-09",
            "sex": "female", "phone": "+5511987654321", "email": "maria.silva@example.com",
            "emergency_contact": {"name": "João da Silva", "phone": "+5511912345678", "relationship": "spouse"},
            "allergies": ["penicillin", "dipyrone"]
        }),
    );
    routes.extend(crud::<Address>(
        Crud {
            tag: "patients",
            collection: "/v1/patients/{patient_id}/addresses",
            item: "/v1/patients/{patient_id}/addresses/{id}",
            create: PATIENT_REGISTER,
            read: ADDRESS_READ,
            update: PATIENT_REGISTER,
            delete: PATIENT_REGISTER,
        },
        json!({
            "cep": "01310-100", "street": "Avenida Paulista", "number": "1578",
            "district": "Bela Vista", "city": "São Paulo", "uf": "SP"
        }),
    ));
    routes
}
