//! The OpenAPI 3.1 document, generated from the routes (see [`crate::registry`]): operations as
//! each route declares them, schemas from the types (utoipa's `ToSchema`), shaped here so that
//! they say what the server enforces and what it answers:
//!
//! - a resource `X` has `X` (the create body, without server-maintained fields), `XPatch` (a
//!   merge patch: nothing required), `XRecord` (a response: metadata and data flat, nothing
//!   else) and `XPage`;
//! - every text without a format, enum or pattern of its own gets the pattern of a single-line
//!   text (or of a multi-line one, for the fields a resource declares multi-line);
//! - path ids are ULIDs.

use crate::error::ErrorEnvelope;
use hospital_core::resource::{FilterKind, Resource};
use hospital_core::validate::{MULTILINE_PATTERN, SINGLE_LINE_PATTERN};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::{ContentBuilder, Ref, Required, ResponseBuilder};
use utoipa::{PartialSchema, ToSchema};

/// A ULID as a JSON Schema pattern (Crockford base32, 26 characters).
pub const ULID_PATTERN: &str = "^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$";
/// `Idempotency-Key`: 1 to 255 visible ASCII characters.
pub const IDEMPOTENCY_KEY_PATTERN: &str = "^[\\x21-\\x7E]{1,255}$";
/// `If-Match`: an ETag from a response (`"3"`, `W/"3"`, `3`) or `*`.
pub const IF_MATCH_PATTERN: &str = "^(\\*|(W/)?\"[0-9]{1,19}\"|[0-9]{1,19})$";

/// Longest value of a list filter: a name prefix, or a document number.
pub const FILTER_MAX: usize = 200;
pub const UNIQUE_FILTER_MAX: usize = 40;

/// The schemas a route refers to, generated only when the document is assembled (a Lambda
/// function builds its routes at start-up and never needs them).
#[derive(Clone, Default)]
pub struct Schemas {
    deferred: Vec<fn(&mut SchemaMap)>,
    raw: Vec<(String, Value)>,
}

impl std::fmt::Debug for Schemas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schemas").finish_non_exhaustive()
    }
}

impl Schemas {
    /// `T` and the schemas it refers to.
    pub fn add<T: ToSchema>(&mut self) {
        self.deferred.push(|m| m.add::<T>());
    }

    /// The four schemas of a resource (see [`SchemaMap::resource`]); answers `X`'s name.
    pub fn resource<R: Resource + ToSchema>(&mut self) -> String {
        self.deferred.push(|m| {
            m.resource::<R>();
        });
        R::name().into_owned()
    }

    pub fn insert(&mut self, name: String, schema: Value) {
        self.raw.push((name, schema));
    }

    pub fn extend(&mut self, other: &Schemas) {
        self.deferred.extend(other.deferred.iter().copied());
        self.raw.extend(other.raw.iter().cloned());
    }

    /// Generates them.
    pub fn build(&self) -> SchemaMap {
        let mut map = SchemaMap::default();
        for f in &self.deferred {
            f(&mut map);
        }
        for (k, v) in &self.raw {
            map.0.insert(k.clone(), v.clone());
        }
        map
    }
}

/// Schemas by name, as JSON.
#[derive(Debug, Clone, Default)]
pub struct SchemaMap(BTreeMap<String, Value>);

impl SchemaMap {
    pub fn add<T: ToSchema>(&mut self) {
        let mut refs = Vec::new();
        T::schemas(&mut refs);
        refs.push((T::name().into_owned(), T::schema()));
        for (name, schema) in refs {
            self.0
                .entry(name)
                .or_insert_with(|| serde_json::to_value(schema).unwrap_or(Value::Null));
        }
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// The four schemas of a resource (`X`, `XPatch`, `XRecord`, `XPage`); returns `X`'s name.
    pub fn resource<R: Resource + ToSchema>(&mut self) -> String {
        let name = R::name().into_owned();
        if self.0.contains_key(&format!("{name}Record")) {
            return name;
        }
        self.add::<R>();
        let mut data = self.0.get(&name).cloned().unwrap_or(Value::Null);
        text_patterns(&mut data, R::MULTILINE);
        let props = data["properties"].as_object().cloned().unwrap_or_default();
        let required: Vec<String> = data["required"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();

        // The create body: what a client may send.
        let writable: Map<String, Value> = props
            .iter()
            .filter(|(k, _)| !R::SERVER_FIELDS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let writable_required: Vec<&String> = required
            .iter()
            .filter(|k| writable.contains_key(k.as_str()))
            .collect();
        let mut input = data.clone();
        input["properties"] = Value::Object(writable.clone());
        input["required"] = json!(writable_required);
        input["additionalProperties"] = json!(false);
        self.0.insert(name.clone(), input);

        // A merge patch: any subset of the writable fields; null removes an optional one.
        let writable: Map<String, Value> = writable
            .into_iter()
            .map(|(k, v)| {
                let v = if required.contains(&k) {
                    v
                } else {
                    nullable(v)
                };
                (k, v)
            })
            .collect();
        let writable: Map<String, Value> = writable
            .into_iter()
            .map(|(k, v)| (k, self.partial(v)))
            .collect();
        let mut patch = json!({
            "type": "object",
            "description": format!("A JSON Merge Patch (RFC 7396) of a {}: the fields to change; null removes an optional field", R::KIND),
            "properties": writable,
            "additionalProperties": false,
        });
        if let Some(d) = data.get("description") {
            patch["description"] = json!(format!(
                "{} — as a JSON Merge Patch (RFC 7396): the fields to change; null removes an optional field",
                d.as_str().unwrap_or_default()
            ));
        }
        self.0.insert(format!("{name}Patch"), patch);

        // A response: metadata and data, flat.
        let mut record = Map::new();
        let mut record_required = vec![json!("id")];
        record.insert(
            "id".into(),
            json!({"type": "string", "pattern": ULID_PATTERN, "description": "ULID"}),
        );
        if let Some(parent) = R::PARENT {
            record.insert(
                format!("{parent}_id"),
                json!({"type": "string", "pattern": ULID_PATTERN}),
            );
            record_required.push(json!(format!("{parent}_id")));
        }
        record.insert(
            "version".into(),
            json!({"type": "integer", "minimum": 1, "description": "Also the ETag"}),
        );
        record.insert(
            "created_at".into(),
            json!({"type": "string", "format": "date-time"}),
        );
        record.insert(
            "updated_at".into(),
            json!({"type": "string", "format": "date-time"}),
        );
        record_required.extend(["version", "created_at", "updated_at"].map(|s| json!(s)));
        for (k, v) in props {
            let mut v = v;
            if let Some(o) = v.as_object_mut() {
                o.remove("readOnly");
            }
            record.insert(k, v);
        }
        // A record holds every field that is not nullable: serde writes them all, defaults
        // included (a status), while a field that is `null`-able in Rust (an `Option`) is left
        // out until set (an exam's `started_at`, an admission's `discharge`), so it is not
        // required, server-maintained or not.
        for (k, v) in &record {
            if !is_nullable(v) && !record_required.iter().any(|r| r == k) {
                record_required.push(json!(k));
            }
        }
        // Clinical detail is left out for some callers: not required, where it is.
        for pointer in R::CLINICAL {
            match pointer.trim_start_matches('/').split_once('/') {
                None => record_required.retain(|r| r != pointer.trim_start_matches('/')),
                Some((outer, inner)) => self.not_required(record.get(outer), inner),
            }
        }
        let mut record_schema = json!({
            "type": "object",
            "properties": record,
            "required": record_required,
            "additionalProperties": false,
        });
        if let Some(d) = data.get("description") {
            record_schema["description"] = d.clone();
        }
        self.0.insert(format!("{name}Record"), record_schema);
        self.0.insert(
            format!("{name}Page"),
            page_schema(&format!("#/components/schemas/{name}Record")),
        );
        name
    }
}

impl SchemaMap {
    /// Makes `field` optional in the object schema `schema` refers to (directly or as a
    /// variant of a nullable `oneOf`): a nested member a response may leave out.
    fn not_required(&mut self, schema: Option<&Value>, field: &str) {
        let Some(schema) = schema else { return };
        let refs = std::iter::once(schema)
            .chain(schema["oneOf"].as_array().into_iter().flatten())
            .filter_map(|s| s["$ref"].as_str())
            .filter_map(|r| r.strip_prefix("#/components/schemas/"));
        for name in refs.map(str::to_string).collect::<Vec<_>>() {
            if let Some(Value::Array(required)) =
                self.0.get_mut(&name).and_then(|t| t.get_mut("required"))
            {
                required.retain(|r| r != field);
            }
        }
    }
}

/// Whether the schema admits `null`.
fn is_nullable(schema: &Value) -> bool {
    match &schema["type"] {
        Value::String(t) => t == "null",
        Value::Array(ts) => ts.iter().any(|t| t == "null"),
        _ => schema
            .get("oneOf")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|s| s["type"] == "null")),
    }
}

/// The schema, or null.
fn nullable(mut schema: Value) -> Value {
    let has_null_variant = schema
        .get("oneOf")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|s| s["type"] == "null"));
    match schema.get_mut("type") {
        Some(Value::String(t)) if t != "null" => {
            let t = t.clone();
            schema["type"] = json!([t, "null"]);
            schema
        }
        Some(Value::Array(ts)) => {
            if !ts.iter().any(|t| t == "null") {
                ts.push(json!("null"));
            }
            schema
        }
        _ if has_null_variant => schema,
        _ => json!({"oneOf": [{"type": "null"}, schema]}),
    }
}

impl SchemaMap {
    /// A property of a merge patch: nested objects are merged too, so a reference to an
    /// object schema `C` becomes one to `CPatch`, which requires nothing.
    fn partial(&mut self, mut schema: Value) -> Value {
        if let Some(name) = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
            .map(str::to_string)
        {
            let Some(target) = self.0.get(&name).cloned() else {
                return schema;
            };
            if target.get("properties").is_none() {
                return schema;
            }
            let patch_name = format!("{name}Patch");
            if !self.0.contains_key(&patch_name) {
                let mut patch = target;
                if let Some(o) = patch.as_object_mut() {
                    o.remove("required");
                }
                if let Some(props) = patch.get_mut("properties").and_then(Value::as_object_mut) {
                    let names: Vec<String> = props.keys().cloned().collect();
                    for k in names {
                        let v = props.remove(&k).unwrap_or(Value::Null);
                        props.insert(k, nullable(v));
                    }
                }
                self.0.insert(patch_name.clone(), patch);
            }
            return json!({"$ref": format!("#/components/schemas/{patch_name}")});
        }
        if let Some(variants) = schema.get_mut("oneOf").and_then(Value::as_array_mut) {
            let taken = std::mem::take(variants);
            *variants = taken.into_iter().map(|v| self.partial(v)).collect();
        }
        schema
    }
}

/// `{"items": [...], "next_cursor": "…" | null}`.
pub fn page_schema(item_ref: &str) -> Value {
    json!({
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"$ref": item_ref}},
            "next_cursor": {
                "type": ["string", "null"],
                "description": "Pass as ?cursor= for the next page; null on the last page",
            },
        },
        "required": ["items", "next_cursor"],
        "additionalProperties": false,
    })
}

/// Gives every text of `schema` without a format, enum or pattern the pattern of its kind:
/// multi-line for the top-level properties named in `multiline`, single-line otherwise.
pub fn text_patterns(schema: &mut Value, multiline: &[&str]) {
    if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        for (name, prop) in props.iter_mut() {
            let pattern = if multiline.contains(&name.as_str()) {
                MULTILINE_PATTERN
            } else {
                SINGLE_LINE_PATTERN
            };
            add_pattern(prop, pattern);
        }
    }
}

fn is_text(schema: &Value) -> bool {
    match &schema["type"] {
        Value::String(t) => t == "string",
        Value::Array(ts) => ts.iter().any(|t| t == "string"),
        _ => false,
    }
}

fn add_pattern(schema: &mut Value, pattern: &str) {
    if is_text(schema)
        && schema.get("format").is_none()
        && schema.get("enum").is_none()
        && schema.get("pattern").is_none()
    {
        schema["pattern"] = json!(pattern);
    }
    if let Some(items) = schema.get_mut("items") {
        add_pattern(items, pattern);
    }
    if let Some(any) = schema.get_mut("oneOf").and_then(Value::as_array_mut) {
        for s in any {
            add_pattern(s, pattern);
        }
    }
    if schema.get("properties").is_some() {
        text_patterns(schema, &[]);
    }
}

pub fn error(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorEnvelope")))
                .build(),
        )
        .build()
}

/// A path parameter: an id (ULID) for `id` and `<kind>_id`, a name or a file otherwise.
pub fn path_param(name: &str) -> Parameter {
    let (description, pattern) = if name == "id" {
        ("Id (ULID)".to_string(), ULID_PATTERN)
    } else if let Some(kind) = name.strip_suffix("_id") {
        (format!("Id of the {kind} (ULID)"), ULID_PATTERN)
    } else if name == "file" {
        (
            "The day's report file: YYYY-MM-DD.pdf or YYYY-MM-DD.xlsx".to_string(),
            r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\.(pdf|xlsx)$",
        )
    } else {
        (format!("The {name}"), "^[a-z][a-z-]{0,39}$")
    };
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(description))
        .schema(Some(
            utoipa::openapi::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::String)
                .pattern(Some(pattern)),
        ))
        .build()
}

/// A query parameter with a schema given as JSON.
pub fn query_param(name: &str, description: &str, schema: Value) -> Parameter {
    let schema: utoipa::openapi::RefOr<utoipa::openapi::Schema> =
        serde_json::from_value(schema).unwrap_or_else(|_| String::schema());
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

/// A required query parameter with a schema given as JSON.
pub fn required_query_param(name: &str, description: &str, schema: Value) -> Parameter {
    let mut p = query_param(name, description, schema);
    p.required = Required::True;
    p
}

pub fn header_param(name: &str, description: &str, pattern: &str) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(
            utoipa::openapi::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::String)
                .pattern(Some(pattern)),
        ))
        .build()
}

/// `?limit=` and `?cursor=`.
pub fn paging() -> [Parameter; 2] {
    [
        query_param(
            "limit",
            "Page size, 1 to 200 (default 50)",
            json!({"type": "integer", "minimum": 1, "maximum": 200}),
        ),
        query_param(
            "cursor",
            "The next_cursor of the previous page (opaque)",
            json!({"type": "string", "pattern": "^[A-Za-z0-9_-]{1,2048}$"}),
        ),
    ]
}

/// The query parameters of a resource's list filters.
pub fn filter_params<R: Resource>() -> Vec<Parameter> {
    R::FILTERS
        .iter()
        .map(|(param, filter)| match filter {
            FilterKind::SortPrefix => query_param(
                param,
                "Prefix, ignoring case and accents",
                json!({"type": "string", "minLength": 1, "maxLength": FILTER_MAX, "pattern": SINGLE_LINE_PATTERN}),
            ),
            FilterKind::Unique(f) => query_param(
                param,
                &format!("Exact {f}; punctuation is ignored"),
                json!({"type": "string", "minLength": 1, "maxLength": UNIQUE_FILTER_MAX, "pattern": SINGLE_LINE_PATTERN}),
            ),
            FilterKind::Custom { description, schema } => {
                query_param(param, description, serde_json::from_str(schema).unwrap_or(json!({"type": "string"})))
            }
        })
        .collect()
}

/// Assembles the document from operations and schemas.
pub fn document(
    ops: Vec<(&str, &str, utoipa::openapi::path::Operation)>,
    schemas: &Schemas,
) -> Value {
    let mut paths = utoipa::openapi::Paths::new();
    for (method, path, op) in ops {
        paths.add_path_operation(path, vec![method_of(method)], op);
    }
    let mut all = schemas.build();
    all.add::<ErrorEnvelope>();
    let doc = utoipa::openapi::OpenApiBuilder::new()
        .info(
            utoipa::openapi::InfoBuilder::new()
                .title("Hospital API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Hospital management backend. Every error uses the envelope \
                     {\"error\": [{\"title\", \"message\", \"field\"}], \"request_id\"}.",
                ))
                .build(),
        )
        .paths(paths)
        .components(Some(
            utoipa::openapi::ComponentsBuilder::new()
                .security_scheme(
                    "bearer",
                    utoipa::openapi::security::SecurityScheme::Http(
                        utoipa::openapi::security::HttpBuilder::new()
                            .scheme(utoipa::openapi::security::HttpAuthScheme::Bearer)
                            .bearer_format("JWT")
                            .description(Some("A JWT whose `roles` claim lists the caller's roles"))
                            .build(),
                    ),
                )
                .build(),
        ))
        .build();
    let mut doc = serde_json::to_value(doc).unwrap_or(Value::Null);
    fix_links(&mut doc);
    let mut schemas = Map::new();
    for (name, mut schema) in all.0 {
        // Texts of nested types (an emergency contact, a CRM) are single-line too; error
        // messages are the server's own and may quote what they refuse.
        if !name.starts_with("Error") {
            add_pattern(&mut schema, SINGLE_LINE_PATTERN);
        }
        schemas.insert(name, schema);
    }
    doc["components"]["schemas"] = Value::Object(schemas);
    link_children(&mut doc);
    doc
}

/// Links from each create operation to what its new resource's id can be used for (so that a
/// client, and schemathesis's stateful phase, can follow it): the operations with a
/// `{<kind>_id}` path parameter (from `create_patient` to its addresses), and the request
/// bodies with a `<kind>_id` field (from `create_sector` to `create_bed`).
fn link_children(doc: &mut Value) {
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return;
    };
    let schemas = doc["components"]["schemas"].clone();
    let mut creates = Vec::new();
    // (kind, link name, link)
    let mut links = Vec::new();
    for (path, item) in paths {
        for (method, op) in item.as_object().into_iter().flatten() {
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            if method == "post"
                && let Some(kind) = id.strip_prefix("create_")
            {
                creates.push((kind.to_string(), path.clone()));
            }
            for param in crate::routes::path_params(path) {
                if let Some(kind) = param.strip_suffix("_id") {
                    links.push((
                        kind.to_string(),
                        format!("To_{id}"),
                        json!({"operationId": id, "parameters": {param: "$response.body#/id"}}),
                    ));
                }
            }
            let body = op
                .pointer("/requestBody/content/application~1json/schema/$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                .and_then(|name| schemas[name]["properties"].as_object());
            for field in body.into_iter().flat_map(|props| props.keys()) {
                if let Some(kind) = field.strip_suffix("_id") {
                    links.push((
                        kind.to_string(),
                        format!("{field}_of_{id}"),
                        json!({"operationId": id, "requestBody": {field: "$response.body#/id"}}),
                    ));
                }
            }
        }
    }
    for (kind, create_path) in creates {
        let pointer = format!(
            "/paths/{}/post/responses/201",
            create_path.replace('~', "~0").replace('/', "~1")
        );
        let Some(created) = doc.pointer_mut(&pointer).and_then(Value::as_object_mut) else {
            continue;
        };
        let entry = created.entry("links").or_insert_with(|| json!({}));
        for (_, name, link) in links.iter().filter(|(k, _, _)| *k == kind) {
            entry[name.as_str()] = link.clone();
        }
    }
}

/// utoipa 5 writes a link's `operationId` as `operation_id`; the specification (and every
/// tool reading links) knows only the former.
fn fix_links(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for op in item.values_mut() {
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                continue;
            };
            for r in responses.values_mut() {
                let Some(links) = r.get_mut("links").and_then(Value::as_object_mut) else {
                    continue;
                };
                for link in links.values_mut().filter_map(Value::as_object_mut) {
                    for (from, to) in [
                        ("operation_id", "operationId"),
                        ("operation_ref", "operationRef"),
                        ("request_body", "requestBody"),
                    ] {
                        if let Some(v) = link.remove(from) {
                            link.insert(to.to_string(), v);
                        }
                    }
                }
            }
        }
    }
}

fn method_of(m: &str) -> utoipa::openapi::path::HttpMethod {
    use utoipa::openapi::path::HttpMethod;
    match m {
        "POST" => HttpMethod::Post,
        "PATCH" => HttpMethod::Patch,
        "DELETE" => HttpMethod::Delete,
        "PUT" => HttpMethod::Put,
        _ => HttpMethod::Get,
    }
}
