//! Staff (the seed's funcionário): nurses, receptionists, technicians, …

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
pub enum StaffRole {
    Nurse,
    Receptionist,
    Technician,
    Pharmacist,
    Billing,
    Manager,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffMember {
    #[validate(length(min = 1, max = 200))]
    pub full_name: String,
    /// Valid and unique among staff.
    #[validate(custom(function = "validate::cpf"))]
    #[schema(example = "11144477735")]
    pub cpf: String,
    pub role: StaffRole,
    /// The sector the member works in; must exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(email, length(max = 254))]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(custom(function = "validate::phone"))]
    pub phone: Option<String>,
    /// YYYY-MM-DD, not in the future.
    #[schema(value_type = String, format = Date, example = "2020-02-01")]
    pub hired_on: NaiveDate,
}

impl Resource for StaffMember {
    const KIND: &'static str = "staff";
    const FILTERS: &'static [(&'static str, FilterKind)] = &[
        ("name", FilterKind::SortPrefix),
        ("cpf", FilterKind::Unique("cpf")),
    ];

    fn normalize(&mut self) {
        self.full_name = self.full_name.trim().to_string();
        self.cpf = validate::digits_only(&self.cpf);
    }
    fn check(&self, calendar: &Calendar) -> Vec<FieldError> {
        if self.hired_on > calendar.today() {
            vec![FieldError::new("hired_on", "must not be in the future")]
        } else {
            Vec::new()
        }
    }
    fn uniques(&self) -> Vec<Unique> {
        vec![Unique {
            field: "cpf",
            value: self.cpf.clone(),
        }]
    }
    fn references(&self) -> Vec<Reference> {
        self.sector_id
            .iter()
            .map(|id| Reference {
                field: "sector_id".into(),
                kind: "sector",
                id: id.clone(),
            })
            .collect()
    }
    fn sort_key(&self) -> String {
        validate::sort_text(&self.full_name)
    }
}
