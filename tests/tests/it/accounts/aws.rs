//! Accounts on AWS: the user pool's CustomMessage trigger replayed with its sample events,
//! roles read from Cognito's `cognito:groups` claim, the pool in the template, and the Cognito
//! directory behind `/v1/users` against moto's cognito-idp.

use crate::lambda_events::{memory_deps, root};
use axum::body::to_bytes;
use hospital_api::auth::{Authenticator, LocalJwt, Role};
use hospital_core::automation::Settings;
use hospital_functions::{CustomMessage, RESEND_METADATA, cognito_message};
use serde_json::{Value, json};
use tower::ServiceExt;

fn settings() -> Settings {
    Settings {
        hospital_name: "Hospital Santa Clara".into(),
        ..Default::default()
    }
}

fn sample(file: &str) -> CustomMessage {
    let path = root().join("events/cognito-messages").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn every_custom_message_is_ours_in_portuguese_with_cognitos_placeholders() {
    let expected = [
        (
            "admin-create-user.json",
            "Bem-vindo(a) ao Hospital Santa Clara",
            "Seu código de acesso",
        ),
        (
            "sign-up.json",
            "Código de verificação",
            "Seu código de verificação",
        ),
        (
            "resend-code.json",
            "Código de verificação",
            "Seu código de verificação",
        ),
        (
            "forgot-password.json",
            "Redefinição de senha",
            "Seu código de redefinição",
        ),
        (
            "update-user-attribute.json",
            "Código de verificação",
            "confirmar o seu e-mail",
        ),
        (
            "verify-user-attribute.json",
            "Código de verificação",
            "confirmar o seu e-mail",
        ),
    ];
    let files: Vec<String> = std::fs::read_dir(root().join("events/cognito-messages"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(files.len(), expected.len(), "{files:?}");
    for (file, subject, says) in expected {
        let out = cognito_message(sample(file), &settings()).unwrap();
        let got_subject = out.response.email_subject.clone().unwrap_or_default();
        let body = out.response.email_message.clone().unwrap_or_default();
        assert!(got_subject.starts_with(subject), "{file}: {got_subject}");
        assert!(got_subject.len() <= 140, "{file}: Cognito's subject limit");
        assert!(body.contains(says), "{file}: {body}");
        assert!(
            body.contains("{####}"),
            "{file}: no code placeholder: {body}"
        );
        assert!(body.contains("<html lang=\"pt-BR\">"), "{file}");
        assert!(body.contains("Ana Souza"), "{file}: the user's name");
        assert!(body.len() < 20_000, "{file}: Cognito's message limit");
        if file == "admin-create-user.json" {
            assert!(
                body.contains("{username}"),
                "an invitation names the login: {body}"
            );
            assert!(body.contains("7 dias"));
        }
        // The rest of the event is as it came.
        assert_eq!(out.request, sample(file).request);
    }
    // A resent invitation (AdminCreateUser with RESEND, marked by the users function).
    let mut resent = sample("admin-create-user.json");
    resent
        .request
        .client_metadata
        .insert(RESEND_METADATA.into(), "true".into());
    let out = cognito_message(resent, &settings()).unwrap();
    let subject = out.response.email_subject.unwrap_or_default();
    assert!(subject.contains("(reenvio)"), "{subject}");
    let body = out.response.email_message.unwrap_or_default();
    assert!(
        body.contains("{####}") && body.contains("{username}"),
        "{body}"
    );
    // An MFA code is not ours: Cognito's default message stays.
    let mut mfa: Value = serde_json::to_value(sample("sign-up.json")).unwrap();
    mfa["triggerSource"] = json!("CustomMessage_Authentication");
    let mfa: CustomMessage = serde_json::from_value(mfa).unwrap();
    let out = cognito_message(mfa, &settings()).unwrap();
    assert_eq!(out.response.email_message, None);
}

/// A sample API event of `route_key` whose authorizer claims are Cognito's: groups, no roles.
fn cognito_event(function: &str, file: &str, groups: &str) -> lambda_http::Request {
    let path = root().join("events").join(function).join(file);
    let mut event: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let claims = &mut event["requestContext"]["authorizer"]["jwt"]["claims"];
    claims.as_object_mut().unwrap().remove("roles");
    claims["cognito:groups"] = json!(groups);
    claims["token_use"] = json!("access");
    claims["client_id"] = json!("4example5client6id7abcdefgh");
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

#[tokio::test]
async fn roles_come_from_cognito_groups() {
    let app = hospital_functions::http_app("beds", memory_deps(), None);
    let cases = [
        ("[nurse]", 200),
        ("[doctor nurse]", 200),
        ("[billing]", 403),
        ("[]", 403),
    ];
    for (groups, status) in cases {
        let req = cognito_event("beds", "list-bed.json", groups)
            .map(|b| axum::body::Body::from(b.to_vec()));
        let res = app.clone().oneshot(req).await.unwrap();
        let got = res.status();
        let body = to_bytes(res.into_body(), 1 << 20).await.unwrap();
        assert_eq!(
            got,
            status,
            "groups {groups}: {}",
            String::from_utf8_lossy(&body)
        );
    }

    // hospital-local's tokens may carry the claim too (an array there).
    let secret = b"groups-test-secret-groups-test-secret";
    let claims = json!({
        "sub": "u1", "cognito:groups": ["pharmacist", "billing"],
        "iss": LocalJwt::ISSUER, "aud": LocalJwt::AUDIENCE,
        "exp": crate::common::now() + 600,
    });
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .unwrap();
    let req = axum::http::Request::builder()
        .header("authorization", format!("Bearer {token}"))
        .body(())
        .unwrap();
    let (parts, _) = req.into_parts();
    let who = LocalJwt::new(secret).authenticate(&parts).unwrap();
    assert_eq!(who.roles, [Role::Pharmacist, Role::Billing]);
}

/// A Cognito ID token names the doctor record in `custom:doctor_id`: the function reads it
/// (and `doctor_id`, another provider's) as the doctor the caller acts as.
#[test]
fn a_cognito_id_token_names_the_doctor() {
    let cases = [
        (
            Some(("custom:doctor_id", "01JBEN16F07QRVXFM2VY5PFPDZ")),
            Some("01JBEN16F07QRVXFM2VY5PFPDZ"),
        ),
        (
            Some(("doctor_id", "01JBEMSW30RD39EK9TNMZCBE0T")),
            Some("01JBEMSW30RD39EK9TNMZCBE0T"),
        ),
        (Some(("custom:doctor_id", "")), None),
        (None, None),
    ];
    for (claim, expected) in cases {
        let req = cognito_event("beds", "list-bed.json", "[doctor]");
        let (mut parts, _) = req.into_parts();
        if let Some((name, value)) = claim {
            let Some(lambda_http::request::RequestContext::ApiGatewayV2(ctx)) =
                parts
                    .extensions
                    .get_mut::<lambda_http::request::RequestContext>()
            else {
                panic!("an HTTP API event");
            };
            let jwt = ctx
                .authorizer
                .as_mut()
                .and_then(|a| a.jwt.as_mut())
                .unwrap();
            jwt.claims.insert(name.to_string(), value.to_string());
        }
        let who = hospital_functions::AuthorizerClaims
            .authenticate(&parts)
            .unwrap();
        assert_eq!(who.roles, [Role::Doctor]);
        assert_eq!(who.doctor_id.as_deref(), expected, "{claim:?}");
    }
}

#[test]
fn the_template_has_a_group_per_role_and_the_trigger() {
    let template = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    for role in Role::ALL {
        assert!(
            template.contains(&format!("GroupName: {},", role.as_str())),
            "no group {}",
            role.as_str()
        );
    }
    assert!(template.contains("CustomMessage: !GetAtt CognitoMessagesFunction.Arn"));
    assert!(template.contains("EmailSendingAccount: DEVELOPER"));
    assert!(template.contains("From: !Ref SenderAddress"));
    assert!(template.contains("HOSPITAL_FUNCTION: cognito-messages\n"));
    // A user can't rewrite the attribute naming their doctor record (nor their login).
    assert!(
        template.contains("      WriteAttributes:\n        - name\n      AccessTokenValidity"),
        "the app client lets users write only their name"
    );
    assert_eq!(
        hospital_api::registry::binary_of(hospital_api::registry::COGNITO_MESSAGES),
        Some("hospital-mail")
    );
}

/// A pool as the template makes it, in moto: e-mail as the username, the custom attributes, a
/// group per role (but `missing`).
async fn new_pool(sdk: &aws_config::SdkConfig, missing: &[&str]) -> String {
    use aws_sdk_cognitoidentityprovider::types::{
        AttributeDataType, SchemaAttributeType, UsernameAttributeType,
    };
    let client = aws_sdk_cognitoidentityprovider::Client::new(sdk);
    let custom = |name: &str| {
        SchemaAttributeType::builder()
            .name(name)
            .attribute_data_type(AttributeDataType::String)
            .mutable(true)
            .build()
    };
    let pool = client
        .create_user_pool()
        .pool_name(format!("staff-{}", hospital_core::ids::new_id()))
        .username_attributes(UsernameAttributeType::Email)
        .schema(custom("doctor_id"))
        .schema(custom("staff_id"))
        .send()
        .await
        .expect("create the pool")
        .user_pool
        .and_then(|p| p.id)
        .expect("a pool id");
    for role in Role::ALL.map(|r| r.as_str()) {
        if !missing.contains(&role) {
            client
                .create_group()
                .user_pool_id(&pool)
                .group_name(role)
                .send()
                .await
                .expect("create a group");
        }
    }
    pool
}

async fn moto_sdk() -> aws_config::SdkConfig {
    hospital_testkit::aws_test_env();
    let moto = hospital_testkit::MotoServer::shared().await;
    hospital_adapters::aws::lambda_config(Some(moto.endpoint())).expect("the Lambda SDK config")
}

fn invite(email: &str, roles: &[&str]) -> hospital_core::accounts::Invite {
    serde_json::from_value(json!({"email": email, "name": "Ana Souza", "roles": roles}))
        .expect("an invitation")
}

#[tokio::test]
async fn the_cognito_directory_against_moto() {
    use hospital_core::DomainError;
    use hospital_core::accounts::{UserStatus, Users};
    let sdk = moto_sdk().await;
    let pool = new_pool(&sdk, &[]).await;
    let users = hospital_adapters::cognito::CognitoUsers::from_config(&sdk, &pool);

    let mut first = invite("ana.souza@santaclara.example", &["manager", "doctor"]);
    first.doctor_id = Some("01JBEN16F07QRVXFM2VY5PFPDZ".into());
    let ana = users.invite(&first).await.expect("invited");
    assert_eq!(ana.email, "ana.souza@santaclara.example");
    assert_eq!(ana.name, "Ana Souza");
    assert_eq!(ana.status, UserStatus::Invited);
    assert!(ana.enabled);
    assert_eq!(ana.doctor_id.as_deref(), Some("01JBEN16F07QRVXFM2VY5PFPDZ"));
    assert_eq!(ana.staff_id, None);
    assert_eq!(ana.roles, ["manager", "doctor"]);
    assert!(
        !ana.id.is_empty() && ana.id != ana.email,
        "the id is the sub"
    );
    // Read back by id, roles in the role list's order.
    let read = users.get(&ana.id).await.expect("found");
    assert_eq!(read.roles, ["manager", "doctor"]);
    assert_eq!(read.email, ana.email);

    // One account per e-mail.
    match users.invite(&first).await {
        Err(DomainError::Conflict { field, .. }) => assert_eq!(field.as_deref(), Some("email")),
        other => panic!("a second invitation: {other:?}"),
    }

    // Listed a page at a time.
    let bruno = users
        .invite(&invite("bruno@santaclara.example", &["nurse"]))
        .await
        .expect("invited");
    let page = users.list(1, None).await.expect("a page");
    assert_eq!(page.items.len(), 1);
    let next = page.next_cursor.expect("a next page");
    let rest = users.list(50, Some(&next)).await.expect("the rest");
    let mut ids: Vec<String> = page
        .items
        .iter()
        .chain(&rest.items)
        .map(|u| u.id.clone())
        .collect();
    ids.sort();
    let mut both = vec![ana.id.clone(), bruno.id.clone()];
    both.sort();
    assert_eq!(ids, both);
    assert!(matches!(
        users.list(10, Some("not base64!")).await,
        Err(DomainError::BadRequest { .. })
    ));

    // Roles replaced: groups added and removed.
    let changed = users
        .set_roles(&ana.id, &["nurse".into(), "doctor".into()])
        .await
        .expect("roles set");
    assert_eq!(changed.roles, ["doctor", "nurse"]);
    assert_eq!(
        users.get(&ana.id).await.expect("found").roles,
        ["doctor", "nurse"]
    );

    // Disabled and enabled.
    assert!(
        !users
            .set_enabled(&ana.id, false)
            .await
            .expect("disabled")
            .enabled
    );
    assert!(!users.get(&ana.id).await.expect("found").enabled);
    assert!(
        users
            .set_enabled(&ana.id, true)
            .await
            .expect("enabled")
            .enabled
    );

    // The invitation again: still invited.
    let again = users.resend(&ana.id).await.expect("resent");
    assert_eq!(again.status, UserStatus::Invited);

    // Unknown ids, and ids that are no UUID, are no one.
    for id in ["7f3c2a10-5b6d-4e8f-9a01-23456789abcd", "x\" or sub ^= \""] {
        assert!(
            matches!(users.get(id).await, Err(DomainError::NotFound { .. })),
            "{id}"
        );
    }

    // A pool without one of the roles' groups: the invitation fails and leaves no account.
    let partial = new_pool(&sdk, &["pharmacist"]).await;
    let users = hospital_adapters::cognito::CognitoUsers::from_config(&sdk, &partial);
    assert!(
        users
            .invite(&invite(
                "carla@santaclara.example",
                &["nurse", "pharmacist"]
            ))
            .await
            .is_err()
    );
    assert!(users.list(50, None).await.expect("a page").items.is_empty());
}

/// The users function as its Lambda binary runs it, over the pool: the sample invitation event
/// creates the account.
#[tokio::test]
async fn the_users_function_invites_into_the_pool() {
    use hospital_core::accounts::Users;
    let sdk = moto_sdk().await;
    let pool = new_pool(&sdk, &[]).await;
    let users: std::sync::Arc<dyn Users> = std::sync::Arc::new(
        hospital_adapters::cognito::CognitoUsers::from_config(&sdk, &pool),
    );
    let app = hospital_functions::http_app_with("users", memory_deps(), None, Some(users.clone()));
    let text = std::fs::read_to_string(root().join("events/users/invite-user.json")).unwrap();
    let req = lambda_http::request::from_str(&text)
        .unwrap()
        .map(|b| axum::body::Body::from(b.to_vec()));
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let location = res.headers().get("location").cloned();
    let body: Value =
        serde_json::from_slice(&to_bytes(res.into_body(), 1 << 20).await.unwrap()).unwrap();
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().expect("id");
    assert_eq!(
        location.as_ref().and_then(|l| l.to_str().ok()),
        Some(format!("/v1/users/{id}").as_str())
    );
    let listed = users.list(10, None).await.unwrap();
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].id, id);
    assert_eq!(listed.items[0].roles, ["doctor"]);
}
