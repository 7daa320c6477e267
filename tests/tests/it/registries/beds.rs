//! Sectors (RF10), beds (RF09) and the bed board, on both stores.

use super::*;

const SECTORS: &str = "/v1/sectors";
const BEDS: &str = "/v1/beds";

pub async fn sectors(local: &Local) {
    let uti = create(local, Role::Manager, SECTORS, &sector("UTI Adulto", "icu")).await;
    assert_eq!(
        (&uti.body["name"], &uti.body["floor"], &uti.body["kind"]),
        (&json!("UTI Adulto"), &json!(3), &json!("icu"))
    );
    assert_eq!(uti.body["alert_email"], "alertas@example.com");
    let enf = create(
        local,
        Role::Admin,
        SECTORS,
        &without(&sector("Enfermaria Norte", "ward"), "alert_email"),
    )
    .await;
    assert!(enf.body.get("alert_email").is_none());
    for role in [Role::Doctor, Role::Receptionist, Role::Billing] {
        let (s, got, etag) = get_as(local, role, &uti.location).await;
        assert_eq!((s, &got, etag.as_deref()), (200, &uti.body, Some("\"1\"")));
    }
    let (s, b) = send(
        local,
        Method::POST,
        SECTORS,
        Role::Nurse,
        Some(&sector("Posto", "ward")),
    )
    .await;
    assert_envelope(s, &b, 403, None);

    // The name is unique ignoring case and accents.
    for dup in ["uti adulto", "UTÍ ADULTO", " Uti Adulto "] {
        let (s, b) = send(
            local,
            Method::POST,
            SECTORS,
            Role::Admin,
            Some(&sector(dup, "ward")),
        )
        .await;
        assert_envelope(s, &b, 409, Some("name"));
    }

    // Lists: name prefix, paging.
    assert_eq!(
        ids_of(&items(local, "/v1/sectors?name=uti").await),
        [uti.id.as_str()]
    );
    assert_eq!(
        ids_of(&items(local, "/v1/sectors?name=ENF").await),
        [enf.id.as_str()]
    );
    assert_eq!(
        field_of(&list_all(local, SECTORS, 1).await, "name"),
        ["Enfermaria Norte", "UTI Adulto"]
    );
    for q in ["kind=icu", "floor=3"] {
        let (s, b) = body(local.get(&format!("{SECTORS}?{q}")).await).await;
        assert_envelope(s, &b, 400, None);
    }

    // Bad inputs.
    let base = sector("Centro Cirúrgico", "surgical");
    for (bad, field) in [
        (with(&base, "floor", json!(201)), "floor"),
        (with(&base, "floor", json!(-11)), "floor"),
        (with(&base, "floor", json!("3")), "floor"),
        (with(&base, "floor", json!(2.5)), "floor"),
        (without(&base, "floor"), "floor"),
        (with(&base, "kind", json!("garage")), "kind"),
        (without(&base, "kind"), "kind"),
        (with(&base, "alert_email", json!("alertas")), "alert_email"),
        (with(&base, "name", json!("")), "name"),
        (with(&base, "name", json!("x".repeat(121))), "name"),
        (with(&base, "beds", json!(10)), "beds"),
    ] {
        let (s, b) = send(local, Method::POST, SECTORS, Role::Admin, Some(&bad)).await;
        assert_envelope(s, &b, 422, Some(field));
    }
    assert!(items(local, "/v1/sectors?name=centro").await.is_empty());

    // PATCH with If-Match; stale → 412; renaming into another's name → 409.
    let (s, b, etag) = patch_as(
        local,
        Role::Manager,
        &uti.location,
        &json!({"floor": 4, "alert_email": null}),
        Some("\"1\""),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(etag.as_deref(), Some("\"2\""));
    assert_eq!(b["floor"], 4);
    assert!(b.get("alert_email").is_none(), "{b}");
    let (s, b, _) = patch_as(
        local,
        Role::Manager,
        &uti.location,
        &json!({"floor": 5}),
        Some("\"1\""),
    )
    .await;
    assert_envelope(s, &b, 412, Some("If-Match"));
    for (patch, status, field) in [
        (json!({"name": "uti ADULTO"}), 409, "name"),
        (json!({"kind": "cafeteria"}), 422, "kind"),
        (json!({"floor": null}), 422, "floor"),
        (json!({"wing": "B"}), 422, "wing"),
    ] {
        let (s, b, _) = patch_as(local, Role::Admin, &enf.location, &patch, None).await;
        assert_envelope(s, &b, status, Some(field));
    }
    let (s, b, _) = patch_as(
        local,
        Role::Nurse,
        &enf.location,
        &json!({"floor": 1}),
        None,
    )
    .await;
    assert_envelope(s, &b, 403, None);

    // Delete: 204; the name is free again.
    let (s, b) = delete_as(local, Role::Manager, &uti.location).await;
    assert_eq!(s, 204, "{b}");
    let (s, b, _) = get_as(local, Role::Admin, &uti.location).await;
    assert_envelope(s, &b, 404, None);
    let again = create(local, Role::Manager, SECTORS, &sector("UTI Adulto", "icu")).await;
    for s in [&again, &enf] {
        let (st, b) = delete_as(local, Role::Admin, &s.location).await;
        assert_eq!(st, 204, "{b}");
    }
}

pub async fn beds(local: &Local) {
    let uti = create(local, Role::Manager, SECTORS, &sector("UTI Leitos", "icu")).await;
    let enf = create(
        local,
        Role::Manager,
        SECTORS,
        &sector("Enfermaria Leitos", "ward"),
    )
    .await;

    // Create; codes are unique within a sector (ignoring case), not across sectors.
    let b1 = create(
        local,
        Role::Manager,
        BEDS,
        &bed("L-01", &uti.id, "available"),
    )
    .await;
    assert_eq!(
        (&b1.body["code"], &b1.body["sector_id"], &b1.body["kind"]),
        (&json!("L-01"), &json!(uti.id), &json!("ward"))
    );
    assert_eq!(b1.body["status"], "available");
    for dup in ["L-01", "l-01", " L-01 "] {
        let (s, b) = send(
            local,
            Method::POST,
            BEDS,
            Role::Admin,
            Some(&bed(dup, &uti.id, "cleaning")),
        )
        .await;
        assert_envelope(s, &b, 409, Some("code"));
    }
    let b2 = create(local, Role::Admin, BEDS, &bed("L-01", &enf.id, "available")).await;
    let b3 = create(local, Role::Admin, BEDS, &bed("L-02", &uti.id, "cleaning")).await;
    let b4 = create(
        local,
        Role::Admin,
        BEDS,
        &with(&bed("L-03", &uti.id, "blocked"), "kind", json!("adult_icu")),
    )
    .await;
    for kind in ["private_room", "pediatric_icu", "neonatal_icu"] {
        let b = create(
            local,
            Role::Admin,
            BEDS,
            &with(&bed(kind, &enf.id, "maintenance"), "kind", json!(kind)),
        )
        .await;
        let (s, body) = delete_as(local, Role::Admin, &b.location).await;
        assert_eq!(s, 204, "{body}");
    }

    // Read: the care team and the front desk.
    for role in [Role::Nurse, Role::Doctor, Role::Receptionist, Role::Manager] {
        let (s, got, etag) = get_as(local, role, &b1.location).await;
        assert_eq!((s, &got, etag.as_deref()), (200, &b1.body, Some("\"1\"")));
    }
    for role in [Role::Pharmacist, Role::Billing] {
        let (s, b, _) = get_as(local, role, &b1.location).await;
        assert_envelope(s, &b, 403, None);
    }
    let (s, b) = send(
        local,
        Method::POST,
        BEDS,
        Role::Nurse,
        Some(&bed("L-09", &uti.id, "available")),
    )
    .await;
    assert_envelope(s, &b, 403, None);

    // Bad inputs; `occupied` is set by admissions only.
    let base = bed("L-04", &uti.id, "available");
    for (bad, field) in [
        (with(&base, "status", json!("occupied")), "status"),
        (with(&base, "status", json!("broken")), "status"),
        (without(&base, "status"), "status"),
        (with(&base, "kind", json!("sofa")), "kind"),
        (with(&base, "sector_id", json!(MISSING_ID)), "sector_id"),
        (with(&base, "sector_id", json!("uti")), "sector_id"),
        (without(&base, "sector_id"), "sector_id"),
        (with(&base, "code", json!("")), "code"),
        (with(&base, "code", json!("x".repeat(31))), "code"),
        (with(&base, "floor", json!(2)), "floor"),
    ] {
        let (s, b) = send(local, Method::POST, BEDS, Role::Admin, Some(&bad)).await;
        assert_envelope(s, &b, 422, Some(field));
    }

    // The beds of a sector, by status and code; and of a sector in one status.
    let codes = |path: String| async move {
        let (s, page, _) = get_as(local, Role::Receptionist, &path).await;
        assert_eq!(s, 200, "{page}");
        field_of(page["items"].as_array().unwrap(), "code")
    };
    assert_eq!(
        codes(format!("/v1/beds?sector_id={}", uti.id)).await,
        ["L-01", "L-03", "L-02"]
    );
    assert_eq!(
        codes(format!("/v1/beds?sector_id={}&status=cleaning", uti.id)).await,
        ["L-02"]
    );
    assert!(
        codes(format!("/v1/beds?sector_id={}&status=occupied", uti.id))
            .await
            .is_empty()
    );
    assert_eq!(
        codes(format!("/v1/beds?sector_id={}", enf.id)).await,
        ["L-01"]
    );
    assert_eq!(
        ids_of(&list_all(local, &format!("/v1/beds?sector_id={}", uti.id), 1).await),
        [b1.id.clone(), b4.id.clone(), b3.id.clone()]
    );
    assert_eq!(
        sorted(ids_of(&list_all(local, BEDS, 2).await)),
        sorted(vec![
            b1.id.clone(),
            b2.id.clone(),
            b3.id.clone(),
            b4.id.clone()
        ])
    );
    assert!(
        codes(format!("/v1/beds?sector_id={MISSING_ID}"))
            .await
            .is_empty()
    );
    for q in [
        "status=available".to_string(),
        format!("sector_id={}&status=broken", uti.id),
        format!("sector_id={}&colour=red", uti.id),
        "code=L-01".to_string(),
    ] {
        let (s, b) = body(local.get(&format!("{BEDS}?{q}")).await).await;
        assert_envelope(s, &b, 400, None);
    }

    // The board counts every sector's beds by status.
    assert_eq!(
        board_counts(local, Role::Doctor, &uti.id).await,
        counts(&[("available", 1), ("cleaning", 1), ("blocked", 1)])
    );
    assert_eq!(
        board_counts(local, Role::Receptionist, &enf.id).await,
        counts(&[("available", 1)])
    );
    let (s, b, _) = get_as(local, Role::Pharmacist, "/v1/bed-board").await;
    assert_envelope(s, &b, 403, None);

    // Nursing moves beds; `occupied` can't be set through the beds API.
    let (s, b, _) = patch_as(
        local,
        Role::Nurse,
        &b1.location,
        &json!({"status": "occupied"}),
        Some("\"1\""),
    )
    .await;
    assert_envelope(s, &b, 422, Some("status"));
    let (s, b, etag) = patch_as(
        local,
        Role::Nurse,
        &b1.location,
        &json!({"status": "cleaning"}),
        Some("\"1\""),
    )
    .await;
    assert_eq!((s, &b["status"]), (200, &json!("cleaning")), "{b}");
    assert_eq!(etag.as_deref(), Some("\"2\""));
    assert_eq!(
        board_counts(local, Role::Nurse, &uti.id).await,
        counts(&[("cleaning", 2), ("blocked", 1)])
    );
    let (s, b, _) = patch_as(
        local,
        Role::Nurse,
        &b1.location,
        &json!({"status": "available"}),
        Some("\"1\""),
    )
    .await;
    assert_envelope(s, &b, 412, Some("If-Match"));
    for role in [Role::Receptionist, Role::Doctor] {
        let (s, b, _) = patch_as(
            local,
            role,
            &b1.location,
            &json!({"status": "available"}),
            None,
        )
        .await;
        assert_envelope(s, &b, 403, None);
    }
    for (patch, status, field) in [
        (json!({"sector_id": MISSING_ID}), 422, "sector_id"),
        (json!({"code": null}), 422, "code"),
        (json!({"kind": "hammock"}), 422, "kind"),
        (
            json!({"status": "occupied", "kind": "adult_icu"}),
            422,
            "status",
        ),
        (json!({"code": "l-02"}), 409, "code"),
        (json!({"patient_id": MISSING_ID}), 422, "patient_id"),
    ] {
        let (s, b, _) = patch_as(local, Role::Admin, &b1.location, &patch, None).await;
        assert_envelope(s, &b, status, Some(field));
    }
    let (_, now, _) = get_as(local, Role::Admin, &b1.location).await;
    assert_eq!(now["version"], 2, "a refused patch changed the bed: {now}");
    assert_eq!(
        board_counts(local, Role::Nurse, &uti.id).await,
        counts(&[("cleaning", 2), ("blocked", 1)])
    );

    // Moving a bed to another sector moves its count and frees its code in the first sector.
    let (s, b, _) = patch_as(
        local,
        Role::Manager,
        &b3.location,
        &json!({"sector_id": enf.id}),
        None,
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        board_counts(local, Role::Nurse, &uti.id).await,
        counts(&[("cleaning", 1), ("blocked", 1)])
    );
    assert_eq!(
        board_counts(local, Role::Nurse, &enf.id).await,
        counts(&[("available", 1), ("cleaning", 1)])
    );
    assert_eq!(
        codes(format!("/v1/beds?sector_id={}&status=cleaning", enf.id)).await,
        ["L-02"]
    );
    assert_eq!(
        codes(format!("/v1/beds?sector_id={}", uti.id)).await,
        ["L-03", "L-01"]
    );
    let (s, b, _) = patch_as(
        local,
        Role::Admin,
        &b2.location,
        &json!({"code": "L-02"}),
        None,
    )
    .await;
    assert_envelope(s, &b, 409, Some("code"));
    let b5 = create(local, Role::Admin, BEDS, &bed("L-02", &uti.id, "available")).await;

    // A sector with beds can't be deleted; the 409 names them.
    let (s, b) = delete_as(local, Role::Manager, &uti.location).await;
    assert_conflict_mentions(s, &b, "bed ");
    // Deleting beds updates the board.
    let (s, b) = delete_as(local, Role::Nurse, &b4.location).await;
    assert_envelope(s, &b, 403, None);
    for bd in [&b4, &b1] {
        let (s, b) = delete_as(local, Role::Manager, &bd.location).await;
        assert_eq!(s, 204, "{b}");
    }
    let (s, b, _) = get_as(local, Role::Admin, &b1.location).await;
    assert_envelope(s, &b, 404, None);
    assert_eq!(
        board_counts(local, Role::Nurse, &uti.id).await,
        counts(&[("available", 1)])
    );
    let (s, b) = delete_as(local, Role::Manager, &uti.location).await;
    assert_conflict_mentions(s, &b, &b5.id);
    let (s, b) = delete_as(local, Role::Manager, &b5.location).await;
    assert_eq!(s, 204, "{b}");
    assert_eq!(board_counts(local, Role::Nurse, &uti.id).await, counts(&[]));
    let (s, b) = delete_as(local, Role::Manager, &uti.location).await;
    assert_eq!(s, 204, "{b}");
    // Beds can't be put in a deleted sector.
    let (s, b) = send(
        local,
        Method::POST,
        BEDS,
        Role::Admin,
        Some(&bed("L-01", &uti.id, "available")),
    )
    .await;
    assert_envelope(s, &b, 422, Some("sector_id"));
    let (s, b, _) = patch_as(
        local,
        Role::Admin,
        &b2.location,
        &json!({"sector_id": uti.id}),
        None,
    )
    .await;
    assert_envelope(s, &b, 422, Some("sector_id"));
    assert_eq!(
        board_counts(local, Role::Nurse, &enf.id).await,
        counts(&[("available", 1), ("cleaning", 1)])
    );
}

/// Every transition among the statuses staff may set (each ordered pair of available,
/// cleaning, maintenance and blocked), with the board and the status lists following; and
/// `occupied` refused from each of them.
pub async fn bed_transitions(local: &Local) {
    let sec = create(local, Role::Manager, SECTORS, &sector("Transições", "ward")).await;
    let bd = create(
        local,
        Role::Manager,
        BEDS,
        &bed("T-01", &sec.id, "available"),
    )
    .await;
    // Another bed of the sector, to see that only the moved bed's count changes.
    create(
        local,
        Role::Manager,
        BEDS,
        &bed("T-02", &sec.id, "maintenance"),
    )
    .await;
    let path = [
        "available",
        "cleaning",
        "available",
        "maintenance",
        "available",
        "blocked",
        "cleaning",
        "maintenance",
        "cleaning",
        "blocked",
        "maintenance",
        "blocked",
        "available",
    ];
    let mut pairs: Vec<(&str, &str)> = path.windows(2).map(|w| (w[0], w[1])).collect();
    pairs.sort();
    pairs.dedup();
    assert_eq!(pairs.len(), 12, "the walk must cover every ordered pair");

    let in_status = |status: &'static str| {
        let sec = sec.id.clone();
        async move { ids_of(&items(local, &format!("/v1/beds?sector_id={sec}&status={status}")).await) }
    };
    let expect = |status: &str| {
        if status == "maintenance" {
            counts(&[("maintenance", 2)])
        } else {
            counts(&[(status, 1), ("maintenance", 1)])
        }
    };
    assert_eq!(
        board_counts(local, Role::Nurse, &sec.id).await,
        expect("available")
    );
    let mut version = 1;
    for w in path.windows(2) {
        let (from, to) = (w[0], w[1]);
        // `occupied` is refused whatever the bed's status, and changes nothing.
        let (s, b, _) = patch_as(
            local,
            Role::Nurse,
            &bd.location,
            &json!({"status": "occupied"}),
            Some(&format!("\"{version}\"")),
        )
        .await;
        assert_envelope(s, &b, 422, Some("status"));
        let (s, b, etag) = patch_as(
            local,
            Role::Nurse,
            &bd.location,
            &json!({"status": to}),
            Some(&format!("\"{version}\"")),
        )
        .await;
        assert_eq!(s, 200, "{from} → {to}: {b}");
        version += 1;
        assert_eq!(etag, Some(format!("\"{version}\"")));
        assert_eq!(b["status"], to);
        assert_eq!(
            board_counts(local, Role::Nurse, &sec.id).await,
            expect(to),
            "board after {from} → {to}"
        );
        assert!(
            in_status(to).await.contains(&bd.id),
            "{to} list lacks the bed after {from} → {to}"
        );
        assert!(
            !in_status(from).await.contains(&bd.id),
            "{from} list still has the bed after {from} → {to}"
        );
    }
    assert!(in_status("occupied").await.is_empty());
}

#[tokio::test]
async fn registries_sectors_and_beds_on_embedded_store() {
    let local = Local::start(Backend::Embedded).await;
    sectors(&local).await;
    beds(&local).await;
    bed_transitions(&local).await;
    local.stop().await;
}

#[tokio::test]
async fn registries_sectors_and_beds_on_dynamodb() {
    let local = Local::start(Backend::Dynamo).await;
    sectors(&local).await;
    beds(&local).await;
    bed_transitions(&local).await;
    local.stop().await;
}
