//! Staff members, on both stores.

use super::*;

const STAFF: &str = "/v1/staff";

pub async fn staff(local: &Local) {
    let ward = create(
        local,
        Role::Manager,
        "/v1/sectors",
        &sector("Enfermaria do Pessoal", "ward"),
    )
    .await;

    // Create: in a sector, or in none; hired today is fine.
    let mut first = staff_member("Beatriz Nunes", 1101, "nurse", Some(&ward.id));
    first["cpf"] = json!(formatted_cpf(1101));
    let s1 = create(local, Role::Manager, STAFF, &first).await;
    assert_eq!(s1.body["cpf"], cpf(1101));
    assert_eq!(s1.body["role"], "nurse");
    assert_eq!(s1.body["sector_id"], ward.id.as_str());
    assert_eq!(s1.body["hired_on"], "2020-02-01");
    let today = sao_paulo_date(0);
    let s2 = create(
        local,
        Role::Admin,
        STAFF,
        &with(
            &staff_member("Bruno Lima", 1102, "receptionist", None),
            "hired_on",
            json!(today),
        ),
    )
    .await;
    assert!(s2.body.get("sector_id").is_none(), "{}", s2.body);
    for (n, role) in (1120..).zip([
        "technician",
        "pharmacist",
        "billing",
        "manager",
        "receptionist",
    ]) {
        let m = create(
            local,
            Role::Admin,
            STAFF,
            &staff_member(&format!("Zé {role}"), n, role, None),
        )
        .await;
        assert_eq!(m.body["role"], role);
        let (s, b) = delete_as(local, Role::Admin, &m.location).await;
        assert_eq!(s, 204, "{b}");
    }

    // Read: administration only.
    let (s, got, etag) = get_as(local, Role::Manager, &s1.location).await;
    assert_eq!((s, &got, etag.as_deref()), (200, &s1.body, Some("\"1\"")));
    for role in [Role::Nurse, Role::Doctor, Role::Receptionist] {
        let (s, b, _) = get_as(local, role, &s1.location).await;
        assert_envelope(s, &b, 403, None);
        let (s, b, _) = get_as(local, role, STAFF).await;
        assert_envelope(s, &b, 403, None);
    }

    // The CPF is unique among staff.
    for dup in [
        staff_member("Outra", 1101, "technician", None),
        with(
            &staff_member("Outra", 1101, "technician", None),
            "cpf",
            json!(formatted_cpf(1102)),
        ),
    ] {
        let (s, b) = send(local, Method::POST, STAFF, Role::Admin, Some(&dup)).await;
        assert_envelope(s, &b, 409, Some("cpf"));
    }

    // Lists: name prefix, exact CPF, paging.
    assert_eq!(
        field_of(&items(local, "/v1/staff?name=b").await, "full_name"),
        ["Beatriz Nunes", "Bruno Lima"]
    );
    assert_eq!(
        ids_of(&items(local, "/v1/staff?name=BRU").await),
        [s2.id.as_str()]
    );
    assert_eq!(
        ids_of(&items(local, &format!("/v1/staff?cpf={}", formatted_cpf(1102))).await),
        [s2.id.as_str()]
    );
    assert!(
        items(local, &format!("/v1/staff?cpf={}", cpf(1199)))
            .await
            .is_empty()
    );
    assert_eq!(
        sorted(ids_of(&list_all(local, STAFF, 1).await)),
        sorted(vec![s1.id.clone(), s2.id.clone()])
    );
    for q in ["role=nurse", "sector_id=x", "name=a&cpf=1"] {
        let (s, b) = body(local.get(&format!("{STAFF}?{q}")).await).await;
        assert_envelope(s, &b, 400, None);
    }

    // Bad inputs: each a 422 naming the field.
    let base = staff_member("Carla Mendes", 1103, "technician", Some(&ward.id));
    for (bad, field) in [
        (
            with(&base, "hired_on", json!(sao_paulo_date(1))),
            "hired_on",
        ),
        (with(&base, "hired_on", json!("2999-01-01")), "hired_on"),
        (with(&base, "hired_on", json!("01/02/2020")), "hired_on"),
        (without(&base, "hired_on"), "hired_on"),
        (with(&base, "role", json!("doctor")), "role"),
        (with(&base, "role", json!("Nurse")), "role"),
        (without(&base, "role"), "role"),
        (with(&base, "sector_id", json!(MISSING_ID)), "sector_id"),
        (with(&base, "sector_id", json!("uti")), "sector_id"),
        (with(&base, "sector_id", json!(3)), "sector_id"),
        (with(&base, "cpf", json!("52998224724")), "cpf"),
        (with(&base, "full_name", json!("")), "full_name"),
        (with(&base, "email", json!("x@")), "email"),
        (with(&base, "phone", json!("123")), "phone"),
        (with(&base, "salary", json!(1000)), "salary"),
        (with(&base, "created_at", json!("2020-01-01")), "created_at"),
    ] {
        let (s, b) = send(local, Method::POST, STAFF, Role::Admin, Some(&bad)).await;
        assert_envelope(s, &b, 422, Some(field));
    }
    assert!(
        items(local, &format!("/v1/staff?cpf={}", cpf(1103)))
            .await
            .is_empty()
    );
    let (s, b) = send(local, Method::POST, STAFF, Role::Nurse, Some(&base)).await;
    assert_envelope(s, &b, 403, None);

    // PATCH with If-Match; stale → 412.
    let (s, b, etag) = patch_as(
        local,
        Role::Manager,
        &s1.location,
        &json!({"role": "manager", "phone": "+5511911112222"}),
        Some("\"1\""),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(etag.as_deref(), Some("\"2\""));
    assert_eq!(
        (&b["role"], &b["phone"], &b["full_name"]),
        (
            &json!("manager"),
            &json!("+5511911112222"),
            &json!("Beatriz Nunes")
        )
    );
    let (s, b, _) = patch_as(
        local,
        Role::Manager,
        &s1.location,
        &json!({"role": "nurse"}),
        Some("\"1\""),
    )
    .await;
    assert_envelope(s, &b, 412, Some("If-Match"));
    for (patch, field) in [
        (json!({"hired_on": sao_paulo_date(2)}), "hired_on"),
        (json!({"sector_id": MISSING_ID}), "sector_id"),
        (json!({"cpf": cpf(1101)}), "cpf"),
        (json!({"role": "surgeon"}), "role"),
        (json!({"hired_on": null}), "hired_on"),
    ] {
        let (s, b, _) = patch_as(local, Role::Admin, &s2.location, &patch, None).await;
        let expected = if field == "cpf" { 409 } else { 422 };
        assert_envelope(s, &b, expected, Some(field));
    }
    let (_, now, _) = get_as(local, Role::Admin, &s2.location).await;
    assert_eq!(now, s2.body, "a refused patch changed the member");

    // A sector with staff can't be deleted; once nobody works there, it can.
    let (s, b) = delete_as(local, Role::Manager, &ward.location).await;
    assert_conflict_mentions(s, &b, "staff ");
    assert_conflict_mentions(s, &b, &s1.id);
    let (s, b, _) = patch_as(
        local,
        Role::Admin,
        &s1.location,
        &json!({"sector_id": null}),
        Some("\"2\""),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert!(b.get("sector_id").is_none(), "{b}");
    let (s, b) = delete_as(local, Role::Manager, &ward.location).await;
    assert_eq!(s, 204, "{b}");
    let (s, b, _) = patch_as(
        local,
        Role::Admin,
        &s2.location,
        &json!({"sector_id": ward.id}),
        None,
    )
    .await;
    assert_envelope(s, &b, 422, Some("sector_id"));

    // Delete: 204, 404 after; the CPF is free again.
    let (s, b) = delete_as(local, Role::Manager, &s1.location).await;
    assert_eq!(s, 204, "{b}");
    let (s, b, _) = get_as(local, Role::Admin, &s1.location).await;
    assert_envelope(s, &b, 404, None);
    create(
        local,
        Role::Admin,
        STAFF,
        &staff_member("Beatriz Nunes", 1101, "nurse", None),
    )
    .await;
}

#[tokio::test]
async fn registries_staff_on_embedded_store() {
    let local = Local::start(Backend::Embedded).await;
    staff(&local).await;
    local.stop().await;
}

#[tokio::test]
async fn registries_staff_on_dynamodb() {
    let local = Local::start(Backend::Dynamo).await;
    staff(&local).await;
    local.stop().await;
}
