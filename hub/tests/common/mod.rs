//! What the hub's link tests share: a county and one of its towns.

use automerge::{AutoCommit, ReadDoc};
use xinfang_hub::{Tier, Topology, Unit};

pub const COUNTY: &str = "441521";
pub const TOWN: &str = "441521115000";

/// The integer at `key` of a document's root, if it holds one.
pub fn int_at(doc: &AutoCommit, key: &str) -> Option<i64> {
    doc.get(automerge::ROOT, key)
        .ok()
        .flatten()
        .and_then(|(v, _)| v.as_i64())
}

/// The county and its town, nobody listening (the tests call the hubs directly).
pub fn county_and_town() -> Topology {
    let unit = |code: &str, tier, parent: Option<&str>| Unit {
        code: code.parse().expect("code"),
        name: code.into(),
        tier,
        parent: parent.map(|p| p.parse().expect("code")),
        listen: "127.0.0.1:1".into(),
        api: None,
        kind: Default::default(),
        attributes: Default::default(),
    };
    Topology::from_units(vec![
        unit(COUNTY, Tier::County, None),
        unit(TOWN, Tier::Township, Some(COUNTY)),
    ])
    .expect("topology")
}
