//! RF25: the daily management report ([`DailyReport`]) drawn as a PDF for reading, an XLSX
//! workbook and one CSV per indicator for further work. The adapter behind
//! [`hospital_core::analytics::report::Render`].
//!
//! For the day D (`2026-11-28`) it makes `relatorio-diario-D.pdf`, `relatorio-diario-D.xlsx`
//! and `relatorio-diario-D-<indicador>.csv` ([`INDICATORS`]).
//!
//! The PDF is drawn with krilla, in Liberation Sans (embedded, subset into the document; SIL
//! Open Font License, `fonts/LICENSE-OFL.txt`), its occupancy chart laid out by plotters; the
//! workbook is written by rust_xlsxwriter, the CSVs by csv. Nothing is read from the file
//! system.

mod csv;
mod fmt;
mod pdf;
mod xlsx;

use chrono::NaiveDate;
use hospital_core::analytics::model::DailyReport;
use hospital_core::analytics::report::{Render, ReportFile};

pub use crate::csv::INDICATORS;
pub use crate::xlsx::SHEETS;

pub const PDF: &str = "application/pdf";
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const CSV: &str = "text/csv; charset=utf-8";

/// The report's files for RF25's job, PDF, XLSX and then the CSVs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Renderer;

impl Render for Renderer {
    fn render(&self, report: &DailyReport) -> Result<Vec<ReportFile>, String> {
        let stem = stem(report.date);
        let mut files = vec![
            ReportFile {
                filename: format!("{stem}.pdf"),
                content_type: PDF.to_string(),
                bytes: pdf(report)?,
            },
            ReportFile {
                filename: format!("{stem}.xlsx"),
                content_type: XLSX.to_string(),
                bytes: xlsx(report)?,
            },
        ];
        files.extend(csvs(report)?);
        Ok(files)
    }
}

/// `relatorio-diario-2026-11-28`: every file's name starts so.
pub fn stem(date: NaiveDate) -> String {
    format!("relatorio-diario-{}", date.format("%Y-%m-%d"))
}

/// The PDF: a cover, then one section per indicator (occupancy with its 30-day chart,
/// appointments, billing, length of stay, readmissions, medication coverage, alerts).
pub fn pdf(report: &DailyReport) -> Result<Vec<u8>, String> {
    pdf::render(report)
}

/// The workbook: one sheet per indicator ([`SHEETS`]).
pub fn xlsx(report: &DailyReport) -> Result<Vec<u8>, String> {
    xlsx::render(report)
}

/// One CSV per indicator ([`INDICATORS`]).
pub fn csvs(report: &DailyReport) -> Result<Vec<ReportFile>, String> {
    csv::render(report)
}
