//! Insurers (RF11) and the patients that use them, on both stores.

use super::*;

const INSURERS: &str = "/v1/insurers";

pub async fn insurers(local: &Local) {
    // Create (billing keeps insurers); the ANS registration normalized to its digits.
    let i1 = create(
        local,
        Role::Billing,
        INSURERS,
        &insurer("Saúde Total", "123456"),
    )
    .await;
    assert_eq!(i1.body["ans_registration"], "123456");
    assert_eq!(i1.body["plan_type"], "corporate");
    assert_eq!(i1.body["payment_terms_days"], 30);
    let i2 = create(
        local,
        Role::Manager,
        INSURERS,
        &insurer("Saúde Mais", "34.567-8"),
    )
    .await;
    assert_eq!(i2.body["ans_registration"], "345678");
    let i3 = create(
        local,
        Role::Admin,
        INSURERS,
        &with(
            &insurer("Bem Viver", "000001"),
            "plan_type",
            json!("family"),
        ),
    )
    .await;
    assert_eq!(i3.body["plan_type"], "family");

    // Read: the front desk and billing; not the care team.
    for role in [Role::Receptionist, Role::Billing, Role::Manager] {
        let (s, got, etag) = get_as(local, role, &i1.location).await;
        assert_eq!((s, &got, etag.as_deref()), (200, &i1.body, Some("\"1\"")));
    }
    for role in [Role::Nurse, Role::Doctor, Role::Pharmacist] {
        let (s, b, _) = get_as(local, role, &i1.location).await;
        assert_envelope(s, &b, 403, None);
    }
    let (s, b) = send(
        local,
        Method::POST,
        INSURERS,
        Role::Receptionist,
        Some(&insurer("Recepção", "222222")),
    )
    .await;
    assert_envelope(s, &b, 403, None);

    // The ANS registration is unique (formatted or not).
    for ans in ["123456", "12.345-6", " 123456 "] {
        let (s, b) = send(
            local,
            Method::POST,
            INSURERS,
            Role::Billing,
            Some(&insurer("Outra", ans)),
        )
        .await;
        assert_envelope(s, &b, 409, Some("ans_registration"));
    }

    // Lists: name prefix (case and accents ignored), exact ANS registration, paging.
    assert_eq!(
        field_of(&items(local, "/v1/insurers?name=saude").await, "name"),
        ["Saúde Mais", "Saúde Total"]
    );
    assert_eq!(
        ids_of(&items(local, "/v1/insurers?name=SA%C3%9ADE%20T").await),
        [i1.id.as_str()]
    );
    assert_eq!(
        ids_of(&items(local, "/v1/insurers?ans_registration=345678").await),
        [i2.id.as_str()]
    );
    assert_eq!(
        ids_of(&items(local, "/v1/insurers?ans_registration=34.567-8").await),
        [i2.id.as_str()]
    );
    assert!(
        items(local, "/v1/insurers?ans_registration=999999")
            .await
            .is_empty()
    );
    assert_eq!(
        field_of(&list_all(local, INSURERS, 2).await, "name"),
        ["Bem Viver", "Saúde Mais", "Saúde Total"]
    );
    for q in ["plan_type=family", "name=a&ans_registration=123456"] {
        let (s, b) = body(local.get(&format!("{INSURERS}?{q}")).await).await;
        assert_envelope(s, &b, 400, None);
    }

    // Bad inputs: each a 422 naming the field.
    let base = insurer("Vida Plena", "654321");
    for (bad, field) in [
        (
            with(&base, "ans_registration", json!("12345")),
            "ans_registration",
        ),
        (
            with(&base, "ans_registration", json!("1234567")),
            "ans_registration",
        ),
        (
            with(&base, "ans_registration", json!("abcdef")),
            "ans_registration",
        ),
        (
            with(&base, "ans_registration", json!(654321)),
            "ans_registration",
        ),
        (without(&base, "ans_registration"), "ans_registration"),
        (with(&base, "plan_type", json!("premium")), "plan_type"),
        (
            with(&base, "billing_email", json!("faturamento")),
            "billing_email",
        ),
        (without(&base, "billing_email"), "billing_email"),
        (
            with(&base, "payment_terms_days", json!(366)),
            "payment_terms_days",
        ),
        (
            with(&base, "payment_terms_days", json!(-1)),
            "payment_terms_days",
        ),
        (
            with(&base, "payment_terms_days", json!("30")),
            "payment_terms_days",
        ),
        (with(&base, "name", json!("")), "name"),
        (with(&base, "website", json!("https://x")), "website"),
    ] {
        let (s, b) = send(local, Method::POST, INSURERS, Role::Billing, Some(&bad)).await;
        assert_envelope(s, &b, 422, Some(field));
    }
    assert!(
        items(local, "/v1/insurers?ans_registration=654321")
            .await
            .is_empty()
    );

    // PATCH with If-Match; stale → 412; the ANS registration moves its uniqueness.
    let (s, b, etag) = patch_as(
        local,
        Role::Billing,
        &i1.location,
        &json!({"payment_terms_days": 45, "plan_type": "individual"}),
        Some("\"1\""),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(etag.as_deref(), Some("\"2\""));
    assert_eq!(
        (&b["payment_terms_days"], &b["plan_type"], &b["name"]),
        (&json!(45), &json!("individual"), &json!("Saúde Total"))
    );
    let (s, b, _) = patch_as(
        local,
        Role::Billing,
        &i1.location,
        &json!({"payment_terms_days": 60}),
        Some("\"1\""),
    )
    .await;
    assert_envelope(s, &b, 412, Some("If-Match"));
    for (patch, status, field) in [
        (
            json!({"ans_registration": "345678"}),
            409,
            "ans_registration",
        ),
        (json!({"ans_registration": "1"}), 422, "ans_registration"),
        (
            json!({"payment_terms_days": 400}),
            422,
            "payment_terms_days",
        ),
        (json!({"plan_type": null}), 422, "plan_type"),
        (json!({"discount": 5}), 422, "discount"),
    ] {
        let (s, b, _) = patch_as(local, Role::Billing, &i1.location, &patch, None).await;
        assert_envelope(s, &b, status, Some(field));
    }
    let (s, b, _) = patch_as(
        local,
        Role::Billing,
        &i1.location,
        &json!({"ans_registration": "654.321"}),
        Some("\"2\""),
    )
    .await;
    assert_eq!((s, &b["ans_registration"]), (200, &json!("654321")), "{b}");
    assert!(
        items(local, "/v1/insurers?ans_registration=123456")
            .await
            .is_empty()
    );
    assert_eq!(
        ids_of(&items(local, "/v1/insurers?ans_registration=654321").await),
        [i1.id.as_str()]
    );
    let reuse = create(local, Role::Billing, INSURERS, &insurer("Reuso", "123456")).await;

    // Patients refer to insurers: the reference must exist.
    let p = create(
        local,
        Role::Receptionist,
        "/v1/patients",
        &with(
            &patient("Paciente Conveniada", 1201),
            "insurer_id",
            json!(i1.id),
        ),
    )
    .await;
    assert_eq!(p.body["insurer_id"], i1.id.as_str());
    let (s, b) = send(
        local,
        Method::POST,
        "/v1/patients",
        Role::Receptionist,
        Some(&with(
            &patient("Sem Convênio", 1202),
            "insurer_id",
            json!(MISSING_ID),
        )),
    )
    .await;
    assert_envelope(s, &b, 422, Some("insurer_id"));
    // A used insurer can't be deleted; the 409 names the patient.
    let (s, b) = delete_as(local, Role::Billing, &i1.location).await;
    assert_conflict_mentions(s, &b, "patient ");
    assert_conflict_mentions(s, &b, &p.id);
    // The patient changes insurer: the first one can go, the second can't.
    let (s, b, _) = patch_as(
        local,
        Role::Receptionist,
        &p.location,
        &json!({"insurer_id": i2.id}),
        None,
    )
    .await;
    assert_eq!((s, &b["insurer_id"]), (200, &json!(i2.id)), "{b}");
    let (s, b) = delete_as(local, Role::Billing, &i1.location).await;
    assert_eq!(s, 204, "{b}");
    let (s, b, _) = get_as(local, Role::Billing, &i1.location).await;
    assert_envelope(s, &b, 404, None);
    let (s, b) = delete_as(local, Role::Billing, &i2.location).await;
    assert_conflict_mentions(s, &b, "patient ");
    // A deleted insurer can't be referenced.
    let (s, b, _) = patch_as(
        local,
        Role::Receptionist,
        &p.location,
        &json!({"insurer_id": i1.id}),
        None,
    )
    .await;
    assert_envelope(s, &b, 422, Some("insurer_id"));
    // Deleting the patient releases the insurer.
    let (s, b) = delete_as(local, Role::Admin, &p.location).await;
    assert_eq!(s, 204, "{b}");
    for i in [&i2, &i3, &reuse] {
        let (s, b) = delete_as(local, Role::Manager, &i.location).await;
        assert_eq!(s, 204, "{b}");
    }
    assert!(items(local, INSURERS).await.is_empty());
}

#[tokio::test]
async fn registries_insurers_on_embedded_store() {
    let local = Local::start(Backend::Embedded).await;
    insurers(&local).await;
    local.stop().await;
}

#[tokio::test]
async fn registries_insurers_on_dynamodb() {
    let local = Local::start(Backend::Dynamo).await;
    insurers(&local).await;
    local.stop().await;
}
