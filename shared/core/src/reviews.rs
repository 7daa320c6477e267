//! Reviews (AUTO04): an open admission that has lasted longer than usual, flagged for the care
//! team to look at. The long-stays job creates them (one per admission, ever); doctors, nurses
//! and managers list the open ones and resolve each with a note.
//!
//! "Longer than usual": longer than the median stay of the finished admissions with the same
//! admitting diagnosis (at least [`MIN_PEERS`] of them; else of all finished admissions) plus
//! `LONG_STAY_EXTRA_DAYS`. The stays' lengths are kept as histograms by whole hours, written by
//! each discharge in its own transaction ([`stay_lengths`]).

use crate::admissions::{Admission, AdmissionStatus};
use crate::error::{DomainResult, FieldError};
use crate::resource::record::rfc3339;
use crate::resource::{Count, Deps, Filter, FilterKind, Reference, Resource, Unique};
use crate::store::{Key, SkRange};
use crate::time::Calendar;
use crate::{DomainError, ids};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use validator::Validate;

/// Finished admissions of a diagnosis needed for its own median.
pub const MIN_PEERS: i64 = 5;

/// The partition of the stay-length histograms: `sk` = admitting diagnosis code, or [`ALL`].
pub const STAY_LENGTHS: &str = "stats#stay-lengths";
pub const ALL: &str = "*";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    #[default]
    Open,
    Resolved,
}

impl ReviewStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Open => "open",
            ReviewStatus::Resolved => "resolved",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// The admission under review (one review per admission).
    #[schema(read_only, pattern = r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")]
    pub admission_id: String,
    #[schema(read_only, pattern = r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")]
    pub patient_id: String,
    #[schema(read_only, pattern = r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")]
    pub sector_id: String,
    /// `long_stay`.
    #[schema(read_only)]
    pub reason: String,
    /// The admitting diagnosis code the stay was compared by.
    #[schema(read_only)]
    pub diagnosis_code: String,
    /// How long the admission had lasted when flagged, in days.
    #[schema(read_only)]
    pub stay_days: f64,
    /// The median it was compared with, in days, and how many finished admissions it is of
    /// (those with the same admitting diagnosis, or all when fewer than 5).
    #[schema(read_only)]
    pub median_days: f64,
    #[schema(read_only)]
    pub peers: i64,
    /// `diagnosis` or `all`: whose median.
    #[schema(read_only)]
    pub compared_with: String,
    #[serde(with = "crate::time::instant")]
    #[schema(value_type = String, format = DateTime, read_only)]
    pub flagged_at: DateTime<Utc>,
    /// `open` → `resolved` (with a note); resolved is final.
    #[serde(default)]
    pub status: ReviewStatus,
    /// What was decided; required to resolve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub note: Option<String>,
    #[serde(
        default,
        with = "crate::time::instant_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = DateTime, read_only)]
    pub resolved_at: Option<DateTime<Utc>>,
    /// Who resolved it: the `sub` of the caller's token. Absent when the review closed by
    /// itself because the admission ended (the note says how).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(read_only)]
    pub resolved_by: Option<String>,
}

impl Resource for Review {
    const KIND: &'static str = "review";
    const DELETABLE: bool = false;
    const MULTILINE: &'static [&'static str] = &["note"];
    const SERVER_FIELDS: &'static [&'static str] = &[
        "admission_id",
        "patient_id",
        "sector_id",
        "reason",
        "diagnosis_code",
        "stay_days",
        "median_days",
        "peers",
        "compared_with",
        "flagged_at",
        "resolved_at",
        "resolved_by",
    ];
    const FILTERS: &'static [(&'static str, FilterKind)] = &[(
        "status",
        FilterKind::Custom {
            description: "open or resolved, newest flag first",
            schema: r#"{"type": "string", "enum": ["open", "resolved"]}"#,
        },
    )];

    fn filter(params: &[(&str, &str)], _calendar: &Calendar) -> DomainResult<Filter> {
        match params.iter().find(|(k, _)| *k == "status").map(|(_, v)| *v) {
            None => Ok(Filter::All),
            Some(s @ ("open" | "resolved")) => Ok(Filter::Index2 {
                pk: format!("review#{s}"),
                sk: SkRange::All,
                only: Vec::new(),
            }),
            Some(other) => Err(DomainError::bad_request(
                "status",
                format!("open or resolved, not {other:?}"),
            )),
        }
    }

    fn normalize(&mut self) {
        // Trimmed but kept: a blank note is refused (its length), not taken for no note.
        if let Some(note) = &mut self.note {
            *note = note.trim().to_string();
        }
    }

    fn check_change(&self, before: Option<&Self>, _calendar: &Calendar) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Some(b) = before
            && b.status == ReviewStatus::Resolved
            && self != b
        {
            errors.push(FieldError::new(
                "status",
                "a resolved review no longer changes",
            ));
            return errors;
        }
        if self.status == ReviewStatus::Resolved && self.note.is_none() {
            errors.push(FieldError::new("note", "required to resolve a review"));
        }
        errors
    }

    fn stamp(&mut self, before: Option<&Self>, now: DateTime<Utc>, _today: chrono::NaiveDate) {
        if self.status == ReviewStatus::Resolved
            && before.is_some_and(|b| b.status != ReviewStatus::Resolved)
        {
            self.resolved_at = Some(now);
        }
    }

    fn by(&mut self, before: Option<&Self>, actor: &str) {
        if self.status == ReviewStatus::Resolved
            && before.is_some_and(|b| b.status != ReviewStatus::Resolved)
        {
            self.resolved_by = Some(actor.to_string());
        }
    }

    fn uniques(&self) -> Vec<Unique> {
        vec![Unique {
            field: "admission_id",
            value: self.admission_id.clone(),
        }]
    }

    fn conflict_message(_field: &str) -> Option<&'static str> {
        Some("the admission has a review already")
    }

    fn references(&self) -> Vec<Reference> {
        vec![Reference::new(
            "admission_id",
            "admission",
            &self.admission_id,
        )]
    }

    /// Newest flag first.
    fn sort_key(&self) -> String {
        crate::exams::newest_first(&rfc3339(self.flagged_at))
    }

    fn index2(&self, id: &str) -> Option<(String, String)> {
        Some((
            format!("review#{}", self.status.as_str()),
            format!("{} {id}", self.sort_key()),
        ))
    }
}

/// An admission's contribution to the stay-length histograms once finished: one in the hour
/// bucket of its length, under its admitting diagnosis and under all.
pub fn stay_lengths(a: &Admission) -> Vec<Count> {
    let (AdmissionStatus::Finished, Some(admitted), Some(d)) =
        (a.status, a.admitted_at, &a.discharge)
    else {
        return Vec::new();
    };
    let hours = (d.discharged_at - admitted).num_hours().max(0);
    [a.admitting_diagnosis.code.as_str(), ALL]
        .into_iter()
        .map(|group| Count {
            key: Key::new(STAY_LENGTHS, group),
            attr: format!("h{hours}"),
            n: 1,
        })
        .collect()
}

/// A stay-length histogram: (hours, admissions).
pub struct Histogram(Vec<(i64, i64)>);

impl Histogram {
    pub async fn read(deps: &Deps, group: &str) -> DomainResult<Self> {
        let item = deps.store.get(&Key::new(STAY_LENGTHS, group)).await?;
        let mut bins: Vec<(i64, i64)> = item
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| {
                let hours = k.strip_prefix('h')?.parse().ok()?;
                Some((hours, Value::as_i64(&v)?)).filter(|(_, n)| *n > 0)
            })
            .collect();
        bins.sort_unstable();
        Ok(Histogram(bins))
    }

    pub fn count(&self) -> i64 {
        self.0.iter().map(|(_, n)| n).sum()
    }

    /// The median length in hours (the mean of the middle two for an even count).
    pub fn median_hours(&self) -> Option<f64> {
        let n = self.count();
        if n == 0 {
            return None;
        }
        let nth = |k: i64| -> i64 {
            let mut seen = 0;
            for (hours, c) in &self.0 {
                seen += c;
                if seen >= k {
                    return *hours;
                }
            }
            0
        };
        Some(if n % 2 == 1 {
            nth(n / 2 + 1) as f64
        } else {
            (nth(n / 2) + nth(n / 2 + 1)) as f64 / 2.0
        })
    }
}

/// A new review of `admission` (by the long-stays job).
pub fn flag(
    admission: &crate::resource::Record<Admission>,
    now: DateTime<Utc>,
    stay_days: f64,
    median_days: f64,
    peers: i64,
    compared_with: &str,
) -> DomainResult<Review> {
    if !ids::is_id(&admission.id) {
        return Err(DomainError::invalid("admission_id", "not an id"));
    }
    Ok(Review {
        admission_id: admission.id.clone(),
        patient_id: admission.data.patient_id.clone(),
        sector_id: admission.data.sector_id.clone(),
        reason: "long_stay".into(),
        diagnosis_code: admission.data.admitting_diagnosis.code.clone(),
        stay_days,
        median_days,
        peers,
        compared_with: compared_with.into(),
        flagged_at: now,
        status: ReviewStatus::Open,
        note: None,
        resolved_at: None,
        resolved_by: None,
    })
}

/// Closes the admission's open review, if it has one, in `tx` (the discharge's or the
/// cancellation's): once the admission ends there is no stay left to review. `note` says why.
pub async fn close_with_admission(
    deps: &Deps,
    tx: &mut crate::resource::Tx,
    admission_id: &str,
    note: String,
) -> DomainResult<()> {
    let marker = crate::resource::keys::unique_key::<Review>(&Unique {
        field: "admission_id",
        value: admission_id.to_string(),
    });
    let Some(owner) = deps
        .store
        .get(&marker)
        .await?
        .and_then(|m| m.get("owner").and_then(Value::as_str).map(str::to_string))
    else {
        return Ok(());
    };
    let review = match crate::resource::Repository::<Review>::new(deps.clone())
        .get(None, &owner)
        .await
    {
        Ok(r) => r,
        Err(DomainError::NotFound { .. }) => return Ok(()),
        Err(e) => return Err(e),
    };
    if review.data.status != ReviewStatus::Open {
        return Ok(());
    }
    let mut next = review.data.clone();
    next.status = ReviewStatus::Resolved;
    next.note = Some(note);
    next.resolved_at = Some(tx.now());
    let record = review.next(next, tx.now());
    tx.update(&review, &record);
    Ok(())
}
