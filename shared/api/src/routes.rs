//! A route as data: method, path, the roles allowed, its handler and its OpenAPI operation,
//! declared once. The router, the RBAC table, the OpenAPI document, the SAM template and the
//! sample events are all read off these (see [`crate::registry`]).

use crate::AppState;
use crate::auth::Role;
use crate::openapi::{self, Schemas};
use axum::routing::MethodRouter;
use serde_json::Value;
use std::cell::Cell;
use utoipa::ToSchema;
use utoipa::openapi::path::{Operation, OperationBuilder, Parameter};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required, ResponseBuilder, Schema};

pub struct Route {
    pub method: &'static str,
    /// The route template as registered in axum (`/v1/patients/{id}`).
    pub path: &'static str,
    /// Roles allowed; empty means public (no token needed).
    pub roles: &'static [Role],
    pub handler: MethodRouter<AppState>,
    pub op: Operation,
    /// Schemas the operation refers to.
    pub schemas: Schemas,
    /// A request body the route accepts, for the sample events.
    pub example: Option<Value>,
}

thread_local! {
    /// Whether routes built on this thread carry their OpenAPI operation (see [`undocumented`]).
    static DOCUMENTED: Cell<bool> = const { Cell::new(true) };
}

/// Runs `f` (which builds routes) without building their OpenAPI operations: a Lambda function
/// serves its routes but never the document (the `meta` function builds that on request), and
/// building the operations was a tenth of a function's cold start. The routes' method, path,
/// roles and handler are the same either way (tested).
pub fn undocumented<T>(f: impl FnOnce() -> T) -> T {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            DOCUMENTED.set(self.0);
        }
    }
    let _restore = Restore(DOCUMENTED.replace(false));
    f()
}

/// Builds a [`Route`]: the operation's summary, parameters, body and responses. Under
/// [`undocumented`] it keeps only what the router needs.
pub struct RouteBuilder {
    documented: bool,
    method: &'static str,
    path: &'static str,
    roles: &'static [Role],
    handler: MethodRouter<AppState>,
    op: OperationBuilder,
    schemas: Schemas,
    example: Option<Value>,
    description: Option<String>,
}

impl Route {
    /// Starts declaring the route `method path`, open to `roles`, served by `handler`.
    pub fn at(
        method: &'static str,
        path: &'static str,
        roles: &'static [Role],
        handler: MethodRouter<AppState>,
    ) -> RouteBuilder {
        let documented = DOCUMENTED.get();
        let mut op = OperationBuilder::new();
        for name in path_params(path).filter(|_| documented) {
            op = op.parameter(openapi::path_param(name));
        }
        RouteBuilder {
            documented,
            method,
            path,
            roles,
            handler,
            op,
            schemas: Schemas::default(),
            example: None,
            description: None,
        }
    }
}

/// The `{name}` segments of a route template, in order.
pub fn path_params(path: &str) -> impl Iterator<Item = &str> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
}

impl RouteBuilder {
    pub fn summary(self, tag: &str, id: &str, summary: &str) -> Self {
        self.with_op(|op| {
            op.tag(tag)
                .operation_id(Some(id.to_string()))
                .summary(Some(summary.to_string()))
        })
    }

    pub fn description(mut self, text: &str) -> Self {
        if self.documented {
            self.description = Some(text.to_string());
        }
        self
    }

    pub fn param(self, p: Parameter) -> Self {
        self.with_op(|op| op.parameter(p))
    }

    /// Parameters built only when the route is documented (lists of them cost a cold start).
    pub fn params<I: IntoIterator<Item = Parameter>>(self, params: impl FnOnce() -> I) -> Self {
        self.with_op(|op| params().into_iter().fold(op, |op, p| op.parameter(p)))
    }

    /// Registers `T` (and the schemas it refers to) with the document.
    pub fn schema<T: ToSchema>(mut self) -> Self {
        self.schemas.add::<T>();
        self
    }

    /// Registers a schema built by hand.
    pub fn raw_schema(mut self, name: impl Into<String>, schema: Value) -> Self {
        if self.documented {
            self.schemas.insert(name.into(), schema);
        }
        self
    }

    /// A JSON request body of the named schema; `media` are its accepted content types.
    pub fn body(self, schema: &str, media: &[&str]) -> Self {
        self.with_op(|op| Self::body_op(op, schema, media))
    }

    fn body_op(op: OperationBuilder, schema: &str, media: &[&str]) -> OperationBuilder {
        let mut b = RequestBodyBuilder::new().required(Some(Required::True));
        for m in media {
            b = b.content(
                *m,
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name(schema)))
                    .build(),
            );
        }
        op.request_body(Some(b.build()))
            .response("400", openapi::error("Malformed JSON (or a repeated key)"))
            .response(
                "408",
                openapi::error("The body did not arrive within 10 s; the connection is closed"),
            )
            .response("413", openapi::error("Body larger than 64 KiB"))
            .response(
                "415",
                openapi::error(&format!("Content-Type is not {}", media.join(" or "))),
            )
    }

    pub fn example(mut self, body: Value) -> Self {
        self.example = Some(body);
        self
    }

    /// A success response with a JSON body of the named schema (none for `None`).
    pub fn ok(self, status: u16, description: &str, schema: Option<&str>) -> Self {
        self.with_op(|op| {
            let mut r = ResponseBuilder::new().description(description);
            if let Some(s) = schema {
                let schema: RefOr<Schema> = Ref::from_schema_name(s).into();
                r = r.content(
                    "application/json",
                    ContentBuilder::new().schema(Some(schema)).build(),
                );
            }
            op.response(status.to_string(), r.build())
        })
    }

    /// A response built by hand (one with headers or links).
    pub fn response(self, status: u16, response: utoipa::openapi::Response) -> Self {
        self.with_op(|op| op.response(status.to_string(), response))
    }

    /// An error response in the envelope.
    pub fn error(self, status: u16, description: &str) -> Self {
        self.with_op(|op| op.response(status.to_string(), openapi::error(description)))
    }

    /// Applies a function to the operation builder (for what the helpers above lack); not
    /// under [`undocumented`].
    pub fn with_op(mut self, f: impl FnOnce(OperationBuilder) -> OperationBuilder) -> Self {
        if self.documented {
            self.op = f(self.op);
        }
        self
    }

    pub fn build(self) -> Route {
        let (op, schemas) = if self.documented {
            (
                finish_op(self.op, self.description, self.roles),
                self.schemas,
            )
        } else {
            (self.op, Schemas::default())
        };
        Route {
            method: self.method,
            path: self.path,
            roles: self.roles,
            handler: self.handler,
            op: op.build(),
            schemas,
            example: self.example,
        }
    }
}

/// What every documented operation ends with: the 500, and for a guarded route its roles, the
/// bearer scheme, 401 and 403.
fn finish_op(
    op: OperationBuilder,
    description: Option<String>,
    roles: &[Role],
) -> OperationBuilder {
    let mut op = op.response(
        "500",
        openapi::error("Unexpected error; quote the request id"),
    );
    let mut description = description.unwrap_or_default();
    if !roles.is_empty() {
        let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        if !description.is_empty() {
            description.push_str("\n\n");
        }
        description.push_str(&format!("Roles: {}.", roles.join(", ")));
        op = op
            .security(utoipa::openapi::security::SecurityRequirement::new(
                "bearer",
                Vec::<String>::new(),
            ))
            .response("401", openapi::error("Missing or invalid bearer token"))
            .response("403", openapi::error("The caller's role may not do this"))
            .extensions(Some(
                utoipa::openapi::extensions::ExtensionsBuilder::new()
                    .add("x-roles", roles)
                    .build(),
            ));
    }
    if !description.is_empty() {
        op = op.description(Some(description));
    }
    op
}
