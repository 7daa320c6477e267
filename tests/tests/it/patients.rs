//! Patients and addresses end to end over HTTP, on both stores.

use crate::common::*;
use hospital_api::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};

pub async fn crud(local: &Local) {
    // Create: 201, Location, ETag, normalized CPF, metadata.
    let res = local
        .post("/v1/patients", &patient("Maria da Silva", 1))
        .await;
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    let (status, created) = body(res).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(location, format!("/v1/patients/{id}"));
    assert_eq!(etag, "\"1\"");
    assert_eq!(created["version"], 1);
    assert_eq!(created["cpf"], cpf(1));
    assert!(created["created_at"].is_string() && created["updated_at"].is_string());

    // Get: 200 + ETag.
    let res = local.get(&location).await;
    assert_eq!(res.headers()["etag"], "\"1\"");
    let (status, got) = body(res).await;
    assert_eq!((status, &got), (200, &created));

    // Lists: name prefix ignoring case and accents, exact CPF (formatted or not), paging.
    for (n, name) in [(2, "Mário Souza"), (3, "Ana Lima"), (4, "Marta Rocha")] {
        let (s, b) = body(local.post("/v1/patients", &patient(name, n)).await).await;
        assert_eq!(s, 201, "{b}");
    }
    let (_, page) = body(local.get("/v1/patients?name=MAR").await).await;
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["full_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Maria da Silva", "Mário Souza", "Marta Rocha"]);
    assert_eq!(page["next_cursor"], Value::Null);
    let formatted = {
        let c = cpf(1);
        format!("{}.{}.{}-{}", &c[0..3], &c[3..6], &c[6..9], &c[9..])
    };
    let (_, page) = body(local.get(&format!("/v1/patients?cpf={formatted}")).await).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["id"], id.as_str());
    let (_, page) = body(local.get(&format!("/v1/patients?cpf={}", cpf(99))).await).await;
    assert_eq!(page["items"], json!([]));

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/patients?limit=3&cursor={c}"),
            None => "/v1/patients?limit=3".to_string(),
        };
        let (s, page) = body(local.get(&path).await).await;
        assert_eq!(s, 200, "{page}");
        for p in page["items"].as_array().unwrap() {
            seen.push(p["full_name"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(
        seen,
        ["Ana Lima", "Maria da Silva", "Mário Souza", "Marta Rocha"]
    );

    // PATCH as JSON Merge Patch: change, add and remove (null) fields.
    let res = local
        .patch(
            &location,
            &json!({"phone": "+5521999990000", "email": null, "allergies": ["penicilina"]}),
            Some("\"1\""),
        )
        .await;
    assert_eq!(res.headers()["etag"], "\"2\"");
    let (s, updated) = body(res).await;
    assert_eq!(s, 200, "{updated}");
    assert_eq!(updated["phone"], "+5521999990000");
    assert!(updated.get("email").is_none());
    assert_eq!(updated["allergies"], json!(["penicilina"]));
    assert_eq!(updated["full_name"], "Maria da Silva");
    // application/json is accepted too, and If-Match is optional.
    let res = local
        .req(Method::PATCH, &location, Some(Role::Nurse))
        .json(&json!({"allergies": ["penicilina", "látex"]}))
        .send()
        .await
        .unwrap();
    let (s, updated) = body(res).await;
    assert_eq!(
        (s, updated["version"].as_u64()),
        (200, Some(3)),
        "{updated}"
    );
    // Stale If-Match → 412.
    let (s, b) = body(
        local
            .patch(
                &location,
                &json!({"phone": "+5521999990001"}),
                Some("\"1\""),
            )
            .await,
    )
    .await;
    assert_envelope(s, &b, 412, Some("If-Match"));
    // Changing the CPF moves its uniqueness: the old CPF is free again, the new one taken.
    let (s, b) = body(local.patch(&location, &json!({"cpf": cpf(2)}), None).await).await;
    assert_envelope(s, &b, 409, Some("cpf"));
    let (s, b) = body(local.patch(&location, &json!({"cpf": cpf(5)}), None).await).await;
    assert_eq!(s, 200, "{b}");
    let (_, page) = body(local.get(&format!("/v1/patients?cpf={}", cpf(1))).await).await;
    assert_eq!(page["items"], json!([]));
    let (s, b) = body(local.post("/v1/patients", &patient("Nova", 1)).await).await;
    assert_eq!(s, 201, "{b}");

    // Addresses as a sub-resource.
    let addresses = format!("{location}/addresses");
    let res = local.post(&addresses, &address()).await;
    let a_loc = res.headers()["location"].to_str().unwrap().to_string();
    let (s, a) = body(res).await;
    assert_eq!(s, 201, "{a}");
    assert_eq!(a["cep"], "01310100");
    assert_eq!(a["patient_id"], id.as_str());
    assert_eq!(a_loc, format!("{addresses}/{}", a["id"].as_str().unwrap()));
    let (s, b) = body(
        local
            .patch(&a_loc, &json!({"complement": "apto 12"}), Some("\"1\""))
            .await,
    )
    .await;
    assert_eq!((s, &b["complement"]), (200, &json!("apto 12")), "{b}");
    let (_, list) = body(local.get(&addresses).await).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (s, b) = body(local.post(&addresses, &json!({"cep": "123", "street": "", "number": "1", "district": "x", "city": "y", "uf": "XX"})).await).await;
    assert_envelope(s, &b, 422, Some("uf"));
    let (s, b) = body(local.post(&addresses, &json!({"cep": "123", "street": "", "number": "1", "district": "x", "city": "y", "uf": "SP"})).await).await;
    assert_envelope(s, &b, 422, Some("cep"));
    assert_envelope(s, &b, 422, Some("street"));
    let unknown = "/v1/patients/01JD3Q0V4W6X8Y9Z0A1B2C3D4E/addresses";
    let (s, b) = body(local.post(unknown, &address()).await).await;
    assert_envelope(s, &b, 404, None);
    let (s, b) = body(local.get(unknown).await).await;
    assert_envelope(s, &b, 404, None);

    // Delete: the patient and its addresses go; the CPF is free again.
    let res = local
        .req(Method::DELETE, &location, Some(Role::Admin))
        .header("if-match", "\"1\"")
        .send()
        .await
        .unwrap();
    let (s, b) = body(res).await;
    assert_envelope(s, &b, 412, Some("If-Match"));
    assert_eq!(local.delete(&location).await.status(), 204);
    let (s, b) = body(local.get(&location).await).await;
    assert_envelope(s, &b, 404, None);
    let (s, _) = body(local.get(&a_loc).await).await;
    assert_eq!(s, 404);
    let (s, b) = body(local.post("/v1/patients", &patient("Reuse", 5)).await).await;
    assert_eq!(s, 201, "{b}");
}

pub async fn bad_inputs(local: &Local) {
    let send = |body: Value| async move { body_of(local.post("/v1/patients", &body).await).await };
    let base = patient("Pedro", 10);
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    for (body, field) in [
        (with("cpf", json!("52998224724")), "cpf"),
        (with("cpf", json!("1234")), "cpf"),
        (with("birth_date", json!("2999-01-01")), "birth_date"),
        (with("birth_date", json!("09/03/1984")), "birth_date"),
        (with("sex", json!("f")), "sex"),
        (with("phone", json!("11987654321")), "phone"),
        (with("email", json!("not-an-email")), "email"),
        (with("full_name", json!("   ")), "full_name"),
        (
            with("emergency_contact", json!({"name": "A", "phone": "123"})),
            "emergency_contact.phone",
        ),
        (with("allergies", json!(["ok", 3])), "allergies[1]"),
        (with("insurer_id", json!("nope")), "insurer_id"),
        (with("nickname", json!("Pepe")), "nickname"),
    ] {
        let (s, b) = send(body).await;
        assert_envelope(s, &b, 422, Some(field));
    }
    let mut missing = base.clone();
    missing.as_object_mut().unwrap().remove("cpf");
    let (s, b) = send(missing).await;
    assert_envelope(s, &b, 422, Some("cpf"));

    // Malformed JSON, wrong content type, too large.
    let raw = |ct: &'static str, body: String| async move {
        body_of(
            local
                .req(Method::POST, "/v1/patients", Some(Role::Admin))
                .header("content-type", ct)
                .body(body)
                .send()
                .await
                .unwrap(),
        )
        .await
    };
    let (s, b) = raw("application/json", "{\"full_name\": ".into()).await;
    assert_envelope(s, &b, 400, None);
    let (s, b) = raw("text/plain", base.to_string()).await;
    assert_envelope(s, &b, 415, None);
    let (s, b) = raw(
        "application/json",
        format!("{{\"full_name\": \"{}\"}}", "a".repeat(100_000)),
    )
    .await;
    assert_envelope(s, &b, 413, None);

    // Read-only fields, non-object patches, bad If-Match, bad paging, bad ids.
    let (s, created) = send(base.clone()).await;
    assert_eq!(s, 201, "{created}");
    let loc = format!("/v1/patients/{}", created["id"].as_str().unwrap());
    let (s, b) = body_of(
        local
            .patch(&loc, &json!({"id": "x", "version": 9}), None)
            .await,
    )
    .await;
    assert_envelope(s, &b, 422, Some("version"));
    let (s, b) = body_of(local.patch(&loc, &json!([1]), None).await).await;
    assert_envelope(s, &b, 422, None);
    let (s, b) = body_of(local.patch(&loc, &json!({"full_name": null}), None).await).await;
    assert_envelope(s, &b, 422, Some("full_name"));
    let (s, b) = body_of(
        local
            .patch(&loc, &json!({"phone": "+1"}), Some("abc"))
            .await,
    )
    .await;
    assert_envelope(s, &b, 400, Some("If-Match"));
    for q in [
        "limit=0",
        "limit=201",
        "limit=x",
        "cursor=garbage",
        "cursor=eyJwayI6InBhdGllbnQjMSJ9",
        "name=a&cpf=1",
        "colour=red",
    ] {
        let (s, b) = body_of(local.get(&format!("/v1/patients?{q}")).await).await;
        assert_envelope(s, &b, 400, None);
    }
    let (s, b) = body_of(local.get("/v1/patients/not-a-ulid").await).await;
    assert_envelope(s, &b, 404, None);
    let (s, b) = body_of(local.get("/v1/patients/01JD3Q0V4W6X8Y9Z0A1B2C3D4E").await).await;
    assert_envelope(s, &b, 404, None);

    // Unknown route, wrong method: enveloped too.
    let (s, b) = body_of(local.get("/v1/nothing-here").await).await;
    assert_envelope(s, &b, 404, None);
    let (s, b) = body_of(
        local
            .req(Method::PUT, "/v1/patients", Some(Role::Admin))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_envelope(s, &b, 405, None);
}

pub async fn idempotency(local: &Local) {
    let post = |key: &'static str, body: Value| async move {
        local
            .req(Method::POST, "/v1/patients", Some(Role::Receptionist))
            .header("idempotency-key", key)
            .json(&body)
            .send()
            .await
            .unwrap()
    };
    let first = post("key-1", patient("Idem", 20)).await;
    let loc = first.headers()["location"].clone();
    let (s1, b1) = body_of(first).await;
    assert_eq!(s1, 201, "{b1}");
    let again = post("key-1", patient("Idem", 20)).await;
    assert_eq!(again.headers()["location"], loc);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let (s2, b2) = body_of(again).await;
    assert_eq!((s2, b2), (201, b1));
    let (s, b) = body_of(post("key-1", patient("Other", 21)).await).await;
    assert_envelope(s, &b, 422, Some("Idempotency-Key"));
    // Only one patient was created.
    let (_, page) = body_of(local.get("/v1/patients?name=idem").await).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    // The key is the caller's: another subject, or the same subject with other roles, using
    // it is a new request (here a taken CPF), not a replay of the first caller's 201.
    for token in [
        local.token_with("test-other-desk", &[Role::Receptionist], None),
        local.token_with(
            "test-receptionist",
            &[Role::Receptionist, Role::Admin],
            None,
        ),
    ] {
        let res = local
            .req(Method::POST, "/v1/patients", None)
            .bearer_auth(token)
            .header("idempotency-key", "key-1")
            .json(&patient("Idem", 20))
            .send()
            .await
            .unwrap();
        assert!(res.headers().get("idempotent-replayed").is_none());
        let (s, b) = body_of(res).await;
        assert_envelope(s, &b, 409, Some("cpf"));
    }
    // Two callers racing with one key: each gets its own outcome, neither the other's.
    let racing = ["test-desk-a", "test-desk-b"].map(|sub| {
        let token = local.token_with(sub, &[Role::Receptionist], None);
        let n = if sub.ends_with('a') { 22 } else { 23 };
        async move {
            let res = local
                .req(Method::POST, "/v1/patients", None)
                .bearer_auth(token)
                .header("idempotency-key", "shared-key")
                .json(&patient(&format!("Corrida {sub}"), n))
                .send()
                .await
                .unwrap();
            assert!(res.headers().get("idempotent-replayed").is_none());
            body_of(res).await
        }
    });
    let [(sa, a), (sb, b)] = futures::future::join_all(racing).await.try_into().unwrap();
    assert_eq!((sa, sb), (201, 201), "{a} {b}");
    assert_ne!(a["id"], b["id"]);
    assert_ne!(a["cpf"], b["cpf"]);
    // Errors are replayed too (the key is spent on the first outcome).
    let (s, _) = body_of(post("key-2", patient("Idem dup", 20)).await).await;
    assert_eq!(s, 409);
}

async fn body_of(res: reqwest::Response) -> (u16, Value) {
    body(res).await
}

#[tokio::test]
async fn patients_end_to_end_on_embedded_store() {
    let local = Local::start(Backend::Embedded).await;
    crud(&local).await;
    bad_inputs(&local).await;
    idempotency(&local).await;
    local.stop().await;
}

#[tokio::test]
async fn patients_end_to_end_on_dynamodb() {
    let local = Local::start(Backend::Dynamo).await;
    crud(&local).await;
    bad_inputs(&local).await;
    idempotency(&local).await;
    local.stop().await;
}

#[tokio::test]
async fn restart_keeps_patients() {
    let mut local = Local::start(Backend::Embedded).await;
    let (s, p) = body(
        local
            .post("/v1/patients", &patient("Persistente", 30))
            .await,
    )
    .await;
    assert_eq!(s, 201);
    local.restart().await;
    let (s, got) = body(
        local
            .get(&format!("/v1/patients/{}", p["id"].as_str().unwrap()))
            .await,
    )
    .await;
    assert_eq!((s, got), (200, p));
    local.stop().await;
}
