//! The hub's modules import one another in one direction only: no circle (test
//! modules and comments aside). A circle means two modules hold one job between
//! them, or one holds two.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

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

/// The code of a file without comments and without its test modules (a
/// `#[cfg(test)]` followed by a `mod`, which runs to the end of the file).
fn code_of(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        let next = lines.get(i + 1).map(|l| l.trim_start()).unwrap_or("");
        if line.trim() == "#[cfg(test)]" && (next.starts_with("mod ") || next.contains(" mod ")) {
            break;
        }
        let code = line.split("//").next().unwrap_or("");
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// The top-level modules `code` names through `crate::`.
fn imports(code: &str) -> BTreeSet<String> {
    code.match_indices("crate::")
        .map(|(at, m)| {
            code[at + m.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|m| !m.is_empty())
        .collect()
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(&src).expect("under src");
        let first = rel.components().next().expect("a path");
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if module == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("source is UTF-8");
        let mut uses = imports(&code_of(&text));
        uses.remove(&module);
        graph.entry(module).or_default().extend(uses);
    }
    graph
}

/// A circle through `from`, if any (depth-first, the path so far in `path`).
fn circle(
    graph: &BTreeMap<String, BTreeSet<String>>,
    from: &str,
    path: &mut Vec<String>,
) -> Option<Vec<String>> {
    if let Some(at) = path.iter().position(|m| m == from) {
        let mut c = path[at..].to_vec();
        c.push(from.to_owned());
        return Some(c);
    }
    path.push(from.to_owned());
    for next in graph.get(from).into_iter().flatten() {
        if let Some(c) = circle(graph, next, path) {
            return Some(c);
        }
    }
    path.pop();
    None
}

#[test]
fn hub_modules_import_one_way() {
    let graph = graph();
    assert!(graph.contains_key("engine") && graph.contains_key("tls"));
    for module in graph.keys() {
        if let Some(c) = circle(&graph, module, &mut Vec::new()) {
            panic!("import circle: {}", c.join(" → "));
        }
    }
    // The transport's TLS knows nothing of the engine.
    assert!(!graph["tls"].contains("engine"), "{:?}", graph["tls"]);
}

#[test]
fn the_check_finds_a_circle() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("a".into());
    assert!(circle(&g, "a", &mut Vec::new()).is_some());
    assert_eq!(
        imports(&code_of(
            "use crate::x::Y; // crate::z\n#[cfg(test)]\nmod tests { use crate::w; }"
        )),
        BTreeSet::from(["x".to_owned()])
    );
}
