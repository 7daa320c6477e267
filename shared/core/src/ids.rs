//! Identifiers: ULIDs, sortable by creation time (docs/design.md).

/// A new ULID as its 26-character string.
pub fn new_id() -> String {
    ulid::Ulid::new().to_string()
}

/// Whether `s` is a well-formed ULID (so a path id can be rejected before touching the store).
pub fn is_id(s: &str) -> bool {
    s.len() == 26 && ulid::Ulid::from_string(s).is_ok()
}

/// An id in the API document: a ULID.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, pattern = r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")]
pub struct Id(pub String);
