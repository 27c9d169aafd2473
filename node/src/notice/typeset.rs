//! GB/T 9704—2012 typesetting of a notice: A4, type area 156 × 225 mm (top
//! margin 37 mm, inner margin 28 mm), body in 三号 (16 pt) at 28 characters a line
//! and 22 lines a page, the issuing organ's mark in red above a red rule, the
//! document number under it, the title in 二号 (22 pt) centred, the addressee, the
//! body indented two characters, the issuer and date right-aligned with the
//! seal's place over them, and the page number (— 1 —) in 四号 at the foot.
//!
//! Pure: widths come from a [`Measure`] (the font's advances in the PDF step).

use super::NoticeText;

pub const MM: f32 = 72.0 / 25.4;
pub const PAGE_W: f32 = 210.0 * MM;
pub const PAGE_H: f32 = 297.0 * MM;
const TOP: f32 = 37.0 * MM;
const LEFT: f32 = 28.0 * MM;
const AREA_W: f32 = 156.0 * MM;
const AREA_H: f32 = 225.0 * MM;
/// 三号 and 22 lines in the type area.
pub const BODY_PT: f32 = 16.0;
const LINES_PER_PAGE: usize = 22;
const PITCH: f32 = AREA_H / LINES_PER_PAGE as f32;
const TITLE_PT: f32 = 22.0;
const MARK_PT: f32 = 26.0;
const FOLIO_PT: f32 = 14.0;

/// Which face a run is set in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    /// Body text (a Song/Ming face stands in for 仿宋 where none is installed).
    Body,
    /// The title and the organ's mark (bold).
    Heading,
}

pub trait Measure {
    /// The advance of `ch` at `size` points.
    fn advance(&self, face: Face, ch: char, size: f32) -> f32;

    fn width(&self, face: Face, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance(face, c, size)).sum()
    }
}

/// One run of text at a place (y is the baseline, from the page's top).
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub x: f32,
    pub y: f32,
    pub face: Face,
    pub size: f32,
    pub red: bool,
    pub text: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    pub runs: Vec<Run>,
    /// Horizontal rules: (x1, x2, y, red).
    pub rules: Vec<(f32, f32, f32, bool)>,
    /// Where the seal goes: centre and radius.
    pub seal: Option<(f32, f32, f32)>,
}

/// Characters a line may not start with (they hang at the end of the line
/// before instead) and ones it may not end with (they move to the next line).
const NO_START: &str = "，。、；：？！）》」』”’%．,.;:?!)]〕";
const NO_END: &str = "（《「『“‘([〔";

/// Breaks `text` into lines no wider than `width` (the first `first_indent`
/// narrower), by characters as Chinese sets, keeping runs of Latin letters and
/// digits whole where they fit, hanging closing punctuation.
pub fn break_lines(
    m: &dyn Measure,
    face: Face,
    size: f32,
    text: &str,
    width: f32,
    first_indent: f32,
) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = first_indent;
    let mut i = 0;
    while i < chars.len() {
        // A unit: one CJK character, or a run of Latin letters and digits.
        let mut j = i + 1;
        if chars[i].is_ascii_alphanumeric() {
            while j < chars.len() && (chars[j].is_ascii_alphanumeric() || "-./:".contains(chars[j]))
            {
                j += 1;
            }
        }
        let unit: String = chars[i..j].iter().collect();
        let w = m.width(face, &unit, size);
        let hangs = unit.chars().count() == 1 && NO_START.contains(chars[i]);
        if used + w > width + 0.01 && !line.is_empty() && !hangs {
            // A line must not end with an opening bracket: carry it down.
            let mut carry = String::new();
            while line.chars().last().is_some_and(|c| NO_END.contains(c)) {
                if let Some(c) = line.pop() {
                    carry.insert(0, c);
                }
            }
            lines.push(std::mem::take(&mut line));
            used = m.width(face, &carry, size);
            line = carry;
            if w > width {
                // A Latin run wider than a line: set it by characters.
                for c in unit.chars() {
                    let cw = m.advance(face, c, size);
                    if used + cw > width + 0.01 && !line.is_empty() {
                        lines.push(std::mem::take(&mut line));
                        used = 0.0;
                    }
                    line.push(c);
                    used += cw;
                }
                i = j;
                continue;
            }
        }
        line.push_str(&unit);
        used += w;
        i = j;
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Lays the notice out on pages.
pub fn lay_out(m: &dyn Measure, n: &NoticeText) -> Vec<Page> {
    let mut pages = vec![Page::default()];
    let centre =
        |face, size, text: &str| LEFT + (AREA_W - m.width(face, text, size)).max(0.0) / 2.0;

    // 版头: the organ's mark in red, the document number, the red rule.
    let mut y = TOP + MARK_PT;
    for line in break_lines(m, Face::Heading, MARK_PT, &n.issuer, AREA_W, 0.0) {
        let x = centre(Face::Heading, MARK_PT, &line);
        pages[0].runs.push(Run {
            x,
            y,
            face: Face::Heading,
            size: MARK_PT,
            red: true,
            text: line,
        });
        y += MARK_PT * 1.3;
    }
    y += PITCH;
    let x = centre(Face::Body, BODY_PT, &n.doc_no);
    pages[0].runs.push(Run {
        x,
        y,
        face: Face::Body,
        size: BODY_PT,
        red: false,
        text: n.doc_no.clone(),
    });
    y += 4.0 * MM;
    pages[0].rules.push((LEFT, LEFT + AREA_W, y, true));
    y += 2.0 * PITCH;

    // 标题, centred, broken where long.
    for line in break_lines(m, Face::Heading, TITLE_PT, &n.title, AREA_W, 0.0) {
        let x = centre(Face::Heading, TITLE_PT, &line);
        pages[0].runs.push(Run {
            x,
            y,
            face: Face::Heading,
            size: TITLE_PT,
            red: false,
            text: line,
        });
        y += TITLE_PT * 1.5;
    }
    y += PITCH - TITLE_PT * 0.5;

    // Body lines, flowing over pages.
    let bottom = TOP + AREA_H;
    let put = |pages: &mut Vec<Page>, y: &mut f32, x: f32, text: String| {
        if *y > bottom {
            pages.push(Page::default());
            *y = TOP + BODY_PT;
        }
        let page = pages.len() - 1;
        pages[page].runs.push(Run {
            x,
            y: *y,
            face: Face::Body,
            size: BODY_PT,
            red: false,
            text,
        });
        *y += PITCH;
    };
    put(&mut pages, &mut y, LEFT, n.addressee.clone());
    let indent = 2.0 * m.advance(Face::Body, '　', BODY_PT);
    for p in &n.paragraphs {
        for (k, line) in break_lines(m, Face::Body, BODY_PT, p, AREA_W, indent)
            .into_iter()
            .enumerate()
        {
            let x = if k == 0 { LEFT + indent } else { LEFT };
            put(&mut pages, &mut y, x, line);
        }
    }

    // 发文机关署名 and 成文日期: the date right-aligned four characters in,
    // the issuer centred over the date, the seal over both.
    y += PITCH;
    if y + PITCH > bottom {
        pages.push(Page::default());
        y = TOP + 3.0 * PITCH;
    }
    let em = m.advance(Face::Body, '　', BODY_PT);
    let date_w = m.width(Face::Body, &n.date, BODY_PT);
    let date_x = LEFT + AREA_W - 4.0 * em - date_w;
    let date_centre = date_x + date_w / 2.0;
    let issuer_w = m.width(Face::Body, &n.issuer, BODY_PT);
    let issuer_x = (date_centre - issuer_w / 2.0).clamp(LEFT, LEFT + AREA_W - issuer_w);
    let last = pages.len() - 1;
    pages[last].runs.push(Run {
        x: issuer_x,
        y,
        face: Face::Body,
        size: BODY_PT,
        red: false,
        text: n.issuer.clone(),
    });
    pages[last].runs.push(Run {
        x: date_x,
        y: y + PITCH,
        face: Face::Body,
        size: BODY_PT,
        red: false,
        text: n.date.clone(),
    });
    pages[last].seal = Some((date_centre, y + PITCH * 0.4, 21.0 * MM));

    // 版记-like footer line naming the case; then page numbers.
    let foot = format!("信访事项编号：{}", n.case_no);
    pages[last]
        .rules
        .push((LEFT, LEFT + AREA_W, bottom + 2.0, false));
    pages[last].runs.push(Run {
        x: LEFT + em,
        y: bottom + 2.0 + PITCH * 0.7,
        face: Face::Body,
        size: FOLIO_PT,
        red: false,
        text: foot,
    });
    for (i, page) in pages.iter_mut().enumerate() {
        let folio = format!("— {} —", i + 1);
        let w = m.width(Face::Body, &folio, FOLIO_PT);
        // Odd pages on the right, even on the left, one character in.
        let x = if i % 2 == 0 {
            LEFT + AREA_W - w - em
        } else {
            LEFT + em
        };
        page.runs.push(Run {
            x,
            y: PAGE_H - 20.0 * MM,
            face: Face::Body,
            size: FOLIO_PT,
            red: false,
            text: folio,
        });
    }
    pages
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character one em, Latin half.
    struct Grid;
    impl Measure for Grid {
        fn advance(&self, _: Face, ch: char, size: f32) -> f32 {
            if ch.is_ascii() { size / 2.0 } else { size }
        }
    }

    #[test]
    fn a_body_line_holds_twenty_eight_characters() {
        let text = "一".repeat(60);
        let lines = break_lines(&Grid, Face::Body, BODY_PT, &text, AREA_W, 0.0);
        // 156 mm at 16 pt: 27.6 ems, so 27 whole characters (the standard's 28
        // assumes 仿宋's slightly narrower 3号 grid); never more.
        assert!(lines.iter().all(|l| l.chars().count() <= 28), "{lines:?}");
        assert_eq!(lines.concat(), text);
    }

    #[test]
    fn closing_punctuation_hangs_and_opening_moves_down() {
        let width = 5.0 * BODY_PT;
        let lines = break_lines(
            &Grid,
            Face::Body,
            BODY_PT,
            "一二三四五。六七八九（十）",
            width,
            0.0,
        );
        assert_eq!(lines[0], "一二三四五。");
        assert!(
            !lines
                .iter()
                .any(|l| l.starts_with('。') || l.ends_with('（')),
            "{lines:?}"
        );
        let lines = break_lines(&Grid, Face::Body, BODY_PT, "一二三四（五六", width, 0.0);
        assert_eq!(lines[0], "一二三四");
        assert_eq!(lines[1], "（五六");
    }

    #[test]
    fn latin_runs_stay_whole() {
        let width = 10.0 * BODY_PT;
        let lines = break_lines(
            &Grid,
            Face::Body,
            BODY_PT,
            "编号一二三四五六441521-2026-000001",
            width,
            0.0,
        );
        assert_eq!(lines, ["编号一二三四五六", "441521-2026-000001"]);
    }
}
