//! The OpenAPI document covers exactly the routes of the RBAC table, with their error responses.

use crate::common::*;
use hospital_api::rbac::routes;
use std::collections::BTreeSet;

#[tokio::test]
async fn document_covers_every_route_and_error() {
    // With the dev clock, so that the dev routes exist (and are documented) too.
    let local = Local::start_with(Backend::Embedded, |c| c.dev_clock = true).await;
    let res = local
        .http
        .get(local.url("/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let doc: serde_json::Value = res.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            documented.insert((method.to_uppercase(), path.clone()));
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.contains_key("500"), "{method} {path}: no 500");
            let rule = routes()
                .iter()
                .find(|r| r.path == path && r.method.eq_ignore_ascii_case(method))
                .unwrap();
            if !rule.roles.is_empty() {
                for code in ["401", "403"] {
                    assert!(responses.contains_key(code), "{method} {path}: no {code}");
                }
                assert!(op["security"].is_array(), "{method} {path}: no security");
            }
            for (code, r) in responses {
                if code.starts_with('4') || code.starts_with('5') {
                    assert_eq!(
                        r["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorEnvelope",
                        "{method} {path} {code}"
                    );
                }
            }
        }
    }
    let table: BTreeSet<(String, String)> = routes()
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    assert_eq!(documented, table);
    for schema in [
        "Patient",
        "PatientRecord",
        "PatientPage",
        "Address",
        "AddressRecord",
        "ErrorEnvelope",
        "Sex",
        "Uf",
        "EmergencyContact",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "schema {schema} missing"
        );
    }
    local.stop().await;
}

/// A Lambda function builds its routes without their OpenAPI operations (a tenth of a cold
/// start): the same method, path, roles and example for every route of every function, and no
/// OpenAPI operation.
#[test]
fn undocumented_routes_are_the_same_routes() {
    use hospital_api::registry::all;
    use hospital_api::routes::undocumented;
    for f in all() {
        let documented = (f.routes)();
        let bare = undocumented(|| (f.routes)());
        let key = |r: &hospital_api::routes::Route| {
            (r.method, r.path, r.roles.to_vec(), r.example.clone())
        };
        assert_eq!(
            documented.iter().map(key).collect::<Vec<_>>(),
            bare.iter().map(key).collect::<Vec<_>>(),
            "{}",
            f.name
        );
        for r in &bare {
            assert!(
                r.op.responses.responses.is_empty(),
                "{} {}",
                r.method,
                r.path
            );
            assert!(r.op.parameters.is_none() && r.op.operation_id.is_none());
        }
    }
    // The thread is documented again after, panic or not.
    assert!(
        (hospital_api::registry::all().next().unwrap().routes)()[0]
            .op
            .operation_id
            .is_some()
    );
    let _ = std::panic::catch_unwind(|| undocumented(|| panic!("while building")));
    let patients = hospital_api::registry::function("patients").unwrap();
    assert!(
        (patients.routes)()
            .iter()
            .all(|r| r.op.operation_id.is_some())
    );
}

/// Whether a JSON Schema admits `null`.
fn nullable(schema: &serde_json::Value) -> bool {
    match &schema["type"] {
        serde_json::Value::Array(ts) => ts.iter().any(|t| t == "null"),
        t => {
            t == "null"
                || schema["oneOf"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|s| s["type"] == "null"))
        }
    }
}

/// A record requires exactly the fields the server always writes: those left out until set
/// (an exam's `started_at`, an admission's `discharge`) are optional, and real records in
/// their first state lack them yet hold every required field (schemathesis's response
/// conformance check).
#[tokio::test]
async fn records_require_only_what_is_always_written() {
    use crate::operations::*;
    use hospital_core::admissions::Admission;
    use hospital_core::exams::Exam;
    use hospital_core::resource::Resource;
    let local = Local::start(Backend::Embedded).await;
    let doc: serde_json::Value = local.get("/v1/openapi.json").await.json().await.unwrap();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for (name, schema) in schemas.iter().filter(|(n, _)| n.ends_with("Record")) {
        let props = schema["properties"].as_object().unwrap();
        for field in schema["required"].as_array().unwrap() {
            let field = field.as_str().unwrap();
            assert!(
                !nullable(&props[field]),
                "{name}.{field} is required but left out when unset"
            );
        }
        // Clinical detail is left out for the front desk: not required, though not nullable.
        let clinical: &[&str] = match name.as_str() {
            "AdmissionRecord" => Admission::CLINICAL,
            "ExamRecord" => Exam::CLINICAL,
            _ => &[],
        };
        for (field, prop) in props {
            let required = schema["required"].as_array().unwrap();
            assert!(
                nullable(prop)
                    || required.iter().any(|r| r == field.as_str())
                    || clinical.contains(&format!("/{field}").as_str()),
                "{name}.{field} is always written but not required"
            );
        }
    }
    let optional = |record: &str, field: &str| {
        let schema = &schemas[record];
        assert!(schema["properties"][field].is_object(), "{record}.{field}");
        assert!(
            !schema["required"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r == field),
            "{record}.{field} is required"
        );
    };
    for (record, field) in [
        ("AdmissionRecord", "discharge"),
        ("AdmissionRecord", "cancel_reason"),
        ("ExamRecord", "started_at"),
        ("ExamRecord", "completed_at"),
        ("ExamRecord", "cancel_reason"),
        ("ReviewRecord", "resolved_at"),
        ("ReviewRecord", "note"),
        ("AdmissionRecord", "admitting_diagnosis"),
        ("ExamRecord", "result"),
        ("DischargeSummary", "discharge_diagnosis"),
    ] {
        optional(record, field);
    }

    // A requested exam and an admission in progress, as the API answers them.
    let esp = new_specialty(&local, "Esquema").await;
    let doc_ = new_doctor(&local, "Dra. Esquema", 7990, &[&esp.id]).await;
    let p = new_patient(&local, "Paciente Esquema", 7991).await;
    let sector = new_sector(&local, "Esquema", "ward").await;
    let bed = new_bed(&local, "ESQ-1", &sector.id, "available").await;
    let exam = create(
        &local,
        Role::Doctor,
        EXAMS,
        &json!({"patient_id": p.id, "doctor_id": doc_.id, "exam_type": "Hemograma", "priority": "routine"}),
    )
    .await;
    let admission = create(
        &local,
        Role::Nurse,
        ADMISSIONS,
        &admission(&p.id, &bed.id, &doc_.id),
    )
    .await;
    for (record, body, absent) in [
        (
            "ExamRecord",
            &exam.body,
            &["started_at", "completed_at", "result"][..],
        ),
        (
            "AdmissionRecord",
            &admission.body,
            &["discharge", "cancel_reason"][..],
        ),
    ] {
        for field in schemas[record]["required"].as_array().unwrap() {
            assert!(
                body.get(field.as_str().unwrap()).is_some(),
                "{record}: {field} missing from {body}"
            );
        }
        for field in absent {
            assert!(body.get(*field).is_none(), "{record}.{field} in {body}");
        }
    }
    local.stop().await;
}
