//! Beds (RF09) and the bed board: beds by sector and status, and counts per sector and status
//! kept as tallies in the same transaction as every bed write (no Scan).

use crate::error::{DomainError, DomainResult, FieldError};
use crate::resource::{Filter, FilterKind, Reference, Resource, Tally, ULID_SCHEMA, Unique};
use crate::store::{Key, SkRange};
use crate::validate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BedKind {
    Ward,
    PrivateRoom,
    AdultIcu,
    PediatricIcu,
    NeonatalIcu,
}

/// Operational status (as FHIR's Location.operationalStatus: occupied, unoccupied, housekeeping,
/// closed …, in our words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BedStatus {
    Available,
    Occupied,
    Cleaning,
    Maintenance,
    Blocked,
}

impl BedStatus {
    pub const ALL: [BedStatus; 5] = [
        BedStatus::Available,
        BedStatus::Occupied,
        BedStatus::Cleaning,
        BedStatus::Maintenance,
        BedStatus::Blocked,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            BedStatus::Available => "available",
            BedStatus::Occupied => "occupied",
            BedStatus::Cleaning => "cleaning",
            BedStatus::Maintenance => "maintenance",
            BedStatus::Blocked => "blocked",
        }
    }
    pub fn parse(s: &str) -> Option<BedStatus> {
        Self::ALL.into_iter().find(|b| b.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Bed {
    /// Unique within its sector, ignoring case.
    #[validate(length(min = 1, max = 30))]
    #[schema(example = "UTI-07", min_length = 1, max_length = 30)]
    pub code: String,
    #[schema(pattern = r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")]
    pub sector_id: String,
    pub kind: BedKind,
    /// `occupied` is set and cleared by admissions only.
    pub status: BedStatus,
    /// When the bed entered its status (set by the server).
    #[serde(
        default,
        with = "crate::time::instant_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = DateTime, read_only)]
    pub status_since: Option<chrono::DateTime<chrono::Utc>>,
    /// When the bed joined its sector (set by the server; the census counts it from then).
    #[serde(
        default,
        with = "crate::time::instant_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = DateTime, read_only)]
    pub in_sector_since: Option<chrono::DateTime<chrono::Utc>>,
}

impl Bed {
    /// Out of service: not counted among the available beds of the census.
    pub fn out_of_service(&self) -> bool {
        matches!(self.status, BedStatus::Maintenance | BedStatus::Blocked)
    }
}

/// The partition of the bed-board tallies.
pub const BOARD: &str = "bed-board";

impl Resource for Bed {
    const KIND: &'static str = "bed";
    const SERVER_FIELDS: &'static [&'static str] = &["status_since", "in_sector_since"];
    const FILTERS: &'static [(&'static str, FilterKind)] = &[
        (
            "sector_id",
            FilterKind::Custom {
                description: "The sector's beds, ordered by status and code",
                schema: ULID_SCHEMA,
            },
        ),
        (
            "status",
            FilterKind::Custom {
                description: "With sector_id: only beds in this status",
                schema: r#"{"type": "string", "enum": ["available", "occupied", "cleaning", "maintenance", "blocked"]}"#,
            },
        ),
    ];

    fn filter(params: &[(&str, &str)], _calendar: &crate::time::Calendar) -> DomainResult<Filter> {
        let get = |name: &str| params.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        let status = match get("status") {
            Some(s) => Some(BedStatus::parse(s).ok_or_else(|| {
                DomainError::bad_request("status", format!("unknown bed status {s:?}"))
            })?),
            None => None,
        };
        match (get("sector_id"), status) {
            (None, None) => Ok(Filter::All),
            (None, Some(_)) => Err(DomainError::bad_request(
                "status",
                "filter by status together with sector_id (the bed board counts all sectors)",
            )),
            (Some(sector), _) if !crate::ids::is_id(sector) => Err(DomainError::bad_request(
                "sector_id",
                "must be a sector id (ULID)",
            )),
            (Some(sector), status) => Ok(Filter::Index2 {
                pk: format!("bed#sector#{sector}"),
                sk: match status {
                    Some(s) => SkRange::BeginsWith(format!("{}#", s.as_str())),
                    None => SkRange::All,
                },
                only: Vec::new(),
            }),
        }
    }

    fn normalize(&mut self) {
        self.code = self.code.trim().to_string();
    }
    fn check_change(
        &self,
        before: Option<&Self>,
        _calendar: &crate::time::Calendar,
    ) -> Vec<FieldError> {
        let was = before.map(|b| b.status);
        let mut errors = Vec::new();
        if self.status == BedStatus::Occupied && was != Some(BedStatus::Occupied) {
            errors.push(FieldError::new(
                "status",
                "occupied is set by admitting a patient, not through the beds API",
            ));
        }
        if was == Some(BedStatus::Occupied) && self.status != BedStatus::Occupied {
            errors.push(FieldError::new(
                "status",
                "an occupied bed is released by discharging its patient",
            ));
        }
        if was == Some(BedStatus::Occupied) && before.is_some_and(|b| b.sector_id != self.sector_id)
        {
            errors.push(FieldError::new(
                "sector_id",
                "an occupied bed cannot change sector",
            ));
        }
        errors
    }
    fn stamp(
        &mut self,
        before: Option<&Self>,
        now: chrono::DateTime<chrono::Utc>,
        _today: chrono::NaiveDate,
    ) {
        // A bed moved to another sector enters its status there anew: the census counts it,
        // and admissions may hold it, in the new sector from the move on.
        let moved = before.is_some_and(|b| b.sector_id != self.sector_id);
        if before.is_none_or(|b| b.status != self.status) || moved {
            self.status_since = Some(now);
        }
        if before.is_none() || moved {
            self.in_sector_since = Some(now);
        }
    }

    fn on_change(change: &crate::resource::Change<'_, Self>, tx: &mut crate::resource::Tx) {
        census_spells(change, tx);
        let (Some(before), Some(after)) = (change.before, change.after) else {
            return;
        };
        if after.data.status == BedStatus::Available && before.data.status != BedStatus::Available {
            tx.event(crate::events::DomainEvent::new(
                "hospital.beds",
                "BedReleased",
                change.now,
                serde_json::json!({
                    "bed_id": after.id,
                    "sector_id": after.data.sector_id,
                    "code": after.data.code,
                    "previous_status": before.data.status.as_str(),
                }),
            ));
        }
    }

    fn undeletable(&self) -> Option<String> {
        (self.status == BedStatus::Occupied)
            .then(|| "an occupied bed cannot be deleted; discharge its patient first".to_string())
    }
    fn uniques(&self) -> Vec<Unique> {
        vec![Unique {
            field: "code",
            value: format!("{}#{}", self.sector_id, validate::fold(&self.code)),
        }]
    }
    fn references(&self) -> Vec<Reference> {
        vec![Reference {
            field: "sector_id".into(),
            kind: "sector",
            id: self.sector_id.clone(),
        }]
    }
    fn sort_key(&self) -> String {
        format!("{}#{}", self.sector_id, validate::sort_text(&self.code))
    }
    fn index2(&self, id: &str) -> Option<(String, String)> {
        Some((
            format!("bed#sector#{}", self.sector_id),
            format!(
                "{}#{} {id}",
                self.status.as_str(),
                validate::sort_text(&self.code)
            ),
        ))
    }
    fn tallies(&self) -> Vec<Tally> {
        let labels = [
            ("sector_id".to_string(), Value::from(self.sector_id.clone())),
            ("status".to_string(), Value::from(self.status.as_str())),
        ]
        .into_iter()
        .collect();
        vec![Tally {
            key: Key::new(
                BOARD,
                format!("{}#{}", self.sector_id, self.status.as_str()),
            ),
            labels,
        }]
    }
}

/// The census's bed-days (RF17) of the spells a change closes: the bed's time in a sector it
/// leaves (moved or deleted) and a spell out of service that ends. Spells still open are
/// counted by the query, from the beds as they stand.
fn census_spells(change: &crate::resource::Change<'_, Bed>, tx: &mut crate::resource::Tx) {
    use crate::analytics::counters::{CENSUS, census_days, count};
    let Some(before) = change.before else { return };
    let b = &before.data;
    let after = change.after.map(|a| &a.data);
    let left_sector = after.is_none_or(|a| a.sector_id != b.sector_id);
    let mut counts = Vec::new();
    if left_sector {
        let since = b.in_sector_since.unwrap_or(before.created_at);
        for day in census_days(since, change.now, tx.tz()) {
            counts.push(count(CENSUS, &b.sector_id, day, "beds", 1));
        }
    }
    if b.out_of_service() && (left_sector || after.is_some_and(|a| a.status != b.status)) {
        let since = b.status_since.unwrap_or(before.created_at);
        let until = after
            .filter(|_| !left_sector)
            .and_then(|a| a.status_since)
            .unwrap_or(change.now);
        for day in census_days(since, until, tx.tz()) {
            counts.push(count(CENSUS, &b.sector_id, day, "out", 1));
        }
    }
    tx.counts(&[], &counts);
}

/// One count of the bed board.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardTally {
    pub sector_id: String,
    pub status: String,
    pub count: i64,
}

/// Every bed-board tally, grouped by sector (one partition: sectors × statuses items).
pub async fn board(deps: &crate::resource::Deps) -> DomainResult<Vec<BoardTally>> {
    let mut out = Vec::new();
    for item in deps.query_all(crate::store::Query::table(BOARD)).await? {
        let text = |k: &str| item.get(k).and_then(Value::as_str).map(str::to_string);
        if let (Some(sector_id), Some(status)) = (text("sector_id"), text("status")) {
            let count = item.get("count").and_then(Value::as_i64).unwrap_or(0);
            out.push(BoardTally {
                sector_id,
                status,
                count,
            });
        }
    }
    Ok(out)
}
