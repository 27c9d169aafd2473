//! Reading printed PDFs back in tests: Poppler's `pdftotext` for the text and
//! `pdftoppm` for page images beside it (kept under the target folder for a
//! person to look at), and the skip when the tools or a CJK font are missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::skip::{Dependency, skip};

/// Where the PDFs and their page images go: `notice-pages/` in the target folder.
fn pages_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("notice-pages")
}

/// Whether this machine can read PDFs back and has a CJK font to print with.
pub fn tools_or_skip(test: &str) -> bool {
    let poppler = ["pdftotext", "pdftoppm"]
        .iter()
        .all(|t| Command::new(t).arg("-v").output().is_ok());
    if !poppler {
        skip(
            test,
            Dependency::Poppler,
            "no pdftotext/pdftoppm (install Debian's poppler-utils)",
        );
        return false;
    }
    let font = std::env::var_os("XINFANG_CJK_FONT").is_some()
        || Path::new("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc").is_file()
        || Path::new("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc").is_file();
    if !font {
        skip(
            test,
            Dependency::Font,
            "no CJK font to print notices with (install Debian's fonts-noto-cjk)",
        );
        return false;
    }
    true
}

/// The PDF's text with every space and line break taken out (Chinese lines
/// break anywhere, a date too).
pub fn text_of(pdf: &[u8], name: &str) -> anyhow::Result<String> {
    let dir = pages_dir();
    std::fs::create_dir_all(&dir)?;
    let file = dir.join(format!("{name}.pdf"));
    std::fs::write(&file, pdf)?;
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&file)
        .arg("-")
        .output()?;
    anyhow::ensure!(out.status.success(), "pdftotext failed on {name}");
    let png = Command::new("pdftoppm")
        .args(["-png", "-r", "60"])
        .arg(&file)
        .arg(dir.join(name))
        .status()?;
    anyhow::ensure!(png.success(), "pdftoppm failed on {name}");
    Ok(String::from_utf8(out.stdout)?
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect())
}
