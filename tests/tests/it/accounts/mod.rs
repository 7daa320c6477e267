//! Accounts (RF16) in hospital-local, its own identity provider: an invitation e-mailed to the
//! outbox with a code, the password set with it, a login for a token with the invited roles;
//! codes that expire, are used once and are replaced by a resent one; the password reset;
//! logins that say nothing about which e-mails have accounts and are limited per e-mail; and
//! the administration of accounts (`/v1/users`).
//!
//! Data: CPFs from `cpf(9600..)`.

mod aws;

use crate::automation::{Mail, emails_to, start};
use crate::operations::*;

const USERS: &str = "/v1/users";
const PASSWORD: &str = "uma senha longa 42";

/// A public request (no token).
async fn public(local: &Local, path: &str, json: &Value) -> (u16, Value, Option<String>) {
    let res = local
        .req(Method::POST, path, None)
        .json(json)
        .send()
        .await
        .expect("send");
    let retry = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (s, b) = body(res).await;
    (s, b, retry)
}

async fn login(local: &Local, email: &str, password: &str) -> (u16, Value, Option<String>) {
    public(
        local,
        "/v1/auth/token",
        &json!({"email": email, "password": password}),
    )
    .await
}

/// The first run of eight digits of an e-mail's text: its code.
fn code_of(mail: &Mail) -> String {
    let digits: Vec<char> = mail.text.chars().collect();
    digits
        .windows(8)
        .enumerate()
        .find(|(i, w)| {
            w.iter().all(char::is_ascii_digit)
                && (*i == 0 || !digits[i - 1].is_ascii_digit())
                && digits.get(i + 8).is_none_or(|c| !c.is_ascii_digit())
        })
        .map(|(_, w)| w.iter().collect())
        .unwrap_or_else(|| panic!("no code in: {}", mail.text))
}

/// The one e-mail to `to` whose subject holds `subject`.
fn the_mail(local: &Local, to: &str, subject: &str) -> Mail {
    let mut mails = emails_to(local, to, subject);
    assert_eq!(mails.len(), 1, "e-mails to {to} about {subject:?}");
    mails.remove(0)
}

async fn invite(local: &Local, email: &str, name: &str, roles: &[&str]) -> Value {
    let (s, b) = send(
        local,
        Method::POST,
        USERS,
        Role::Admin,
        Some(&json!({"email": email, "name": name, "roles": roles})),
    )
    .await;
    assert_eq!(s, 201, "invite {email}: {b}");
    b
}

/// A token as `Authorization` for a request.
async fn as_token(local: &Local, method: Method, path: &str, token: &str) -> u16 {
    local
        .http
        .request(method, local.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("send")
        .status()
        .as_u16()
}

async fn invited_to_logged_in(local: &Local) {
    let user = invite(
        local,
        "Enf.Carla@Santaclara.example",
        "Carla Dias",
        &["nurse"],
    )
    .await;
    assert_eq!(user["email"], "enf.carla@santaclara.example");
    assert_eq!(user["status"], "invited");
    assert_eq!(user["enabled"], true);
    assert_eq!(user["roles"], json!(["nurse"]));
    assert!(user.get("password_hash").is_none() && user.get("code_hash").is_none());
    let id = user["id"].as_str().expect("id");

    // What the recipient reads: pt-BR, the login and the code.
    let mail = the_mail(local, "enf.carla@santaclara.example", "Bem-vindo(a)");
    assert!(
        mail.subject.contains("Hospital Santa Clara"),
        "{}",
        mail.subject
    );
    assert!(mail.says("Olá, Carla Dias!"), "{}", mail.text);
    assert!(mail.says("Seu usuário: enf.carla@santaclara.example"));
    let code = code_of(&mail);
    assert!(mail.html.contains(&code));

    // Not yet: no password.
    let (s, b, _) = login(local, "enf.carla@santaclara.example", PASSWORD).await;
    assert_error(s, &b, 401, None, "wrong e-mail or password");

    // A password that breaks the rule is refused before the code is looked at.
    let (s, b, _) = public(
        local,
        "/v1/auth/accept-invitation",
        &json!({"email": "enf.carla@santaclara.example", "code": code, "password": "curta1"}),
    )
    .await;
    assert_error(s, &b, 422, Some("password"), "12 to 256");

    let (s, b, _) = public(
        local,
        "/v1/auth/accept-invitation",
        &json!({"email": "ENF.CARLA@santaclara.example", "code": code, "password": PASSWORD}),
    )
    .await;
    assert_eq!(s, 204, "{b}");
    // A code is used once.
    let (s, b, _) = public(
        local,
        "/v1/auth/accept-invitation",
        &json!({"email": "enf.carla@santaclara.example", "code": code, "password": "outra senha longa 7"}),
    )
    .await;
    assert_error(s, &b, 422, Some("code"), "already used");

    let (s, b, _) = login(local, "enf.carla@santaclara.example", PASSWORD).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["token_type"], "Bearer");
    assert_eq!(b["expires_in"], 12 * 3600);
    let token = b["access_token"].as_str().expect("token").to_string();

    // The token carries the account's id and roles: a nurse reads beds, not bills.
    assert_eq!(as_token(local, Method::GET, "/v1/beds", &token).await, 200);
    assert_eq!(
        as_token(local, Method::GET, "/v1/billing-entries", &token).await,
        403
    );
    assert_eq!(as_token(local, Method::GET, USERS, &token).await, 403);
    let claims = claims_of(&token);
    assert_eq!(claims["sub"], id);
    assert_eq!(claims["roles"], json!(["nurse"]));
    assert!(claims.get("doctor_id").is_none(), "{claims}");

    let now = get_ok(local, &format!("{USERS}/{id}")).await;
    assert_eq!(now["status"], "active");
}

#[tokio::test]
async fn accounts_invitation_to_login_on_embedded_store() {
    let local = start(Backend::Embedded).await;
    invited_to_logged_in(&local).await;
    local.stop().await;
}

#[tokio::test]
async fn accounts_invitation_to_login_on_dynamodb() {
    let local = start(Backend::Dynamo).await;
    invited_to_logged_in(&local).await;
    local.stop().await;
}

/// An account with its password set, for the tests below.
/// The claims of a token (its payload, unverified).
fn claims_of(token: &str) -> Value {
    let claims = token.split('.').nth(1).expect("payload");
    serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, claims)
            .expect("base64"),
    )
    .expect("claims")
}

async fn active(local: &Local, email: &str, roles: &[&str]) -> String {
    let user = invite(local, email, "Pessoa Teste", roles).await;
    let code = code_of(&the_mail(local, email, "Bem-vindo(a)"));
    let (s, b, _) = public(
        local,
        "/v1/auth/accept-invitation",
        &json!({"email": email, "code": code, "password": PASSWORD}),
    )
    .await;
    assert_eq!(s, 204, "{b}");
    user["id"].as_str().expect("id").to_string()
}

fn millis(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::test]
async fn accounts_logins_reveal_nothing_and_are_limited() {
    let local = start(Backend::Embedded).await;
    set_clock(&local, "2026-03-02T10:00:00-03:00").await;
    active(&local, "rx@santaclara.example", &["pharmacist"]).await;

    // Wrong password and unknown e-mail: the same answer, after about the same work (a hash is
    // verified for unknown e-mails too). Each e-mail gets 5 attempts a window, so the timings
    // take 3 of each.
    let mut wrong = Vec::new();
    let mut unknown = Vec::new();
    let mut bodies = Vec::new();
    for i in 0..3 {
        let t = std::time::Instant::now();
        let (s, b, _) = login(&local, "rx@santaclara.example", "errada errada 1").await;
        wrong.push(millis(t.elapsed()));
        assert_eq!(s, 401, "{b}");
        bodies.push(b["error"].clone());
        let t = std::time::Instant::now();
        let (s, b, _) = login(
            &local,
            &format!("ninguem{i}@santaclara.example"),
            "errada errada 1",
        )
        .await;
        unknown.push(millis(t.elapsed()));
        assert_eq!(s, 401, "{b}");
        bodies.push(b["error"].clone());
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");
    let fastest_unknown = unknown.iter().cloned().fold(f64::MAX, f64::min);
    let mut sorted_wrong = wrong.clone();
    sorted_wrong.sort_by(f64::total_cmp);
    assert!(
        fastest_unknown >= sorted_wrong[1] / 3.0,
        "unknown e-mails answer much faster ({unknown:?} ms) than wrong passwords ({wrong:?} ms)"
    );

    // 3 attempts taken; 2 left in this window, then 429 with Retry-After, even for the right
    // password.
    for _ in 0..2 {
        let (s, _, _) = login(&local, "rx@santaclara.example", "errada errada 1").await;
        assert_eq!(s, 401);
    }
    let (s, b, retry) = login(&local, "rx@santaclara.example", PASSWORD).await;
    assert_error(s, &b, 429, None, "too many attempts");
    let retry: i64 = retry.expect("Retry-After").parse().expect("seconds");
    assert!((1..=900).contains(&retry), "{retry}");
    // Another e-mail is not held back.
    let (s, _, _) = login(&local, "outra@santaclara.example", PASSWORD).await;
    assert_eq!(s, 401);

    // Once the window has passed, the right password works, and a success starts afresh.
    let later = chrono::DateTime::parse_from_rfc3339("2026-03-02T10:00:00-03:00").expect("t")
        + chrono::Duration::seconds(retry);
    set_clock(&local, &later.to_rfc3339()).await;
    let (s, b, _) = login(&local, "rx@santaclara.example", PASSWORD).await;
    assert_eq!(s, 200, "{b}");
    for _ in 0..4 {
        let (s, _, _) = login(&local, "rx@santaclara.example", "errada errada 1").await;
        assert_eq!(s, 401);
    }
    let (s, _, _) = login(&local, "rx@santaclara.example", PASSWORD).await;
    assert_eq!(s, 200);
    local.stop().await;
}

/// Racing logins take no more attempts than a window holds: of 8 at once, 5 are judged and
/// 3 refused unjudged.
async fn racing_logins(local: &Local) {
    set_clock(local, "2026-03-02T10:00:00-03:00").await;
    active(local, "corrida@santaclara.example", &["billing"]).await;
    let all = futures::future::join_all(
        (0..8).map(|_| login(local, "corrida@santaclara.example", "errada errada 1")),
    )
    .await;
    let mut statuses: Vec<u16> = all.iter().map(|(s, _, _)| *s).collect();
    statuses.sort();
    assert_eq!(
        statuses,
        [401, 401, 401, 401, 401, 429, 429, 429],
        "{all:?}"
    );
}

#[tokio::test]
async fn accounts_racing_logins_on_embedded_store() {
    let local = start(Backend::Embedded).await;
    racing_logins(&local).await;
    local.stop().await;
}

#[tokio::test]
async fn accounts_racing_logins_on_dynamodb() {
    let local = start(Backend::Dynamo).await;
    racing_logins(&local).await;
    local.stop().await;
}

#[tokio::test]
async fn accounts_codes_expire_and_are_replaced() {
    let local = start(Backend::Embedded).await;
    set_clock(&local, "2026-03-02T10:00:00-03:00").await;
    let user = invite(
        &local,
        "tarde@santaclara.example",
        "Rui Tarde",
        &["receptionist"],
    )
    .await;
    let id = user["id"].as_str().expect("id");
    let first = code_of(&the_mail(
        &local,
        "tarde@santaclara.example",
        "Bem-vindo(a)",
    ));

    // Seven days and a minute later the invitation code no longer works.
    set_clock(&local, "2026-03-09T10:01:00-03:00").await;
    let accept = |code: String| json!({"email": "tarde@santaclara.example", "code": code, "password": PASSWORD});
    let (s, b, _) = public(&local, "/v1/auth/accept-invitation", &accept(first.clone())).await;
    assert_error(s, &b, 422, Some("code"), "expired");

    // Sent again: a new code, the old one void.
    let (s, b) = send(
        &local,
        Method::POST,
        &format!("{USERS}/{id}/resend-invitation"),
        Role::Admin,
        None,
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let again = the_mail(&local, "tarde@santaclara.example", "reenvio");
    assert!(again.says("O código anterior deixou de valer"));
    let second = code_of(&again);
    assert_ne!(first, second);
    let (s, _, _) = public(&local, "/v1/auth/accept-invitation", &accept(first)).await;
    assert_eq!(s, 422);
    let (s, b, _) = public(&local, "/v1/auth/accept-invitation", &accept(second)).await;
    assert_eq!(s, 204, "{b}");
    // Active now: nothing to resend.
    let (s, b) = send(
        &local,
        Method::POST,
        &format!("{USERS}/{id}/resend-invitation"),
        Role::Admin,
        None,
    )
    .await;
    assert_error(s, &b, 409, None, "already set a password");

    // A forgotten password: a reset code by e-mail, valid for an hour.
    let forgot = |email: &str| json!({"email": email});
    let (s, _, _) = public(
        &local,
        "/v1/auth/forgot-password",
        &forgot("tarde@santaclara.example"),
    )
    .await;
    assert_eq!(s, 202);
    // Unknown e-mails get the same answer, and no e-mail.
    let (s, _, _) = public(
        &local,
        "/v1/auth/forgot-password",
        &forgot("ninguem@santaclara.example"),
    )
    .await;
    assert_eq!(s, 202);
    assert!(emails_to(&local, "ninguem@santaclara.example", "").is_empty());
    let mail = the_mail(&local, "tarde@santaclara.example", "Redefinição de senha");
    assert!(mail.says("vale por 60 minutos"), "{}", mail.text);
    let reset_code = code_of(&mail);
    let reset = |code: &str, password: &str| json!({"email": "tarde@santaclara.example", "code": code, "password": password});
    // The invitation's route does not take a reset code.
    let (s, _, _) = public(
        &local,
        "/v1/auth/accept-invitation",
        &reset(&reset_code, "nova senha longa 9"),
    )
    .await;
    assert_eq!(s, 422);
    let (s, b, _) = public(
        &local,
        "/v1/auth/reset-password",
        &reset(&reset_code, "nova senha longa 9"),
    )
    .await;
    assert_eq!(s, 204, "{b}");
    let (s, _, _) = public(
        &local,
        "/v1/auth/reset-password",
        &reset(&reset_code, "outra senha longa 9"),
    )
    .await;
    assert_eq!(s, 422, "a reset code is used once");
    let (s, _, _) = login(&local, "tarde@santaclara.example", PASSWORD).await;
    assert_eq!(s, 401);
    let (s, b, _) = login(&local, "tarde@santaclara.example", "nova senha longa 9").await;
    assert_eq!(s, 200, "{b}");

    // A reset code an hour and a minute old is void.
    let (s, _, _) = public(
        &local,
        "/v1/auth/forgot-password",
        &forgot("tarde@santaclara.example"),
    )
    .await;
    assert_eq!(s, 202);
    let late = emails_to(&local, "tarde@santaclara.example", "Redefinição de senha");
    assert_eq!(late.len(), 2);
    let late = code_of(&late[1]);
    set_clock(&local, "2026-03-09T11:02:00-03:00").await;
    let (s, b, _) = public(
        &local,
        "/v1/auth/reset-password",
        &reset(&late, "mais uma senha 77"),
    )
    .await;
    assert_error(s, &b, 422, Some("code"), "expired");
    local.stop().await;
}

#[tokio::test]
async fn accounts_administration() {
    let local = start(Backend::Embedded).await;
    let specialty = new_specialty(&local, "Cardiologia").await;
    let doctor = new_doctor(&local, "Dr. Paulo Reis", 9601, &[&specialty.id]).await;

    // Bad input, each named.
    let bad = [
        (
            json!({"email": "x@y.example", "name": "X", "roles": ["surgeon"]}),
            "roles[0]",
        ),
        (
            json!({"email": "x@y.example", "name": "X", "roles": []}),
            "roles",
        ),
        (
            json!({"email": "x@y.example", "name": "X", "roles": ["nurse", "nurse"]}),
            "roles[1]",
        ),
        (
            json!({"email": "not-an-email", "name": "X", "roles": ["nurse"]}),
            "email",
        ),
        (
            json!({"email": "x@y.example", "name": "  ", "roles": ["nurse"]}),
            "name",
        ),
        (
            json!({"email": "x@y.example", "name": "X\u{7}", "roles": ["nurse"]}),
            "name",
        ),
        (
            json!({"email": "x@y.example", "name": "X", "roles": ["nurse"], "doctor_id": MISSING_ID}),
            "doctor_id",
        ),
        (
            json!({"email": "x@y.example", "name": "X", "roles": ["nurse"], "staff_id": MISSING_ID}),
            "staff_id",
        ),
    ];
    for (body, field) in bad {
        let (s, b) = send(&local, Method::POST, USERS, Role::Admin, Some(&body)).await;
        assert_envelope(s, &b, 422, Some(field));
    }
    let (s, b) = send(
        &local,
        Method::POST,
        USERS,
        Role::Admin,
        Some(&json!({"email": "x@y.example", "name": "X", "roles": ["nurse"], "password": "x"})),
    )
    .await;
    assert_envelope(s, &b, 422, Some("password"));
    // Only admins.
    for role in [Role::Manager, Role::Doctor, Role::Receptionist] {
        let (s, b) = send(&local, Method::GET, USERS, role, None).await;
        assert_envelope(s, &b, 403, None);
    }

    // Linked to the doctor's record.
    let (s, b) = send(
        &local,
        Method::POST,
        USERS,
        Role::Admin,
        Some(&json!({"email": "paulo@santaclara.example", "name": "Paulo Reis", "roles": ["doctor"], "doctor_id": doctor.id})),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["doctor_id"], doctor.id.as_str());
    let paulo = b["id"].as_str().expect("id").to_string();
    // One account per e-mail, whatever its case; two invitations at once: one wins.
    let (s, b) = send(
        &local,
        Method::POST,
        USERS,
        Role::Admin,
        Some(&json!({"email": "PAULO@santaclara.example", "name": "Outro", "roles": ["nurse"]})),
    )
    .await;
    assert_envelope(s, &b, 409, Some("email"));
    let body = json!({"email": "dupla@santaclara.example", "name": "Dupla", "roles": ["nurse"]});
    let (a, b) = tokio::join!(
        send(&local, Method::POST, USERS, Role::Admin, Some(&body)),
        send(&local, Method::POST, USERS, Role::Admin, Some(&body)),
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [201, 409], "{a:?} {b:?}");
    assert_eq!(emails_to(&local, "dupla@santaclara.example", "").len(), 1);

    // Listed by e-mail, a page at a time.
    let (s, page) = send(
        &local,
        Method::GET,
        &format!("{USERS}?limit=1"),
        Role::Admin,
        None,
    )
    .await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(page["items"][0]["email"], "dupla@santaclara.example");
    let cursor = page["next_cursor"].as_str().expect("a next page");
    let (s, page) = send(
        &local,
        Method::GET,
        &format!("{USERS}?limit=1&cursor={cursor}"),
        Role::Admin,
        None,
    )
    .await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(page["items"][0]["email"], "paulo@santaclara.example");
    for bad in ["?limit=0", "?limit=201", "?cursor=abc", "?name=x"] {
        let (s, b) = send(
            &local,
            Method::GET,
            &format!("{USERS}{bad}"),
            Role::Admin,
            None,
        )
        .await;
        assert_envelope(s, &b, 400, None);
    }
    let (s, b) = send(
        &local,
        Method::GET,
        &format!("{USERS}/{MISSING_ID}"),
        Role::Admin,
        None,
    )
    .await;
    assert_envelope(s, &b, 404, None);
    let (s, b) = send(
        &local,
        Method::GET,
        &format!("{USERS}/nao%20existe"),
        Role::Admin,
        None,
    )
    .await;
    assert_envelope(s, &b, 404, None);

    // Disabled: no login; enabled again: the login works.
    let code = code_of(&the_mail(
        &local,
        "paulo@santaclara.example",
        "Bem-vindo(a)",
    ));
    let (s, b, _) = public(
        &local,
        "/v1/auth/accept-invitation",
        &json!({"email": "paulo@santaclara.example", "code": code, "password": PASSWORD}),
    )
    .await;
    assert_eq!(s, 204, "{b}");
    // His tokens name his doctor record: he acts as that doctor (his own prescriptions).
    let (s, b, _) = login(&local, "paulo@santaclara.example", PASSWORD).await;
    assert_eq!(s, 200, "{b}");
    let claims = claims_of(b["access_token"].as_str().expect("token"));
    assert_eq!(claims["sub"], paulo.as_str());
    assert_eq!(claims["doctor_id"], doctor.id.as_str());
    let (s, b) = send(
        &local,
        Method::POST,
        &format!("{USERS}/{paulo}/disable"),
        Role::Admin,
        None,
    )
    .await;
    assert_eq!((s, b["enabled"].clone()), (200, json!(false)), "{b}");
    let (s, b, _) = login(&local, "paulo@santaclara.example", PASSWORD).await;
    assert_error(s, &b, 401, None, "wrong e-mail or password");
    let (s, b) = send(
        &local,
        Method::POST,
        &format!("{USERS}/{paulo}/enable"),
        Role::Admin,
        None,
    )
    .await;
    assert_eq!((s, b["enabled"].clone()), (200, json!(true)), "{b}");

    // New roles: the next token carries them.
    let (s, b) = send(
        &local,
        Method::PUT,
        &format!("{USERS}/{paulo}/roles"),
        Role::Admin,
        Some(&json!({"roles": ["doctor", "manager"]})),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["roles"], json!(["doctor", "manager"]));
    for (roles, field) in [(json!([]), "roles"), (json!(["chef"]), "roles[0]")] {
        let (s, b) = send(
            &local,
            Method::PUT,
            &format!("{USERS}/{paulo}/roles"),
            Role::Admin,
            Some(&json!({ "roles": roles })),
        )
        .await;
        assert_envelope(s, &b, 422, Some(field));
    }
    let (s, b, _) = login(&local, "paulo@santaclara.example", PASSWORD).await;
    assert_eq!(s, 200, "{b}");
    let token = b["access_token"].as_str().expect("token");
    assert_eq!(
        as_token(
            &local,
            Method::GET,
            "/v1/analytics/billing?from=2026-03-01&to=2026-03-02",
            token
        )
        .await,
        200
    );
    local.stop().await;
}

#[tokio::test]
async fn accounts_auth_bodies_are_checked() {
    let local = start(Backend::Embedded).await;
    let long = "a".repeat(257);
    let cases = [
        (
            "/v1/auth/forgot-password",
            json!({"email": "nao-e-email"}),
            "email",
        ),
        (
            "/v1/auth/forgot-password",
            json!({"email": format!("{}@x.example", "a".repeat(250))}),
            "email",
        ),
        (
            "/v1/auth/token",
            json!({"email": "a@b.example", "password": long}),
            "password",
        ),
        ("/v1/auth/token", json!({"email": "a@b.example"}), ""),
        (
            "/v1/auth/token",
            json!({"email": "a@b.example", "password": "x", "roles": ["admin"]}),
            "roles",
        ),
        (
            "/v1/auth/accept-invitation",
            json!({"email": "a@b.example", "code": "1".repeat(65), "password": PASSWORD}),
            "code",
        ),
        (
            "/v1/auth/reset-password",
            json!({"email": "a@b.example", "code": "1", "password": "curta"}),
            "password",
        ),
    ];
    for (path, body, field) in cases {
        let (s, b, _) = public(&local, path, &body).await;
        assert_envelope(s, &b, 422, (!field.is_empty()).then_some(field));
    }
    let res = local
        .req(Method::POST, "/v1/auth/token", None)
        .body("email=a@b.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 415);
    local.stop().await;
}

#[tokio::test]
async fn accounts_auth_routes_are_public_in_the_document() {
    let served = |local, dev| -> Value {
        serde_json::from_str(hospital_api::registry::openapi_json(local, dev)).expect("json")
    };
    // On AWS, Cognito serves logging in: the deployed document has no /v1/auth.
    let deployed = served(false, false);
    assert!(
        deployed["paths"]
            .as_object()
            .expect("paths")
            .keys()
            .all(|p| !p.starts_with("/v1/auth/") && !p.starts_with("/v1/dev/")),
        "{}",
        deployed["paths"]
    );
    let doc = served(true, false);
    for path in [
        "/v1/auth/token",
        "/v1/auth/accept-invitation",
        "/v1/auth/forgot-password",
        "/v1/auth/reset-password",
    ] {
        let op = &doc["paths"][path]["post"];
        assert!(op.is_object(), "{path} is documented");
        assert!(op.get("security").is_none(), "{path} needs no token: {op}");
        assert!(op["responses"].get("401").is_none() || path == "/v1/auth/token");
        assert!(op["responses"].get("429").is_some(), "{path}");
    }
    let op = &doc["paths"]["/v1/users"]["post"];
    assert!(op.get("security").is_some());
    assert_eq!(op["x-roles"], json!(["admin"]));
}
