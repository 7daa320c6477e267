//! Medications (RF07) and their stock. The stock changes only through recorded stock
//! movements; each movement and an atomic, conditional change of the quantity are written in
//! one transaction, so concurrent movements can never take the stock below zero.

use crate::error::{DomainError, DomainResult, FieldError};
use crate::events::DomainEvent;
use crate::ids;
use crate::resource::record::rfc3339;
use crate::resource::tx::RuleError;
use crate::resource::{
    ATTEMPTS, Blame, Deps, ENTITY, Filter, FilterKind, Record, Repository, Resource, Tx, TxError,
    item_key,
};
use crate::store::{Cmp, Condition, Key, SkRange, Update, Write};
use crate::validate;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Medication {
    #[validate(length(min = 1, max = 200))]
    #[schema(example = "Dipirona Sódica 500 mg", min_length = 1, max_length = 200)]
    pub name: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(example = "dipirona sódica", min_length = 1, max_length = 200)]
    pub active_ingredient: String,
    /// Form and strength, e.g. "comprimido 500 mg".
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub presentation: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub manufacturer: String,
    /// Unit the stock is counted in (comprimido, ampola, frasco…).
    #[validate(length(min = 1, max = 30))]
    #[schema(min_length = 1, max_length = 30)]
    pub unit: String,
    /// Maintained by the server from stock movements; starts at 0.
    #[serde(default)]
    #[schema(read_only, minimum = 0)]
    pub stock_quantity: i64,
    #[validate(range(min = 0, max = 10_000_000))]
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub minimum_stock: i64,
    /// YYYY-MM-DD, up to 2100-12-31.
    #[serde(with = "crate::time::date")]
    #[schema(value_type = String, format = Date, example = "2027-06-30", pattern = r"^(19[0-9]{2}|20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub expires_on: NaiveDate,
}

const BELOW_MINIMUM: &str = "medication#below_minimum";

impl Resource for Medication {
    const KIND: &'static str = "medication";
    const FILTERS: &'static [(&'static str, FilterKind)] = &[
        ("name", FilterKind::SortPrefix),
        (
            "below_minimum",
            FilterKind::Custom {
                description: "true: only medications whose stock is below their minimum; false: all",
                schema: r#"{"type": "boolean"}"#,
            },
        ),
    ];
    const SERVER_FIELDS: &'static [&'static str] = &["stock_quantity"];
    const PROTECTED_CHILDREN: &'static [&'static str] = &[StockMovement::KIND];

    fn filter(params: &[(&str, &str)], _calendar: &crate::time::Calendar) -> DomainResult<Filter> {
        match params {
            [("below_minimum", "true")] => Ok(Filter::Index2 {
                pk: BELOW_MINIMUM.into(),
                sk: SkRange::All,
                only: Vec::new(),
            }),
            [("below_minimum", "false")] => Ok(Filter::All),
            [("below_minimum", _)] => Err(DomainError::bad_request(
                "below_minimum",
                "below_minimum is true or false",
            )),
            _ => crate::resource::default_filter::<Self>(params),
        }
    }
    fn normalize(&mut self) {
        self.name = self.name.trim().to_string();
    }
    fn sort_key(&self) -> String {
        validate::sort_text(&self.name)
    }
    /// In the sparse below-minimum index only while the stock is below the minimum.
    fn index2(&self, id: &str) -> Option<(String, String)> {
        (self.stock_quantity < self.minimum_stock).then(|| below_minimum_entry(self, id))
    }
}

fn below_minimum_entry(m: &Medication, id: &str) -> (String, String) {
    (BELOW_MINIMUM.to_string(), format!("{} {id}", m.sort_key()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// Stock in (a delivery).
    Received,
    /// Stock out to a patient or ward.
    Dispensed,
    /// Inventory correction, either way: `quantity` is signed.
    Adjusted,
    /// Stock out because it expired.
    Expired,
}

/// A stock movement as requested.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStockMovement {
    pub kind: MovementKind,
    /// Units moved: positive, except for `adjusted`, where it is the signed correction.
    #[validate(range(min = -10_000_000, max = 10_000_000))]
    #[schema(minimum = -10_000_000, maximum = 10_000_000)]
    pub quantity: i64,
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// A recorded stock movement (a sub-resource of its medication; never changed or deleted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StockMovement {
    pub kind: MovementKind,
    pub quantity: i64,
    pub reason: String,
    /// Subject of the caller who recorded it.
    pub performed_by: String,
    /// The prescription dispensation this movement serves, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispensation_id: Option<String>,
}

impl Resource for StockMovement {
    const KIND: &'static str = "stock_movement";
    const PARENT: Option<&'static str> = Some("medication");
    const DELETABLE: bool = false;
}

impl NewStockMovement {
    /// The change of stock: positive in, negative out.
    pub fn delta(&self) -> i64 {
        match self.kind {
            MovementKind::Received | MovementKind::Adjusted => self.quantity,
            MovementKind::Dispensed | MovementKind::Expired => -self.quantity,
        }
    }

    pub fn check(&self) -> DomainResult<()> {
        let mut errors = match self.validate() {
            Ok(()) => Vec::new(),
            Err(e) => validate::field_errors(&e),
        };
        errors.extend(validate::text_fields(self, &[]));
        if self.reason.trim().is_empty() && errors.iter().all(|e| e.field != "reason") {
            errors.push(FieldError::new("reason", "must not be blank"));
        }
        match self.kind {
            MovementKind::Adjusted if self.quantity == 0 => {
                errors.push(FieldError::new(
                    "quantity",
                    "an adjustment must not be zero",
                ));
            }
            MovementKind::Adjusted => {}
            _ if self.quantity < 1 => {
                errors.push(FieldError::new("quantity", "must be at least 1"));
            }
            _ => {}
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Validation(errors))
        }
    }
}

fn insufficient(m: &Record<Medication>) -> RuleError {
    RuleError::conflict(
        "quantity",
        format!(
            "insufficient stock: {} {} available",
            m.data.stock_quantity, m.data.unit
        ),
    )
}

/// Adds a movement of `medication` (as read) to `tx`: the movement record, and an atomic,
/// conditional change of the medication's stock. No read-modify-write: the condition pins
/// only what the change depends on — enough stock, and on which side of the minimum the
/// stock is before and after (that decides the below-minimum index and the
/// `StockBelowMinimum` event) — so concurrent movements far from those bounds all commit
/// without retrying. When the condition fails the caller reads again and retries.
pub fn plan_movement(
    tx: &mut Tx,
    medication: &Record<Medication>,
    movement: &NewStockMovement,
    performed_by: &str,
    dispensation_id: Option<&str>,
) -> DomainResult<Record<StockMovement>> {
    let m = &medication.data;
    let (stock, delta, min) = (m.stock_quantity, movement.delta(), m.minimum_stock);
    if stock + delta < 0 {
        return Err(insufficient(medication).into());
    }
    let (was_below, is_below) = (stock < min, stock + delta < min);
    // The bounds on the stored stock under which this plan is right.
    let mut lower = -delta;
    let mut upper: Option<i64> = None;
    let mut bound_above = |u: i64| upper = Some(upper.map_or(u, |x| x.min(u)));
    if is_below {
        bound_above(min - delta);
    } else {
        lower = lower.max(min - delta);
    }
    if was_below {
        bound_above(min);
    } else {
        lower = lower.max(min);
    }
    let mut conditions = vec![
        Condition::at_least("stock_quantity", lower),
        Condition::num("minimum_stock", Cmp::Eq, min),
    ];
    if let Some(u) = upper {
        conditions.push(Condition::num("stock_quantity", Cmp::Lt, u));
    }
    let now = tx.now();
    let mut update = Update::new()
        .add("stock_quantity", delta)
        .add("version", 1)
        .set("updated_at", rfc3339(now));
    match (was_below, is_below) {
        (false, true) => {
            // Into the below-minimum index, under the name as read.
            conditions.push(Condition::equals("name", m.name.clone()));
            let (pk, sk) = below_minimum_entry(m, &medication.id);
            update = update.set("gsi2pk", pk).set("gsi2sk", sk);
        }
        (true, false) => update = update.remove("gsi2pk").remove("gsi2sk"),
        _ => {}
    }
    tx.push(
        Write::update_if(
            item_key::<Medication>(None, &medication.id),
            update,
            Condition::All(conditions),
        ),
        Blame::Moved,
    );
    let recorded = Record::new(
        ids::new_id(),
        Some(medication.id.clone()),
        now,
        StockMovement {
            kind: movement.kind,
            quantity: movement.quantity,
            reason: movement.reason.trim().to_string(),
            performed_by: performed_by.to_string(),
            dispensation_id: dispensation_id.map(str::to_string),
        },
    );
    tx.create(&recorded);
    if movement.kind == MovementKind::Dispensed {
        // Units dispensed per day: what the coverage indicator (AD05) reads.
        let day = tx.today();
        tx.push(
            Write::update(
                Key::new(
                    format!("medication#{}", medication.id),
                    format!("usage#{day}"),
                ),
                Update::new()
                    .add("dispensed", movement.quantity)
                    .set(ENTITY, "medication_usage")
                    .set("day", day.to_string()),
            ),
            Blame::Moved,
        );
    }
    if !was_below && is_below {
        tx.event(DomainEvent::new(
            "hospital.pharmacy",
            "StockBelowMinimum",
            now,
            json!({
                "medication_id": medication.id,
                "minimum_stock": min,
                "movement_id": recorded.id,
            }),
        ));
    }
    Ok(recorded)
}

/// Records a stock movement and applies it to the medication's stock, atomically.
/// A movement that would take the stock below zero is refused (409) and not recorded.
pub async fn record_movement(
    deps: &Deps,
    medication_id: &str,
    movement: NewStockMovement,
    performed_by: &str,
) -> DomainResult<Record<StockMovement>> {
    movement.check()?;
    let medications = Repository::<Medication>::new(deps.clone());
    for _ in 0..ATTEMPTS {
        let current = medications.get(None, medication_id).await?;
        let mut tx = deps.tx();
        let recorded = plan_movement(&mut tx, &current, &movement, performed_by, None)?;
        match tx.commit(deps.store.as_ref()).await {
            Ok(()) => return Ok(recorded),
            // The stock crossed a bound or the medication changed: read again.
            Err(e) if e.is_retryable() => continue,
            Err(TxError::Failed(b)) => return Err(b.error().unwrap_or_else(|| medications.busy())),
            Err(TxError::Store(e)) => return Err(e.into()),
            Err(TxError::Unexplained) => continue,
        }
    }
    Err(medications.busy())
}
