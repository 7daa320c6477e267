//! How a list is narrowed: by a prefix of its order, by a unique value, or by a partition of
//! the second index.

use super::Resource;
use crate::error::{DomainError, DomainResult};
use crate::store::SkRange;

/// How a list query parameter narrows the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterKind {
    /// Prefix of the listing order, through [`crate::validate::sort_text`] (`?name=ma`).
    SortPrefix,
    /// Exact match on the unique document number of this name (CPF, ANS registration); its
    /// punctuation is ignored as the resources ignore it (`?cpf=529.982.247-25`).
    Unique(&'static str),
    /// Handled by the resource's own [`Resource::filter`] (an index-2 query): its description
    /// and the JSON Schema of its value, for the API document.
    Custom {
        description: &'static str,
        schema: &'static str,
    },
}

/// How a list is narrowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    All,
    /// Sort keys starting with this (already folded) prefix.
    SortPrefix(String),
    /// The one resource holding this unique value, if any.
    Unique(super::Unique),
    /// A partition of the second index, optionally narrowed by sort key, keeping only the
    /// items whose attributes equal the given strings.
    Index2 {
        pk: String,
        sk: SkRange,
        only: Vec<(String, String)>,
    },
    /// A partition of the views ([`super::View`]), likewise.
    View {
        pk: String,
        sk: SkRange,
        only: Vec<(String, String)>,
    },
    /// The whole list (the first index) in a sort-key range, likewise.
    Range {
        sk: SkRange,
        only: Vec<(String, String)>,
    },
}

/// The filter of [`Resource::FILTERS`] for one given parameter.
pub fn default_filter<R: Resource>(params: &[(&str, &str)]) -> DomainResult<Filter> {
    let Some(((name, value), rest)) = params.split_first() else {
        return Ok(Filter::All);
    };
    if let Some((other, _)) = rest.first() {
        return Err(DomainError::bad_request(*other, "use one filter at a time"));
    }
    match R::FILTERS.iter().find(|(p, _)| p == name).map(|(_, k)| *k) {
        Some(FilterKind::SortPrefix) => Ok(Filter::SortPrefix(crate::validate::sort_text(value))),
        Some(FilterKind::Unique(field)) => Ok(Filter::Unique(super::Unique {
            field,
            value: crate::validate::digits_only(value.trim()),
        })),
        _ => Err(DomainError::bad_request(*name, "unsupported filter")),
    }
}
