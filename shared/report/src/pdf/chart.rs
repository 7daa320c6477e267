//! The occupancy trend: plotters lays the chart out (scales, ticks, grid, labels) and draws
//! it through [`Recorder`], a backend that turns each stroke, fill and label into the page's
//! vector operations: the chart stays sharp at any zoom, and its text is real text.

use std::fmt;

use chrono::{Days, NaiveDate};
use plotters::prelude::*;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind, FontStyle,
    FontTransform,
};

use super::canvas::{self, Op};
use super::font::Fonts;

/// Backend units per point: plotters works in integer pixels, so the chart is laid out at
/// 4× and scaled down, a quarter of a point being fine enough for any line.
const K: f32 = 4.0;

fn pt(v: f32) -> i32 {
    (v * K).round() as i32
}

#[derive(Debug)]
pub(crate) struct ChartError(String);

impl fmt::Display for ChartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ChartError {}

/// Records what plotters draws as page operations, at `(x, y)` on the page.
pub(crate) struct Recorder<'a> {
    fonts: &'a Fonts,
    ops: &'a mut Vec<Op>,
    x: f32,
    y: f32,
    w: u32,
    h: u32,
}

type Result<T = ()> = std::result::Result<T, DrawingErrorKind<ChartError>>;

impl<'a> Recorder<'a> {
    pub fn new(fonts: &'a Fonts, ops: &'a mut Vec<Op>, (x, y, w, h): (f32, f32, f32, f32)) -> Self {
        Recorder {
            fonts,
            ops,
            x,
            y,
            w: pt(w).max(1) as u32,
            h: pt(h).max(1) as u32,
        }
    }

    fn at(&self, (x, y): BackendCoord) -> (f32, f32) {
        (self.x + x as f32 / K, self.y + y as f32 / K)
    }

    fn color(c: BackendColor) -> canvas::Color {
        canvas::Color(c.rgb.0, c.rgb.1, c.rgb.2)
    }
}

impl DrawingBackend for Recorder<'_> {
    type ErrorType = ChartError;

    fn get_size(&self) -> (u32, u32) {
        (self.w, self.h)
    }

    fn ensure_prepared(&mut self) -> Result {
        Ok(())
    }

    fn present(&mut self) -> Result {
        Ok(())
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result {
        let (x, y) = self.at(point);
        self.ops.push(Op::Rect {
            x,
            y,
            w: 1.0 / K,
            h: 1.0 / K,
            fill: Self::color(color),
            opacity: color.alpha as f32,
        });
        Ok(())
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result {
        self.draw_path([from, to], style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result {
        let c = style.color();
        if c.alpha == 0.0 {
            return Ok(());
        }
        let (x0, y0) = self.at(upper_left);
        let (x1, y1) = self.at(bottom_right);
        if fill {
            self.ops.push(Op::Rect {
                x: x0.min(x1),
                y: y0.min(y1),
                w: (x1 - x0).abs(),
                h: (y1 - y0).abs(),
                fill: Self::color(c),
                opacity: c.alpha as f32,
            });
        } else {
            self.ops.push(Op::Line {
                points: vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)],
                width: style.stroke_width() as f32 / K,
                color: Self::color(c),
                opacity: c.alpha as f32,
                dashed: false,
            });
        }
        Ok(())
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result {
        let c = style.color();
        if c.alpha == 0.0 || style.stroke_width() == 0 {
            return Ok(());
        }
        let points: Vec<_> = path.into_iter().map(|p| self.at(p)).collect();
        if points.len() > 1 {
            self.ops.push(Op::Line {
                points,
                width: style.stroke_width() as f32 / K,
                color: Self::color(c),
                opacity: c.alpha as f32,
                dashed: false,
            });
        }
        Ok(())
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result {
        let c = style.color();
        if c.alpha == 0.0 {
            return Ok(());
        }
        let (cx, cy) = self.at(center);
        let r = radius as f32 / K;
        let points: Vec<_> = (0..=24)
            .map(|i| {
                let a = i as f32 / 24.0 * std::f32::consts::TAU;
                (cx + r * a.cos(), cy + r * a.sin())
            })
            .collect();
        if fill {
            self.ops.push(Op::Polygon {
                points,
                fill: Self::color(c),
                opacity: c.alpha as f32,
            });
        } else {
            self.ops.push(Op::Line {
                points,
                width: style.stroke_width() as f32 / K,
                color: Self::color(c),
                opacity: c.alpha as f32,
                dashed: false,
            });
        }
        Ok(())
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result {
        let c = style.color();
        if c.alpha == 0.0 {
            return Ok(());
        }
        let points: Vec<_> = vert.into_iter().map(|p| self.at(p)).collect();
        self.ops.push(Op::Polygon {
            points,
            fill: Self::color(c),
            opacity: c.alpha as f32,
        });
        Ok(())
    }

    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Result {
        let c = style.color();
        if c.alpha == 0.0 || text.is_empty() {
            return Ok(());
        }
        let bold = matches!(style.style(), FontStyle::Bold);
        let face = self.fonts.face(bold);
        let size = style.size() as f32 / K;
        let w = face.width(text, size);
        let h = (face.ascent + face.descent) * size;
        let anchor = style.anchor();
        // Where the baseline starts, relative to `pos`, before any rotation.
        let dx = match anchor.h_pos {
            HPos::Left => 0.0,
            HPos::Center => -w / 2.0,
            HPos::Right => -w,
        };
        let top = match anchor.v_pos {
            VPos::Top => 0.0,
            VPos::Center => -h / 2.0,
            VPos::Bottom => -h,
        };
        let dy = top + face.ascent * size;
        let (px, py) = self.at(pos);
        let (x, y, upward) = match style.transform() {
            FontTransform::Rotate270 => (px + dy, py - dx, true),
            _ => (px + dx, py + dy, false),
        };
        self.ops.push(Op::Text {
            x,
            y,
            size,
            bold,
            color: Self::color(c),
            text: text.to_string(),
            upward,
        });
        Ok(())
    }

    fn estimate_text_size<TStyle: BackendTextStyle>(
        &self,
        text: &str,
        style: &TStyle,
    ) -> Result<(u32, u32)> {
        let face = self.fonts.face(matches!(style.style(), FontStyle::Bold));
        let size = style.size() as f32;
        let w = face.width(text, size);
        let h = (face.ascent + face.descent) * size;
        Ok((w.ceil() as u32, h.ceil() as u32))
    }
}

/// One line of the chart.
pub(crate) struct Series<'a> {
    pub name: &'a str,
    pub color: canvas::Color,
    /// Points in pt of line width.
    pub width: f32,
    /// `(day, percent)`; a day without a figure breaks the line.
    pub points: Vec<(NaiveDate, Option<f64>)>,
}

/// Draws the occupancy chart (`series` over the days `first..=last`) into a `w`×`h` box at
/// `(x, y)` on the page, and returns its operations.
pub(crate) fn occupancy(
    fonts: &Fonts,
    area: (f32, f32, f32, f32),
    first: NaiveDate,
    last: NaiveDate,
    series: &[Series<'_>],
) -> std::result::Result<Vec<Op>, String> {
    let mut ops = Vec::new();
    draw(Recorder::new(fonts, &mut ops, area), first, last, series)
        .map_err(|e| format!("chart: {e}"))?;
    Ok(ops)
}

fn draw(
    recorder: Recorder<'_>,
    first: NaiveDate,
    last: NaiveDate,
    series: &[Series<'_>],
) -> std::result::Result<(), String> {
    let e = |e: DrawingAreaErrorKind<ChartError>| e.to_string();
    let span = (last - first).num_days().max(1) as f64;
    let max = series
        .iter()
        .flat_map(|s| s.points.iter().filter_map(|p| p.1))
        .fold(100.0_f64, f64::max);
    let top = (max / 10.0).ceil() * 10.0;

    let ink = RGBColor(0x1d, 0x29, 0x39);
    let muted = RGBColor(0x5b, 0x67, 0x78);
    let label = ("sans-serif", pt(7.5)).into_font().color(&muted);
    let desc = ("sans-serif", pt(8.0)).into_font().color(&ink);
    // Days are counted back from the last (0), so the ticks fall on it and every few days
    // before it.
    let x_label = |v: &f64| {
        let d = last.checked_sub_days(Days::new((-v).round().max(0.0) as u64));
        d.map(|d| d.format("%d/%m").to_string()).unwrap_or_default()
    };
    let y_label = |v: &f64| format!("{v:.0}%");

    let root = recorder.into_drawing_area();
    let mut chart = ChartBuilder::on(&root)
        .margin_top(pt(6.0))
        .margin_right(pt(10.0))
        .x_label_area_size(pt(30.0))
        .y_label_area_size(pt(44.0))
        .build_cartesian_2d(-span - 0.5..0.5, 0.0..top)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_labels(((span as usize) / 3).max(2))
        .y_labels(((top / 10.0) as usize) + 1)
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .label_style(label)
        .axis_desc_style(desc)
        .x_desc("Dia")
        .y_desc("Ocupação (%)")
        .set_all_tick_mark_size(pt(3.0))
        .bold_line_style(Color::stroke_width(
            &RGBColor(0xe3, 0xe7, 0xec),
            pt(0.5) as u32,
        ))
        .light_line_style(TRANSPARENT)
        .axis_style(Color::stroke_width(
            &RGBColor(0x9a, 0xa4, 0xb2),
            pt(0.75) as u32,
        ))
        .draw()
        .map_err(e)?;

    for s in series {
        let color = RGBColor(s.color.0, s.color.1, s.color.2);
        let style = Color::stroke_width(&color, pt(s.width).max(1) as u32);
        // Consecutive days with a figure make one stretch of line.
        let mut stretch: Vec<(f64, f64)> = Vec::new();
        let mut stretches = Vec::new();
        for (day, value) in &s.points {
            let at = -((last - *day).num_days() as f64);
            match value {
                Some(v) => stretch.push((at, *v)),
                None => stretches.push(std::mem::take(&mut stretch)),
            }
        }
        stretches.push(stretch);
        for stretch in stretches.into_iter().filter(|s| !s.is_empty()) {
            if stretch.len() == 1 {
                chart
                    .draw_series(
                        stretch
                            .iter()
                            .map(|p| Circle::new(*p, pt(1.5), color.filled())),
                    )
                    .map_err(e)?;
            } else {
                chart
                    .draw_series(LineSeries::new(stretch, style))
                    .map_err(e)?;
            }
        }
    }
    root.present().map_err(e)?;
    Ok(())
}
