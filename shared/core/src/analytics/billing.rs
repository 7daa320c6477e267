//! RF19, AD03: billing per insurer over the entries issued in a range (cancelled ones
//! excluded).
//!
//! - billed = Σ amount; received = Σ amount of `paid` entries; pending = Σ amount of
//!   `pending` entries; overdue = Σ amount of `pending` entries whose `due_on` is before today;
//! - overdue rate = overdue / billed × 100 (one decimal);
//! - average ticket = billed / entries, rounded half up to the cent;
//! - the insurer with the highest overdue rate above zero (private pay is not an insurer).

use super::counters::{BILLING, Counters, PRIVATE, days};
use super::model::{Billing, BillingFigures, InsurerBilling};
use super::{Span, by_ids, percent, ratio};
use crate::DomainResult;
use crate::insurers::Insurer;
use crate::resource::Deps;
use chrono::NaiveDate;

/// The name private pay is listed under.
pub const PRIVATE_NAME: &str = "Particular";

impl BillingFigures {
    fn finish(mut self) -> Self {
        self.overdue_rate_percent = percent(self.overdue_cents, self.billed_cents);
        self.average_ticket_cents = ratio(self.billed_cents, self.entries, 0).map(|t| t as i64);
        self
    }

    fn add(&mut self, o: &BillingFigures) {
        self.entries += o.entries;
        self.billed_cents += o.billed_cents;
        self.received_cents += o.received_cents;
        self.pending_cents += o.pending_cents;
        self.overdue_cents += o.overdue_cents;
    }
}

fn figures(counters: &Counters, group: &str, span: Span, today: NaiveDate) -> BillingFigures {
    let mut f = BillingFigures::default();
    for day in days(span.from, span.to) {
        f.entries += counters.get(group, day, "entries");
        f.billed_cents += counters.get(group, day, "billed");
        f.received_cents += counters.get(group, day, "received");
        for (due, cents) in counters.with_prefix(group, day, "due_") {
            f.pending_cents += cents;
            if NaiveDate::parse_from_str(&due, "%Y%m%d").is_ok_and(|d| d < today) {
                f.overdue_cents += cents;
            }
        }
    }
    f.finish()
}

/// `GET /v1/analytics/billing`.
pub async fn billing(deps: &Deps, span: Span) -> DomainResult<Billing> {
    let today = deps.calendar.today();
    let counters = Counters::read(deps, BILLING, span.from, span.to).await?;
    let insurer_ids: Vec<String> = counters
        .groups
        .iter()
        .filter(|g| *g != PRIVATE)
        .cloned()
        .collect();
    let insurers = by_ids::<Insurer>(deps, &insurer_ids).await?;
    let mut out: Vec<InsurerBilling> = Vec::new();
    let mut totals = BillingFigures::default();
    for group in &counters.groups {
        let f = figures(&counters, group, span, today);
        if f.entries == 0 {
            continue;
        }
        totals.add(&f);
        let (insurer_id, name) = if group == PRIVATE {
            (None, PRIVATE_NAME.to_string())
        } else {
            let name = insurers
                .iter()
                .find(|i| i.id == *group)
                .map_or_else(|| group.clone(), |i| i.data.name.clone());
            (Some(group.clone()), name)
        };
        out.push(InsurerBilling {
            insurer_id,
            name,
            figures: f,
        });
    }
    // Insurers by name, private pay last.
    out.sort_by_key(|i| (i.insurer_id.is_none(), crate::validate::sort_text(&i.name)));
    // Highest overdue / billed, compared exactly; the first by name on a tie.
    let highest = out
        .iter()
        .filter(|i| i.insurer_id.is_some() && i.figures.overdue_cents > 0)
        .fold(None::<&InsurerBilling>, |best, i| match best {
            Some(b)
                if i128::from(i.figures.overdue_cents) * i128::from(b.figures.billed_cents)
                    <= i128::from(b.figures.overdue_cents) * i128::from(i.figures.billed_cents) =>
            {
                Some(b)
            }
            _ => Some(i),
        })
        .and_then(|i| i.insurer_id.clone());
    Ok(Billing {
        insurers: out,
        totals: totals.finish(),
        highest_overdue_rate_insurer_id: highest,
    })
}
