//! The exams function (RF05).

use crate::rbac::{EXAM_READ, EXAM_REQUEST, EXAM_UPDATE};
use crate::registry::{Function, TableAccess};
use crate::resources::{Crud, crud};
use crate::routes::Route;
use hospital_core::exams::Exam;
use serde_json::json;

pub const FUNCTION: Function = Function {
    name: "exams",
    description: "Exams (RF05): requests, progress and results",
    table: TableAccess::ReadWrite,
    routes,
};

fn routes() -> Vec<Route> {
    crud::<Exam>(
        Crud {
            tag: "exams",
            collection: "/v1/exams",
            item: "/v1/exams/{id}",
            create: EXAM_REQUEST,
            read: EXAM_READ,
            update: EXAM_UPDATE,
            delete: &[],
        },
        json!({
            "patient_id": "01JBEN16F07QRVXFM2VY5PFPDZ", "doctor_id": "01JBEMSW30RD39EK9TNMZCBE0T",
            "exam_type": "Hemograma completo", "priority": "routine"
        }),
    )
}
