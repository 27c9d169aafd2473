//! Report charts as PNG (1000×600): a line chart for trends (monthly counts by tier
//! or category, with a legend) and a bar chart for breakdowns (by unit or category,
//! labels wrapped under the bars, values on top). Labels are Chinese, so the charts
//! need a CJK font; it is read from a file and rasterized in pure Rust with
//! `ab_glyph` — no fontconfig or freetype. Text is drawn by [`CjkFont`] itself rather
//! than by plotters' `ab_glyph` backend, which (in 0.3.7) drops each glyph's left side
//! bearing and so misplaces full-width punctuation: "县（区）" came out as "县（ 区）".
//! plotters draws only the axis numbers.
//!
//! # Which font
//!
//! [`find_cjk_font`] takes the first of:
//!
//! 1. the file named by the environment variable `XINFANG_CJK_FONT` (a `.ttf`,
//!    `.otf` or `.ttc`); if it is set but unusable, that is an error, not a fallback;
//! 2. well-known files of Debian/Ubuntu font packages, in this order:
//!    `fonts-noto-cjk` (`/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc`),
//!    `fonts-wqy-zenhei` (`/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc`),
//!    `fonts-wqy-microhei` (`/usr/share/fonts/truetype/wqy/wqy-microhei.ttc`),
//!    `fonts-arphic-gbsn00lp`, `fonts-arphic-gkai00mp`, `fonts-arphic-uming`,
//!    `fonts-arphic-ukai` (see [`WELL_KNOWN_FONTS`]);
//! 3. a scan of `/usr/share/fonts` and `/usr/local/share/fonts` for `.ttf`/`.otf`/
//!    `.ttc` files whose names contain `CJK`, `wqy`, `SourceHanSans` or `NotoSansSC`
//!    (case-insensitive; sans-serif regular weights first).
//!
//! A candidate counts only if it parses and has glyphs for common Chinese characters.
//! If none does, the error lists what was tried and how to fix it
//! (`apt-get install fonts-noto-cjk`, or set `XINFANG_CJK_FONT`).
//!
//! In a font collection (`.ttc`) the face for Simplified Chinese is chosen by its
//! family name (`… SC`, `… CN`, `… GB`), else the first face with the glyphs:
//! `NotoSansCJK-Regular.ttc` starts with the Japanese face, whose forms of some 汉字
//! differ from the mainland standard.

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use ab_glyph::{Font, FontRef, Glyph, PxScale, PxScaleFont, ScaleFont, point};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

/// One line of a line chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    /// (x label, value), e.g. ("2026-01", 42.0). The x axis is the union of the
    /// series' labels in order of first appearance.
    pub points: Vec<(String, f64)>,
}

/// A loaded CJK font, registered with plotters under its own family name.
#[derive(Clone)]
pub struct CjkFont {
    /// The file it was read from.
    pub path: PathBuf,
    /// The face used, for a collection (`.ttc`); 0 otherwise.
    pub face_index: u32,
    /// The face's family name, e.g. "Noto Sans CJK SC".
    pub face_name: Option<String>,
    bytes: &'static [u8],
    face: FontRef<'static>,
    /// The name it is registered under with plotters (for the axis numbers).
    family: String,
    /// Text sizes here are in pixels per em (the width of a 汉字); ab_glyph's and
    /// plotters' are the font's ascent − descent: this is their ratio.
    em_to_size: f64,
}

impl fmt::Debug for CjkFont {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CjkFont")
            .field("path", &self.path)
            .field("face_index", &self.face_index)
            .field("face_name", &self.face_name)
            .field("bytes", &self.bytes.len())
            .field("family", &self.family)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error(
        "no CJK font found for chart labels (tried: {}); install one with \
         `apt-get install fonts-noto-cjk`, or set {FONT_ENV} to a .ttf/.otf/.ttc file \
         with Chinese glyphs",
        tried.join("; ")
    )]
    NoFont { tried: Vec<String> },
    #[error(
        "font {path}: {reason} (set {FONT_ENV} to a .ttf/.otf/.ttc file with Chinese glyphs)",
        path = path.display()
    )]
    BadFont { path: PathBuf, reason: String },
    #[error("drawing the chart: {0}")]
    Draw(String),
    #[error("encoding the PNG: {0}")]
    Png(String),
}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for ChartError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        ChartError::Draw(e.to_string())
    }
}

/// The environment variable naming a font file to use.
pub const FONT_ENV: &str = "XINFANG_CJK_FONT";

/// Files of Debian/Ubuntu packages, best first: (package, path).
pub const WELL_KNOWN_FONTS: &[(&str, &str)] = &[
    (
        "fonts-noto-cjk",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    ),
    (
        "fonts-wqy-zenhei",
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    ),
    (
        "fonts-wqy-microhei",
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    ),
    (
        "fonts-arphic-gbsn00lp",
        "/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf",
    ),
    (
        "fonts-arphic-gkai00mp",
        "/usr/share/fonts/truetype/arphic-gkai00mp/gkai00mp.ttf",
    ),
    (
        "fonts-arphic-uming",
        "/usr/share/fonts/truetype/arphic/uming.ttc",
    ),
    (
        "fonts-arphic-ukai",
        "/usr/share/fonts/truetype/arphic/ukai.ttc",
    ),
];

/// Directories scanned when no well-known file is there.
pub const FONT_DIRS: &[&str] = &["/usr/share/fonts", "/usr/local/share/fonts"];

const SCAN_NAMES: &[&str] = &["cjk", "wqy", "sourcehansans", "notosanssc"];

/// Characters a font must have to be used: a chart's usual labels.
const PROBE: &str = "信访事项统计合计月县市区";

/// Finds and loads a CJK font (see the module documentation for the order).
pub fn find_cjk_font() -> Result<CjkFont, ChartError> {
    let well_known: Vec<PathBuf> = WELL_KNOWN_FONTS
        .iter()
        .map(|(_, p)| PathBuf::from(p))
        .collect();
    let dirs: Vec<PathBuf> = FONT_DIRS.iter().map(PathBuf::from).collect();
    find_cjk_font_in(std::env::var_os(FONT_ENV), &well_known, &dirs)
}

fn find_cjk_font_in(
    env: Option<OsString>,
    well_known: &[PathBuf],
    scan_dirs: &[PathBuf],
) -> Result<CjkFont, ChartError> {
    if let Some(p) = env.filter(|p| !p.is_empty()) {
        // Asked for explicitly: an unusable file is an error, not a reason to guess.
        return CjkFont::load(Path::new(&p));
    }
    let mut tried = vec![format!("{FONT_ENV} (not set)")];
    let attempt = |p: &Path, tried: &mut Vec<String>| {
        if !p.is_file() {
            tried.push(format!("{} (missing)", p.display()));
            return None;
        }
        match CjkFont::load(p) {
            Ok(f) => Some(f),
            Err(ChartError::BadFont { path, reason }) => {
                tried.push(format!("{} ({reason})", path.display()));
                None
            }
            Err(e) => {
                tried.push(e.to_string());
                None
            }
        }
    };
    for p in well_known {
        if let Some(f) = attempt(p, &mut tried) {
            return Ok(f);
        }
    }
    for dir in scan_dirs {
        let mut found = Vec::new();
        scan(dir, 0, &mut found);
        if found.is_empty() {
            tried.push(format!(
                "{}/**/*{{CJK,wqy,SourceHanSans,NotoSansSC}}* (none)",
                dir.display()
            ));
        }
        found.sort_by_key(|p| (scan_rank(p), p.clone()));
        for p in found {
            if let Some(f) = attempt(&p, &mut tried) {
                return Ok(f);
            }
        }
    }
    Err(ChartError::NoFont { tried })
}

fn scan(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) {
    const MAX_DEPTH: usize = 8;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let Ok(kind) = e.file_type() else { continue };
        if kind.is_dir() {
            if depth < MAX_DEPTH {
                scan(&p, depth + 1, found);
            }
            continue;
        }
        let name = e.file_name().to_string_lossy().to_lowercase();
        let font_file = [".ttf", ".otf", ".ttc"].iter().any(|x| name.ends_with(x));
        if font_file && SCAN_NAMES.iter().any(|n| name.contains(n)) {
            found.push(p);
        }
    }
}

/// Lower is better: sans before serif, regular before other weights.
fn scan_rank(p: &Path) -> u32 {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let mut rank = 0;
    if name.contains("serif") || name.contains("mono") {
        rank += 4;
    }
    if ["bold", "black", "heavy", "light", "thin", "medium"]
        .iter()
        .any(|w| name.contains(w))
    {
        rank += 2;
    }
    if !name.contains("regular") {
        rank += 1;
    }
    rank
}

/// Fonts loaded so far in this process, by path: each is read, leaked and registered
/// with plotters once.
fn loaded() -> &'static Mutex<HashMap<PathBuf, CjkFont>> {
    static LOADED: OnceLock<Mutex<HashMap<PathBuf, CjkFont>>> = OnceLock::new();
    LOADED.get_or_init(Default::default)
}

impl CjkFont {
    /// Reads a font file, picks its Chinese face and registers it with plotters.
    /// Loading the same path again returns the font already loaded.
    pub fn load(path: &Path) -> Result<CjkFont, ChartError> {
        let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        let mut fonts = loaded().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(f) = fonts.get(&key) {
            return Ok(f.clone());
        }
        let bad = |reason: String| ChartError::BadFont {
            path: path.to_path_buf(),
            reason,
        };
        let mut bytes = std::fs::read(path).map_err(|e| bad(format!("cannot read: {e}")))?;
        let (face_index, face_name) = choose_face(&bytes).map_err(bad)?;
        if face_index != 0 {
            // plotters parses face 0 of what it is given. In a collection every face's
            // tables are addressed from the start of the file, so pointing the header's
            // first face offset at the chosen face makes it face 0.
            let at = 12 + 4 * face_index as usize;
            let chosen: [u8; 4] = bytes[at..at + 4].try_into().expect("4 bytes");
            bytes[12..16].copy_from_slice(&chosen);
        }
        // plotters' font table wants `&'static [u8]`. The font serves the whole process
        // and is loaded once per path (see `loaded`), so leaking it is bounded: one copy
        // of each font file used (~20 MB for Noto Sans CJK).
        let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        let face = FontRef::try_from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        let em = face.units_per_em().unwrap_or(1000.0);
        let em_to_size = f64::from(face.height_unscaled() / em);
        let family = format!("xinfang-cjk-{}", fonts.len());
        plotters::style::register_font(&family, FontStyle::Normal, bytes)
            .map_err(|_| bad("plotters cannot use it".into()))?;
        let font = CjkFont {
            path: path.to_path_buf(),
            face_index,
            face_name,
            bytes,
            face,
            family,
            em_to_size,
        };
        fonts.insert(key, font.clone());
        Ok(font)
    }

    /// The font file's bytes (for a collection, with the chosen face made face 0).
    pub fn bytes(&self) -> &'static [u8] {
        self.bytes
    }

    /// A plotters text style, `em` pixels per em. plotters 0.3.7's ab_glyph text
    /// drops each glyph's left side bearing, which misplaces （《“ and the like, so it
    /// is used only for the axis numbers; all other text goes through [`Self::draw_text`].
    fn digits_style(&self, em: f64) -> TextStyle<'_> {
        let size = em * self.em_to_size;
        FontDesc::new(FontFamily::Name(&self.family), size, FontStyle::Normal).color(&TEXT)
    }

    fn scaled(&self, em: f64) -> PxScaleFont<&FontRef<'static>> {
        self.face
            .as_scaled(PxScale::from((em * self.em_to_size) as f32))
    }

    /// The glyphs of a line of text from x = 0 on the baseline, and its advance width.
    fn layout(&self, em: f64, text: &str) -> (Vec<Glyph>, f32) {
        let font = self.scaled(em);
        let mut glyphs = Vec::new();
        let mut caret = 0.0;
        let mut prev = None;
        for c in text.chars().filter(|c| !c.is_control()) {
            let id = font.glyph_id(c);
            if let Some(p) = prev {
                caret += font.kern(p, id);
            }
            glyphs.push(id.with_scale_and_position(font.scale(), point(caret, 0.0)));
            caret += font.h_advance(id);
            prev = Some(id);
        }
        (glyphs, caret)
    }

    /// Width in pixels of a line of text at `em` pixels per em.
    fn text_width(&self, em: f64, text: &str) -> u32 {
        self.layout(em, text).1.ceil() as u32
    }

    /// Draws a line of text anchored at `at` (antialiased, blended over what is there).
    fn draw_text(
        &self,
        area: &Area<'_>,
        text: &str,
        at: (i32, i32),
        em: f64,
        color: RGBColor,
        (h, v): (HPos, VPos),
    ) -> Result<(), ChartError> {
        let font = self.scaled(em);
        let (glyphs, width) = self.layout(em, text);
        let (x, y) = (at.0 as f32, at.1 as f32);
        let left = match h {
            HPos::Left => x,
            HPos::Center => x - width / 2.0,
            HPos::Right => x - width,
        };
        let baseline = match v {
            VPos::Top => y + font.ascent(),
            VPos::Center => y + (font.ascent() + font.descent()) / 2.0,
            VPos::Bottom => y + font.descent(),
        };
        let mut pixels = Vec::new();
        for mut g in glyphs {
            g.position = point(left + g.position.x, baseline);
            let Some(outline) = font.outline_glyph(g) else {
                continue; // a space
            };
            let bounds = outline.px_bounds();
            let (bx, by) = (bounds.min.x as i32, bounds.min.y as i32);
            outline.draw(|gx, gy, coverage| {
                if coverage > 0.0 {
                    pixels.push((bx + gx as i32, by + gy as i32, coverage.min(1.0)));
                }
            });
        }
        let (w, hgt) = area.dim_in_pixel();
        for (px, py, coverage) in pixels {
            if (0..w as i32).contains(&px) && (0..hgt as i32).contains(&py) {
                area.draw_pixel((px, py), &color.mix(f64::from(coverage)))?;
            }
        }
        Ok(())
    }
}

/// The face of a font file to use for Chinese: (index, family name).
fn choose_face(bytes: &[u8]) -> Result<(u32, Option<String>), String> {
    let faces = ttf_parser::fonts_in_collection(bytes).unwrap_or(1);
    let mut best: Option<(i32, u32, Option<String>)> = None;
    let mut parse_error = None;
    for i in 0..faces {
        let face = match ttf_parser::Face::parse(bytes, i) {
            Ok(f) => f,
            Err(e) => {
                parse_error = Some(e);
                continue;
            }
        };
        if !PROBE.chars().all(|c| face.glyph_index(c).is_some()) {
            continue;
        }
        let name = face
            .names()
            .into_iter()
            .filter(|n| {
                n.name_id == ttf_parser::name_id::FAMILY
                    || n.name_id == ttf_parser::name_id::TYPOGRAPHIC_FAMILY
            })
            .filter_map(|n| n.to_string())
            .find(|n| n.is_ascii() && !n.is_empty());
        let score = name.as_deref().map_or(0, face_score);
        if best.as_ref().is_none_or(|(s, ..)| score > *s) {
            best = Some((score, i, name));
        }
    }
    match (best, parse_error) {
        (Some((_, i, name)), _) => Ok((i, name)),
        (None, Some(e)) if faces == 1 => Err(format!("not a usable font file: {e}")),
        (None, _) => Err(format!(
            "has no glyphs for Chinese text such as \"{PROBE}\""
        )),
    }
}

fn face_score(family: &str) -> i32 {
    let mut score = 0;
    for word in family.split_whitespace() {
        match word {
            "SC" | "CN" | "GB" => score += 10,
            "Mono" => score -= 1,
            _ => {}
        }
    }
    score
}

pub const WIDTH: u32 = 1000;
pub const HEIGHT: u32 = 600;

const PALETTE: [RGBColor; 10] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x7f, 0x7f, 0x7f),
    RGBColor(0xbc, 0xbd, 0x22),
    RGBColor(0x17, 0xbe, 0xcf),
];

const MARGIN: u32 = 20;
const Y_LABEL_AREA: u32 = 64;
/// Width of the plotting area, which the layout below fixes.
const PLOT_WIDTH: u32 = WIDTH - 2 * MARGIN - Y_LABEL_AREA;
/// Text sizes, in pixels per em (the width of a 汉字).
const TITLE_EM: f64 = 24.0;
const LEGEND_EM: f64 = 15.0;
const AXIS_EM: f64 = 14.0;
const NO_DATA: &str = "暂无数据";
const GRID: RGBColor = RGBColor(0xdd, 0xdd, 0xdd);
const TEXT: RGBColor = RGBColor(0x22, 0x22, 0x22);

type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;
type Chart<'a, 'b> = ChartContext<
    'a,
    BitMapBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// A trend: one line per series over the union of their x labels, with a legend.
pub fn line_chart(
    title: &str,
    y_label: &str,
    series: &[Series],
    font: &CjkFont,
) -> Result<Vec<u8>, ChartError> {
    let mut xs: Vec<&str> = Vec::new();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for (x, _) in series.iter().flat_map(|s| &s.points) {
        index.entry(x).or_insert_with(|| {
            xs.push(x);
            xs.len() - 1
        });
    }
    render(|root| {
        let top = draw_title(root, title, font)?;
        if xs.is_empty() {
            return no_data(root, top, font);
        }
        let legend = legend_rows(series, font);
        draw_legend(root, top, &legend, series, font)?;
        let top = top + LEGEND_ROW * legend.len() as u32 + 4;

        let em = 14.0;
        let slot = f64::from(PLOT_WIDTH) / xs.len() as f64;
        let widest = xs.iter().map(|x| font.text_width(em, x)).max().unwrap_or(0);
        // Show every `step`-th label when they would not fit side by side.
        let step = ((f64::from(widest) + 12.0) / slot).ceil().max(1.0) as usize;
        let labels: Vec<Vec<String>> = xs
            .iter()
            .enumerate()
            .map(|(i, x)| {
                if i % step == 0 {
                    wrap(font, em, x, (slot * step as f64 - 6.0) as u32, 2)
                } else {
                    Vec::new()
                }
            })
            .collect();

        let values = series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
        let (lo, hi) = y_range(values);
        let x_range = -0.5..(xs.len() as f64 - 0.5);
        let mut chart = axes(root, top, x_range, lo..hi, &labels, em, y_label, font)?;
        draw_labels(root, &chart, lo, &labels, em, 0.0, font)?;

        for (k, s) in series.iter().enumerate() {
            let color = PALETTE[k % PALETTE.len()];
            let points: Vec<(f64, f64)> = s
                .points
                .iter()
                .filter(|(_, v)| v.is_finite())
                .map(|(x, v)| (index[x.as_str()] as f64, *v))
                .collect();
            chart.draw_series(LineSeries::new(
                points.iter().copied(),
                color.stroke_width(3),
            ))?;
            chart.draw_series(points.iter().map(|p| Circle::new(*p, 4, color.filled())))?;
        }
        Ok(())
    })
}

/// A breakdown: one bar per (label, value), labels wrapped under the bars, values on top.
pub fn bar_chart(
    title: &str,
    y_label: &str,
    bars: &[(String, f64)],
    font: &CjkFont,
) -> Result<Vec<u8>, ChartError> {
    render(|root| {
        let top = draw_title(root, title, font)?;
        if bars.is_empty() {
            return no_data(root, top, font);
        }
        let slot = f64::from(PLOT_WIDTH) / bars.len() as f64;
        // Many bars: smaller labels, at least two 汉字 a line, more lines.
        let narrow = slot < 56.0;
        let (em, max_lines) = if narrow {
            (((slot - 6.0) / 2.0).floor().clamp(10.0, 13.0), 6)
        } else {
            (15.0, 3)
        };
        let width = (slot - 4.0).max(8.0) as u32;
        let labels: Vec<Vec<String>> = bars
            .iter()
            .map(|(l, _)| wrap(font, em, l, width, max_lines))
            .collect();

        let (lo, hi) = y_range(bars.iter().map(|b| b.1));
        let x_range = 0.0..bars.len() as f64;
        let mut chart = axes(root, top, x_range, lo..hi, &labels, em, y_label, font)?;
        draw_labels(root, &chart, lo, &labels, em, 0.5, font)?;

        let pad = if bars.len() > 1 { 0.15 } else { 0.3 };
        chart.draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
            let v = if v.is_finite() { *v } else { 0.0 };
            Rectangle::new(
                [(i as f64 + pad, 0.0), (i as f64 + 1.0 - pad, v)],
                PALETTE[0].filled(),
            )
        }))?;
        let value_em = if narrow { 11.0 } else { 14.0 };
        for (i, (_, v)) in bars.iter().enumerate() {
            if !v.is_finite() {
                continue;
            }
            let (x, y) = chart.backend_coord(&(i as f64 + 0.5, v.max(0.0)));
            let at = (x, y - 4);
            let anchor = (HPos::Center, VPos::Bottom);
            font.draw_text(root, &format_value(*v), at, value_em, TEXT, anchor)?;
        }
        Ok(())
    })
}

fn render(draw: impl FnOnce(&Area<'_>) -> Result<(), ChartError>) -> Result<Vec<u8>, ChartError> {
    let mut rgb = vec![255u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
    }
    encode_png(&rgb)
}

fn encode_png(rgb: &[u8]) -> Result<Vec<u8>, ChartError> {
    let png_err = |e: png::EncodingError| ChartError::Png(e.to_string());
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, WIDTH, HEIGHT);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().map_err(png_err)?;
    w.write_image_data(rgb).map_err(png_err)?;
    w.finish().map_err(png_err)?;
    Ok(out)
}

/// The title, centred at the top; returns the y below it.
fn draw_title(root: &Area<'_>, title: &str, font: &CjkFont) -> Result<u32, ChartError> {
    let lines = wrap(font, TITLE_EM, title, WIDTH - 2 * MARGIN, 2);
    let lh = line_height(TITLE_EM);
    for (k, line) in lines.iter().enumerate() {
        let at = ((WIDTH / 2) as i32, (14 + lh * k as u32) as i32);
        let anchor = (HPos::Center, VPos::Top);
        font.draw_text(root, line, at, TITLE_EM, BLACK, anchor)?;
    }
    Ok(14 + lh * lines.len() as u32 + 8)
}

fn no_data(root: &Area<'_>, top: u32, font: &CjkFont) -> Result<(), ChartError> {
    let at = ((WIDTH / 2) as i32, ((top + HEIGHT) / 2) as i32);
    let grey = RGBColor(0x88, 0x88, 0x88);
    font.draw_text(root, NO_DATA, at, 22.0, grey, (HPos::Center, VPos::Center))
}

/// The plotting area below `top` with its y axis (numbers, grid lines) and, above
/// the axis, the y label written across as Chinese charts do (e.g. "事项数（件）").
/// Leaves room under the x axis for `labels`, drawn by [`draw_labels`].
#[allow(clippy::too_many_arguments)]
fn axes<'a, 'b>(
    root: &'a Area<'b>,
    top: u32,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    labels: &[Vec<String>],
    em: f64,
    y_label: &str,
    font: &CjkFont,
) -> Result<Chart<'a, 'b>, ChartError> {
    let lines = labels.iter().map(Vec::len).max().unwrap_or(1).max(1) as u32;
    let y_label_row = line_height(AXIS_EM) + 8;
    let mut chart = ChartBuilder::on(root)
        .margin(MARGIN)
        .margin_top(top + y_label_row)
        .x_label_area_size(line_height(em) * lines + 14)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(x.clone(), y.clone())?;
    let y_fmt = |v: &f64| format_value(*v);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(8)
        .y_label_formatter(&y_fmt)
        .label_style(font.digits_style(AXIS_EM))
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(BLACK)
        .draw()?;
    let (_, plot_top) = chart.backend_coord(&(x.start, y.end));
    let anchor = (HPos::Left, VPos::Bottom);
    let at = (MARGIN as i32, plot_top - 8);
    font.draw_text(root, y_label, at, AXIS_EM, TEXT, anchor)?;
    Ok(chart)
}

/// Wrapped labels centred under x = i + `offset` (0 for points, 0.5 for bars).
fn draw_labels(
    root: &Area<'_>,
    chart: &Chart<'_, '_>,
    y0: f64,
    labels: &[Vec<String>],
    em: f64,
    offset: f64,
    font: &CjkFont,
) -> Result<(), ChartError> {
    let lh = line_height(em) as i32;
    for (i, label) in labels.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(i as f64 + offset, y0));
        for (k, line) in label.iter().enumerate() {
            let at = (x, y + 8 + lh * k as i32);
            font.draw_text(root, line, at, em, TEXT, (HPos::Center, VPos::Top))?;
        }
    }
    Ok(())
}

const LEGEND_SWATCH: i32 = 28;
const LEGEND_GAP: i32 = 24;
const LEGEND_ROW: u32 = 26;

/// The legend's rows: each the (series index, x offset) of its items and its width.
fn legend_rows(series: &[Series], font: &CjkFont) -> Vec<(Vec<(usize, i32)>, i32)> {
    let max = (WIDTH - 2 * MARGIN) as i32;
    let mut rows: Vec<(Vec<(usize, i32)>, i32)> = vec![(Vec::new(), 0)];
    for (i, s) in series.iter().enumerate() {
        let w = LEGEND_SWATCH + 6 + font.text_width(LEGEND_EM, &s.name) as i32;
        let row = rows.last_mut().expect("one row");
        if row.1 > 0 && row.1 + LEGEND_GAP + w > max {
            rows.push((vec![(i, 0)], w));
        } else {
            let x = if row.1 > 0 { row.1 + LEGEND_GAP } else { 0 };
            row.0.push((i, x));
            row.1 = x + w;
        }
    }
    rows
}

fn draw_legend(
    root: &Area<'_>,
    top: u32,
    rows: &[(Vec<(usize, i32)>, i32)],
    series: &[Series],
    font: &CjkFont,
) -> Result<(), ChartError> {
    for (r, (items, row_width)) in rows.iter().enumerate() {
        let left = (WIDTH as i32 - row_width) / 2;
        let y = (top + LEGEND_ROW * r as u32 + LEGEND_ROW / 2) as i32;
        for (i, x) in items {
            let color = PALETTE[i % PALETTE.len()];
            let x = left + x;
            root.draw(&PathElement::new(
                vec![(x, y), (x + LEGEND_SWATCH, y)],
                color.stroke_width(3),
            ))?;
            root.draw(&Circle::new((x + LEGEND_SWATCH / 2, y), 4, color.filled()))?;
            let at = (x + LEGEND_SWATCH + 6, y);
            let anchor = (HPos::Left, VPos::Center);
            font.draw_text(root, &series[*i].name, at, LEGEND_EM, TEXT, anchor)?;
        }
    }
    Ok(())
}

fn line_height(em: f64) -> u32 {
    (em * 1.35).ceil() as u32
}

/// Breaks a label into at most `max_lines` lines no wider than `width` pixels,
/// between any two characters (Chinese has no spaces) but not inside an ASCII word
/// that fits, with lines of even length. What does not fit ends in "…".
fn wrap(font: &CjkFont, em: f64, text: &str, width: u32, max_lines: usize) -> Vec<String> {
    let lines = wrap_greedy(font, em, text, width, max_lines);
    if lines.len() < 2 || lines.concat().ends_with('…') {
        return lines;
    }
    // Balance the lines ("市人力资源和社会保障" / "局" becomes "市人力资源和" /
    // "社会保障局"): the narrowest width that needs no more lines, never narrower
    // than a word that fits whole.
    let widest_piece = pieces(text.trim())
        .into_iter()
        .map(|p| font.text_width(em, p))
        .filter(|w| *w <= width)
        .max()
        .unwrap_or(1);
    let (mut lo, mut hi) = (widest_piece.max(1), width);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if wrap_greedy(font, em, text, mid, usize::MAX).len() <= lines.len() {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    wrap_greedy(font, em, text, hi, max_lines)
}

fn wrap_greedy(font: &CjkFont, em: f64, text: &str, width: u32, max_lines: usize) -> Vec<String> {
    let fits = |s: &str| font.text_width(em, s) <= width;
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for piece in pieces(text.trim()) {
        if fits(&format!("{line}{piece}")) {
            line.push_str(piece);
        } else if !fits(piece) {
            // Wider than a line on its own: break it between characters.
            for c in piece.chars() {
                if !line.is_empty() && !fits(&format!("{line}{c}")) {
                    lines.push(std::mem::take(&mut line));
                }
                line.push(c);
            }
        } else {
            lines.push(std::mem::take(&mut line));
            line.push_str(piece.trim_start());
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        let last = lines.last_mut().expect("max_lines > 0");
        while !last.is_empty() && !fits(&format!("{last}…")) {
            last.pop();
        }
        last.push('…');
    }
    lines
}

/// A label in unbreakable pieces: ASCII words (e.g. "2026-01", "12.5%") whole, every
/// other character on its own.
fn pieces(text: &str) -> Vec<&str> {
    let word = |c: char| c.is_ascii_alphanumeric() || "-./%".contains(c);
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (start, word(c)) {
            (None, true) => start = Some(i),
            (Some(_), true) => {}
            (Some(s), false) => {
                out.push(&text[s..i]);
                start = None;
                out.push(&text[i..i + c.len_utf8()]);
            }
            (None, false) => out.push(&text[i..i + c.len_utf8()]),
        }
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

/// The y range: from 0 (or below, for negative values) to a little above the maximum,
/// leaving room for the values written on top of bars.
fn y_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if hi <= lo {
        hi = lo + 1.0;
    }
    let pad = (hi - lo) * 0.12;
    (if lo < 0.0 { lo - pad } else { 0.0 }, hi + pad)
}

/// Counts as integers, other values with one decimal.
fn format_value(v: f64) -> String {
    if v.fract().abs() < 1e-9 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The machine's CJK font, or `None` (the test is then skipped, saying so).
    fn font() -> Option<CjkFont> {
        match find_cjk_font() {
            Ok(f) => Some(f),
            Err(e) => {
                eprintln!("skipped: {e}");
                None
            }
        }
    }

    fn check_png(bytes: &[u8]) {
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(
            bytes.len() > 5_000 && bytes.len() < 3_000_000,
            "{}",
            bytes.len()
        );
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let reader = decoder.read_info().unwrap();
        let info = reader.info();
        assert_eq!((info.width, info.height), (WIDTH, HEIGHT));
    }

    /// Set XINFANG_CHART_DUMP to a directory to look at the rendered charts.
    fn dump(name: &str, bytes: &[u8]) {
        if let Some(dir) = std::env::var_os("XINFANG_CHART_DUMP") {
            std::fs::write(Path::new(&dir).join(name), bytes).unwrap();
        }
    }

    fn months(values: &[f64]) -> Vec<(String, f64)> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("2026-{:02}", i + 1), *v))
            .collect()
    }

    #[test]
    fn line_chart_is_a_png() {
        let Some(font) = font() else { return };
        let series = [
            Series {
                name: "市级".into(),
                points: months(&[42.0, 38.0, 51.0, 47.0, 60.0, 55.0, 49.0, 58.0, 62.0, 57.0]),
            },
            Series {
                name: "县（区）级".into(),
                points: months(&[
                    120.0, 111.0, 135.0, 128.0, 142.0, 150.0, 138.0, 131.0, 149.0, 156.0,
                ]),
            },
            Series {
                name: "乡镇（街道）级".into(),
                points: months(&[
                    88.0, 90.0, 97.0, 85.0, 101.0, 99.0, 93.0, 104.0, 110.0, 98.0,
                ]),
            },
        ];
        let png = line_chart(
            "汕尾市 2026年1—10月 信访事项受理趋势",
            "事项数（件）",
            &series,
            &font,
        )
        .unwrap();
        check_png(&png);
        dump("line.png", &png);

        // Two years by month, ten series: labels thin out, the legend wraps.
        let long: Vec<Series> = (0..10)
            .map(|k| Series {
                name: format!("第{k}类（含补充事项）"),
                points: (0..24)
                    .map(|m| {
                        let x = format!("{}-{:02}", 2025 + m / 12, m % 12 + 1);
                        (x, f64::from(10 * k + (m * 7 + k) % 13))
                    })
                    .collect(),
            })
            .collect();
        let png = line_chart("两年趋势", "件", &long, &font).unwrap();
        check_png(&png);
        dump("line-long.png", &png);
    }

    #[test]
    fn bar_chart_is_a_png() {
        let Some(font) = font() else { return };
        let bars: Vec<(String, f64)> = [
            ("汕尾市城区", 56.0),
            ("海丰县", 73.0),
            ("陆丰市", 91.0),
            ("陆河县", 28.0),
            ("红海湾经济开发试验区", 12.0),
            ("华侨管理区", 7.0),
            ("市人力资源和社会保障局", 19.0),
            ("市住房和城乡建设局", 33.5),
        ]
        .iter()
        .map(|(l, v)| (l.to_string(), *v))
        .collect();
        let png = bar_chart(
            "汕尾市 2026年10月 各单位信访事项数",
            "事项数（件）",
            &bars,
            &font,
        )
        .unwrap();
        check_png(&png);
        dump("bar.png", &png);

        let many: Vec<(String, f64)> = (1..=30)
            .map(|i| (format!("第{i}信访接待点"), i as f64))
            .collect();
        let png = bar_chart("三十个单位", "件", &many, &font).unwrap();
        check_png(&png);
        dump("bar-many.png", &png);
    }

    #[test]
    fn labels_wrap_balanced_and_truncate() {
        let Some(font) = font() else { return };
        let w = |s: &str| font.text_width(15.0, s);
        assert_eq!(w("国"), 15);
        let unit = "市人力资源和社会保障局";
        assert_eq!(wrap(&font, 15.0, unit, 1000, 3), [unit]);
        assert_eq!(
            wrap(&font, 15.0, unit, w("市人力资源和社会保障"), 3),
            ["市人力资源和", "社会保障局"]
        );
        let lines = wrap(&font, 15.0, unit, w("市人力"), 2);
        assert_eq!(lines.len(), 2);
        assert!(
            lines[1].ends_with('…') && w(&lines[1]) <= w("市人力"),
            "{lines:?}"
        );
        assert_eq!(
            wrap(&font, 15.0, "2026-01 合计", w("2026-01"), 3),
            ["2026-01", "合计"]
        );
        assert_eq!(
            pieces("第10信访 a.b%"),
            ["第", "10", "信", "访", " ", "a.b%"]
        );
    }

    #[test]
    fn empty_charts_say_no_data() {
        let Some(font) = font() else { return };
        check_png(&bar_chart("空", "件", &[], &font).unwrap());
        check_png(&line_chart("空", "件", &[], &font).unwrap());
    }

    #[test]
    fn noto_collection_uses_the_simplified_chinese_face() {
        let noto = Path::new(WELL_KNOWN_FONTS[0].1);
        if !noto.is_file() {
            eprintln!("skipped: {} is not installed", noto.display());
            return;
        }
        let font = CjkFont::load(noto).unwrap();
        assert_eq!(font.face_name.as_deref(), Some("Noto Sans CJK SC"));
        // Loading again reuses the registered font.
        let again = CjkFont::load(noto).unwrap();
        assert!(std::ptr::eq(font.bytes().as_ptr(), again.bytes().as_ptr()));
        // The rewritten header makes the chosen face face 0.
        let face = ttf_parser::Face::parse(font.bytes(), 0).unwrap();
        assert!(face.glyph_index('统').is_some());
    }

    #[test]
    fn no_font_error_says_how_to_fix_it() {
        let err = find_cjk_font_in(None, &[], &[]).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, ChartError::NoFont { .. }));
        assert!(msg.contains("XINFANG_CJK_FONT"), "{msg}");
        assert!(msg.contains("apt-get install fonts-noto-cjk"), "{msg}");

        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.ttc");
        let not_a_font = dir.path().join("fake-CJK.ttf");
        std::fs::write(&not_a_font, b"not a font").unwrap();
        let err = find_cjk_font_in(
            None,
            std::slice::from_ref(&missing),
            &[dir.path().to_path_buf()],
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains(&format!("{} (missing)", missing.display())),
            "{err}"
        );
        assert!(err.contains("fake-CJK.ttf"), "{err}");

        // An explicit setting that does not work is an error of its own.
        let err = find_cjk_font_in(Some(not_a_font.clone().into()), &[], &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("XINFANG_CJK_FONT") && err.contains("fake-CJK.ttf"),
            "{err}"
        );
    }

    #[test]
    fn a_latin_font_is_not_taken() {
        let dejavu = Path::new("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf");
        if !dejavu.is_file() {
            return;
        }
        let err = CjkFont::load(dejavu).unwrap_err().to_string();
        assert!(err.contains("no glyphs for Chinese"), "{err}");
    }

    #[test]
    fn values_and_ranges() {
        assert_eq!(format_value(12.0), "12");
        assert_eq!(format_value(33.5), "33.5");
        assert_eq!(y_range([].into_iter()), (0.0, 1.12));
        let (lo, hi) = y_range([3.0, -1.0].into_iter());
        assert!(lo < -1.0 && hi > 3.0);
        assert_eq!(scan_rank(Path::new("NotoSansCJK-Regular.ttc")), 0);
        assert!(scan_rank(Path::new("NotoSerifCJK-Bold.ttc")) > 0);
    }
}
