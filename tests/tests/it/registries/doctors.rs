//! Specialties (RF03) and doctors (RF02), and the relation between them, on both stores.

use super::*;

const SPECIALTIES: &str = "/v1/specialties";
const DOCTORS: &str = "/v1/doctors";

pub async fn specialties(local: &Local) {
    // Create (administration), read (everyone).
    let card = create(local, Role::Manager, SPECIALTIES, &specialty("Cardiologia")).await;
    assert_eq!(card.body["name"], "Cardiologia");
    assert_eq!(card.body["description"], "Atendimento de Cardiologia");
    for role in [Role::Doctor, Role::Nurse, Role::Pharmacist, Role::Billing] {
        let (s, got, etag) = get_as(local, role, &card.location).await;
        assert_eq!((s, &got), (200, &card.body), "as {role:?}");
        assert_eq!(etag.as_deref(), Some("\"1\""));
    }
    let (s, b) = send(
        local,
        Method::POST,
        SPECIALTIES,
        Role::Nurse,
        Some(&specialty("Enfermagem")),
    )
    .await;
    assert_envelope(s, &b, 403, None);

    // The name is unique ignoring case, accents and surrounding blanks.
    for dup in ["CARDIOLOGÍA", "cardiologia", "  Cardiológia  "] {
        let (s, b) = send(
            local,
            Method::POST,
            SPECIALTIES,
            Role::Admin,
            Some(&specialty(dup)),
        )
        .await;
        assert_envelope(s, &b, 409, Some("name"));
    }
    // Stored trimmed.
    let cirurgia = create(
        local,
        Role::Admin,
        SPECIALTIES,
        &specialty("  Cirurgia Geral "),
    )
    .await;
    assert_eq!(cirurgia.body["name"], "Cirurgia Geral");
    let clinica = create(
        local,
        Role::Admin,
        SPECIALTIES,
        &specialty("Clínica Médica"),
    )
    .await;
    let derm = create(local, Role::Admin, SPECIALTIES, &specialty("Dermatologia")).await;
    let card_ped = create(
        local,
        Role::Admin,
        SPECIALTIES,
        &specialty("Cardiologia Pediátrica"),
    )
    .await;

    // Lists: everything, name prefix ignoring case and accents, paging.
    let all = list_all(local, SPECIALTIES, 2).await;
    assert_eq!(
        sorted(ids_of(&all)),
        sorted(vec![
            card.id.clone(),
            cirurgia.id.clone(),
            clinica.id.clone(),
            derm.id.clone(),
            card_ped.id.clone()
        ])
    );
    assert_eq!(
        field_of(&items(local, "/v1/specialties?name=CI").await, "name"),
        ["Cirurgia Geral"]
    );
    assert_eq!(
        field_of(&items(local, "/v1/specialties?name=cl%C3%8D").await, "name"),
        ["Clínica Médica"]
    );
    assert_eq!(
        sorted(field_of(
            &items(local, "/v1/specialties?name=C%C3%81RDIO").await,
            "name"
        )),
        ["Cardiologia", "Cardiologia Pediátrica"]
    );
    assert_eq!(
        field_of(&items(local, "/v1/specialties?name=c").await, "name").len(),
        4
    );
    assert!(items(local, "/v1/specialties?name=zzz").await.is_empty());
    for q in ["description=x", "name=a&cpf=1", "limit=0", "cursor=garbage"] {
        let (s, b) = body(local.get(&format!("{SPECIALTIES}?{q}")).await).await;
        assert_envelope(s, &b, 400, None);
    }

    // PATCH (merge patch) with If-Match; stale → 412.
    let (s, b, etag) = patch_as(
        local,
        Role::Manager,
        &card.location,
        &json!({"description": "Coração"}),
        Some("\"1\""),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(etag.as_deref(), Some("\"2\""));
    assert_eq!(b["description"], "Coração");
    assert_eq!(b["name"], "Cardiologia");
    let (s, b, _) = patch_as(
        local,
        Role::Manager,
        &card.location,
        &json!({"description": "Outro"}),
        Some("\"1\""),
    )
    .await;
    assert_envelope(s, &b, 412, Some("If-Match"));
    let (s, b, _) = patch_as(
        local,
        Role::Nurse,
        &card.location,
        &json!({"description": "Outro"}),
        None,
    )
    .await;
    assert_envelope(s, &b, 403, None);
    // Removing an optional field; a required one can't be removed.
    let (s, b, _) = patch_as(
        local,
        Role::Admin,
        &card.location,
        &json!({"description": null}),
        Some("\"2\""),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert!(b.get("description").is_none(), "{b}");
    let (s, b, _) = patch_as(
        local,
        Role::Admin,
        &card.location,
        &json!({"name": null}),
        None,
    )
    .await;
    assert_envelope(s, &b, 422, Some("name"));
    // Renaming into another's name (ignoring case and accents) is a 409; renaming frees the old
    // name.
    let (s, b, _) = patch_as(
        local,
        Role::Admin,
        &derm.location,
        &json!({"name": "CIRURGIA GERAL"}),
        None,
    )
    .await;
    assert_envelope(s, &b, 409, Some("name"));
    let (s, b, _) = patch_as(
        local,
        Role::Admin,
        &clinica.location,
        &json!({"name": "Clínica Geral"}),
        None,
    )
    .await;
    assert_eq!((s, &b["name"]), (200, &json!("Clínica Geral")), "{b}");
    let again = create(
        local,
        Role::Admin,
        SPECIALTIES,
        &specialty("clinica medica"),
    )
    .await;
    let (s, b) = send(
        local,
        Method::POST,
        SPECIALTIES,
        Role::Admin,
        Some(&specialty("Clinica geral")),
    )
    .await;
    assert_envelope(s, &b, 409, Some("name"));
    // Unknown and read-only fields in a patch.
    let (s, b, _) = patch_as(
        local,
        Role::Admin,
        &derm.location,
        &json!({"code": "DERM"}),
        None,
    )
    .await;
    assert_envelope(s, &b, 422, Some("code"));
    let (s, b, _) = patch_as(
        local,
        Role::Admin,
        &derm.location,
        &json!({"id": "x"}),
        None,
    )
    .await;
    assert_envelope(s, &b, 422, Some("id"));

    // Bad inputs: each a 422 naming the field.
    let base = specialty("Oncologia");
    for (bad, field) in [
        (with(&base, "name", json!("")), "name"),
        (with(&base, "name", json!("   ")), "name"),
        (with(&base, "name", json!("x".repeat(121))), "name"),
        (with(&base, "name", json!(5)), "name"),
        (
            with(&base, "description", json!("x".repeat(1001))),
            "description",
        ),
        (without(&base, "name"), "name"),
        (with(&base, "code", json!("ONC")), "code"),
        (with(&base, "version", json!(3)), "version"),
    ] {
        let (s, b) = send(local, Method::POST, SPECIALTIES, Role::Admin, Some(&bad)).await;
        assert_envelope(s, &b, 422, Some(field));
    }
    assert!(items(local, "/v1/specialties?name=onco").await.is_empty());

    // Delete: 204, then 404; If-Match on delete too.
    let (s, b) = body(
        local
            .req(Method::DELETE, &again.location, Some(Role::Manager))
            .header("if-match", "\"7\"")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_envelope(s, &b, 412, Some("If-Match"));
    let (s, b) = delete_as(local, Role::Manager, &again.location).await;
    assert_eq!(s, 204, "{b}");
    let (s, b, _) = get_as(local, Role::Admin, &again.location).await;
    assert_envelope(s, &b, 404, None);
    let (s, b) = delete_as(local, Role::Manager, &again.location).await;
    assert_envelope(s, &b, 404, None);
    let (s, b, _) = get_as(local, Role::Admin, "/v1/specialties/not-an-id").await;
    assert_envelope(s, &b, 404, None);
    // Its name is free again.
    create(
        local,
        Role::Admin,
        SPECIALTIES,
        &specialty("Clínica Médica"),
    )
    .await;
}

pub async fn doctors(local: &Local) {
    let neuro = create(local, Role::Admin, SPECIALTIES, &specialty("Neurologia")).await;
    let pedi = create(local, Role::Admin, SPECIALTIES, &specialty("Pediatria")).await;
    let orto = create(local, Role::Admin, SPECIALTIES, &specialty("Ortopedia")).await;

    // Create: CPF normalized, specialties kept.
    let mut body1 = doctor(
        "Ana Paula Ribeiro",
        1001,
        "123456",
        "SP",
        &[neuro.id.as_str(), pedi.id.as_str()],
    );
    body1["cpf"] = json!(formatted_cpf(1001));
    let d1 = create(local, Role::Manager, DOCTORS, &body1).await;
    assert_eq!(d1.body["cpf"], cpf(1001));
    assert_eq!(d1.body["crm"], json!({"number": "123456", "uf": "SP"}));
    assert_eq!(d1.body["status"], "active");
    assert_eq!(d1.body["specialty_ids"], json!([neuro.id, pedi.id]));
    let (s, got, etag) = get_as(local, Role::Receptionist, &d1.location).await;
    assert_eq!((s, &got, etag.as_deref()), (200, &d1.body, Some("\"1\"")));

    // The same CRM number in another state is another CRM; a specialty listed twice is one.
    let d2 = create(
        local,
        Role::Admin,
        DOCTORS,
        &doctor(
            "André Souza",
            1002,
            "123456",
            "RJ",
            &[neuro.id.as_str(), neuro.id.as_str()],
        ),
    )
    .await;
    assert_eq!(d2.body["specialty_ids"], json!([neuro.id]));

    // Both directions of the relation, by query.
    let specialties_of = |id: String| async move {
        let (s, page, _) =
            get_as(local, Role::Nurse, &format!("/v1/doctors/{id}/specialties")).await;
        assert_eq!(s, 200, "{page}");
        sorted(field_of(page["items"].as_array().unwrap(), "name"))
    };
    let doctors_of = |id: String| async move {
        let (s, page, _) = get_as(
            local,
            Role::Receptionist,
            &format!("/v1/specialties/{id}/doctors"),
        )
        .await;
        assert_eq!(s, 200, "{page}");
        sorted(ids_of(page["items"].as_array().unwrap()))
    };
    assert_eq!(
        specialties_of(d1.id.clone()).await,
        ["Neurologia", "Pediatria"]
    );
    assert_eq!(specialties_of(d2.id.clone()).await, ["Neurologia"]);
    assert_eq!(
        doctors_of(neuro.id.clone()).await,
        sorted(vec![d1.id.clone(), d2.id.clone()])
    );
    assert_eq!(doctors_of(pedi.id.clone()).await, [d1.id.as_str()]);
    assert!(doctors_of(orto.id.clone()).await.is_empty());
    // Paged, and the items are the doctors themselves.
    let page = items(
        local,
        &format!("/v1/specialties/{}/doctors?limit=1", neuro.id),
    )
    .await;
    assert_eq!(page.len(), 1);
    assert!(page[0]["crm"].is_object(), "{page:?}");
    assert_eq!(
        sorted(ids_of(
            &list_all(local, &format!("/v1/specialties/{}/doctors", neuro.id), 1).await
        )),
        sorted(vec![d1.id.clone(), d2.id.clone()])
    );
    let (s, b) = body(
        local
            .get(&format!(
                "/v1/specialties/{}/doctors?status=active",
                neuro.id
            ))
            .await,
    )
    .await;
    assert_envelope(s, &b, 400, None);
    for path in [
        format!("/v1/specialties/{MISSING_ID}/doctors"),
        format!("/v1/doctors/{MISSING_ID}/specialties"),
    ] {
        let (s, b) = body(local.get(&path).await).await;
        assert_envelope(s, &b, 404, None);
    }

    // Duplicates: CPF among doctors, CRM (number and UF).
    for (dup, field) in [
        (doctor("Outra", 1001, "999", "SP", &[]), "cpf"),
        (
            with(
                &doctor("Outra", 1003, "998", "SP", &[]),
                "cpf",
                json!(formatted_cpf(1001)),
            ),
            "cpf",
        ),
        (doctor("Outra", 1003, "123456", "SP", &[]), "crm"),
        (doctor("Outra", 1003, " 123456 ", "SP", &[]), "crm"),
    ] {
        let (s, b) = send(local, Method::POST, DOCTORS, Role::Admin, Some(&dup)).await;
        assert_envelope(s, &b, 409, Some(field));
    }

    // Lists: name prefix (case and accents ignored), exact CPF.
    assert_eq!(
        field_of(&items(local, "/v1/doctors?name=AN").await, "full_name"),
        ["Ana Paula Ribeiro", "André Souza"]
    );
    assert_eq!(
        ids_of(&items(local, "/v1/doctors?name=andr%C3%A9").await),
        [d2.id.as_str()]
    );
    assert_eq!(
        ids_of(&items(local, &format!("/v1/doctors?cpf={}", formatted_cpf(1001))).await),
        [d1.id.as_str()]
    );
    assert_eq!(
        ids_of(&items(local, &format!("/v1/doctors?cpf={}", cpf(1002))).await),
        [d2.id.as_str()]
    );
    assert!(
        items(local, &format!("/v1/doctors?cpf={}", cpf(1009)))
            .await
            .is_empty()
    );
    assert_eq!(list_all(local, DOCTORS, 1).await.len(), 2);
    for q in ["crm=123456", "name=a&cpf=1", "status=active"] {
        let (s, b) = body(local.get(&format!("{DOCTORS}?{q}")).await).await;
        assert_envelope(s, &b, 400, None);
    }

    // Bad inputs: each a 422 naming the field.
    let base = doctor("Carlos Dias", 1004, "654321", "MG", &[orto.id.as_str()]);
    let crm = |v: Value| with(&base, "crm", v);
    let many: Vec<String> = (0..21)
        .map(|i| format!("01JD3Q0V4W6X8Y9Z0A1B2C3D{:02}", i))
        .collect();
    for (bad, field) in [
        (with(&base, "cpf", json!("52998224724")), "cpf"),
        (with(&base, "cpf", json!("123")), "cpf"),
        (with(&base, "full_name", json!(" ")), "full_name"),
        (crm(json!({"number": "12a", "uf": "MG"})), "crm.number"),
        (
            crm(json!({"number": "12345678901", "uf": "MG"})),
            "crm.number",
        ),
        (crm(json!({"number": "", "uf": "MG"})), "crm.number"),
        (crm(json!({"number": "1234", "uf": "XX"})), "crm.uf"),
        (crm(json!({"number": "1234"})), "crm.uf"),
        (crm(json!({"number": "1234", "uf": "MG", "x": 1})), "crm.x"),
        (crm(json!("1234/MG")), "crm"),
        (without(&base, "crm"), "crm"),
        (with(&base, "email", json!("not-an-email")), "email"),
        (with(&base, "phone", json!("11987654321")), "phone"),
        (with(&base, "status", json!("retired")), "status"),
        (without(&base, "status"), "status"),
        (
            with(&base, "specialty_ids", json!([MISSING_ID])),
            "specialty_ids[0]",
        ),
        (
            with(&base, "specialty_ids", json!([orto.id, MISSING_ID])),
            "specialty_ids[1]",
        ),
        (
            with(&base, "specialty_ids", json!(["cardio"])),
            "specialty_ids[0]",
        ),
        (with(&base, "specialty_ids", json!([7])), "specialty_ids[0]"),
        (with(&base, "specialty_ids", json!(many)), "specialty_ids"),
        (with(&base, "nickname", json!("Cadu")), "nickname"),
    ] {
        let (s, b) = send(local, Method::POST, DOCTORS, Role::Admin, Some(&bad)).await;
        assert_envelope(s, &b, 422, Some(field));
    }
    // None of them was created, nor took the CPF or CRM.
    assert!(
        items(local, &format!("/v1/doctors?cpf={}", cpf(1004)))
            .await
            .is_empty()
    );
    assert!(doctors_of(orto.id.clone()).await.is_empty());
    let (s, b) = send(
        local,
        Method::POST,
        DOCTORS,
        Role::Doctor,
        Some(&base.clone()),
    )
    .await;
    assert_envelope(s, &b, 403, None);

    // PATCH: the relation follows in both directions; arrays are replaced (merge patch).
    let (s, b, etag) = patch_as(
        local,
        Role::Manager,
        &d1.location,
        &json!({"specialty_ids": [pedi.id, orto.id], "status": "inactive"}),
        Some("\"1\""),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(etag.as_deref(), Some("\"2\""));
    assert_eq!(b["status"], "inactive");
    assert_eq!(b["specialty_ids"], json!([pedi.id, orto.id]));
    assert_eq!(
        specialties_of(d1.id.clone()).await,
        ["Ortopedia", "Pediatria"]
    );
    assert_eq!(doctors_of(neuro.id.clone()).await, [d2.id.as_str()]);
    assert_eq!(doctors_of(orto.id.clone()).await, [d1.id.as_str()]);
    let (s, b, _) = patch_as(
        local,
        Role::Manager,
        &d1.location,
        &json!({"status": "active"}),
        Some("\"1\""),
    )
    .await;
    assert_envelope(s, &b, 412, Some("If-Match"));
    let (s, b, _) = patch_as(
        local,
        Role::Admin,
        &d1.location,
        &json!({"specialty_ids": [pedi.id, MISSING_ID]}),
        None,
    )
    .await;
    assert_envelope(s, &b, 422, Some("specialty_ids[1]"));
    let (_, now, _) = get_as(local, Role::Admin, &d1.location).await;
    assert_eq!(
        now["version"], 2,
        "a refused patch changed the doctor: {now}"
    );
    // Nested merge patch: only the CRM's state changes.
    let (s, b, _) = patch_as(
        local,
        Role::Admin,
        &d2.location,
        &json!({"crm": {"uf": "SP"}}),
        None,
    )
    .await;
    assert_envelope(s, &b, 409, Some("crm"));
    let (s, b, _) = patch_as(
        local,
        Role::Admin,
        &d2.location,
        &json!({"crm": {"uf": "MG"}, "phone": null}),
        None,
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["crm"], json!({"number": "123456", "uf": "MG"}));
    assert!(b.get("phone").is_none(), "{b}");
    // The RJ CRM is free again, the MG one taken.
    let d3 = create(
        local,
        Role::Admin,
        DOCTORS,
        &doctor("Beatriz Costa", 1005, "123456", "RJ", &[]),
    )
    .await;
    for (patch, field) in [
        (json!({"cpf": cpf(1001)}), "cpf"),
        (json!({"crm": {"uf": "MG"}}), "crm"),
    ] {
        let (s, b, _) = patch_as(local, Role::Admin, &d3.location, &patch, None).await;
        assert_envelope(s, &b, 409, Some(field));
    }
    for (patch, field) in [
        (json!({"email": null}), "email"),
        (json!({"cpf": "11111111111"}), "cpf"),
        (json!({"crm": {"number": "x"}}), "crm.number"),
        (json!({"status": "on_leave"}), "status"),
        (json!({"specialties": []}), "specialties"),
    ] {
        let (s, b, _) = patch_as(local, Role::Admin, &d3.location, &patch, None).await;
        assert_envelope(s, &b, 422, Some(field));
    }

    // Referential integrity: a specialty doctors have can't be deleted; the 409 names them.
    let (s, b) = delete_as(local, Role::Manager, &neuro.location).await;
    assert_conflict_mentions(s, &b, "doctor ");
    assert_conflict_mentions(s, &b, &d2.id);
    let (s, b) = delete_as(local, Role::Manager, &pedi.location).await;
    assert_conflict_mentions(s, &b, &d1.id);
    // Once no doctor has it, it goes.
    let (s, b, _) = patch_as(
        local,
        Role::Admin,
        &d2.location,
        &json!({"specialty_ids": []}),
        None,
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert!(doctors_of(neuro.id.clone()).await.is_empty());
    let (s, b) = delete_as(local, Role::Manager, &neuro.location).await;
    assert_eq!(s, 204, "{b}");
    // A deleted specialty can't be referenced.
    let (s, b, _) = patch_as(
        local,
        Role::Admin,
        &d2.location,
        &json!({"specialty_ids": [neuro.id]}),
        None,
    )
    .await;
    assert_envelope(s, &b, 422, Some("specialty_ids[0]"));
    let (s, b) = send(
        local,
        Method::POST,
        DOCTORS,
        Role::Admin,
        Some(&doctor("Novo", 1006, "777", "SP", &[neuro.id.as_str()])),
    )
    .await;
    assert_envelope(s, &b, 422, Some("specialty_ids[0]"));

    // Deleting the doctor releases its specialties and its CPF and CRM.
    let (s, b) = delete_as(local, Role::Admin, &d1.location).await;
    assert_eq!(s, 204, "{b}");
    let (s, b, _) = get_as(local, Role::Admin, &d1.location).await;
    assert_envelope(s, &b, 404, None);
    let (s, b) = body(
        local
            .get(&format!("/v1/doctors/{}/specialties", d1.id))
            .await,
    )
    .await;
    assert_envelope(s, &b, 404, None);
    assert!(doctors_of(pedi.id.clone()).await.is_empty());
    for sp in [&pedi, &orto] {
        let (s, b) = delete_as(local, Role::Manager, &sp.location).await;
        assert_eq!(s, 204, "{b}");
    }
    let d4 = create(
        local,
        Role::Admin,
        DOCTORS,
        &doctor("Ana Paula Ribeiro", 1001, "123456", "SP", &[]),
    )
    .await;
    assert!(specialties_of(d4.id.clone()).await.is_empty());
}

/// Lists are in name order: a name comes before the longer names it begins.
pub async fn list_order(local: &Local) {
    for name in [
        "Cardiologia Pediátrica",
        "Cardiologia",
        "Cardiologia Intervencionista",
    ] {
        create(local, Role::Admin, SPECIALTIES, &specialty(name)).await;
    }
    for path in ["/v1/specialties?name=cardio", SPECIALTIES] {
        assert_eq!(
            field_of(&items(local, path).await, "name"),
            [
                "Cardiologia",
                "Cardiologia Intervencionista",
                "Cardiologia Pediátrica"
            ],
            "GET {path}"
        );
    }
    for (name, n, crm) in [
        ("Ana Maria Lopes", 1051, "5051"),
        ("Ana Maria", 1052, "5052"),
    ] {
        create(
            local,
            Role::Admin,
            DOCTORS,
            &doctor(name, n, crm, "SP", &[]),
        )
        .await;
    }
    assert_eq!(
        field_of(&items(local, "/v1/doctors?name=ana").await, "full_name"),
        ["Ana Maria", "Ana Maria Lopes"]
    );
}

#[tokio::test]
async fn registries_list_order_on_embedded_store() {
    let local = Local::start(Backend::Embedded).await;
    list_order(&local).await;
    local.stop().await;
}

#[tokio::test]
async fn registries_list_order_on_dynamodb() {
    let local = Local::start(Backend::Dynamo).await;
    list_order(&local).await;
    local.stop().await;
}

#[tokio::test]
async fn registries_specialties_and_doctors_on_embedded_store() {
    let local = Local::start(Backend::Embedded).await;
    specialties(&local).await;
    doctors(&local).await;
    local.stop().await;
}

#[tokio::test]
async fn registries_specialties_and_doctors_on_dynamodb() {
    let local = Local::start(Backend::Dynamo).await;
    specialties(&local).await;
    doctors(&local).await;
    local.stop().await;
}
