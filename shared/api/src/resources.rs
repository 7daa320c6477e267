//! Generic HTTP handlers for any [`Resource`], written once: POST → 201 + Location + ETag,
//! GET → 200 + ETag, list → `{"items", "next_cursor"}`, PATCH → JSON Merge Patch with optional
//! `If-Match`, DELETE → 204. A router registers them per resource (see `patients.rs`).

use crate::AppState;
use crate::body::{JsonBody, MergePatch};
use crate::error::{ApiError, ApiResult};
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, OriginalUri, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hospital_core::resource::{Filter, FilterKind, Record, Repository, Resource, Unique};
use hospital_core::validate::fold;
use serde_json::json;
use std::collections::HashMap;

/// Path parameters in order: the parent's id for a sub-resource, then the resource's own id.
pub struct Ids(Vec<String>);

impl<S: Send + Sync> FromRequestParts<S> for Ids {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Option::<Path<Vec<String>>>::from_request_parts(parts, state).await {
            Ok(p) => Ok(Ids(p.map(|Path(v)| v).unwrap_or_default())),
            Err(e) => Err(ApiError::bad_request(format!(
                "invalid path: {}",
                e.body_text()
            ))),
        }
    }
}

impl std::ops::Deref for Ids {
    type Target = [String];
    fn deref(&self) -> &[String] {
        &self.0
    }
}

fn split<R: Resource>(ids: &[String], with_id: bool) -> (Option<&str>, Option<&str>) {
    let parent = R::PARENT.and(ids.first().map(String::as_str));
    let id = if with_id {
        ids.last().map(String::as_str)
    } else {
        None
    };
    (parent, id)
}

fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// Reads `If-Match`: `"3"`, `W/"3"` or `3`. `*` means any version.
pub fn if_match(headers: &HeaderMap) -> ApiResult<Option<u64>> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let s = v.to_str().unwrap_or("").trim();
    if s == "*" {
        return Ok(None);
    }
    s.trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .map(Some)
        .map_err(|_| {
            ApiError::bad_request("If-Match must be an ETag from a previous response, e.g. \"3\"")
                .with_field("If-Match")
        })
}

fn one<R: Resource>(status: StatusCode, record: &Record<R>, location: Option<String>) -> Response {
    let mut res = (status, Json(record.to_json())).into_response();
    res.headers_mut().insert(header::ETAG, etag(record.version));
    if let Some(loc) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        res.headers_mut().insert(header::LOCATION, loc);
    }
    res
}

pub async fn create<R: Resource>(
    State(state): State<AppState>,
    ids: Ids,
    OriginalUri(uri): OriginalUri,
    JsonBody(data): JsonBody<R>,
) -> ApiResult<Response> {
    let (parent, _) = split::<R>(&ids, false);
    let record = Repository::<R>::new(state.deps.clone())
        .create(parent, data)
        .await?;
    let location = format!("{}/{}", uri.path().trim_end_matches('/'), record.id);
    Ok(one(StatusCode::CREATED, &record, Some(location)))
}

pub async fn get<R: Resource>(State(state): State<AppState>, ids: Ids) -> ApiResult<Response> {
    let (parent, id) = split::<R>(&ids, true);
    let record = Repository::<R>::new(state.deps.clone())
        .get(parent, id.unwrap_or_default())
        .await?;
    Ok(one(StatusCode::OK, &record, None))
}

pub async fn update<R: Resource>(
    State(state): State<AppState>,
    ids: Ids,
    headers: HeaderMap,
    MergePatch(patch): MergePatch,
) -> ApiResult<Response> {
    let (parent, id) = split::<R>(&ids, true);
    let expected = if_match(&headers)?;
    let record = Repository::<R>::new(state.deps.clone())
        .update(parent, id.unwrap_or_default(), &patch, expected)
        .await?;
    Ok(one(StatusCode::OK, &record, None))
}

pub async fn delete<R: Resource>(
    State(state): State<AppState>,
    ids: Ids,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let (parent, id) = split::<R>(&ids, true);
    let expected = if_match(&headers)?;
    Repository::<R>::new(state.deps.clone())
        .delete(parent, id.unwrap_or_default(), expected)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list<R: Resource>(
    State(state): State<AppState>,
    ids: Ids,
    params: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(params) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let (parent, _) = split::<R>(&ids, false);
    let mut limit = None;
    let mut cursor = None;
    let mut filter = Filter::All;
    for (name, value) in &params {
        match name.as_str() {
            "limit" => {
                limit = Some(value.parse::<usize>().map_err(|_| {
                    ApiError::bad_request("limit must be a whole number").with_field("limit")
                })?)
            }
            "cursor" => cursor = Some(value.as_str()),
            _ => {
                let Some((param, kind)) = R::FILTERS.iter().find(|(p, _)| p == name) else {
                    let known: Vec<&str> = ["limit", "cursor"]
                        .into_iter()
                        .chain(R::FILTERS.iter().map(|(p, _)| *p))
                        .collect();
                    return Err(ApiError::bad_request(format!(
                        "unknown query parameter {name:?}; known: {}",
                        known.join(", ")
                    ))
                    .with_field(name.clone()));
                };
                if filter != Filter::All {
                    return Err(
                        ApiError::bad_request("use one filter at a time").with_field(*param)
                    );
                }
                filter = match kind {
                    FilterKind::SortPrefix => Filter::SortPrefix(fold(value)),
                    FilterKind::Unique(field) => Filter::Unique(Unique {
                        field,
                        value: R::normalize_unique(field, value),
                    }),
                };
            }
        }
    }
    let page = Repository::<R>::new(state.deps.clone())
        .list(parent, filter, limit, cursor)
        .await?;
    let items: Vec<_> = page.items.iter().map(Record::to_json).collect();
    Ok(Json(json!({"items": items, "next_cursor": page.next_cursor})).into_response())
}
