//! Doctors (RF02) and the specialties they practise.

use crate::error::{DomainError, DomainResult};
use crate::patients::Uf;
use crate::resource::{Deps, FilterKind, Record, Reference, Repository, Resource, Unique};
use crate::validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

/// Registration with a regional council of medicine: number and state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Crm {
    /// 1 to 10 digits.
    #[validate(custom(function = "crm_number"))]
    #[schema(example = "123456", pattern = r"^[0-9]{1,10}$")]
    pub number: String,
    pub uf: Uf,
}

fn crm_number(n: &str) -> Result<(), ValidationError> {
    if (1..=10).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(ValidationError::new("crm").with_message("must be 1 to 10 digits".into()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DoctorStatus {
    Active,
    Inactive,
}

/// Most specialties one doctor may hold.
pub const MAX_SPECIALTIES: usize = 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Doctor {
    #[validate(length(min = 1, max = 200))]
    #[schema(example = "Ana Paula Ribeiro", min_length = 1, max_length = 200)]
    pub full_name: String,
    /// Valid and unique among doctors.
    #[validate(custom(function = "validate::cpf"))]
    #[schema(
        example = "11144477735",
        pattern = r"^[0-9]{3}\.?[0-9]{3}\.?[0-9]{3}-?[0-9]{2}$"
    )]
    pub cpf: String,
    /// Unique (number and UF).
    #[validate(nested)]
    pub crm: Crm,
    #[validate(email, length(max = 254))]
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(custom(function = "validate::phone"))]
    #[schema(pattern = r"^\+[1-9][0-9]{7,14}$")]
    pub phone: Option<String>,
    pub status: DoctorStatus,
    /// Ids of the doctor's specialties (at most 20); each must exist.
    #[serde(default)]
    #[validate(length(max = 20))]
    #[schema(max_items = 20, value_type = Vec<crate::ids::Id>)]
    pub specialty_ids: Vec<String>,
}

impl Resource for Doctor {
    const KIND: &'static str = "doctor";
    const FILTERS: &'static [(&'static str, FilterKind)] = &[
        ("name", FilterKind::SortPrefix),
        ("cpf", FilterKind::Unique("cpf")),
    ];

    fn normalize(&mut self) {
        self.full_name = self.full_name.trim().to_string();
        self.cpf = validate::digits_only(&self.cpf);
        self.email = self.email.trim().to_string();
        self.crm.number = self.crm.number.trim().to_string();
        // The same specialty listed twice is one specialty.
        let mut seen = Vec::new();
        self.specialty_ids.retain(|id| {
            let new = !seen.contains(id);
            seen.push(id.clone());
            new
        });
    }
    fn uniques(&self) -> Vec<Unique> {
        vec![
            Unique {
                field: "cpf",
                value: self.cpf.clone(),
            },
            Unique {
                field: "crm",
                value: format!("{:?}-{}", self.crm.uf, self.crm.number),
            },
        ]
    }
    fn references(&self) -> Vec<Reference> {
        self.specialty_ids
            .iter()
            .enumerate()
            .map(|(i, id)| Reference {
                field: format!("specialty_ids[{i}]"),
                kind: "specialty",
                id: id.clone(),
            })
            .collect()
    }
    fn sort_key(&self) -> String {
        validate::sort_text(&self.full_name)
    }
}

/// What an order (an exam, a prescription) names: its doctor, its patient, the admission it
/// belongs to if any.
pub struct OrderLinks<'a> {
    pub doctor_id: &'a str,
    pub patient_id: &'a str,
    pub admission_id: Option<&'a str>,
}

/// An order's links, checked as it is written (`before` is `None` for a new one): a new order's
/// doctor is active ([`active`]); its admission is its patient's
/// ([`crate::patients::same_patient`]), checked again when either changes.
pub async fn check_order(
    deps: &Deps,
    before: Option<OrderLinks<'_>>,
    after: OrderLinks<'_>,
) -> DomainResult<()> {
    if before.is_none() {
        active(deps, after.doctor_id, "doctor_id").await?;
    }
    if before
        .is_none_or(|b| b.admission_id != after.admission_id || b.patient_id != after.patient_id)
    {
        crate::patients::same_patient::<crate::admissions::Admission>(
            deps,
            "admission_id",
            after.admission_id,
            after.patient_id,
            |x| &x.patient_id,
        )
        .await?;
    }
    Ok(())
}

/// The doctor a record names in `field`, who must be active: no appointment, admission, exam
/// or prescription is given to a doctor who has left (422 on `field`, as is a missing one).
pub async fn active(deps: &Deps, id: &str, field: &str) -> DomainResult<Record<Doctor>> {
    match Repository::<Doctor>::new(deps.clone()).get(None, id).await {
        Ok(d) if d.data.status == DoctorStatus::Active => Ok(d),
        Ok(_) => Err(DomainError::invalid(field, "the doctor is inactive")),
        Err(DomainError::NotFound { .. }) => Err(DomainError::invalid(
            field,
            format!("no doctor with id {id}"),
        )),
        Err(e) => Err(e),
    }
}
