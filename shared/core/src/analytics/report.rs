//! RF25: the daily report's port. The report is gathered here; drawing it as PDF, XLSX and
//! CSV is an adapter's work (the `hospital-report` crate), so the domain stays free of fonts
//! and file formats.

use super::appointments::{GroupBy, appointments};
use super::billing::billing;
use super::coverage::coverage;
use super::model::{DailyReport, ReportAlert};
use super::occupancy::occupancy;
use super::stays::{StayGroupBy, length_of_stay, readmissions};
use super::{Period, Span};
use crate::DomainResult;
use crate::automation::Settings;
use crate::automation::notify::{day, money};
use crate::resource::Deps;
use chrono::{Datelike, NaiveDate};

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
    let occupancy = occupancy(
        deps,
        trend,
        Period::Day,
        None,
        settings.occupancy_alert_percent,
    )
    .await?;
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

    let mut alerts = Vec::new();
    for s in &occupancy.sectors {
        if let Some(a) = &s.alert {
            alerts.push(ReportAlert {
                kind: "occupancy".into(),
                message: format!(
                    "{}: ocupação acima de {}% há {} dias (desde {})",
                    s.name,
                    settings.occupancy_alert_percent,
                    a.days,
                    day(a.since)
                ),
            });
        }
    }
    for a in &appointments.alerts {
        alerts.push(ReportAlert {
            kind: "demand".into(),
            message: format!(
                "{}: {} consultas nos últimos 7 dias, {:.1}% abaixo da média semanal das 4 semanas anteriores ({})",
                a.name,
                a.last_7_days,
                a.drop_percent,
                a.weekly_average_4_weeks
            )
            .replace('.', ","),
        });
    }
    for c in &coverage.items {
        alerts.push(ReportAlert {
            kind: "coverage".into(),
            message: format!(
                "{}: estoque para {} dias (abaixo de {COVERAGE_THRESHOLD_DAYS})",
                c.name,
                c.coverage_days
                    .map(|d| format!("{d:.1}").replace('.', ","))
                    .unwrap_or_default()
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
                    .map(|p| format!("{p:.1}").replace('.', ","))
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
        alerts,
    })
}

/// The lines the e-mail's body lists.
pub fn summary(report: &DailyReport) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(row) = report.occupancy.hospital.last() {
        lines.push(format!(
            "Ocupação hospitalar: {} ({} pacientes-dia em {} leitos-dia disponíveis)",
            row.occupancy_percent
                .map(|p| format!("{p:.1}%").replace('.', ","))
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
        "Faturamento do mês: {} faturados, {} recebidos, {} em atraso",
        money(report.billing.totals.billed_cents),
        money(report.billing.totals.received_cents),
        money(report.billing.totals.overdue_cents)
    ));
    lines.push(format!(
        "Altas nos últimos 30 dias: {}; permanência média {} dias",
        report.length_of_stay.discharges,
        report
            .length_of_stay
            .average_stay_days
            .map(|d| format!("{d:.2}").replace('.', ","))
            .unwrap_or_else(|| "—".into())
    ));
    lines.push(format!(
        "Reinternações em 30 dias: {} de {} internações",
        report.readmissions.readmissions, report.readmissions.admissions
    ));
    lines.push(format!("Alertas: {}", report.alerts.len()));
    lines
}
