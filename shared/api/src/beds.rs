//! Beds (RF09) and the bed board.

use crate::AppState;
use crate::error::ApiResult;
use crate::openapi::{Doc, json_response};
use crate::resources::crud;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use hospital_core::beds::{self, Bed};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::path::OperationBuilder;
use utoipa::openapi::{Ref, RefOr, Schema};

pub const COLLECTION: &str = "/v1/beds";
pub const ITEM: &str = "/v1/beds/{id}";
pub const BOARD: &str = "/v1/bed-board";

pub fn router() -> Router<AppState> {
    crud::<Bed>(Router::new(), COLLECTION, ITEM).route(BOARD, get(board))
}

/// Bed counts of one sector by status.
#[derive(Debug, Serialize, ToSchema)]
pub struct SectorBeds {
    pub sector_id: String,
    /// Beds per status; statuses with no bed are 0.
    pub counts: std::collections::BTreeMap<String, i64>,
    pub total: i64,
}

/// The bed board: every sector's beds counted by status.
#[derive(Debug, Serialize, ToSchema)]
pub struct BedBoard {
    pub sectors: Vec<SectorBeds>,
    /// Hospital-wide counts per status.
    pub totals: std::collections::BTreeMap<String, i64>,
}

async fn board(State(state): State<AppState>) -> ApiResult<Json<BedBoard>> {
    let tallies = beds::board(&state.deps).await?;
    let zero = || {
        beds::BedStatus::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), 0))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let mut totals = zero();
    let mut sectors: Vec<SectorBeds> = Vec::new();
    for t in tallies {
        if sectors.last().is_none_or(|s| s.sector_id != t.sector_id) {
            sectors.push(SectorBeds {
                sector_id: t.sector_id.clone(),
                counts: zero(),
                total: 0,
            });
        }
        if let Some(s) = sectors.last_mut() {
            *s.counts.entry(t.status.clone()).or_default() += t.count;
            s.total += t.count;
        }
        *totals.entry(t.status).or_default() += t.count;
    }
    sectors.retain(|s| s.total > 0);
    Ok(Json(BedBoard { sectors, totals }))
}

pub fn describe(doc: &mut Doc) {
    doc.resource::<Bed>("beds", COLLECTION, ITEM);
    doc.schema::<BedBoard>();
    doc.schema::<SectorBeds>();
    let schema: RefOr<Schema> = Ref::from_schema_name("BedBoard").into();
    doc.operation(
        "GET",
        BOARD,
        OperationBuilder::new()
            .tag("beds")
            .summary(Some("The bed board: counts per sector and status"))
            .operation_id(Some("bed_board"))
            .response("200", json_response("The board", schema)),
    );
}
