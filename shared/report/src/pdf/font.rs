//! The embedded font (Liberation Sans, SIL OFL 1.1: `fonts/LICENSE-OFL.txt`) and the little
//! text layout the report needs: one glyph per character and the font's advances, no shaping.
//! Portuguese text in Latin script needs nothing more, and it keeps a shaping engine out of
//! the binary.

use krilla::Data;
use krilla::text::{Font, GlyphId, KrillaGlyph};
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider, charmap::Charmap};

static REGULAR: &[u8] = include_bytes!("../../fonts/LiberationSans-Regular.ttf");
static BOLD: &[u8] = include_bytes!("../../fonts/LiberationSans-Bold.ttf");

/// One face: the PDF font and its metrics (in em units).
pub(crate) struct Face {
    pub font: Font,
    charmap: Charmap<'static>,
    metrics: GlyphMetrics<'static>,
    units_per_em: f32,
    /// Above the baseline, in em.
    pub ascent: f32,
    /// Below the baseline, in em (positive).
    pub descent: f32,
}

impl Face {
    fn load(data: &'static [u8], name: &str) -> Result<Face, String> {
        let font =
            Font::new(Data::from(data), 0).ok_or_else(|| format!("font {name}: unreadable"))?;
        let face = FontRef::new(data).map_err(|e| format!("font {name}: {e}"))?;
        let m = face.metrics(Size::unscaled(), LocationRef::default());
        let units_per_em = f32::from(m.units_per_em.max(1));
        Ok(Face {
            font,
            charmap: face.charmap(),
            metrics: face.glyph_metrics(Size::unscaled(), LocationRef::default()),
            units_per_em,
            ascent: m.ascent / units_per_em,
            descent: m.descent.abs() / units_per_em,
        })
    }

    fn glyph(&self, c: char) -> (GlyphId, f32) {
        let id = self.charmap.map(c).unwrap_or_default();
        let advance = self.metrics.advance_width(id).unwrap_or(0.0) / self.units_per_em;
        (GlyphId::new(id.to_u32()), advance)
    }

    /// The glyphs of `text` on one line, advances in em.
    pub fn glyphs(&self, text: &str) -> Vec<KrillaGlyph> {
        text.char_indices()
            .map(|(i, c)| {
                let (id, advance) = self.glyph(c);
                KrillaGlyph::new(id, advance, 0.0, 0.0, 0.0, i..i + c.len_utf8(), None)
            })
            .collect()
    }

    /// The width of `text` at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.glyph(c).1).sum::<f32>() * size
    }

    /// The largest size from `size` down to `min` at which `text` is at most `max` wide.
    pub fn size_to_fit(&self, text: &str, size: f32, min: f32, max: f32) -> f32 {
        let w = self.width(text, size);
        if w <= max || w <= 0.0 {
            size
        } else {
            (size * max / w * 0.995).max(min)
        }
    }

    /// `text` cut to `max` points wide, with an ellipsis when cut.
    pub fn fit(&self, text: &str, size: f32, max: f32) -> String {
        if self.width(text, size) <= max {
            return text.to_string();
        }
        let ellipsis = self.width("…", size);
        let mut out = String::new();
        let mut w = 0.0;
        for c in text.chars() {
            let cw = self.glyph(c).1 * size;
            if w + cw + ellipsis > max {
                break;
            }
            w += cw;
            out.push(c);
        }
        out.truncate(out.trim_end().len());
        out.push('…');
        out
    }

    /// `text` broken into lines at most `max` points wide (at spaces; a word wider than a
    /// line is broken where it must).
    pub fn wrap(&self, text: &str, size: f32, max: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line = String::new();
            for word in paragraph.split_whitespace() {
                let candidate = if line.is_empty() {
                    word.to_string()
                } else {
                    format!("{line} {word}")
                };
                if self.width(&candidate, size) <= max {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                // The word alone: broken by characters when even it does not fit.
                for c in word.chars() {
                    let mut next = line.clone();
                    next.push(c);
                    if !line.is_empty() && self.width(&next, size) > max {
                        lines.push(std::mem::take(&mut line));
                        line.push(c);
                    } else {
                        line = next;
                    }
                }
            }
            lines.push(line);
        }
        lines
    }
}

/// The report's two faces.
pub(crate) struct Fonts {
    pub regular: Face,
    pub bold: Face,
}

impl Fonts {
    pub fn load() -> Result<Fonts, String> {
        Ok(Fonts {
            regular: Face::load(REGULAR, "LiberationSans-Regular")?,
            bold: Face::load(BOLD, "LiberationSans-Bold")?,
        })
    }

    pub fn face(&self, bold: bool) -> &Face {
        if bold { &self.bold } else { &self.regular }
    }
}
