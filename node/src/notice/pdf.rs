//! Drawing a laid-out notice to PDF with krilla (the PDF writer of the Typst
//! project: embeds and subsets OpenType/CFF fonts and collections, so a CJK
//! notice stays small and its text extractable). No creation date is written:
//! the same text gives the same bytes, which the notice record's hash relies on.

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke, StrokeDash};
use krilla::text::{Font, TextDirection};
use skrifa::MetadataProvider;
use skrifa::instance::{LocationRef, Size};

use super::fonts::NoticeFonts;
use super::typeset::{self, Face, Measure, PAGE_H, PAGE_W};
use super::{NoticeError, NoticeText};

const RED: (u8, u8, u8) = (0xD0, 0x10, 0x10);

/// Advances read from the fonts' horizontal metrics.
struct Metrics<'a> {
    body: skrifa::FontRef<'a>,
    heading: skrifa::FontRef<'a>,
}

impl Measure for Metrics<'_> {
    fn advance(&self, face: Face, ch: char, size: f32) -> f32 {
        let font = match face {
            Face::Body => &self.body,
            Face::Heading => &self.heading,
        };
        let gid = font.charmap().map(ch).unwrap_or_default();
        font.glyph_metrics(Size::new(size), LocationRef::default())
            .advance_width(gid)
            .unwrap_or(size)
    }
}

/// The notice as PDF bytes.
pub fn render(notice: &NoticeText, fonts: &NoticeFonts) -> Result<Vec<u8>, NoticeError> {
    render_laid_out(fonts, |m| typeset::lay_out(m, notice))
}

/// Several documents in one PDF, each from a new page: the cards of a reception
/// day, the copies of a supervision form, printed together and torn apart.
pub fn render_all(notices: &[NoticeText], fonts: &NoticeFonts) -> Result<Vec<u8>, NoticeError> {
    render_laid_out(fonts, |m| {
        notices
            .iter()
            .flat_map(|n| typeset::lay_out(m, n))
            .collect()
    })
}

/// Pages a pure layout made with the fonts' measures (a notice, or a plan's or
/// summary's table), drawn to PDF.
pub fn render_laid_out(
    fonts: &NoticeFonts,
    lay_out: impl FnOnce(&dyn Measure) -> Vec<typeset::Page>,
) -> Result<Vec<u8>, NoticeError> {
    let metrics = Metrics {
        body: fonts.body.font()?,
        heading: fonts.heading.font()?,
    };
    let pages = lay_out(&metrics);
    let font = |f: &super::fonts::Face| {
        Font::new(f.data.as_ref().clone().into(), f.index)
            .ok_or_else(|| NoticeError::Pdf(format!("{}: unreadable font", f.path.display())))
    };
    let body = font(&fonts.body)?;
    let heading = font(&fonts.heading)?;
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
        .ok_or_else(|| NoticeError::Pdf("A4 page size refused".to_owned()))?;

    let mut doc = Document::new();
    for page in &pages {
        let mut p = doc.start_page_with(settings.clone());
        let mut s = p.surface();
        for run in &page.runs {
            let (r, g, b) = if run.red { RED } else { (0, 0, 0) };
            s.set_fill(Some(Fill {
                paint: rgb::Color::new(r, g, b).into(),
                ..Fill::default()
            }));
            let f = match run.face {
                Face::Body => body.clone(),
                Face::Heading => heading.clone(),
            };
            s.draw_text(
                Point::from_xy(run.x, run.y),
                f,
                run.size,
                &run.text,
                false,
                TextDirection::Auto,
            );
        }
        s.set_fill(None);
        for &(x1, x2, y, red) in &page.rules {
            let (r, g, b) = if red { RED } else { (0, 0, 0) };
            s.set_stroke(Some(Stroke {
                paint: rgb::Color::new(r, g, b).into(),
                width: if red { 1.5 } else { 0.7 },
                ..Stroke::default()
            }));
            let mut path = PathBuilder::new();
            path.move_to(x1, y);
            path.line_to(x2, y);
            if let Some(path) = path.finish() {
                s.draw_path(&path);
            }
        }
        if let Some((cx, cy, radius)) = page.seal {
            // Where the seal is pressed: a faint dashed circle, as offices mark it.
            s.set_stroke(Some(Stroke {
                paint: rgb::Color::new(RED.0, RED.1, RED.2).into(),
                width: 0.8,
                opacity: NormalizedF32::new(0.5).unwrap_or(NormalizedF32::ONE),
                dash: Some(StrokeDash {
                    array: vec![4.0, 3.0],
                    offset: 0.0,
                }),
                ..Stroke::default()
            }));
            if let Some(circle) = circle(cx, cy, radius) {
                s.draw_path(&circle);
            }
        }
        s.set_stroke(None);
        s.finish();
        p.finish();
    }
    doc.finish().map_err(|e| NoticeError::Pdf(format!("{e:?}")))
}

/// A circle as four cubic arcs.
fn circle(cx: f32, cy: f32, r: f32) -> Option<krilla::geom::Path> {
    const K: f32 = 0.552_284_8;
    let k = K * r;
    let mut p = PathBuilder::new();
    p.move_to(cx + r, cy);
    p.cubic_to(cx + r, cy + k, cx + k, cy + r, cx, cy + r);
    p.cubic_to(cx - k, cy + r, cx - r, cy + k, cx - r, cy);
    p.cubic_to(cx - r, cy - k, cx - k, cy - r, cx, cy - r);
    p.cubic_to(cx + k, cy - r, cx + r, cy - k, cx + r, cy);
    p.close();
    p.finish()
}
