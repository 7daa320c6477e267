//! Tariffs: the daily rate of a bed, which the automatic billing of a discharge (RF24)
//! multiplies by the days of stay. A tariff applies to a sector, to a bed kind, or to every
//! bed (the hospital's default), for one insurer or for all (then also private pay). The rate
//! of a stay is the most specific that applies: sector before bed kind before default, an
//! insurer's own before the one for all.

use crate::beds::BedKind;
use crate::billing::Currency;
use crate::error::{DomainResult, FieldError};
use crate::exams::ids_check;
use crate::resource::{Deps, FilterKind, Reference, Resource, Unique};
use crate::store::Key;
use crate::time::Calendar;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use validator::Validate;

/// What a tariff applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TariffScope {
    /// The beds of one sector (`sector_id`).
    Sector,
    /// Beds of one kind (`bed_kind`), in any sector.
    BedKind,
    /// Every bed: the hospital's default.
    Default,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Tariff {
    pub scope: TariffScope,
    /// With scope `sector`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")]
    pub sector_id: Option<String>,
    /// With scope `bed_kind`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bed_kind: Option<BedKind>,
    /// The insurer it is agreed with; absent: every insurer without its own, and private pay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")]
    pub insurer_id: Option<String>,
    /// Per day of stay, in cents.
    #[validate(range(min = 1, max = 100_000_000))]
    #[schema(minimum = 1, maximum = 100_000_000, example = 85000)]
    pub daily_rate_cents: i64,
    #[serde(default)]
    pub currency: Currency,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub description: Option<String>,
}

impl Tariff {
    /// The key the tariff is found by: its scope and what it applies to, and its insurer.
    fn target(&self) -> String {
        let what = match self.scope {
            TariffScope::Sector => format!("sector#{}", self.sector_id.as_deref().unwrap_or("")),
            TariffScope::BedKind => format!(
                "bed_kind#{}",
                self.bed_kind
                    .and_then(|k| serde_json::to_value(k).ok())
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            ),
            TariffScope::Default => "default".to_string(),
        };
        format!("{what}#{}", self.insurer_id.as_deref().unwrap_or("any"))
    }
}

impl Resource for Tariff {
    const KIND: &'static str = "tariff";
    const FILTERS: &'static [(&'static str, FilterKind)] = &[];

    fn normalize(&mut self) {
        self.description = self
            .description
            .take()
            .map(|d| d.trim().to_string())
            .filter(|d| !d.is_empty());
    }

    fn check(&self, _calendar: &Calendar) -> Vec<FieldError> {
        let mut errors = ids_check(&[
            ("sector_id", self.sector_id.as_ref()),
            ("insurer_id", self.insurer_id.as_ref()),
        ]);
        let (sector, kind) = (self.sector_id.is_some(), self.bed_kind.is_some());
        match self.scope {
            TariffScope::Sector if !sector => errors.push(FieldError::new(
                "sector_id",
                "is required with scope sector",
            )),
            TariffScope::BedKind if !kind => errors.push(FieldError::new(
                "bed_kind",
                "is required with scope bed_kind",
            )),
            _ => {}
        }
        if sector && self.scope != TariffScope::Sector {
            errors.push(FieldError::new("sector_id", "is only for scope sector"));
        }
        if kind && self.scope != TariffScope::BedKind {
            errors.push(FieldError::new("bed_kind", "is only for scope bed_kind"));
        }
        errors
    }

    fn uniques(&self) -> Vec<Unique> {
        vec![Unique {
            field: "scope",
            value: self.target(),
        }]
    }

    fn conflict_message(_field: &str) -> Option<&'static str> {
        Some("a tariff for this scope and insurer already exists; change it instead")
    }

    fn references(&self) -> Vec<Reference> {
        let mut refs = Vec::new();
        if let Some(s) = &self.sector_id {
            refs.push(Reference::new("sector_id", "sector", s));
        }
        if let Some(i) = &self.insurer_id {
            refs.push(Reference::new("insurer_id", "insurer", i));
        }
        refs
    }

    fn sort_key(&self) -> String {
        self.target()
    }
}

/// The daily rate for a bed of `kind` in `sector` for `insurer` (None: private pay), by the
/// most specific tariff that applies; `None` when none does.
pub async fn daily_rate(
    deps: &Deps,
    sector_id: &str,
    kind: BedKind,
    insurer_id: Option<&str>,
) -> DomainResult<Option<(i64, String)>> {
    let kind = serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let mut candidates = Vec::new();
    for what in [
        format!("sector#{sector_id}"),
        format!("bed_kind#{kind}"),
        "default".to_string(),
    ] {
        if let Some(i) = insurer_id {
            candidates.push(format!("{what}#{i}"));
        }
        candidates.push(format!("{what}#any"));
    }
    for target in candidates {
        let marker = Key::new(format!("unique#tariff#scope#{target}"), "unique");
        let Some(owner) = deps
            .store
            .get(&marker)
            .await?
            .and_then(|m| m.get("owner").and_then(Value::as_str).map(str::to_string))
        else {
            continue;
        };
        let repo = crate::resource::Repository::<Tariff>::new(deps.clone());
        match repo.get(None, &owner).await {
            Ok(t) => return Ok(Some((t.data.daily_rate_cents, t.id))),
            Err(crate::DomainError::NotFound { .. }) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}
