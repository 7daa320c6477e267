//! Accounts (RF16): `/v1/users`, the administration of who may log in (the Cognito user pool on
//! AWS, the store in hospital-local), and `/v1/auth/*`, hospital-local's own identity provider:
//! log in, accept an invitation, reset a forgotten password. On AWS the front ends do the
//! latter with Cognito itself (docs/deploy.md), so no Lambda function serves `/v1/auth/*`.

use crate::AppState;
use crate::auth::{LocalJwt, Role};
use crate::body::JsonBody;
use crate::error::{ApiError, ApiResult};
use crate::openapi;
use crate::rbac::{ONLY_ADMIN, PUBLIC};
use crate::registry::{Function, TableAccess};
use crate::resources::{Ids, paging_only};
use crate::routes::Route;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use hospital_core::accounts::{
    AccountError, Invite, LocalAccounts, RolesChange, User, Users, check_roles,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use utoipa::ToSchema;
use validator::Validate;

/// The body's rules, as a 422 naming each field that breaks one.
fn valid(input: &impl Validate) -> ApiResult<()> {
    input
        .validate()
        .map_err(|e| ApiError::validation(hospital_core::validate::field_errors(&e)))
}

pub const USERS_FN: Function = Function {
    name: "users",
    description: "RF16: staff accounts (the Cognito user pool): invite, list, roles, disable",
    // Reads the doctor or staff record an invitation links to.
    table: TableAccess::Read,
    routes: user_routes,
};

pub const AUTH_FN: Function = Function {
    name: "auth",
    description: "hospital-local only: log in, accept an invitation, reset a password",
    table: TableAccess::None,
    routes: auth_routes,
};

pub const USERS: &str = "/v1/users";
pub const USER: &str = "/v1/users/{id}";

/// hospital-local's identity provider: its accounts and the key its tokens are signed with.
pub struct LocalIdentity {
    pub accounts: Arc<LocalAccounts>,
    pub jwt: Arc<LocalJwt>,
    /// How long an issued token lasts.
    pub token_secs: i64,
}

/// `POST /v1/auth/token`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    #[validate(email, length(max = 254))]
    #[schema(format = Email, max_length = 254, example = "ana.souza@santaclara.example")]
    pub email: String,
    #[validate(length(max = 256))]
    #[schema(max_length = 256, example = "uma senha longa 42")]
    pub password: String,
}

/// A bearer token.
#[derive(Debug, Serialize, ToSchema)]
pub struct Token {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds the token is valid for.
    pub expires_in: i64,
}

/// `POST /v1/auth/accept-invitation` and `POST /v1/auth/reset-password`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPassword {
    #[validate(email, length(max = 254))]
    #[schema(format = Email, max_length = 254, example = "ana.souza@santaclara.example")]
    pub email: String,
    /// The code of the e-mail.
    #[validate(length(max = 64))]
    #[schema(max_length = 64, example = "48213377")]
    pub code: String,
    /// 12 to 256 characters, with a lower-case letter and a digit.
    #[validate(length(max = 256))]
    #[schema(min_length = 12, max_length = 256, example = "uma senha longa 42")]
    pub password: String,
}

/// `POST /v1/auth/forgot-password`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Forgot {
    #[validate(email, length(max = 254))]
    #[schema(format = Email, max_length = 254, example = "ana.souza@santaclara.example")]
    pub email: String,
}

fn auth_routes() -> Vec<Route> {
    let throttled = "Too many attempts for this e-mail: wait for Retry-After seconds";
    vec![
        Route::at("POST", "/v1/auth/token", PUBLIC, post(token))
            .summary("auth", "log_in", "Log in: e-mail and password for a bearer token (hospital-local)")
            .description("Answers a token like `hospital-local token`'s, with the account's roles. A wrong password, an unknown e-mail, an account that has not set its password and a disabled one get the same 401. Attempts are limited per e-mail (5 per 15 minutes; a success starts afresh).")
            .schema::<Login>()
            .schema::<Token>()
            .body("Login", &["application/json"])
            .ok(200, "The token", Some("Token"))
            .error(401, "Wrong e-mail or password")
            .error(422, "A field missing or of the wrong type")
            .error(429, throttled)
            .example(json!({"email": "ana.souza@santaclara.example", "password": "uma senha longa 42"}))
            .build(),
        Route::at("POST", "/v1/auth/accept-invitation", PUBLIC, post(accept))
            .summary("auth", "accept_invitation", "Set the password of an invited account with the code of its invitation (hospital-local)")
            .schema::<SetPassword>()
            .body("SetPassword", &["application/json"])
            .ok(204, "The password is set: log in", None)
            .error(422, "A wrong, expired or used code (`code`), or a password that breaks the rule (`password`)")
            .error(429, throttled)
            .example(json!({"email": "ana.souza@santaclara.example", "code": "48213377", "password": "uma senha longa 42"}))
            .build(),
        Route::at("POST", "/v1/auth/forgot-password", PUBLIC, post(forgot))
            .summary("auth", "forgot_password", "E-mail a password reset code (hospital-local)")
            .description("An active account gets a code valid for one hour; any other e-mail gets nothing, and the answer is the same.")
            .schema::<Forgot>()
            .body("Forgot", &["application/json"])
            .ok(202, "If the e-mail has an active account, a code is on its way", None)
            .error(422, "A field missing or of the wrong type")
            .error(429, throttled)
            .example(json!({"email": "ana.souza@santaclara.example"}))
            .build(),
        Route::at("POST", "/v1/auth/reset-password", PUBLIC, post(reset))
            .summary("auth", "reset_password", "Set a new password with a reset code (hospital-local)")
            .schema::<SetPassword>()
            .body("SetPassword", &["application/json"])
            .ok(204, "The password is set: log in", None)
            .error(422, "A wrong, expired or used code (`code`), or a password that breaks the rule (`password`)")
            .error(429, throttled)
            .example(json!({"email": "ana.souza@santaclara.example", "code": "48213377", "password": "uma senha longa 42"}))
            .build(),
    ]
}

fn user_routes() -> Vec<Route> {
    let user = |status: u16, what: &str, b: crate::routes::RouteBuilder| {
        b.schema::<User>()
            .ok(status, what, Some("User"))
            .error(404, "No such user")
    };
    vec![
        Route::at("GET", USERS, ONLY_ADMIN, get(list))
            .summary("users", "list_users", "List the accounts")
            .params(openapi::paging)
            .schema::<User>()
            .raw_schema("UserPage", openapi::page_schema("#/components/schemas/User"))
            .ok(200, "A page (by e-mail locally; in the pool's order on AWS)", Some("UserPage"))
            .error(400, "Bad parameter or a tampered cursor")
            .build(),
        Route::at("POST", USERS, ONLY_ADMIN, post(invite))
            .summary("users", "invite_user", "Invite someone: an account with roles, and a welcome e-mail with a code")
            .description("The e-mail (pt-BR) carries the login and a code: an invitation code in hospital-local (valid 7 days; `POST /v1/auth/accept-invitation` sets the password with it), Cognito's temporary password on AWS.")
            .param(crate::resources::idempotency_key())
            .schema::<Invite>()
            .schema::<User>()
            .body("Invite", &["application/json"])
            .ok(201, "Invited; Location set", Some("User"))
            .error(409, "An account with this e-mail exists")
            .error(422, "A field breaks a rule, an unknown role, or a doctor_id / staff_id with no record")
            .example(json!({"email": "ana.souza@santaclara.example", "name": "Ana Souza", "roles": ["doctor"]}))
            .build(),
        user(200, "The account", Route::at("GET", USER, ONLY_ADMIN, get(read))
            .summary("users", "get_user", "Get an account"))
            .build(),
        user(200, "The account, with a new code on its way", Route::at("POST", "/v1/users/{id}/resend-invitation", ONLY_ADMIN, post(resend))
            .summary("users", "resend_invitation", "Send the invitation again, with a new code (the old one stops working)"))
            .error(409, "The account has already set its password")
            .build(),
        user(200, "The account, disabled", Route::at("POST", "/v1/users/{id}/disable", ONLY_ADMIN, post(disable))
            .summary("users", "disable_user", "Disable an account: it can no longer log in"))
            .build(),
        user(200, "The account, enabled", Route::at("POST", "/v1/users/{id}/enable", ONLY_ADMIN, post(enable))
            .summary("users", "enable_user", "Enable a disabled account"))
            .build(),
        user(200, "The account with its new roles", Route::at("PUT", "/v1/users/{id}/roles", ONLY_ADMIN, put(set_roles))
            .summary("users", "set_user_roles", "Replace an account's roles")
            .description("Tokens already issued keep the roles they were issued with until they expire.")
            .schema::<RolesChange>()
            .body("RolesChange", &["application/json"]))
            .error(422, "No role, an unknown or a repeated one")
            .example(json!({"roles": ["doctor", "manager"]}))
            .build(),
    ]
}

fn users(state: &AppState) -> ApiResult<&Arc<dyn Users>> {
    state.users.as_ref().ok_or_else(|| {
        tracing::error!("no account directory configured");
        ApiError::internal()
    })
}

fn identity(state: &AppState) -> ApiResult<&LocalIdentity> {
    state
        .local_identity
        .as_deref()
        .ok_or_else(|| ApiError::not_found("hospital-local only: on AWS, log in with Cognito"))
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::BadCredentials => ApiError::unauthorized("wrong e-mail or password"),
            AccountError::BadCode => ApiError::validation(vec![hospital_core::FieldError::new(
                "code",
                "invalid, expired or already used code",
            )]),
            AccountError::Throttled(_) => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "too many attempts for this e-mail; retry later",
            ),
            AccountError::Domain(d) => d.into(),
        }
    }
}

/// The error response, with `Retry-After` when throttled.
fn refused(e: AccountError) -> Response {
    let retry = match e {
        AccountError::Throttled(secs) => Some(secs),
        _ => None,
    };
    let mut res = ApiError::from(e).into_response();
    if let Some(v) = retry.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

async fn token(State(state): State<AppState>, JsonBody(input): JsonBody<Login>) -> Response {
    if let Err(e) = valid(&input) {
        return e.into_response();
    }
    let id = match identity(&state) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let who = match id.accounts.login(&input.email, &input.password).await {
        Ok(who) => who,
        Err(e) => return refused(e),
    };
    let roles: Vec<Role> = who.roles.iter().filter_map(|r| r.parse().ok()).collect();
    let now = state.deps.calendar.now().timestamp();
    match id.jwt.issue_for(
        &who.id,
        &roles,
        who.doctor_id.as_deref(),
        now,
        id.token_secs,
    ) {
        Ok(access_token) => Json(Token {
            access_token,
            token_type: "Bearer",
            expires_in: id.token_secs,
        })
        .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot sign a token");
            ApiError::internal().into_response()
        }
    }
}

async fn accept(State(state): State<AppState>, JsonBody(input): JsonBody<SetPassword>) -> Response {
    if let Err(e) = valid(&input) {
        return e.into_response();
    }
    match identity(&state) {
        Ok(id) => match id
            .accounts
            .accept(&input.email, &input.code, &input.password)
            .await
        {
            Ok(()) => StatusCode::NO_CONTENT.into_response(),
            Err(e) => refused(e),
        },
        Err(e) => e.into_response(),
    }
}

async fn reset(State(state): State<AppState>, JsonBody(input): JsonBody<SetPassword>) -> Response {
    if let Err(e) = valid(&input) {
        return e.into_response();
    }
    match identity(&state) {
        Ok(id) => match id
            .accounts
            .reset(&input.email, &input.code, &input.password)
            .await
        {
            Ok(()) => StatusCode::NO_CONTENT.into_response(),
            Err(e) => refused(e),
        },
        Err(e) => e.into_response(),
    }
}

async fn forgot(State(state): State<AppState>, JsonBody(input): JsonBody<Forgot>) -> Response {
    if let Err(e) = valid(&input) {
        return e.into_response();
    }
    match identity(&state) {
        Ok(id) => match id.accounts.forgot(&input.email).await {
            Ok(()) => StatusCode::ACCEPTED.into_response(),
            Err(e) => refused(e),
        },
        Err(e) => e.into_response(),
    }
}

async fn list(
    State(state): State<AppState>,
    params: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(params) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let paging = paging_only(&params)?;
    let limit = paging.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::bad_request("limit must be 1 to 200").with_field("limit"));
    }
    let page = users(&state)?.list(limit, paging.cursor.as_deref()).await?;
    Ok(Json(json!({"items": page.items, "next_cursor": page.next_cursor})).into_response())
}

async fn invite(
    State(state): State<AppState>,
    JsonBody(mut input): JsonBody<Invite>,
) -> ApiResult<Response> {
    input.check(&state.deps).await?;
    let user = users(&state)?.invite(&input).await?;
    let mut res = (StatusCode::CREATED, Json(&user)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("{USERS}/{}", user.id)) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// A path id: a ULID locally, a Cognito `sub` (a UUID) on AWS; anything else is no user.
/// The account named by the path (read through [`Ids`], as every route's path).
fn user_id(ids: &Ids) -> ApiResult<&str> {
    let id = ids.last().map(String::as_str).unwrap_or_default();
    let ok =
        (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(id)
    } else {
        Err(ApiError::not_found("user not found"))
    }
}

/// A directory's answer about one account; "not found" without the ULID wording of the
/// store's ids (a pool's ids are UUIDs).
fn one(result: hospital_core::DomainResult<User>) -> ApiResult<Json<User>> {
    match result {
        Ok(user) => Ok(Json(user)),
        Err(hospital_core::DomainError::NotFound { .. }) => {
            Err(ApiError::not_found("user not found"))
        }
        Err(e) => Err(e.into()),
    }
}

async fn read(State(state): State<AppState>, ids: Ids) -> ApiResult<Json<User>> {
    one(users(&state)?.get(user_id(&ids)?).await)
}

async fn resend(State(state): State<AppState>, ids: Ids) -> ApiResult<Json<User>> {
    one(users(&state)?.resend(user_id(&ids)?).await)
}

async fn disable(State(state): State<AppState>, ids: Ids) -> ApiResult<Json<User>> {
    one(users(&state)?.set_enabled(user_id(&ids)?, false).await)
}

async fn enable(State(state): State<AppState>, ids: Ids) -> ApiResult<Json<User>> {
    one(users(&state)?.set_enabled(user_id(&ids)?, true).await)
}

async fn set_roles(
    State(state): State<AppState>,
    ids: Ids,
    JsonBody(input): JsonBody<RolesChange>,
) -> ApiResult<Json<User>> {
    check_roles(&input.roles)?;
    one(users(&state)?.set_roles(user_id(&ids)?, &input.roles).await)
}
