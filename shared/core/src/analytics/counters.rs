//! The counters the analytics read, and the census convention they are kept by.
//!
//! One counter item per family, month and group: `pk = stats#<family>#<YYYY-MM>`,
//! `sk = <group>` (a sector, a doctor, an insurer), one attribute per day and measure,
//! `d<DD>_<measure>`. One query of a month's partition reads every group's month, so a
//! query over a range reads (months in the range) × (groups) items, whatever the length of the
//! history. Resources contribute through [`crate::resource::Resource::counts`]: the machinery
//! keeps each counter equal to the sum of the contributions of the records as they stand.
//!
//! ## Census (Brazilian Ministry of Health conventions)
//!
//! The census of day D is taken at 24:00 of D in the hospital's time zone. An interval
//! (from, to] — a stay in a bed, a bed in a sector, a bed out of service — is present at the
//! censuses strictly after `from` up to and including `to`, that is on the days
//! `date(from) ..= date(to) − 1`: the day of discharge does not count, the day of admission
//! does. Consecutive intervals (a transfer) never count a census twice.

use crate::DomainResult;
use crate::resource::{Count, Deps};
use crate::store::{Item, Key, Query, SkRange};
use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use std::collections::HashMap;

/// Census figures per sector: `pd` patient-days of finished stays, `beds` bed-days of beds
/// that left the sector, `out` bed-days of closed out-of-service spells.
pub const CENSUS: &str = "census";
/// Appointments per doctor, by day of `starts_at` and status.
pub const APPOINTMENTS_BY_DOCTOR: &str = "appointments-doctor";
/// Appointments per specialty, by day of `starts_at` and status.
pub const APPOINTMENTS_BY_SPECIALTY: &str = "appointments-specialty";
/// Billing per insurer (`private` for private pay), by day of `issued_on`: `entries`,
/// `billed`, `received`, and `due_<YYYYMMDD>` the amount still pending by due date.
pub const BILLING: &str = "billing";

/// The group of private-pay billing.
pub const PRIVATE: &str = "private";

/// `YYYY-MM`.
pub fn month_label(day: NaiveDate) -> String {
    day.format("%Y-%m").to_string()
}

pub fn counter_key(family: &str, group: &str, day: NaiveDate) -> Key {
    Key::new(
        format!("stats#{family}#{}", month_label(day)),
        group.to_string(),
    )
}

/// The attribute of `measure` on `day` in its month's item.
pub fn attr(day: NaiveDate, measure: &str) -> String {
    format!("d{:02}_{measure}", day.day())
}

/// `n` added to `measure` of `group` on `day`.
pub fn count(family: &str, group: &str, day: NaiveDate, measure: &str, n: i64) -> Count {
    Count {
        key: counter_key(family, group, day),
        attr: attr(day, measure),
        n,
    }
}

/// The hospital's date of an instant.
pub fn local_date(t: DateTime<Utc>, tz: Tz) -> NaiveDate {
    t.with_timezone(&tz).date_naive()
}

/// The census days of the interval (from, to]: `date(from) ..= date(to) − 1` (empty when both
/// fall on one day).
pub fn census_days(from: DateTime<Utc>, to: DateTime<Utc>, tz: Tz) -> Vec<NaiveDate> {
    let (first, end) = (local_date(from, tz), local_date(to, tz));
    first.iter_days().take_while(|d| *d < end).collect()
}

/// The census days of an interval still open, up to `last` (today: its census is the
/// present, projected).
pub fn open_census_days(from: DateTime<Utc>, last: NaiveDate, tz: Tz) -> Vec<NaiveDate> {
    local_date(from, tz)
        .iter_days()
        .take_while(|d| *d <= last)
        .collect()
}

/// The months `from..=to` touch.
pub fn months(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut m = from.with_day(1).unwrap_or(from);
    while m <= to {
        out.push(m);
        m = m
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(NaiveDate::MAX);
    }
    out
}

/// Every group's counters of one family over the months of `from..=to`, by group.
pub struct Counters {
    /// (group, month label) → the month's item.
    items: HashMap<(String, String), Item>,
    /// Every group seen, in order.
    pub groups: Vec<String>,
}

impl Counters {
    /// Reads the family's month partitions covering `from..=to` (one query each).
    pub async fn read(
        deps: &Deps,
        family: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> DomainResult<Self> {
        let mut items = HashMap::new();
        let mut groups: Vec<String> = Vec::new();
        for month in months(from, to) {
            let label = month_label(month);
            let query = Query::table(format!("stats#{family}#{label}")).sk(SkRange::All);
            for item in deps.query_all(query).await? {
                let Some(group) = item.get("sk").and_then(|v| v.as_str()).map(str::to_string)
                else {
                    continue;
                };
                if !groups.contains(&group) {
                    groups.push(group.clone());
                }
                items.insert((group, label.clone()), item);
            }
        }
        Ok(Self { items, groups })
    }

    fn item(&self, group: &str, day: NaiveDate) -> Option<&Item> {
        self.items.get(&(group.to_string(), month_label(day)))
    }

    /// `measure` of `group` on `day` (0 when never counted).
    pub fn get(&self, group: &str, day: NaiveDate, measure: &str) -> i64 {
        self.item(group, day)
            .and_then(|i| i.get(&attr(day, measure)))
            .and_then(|v| v.as_i64())
            .unwrap_or(0)
    }

    /// Every `(suffix, n)` of the measures of `group` on `day` whose name starts with `prefix`
    /// (the pending amounts by due date).
    pub fn with_prefix(&self, group: &str, day: NaiveDate, prefix: &str) -> Vec<(String, i64)> {
        let start = attr(day, prefix);
        self.item(group, day)
            .map(|i| {
                i.iter()
                    .filter_map(|(k, v)| {
                        let rest = k.strip_prefix(&start)?;
                        Some((rest.to_string(), v.as_i64()?))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// `from..=to`, day by day.
pub fn days(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |d| *d <= to)
}

/// `day` − `n` days.
pub fn minus_days(day: NaiveDate, n: u64) -> NaiveDate {
    day.checked_sub_days(Days::new(n)).unwrap_or(NaiveDate::MIN)
}
