//! Generic HTTP handlers for any [`Resource`], written once: POST → 201 + Location + ETag,
//! GET → 200 + ETag, list → `{"items", "next_cursor"}`, PATCH → JSON Merge Patch with optional
//! `If-Match`, DELETE → 204; and [`crud`], which declares them as routes (see `patients.rs`).

use crate::AppState;
use crate::auth::Role;
use crate::body::{JsonBody, MergePatch};
use crate::error::{ApiError, ApiResult};
use crate::openapi::{self, Schemas};
use crate::routes::Route;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, OriginalUri, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, routing};
use hospital_core::resource::{FilterKind, Record, Repository, Resource};
use serde_json::{Value, json};
use std::collections::HashMap;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{PartialSchema, ToSchema};

/// Path parameters in order: the parent's id for a sub-resource, then the resource's own id.
/// Every route reads its path through this, so that a path axum can't decode (invalid UTF-8
/// in a `%XX` escape) is an enveloped 400 like any other bad input, not axum's plain text.
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
    let tag = s.strip_prefix("W/").unwrap_or(s);
    let number = match tag.strip_prefix('"') {
        Some(quoted) => quoted.strip_suffix('"'),
        None if !s.starts_with("W/") => Some(tag),
        None => None,
    };
    number
        .filter(|n| (1..=19).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|n| n.parse().ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::bad_request("If-Match must be an ETag from a previous response, e.g. \"3\"")
                .with_field("If-Match")
        })
}

/// 201 with the record, its `Location` (under the collection path given) and `ETag`.
pub fn created<R: Resource>(record: &Record<R>, collection: &str) -> Response {
    let location = format!("{}/{}", collection.trim_end_matches('/'), record.id);
    one(StatusCode::CREATED, record, Some(location))
}

/// 200 with the record and its `ETag`.
pub fn ok<R: Resource>(record: &Record<R>) -> Response {
    one(StatusCode::OK, record, None)
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
    let (version, body) = Repository::<R>::new(state.deps.clone())
        .get_json(parent, id.unwrap_or_default())
        .await?;
    let mut res = Json(body).into_response();
    res.headers_mut().insert(header::ETAG, etag(version));
    Ok(res)
}

pub async fn update<R: Resource>(
    State(state): State<AppState>,
    ids: Ids,
    headers: HeaderMap,
    principal: Option<axum::Extension<crate::auth::Principal>>,
    MergePatch(patch): MergePatch,
) -> ApiResult<Response> {
    if let (Some(axum::Extension(p)), Some(fields)) = (&principal, patch.as_object()) {
        guard_fields::<R>(p, fields)?;
    }
    let (parent, id) = split::<R>(&ids, true);
    let expected = if_match(&headers)?;
    let actor = principal.as_ref().map(|p| p.sub.as_str());
    let record = Repository::<R>::new(state.deps.clone())
        .update_by(parent, id.unwrap_or_default(), &patch, expected, actor)
        .await?;
    Ok(one(StatusCode::OK, &record, None))
}

/// Refuses a patch naming a field the caller's roles may not change
/// ([`crate::rbac::GUARDED_FIELDS`]), even to the value it has: a patch says what to change.
fn guard_fields<R: Resource>(
    principal: &crate::auth::Principal,
    fields: &serde_json::Map<String, Value>,
) -> ApiResult<()> {
    for (_, field, roles) in crate::rbac::GUARDED_FIELDS
        .iter()
        .filter(|(kind, field, _)| *kind == R::KIND && fields.contains_key(*field))
    {
        if !principal.roles.iter().any(|r| roles.contains(r)) {
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            return Err(ApiError::forbidden_because(format!(
                "{field}: only {} may change it",
                names.join(" or ")
            ))
            .with_field(*field));
        }
    }
    Ok(())
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
    for (name, value) in &filters {
        let max = match R::FILTERS.iter().find(|(p, _)| p == name) {
            Some((_, FilterKind::Unique(_))) => openapi::UNIQUE_FILTER_MAX,
            _ => openapi::FILTER_MAX,
        };
        check_filter_value(name, value, max)?;
    }
    let filter = R::filter(&filters, &state.deps.calendar)?;
    let page = Repository::<R>::new(state.deps.clone())
        .list(parent, filter, paging.limit, paging.cursor.as_deref())
        .await?;
    let items: Vec<_> = page.items.iter().map(Record::to_json).collect();
    Ok(Json(json!({"items": items, "next_cursor": page.next_cursor})).into_response())
}

/// A filter's value: 1 to `max` characters on one line (as the document says).
fn check_filter_value(name: &str, value: &str, max: usize) -> ApiResult<()> {
    let chars = value.chars().count();
    if !(1..=max).contains(&chars) {
        return Err(
            ApiError::bad_request(format!("{name} must be 1 to {max} characters")).with_field(name),
        );
    }
    if value
        .chars()
        .any(|c| hospital_core::validate::bad_char(c, false))
    {
        return Err(
            ApiError::bad_request(format!("{name} must not contain control characters"))
                .with_field(name),
        );
    }
    Ok(())
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
pub fn paging_only(params: &HashMap<String, String>) -> ApiResult<Paging> {
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
    params: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(params) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    if let Some(name) = params.keys().next() {
        return Err(ApiError::bad_request(format!(
            "unknown query parameter {name:?}: this list has no parameters"
        ))
        .with_field(name.clone()));
    }
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

/// Who may do what to a resource: the roles of each of its five routes.
pub struct Crud {
    /// The OpenAPI tag (the function's name).
    pub tag: &'static str,
    /// The list/create path, and the path of one resource.
    pub collection: &'static str,
    pub item: &'static str,
    pub create: &'static [Role],
    pub read: &'static [Role],
    pub update: &'static [Role],
    pub delete: &'static [Role],
}

/// The routes of a resource: list and create on the collection; get, patch and (unless the
/// resource is a record that is never deleted) delete on the item. `example` is a valid
/// create body.
pub fn crud<R: Resource + ToSchema>(c: Crud, example: Value) -> Vec<Route> {
    crud_with::<R>(c, example, routing::post(create::<R>))
}

/// [`crud`] with a create handler of the resource's own (a use case that does more than write
/// the resource: admitting a patient takes a bed).
pub fn crud_with<R: Resource + ToSchema>(
    c: Crud,
    example: Value,
    create_handler: routing::MethodRouter<AppState>,
) -> Vec<Route> {
    let mut schemas = Schemas::default();
    let name = schemas.resource::<R>();
    let kind = R::KIND;
    let human = kind.replace('_', " ");
    let record = format!("{name}Record");
    let mut routes = reads::<R>(c.tag, c.collection, c.item, c.read, &schemas);
    let id_param = |op: &str| {
        let mut link = LinkBuilder::new().operation_id(format!("{op}_{kind}"));
        if let Some(parent) = R::PARENT {
            let p = format!("{parent}_id");
            link = link.parameter(p.clone(), format!("$request.path.{p}"));
        }
        link.parameter("id", "$response.body#/id").build()
    };
    let created = ResponseBuilder::new()
        .description("Created; Location and ETag headers are set")
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(record.clone())))
                .build(),
        )
        .header("Location", header("Where the new resource is"))
        .header("ETag", header("Its version"))
        .link(format!("Get{name}"), id_param("get"))
        .link(format!("Update{name}"), id_param("update"));
    let created = if R::DELETABLE {
        created.link(format!("Delete{name}"), id_param("delete"))
    } else {
        created
    };
    routes.push(
        Route::at("POST", c.collection, c.create, create_handler)
            .summary(
                c.tag,
                &format!("create_{kind}"),
                &format!("Create a {human}"),
            )
            .body(&name, &["application/json"])
            .params(|| [idempotency_key()])
            .response(201, created.build())
            .error(
                404,
                if R::PARENT.is_some() {
                    "Parent not found"
                } else {
                    "Not found"
                },
            )
            .error(409, "A unique field is taken, or a key is being replayed")
            .error(422, "Validation failed; each error names its field")
            .example(example)
            .build(),
    );
    routes.push(
        Route::at("PATCH", c.item, c.update, routing::patch(update::<R>))
            .summary(
                c.tag,
                &format!("update_{kind}"),
                &format!("Update a {human} (JSON Merge Patch)"),
            )
            .description(&patch_description(R::KIND))
            .params(|| [if_match_param()])
            .body(
                &format!("{name}Patch"),
                &["application/merge-patch+json", "application/json"],
            )
            .ok(200, "Updated; ETag header set", Some(&record))
            .error(404, "Not found")
            .error(
                409,
                "A unique field is taken, or the change is refused in this state",
            )
            .error(412, "If-Match names an older version")
            .error(422, "Validation failed; each error names its field")
            .example(json!({}))
            .build(),
    );
    if R::DELETABLE {
        routes.push(
            Route::at("DELETE", c.item, c.delete, routing::delete(delete::<R>))
                .summary(
                    c.tag,
                    &format!("delete_{kind}"),
                    &format!("Delete a {human}"),
                )
                .params(|| [if_match_param()])
                .ok(204, "Deleted", None)
                .error(400, "Malformed If-Match")
                .error(404, "Not found")
                .error(409, "Still referred to, or holds records that are kept")
                .error(412, "If-Match names an older version")
                .build(),
        );
    }
    routes.iter_mut().for_each(|r| r.schemas.extend(&schemas));
    // The reads withhold already.
    for r in routes.iter_mut().filter(|r| r.method != "GET") {
        r.handler = withholding::<R>(std::mem::take(&mut r.handler));
    }
    routes
}

fn patch_description(kind: &str) -> String {
    let mut text =
        "A patch that changes nothing answers the record as it is (same version and ETag)."
            .to_string();
    for (_, field, roles) in crate::rbac::GUARDED_FIELDS
        .iter()
        .filter(|(k, _, _)| *k == kind)
    {
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        text.push_str(&format!(
            " Only {} may change `{field}` (403 otherwise).",
            names.join(" or ")
        ));
    }
    text
}

/// `handler`, answering callers outside the care team ([`crate::rbac::CLINICAL_READ`]) without
/// `R`'s clinical fields ([`Resource::CLINICAL`]), in a record or in each item of a page.
pub fn withholding<R: Resource>(
    handler: routing::MethodRouter<AppState>,
) -> routing::MethodRouter<AppState> {
    if R::CLINICAL.is_empty() {
        return handler;
    }
    handler.layer(axum::middleware::from_fn(withhold::<R>))
}

async fn withhold<R: Resource>(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let sees = req
        .extensions()
        .get::<crate::auth::Principal>()
        .is_none_or(|p| {
            p.roles
                .iter()
                .any(|r| crate::rbac::CLINICAL_READ.contains(r))
        });
    let res = next.run(req).await;
    if sees || !res.status().is_success() {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return ApiError::internal().into_response();
    };
    let Ok(mut value) = serde_json::from_slice::<Value>(&bytes) else {
        return ApiError::internal().into_response();
    };
    let records: Vec<&mut Value> = match value.get_mut("items") {
        Some(Value::Array(items)) => items.iter_mut().collect(),
        _ => vec![&mut value],
    };
    for record in records {
        for pointer in R::CLINICAL {
            remove_at(record, pointer);
        }
    }
    // The body changed length.
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(value.to_string()))
}

/// Removes the member a JSON pointer names, if there.
fn remove_at(value: &mut Value, pointer: &str) {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return;
    };
    if let Some(Value::Object(map)) = value.pointer_mut(parent) {
        map.remove(last);
    }
}

/// List and get only (a sub-resource created by its own operation and never changed).
pub fn reads<R: Resource + ToSchema>(
    tag: &str,
    collection: &'static str,
    item: &'static str,
    roles: &'static [Role],
    schemas: &Schemas,
) -> Vec<Route> {
    let mut own = schemas.clone();
    let name = own.resource::<R>();
    let kind = R::KIND;
    let human = kind.replace('_', " ");
    let list = Route::at("GET", collection, roles, routing::get(list::<R>))
        .summary(
            tag,
            &format!("list_{kind}"),
            &format!("List {human} records"),
        )
        .params(openapi::paging)
        .params(openapi::filter_params::<R>);
    let mut routes = vec![
        list.ok(200, "A page", Some(&format!("{name}Page")))
            .error(400, "Bad parameter, an unknown one, filters that don't go together, or a tampered cursor")
            .error(404, "Parent not found")
            .build(),
        Route::at("GET", item, roles, routing::get(get::<R>))
            .summary(tag, &format!("get_{kind}"), &format!("Get a {human}"))
            .ok(200, "Found; ETag header set", Some(&format!("{name}Record")))
            .error(404, "Not found")
            .build(),
    ];
    for r in &mut routes {
        r.schemas = own.clone();
        r.handler = withholding::<R>(std::mem::take(&mut r.handler));
    }
    routes
}

fn header(description: &str) -> utoipa::openapi::header::Header {
    utoipa::openapi::header::HeaderBuilder::new()
        .schema(String::schema())
        .description(Some(description))
        .build()
}

pub fn idempotency_key() -> utoipa::openapi::path::Parameter {
    openapi::header_param(
        "Idempotency-Key",
        "Replays the first response for a repeated key (24 hours); another body with the same key is a 422",
        openapi::IDEMPOTENCY_KEY_PATTERN,
    )
}

pub fn if_match_param() -> utoipa::openapi::path::Parameter {
    openapi::header_param(
        "If-Match",
        "ETag of the version being changed; 412 if it is no longer current",
        openapi::IF_MATCH_PATTERN,
    )
}

/// A GET of the resources of kind `F` that refer to the `T` in the path
/// (`/v1/specialties/{id}/doctors`), paged.
pub fn referrers_route<T: Resource, F: Resource + ToSchema>(
    tag: &str,
    path: &'static str,
    roles: &'static [Role],
    summary: &str,
    id: &str,
) -> Route {
    let mut schemas = Schemas::default();
    let name = schemas.resource::<F>();
    let mut route = Route::at("GET", path, roles, routing::get(referrers::<T, F>))
        .summary(tag, id, summary)
        .params(openapi::paging)
        .ok(200, "A page", Some(&format!("{name}Page")))
        .error(400, "Bad parameter or cursor")
        .error(404, "Not found")
        .build();
    route.schemas = schemas;
    route
}

/// A GET of the resources of kind `T` that the `F` in the path refers to
/// (`/v1/doctors/{id}/specialties`), all at once.
pub fn referenced_route<F: Resource, T: Resource + ToSchema>(
    tag: &str,
    path: &'static str,
    roles: &'static [Role],
    summary: &str,
    id: &str,
) -> Route {
    let mut schemas = Schemas::default();
    let name = schemas.resource::<T>();
    let mut route = Route::at("GET", path, roles, routing::get(referenced::<F, T>))
        .summary(tag, id, summary)
        .ok(200, "Every one, in one page", Some(&format!("{name}Page")))
        .error(400, "Unknown query parameter")
        .error(404, "Not found")
        .build();
    route.schemas = schemas;
    route
}
