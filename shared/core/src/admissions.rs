//! Admissions (RF08) and the beds they hold (RF09), as FHIR's Encounter.
//!
//! - `admit`: the patient into an `available` bed; the bed becomes `occupied` in the same
//!   transaction (bed board included). A patient has one open admission at most.
//! - `transfer`: to another `available` bed; the new bed becomes `occupied`, the old one
//!   `cleaning`; `stays` records each bed held, with its sector, `from` and `to`.
//! - `discharge`: `in_progress` → `finished`, with disposition and diagnosis; the bed goes to
//!   `cleaning`.
//! - `cancel` (entered in error): `cancelled`; the bed back to `available`.
//!
//! Times may lie in the past (late registration) but never in the future, never before the
//! admission's previous step (admitted ≤ each transfer ≤ discharge), never before the bed
//! entered its current status, and never overlapping another stay of the same bed or another
//! admission of the same patient: past stays and admissions are kept per bed and per patient
//! in monthly buckets ([`crate::intervals`]), checked and written in the same transaction.
//! The census and the analytics rely on that history.

use crate::beds::{Bed, BedStatus};
use crate::error::{DomainResult, FieldError};
use crate::events::DomainEvent;
use crate::exams::{ids_check, newest_first};
use crate::intervals::{self, Span, Timeline};
use crate::resource::record::rfc3339;
use crate::resource::tx::RuleError;
use crate::resource::{
    ATTEMPTS, Blame, Change, Deps, Filter, FilterKind, Record, Reference, Repository, Resource, Tx,
    TxError, ULID_SCHEMA, Unique, View,
};
use crate::store::SkRange;
use crate::time::Calendar;
use crate::{DomainError, ids, validate};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use validator::Validate;

/// An ICD-10 diagnosis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Diagnosis {
    /// ICD-10 code, e.g. `I21.9`.
    #[validate(custom(function = "validate::icd10"))]
    #[schema(example = "I21.9", pattern = r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$")]
    pub code: String,
    #[validate(length(min = 1, max = 300))]
    #[schema(
        min_length = 1,
        max_length = 300,
        example = "Infarto agudo do miocárdio"
    )]
    pub text: String,
}

/// FHIR Encounter.status, as a hospital stay uses it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdmissionStatus {
    #[default]
    InProgress,
    Finished,
    Cancelled,
}

impl AdmissionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AdmissionStatus::InProgress => "in_progress",
            AdmissionStatus::Finished => "finished",
            AdmissionStatus::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::InProgress, Self::Finished, Self::Cancelled]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// Where the patient went (FHIR's discharge disposition, simplified).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    Home,
    Transfer,
    Death,
    AgainstAdvice,
    Other,
}

/// One bed held during the admission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Stay {
    pub bed_id: String,
    pub sector_id: String,
    #[serde(with = "crate::time::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub from: DateTime<Utc>,
    /// Absent while the patient is in the bed.
    #[serde(
        default,
        with = "crate::time::instant_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DischargeSummary {
    pub disposition: Disposition,
    pub discharge_diagnosis: Diagnosis,
    #[serde(with = "crate::time::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub discharged_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Admission {
    #[schema(pattern = r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")]
    pub patient_id: String,
    /// The bed now held (or last held); set by admitting and transferring.
    #[schema(pattern = r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")]
    pub bed_id: String,
    #[schema(pattern = r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")]
    pub attending_doctor_id: String,
    /// Withheld from the front desk, as is the discharge diagnosis: it sees the admission,
    /// not what it is for.
    #[validate(nested)]
    pub admitting_diagnosis: Diagnosis,
    /// RFC 3339; now when absent; not in the future.
    #[serde(
        default,
        with = "crate::time::instant_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = DateTime, example = "2026-03-02T10:00:00-03:00")]
    pub admitted_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
    /// Set by the operations.
    #[serde(default)]
    #[schema(read_only)]
    pub status: AdmissionStatus,
    /// The sector of the bed now held (set by the server).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[schema(read_only)]
    pub sector_id: String,
    /// Every bed held, in order (set by the server).
    #[serde(default)]
    #[schema(read_only)]
    pub stays: Vec<Stay>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(read_only)]
    pub discharge: Option<DischargeSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(read_only)]
    pub cancel_reason: Option<String>,
}

/// The views of admissions by the month they began (`YYYY-MM` appended) and of finished ones
/// by the month they ended.
pub const ADMITTED: &str = "admission#admitted#";
pub const DISCHARGED: &str = "admission#discharged#";

const STATUS_SCHEMA: &str =
    r#"{"type": "string", "enum": ["in_progress", "finished", "cancelled"]}"#;

impl Admission {
    fn current_stay(&self) -> Option<&Stay> {
        self.stays.last().filter(|s| s.to.is_none())
    }
    /// When the last step happened: the admission, or the last transfer.
    fn last_step(&self) -> Option<DateTime<Utc>> {
        self.stays.last().map(|s| s.from).or(self.admitted_at)
    }
}

impl Resource for Admission {
    const KIND: &'static str = "admission";
    const DELETABLE: bool = false;
    const MULTILINE: &'static [&'static str] = &["notes"];
    const SERVER_FIELDS: &'static [&'static str] =
        &["status", "sector_id", "stays", "discharge", "cancel_reason"];
    const CLINICAL: &'static [&'static str] =
        &["/admitting_diagnosis", "/discharge/discharge_diagnosis"];
    const FILTERS: &'static [(&'static str, FilterKind)] = &[
        (
            "patient_id",
            FilterKind::Custom {
                description: "The patient's admissions, newest first",
                schema: ULID_SCHEMA,
            },
        ),
        (
            "bed_id",
            FilterKind::Custom {
                description: "The bed's history: every admission that held it, newest first",
                schema: ULID_SCHEMA,
            },
        ),
        (
            "sector_id",
            FilterKind::Custom {
                description: "Admissions whose current (or last) bed is in the sector; with status=in_progress, who is in the sector now",
                schema: ULID_SCHEMA,
            },
        ),
        (
            "status",
            FilterKind::Custom {
                description: "Only admissions in this status (with sector_id, an index; otherwise a page may hold fewer than `limit` items while next_cursor goes on)",
                schema: STATUS_SCHEMA,
            },
        ),
    ];

    fn filter(params: &[(&str, &str)], _calendar: &Calendar) -> DomainResult<Filter> {
        let get = |name: &str| params.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        let status = match get("status") {
            Some(s) => Some(AdmissionStatus::parse(s).ok_or_else(|| {
                DomainError::bad_request("status", format!("unknown admission status {s:?}"))
            })?),
            None => None,
        };
        let parties: Vec<(&str, &str)> = ["patient_id", "bed_id", "sector_id"]
            .into_iter()
            .filter_map(|p| get(p).map(|v| (p, v)))
            .collect();
        if parties.len() > 1 {
            return Err(DomainError::bad_request(
                parties[1].0,
                "filter by one of patient_id, bed_id and sector_id",
            ));
        }
        let only = |s: Option<AdmissionStatus>| {
            s.map(|s| vec![("status".to_string(), s.as_str().to_string())])
                .unwrap_or_default()
        };
        match parties.first() {
            Some((name, id)) if !ids::is_id(id) => Err(DomainError::bad_request(
                *name,
                format!("{name} must be an id (ULID)"),
            )),
            Some(("sector_id", id)) => Ok(Filter::View {
                pk: format!("admission#sector#{id}"),
                sk: match status {
                    Some(s) => SkRange::BeginsWith(format!("{}#", s.as_str())),
                    None => SkRange::All,
                },
                only: Vec::new(),
            }),
            Some((name, id)) => Ok(Filter::View {
                pk: format!("admission#{}#{id}", name.trim_end_matches("_id")),
                sk: SkRange::All,
                only: only(status),
            }),
            None => Ok(Filter::Range {
                sk: SkRange::All,
                only: only(status),
            }),
        }
    }

    fn normalize(&mut self) {
        self.admitting_diagnosis.text = self.admitting_diagnosis.text.trim().to_string();
        self.notes = self
            .notes
            .take()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
    }

    fn check(&self, _calendar: &Calendar) -> Vec<FieldError> {
        ids_check(&[
            ("patient_id", Some(&self.patient_id)),
            ("bed_id", Some(&self.bed_id)),
            ("attending_doctor_id", Some(&self.attending_doctor_id)),
        ])
    }

    fn check_change(&self, before: Option<&Self>, _calendar: &Calendar) -> Vec<FieldError> {
        let Some(b) = before else {
            return Vec::new();
        };
        let mut errors = Vec::new();
        if b.status != AdmissionStatus::InProgress && self != b {
            errors.push(FieldError::new(
                "status",
                format!("a {} admission no longer changes", b.status.as_str()),
            ));
            return errors;
        }
        for (field, same, how) in [
            (
                "patient_id",
                self.patient_id == b.patient_id,
                "cannot change",
            ),
            (
                "bed_id",
                self.bed_id == b.bed_id,
                "changes by POST /v1/admissions/{id}/transfer",
            ),
            (
                "admitted_at",
                self.admitted_at == b.admitted_at,
                "cannot change; cancel the admission and admit again",
            ),
        ] {
            if !same {
                errors.push(FieldError::new(field, how));
            }
        }
        errors
    }

    fn references(&self) -> Vec<Reference> {
        let mut refs = vec![
            Reference::new("patient_id", "patient", &self.patient_id),
            Reference::new("attending_doctor_id", "doctor", &self.attending_doctor_id),
        ];
        // Every bed held: a bed with history is kept.
        let mut beds: Vec<&str> = self.stays.iter().map(|s| s.bed_id.as_str()).collect();
        if beds.is_empty() {
            beds.push(&self.bed_id);
        }
        for bed in beds {
            refs.push(Reference::new("bed_id", "bed", bed));
        }
        refs
    }

    fn uniques(&self) -> Vec<Unique> {
        // One open admission per patient.
        if self.status == AdmissionStatus::InProgress {
            vec![Unique {
                field: "patient_id",
                value: self.patient_id.clone(),
            }]
        } else {
            Vec::new()
        }
    }

    fn conflict_message(field: &str) -> Option<&'static str> {
        (field == "patient_id").then_some("the patient already has an open admission")
    }

    /// Newest admission first.
    fn sort_key(&self) -> String {
        newest_first(&self.admitted_at.map(rfc3339).unwrap_or_default())
    }

    fn views(&self, id: &str) -> Vec<View> {
        let newest = format!("{} {id}", self.sort_key());
        let mut views = vec![
            View {
                pk: format!("admission#patient#{}", self.patient_id),
                sk: newest.clone(),
            },
            View {
                pk: format!("admission#sector#{}", self.sector_id),
                sk: format!("{}#{newest}", self.status.as_str()),
            },
        ];
        let mut beds: Vec<&str> = Vec::new();
        for s in &self.stays {
            if !beds.contains(&s.bed_id.as_str()) {
                beds.push(&s.bed_id);
            }
        }
        for bed in beds {
            views.push(View {
                pk: format!("admission#bed#{bed}"),
                sk: newest.clone(),
            });
        }
        // The analytics' lists: admissions by the (UTC) month they began, finished ones by
        // the month they ended, in time order.
        if self.status != AdmissionStatus::Cancelled
            && let Some(at) = self.admitted_at
        {
            views.push(View {
                pk: format!("{ADMITTED}{}", at.format("%Y-%m")),
                sk: format!("{} {id}", rfc3339(at)),
            });
        }
        if let Some(d) = &self.discharge {
            views.push(View {
                pk: format!("{DISCHARGED}{}", d.discharged_at.format("%Y-%m")),
                sk: format!("{} {id}", rfc3339(d.discharged_at)),
            });
        }
        views
    }

    /// The census (RF17): a patient-day per census each finished stay was present at, in its
    /// bed's sector; an admission that saw no census (admitted and discharged on one day)
    /// counts one on its discharge day. Stays still open are counted by the query, from the
    /// admissions in progress.
    fn counts(&self, tz: chrono_tz::Tz) -> Vec<crate::resource::Count> {
        use crate::analytics::counters::{CENSUS, census_days, count, local_date};
        if self.status == AdmissionStatus::Cancelled {
            return Vec::new();
        }
        let mut counts = Vec::new();
        for stay in &self.stays {
            let Some(to) = stay.to else { continue };
            for day in census_days(stay.from, to, tz) {
                counts.push(count(CENSUS, &stay.sector_id, day, "pd", 1));
            }
        }
        if let (Some(d), true, Some(last)) = (&self.discharge, counts.is_empty(), self.stays.last())
        {
            let day = local_date(d.discharged_at, tz);
            counts.push(count(CENSUS, &last.sector_id, day, "pd", 1));
        }
        // AUTO04's yardstick: how long finished stays last, per admitting diagnosis.
        counts.extend(crate::reviews::stay_lengths(self));
        counts
    }

    async fn plan<'a>(
        change: &'a Change<'a, Self>,
        deps: &'a Deps,
        _tx: &'a mut Tx,
    ) -> DomainResult<()> {
        {
            // A new attending doctor must exist (the reference checks that) and be active.
            let (Some(before), Some(after)) = (change.before, change.after) else {
                return Ok(());
            };
            if before.data.attending_doctor_id != after.data.attending_doctor_id {
                crate::doctors::active(
                    deps,
                    &after.data.attending_doctor_id,
                    "attending_doctor_id",
                )
                .await?;
            }
            Ok(())
        }
    }
}

/// `POST /v1/admissions/{id}/transfer`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    #[schema(pattern = r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")]
    pub bed_id: String,
    /// When the patient moved; now when absent.
    #[serde(
        default,
        with = "crate::time::instant_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub at: Option<DateTime<Utc>>,
}

/// `POST /v1/admissions/{id}/discharge`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Discharge {
    pub disposition: Disposition,
    #[validate(nested)]
    pub discharge_diagnosis: Diagnosis,
    /// Now when absent.
    #[serde(
        default,
        with = "crate::time::instant_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub discharged_at: Option<DateTime<Utc>>,
}

/// `POST /v1/admissions/{id}/cancel`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Cancel {
    /// Why the admission was entered in error.
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

fn checked<T: Validate + Serialize>(input: &T) -> DomainResult<()> {
    let mut errors = validate::text_fields(input, &[]);
    if errors.is_empty()
        && let Err(e) = input.validate()
    {
        errors = validate::field_errors(&e);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Validation(errors))
    }
}

/// A time given for a step: now when absent, never in the future.
fn step_time(
    given: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    field: &str,
) -> DomainResult<DateTime<Utc>> {
    let at = given.unwrap_or(now);
    if at > now {
        return Err(DomainError::invalid(field, "must not be in the future"));
    }
    Ok(at)
}

/// The bed to take: it must exist, be `available`, and have become so no later than `at`.
async fn free_bed(
    deps: &Deps,
    bed_id: &str,
    at: DateTime<Utc>,
    field: &str,
) -> DomainResult<Record<Bed>> {
    let bed = match Repository::<Bed>::new(deps.clone()).get(None, bed_id).await {
        Ok(b) => b,
        Err(DomainError::NotFound { .. }) => {
            return Err(DomainError::invalid(
                field,
                format!("no bed with id {bed_id}"),
            ));
        }
        Err(e) => return Err(e),
    };
    if bed.data.status != BedStatus::Available {
        return Err(RuleError::conflict(
            field,
            format!("the bed is {}, not available", bed.data.status.as_str()),
        )
        .into());
    }
    if let Some(since) = bed.data.status_since
        && at < since
    {
        return Err(DomainError::invalid(
            field,
            format!("the bed has been available only since {}", rfc3339(since)),
        ));
    }
    Ok(bed)
}

/// The bed as the admission leaves it (or takes it), written conditional on the version read.
fn move_bed(tx: &mut Tx, bed: &Record<Bed>, status: BedStatus, at: DateTime<Utc>) {
    let mut next = bed.next(bed.data.clone(), tx.now());
    next.data.status = status;
    next.data.status_since = Some(at);
    tx.update(bed, &next);
}

fn bed_timeline(deps: &Deps, bed_id: &str) -> Timeline {
    Timeline::new(
        format!("timeline#bed#{bed_id}"),
        Span::Month,
        deps.calendar.tz(),
    )
}

fn patient_timeline(deps: &Deps, patient_id: &str) -> Timeline {
    Timeline::new(
        format!("timeline#patient#{patient_id}"),
        Span::Month,
        deps.calendar.tz(),
    )
}

/// Refuses `[from, now]` on `timeline` if another record's past interval overlaps it, and
/// pins the buckets read so that a concurrent late registration can't slip in.
async fn check_free(
    deps: &Deps,
    tx: &mut Tx,
    timeline: &Timeline,
    from: DateTime<Utc>,
    id: &str,
    field: &str,
    what: &str,
) -> DomainResult<()> {
    let to = tx.now().max(from);
    let labels = timeline.labels(from, to + chrono::Duration::milliseconds(1));
    for bucket in timeline.read(deps, &labels).await? {
        if let Some(other) = bucket.overlapping(from, to + chrono::Duration::milliseconds(1), id) {
            return Err(RuleError::conflict(
                field,
                format!(
                    "{what} was held by admission {} then ({})",
                    other.id,
                    intervals::describe(other, deps.calendar.tz())
                ),
            )
            .into());
        }
        tx.push(bucket.pin(), Blame::Moved);
    }
    Ok(())
}

/// A past stay's time in a bed: from, to.
type Held = (DateTime<Utc>, DateTime<Utc>);

/// What a committed (or not) attempt leads to.
enum Next<T> {
    Done(T),
    Retry,
}

/// The attempt's outcome once its transaction commits, or why not (retry when something
/// read moved).
fn settle<T>(out: T, committed: Result<(), TxError>) -> DomainResult<Next<T>> {
    match committed {
        Ok(()) => Ok(Next::Done(out)),
        Err(e) if e.is_retryable() => Ok(Next::Retry),
        Err(TxError::Failed(b)) => Err(b.error().unwrap_or_else(busy)),
        Err(TxError::Store(e)) => Err(e.into()),
        Err(TxError::Unexplained) => Ok(Next::Retry),
    }
}

fn busy() -> DomainError {
    DomainError::Conflict {
        field: None,
        message: "the admission or its bed is being changed by others; retry".into(),
    }
}

/// Runs an attempt (an expression using `$tx`) until its transaction commits.
macro_rules! retrying {
    ($deps:expr, |$tx:ident| $attempt:expr) => {{
        let mut result = Err(busy());
        for _ in 0..ATTEMPTS {
            let mut $tx = $deps.tx();
            let out = $attempt;
            match settle(out, $tx.commit($deps.store.as_ref()).await) {
                Ok(Next::Done(r)) => {
                    result = Ok(r);
                    break;
                }
                Ok(Next::Retry) => continue,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        result
    }};
}

/// Admits a patient (`POST /v1/admissions`).
pub async fn admit(deps: &Deps, body: serde_json::Value) -> DomainResult<Record<Admission>> {
    crate::resource::reject_read_only::<Admission>(&body)?;
    let mut input: Admission =
        crate::json::decode(body).map_err(|e| DomainError::Validation(vec![e]))?;
    let repo = Repository::<Admission>::new(deps.clone());
    repo.prepare(&mut input, None)?;
    let id = ids::new_id();
    retrying!(deps, |tx| admit_once(deps, &mut tx, &input, &id).await?)
}

async fn admit_once(
    deps: &Deps,
    tx: &mut Tx,
    input: &Admission,
    id: &str,
) -> DomainResult<Record<Admission>> {
    {
        let at = step_time(input.admitted_at, tx.now(), "admitted_at")?;
        let bed = free_bed(deps, &input.bed_id, at, "bed_id").await?;
        crate::doctors::active(deps, &input.attending_doctor_id, "attending_doctor_id").await?;
        let mut data = input.clone();
        data.admitted_at = Some(at);
        data.status = AdmissionStatus::InProgress;
        data.sector_id = bed.data.sector_id.clone();
        data.stays = vec![Stay {
            bed_id: bed.id.clone(),
            sector_id: bed.data.sector_id.clone(),
            from: at,
            to: None,
        }];
        let record = Record::new(id.to_string(), None, tx.now(), data);
        tx.create(&record);
        move_bed(tx, &bed, BedStatus::Occupied, at);
        check_free(
            deps,
            tx,
            &bed_timeline(deps, &bed.id),
            at,
            id,
            "admitted_at",
            "the bed",
        )
        .await?;
        check_free(
            deps,
            tx,
            &patient_timeline(deps, &record.data.patient_id),
            at,
            id,
            "admitted_at",
            "the patient",
        )
        .await?;
        tx.event(DomainEvent::new(
            "hospital.admissions",
            "PatientAdmitted",
            tx.now(),
            json!({
                "admission_id": record.id,
                "patient_id": record.data.patient_id,
                "bed_id": bed.id,
                "sector_id": bed.data.sector_id,
                "admitted_at": rfc3339(at),
                "admitting_diagnosis_code": record.data.admitting_diagnosis.code,
            }),
        ));
        Ok(record)
    }
}

/// The admission, which must be in progress.
async fn open(deps: &Deps, id: &str, what: &str) -> DomainResult<Record<Admission>> {
    let admission = Repository::<Admission>::new(deps.clone())
        .get(None, id)
        .await?;
    if admission.data.status != AdmissionStatus::InProgress {
        return Err(DomainError::invalid(
            "",
            format!(
                "a {} admission cannot be {what}",
                admission.data.status.as_str()
            ),
        ));
    }
    Ok(admission)
}

/// The current bed of an open admission.
async fn current_bed(deps: &Deps, admission: &Record<Admission>) -> DomainResult<Record<Bed>> {
    Repository::<Bed>::new(deps.clone())
        .get(None, &admission.data.bed_id)
        .await
}

/// Closes the current stay at `at` and records it in its bed's past.
async fn close_stay(
    deps: &Deps,
    tx: &mut Tx,
    admission: &Record<Admission>,
    next: &mut Admission,
    at: DateTime<Utc>,
) -> DomainResult<()> {
    let Some(stay) = admission.data.current_stay().cloned() else {
        return Err(DomainError::invalid("", "the admission holds no bed"));
    };
    if let Some(last) = next.stays.last_mut() {
        last.to = Some(at);
    }
    intervals::retime(
        deps,
        tx,
        &bed_timeline(deps, &stay.bed_id),
        &admission.id,
        None,
        Some((stay.from, at)),
    )
    .await?;
    Ok(())
}

fn after_last_step(admission: &Admission, at: DateTime<Utc>, field: &str) -> DomainResult<()> {
    match admission.last_step() {
        Some(last) if at < last => Err(DomainError::invalid(
            field,
            format!(
                "must not be before the admission's last step ({})",
                rfc3339(last)
            ),
        )),
        _ => Ok(()),
    }
}

/// Moves the patient to another bed (`POST /v1/admissions/{id}/transfer`).
pub async fn transfer(deps: &Deps, id: &str, input: Transfer) -> DomainResult<Record<Admission>> {
    checked(&input)?;
    if !ids::is_id(&input.bed_id) {
        return Err(DomainError::invalid("bed_id", "must be a bed id (ULID)"));
    }
    retrying!(deps, |tx| transfer_once(deps, &mut tx, id, &input).await?)
}

async fn transfer_once(
    deps: &Deps,
    tx: &mut Tx,
    id: &str,
    input: &Transfer,
) -> DomainResult<Record<Admission>> {
    {
        let admission = open(deps, id, "transferred").await?;
        if admission.data.bed_id == input.bed_id {
            return Err(DomainError::invalid(
                "bed_id",
                "the patient is already in this bed",
            ));
        }
        let at = step_time(input.at, tx.now(), "at")?;
        after_last_step(&admission.data, at, "at")?;
        let old_bed = current_bed(deps, &admission).await?;
        let new_bed = free_bed(deps, &input.bed_id, at, "bed_id").await?;
        let mut next = admission.data.clone();
        close_stay(deps, tx, &admission, &mut next, at).await?;
        next.stays.push(Stay {
            bed_id: new_bed.id.clone(),
            sector_id: new_bed.data.sector_id.clone(),
            from: at,
            to: None,
        });
        next.bed_id = new_bed.id.clone();
        next.sector_id = new_bed.data.sector_id.clone();
        let record = admission.next(next, tx.now());
        tx.update(&admission, &record);
        move_bed(tx, &old_bed, BedStatus::Cleaning, at);
        move_bed(tx, &new_bed, BedStatus::Occupied, at);
        check_free(
            deps,
            tx,
            &bed_timeline(deps, &new_bed.id),
            at,
            id,
            "at",
            "the bed",
        )
        .await?;
        tx.event(DomainEvent::new(
            "hospital.admissions",
            "PatientTransferred",
            tx.now(),
            json!({
                "admission_id": record.id,
                "patient_id": record.data.patient_id,
                "from_bed_id": old_bed.id,
                "from_sector_id": old_bed.data.sector_id,
                "to_bed_id": new_bed.id,
                "to_sector_id": new_bed.data.sector_id,
                "at": rfc3339(at),
            }),
        ));
        Ok(record)
    }
}

/// Discharges the patient (`POST /v1/admissions/{id}/discharge`).
pub async fn discharge(deps: &Deps, id: &str, input: Discharge) -> DomainResult<Record<Admission>> {
    checked(&input)?;
    retrying!(deps, |tx| discharge_once(deps, &mut tx, id, &input).await?)
}

async fn discharge_once(
    deps: &Deps,
    tx: &mut Tx,
    id: &str,
    input: &Discharge,
) -> DomainResult<Record<Admission>> {
    {
        let admission = open(deps, id, "discharged").await?;
        let at = step_time(input.discharged_at, tx.now(), "discharged_at")?;
        after_last_step(&admission.data, at, "discharged_at")?;
        let bed = current_bed(deps, &admission).await?;
        let mut next = admission.data.clone();
        close_stay(deps, tx, &admission, &mut next, at).await?;
        next.status = AdmissionStatus::Finished;
        next.discharge = Some(DischargeSummary {
            disposition: input.disposition,
            discharge_diagnosis: Diagnosis {
                code: input.discharge_diagnosis.code.clone(),
                text: input.discharge_diagnosis.text.trim().to_string(),
            },
            discharged_at: at,
        });
        let admitted_at = admission.data.admitted_at.unwrap_or(at);
        let record = admission.next(next, tx.now());
        tx.update(&admission, &record);
        move_bed(tx, &bed, BedStatus::Cleaning, at);
        crate::reviews::close_with_admission(
            deps,
            tx,
            id,
            format!(
                "Encerrada automaticamente: alta em {}.",
                crate::automation::notify::when(at, tx.tz())
            ),
        )
        .await?;
        // The whole admission joins the patient's past.
        intervals::retime(
            deps,
            tx,
            &patient_timeline(deps, &record.data.patient_id),
            id,
            None,
            Some((admitted_at, at)),
        )
        .await?;
        tx.event(DomainEvent::new(
            "hospital.admissions",
            "PatientDischarged",
            tx.now(),
            json!({
                "admission_id": record.id,
                "patient_id": record.data.patient_id,
                "bed_id": bed.id,
                "sector_id": bed.data.sector_id,
                "bed_kind": bed.data.kind,
                "admitted_at": rfc3339(admitted_at),
                "discharged_at": rfc3339(at),
                "disposition": input.disposition,
                "discharge_diagnosis_code": input.discharge_diagnosis.code,
            }),
        ));
        Ok(record)
    }
}

/// Cancels an admission entered in error (`POST /v1/admissions/{id}/cancel`): the bed is
/// available again and the admission's past stays leave the beds' history.
pub async fn cancel(deps: &Deps, id: &str, input: Cancel) -> DomainResult<Record<Admission>> {
    checked(&input)?;
    if input.reason.trim().is_empty() {
        return Err(DomainError::invalid("reason", "must not be blank"));
    }
    retrying!(deps, |tx| cancel_once(deps, &mut tx, id, &input).await?)
}

async fn cancel_once(
    deps: &Deps,
    tx: &mut Tx,
    id: &str,
    input: &Cancel,
) -> DomainResult<Record<Admission>> {
    {
        let admission = open(deps, id, "cancelled").await?;
        let bed = current_bed(deps, &admission).await?;
        let mut next = admission.data.clone();
        next.status = AdmissionStatus::Cancelled;
        next.cancel_reason = Some(input.reason.trim().to_string());
        let record = admission.next(next, tx.now());
        tx.update(&admission, &record);
        move_bed(tx, &bed, BedStatus::Available, tx.now());
        crate::reviews::close_with_admission(
            deps,
            tx,
            id,
            "Encerrada automaticamente: internação cancelada.".to_string(),
        )
        .await?;
        // Each bed's past stays of this admission leave its history in one write (a stay may
        // have returned to a bed it held before).
        let mut held: Vec<(&str, Vec<Held>)> = Vec::new();
        for stay in &admission.data.stays {
            let Some(to) = stay.to else { continue };
            match held.iter_mut().find(|(bed, _)| *bed == stay.bed_id) {
                Some((_, spans)) => spans.push((stay.from, to)),
                None => held.push((&stay.bed_id, vec![(stay.from, to)])),
            }
        }
        for (bed, spans) in held {
            intervals::retime_all(deps, tx, &bed_timeline(deps, bed), id, &spans, &[]).await?;
        }
        tx.event(DomainEvent::new(
            "hospital.admissions",
            "AdmissionCancelled",
            tx.now(),
            json!({
                "admission_id": record.id,
                "patient_id": record.data.patient_id,
                "bed_id": bed.id,
                "sector_id": bed.data.sector_id,
            }),
        ));
        Ok(record)
    }
}
