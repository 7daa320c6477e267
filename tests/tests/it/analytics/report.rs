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
