//! Long texts from a file or standard input (`--content-file PATH`, `-`): a demand
//! at the node's limit registers and reads back identical; over the limit, even
//! 10 MB of it, is refused naming the field and the limit; a file that is not
//! UTF-8 is named. A list shows a long demand's start, marked as cut. One real node, the real command.

mod support;

use serde_json::Value;
use support::*;
use xinfang_node::case::{MAX_CONTENT_CHARS, MAX_NOTE_CHARS};
use xinfang_node::projection::EXCERPT_CHARS;

/// `n` characters of a petition as people write it: Chinese and Latin text,
/// punctuation, line breaks; no blank at either end.
fn petition(n: usize) -> String {
    let line = "第一段：村道路面破损，雨天积水严重，群众出行困难。Road damaged since 2025.\n";
    let mut text: String = line.chars().cycle().take(n.saturating_sub(1)).collect();
    text.push('。');
    text
}

fn case_count(f: &Fixture) -> usize {
    f.json(COUNTY, &["case", "list", "--limit", "10000"])
        .as_array()
        .map(Vec::len)
        .expect("a list")
}

fn refused(out: &std::process::Output) -> String {
    assert!(
        !out.status.success(),
        "accepted: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn long_texts_come_from_a_file_or_standard_input_within_the_nodes_limits() {
    let f = Fixture::new();
    f.init_pki(&[COUNTY]);
    let _county = f.spawn_node(COUNTY);
    f.ready(COUNTY);
    let register = ["case", "register", "--petitioner", "张三", "--content-file"];

    // At the limit, from a file: the same text comes back.
    let content = petition(MAX_CONTENT_CHARS);
    let file = f.dir.path().join("petition.txt");
    std::fs::write(&file, &content).expect("write petition");
    let path = file.to_str().expect("utf-8 path");
    let v = f.json(COUNTY, &[&register[..], &[path]].concat());
    let no = v["case_no"].as_str().expect("case_no");
    let shown = f.json(COUNTY, &["case", "show", no]);
    assert_eq!(shown["content"].as_str(), Some(content.as_str()));
    // A list carries its start, marked as cut; the case itself all of it.
    let listed = f.json(COUNTY, &["case", "list"]);
    let row = listed
        .as_array()
        .and_then(|a| a.iter().find(|c| c["case_no"].as_str() == Some(no)))
        .expect("the case listed");
    let start: String = content.chars().take(EXCERPT_CHARS).collect();
    assert_eq!(row["content"].as_str(), Some(format!("{start}…").as_str()));

    // From standard input.
    let out = f.at_stdin(
        COUNTY,
        &[&register[..], &["-"]].concat(),
        Some(content.as_bytes()),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let shown = f.json(
        COUNTY,
        &["case", "show", v["case_no"].as_str().expect("case_no")],
    );
    assert_eq!(shown["content"].as_str(), Some(content.as_str()));

    // A note from a file, at its limit.
    let note = petition(MAX_NOTE_CHARS);
    let note_file = f.dir.path().join("note.txt");
    std::fs::write(&note_file, &note).expect("write note");
    let shown = f.json(
        COUNTY,
        &[
            "case",
            "note",
            no,
            "--text-file",
            note_file.to_str().expect("utf-8"),
        ],
    );
    let notes = shown["notes"].as_array().expect("notes");
    assert!(
        notes
            .iter()
            .any(|n| n["text"].as_str() == Some(note.as_str())),
        "{shown}"
    );
    let before = case_count(&f);

    // 10 MB, from a file and from standard input: refused at once, naming the
    // field and the limit (not a gRPC message-size error).
    let mut huge = String::new();
    while huge.len() < 10 << 20 {
        huge.push_str(&content);
    }
    std::fs::write(&file, &huge).expect("write huge");
    let limit = MAX_CONTENT_CHARS.to_string();
    for err in [
        refused(&f.at(COUNTY, &[&register[..], &[path]].concat())),
        refused(&f.at_stdin(
            COUNTY,
            &[&register[..], &["-"]].concat(),
            Some(huge.as_bytes()),
        )),
    ] {
        assert!(err.contains("`content`") && err.contains(&limit), "{err}");
        assert!(!err.to_lowercase().contains("message length"), "{err}");
    }
    // One character over: refused too, with the count.
    std::fs::write(&file, petition(MAX_CONTENT_CHARS + 1)).expect("write");
    let err = refused(&f.at(COUNTY, &[&register[..], &[path]].concat()));
    assert!(err.contains("`content`") && err.contains(&limit), "{err}");

    // A note over the limit typed inline reaches the node, which refuses it by
    // rule, naming the field and the limit.
    let err = refused(&f.at(
        COUNTY,
        &["case", "note", no, "--text", &petition(MAX_NOTE_CHARS + 1)],
    ));
    assert!(
        err.contains("text.max_chars")
            && err.contains("`text`")
            && err.contains(&MAX_NOTE_CHARS.to_string()),
        "{err}"
    );

    // Not UTF-8 (GB 18030 bytes): the file is named, nothing is sent.
    std::fs::write(&file, b"\xb5\xc0\xc2\xb7\xc6\xc6\xcb\xf0").expect("write gbk");
    let err = refused(&f.at(COUNTY, &[&register[..], &[path]].concat()));
    assert!(err.contains(path) && err.contains("UTF-8"), "{err}");
    // A file that is not there.
    let err = refused(&f.at(
        COUNTY,
        &[&register[..], &["/nonexistent/petition.txt"]].concat(),
    ));
    assert!(err.contains("/nonexistent/petition.txt"), "{err}");
    // --content and --content-file together: the command line is refused.
    let err = refused(&f.at(
        COUNTY,
        &[
            "case",
            "register",
            "--petitioner",
            "张三",
            "--content",
            "x",
            "--content-file",
            path,
        ],
    ));
    assert!(err.contains("--content-file"), "{err}");

    assert_eq!(case_count(&f), before, "a refused text registered a case");
}
