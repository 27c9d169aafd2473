//! The CJK font of the charts: which file, which face of it, and drawing text with it.
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

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use ab_glyph::{Font, FontRef, Glyph, PxScale, PxScaleFont, ScaleFont, point};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::error::{ChartError, FONT_ENV};

/// The bitmap a chart, and its text, is drawn on.
pub(super) type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

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
pub(super) fn scan_rank(p: &Path) -> u32 {
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
    #[cfg(test)]
    pub fn bytes(&self) -> &'static [u8] {
        self.bytes
    }

    /// A plotters text style, `em` pixels per em. plotters 0.3.7's ab_glyph text
    /// drops each glyph's left side bearing, which misplaces （《“ and the like, so it
    /// is used only for the axis numbers; all other text goes through [`Self::draw_text`].
    pub(super) fn digits_style(&self, em: f64, color: RGBColor) -> TextStyle<'_> {
        let size = em * self.em_to_size;
        FontDesc::new(FontFamily::Name(&self.family), size, FontStyle::Normal).color(&color)
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
    pub(super) fn text_width(&self, em: f64, text: &str) -> u32 {
        self.layout(em, text).1.ceil() as u32
    }

    /// Draws a line of text anchored at `at` (antialiased, blended over what is there).
    pub(super) fn draw_text(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::skip::skip_for_font;

    #[test]
    fn noto_collection_uses_the_simplified_chinese_face() {
        let noto = Path::new(WELL_KNOWN_FONTS[0].1);
        if !noto.is_file() {
            skip_for_font(
                concat!(
                    module_path!(),
                    "::noto_collection_uses_the_simplified_chinese_face"
                ),
                &format!("{} is not installed (fonts-noto-cjk)", noto.display()),
            );
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
            skip_for_font(
                concat!(module_path!(), "::a_latin_font_is_not_taken"),
                &format!("{} is not installed (fonts-dejavu-core)", dejavu.display()),
            );
            return;
        }
        let err = CjkFont::load(dejavu).unwrap_err().to_string();
        assert!(err.contains("no glyphs for Chinese"), "{err}");
    }
}
