//! The appointments function (RF04).

use crate::rbac::{APPOINTMENT_READ, APPOINTMENT_WRITE};
use crate::registry::{Function, TableAccess};
use crate::resources::{Crud, crud};
use crate::routes::Route;
use hospital_core::appointments::Appointment;
use serde_json::json;

pub const FUNCTION: Function = Function {
    name: "appointments",
    description: "Appointments (RF04): booking, check-in, cancellation, no-shows",
    table: TableAccess::ReadWrite,
    routes,
};

fn routes() -> Vec<Route> {
    crud::<Appointment>(
        Crud {
            tag: "appointments",
            collection: "/v1/appointments",
            item: "/v1/appointments/{id}",
            create: APPOINTMENT_WRITE,
            read: APPOINTMENT_READ,
            update: APPOINTMENT_WRITE,
            delete: &[],
        },
        json!({
            "patient_id": "01JBEN16F07QRVXFM2VY5PFPDZ", "doctor_id": "01JBEMSW30RD39EK9TNMZCBE0T",
            "specialty_id": "01JBEMSW30RD39EK9TNMZCBE0V", "starts_at": "2030-03-04T10:00:00-03:00",
            "duration_minutes": 30, "notes": "Retorno"
        }),
    )
}
