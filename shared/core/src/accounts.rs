//! Staff accounts (RF16): who may log in, with which roles, and the account e-mails (welcome
//! with a code, verification code, password reset, a resent invitation), rendered from the same
//! pt-BR templates as every other e-mail ([`crate::automation::notify`]).
//!
//! The directory of users is a port, [`Users`]: on AWS the Cognito user pool
//! (`hospital_adapters::cognito`), on one machine [`LocalAccounts`], which keeps users in the
//! store and is hospital-local's identity provider as well (passwords hashed with argon2id,
//! invitation and reset codes e-mailed to the outbox folder, login attempts limited per
//! e-mail).

use crate::DomainResult;
use crate::automation::Settings;
use crate::automation::notify::{self, Email, Mailer};
use crate::error::{DomainError, FieldError};
use crate::resource::record::rfc3339;
use crate::resource::{Deps, Repository};
use crate::store::{
    Cmp, Condition, Index, Item, Key, Query, SkRange, Store, StoreError, Update, Write,
};
use crate::time::Calendar;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use utoipa::ToSchema;
use validator::Validate;

/// The roles an account may hold: the Cognito groups on AWS, the `roles` claim of local tokens.
pub const ROLES: [&str; 7] = [
    "admin",
    "manager",
    "doctor",
    "nurse",
    "receptionist",
    "billing",
    "pharmacist",
];

/// A role name (the schema of role lists: [`ROLES`]).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoleName {
    Admin,
    Manager,
    Doctor,
    Nurse,
    Receptionist,
    Billing,
    Pharmacist,
}

/// The `clientMetadata` key with which the Cognito directory tells the pool's CustomMessage
/// trigger that an invitation is resent (a first one and a resent one both reach it as
/// CustomMessage_AdminCreateUser).
pub const RESEND_METADATA: &str = "hospital_resend";

/// Whether an account has set its password yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    /// Invited: holds an invitation code (on Cognito a temporary password), no password yet.
    Invited,
    /// Has set a password.
    Active,
}

/// An account as the API shows it (never a password or a code).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct User {
    /// The token's `sub`: a ULID locally, the Cognito user's `sub` on AWS.
    pub id: String,
    #[schema(format = Email)]
    pub email: String,
    pub name: String,
    #[schema(value_type = Vec<RoleName>, example = json!(["doctor"]))]
    pub roles: Vec<String>,
    pub status: UserStatus,
    /// A disabled account can't log in.
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doctor_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff_id: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// `POST /v1/users`: an invitation.
#[derive(Debug, Clone, PartialEq, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Invite {
    /// The login; unique among accounts (case-insensitive).
    #[validate(email, length(max = 254))]
    #[schema(format = Email, max_length = 254, example = "ana.souza@santaclara.example")]
    pub email: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        example = "Ana Souza",
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub name: String,
    /// One to seven distinct roles.
    #[validate(length(min = 1, max = 7))]
    #[schema(value_type = Vec<RoleName>, min_items = 1, max_items = 7, example = json!(["doctor"]))]
    pub roles: Vec<String>,
    /// The doctor this account is (must exist).
    #[serde(default)]
    #[schema(pattern = r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")]
    pub doctor_id: Option<String>,
    /// The staff member this account is (must exist).
    #[serde(default)]
    #[schema(pattern = r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")]
    pub staff_id: Option<String>,
}

/// `PUT /v1/users/{id}/roles`.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RolesChange {
    #[schema(value_type = Vec<RoleName>, min_items = 1, max_items = 7, example = json!(["doctor", "manager"]))]
    pub roles: Vec<String>,
}

/// Checks a role list: one to seven known, distinct roles.
pub fn check_roles(roles: &[String]) -> DomainResult<()> {
    if roles.is_empty() || roles.len() > ROLES.len() {
        return Err(DomainError::invalid("roles", "one to seven roles"));
    }
    for (i, r) in roles.iter().enumerate() {
        if !ROLES.contains(&r.as_str()) {
            return Err(DomainError::invalid(
                format!("roles[{i}]"),
                format!("unknown role; one of {}", ROLES.join(", ")),
            ));
        }
        if roles[..i].contains(r) {
            return Err(DomainError::invalid(format!("roles[{i}]"), "repeated role"));
        }
    }
    Ok(())
}

impl Invite {
    /// Trims, lower-cases the e-mail, and checks every field and the linked records (which must
    /// exist in the store, on AWS as locally).
    pub async fn check(&mut self, deps: &Deps) -> DomainResult<()> {
        self.email = self.email.trim().to_lowercase();
        self.name = self.name.trim().to_string();
        let mut errors = Vec::new();
        if self
            .name
            .chars()
            .any(|c| crate::validate::bad_char(c, false))
        {
            errors.push(FieldError::new("name", "no control characters"));
        }
        if let Err(e) = self.validate() {
            errors.extend(crate::validate::field_errors(&e));
        }
        if !errors.is_empty() {
            return Err(DomainError::Validation(errors));
        }
        check_roles(&self.roles)?;
        if let Some(id) = &self.doctor_id {
            link::<crate::doctors::Doctor>(deps, "doctor_id", id).await?;
        }
        if let Some(id) = &self.staff_id {
            link::<crate::staff::StaffMember>(deps, "staff_id", id).await?;
        }
        Ok(())
    }
}

async fn link<R: crate::resource::Resource>(
    deps: &Deps,
    field: &str,
    id: &str,
) -> DomainResult<()> {
    match Repository::<R>::new(deps.clone()).get(None, id).await {
        Ok(_) => Ok(()),
        Err(DomainError::NotFound { .. }) => Err(DomainError::invalid(
            field,
            format!("no {} with this id", R::KIND),
        )),
        Err(e) => Err(e),
    }
}

/// A page of accounts.
#[derive(Debug, Clone, PartialEq)]
pub struct UserPage {
    pub items: Vec<User>,
    pub next_cursor: Option<String>,
}

/// The directory of accounts: the Cognito user pool on AWS, [`LocalAccounts`] on one machine.
/// Every method answers the account as it now stands.
#[async_trait]
pub trait Users: Send + Sync + 'static {
    /// Creates the account and sends the welcome e-mail with its code. Checked input
    /// ([`Invite::check`]); a taken e-mail is a 409.
    async fn invite(&self, invite: &Invite) -> DomainResult<User>;
    async fn list(&self, limit: usize, cursor: Option<&str>) -> DomainResult<UserPage>;
    async fn get(&self, id: &str) -> DomainResult<User>;
    /// A new code to an account that has not set its password yet (409 otherwise).
    async fn resend(&self, id: &str) -> DomainResult<User>;
    async fn set_enabled(&self, id: &str, enabled: bool) -> DomainResult<User>;
    /// Checked roles ([`check_roles`]) replace the account's.
    async fn set_roles(&self, id: &str, roles: &[String]) -> DomainResult<User>;
}

/// The account e-mails, each a template of [`notify`]: `account_invite` (welcome),
/// `account_resend` (the invitation again), `account_verify` (a verification code),
/// `account_reset` (password reset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountEmail {
    Invite,
    Resend,
    Verify,
    Reset,
}

impl AccountEmail {
    pub fn template(self) -> &'static str {
        match self {
            AccountEmail::Invite => "account_invite",
            AccountEmail::Resend => "account_resend",
            AccountEmail::Verify => "account_verify",
            AccountEmail::Reset => "account_reset",
        }
    }
}

/// Renders an account e-mail: (subject, text, html). `code` and `username` are what the
/// recipient types; Cognito passes its placeholders (`{####}`, `{username}`) and fills them in
/// itself.
pub fn render_email(
    kind: AccountEmail,
    name: &str,
    username: &str,
    code: &str,
    valid_for: &str,
    settings: &Settings,
) -> DomainResult<(String, String, String)> {
    notify::render(
        kind.template(),
        &json!({"name": name, "username": username, "code": code, "valid_for": valid_for}),
        settings,
    )
}

/// Why a login or a code was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// Wrong e-mail or password (the same for both: accounts are not enumerable).
    #[error("wrong e-mail or password")]
    BadCredentials,
    /// A wrong, expired or used code (or an unknown e-mail: the same answer).
    #[error("invalid or expired code")]
    BadCode,
    /// Too many attempts for this e-mail; retry after this many seconds.
    #[error("too many attempts; retry in {0} s")]
    Throttled(i64),
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        AccountError::Domain(e.into())
    }
}

/// How long codes last and how many attempts an e-mail gets.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// An invitation code's life (Cognito's temporary password: 7 days).
    pub invite_secs: i64,
    /// A reset code's life (Cognito's: 1 hour).
    pub reset_secs: i64,
    /// Attempts (logins, codes) per e-mail per window.
    pub attempts: i64,
    pub window_secs: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            invite_secs: 7 * 24 * 3600,
            reset_secs: 3600,
            attempts: 5,
            window_secs: 15 * 60,
        }
    }
}

/// The password rule, the same as the user pool's policy in template.yaml: 12 to 256
/// characters, with a lower-case letter and a digit.
pub fn check_password(password: &str) -> DomainResult<()> {
    let n = password.chars().count();
    if !(12..=256).contains(&n) {
        return Err(DomainError::invalid("password", "12 to 256 characters"));
    }
    if !password.chars().any(|c| c.is_lowercase()) || !password.chars().any(|c| c.is_ascii_digit())
    {
        return Err(DomainError::invalid(
            "password",
            "needs a lower-case letter and a digit",
        ));
    }
    if password.chars().any(char::is_control) {
        return Err(DomainError::invalid("password", "no control characters"));
    }
    Ok(())
}

const KIND: &str = "user";

fn user_key(id: &str) -> Key {
    Key::new(format!("{KIND}#{id}"), KIND)
}

fn email_key(email: &str) -> Key {
    Key::new(format!("unique#{KIND}#email#{email}"), "unique")
}

/// A throttle window's key: the e-mail hashed (keys show in no log, but need not hold it).
fn window_key(purpose: &str, email: &str, window: i64) -> Key {
    Key::new(
        format!(
            "throttle#{purpose}#{}",
            hex(&Sha256::digest(email.as_bytes()))
        ),
        window.to_string(),
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn code_hash(user_id: &str, code: &str) -> String {
    hex(&Sha256::digest(format!("{user_id}:{code}").as_bytes()))
}

/// An eight-digit code from the operating system's random source.
fn new_code() -> String {
    format!("{:08}", OsRng.next_u64() % 100_000_000)
}

fn hash_password(password: &str) -> DomainResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| DomainError::invalid("password", format!("cannot hash: {e}")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash no password matches, verified for unknown e-mails so they take as long as known ones.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&format!("{}a1", new_code())).unwrap_or_default())
}

/// The account directory kept in the store, and hospital-local's identity provider.
pub struct LocalAccounts {
    store: Arc<dyn Store>,
    calendar: Calendar,
    mailer: Arc<dyn Mailer>,
    settings: Arc<Settings>,
    cursors: crate::cursor::Cursors,
    pub limits: Limits,
}

/// Who logged in: the token's subject and roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedIn {
    pub id: String,
    pub roles: Vec<String>,
    /// The doctor record the account is, named in its tokens.
    pub doctor_id: Option<String>,
}

impl LocalAccounts {
    pub fn new(deps: &Deps, mailer: Arc<dyn Mailer>, settings: Arc<Settings>) -> Self {
        Self {
            store: deps.store.clone(),
            calendar: deps.calendar.clone(),
            mailer,
            settings,
            cursors: deps.cursors.clone(),
            limits: Limits::default(),
        }
    }

    fn now(&self) -> i64 {
        self.calendar.now().timestamp()
    }

    async fn item(&self, id: &str) -> DomainResult<Item> {
        self.store
            .get(&user_key(id))
            .await?
            .ok_or_else(|| DomainError::NotFound {
                kind: KIND,
                id: id.to_string(),
            })
    }

    async fn by_email(&self, email: &str) -> DomainResult<Option<Item>> {
        let email = email.trim().to_lowercase();
        let Some(marker) = self.store.get(&email_key(&email)).await? else {
            return Ok(None);
        };
        match marker.get("owner").and_then(Value::as_str) {
            Some(id) => Ok(self.store.get(&user_key(id)).await?),
            None => Ok(None),
        }
    }

    /// Takes one attempt of `purpose` for `email` from the current window, or says when the
    /// next window opens. Conditional writes, so racing attempts can't take more than there
    /// are: the first of a window creates it, the others take one while one is left.
    async fn attempt(&self, purpose: &str, email: &str) -> Result<(), AccountError> {
        let now = self.now();
        let window = now.div_euclid(self.limits.window_secs);
        let ends = (window + 1) * self.limits.window_secs;
        let key = window_key(purpose, &email.trim().to_lowercase(), window);
        let mut first = Item::new();
        first.insert("pk".into(), key.pk.clone().into());
        first.insert("sk".into(), key.sk.clone().into());
        first.insert("entity".into(), "throttle".into());
        first.insert("remaining".into(), (self.limits.attempts - 1).into());
        // Kept two windows, then gone. TTLs are judged by the real clock, not the scenario's.
        first.insert(
            "expires_at".into(),
            (self.calendar.wall_secs() + 2 * self.limits.window_secs).into(),
        );
        match self
            .store
            .transact(vec![Write::put_if(first, Condition::NotExists)])
            .await
        {
            Ok(()) => return Ok(()),
            Err(StoreError::ConditionFailed { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        let take = Write::update_if(
            key,
            Update::new().add("remaining", -1),
            Condition::num("remaining", Cmp::Ge, 1),
        );
        match self.store.transact(vec![take]).await {
            Ok(()) => Ok(()),
            Err(StoreError::ConditionFailed { .. }) => {
                Err(AccountError::Throttled((ends - now).max(1)))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Forgets the attempts of `purpose` for `email` (after a success).
    async fn forget_attempts(&self, purpose: &str, email: &str) {
        let window = self.now().div_euclid(self.limits.window_secs);
        let key = window_key(purpose, &email.trim().to_lowercase(), window);
        if let Err(e) = self.store.transact(vec![Write::delete(key)]).await {
            tracing::warn!(error = %e, "could not reset the attempts");
        }
    }

    /// E-mail + password → who logged in. Wrong password, unknown e-mail, an account without a
    /// password yet or a disabled one: the same [`AccountError::BadCredentials`], after the
    /// same work (a hash is verified either way).
    pub async fn login(&self, email: &str, password: &str) -> Result<LoggedIn, AccountError> {
        self.attempt("login", email).await?;
        let item = self.by_email(email).await?;
        let hash = item
            .as_ref()
            .and_then(|i| i.get("password_hash"))
            .and_then(Value::as_str)
            .unwrap_or_else(|| dummy_hash());
        let password_ok = verify_password(password, hash);
        let Some(item) =
            item.filter(|i| password_ok && i.get("enabled") == Some(&Value::Bool(true)))
        else {
            return Err(AccountError::BadCredentials);
        };
        self.forget_attempts("login", email).await;
        let user = to_user(&item)?;
        Ok(LoggedIn {
            id: user.id,
            roles: user.roles,
            doctor_id: user.doctor_id,
        })
    }

    /// Sets the password of an invited account with its invitation code.
    pub async fn accept(
        &self,
        email: &str,
        code: &str,
        password: &str,
    ) -> Result<(), AccountError> {
        self.use_code(email, code, password, "invite").await
    }

    /// Sets a new password with a reset code.
    pub async fn reset(&self, email: &str, code: &str, password: &str) -> Result<(), AccountError> {
        self.use_code(email, code, password, "reset").await
    }

    async fn use_code(
        &self,
        email: &str,
        code: &str,
        password: &str,
        purpose: &str,
    ) -> Result<(), AccountError> {
        check_password(password)?;
        self.attempt("code", email).await?;
        let item = self.by_email(email).await?.ok_or(AccountError::BadCode)?;
        let id = str_of(&item, "id");
        let valid = item.get("code_purpose").and_then(Value::as_str) == Some(purpose)
            && item.get("code_hash").and_then(Value::as_str)
                == Some(code_hash(&id, code.trim()).as_str())
            && item
                .get("code_expires_at")
                .and_then(Value::as_i64)
                .is_some_and(|t| t > self.now())
            && item.get("enabled") == Some(&Value::Bool(true));
        if !valid {
            return Err(AccountError::BadCode);
        }
        let hash = hash_password(password)?;
        let version = item.get("version").and_then(Value::as_u64).unwrap_or(0);
        let update = Update::new()
            .set("password_hash", hash)
            .set("status", "active")
            .set("updated_at", rfc3339(self.calendar.now()))
            .add("version", 1)
            .remove("code_hash")
            .remove("code_purpose")
            .remove("code_expires_at");
        // On the version read: of two uses of one code, one commits and the other finds it used.
        let write = Write::update_if(user_key(&id), update, Condition::VersionIs(version));
        match self.store.transact(vec![write]).await {
            Ok(()) => {
                self.forget_attempts("code", email).await;
                Ok(())
            }
            Err(StoreError::ConditionFailed { .. }) => Err(AccountError::BadCode),
            Err(e) => Err(e.into()),
        }
    }

    /// Sends a reset code to an active, enabled account; for any other e-mail does nothing,
    /// and says the same either way.
    pub async fn forgot(&self, email: &str) -> Result<(), AccountError> {
        self.attempt("forgot", email).await?;
        let Some(item) = self.by_email(email).await? else {
            return Ok(());
        };
        if item.get("status").and_then(Value::as_str) != Some("active")
            || item.get("enabled") != Some(&Value::Bool(true))
        {
            return Ok(());
        }
        self.new_code(&item, "reset", AccountEmail::Reset, self.limits.reset_secs)
            .await?;
        Ok(())
    }

    /// Gives the account a new code (replacing any other), then e-mails it.
    async fn new_code(
        &self,
        item: &Item,
        purpose: &str,
        kind: AccountEmail,
        life: i64,
    ) -> DomainResult<User> {
        let id = str_of(item, "id");
        let code = new_code();
        let version = item.get("version").and_then(Value::as_u64).unwrap_or(0);
        let update = Update::new()
            .set("code_hash", code_hash(&id, &code))
            .set("code_purpose", purpose)
            .set("code_expires_at", self.now() + life)
            .set("updated_at", rfc3339(self.calendar.now()))
            .add("version", 1);
        let write = Write::update_if(user_key(&id), update, Condition::VersionIs(version));
        match self.store.transact(vec![write]).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed { .. }) => {
                return Err(DomainError::Conflict {
                    field: None,
                    message: "the user is being changed by others; retry".into(),
                });
            }
            Err(e) => return Err(e.into()),
        }
        let user = to_user(&self.item(&id).await?)?;
        self.send(&user, kind, &code, life).await?;
        Ok(user)
    }

    async fn send(
        &self,
        user: &User,
        kind: AccountEmail,
        code: &str,
        life: i64,
    ) -> DomainResult<()> {
        let valid_for = if life >= 86_400 {
            format!("{} dias", life / 86_400)
        } else {
            format!("{} minutos", life / 60)
        };
        let (subject, text, html) = render_email(
            kind,
            &user.name,
            &user.email,
            code,
            &valid_for,
            &self.settings,
        )?;
        let email = Email {
            to: vec![user.email.clone()],
            subject,
            text,
            html,
            attachments: Vec::new(),
        };
        self.mailer.send(&email).await.map(|_| ()).map_err(|e| {
            tracing::error!(error = %e, "account e-mail not sent");
            DomainError::Store(StoreError::Unavailable(
                "the e-mail could not be sent; resend the invitation".into(),
            ))
        })
    }

    /// Changes an account in place, on the version read (retried when someone else changed it
    /// meanwhile).
    async fn change(
        &self,
        id: &str,
        f: impl Fn(&Item) -> DomainResult<Update>,
    ) -> DomainResult<User> {
        for _ in 0..5 {
            let item = self.item(id).await?;
            let version = item.get("version").and_then(Value::as_u64).unwrap_or(0);
            let update = f(&item)?
                .set("updated_at", rfc3339(self.calendar.now()))
                .add("version", 1);
            let write = Write::update_if(user_key(id), update, Condition::VersionIs(version));
            match self.store.transact(vec![write]).await {
                Ok(()) => return to_user(&self.item(id).await?),
                Err(StoreError::ConditionFailed { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(DomainError::Conflict {
            field: None,
            message: "the user is being changed by others; retry".into(),
        })
    }
}

fn str_of(item: &Item, attr: &str) -> String {
    item.get(attr)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// The public view of a stored account.
fn to_user(item: &Item) -> DomainResult<User> {
    let mut public = item.clone();
    for private in [
        "pk",
        "sk",
        "entity",
        "gsi1pk",
        "gsi1sk",
        "version",
        "password_hash",
        "code_hash",
        "code_purpose",
        "code_expires_at",
    ] {
        public.remove(private);
    }
    serde_json::from_value(Value::Object(public))
        .map_err(|e| DomainError::Store(StoreError::Invalid(format!("stored user: {e}"))))
}

#[async_trait]
impl Users for LocalAccounts {
    async fn invite(&self, invite: &Invite) -> DomainResult<User> {
        let id = crate::ids::new_id();
        let now = rfc3339(self.calendar.now());
        let code = new_code();
        let life = self.limits.invite_secs;
        let user = User {
            id: id.clone(),
            email: invite.email.clone(),
            name: invite.name.clone(),
            roles: invite.roles.clone(),
            status: UserStatus::Invited,
            enabled: true,
            doctor_id: invite.doctor_id.clone(),
            staff_id: invite.staff_id.clone(),
            created_at: now.clone(),
            updated_at: now,
        };
        let Value::Object(mut item) = serde_json::to_value(&user).unwrap_or_default() else {
            return Err(DomainError::Store(StoreError::Invalid("user".into())));
        };
        let key = user_key(&id);
        item.insert("pk".into(), key.pk.into());
        item.insert("sk".into(), key.sk.into());
        item.insert("entity".into(), KIND.into());
        item.insert("gsi1pk".into(), KIND.into());
        item.insert("gsi1sk".into(), format!("{} {id}", user.email).into());
        item.insert("version".into(), 1.into());
        item.insert("code_hash".into(), code_hash(&id, &code).into());
        item.insert("code_purpose".into(), "invite".into());
        item.insert("code_expires_at".into(), (self.now() + life).into());
        let marker = email_key(&user.email);
        let mut marker_item = Item::new();
        marker_item.insert("pk".into(), marker.pk.into());
        marker_item.insert("sk".into(), marker.sk.into());
        marker_item.insert("entity".into(), "unique".into());
        marker_item.insert("owner".into(), id.clone().into());
        let writes = vec![
            Write::put_if(item, Condition::NotExists),
            Write::put_if(marker_item, Condition::NotExists),
        ];
        match self.store.transact(writes).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed { .. }) => {
                return Err(DomainError::conflict(
                    "email",
                    "an account with this e-mail exists",
                ));
            }
            Err(e) => return Err(e.into()),
        }
        self.send(&user, AccountEmail::Invite, &code, life).await?;
        Ok(user)
    }

    async fn list(&self, limit: usize, cursor: Option<&str>) -> DomainResult<UserPage> {
        let query = Query::index(Index::Gsi1, KIND)
            .sk(SkRange::All)
            .limit(limit);
        let start = match cursor {
            Some(c) => Some(self.cursors.decode(c, &query)?),
            None => None,
        };
        let query = query.start_after(start);
        let page = self.store.query(&query).await?;
        let next_cursor = page
            .last_key
            .as_ref()
            .map(|k| self.cursors.encode(k, &query));
        Ok(UserPage {
            items: page
                .items
                .iter()
                .map(to_user)
                .collect::<DomainResult<_>>()?,
            next_cursor,
        })
    }

    async fn get(&self, id: &str) -> DomainResult<User> {
        if !crate::ids::is_id(id) {
            return Err(DomainError::NotFound {
                kind: KIND,
                id: id.to_string(),
            });
        }
        to_user(&self.item(id).await?)
    }

    async fn resend(&self, id: &str) -> DomainResult<User> {
        let item = self.item(id).await?;
        if item.get("status").and_then(Value::as_str) != Some("invited") {
            return Err(DomainError::Conflict {
                field: None,
                message: "the user has already set a password".into(),
            });
        }
        self.new_code(
            &item,
            "invite",
            AccountEmail::Resend,
            self.limits.invite_secs,
        )
        .await
    }

    async fn set_enabled(&self, id: &str, enabled: bool) -> DomainResult<User> {
        self.get(id).await?;
        self.change(id, |_| Ok(Update::new().set("enabled", enabled)))
            .await
    }

    async fn set_roles(&self, id: &str, roles: &[String]) -> DomainResult<User> {
        self.get(id).await?;
        let roles = json!(roles);
        self.change(id, |_| Ok(Update::new().set("roles", roles.clone())))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse 1").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse 1", &h));
        assert!(!verify_password("correct horse 2", &h));
        assert!(!verify_password("anything", dummy_hash()));
    }

    #[test]
    fn password_rule() {
        assert!(check_password("abcdefghijk1").is_ok());
        assert!(check_password("short1").is_err());
        assert!(check_password("nodigitsatallhere").is_err());
        assert!(check_password("ABCDEFGHIJK1").is_err());
    }

    #[test]
    fn roles_rule() {
        assert!(check_roles(&["doctor".into()]).is_ok());
        assert!(check_roles(&[]).is_err());
        assert!(check_roles(&["doctor".into(), "doctor".into()]).is_err());
        assert!(check_roles(&["surgeon".into()]).is_err());
    }

    #[test]
    fn codes_are_eight_digits() {
        for _ in 0..100 {
            let c = new_code();
            assert_eq!(c.len(), 8);
            assert!(c.chars().all(|d| d.is_ascii_digit()));
        }
    }
}
