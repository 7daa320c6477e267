//! The account directory on AWS: the stack's Cognito user pool ([`Users`] over
//! `cognito-idp`). An account's id is its `sub`; its roles are the pool's groups; an invitation
//! is AdminCreateUser, whose e-mail (a temporary password) the pool's CustomMessage trigger
//! writes from our templates.
//!
//! Cognito has no transactions: an invitation whose groups can't be set is deleted again, and
//! a change of roles that fails half-way answers an error the caller repeats (setting roles is
//! idempotent).

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::types::{
    AttributeType, DeliveryMediumType, MessageActionType, UserStatusType, UserType,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hospital_core::DomainResult;
use hospital_core::accounts::{Invite, User, UserPage, UserStatus, Users};
use hospital_core::error::DomainError;
use hospital_core::resource::record::rfc3339;
use hospital_core::store::StoreError;

use hospital_core::accounts::RESEND_METADATA;

/// Most users ListUsers answers at once.
const LIST_MAX: usize = 60;

pub struct CognitoUsers {
    client: Client,
    pool: String,
}

impl CognitoUsers {
    pub fn new(client: Client, pool: impl Into<String>) -> Self {
        Self {
            client,
            pool: pool.into(),
        }
    }

    /// Over the SDK configuration every adapter shares (its HTTPS client).
    pub fn from_config(sdk: &aws_config::SdkConfig, pool: impl Into<String>) -> Self {
        Self::new(Client::new(sdk), pool)
    }

    /// The pool's user whose `sub` is `id`, if any.
    async fn by_id(&self, id: &str) -> DomainResult<UserType> {
        let not_found = || DomainError::NotFound {
            kind: "user",
            id: id.to_string(),
        };
        // The path id goes into a filter expression: only a UUID's characters.
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(not_found());
        }
        let out = self
            .client
            .list_users()
            .user_pool_id(&self.pool)
            .filter(format!("sub = \"{id}\""))
            .limit(1)
            .send()
            .await
            .map_err(failed)?;
        out.users
            .unwrap_or_default()
            .into_iter()
            .next()
            .ok_or_else(not_found)
    }

    async fn groups(&self, username: &str) -> DomainResult<Vec<String>> {
        let mut groups = Vec::new();
        let mut next = None;
        loop {
            let out = self
                .client
                .admin_list_groups_for_user()
                .user_pool_id(&self.pool)
                .username(username)
                .set_next_token(next)
                .send()
                .await
                .map_err(failed)?;
            groups.extend(
                out.groups
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|g| g.group_name),
            );
            next = out.next_token;
            if next.is_none() {
                break;
            }
        }
        // In the order of the role list, whatever order the pool answers in.
        Ok(hospital_core::accounts::ROLES
            .iter()
            .filter(|r| groups.iter().any(|g| g == *r))
            .map(|r| r.to_string())
            .collect())
    }

    async fn user(&self, u: UserType) -> DomainResult<User> {
        let username = u.username.clone().unwrap_or_default();
        let roles = self.groups(&username).await?;
        to_user(u, roles)
    }

    async fn add_groups(&self, username: &str, roles: &[String]) -> DomainResult<()> {
        for role in roles {
            self.client
                .admin_add_user_to_group()
                .user_pool_id(&self.pool)
                .username(username)
                .group_name(role)
                .send()
                .await
                .map_err(failed)?;
        }
        Ok(())
    }
}

fn attr(name: &str, value: &str) -> DomainResult<AttributeType> {
    AttributeType::builder()
        .name(name)
        .value(value)
        .build()
        .map_err(|e| DomainError::Store(StoreError::Invalid(e.to_string())))
}

fn to_user(u: UserType, roles: Vec<String>) -> DomainResult<User> {
    let attrs = u.attributes.unwrap_or_default();
    let get = |name: &str| {
        attrs
            .iter()
            .find(|a| a.name == name)
            .and_then(|a| a.value.clone())
    };
    let time = |t: Option<aws_sdk_cognitoidentityprovider::primitives::DateTime>| {
        t.and_then(|t| chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos()))
            .map(rfc3339)
            .unwrap_or_default()
    };
    Ok(User {
        id: get("sub").ok_or_else(|| {
            DomainError::Store(StoreError::Invalid("a pool user without a sub".into()))
        })?,
        email: get("email").unwrap_or_default(),
        name: get("name").unwrap_or_default(),
        roles,
        status: match u.user_status {
            Some(UserStatusType::ForceChangePassword) => UserStatus::Invited,
            _ => UserStatus::Active,
        },
        enabled: u.enabled,
        doctor_id: get("custom:doctor_id"),
        staff_id: get("custom:staff_id"),
        created_at: time(u.user_create_date),
        updated_at: time(u.user_last_modified_date),
    })
}

/// What a failed call means to the caller.
fn failed<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(
    e: SdkError<E, R>,
) -> DomainError {
    match e.code() {
        Some("UserNotFoundException") => DomainError::NotFound {
            kind: "user",
            id: String::new(),
        },
        Some("UsernameExistsException" | "AliasExistsException") => {
            DomainError::conflict("email", "an account with this e-mail exists")
        }
        Some("InvalidParameterException") => {
            DomainError::invalid("", e.message().unwrap_or("refused by the user pool"))
        }
        code => {
            tracing::error!(?code, error = ?e, "user pool call failed");
            DomainError::Store(StoreError::Unavailable(format!(
                "the user pool: {}",
                code.unwrap_or("unreachable")
            )))
        }
    }
}

#[async_trait::async_trait]
impl Users for CognitoUsers {
    async fn invite(&self, invite: &Invite) -> DomainResult<User> {
        let mut attributes = vec![
            attr("email", &invite.email)?,
            // The invitation's e-mail reaching them is the proof.
            attr("email_verified", "true")?,
            attr("name", &invite.name)?,
        ];
        if let Some(id) = &invite.doctor_id {
            attributes.push(attr("custom:doctor_id", id)?);
        }
        if let Some(id) = &invite.staff_id {
            attributes.push(attr("custom:staff_id", id)?);
        }
        let out = self
            .client
            .admin_create_user()
            .user_pool_id(&self.pool)
            .username(&invite.email)
            .set_user_attributes(Some(attributes))
            .desired_delivery_mediums(DeliveryMediumType::Email)
            .send()
            .await
            .map_err(failed)?;
        let created = out.user.ok_or_else(|| {
            DomainError::Store(StoreError::Unavailable(
                "AdminCreateUser answered no user".into(),
            ))
        })?;
        let username = created.username.clone().unwrap_or_default();
        if let Err(e) = self.add_groups(&username, &invite.roles).await {
            // No account with only some of its roles: undo, and let the caller invite again.
            if let Err(undo) = self
                .client
                .admin_delete_user()
                .user_pool_id(&self.pool)
                .username(&username)
                .send()
                .await
            {
                tracing::error!(error = ?undo, "an invitation without its groups stays in the pool");
            }
            return Err(e);
        }
        to_user(created, invite.roles.clone())
    }

    async fn list(&self, limit: usize, cursor: Option<&str>) -> DomainResult<UserPage> {
        let token = match cursor {
            Some(c) => Some(
                URL_SAFE_NO_PAD
                    .decode(c)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| DomainError::bad_request("cursor", "invalid cursor"))?,
            ),
            None => None,
        };
        let out = self
            .client
            .list_users()
            .user_pool_id(&self.pool)
            .limit(limit.clamp(1, LIST_MAX) as i32)
            .set_pagination_token(token)
            .send()
            .await
            .map_err(|e| match failed(e) {
                DomainError::Validation(_) => DomainError::bad_request("cursor", "invalid cursor"),
                other => other,
            })?;
        let mut items = Vec::new();
        for u in out.users.unwrap_or_default() {
            items.push(self.user(u).await?);
        }
        Ok(UserPage {
            items,
            // Cognito's own token, opaque to us; made URL-safe like our cursors.
            next_cursor: out
                .pagination_token
                .map(|t| URL_SAFE_NO_PAD.encode(t.as_bytes())),
        })
    }

    async fn get(&self, id: &str) -> DomainResult<User> {
        let u = self.by_id(id).await?;
        self.user(u).await
    }

    async fn resend(&self, id: &str) -> DomainResult<User> {
        let u = self.by_id(id).await?;
        if u.user_status != Some(UserStatusType::ForceChangePassword) {
            return Err(DomainError::Conflict {
                field: None,
                message: "the user has already set a password".into(),
            });
        }
        // By the e-mail, the login it was invited with (Cognito takes it for the username).
        let email = u
            .attributes
            .iter()
            .flatten()
            .find(|a| a.name == "email")
            .and_then(|a| a.value.clone())
            .unwrap_or_default();
        self.client
            .admin_create_user()
            .user_pool_id(&self.pool)
            .username(email)
            .message_action(MessageActionType::Resend)
            .desired_delivery_mediums(DeliveryMediumType::Email)
            .client_metadata(RESEND_METADATA, "true")
            .send()
            .await
            .map_err(failed)?;
        self.get(id).await
    }

    async fn set_enabled(&self, id: &str, enabled: bool) -> DomainResult<User> {
        let u = self.by_id(id).await?;
        let username = u.username.clone().unwrap_or_default();
        if enabled {
            self.client
                .admin_enable_user()
                .user_pool_id(&self.pool)
                .username(&username)
                .send()
                .await
                .map_err(failed)?;
        } else {
            self.client
                .admin_disable_user()
                .user_pool_id(&self.pool)
                .username(&username)
                .send()
                .await
                .map_err(failed)?;
        }
        self.get(id).await
    }

    async fn set_roles(&self, id: &str, roles: &[String]) -> DomainResult<User> {
        let u = self.by_id(id).await?;
        let username = u.username.clone().unwrap_or_default();
        let now = self.groups(&username).await?;
        // Added before removed: a failure half-way leaves more roles, never none.
        let added: Vec<String> = roles.iter().filter(|r| !now.contains(r)).cloned().collect();
        self.add_groups(&username, &added).await?;
        for role in now.iter().filter(|r| !roles.contains(r)) {
            self.client
                .admin_remove_user_from_group()
                .user_pool_id(&self.pool)
                .username(&username)
                .group_name(role)
                .send()
                .await
                .map_err(failed)?;
        }
        self.get(id).await
    }
}
