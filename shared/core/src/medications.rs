//! Medications (RF07) and their stock. The stock changes only through recorded stock
//! movements; each movement and the new quantity are written in one transaction conditional
//! on the medication's version, so concurrent movements can never take the stock below zero.

use crate::error::{DomainError, DomainResult, FieldError};
use crate::ids;
use crate::resource::{ATTEMPTS, Deps, Filter, FilterKind, Record, Repository, Resource};
use crate::store::{Condition, SkRange, StoreError, Write};
use crate::validate;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Medication {
    #[validate(length(min = 1, max = 200))]
    #[schema(example = "Dipirona Sódica 500 mg")]
    pub name: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(example = "dipirona sódica")]
    pub active_ingredient: String,
    /// Form and strength, e.g. "comprimido 500 mg".
    #[validate(length(min = 1, max = 200))]
    pub presentation: String,
    #[validate(length(min = 1, max = 200))]
    pub manufacturer: String,
    /// Unit the stock is counted in (comprimido, ampola, frasco…).
    #[validate(length(min = 1, max = 30))]
    pub unit: String,
    /// Maintained by the server from stock movements; starts at 0.
    #[serde(default)]
    #[schema(read_only)]
    pub stock_quantity: i64,
    #[validate(range(min = 0, max = 10_000_000))]
    pub minimum_stock: i64,
    #[schema(value_type = String, format = Date, example = "2027-06-30")]
    pub expires_on: NaiveDate,
}

const BELOW_MINIMUM: &str = "medication#below_minimum";

impl Resource for Medication {
    const KIND: &'static str = "medication";
    const FILTERS: &'static [(&'static str, FilterKind)] = &[
        ("name", FilterKind::SortPrefix),
        (
            "below_minimum",
            FilterKind::Custom("`true`: only medications whose stock is below their minimum"),
        ),
    ];
    const SERVER_FIELDS: &'static [&'static str] = &["stock_quantity"];
    const PROTECTED_CHILDREN: &'static [&'static str] = &[StockMovement::KIND];

    fn filter(params: &[(&str, &str)]) -> DomainResult<Filter> {
        match params {
            [("below_minimum", "true")] => Ok(Filter::Index2 {
                pk: BELOW_MINIMUM.into(),
                sk: SkRange::All,
            }),
            [("below_minimum", _)] => Err(DomainError::bad_request(
                "below_minimum",
                "only below_minimum=true is supported",
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
        (self.stock_quantity < self.minimum_stock).then(|| {
            (
                BELOW_MINIMUM.to_string(),
                format!("{} {id}", self.sort_key()),
            )
        })
    }
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
    pub quantity: i64,
    #[validate(length(min = 1, max = 500))]
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
    /// The medication's stock right after this movement.
    pub stock_after: i64,
}

impl Resource for StockMovement {
    const KIND: &'static str = "stock_movement";
    const PARENT: Option<&'static str> = Some("medication");
}

impl NewStockMovement {
    fn delta(&self) -> i64 {
        match self.kind {
            MovementKind::Received | MovementKind::Adjusted => self.quantity,
            MovementKind::Dispensed | MovementKind::Expired => -self.quantity,
        }
    }

    fn check(&self) -> DomainResult<()> {
        let mut errors = match self.validate() {
            Ok(()) => Vec::new(),
            Err(e) => validate::field_errors(&e),
        };
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

/// Records a stock movement and applies it to the medication's stock, atomically.
/// A movement that would take the stock below zero is refused (409) and not recorded.
pub async fn record_movement(
    deps: &Deps,
    medication_id: &str,
    movement: NewStockMovement,
    performed_by: &str,
) -> DomainResult<(Record<StockMovement>, Record<Medication>)> {
    movement.check()?;
    let medications = Repository::<Medication>::new(deps.clone());
    for _ in 0..ATTEMPTS {
        let current = medications.get(None, medication_id).await?;
        let stock = current.data.stock_quantity + movement.delta();
        if stock < 0 {
            return Err(DomainError::conflict(
                "quantity",
                format!(
                    "insufficient stock: {} {} available",
                    current.data.stock_quantity, current.data.unit
                ),
            ));
        }
        let now = deps.calendar.now();
        let mut medication = current.clone();
        medication.version += 1;
        medication.updated_at = now;
        medication.data.stock_quantity = stock;
        let recorded = Record {
            id: ids::new_id(),
            parent_id: Some(current.id.clone()),
            version: 1,
            created_at: now,
            updated_at: now,
            data: StockMovement {
                kind: movement.kind,
                quantity: movement.quantity,
                reason: movement.reason.trim().to_string(),
                performed_by: performed_by.to_string(),
                stock_after: stock,
            },
        };
        let writes = vec![
            Write::put_if(medication.to_item(), Condition::VersionIs(current.version)),
            Write::put_if(recorded.to_item(), Condition::NotExists),
        ];
        match deps.store.transact(writes).await {
            Ok(()) => return Ok((recorded, medication)),
            // Another movement or edit got there first: re-read and try again.
            Err(StoreError::ConditionFailed { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(DomainError::Conflict {
        field: None,
        message: "the medication's stock is busy; retry".into(),
    })
}
