//! The sync benchmark's federation: one unit of each tier in a chain, every
//! node on loopback ports of its own.

use xinfang_hub::{Tier, Topology, Unit};

use crate::federation::free_port;

pub const CITY: &str = "441500";
pub const COUNTY: &str = "441521";
pub const TOWN: &str = "441521115000";
pub const COMMUNITY: &str = "441521115001";

/// City ← county ← town ← community.
pub fn chain_topology() -> anyhow::Result<Topology> {
    let unit = |code: &str, name: &str, tier, parent: Option<&str>| -> anyhow::Result<Unit> {
        Ok(Unit {
            code: code.parse()?,
            name: name.into(),
            tier,
            parent: parent.map(str::parse).transpose()?,
            listen: format!("127.0.0.1:{}", free_port()?),
            api: Some(format!("127.0.0.1:{}", free_port()?)),
            kind: Default::default(),
            attributes: Default::default(),
        })
    };
    Ok(Topology::from_units(vec![
        unit(CITY, "汕尾市", Tier::City, None)?,
        unit(COUNTY, "海丰县", Tier::County, Some(CITY))?,
        unit(TOWN, "海城镇", Tier::Township, Some(COUNTY))?,
        unit(COMMUNITY, "城东社区", Tier::Community, Some(TOWN))?,
    ])?)
}
