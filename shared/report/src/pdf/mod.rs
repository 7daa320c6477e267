//! The PDF: a cover with the day's figures and contents, then one section per indicator.

mod canvas;
mod chart;
mod font;
mod layout;

use chrono::{Datelike, Days, NaiveDate};
use hospital_core::analytics::model::{DailyReport, OccupancyRow};
use krilla::Document;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;

use crate::fmt::{self, NONE};
use canvas::{ALERT, BRAND, Color, INK, MUTED, Op, RULE, WHITE};
use font::Fonts;
use layout::{
    Align, BOTTOM, Card, Cell, LEFT, Layout, PAGE_H, PAGE_W, RIGHT, Row, RowKind, WIDTH, col,
};

/// The sectors' lines in the chart (the hospital's is drawn in ink).
const PALETTE: [Color; 10] = [
    Color(0x4e, 0x79, 0xa7),
    Color(0xf2, 0x8e, 0x2b),
    Color(0xe1, 0x57, 0x59),
    Color(0x76, 0xb7, 0xb2),
    Color(0x59, 0xa1, 0x4f),
    Color(0xed, 0xc9, 0x48),
    Color(0xb0, 0x7a, 0xa1),
    Color(0xff, 0x9d, 0xa7),
    Color(0x9c, 0x75, 0x5f),
    Color(0xba, 0xb0, 0xac),
];

pub(crate) fn render(report: &DailyReport) -> Result<Vec<u8>, String> {
    let fonts = Fonts::load()?;
    let mut l = Layout::new(&fonts);

    let summary_y = cover(&mut l, report);
    l.new_page();
    let contents = vec![
        ("Ocupação", occupancy(&mut l, report)?),
        ("Consultas por especialidade", appointments(&mut l, report)),
        ("Faturamento por convênio", billing(&mut l, report)),
        ("Tempo de permanência", length_of_stay(&mut l, report)),
        ("Reinternações", readmissions(&mut l, report)),
        ("Cobertura de medicamentos", coverage(&mut l, report)),
        ("Alertas", alerts(&mut l, report)),
    ];
    cover_contents(&mut l, report, summary_y, &contents);
    frame(&mut l, report);

    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(format!(
                "Relatório diário {} – {}",
                fmt::day(report.date),
                report.hospital_name
            ))
            .language("pt-BR".to_string())
            .creator("hospital-report".to_string()),
    );
    let settings =
        PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| "invalid page size".to_string())?;
    for ops in &l.pages {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        canvas::draw(&mut surface, &fonts, ops);
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|e| format!("pdf: {e:?}"))
}

fn day_row(rows: &[OccupancyRow], date: NaiveDate) -> Option<&OccupancyRow> {
    rows.iter().find(|r| r.start == date)
}

/// The cover's band and figures; returns where the contents list goes.
fn cover(l: &mut Layout<'_>, r: &DailyReport) -> f32 {
    l.rect((0.0, 0.0, PAGE_W, 270.0), BRAND);
    let name = l.fonts.bold.fit(&r.hospital_name, 16.0, WIDTH);
    l.text((LEFT, 78.0), 16.0, true, WHITE, &name);
    l.text((LEFT, 132.0), 34.0, true, WHITE, "Relatório diário");
    l.text(
        (LEFT, 156.0),
        11.0,
        false,
        Color(0xcf, 0xe3, 0xec),
        "Indicadores de gestão: ocupação, consultas, faturamento, permanência, reinternações e medicamentos",
    );
    l.text((LEFT, 212.0), 26.0, true, WHITE, &fmt::day(r.date));
    let dw = l.fonts.bold.width(&fmt::day(r.date), 26.0);
    l.text(
        (LEFT + dw + 10.0, 212.0),
        13.0,
        false,
        Color(0xcf, 0xe3, 0xec),
        fmt::weekday(r.date),
    );
    l.text(
        (LEFT, 244.0),
        9.5,
        false,
        Color(0xcf, 0xe3, 0xec),
        &format!("Gerado em {}", fmt::timestamp(&r.generated_at)),
    );

    l.y = 300.0;
    l.text((LEFT, l.y), 12.0, true, INK, "Resumo do dia");
    l.y += 12.0;
    let hospital = day_row(&r.occupancy.hospital, r.date);
    let in_alert = r
        .occupancy
        .sectors
        .iter()
        .filter(|s| s.alert.is_some())
        .count();
    let appointments: i64 = r
        .appointments
        .groups
        .iter()
        .flat_map(|g| &g.rows)
        .map(|row| row.total)
        .sum();
    let noshow: i64 = r
        .appointments
        .groups
        .iter()
        .flat_map(|g| &g.rows)
        .map(|row| row.noshow)
        .sum();
    let t = &r.billing.totals;
    let cards = [
        Card {
            label: "Ocupação do hospital".into(),
            value: fmt::pct(hospital.and_then(|h| h.occupancy_percent)),
            note: Some(format!(
                "média de 7 dias: {}",
                fmt::pct(hospital.and_then(|h| h.moving_average_7d_percent))
            )),
            alert: false,
        },
        Card {
            label: "Consultas do dia".into(),
            value: fmt::int(appointments),
            note: Some(format!("{} faltas", fmt::int(noshow))),
            alert: false,
        },
        Card {
            label: "Faturado no mês".into(),
            value: fmt::money(Some(t.billed_cents)),
            note: Some(format!("recebido: {}", fmt::money(Some(t.received_cents)))),
            alert: false,
        },
        Card {
            label: "Vencido a receber".into(),
            value: fmt::money(Some(r.overdue.total_cents)),
            // Whatever month they were issued in: what is overdue on the day.
            note: Some(format!(
                "{} de qualquer mês",
                fmt::count(r.overdue.entries, "lançamento")
            )),
            alert: r.overdue.total_cents > 0,
        },
        Card {
            label: "Reinternação em 30 dias".into(),
            value: fmt::pct(r.readmissions.rate_percent),
            note: Some(format!(
                "{} de {} internações",
                fmt::int(r.readmissions.readmissions),
                fmt::int(r.readmissions.admissions)
            )),
            alert: false,
        },
        Card {
            label: "Alertas".into(),
            value: fmt::int(r.alerts.len() as i64),
            note: Some(if r.alerts.is_empty() {
                "nenhum alerta".to_string()
            } else {
                match in_alert {
                    0 => "nenhum setor acima do limite".to_string(),
                    1 => "1 setor acima do limite de ocupação".to_string(),
                    n => format!("{n} setores acima do limite de ocupação"),
                }
            }),
            alert: !r.alerts.is_empty(),
        },
    ];
    l.cards(&cards, 3);
    l.y + 14.0
}

fn cover_contents(l: &mut Layout<'_>, r: &DailyReport, y: f32, contents: &[(&str, usize)]) {
    l.on_page(Some(0));
    let mut y = y + 10.0;
    l.text((LEFT, y), 12.0, true, INK, "Conteúdo");
    y += 8.0;
    for (title, page) in contents {
        y += 17.0;
        l.text((LEFT, y), 10.0, false, INK, title);
        l.text_in(
            (LEFT, y, WIDTH),
            Align::Right,
            (10.0, false, MUTED),
            &format!("página {page}"),
        );
        l.push(Op::Line {
            points: vec![(LEFT, y + 5.0), (RIGHT, y + 5.0)],
            width: 0.4,
            color: RULE,
            opacity: 1.0,
            dashed: false,
        });
    }

    // The day's alerts at a glance.
    y += 34.0;
    l.text((LEFT, y), 12.0, true, INK, "Alertas do dia");
    y += 6.0;
    if r.alerts.is_empty() {
        y += 17.0;
        l.text((LEFT, y), 10.0, false, MUTED, "Nenhum alerta");
    }
    // Each alert whole, wrapped at spaces (never cut mid-word); those that do not fit are
    // counted, with the page that lists them all.
    let wrapped: Vec<Vec<String>> = r
        .alerts
        .iter()
        .map(|a| l.fonts.regular.wrap(&a.message, 9.0, WIDTH - 95.0))
        .collect();
    let mut shown = 0;
    for (i, (a, lines)) in r.alerts.iter().zip(&wrapped).enumerate() {
        let need = 16.0 + 11.0 * (lines.len().max(1) - 1) as f32;
        // Keep a line for "e mais N" unless this is the last alert.
        let reserve = if i + 1 < r.alerts.len() { 16.0 } else { 0.0 };
        if y + need + reserve > BOTTOM {
            break;
        }
        y += 16.0;
        let kind = fmt::alert_kind(&a.kind);
        l.rect((LEFT, y - 7.0, 4.0, 4.0), ALERT);
        l.text((LEFT + 10.0, y), 9.0, true, ALERT, &kind);
        for (n, line) in lines.iter().enumerate() {
            if n > 0 {
                y += 11.0;
            }
            l.text((LEFT + 95.0, y), 9.0, false, INK, line);
        }
        shown += 1;
    }
    if r.alerts.len() > shown {
        y += 16.0;
        let alerts_page = contents.last().map_or(0, |c| c.1);
        l.text(
            (LEFT + 10.0, y),
            9.0,
            false,
            MUTED,
            &format!("e mais {} (página {alerts_page})", r.alerts.len() - shown),
        );
    }
    l.on_page(None);
}

/// The running header and the footer of every page.
fn frame(l: &mut Layout<'_>, r: &DailyReport) {
    let n = l.pages.len();
    let generated = format!("Gerado em {}", fmt::timestamp(&r.generated_at));
    let title = format!("Relatório diário · {}", fmt::day(r.date));
    for i in 0..n {
        l.on_page(Some(i));
        if i > 0 {
            let name = l.fonts.bold.fit(&r.hospital_name, 8.5, WIDTH * 0.6);
            l.text((LEFT, 40.0), 8.5, true, BRAND, &name);
            l.text_in(
                (LEFT, 40.0, WIDTH),
                Align::Right,
                (8.5, false, MUTED),
                &title,
            );
            l.hline(48.0, 0.6, RULE);
        }
        let y = BOTTOM + 30.0;
        l.hline(y - 12.0, 0.6, RULE);
        l.text((LEFT, y), 7.5, false, MUTED, &generated);
        l.text_in(
            (LEFT, y, WIDTH),
            Align::Right,
            (7.5, false, MUTED),
            &format!("Página {} de {n}", i + 1),
        );
    }
    l.on_page(None);
}

fn occupancy(l: &mut Layout<'_>, r: &DailyReport) -> Result<usize, String> {
    let o = &r.occupancy;
    l.section("Ocupação", &format!("dia {}", fmt::day(r.date)), 120.0);
    let page = l.pages.len();
    let hospital = day_row(&o.hospital, r.date);
    let in_alert = o.sectors.iter().filter(|s| s.alert.is_some()).count();
    l.cards(
        &[
            Card {
                label: "Ocupação no dia".into(),
                value: fmt::pct(hospital.and_then(|h| h.occupancy_percent)),
                note: None,
                alert: false,
            },
            Card {
                label: "Média móvel de 7 dias".into(),
                value: fmt::pct(hospital.and_then(|h| h.moving_average_7d_percent)),
                note: None,
                alert: false,
            },
            Card {
                label: "Pacientes-dia / leitos-dia".into(),
                value: hospital.map_or_else(
                    || NONE.to_string(),
                    |h| {
                        format!(
                            "{} / {}",
                            fmt::int(h.patient_days),
                            fmt::int(h.available_bed_days)
                        )
                    },
                ),
                note: None,
                alert: false,
            },
            Card {
                label: "Setores acima do limite".into(),
                value: fmt::int(in_alert as i64),
                note: None,
                alert: in_alert > 0,
            },
        ],
        4,
    );

    let columns = [
        col("Setor", 3.0, Align::Left),
        col("Pacientes-dia", 1.3, Align::Right),
        col("Leitos-dia disponíveis", 1.5, Align::Right),
        col("Ocupação", 1.2, Align::Right),
        col("Média 7 dias", 1.2, Align::Right),
        col("Alerta", 3.0, Align::Left),
    ];
    let figures = |row: Option<&OccupancyRow>| -> Vec<Cell> {
        match row {
            Some(x) => vec![
                fmt::int(x.patient_days).into(),
                fmt::int(x.available_bed_days).into(),
                fmt::pct(x.occupancy_percent).into(),
                fmt::pct(x.moving_average_7d_percent).into(),
            ],
            None => vec![NONE.into(), NONE.into(), NONE.into(), NONE.into()],
        }
    };
    let mut rows: Vec<Row> = o
        .sectors
        .iter()
        .map(|s| {
            let mut cells: Vec<Cell> = vec![s.name.as_str().into()];
            cells.extend(figures(day_row(&s.rows, r.date)));
            match &s.alert {
                Some(a) => {
                    cells.push(Cell::alert(format!(
                        "Acima do limite há {} {} (desde {})",
                        a.days,
                        if a.days == 1 { "dia" } else { "dias" },
                        fmt::day(a.since)
                    )));
                    Row::new(cells).kind(RowKind::Alert)
                }
                None => {
                    cells.push(NONE.into());
                    Row::new(cells)
                }
            }
        })
        .collect();
    let mut total: Vec<Cell> = vec!["Hospital".into()];
    total.extend(figures(hospital));
    total.push("".into());
    rows.push(Row::new(total).kind(RowKind::Total));
    l.table(&columns, &rows, "Nenhum setor com censo no dia.");

    // The trend.
    let first = o
        .hospital
        .iter()
        .chain(o.sectors.iter().flat_map(|s| &s.rows))
        .map(|x| x.start)
        .min()
        .unwrap_or_else(|| r.date.checked_sub_days(Days::new(29)).unwrap_or(r.date));
    let last = r.date;
    let mut series = vec![chart::Series {
        name: "Hospital",
        color: INK,
        width: 2.2,
        points: o
            .hospital
            .iter()
            .map(|x| (x.start, x.occupancy_percent))
            .collect(),
    }];
    for (i, s) in o.sectors.iter().enumerate() {
        series.push(chart::Series {
            name: &s.name,
            color: PALETTE[i % PALETTE.len()],
            width: 1.1,
            points: s
                .rows
                .iter()
                .map(|x| (x.start, x.occupancy_percent))
                .collect(),
        });
    }
    let days = (last - first).num_days() + 1;
    if series
        .iter()
        .all(|s| s.points.iter().all(|p| p.1.is_none()))
    {
        l.subheading(
            &format!("Taxa de ocupação diária — últimos {days} dias"),
            20.0,
        );
        l.paragraph("Sem censo no período.", 9.0, MUTED);
        return Ok(page);
    }
    let legend_lines = legend_height(l, &series);
    let chart_h = 250.0;
    l.subheading(
        &format!("Taxa de ocupação diária — últimos {days} dias"),
        chart_h + legend_lines + 10.0,
    );
    l.y += 4.0;
    let ops = chart::occupancy(l.fonts, (LEFT, l.y, WIDTH, chart_h), first, last, &series)?;
    l.extend(ops);
    l.y += chart_h + 6.0;
    legend(l, &series);
    Ok(page)
}

const SWATCH: f32 = 18.0;

fn legend_items(l: &Layout<'_>, series: &[chart::Series<'_>]) -> Vec<Vec<usize>> {
    let mut lines: Vec<Vec<usize>> = vec![Vec::new()];
    let mut x = 0.0;
    for (i, s) in series.iter().enumerate() {
        let w = SWATCH + 5.0 + l.fonts.face(i == 0).width(s.name, 8.0) + 16.0;
        if x + w > WIDTH - 50.0 && x > 0.0 {
            lines.push(Vec::new());
            x = 0.0;
        }
        if let Some(line) = lines.last_mut() {
            line.push(i);
        }
        x += w;
    }
    lines
}

fn legend_height(l: &Layout<'_>, series: &[chart::Series<'_>]) -> f32 {
    legend_items(l, series).len() as f32 * 14.0 + 6.0
}

fn legend(l: &mut Layout<'_>, series: &[chart::Series<'_>]) {
    for line in legend_items(l, series) {
        let mut x = LEFT + 50.0;
        l.y += 10.0;
        for i in line {
            let s = &series[i];
            l.push(Op::Line {
                points: vec![(x, l.y - 3.0), (x + SWATCH, l.y - 3.0)],
                width: s.width.max(1.8),
                color: s.color,
                opacity: 1.0,
                dashed: false,
            });
            x += SWATCH + 5.0;
            l.text((x, l.y), 8.0, i == 0, INK, s.name);
            x += l.fonts.face(i == 0).width(s.name, 8.0) + 16.0;
        }
        l.y += 4.0;
    }
    l.y += 6.0;
}

fn appointments(l: &mut Layout<'_>, r: &DailyReport) -> usize {
    let a = &r.appointments;
    l.section(
        "Consultas por especialidade",
        &format!("dia {}", fmt::day(r.date)),
        90.0,
    );
    let page = l.pages.len();
    let columns = [
        col("Especialidade", 3.2, Align::Left),
        col("Total", 1.0, Align::Right),
        col("Agendadas", 1.1, Align::Right),
        col("Check-in", 1.0, Align::Right),
        col("Realizadas", 1.1, Align::Right),
        col("Canceladas", 1.1, Align::Right),
        col("Faltas", 1.0, Align::Right),
    ];
    let mut sum = [0_i64; 6];
    let mut rows: Vec<Row> = a
        .groups
        .iter()
        .map(|g| {
            let mut n = [0_i64; 6];
            for x in &g.rows {
                for (slot, v) in n.iter_mut().zip([
                    x.total,
                    x.booked,
                    x.checked_in,
                    x.fulfilled,
                    x.cancelled,
                    x.noshow,
                ]) {
                    *slot += v;
                }
            }
            for (s, v) in sum.iter_mut().zip(n) {
                *s += v;
            }
            let mut cells: Vec<Cell> = vec![g.name.as_str().into()];
            cells.extend(n.iter().map(|v| Cell::from(fmt::int(*v))));
            Row::new(cells)
        })
        .collect();
    if !rows.is_empty() {
        let mut cells: Vec<Cell> = vec!["Total".into()];
        cells.extend(sum.iter().map(|v| Cell::from(fmt::int(*v))));
        rows.push(Row::new(cells).kind(RowKind::Total));
    }
    l.table(&columns, &rows, "Nenhuma consulta no dia.");

    if !a.alerts.is_empty() {
        l.subheading("Queda de demanda", 60.0);
        let columns = [
            col("Especialidade", 3.2, Align::Left),
            col("Últimos 7 dias", 1.4, Align::Right),
            col("Média semanal (4 semanas anteriores)", 2.2, Align::Right),
            col("Queda", 1.2, Align::Right),
        ];
        let rows: Vec<Row> = a
            .alerts
            .iter()
            .map(|x| {
                Row::new(vec![
                    x.name.as_str().into(),
                    fmt::int(x.last_7_days).into(),
                    fmt::dec(x.weekly_average_4_weeks, 1).into(),
                    Cell::alert(fmt::pct(Some(x.drop_percent))),
                ])
            })
            .collect();
        l.table(&columns, &rows, "");
    }
    page
}

fn billing(l: &mut Layout<'_>, r: &DailyReport) -> usize {
    let b = &r.billing;
    let month_start = r.date.with_day(1).unwrap_or(r.date);
    l.section(
        "Faturamento por convênio",
        &format!(
            "mês até o dia, de {} a {}",
            fmt::day(month_start),
            fmt::day(r.date)
        ),
        110.0,
    );
    let page = l.pages.len();
    let t = &b.totals;
    l.cards(
        &[
            Card {
                label: "Faturado".into(),
                value: fmt::money(Some(t.billed_cents)),
                note: Some(format!("{} lançamentos", fmt::int(t.entries))),
                alert: false,
            },
            Card {
                label: "Recebido".into(),
                value: fmt::money(Some(t.received_cents)),
                note: None,
                alert: false,
            },
            Card {
                label: "Pendente".into(),
                value: fmt::money(Some(t.pending_cents)),
                note: None,
                alert: false,
            },
            Card {
                // The month's entries only; all that is overdue is in the table below.
                label: "Vencido (emitidos no mês)".into(),
                value: fmt::money(Some(t.overdue_cents)),
                note: Some(format!(
                    "inadimplência: {}",
                    fmt::pct(t.overdue_rate_percent)
                )),
                alert: t.overdue_cents > 0,
            },
        ],
        4,
    );
    let columns = [
        col("Convênio", 1.85, Align::Left),
        col("Lança-\nmentos", 1.0, Align::Right),
        col("Faturado", 1.7, Align::Right),
        col("Recebido", 1.7, Align::Right),
        col("Pendente", 1.7, Align::Right),
        col("Vencido", 1.6, Align::Right),
        col("Inadim-\nplência", 0.95, Align::Right),
        col("Ticket médio", 1.45, Align::Right),
    ];
    let figures = |name: &str, f: &hospital_core::analytics::model::BillingFigures, worst: bool| {
        vec![
            name.into(),
            fmt::int(f.entries).into(),
            fmt::money(Some(f.billed_cents)).into(),
            fmt::money(Some(f.received_cents)).into(),
            fmt::money(Some(f.pending_cents)).into(),
            fmt::money(Some(f.overdue_cents)).into(),
            if worst {
                Cell::alert(fmt::pct(f.overdue_rate_percent))
            } else {
                fmt::pct(f.overdue_rate_percent).into()
            },
            fmt::money(f.average_ticket_cents).into(),
        ]
    };
    let mut rows: Vec<Row> = b
        .insurers
        .iter()
        .map(|i| {
            let worst = i.insurer_id.is_some()
                && i.insurer_id.as_deref() == b.highest_overdue_rate_insurer_id.as_deref();
            let name = if i.insurer_id.is_none() && i.name.trim().is_empty() {
                "Particular"
            } else {
                i.name.as_str()
            };
            let row = Row::new(figures(name, &i.figures, worst));
            if worst { row.kind(RowKind::Alert) } else { row }
        })
        .collect();
    if !rows.is_empty() {
        rows.push(Row::new(figures("Total", t, false)).kind(RowKind::Total));
    }
    l.table(&columns, &rows, "Nenhum lançamento no mês.");
    let worst = b.highest_overdue_rate_insurer_id.as_deref().and_then(|id| {
        b.insurers
            .iter()
            .find(|i| i.insurer_id.as_deref() == Some(id))
    });
    if let Some(w) = worst {
        l.paragraph(
            &format!(
                "Maior taxa de inadimplência: {} ({}).",
                w.name,
                fmt::pct(w.figures.overdue_rate_percent)
            ),
            8.5,
            ALERT,
        );
    }
    let o = &r.overdue;
    l.subheading(
        &format!(
            "Vencido a receber em {}: {} — lançamentos pendentes de qualquer mês",
            fmt::day(r.date),
            fmt::money(Some(o.total_cents))
        ),
        60.0,
    );
    let columns = [
        col("Convênio", 3.0, Align::Left),
        col("Lançamentos", 1.2, Align::Right),
        col("Vencido", 1.6, Align::Right),
        col("Vencido desde", 1.4, Align::Right),
    ];
    let mut rows: Vec<Row> = o
        .insurers
        .iter()
        .map(|i| {
            Row::new(vec![
                i.name.as_str().into(),
                fmt::int(i.entries).into(),
                Cell::alert(fmt::money(Some(i.total_cents))),
                fmt::day(i.oldest_due_on).into(),
            ])
        })
        .collect();
    if !rows.is_empty() {
        rows.push(
            Row::new(vec![
                "Total".into(),
                fmt::int(o.entries).into(),
                fmt::money(Some(o.total_cents)).into(),
                "".into(),
            ])
            .kind(RowKind::Total),
        );
    }
    l.table(&columns, &rows, "Nada vencido a receber.");
    page
}

fn length_of_stay(l: &mut Layout<'_>, r: &DailyReport) -> usize {
    let s = &r.length_of_stay;
    let from = r.date.checked_sub_days(Days::new(29)).unwrap_or(r.date);
    l.section(
        "Tempo de permanência",
        &format!("altas de {} a {}", fmt::day(from), fmt::day(r.date)),
        110.0,
    );
    let page = l.pages.len();
    l.cards(
        &[
            Card {
                label: "Altas".into(),
                value: fmt::int(s.discharges),
                note: None,
                alert: false,
            },
            Card {
                label: "Pacientes-dia".into(),
                value: fmt::int(s.patient_days),
                note: None,
                alert: false,
            },
            Card {
                label: "Permanência média".into(),
                value: s
                    .average_stay_days
                    .map_or_else(|| NONE.to_string(), |d| format!("{} dias", fmt::dec(d, 2))),
                note: None,
                alert: false,
            },
        ],
        3,
    );
    let columns = [
        col("CID-10", 0.9, Align::Left),
        col("Diagnóstico", 4.0, Align::Left),
        col("Altas", 0.8, Align::Right),
        col("Média (dias)", 1.1, Align::Right),
        col("Mediana (dias)", 1.1, Align::Right),
        col("P90 (dias)", 1.0, Align::Right),
    ];
    let rows: Vec<Row> = s
        .groups
        .iter()
        .map(|g| {
            Row::new(vec![
                g.code.as_str().into(),
                g.text.as_str().into(),
                fmt::int(g.discharges).into(),
                fmt::days(Some(g.mean_days)).into(),
                fmt::days(Some(g.median_days)).into(),
                fmt::days(Some(g.p90_days)).into(),
            ])
        })
        .collect();
    l.table(&columns, &rows, "Nenhuma alta no período.");
    page
}

fn readmissions(l: &mut Layout<'_>, r: &DailyReport) -> usize {
    let x = &r.readmissions;
    let from = r.date.checked_sub_days(Days::new(29)).unwrap_or(r.date);
    l.section(
        "Reinternações",
        &format!(
            "internações de {} a {}, reinternação em até 30 dias",
            fmt::day(from),
            fmt::day(r.date)
        ),
        110.0,
    );
    let page = l.pages.len();
    l.cards(
        &[
            Card {
                label: "Internações".into(),
                value: fmt::int(x.admissions),
                note: None,
                alert: false,
            },
            Card {
                label: "Reinternações".into(),
                value: fmt::int(x.readmissions),
                note: None,
                alert: false,
            },
            Card {
                label: "Taxa de reinternação".into(),
                value: fmt::pct(x.rate_percent),
                note: None,
                alert: false,
            },
        ],
        3,
    );
    l.subheading("Principais diagnósticos", 50.0);
    let columns = [
        col("CID-10", 1.4, Align::Left),
        col("Reinternações", 1.2, Align::Right),
        col("Participação", 1.2, Align::Right),
        col("", 3.6, Align::Left),
    ];
    let rows: Vec<Row> = x
        .top_diagnoses
        .iter()
        .map(|d| {
            let share =
                (x.readmissions > 0).then(|| d.count as f64 * 100.0 / x.readmissions as f64);
            Row::new(vec![
                d.code.as_str().into(),
                fmt::int(d.count).into(),
                fmt::pct(share).into(),
                Cell::bar((share.unwrap_or(0.0) / 100.0) as f32),
            ])
        })
        .collect();
    l.table(&columns, &rows, "Nenhuma reinternação no período.");

    l.subheading("Reinternações do período", 50.0);
    let columns = [
        col("Paciente", 2.1, Align::Left),
        col("Diagnóstico", 2.6, Align::Left),
        col("Setor", 1.4, Align::Left),
        col("Reinternação", 1.1, Align::Right),
        col("Alta anterior", 1.1, Align::Right),
        col("Dias após a alta", 1.1, Align::Right),
    ];
    let rows: Vec<Row> = r
        .readmitted
        .iter()
        .map(|i| {
            Row::new(vec![
                i.patient_name.as_str().into(),
                format!("{} {}", i.diagnosis_code, i.diagnosis_text).into(),
                i.sector_name.as_str().into(),
                fmt::day(i.admitted_on).into(),
                i.previous_discharged_on
                    .map_or_else(|| NONE.to_string(), fmt::day)
                    .into(),
                fmt::dec(i.days_since_discharge, 1).into(),
            ])
        })
        .collect();
    l.table(&columns, &rows, "Nenhuma reinternação no período.");
    page
}

fn coverage(l: &mut Layout<'_>, r: &DailyReport) -> usize {
    l.section(
        "Cobertura de medicamentos",
        "estoque atual e consumo dos últimos 30 dias",
        80.0,
    );
    let page = l.pages.len();
    let columns = [
        col("Medicamento", 3.5, Align::Left),
        col("Estoque", 0.9, Align::Right),
        col("Dispensado (30 dias)", 1.15, Align::Right),
        col("Consumo médio/dia", 1.1, Align::Right),
        col("Cobertura (dias)", 1.05, Align::Right),
        col("Situação", 1.6, Align::Left),
    ];
    let rows: Vec<Row> = r
        .coverage
        .items
        .iter()
        .map(|i| {
            let status = if i.below_threshold {
                Cell::alert("Abaixo do limite")
            } else {
                "Adequada".into()
            };
            Row::new(vec![
                i.name.as_str().into(),
                fmt::int(i.stock_quantity).into(),
                fmt::int(i.dispensed).into(),
                fmt::dec(i.average_daily_use, 2).into(),
                fmt::days(i.coverage_days).into(),
                status,
            ])
        })
        .collect();
    l.table(
        &columns,
        &rows,
        "Nenhum medicamento abaixo do limite de cobertura.",
    );
    l.subheading("Sem estoque ou abaixo do mínimo", 50.0);
    let columns = [
        col("Medicamento", 3.5, Align::Left),
        col("Estoque", 1.6, Align::Right),
        col("Mínimo", 1.6, Align::Right),
        col("Situação", 1.6, Align::Left),
    ];
    let rows: Vec<Row> = r
        .stock
        .iter()
        .map(|m| {
            Row::new(vec![
                m.name.as_str().into(),
                fmt::count(m.stock_quantity, &m.unit).into(),
                fmt::count(m.minimum_stock, &m.unit).into(),
                Cell::alert(if m.stock_quantity <= 0 {
                    "Sem estoque"
                } else {
                    "Abaixo do mínimo"
                }),
            ])
        })
        .collect();
    l.table(
        &columns,
        &rows,
        "Nenhum medicamento sem estoque ou abaixo do mínimo.",
    );
    page
}

fn alerts(l: &mut Layout<'_>, r: &DailyReport) -> usize {
    l.section("Alertas", &format!("{} no total", r.alerts.len()), 70.0);
    let page = l.pages.len();
    if r.alerts.is_empty() {
        l.paragraph("Nenhum alerta", 10.0, INK);
        return page;
    }
    let columns = [
        col("#", 0.35, Align::Right),
        col("Tipo", 1.3, Align::Left),
        col("Descrição", 7.0, Align::Left),
    ];
    let rows: Vec<Row> = r
        .alerts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            Row::new(vec![
                (i + 1).to_string().into(),
                Cell::alert(fmt::alert_kind(&a.kind)),
                a.message.as_str().into(),
            ])
        })
        .collect();
    l.table(&columns, &rows, "Nenhum alerta");
    page
}
