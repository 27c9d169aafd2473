//! The sync benchmark's documents: realistic cases written straight into the
//! county's store, its query tables brought up to date as on a running node.

use std::path::Path;
use std::sync::Arc;

use xinfang_hub::db::{DbOptions, Durability};
use xinfang_hub::doc::{self, Heads};
use xinfang_hub::store::sql::SqlStore;
use xinfang_hub::store::{DocWrite, Store};
use xinfang_hub::{Topology, UnitCode};
use xinfang_node::case::{self, Registration};
use xinfang_node::layout::FederationDir;

use super::corpus::{self, Corpus};

/// Where the benchmark's documents come from.
pub enum Source<'a> {
    /// Realistic cases of our own (about 0.55 KB each).
    Own,
    /// The peers' corpus (`docgen.js --export`), each document mapped to a case.
    Corpus(&'a Path),
}

/// The generated cases, in order.
pub struct Cases {
    pub numbers: Vec<String>,
    /// Whether each is still handled, so staff may add to it.
    pub open: Vec<bool>,
}

/// Writes up to `n` case documents from `source` straight into `unit`'s store.
pub async fn generate(
    layout: &FederationDir,
    db_url: Option<&str>,
    topology: &Topology,
    unit: &UnitCode,
    n: usize,
    source: Source<'_>,
) -> anyhow::Result<Cases> {
    std::fs::create_dir_all(layout.data(unit))?;
    let url = match db_url {
        Some(u) => u.to_owned(),
        None => xinfang_hub::db::sqlite_url(&layout.data(unit).join("xinfang.db")),
    };
    let db = xinfang_node::schema::open(
        &url,
        DbOptions {
            durability: Durability::Normal,
            max_connections: None,
        },
    )
    .await?;
    let store = SqlStore::open(db.clone()).await?;
    let bar = indicatif::ProgressBar::new(n as u64).with_style(
        indicatif::ProgressStyle::with_template("生成案件 {bar:40} {pos}/{len} {per_sec}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let actor = doc::unit_actor(unit);
    let content = "反映本村道路年久失修、雨季积水严重，影响村民出行和学生上学，多次向村委会反映未果，请求上级部门协调资金尽快修缮。".repeat(3);
    let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut corpus = match source {
        Source::Own => None,
        Source::Corpus(path) => Some(Corpus::open(path, n)?),
    };
    let mut numbers = Vec::with_capacity(n);
    let mut open = Vec::with_capacity(n);
    let mut batch = Vec::with_capacity(1000);
    for i in 0..n {
        let (no, mut d, is_open) = match &mut corpus {
            None => {
                let no = case::case_number(unit, 2026, i as u64 + 1);
                let reg =
                    Registration::validate(unit, unit.as_str(), &format!("信访人{i}"), &content)?;
                let mut d = doc::new_doc(&no, actor.clone())?;
                case::write_registration(&mut d, &no, &reg, &at)?;
                (no, d, true)
            }
            Some(c) => match c.next_case()? {
                Some(peer) => {
                    let (no, d) = corpus::to_case(unit, &peer)?;
                    (no, d, corpus::open(&peer))
                }
                None => break,
            },
        };
        let heads = Heads::of(&mut d);
        batch.push(DocWrite {
            doc_id: no.clone(),
            scope: doc::read_scope(&no, &d)?,
            heads: heads.encode(),
            source: None,
            bytes: d.save(),
        });
        numbers.push(no);
        open.push(is_open);
        if batch.len() == 1000 || i + 1 == n {
            store
                .commit(
                    std::mem::take(&mut batch),
                    None,
                    xinfang_hub::engine::wall_clock_ms(),
                )
                .await?;
            bar.set_position(i as u64 + 1);
        }
    }
    if !batch.is_empty() {
        store
            .commit(batch, None, xinfang_hub::engine::wall_clock_ms())
            .await?;
    }
    if numbers.is_empty() {
        anyhow::bail!("--corpus: the file holds no documents");
    }
    bar.finish_and_clear();
    // Bring the node's projections up to date too, as on any running node, so the
    // measured sync does not compete with a projection backlog. Under the
    // federation's own tree: query tables derived under another tree are derived
    // again when the node starts (that cost a whole re-projection during the
    // first sync in earlier runs of this benchmark).
    let topology = Arc::new(topology.clone());
    let store: Arc<dyn Store> = Arc::new(store);
    let hub = xinfang_hub::Hub::new(unit.clone(), topology, store, Default::default())?;
    let rules = Arc::new(xinfang_node::rules::CaseRules::official()?);
    xinfang_node::projection::Projector::new(hub, db.clone(), rules)
        .catch_up()
        .await?;
    db.close().await;
    Ok(Cases { numbers, open })
}
