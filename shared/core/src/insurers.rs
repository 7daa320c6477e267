//! Insurers: health plans (RF11; convênios in Portuguese).

use crate::resource::{FilterKind, Resource, Unique};
use crate::validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanType {
    Individual,
    Family,
    Corporate,
}

fn ans(value: &str) -> Result<(), ValidationError> {
    if value.len() == 6 && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(ValidationError::new("ans").with_message("must have 6 digits".into()))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Insurer {
    #[validate(length(min = 1, max = 200))]
    #[schema(example = "Saúde Total", min_length = 1, max_length = 200)]
    pub name: String,
    /// Registration with the ANS (the national health agency): 6 digits, unique.
    #[validate(custom(function = "ans"))]
    #[schema(example = "123456", pattern = r"^[0-9]{6}$")]
    pub ans_registration: String,
    pub plan_type: PlanType,
    #[validate(email, length(max = 254))]
    #[schema(format = Email, max_length = 254)]
    pub billing_email: String,
    /// Days the insurer takes to pay a bill: the due date of its billing entries.
    #[validate(range(min = 0, max = 365))]
    #[schema(minimum = 0, maximum = 365)]
    pub payment_terms_days: u32,
}

impl Resource for Insurer {
    const KIND: &'static str = "insurer";
    const FILTERS: &'static [(&'static str, FilterKind)] = &[
        ("name", FilterKind::SortPrefix),
        ("ans_registration", FilterKind::Unique("ans_registration")),
    ];

    fn normalize(&mut self) {
        self.name = self.name.trim().to_string();
        self.ans_registration = validate::digits_only(&self.ans_registration);
        self.billing_email = self.billing_email.trim().to_string();
    }
    fn uniques(&self) -> Vec<Unique> {
        vec![Unique {
            field: "ans_registration",
            value: self.ans_registration.clone(),
        }]
    }
    fn sort_key(&self) -> String {
        validate::sort_text(&self.name)
    }
}
