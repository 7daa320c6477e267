//! Staff (funcionários): nurses, receptionists, technicians, …

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

/// The earliest hiring date accepted.
const HIRED_FROM: NaiveDate = match NaiveDate::from_ymd_opt(1950, 1, 1) {
    Some(d) => d,
    None => unreachable!(),
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffMember {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub full_name: String,
    /// Valid and unique among staff.
    #[validate(custom(function = "validate::cpf"))]
    #[schema(
        example = "11144477735",
        pattern = r"^[0-9]{3}\.?[0-9]{3}\.?[0-9]{3}-?[0-9]{2}$"
    )]
    pub cpf: String,
    pub role: StaffRole,
    /// The sector the member works in; must exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")]
    pub sector_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(email, length(max = 254))]
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(custom(function = "validate::phone"))]
    #[schema(pattern = r"^\+[1-9][0-9]{7,14}$")]
    pub phone: Option<String>,
    /// YYYY-MM-DD, from 1950-01-01, not in the future.
    #[serde(with = "crate::time::date")]
    #[schema(value_type = String, format = Date, example = "2020-02-01", pattern = r"^(19[0-9]{2}|20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
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
        } else if self.hired_on < HIRED_FROM {
            vec![FieldError::new("hired_on", "must be 1950-01-01 or later")]
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
