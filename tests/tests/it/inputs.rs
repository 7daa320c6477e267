//! The input rules every resource shares, one test each: strict calendar dates in a sane range,
//! no control characters in text (line breaks only where a field is multi-line), no repeated
//! JSON keys, an empty merge patch changes nothing, unique-value lookups validate paging, list
//! cursors are opaque and name nobody, tokens are honoured from `nbf` on, and a malformed
//! `If-Match` is a 400 on every route that reads it.
//!
//! Data: CPFs from `cpf(5000..)`.

use crate::common::*;
use hospital_api::auth::{LocalJwt, Role};
use reqwest::Method;
use serde_json::{Value, json};

async fn post(local: &Local, path: &str, body: &Value) -> (u16, Value) {
    crate::common::body(local.post(path, body).await).await
}

fn with(base: &Value, field: &str, value: Value) -> Value {
    let mut v = base.clone();
    v[field] = value;
    v
}

fn staff(n: u32) -> Value {
    json!({"full_name": "Carla Dias", "cpf": cpf(n), "role": "nurse", "hired_on": "2020-02-01"})
}

fn medication() -> Value {
    json!({
        "name": "Dipirona 500 mg", "active_ingredient": "dipirona", "presentation": "comprimido",
        "manufacturer": "EMS", "unit": "comprimido", "minimum_stock": 10, "expires_on": "2027-06-30"
    })
}

#[tokio::test]
async fn dates_are_real_dates_in_a_sane_range() {
    let local = Local::start(Backend::Embedded).await;
    for bad in [
        "-0001-01-01",
        "+01984-03-09",
        "1984-3-9",
        "1984-02-30",
        "1899-12-31",
        "84-03-09",
        "1984-03-09T00:00:00Z",
        "",
    ] {
        let (s, b) = post(
            &local,
            "/v1/patients",
            &with(&patient("Ana", 5001), "birth_date", json!(bad)),
        )
        .await;
        assert_envelope(s, &b, 422, Some("birth_date"));
    }
    // The earliest birth date, and not tomorrow.
    let (s, b) = post(
        &local,
        "/v1/patients",
        &with(&patient("Ana", 5002), "birth_date", json!("1900-01-01")),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["birth_date"], "1900-01-01");
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(2))
        .format("%Y-%m-%d")
        .to_string();
    let (s, b) = post(
        &local,
        "/v1/patients",
        &with(&patient("Ana", 5003), "birth_date", json!(tomorrow)),
    )
    .await;
    assert_envelope(s, &b, 422, Some("birth_date"));
    // Hired from 1950 on; a medication expires by 2100.
    let (s, b) = post(
        &local,
        "/v1/staff",
        &with(&staff(5004), "hired_on", json!("1949-12-31")),
    )
    .await;
    assert_envelope(s, &b, 422, Some("hired_on"));
    let (s, b) = post(
        &local,
        "/v1/staff",
        &with(&staff(5005), "hired_on", json!("1950-01-01")),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    for (date, ok) in [
        ("2100-12-31", true),
        ("2101-01-01", false),
        ("+2101-01-01", false),
    ] {
        let (s, b) = post(
            &local,
            "/v1/medications",
            &with(&medication(), "expires_on", json!(date)),
        )
        .await;
        if ok {
            assert_eq!(s, 201, "{b}");
            assert_eq!(b["expires_on"], date);
        } else {
            assert_envelope(s, &b, 422, Some("expires_on"));
        }
    }
    local.stop().await;
}

#[tokio::test]
async fn text_holds_no_control_characters() {
    let local = Local::start(Backend::Embedded).await;
    for (name, field) in [
        ("Ana\u{0}Maria", "full_name"),
        ("Ana\nMaria", "full_name"),
        ("Ana\rMaria", "full_name"),
        ("Ana\u{7}", "full_name"),
        ("Ana\u{85}", "full_name"),
    ] {
        let (s, b) = post(
            &local,
            "/v1/patients",
            &with(&patient("x", 5010), "full_name", json!(name)),
        )
        .await;
        assert_envelope(s, &b, 422, Some(field));
    }
    // Nested and listed texts too.
    let mut p = patient("Ana", 5011);
    p["emergency_contact"]["name"] = json!("João\nSilva");
    let (s, b) = post(&local, "/v1/patients", &p).await;
    assert_envelope(s, &b, 422, Some("emergency_contact.name"));
    let p = with(
        &patient("Ana", 5012),
        "allergies",
        json!(["ok", "dipi\u{0}rona"]),
    );
    let (s, b) = post(&local, "/v1/patients", &p).await;
    assert_envelope(s, &b, 422, Some("allergies[1]"));
    // A multi-line field takes line breaks and tabs, but not other control characters.
    let spec = |d: &str| json!({"name": format!("Cardiologia {}", d.len()), "description": d});
    let (s, b) = post(
        &local,
        "/v1/specialties",
        &spec("Coração.\nVasos.\r\n\tEtc."),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["description"], "Coração.\nVasos.\r\n\tEtc.");
    let (s, b) = post(&local, "/v1/specialties", &spec("Coração\u{0}")).await;
    assert_envelope(s, &b, 422, Some("description"));
    // Stock movements' reasons too.
    let (_, med) = post(&local, "/v1/medications", &medication()).await;
    let path = format!(
        "/v1/medications/{}/stock-movements",
        med["id"].as_str().unwrap()
    );
    let (s, b) = post(
        &local,
        &path,
        &json!({"kind": "received", "quantity": 1, "reason": "nota\nfiscal"}),
    )
    .await;
    assert_envelope(s, &b, 422, Some("reason"));
    local.stop().await;
}

#[tokio::test]
async fn a_repeated_json_key_is_a_400() {
    let local = Local::start(Backend::Embedded).await;
    let send = |path: &'static str, method: Method, body: &'static str| {
        local
            .req(method, path, Some(Role::Admin))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let res = send(
        "/v1/sectors",
        Method::POST,
        r#"{"name": "UTI", "floor": 1, "kind": "icu", "name": "Enfermaria"}"#,
    )
    .await
    .unwrap();
    let (s, b) = body(res).await;
    assert_envelope(s, &b, 400, None);
    assert!(
        b["error"][0]["message"]
            .as_str()
            .unwrap()
            .contains("duplicate key"),
        "{b}"
    );
    // Nested too, and nothing was created.
    let res = send(
        "/v1/sectors",
        Method::POST,
        r#"{"name": "UTI", "floor": 1, "kind": "icu", "x": {"a": 1, "a": 2}}"#,
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 400);
    let (_, list) = body(local.get("/v1/sectors").await).await;
    assert_eq!(list["items"], json!([]));
    local.stop().await;
}

#[tokio::test]
async fn an_empty_merge_patch_changes_nothing() {
    let local = Local::start(Backend::Embedded).await;
    let (s, created) = post(
        &local,
        "/v1/sectors",
        &json!({"name": "UTI", "floor": 1, "kind": "icu"}),
    )
    .await;
    assert_eq!(s, 201);
    let path = format!("/v1/sectors/{}", created["id"].as_str().unwrap());
    for patch in [
        json!({}),
        json!({"name": "UTI"}),
        json!({"floor": 1, "kind": "icu"}),
        json!({"alert_email": null}),
    ] {
        let res = local.patch(&path, &patch, Some("\"1\"")).await;
        assert_eq!(res.headers()["etag"], "\"1\"");
        let (s, b) = body(res).await;
        assert_eq!((s, &b), (200, &created), "{patch}");
    }
    // A real change moves the version.
    let res = local
        .patch(&path, &json!({"floor": 2}), Some("\"1\""))
        .await;
    assert_eq!(res.headers()["etag"], "\"2\"");
    local.stop().await;
}

#[tokio::test]
async fn unique_lookups_validate_paging_like_any_list() {
    let local = Local::start(Backend::Embedded).await;
    let (s, _) = post(&local, "/v1/patients", &patient("Ana", 5020)).await;
    assert_eq!(s, 201);
    let c = cpf(5020);
    let (s, b) = body(local.get(&format!("/v1/patients?cpf={c}&limit=1")).await).await;
    assert_eq!((s, b["items"].as_array().unwrap().len()), (200, 1));
    for q in ["limit=0", "limit=201", "limit=x", "cursor=abc", "cursor="] {
        let (s, b) = body(local.get(&format!("/v1/patients?cpf={c}&{q}")).await).await;
        assert_envelope(s, &b, 400, None);
    }
    local.stop().await;
}

#[tokio::test]
async fn list_cursors_carry_no_names() {
    let local = Local::start(Backend::Embedded).await;
    let names = ["Mariana Quitéria", "Josefa Bezerra", "Tereza Cristina"];
    for (i, n) in names.iter().enumerate() {
        let (s, _) = post(&local, "/v1/patients", &patient(n, 5030 + i as u32)).await;
        assert_eq!(s, 201);
    }
    let mut cursor: Option<String> = None;
    let mut seen = Vec::new();
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/patients?limit=1&cursor={c}"),
            None => "/v1/patients?limit=1".to_string(),
        };
        let (s, b) = body(local.get(&path).await).await;
        assert_eq!(s, 200, "{b}");
        seen.extend(
            b["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["full_name"].clone()),
        );
        let Some(next) = b["next_cursor"].as_str() else {
            break;
        };
        use base64::Engine;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(next)
            .expect("base64url");
        let text = String::from_utf8_lossy(&raw).to_lowercase();
        for n in names {
            for word in n.to_lowercase().split(' ') {
                assert!(
                    !text.contains(word) && !next.to_lowercase().contains(word),
                    "{word} in cursor"
                );
            }
        }
        // A tampered cursor is a 400.
        let mut tampered = raw.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        let t = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tampered);
        let (s, b) = body(local.get(&format!("/v1/patients?limit=1&cursor={t}")).await).await;
        assert_envelope(s, &b, 400, Some("cursor"));
        // A cursor of one list is no good for another.
        let (s, b) = body(
            local
                .get(&format!("/v1/doctors?limit=1&cursor={next}"))
                .await,
        )
        .await;
        assert_envelope(s, &b, 400, Some("cursor"));
        cursor = Some(next.to_string());
    }
    assert_eq!(seen.len(), 3);
    local.stop().await;
}

#[tokio::test]
async fn tokens_are_honoured_from_nbf_to_exp() {
    let local = Local::start(Backend::Embedded).await;
    let key = jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes());
    let token = |nbf: Option<i64>, exp: i64| {
        let mut claims = json!({
            "sub": "t", "roles": ["admin"], "iss": LocalJwt::ISSUER, "aud": LocalJwt::AUDIENCE,
            "iat": now(), "exp": exp,
        });
        if let Some(n) = nbf {
            claims["nbf"] = json!(n);
        }
        jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap()
    };
    for (nbf, exp, ok) in [
        (None, now() + 600, true),
        (Some(now() - 60), now() + 600, true),
        (Some(now() + 600), now() + 1200, false),
        (None, now() - 600, false),
    ] {
        let res = local
            .http
            .get(local.url("/v1/sectors"))
            .bearer_auth(token(nbf, exp))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status().is_success(),
            ok,
            "nbf {nbf:?} exp {exp}: {}",
            res.status()
        );
        if !ok {
            let (s, b) = body(res).await;
            assert_envelope(s, &b, 401, None);
        }
    }
    local.stop().await;
}

#[tokio::test]
async fn a_malformed_if_match_is_a_400() {
    let local = Local::start(Backend::Embedded).await;
    let (_, created) = post(
        &local,
        "/v1/sectors",
        &json!({"name": "UTI", "floor": 1, "kind": "icu"}),
    )
    .await;
    let path = format!("/v1/sectors/{}", created["id"].as_str().unwrap());
    for tag in ["\"1", "1\"", "W/1", "abc", "\"-1\"", "W/\"x\""] {
        let res = local
            .req(Method::DELETE, &path, Some(Role::Admin))
            .header("if-match", tag)
            .send()
            .await
            .unwrap();
        let (s, b) = body(res).await;
        assert_envelope(s, &b, 400, Some("If-Match"));
        let res = local.patch(&path, &json!({"floor": 3}), Some(tag)).await;
        let (s, b) = body(res).await;
        assert_envelope(s, &b, 400, Some("If-Match"));
    }
    for tag in ["\"1\"", "W/\"1\"", "1", "*"] {
        let res = local.patch(&path, &json!({}), Some(tag)).await;
        assert_eq!(res.status(), 200, "{tag}");
    }
    local.stop().await;
}
