//! AD05: how long each medication's stock lasts at its recent use.
//!
//! Over the `days` days ending today: average daily use = units dispensed (the `dispensed`
//! stock movements, counted per day as they are recorded) / `days`; coverage = stock /
//! average daily use, in days (`null` when nothing was dispensed); below threshold when
//! coverage < `threshold_days`. Sorted by coverage, shortest first, `null` last.

use super::counters::minus_days;
use super::model::{CoverageItem, MedicationCoverage};
use super::{every, ratio};
use crate::medications::Medication;
use crate::resource::Deps;
use crate::store::{Query, SkRange};
use crate::{DomainError, DomainResult};
use serde_json::Value;
use std::cmp::Ordering;

/// `?days=` and `?threshold_days=`: whole numbers, within bounds.
pub fn parse_days(
    name: &str,
    v: Option<&str>,
    default: i64,
    min: i64,
    max: i64,
) -> DomainResult<i64> {
    let Some(v) = v else { return Ok(default) };
    v.parse::<i64>()
        .ok()
        .filter(|n| (min..=max).contains(n) && !v.starts_with('+'))
        .ok_or_else(|| {
            DomainError::bad_request(name, format!("a whole number from {min} to {max}"))
        })
}

/// `GET /v1/analytics/medication-coverage`.
pub async fn coverage(
    deps: &Deps,
    days: i64,
    threshold_days: i64,
) -> DomainResult<MedicationCoverage> {
    let today = deps.calendar.today();
    let first = minus_days(today, days.max(1) as u64 - 1);
    let mut items = Vec::new();
    for m in every::<Medication>(deps).await? {
        let query = Query::table(format!("medication#{}", m.id)).sk(SkRange::Between(
            format!("usage#{first}"),
            format!("usage#{today}"),
        ));
        let dispensed: i64 = deps
            .query_all(query)
            .await?
            .iter()
            .filter_map(|i| i.get("dispensed").and_then(Value::as_i64))
            .sum();
        let stock = m.data.stock_quantity;
        items.push(CoverageItem {
            medication_id: m.id,
            name: m.data.name,
            stock_quantity: stock,
            dispensed,
            average_daily_use: ratio(dispensed, days, 2).unwrap_or(0.0),
            // stock / (dispensed / days)
            coverage_days: ratio(stock * days, dispensed, 2),
            below_threshold: dispensed > 0 && stock * days < threshold_days * dispensed,
        });
    }
    // Shortest coverage first, compared exactly (stock × days / dispensed); none last.
    items.sort_by(|a, b| {
        let key = |i: &CoverageItem| (i.dispensed == 0, i.stock_quantity, i.dispensed);
        let ((an, asq, ad), (bn, bsq, bd)) = (key(a), key(b));
        an.cmp(&bn)
            .then_with(|| match (an, bn) {
                (false, false) => {
                    (i128::from(asq) * i128::from(bd)).cmp(&(i128::from(bsq) * i128::from(ad)))
                }
                _ => Ordering::Equal,
            })
            .then_with(|| {
                crate::validate::sort_text(&a.name).cmp(&crate::validate::sort_text(&b.name))
            })
    });
    Ok(MedicationCoverage { items })
}
