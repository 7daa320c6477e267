//! Authentication and role-based access control (NFR07).
//!
//! Who the caller is comes from an [`Authenticator`]: in AWS the HTTP API's JWT authorizer has
//! already verified the token and the function reads the claims from the request context; in
//! hospital-local [`LocalJwt`] verifies a bearer token signed with the local key. What the caller
//! may do comes from the one route table in [`crate::rbac`].

use crate::error::ApiError;
use crate::rbac;
use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Manager,
    Doctor,
    Nurse,
    Receptionist,
    Billing,
    Pharmacist,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::Manager,
        Role::Doctor,
        Role::Nurse,
        Role::Receptionist,
        Role::Billing,
        Role::Pharmacist,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Doctor => "doctor",
            Role::Nurse => "nurse",
            Role::Receptionist => "receptionist",
            Role::Billing => "billing",
            Role::Pharmacist => "pharmacist",
        }
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
                format!("unknown role {s:?}; one of {}", names.join(", "))
            })
    }
}

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Subject: a stable user id, never a name or e-mail (it is logged).
    pub sub: String,
    pub roles: Vec<Role>,
    /// The doctor record the caller acts as, from the token's [`DOCTOR_CLAIM`]; read through
    /// [`crate::prescriptions::acting_doctor`].
    pub doctor_id: Option<String>,
}

/// The claim naming the doctor record a doctor's token acts as (a ULID).
pub const DOCTOR_CLAIM: &str = "doctor_id";
/// The same in a Cognito ID token: the account's custom attribute.
pub const COGNITO_DOCTOR_CLAIM: &str = "custom:doctor_id";

/// Longest a token may be valid: its `exp` at most this long after its `iat` and after now.
pub const MAX_TOKEN_SECS: i64 = 24 * 3600;

/// What every authenticator checks of a verified token's claims besides its signature: a
/// `sub` fit for log lines (1 to 255 characters, no control characters, which could forge
/// lines), and a lifetime of at most [`MAX_TOKEN_SECS`].
pub fn check_claims(
    sub: &str,
    iat: Option<i64>,
    exp: Option<i64>,
    now: i64,
) -> Result<(), AuthError> {
    if !(1..=255).contains(&sub.chars().count()) || sub.chars().any(char::is_control) {
        return Err(AuthError(
            "invalid token: sub must be 1 to 255 characters without control characters".into(),
        ));
    }
    let exp = exp.ok_or_else(|| AuthError("invalid token: no exp claim".into()))?;
    if iat.is_some_and(|iat| exp - iat > MAX_TOKEN_SECS) || exp - now > MAX_TOKEN_SECS {
        return Err(AuthError(
            "invalid token: valid for more than 24 hours (exp after iat or now)".into(),
        ));
    }
    Ok(())
}

/// Why a request could not be authenticated (401).
#[derive(Debug, Clone)]
pub struct AuthError(pub String);

pub trait Authenticator: Send + Sync + 'static {
    fn authenticate(&self, parts: &Parts) -> Result<Principal, AuthError>;
}

/// The claim holding the caller's roles, a JSON array or a space/comma-separated string.
pub const ROLES_CLAIM: &str = "roles";

/// Cognito's claim of the user pool groups a user is in: the pool's groups are our roles
/// (template.yaml), so a Cognito token's roles are read from it as well as from `roles`.
pub const GROUPS_CLAIM: &str = "cognito:groups";

/// The roles of both claims, each once.
pub fn roles_of<'a>(claim: impl Fn(&str) -> Option<&'a serde_json::Value>) -> Vec<Role> {
    let mut roles = Vec::new();
    for r in [ROLES_CLAIM, GROUPS_CLAIM]
        .into_iter()
        .filter_map(claim)
        .flat_map(parse_roles)
    {
        if !roles.contains(&r) {
            roles.push(r);
        }
    }
    roles
}

/// Parses a roles claim as it comes from a JWT (array) or from API Gateway's request context
/// (which flattens arrays to strings such as `[doctor nurse]`). Unknown roles are ignored.
pub fn parse_roles(value: &serde_json::Value) -> Vec<Role> {
    let words: Vec<String> = match value {
        serde_json::Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        serde_json::Value::String(s) => s
            .trim_matches(|c| c == '[' || c == ']')
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|w| !w.is_empty())
            .map(|w| w.trim_matches('"').to_string())
            .collect(),
        _ => Vec::new(),
    };
    words.iter().filter_map(|w| w.parse().ok()).collect()
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    doctor_id: Option<String>,
    iss: String,
    aud: String,
    iat: i64,
    exp: i64,
}

/// HS256 tokens signed with hospital-local's key.
pub struct LocalJwt {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Tokens already verified, with their validity window: a client sends the same token
    /// on every request, and checking its signature and claims again costs more than the rest
    /// of a read. Keyed by the whole token, signature included.
    verified: std::sync::Mutex<std::collections::HashMap<String, Verified>>,
}

#[derive(Clone)]
struct Verified {
    principal: Principal,
    not_before: i64,
    expires: i64,
}

/// Most tokens remembered; the cache starts afresh when full.
const VERIFIED_MAX: usize = 4096;

impl LocalJwt {
    pub const ISSUER: &'static str = "hospital-local";
    pub const AUDIENCE: &'static str = "hospital";

    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[Self::ISSUER]);
        validation.set_audience(&[Self::AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        // A token that says it is not valid yet is not valid yet.
        validation.validate_nbf = true;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            verified: Default::default(),
        }
    }

    /// A token for `sub` with `roles`, valid for `ttl_secs` from `now` (epoch seconds).
    pub fn issue(
        &self,
        sub: &str,
        roles: &[Role],
        now: i64,
        ttl_secs: i64,
    ) -> Result<String, String> {
        self.issue_for(sub, roles, None, now, ttl_secs)
    }

    /// [`Self::issue`], acting as the doctor record `doctor_id` when given ([`DOCTOR_CLAIM`]).
    pub fn issue_for(
        &self,
        sub: &str,
        roles: &[Role],
        doctor_id: Option<&str>,
        now: i64,
        ttl_secs: i64,
    ) -> Result<String, String> {
        let claims = Claims {
            sub: sub.to_string(),
            roles: roles.iter().map(|r| r.as_str().to_string()).collect(),
            doctor_id: doctor_id.map(str::to_string),
            iss: Self::ISSUER.into(),
            aud: Self::AUDIENCE.into(),
            iat: now,
            exp: now + ttl_secs,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| e.to_string())
    }
}

impl Authenticator for LocalJwt {
    fn authenticate(&self, parts: &Parts) -> Result<Principal, AuthError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| AuthError("missing bearer token".into()))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .ok_or_else(|| AuthError("the Authorization header must be `Bearer <token>`".into()))?;
        let token = token.trim();
        let now = jsonwebtoken::get_current_timestamp() as i64;
        let cached = self
            .verified
            .lock()
            .ok()
            .and_then(|c| c.get(token).cloned());
        if let Some(v) = cached {
            // The same leeway as the validation's, so a token is good for as long either way.
            let leeway = self.validation.leeway as i64;
            if now + leeway >= v.not_before && now - leeway <= v.expires {
                return Ok(v.principal);
            }
            return Err(AuthError("invalid token: expired or not yet valid".into()));
        }
        let data =
            jsonwebtoken::decode::<serde_json::Value>(token, &self.decoding, &self.validation)
                .map_err(|e| AuthError(format!("invalid token: {e}")))?;
        let sub = data
            .claims
            .get("sub")
            .and_then(|s| s.as_str())
            .unwrap_or_default()
            .to_string();
        let roles = roles_of(|k| data.claims.get(k));
        let claim = |k: &str| data.claims.get(k).and_then(serde_json::Value::as_i64);
        check_claims(&sub, claim("iat"), claim("exp"), now)?;
        let doctor_id = data
            .claims
            .get(DOCTOR_CLAIM)
            .and_then(|d| d.as_str())
            .map(str::to_string);
        let principal = Principal {
            sub,
            roles,
            doctor_id,
        };
        if let (Some(expires), Ok(mut cache)) = (claim("exp"), self.verified.lock()) {
            if cache.len() >= VERIFIED_MAX {
                cache.clear();
            }
            cache.insert(
                token.to_string(),
                Verified {
                    principal: principal.clone(),
                    not_before: claim("nbf").unwrap_or(i64::MIN),
                    expires,
                },
            );
        }
        Ok(principal)
    }
}

/// The roles of each route an application serves, by method and route template.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// Route template → (method, roles) of each method it takes.
    by_path: std::collections::HashMap<&'static str, Vec<(&'static str, &'static [Role])>>,
}

impl Rules {
    pub fn insert(&mut self, method: &'static str, path: &'static str, roles: &'static [Role]) {
        self.by_path.entry(path).or_default().push((method, roles));
    }
    /// Every route of every function (the RBAC table).
    pub fn all() -> Self {
        let mut rules = Rules::default();
        for r in rbac::routes() {
            rules.insert(r.method, r.path, r.roles);
        }
        rules
    }
    fn roles(&self, method: &Method, path: &str) -> Option<&'static [Role]> {
        self.by_path
            .get(path)?
            .iter()
            .find(|(m, _)| *m == method.as_str())
            .map(|(_, r)| *r)
    }
    fn knows(&self, path: &str) -> bool {
        self.by_path.contains_key(path)
    }
}

/// What the auth layer checks with: who the caller is, and what each route allows.
#[derive(Clone)]
pub struct Access {
    authenticator: Arc<dyn Authenticator>,
    rules: Arc<Rules>,
}

impl Access {
    pub fn new(authenticator: Arc<dyn Authenticator>, rules: Rules) -> Self {
        Self {
            authenticator,
            rules: Arc::new(rules),
        }
    }
}

/// The route guard's first half (the second is the idempotency check, [`crate::guard`]):
/// authenticates, then checks the route's roles. Routes without a rule are refused (fail
/// closed). The request comes back with its [`Principal`], or the error is a 401/403.
pub fn authorize(access: &Access, req: Request) -> Result<Request, ApiError> {
    let auth = &access.authenticator;
    let (mut parts, body) = req.into_parts();
    // MatchedPath holds an Arc<str>: cloning it allocates nothing.
    let matched = parts.extensions.get::<MatchedPath>().cloned();
    let path = matched.as_ref().map_or("", MatchedPath::as_str);
    // HEAD is served by the GET handler, so it needs what GET needs.
    let method = if parts.method == Method::HEAD {
        &Method::GET
    } else {
        &parts.method
    };
    let Some(roles) = access.rules.roles(method, path) else {
        if access.rules.knows(path) {
            // A known path with a method it lacks: no handler runs; let the router say 405.
            return Ok(Request::from_parts(parts, body));
        }
        tracing::error!(route = %path, "route missing from the RBAC table");
        return Err(ApiError::forbidden());
    };
    if roles.is_empty() {
        return Ok(Request::from_parts(parts, body));
    }
    let principal = match auth.authenticate(&parts) {
        Ok(p) => p,
        Err(AuthError(message)) => return Err(ApiError::unauthorized(message)),
    };
    if !principal.roles.iter().any(|r| roles.contains(r)) {
        tracing::info!(sub = %principal.sub, "forbidden");
        return Err(ApiError::forbidden());
    }
    tracing::Span::current().record("sub", principal.sub.as_str());
    parts.extensions.insert(principal);
    Ok(Request::from_parts(parts, body))
}
