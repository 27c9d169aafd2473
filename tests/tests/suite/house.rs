//! The layering the architecture page promises, checked on the sources: the CLI
//! is a client (it does not reach into the node's lifecycle, projections or
//! schema), and the pure rule modules import no service, adapter or store.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_path_buf()
}

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.expect("a directory entry").path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).expect("a source file");
                out.push((p, text));
            }
        }
    }
    assert!(!out.is_empty(), "no sources under {}", dir.display());
    out
}

/// The lines of `text` outside comments that contain any of `needles`.
fn offending(text: &str, needles: &[&str]) -> Vec<String> {
    text.lines()
        .map(str::trim_start)
        .filter(|l| !l.starts_with("//"))
        .filter(|l| needles.iter().any(|n| l.contains(n)))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_cli_is_a_client_of_the_node_api() {
    let needles = [
        "xinfang_node::lifecycle",
        "xinfang_node::projection",
        "xinfang_node::schema",
        "xinfang_node::case",
        "xinfang_node::report",
        "xinfang_node::schedule",
    ];
    for (path, text) in sources(&root().join("admin-cli/src")) {
        let bad = offending(&text, &needles);
        assert!(
            bad.is_empty(),
            "{} reaches into the node: {bad:?}",
            path.display()
        );
    }
}

/// The spreadsheet writer the CLI shares with the console knows only the API's
/// wire types: the CLI stays a client.
#[test]
fn the_shared_spreadsheet_writer_knows_only_the_wire_types() {
    let text = std::fs::read_to_string(root().join("node/src/sheets.rs")).expect("sheets.rs");
    let bad = offending(&text, &["crate::"]);
    assert!(bad.is_empty(), "sheets.rs reaches into the node: {bad:?}");
}

#[test]
fn pure_rule_modules_import_no_service_adapter_or_store() {
    let node = root().join("node/src");
    let mut pure: Vec<PathBuf> = [
        "case/record.rs",
        "case/state.rs",
        "case/admission.rs",
        "case/labels.rs",
        "case/registration.rs",
        "case/document.rs",
        "case/view.rs",
        "docid.rs",
        "labels.rs",
        "authorship.rs",
        "accountability/mod.rs",
        "accountability/situations.rs",
        "accountability/suggest.rs",
        "accountability/joint.rs",
    ]
    .iter()
    .map(|p| node.join(p))
    .collect();
    pure.extend(sources(&node.join("rules")).into_iter().map(|(p, _)| p));
    let needles = [
        "crate::projection",
        "crate::grpc",
        "crate::server",
        "service",
        "sqlx",
        "xinfang_hub::db",
        "xinfang_hub::store",
        "tonic",
    ];
    for path in pure {
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let imports: String = text
            .lines()
            .filter(|l| l.trim_start().starts_with("use "))
            .collect::<Vec<_>>()
            .join("\n");
        let bad = offending(&imports, &needles);
        assert!(
            bad.is_empty(),
            "{} is a pure rule module but imports {bad:?}",
            path.display()
        );
    }
}
