//! What can go wrong drawing a chart: no usable font (saying how to get one), the
//! drawing, the PNG encoding.

use std::path::PathBuf;

use plotters::prelude::DrawingAreaErrorKind;

/// The environment variable naming a font file to use.
pub const FONT_ENV: &str = "XINFANG_CJK_FONT";

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
