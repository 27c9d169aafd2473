//! The hub knows nothing of the domain: no code under `hub/src` names a case, a
//! schedule, a petition or petitioner, or a leader. Comments may (they explain
//! what the hub is not); code, string literals included, may not.

use std::path::{Path, PathBuf};

const DOMAIN_WORDS: [&str; 8] = [
    "case",
    "cases",
    "schedule",
    "schedules",
    "petition",
    "petitions",
    "petitioner",
    "leader",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("hub/src is readable") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The text without `//` and `/* */` comments (string literals kept: a domain word
/// in a message is code). Good enough for this crate's sources: a `//` inside a
/// string literal is left alone.
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                '\\' => {
                    if let Some(n) = chars.next() {
                        out.push(n);
                    }
                }
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match (c, chars.peek()) {
            ('"', _) => {
                in_string = true;
                out.push(c);
            }
            ('/', Some('/')) => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            ('/', Some('*')) => {
                chars.next();
                let mut prev = ' ';
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                    }
                    if prev == '*' && n == '/' {
                        break;
                    }
                    prev = n;
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Whole words only: `lowercase` or `showcase` do not name a case.
fn domain_words(line: &str) -> Vec<String> {
    line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .flat_map(|ident| ident.split('_'))
        .flat_map(split_camel)
        .filter(|w| DOMAIN_WORDS.contains(&w.to_ascii_lowercase().as_str()))
        .map(str::to_owned)
        .collect()
}

/// `CaseRules` → `Case`, `Rules`; `lowercase` stays whole.
fn split_camel(ident: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let bytes = ident.as_bytes();
    for i in 1..bytes.len() {
        if bytes[i].is_ascii_uppercase() && bytes[i - 1].is_ascii_lowercase() {
            parts.push(&ident[start..i]);
            start = i;
        }
    }
    parts.push(&ident[start..]);
    parts
}

#[test]
fn hub_code_has_no_domain_names() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 5, "found the hub's sources");
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("source is UTF-8");
        for (n, line) in strip_comments(&text).lines().enumerate() {
            for word in domain_words(line) {
                found.push(format!("{}:{}: {word}", file.display(), n + 1));
            }
        }
    }
    assert!(
        found.is_empty(),
        "domain names in hub code:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_sees_code_and_not_comments() {
    let text = "let x = 1; // a case\n/* schedules */ fn lowercase_CaseRules() {}\n";
    let stripped = strip_comments(text);
    assert!(!stripped.contains("a case") && !stripped.contains("schedules"));
    let words: Vec<String> = stripped.lines().flat_map(domain_words).collect();
    assert_eq!(words, ["Case"]);
    assert!(domain_words("#[serde(rename_all = \"lowercase\")]").is_empty());
}
