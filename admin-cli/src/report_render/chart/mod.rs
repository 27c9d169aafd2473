//! Report charts as PNG (1000×600): a line chart for trends (monthly counts by tier
//! or category, with a legend) and a bar chart for breakdowns (by unit or category,
//! labels wrapped under the bars, values on top). Labels are Chinese, so the charts
//! need a CJK font; it is read from a file and rasterized in pure Rust with
//! `ab_glyph` — no fontconfig or freetype. Text is drawn by [`CjkFont`] itself rather
//! than by plotters' `ab_glyph` backend, which (in 0.3.7) drops each glyph's left side
//! bearing and so misplaces full-width punctuation: "县（区）" came out as "县（ 区）".
//! plotters draws only the axis numbers.
//!
//! - [`font`]: finding and loading the CJK font, and drawing text with it.
//! - [`error`]: what can go wrong, and how to fix a missing font.

mod error;
mod font;

use std::collections::BTreeMap;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

pub use error::ChartError;
use font::Area;
pub use font::{CjkFont, find_cjk_font};

/// One line of a line chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    /// (x label, value), e.g. ("2026-01", 42.0). The x axis is the union of the
    /// series' labels in order of first appearance.
    pub points: Vec<(String, f64)>,
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
        .label_style(font.digits_style(AXIS_EM, TEXT))
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
    use std::path::Path;

    use super::font::scan_rank;
    use super::*;
    use crate::skip::skip_for_font;

    /// The machine's CJK font, or `None`: `test` is then skipped, saying so (and
    /// fails where `XINFANG_REQUIRE_FONT=1`).
    fn font(test: &str) -> Option<CjkFont> {
        match find_cjk_font() {
            Ok(f) => Some(f),
            Err(e) => {
                skip_for_font(test, &e.to_string());
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
        let Some(font) = font(concat!(module_path!(), "::line_chart_is_a_png")) else {
            return;
        };
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
        let Some(font) = font(concat!(module_path!(), "::bar_chart_is_a_png")) else {
            return;
        };
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
        let Some(font) = font(concat!(
            module_path!(),
            "::labels_wrap_balanced_and_truncate"
        )) else {
            return;
        };
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
        let Some(font) = font(concat!(module_path!(), "::empty_charts_say_no_data")) else {
            return;
        };
        check_png(&bar_chart("空", "件", &[], &font).unwrap());
        check_png(&line_chart("空", "件", &[], &font).unwrap());
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
