//! Appointments (RF04): a patient booked with a doctor, in one of the doctor's specialties.
//!
//! - Status, as FHIR's Appointment: `booked` → `checked_in` → `fulfilled`; `booked` or
//!   `checked_in` → `cancelled` (with a reason); `booked` → `noshow`.
//! - Times: `starts_at` (RFC 3339) on the hospital's today or later when booked or moved;
//!   `duration_minutes` 5 to 240. Moving an appointment (its time, doctor or specialty) is only
//!   possible while it is `booked`.
//! - Neither the doctor nor the patient can hold two appointments that overlap: each party has
//!   an agenda of booked intervals per day ([`crate::intervals`]), written in the booking's
//!   transaction conditional on what was read, so two concurrent bookings of one slot can't both
//!   commit. A cancelled or no-show appointment frees its time.
//! - When: a check-in from two hours before the start; fulfilled or a no-show only once the
//!   start has come (either may be recorded late).

use crate::error::{DomainResult, FieldError};
use crate::events::DomainEvent;
use crate::intervals::{self, Span, Timeline};
use crate::resource::tx::RuleError;
use crate::resource::{
    Change, Deps, Filter, FilterKind, Reference, Resource, Tx, ULID_SCHEMA, View,
};
use crate::store::SkRange;
use crate::time::Calendar;
use crate::{DomainError, ids};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use validator::Validate;

/// FHIR Appointment.status, the subset a hospital's front desk uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentStatus {
    #[default]
    Booked,
    CheckedIn,
    Fulfilled,
    Cancelled,
    Noshow,
}

impl AppointmentStatus {
    pub const ALL: [AppointmentStatus; 5] = [
        AppointmentStatus::Booked,
        AppointmentStatus::CheckedIn,
        AppointmentStatus::Fulfilled,
        AppointmentStatus::Cancelled,
        AppointmentStatus::Noshow,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            AppointmentStatus::Booked => "booked",
            AppointmentStatus::CheckedIn => "checked_in",
            AppointmentStatus::Fulfilled => "fulfilled",
            AppointmentStatus::Cancelled => "cancelled",
            AppointmentStatus::Noshow => "noshow",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
    /// Whether the appointment holds its time in the agendas.
    pub fn holds_time(self) -> bool {
        !matches!(
            self,
            AppointmentStatus::Cancelled | AppointmentStatus::Noshow
        )
    }
}

/// How long before its start an appointment's check-in opens.
pub const CHECK_IN_OPENS_HOURS: i64 = 2;

fn thirty() -> u32 {
    30
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Appointment {
    #[schema(pattern = r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")]
    pub patient_id: String,
    #[schema(pattern = r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")]
    pub doctor_id: String,
    /// One of the doctor's specialties.
    #[schema(pattern = r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")]
    pub specialty_id: String,
    /// RFC 3339; the hospital's today or later when booked or moved.
    #[serde(with = "crate::time::instant")]
    #[schema(value_type = String, format = DateTime, example = "2026-03-02T10:00:00-03:00")]
    pub starts_at: DateTime<Utc>,
    /// 5 to 240 (default 30).
    #[serde(default = "thirty")]
    #[validate(range(min = 5, max = 240))]
    #[schema(minimum = 5, maximum = 240, default = 30)]
    pub duration_minutes: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
    /// `booked` on creation; then by PATCH: `checked_in` from 2 hours before `starts_at`,
    /// `fulfilled` (after a check-in) or `noshow` once `starts_at` has come, `cancelled` (with
    /// a reason) while booked or checked in.
    #[serde(default)]
    pub status: AppointmentStatus,
    /// Required when cancelling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub cancel_reason: Option<String>,
}

impl Appointment {
    pub fn ends_at(&self) -> DateTime<Utc> {
        self.starts_at + Duration::minutes(i64::from(self.duration_minutes))
    }
    fn time(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        self.status
            .holds_time()
            .then(|| (self.starts_at, self.ends_at()))
    }
    fn moved_from(&self, before: &Self) -> bool {
        self.starts_at != before.starts_at
            || self.duration_minutes != before.duration_minutes
            || self.doctor_id != before.doctor_id
            || self.specialty_id != before.specialty_id
    }
    /// Why the status this appointment moves to can't be reached yet: a check-in opens
    /// [`CHECK_IN_OPENS_HOURS`] before the start; a fulfilment or a no-show needs the start
    /// to have come. Late ones are fine (records caught up after the fact).
    fn too_early(&self, calendar: &Calendar) -> Option<FieldError> {
        let opens = match self.status {
            AppointmentStatus::CheckedIn => self.starts_at - Duration::hours(CHECK_IN_OPENS_HOURS),
            AppointmentStatus::Fulfilled | AppointmentStatus::Noshow => self.starts_at,
            _ => return None,
        };
        (calendar.now() < opens).then(|| {
            let local = opens.with_timezone(&calendar.tz());
            let what = match self.status {
                AppointmentStatus::CheckedIn => {
                    format!("check-in opens {CHECK_IN_OPENS_HOURS} hours before the appointment")
                }
                _ => format!(
                    "an appointment is {} only once it has started",
                    self.status.as_str()
                ),
            };
            FieldError::new(
                "status",
                format!("too early: {what}, at {}", local.format("%Y-%m-%d %H:%M")),
            )
        })
    }
    /// The sort key of lists: by start time.
    fn when(&self, id: &str) -> String {
        format!("{} {id}", crate::resource::record::rfc3339(self.starts_at))
    }
}

const STATUS_SCHEMA: &str =
    r#"{"type": "string", "enum": ["booked", "checked_in", "fulfilled", "cancelled", "noshow"]}"#;

impl Resource for Appointment {
    const KIND: &'static str = "appointment";
    const DELETABLE: bool = false;
    const MULTILINE: &'static [&'static str] = &["notes"];
    const FILTERS: &'static [(&'static str, FilterKind)] = &[
        (
            "doctor_id",
            FilterKind::Custom {
                description: "The doctor's appointments (with date and status too)",
                schema: ULID_SCHEMA,
            },
        ),
        (
            "patient_id",
            FilterKind::Custom {
                description: "The patient's appointments (with date and status too)",
                schema: ULID_SCHEMA,
            },
        ),
        (
            "date",
            FilterKind::Custom {
                description: "Appointments starting on this day (YYYY-MM-DD, hospital time zone)",
                schema: crate::time::DATE_SCHEMA,
            },
        ),
        (
            "status",
            FilterKind::Custom {
                description: "Only appointments in this status; a page may then hold fewer than `limit` items while next_cursor goes on",
                schema: STATUS_SCHEMA,
            },
        ),
    ];

    fn filter(params: &[(&str, &str)], calendar: &Calendar) -> DomainResult<Filter> {
        filter(params, calendar)
    }

    fn normalize(&mut self) {
        self.notes = self
            .notes
            .take()
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty());
        self.cancel_reason = self.cancel_reason.take().map(|r| r.trim().to_string());
    }

    fn check(&self, _calendar: &Calendar) -> Vec<FieldError> {
        let mut errors = Vec::new();
        for (field, id) in [
            ("patient_id", &self.patient_id),
            ("doctor_id", &self.doctor_id),
            ("specialty_id", &self.specialty_id),
        ] {
            if !ids::is_id(id) {
                errors.push(FieldError::new(field, "must be an id (ULID)"));
            }
        }
        match (self.status, &self.cancel_reason) {
            (AppointmentStatus::Cancelled, None) => errors.push(FieldError::new(
                "cancel_reason",
                "is required to cancel an appointment",
            )),
            (AppointmentStatus::Cancelled, Some(_)) | (_, None) => {}
            (_, Some(_)) => errors.push(FieldError::new(
                "cancel_reason",
                "is only for a cancelled appointment",
            )),
        }
        errors
    }

    fn check_change(&self, before: Option<&Self>, calendar: &Calendar) -> Vec<FieldError> {
        use AppointmentStatus::*;
        let mut errors = Vec::new();
        let today = calendar.today();
        let starts_on = self.starts_at.with_timezone(&calendar.tz()).date_naive();
        match before {
            None => {
                if self.status != Booked {
                    errors.push(FieldError::new("status", "a new appointment is booked"));
                }
                if starts_on < today {
                    errors.push(FieldError::new(
                        "starts_at",
                        "must be today or later (hospital time zone)",
                    ));
                }
            }
            Some(b) => {
                if self.patient_id != b.patient_id {
                    errors.push(FieldError::new(
                        "patient_id",
                        "cannot change; cancel and book again",
                    ));
                }
                if self.moved_from(b) {
                    if b.status != Booked || self.status != Booked {
                        errors.push(FieldError::new(
                            "starts_at",
                            "only a booked appointment can be moved",
                        ));
                    } else if starts_on < today {
                        errors.push(FieldError::new(
                            "starts_at",
                            "must be today or later (hospital time zone)",
                        ));
                    }
                }
                let allowed = matches!(
                    (b.status, self.status),
                    (Booked, CheckedIn)
                        | (CheckedIn, Fulfilled)
                        | (Booked | CheckedIn, Cancelled)
                        | (Booked, Noshow)
                ) || b.status == self.status;
                if !allowed {
                    errors.push(FieldError::new(
                        "status",
                        format!(
                            "an appointment cannot go from {} to {}",
                            b.status.as_str(),
                            self.status.as_str()
                        ),
                    ));
                }
                if allowed && b.status != self.status {
                    errors.extend(self.too_early(calendar));
                }
                if b.status == self.status
                    && matches!(b.status, Cancelled)
                    && self.cancel_reason != b.cancel_reason
                {
                    errors.push(FieldError::new(
                        "cancel_reason",
                        "a cancelled appointment no longer changes",
                    ));
                }
                if matches!(b.status, Fulfilled | Cancelled | Noshow) && self != b {
                    errors.push(FieldError::new(
                        "status",
                        format!("a {} appointment no longer changes", b.status.as_str()),
                    ));
                }
            }
        }
        errors
    }

    fn references(&self) -> Vec<Reference> {
        vec![
            Reference::new("patient_id", "patient", &self.patient_id),
            Reference::new("doctor_id", "doctor", &self.doctor_id),
            Reference::new("specialty_id", "specialty", &self.specialty_id),
        ]
    }

    fn sort_key(&self) -> String {
        crate::resource::record::rfc3339(self.starts_at)
    }

    fn index2(&self, id: &str) -> Option<(String, String)> {
        Some((
            format!("appointment#doctor#{}", self.doctor_id),
            self.when(id),
        ))
    }

    /// RF18: one per appointment on its day and status, by doctor and by specialty.
    fn counts(&self, tz: chrono_tz::Tz) -> Vec<crate::resource::Count> {
        use crate::analytics::counters::{
            APPOINTMENTS_BY_DOCTOR, APPOINTMENTS_BY_SPECIALTY, count, local_date,
        };
        let day = local_date(self.starts_at, tz);
        let status = self.status.as_str();
        vec![
            count(APPOINTMENTS_BY_DOCTOR, &self.doctor_id, day, status, 1),
            count(
                APPOINTMENTS_BY_SPECIALTY,
                &self.specialty_id,
                day,
                status,
                1,
            ),
        ]
    }

    fn views(&self, id: &str) -> Vec<View> {
        vec![View {
            pk: format!("appointment#patient#{}", self.patient_id),
            sk: self.when(id),
        }]
    }

    fn on_change(change: &Change<'_, Self>, tx: &mut Tx) {
        let Some(after) = change.after else { return };
        let a = &after.data;
        let detail = json!({
            "appointment_id": after.id,
            "patient_id": a.patient_id,
            "doctor_id": a.doctor_id,
            "specialty_id": a.specialty_id,
            "starts_at": crate::resource::record::rfc3339(a.starts_at),
            "duration_minutes": a.duration_minutes,
            "status": a.status.as_str(),
        });
        let event =
            |t: &str| DomainEvent::new("hospital.appointments", t, change.now, detail.clone());
        match change.before {
            None => tx.event(event("AppointmentBooked")),
            Some(b) => {
                if a.status == AppointmentStatus::Cancelled && b.data.status != a.status {
                    tx.event(event("AppointmentCancelled"));
                }
                if a.starts_at != b.data.starts_at || a.duration_minutes != b.data.duration_minutes
                {
                    tx.event(event("AppointmentRescheduled"));
                }
            }
        }
    }

    async fn plan<'a>(
        change: &'a Change<'a, Self>,
        deps: &'a Deps,
        tx: &'a mut Tx,
    ) -> DomainResult<()> {
        {
            let Some(after) = change.after else {
                return Ok(());
            };
            let before = change.before.map(|b| &b.data);
            let a = &after.data;
            if before.is_none_or(|b| b.doctor_id != a.doctor_id || b.specialty_id != a.specialty_id)
            {
                check_doctor(deps, a).await?;
            }
            let tz = deps.calendar.tz();
            for (holder, field, was, now) in [
                (
                    format!("agenda#doctor#{}", a.doctor_id),
                    "the doctor",
                    before
                        .filter(|b| b.doctor_id == a.doctor_id)
                        .and_then(Appointment::time),
                    a.time(),
                ),
                (
                    format!("agenda#patient#{}", a.patient_id),
                    "the patient",
                    before.and_then(Appointment::time),
                    a.time(),
                ),
            ] {
                let timeline = Timeline::new(holder, Span::Day, tz);
                if let Some(other) =
                    intervals::retime(deps, tx, &timeline, &after.id, was, now).await?
                {
                    return Err(RuleError::conflict(
                        "starts_at",
                        format!(
                            "{field} already has appointment {} at that time ({})",
                            other.id,
                            intervals::describe(&other, tz)
                        ),
                    )
                    .into());
                }
            }
            // A doctor changed on a booked appointment: the old doctor's agenda frees the time.
            if let Some(b) = before.filter(|b| b.doctor_id != a.doctor_id) {
                let timeline =
                    Timeline::new(format!("agenda#doctor#{}", b.doctor_id), Span::Day, tz);
                intervals::retime(deps, tx, &timeline, &after.id, b.time(), None).await?;
            }
            Ok(())
        }
    }
}

/// The doctor must be active and hold the specialty booked.
async fn check_doctor(deps: &Deps, a: &Appointment) -> DomainResult<()> {
    let doctor = crate::doctors::active(deps, &a.doctor_id, "doctor_id").await?;
    if !doctor.data.specialty_ids.contains(&a.specialty_id) {
        return Err(DomainError::invalid(
            "specialty_id",
            "the doctor does not practise this specialty",
        ));
    }
    Ok(())
}

/// `?doctor_id=`, `?patient_id=` or neither; `&date=` narrows to a day, `&status=` to a status.
fn filter(params: &[(&str, &str)], calendar: &Calendar) -> DomainResult<Filter> {
    let get = |name: &str| params.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
    if let (Some(_), Some(_)) = (get("doctor_id"), get("patient_id")) {
        return Err(DomainError::bad_request(
            "patient_id",
            "filter by doctor_id or by patient_id, not both",
        ));
    }
    let id = |name: &str, v: &str| {
        if ids::is_id(v) {
            Ok(v.to_string())
        } else {
            Err(DomainError::bad_request(
                name,
                format!("{name} must be an id (ULID)"),
            ))
        }
    };
    let only = match get("status") {
        Some(s) => match AppointmentStatus::parse(s) {
            Some(s) => vec![("status".to_string(), s.as_str().to_string())],
            None => {
                return Err(DomainError::bad_request(
                    "status",
                    format!("unknown appointment status {s:?}"),
                ));
            }
        },
        None => Vec::new(),
    };
    let sk = match get("date") {
        Some(d) => {
            let day =
                crate::time::parse_date(d).map_err(|m| DomainError::bad_request("date", m))?;
            let (from, to) = crate::time::day_bounds(day, calendar.tz());
            // From the day's first instant up to, not including, the next day's.
            SkRange::Between(
                crate::resource::record::rfc3339(from),
                crate::resource::record::rfc3339(to),
            )
        }
        None => SkRange::All,
    };
    if let Some(d) = get("doctor_id") {
        return Ok(Filter::Index2 {
            pk: format!("appointment#doctor#{}", id("doctor_id", d)?),
            sk,
            only,
        });
    }
    if let Some(p) = get("patient_id") {
        return Ok(Filter::View {
            pk: format!("appointment#patient#{}", id("patient_id", p)?),
            sk,
            only,
        });
    }
    Ok(Filter::Range { sk, only })
}
