//! Billing entries (RF12): what a patient's stay or appointment is charged, to an insurer or
//! to the patient (private pay), as integer cents.
//!
//! - Status: `pending` → `paid` (with `paid_on`) or `pending` → `cancelled` (with a reason);
//!   a paid or cancelled entry no longer changes. While pending, the other fields may be
//!   corrected.
//! - Dates: `issued_on` (default today, not in the future), `due_on` ≥ `issued_on`, `paid_on`
//!   ≥ `issued_on` and not in the future.
//! - Pending entries are indexed by due date (the overdue scan, `?due_before=`).

use crate::error::{DomainResult, FieldError};
use crate::events::DomainEvent;
use crate::exams::{ids_check, newest_first};
use crate::resource::{
    Change, Filter, FilterKind, Reference, Resource, Tx, ULID_SCHEMA, Unique, View,
};
use crate::store::SkRange;
use crate::time::Calendar;
use crate::{DomainError, ids};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BillingStatus {
    #[default]
    Pending,
    Paid,
    Cancelled,
}

impl BillingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BillingStatus::Pending => "pending",
            BillingStatus::Paid => "paid",
            BillingStatus::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Paid, Self::Cancelled]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// ISO 4217; the hospital bills in reais.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum Currency {
    #[default]
    #[allow(clippy::upper_case_acronyms)]
    BRL,
}

/// How the entry came to be.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BillingOrigin {
    /// Entered by billing staff.
    #[default]
    Manual,
    /// Billed automatically when the patient was discharged.
    Discharge,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BillingEntry {
    #[schema(pattern = r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")]
    pub patient_id: String,
    /// The paying insurer; absent for private pay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")]
    pub insurer_id: Option<String>,
    /// The stay billed, if any (at most one of admission_id and appointment_id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")]
    pub admission_id: Option<String>,
    /// The appointment billed, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")]
    pub appointment_id: Option<String>,
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500, example = "Diárias de internação")]
    pub description: String,
    /// Integer cents, more than zero.
    #[validate(range(min = 1, max = 100_000_000_000_i64))]
    #[schema(minimum = 1, maximum = 100_000_000_000_i64, example = 125000)]
    pub amount_cents: i64,
    #[serde(default)]
    pub currency: Currency,
    /// YYYY-MM-DD; today when absent; not in the future.
    #[serde(
        default,
        with = "crate::time::date_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = Date, pattern = r"^(19[0-9]{2}|20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub issued_on: Option<NaiveDate>,
    /// YYYY-MM-DD, on or after issued_on.
    #[serde(with = "crate::time::date")]
    #[schema(value_type = String, format = Date, pattern = r"^(19[0-9]{2}|20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub due_on: NaiveDate,
    #[serde(default)]
    pub status: BillingStatus,
    /// Required when paid: on or after issued_on, not in the future.
    #[serde(
        default,
        with = "crate::time::date_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = Date, pattern = r"^(19[0-9]{2}|20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub paid_on: Option<NaiveDate>,
    /// Required when cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub cancel_reason: Option<String>,
    /// Set by the server.
    #[serde(default)]
    #[schema(read_only)]
    pub origin: BillingOrigin,
}

/// The index partition of pending entries, by due date.
pub const PENDING: &str = "billing#pending";

const STATUS_SCHEMA: &str = r#"{"type": "string", "enum": ["pending", "paid", "cancelled"]}"#;

impl Resource for BillingEntry {
    const KIND: &'static str = "billing_entry";
    const DELETABLE: bool = false;
    const SERVER_FIELDS: &'static [&'static str] = &["origin"];
    const FILTERS: &'static [(&'static str, FilterKind)] = &[
        (
            "insurer_id",
            FilterKind::Custom {
                description: "The insurer's entries, newest issue first (with status too)",
                schema: ULID_SCHEMA,
            },
        ),
        (
            "patient_id",
            FilterKind::Custom {
                description: "The patient's entries, newest issue first (with status too)",
                schema: ULID_SCHEMA,
            },
        ),
        (
            "status",
            FilterKind::Custom {
                description: "Only entries in this status; a page may then hold fewer than `limit` items while next_cursor goes on",
                schema: STATUS_SCHEMA,
            },
        ),
        (
            "due_before",
            FilterKind::Custom {
                description: "Pending entries due before this day (YYYY-MM-DD), earliest due first; alone",
                schema: crate::time::DATE_SCHEMA,
            },
        ),
    ];

    fn filter(params: &[(&str, &str)], _calendar: &Calendar) -> DomainResult<Filter> {
        let get = |name: &str| params.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        if let Some(d) = get("due_before") {
            if params.len() > 1 {
                return Err(DomainError::bad_request(
                    "due_before",
                    "due_before lists pending entries on its own",
                ));
            }
            let day = crate::time::parse_date(d)
                .map_err(|m| DomainError::bad_request("due_before", m))?;
            return Ok(Filter::Index2 {
                pk: PENDING.into(),
                sk: SkRange::Between("0".into(), day.to_string()),
                only: Vec::new(),
            });
        }
        let only = match get("status") {
            Some(s) => match BillingStatus::parse(s) {
                Some(s) => vec![("status".to_string(), s.as_str().to_string())],
                None => {
                    return Err(DomainError::bad_request(
                        "status",
                        format!("unknown billing status {s:?}"),
                    ));
                }
            },
            None => Vec::new(),
        };
        let party = match (get("insurer_id"), get("patient_id")) {
            (Some(_), Some(_)) => {
                return Err(DomainError::bad_request(
                    "patient_id",
                    "filter by insurer_id or by patient_id, not both",
                ));
            }
            (Some(i), None) => Some(("insurer", i)),
            (None, Some(p)) => Some(("patient", p)),
            (None, None) => None,
        };
        match party {
            Some((name, id)) if !ids::is_id(id) => Err(DomainError::bad_request(
                format!("{name}_id"),
                format!("{name}_id must be an id (ULID)"),
            )),
            Some((name, id)) => Ok(Filter::View {
                pk: format!("billing#{name}#{id}"),
                sk: SkRange::All,
                only,
            }),
            None if only.first().is_some_and(|(_, s)| s == "pending") => Ok(Filter::Index2 {
                pk: PENDING.into(),
                sk: SkRange::All,
                only: Vec::new(),
            }),
            None => Ok(Filter::Range {
                sk: SkRange::All,
                only,
            }),
        }
    }

    fn normalize(&mut self) {
        self.description = self.description.trim().to_string();
        self.cancel_reason = self
            .cancel_reason
            .take()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
    }

    fn check(&self, calendar: &Calendar) -> Vec<FieldError> {
        let mut errors = ids_check(&[
            ("patient_id", Some(&self.patient_id)),
            ("insurer_id", self.insurer_id.as_ref()),
            ("admission_id", self.admission_id.as_ref()),
            ("appointment_id", self.appointment_id.as_ref()),
        ]);
        if self.admission_id.is_some() && self.appointment_id.is_some() {
            errors.push(FieldError::new(
                "appointment_id",
                "an entry bills an admission or an appointment, not both",
            ));
        }
        let today = calendar.today();
        let issued = self.issued_on.unwrap_or(today);
        if issued > today {
            errors.push(FieldError::new("issued_on", "must not be in the future"));
        }
        if self.due_on < issued {
            errors.push(FieldError::new("due_on", "must be on or after issued_on"));
        }
        match (self.status, self.paid_on) {
            (BillingStatus::Paid, None) => {
                errors.push(FieldError::new("paid_on", "is required to pay an entry"))
            }
            (BillingStatus::Paid, Some(p)) if p < issued => {
                errors.push(FieldError::new("paid_on", "must be on or after issued_on"))
            }
            (BillingStatus::Paid, Some(p)) if p > today => {
                errors.push(FieldError::new("paid_on", "must not be in the future"))
            }
            (BillingStatus::Paid, Some(_)) | (_, None) => {}
            (_, Some(_)) => errors.push(FieldError::new("paid_on", "is only for a paid entry")),
        }
        match (self.status, &self.cancel_reason) {
            (BillingStatus::Cancelled, None) => errors.push(FieldError::new(
                "cancel_reason",
                "is required to cancel an entry",
            )),
            (BillingStatus::Cancelled, Some(_)) | (_, None) => {}
            (_, Some(_)) => errors.push(FieldError::new(
                "cancel_reason",
                "is only for a cancelled entry",
            )),
        }
        errors
    }

    fn check_change(&self, before: Option<&Self>, _calendar: &Calendar) -> Vec<FieldError> {
        let Some(b) = before else {
            return if self.status == BillingStatus::Pending {
                Vec::new()
            } else {
                vec![FieldError::new("status", "a new entry is pending")]
            };
        };
        if b.status != BillingStatus::Pending && self != b {
            return vec![FieldError::new(
                "status",
                format!("a {} entry no longer changes", b.status.as_str()),
            )];
        }
        let mut errors = Vec::new();
        if self.patient_id != b.patient_id {
            errors.push(FieldError::new("patient_id", "cannot change"));
        }
        // Set at creation (today by default): it may be corrected, not removed.
        if self.issued_on.is_none() {
            errors.push(FieldError::new(
                "issued_on",
                "cannot be removed; correct it instead",
            ));
        }
        errors
    }

    fn stamp(&mut self, before: Option<&Self>, _now: DateTime<Utc>, today: NaiveDate) {
        // A missing issue date is the day of creation.
        if before.is_none() && self.issued_on.is_none() {
            self.issued_on = Some(today);
        }
    }

    /// The stay or appointment billed is the patient's.
    async fn plan<'a>(
        change: &'a crate::resource::Change<'a, Self>,
        deps: &'a crate::resource::Deps,
        _tx: &'a mut crate::resource::Tx,
    ) -> DomainResult<()> {
        let Some(after) = change.after else {
            return Ok(());
        };
        let (before, a) = (change.before.map(|b| &b.data), &after.data);
        let moved = |b: &Self| b.patient_id != a.patient_id;
        if before.is_none_or(|b| moved(b) || b.admission_id != a.admission_id) {
            crate::patients::same_patient::<crate::admissions::Admission>(
                deps,
                "admission_id",
                a.admission_id.as_deref(),
                &a.patient_id,
                |x| &x.patient_id,
            )
            .await?;
        }
        if before.is_none_or(|b| moved(b) || b.appointment_id != a.appointment_id) {
            crate::patients::same_patient::<crate::appointments::Appointment>(
                deps,
                "appointment_id",
                a.appointment_id.as_deref(),
                &a.patient_id,
                |x| &x.patient_id,
            )
            .await?;
        }
        Ok(())
    }

    fn references(&self) -> Vec<Reference> {
        let mut refs = vec![Reference::new("patient_id", "patient", &self.patient_id)];
        if let Some(i) = &self.insurer_id {
            refs.push(Reference::new("insurer_id", "insurer", i));
        }
        if let Some(a) = &self.admission_id {
            refs.push(Reference::new("admission_id", "admission", a));
        }
        if let Some(a) = &self.appointment_id {
            refs.push(Reference::new("appointment_id", "appointment", a));
        }
        refs
    }

    fn uniques(&self) -> Vec<Unique> {
        // One automatic bill per stay: a discharge delivered twice bills once.
        match (self.origin, &self.admission_id) {
            (BillingOrigin::Discharge, Some(a)) => vec![Unique {
                field: "admission_id",
                value: a.clone(),
            }],
            _ => Vec::new(),
        }
    }

    /// Newest issue first.
    fn sort_key(&self) -> String {
        newest_first(&self.issued_on.map(|d| d.to_string()).unwrap_or_default())
    }

    fn index2(&self, id: &str) -> Option<(String, String)> {
        (self.status == BillingStatus::Pending)
            .then(|| (PENDING.to_string(), format!("{} {id}", self.due_on)))
    }

    /// RF19: by insurer and day of issue: entries, billed, received, and what is still
    /// pending by due date (overdue is pending past due, which depends on the day asked).
    fn counts(&self, _tz: chrono_tz::Tz) -> Vec<crate::resource::Count> {
        use crate::analytics::counters::{BILLING, PRIVATE, count};
        let (Some(day), false) = (self.issued_on, self.status == BillingStatus::Cancelled) else {
            return Vec::new();
        };
        let group = self.insurer_id.as_deref().unwrap_or(PRIVATE);
        let amount = self.amount_cents;
        let mut counts = vec![
            count(BILLING, group, day, "entries", 1),
            count(BILLING, group, day, "billed", amount),
        ];
        match self.status {
            BillingStatus::Paid => counts.push(count(BILLING, group, day, "received", amount)),
            BillingStatus::Pending => counts.push(count(
                BILLING,
                group,
                day,
                &format!("due_{}", self.due_on.format("%Y%m%d")),
                amount,
            )),
            BillingStatus::Cancelled => {}
        }
        counts
    }

    fn views(&self, id: &str) -> Vec<View> {
        let sk = format!("{} {id}", self.sort_key());
        let mut views = vec![View {
            pk: format!("billing#patient#{}", self.patient_id),
            sk: sk.clone(),
        }];
        if let Some(i) = &self.insurer_id {
            views.push(View {
                pk: format!("billing#insurer#{i}"),
                sk,
            });
        }
        views
    }

    fn on_change(change: &Change<'_, Self>, tx: &mut Tx) {
        let (Some(before), Some(after)) = (change.before, change.after) else {
            return;
        };
        if after.data.status == BillingStatus::Paid && before.data.status != BillingStatus::Paid {
            tx.event(DomainEvent::new(
                "hospital.billing",
                "BillingEntryPaid",
                change.now,
                json!({
                    "billing_entry_id": after.id,
                    "patient_id": after.data.patient_id,
                    "insurer_id": after.data.insurer_id,
                    "amount_cents": after.data.amount_cents,
                    "paid_on": after.data.paid_on.map(|d| d.to_string()),
                }),
            ));
        }
    }
}
