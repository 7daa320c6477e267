//! Exams (RF05): a test a doctor requests for a patient, as FHIR's ServiceRequest.
//!
//! Status: `requested` → `in_progress` (`started_at` stamped) → `completed` (`result`
//! required, `completed_at` stamped); `requested` or `in_progress` → `cancelled` (with a
//! reason). A completed or cancelled exam no longer changes. Exams in progress are indexed by
//! start time, for the overdue-exam scan.

use crate::error::{DomainResult, FieldError};
use crate::events::DomainEvent;
use crate::resource::record::rfc3339;
use crate::resource::{Change, Filter, FilterKind, Reference, Resource, Tx, ULID_SCHEMA, View};
use crate::store::SkRange;
use crate::time::Calendar;
use crate::{DomainError, ids};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use validator::Validate;

/// FHIR ServiceRequest.priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Routine,
    Urgent,
    Asap,
    Stat,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExamStatus {
    #[default]
    Requested,
    InProgress,
    Completed,
    Cancelled,
}

impl ExamStatus {
    pub const ALL: [ExamStatus; 4] = [
        ExamStatus::Requested,
        ExamStatus::InProgress,
        ExamStatus::Completed,
        ExamStatus::Cancelled,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ExamStatus::Requested => "requested",
            ExamStatus::InProgress => "in_progress",
            ExamStatus::Completed => "completed",
            ExamStatus::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Exam {
    #[schema(pattern = r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")]
    pub patient_id: String,
    /// The requesting doctor.
    #[schema(pattern = r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")]
    pub doctor_id: String,
    /// What to examine, e.g. "Hemograma completo", "Tomografia de tórax".
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "Hemograma completo")]
    pub exam_type: String,
    pub priority: Priority,
    /// The admission the exam belongs to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")]
    pub admission_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
    #[serde(default)]
    pub status: ExamStatus,
    /// Set by the server when requested.
    #[serde(
        default,
        with = "crate::time::instant_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = DateTime, read_only)]
    pub requested_at: Option<DateTime<Utc>>,
    /// Set by the server when the exam starts.
    #[serde(
        default,
        with = "crate::time::instant_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = DateTime, read_only)]
    pub started_at: Option<DateTime<Utc>>,
    /// Set by the server when the exam is completed.
    #[serde(
        default,
        with = "crate::time::instant_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = DateTime, read_only)]
    pub completed_at: Option<DateTime<Utc>>,
    /// Required to complete the exam. Withheld from the front desk, which sees that the exam
    /// exists and its status, not what it found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(min = 1, max = 20000))]
    #[schema(min_length = 1, max_length = 20000)]
    pub result: Option<String>,
    /// Required to cancel the exam.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub cancel_reason: Option<String>,
}

/// The index partition of exams in progress, by start time.
pub const IN_PROGRESS: &str = "exam#in_progress";

const STATUS_SCHEMA: &str =
    r#"{"type": "string", "enum": ["requested", "in_progress", "completed", "cancelled"]}"#;

impl Resource for Exam {
    const KIND: &'static str = "exam";
    const DELETABLE: bool = false;
    const MULTILINE: &'static [&'static str] = &["notes", "result"];
    const CLINICAL: &'static [&'static str] = &["/result"];
    const SERVER_FIELDS: &'static [&'static str] = &["requested_at", "started_at", "completed_at"];
    const FILTERS: &'static [(&'static str, FilterKind)] = &[
        (
            "patient_id",
            FilterKind::Custom {
                description: "The patient's exams, newest request first (with status too)",
                schema: ULID_SCHEMA,
            },
        ),
        (
            "doctor_id",
            FilterKind::Custom {
                description: "The exams a doctor requested, newest first (with status too)",
                schema: ULID_SCHEMA,
            },
        ),
        (
            "status",
            FilterKind::Custom {
                description: "Only exams in this status; a page may then hold fewer than `limit` items while next_cursor goes on",
                schema: STATUS_SCHEMA,
            },
        ),
    ];

    fn filter(params: &[(&str, &str)], _calendar: &Calendar) -> DomainResult<Filter> {
        let get = |name: &str| params.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        let only = match get("status") {
            Some(s) => match ExamStatus::parse(s) {
                Some(s) => vec![("status".to_string(), s.as_str().to_string())],
                None => {
                    return Err(DomainError::bad_request(
                        "status",
                        format!("unknown exam status {s:?}"),
                    ));
                }
            },
            None => Vec::new(),
        };
        party_filter("exam", params, only)
    }

    fn normalize(&mut self) {
        self.exam_type = self.exam_type.trim().to_string();
        for text in [&mut self.notes, &mut self.result, &mut self.cancel_reason] {
            *text = text
                .take()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty());
        }
    }

    fn check(&self, _calendar: &Calendar) -> Vec<FieldError> {
        let mut errors = ids_check(&[
            ("patient_id", Some(&self.patient_id)),
            ("doctor_id", Some(&self.doctor_id)),
            ("admission_id", self.admission_id.as_ref()),
        ]);
        if self.status == ExamStatus::Completed && self.result.is_none() {
            errors.push(FieldError::new("result", "is required to complete an exam"));
        }
        if self.status != ExamStatus::Completed && self.result.is_some() {
            errors.push(FieldError::new(
                "result",
                "is given when completing the exam",
            ));
        }
        if self.status == ExamStatus::Cancelled && self.cancel_reason.is_none() {
            errors.push(FieldError::new(
                "cancel_reason",
                "is required to cancel an exam",
            ));
        }
        if self.status != ExamStatus::Cancelled && self.cancel_reason.is_some() {
            errors.push(FieldError::new(
                "cancel_reason",
                "is only for a cancelled exam",
            ));
        }
        errors
    }

    fn check_change(&self, before: Option<&Self>, _calendar: &Calendar) -> Vec<FieldError> {
        use ExamStatus::*;
        let Some(b) = before else {
            return if self.status == Requested {
                Vec::new()
            } else {
                vec![FieldError::new("status", "a new exam is requested")]
            };
        };
        let mut errors = Vec::new();
        if matches!(b.status, Completed | Cancelled) && self != b {
            errors.push(FieldError::new(
                "status",
                format!("a {} exam no longer changes", b.status.as_str()),
            ));
            return errors;
        }
        let allowed = b.status == self.status
            || matches!(
                (b.status, self.status),
                (Requested, InProgress)
                    | (InProgress, Completed)
                    | (Requested | InProgress, Cancelled)
            );
        if !allowed {
            errors.push(FieldError::new(
                "status",
                format!(
                    "an exam cannot go from {} to {}",
                    b.status.as_str(),
                    self.status.as_str()
                ),
            ));
        }
        for (field, same) in [
            ("patient_id", self.patient_id == b.patient_id),
            ("doctor_id", self.doctor_id == b.doctor_id),
        ] {
            if !same {
                errors.push(FieldError::new(field, "cannot change"));
            }
        }
        errors
    }

    fn stamp(&mut self, before: Option<&Self>, now: DateTime<Utc>, _today: chrono::NaiveDate) {
        if before.is_none() {
            self.requested_at = Some(now);
        }
        let was = before.map(|b| b.status);
        if self.status == ExamStatus::InProgress && was != Some(ExamStatus::InProgress) {
            self.started_at = Some(now);
        }
        if self.status == ExamStatus::Completed && was != Some(ExamStatus::Completed) {
            self.completed_at = Some(now);
        }
    }

    /// A new exam's doctor is active; its admission is the patient's.
    async fn plan<'a>(
        change: &'a crate::resource::Change<'a, Self>,
        deps: &'a crate::resource::Deps,
        _tx: &'a mut crate::resource::Tx,
    ) -> DomainResult<()> {
        let Some(after) = change.after else {
            return Ok(());
        };
        let links = |x: &'a Self| crate::doctors::OrderLinks {
            doctor_id: &x.doctor_id,
            patient_id: &x.patient_id,
            admission_id: x.admission_id.as_deref(),
        };
        let before = change.before.map(|b| links(&b.data));
        crate::doctors::check_order(deps, before, links(&after.data)).await
    }

    fn references(&self) -> Vec<Reference> {
        let mut refs = vec![
            Reference::new("patient_id", "patient", &self.patient_id),
            Reference::new("doctor_id", "doctor", &self.doctor_id),
        ];
        if let Some(a) = &self.admission_id {
            refs.push(Reference::new("admission_id", "admission", a));
        }
        refs
    }

    /// Newest request first.
    fn sort_key(&self) -> String {
        newest_first(&self.requested_at.map(rfc3339).unwrap_or_default())
    }

    fn index2(&self, id: &str) -> Option<(String, String)> {
        (self.status == ExamStatus::InProgress).then(|| {
            (
                IN_PROGRESS.to_string(),
                format!("{} {id}", self.started_at.map(rfc3339).unwrap_or_default()),
            )
        })
    }

    fn views(&self, id: &str) -> Vec<View> {
        let when = self.requested_at.map(rfc3339).unwrap_or_default();
        party_views("exam", &self.patient_id, &self.doctor_id, &when, id)
    }

    fn on_change(change: &Change<'_, Self>, tx: &mut Tx) {
        let (Some(before), Some(after)) = (change.before, change.after) else {
            return;
        };
        if after.data.status == ExamStatus::Completed && before.data.status != ExamStatus::Completed
        {
            tx.event(DomainEvent::new(
                "hospital.exams",
                "ExamCompleted",
                change.now,
                json!({
                    "exam_id": after.id,
                    "patient_id": after.data.patient_id,
                    "doctor_id": after.data.doctor_id,
                    "admission_id": after.data.admission_id,
                }),
            ));
        }
    }
}

/// Each `(field, id)` given must be a ULID.
pub(crate) fn ids_check(fields: &[(&str, Option<&String>)]) -> Vec<FieldError> {
    fields
        .iter()
        .filter(|(_, id)| id.is_some_and(|id| !ids::is_id(id)))
        .map(|(field, _)| FieldError::new(*field, "must be an id (ULID)"))
        .collect()
}

/// A clinical record's views by patient and by doctor, newest first.
pub(crate) fn party_views(
    kind: &str,
    patient: &str,
    doctor: &str,
    when: &str,
    id: &str,
) -> Vec<View> {
    let sk = format!("{} {id}", newest_first(when));
    vec![
        View {
            pk: format!("{kind}#patient#{patient}"),
            sk: sk.clone(),
        },
        View {
            pk: format!("{kind}#doctor#{doctor}"),
            sk,
        },
    ]
}

/// A sort key that lists later timestamps first: each digit replaced by its complement.
pub(crate) fn newest_first(when: &str) -> String {
    when.chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_digit(9 - d, 10).unwrap_or(c),
            None => c,
        })
        .collect()
}

/// `?patient_id=` or `?doctor_id=` (one of them, or neither: every record), with `only`.
pub(crate) fn party_filter(
    kind: &str,
    params: &[(&str, &str)],
    only: Vec<(String, String)>,
) -> DomainResult<Filter> {
    let get = |name: &str| params.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
    let party = match (get("patient_id"), get("doctor_id")) {
        (Some(_), Some(_)) => {
            return Err(DomainError::bad_request(
                "doctor_id",
                "filter by patient_id or by doctor_id, not both",
            ));
        }
        (Some(p), None) => Some(("patient", p)),
        (None, Some(d)) => Some(("doctor", d)),
        (None, None) => None,
    };
    match party {
        Some((name, id)) if !ids::is_id(id) => Err(DomainError::bad_request(
            format!("{name}_id"),
            format!("{name}_id must be an id (ULID)"),
        )),
        Some((name, id)) => Ok(Filter::View {
            pk: format!("{kind}#{name}#{id}"),
            sk: SkRange::All,
            only,
        }),
        None => Ok(Filter::Range {
            sk: SkRange::All,
            only,
        }),
    }
}
