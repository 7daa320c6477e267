//! What a page holds, drawn only once the whole report is laid out (so a footer can say
//! "Página 2 de 6"), and its drawing with krilla.

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Transform};
use krilla::num::NormalizedF32;
use krilla::paint::{Fill, LineCap, LineJoin, Stroke, StrokeDash};
use krilla::surface::Surface;

use super::font::Fonts;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Color(pub u8, pub u8, pub u8);

impl Color {
    fn paint(self) -> rgb::Color {
        rgb::Color::new(self.0, self.1, self.2)
    }
}

pub(crate) const INK: Color = Color(0x1d, 0x29, 0x39);
pub(crate) const MUTED: Color = Color(0x5b, 0x67, 0x78);
pub(crate) const BRAND: Color = Color(0x0b, 0x4f, 0x6c);
pub(crate) const BRAND_LIGHT: Color = Color(0xe6, 0xf0, 0xf4);
pub(crate) const ZEBRA: Color = Color(0xf4, 0xf6, 0xf8);
pub(crate) const RULE: Color = Color(0xd0, 0xd5, 0xdd);
pub(crate) const ALERT: Color = Color(0xb4, 0x23, 0x18);
pub(crate) const ALERT_LIGHT: Color = Color(0xfd, 0xec, 0xea);
pub(crate) const WHITE: Color = Color(0xff, 0xff, 0xff);

/// One thing drawn on a page; coordinates in points from the page's top left corner.
#[derive(Debug, Clone)]
pub(crate) enum Op {
    /// `(x, y)` is where the baseline starts.
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        color: Color,
        text: String,
        /// Reads bottom to top (a vertical axis title).
        upward: bool,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Color,
        opacity: f32,
    },
    Line {
        points: Vec<(f32, f32)>,
        width: f32,
        color: Color,
        opacity: f32,
        dashed: bool,
    },
    Polygon {
        points: Vec<(f32, f32)>,
        fill: Color,
        opacity: f32,
    },
}

fn opacity(o: f32) -> NormalizedF32 {
    NormalizedF32::new(o.clamp(0.0, 1.0)).unwrap_or(NormalizedF32::ONE)
}

fn polyline(points: &[(f32, f32)], close: bool) -> Option<krilla::geom::Path> {
    let (first, rest) = points.split_first()?;
    let mut pb = PathBuilder::new();
    pb.move_to(first.0, first.1);
    for p in rest {
        pb.line_to(p.0, p.1);
    }
    if close {
        pb.close();
    }
    pb.finish()
}

pub(crate) fn draw(surface: &mut Surface<'_>, fonts: &Fonts, ops: &[Op]) {
    for op in ops {
        match op {
            Op::Text {
                x,
                y,
                size,
                bold,
                color,
                text,
                upward,
            } => {
                let face = fonts.face(*bold);
                let glyphs = face.glyphs(text);
                surface.set_stroke(None);
                surface.set_fill(Some(Fill {
                    paint: color.paint().into(),
                    opacity: NormalizedF32::ONE,
                    rule: Default::default(),
                }));
                if *upward {
                    // Rotated a quarter turn counter-clockwise about (x, y).
                    surface.push_transform(&Transform::from_row(0.0, -1.0, 1.0, 0.0, *x, *y));
                    surface.draw_glyphs(
                        Point::from_xy(0.0, 0.0),
                        &glyphs,
                        face.font.clone(),
                        text,
                        *size,
                        false,
                    );
                    surface.pop();
                } else {
                    surface.draw_glyphs(
                        Point::from_xy(*x, *y),
                        &glyphs,
                        face.font.clone(),
                        text,
                        *size,
                        false,
                    );
                }
            }
            Op::Rect {
                x,
                y,
                w,
                h,
                fill,
                opacity: o,
            } => {
                let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) else {
                    continue;
                };
                let mut pb = PathBuilder::new();
                pb.push_rect(rect);
                let Some(path) = pb.finish() else { continue };
                surface.set_stroke(None);
                surface.set_fill(Some(Fill {
                    paint: fill.paint().into(),
                    opacity: opacity(*o),
                    rule: Default::default(),
                }));
                surface.draw_path(&path);
            }
            Op::Line {
                points,
                width,
                color,
                opacity: o,
                dashed,
            } => {
                let Some(path) = polyline(points, false) else {
                    continue;
                };
                surface.set_fill(None);
                surface.set_stroke(Some(Stroke {
                    paint: color.paint().into(),
                    width: *width,
                    line_cap: LineCap::Round,
                    line_join: LineJoin::Round,
                    opacity: opacity(*o),
                    dash: dashed.then(|| StrokeDash {
                        array: vec![3.0 * width.max(0.5), 2.0 * width.max(0.5)],
                        offset: 0.0,
                    }),
                    ..Default::default()
                }));
                surface.draw_path(&path);
            }
            Op::Polygon {
                points,
                fill,
                opacity: o,
            } => {
                let Some(path) = polyline(points, true) else {
                    continue;
                };
                surface.set_stroke(None);
                surface.set_fill(Some(Fill {
                    paint: fill.paint().into(),
                    opacity: opacity(*o),
                    rule: Default::default(),
                }));
                surface.draw_path(&path);
            }
        }
    }
    surface.set_fill(None);
    surface.set_stroke(None);
}
