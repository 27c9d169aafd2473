//! Finding a CJK font on this machine for printed notices. Nothing ships in the
//! binary: the notices use what an office PC or Debian has — Noto Serif CJK
//! (Debian's `fonts-noto-cjk`, SIL Open Font License), then Noto Sans CJK, then
//! AR PL UMing, WenQuanYi Zen Hei, Droid Sans Fallback — or the file named by
//! `XINFANG_CJK_FONT` (a TTF/OTF/TTC path; in a collection the Simplified
//! Chinese face is picked by its name). A machine with none of them still runs
//! everything else; issuing a notice there is refused naming the package.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use skrifa::raw::FileRef;
use skrifa::string::StringId;
use skrifa::{FontRef, MetadataProvider};

use super::NoticeError;

/// Regular then bold file of each family, in order of preference.
const CANDIDATES: &[(&str, &str)] = &[
    (
        "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
    ),
    (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    ),
    (
        "/usr/share/fonts/truetype/arphic/uming.ttc",
        "/usr/share/fonts/truetype/arphic/uming.ttc",
    ),
    (
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    ),
    (
        "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
        "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    ),
];

/// One face of a font file: its bytes and index in the collection.
#[derive(Clone)]
pub struct Face {
    pub data: Arc<Vec<u8>>,
    pub index: u32,
    pub path: PathBuf,
}

impl Face {
    pub fn font(&self) -> Result<FontRef<'_>, NoticeError> {
        FontRef::from_index(&self.data, self.index)
            .map_err(|e| NoticeError::Pdf(format!("{}: {e}", self.path.display())))
    }
}

/// The faces notices are set in.
#[derive(Clone)]
pub struct NoticeFonts {
    pub body: Face,
    pub heading: Face,
}

impl NoticeFonts {
    /// The first family found: `XINFANG_CJK_FONT`, then the list above.
    pub fn find() -> Result<NoticeFonts, NoticeError> {
        if let Ok(path) = std::env::var("XINFANG_CJK_FONT") {
            let face = load(Path::new(&path))?;
            return Ok(NoticeFonts {
                body: face.clone(),
                heading: face,
            });
        }
        for (regular, bold) in CANDIDATES {
            let (regular, bold) = (Path::new(regular), Path::new(bold));
            if regular.is_file() {
                let body = load(regular)?;
                let heading = if bold.is_file() {
                    load(bold)?
                } else {
                    body.clone()
                };
                return Ok(NoticeFonts { body, heading });
            }
        }
        Err(NoticeError::NoFont(
            "install Debian's fonts-noto-cjk (apt-get install fonts-noto-cjk), or set \
             XINFANG_CJK_FONT to a TTF, OTF or TTC file with Chinese glyphs"
                .to_owned(),
        ))
    }
}

/// Loads a font file and picks its Simplified Chinese face.
fn load(path: &Path) -> Result<Face, NoticeError> {
    let data =
        std::fs::read(path).map_err(|e| NoticeError::NoFont(format!("{}: {e}", path.display())))?;
    let index = simplified_chinese_index(&data)
        .ok_or_else(|| NoticeError::NoFont(format!("{}: not a font file", path.display())))?;
    Ok(Face {
        data: Arc::new(data),
        index,
        path: path.to_owned(),
    })
}

/// In a collection, the face whose family name says SC (or 简); else the first.
fn simplified_chinese_index(data: &[u8]) -> Option<u32> {
    let count = match FileRef::new(data).ok()? {
        FileRef::Font(_) => return Some(0),
        FileRef::Collection(c) => c.len(),
    };
    (0..count)
        .find(|&i| {
            FontRef::from_index(data, i).is_ok_and(|f| {
                f.localized_strings(StringId::FAMILY_NAME).any(|s| {
                    let name: String = s.chars().collect();
                    name.ends_with(" SC") || name.contains('简')
                })
            })
        })
        .or(Some(0))
}
