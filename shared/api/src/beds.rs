//! The beds function: beds (RF09) and the bed board.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::rbac::{ADMINISTRATION, BED_READ, BED_STATUS};
use crate::registry::{Function, TableAccess};
use crate::resources::{Crud, crud};
use crate::routes::Route;
use axum::Json;
use axum::extract::{RawQuery, State};
use axum::routing::get;
use hospital_core::beds::{self, Bed};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

pub const FUNCTION: Function = Function {
    name: "beds",
    description: "Beds (RF09) and the bed board",
    table: TableAccess::ReadWrite,
    routes,
};

pub const BOARD: &str = "/v1/bed-board";

fn routes() -> Vec<Route> {
    let mut routes = crud::<Bed>(
        Crud {
            tag: "beds",
            collection: "/v1/beds",
            item: "/v1/beds/{id}",
            create: ADMINISTRATION,
            read: BED_READ,
            update: BED_STATUS,
            delete: ADMINISTRATION,
        },
        json!({"code": "UTI-07", "sector_id": "01JBEN16F07QRVXFM2VY5PFPDZ", "kind": "adult_icu", "status": "available"}),
    );
    routes.push(
        Route::at("GET", BOARD, BED_READ, get(board))
            .summary(
                "beds",
                "bed_board",
                "The bed board: counts per sector and status",
            )
            .schema::<BedBoard>()
            .ok(200, "The board", Some("BedBoard"))
            .error(400, "Unknown query parameter")
            .build(),
    );
    routes
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

async fn board(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<BedBoard>> {
    if query.is_some_and(|q| !q.is_empty()) {
        return Err(ApiError::bad_request(
            "the bed board takes no query parameters",
        ));
    }
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
