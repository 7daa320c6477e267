//! RF18, AD02: appointments per doctor or specialty and period, by status, counted on the
//! day of `starts_at` (hospital time); and the specialties whose demand dropped.
//!
//! AD02: a specialty alerts when its appointments (cancelled excluded) in the 7 days ending
//! `to` are more than 20 % below its weekly average over the 28 days before those 7:
//! `weekly_average_4_weeks = A / 4`, `drop_percent = (A/4 − L) / (A/4) × 100` where L is the
//! last 7 days' count and A the 28 days' — it alerts when `drop_percent > 20`.

use super::counters::{
    APPOINTMENTS_BY_DOCTOR, APPOINTMENTS_BY_SPECIALTY, Counters, days, minus_days,
};
use super::model::{AppointmentAlert, AppointmentGroup, AppointmentRow, Appointments};
use super::{Period, Span, by_ids, percent, ratio};
use crate::appointments::AppointmentStatus;
use crate::doctors::Doctor;
use crate::resource::Deps;
use crate::specialties::Specialty;
use crate::{DomainError, DomainResult};
use chrono::NaiveDate;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Doctor,
    Specialty,
}

impl GroupBy {
    pub fn parse(v: Option<&str>) -> DomainResult<Self> {
        match v.unwrap_or("specialty") {
            "doctor" => Ok(GroupBy::Doctor),
            "specialty" => Ok(GroupBy::Specialty),
            other => Err(DomainError::bad_request(
                "group_by",
                format!("doctor or specialty, not {other:?}"),
            )),
        }
    }
}

fn row(
    counters: &Counters,
    group: &str,
    start: NaiveDate,
    from: NaiveDate,
    to: NaiveDate,
) -> AppointmentRow {
    let mut r = AppointmentRow {
        start,
        ..AppointmentRow::default()
    };
    for day in days(from, to) {
        for status in AppointmentStatus::ALL {
            let n = counters.get(group, day, status.as_str());
            r.total += n;
            *match status {
                AppointmentStatus::Booked => &mut r.booked,
                AppointmentStatus::CheckedIn => &mut r.checked_in,
                AppointmentStatus::Fulfilled => &mut r.fulfilled,
                AppointmentStatus::Cancelled => &mut r.cancelled,
                AppointmentStatus::Noshow => &mut r.noshow,
            } += n;
        }
    }
    r
}

/// `GET /v1/analytics/appointments`.
pub async fn appointments(
    deps: &Deps,
    span: Span,
    group_by: GroupBy,
    period: Period,
) -> DomainResult<Appointments> {
    let family = match group_by {
        GroupBy::Doctor => APPOINTMENTS_BY_DOCTOR,
        GroupBy::Specialty => APPOINTMENTS_BY_SPECIALTY,
    };
    let counters = Counters::read(deps, family, span.from, span.to).await?;
    let mut groups: Vec<AppointmentGroup> = Vec::new();
    let names = names(deps, group_by, &counters.groups).await?;
    for (id, name) in names {
        let rows: Vec<AppointmentRow> = period
            .starts(span)
            .into_iter()
            .map(|start| {
                let end = period.end(start).min(span.to);
                row(&counters, &id, start, start.max(span.from), end)
            })
            .collect();
        if rows.iter().any(|r| r.total > 0) {
            groups.push(AppointmentGroup { id, name, rows });
        }
    }
    groups.sort_by_key(|g| crate::validate::sort_text(&g.name));
    Ok(Appointments {
        groups,
        alerts: demand_alerts(deps, span.to).await?,
    })
}

/// Names of the groups, by id (a group whose record is gone keeps its id as name).
async fn names(
    deps: &Deps,
    group_by: GroupBy,
    ids: &[String],
) -> DomainResult<Vec<(String, String)>> {
    let found: Vec<(String, String)> = match group_by {
        GroupBy::Doctor => by_ids::<Doctor>(deps, ids)
            .await?
            .into_iter()
            .map(|r| (r.id, r.data.full_name))
            .collect(),
        GroupBy::Specialty => by_ids::<Specialty>(deps, ids)
            .await?
            .into_iter()
            .map(|r| (r.id, r.data.name))
            .collect(),
    };
    Ok(ids
        .iter()
        .map(|id| {
            let name = found
                .iter()
                .find(|(f, _)| f == id)
                .map_or_else(|| id.clone(), |(_, n)| n.clone());
            (id.clone(), name)
        })
        .collect())
}

/// AD02 for the 7 days ending `to`.
pub async fn demand_alerts(deps: &Deps, to: NaiveDate) -> DomainResult<Vec<AppointmentAlert>> {
    let first = minus_days(to, 34);
    let counters = Counters::read(deps, APPOINTMENTS_BY_SPECIALTY, first, to).await?;
    let held = |group: &str, from: NaiveDate, to: NaiveDate| -> i64 {
        let r = row(&counters, group, from, from, to);
        r.total - r.cancelled
    };
    let mut dropped = Vec::new();
    for id in &counters.groups {
        let last = held(id, minus_days(to, 6), to);
        let before = held(id, first, minus_days(to, 7));
        // last < 0.8 × before / 4, in integers.
        if before > 0 && 5 * last < before {
            dropped.push((id.clone(), last, before));
        }
    }
    let ids: Vec<String> = dropped.iter().map(|(id, _, _)| id.clone()).collect();
    let names = names(deps, GroupBy::Specialty, &ids).await?;
    let mut alerts: Vec<AppointmentAlert> = dropped
        .into_iter()
        .zip(names)
        .map(|((id, last, before), (_, name))| AppointmentAlert {
            specialty_id: id,
            name,
            last_7_days: last,
            weekly_average_4_weeks: ratio(before, 4, 2).unwrap_or(0.0),
            drop_percent: percent(before - 4 * last, before).unwrap_or(0.0),
        })
        .collect();
    alerts.sort_by_key(|a| crate::validate::sort_text(&a.name));
    Ok(alerts)
}
