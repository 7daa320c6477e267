//! The OpenAPI 3.1 document, generated from the code: schemas from the types (utoipa's
//! `ToSchema`), operations from each router's resource declarations, roles from the RBAC table.

use crate::error::ErrorEnvelope;
use crate::rbac;
use hospital_core::resource::{FilterKind, Resource};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{
    AllOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type,
};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Paths, Ref, RefOr,
    Required, ResponseBuilder,
};
use utoipa::{PartialSchema, ToSchema};

/// Collects paths and schemas while the routers describe themselves.
pub struct Doc {
    paths: Paths,
    schemas: Vec<(String, RefOr<Schema>)>,
}

pub fn error_response(description: &str) -> utoipa::openapi::Response {
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

pub fn json_response(
    description: &str,
    schema: impl Into<RefOr<Schema>>,
) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new().schema(Some(schema)).build(),
        )
        .build()
}

pub fn path_param(name: &str, description: &str) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(description))
        .schema(Some(String::schema()))
        .build()
}

fn query_param(
    name: &str,
    description: &str,
    schema: RefOr<Schema>,
) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

pub fn header_param(name: &str, description: &str) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(String::schema()))
        .build()
}

/// `?limit=` and `?cursor=`.
fn paging(op: OperationBuilder) -> OperationBuilder {
    op.parameter(query_param(
        "limit",
        "Page size, 1 to 200 (default 50)",
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1))
            .maximum(Some(200))
            .into(),
    ))
    .parameter(query_param(
        "cursor",
        "The next_cursor of the previous page",
        String::schema(),
    ))
}

fn method_of(m: &str) -> HttpMethod {
    match m {
        "POST" => HttpMethod::Post,
        "PATCH" => HttpMethod::Patch,
        "DELETE" => HttpMethod::Delete,
        "PUT" => HttpMethod::Put,
        _ => HttpMethod::Get,
    }
}

impl Default for Doc {
    fn default() -> Self {
        Self::new()
    }
}

impl Doc {
    pub fn new() -> Self {
        let mut schemas = Vec::new();
        schemas.push((ErrorEnvelope::name().into_owned(), ErrorEnvelope::schema()));
        ErrorEnvelope::schemas(&mut schemas);
        Doc {
            paths: Paths::new(),
            schemas,
        }
    }

    /// Adds one operation; the roles, the 401/403 responses and the security requirement come
    /// from the RBAC table.
    pub fn operation(&mut self, method: &str, path: &str, op: OperationBuilder) {
        let rule = rbac::ROUTES
            .iter()
            .find(|r| r.method == method && r.path == path);
        let mut op = op.response(
            "500",
            error_response("Unexpected error; quote the request id"),
        );
        if let Some(rule) = rule.filter(|r| !r.roles.is_empty()) {
            let roles: Vec<&str> = rule.roles.iter().map(|r| r.as_str()).collect();
            op = op
                .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
                .response("401", error_response("Missing or invalid bearer token"))
                .response("403", error_response("The caller's role may not do this"))
                .extensions(Some(
                    utoipa::openapi::extensions::ExtensionsBuilder::new()
                        .add("x-roles", roles.clone())
                        .build(),
                ));
            let description = format!("Roles: {}.", roles.join(", "));
            op = op.description(Some(description));
        }
        self.paths
            .add_path_operation(path, vec![method_of(method)], op.build());
    }

    fn add_schema<T: ToSchema>(&mut self) {
        self.schemas.push((T::name().into_owned(), T::schema()));
        T::schemas(&mut self.schemas);
    }

    /// The five operations of a resource. `collection` is the list/create path and `item`
    /// the path of one resource; `params` names their path parameters in order.
    pub fn resource<R: Resource + ToSchema>(&mut self, tag: &str, collection: &str, item: &str) {
        self.resource_ops::<R>(tag, collection, item, true);
    }

    /// List and get only (a sub-resource created by its own operation and never changed).
    pub fn sub_resource_reads<R: Resource + ToSchema>(
        &mut self,
        tag: &str,
        collection: &str,
        item: &str,
    ) {
        self.resource_ops::<R>(tag, collection, item, false);
    }

    fn resource_ops<R: Resource + ToSchema>(
        &mut self,
        tag: &str,
        collection: &str,
        item: &str,
        writable: bool,
    ) {
        self.add_schema::<R>();
        let name = R::name();
        let input: RefOr<Schema> = Ref::from_schema_name(name.clone()).into();
        let mut meta = ObjectBuilder::new()
            .property(
                "id",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some("ULID")),
            )
            .required("id");
        if let Some(parent) = R::PARENT {
            meta = meta
                .property(format!("{parent}_id"), String::schema())
                .required(format!("{parent}_id"));
        }
        let datetime = || {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        };
        meta = meta
            .property(
                "version",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .description(Some("Also the ETag")),
            )
            .required("version")
            .property("created_at", datetime())
            .required("created_at")
            .property("updated_at", datetime())
            .required("updated_at");
        let record_name = format!("{name}Record");
        self.schemas.push((
            record_name.clone(),
            Schema::AllOf(AllOfBuilder::new().item(meta).item(input.clone()).build()).into(),
        ));
        let record: RefOr<Schema> = Ref::from_schema_name(record_name.clone()).into();
        let page_name = format!("{name}Page");
        self.schemas.push((
            page_name.clone(),
            ObjectBuilder::new()
                .property("items", ArrayBuilder::new().items(record.clone()))
                .required("items")
                .property(
                    "next_cursor",
                    ObjectBuilder::new()
                        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                            Type::String,
                            Type::Null,
                        ]))
                        .description(Some(
                            "Pass as ?cursor= for the next page; null on the last page",
                        )),
                )
                .required("next_cursor")
                .into(),
        ));
        let page: RefOr<Schema> = Ref::from_schema_name(page_name).into();
        let kind = R::KIND;
        let parent_param = R::PARENT.map(|p| format!("{p}_id"));
        let with_parent = |op: OperationBuilder| match &parent_param {
            Some(p) => op.parameter(path_param(p, "Id of the parent resource")),
            None => op,
        };
        let base = |summary: String, id: &str| {
            with_parent(
                OperationBuilder::new()
                    .tag(tag)
                    .summary(Some(summary))
                    .operation_id(Some(id.to_string())),
            )
        };
        let with_id = |op: OperationBuilder| op.parameter(path_param("id", "Id (ULID)"));
        let body = |content_types: &[&str]| {
            let mut b = RequestBodyBuilder::new().required(Some(Required::True));
            for ct in content_types {
                b = b.content(
                    *ct,
                    ContentBuilder::new().schema(Some(input.clone())).build(),
                );
            }
            b.build()
        };
        let invalid =
            error_response("Malformed request (bad JSON, bad parameter, tampered cursor)");
        let unprocessable = error_response("Validation failed; each error names its field");

        if writable {
            self.operation(
            "POST",
            collection,
            base(format!("Create a {kind}"), &format!("create_{kind}"))
                .request_body(Some(body(&["application/json"])))
                .parameter(header_param(
                    "Idempotency-Key",
                    "Replays the first response for a repeated key; a different body with the same key is a 422",
                ))
                .response(
                    "201",
                    ResponseBuilder::new()
                        .description("Created; Location and ETag headers are set")
                        .content("application/json", ContentBuilder::new().schema(Some(record.clone())).build())
                        .build(),
                )
                .response("400", invalid.clone())
                .response("404", error_response("Parent not found"))
                .response("409", error_response("Unique field taken"))
                .response("413", error_response("Body too large"))
                .response("415", error_response("Content-Type is not application/json"))
                .response("422", unprocessable.clone()),
        );
        }
        let mut list = paging(base(
            format!("List {kind} records"),
            &format!("list_{kind}"),
        ));
        for (param, filter) in R::FILTERS {
            let text = match filter {
                FilterKind::SortPrefix => "Prefix, ignoring case and accents".to_string(),
                FilterKind::Unique(f) => format!("Exact {f}"),
                FilterKind::Custom(description) => description.to_string(),
            };
            list = list.parameter(query_param(param, &text, String::schema()));
        }
        self.operation(
            "GET",
            collection,
            list.response("200", json_response("A page", page))
                .response("400", invalid.clone())
                .response("404", error_response("Parent not found")),
        );
        self.operation(
            "GET",
            item,
            with_id(base(format!("Get a {kind}"), &format!("get_{kind}")))
                .response(
                    "200",
                    json_response("Found; ETag header set", record.clone()),
                )
                .response("404", error_response("Not found")),
        );
        if !writable {
            return;
        }
        self.operation(
            "PATCH",
            item,
            with_id(base(
                format!("Update a {kind} (JSON Merge Patch)"),
                &format!("update_{kind}"),
            ))
            .parameter(header_param(
                "If-Match",
                "ETag of the version being changed",
            ))
            .request_body(Some(body(&[
                "application/merge-patch+json",
                "application/json",
            ])))
            .response("200", json_response("Updated; new ETag", record))
            .response("400", invalid)
            .response("404", error_response("Not found"))
            .response("409", error_response("Unique field taken"))
            .response("412", error_response("If-Match names an older version"))
            .response("415", error_response("Unsupported Content-Type"))
            .response("422", unprocessable),
        );
        self.operation(
            "DELETE",
            item,
            with_id(base(format!("Delete a {kind}"), &format!("delete_{kind}")))
                .parameter(header_param(
                    "If-Match",
                    "ETag of the version being deleted",
                ))
                .response("204", ResponseBuilder::new().description("Deleted").build())
                .response("404", error_response("Not found"))
                .response("409", error_response("Still referenced"))
                .response("412", error_response("If-Match names an older version")),
        );
    }

    /// A GET of records of `R` related to the resource in the path (`/v1/specialties/{id}/doctors`).
    pub fn related<R: Resource + ToSchema>(
        &mut self,
        tag: &str,
        path: &str,
        summary: &str,
        id: &str,
        paged: bool,
    ) {
        let page: RefOr<Schema> = Ref::from_schema_name(format!("{}Page", R::name())).into();
        let mut op = OperationBuilder::new()
            .tag(tag)
            .summary(Some(summary))
            .operation_id(Some(id.to_string()))
            .parameter(path_param("id", "Id (ULID)"));
        if paged {
            op = paging(op);
        }
        self.operation(
            "GET",
            path,
            op.response("200", json_response("A page", page))
                .response("400", error_response("Bad parameter or cursor"))
                .response("404", error_response("Not found")),
        );
    }

    /// Registers a schema used by a hand-described operation.
    pub fn schema<T: ToSchema>(&mut self) {
        self.add_schema::<T>();
    }

    pub fn build(self) -> OpenApi {
        let components = ComponentsBuilder::new()
            .schemas_from_iter(self.schemas)
            .security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("JWT")
                        .description(Some("A JWT whose `roles` claim lists the caller's roles"))
                        .build(),
                ),
            )
            .build();
        OpenApiBuilder::new()
            .info(
                InfoBuilder::new()
                    .title("Hospital API")
                    .version(env!("CARGO_PKG_VERSION"))
                    .description(Some(
                        "Hospital management backend. Every error uses the envelope \
                         {\"error\": [{\"title\", \"message\", \"field\"}], \"request_id\"}.",
                    ))
                    .build(),
            )
            .paths(self.paths)
            .components(Some(components))
            .build()
    }
}

/// The whole document: every router describes itself here.
pub fn document() -> OpenApi {
    let mut doc = Doc::new();
    crate::meta::describe(&mut doc);
    crate::patients::describe(&mut doc);
    crate::specialties::describe(&mut doc);
    crate::doctors::describe(&mut doc);
    crate::staff::describe(&mut doc);
    crate::insurers::describe(&mut doc);
    crate::sectors::describe(&mut doc);
    crate::beds::describe(&mut doc);
    crate::medications::describe(&mut doc);
    doc.build()
}
