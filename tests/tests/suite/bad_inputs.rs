//! Every file in `tests/bad-inputs/` is fed to the door it was made for (a
//! replication batch from a child over real mTLS, a raw replication frame, or the
//! schedules import API) and must be refused with a clear error naming what is
//! wrong, leave nothing applied, and leave the node serving everyone else. A file
//! without an expectation here, or an expectation without its file, fails the
//! test. `tests/bad-inputs/README.md` says what each file is.
//!
//! The folder is written by `write_the_bad_inputs` (ignored; run it with
//! `-- --ignored` after changing a generator), except `gbk.csv`, which is text
//! in the GBK encoding, and the inputs the fuzzers found, committed as made.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ROOT};
use prost::Message;
use tonic::Code;
use xinfang_hub::doc;
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::{Batch, DocEntry, SyncFrame, sync_frame};
use xinfang_tests::raw::{HOSTILE_EPOCH, batch, exchange_bytes, hello, send_raw};
use xinfang_tests::*;

const FOLDER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/bad-inputs");
const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/haifeng-2016-04-schedule.csv"
);

/// Where a file goes and what it must get.
enum Door {
    /// The file's bytes as one document of a Batch from the town to the county,
    /// under `doc_id`; the LinkError's code and words.
    Replication {
        doc_id: &'static str,
        code: &'static str,
        says: &'static [&'static str],
    },
    /// The file's bytes as one whole frame after the town's Hello.
    Frame { says: &'static [&'static str] },
    /// The file's bytes as a schedule table for the county's April 2016.
    Import {
        format: &'static str,
        code: Code,
        says: &'static [&'static str],
    },
}

/// Each file's door and expectation. Files ending `.gen` are generator specs
/// (see `generate`): the bytes fed are what they describe.
fn expectations() -> BTreeMap<&'static str, Door> {
    use Door::*;
    BTreeMap::from([
        (
            "truncated-document.automerge",
            Replication {
                doc_id: "441521115000-2026-000101",
                code: "bad_document",
                says: &["441521115000-2026-000101", "not a valid Automerge document"],
            },
        ),
        (
            "not-automerge.automerge",
            Replication {
                doc_id: "441521115000-2026-000102",
                code: "bad_document",
                says: &["441521115000-2026-000102", "not a valid Automerge document"],
            },
        ),
        (
            "wrong-id.automerge",
            Replication {
                doc_id: "441521115000-2026-000333",
                code: "bad_document",
                says: &[
                    "441521115000-2026-000333",
                    "`_id`",
                    "441521115000-2026-000103",
                ],
            },
        ),
        (
            "no-scope.automerge",
            Replication {
                doc_id: "441521115000-2026-000104",
                code: "bad_document",
                says: &["441521115000-2026-000104", "`_scope`"],
            },
        ),
        (
            "case-id-roster-kind.automerge",
            Replication {
                doc_id: "441521115000-2026-000105",
                code: "refused_document",
                says: &["441521115000-2026-000105", TOWN_A, "`kind`", "roster"],
            },
        ),
        (
            "unknown-kind.automerge",
            Replication {
                doc_id: "widget/441521115000",
                code: "refused_document",
                says: &["widget/441521115000", TOWN_A, "none of the forms"],
            },
        ),
        (
            "oversize-petitioner.automerge",
            Replication {
                doc_id: "441521115000-2026-000107",
                code: "refused_document",
                says: &["441521115000-2026-000107", "`petitioner`", "limit is 100"],
            },
        ),
        (
            "oversize-content.automerge",
            Replication {
                doc_id: "441521115000-2026-000108",
                code: "refused_document",
                says: &["441521115000-2026-000108", "`content`", "limit is 10000"],
            },
        ),
        (
            "invalid-utf8-petitioner.automerge",
            Replication {
                doc_id: "441521115000-2026-000109",
                code: "bad_document",
                says: &["441521115000-2026-000109", "not a valid Automerge document"],
            },
        ),
        (
            "automerge-decoder-panic.automerge",
            Replication {
                doc_id: "441521115000-2026-000112",
                code: "bad_document",
                says: &["441521115000-2026-000112", "chunk type 3"],
            },
        ),
        (
            "automerge-memory-bomb.automerge",
            Replication {
                doc_id: "441521115000-2026-000113",
                code: "bad_document",
                says: &["441521115000-2026-000113", "chunk type 3"],
            },
        ),
        (
            "oversize-document.gen",
            Replication {
                doc_id: "441521115000-2026-000110",
                code: "document_too_large",
                says: &["441521115000-2026-000110", "limit of 4194304 bytes"],
            },
        ),
        (
            "oversize-frame.gen",
            Frame {
                says: &["transport", TOWN_A, "limit is: 16777216"],
            },
        ),
        (
            "truncated.frame",
            Frame {
                says: &["transport", TOWN_A, "decode"],
            },
        ),
        (
            "invalid-utf8-doc-id.frame",
            Frame {
                says: &["transport", TOWN_A, "UTF-8"],
            },
        ),
        (
            "gbk.csv",
            Import {
                format: "csv",
                code: Code::InvalidArgument,
                says: &["content", "not UTF-8"],
            },
        ),
        (
            "stray-byte.csv",
            Import {
                format: "csv",
                code: Code::InvalidArgument,
                says: &["content", "row 3", "UTF-8"],
            },
        ),
        (
            "oversize.csv.gen",
            Import {
                format: "csv",
                code: Code::InvalidArgument,
                says: &["content", "limit is 5 MiB"],
            },
        ),
        (
            "oversize-request.csv.gen",
            Import {
                format: "csv",
                code: Code::OutOfRange,
                says: &["limit is: 8388608"],
            },
        ),
        (
            "truncated.xlsx",
            Import {
                format: "xlsx",
                code: Code::InvalidArgument,
                says: &["content", "damaged"],
            },
        ),
        (
            "not-a-workbook.xlsx",
            Import {
                format: "xlsx",
                code: Code::InvalidArgument,
                says: &["content", "not an XLSX file"],
            },
        ),
        (
            "zip-bomb.xlsx",
            Import {
                format: "xlsx",
                code: Code::InvalidArgument,
                says: &["content", "unpacks to", "limit is 64 MiB"],
            },
        ),
    ])
}

/// The bytes a file stands for: its content, or what a `.gen` spec describes.
///
/// A spec is `key = value` lines (`#` starts a comment): `fill` (a byte, hex) and
/// `bytes` give that byte repeated; `header` and `row` give a CSV of the header
/// and the row repeated until it is at least `bytes` long.
fn generate(path: &Path) -> anyhow::Result<Vec<u8>> {
    let raw = std::fs::read(path)?;
    if path.extension().and_then(|e| e.to_str()) != Some("gen") {
        return Ok(raw);
    }
    let text = String::from_utf8(raw)?;
    let spec: BTreeMap<&str, &str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            l.split_once('=')
                .map(|(k, v)| (k.trim(), v.trim()))
                .ok_or_else(|| anyhow::anyhow!("{}: {l:?} is not key = value", path.display()))
        })
        .collect::<anyhow::Result<_>>()?;
    let bytes: usize = spec
        .get("bytes")
        .ok_or_else(|| anyhow::anyhow!("{}: no `bytes`", path.display()))?
        .parse()?;
    if let Some(fill) = spec.get("fill") {
        let b = u8::from_str_radix(fill.trim_start_matches("0x"), 16)?;
        return Ok(vec![b; bytes]);
    }
    let (Some(header), Some(row)) = (spec.get("header"), spec.get("row")) else {
        anyhow::bail!("{}: needs `fill`, or `header` and `row`", path.display());
    };
    let mut out = format!("{header}\n").into_bytes();
    while out.len() < bytes {
        out.extend_from_slice(row.as_bytes());
        out.push(b'\n');
    }
    Ok(out)
}

fn files() -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(FOLDER)? {
        let path = entry?.path();
        if path.file_name().and_then(|n| n.to_str()) != Some("README.md") {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

fn name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[test]
fn every_bad_input_has_an_expectation_and_every_expectation_a_file() -> anyhow::Result<()> {
    let names: Vec<String> = files()?.iter().map(|p| name(p)).collect();
    let expected = expectations();
    let unexpected: Vec<&String> = names
        .iter()
        .filter(|n| !expected.contains_key(n.as_str()))
        .collect();
    assert!(
        unexpected.is_empty(),
        "files in tests/bad-inputs without an expectation in bad_inputs.rs: {unexpected:?}"
    );
    let missing: Vec<&&str> = expected
        .keys()
        .filter(|k| !names.iter().any(|n| n == *k))
        .collect();
    assert!(missing.is_empty(), "expected files missing: {missing:?}");
    let readme = std::fs::read_to_string(Path::new(FOLDER).join("README.md"))?;
    for n in &names {
        assert!(
            readme.contains(&format!("`{n}`")),
            "README.md does not say what {n} is"
        );
    }
    Ok(())
}

both_stores! {
async fn every_bad_input_is_refused_cleanly_and_the_node_keeps_serving(backend: Backend) -> anyhow::Result<()> {
    let clock = TestClock::at("2016-03-05T09:00:00+08:00")?;
    let rules = BTreeMap::from([(COUNTY, "haifeng-county")]);
    let mut fed = Federation::start_at(backend, county_and_town(), clock.clock(), rules).await?;
    let first = fed.register(TOWN_A, "张三", "已有事项").await?;
    wait_for("first case at county", PATIENCE, || async {
        Ok(fed
            .list(COUNTY)
            .await?
            .contains(&first.case_no)
            .then_some(()))
    })
    .await?;
    fed.stop_node(TOWN_A).await?;
    let (docs, head) = (
        fed.hub(COUNTY).store().count_docs().await?,
        fed.hub(COUNTY).head(),
    );
    let mut schedules = fed.schedules(COUNTY).await?;
    let expected = expectations();
    let max_frame = 32 << 20;

    for path in files()? {
        let file = name(&path);
        let Some(door) = expected.get(file.as_str()) else {
            panic!("{file} has no expectation (see every_bad_input_has_an_expectation…)");
        };
        let bytes = generate(&path)?;
        match door {
            Door::Replication {
                doc_id,
                code: want,
                says,
            } => {
                let entry = DocEntry {
                    doc_id: (*doc_id).into(),
                    automerge: bytes.into(),
                    changes: Default::default(),
                };
                let answer = send_raw(
                    &fed,
                    COUNTY,
                    fed.tls(TOWN_A)?,
                    TOWN_A,
                    vec![batch(vec![entry])],
                    max_frame,
                )
                .await?;
                println!("{file}: {answer}");
                assert!(
                    answer.starts_with(want),
                    "{file}: expected {want}, got {answer}"
                );
                for s in *says {
                    assert!(answer.contains(s), "{file}: {answer:?} does not say {s:?}");
                }
                // The county names the offending peer: its link status (what
                // `xinfang status` shows) holds the refusal once the session ends.
                wait_for("the refusal in the county's status", PATIENCE, || async {
                    let last = fed
                        .hub(COUNTY)
                        .with_link_status(&code(TOWN_A), |s| s.last_error.clone());
                    Ok(last.filter(|e| e.contains(want)).map(|_| ()))
                })
                .await
                .map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
                // Cleared for the next file.
                fed.hub(COUNTY)
                    .with_link_status(&code(TOWN_A), |s| s.last_error = None);
            }
            Door::Frame { says } => {
                let answer = exchange_bytes(
                    &fed,
                    COUNTY,
                    fed.tls(TOWN_A)?,
                    vec![hello(TOWN_A).encode_to_vec(), bytes],
                    max_frame,
                    Duration::from_secs(10),
                )
                .await?;
                println!("{file}: {answer}");
                for s in *says {
                    assert!(answer.contains(s), "{file}: {answer:?} does not say {s:?}");
                }
            }
            Door::Import { format, code, says } => {
                let err = schedules
                    .import(pb::ImportRequest {
                        unit: COUNTY.into(),
                        month: "2016-04".into(),
                        format: (*format).into(),
                        content: bytes,
                        create_roster: true,
                    })
                    .await
                    .expect_err(&file);
                println!("{file}: {:?}: {}", err.code(), err.message());
                assert_eq!(err.code(), *code, "{file}: {err:?}");
                for s in *says {
                    assert!(
                        err.message().contains(s),
                        "{file}: {:?} does not say {s:?}",
                        err.message()
                    );
                }
            }
        }
        // Nothing applied: no document, no feed entry, no cursor from the raw
        // peer, no draft, no roster.
        let hub = fed.hub(COUNTY);
        assert_eq!(hub.store().count_docs().await?, docs, "{file}: documents");
        assert_eq!(hub.head(), head, "{file}: the feed moved");
        let cursor = hub.link_record(&code(TOWN_A)).await?.map(|r| r.inbound);
        assert!(
            cursor.as_ref().is_none_or(|c| c.epoch != HOSTILE_EPOCH),
            "{file}: the cursor moved: {cursor:?}"
        );
        let draft = schedules
            .get(pb::MonthRequest {
                unit: COUNTY.into(),
                month: "2016-04".into(),
            })
            .await;
        assert_eq!(
            draft.as_ref().map_err(|s| s.code()).err(),
            Some(Code::NotFound),
            "{file}: a draft was kept"
        );
        let roster = schedules
            .get_roster(pb::UnitRequest {
                unit: COUNTY.into(),
            })
            .await?
            .into_inner();
        assert!(roster.leaders.is_empty(), "{file}: {:?}", roster.leaders);
        // Serving: an ordinary request answers.
        assert!(fed.list(COUNTY).await?.contains(&first.case_no), "{file}");
    }

    // Afterwards the honest work goes on: a real table imports, and the town
    // reconnects and replicates.
    let fixture = std::fs::read(FIXTURE)?;
    let v = schedules
        .import(pb::ImportRequest {
            unit: COUNTY.into(),
            month: "2016-04".into(),
            format: "csv".into(),
            content: fixture,
            create_roster: true,
        })
        .await?
        .into_inner();
    assert_eq!(v.entries.len(), 20);
    fed.start_node(TOWN_A).await?;
    let later = fed.register(TOWN_A, "李四", "之后的事项").await?;
    wait_for("the honest town replicates", PATIENCE, || async {
        Ok(fed
            .list(COUNTY)
            .await?
            .contains(&later.case_no)
            .then_some(()))
    })
    .await?;
    fed.shutdown().await;
    Ok(())
}
}

// --- the generator ----------------------------------------------------------------

/// A fixed actor and commit time, so the files come out the same each time.
fn fixed_doc(id: &str) -> anyhow::Result<AutoCommit> {
    let actor = ActorId::from(format!("{TOWN_A}/bad-inputs").into_bytes());
    let mut d = doc::new_doc(id, actor)?;
    doc::extend_scope(id, &mut d, [&code(TOWN_A)])?;
    Ok(d)
}

/// A case as a town would register it, with the fields given.
fn case_doc(id: &str, petitioner: &str, content: &str) -> anyhow::Result<AutoCommit> {
    let mut d = fixed_doc(id)?;
    for (k, v) in [
        ("kind", "case"),
        ("case_no", id),
        ("unit", TOWN_A),
        ("petitioner", petitioner),
        ("content", content),
        ("registered_at", "2026-03-05T01:00:00.000Z"),
    ] {
        d.put(ROOT, k, v)?;
    }
    Ok(d)
}

fn saved(mut d: AutoCommit) -> Vec<u8> {
    d.commit_with(CommitOptions::default().with_time(0));
    d.save()
}

/// An Automerge document whose petitioner's text is not UTF-8: the string's bytes
/// are changed in the saved (uncompressed) form and the chunk's checksum is made
/// right again, so only the string is wrong.
fn invalid_utf8_case(id: &str) -> anyhow::Result<Vec<u8>> {
    use sha2::{Digest, Sha256};
    const MARK: &str = "PETITIONER-MARK";
    let mut d = case_doc(id, MARK, "道路破损")?;
    d.commit_with(CommitOptions::default().with_time(0));
    let mut bytes = d.save_nocompress();
    let at = bytes
        .windows(MARK.len())
        .position(|w| w == MARK.as_bytes())
        .ok_or_else(|| anyhow::anyhow!("the mark is not in the saved bytes"))?;
    bytes[at..at + 4].copy_from_slice(&[0xC3, 0x28, 0xFF, 0xFE]);
    // magic (4) | checksum (4) | type (1) | length (LEB128) | body: the checksum
    // is the first 4 bytes of SHA-256 over type, length and body.
    let digest = Sha256::digest(&bytes[8..]);
    bytes[4..8].copy_from_slice(&digest[..4]);
    Ok(bytes)
}

/// A tiny real workbook (the county's April 2016 fixture, exported).
fn tiny_xlsx() -> anyhow::Result<Vec<u8>> {
    use xinfang_node::rules::taxonomy::Taxonomy;
    use xinfang_node::schedule::table::{self, TableFormat};
    let taxonomy = Taxonomy::official()?;
    let rows = table::import(
        &std::fs::read(FIXTURE)?,
        TableFormat::Csv,
        "2016-04".parse().map_err(anyhow::Error::msg)?,
        &taxonomy,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let entries: Vec<_> = rows.into_iter().take(3).map(|r| r.entry).collect();
    Ok(table::export_xlsx(
        "2016年4月接访安排",
        &entries,
        &BTreeMap::new(),
        &taxonomy,
    )?)
}

/// A ZIP archive named like a workbook whose one part unpacks to 65 MiB of
/// spaces (stored as about 65 KB, deflated).
fn zip_bomb() -> anyhow::Result<Vec<u8>> {
    use std::io::Write;
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buf);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    zip.start_file("[Content_Types].xml", options)?;
    zip.write_all(b"<?xml version=\"1.0\"?><Types/>")?;
    zip.start_file("xl/worksheets/sheet1.xml", options)?;
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..65 {
        zip.write_all(&chunk)?;
    }
    zip.finish()?;
    Ok(buf.into_inner())
}

#[test]
#[ignore = "writes tests/bad-inputs; run after changing a generator"]
fn write_the_bad_inputs() -> anyhow::Result<()> {
    let dir = Path::new(FOLDER);
    std::fs::create_dir_all(dir)?;
    let put = |name: &str, bytes: &[u8]| std::fs::write(dir.join(name), bytes);

    let whole = saved(case_doc("441521115000-2026-000101", "张三", "道路破损")?);
    put("truncated-document.automerge", &whole[..whole.len() / 2])?;
    put(
        "not-automerge.automerge",
        b"\x85\x6f\x4a\x83 this begins like Automerge and is not\n",
    )?;
    put(
        "wrong-id.automerge",
        &saved(case_doc("441521115000-2026-000103", "张三", "道路破损")?),
    )?;
    let mut noscope = AutoCommit::new().with_actor(ActorId::from(b"bad-inputs".to_vec()));
    noscope.put(ROOT, doc::ID_KEY, "441521115000-2026-000104")?;
    noscope.put(ROOT, "kind", "case")?;
    put("no-scope.automerge", &saved(noscope))?;
    let mut roster = fixed_doc("441521115000-2026-000105")?;
    roster.put(ROOT, "kind", "roster")?;
    roster.put(ROOT, "unit", TOWN_A)?;
    put("case-id-roster-kind.automerge", &saved(roster))?;
    let mut widget = fixed_doc("widget/441521115000")?;
    widget.put(ROOT, "kind", "widget")?;
    widget.put(ROOT, "unit", TOWN_A)?;
    put("unknown-kind.automerge", &saved(widget))?;
    put(
        "oversize-petitioner.automerge",
        &saved(case_doc(
            "441521115000-2026-000107",
            &"名".repeat(500),
            "道路破损",
        )?),
    )?;
    put(
        "oversize-content.automerge",
        &saved(case_doc(
            "441521115000-2026-000108",
            "张三",
            &"诉".repeat(10_001),
        )?),
    )?;
    put(
        "invalid-utf8-petitioner.automerge",
        &invalid_utf8_case("441521115000-2026-000109")?,
    )?;

    let frame = SyncFrame {
        kind: Some(sync_frame::Kind::Batch(Batch {
            from: 0,
            upto: 1,
            docs: vec![DocEntry {
                doc_id: "441521115000-2026-000111".into(),
                automerge: whole.clone().into(),
                changes: Default::default(),
            }],
            head: 1,
            mark: Vec::new(),
            packed: Default::default(),
        })),
    }
    .encode_to_vec();
    put("truncated.frame", &frame[..frame.len() / 2])?;
    // The same frame with one byte of the document id made invalid UTF-8.
    let id_at = frame
        .windows(8)
        .position(|w| w == b"44152111")
        .ok_or_else(|| anyhow::anyhow!("no id in the frame"))?;
    let mut bad_id = frame.clone();
    bad_id[id_at] = 0xFF;
    put("invalid-utf8-doc-id.frame", &bad_id)?;

    let fixture = std::fs::read_to_string(FIXTURE)?;
    let stray = fixture
        .replacen("卢雁慧", "卢\u{0}", 1)
        .into_bytes()
        .into_iter()
        .map(|b| if b == 0 { 0xFF } else { b })
        .collect::<Vec<u8>>();
    put("stray-byte.csv", &stray)?;
    let xlsx = tiny_xlsx()?;
    put("truncated.xlsx", &xlsx[..xlsx.len() / 2])?;
    put(
        "not-a-workbook.xlsx",
        fixture
            .lines()
            .take(3)
            .collect::<Vec<_>>()
            .join("\n")
            .as_bytes(),
    )?;
    put("zip-bomb.xlsx", &zip_bomb()?)?;
    Ok(())
}

/// The fuzz targets' seeds (`fuzz/seeds/<target>/`): a few valid inputs each.
#[test]
#[ignore = "writes fuzz/seeds; run after changing what a target reads"]
fn write_the_fuzz_seeds() -> anyhow::Result<()> {
    use xinfang_node::case;
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds");
    let put = |target: &str, name: &str, bytes: &[u8]| -> std::io::Result<()> {
        std::fs::create_dir_all(seeds.join(target))?;
        std::fs::write(seeds.join(target).join(name), bytes)
    };
    // A case as the node writes it: registration, ledger elements, a note.
    let no = "441521115000-2026-000001";
    let unit = code(TOWN_A);
    let reg = case::Registration {
        by: None,
        unit: unit.clone(),
        petitioner: "张三".into(),
        content: "村道路面破损，雨天积水，请求修复".into(),
        details: case::Details {
            address: Some("海城镇城东路1号".into()),
            representatives: vec!["张三".into()],
            head_count: 3,
            ..Default::default()
        },
    };
    let mut d = doc::new_doc(no, doc::unit_actor(&unit))?;
    case::write_registration(&mut d, no, &reg, "2026-03-05T01:00:00.000Z")?;
    let registered = d.get_heads();
    case::add_record(
        &mut d,
        no,
        &case::progress(&unit, "已受理", chrono::Utc::now())?,
    )?;
    let note = d.save_after(&registered);
    let case_bytes = d.save();
    let roster_id = "roster/441521115000";
    let mut r = doc::new_doc(roster_id, doc::unit_actor(&unit))?;
    xinfang_node::schedule::docs::init(&mut r, roster_id, "roster", &unit)?;
    let roster_bytes = r.save();

    put(
        "document",
        "case",
        &[[0u8].as_slice(), &case_bytes].concat(),
    )?;
    put(
        "document",
        "roster",
        &[[1u8].as_slice(), &roster_bytes].concat(),
    )?;
    put("frame", "hello", &hello(TOWN_A).encode_to_vec())?;
    put(
        "frame",
        "batch",
        &batch(vec![DocEntry {
            doc_id: no.into(),
            automerge: case_bytes.into(),
            changes: Default::default(),
        }])
        .encode_to_vec(),
    )?;
    // The note as changes, four times over (a batch may name a document
    // again), packed as the transport's edge packs a batch.
    let entry = DocEntry {
        doc_id: no.into(),
        automerge: Default::default(),
        changes: note.into(),
    };
    let mut packed = batch(vec![entry; 4]);
    xinfang_hub::pack::pack(&mut packed);
    put("frame", "packed", &packed.encode_to_vec())?;
    put("csv", "haifeng-2016-04.csv", &std::fs::read(FIXTURE)?)?;
    put("xlsx", "three-rows.xlsx", &tiny_xlsx()?)?;
    Ok(())
}
