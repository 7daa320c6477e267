//! Patients (RF01) and their addresses (RF13).

use crate::error::FieldError;
use crate::resource::{FilterKind, Reference, Resource, Unique};
use crate::time::Calendar;
use crate::validate;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
    Other,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmergencyContact {
    #[validate(length(min = 1, max = 200), custom(function = "validate::not_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[validate(custom(function = "validate::phone"))]
    #[schema(example = "+5511987654321", pattern = r"^\+[1-9][0-9]{7,14}$")]
    pub phone: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 60))]
    #[schema(max_length = 60)]
    pub relationship: Option<String>,
}

/// A patient's writable fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Patient {
    #[validate(length(min = 1, max = 200))]
    #[schema(example = "Maria da Silva", min_length = 1, max_length = 200)]
    pub full_name: String,
    /// 11 digits with valid check digits; punctuation ("529.982.247-25") is accepted and
    /// removed. Unique among patients.
    #[validate(custom(function = "validate::cpf"))]
    #[schema(
        example = "52998224725",
        pattern = r"^[0-9]{3}\.?[0-9]{3}\.?[0-9]{3}-?[0-9]{2}$"
    )]
    pub cpf: String,
    /// YYYY-MM-DD, from 1900-01-01, not in the future.
    #[serde(with = "crate::time::date")]
    #[schema(value_type = String, format = Date, example = "1984-03-09", pattern = r"^(19[0-9]{2}|20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub birth_date: NaiveDate,
    pub sex: Sex,
    /// E.164.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(custom(function = "validate::phone"))]
    #[schema(example = "+5511987654321", pattern = r"^\+[1-9][0-9]{7,14}$")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(email, length(max = 254))]
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(nested)]
    pub emergency_contact: Option<EmergencyContact>,
    /// At most 100, each 1 to 200 characters.
    #[serde(default)]
    #[validate(length(max = 100), custom(function = "allergies"))]
    #[schema(max_items = 100)]
    pub allergies: Vec<Allergy>,
    /// The patient's health plan, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")]
    pub insurer_id: Option<String>,
}

/// One allergy, as free text (1 to 200 characters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Allergy(pub String);

impl utoipa::PartialSchema for Allergy {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .min_length(Some(1))
            .max_length(Some(200))
            .into()
    }
}
impl ToSchema for Allergy {}

fn allergies(list: &[Allergy]) -> Result<(), validator::ValidationError> {
    let list: Vec<&String> = list.iter().map(|a| &a.0).collect();
    if list.iter().any(|a| a.trim().is_empty() || a.len() > 200) {
        return Err(validator::ValidationError::new("allergies")
            .with_message("each allergy is 1 to 200 characters".into()));
    }
    Ok(())
}

impl Resource for Patient {
    const KIND: &'static str = "patient";
    const FILTERS: &'static [(&'static str, FilterKind)] = &[
        ("name", FilterKind::SortPrefix),
        ("cpf", FilterKind::Unique("cpf")),
    ];

    fn normalize(&mut self) {
        self.full_name = self.full_name.trim().to_string();
        self.cpf = validate::digits_only(&self.cpf);
        self.allergies = self
            .allergies
            .iter()
            .map(|a| Allergy(a.0.trim().to_string()))
            .collect();
        if let Some(e) = &mut self.email {
            *e = e.trim().to_string();
        }
    }

    fn check(&self, calendar: &Calendar) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.birth_date > calendar.today() {
            errors.push(FieldError::new("birth_date", "must not be in the future"));
        }
        if self
            .insurer_id
            .as_deref()
            .is_some_and(|id| !crate::ids::is_id(id))
        {
            errors.push(FieldError::new(
                "insurer_id",
                "must be an insurer id (ULID)",
            ));
        }
        errors
    }

    fn references(&self) -> Vec<Reference> {
        self.insurer_id
            .iter()
            .map(|id| Reference {
                field: "insurer_id".into(),
                kind: "insurer",
                id: id.clone(),
            })
            .collect()
    }

    fn uniques(&self) -> Vec<Unique> {
        vec![Unique {
            field: "cpf",
            value: self.cpf.clone(),
        }]
    }

    fn sort_key(&self) -> String {
        validate::sort_text(&self.full_name)
    }
}

/// The 27 federative units of Brazil.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[allow(clippy::upper_case_acronyms)]
pub enum Uf {
    AC,
    AL,
    AP,
    AM,
    BA,
    CE,
    DF,
    ES,
    GO,
    MA,
    MT,
    MS,
    MG,
    PA,
    PB,
    PR,
    PE,
    PI,
    RJ,
    RN,
    RS,
    RO,
    RR,
    SC,
    SP,
    SE,
    TO,
}

/// An address of a patient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// 8 digits; "01310-100" is accepted and normalized.
    #[validate(custom(function = "validate::cep"))]
    #[schema(example = "01310100", pattern = r"^[0-9]{5}-?[0-9]{3}$")]
    pub cep: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub street: String,
    #[validate(length(min = 1, max = 20))]
    #[schema(min_length = 1, max_length = 20)]
    pub number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub complement: Option<String>,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub district: String,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub city: String,
    pub uf: Uf,
}

impl Resource for Address {
    const KIND: &'static str = "address";
    const PARENT: Option<&'static str> = Some("patient");

    fn normalize(&mut self) {
        self.cep = validate::digits_only(&self.cep);
        for s in [
            &mut self.street,
            &mut self.number,
            &mut self.district,
            &mut self.city,
        ] {
            *s = s.trim().to_string();
        }
    }
}

/// The record of kind `R` that `field` names (an exam's admission, a bill's appointment) must
/// be `patient_id`'s own: nothing is filed under one patient with another's stay (422 on
/// `field`). A missing one is left to the reference check, which names the field too.
pub async fn same_patient<R: Resource>(
    deps: &crate::resource::Deps,
    field: &str,
    id: Option<&str>,
    patient_id: &str,
    patient_of: fn(&R) -> &str,
) -> crate::DomainResult<()> {
    let Some(id) = id else { return Ok(()) };
    match crate::resource::Repository::<R>::new(deps.clone())
        .get(None, id)
        .await
    {
        Ok(r) if patient_of(&r.data) == patient_id => Ok(()),
        // No such patient: the reference check says so, on patient_id, which is the mistake.
        Ok(_) if !patient_exists(deps, patient_id).await? => Ok(()),
        Ok(_) => Err(crate::DomainError::invalid(
            field,
            format!("this {} is another patient's", R::KIND),
        )),
        Err(crate::DomainError::NotFound { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

async fn patient_exists(deps: &crate::resource::Deps, id: &str) -> crate::DomainResult<bool> {
    match crate::resource::Repository::<Patient>::new(deps.clone())
        .get(None, id)
        .await
    {
        Ok(_) => Ok(true),
        Err(crate::DomainError::NotFound { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}
