//! Hospital sectors (RF10): wards, ICUs, emergency, …

use crate::resource::{FilterKind, Resource, Unique};
use crate::validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SectorKind {
    Ward,
    Icu,
    PediatricIcu,
    NeonatalIcu,
    Emergency,
    Surgical,
    Maternity,
    Outpatient,
    Diagnostic,
    Pharmacy,
    Administrative,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Sector {
    /// Unique, ignoring case and accents.
    #[validate(length(min = 1, max = 120))]
    #[schema(example = "UTI Adulto", min_length = 1, max_length = 120)]
    pub name: String,
    #[validate(range(min = -10, max = 200))]
    #[schema(minimum = -10, maximum = 200)]
    pub floor: i32,
    pub kind: SectorKind,
    /// Where the sector's operational e-mails go (a bed released, low bed availability).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(email, length(max = 254))]
    #[schema(format = Email, max_length = 254)]
    pub alert_email: Option<String>,
}

impl Resource for Sector {
    const KIND: &'static str = "sector";
    const FILTERS: &'static [(&'static str, FilterKind)] = &[("name", FilterKind::SortPrefix)];

    fn normalize(&mut self) {
        self.name = self.name.trim().to_string();
    }
    fn uniques(&self) -> Vec<Unique> {
        vec![Unique {
            field: "name",
            value: validate::fold(&self.name),
        }]
    }
    fn sort_key(&self) -> String {
        validate::sort_text(&self.name)
    }
}
