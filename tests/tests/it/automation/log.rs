//! What the automation did, as administrators and managers read it (`/v1/automation/…`): the
//! e-mails (sent or skipped), the operational alerts and whether on-call got them, the job runs
//! with their outcome; a failed job is recorded, alerted and a failed `run-job`; the on-call
//! digest mails every alert not yet mailed, once, however runs overlap; reviews close with
//! their admission and record who resolved them.

use super::*;
use hospital_core::automation::{consumers, jobs};

const EMAILS: &str = "/v1/automation/emails";
const ALERTS: &str = "/v1/automation/alerts";
const JOB_RUNS: &str = "/v1/automation/job-runs";

/// Every item of an automation list, following the cursor `limit` at a time.
async fn every(local: &Local, path: &str, limit: usize) -> Vec<Value> {
    let mut out = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let url = match &next {
            Some(c) => format!("{path}?limit={limit}&cursor={c}"),
            None => format!("{path}?limit={limit}"),
        };
        let page = get_ok(local, &url).await;
        let items = page["items"].as_array().expect("items").clone();
        assert!(items.len() <= limit, "{page}");
        out.extend(items);
        match page["next_cursor"].as_str() {
            Some(c) => next = Some(c.to_string()),
            None => return out,
        }
    }
}

async fn activity_is_listed(backend: Backend) {
    let local = start(backend).await;
    set_clock(&local, &at("2026-03-02", "08:00")).await;
    let spec = new_specialty(&local, "Cardiologia").await;
    let doc = new_doctor(&local, "Ana Paula Ribeiro", 9600, &[&spec.id]).await;
    let with_email = new_patient(&local, "Maria da Silva", 9601).await;
    let mut p = patient("Pedro Alves", 9602);
    p.as_object_mut().unwrap().remove("email");
    let without = create(&local, Role::Receptionist, "/v1/patients", &p).await;
    let reminded = create(
        &local,
        Role::Receptionist,
        APPOINTMENTS,
        &appointment(&with_email.id, &doc.id, &spec.id, "2026-03-03", "04:00"),
    )
    .await;
    let unreachable = create(
        &local,
        Role::Receptionist,
        APPOINTMENTS,
        &appointment(&without.id, &doc.id, &spec.id, "2026-03-03", "05:00"),
    )
    .await;

    // A patient without an address is skipped, not acted on.
    let report = run_job(&local, "reminders").await;
    assert_eq!(
        report["report"]["acted_on"],
        json!([reminded.id]),
        "{report}"
    );
    assert_eq!(
        report["report"]["skipped"],
        json!([unreachable.id]),
        "{report}"
    );

    // A sector without an alert address: its released bed is a skipped e-mail in the log.
    let (s, sector) = send(
        &local,
        Method::POST,
        "/v1/sectors",
        Role::Manager,
        Some(&json!({"name": "Pediatria", "floor": 2, "kind": "ward"})),
    )
    .await;
    assert_eq!(s, 201, "{sector}");
    let bed = new_bed(&local, "PED-01", sector["id"].as_str().unwrap(), "cleaning").await;
    patch_ok(
        &local,
        Role::Nurse,
        &bed.location,
        json!({"status": "available"}),
    )
    .await;
    let wait = if backend == Backend::Embedded { 3 } else { 8 };
    assert!(
        eventually(wait, || async {
            get_ok(&local, EMAILS).await["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["template"] == "bed_released")
        })
        .await
    );

    // Newest first, page by page.
    let emails = every(&local, EMAILS, 1).await;
    assert_eq!(emails.len(), 2, "{emails:?}");
    assert_eq!(emails[0]["template"], "bed_released");
    assert_eq!(emails[0]["status"], "skipped");
    assert_eq!(emails[0]["to"], json!([]));
    assert_eq!(emails[0]["recipients"], json!([{"sector": sector["id"]}]));
    assert!(
        emails[0]["error"].as_str().unwrap().contains("e-mail"),
        "{emails:?}"
    );
    assert_eq!(emails[1]["template"], "appointment_reminder");
    assert_eq!(emails[1]["status"], "sent");
    assert_eq!(emails[1]["to"], json!(["paciente@example.com"]));
    assert!(emails[1]["message_id"].is_string());

    // A job that fails: recorded, alerted with its cause, answered with the envelope.
    set_clock(&local, &at("2026-03-02", "09:00")).await;
    let (s, failed) = send(
        &local,
        Method::POST,
        "/v1/dev/jobs/daily-report?date=2099-01-01",
        Role::Admin,
        None,
    )
    .await;
    assert_envelope(s, &failed, 422, Some("date"));
    assert_eq!(
        failed["error"][0]["message"],
        "date: must not be in the future"
    );
    let runs = every(&local, JOB_RUNS, 50).await;
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert_eq!(runs[0]["job"], "daily-report");
    assert_eq!(runs[0]["outcome"], "failed");
    assert_eq!(runs[0]["error"], "date: must not be in the future");
    assert_eq!(runs[0]["started_at"], utc("2026-03-02", "09:00"));
    assert!(runs[0]["finished_at"].is_string());
    assert_eq!(runs[1]["job"], "reminders");
    assert_eq!(runs[1]["outcome"], "ok");
    assert_eq!(runs[1]["counts"]["acted_on"], 1, "{runs:?}");
    assert_eq!(runs[1]["counts"]["skipped"], 1, "{runs:?}");
    assert!(
        eventually(wait, || async {
            get_ok(&local, ALERTS).await["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["kind"] == "job_failed")
        })
        .await
    );
    let alerts = every(&local, ALERTS, 50).await;
    let a = alerts.iter().find(|a| a["kind"] == "job_failed").unwrap();
    assert_eq!(a["label"], "Tarefa falhou");
    assert_eq!(a["subject"], "daily-report");
    assert_eq!(
        a["message"],
        "a tarefa daily-report falhou: date: must not be in the future"
    );
    assert_eq!(a["state"], "unmailed");

    // For administrators and managers only; paging as everywhere.
    for path in [EMAILS, ALERTS, JOB_RUNS] {
        let (s, _, _) = get_as(&local, Role::Manager, path).await;
        assert_eq!(s, 200, "{path}");
        for role in [Role::Doctor, Role::Billing, Role::Nurse] {
            let (s, b, _) = get_as(&local, role, path).await;
            assert_envelope(s, &b, 403, None);
        }
        let (s, b, _) = get_as(&local, Role::Admin, &format!("{path}?limit=0")).await;
        assert_envelope(s, &b, 400, Some("limit"));
        let (s, b, _) = get_as(&local, Role::Admin, &format!("{path}?cursor=nonsense")).await;
        assert_envelope(s, &b, 400, None);
        let (s, b, _) = get_as(&local, Role::Admin, &format!("{path}?status=sent")).await;
        assert_envelope(s, &b, 400, Some("status"));
    }
    local.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automation_log_lists_emails_alerts_and_runs_on_embedded_store() {
    activity_is_listed(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automation_log_lists_emails_alerts_and_runs_on_dynamodb() {
    activity_is_listed(Backend::Dynamo).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automation_a_failed_run_job_is_a_failed_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = hospital_local::Config::in_dir(dir.path());
    let e = hospital_local::run_job(&config, "daily-report", Some("2099-01-01"))
        .await
        .expect_err("a failed job is an error");
    assert_eq!(
        e,
        "the job daily-report failed: date: must not be in the future"
    );
    let ok = hospital_local::run_job(&config, "beds-low", None).await;
    assert!(ok.is_ok(), "{ok:?}");
}

/// An operational alert raised at the clock's now, kept by the consumer.
async fn raise(local: &Local, ctx: &hospital_core::automation::Ctx, subject: &str) {
    let mut tx = ctx.deps.tx();
    consumers::alert(
        &mut tx,
        "stock_mismatch",
        subject,
        &format!("estoque divergente: {subject}"),
    );
    tx.commit(ctx.deps.store.as_ref()).await.expect("alert");
    assert!(
        eventually(8, || async {
            every(local, ALERTS, 200)
                .await
                .iter()
                .any(|a| a["subject"] == subject)
        })
        .await,
        "alert {subject} not kept"
    );
}

async fn digest_mails_every_unmailed_alert_once(backend: Backend) {
    let local = start(backend).await;
    let ctx = ctx(&local);
    // Alerts of three different hours, none mailed yet (say the digest did not run at 02:00).
    for (hm, subject) in [("00:10", "a"), ("01:20", "b"), ("02:30", "c")] {
        set_clock(&local, &at("2026-03-02", hm)).await;
        raise(&local, &ctx, subject).await;
    }
    set_clock(&local, &at("2026-03-02", "03:00")).await;
    // Two digests at once: one e-mail with the three.
    let (x, y) = tokio::join!(jobs::alert_digest(&ctx), jobs::alert_digest(&ctx));
    let (x, y) = (x.expect("digest"), y.expect("digest"));
    assert_eq!(
        x["mailed"].as_u64().unwrap() + y["mailed"].as_u64().unwrap(),
        3,
        "{x} {y}"
    );
    local
        .server
        .as_ref()
        .unwrap()
        .hospital
        .bus
        .settle(std::time::Duration::from_secs(5))
        .await;
    let subject = "[Hospital Santa Clara] 3 alertas operacionais";
    assert!(
        eventually(8, || async {
            emails_to(&local, "plantao@", subject).len() == 1
        })
        .await
    );
    let mail = &emails_to(&local, "plantao@", subject)[0];
    // Times in the hospital's time zone (São Paulo), as on-call reads them.
    assert!(
        mail.text
            .starts_with("3 alertas operacionais entre 02/03/2026 00:10 e 02/03/2026 02:30 (horário do hospital):"),
        "{}",
        mail.text
    );
    assert!(
        mail.says("[Estoque divergente] estoque divergente: b"),
        "{mail:?}"
    );
    // Mailed: a later run sends nothing; a new alert goes alone.
    let again = run_job(&local, "alert-digest").await;
    assert_eq!(again["report"]["alerts"], 0, "{again}");
    raise(&local, &ctx, "d").await;
    run_job(&local, "alert-digest").await;
    eventually(8, || async {
        emails_to(&local, "plantao@", "[Hospital Santa Clara]").len() == 2
    })
    .await;
    let digests = emails_to(&local, "plantao@", "[Hospital Santa Clara]");
    assert_eq!(digests.len(), 2, "{digests:?}");
    assert!(
        digests
            .iter()
            .any(|m| m.subject == "[Hospital Santa Clara] 1 alerta operacional")
    );
    let alerts = every(&local, ALERTS, 200).await;
    assert!(
        alerts
            .iter()
            .all(|a| a["state"] == "mailed" && a["mailed_at"].is_string()),
        "{alerts:?}"
    );
    local.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automation_the_digest_mails_every_unmailed_alert_once_on_embedded_store() {
    digest_mails_every_unmailed_alert_once(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automation_the_digest_mails_every_unmailed_alert_once_on_dynamodb() {
    digest_mails_every_unmailed_alert_once(Backend::Dynamo).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automation_reviews_close_with_their_admission_and_name_who_resolved_them() {
    let local = start(Backend::Embedded).await;
    set_clock(&local, &at("2026-03-01", "08:00")).await;
    let sector = new_sector(&local, "Clínica Médica", "ward").await;
    let doctor = new_doctor(&local, "Renata Moura", 9650, &[]).await;
    let mut beds = Vec::new();
    let mut patients = Vec::new();
    for i in 0..4u32 {
        beds.push(new_bed(&local, &format!("CM-9{i}"), &sector.id, "available").await);
        patients.push(new_patient(&local, &format!("Paciente {i}"), 9651 + i).await);
    }
    // One finished stay of a day: the yardstick.
    let short = create(
        &local,
        Role::Nurse,
        ADMISSIONS,
        &admission(&patients[0].id, &beds[0].id, &doctor.id),
    )
    .await;
    set_clock(&local, &at("2026-03-02", "08:00")).await;
    let discharge =
        json!({"disposition": "home", "discharge_diagnosis": diagnosis("J18.9", "Pneumonia")});
    let (s, b) = send(
        &local,
        Method::POST,
        &format!("{}/discharge", short.location),
        Role::Doctor,
        Some(&discharge),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let mut open = Vec::new();
    for i in 1..4 {
        open.push(
            create(
                &local,
                Role::Nurse,
                ADMISSIONS,
                &admission(&patients[i].id, &beds[i].id, &doctor.id),
            )
            .await,
        );
    }
    set_clock(&local, &at("2026-03-08", "08:00")).await;
    let report = run_job(&local, "long-stays").await;
    assert_eq!(
        report["report"]["flagged"].as_array().unwrap().len(),
        3,
        "{report}"
    );
    let review_of = |admission_id: String| {
        let local = &local;
        async move {
            get_ok(local, "/v1/reviews").await["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["admission_id"] == admission_id.as_str())
                .cloned()
                .expect("a review")
        }
    };
    // Resolved by a doctor: the token's sub is recorded.
    let first = review_of(open[0].id.clone()).await;
    let resolved = patch_ok(
        &local,
        Role::Doctor,
        &format!("/v1/reviews/{}", first["id"].as_str().unwrap()),
        json!({"status": "resolved", "note": "Aguardando vaga em reabilitação."}),
    )
    .await;
    assert_eq!(resolved["resolved_by"], "test-doctor", "{resolved}");
    // Sent by a client: refused, as every server field.
    let (s, b, _) = patch_as(
        &local,
        Role::Doctor,
        &format!("/v1/reviews/{}", first["id"].as_str().unwrap()),
        &json!({"resolved_by": "someone"}),
        None,
    )
    .await;
    assert_envelope(s, &b, 422, Some("resolved_by"));
    // Discharged: the review closes by itself, with a note and no one's name.
    let (s, b) = send(
        &local,
        Method::POST,
        &format!("{}/discharge", open[1].location),
        Role::Doctor,
        Some(&discharge),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let closed = review_of(open[1].id.clone()).await;
    assert_eq!(closed["status"], "resolved", "{closed}");
    assert_eq!(
        closed["note"],
        "Encerrada automaticamente: alta em 08/03/2026 08:00."
    );
    assert_eq!(closed["resolved_at"], utc("2026-03-08", "08:00"));
    assert!(closed.get("resolved_by").is_none(), "{closed}");
    // Cancelled: the same.
    let (s, b) = send(
        &local,
        Method::POST,
        &format!("{}/cancel", open[2].location),
        Role::Nurse,
        Some(&json!({"reason": "registro em duplicidade"})),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let cancelled = review_of(open[2].id.clone()).await;
    assert_eq!(cancelled["status"], "resolved", "{cancelled}");
    assert_eq!(
        cancelled["note"],
        "Encerrada automaticamente: internação cancelada."
    );
    let open_now = get_ok(&local, "/v1/reviews?status=open").await;
    assert_eq!(open_now["items"], json!([]), "{open_now}");
    local.stop().await;
}

/// A failed run is an ERROR line naming the job and its cause (whatever job: here one that
/// fails as the store would).
#[tokio::test(flavor = "current_thread")]
async fn automation_a_failed_job_logs_an_error_naming_its_cause() {
    let sink = crate::http_machinery::Sink::default();
    let _guard = crate::http_machinery::capture(crate::http_machinery::tracing_subscriber_like(
        sink.clone(),
    ));
    let local = start(Backend::Embedded).await;
    let ctx = ctx(&local);
    let failing = async {
        Err(hospital_core::DomainError::Store(
            hospital_core::store::StoreError::Unavailable("table throttled".into()),
        ))
    };
    let e = hospital_core::automation::runs::record(&ctx, "stock-sweep", failing)
        .await
        .expect_err("it failed");
    assert_eq!(e.cause(), "store unavailable: table throttled");
    let logs = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    let line = logs
        .lines()
        .find(|l| l.contains("\"job failed\""))
        .unwrap_or_else(|| panic!("no job failed line in {logs}"));
    let v: Value = serde_json::from_str(line).unwrap();
    assert_eq!(v["level"], "ERROR", "{line}");
    assert_eq!(v["fields"]["job"], "stock-sweep", "{line}");
    assert_eq!(
        v["fields"]["error"], "store unavailable: table throttled",
        "{line}"
    );
    let runs = every(&local, JOB_RUNS, 10).await;
    assert_eq!(runs[0]["outcome"], "failed");
    assert_eq!(runs[0]["error"], "store unavailable: table throttled");
    local.stop().await;
}
