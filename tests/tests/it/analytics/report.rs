//! RF25: the daily report of the fixture's 11-05, as management receives it and as the reports
//! route serves it; and the reports function over S3 (moto).

use super::fixture;
use super::*;
use std::io::Cursor;

#[tokio::test]
async fn analytics_daily_report_is_mailed_kept_and_served() {
    let local = start(Backend::Embedded).await;
    fixture::build(&local).await;
    let (s, b) = send(
        &local,
        Method::POST,
        "/v1/dev/jobs/daily-report?date=2026-11-05",
        Role::Admin,
        None,
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["ok"], true, "{b}");

    // The e-mail: to management, with the PDF, the workbook and a CSV per indicator.
    let mails = emails_to(&local, "gestao@hospital.example", "Relatório diário");
    assert_eq!(mails.len(), 1, "{mails:?}");
    let mail = &mails[0];
    assert!(mail.subject.contains("05/11/2026"), "{}", mail.subject);
    assert!(mail.says("Consultas do dia"), "{}", mail.text);
    let stem = "relatorio-diario-2026-11-05";
    let mut names = mail.attachments.clone();
    names.sort();
    let mut expected: Vec<String> = hospital_report::INDICATORS
        .iter()
        .map(|i| format!("{stem}-{i}.csv"))
        .chain([format!("{stem}.pdf"), format!("{stem}.xlsx")])
        .collect();
    expected.sort();
    assert_eq!(names, expected);
    // A second run for the day draws the files again and sends nothing more.
    let (s, b) = send(
        &local,
        Method::POST,
        "/v1/dev/jobs/daily-report?date=2026-11-05",
        Role::Admin,
        None,
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        emails_to(&local, "gestao@hospital.example", "Relatório diário").len(),
        1
    );

    // Served to managers, as kept.
    let fetch = |path: &'static str, role: Role| {
        let req = local.req(Method::GET, path, Some(role));
        async move {
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 200, "{path}");
            let kind = res.headers()["content-type"].to_str().unwrap().to_string();
            (kind, res.bytes().await.unwrap().to_vec())
        }
    };
    let (kind, pdf) = fetch("/v1/reports/daily/2026-11-05.pdf", Role::Manager).await;
    assert_eq!(kind, "application/pdf");
    assert!(pdf.starts_with(b"%PDF"));
    let (kind, xlsx) = fetch("/v1/reports/daily/2026-11-05.xlsx", Role::Admin).await;
    assert_eq!(kind, hospital_report::XLSX);
    for (path, role, status) in [
        ("/v1/reports/daily/2026-11-04.pdf", Role::Manager, 404),
        ("/v1/reports/daily/2026-11-05.csv", Role::Manager, 404),
        ("/v1/reports/daily/2026-11-05.pdf", Role::Billing, 403),
        ("/v1/reports/daily/2026-11-05.pdf", Role::Doctor, 403),
    ] {
        let (s, b, _) = get_as(&local, role, path).await;
        assert_envelope(s, &b, status, None);
    }

    // The workbook opens with a sheet per indicator; its occupancy sheet has the sectors.
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(Cursor::new(xlsx)).expect("an XLSX workbook");
    assert_eq!(
        book.sheet_names(),
        hospital_report::SHEETS
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    );
    let occupancy = book
        .worksheet_range(hospital_report::SHEETS[0])
        .expect("occupancy sheet");
    let text: Vec<String> = occupancy.rows().flatten().map(|c| c.to_string()).collect();
    assert!(text.iter().any(|t| t == "Clínica Médica"), "{text:?}");

    // The CSVs parse, each with a header and rows.
    let dir = local.config.data_dir.join("files/reports/daily/2026-11-05");
    for indicator in hospital_report::INDICATORS {
        let path = dir.join(format!("{stem}-{indicator}.csv"));
        let mut reader = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        let header = reader.headers().expect("a header").clone();
        assert!(!header.is_empty(), "{indicator}");
        for record in reader.records() {
            let record = record.unwrap_or_else(|e| panic!("{indicator}: {e}"));
            assert_eq!(record.len(), header.len(), "{indicator}");
        }
    }
    let occupancy = std::fs::read_to_string(dir.join(format!("{stem}-ocupacao.csv"))).unwrap();
    assert!(
        occupancy.lines().count() > 30,
        "30 days × sectors: {occupancy}"
    );

    // The PDF renders to pages (poppler), and says what it is about.
    if which("pdftoppm") {
        let out = tempfile::tempdir().unwrap();
        let file = out.path().join("report.pdf");
        std::fs::write(&file, &pdf).unwrap();
        let status = std::process::Command::new("pdftoppm")
            .args(["-png", "-r", "40"])
            .arg(&file)
            .arg(out.path().join("page"))
            .status()
            .unwrap();
        assert!(status.success());
        let pages = std::fs::read_dir(out.path())
            .unwrap()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "png"))
            .count();
        assert!(pages > 1, "{pages} pages");
        let text = std::process::Command::new("pdftotext")
            .arg(&file)
            .arg("-")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&text.stdout);
        assert!(text.contains("Relatório diário"), "{text}");
        assert!(text.contains("Clínica Médica"), "{text}");
    }
    local.stop().await;
}

fn which(program: &str) -> bool {
    std::process::Command::new(program)
        .arg("-v")
        .output()
        .is_ok()
}

/// What the tester found wrong, as management reads it: what is overdue on the day whatever
/// month it was issued, readmissions by name, stock out or under its minimum, an occupancy
/// alert that began more than 30 days before, the cover's alerts whole, figures in pt-BR.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analytics_daily_report_says_what_a_manager_needs_to_act_on() {
    let local = start(Backend::Embedded).await;
    set_clock(&local, &at("2026-01-01", "08:00")).await;
    let icu = new_sector(&local, "UTI Adulto", "icu").await;
    let ward = new_sector(&local, "Clínica Médica", "ward").await;
    let icu_bed = new_bed(&local, "UTI-01", &icu.id, "available").await;
    let ward_bed = new_bed(&local, "CM-01", &ward.id, "available").await;
    let doctor = new_doctor(&local, "Renata Moura", 6900, &[]).await;
    let long = new_patient(&local, "Helena Batista", 6901).await;
    let back = new_patient(&local, "Beatriz Nunes", 6902).await;
    // The ICU full from 01/01 to the day reported, 10/03: 69 days above 40 %.
    create(
        &local,
        Role::Nurse,
        ADMISSIONS,
        &admission(&long.id, &icu_bed.id, &doctor.id),
    )
    .await;
    // Issued in December, due in January, still pending: overdue on 10/03.
    let entry = |issued: &str, due: &str, cents: i64| {
        json!({"patient_id": back.id, "description": "Internação", "amount_cents": cents,
               "issued_on": issued, "due_on": due})
    };
    create(
        &local,
        Role::Billing,
        BILLING,
        &entry("2025-12-10", "2026-01-09", 37_200_000),
    )
    .await;
    let paid = create(
        &local,
        Role::Billing,
        BILLING,
        &entry("2025-12-10", "2026-01-09", 500_000),
    )
    .await;
    patch_ok(
        &local,
        Role::Billing,
        &paid.location,
        json!({"status": "paid", "paid_on": "2026-01-01"}),
    )
    .await;
    // Readmitted four days after a discharge.
    set_clock(&local, &at("2026-02-20", "09:00")).await;
    let first = create(
        &local,
        Role::Nurse,
        ADMISSIONS,
        &admission(&back.id, &ward_bed.id, &doctor.id),
    )
    .await;
    set_clock(&local, &at("2026-02-25", "09:00")).await;
    let (s, b) = send(
        &local,
        Method::POST,
        &format!("{}/discharge", first.location),
        Role::Doctor,
        Some(&json!({"disposition": "home", "discharge_diagnosis": diagnosis("I21.9", "IAM")})),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    patch_ok(
        &local,
        Role::Nurse,
        &ward_bed.location,
        json!({"status": "available"}),
    )
    .await;
    set_clock(&local, &at("2026-03-01", "09:00")).await;
    let mut again = admission(&back.id, &ward_bed.id, &doctor.id);
    again["admitting_diagnosis"] = diagnosis("J18.9", "Pneumonia bacteriana");
    create(&local, Role::Nurse, ADMISSIONS, &again).await;
    // Issued this month, not yet due: not overdue.
    create(
        &local,
        Role::Billing,
        BILLING,
        &entry("2026-03-01", "2026-03-31", 800_000),
    )
    .await;
    // Out of stock, and below the minimum.
    new_medication(&local, "Noradrenalina 4 mg/4 mL", 20, 0).await;
    new_medication(&local, "Dipirona 500 mg", 10, 3).await;

    set_clock(&local, &at("2026-03-11", "07:00")).await;
    let (s, b) = send(
        &local,
        Method::POST,
        "/v1/dev/jobs/daily-report?date=2026-03-10",
        Role::Admin,
        None,
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["ok"], true, "{b}");

    let mail = &emails_to(&local, "gestao@hospital.example", "Relatório diário")[0];
    assert!(
        mail.says("Vencido a receber: R$ 372.000,00 (1 lançamento)"),
        "{}",
        mail.text
    );
    assert!(
        mail.says("Reinternações em 30 dias: 1 de 2 internações"),
        "{}",
        mail.text
    );

    let dir = local.config.data_dir.join("files/reports/daily/2026-03-10");
    let xlsx = std::fs::read(dir.join("relatorio-diario-2026-03-10.xlsx")).unwrap();
    use calamine::{Data, Reader};
    let mut book = calamine::Xlsx::new(Cursor::new(xlsx)).expect("an XLSX workbook");
    let rows = |book: &mut calamine::Xlsx<_>, sheet: &str| -> Vec<Vec<String>> {
        book.worksheet_range(sheet)
            .unwrap_or_else(|e| panic!("{sheet}: {e}"))
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    };
    let overdue = rows(&mut book, "Vencidos");
    assert_eq!(overdue[1][1], "Particular", "{overdue:?}");
    assert_eq!(overdue[1][2], "1");
    assert_eq!(overdue[1][3], "372000");
    let readmitted = rows(&mut book, "Reinternações");
    assert_eq!(readmitted[2][0], "", "one readmission: {readmitted:?}");
    assert_eq!(
        readmitted[1][..4],
        [
            "Beatriz Nunes",
            "J18.9",
            "Pneumonia bacteriana",
            "Clínica Médica"
        ]
    );
    let stock = rows(&mut book, "Estoque");
    assert_eq!(stock[1][1], "Noradrenalina 4 mg/4 mL");
    assert_eq!(stock[1][5], "Sem estoque");
    assert_eq!(stock[2][1], "Dipirona 500 mg");
    assert_eq!(stock[2][5], "Abaixo do mínimo");
    let occupancy = book
        .worksheet_range("Ocupação")
        .expect("accented sheet name");
    let icu_today = occupancy
        .rows()
        .find(|r| r[2] == Data::String("UTI Adulto".into()) && r[7] != Data::Empty)
        .expect("the ICU's alert row");
    assert_eq!(icu_today[8], Data::Float(69.0), "{icu_today:?}");
    let alerts = rows(&mut book, "Alertas");
    let texts: Vec<&str> = alerts.iter().map(|r| r[1].as_str()).collect();
    assert!(
        texts.contains(&"UTI Adulto: ocupação acima de 40% há 69 dias (desde 01/01/2026)"),
        "{texts:?}"
    );
    assert!(
        texts.contains(&"Noradrenalina 4 mg/4 mL: sem estoque (mínimo de 20 comprimidos)"),
        "{texts:?}"
    );
    assert!(
        texts.contains(&"Dipirona 500 mg: 3 comprimidos, abaixo do mínimo de 10 comprimidos"),
        "{texts:?}"
    );

    let pdf = std::fs::read(dir.join("relatorio-diario-2026-03-10.pdf")).unwrap();
    if which("pdftotext") {
        let file = dir.join("relatorio-diario-2026-03-10.pdf");
        let out = std::process::Command::new("pdftotext")
            .arg("-layout")
            .arg(&file)
            .arg("-")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        for says in [
            "R$ 372.000,00",
            "Beatriz Nunes",
            "Pneumonia",
            "Sem estoque",
            "0 comprimidos",
            "desde 01/01/2026",
        ] {
            assert!(text.contains(says), "no {says:?} in {text}");
        }
        assert!(!text.contains(&first.id), "readmissions by name, not id");
    }
    assert!(pdf.starts_with(b"%PDF"));
    local.stop().await;
}
