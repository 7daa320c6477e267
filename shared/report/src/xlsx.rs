//! The workbook: one sheet per indicator, header on the first row (bold, frozen), figures as
//! numbers (money in reais with a currency format, percentages as fractions with a percent
//! format, days as dates).

use chrono::{Datelike, NaiveDate};
use hospital_core::analytics::model::{BillingFigures, DailyReport, OccupancyRow};
use rust_xlsxwriter::{Color, ExcelDateTime, Format, FormatBorder, Workbook, Worksheet, XlsxError};

/// The sheets, in order (spreadsheets take accented names).
pub const SHEETS: [&str; 9] = [
    "Ocupação",
    "Consultas",
    "Faturamento",
    "Vencidos",
    "Permanência",
    "Reinternações",
    "Cobertura",
    "Estoque",
    "Alertas",
];

/// What a cell holds.
enum V<'a> {
    Text(&'a str),
    Int(i64),
    /// Cents, written as reais.
    Money(Option<i64>),
    /// A percentage (87.5), written as a fraction (0.875) shown as `87.5%`.
    Pct(Option<f64>),
    /// Days and other decimals.
    Dec(Option<f64>),
    Date(NaiveDate),
    Empty,
}

struct Sheet {
    ws: Worksheet,
    row: u32,
}

fn format(v: &V<'_>, bold: bool) -> Format {
    let f = Format::new();
    let f = if bold { f.set_bold() } else { f };
    match v {
        V::Int(_) => f.set_num_format("#,##0"),
        V::Money(_) => f.set_num_format("\"R$\" #,##0.00"),
        V::Pct(_) => f.set_num_format("0.0%"),
        V::Dec(_) => f.set_num_format("#,##0.00"),
        V::Date(_) => f.set_num_format("dd/mm/yyyy"),
        V::Text(_) | V::Empty => f,
    }
}

impl Sheet {
    fn new(name: &str, header: &[(&str, f64)]) -> Result<Sheet, XlsxError> {
        let mut ws = Worksheet::new();
        ws.set_name(name)?;
        let mut sheet = Sheet { ws, row: 0 };
        sheet.header(0, header)?;
        sheet.ws.set_freeze_panes(1, 0)?;
        sheet.row = 1;
        Ok(sheet)
    }

    /// A header row starting at column `col`, with the columns' widths.
    fn header(&mut self, col: u16, header: &[(&str, f64)]) -> Result<(), XlsxError> {
        let bold = Format::new()
            .set_bold()
            .set_font_color(Color::White)
            .set_background_color(Color::RGB(0x0b4f6c))
            .set_border_bottom(FormatBorder::Thin)
            .set_text_wrap();
        for (i, (title, width)) in header.iter().enumerate() {
            let c = col + i as u16;
            self.ws.write_string_with_format(0, c, *title, &bold)?;
            self.ws.set_column_width(c, *width)?;
        }
        Ok(())
    }

    fn cell(&mut self, row: u32, col: u16, v: V<'_>, bold: bool) -> Result<(), XlsxError> {
        let f = format(&v, bold);
        let ws = &mut self.ws;
        match v {
            V::Text(s) => ws.write_string_with_format(row, col, s, &f)?,
            V::Int(n) => ws.write_number_with_format(row, col, n as f64, &f)?,
            V::Money(Some(c)) => ws.write_number_with_format(row, col, c as f64 / 100.0, &f)?,
            // 83.3 % as 0.833, not 0.8329999999999999: the fraction of the one-decimal figure.
            V::Pct(Some(p)) => {
                ws.write_number_with_format(row, col, (p * 10.0).round() / 1000.0, &f)?
            }
            V::Dec(Some(x)) => ws.write_number_with_format(row, col, x, &f)?,
            V::Date(d) => {
                let (Ok(y), Ok(m), Ok(day)) = (
                    u16::try_from(d.year()),
                    u8::try_from(d.month()),
                    u8::try_from(d.day()),
                ) else {
                    return Err(XlsxError::ParameterError(format!("date {d}")));
                };
                ws.write_datetime_with_format(row, col, ExcelDateTime::from_ymd(y, m, day)?, &f)?
            }
            V::Money(None) | V::Pct(None) | V::Dec(None) | V::Empty => {
                if bold {
                    ws.write_blank(row, col, &f)?
                } else {
                    ws
                }
            }
        };
        Ok(())
    }

    /// Appends a row from column A.
    fn push(&mut self, cells: Vec<V<'_>>, bold: bool) -> Result<(), XlsxError> {
        let row = self.row;
        self.put(row, 0, cells, bold)?;
        self.row += 1;
        Ok(())
    }

    /// Writes `cells` on `row` from column `col`.
    fn put(&mut self, row: u32, col: u16, cells: Vec<V<'_>>, bold: bool) -> Result<(), XlsxError> {
        for (i, v) in cells.into_iter().enumerate() {
            self.cell(row, col + i as u16, v, bold)?;
        }
        Ok(())
    }
}

pub(crate) fn render(r: &DailyReport) -> Result<Vec<u8>, String> {
    build(r).map_err(|e| format!("xlsx: {e}"))
}

fn build(r: &DailyReport) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    for sheet in [
        occupancy(r)?,
        appointments(r)?,
        billing(r)?,
        overdue(r)?,
        length_of_stay(r)?,
        readmissions(r)?,
        coverage(r)?,
        stock(r)?,
        alerts(r)?,
    ] {
        wb.push_worksheet(sheet.ws);
    }
    wb.save_to_buffer()
}

fn occupancy(r: &DailyReport) -> Result<Sheet, XlsxError> {
    let mut s = Sheet::new(
        SHEETS[0],
        &[
            ("Data", 11.0),
            ("Código do setor", 16.0),
            ("Setor", 24.0),
            ("Pacientes-dia", 13.0),
            ("Leitos-dia disponíveis", 13.0),
            ("Ocupação", 11.0),
            ("Média móvel 7 dias", 11.0),
            ("Em alerta desde", 12.0),
            ("Dias em alerta", 10.0),
        ],
    )?;
    let row = |x: &OccupancyRow| {
        [
            V::Int(x.patient_days),
            V::Int(x.available_bed_days),
            V::Pct(x.occupancy_percent),
            V::Pct(x.moving_average_7d_percent),
        ]
    };
    for sector in &r.occupancy.sectors {
        for x in &sector.rows {
            let mut cells = vec![
                V::Date(x.start),
                V::Text(&sector.sector_id),
                V::Text(&sector.name),
            ];
            cells.extend(row(x));
            // The alert is the run of days above the threshold that ends on the day reported.
            if let (Some(a), true) = (&sector.alert, x.start == r.date) {
                cells.extend([V::Date(a.since), V::Int(a.days)]);
            }
            s.push(cells, false)?;
        }
    }
    for x in &r.occupancy.hospital {
        let mut cells = vec![V::Date(x.start), V::Empty, V::Text("Hospital")];
        cells.extend(row(x));
        s.push(cells, false)?;
    }
    Ok(s)
}

fn appointments(r: &DailyReport) -> Result<Sheet, XlsxError> {
    let mut s = Sheet::new(
        SHEETS[1],
        &[
            ("Data", 11.0),
            ("Código da especialidade", 16.0),
            ("Especialidade", 26.0),
            ("Total", 9.0),
            ("Agendadas", 10.0),
            ("Check-in", 10.0),
            ("Realizadas", 10.0),
            ("Canceladas", 10.0),
            ("Faltas", 9.0),
        ],
    )?;
    let mut sum = [0_i64; 6];
    for g in &r.appointments.groups {
        for x in &g.rows {
            let n = [
                x.total,
                x.booked,
                x.checked_in,
                x.fulfilled,
                x.cancelled,
                x.noshow,
            ];
            for (t, v) in sum.iter_mut().zip(n) {
                *t += v;
            }
            let mut cells = vec![V::Date(x.start), V::Text(&g.id), V::Text(&g.name)];
            cells.extend(n.map(V::Int));
            s.push(cells, false)?;
        }
    }
    if !r.appointments.groups.is_empty() {
        let mut cells = vec![V::Date(r.date), V::Empty, V::Text("Total")];
        cells.extend(sum.map(V::Int));
        s.push(cells, true)?;
    }
    Ok(s)
}

fn billing(r: &DailyReport) -> Result<Sheet, XlsxError> {
    let mut s = Sheet::new(
        SHEETS[2],
        &[
            ("Código do convênio", 16.0),
            ("Convênio", 24.0),
            ("Lançamentos", 12.0),
            ("Faturado", 15.0),
            ("Recebido", 15.0),
            ("Pendente", 15.0),
            ("Vencido", 15.0),
            ("Inadimplência", 12.0),
            ("Ticket médio", 14.0),
        ],
    )?;
    let figures = |f: &BillingFigures| {
        [
            V::Int(f.entries),
            V::Money(Some(f.billed_cents)),
            V::Money(Some(f.received_cents)),
            V::Money(Some(f.pending_cents)),
            V::Money(Some(f.overdue_cents)),
            V::Pct(f.overdue_rate_percent),
            V::Money(f.average_ticket_cents),
        ]
    };
    for i in &r.billing.insurers {
        let mut cells = vec![
            i.insurer_id.as_deref().map_or(V::Empty, V::Text),
            V::Text(&i.name),
        ];
        cells.extend(figures(&i.figures));
        s.push(cells, false)?;
    }
    let mut cells = vec![V::Empty, V::Text("Total")];
    cells.extend(figures(&r.billing.totals));
    s.push(cells, true)?;
    Ok(s)
}

/// What is overdue on the day, whatever month it was issued.
fn overdue(r: &DailyReport) -> Result<Sheet, XlsxError> {
    let mut s = Sheet::new(
        SHEETS[3],
        &[
            ("Código do convênio", 16.0),
            ("Convênio", 24.0),
            ("Lançamentos", 12.0),
            ("Vencido", 15.0),
            ("Vencido desde", 12.0),
        ],
    )?;
    for i in &r.overdue.insurers {
        s.push(
            vec![
                i.insurer_id.as_deref().map_or(V::Empty, V::Text),
                V::Text(&i.name),
                V::Int(i.entries),
                V::Money(Some(i.total_cents)),
                V::Date(i.oldest_due_on),
            ],
            false,
        )?;
    }
    s.push(
        vec![
            V::Empty,
            V::Text("Total"),
            V::Int(r.overdue.entries),
            V::Money(Some(r.overdue.total_cents)),
        ],
        true,
    )?;
    Ok(s)
}

fn length_of_stay(r: &DailyReport) -> Result<Sheet, XlsxError> {
    let l = &r.length_of_stay;
    let mut s = Sheet::new(
        SHEETS[4],
        &[
            ("CID-10", 9.0),
            ("Diagnóstico", 40.0),
            ("Altas", 9.0),
            ("Média (dias)", 11.0),
            ("Mediana (dias)", 11.0),
            ("P90 (dias)", 11.0),
        ],
    )?;
    for g in &l.groups {
        s.push(
            vec![
                V::Text(&g.code),
                V::Text(&g.text),
                V::Int(g.discharges),
                V::Dec(Some(g.mean_days)),
                V::Dec(Some(g.median_days)),
                V::Dec(Some(g.p90_days)),
            ],
            false,
        )?;
    }
    s.header(7, &[("Indicador", 26.0), ("Valor", 12.0)])?;
    s.put(1, 7, vec![V::Text("Altas"), V::Int(l.discharges)], false)?;
    s.put(
        2,
        7,
        vec![V::Text("Pacientes-dia"), V::Int(l.patient_days)],
        false,
    )?;
    s.put(
        3,
        7,
        vec![
            V::Text("Permanência média (dias)"),
            V::Dec(l.average_stay_days),
        ],
        false,
    )?;
    Ok(s)
}

fn readmissions(r: &DailyReport) -> Result<Sheet, XlsxError> {
    let x = &r.readmissions;
    let mut s = Sheet::new(
        SHEETS[5],
        &[
            ("Paciente", 28.0),
            ("CID-10", 9.0),
            ("Diagnóstico", 30.0),
            ("Setor", 20.0),
            ("Reinternação", 12.0),
            ("Alta anterior", 12.0),
            ("Dias desde a alta anterior", 14.0),
            ("Código da internação", 28.0),
        ],
    )?;
    for i in &r.readmitted {
        s.push(
            vec![
                V::Text(&i.patient_name),
                V::Text(&i.diagnosis_code),
                V::Text(&i.diagnosis_text),
                V::Text(&i.sector_name),
                V::Date(i.admitted_on),
                i.previous_discharged_on.map_or(V::Empty, V::Date),
                V::Dec(Some(i.days_since_discharge)),
                V::Text(&i.admission_id),
            ],
            false,
        )?;
    }
    s.header(9, &[("Indicador", 22.0), ("Valor", 10.0)])?;
    s.put(
        1,
        9,
        vec![V::Text("Internações"), V::Int(x.admissions)],
        false,
    )?;
    s.put(
        2,
        9,
        vec![V::Text("Reinternações"), V::Int(x.readmissions)],
        false,
    )?;
    s.put(
        3,
        9,
        vec![V::Text("Taxa de reinternação"), V::Pct(x.rate_percent)],
        false,
    )?;
    s.header(
        12,
        &[("CID-10 (principais)", 18.0), ("Reinternações", 13.0)],
    )?;
    for (n, d) in x.top_diagnoses.iter().enumerate() {
        s.put(
            1 + n as u32,
            12,
            vec![V::Text(&d.code), V::Int(d.count)],
            false,
        )?;
    }
    Ok(s)
}

fn coverage(r: &DailyReport) -> Result<Sheet, XlsxError> {
    let mut s = Sheet::new(
        SHEETS[6],
        &[
            ("Código do medicamento", 18.0),
            ("Medicamento", 34.0),
            ("Estoque", 10.0),
            ("Dispensado (30 dias)", 12.0),
            ("Consumo médio/dia", 12.0),
            ("Cobertura (dias)", 11.0),
            ("Abaixo do limite", 11.0),
        ],
    )?;
    for i in &r.coverage.items {
        s.push(
            vec![
                V::Text(&i.medication_id),
                V::Text(&i.name),
                V::Int(i.stock_quantity),
                V::Int(i.dispensed),
                V::Dec(Some(i.average_daily_use)),
                V::Dec(i.coverage_days),
                V::Text(if i.below_threshold { "Sim" } else { "Não" }),
            ],
            false,
        )?;
    }
    Ok(s)
}

/// Medications out of stock or below their minimum.
fn stock(r: &DailyReport) -> Result<Sheet, XlsxError> {
    let mut s = Sheet::new(
        SHEETS[7],
        &[
            ("Código do medicamento", 18.0),
            ("Medicamento", 34.0),
            ("Unidade", 14.0),
            ("Estoque", 10.0),
            ("Mínimo", 10.0),
            ("Situação", 16.0),
        ],
    )?;
    for m in &r.stock {
        s.push(
            vec![
                V::Text(&m.medication_id),
                V::Text(&m.name),
                V::Text(&m.unit),
                V::Int(m.stock_quantity),
                V::Int(m.minimum_stock),
                V::Text(if m.stock_quantity <= 0 {
                    "Sem estoque"
                } else {
                    "Abaixo do mínimo"
                }),
            ],
            false,
        )?;
    }
    Ok(s)
}

fn alerts(r: &DailyReport) -> Result<Sheet, XlsxError> {
    let mut s = Sheet::new(SHEETS[8], &[("Tipo", 16.0), ("Mensagem", 100.0)])?;
    for a in &r.alerts {
        let kind = crate::fmt::alert_kind(&a.kind);
        s.push(vec![V::Text(&kind), V::Text(&a.message)], false)?;
    }
    if r.alerts.is_empty() {
        s.push(vec![V::Empty, V::Text("Nenhum alerta")], false)?;
    }
    Ok(s)
}
