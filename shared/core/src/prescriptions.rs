//! Prescriptions (RF06): medications a doctor prescribes to a patient, as FHIR's
//! MedicationRequest, and their dispensations by the pharmacy.
//!
//! - Status: `active` → `completed` or `cancelled` (with a reason); then it no longer changes.
//!   The items are the prescription as signed: they don't change after it is written.
//! - A dispensation (`POST /v1/prescriptions/{id}/dispensations`) of one item writes the
//!   dispensation, the medication's `dispensed` stock movement and the item's running total in
//!   one transaction: the stock never goes below zero, an item with a `quantity` is never
//!   dispensed beyond it, and only an active prescription is dispensed.

use crate::DomainError;
use crate::error::{DomainResult, FieldError};
use crate::exams::{ids_check, party_filter};
use crate::ids;
use crate::medications::{self, Medication, MovementKind, NewStockMovement};
use crate::resource::tx::RuleError;
use crate::resource::{
    ATTEMPTS, Blame, Deps, Filter, FilterKind, Record, Reference, Repository, Resource, TxError,
    ULID_SCHEMA, View, item_key,
};
use crate::store::{Cmp, Condition, Key, Update, Write};
use crate::time::Calendar;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

/// How a medication is given (FHIR's route of administration, the usual ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdministrationRoute {
    Oral,
    Sublingual,
    Intravenous,
    Intramuscular,
    Subcutaneous,
    Topical,
    Inhalation,
    Rectal,
    Ophthalmic,
    Other,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrescriptionItem {
    #[schema(pattern = r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")]
    pub medication_id: String,
    /// Amount per dose, e.g. "500" or "1-2".
    #[validate(length(min = 1, max = 30))]
    #[schema(min_length = 1, max_length = 30, example = "500")]
    pub dose: String,
    #[validate(length(min = 1, max = 30))]
    #[schema(min_length = 1, max_length = 30, example = "mg")]
    pub dose_unit: String,
    /// e.g. "de 8 em 8 horas".
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "de 8 em 8 horas")]
    pub frequency: String,
    pub route: AdministrationRoute,
    #[validate(range(min = 1, max = 365))]
    #[schema(minimum = 1, maximum = 365)]
    pub duration_days: u32,
    /// Units of the medication's stock to dispense in all; without it, dispensing is not
    /// capped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(range(min = 1, max = 100_000))]
    #[schema(minimum = 1, maximum = 100_000)]
    pub quantity: Option<i64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PrescriptionStatus {
    #[default]
    Active,
    Completed,
    Cancelled,
}

impl PrescriptionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PrescriptionStatus::Active => "active",
            PrescriptionStatus::Completed => "completed",
            PrescriptionStatus::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Active, Self::Completed, Self::Cancelled]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Prescription {
    #[schema(pattern = r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")]
    pub patient_id: String,
    /// The prescribing doctor.
    #[schema(pattern = r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")]
    pub doctor_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")]
    pub admission_id: Option<String>,
    /// 1 to 50 items.
    #[validate(length(min = 1, max = 50), nested)]
    #[schema(min_items = 1, max_items = 50)]
    pub items: Vec<PrescriptionItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
    #[serde(default)]
    pub status: PrescriptionStatus,
    /// Required to cancel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub cancel_reason: Option<String>,
}

const STATUS_SCHEMA: &str = r#"{"type": "string", "enum": ["active", "completed", "cancelled"]}"#;

impl Resource for Prescription {
    const KIND: &'static str = "prescription";
    const DELETABLE: bool = false;
    const MULTILINE: &'static [&'static str] = &["notes"];
    const PROTECTED_CHILDREN: &'static [&'static str] = &[Dispensation::KIND];
    const FILTERS: &'static [(&'static str, FilterKind)] = &[
        (
            "patient_id",
            FilterKind::Custom {
                description: "The patient's prescriptions, newest first (with status too)",
                schema: ULID_SCHEMA,
            },
        ),
        (
            "doctor_id",
            FilterKind::Custom {
                description: "A doctor's prescriptions, newest first (with status too)",
                schema: ULID_SCHEMA,
            },
        ),
        (
            "status",
            FilterKind::Custom {
                description: "Only prescriptions in this status; a page may then hold fewer than `limit` items while next_cursor goes on",
                schema: STATUS_SCHEMA,
            },
        ),
    ];

    fn filter(params: &[(&str, &str)], _calendar: &Calendar) -> DomainResult<Filter> {
        let get = |name: &str| params.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        let only = match get("status") {
            Some(s) => match PrescriptionStatus::parse(s) {
                Some(s) => vec![("status".to_string(), s.as_str().to_string())],
                None => {
                    return Err(DomainError::bad_request(
                        "status",
                        format!("unknown prescription status {s:?}"),
                    ));
                }
            },
            None => Vec::new(),
        };
        party_filter("prescription", params, only)
    }

    fn normalize(&mut self) {
        for item in &mut self.items {
            for text in [&mut item.dose, &mut item.dose_unit, &mut item.frequency] {
                *text = text.trim().to_string();
            }
        }
        for text in [&mut self.notes, &mut self.cancel_reason] {
            *text = text
                .take()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty());
        }
    }

    fn check(&self, _calendar: &Calendar) -> Vec<FieldError> {
        let mut errors = ids_check(&[
            ("patient_id", Some(&self.patient_id)),
            ("doctor_id", Some(&self.doctor_id)),
            ("admission_id", self.admission_id.as_ref()),
        ]);
        match (self.status, &self.cancel_reason) {
            (PrescriptionStatus::Cancelled, None) => errors.push(FieldError::new(
                "cancel_reason",
                "is required to cancel a prescription",
            )),
            (PrescriptionStatus::Cancelled, Some(_)) | (_, None) => {}
            (_, Some(_)) => errors.push(FieldError::new(
                "cancel_reason",
                "is only for a cancelled prescription",
            )),
        }
        errors
    }

    fn check_change(&self, before: Option<&Self>, _calendar: &Calendar) -> Vec<FieldError> {
        use PrescriptionStatus::*;
        let Some(b) = before else {
            return if self.status == Active {
                Vec::new()
            } else {
                vec![FieldError::new("status", "a new prescription is active")]
            };
        };
        let mut errors = Vec::new();
        if b.status != Active && self != b {
            errors.push(FieldError::new(
                "status",
                format!("a {} prescription no longer changes", b.status.as_str()),
            ));
            return errors;
        }
        for (field, same) in [
            ("patient_id", self.patient_id == b.patient_id),
            ("doctor_id", self.doctor_id == b.doctor_id),
            ("admission_id", self.admission_id == b.admission_id),
            ("items", self.items == b.items),
        ] {
            if !same {
                errors.push(FieldError::new(
                    field,
                    "cannot change once prescribed; cancel and prescribe again",
                ));
            }
        }
        errors
    }

    /// A new prescription's doctor is active; its admission is the patient's.
    async fn plan<'a>(
        change: &'a crate::resource::Change<'a, Self>,
        deps: &'a crate::resource::Deps,
        _tx: &'a mut crate::resource::Tx,
    ) -> DomainResult<()> {
        let Some(after) = change.after else {
            return Ok(());
        };
        let links = |x: &'a Self| crate::doctors::OrderLinks {
            doctor_id: &x.doctor_id,
            patient_id: &x.patient_id,
            admission_id: x.admission_id.as_deref(),
        };
        let before = change.before.map(|b| links(&b.data));
        crate::doctors::check_order(deps, before, links(&after.data)).await
    }

    fn references(&self) -> Vec<Reference> {
        let mut refs = vec![
            Reference::new("patient_id", "patient", &self.patient_id),
            Reference::new("doctor_id", "doctor", &self.doctor_id),
        ];
        if let Some(a) = &self.admission_id {
            refs.push(Reference::new("admission_id", "admission", a));
        }
        for (i, item) in self.items.iter().enumerate() {
            refs.push(Reference::new(
                format!("items[{i}].medication_id"),
                "medication",
                &item.medication_id,
            ));
        }
        refs
    }

    fn sort_key(&self) -> String {
        String::new()
    }

    fn views(&self, id: &str) -> Vec<View> {
        // ULIDs sort by creation time: the id, reversed, orders them newest first.
        let sk = format!("{} {id}", newest_id_first(id));
        ["patient", "doctor"]
            .into_iter()
            .zip([&self.patient_id, &self.doctor_id])
            .map(|(party, party_id)| View {
                pk: format!("prescription#{party}#{party_id}"),
                sk: sk.clone(),
            })
            .collect()
    }
}

/// A sort key that lists later ULIDs first: each character replaced by its complement in
/// the Crockford base-32 alphabet ULIDs are written in (letters included, which
/// [`crate::exams::newest_first`] leaves as they are).
fn newest_id_first(id: &str) -> String {
    const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    id.chars()
        .map(|c| {
            match CROCKFORD
                .iter()
                .position(|x| char::from(*x) == c.to_ascii_uppercase())
            {
                Some(i) => char::from(CROCKFORD[31 - i]),
                None => c,
            }
        })
        .collect()
}

/// A dispensation of one item, as requested.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDispensation {
    /// The item's position in the prescription's `items`, from 0.
    #[validate(range(max = 49))]
    #[schema(minimum = 0, maximum = 49)]
    pub item: u32,
    /// Units of the medication's stock.
    #[validate(range(min = 1, max = 100_000))]
    #[schema(minimum = 1, maximum = 100_000)]
    pub quantity: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub notes: Option<String>,
}

/// A recorded dispensation (a sub-resource of its prescription; never changed or deleted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Dispensation {
    pub item: u32,
    pub medication_id: String,
    pub quantity: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Subject of the caller who dispensed.
    pub performed_by: String,
    /// The medication's stock movement.
    pub movement_id: String,
}

impl Resource for Dispensation {
    const KIND: &'static str = "dispensation";
    const PARENT: Option<&'static str> = Some("prescription");
    const DELETABLE: bool = false;
}

/// Dispenses one item of an active prescription: the dispensation, the stock movement and the
/// item's running total, in one transaction.
pub async fn dispense(
    deps: &Deps,
    prescription_id: &str,
    input: NewDispensation,
    performed_by: &str,
) -> DomainResult<Record<Dispensation>> {
    let mut errors = match input.validate() {
        Ok(()) => Vec::new(),
        Err(e) => crate::validate::field_errors(&e),
    };
    errors.extend(crate::validate::text_fields(&input, &[]));
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    let prescriptions = Repository::<Prescription>::new(deps.clone());
    let medications = Repository::<Medication>::new(deps.clone());
    for _ in 0..ATTEMPTS {
        let prescription = prescriptions.get(None, prescription_id).await?;
        if prescription.data.status != PrescriptionStatus::Active {
            return Err(DomainError::invalid(
                "",
                format!(
                    "a {} prescription is not dispensed",
                    prescription.data.status.as_str()
                ),
            ));
        }
        let Some(item) = prescription.data.items.get(input.item as usize) else {
            return Err(DomainError::invalid(
                "item",
                format!(
                    "the prescription has {} items (0 to {})",
                    prescription.data.items.len(),
                    prescription.data.items.len().saturating_sub(1)
                ),
            ));
        };
        let medication = medications.get(None, &item.medication_id).await?;
        let mut tx = deps.tx();
        let dispensation_id = ids::new_id();
        let movement = medications::plan_movement(
            &mut tx,
            &medication,
            &NewStockMovement {
                kind: MovementKind::Dispensed,
                quantity: input.quantity,
                reason: format!("Dispensação da prescrição {}", prescription.id),
            },
            performed_by,
            Some(&dispensation_id),
        )?;
        let record = Record::new(
            dispensation_id,
            Some(prescription.id.clone()),
            tx.now(),
            Dispensation {
                item: input.item,
                medication_id: item.medication_id.clone(),
                quantity: input.quantity,
                notes: input
                    .notes
                    .as_ref()
                    .map(|n| n.trim().to_string())
                    .filter(|n| !n.is_empty()),
                performed_by: performed_by.to_string(),
                movement_id: movement.id.clone(),
            },
        );
        tx.create(&record);
        // Still active when this commits (merged with the dispensation's parent check).
        tx.push(
            Write::check(
                item_key::<Prescription>(None, &prescription.id),
                Condition::equals("status", "active"),
            ),
            Blame::Moved,
        );
        // The item's running total, capped by its quantity: checked on what was read, and
        // the write conditional on it still being so (else read again).
        let total = Key::new(
            format!("prescription#{}", prescription.id),
            format!("dispensed#{}", input.item),
        );
        let update = Update::new()
            .add("dispensed", input.quantity)
            .set(crate::resource::ENTITY, "dispensed_total");
        match item.quantity {
            Some(cap) => {
                let dispensed = deps
                    .store
                    .get(&total)
                    .await?
                    .and_then(|i| i.get("dispensed").and_then(serde_json::Value::as_i64));
                if dispensed.unwrap_or(0) + input.quantity > cap {
                    return Err(RuleError::conflict(
                        "quantity",
                        format!(
                            "this would dispense more than the {cap} units prescribed for the item ({} dispensed)",
                            dispensed.unwrap_or(0)
                        ),
                    )
                    .into());
                }
                let condition = match dispensed {
                    Some(d) => Condition::num("dispensed", Cmp::Eq, d),
                    None => Condition::NotExists,
                };
                tx.push(Write::update_if(total, update, condition), Blame::Moved);
            }
            None => tx.push(Write::update(total, update), Blame::Moved),
        }
        match tx.commit(deps.store.as_ref()).await {
            Ok(()) => return Ok(record),
            Err(e) if e.is_retryable() => continue,
            Err(TxError::Failed(b)) => {
                return Err(b.error().unwrap_or_else(|| prescriptions.busy()));
            }
            Err(TxError::Store(e)) => return Err(e.into()),
            Err(TxError::Unexplained) => continue,
        }
    }
    Err(prescriptions.busy())
}

#[cfg(test)]
mod tests {
    use super::newest_id_first;

    #[test]
    fn later_ids_sort_first() {
        // Same millisecond and not: digits against letters, letters against letters.
        let older = ["01M8K8569X0Y8JGCBMPK4TY3GF", "01M8K856EA7CGDT6EE2BW05J9M"];
        let newer = ["01M8K856EA7CGDT6EE2BW05J9M", "01M8K856EA7CGDT6EE2BW05J9Z"];
        for (o, n) in older.into_iter().zip(newer) {
            assert!(o < n);
            assert!(newest_id_first(n) < newest_id_first(o), "{o} {n}");
        }
        let id = crate::ids::new_id();
        assert_eq!(newest_id_first(&newest_id_first(&id)), id);
    }
}
