//! One CSV per indicator: the API's field names as header, cents as integers, null as empty.

use csv::Writer;
use hospital_core::analytics::model::{DailyReport, OccupancyRow};
use hospital_core::analytics::report::ReportFile;

/// The files' suffixes, in order.
pub const INDICATORS: [&str; 6] = [
    "ocupacao",
    "consultas",
    "faturamento",
    "permanencia",
    "reinternacoes",
    "cobertura",
];

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn table(header: &[&str], rows: Vec<Vec<String>>) -> Result<Vec<u8>, String> {
    let mut w = Writer::from_writer(Vec::new());
    w.write_record(header).map_err(|e| e.to_string())?;
    for row in rows {
        w.write_record(&row).map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

pub(crate) fn render(r: &DailyReport) -> Result<Vec<ReportFile>, String> {
    let stem = crate::stem(r.date);
    [
        occupancy(r)?,
        appointments(r)?,
        billing(r)?,
        length_of_stay(r)?,
        readmissions(r)?,
        coverage(r)?,
    ]
    .into_iter()
    .zip(INDICATORS)
    .map(|(bytes, name)| {
        Ok(ReportFile {
            filename: format!("{stem}-{name}.csv"),
            content_type: crate::CSV.to_string(),
            bytes,
        })
    })
    .collect()
}

fn occupancy(r: &DailyReport) -> Result<Vec<u8>, String> {
    let row = |id: &str, name: &str, x: &OccupancyRow| {
        vec![
            id.to_string(),
            name.to_string(),
            x.start.to_string(),
            x.patient_days.to_string(),
            x.available_bed_days.to_string(),
            opt(x.occupancy_percent),
            opt(x.moving_average_7d_percent),
        ]
    };
    let mut rows = Vec::new();
    for s in &r.occupancy.sectors {
        rows.extend(s.rows.iter().map(|x| row(&s.sector_id, &s.name, x)));
    }
    rows.extend(r.occupancy.hospital.iter().map(|x| row("", "Hospital", x)));
    table(
        &[
            "sector_id",
            "name",
            "start",
            "patient_days",
            "available_bed_days",
            "occupancy_percent",
            "moving_average_7d_percent",
        ],
        rows,
    )
}

fn appointments(r: &DailyReport) -> Result<Vec<u8>, String> {
    let rows = r
        .appointments
        .groups
        .iter()
        .flat_map(|g| {
            g.rows.iter().map(|x| {
                vec![
                    g.id.clone(),
                    g.name.clone(),
                    x.start.to_string(),
                    x.total.to_string(),
                    x.booked.to_string(),
                    x.checked_in.to_string(),
                    x.fulfilled.to_string(),
                    x.cancelled.to_string(),
                    x.noshow.to_string(),
                ]
            })
        })
        .collect();
    table(
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
        rows,
    )
}

fn billing(r: &DailyReport) -> Result<Vec<u8>, String> {
    let rows = r
        .billing
        .insurers
        .iter()
        .map(|i| {
            let f = &i.figures;
            vec![
                opt(i.insurer_id.as_deref()),
                i.name.clone(),
                f.entries.to_string(),
                f.billed_cents.to_string(),
                f.received_cents.to_string(),
                f.pending_cents.to_string(),
                f.overdue_cents.to_string(),
                opt(f.overdue_rate_percent),
                opt(f.average_ticket_cents),
            ]
        })
        .collect();
    table(
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
        rows,
    )
}

fn length_of_stay(r: &DailyReport) -> Result<Vec<u8>, String> {
    let rows = r
        .length_of_stay
        .groups
        .iter()
        .map(|g| {
            vec![
                g.code.clone(),
                g.text.clone(),
                g.discharges.to_string(),
                g.mean_days.to_string(),
                g.median_days.to_string(),
                g.p90_days.to_string(),
            ]
        })
        .collect();
    table(
        &[
            "code",
            "text",
            "discharges",
            "mean_days",
            "median_days",
            "p90_days",
        ],
        rows,
    )
}

fn readmissions(r: &DailyReport) -> Result<Vec<u8>, String> {
    let rows = r
        .readmissions
        .items
        .iter()
        .map(|i| {
            vec![
                i.admission_id.clone(),
                i.previous_admission_id.clone(),
                i.days_since_discharge.to_string(),
            ]
        })
        .collect();
    table(
        &[
            "admission_id",
            "previous_admission_id",
            "days_since_discharge",
        ],
        rows,
    )
}

fn coverage(r: &DailyReport) -> Result<Vec<u8>, String> {
    let rows = r
        .coverage
        .items
        .iter()
        .map(|i| {
            vec![
                i.medication_id.clone(),
                i.name.clone(),
                i.stock_quantity.to_string(),
                i.dispensed.to_string(),
                i.average_daily_use.to_string(),
                opt(i.coverage_days),
                i.below_threshold.to_string(),
            ]
        })
        .collect();
    table(
        &[
            "medication_id",
            "name",
            "stock_quantity",
            "dispensed",
            "average_daily_use",
            "coverage_days",
            "below_threshold",
        ],
        rows,
    )
}
