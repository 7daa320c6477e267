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
    assert_eq!(
        hospital_api::registry::binary_of(hospital_api::registry::COGNITO_MESSAGES),
        Some("hospital-mail")
    );
}
