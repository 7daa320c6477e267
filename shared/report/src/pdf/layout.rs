//! A top-to-bottom flow of headings, paragraphs, figure cards and tables over A4 pages; a
//! table too long for the page goes on, with its header repeated, on the next.

use super::canvas::{
    ALERT, ALERT_LIGHT, BRAND, BRAND_LIGHT, Color, INK, MUTED, Op, RULE, WHITE, ZEBRA,
};
use super::font::Fonts;

pub(crate) const PAGE_W: f32 = 595.28;
pub(crate) const PAGE_H: f32 = 841.89;
pub(crate) const LEFT: f32 = 42.0;
pub(crate) const RIGHT: f32 = PAGE_W - 42.0;
pub(crate) const WIDTH: f32 = RIGHT - LEFT;
/// Below the running header.
pub(crate) const TOP: f32 = 74.0;
/// Above the footer.
pub(crate) const BOTTOM: f32 = PAGE_H - 58.0;

const BODY: f32 = 8.5;
const LINE: f32 = 11.0;
const PAD_X: f32 = 5.0;
const PAD_Y: f32 = 4.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Align {
    Left,
    Right,
}

pub(crate) struct Column {
    pub title: &'static str,
    /// Relative to the other columns'.
    pub weight: f32,
    pub align: Align,
}

pub(crate) const fn col(title: &'static str, weight: f32, align: Align) -> Column {
    Column {
        title,
        weight,
        align,
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Cell {
    pub text: String,
    pub color: Option<Color>,
    pub bold: bool,
    /// A bar across this share (0 to 1) of the cell, instead of text.
    pub bar: Option<f32>,
}

impl Cell {
    pub fn bar(share: f32) -> Cell {
        Cell {
            bar: Some(share.clamp(0.0, 1.0)),
            ..Cell::default()
        }
    }

    pub fn alert(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            color: Some(ALERT),
            bold: true,
            bar: None,
        }
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell {
            text,
            ..Cell::default()
        }
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Cell {
        Cell::from(text.to_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) enum RowKind {
    #[default]
    Normal,
    /// A totals row: bold, tinted, ruled above.
    Total,
    /// A row that needs attention: tinted red.
    Alert,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Row {
    pub cells: Vec<Cell>,
    pub kind: RowKind,
}

impl Row {
    pub fn new(cells: Vec<Cell>) -> Row {
        Row {
            cells,
            kind: RowKind::Normal,
        }
    }

    pub fn kind(mut self, kind: RowKind) -> Row {
        self.kind = kind;
        self
    }
}

/// A figure in a box: a label over a value.
pub(crate) struct Card {
    pub label: String,
    pub value: String,
    pub note: Option<String>,
    pub alert: bool,
}

fn color_or(c: Option<Color>, default: Color) -> Color {
    c.unwrap_or(default)
}

pub(crate) struct Layout<'f> {
    pub fonts: &'f Fonts,
    pub pages: Vec<Vec<Op>>,
    /// Where the next thing goes on the current page.
    pub y: f32,
    /// The section under way, repeated over a table that goes on to another page.
    section: String,
    /// The page drawn on, when not the last one.
    target: Option<usize>,
}

impl<'f> Layout<'f> {
    pub fn new(fonts: &'f Fonts) -> Self {
        Layout {
            fonts,
            pages: vec![Vec::new()],
            y: TOP,
            section: String::new(),
            target: None,
        }
    }

    /// Draws on page `i` (from 0) from now on; `None`: on the last page.
    pub fn on_page(&mut self, i: Option<usize>) {
        self.target = i;
    }

    fn page(&mut self) -> Option<&mut Vec<Op>> {
        match self.target {
            Some(i) => self.pages.get_mut(i),
            None => self.pages.last_mut(),
        }
    }

    pub fn push(&mut self, op: Op) {
        if let Some(page) = self.page() {
            page.push(op);
        }
    }

    pub fn extend(&mut self, ops: Vec<Op>) {
        if let Some(page) = self.page() {
            page.extend(ops);
        }
    }

    pub fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }

    /// Starts a new page unless `h` points are left on this one; true when it did.
    pub fn ensure(&mut self, h: f32) -> bool {
        if self.y + h > BOTTOM {
            self.new_page();
            true
        } else {
            false
        }
    }

    pub fn gap(&mut self, h: f32) {
        self.y += h;
    }

    /// Text whose baseline starts at `(x, y)`.
    pub fn text(&mut self, (x, y): (f32, f32), size: f32, bold: bool, color: Color, text: &str) {
        self.push(Op::Text {
            x,
            y,
            size,
            bold,
            color,
            text: text.to_string(),
            upward: false,
        });
    }

    /// Text aligned within `[x, x + w]`.
    pub fn text_in(
        &mut self,
        (x, y, w): (f32, f32, f32),
        align: Align,
        (size, bold, color): (f32, bool, Color),
        text: &str,
    ) {
        let tw = self.fonts.face(bold).width(text, size);
        let x = match align {
            Align::Left => x,
            Align::Right => x + w - tw,
        };
        self.text((x, y), size, bold, color, text);
    }

    pub fn rect(&mut self, (x, y, w, h): (f32, f32, f32, f32), fill: Color) {
        self.push(Op::Rect {
            x,
            y,
            w,
            h,
            fill,
            opacity: 1.0,
        });
    }

    pub fn hline(&mut self, y: f32, width: f32, color: Color) {
        self.push(Op::Line {
            points: vec![(LEFT, y), (RIGHT, y)],
            width,
            color,
            opacity: 1.0,
            dashed: false,
        });
    }

    /// A section's title; it starts a page when less than `keep` points would follow it.
    pub fn section(&mut self, title: &str, subtitle: &str, keep: f32) {
        self.section = title.to_string();
        if self.y > TOP {
            self.gap(14.0);
        }
        self.ensure(40.0 + keep);
        self.y += 15.0;
        self.text((LEFT, self.y), 15.0, true, BRAND, title);
        if !subtitle.is_empty() {
            let tw = self.fonts.bold.width(title, 15.0);
            self.text((LEFT + tw + 8.0, self.y), 8.5, false, MUTED, subtitle);
        }
        self.y += 6.0;
        self.hline(self.y, 1.2, BRAND);
        self.y += 12.0;
    }

    /// A heading within a section.
    pub fn subheading(&mut self, title: &str, keep: f32) {
        self.ensure(22.0 + keep);
        self.y += 10.0;
        self.text((LEFT, self.y), 10.5, true, INK, title);
        self.y += 8.0;
    }

    /// Wrapped text across the page.
    pub fn paragraph(&mut self, text: &str, size: f32, color: Color) {
        let lines = self.fonts.regular.wrap(text, size, WIDTH);
        for line in lines {
            self.ensure(size * 1.4);
            self.y += size * 1.1;
            self.text((LEFT, self.y), size, false, color, &line);
            self.y += size * 0.3;
        }
        self.y += 4.0;
    }

    /// A row of figure cards, `per_row` across.
    pub fn cards(&mut self, cards: &[Card], per_row: usize) {
        let per_row = per_row.max(1);
        let gap = 8.0;
        let w = (WIDTH - gap * (per_row as f32 - 1.0)) / per_row as f32;
        let h = 52.0;
        for chunk in cards.chunks(per_row) {
            self.ensure(h + gap);
            for (i, card) in chunk.iter().enumerate() {
                let x = LEFT + i as f32 * (w + gap);
                let (bg, accent) = if card.alert {
                    (ALERT_LIGHT, ALERT)
                } else {
                    (BRAND_LIGHT, BRAND)
                };
                self.rect((x, self.y, w, h), bg);
                self.rect((x, self.y, 3.0, h), accent);
                let label = self.fonts.regular.fit(&card.label, 7.5, w - 16.0);
                self.text((x + 10.0, self.y + 14.0), 7.5, false, MUTED, &label);
                let size = self
                    .fonts
                    .bold
                    .size_to_fit(&card.value, 15.0, 10.0, w - 16.0);
                let value = self.fonts.bold.fit(&card.value, size, w - 16.0);
                let color = if card.alert { ALERT } else { INK };
                self.text((x + 10.0, self.y + 33.0), size, true, color, &value);
                if let Some(note) = &card.note {
                    let note = self.fonts.regular.fit(note, 7.0, w - 16.0);
                    self.text((x + 10.0, self.y + 45.0), 7.0, false, MUTED, &note);
                }
            }
            self.y += h + gap;
        }
    }

    /// A table; `empty` is said instead when there are no rows.
    pub fn table(&mut self, columns: &[Column], rows: &[Row], empty: &str) {
        if rows.is_empty() {
            self.paragraph(empty, 9.0, MUTED);
            self.gap(4.0);
            return;
        }
        let total: f32 = columns
            .iter()
            .map(|c| c.weight)
            .sum::<f32>()
            .max(f32::EPSILON);
        let widths: Vec<f32> = columns.iter().map(|c| c.weight / total * WIDTH).collect();
        let header: Vec<Vec<String>> = columns
            .iter()
            .zip(&widths)
            .map(|(c, w)| self.fonts.bold.wrap(c.title, 7.5, w - 2.0 * PAD_X))
            .collect();
        let header_lines = header.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let header_h = header_lines as f32 * 9.5 + 2.0 * PAD_Y;

        // Each cell's lines and font size: text wraps, figures shrink a little to fit.
        type Laid = (Vec<(Vec<String>, f32)>, f32);
        let laid: Vec<Laid> = rows
            .iter()
            .map(|row| {
                let cells: Vec<(Vec<String>, f32)> = columns
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let cell = row.cells.get(i).cloned().unwrap_or_default();
                        let bold = cell.bold || row.kind == RowKind::Total;
                        let face = self.fonts.face(bold);
                        let w = widths[i] - 2.0 * PAD_X;
                        if c.align == Align::Left {
                            (face.wrap(&cell.text, BODY, w), BODY)
                        } else {
                            let size = face.size_to_fit(&cell.text, BODY, 6.5, w);
                            (vec![face.fit(&cell.text, size, w)], size)
                        }
                    })
                    .collect();
                let lines = cells.iter().map(|c| c.0.len()).max().unwrap_or(1).max(1);
                (cells, lines as f32 * LINE + 2.0 * PAD_Y - 1.0)
            })
            .collect();

        // No table starts with a lone row at the foot of a page.
        let first_h: f32 = laid.iter().take(2).map(|r| r.1).sum();
        if self.ensure(header_h + first_h) {
            self.continued();
        }
        self.table_header(columns, &widths, &header, header_h);
        for (n, (row, (cells, h))) in rows.iter().zip(&laid).enumerate() {
            if self.ensure(*h) {
                self.continued();
                self.table_header(columns, &widths, &header, header_h);
            }
            let bg = match row.kind {
                RowKind::Total => Some(BRAND_LIGHT),
                RowKind::Alert => Some(ALERT_LIGHT),
                RowKind::Normal => (n % 2 == 1).then_some(ZEBRA),
            };
            if let Some(bg) = bg {
                self.rect((LEFT, self.y, WIDTH, *h), bg);
            }
            if row.kind == RowKind::Total {
                self.hline(self.y, 0.8, BRAND);
            }
            let mut x = LEFT;
            for (i, c) in columns.iter().enumerate() {
                let cell = row.cells.get(i).cloned().unwrap_or_default();
                let bold = cell.bold || row.kind == RowKind::Total;
                let color = cell.color.unwrap_or(INK);
                if let Some(share) = cell.bar {
                    let w = (widths[i] - 2.0 * PAD_X) * share;
                    self.rect(
                        (x + PAD_X, self.y + PAD_Y + 0.5, w, 7.5),
                        color_or(cell.color, BRAND),
                    );
                }
                let (lines, size) = &cells[i];
                for (l, line) in lines.iter().enumerate() {
                    let y = self.y + PAD_Y + 7.5 + l as f32 * LINE;
                    self.text_in(
                        (x + PAD_X, y, widths[i] - 2.0 * PAD_X),
                        c.align,
                        (*size, bold, color),
                        line,
                    );
                }
                x += widths[i];
            }
            self.y += h;
        }
        self.hline(self.y, 0.6, RULE);
        self.y += 6.0;
    }

    fn continued(&mut self) {
        let title = format!("{} (continuação)", self.section);
        self.y += 9.0;
        self.text((LEFT, self.y), 9.0, true, MUTED, &title);
        self.y += 7.0;
    }

    fn table_header(&mut self, columns: &[Column], widths: &[f32], header: &[Vec<String>], h: f32) {
        self.rect((LEFT, self.y, WIDTH, h), BRAND);
        let lines = header.iter().map(Vec::len).max().unwrap_or(1);
        let mut x = LEFT;
        for (i, c) in columns.iter().enumerate() {
            // Titles sit on the header's bottom line, like the figures under them.
            let offset = (lines - header[i].len()) as f32 * 9.5;
            for (l, line) in header[i].iter().enumerate() {
                let y = self.y + PAD_Y + 7.0 + offset + l as f32 * 9.5;
                self.text_in(
                    (x + PAD_X, y, widths[i] - 2.0 * PAD_X),
                    c.align,
                    (7.5, true, WHITE),
                    line,
                );
            }
            x += widths[i];
        }
        self.y += h;
    }
}
