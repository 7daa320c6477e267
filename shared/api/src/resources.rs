//! Generic HTTP handlers for any [`Resource`], written once: POST → 201 + Location + ETag,
//! GET → 200 + ETag, list → `{"items", "next_cursor"}`, PATCH → JSON Merge Patch with optional
//! `If-Match`, DELETE → 204. A router registers them per resource (see `patients.rs`).

use crate::AppState;
use crate::body::{JsonBody, MergePatch};
use crate::error::{ApiError, ApiResult};
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, OriginalUri, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing};
use hospital_core::resource::{Record, Repository, Resource};
use serde_json::{Value, json};
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
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    let (parent, _) = split::<R>(&ids, false);
    let record = Repository::<R>::new(state.deps.clone())
        .create_json(parent, body)
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
    let paging = Paging::from_params(&params)?;
    let filters: Vec<(&str, &str)> = params
        .iter()
        .filter(|(k, _)| k.as_str() != "limit" && k.as_str() != "cursor")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    if let Some((name, _)) = filters
        .iter()
        .find(|(k, _)| !R::FILTERS.iter().any(|(p, _)| p == k))
    {
        let known: Vec<&str> = ["limit", "cursor"]
            .into_iter()
            .chain(R::FILTERS.iter().map(|(p, _)| *p))
            .collect();
        return Err(ApiError::bad_request(format!(
            "unknown query parameter {name:?}; known: {}",
            known.join(", ")
        ))
        .with_field(*name));
    }
    let filter = R::filter(&filters)?;
    let page = Repository::<R>::new(state.deps.clone())
        .list(parent, filter, paging.limit, paging.cursor.as_deref())
        .await?;
    let items: Vec<_> = page.items.iter().map(Record::to_json).collect();
    Ok(Json(json!({"items": items, "next_cursor": page.next_cursor})).into_response())
}

/// `?limit=` and `?cursor=`.
pub struct Paging {
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

impl Paging {
    pub fn from_params(params: &HashMap<String, String>) -> ApiResult<Self> {
        let limit = params
            .get("limit")
            .map(|v| {
                v.parse::<usize>().map_err(|_| {
                    ApiError::bad_request("limit must be a whole number").with_field("limit")
                })
            })
            .transpose()?;
        Ok(Paging {
            limit,
            cursor: params.get("cursor").cloned(),
        })
    }
}

fn page_json(items: Vec<Value>, next_cursor: Option<String>) -> Response {
    Json(json!({"items": items, "next_cursor": next_cursor})).into_response()
}

/// Only `limit` and `cursor` are accepted.
fn paging_only(params: &HashMap<String, String>) -> ApiResult<Paging> {
    if let Some(name) = params
        .keys()
        .find(|k| k.as_str() != "limit" && k.as_str() != "cursor")
    {
        return Err(ApiError::bad_request(format!(
            "unknown query parameter {name:?}; known: limit, cursor"
        ))
        .with_field(name.clone()));
    }
    Paging::from_params(params)
}

/// The resources of kind `F` that refer to the `T` in the path (the doctors of a specialty).
pub async fn referrers<T: Resource, F: Resource>(
    State(state): State<AppState>,
    ids: Ids,
    params: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(params) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let paging = paging_only(&params)?;
    let id = ids.first().map(String::as_str).unwrap_or_default();
    let (found, next) = Repository::<T>::new(state.deps.clone())
        .referrers(id, F::KIND, paging.limit, paging.cursor.as_deref())
        .await?;
    let items = fetch_all(&Repository::<F>::new(state.deps.clone()), &found).await?;
    Ok(page_json(items, next))
}

/// The resources of kind `T` that the `F` in the path refers to (the specialties of a doctor).
pub async fn referenced<F: Resource, T: Resource>(
    State(state): State<AppState>,
    ids: Ids,
) -> ApiResult<Response> {
    let id = ids.first().map(String::as_str).unwrap_or_default();
    let from = Repository::<F>::new(state.deps.clone())
        .get(None, id)
        .await?;
    let to = Repository::<T>::new(state.deps.clone());
    let targets: Vec<String> = from
        .data
        .references()
        .into_iter()
        .filter(|r| r.kind == T::KIND)
        .map(|r| r.id)
        .collect();
    Ok(page_json(fetch_all(&to, &targets).await?, None))
}

/// The public JSON of each top-level resource named, skipping any deleted meanwhile.
async fn fetch_all<R: Resource>(repo: &Repository<R>, ids: &[String]) -> ApiResult<Vec<Value>> {
    let records = futures::future::join_all(ids.iter().map(|id| repo.get(None, id))).await;
    let mut items = Vec::with_capacity(records.len());
    for r in records {
        match r {
            Ok(r) => items.push(r.to_json()),
            Err(hospital_core::DomainError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(items)
}

/// Registers the five routes of a resource: list and create on `collection`, get, patch and
/// delete on `item`.
pub fn crud<R: Resource>(
    router: Router<AppState>,
    collection: &str,
    item: &str,
) -> Router<AppState> {
    router
        .route(collection, routing::get(list::<R>).post(create::<R>))
        .route(
            item,
            routing::get(get::<R>)
                .patch(update::<R>)
                .delete(delete::<R>),
        )
}
