//! A realistic day: five sectors over 30 days, the day's appointments, the month's billing,
//! stays, 65 readmissions (a table over more than one page), coverage and alerts, with
//! Portuguese text throughout.

use chrono::{Days, NaiveDate};
use hospital_core::analytics::model::*;

pub const SECTORS: usize = 5;
pub const DAYS: usize = 30;
pub const SPECIALTIES: usize = 7;
pub const INSURERS: usize = 5;
pub const STAY_GROUPS: usize = 8;
pub const READMISSIONS: usize = 65;
pub const COVERAGE: usize = 14;

pub fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 28).expect("date")
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn percent(num: i64, den: i64) -> Option<f64> {
    (den > 0).then(|| round1(num as f64 * 100.0 / den as f64))
}

/// Rows with the 7-day moving average of the days given.
fn rows(days: &[(NaiveDate, i64, i64)]) -> Vec<OccupancyRow> {
    days.iter()
        .enumerate()
        .map(|(i, (start, patients, beds))| {
            let window = &days[i.saturating_sub(6)..=i];
            let p: i64 = window.iter().map(|d| d.1).sum();
            let b: i64 = window.iter().map(|d| d.2).sum();
            OccupancyRow {
                start: *start,
                patient_days: *patients,
                available_bed_days: *beds,
                occupancy_percent: percent(*patients, *beds),
                moving_average_7d_percent: percent(p, b),
            }
        })
        .collect()
}

fn occupancy() -> Occupancy {
    let first = date() - Days::new(DAYS as u64 - 1);
    let sectors = [
        ("sec-uti-adulto", "UTI Adulto", 10_i64, 0.86, 0.10),
        ("sec-clinica-medica", "Clínica Médica", 40, 0.78, 0.08),
        ("sec-cirurgica", "Unidade Cirúrgica", 30, 0.66, 0.12),
        ("sec-pediatria", "Pediatria", 20, 0.55, 0.15),
        (
            "sec-maternidade",
            "Maternidade e Alojamento Conjunto",
            24,
            0.72,
            0.09,
        ),
    ];
    let mut hospital = vec![(first, 0_i64, 0_i64); DAYS];
    let sectors = sectors
        .iter()
        .enumerate()
        .map(|(n, (id, name, beds, base, swing))| {
            let days: Vec<(NaiveDate, i64, i64)> = (0..DAYS)
                .map(|i| {
                    let day = first + Days::new(i as u64);
                    // Pediatria closed for cleaning on one day: no beds, no figure.
                    let beds = if n == 3 && i == 12 { 0 } else { *beds };
                    let wave = ((i as f64 + n as f64 * 3.0) / 4.0).sin() * swing;
                    // The ICU climbs over the last week (its alert).
                    let climb = if n == 0 && i >= DAYS - 5 { 0.12 } else { 0.0 };
                    let patients = ((beds as f64) * (base + wave + climb)).round() as i64;
                    let patients = patients.clamp(0, beds);
                    hospital[i] = (day, hospital[i].1 + patients, hospital[i].2 + beds);
                    (day, patients, beds)
                })
                .collect();
            SectorOccupancy {
                sector_id: id.to_string(),
                name: name.to_string(),
                rows: rows(&days),
                alert: (n == 0).then(|| OccupancyAlert {
                    since: date() - Days::new(4),
                    days: 5,
                }),
            }
        })
        .collect();
    Occupancy {
        hospital: rows(&hospital),
        sectors,
    }
}

fn appointments() -> Appointments {
    let specialties = [
        ("spe-cardiologia", "Cardiologia", 42),
        ("spe-clinica-geral", "Clínica Geral", 65),
        ("spe-dermatologia", "Dermatologia", 12),
        ("spe-ginecologia", "Ginecologia e Obstetrícia", 38),
        ("spe-ortopedia", "Ortopedia e Traumatologia", 51),
        ("spe-pediatria", "Pediatria", 47),
        ("spe-psiquiatria", "Psiquiatria", 19),
    ];
    Appointments {
        groups: specialties
            .iter()
            .map(|(id, name, total)| {
                let cancelled = total / 10;
                let noshow = total / 12;
                let fulfilled = total - cancelled - noshow - 3;
                AppointmentGroup {
                    id: id.to_string(),
                    name: name.to_string(),
                    rows: vec![AppointmentRow {
                        start: date(),
                        total: *total,
                        booked: 1,
                        checked_in: 2,
                        fulfilled,
                        cancelled,
                        noshow,
                    }],
                }
            })
            .collect(),
        alerts: vec![AppointmentAlert {
            specialty_id: "spe-dermatologia".into(),
            name: "Dermatologia".into(),
            last_7_days: 48,
            weekly_average_4_weeks: 81.5,
            drop_percent: 41.1,
        }],
    }
}

fn figures(entries: i64, billed: i64, received: i64, overdue: i64) -> BillingFigures {
    BillingFigures {
        entries,
        billed_cents: billed,
        received_cents: received,
        pending_cents: billed - received,
        overdue_cents: overdue,
        overdue_rate_percent: percent(overdue, billed),
        average_ticket_cents: (entries > 0).then(|| billed / entries),
    }
}

fn billing() -> Billing {
    let insurers = vec![
        (
            Some("ins-unimed"),
            "Unimed",
            figures(412, 48_731_950, 31_200_000, 1_250_000),
        ),
        (
            Some("ins-bradesco"),
            "Bradesco Saúde",
            figures(233, 29_874_410, 20_100_000, 980_000),
        ),
        (
            Some("ins-sulamerica"),
            "SulAmérica",
            figures(151, 18_442_000, 9_000_000, 2_730_500),
        ),
        (
            Some("ins-amil"),
            "Amil",
            figures(98, 9_120_075, 7_500_000, 0),
        ),
        (
            None,
            "Particular",
            figures(57, 3_480_990, 3_100_000, 45_000),
        ),
    ];
    let mut totals = BillingFigures::default();
    for (_, _, f) in &insurers {
        totals.entries += f.entries;
        totals.billed_cents += f.billed_cents;
        totals.received_cents += f.received_cents;
        totals.pending_cents += f.pending_cents;
        totals.overdue_cents += f.overdue_cents;
    }
    totals.overdue_rate_percent = percent(totals.overdue_cents, totals.billed_cents);
    totals.average_ticket_cents = Some(totals.billed_cents / totals.entries);
    Billing {
        insurers: insurers
            .into_iter()
            .map(|(id, name, figures)| InsurerBilling {
                insurer_id: id.map(str::to_string),
                name: name.to_string(),
                figures,
            })
            .collect(),
        totals,
        highest_overdue_rate_insurer_id: Some("ins-sulamerica".into()),
    }
}

fn length_of_stay() -> LengthOfStay {
    let groups = [
        (
            "I",
            "Algumas doenças infecciosas e parasitárias",
            21,
            6.4,
            5.0,
            12.0,
        ),
        ("II", "Neoplasias (tumores)", 14, 8.9, 7.5, 16.2),
        (
            "IX",
            "Doenças do aparelho circulatório",
            48,
            5.73,
            4.5,
            11.0,
        ),
        ("X", "Doenças do aparelho respiratório", 55, 4.87, 4.0, 9.5),
        ("XI", "Doenças do aparelho digestivo", 37, 3.92, 3.0, 7.0),
        (
            "XIV",
            "Doenças do aparelho geniturinário",
            26,
            3.15,
            3.0,
            6.0,
        ),
        ("XV", "Gravidez, parto e puerpério", 61, 2.21, 2.0, 3.0),
        (
            "XIX",
            "Lesões, envenenamento e algumas outras consequências de causas externas",
            19,
            5.05,
            4.0,
            10.4,
        ),
    ];
    let discharges = groups.iter().map(|g| g.2).sum::<i64>();
    LengthOfStay {
        discharges,
        patient_days: 1_287,
        average_stay_days: Some(((1_287.0 / discharges as f64) * 100.0).round() / 100.0),
        groups: groups
            .iter()
            .map(|(code, text, discharges, mean, median, p90)| StayGroup {
                code: code.to_string(),
                text: text.to_string(),
                discharges: *discharges,
                mean_days: *mean,
                median_days: *median,
                p90_days: *p90,
            })
            .collect(),
    }
}

fn readmissions() -> Readmissions {
    Readmissions {
        admissions: 412,
        readmissions: READMISSIONS as i64,
        rate_percent: percent(READMISSIONS as i64, 412),
        top_diagnoses: [
            ("J18.9", 14),
            ("I50.0", 11),
            ("N39.0", 8),
            ("A41.9", 6),
            ("E11.9", 5),
        ]
        .iter()
        .map(|(code, count)| DiagnosisCount {
            code: code.to_string(),
            count: *count,
        })
        .collect(),
        items: (0..READMISSIONS)
            .map(|i| Readmission {
                admission_id: format!("01KB{:022}", 9_000 + i * 37),
                previous_admission_id: format!("01K9{:022}", 4_000 + i * 53),
                days_since_discharge: ((i * 7 % 29) as f64 + 1.0) + (i % 4) as f64 * 0.25,
            })
            .collect(),
    }
}

fn coverage() -> MedicationCoverage {
    let items = [
        ("Dipirona sódica 500 mg/mL solução injetável", 120, 610),
        ("Ceftriaxona 1 g pó para solução injetável", 40, 310),
        ("Enoxaparina sódica 40 mg/0,4 mL", 55, 402),
        ("Omeprazol 40 mg pó para solução injetável", 80, 350),
        ("Noradrenalina 4 mg/4 mL", 12, 95),
        ("Midazolam 5 mg/mL", 30, 160),
        ("Fentanila 50 mcg/mL", 25, 140),
        ("Insulina humana NPH 100 UI/mL", 18, 72),
        ("Vancomicina 500 mg", 22, 118),
        ("Soro fisiológico 0,9% 500 mL", 300, 1_450),
        ("Heparina sódica 5.000 UI/0,25 mL", 34, 150),
        ("Piperacilina + tazobactam 4 g + 500 mg", 16, 96),
        ("Ácido tranexâmico 250 mg/5 mL", 20, 60),
        ("Imunoglobulina anti-D 300 mcg", 3, 0),
    ];
    MedicationCoverage {
        items: items
            .iter()
            .enumerate()
            .map(|(i, (name, stock, dispensed))| {
                let daily = (*dispensed as f64 / 30.0 * 100.0).round() / 100.0;
                let coverage = (*dispensed > 0).then(|| round1(*stock as f64 / daily));
                CoverageItem {
                    medication_id: format!("med-{:03}", i + 1),
                    name: name.to_string(),
                    stock_quantity: *stock,
                    dispensed: *dispensed,
                    average_daily_use: daily,
                    coverage_days: coverage,
                    below_threshold: coverage.is_some_and(|c| c < 7.0),
                }
            })
            .collect(),
    }
}

/// Each readmission named: patients, diagnoses and sectors as a manager reads them.
fn readmitted() -> Vec<ReadmissionLine> {
    const NAMES: [&str; 5] = [
        "Maria Aparecida dos Santos",
        "José Carlos Ferreira",
        "Antônia Lúcia de Oliveira Guimarães",
        "João Pedro Araújo",
        "Francisca das Chagas Souza",
    ];
    const DIAGNOSES: [(&str, &str); 3] = [
        ("J18.9", "Pneumonia não especificada"),
        ("I50.0", "Insuficiência cardíaca congestiva"),
        (
            "N39.0",
            "Infecção do trato urinário de localização não especificada",
        ),
    ];
    readmissions()
        .items
        .iter()
        .enumerate()
        .map(|(i, r)| ReadmissionLine {
            admission_id: r.admission_id.clone(),
            patient_name: NAMES[i % NAMES.len()].to_string(),
            diagnosis_code: DIAGNOSES[i % 3].0.to_string(),
            diagnosis_text: DIAGNOSES[i % 3].1.to_string(),
            sector_name: ["Clínica Médica", "UTI Adulto"][i % 2].to_string(),
            admitted_on: date() - Days::new((i % 29) as u64),
            previous_discharged_on: Some(date() - Days::new((i % 29) as u64 + 3)),
            days_since_discharge: r.days_since_discharge,
        })
        .collect()
}

/// What is overdue on the day: R$ 372 mil, most of it issued in earlier months.
pub fn overdue() -> Overdue {
    let insurers = vec![
        OverdueInsurer {
            insurer_id: Some("ins-sulamerica".into()),
            name: "SulAmérica".into(),
            entries: 41,
            total_cents: 21_870_045,
            oldest_due_on: NaiveDate::from_ymd_opt(2026, 8, 14).unwrap(),
        },
        OverdueInsurer {
            insurer_id: Some("ins-unimed".into()),
            name: "Unimed".into(),
            entries: 23,
            total_cents: 11_230_000,
            oldest_due_on: NaiveDate::from_ymd_opt(2026, 9, 2).unwrap(),
        },
        OverdueInsurer {
            insurer_id: None,
            name: "Particular".into(),
            entries: 9,
            total_cents: 4_132_500,
            oldest_due_on: NaiveDate::from_ymd_opt(2026, 10, 20).unwrap(),
        },
    ];
    Overdue {
        entries: insurers.iter().map(|i| i.entries).sum(),
        total_cents: insurers.iter().map(|i| i.total_cents).sum(),
        insurers,
    }
}

/// Out of stock and below the minimum.
pub fn stock() -> Vec<StockLine> {
    [
        ("Noradrenalina 4 mg/4 mL", "ampola", 0, 20),
        ("Ceftriaxona 1 g", "frasco-ampola", 1, 30),
        ("Enoxaparina sódica 40 mg/0,4 mL", "seringa", 45, 60),
    ]
    .iter()
    .enumerate()
    .map(|(i, (name, unit, stock, minimum))| StockLine {
        medication_id: format!("med-s{i}"),
        name: name.to_string(),
        unit: unit.to_string(),
        stock_quantity: *stock,
        minimum_stock: *minimum,
    })
    .collect()
}

fn alerts() -> Vec<ReportAlert> {
    [
        ("occupancy", "UTI Adulto acima de 85% de ocupação há 5 dias (desde 24/11/2026)."),
        ("demand", "Dermatologia: queda de 41,1% na demanda (48 consultas nos últimos 7 dias; média semanal de 81,5 nas 4 semanas anteriores)."),
        ("coverage", "Noradrenalina 4 mg/4 mL: estoque para 3,8 dias, abaixo do mínimo de 7 dias."),
        ("coverage", "Ceftriaxona 1 g: estoque para 3,9 dias, abaixo do mínimo de 7 dias."),
        ("overdue", "SulAmérica: R$ 27.305,00 vencidos (14,8% do faturado no mês)."),
        ("operations", "Integração com o laboratório de análises clínicas sem resposta entre 02:10 e 02:45; 12 resultados foram reprocessados automaticamente pela fila de mensagens."),
    ]
    .iter()
    .map(|(kind, message)| ReportAlert {
        kind: kind.to_string(),
        message: message.to_string(),
    })
    .collect()
}

pub fn report() -> DailyReport {
    DailyReport {
        hospital_name: "Hospital São Lucas de Ribeirão Preto".into(),
        date: date(),
        generated_at: "2026-11-29T06:00:12-03:00".into(),
        occupancy: occupancy(),
        appointments: appointments(),
        billing: billing(),
        length_of_stay: length_of_stay(),
        readmissions: readmissions(),
        coverage: coverage(),
        overdue: overdue(),
        readmitted: readmitted(),
        stock: stock(),
        alerts: alerts(),
    }
}

/// A hospital's first day: nothing yet.
pub fn empty_report() -> DailyReport {
    DailyReport {
        hospital_name: "Hospital Santa Luzia".into(),
        date: date(),
        generated_at: "2026-11-29T06:00:00-03:00".into(),
        occupancy: Occupancy {
            hospital: Vec::new(),
            sectors: Vec::new(),
        },
        appointments: Appointments {
            groups: Vec::new(),
            alerts: Vec::new(),
        },
        billing: Billing {
            insurers: Vec::new(),
            totals: BillingFigures::default(),
            highest_overdue_rate_insurer_id: None,
        },
        length_of_stay: LengthOfStay {
            discharges: 0,
            patient_days: 0,
            average_stay_days: None,
            groups: Vec::new(),
        },
        readmissions: Readmissions {
            admissions: 0,
            readmissions: 0,
            rate_percent: None,
            top_diagnoses: Vec::new(),
            items: Vec::new(),
        },
        coverage: MedicationCoverage { items: Vec::new() },
        overdue: Overdue::default(),
        readmitted: Vec::new(),
        stock: Vec::new(),
        alerts: Vec::new(),
    }
}
