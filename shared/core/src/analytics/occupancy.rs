//! RF17, AD01: bed occupancy by the census.
//!
//! For each sector and day D (census at 24:00 of D, [`super::counters`]):
//!
//! - patient-days = finished stays present at the census (counters written at transfer and
//!   discharge) + admissions in progress whose current stay in the sector began on or before
//!   D, + one for each admission admitted and discharged on D (no census seen);
//! - available bed-days = beds in the sector at the census (counters for the spells of beds
//!   that left it + the sector's beds now, from the day they joined it) − beds out of service
//!   (`maintenance` or `blocked`) at the census, counted the same way;
//! - occupancy = patient-days / available bed-days × 100.
//!
//! Days after today are not reported; today's census is the present, projected.

use super::counters::{CENSUS, Counters, days, local_date, minus_days};
use super::model::{Occupancy, OccupancyAlert, OccupancyRow, SectorOccupancy};
use super::{Period, Span, every, percent, records};
use crate::DomainResult;
use crate::admissions::Admission;
use crate::beds::Bed;
use crate::resource::{Deps, Record, Repository};
use crate::sectors::Sector;
use crate::store::{Index, Query, SkRange};
use chrono::NaiveDate;
use std::collections::HashMap;

/// Days above the threshold, ending on the range's last day, that raise the alert.
pub const ALERT_DAYS: usize = 3;

/// A sector's census, day by day over a window.
struct Census {
    first: NaiveDate,
    patient_days: Vec<i64>,
    available: Vec<i64>,
}

impl Census {
    fn zero(first: NaiveDate, len: usize) -> Self {
        Census {
            first,
            patient_days: vec![0; len],
            available: vec![0; len],
        }
    }

    fn index(&self, day: NaiveDate) -> Option<usize> {
        usize::try_from((day - self.first).num_days())
            .ok()
            .filter(|i| *i < self.patient_days.len())
    }

    fn add(&mut self, other: &Census) {
        for i in 0..self.patient_days.len() {
            self.patient_days[i] += other.patient_days[i];
            self.available[i] += other.available[i];
        }
    }

    /// Patient-days and available bed-days of `from..=to` (days outside the window count 0).
    fn sum(&self, from: NaiveDate, to: NaiveDate) -> (i64, i64) {
        days(from, to)
            .filter_map(|d| self.index(d))
            .fold((0, 0), |(p, a), i| {
                (p + self.patient_days[i], a + self.available[i])
            })
    }

    fn rows(&self, span: Span, period: Period) -> Vec<OccupancyRow> {
        period
            .starts(span)
            .into_iter()
            .map(|start| {
                let end = period.end(start).min(span.to);
                let (p, a) = self.sum(start.max(span.from), end);
                let (p7, a7) = self.sum(minus_days(end, 6), end);
                OccupancyRow {
                    start,
                    patient_days: p,
                    available_bed_days: a,
                    occupancy_percent: percent(p, a),
                    moving_average_7d_percent: percent(p7, a7),
                }
            })
            .collect()
    }

    /// The run of days above `threshold` percent ending on `span.to`, when it is long enough.
    fn alert(&self, span: Span, threshold: f64) -> Option<OccupancyAlert> {
        let above = |d: NaiveDate| {
            self.index(d).is_some_and(|i| {
                let (p, a) = (self.patient_days[i], self.available[i]);
                a > 0 && (p as f64) * 100.0 > threshold * a as f64
            })
        };
        let mut run = 0;
        let mut day = span.to;
        while day >= span.from && above(day) {
            run += 1;
            day = minus_days(day, 1);
        }
        (run >= ALERT_DAYS).then(|| OccupancyAlert {
            since: minus_days(span.to, run as u64 - 1),
            days: run as i64,
        })
    }
}

/// `GET /v1/analytics/occupancy`.
pub async fn occupancy(
    deps: &Deps,
    span: Span,
    period: Period,
    sector_id: Option<&str>,
    alert_percent: f64,
) -> DomainResult<Occupancy> {
    let today = deps.calendar.today();
    let sectors = match sector_id {
        Some(id) => vec![
            Repository::<Sector>::new(deps.clone())
                .get(None, id)
                .await?,
        ],
        None => every::<Sector>(deps).await?,
    };
    let shown = Span {
        from: span.from,
        to: span.to.min(today),
    };
    if shown.from > shown.to {
        return Ok(Occupancy {
            hospital: Vec::new(),
            sectors: sectors
                .into_iter()
                .map(|s| SectorOccupancy {
                    sector_id: s.id,
                    name: s.data.name,
                    rows: Vec::new(),
                    alert: None,
                })
                .collect(),
        });
    }
    // Six days before the range feed the first rows' moving averages.
    let window = Span {
        from: minus_days(shown.from, 6),
        to: shown.to,
    };
    let len = window.days() as usize;
    let counters = Counters::read(deps, CENSUS, window.from, window.to).await?;
    let mut hospital = Census::zero(window.from, len);
    let mut out = Vec::new();
    for sector in sectors {
        let census = sector_census(deps, &counters, &sector.id, window, today).await?;
        hospital.add(&census);
        out.push(SectorOccupancy {
            rows: census.rows(shown, period),
            alert: census.alert(shown, alert_percent),
            sector_id: sector.id,
            name: sector.data.name,
        });
    }
    Ok(Occupancy {
        hospital: hospital.rows(shown, period),
        sectors: out,
    })
}

async fn sector_census(
    deps: &Deps,
    counters: &Counters,
    sector_id: &str,
    window: Span,
    today: NaiveDate,
) -> DomainResult<Census> {
    let tz = deps.calendar.tz();
    let beds: Vec<Record<Bed>> = records(
        deps,
        Query::index(Index::Gsi2, format!("bed#sector#{sector_id}")),
    )
    .await?;
    let open: Vec<Record<Admission>> = records(
        deps,
        Query::table(format!("admission#sector#{sector_id}"))
            .sk(SkRange::BeginsWith("in_progress#".into())),
    )
    .await?;
    // What is open now counts from the day it began (its census onwards) to today.
    let mut since: HashMap<&str, Vec<NaiveDate>> = HashMap::new();
    for a in &open {
        if let Some(stay) = a.data.stays.last().filter(|s| s.to.is_none()) {
            since
                .entry("pd")
                .or_default()
                .push(local_date(stay.from, tz));
        }
    }
    for b in &beds {
        let joined = b.data.in_sector_since.unwrap_or(b.created_at);
        since
            .entry("beds")
            .or_default()
            .push(local_date(joined, tz));
        if b.data.out_of_service() {
            let at = b.data.status_since.unwrap_or(b.created_at);
            since.entry("out").or_default().push(local_date(at, tz));
        }
    }
    let open_on = |measure: &str, day: NaiveDate| -> i64 {
        if day > today {
            return 0;
        }
        since
            .get(measure)
            .map_or(0, |v| v.iter().filter(|s| **s <= day).count() as i64)
    };
    let mut census = Census::zero(window.from, window.days() as usize);
    for (i, day) in days(window.from, window.to).enumerate() {
        let get = |m: &str| counters.get(sector_id, day, m) + open_on(m, day);
        census.patient_days[i] = get("pd");
        census.available[i] = get("beds") - get("out");
    }
    Ok(census)
}
