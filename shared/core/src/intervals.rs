//! Time taken, per holder: a doctor's or a patient's booked appointments, a bed's or a
//! patient's past stays. Intervals are kept in buckets (a day or a month of the hospital's
//! calendar, under `<holder key>` / `<bucket>`), each bucket one item with a version, so that
//! an overlap check reads only the buckets an interval touches, and two changes that would
//! overlap can't both commit: each writes the buckets it read, conditional on their versions.

use crate::error::DomainResult;
use crate::resource::keys::ENTITY;
use crate::resource::{Blame, Deps, Tx};
use crate::store::{Condition, Item, Key, Write};
use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What one bucket spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    Day,
    Month,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    #[serde(with = "crate::time::instant")]
    pub from: DateTime<Utc>,
    #[serde(with = "crate::time::instant")]
    pub to: DateTime<Utc>,
    /// The record holding the time (an appointment, an admission).
    pub id: String,
}

impl Interval {
    /// Whether the two intervals share a moment (half-open: one may end when the other
    /// starts).
    pub fn overlaps(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
        self.from < to && from < self.to
    }
}

/// One bucket as read: its intervals and the version the write is conditional on.
#[derive(Debug, Clone)]
pub struct Bucket {
    key: Key,
    version: Option<u64>,
    pub intervals: Vec<Interval>,
    changed: bool,
}

impl Bucket {
    pub fn label(&self) -> &str {
        &self.key.sk
    }

    /// The first interval of another record overlapping `[from, to)`.
    pub fn overlapping(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        except: &str,
    ) -> Option<&Interval> {
        self.intervals
            .iter()
            .find(|i| i.id != except && i.overlaps(from, to))
    }

    /// Releases the record's interval `[from, to)` (to the millisecond, as stored); its other
    /// intervals stay (a bed a stay returned to holds one per stay).
    fn remove(&mut self, id: &str, from: DateTime<Utc>, to: DateTime<Utc>) {
        let before = self.intervals.len();
        let ms = |t: DateTime<Utc>| t.timestamp_millis();
        self.intervals
            .retain(|i| !(i.id == id && ms(i.from) == ms(from) && ms(i.to) == ms(to)));
        self.changed |= self.intervals.len() != before;
    }

    fn insert(&mut self, interval: Interval) {
        self.intervals.push(interval);
        self.intervals.sort_by_key(|i| i.from);
        self.changed = true;
    }

    /// A check that the bucket is still as read (for a transaction that relies on it).
    pub fn pin(&self) -> Write {
        match self.version {
            Some(v) => Write::check(self.key.clone(), Condition::VersionIs(v)),
            None => Write::check(self.key.clone(), Condition::NotExists),
        }
    }

    /// The bucket as written, conditional on the version read.
    fn write(&self) -> Write {
        let mut item = Item::new();
        item.insert("pk".into(), self.key.pk.clone().into());
        item.insert("sk".into(), self.key.sk.clone().into());
        item.insert(ENTITY.into(), "intervals".into());
        item.insert("version".into(), (self.version.unwrap_or(0) + 1).into());
        item.insert(
            "intervals".into(),
            serde_json::to_value(&self.intervals).unwrap_or(Value::Null),
        );
        match self.version {
            Some(v) => Write::put_if(item, Condition::VersionIs(v)),
            None => Write::put_if(item, Condition::NotExists),
        }
    }
}

/// The buckets of one holder.
pub struct Timeline {
    /// The holder's partition, e.g. `agenda#doctor#<id>`.
    pub pk: String,
    pub span: Span,
    pub tz: Tz,
}

impl Timeline {
    pub fn new(pk: impl Into<String>, span: Span, tz: Tz) -> Self {
        Self {
            pk: pk.into(),
            span,
            tz,
        }
    }

    /// The labels of the buckets `[from, to)` touches (`2026-03-02` or `2026-03`).
    pub fn labels(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<String> {
        let first = from.with_timezone(&self.tz).date_naive();
        // The last moment inside the interval decides its last bucket.
        let last = (to - chrono::Duration::milliseconds(1))
            .max(from)
            .with_timezone(&self.tz)
            .date_naive();
        let mut out = Vec::new();
        let mut day = first;
        while day <= last {
            let label = self.label(day);
            if out.last() != Some(&label) {
                out.push(label);
            }
            day = match day.checked_add_days(Days::new(1)) {
                Some(d) => d,
                None => break,
            };
            // Months: jump to the next month's first day.
            if self.span == Span::Month && day.day() != 1 {
                day = NaiveDate::from_ymd_opt(day.year(), day.month(), 1)
                    .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
                    .unwrap_or(day);
            }
        }
        out
    }

    fn label(&self, day: NaiveDate) -> String {
        match self.span {
            Span::Day => day.format("%Y-%m-%d").to_string(),
            Span::Month => day.format("%Y-%m").to_string(),
        }
    }

    /// Reads the buckets with these labels.
    pub async fn read(&self, deps: &Deps, labels: &[String]) -> DomainResult<Vec<Bucket>> {
        let mut out = Vec::with_capacity(labels.len());
        for label in labels {
            let key = Key::new(self.pk.clone(), label.clone());
            let item = deps.store.get(&key).await?;
            let (version, intervals) = match item {
                Some(item) => (
                    item.get("version").and_then(Value::as_u64),
                    item.get("intervals")
                        .cloned()
                        .and_then(|v| serde_json::from_value(v).ok())
                        .unwrap_or_default(),
                ),
                None => (None, Vec::new()),
            };
            out.push(Bucket {
                key,
                version,
                intervals,
                changed: false,
            });
        }
        Ok(out)
    }
}

/// A change of one record's time on one timeline: the interval it held (if any) is released
/// and the one it now holds (if any) is taken. Reads the buckets both touch, refuses an overlap
/// with another record (answering it), and adds the bucket writes to `tx`.
pub async fn retime(
    deps: &Deps,
    tx: &mut Tx,
    timeline: &Timeline,
    id: &str,
    before: Option<(DateTime<Utc>, DateTime<Utc>)>,
    after: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> DomainResult<Option<Interval>> {
    retime_all(deps, tx, timeline, id, before.as_slice(), after.as_slice()).await
}

/// [`retime`] for a record holding several intervals on one timeline (an admission that
/// returned to a bed): every interval of `before` is released and every one of `after` taken,
/// each bucket read once and written once in `tx` (a transaction writes an item once).
pub async fn retime_all(
    deps: &Deps,
    tx: &mut Tx,
    timeline: &Timeline,
    id: &str,
    before: &[(DateTime<Utc>, DateTime<Utc>)],
    after: &[(DateTime<Utc>, DateTime<Utc>)],
) -> DomainResult<Option<Interval>> {
    if before == after {
        return Ok(None);
    }
    let mut labels = Vec::new();
    for (from, to) in before.iter().chain(after.iter()) {
        for l in timeline.labels(*from, *to) {
            if !labels.contains(&l) {
                labels.push(l);
            }
        }
    }
    let mut buckets = timeline.read(deps, &labels).await?;
    for (from, to) in after {
        for b in &buckets {
            if let Some(other) = b.overlapping(*from, *to, id) {
                return Ok(Some(other.clone()));
            }
        }
    }
    for b in &mut buckets {
        for (from, to) in before {
            b.remove(id, *from, *to);
        }
    }
    for (from, to) in after {
        let wanted = timeline.labels(*from, *to);
        for b in buckets
            .iter_mut()
            .filter(|b| wanted.iter().any(|l| l == b.label()))
        {
            b.insert(Interval {
                from: *from,
                to: *to,
                id: id.to_string(),
            });
        }
    }
    for b in buckets.iter().filter(|b| b.changed) {
        tx.push(b.write(), Blame::Moved);
    }
    Ok(None)
}

/// An interval as the API writes it, for messages.
pub fn describe(i: &Interval, tz: Tz) -> String {
    format!(
        "{} to {}",
        i.from.with_timezone(&tz).format("%Y-%m-%d %H:%M"),
        i.to.with_timezone(&tz).format("%Y-%m-%d %H:%M")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn buckets_an_interval_touches() {
        let tz = chrono_tz::America::Sao_Paulo;
        let days = Timeline::new("x", Span::Day, tz);
        // 23:30 to 00:30 in São Paulo: two days.
        assert_eq!(
            days.labels(
                t("2026-03-02T23:30:00-03:00"),
                t("2026-03-03T00:30:00-03:00")
            ),
            ["2026-03-02", "2026-03-03"]
        );
        // Ending at midnight: one day.
        assert_eq!(
            days.labels(
                t("2026-03-02T23:30:00-03:00"),
                t("2026-03-03T00:00:00-03:00")
            ),
            ["2026-03-02"]
        );
        let months = Timeline::new("x", Span::Month, tz);
        assert_eq!(
            months.labels(
                t("2026-01-30T10:00:00-03:00"),
                t("2026-03-01T10:00:00-03:00")
            ),
            ["2026-01", "2026-02", "2026-03"]
        );
        assert_eq!(
            months.labels(
                t("2026-01-30T10:00:00-03:00"),
                t("2026-01-30T10:00:00-03:00")
            ),
            ["2026-01"]
        );
    }

    #[test]
    fn releasing_an_interval_keeps_the_others_of_the_record() {
        let i = |from: &str, to: &str, id: &str| Interval {
            from: t(from),
            to: t(to),
            id: id.into(),
        };
        let mut bucket = Bucket {
            key: Key::new("timeline#bed#x", "2026-03"),
            version: Some(3),
            intervals: vec![
                i("2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z", "a"),
                i("2026-03-02T12:00:00Z", "2026-03-02T13:00:00Z", "b"),
                i("2026-03-02T14:00:00Z", "2026-03-02T15:00:00Z", "a"),
            ],
            changed: false,
        };
        bucket.remove("a", t("2026-03-02T09:00:00Z"), t("2026-03-02T11:00:00Z"));
        assert!(!bucket.changed);
        bucket.remove("a", t("2026-03-02T14:00:00Z"), t("2026-03-02T15:00:00Z"));
        assert!(bucket.changed);
        assert_eq!(
            bucket.intervals,
            [
                i("2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z", "a"),
                i("2026-03-02T12:00:00Z", "2026-03-02T13:00:00Z", "b"),
            ]
        );
    }
}
