//! Medical specialties (RF03).

use crate::resource::{FilterKind, Resource, Unique};
use crate::validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Specialty {
    /// Unique, ignoring case and accents.
    #[validate(length(min = 1, max = 120))]
    #[schema(example = "Cardiologia", min_length = 1, max_length = 120)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    pub description: Option<String>,
}

impl Resource for Specialty {
    const KIND: &'static str = "specialty";
    const FILTERS: &'static [(&'static str, FilterKind)] = &[("name", FilterKind::SortPrefix)];
    const MULTILINE: &'static [&'static str] = &["description"];

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
