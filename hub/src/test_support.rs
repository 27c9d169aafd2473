//! What the crate's unit tests share: a county and one of its townships.

use std::sync::Arc;

use crate::engine::{Hub, HubConfig};
use crate::route::Link;
use crate::store::Store;
use crate::topology::{Tier, Topology, Unit, UnitCode};

pub fn code(s: &str) -> UnitCode {
    s.parse().expect("code")
}

/// The county 441521 and its township 441521115000 (listening nowhere).
pub fn county_and_town() -> (Topology, UnitCode, UnitCode) {
    let (county, town) = (code("441521"), code("441521115000"));
    let unit = |c: &UnitCode, tier, parent: Option<&UnitCode>| Unit {
        code: c.clone(),
        name: c.to_string(),
        tier,
        parent: parent.cloned(),
        listen: "127.0.0.1:1".into(),
        api: None,
        kind: Default::default(),
        attributes: Default::default(),
    };
    let topo = Topology::from_units(vec![
        unit(&county, Tier::County, None),
        unit(&town, Tier::Township, Some(&county)),
    ])
    .expect("topology");
    (topo, county, town)
}

/// The county's hub on `store`, with its link to the township.
pub fn county_hub(store: Arc<dyn Store>) -> (Hub, Link, UnitCode) {
    let (topo, county, town) = county_and_town();
    let hub = Hub::new(county, Arc::new(topo), store, HubConfig::default()).expect("hub");
    let link = hub.link_with(&town).expect("link");
    (hub, link, town)
}
