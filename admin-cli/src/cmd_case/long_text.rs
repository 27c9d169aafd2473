//! Long free texts — a petition's demand, a note, a reply, a notice — typed on the
//! command line or read from a file (`--content-file PATH`, `--text-file PATH`, …;
//! `-` for standard input), within the node's limits.

use std::io::Read;
use std::path::{Path, PathBuf};

pub use xinfang_proto::limits::{MAX_CONTENT_CHARS, MAX_NOTE_CHARS};

/// UTF-8 takes at most this many bytes a character: more bytes than
/// `limit × 4` are more characters than `limit`, whatever they are.
const MAX_UTF8_BYTES: usize = 4;

/// The text of `field`: the inline value if given, else the file's (or standard
/// input's) text, else empty (the node then refuses an empty required field).
///
/// A text read from a file is checked here against `max_chars`, the node's own
/// limit for the field: a 10 MB petition is refused at once, naming the field and
/// the limit, instead of being sent and failing on the size of the gRPC message.
/// At most `max_chars × 4 + 1` bytes are read, so a huge file or an endless pipe
/// costs nothing. An inline value is left to the node (the shell bounds it).
pub fn text(
    field: &'static str,
    inline: Option<String>,
    file: Option<PathBuf>,
    max_chars: usize,
) -> anyhow::Result<String> {
    match (inline, file) {
        (Some(v), _) => Ok(v),
        (None, Some(path)) => read(field, &path, max_chars),
        (None, None) => Ok(String::new()),
    }
}

fn read(field: &'static str, path: &Path, max_chars: usize) -> anyhow::Result<String> {
    let stdin = path == Path::new("-");
    let name = if stdin {
        "standard input".to_owned()
    } else {
        path.display().to_string()
    };
    let max_bytes = max_chars.saturating_mul(MAX_UTF8_BYTES);
    let cap = u64::try_from(max_bytes)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let mut bytes = Vec::new();
    let got = if stdin {
        std::io::stdin().lock().take(cap).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(cap).read_to_end(&mut bytes))
    };
    got.map_err(|e| anyhow::anyhow!("field `{field}`: cannot read {name}: {e}"))?;
    if bytes.len() > max_bytes {
        anyhow::bail!(
            "field `{field}`: {name} holds more than {max_bytes} bytes, more than {max_chars} characters; the limit is {max_chars}"
        );
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "field `{field}`: {name} is not UTF-8 text (the byte at offset {} is not part of a UTF-8 character); save it as UTF-8",
            e.utf8_error().valid_up_to()
        )
    })?;
    // Counted as the node counts: leading and trailing blanks do not count.
    let n = text.trim().chars().count();
    if n > max_chars {
        anyhow::bail!("field `{field}` has {n} characters (from {name}); the limit is {max_chars}");
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        std::io::Write::write_all(&mut f, bytes).expect("write");
        f
    }

    #[test]
    fn a_file_within_the_limit_is_read_as_it_is() {
        let body = "道路破损，\n请尽快修复。\t".repeat(3);
        let f = file(body.as_bytes());
        let got = text("content", None, Some(f.path().into()), MAX_CONTENT_CHARS).unwrap();
        assert_eq!(got, body);
    }

    #[test]
    fn an_inline_value_wins_and_none_is_empty() {
        assert_eq!(text("text", Some("x".into()), None, 1).unwrap(), "x");
        assert_eq!(text("text", None, None, 1).unwrap(), "");
    }

    #[test]
    fn too_many_characters_are_refused_naming_the_field_and_the_limit() {
        let f = file("字".repeat(11).as_bytes());
        let e = text("content", None, Some(f.path().into()), 10)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`content`") && e.contains("11") && e.contains("limit is 10"),
            "{e}"
        );
        // Far too many bytes: refused without reading them all.
        let f = file(&vec![b'a'; 1000]);
        let e = text("text", None, Some(f.path().into()), 10)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`text`") && e.contains("limit is 10"), "{e}");
    }

    #[test]
    fn a_file_that_is_not_utf8_or_not_there_is_named() {
        let f = file(b"abc\xff\xfe");
        let e = text("content", None, Some(f.path().into()), 100)
            .unwrap_err()
            .to_string();
        assert!(e.contains(&f.path().display().to_string()), "{e}");
        assert!(e.contains("not UTF-8") && e.contains("offset 3"), "{e}");
        let e = text(
            "content",
            None,
            Some("/nonexistent/petition.txt".into()),
            100,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("/nonexistent/petition.txt"), "{e}");
    }
}
