//! The report's files read back: the PDF with poppler (when installed), the workbook with
//! calamine, the CSVs with csv.
//!
//! `HOSPITAL_REPORT_OUT=/some/dir cargo test -p hospital-report` also leaves the fixture's
//! files there, to look at.

mod common;

use std::io::Cursor;
use std::path::Path;
use std::process::Command;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use hospital_core::analytics::report::{Render, ReportFile};
use hospital_report::{INDICATORS, Renderer, SHEETS};

fn keep(files: &[ReportFile], under: &str) {
    if let Ok(dir) = std::env::var("HOSPITAL_REPORT_OUT") {
        let dir = Path::new(&dir).join(under);
        std::fs::create_dir_all(&dir).unwrap();
        for f in files {
            std::fs::write(dir.join(&f.filename), &f.bytes).unwrap();
        }
    }
}

fn has(tool: &str) -> bool {
    Command::new(tool)
        .arg("-v")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn pdftotext(pdf: &[u8]) -> Option<String> {
    pdftotext_pages(pdf, None)
}

/// The text of `pages` (first, last), or of all.
fn pdftotext_pages(pdf: &[u8], pages: Option<(u32, u32)>) -> Option<String> {
    if !has("pdftotext") {
        eprintln!("pdftotext not installed (Debian: poppler-utils): text not checked");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, pdf).unwrap();
    let mut cmd = Command::new("pdftotext");
    cmd.args(["-layout", "-enc", "UTF-8"]);
    if let Some((first, last)) = pages {
        cmd.args(["-f", &first.to_string(), "-l", &last.to_string()]);
    }
    let out = cmd.arg(&path).arg("-").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

#[test]
fn renders_every_file_named_for_the_day() {
    let files = Renderer.render(&common::report()).unwrap();
    keep(&files, "");
    let names: Vec<(&str, &str)> = files
        .iter()
        .map(|f| (f.filename.as_str(), f.content_type.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("relatorio-diario-2026-11-28.pdf", "application/pdf"),
            (
                "relatorio-diario-2026-11-28.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            ),
            (
                "relatorio-diario-2026-11-28-ocupacao.csv",
                "text/csv; charset=utf-8"
            ),
            (
                "relatorio-diario-2026-11-28-consultas.csv",
                "text/csv; charset=utf-8"
            ),
            (
                "relatorio-diario-2026-11-28-faturamento.csv",
                "text/csv; charset=utf-8"
            ),
            (
                "relatorio-diario-2026-11-28-permanencia.csv",
                "text/csv; charset=utf-8"
            ),
            (
                "relatorio-diario-2026-11-28-reinternacoes.csv",
                "text/csv; charset=utf-8"
            ),
            (
                "relatorio-diario-2026-11-28-cobertura.csv",
                "text/csv; charset=utf-8"
            ),
        ]
    );
    assert!(files.iter().all(|f| !f.bytes.is_empty()));
}

#[test]
fn pdf_pages_render_and_read_in_portuguese() {
    let pdf = hospital_report::pdf(&common::report()).unwrap();
    assert!(pdf.starts_with(b"%PDF"));

    if has("pdftoppm") {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.pdf");
        std::fs::write(&path, &pdf).unwrap();
        let status = Command::new("pdftoppm")
            .args(["-png", "-r", "40"])
            .arg(&path)
            .arg(dir.path().join("page"))
            .status()
            .unwrap();
        assert!(status.success());
        let pngs: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "png"))
            .collect();
        assert!(pngs.len() > 1, "{} pages", pngs.len());
        for png in &pngs {
            let bytes = std::fs::read(png.path()).unwrap();
            assert!(bytes.starts_with(b"\x89PNG"), "{:?}", png.path());
        }
    } else {
        eprintln!("pdftoppm not installed (Debian: poppler-utils): pages not rendered");
    }

    if let Some(text) = pdftotext(&pdf) {
        for expected in [
            "Relatório diário",
            "Hospital São Lucas de Ribeirão Preto",
            "28/11/2026",
            "29/11/2026 às 06:00",
            "Clínica Médica",
            "Maternidade e Alojamento Conjunto",
            "Consultas por especialidade",
            "Ginecologia e Obstetrícia",
            "Faturamento por convênio",
            "R$ 487.319,50",
            "Bradesco Saúde",
            "Particular",
            "Tempo de permanência",
            "Gravidez, parto e puerpério",
            "Reinternações",
            "J18.9",
            "Cobertura de medicamentos",
            "Ácido tranexâmico",
            "Alertas",
            "Ocupação (%)",
            "Página 2 de",
        ] {
            assert!(text.contains(expected), "no {expected:?} in:\n{text}");
        }
        // Readmissions by patient, diagnosis and sector, not by id.
        for expected in [
            "Antônia Lúcia de Oliveira",
            "J18.9 Pneumonia não",
            "Insuficiência cardíaca",
            // What is overdue on the day, of any month.
            "Vencido a receber",
            "R$ 372.325,45",
            "73 lançamentos de qualquer mês",
            "14/08/2026",
            // Stock out and below the minimum, counted in their units.
            "Sem estoque ou abaixo do mínimo",
            "Noradrenalina 4 mg/4 mL",
            "0 ampolas",
            "20 ampolas",
            "1 frasco-ampola",
            "30 frascos-ampola",
        ] {
            assert!(text.contains(expected), "no {expected:?} in:\n{text}");
        }
        assert!(!text.contains(&format!("01KB{:022}", 9_000 + 64 * 37)));
        assert!(!text.contains("Nenhum alerta"));
    }
    // The cover lists its alerts whole: wrapped, never cut mid-word.
    if let Some(cover) = pdftotext_pages(&pdf, Some((1, 1))) {
        assert!(!cover.contains('…'), "{cover}");
        let words: String = cover.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            words.contains("reprocessados automaticamente pela fila de mensagens."),
            "{cover}"
        );
    }
}

#[test]
fn an_empty_day_still_renders() {
    let report = common::empty_report();
    let files = Renderer.render(&report).unwrap();
    keep(&files, "empty");
    assert_eq!(files.len(), 8);
    if let Some(text) = pdftotext(&files[0].bytes) {
        assert!(text.contains("Relatório diário"));
        assert!(text.contains("Nenhum alerta"));
    }
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(files[1].bytes.clone())).unwrap();
    assert_eq!(wb.sheet_names(), SHEETS);
    let alerts = wb.worksheet_range("Alertas").unwrap();
    assert_eq!(
        alerts.get((1, 1)),
        Some(&Data::String("Nenhum alerta".into()))
    );
}

fn cell(range: &calamine::Range<Data>, at: (usize, usize)) -> Data {
    range.get(at).cloned().unwrap_or(Data::Empty)
}

fn header(range: &calamine::Range<Data>) -> Vec<String> {
    range
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect()
}

#[test]
fn workbook_has_a_sheet_per_indicator_with_typed_cells() {
    let report = common::report();
    let bytes = hospital_report::xlsx(&report).unwrap();
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    assert_eq!(
        wb.sheet_names(),
        [
            "Ocupação",
            "Consultas",
            "Faturamento",
            "Vencidos",
            "Permanência",
            "Reinternações",
            "Cobertura",
            "Estoque",
            "Alertas"
        ]
    );

    let occupancy = wb.worksheet_range("Ocupação").unwrap();
    assert_eq!(
        header(&occupancy),
        [
            "Data",
            "Código do setor",
            "Setor",
            "Pacientes-dia",
            "Leitos-dia disponíveis",
            "Ocupação",
            "Média móvel 7 dias",
            "Em alerta desde",
            "Dias em alerta"
        ]
    );
    // Sectors' days, then the hospital's.
    assert_eq!(occupancy.height(), 1 + (common::SECTORS + 1) * common::DAYS);
    let first = &report.occupancy.sectors[0].rows[0];
    assert!(matches!(cell(&occupancy, (1, 0)), Data::DateTime(_)));
    assert_eq!(cell(&occupancy, (1, 2)), Data::String("UTI Adulto".into()));
    assert_eq!(
        cell(&occupancy, (1, 3)),
        Data::Float(first.patient_days as f64)
    );
    // Rates as the rounded figure's fraction, exactly (83,3 % is 0.833, not 0.8329999…).
    let expected = format!("{:.1}", first.occupancy_percent.unwrap());
    match cell(&occupancy, (1, 5)) {
        Data::Float(v) => {
            assert_eq!(format!("{:.1}", v * 100.0), expected);
            assert!(v.to_string().len() <= 6, "{v} is not rounded");
        }
        other => panic!("occupancy {other:?}"),
    }
    for row in occupancy.rows().skip(1) {
        for c in [&row[5], &row[6]] {
            if let Data::Float(v) = c {
                assert!(v.to_string().len() <= 6, "{v} is not rounded");
            }
        }
    }
    // The ICU's alert on the day reported.
    assert!(matches!(
        cell(&occupancy, (common::DAYS, 7)),
        Data::DateTime(_)
    ));
    assert_eq!(cell(&occupancy, (common::DAYS, 8)), Data::Float(5.0));
    let last = 1 + common::SECTORS * common::DAYS;
    assert_eq!(cell(&occupancy, (last, 1)), Data::Empty);
    assert_eq!(cell(&occupancy, (last, 2)), Data::String("Hospital".into()));

    let billing = wb.worksheet_range("Faturamento").unwrap();
    assert_eq!(
        header(&billing)[..4],
        ["Código do convênio", "Convênio", "Lançamentos", "Faturado"]
    );
    assert_eq!(cell(&billing, (1, 1)), Data::String("Unimed".into()));
    assert_eq!(cell(&billing, (1, 3)), Data::Float(487_319.5));
    assert_eq!(cell(&billing, (5, 0)), Data::Empty);
    assert_eq!(cell(&billing, (5, 1)), Data::String("Particular".into()));
    assert_eq!(cell(&billing, (6, 1)), Data::String("Total".into()));
    assert_eq!(billing.height(), 1 + common::INSURERS + 1);

    let consultas = wb.worksheet_range("Consultas").unwrap();
    assert_eq!(header(&consultas)[2], "Especialidade");
    assert_eq!(consultas.height(), 1 + common::SPECIALTIES + 1);

    // What is overdue on the day, whatever month it was issued.
    let overdue = wb.worksheet_range("Vencidos").unwrap();
    assert_eq!(cell(&overdue, (1, 1)), Data::String("SulAmérica".into()));
    assert_eq!(cell(&overdue, (1, 3)), Data::Float(218_700.45));
    assert_eq!(cell(&overdue, (4, 1)), Data::String("Total".into()));
    assert_eq!(cell(&overdue, (4, 3)), Data::Float(372_325.45));

    let stays = wb.worksheet_range("Permanência").unwrap();
    assert_eq!(header(&stays)[..2], ["CID-10", "Diagnóstico"]);
    assert_eq!(
        cell(&stays, (7, 1)),
        Data::String("Gravidez, parto e puerpério".into())
    );

    let readmissions = wb.worksheet_range("Reinternações").unwrap();
    assert_eq!(
        header(&readmissions)[..4],
        ["Paciente", "CID-10", "Diagnóstico", "Setor"]
    );
    assert_eq!(
        cell(&readmissions, (1, 0)),
        Data::String("Maria Aparecida dos Santos".into())
    );
    assert_eq!(
        cell(&readmissions, (1, 2)),
        Data::String("Pneumonia não especificada".into())
    );
    assert_eq!(
        cell(&readmissions, (1, 3)),
        Data::String("Clínica Médica".into())
    );
    assert_eq!(readmissions.height(), 1 + common::READMISSIONS);

    let stock = wb.worksheet_range("Estoque").unwrap();
    assert_eq!(
        cell(&stock, (1, 1)),
        Data::String("Noradrenalina 4 mg/4 mL".into())
    );
    assert_eq!(cell(&stock, (1, 5)), Data::String("Sem estoque".into()));
    assert_eq!(
        cell(&stock, (2, 5)),
        Data::String("Abaixo do mínimo".into())
    );

    let coverage = wb.worksheet_range("Cobertura").unwrap();
    assert_eq!(coverage.height(), 1 + common::COVERAGE);
    assert_eq!(
        cell(&coverage, (14, 5)),
        Data::Empty,
        "no coverage: nothing dispensed"
    );

    let alerts = wb.worksheet_range("Alertas").unwrap();
    assert_eq!(header(&alerts), ["Tipo", "Mensagem"]);
    assert_eq!(alerts.height(), 1 + report.alerts.len());
    assert_eq!(cell(&alerts, (1, 0)), Data::String("Ocupação".into()));
}

#[test]
fn a_csv_per_indicator_with_the_api_names() {
    let files = hospital_report::csvs(&common::report()).unwrap();
    assert_eq!(files.len(), INDICATORS.len());
    let expected: [(&str, &[&str], usize); 6] = [
        (
            "ocupacao",
            &[
                "sector_id",
                "name",
                "start",
                "patient_days",
                "available_bed_days",
                "occupancy_percent",
                "moving_average_7d_percent",
            ],
            (common::SECTORS + 1) * common::DAYS,
        ),
        (
            "consultas",
            &[
                "id",
                "name",
                "start",
                "total",
                "booked",
                "checked_in",
                "fulfilled",
                "cancelled",
                "noshow",
            ],
            common::SPECIALTIES,
        ),
        (
            "faturamento",
            &[
                "insurer_id",
                "name",
                "entries",
                "billed_cents",
                "received_cents",
                "pending_cents",
                "overdue_cents",
                "overdue_rate_percent",
                "average_ticket_cents",
            ],
            common::INSURERS,
        ),
        (
            "permanencia",
            &[
                "code",
                "text",
                "discharges",
                "mean_days",
                "median_days",
                "p90_days",
            ],
            common::STAY_GROUPS,
        ),
        (
            "reinternacoes",
            &[
                "admission_id",
                "previous_admission_id",
                "days_since_discharge",
            ],
            common::READMISSIONS,
        ),
        (
            "cobertura",
            &[
                "medication_id",
                "name",
                "stock_quantity",
                "dispensed",
                "average_daily_use",
                "coverage_days",
                "below_threshold",
            ],
            common::COVERAGE,
        ),
    ];
    let mut tables = Vec::new();
    for (file, (name, head, count)) in files.iter().zip(expected) {
        assert_eq!(
            file.filename,
            format!("relatorio-diario-2026-11-28-{name}.csv")
        );
        assert_eq!(file.content_type, "text/csv; charset=utf-8");
        let mut reader = csv::Reader::from_reader(file.bytes.as_slice());
        assert_eq!(
            reader.headers().unwrap().iter().collect::<Vec<_>>(),
            head,
            "{name}"
        );
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), count, "{name}");
        assert!(rows.iter().all(|r| r.len() == head.len()), "{name}");
        tables.push(rows);
    }

    let occupancy = &tables[0];
    assert_eq!(&occupancy[0][0], "sec-uti-adulto");
    assert_eq!(&occupancy[0][2], "2026-10-30");
    let hospital = &occupancy[common::SECTORS * common::DAYS];
    assert_eq!((&hospital[0], &hospital[1]), ("", "Hospital"));
    // Pediatria's closed day: no occupancy.
    let closed = &occupancy[3 * common::DAYS + 12];
    assert_eq!((&closed[1], &closed[4], &closed[5]), ("Pediatria", "0", ""));

    let billing = &tables[2];
    assert_eq!(
        billing[0].iter().collect::<Vec<_>>(),
        [
            "ins-unimed",
            "Unimed",
            "412",
            "48731950",
            "31200000",
            "17531950",
            "1250000",
            "2.6",
            "118281"
        ]
    );
    assert_eq!((&billing[4][0], &billing[4][1]), ("", "Particular"));

    let coverage = &tables[5];
    assert_eq!(&coverage[13][1], "Imunoglobulina anti-D 300 mcg");
    assert_eq!((&coverage[13][5], &coverage[13][6]), ("", "false"));
    assert_eq!(&coverage[1][6], "true");
}
