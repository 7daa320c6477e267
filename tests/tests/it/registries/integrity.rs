//! Referential integrity and uniqueness under races, on both stores: deleting a referenced
//! resource while a referrer to it is being created never leaves a dangling reference, and
//! concurrent creations of one unique value have one winner.

use super::*;
use futures::future::join_all;

const ROUNDS: u32 = 8;

/// One kind of reference: `referrer(target_id, round)` is a body referring to the target.
struct Pair {
    targets: &'static str,
    target: fn(u32) -> Value,
    referrers: &'static str,
    referrer: fn(&str, u32) -> Value,
    field: &'static str,
    /// What the 409 of a refused delete mentions.
    mention: &'static str,
}

/// Concurrently deletes a target and creates a resource referring to it, `ROUNDS` times: either
/// the referrer is created and the delete refused (and the target still there), or the target
/// is deleted and the referrer refused with 422 on its field; never both. Answers the outcomes.
async fn race(
    local: &Local,
    pair: &Pair,
    check: impl AsyncFn(&Created, Option<&str>),
) -> Vec<(u16, u16)> {
    let mut outcomes = Vec::new();
    for round in 0..ROUNDS {
        let target = create(local, Role::Admin, pair.targets, &(pair.target)(round)).await;
        let body = (pair.referrer)(&target.id, round);
        let ((del_s, del_b), (made_s, made_b)) = tokio::join!(
            delete_as(local, Role::Admin, &target.location),
            send(
                local,
                Method::POST,
                pair.referrers,
                Role::Admin,
                Some(&body)
            ),
        );
        match (del_s, made_s) {
            (409, 201) => {
                assert_conflict_mentions(del_s, &del_b, pair.mention);
                let (s, b, _) = get_as(local, Role::Admin, &target.location).await;
                assert_eq!(s, 200, "the target went though its delete was refused: {b}");
                let referrer = format!("{}/{}", pair.referrers, made_b["id"].as_str().unwrap());
                let (s, b, _) = get_as(local, Role::Admin, &referrer).await;
                assert_eq!(s, 200, "{b}");
                check(&target, Some(made_b["id"].as_str().unwrap())).await;
                // The reference is counted: the target stays until the referrer goes, then goes.
                let (s, b) = delete_as(local, Role::Admin, &target.location).await;
                assert_conflict_mentions(s, &b, pair.mention);
                let (s, b) = delete_as(local, Role::Admin, &referrer).await;
                assert_eq!(s, 204, "{b}");
                let (s, b) = delete_as(local, Role::Admin, &target.location).await;
                assert_eq!(s, 204, "{b}");
            }
            (204, 422) => {
                assert_envelope(made_s, &made_b, 422, Some(pair.field));
                let (s, b, _) = get_as(local, Role::Admin, &target.location).await;
                assert_envelope(s, &b, 404, None);
                check(&target, None).await;
            }
            other => panic!(
                "round {round} of {} vs {}: delete {del_s} {del_b}, create {made_s} {made_b} ({other:?})",
                pair.targets, pair.referrers
            ),
        }
        outcomes.push((del_s, made_s));
    }
    outcomes
}

async fn nothing(_: &Created, _: Option<&str>) {}

pub async fn delete_races_referrer_create(local: &Local) {
    // A sector and a bed in it: the bed board and the sector's bed list agree with the outcome.
    let beds = Pair {
        targets: "/v1/sectors",
        target: |r| sector(&format!("Corrida Leito {r}"), "ward"),
        referrers: "/v1/beds",
        referrer: |sector_id, r| bed(&format!("R-{r}"), sector_id, "available"),
        field: "sector_id",
        mention: "bed ",
    };
    let outcomes = race(
        local,
        &beds,
        async |target: &Created, bed_id: Option<&str>| {
            let listed = ids_of(&items(local, &format!("/v1/beds?sector_id={}", target.id)).await);
            let board = board_counts(local, Role::Admin, &target.id).await;
            match bed_id {
                Some(id) => {
                    assert_eq!(listed, [id.to_string()]);
                    assert_eq!(board, counts(&[("available", 1)]));
                }
                None => {
                    assert!(listed.is_empty(), "beds in a deleted sector: {listed:?}");
                    assert_eq!(board, counts(&[]));
                }
            }
        },
    )
    .await;
    eprintln!("sector delete vs bed create: {outcomes:?}");

    let staff = Pair {
        targets: "/v1/sectors",
        target: |r| sector(&format!("Corrida Equipe {r}"), "ward"),
        referrers: "/v1/staff",
        referrer: |sector_id, r| staff_member("Equipe Corrida", 1300 + r, "nurse", Some(sector_id)),
        field: "sector_id",
        mention: "staff ",
    };
    let outcomes = race(local, &staff, nothing).await;
    eprintln!("sector delete vs staff create: {outcomes:?}");

    let doctors = Pair {
        targets: "/v1/specialties",
        target: |r| specialty(&format!("Corrida {r}")),
        referrers: "/v1/doctors",
        referrer: |id, r| {
            doctor(
                "Médico Corrida",
                1400 + r,
                &format!("{}", 9000 + r),
                "BA",
                &[id],
            )
        },
        field: "specialty_ids[0]",
        mention: "doctor ",
    };
    let outcomes = race(
        local,
        &doctors,
        async |target: &Created, doctor_id: Option<&str>| {
            let (s, page, _) =
                get_as(local, Role::Admin, &format!("{}/doctors", target.location)).await;
            match doctor_id {
                Some(id) => assert_eq!(
                    (s, ids_of(page["items"].as_array().unwrap())),
                    (200, vec![id.to_string()])
                ),
                None => assert_eq!(s, 404, "{page}"),
            }
        },
    )
    .await;
    eprintln!("specialty delete vs doctor create: {outcomes:?}");

    let patients = Pair {
        targets: "/v1/insurers",
        target: |r| insurer(&format!("Corrida {r}"), &format!("{}", 700_000 + r)),
        referrers: "/v1/patients",
        referrer: |id, r| {
            with(
                &patient("Paciente Corrida", 1500 + r),
                "insurer_id",
                json!(id),
            )
        },
        field: "insurer_id",
        mention: "patient ",
    };
    let outcomes = race(local, &patients, nothing).await;
    eprintln!("insurer delete vs patient create: {outcomes:?}");
}

/// Concurrent creations of one unique value (spelt differently) have exactly one winner.
pub async fn unique_races(local: &Local) {
    let spellings = ["Hematologia", "HEMATOLOGIA", "hematología", " Hematología "];
    let results = join_all((0..12).map(|i| async move {
        send(
            local,
            Method::POST,
            "/v1/specialties",
            Role::Admin,
            Some(&specialty(spellings[i % spellings.len()])),
        )
        .await
    }))
    .await;
    let statuses: Vec<u16> = results.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        (
            statuses.iter().filter(|s| **s == 201).count(),
            statuses.iter().filter(|s| **s == 409).count()
        ),
        (1, 11),
        "{statuses:?}"
    );
    for (s, b) in results.iter().filter(|(s, _)| *s == 409) {
        assert_envelope(*s, b, 409, Some("name"));
    }
    assert_eq!(items(local, "/v1/specialties?name=hemato").await.len(), 1);

    // One bed code per sector, even when created at once in two sectors and one of them twice.
    let a = create(
        local,
        Role::Admin,
        "/v1/sectors",
        &sector("Corrida A", "ward"),
    )
    .await;
    let b = create(
        local,
        Role::Admin,
        "/v1/sectors",
        &sector("Corrida B", "ward"),
    )
    .await;
    let results = join_all((0..10).map(|i| {
        let sector_id = if i % 2 == 0 {
            a.id.clone()
        } else {
            b.id.clone()
        };
        async move {
            send(
                local,
                Method::POST,
                "/v1/beds",
                Role::Admin,
                Some(&bed(
                    if i < 4 { "X-1" } else { "x-1" },
                    &sector_id,
                    "available",
                )),
            )
            .await
            .0
        }
    }))
    .await;
    assert_eq!(
        results.iter().filter(|s| **s == 201).count(),
        2,
        "{results:?}"
    );
    assert_eq!(
        results.iter().filter(|s| **s == 409).count(),
        8,
        "{results:?}"
    );
    for s in [&a, &b] {
        assert_eq!(
            board_counts(local, Role::Admin, &s.id).await,
            counts(&[("available", 1)])
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn registries_integrity_races_on_embedded_store() {
    let local = Local::start(Backend::Embedded).await;
    delete_races_referrer_create(&local).await;
    unique_races(&local).await;
    local.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn registries_integrity_races_on_dynamodb() {
    let local = Local::start(Backend::Dynamo).await;
    delete_races_referrer_create(&local).await;
    unique_races(&local).await;
    local.stop().await;
}
