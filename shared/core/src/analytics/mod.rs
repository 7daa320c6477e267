//! The managers' view (RF17–RF21, RF25, AD01–AD05): indicators computed from counters the
//! operations keep in the same transactions as their changes, so a day's figures never
//! depend on whether or when a job ran, and a query reads items in proportion to its range
//! and to the number of sectors, doctors or insurers — never to the length of the history.
//! The formulas are written once more, for people, in `docs/analytics.md`.
//!
//! - [`counters`]: the counter items and the census convention;
//! - [`occupancy`], [`appointments`], [`billing`], [`stays`] (length of stay, readmissions),
//!   [`coverage`]: one indicator each;
//! - [`report`]: the daily report that gathers them (RF25);
//! - [`model`]: the answers' shapes.

pub mod appointments;
pub mod billing;
pub mod counters;
pub mod coverage;
pub mod model;
pub mod occupancy;
pub mod report;
pub mod stays;

use crate::resource::{Deps, Record, Resource};
use crate::store::{Index, Query};
use crate::time::parse_date;
use crate::{DomainError, DomainResult};
use chrono::{Datelike, NaiveDate};

/// The longest range a query may span, in days.
pub const MAX_DAYS: i64 = 366;

/// An inclusive range of the hospital's days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Span {
    /// `from` and `to` as given (`YYYY-MM-DD`, both required, `from` ≤ `to`, at most
    /// [`MAX_DAYS`] days).
    pub fn parse(from: Option<&str>, to: Option<&str>) -> DomainResult<Self> {
        let date = |name: &str, v: Option<&str>| -> DomainResult<NaiveDate> {
            let v = v.ok_or_else(|| DomainError::bad_request(name, "required (YYYY-MM-DD)"))?;
            parse_date(v).map_err(|e| DomainError::bad_request(name, e))
        };
        let span = Span {
            from: date("from", from)?,
            to: date("to", to)?,
        };
        span.check()?;
        Ok(span)
    }

    pub fn check(&self) -> DomainResult<()> {
        if self.from > self.to {
            return Err(DomainError::bad_request("to", "must not be before from"));
        }
        if self.days() > MAX_DAYS {
            return Err(DomainError::bad_request(
                "to",
                format!("a range spans at most {MAX_DAYS} days"),
            ));
        }
        Ok(())
    }

    /// The days it spans.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The `n` days ending `day`.
    pub fn ending(day: NaiveDate, n: u64) -> Self {
        Span {
            from: counters::minus_days(day, n.saturating_sub(1)),
            to: day,
        }
    }
}

/// How rows are grouped in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Day,
    /// ISO weeks, from Monday.
    Week,
    Month,
}

impl Period {
    pub fn parse(v: Option<&str>, allowed: &[Period]) -> DomainResult<Self> {
        let p = match v.unwrap_or("day") {
            "day" => Period::Day,
            "week" => Period::Week,
            "month" => Period::Month,
            other => {
                return Err(DomainError::bad_request(
                    "period",
                    format!("unknown period {other:?}"),
                ));
            }
        };
        if !allowed.contains(&p) {
            let names: Vec<&str> = allowed.iter().map(|p| p.as_str()).collect();
            return Err(DomainError::bad_request(
                "period",
                format!("one of {}", names.join(", ")),
            ));
        }
        Ok(p)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }

    /// The first day of the period holding `day`.
    pub fn start(self, day: NaiveDate) -> NaiveDate {
        match self {
            Period::Day => day,
            Period::Week => {
                counters::minus_days(day, u64::from(day.weekday().num_days_from_monday()))
            }
            Period::Month => day.with_day(1).unwrap_or(day),
        }
    }

    /// The last day of the period starting `start`.
    pub fn end(self, start: NaiveDate) -> NaiveDate {
        match self {
            Period::Day => start,
            Period::Week => start + chrono::Days::new(6),
            Period::Month => start
                .checked_add_months(chrono::Months::new(1))
                .and_then(|d| d.pred_opt())
                .unwrap_or(start),
        }
    }

    /// The starts of the periods `span` touches, in order.
    pub fn starts(self, span: Span) -> Vec<NaiveDate> {
        let mut out: Vec<NaiveDate> = Vec::new();
        for day in counters::days(span.from, span.to) {
            let s = self.start(day);
            if out.last() != Some(&s) {
                out.push(s);
            }
        }
        out
    }
}

/// `num / den`, rounded half up to `decimals` places (exact: integer arithmetic); `None` when
/// `den` is 0.
pub fn ratio(num: i64, den: i64, decimals: u32) -> Option<f64> {
    if den == 0 {
        return None;
    }
    let scale = 10_i128.pow(decimals);
    let (n, d) = (i128::from(num) * scale, i128::from(den));
    // Half up (away from zero on ties), signs handled on magnitudes.
    let q = (2 * n.abs() + d.abs()) / (2 * d.abs());
    let q = if (n < 0) != (d < 0) { -q } else { q };
    Some(q as f64 / scale as f64)
}

/// `num / den × 100` to one decimal.
pub fn percent(num: i64, den: i64) -> Option<f64> {
    ratio(num * 100, den, 1)
}

/// Every record of a top-level resource (a catalogue: sectors, insurers, medications).
pub async fn every<R: Resource>(deps: &Deps) -> DomainResult<Vec<Record<R>>> {
    records(deps, Query::index(Index::Gsi1, R::KIND)).await
}

/// The records a query returns (items or views of `R`).
pub async fn records<R: Resource>(deps: &Deps, query: Query) -> DomainResult<Vec<Record<R>>> {
    deps.query_all(query)
        .await?
        .into_iter()
        .map(Record::from_item)
        .collect()
}

/// The records of `ids`, in that order (missing ones skipped), read one by one.
pub async fn by_ids<R: Resource>(deps: &Deps, ids: &[String]) -> DomainResult<Vec<Record<R>>> {
    let repo = crate::resource::Repository::<R>::new(deps.clone());
    let mut out = Vec::new();
    for id in ids {
        match repo.get(None, id).await {
            Ok(r) => out.push(r),
            Err(DomainError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_round_half_up_exactly() {
        assert_eq!(percent(17, 20), Some(85.0));
        assert_eq!(percent(1, 3), Some(33.3));
        assert_eq!(percent(2, 3), Some(66.7));
        assert_eq!(percent(1, 8), Some(12.5));
        assert_eq!(ratio(1, 16, 2), Some(0.06)); // 0.0625 → 0.06
        assert_eq!(ratio(1, 8, 2), Some(0.13)); // 0.125 → 0.13
        assert_eq!(ratio(-1, 8, 2), Some(-0.13));
        assert_eq!(percent(5, 0), None);
    }

    #[test]
    fn spans_are_checked() {
        assert!(Span::parse(Some("2026-01-01"), Some("2026-12-31")).is_ok());
        assert!(Span::parse(Some("2024-01-01"), Some("2024-12-31")).is_ok()); // 366 days
        assert!(Span::parse(Some("2024-01-01"), Some("2025-01-01")).is_err());
        assert!(Span::parse(Some("2026-02-02"), Some("2026-02-01")).is_err());
        assert!(Span::parse(None, Some("2026-02-01")).is_err());
        assert!(Span::parse(Some("2026-02-30"), Some("2026-03-01")).is_err());
    }

    #[test]
    fn weeks_start_on_monday() {
        let d = |s: &str| parse_date(s).unwrap();
        assert_eq!(Period::Week.start(d("2026-11-29")), d("2026-11-23")); // a Sunday
        assert_eq!(Period::Week.start(d("2026-11-23")), d("2026-11-23"));
        assert_eq!(Period::Month.end(d("2024-02-01")), d("2024-02-29"));
    }
}
