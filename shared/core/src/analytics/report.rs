//! RF25: the daily report's port. The report is gathered here; drawing it as PDF, XLSX and
//! CSV is an adapter's work (the `hospital-report` crate), so the domain stays free of fonts
//! and file formats.

use super::appointments::{GroupBy, appointments};
use super::billing::billing;
use super::coverage::coverage;
use super::model::{
    DailyReport, Overdue, OverdueInsurer, ReadmissionLine, Readmissions, ReportAlert, StockLine,
};
use super::occupancy::occupancy;
use super::stays::{StayGroupBy, length_of_stay, readmissions};
use super::{Period, Span};
use crate::DomainResult;
use crate::admissions::Admission;
use crate::automation::Settings;
use crate::automation::notify::{count, day, decimal, figure, money};
use crate::billing::{self, BillingEntry};
use crate::insurers::Insurer;
use crate::medications::Medication;
use crate::patients::Patient;
use crate::resource::{Deps, Record, Repository, Resource};
use crate::sectors::Sector;
use crate::store::{Index, Query, SkRange};
use chrono::{Datelike, NaiveDate};
use std::collections::HashMap;

/// How far back the report follows a sector's run of days above the occupancy threshold.
pub const ALERT_LOOKBACK_DAYS: i64 = 730;

/// One rendered file of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportFile {
    /// `relatorio-diario-2026-11-28.pdf`, `….xlsx`, `relatorio-diario-2026-11-28-ocupacao.csv`, …
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Draws a report in every format it is sent in.
pub trait Render: Send + Sync + 'static {
    fn render(&self, report: &DailyReport) -> Result<Vec<ReportFile>, String>;
}

/// Days of the occupancy trend, of the length-of-stay and readmission windows, and of the
/// medication use the coverage reads.
pub const TREND_DAYS: u64 = 30;
/// Coverage under this many days is listed.
pub const COVERAGE_THRESHOLD_DAYS: i64 = 5;

/// Gathers the report of `date` from the indicators, as their queries answer them.
pub async fn gather(
    deps: &Deps,
    settings: &Settings,
    date: NaiveDate,
) -> DomainResult<DailyReport> {
    let trend = Span::ending(date, TREND_DAYS);
    let threshold = settings.occupancy_alert_percent;
    let mut occupancy = occupancy(deps, trend, Period::Day, None, threshold).await?;
    // A run above the threshold that fills the whole trend may have begun before it.
    for s in &mut occupancy.sectors {
        if let Some(a) = s.alert.as_mut().filter(|a| a.since == trend.from) {
            a.since = run_start(deps, &s.sector_id, a.since, threshold).await?;
            a.days = (date - a.since).num_days() + 1;
        }
    }
    let the_day = Span {
        from: date,
        to: date,
    };
    let appointments = appointments(deps, the_day, GroupBy::Specialty, Period::Day).await?;
    let month = Span {
        from: date.with_day(1).unwrap_or(date),
        to: date,
    };
    let billing = billing(deps, month).await?;
    let length_of_stay = length_of_stay(deps, trend, StayGroupBy::Chapter).await?;
    let readmissions = readmissions(deps, trend, 30).await?;
    let mut coverage = coverage(deps, TREND_DAYS as i64, COVERAGE_THRESHOLD_DAYS).await?;
    coverage.items.retain(|i| i.below_threshold);
    let overdue = overdue_on(deps, date).await?;
    let readmitted = named(deps, &readmissions).await?;
    let stock = short_stock(deps).await?;

    let mut alerts = Vec::new();
    for s in &occupancy.sectors {
        if let Some(a) = &s.alert {
            alerts.push(ReportAlert {
                kind: "occupancy".into(),
                message: format!(
                    "{}: ocupação acima de {}% há {} (desde {})",
                    s.name,
                    figure(settings.occupancy_alert_percent),
                    count(a.days, "dia"),
                    day(a.since)
                ),
            });
        }
    }
    for a in &appointments.alerts {
        alerts.push(ReportAlert {
            kind: "demand".into(),
            message: format!(
                "{}: {} nos últimos 7 dias, {}% abaixo da média semanal das 4 semanas anteriores ({})",
                a.name,
                count(a.last_7_days, "consulta"),
                decimal(a.drop_percent, 1),
                decimal(a.weekly_average_4_weeks, 1)
            ),
        });
    }
    for c in &coverage.items {
        alerts.push(ReportAlert {
            kind: "coverage".into(),
            message: format!(
                "{}: estoque para {} dias (abaixo de {COVERAGE_THRESHOLD_DAYS})",
                c.name,
                c.coverage_days.map(|d| decimal(d, 1)).unwrap_or_default()
            ),
        });
    }
    for m in &stock {
        alerts.push(ReportAlert {
            kind: "stock".into(),
            message: stock_text(m),
        });
    }
    if overdue.total_cents > 0 {
        alerts.push(ReportAlert {
            kind: "overdue".into(),
            message: format!(
                "{} a receber vencidos em {} ({} de qualquer mês)",
                money(overdue.total_cents),
                day(date),
                count(overdue.entries, "lançamento"),
            ),
        });
    }
    if let Some(worst) = billing
        .insurers
        .iter()
        .find(|i| i.insurer_id.is_some() && i.insurer_id == billing.highest_overdue_rate_insurer_id)
    {
        alerts.push(ReportAlert {
            kind: "overdue".into(),
            message: format!(
                "{}: maior inadimplência do mês, {} em atraso ({}%)",
                worst.name,
                money(worst.figures.overdue_cents),
                worst
                    .figures
                    .overdue_rate_percent
                    .map(|p| decimal(p, 1))
                    .unwrap_or_default()
            ),
        });
    }
    Ok(DailyReport {
        hospital_name: settings.hospital_name.clone(),
        date,
        generated_at: deps
            .calendar
            .now()
            .with_timezone(&deps.calendar.tz())
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        occupancy,
        appointments,
        billing,
        length_of_stay,
        readmissions,
        coverage,
        overdue,
        readmitted,
        stock,
        alerts,
    })
}

/// The first day of the run of days above `threshold` that goes on to `since` in the sector,
/// read back 30 days at a time (at most [`ALERT_LOOKBACK_DAYS`]).
async fn run_start(
    deps: &Deps,
    sector_id: &str,
    mut since: NaiveDate,
    threshold: f64,
) -> DomainResult<NaiveDate> {
    let oldest = since - chrono::Duration::days(ALERT_LOOKBACK_DAYS);
    while since > oldest {
        let window = Span::ending(since - chrono::Duration::days(1), TREND_DAYS);
        let o = occupancy(deps, window, Period::Day, Some(sector_id), threshold).await?;
        let Some(rows) = o.sectors.into_iter().next().map(|s| s.rows) else {
            return Ok(since);
        };
        for r in rows.iter().rev() {
            // Exactly as the alert compares (not the rounded percentage).
            let above = r.available_bed_days > 0
                && (r.patient_days as f64) * 100.0 > threshold * r.available_bed_days as f64;
            if !above {
                return Ok(since);
            }
            since = r.start;
        }
        if rows.is_empty() {
            return Ok(since);
        }
    }
    Ok(since)
}

/// Pending entries due before `date`, by insurer (read from the pending index, by due date).
async fn overdue_on(deps: &Deps, date: NaiveDate) -> DomainResult<Overdue> {
    let query = Query::index(Index::Gsi2, billing::PENDING)
        .sk(SkRange::Between("0".into(), date.to_string()));
    let entries: Vec<Record<BillingEntry>> = super::records(deps, query).await?;
    let mut by: Vec<OverdueInsurer> = Vec::new();
    let mut out = Overdue::default();
    for e in entries.iter().filter(|e| e.data.due_on < date) {
        out.entries += 1;
        out.total_cents += e.data.amount_cents;
        match by.iter_mut().find(|i| i.insurer_id == e.data.insurer_id) {
            Some(i) => {
                i.entries += 1;
                i.total_cents += e.data.amount_cents;
                i.oldest_due_on = i.oldest_due_on.min(e.data.due_on);
            }
            None => by.push(OverdueInsurer {
                insurer_id: e.data.insurer_id.clone(),
                name: String::new(),
                entries: 1,
                total_cents: e.data.amount_cents,
                oldest_due_on: e.data.due_on,
            }),
        }
    }
    let ids: Vec<String> = by.iter().filter_map(|i| i.insurer_id.clone()).collect();
    let insurers = super::by_ids::<Insurer>(deps, &ids).await?;
    for i in &mut by {
        i.name = match &i.insurer_id {
            None => super::billing::PRIVATE_NAME.to_string(),
            Some(id) => insurers
                .iter()
                .find(|x| x.id == *id)
                .map_or_else(|| id.clone(), |x| x.data.name.clone()),
        };
    }
    by.sort_by(|a, b| {
        b.total_cents
            .cmp(&a.total_cents)
            .then_with(|| a.name.cmp(&b.name))
    });
    out.insurers = by;
    Ok(out)
}

/// Each readmission with its patient's name, its diagnosis and the sector it came to.
async fn named(deps: &Deps, r: &Readmissions) -> DomainResult<Vec<ReadmissionLine>> {
    let tz = deps.calendar.tz();
    let mut patients: HashMap<String, String> = HashMap::new();
    let mut sectors: HashMap<String, String> = HashMap::new();
    let mut out = Vec::new();
    for item in &r.items {
        let Some(a) = get::<Admission>(deps, &item.admission_id).await? else {
            continue;
        };
        let previous = get::<Admission>(deps, &item.previous_admission_id).await?;
        if !patients.contains_key(&a.data.patient_id) {
            let name = get::<Patient>(deps, &a.data.patient_id)
                .await?
                .map_or_else(|| "—".to_string(), |p| p.data.full_name);
            patients.insert(a.data.patient_id.clone(), name);
        }
        let sector_id = a
            .data
            .stays
            .first()
            .map_or(a.data.sector_id.as_str(), |s| s.sector_id.as_str())
            .to_string();
        if !sectors.contains_key(&sector_id) {
            let name = get::<Sector>(deps, &sector_id)
                .await?
                .map_or_else(|| "—".to_string(), |s| s.data.name);
            sectors.insert(sector_id.clone(), name);
        }
        out.push(ReadmissionLine {
            admission_id: a.id.clone(),
            patient_name: patients[&a.data.patient_id].clone(),
            diagnosis_code: a.data.admitting_diagnosis.code.clone(),
            diagnosis_text: a.data.admitting_diagnosis.text.clone(),
            sector_name: sectors[&sector_id].clone(),
            admitted_on: a
                .data
                .admitted_at
                .map_or(item_day(a.created_at, tz), |t| item_day(t, tz)),
            previous_discharged_on: previous
                .and_then(|p| p.data.discharge.map(|d| item_day(d.discharged_at, tz))),
            days_since_discharge: item.days_since_discharge,
        });
    }
    Ok(out)
}

fn item_day(t: chrono::DateTime<chrono::Utc>, tz: chrono_tz::Tz) -> NaiveDate {
    t.with_timezone(&tz).date_naive()
}

async fn get<R: Resource>(deps: &Deps, id: &str) -> DomainResult<Option<Record<R>>> {
    match Repository::<R>::new(deps.clone()).get(None, id).await {
        Ok(r) => Ok(Some(r)),
        Err(crate::DomainError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Medications out of stock (first) or below their minimum, the shortest first.
async fn short_stock(deps: &Deps) -> DomainResult<Vec<StockLine>> {
    let mut out: Vec<StockLine> = super::every::<Medication>(deps)
        .await?
        .into_iter()
        .filter(|m| m.data.stock_quantity <= 0 || m.data.stock_quantity < m.data.minimum_stock)
        .map(|m| StockLine {
            medication_id: m.id,
            name: m.data.name,
            unit: m.data.unit,
            stock_quantity: m.data.stock_quantity,
            minimum_stock: m.data.minimum_stock,
        })
        .collect();
    // Out of stock first; then by stock / minimum, compared exactly; then by name.
    out.sort_by(|a, b| {
        (a.stock_quantity > 0)
            .cmp(&(b.stock_quantity > 0))
            .then_with(|| {
                (i128::from(a.stock_quantity) * i128::from(b.minimum_stock))
                    .cmp(&(i128::from(b.stock_quantity) * i128::from(a.minimum_stock)))
            })
            .then_with(|| {
                crate::validate::sort_text(&a.name).cmp(&crate::validate::sort_text(&b.name))
            })
    });
    Ok(out)
}

/// `Dipirona: sem estoque (mínimo de 10 ampolas)`, `Dipirona: 7 comprimidos, abaixo do mínimo
/// de 10 comprimidos`.
pub fn stock_text(m: &StockLine) -> String {
    if m.stock_quantity <= 0 {
        format!(
            "{}: sem estoque (mínimo de {})",
            m.name,
            count(m.minimum_stock, &m.unit)
        )
    } else {
        format!(
            "{}: {}, abaixo do mínimo de {}",
            m.name,
            count(m.stock_quantity, &m.unit),
            count(m.minimum_stock, &m.unit)
        )
    }
}

/// The lines the e-mail's body lists.
pub fn summary(report: &DailyReport) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(row) = report.occupancy.hospital.last() {
        lines.push(format!(
            "Ocupação hospitalar: {} ({} pacientes-dia em {} leitos-dia disponíveis)",
            row.occupancy_percent
                .map(|p| format!("{}%", decimal(p, 1)))
                .unwrap_or_else(|| "—".into()),
            row.patient_days,
            row.available_bed_days
        ));
    }
    let total: i64 = report
        .appointments
        .groups
        .iter()
        .flat_map(|g| g.rows.iter())
        .map(|r| r.total)
        .sum();
    lines.push(format!("Consultas do dia: {total}"));
    lines.push(format!(
        "Faturamento do mês: {} faturados, {} recebidos",
        money(report.billing.totals.billed_cents),
        money(report.billing.totals.received_cents),
    ));
    lines.push(format!(
        "Vencido a receber: {} ({})",
        money(report.overdue.total_cents),
        count(report.overdue.entries, "lançamento")
    ));
    lines.push(format!(
        "Altas nos últimos 30 dias: {}; permanência média {} dias",
        report.length_of_stay.discharges,
        report
            .length_of_stay
            .average_stay_days
            .map(|d| decimal(d, 2))
            .unwrap_or_else(|| "—".into())
    ));
    lines.push(format!(
        "Reinternações em 30 dias: {} de {}",
        report.readmissions.readmissions,
        count(report.readmissions.admissions, "internação")
    ));
    lines.push(format!("Alertas: {}", report.alerts.len()));
    lines
}
