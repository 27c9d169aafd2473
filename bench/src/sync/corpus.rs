//! The peers' documents as cases: each line of `docgen.js --export N` (the very
//! documents PouchDB and automerge-repo replicate) mapped field by field to a case
//! document registered at the benchmark's county, so a row compares like with like.
//!
//! | peer field | case document |
//! |---|---|
//! | `_id`, `caseNo` | the case number: the county's, with the peer's year and sequence |
//! | `unitCode` | `details.address` (the peer's unit codes are outside this federation) |
//! | `petitionerName`, `content` | `petitioner`, `content` |
//! | `idNumberHash` | `details.id_hash` |
//! | `category`, `purpose` | `details.category` (+ `subcategory`), `details.purpose`, as taxonomy codes |
//! | `createdAt` | `registered_at` |
//! | `status` | a screening record a day later: accepted, or not accepted; none while pending |
//! | `transfers[]`, `updatedAt` | one progress record each, at its time, naming from, to and note |
//!
//! Transfers are progress records, not forwards: a forward names a unit of the tree
//! and would route the case to it, which the peers' documents do not do.

use std::io::BufRead;
use std::path::Path;

use anyhow::{Context, bail};
use automerge::AutoCommit;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use xinfang_hub::UnitCode;
use xinfang_hub::doc;
use xinfang_node::case::{self, Body, Details, Record, Registration, Screening};

/// One document of the peers' corpus, as `docgen.js` writes it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PeerCase {
    #[serde(rename = "_id")]
    pub id: String,
    pub case_no: String,
    pub unit_code: String,
    pub petitioner_name: String,
    pub id_number_hash: String,
    pub content: String,
    pub category: String,
    pub purpose: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub transfers: Vec<Transfer>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    pub from: String,
    pub to: String,
    pub at: DateTime<Utc>,
    pub note: String,
}

/// The corpus file, read lazily: at most `limit` documents.
pub struct Corpus {
    lines: std::io::Lines<std::io::BufReader<std::fs::File>>,
    path: String,
    line: usize,
    left: usize,
}

impl Corpus {
    pub fn open(path: &Path, limit: usize) -> anyhow::Result<Corpus> {
        let file = std::fs::File::open(path)
            .with_context(|| format!("--corpus {}: cannot open", path.display()))?;
        Ok(Corpus {
            lines: std::io::BufReader::new(file).lines(),
            path: path.display().to_string(),
            line: 0,
            left: limit,
        })
    }

    /// The next document, or None at the end (or the limit).
    pub fn next_case(&mut self) -> anyhow::Result<Option<PeerCase>> {
        while self.left > 0 {
            let Some(line) = self.lines.next() else {
                return Ok(None);
            };
            self.line += 1;
            let line = line.with_context(|| format!("--corpus {}: unreadable", self.path))?;
            if line.trim().is_empty() {
                continue;
            }
            self.left -= 1;
            let c = serde_json::from_str(&line).with_context(|| {
                format!(
                    "--corpus {} line {}: not a document of docgen.js --export",
                    self.path, self.line
                )
            })?;
            return Ok(Some(c));
        }
        Ok(None)
    }
}

/// The taxonomy code (and subcategory) for the peers' category names.
fn category(name: &str) -> anyhow::Result<(&'static str, Option<&'static str>)> {
    Ok(match name {
        "城乡建设" => ("construction", None),
        "劳动社保" => ("labor", None),
        "农村农业" => ("agriculture", None),
        "国土资源" => ("land", None),
        "卫生健康" => ("health", None),
        "教育文体" => ("education", None),
        "政法" => ("law", None),
        "环境保护" => ("transport", Some("环境保护")),
        "交通运输" => ("transport", Some("交通运输")),
        "民政" => ("civil", None),
        other => bail!("category {other:?}: no taxonomy code is mapped for it"),
    })
}

/// The taxonomy code for the peers' purpose names.
fn purpose(name: &str) -> anyhow::Result<&'static str> {
    Ok(match name {
        "求决" => "request",
        "申诉" => "appeal",
        "建议" => "advice",
        "揭发控告" => "accusation",
        "咨询" | "表扬" => "other",
        other => bail!("purpose {other:?}: no taxonomy code is mapped for it"),
    })
}

/// The peer's status as the screening it implies (None: still pending).
fn screening(status: &str) -> anyhow::Result<Option<Screening>> {
    Ok(match status {
        "待受理" => None,
        "已受理" | "办理中" | "已办结" | "已转送" => Some(Screening::Accept),
        "不予受理" => Some(Screening::NotAccept {
            notice: "不属于信访事项受理范围，已书面告知".into(),
            competent_authority: "人民法院".into(),
        }),
        other => bail!("status {other:?}: no screening is mapped for it"),
    })
}

/// The sequence number in the peer's case number `XF-<unit>-<year>-<seq>`, and its year.
fn year_and_seq(case_no: &str) -> anyhow::Result<(i32, u64)> {
    let mut parts = case_no.rsplit('-');
    let seq = parts.next().and_then(|s| s.parse::<u64>().ok());
    let year = parts.next().and_then(|s| s.parse::<i32>().ok());
    match (year, seq) {
        (Some(y), Some(s)) => Ok((y, s)),
        _ => bail!("caseNo {case_no:?}: expected XF-<unit>-<year>-<sequence>"),
    }
}

/// Whether the case the peer's document becomes is still handled, so staff may
/// add to it (a case not accepted takes no further records).
pub fn open(c: &PeerCase) -> bool {
    !matches!(screening(&c.status), Ok(Some(Screening::NotAccept { .. })))
}

/// The peer's document as a case registered at `county`: its number and document.
pub fn to_case(county: &UnitCode, c: &PeerCase) -> anyhow::Result<(String, AutoCommit)> {
    let at = |t: &DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let (year, seq) = year_and_seq(&c.case_no)?;
    // The peers number from 0; case numbers from 1.
    let no = case::case_number(county, year, seq + 1);
    let (cat, sub) = category(&c.category).with_context(|| c.id.clone())?;
    let reg = Registration {
        unit: county.clone(),
        petitioner: c.petitioner_name.clone(),
        content: c.content.clone(),
        details: Details {
            purpose: Some(purpose(&c.purpose).with_context(|| c.id.clone())?.into()),
            category: Some(cat.into()),
            subcategory: sub.map(Into::into),
            id_hash: Some(c.id_number_hash.clone()),
            address: Some(c.unit_code.clone()),
            ..Details::default()
        },
        by: None,
    };
    let mut d = doc::new_doc(&no, doc::unit_actor(county))?;
    case::write_registration(&mut d, &no, &reg, &at(&c.created_at))?;
    let mut k = 0;
    let mut record = |d: &mut AutoCommit, when: DateTime<Utc>, body: Body| {
        k += 1;
        let r = Record {
            id: format!("{county}-{}-{k}", c.id),
            unit: county.clone(),
            at: when,
            body,
            by: None,
        };
        case::add_record(d, &no, &r)
    };
    if let Some(decision) = screening(&c.status).with_context(|| c.id.clone())? {
        record(
            &mut d,
            c.created_at + chrono::Duration::days(1),
            Body::Screening { decision },
        )?;
    }
    for t in &c.transfers {
        record(
            &mut d,
            t.at,
            Body::Progress {
                text: format!("{}：{} → {}", t.note, t.from, t.to),
            },
        )?;
    }
    if c.transfers.iter().all(|t| t.at != c.updated_at) {
        record(
            &mut d,
            c.updated_at,
            Body::Progress {
                text: format!("状态：{}", c.status),
            },
        )?;
    }
    Ok((no, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"_id":"case-000000007","caseNo":"XF-440305-2024-0000007","unitCode":"440305-0042","petitionerName":"王小","idNumberHash":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","content":"反映道路破损","category":"环境保护","purpose":"咨询","status":"已转送","createdAt":"2024-03-01T08:00:00.000Z","updatedAt":"2024-03-04T08:00:00.000Z","transfers":[{"from":"440305-0001","to":"440305-0009","at":"2024-03-02T08:00:00.000Z","note":"转送属地办理"},{"from":"440305-0009","to":"440305-0100","at":"2024-03-04T08:00:00.000Z","note":"交办责任单位"}]}"#;

    #[test]
    fn a_peer_document_becomes_a_case_field_by_field() {
        let county: UnitCode = "441521".parse().unwrap();
        let c: PeerCase = serde_json::from_str(LINE).unwrap();
        let (no, mut d) = to_case(&county, &c).unwrap();
        assert_eq!(no, case::case_number(&county, 2024, 8));
        let view = case::read(&mut d, &no).unwrap();
        assert_eq!(view.petitioner, "王小");
        assert_eq!(view.content, "反映道路破损");
        let det = case::read_details(&d);
        assert_eq!(det.category.as_deref(), Some("transport"));
        assert_eq!(det.subcategory.as_deref(), Some("环境保护"));
        assert_eq!(det.purpose.as_deref(), Some("other"));
        assert_eq!(det.address.as_deref(), Some("440305-0042"));
        assert_eq!(det.id_hash.as_deref(), Some(c.id_number_hash.as_str()));
        let (records, _) = case::read_records(&d);
        // accepted, then the two transfers (the second at updatedAt)
        assert_eq!(records.len(), 3, "{records:?}");
        assert!(matches!(
            records[0].body,
            Body::Screening {
                decision: Screening::Accept
            }
        ));
    }

    #[test]
    fn what_cannot_be_mapped_is_refused_naming_the_field() {
        let county: UnitCode = "441521".parse().unwrap();
        let bad = LINE.replace("环境保护", "航天");
        let c: PeerCase = serde_json::from_str(&bad).unwrap();
        let e = to_case(&county, &c).unwrap_err();
        assert!(format!("{e:#}").contains("category"), "{e:#}");
        let bad = LINE.replace("XF-440305-2024-0000007", "7");
        let c: PeerCase = serde_json::from_str(&bad).unwrap();
        let e = to_case(&county, &c).unwrap_err();
        assert!(format!("{e:#}").contains("caseNo"), "{e:#}");
    }
}
