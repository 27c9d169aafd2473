//! The generated city: 1 city, 8 counties, 15 townships each, 1,500 communities.
//! Only the city and the counties run nodes (their own loopback ports); the units
//! below are in the tree for the reports.

use xinfang_hub::{Tier, Topology, Unit, UnitCode};

use crate::federation::free_port;

pub const CITY: &str = "441500";
pub const COUNTIES: usize = 8;
const TOWNS_PER_COUNTY: usize = 15;
const COMMUNITIES: usize = 1_500;

/// A county's towns, each with its communities.
pub type Towns = Vec<(UnitCode, Vec<UnitCode>)>;

/// The whole tree, and each county's towns with their communities.
pub fn city_topology() -> anyhow::Result<(Topology, Vec<Towns>)> {
    let mut units = vec![Unit {
        code: CITY.parse()?,
        name: "汕尾市".into(),
        tier: Tier::City,
        parent: None,
        listen: format!("127.0.0.1:{}", free_port()?),
        api: Some(format!("127.0.0.1:{}", free_port()?)),
        kind: Default::default(),
        attributes: Default::default(),
    }];
    let mut tree = Vec::new();
    let mut communities = 0;
    for c in 0..COUNTIES {
        let county: UnitCode = format!("4415{:02}", 21 + c).parse()?;
        units.push(Unit {
            code: county.clone(),
            name: format!("第{}县", c + 1),
            tier: Tier::County,
            parent: Some(CITY.parse()?),
            listen: format!("127.0.0.1:{}", free_port()?),
            api: Some(format!("127.0.0.1:{}", free_port()?)),
            kind: Default::default(),
            attributes: Default::default(),
        });
        let mut towns = Vec::new();
        for t in 0..TOWNS_PER_COUNTY {
            let town: UnitCode = format!("{county}{:03}000", 100 + t).parse()?;
            units.push(Unit {
                code: town.clone(),
                name: format!("第{}县第{}镇", c + 1, t + 1),
                tier: Tier::Township,
                parent: Some(county.clone()),
                listen: "127.0.0.1:1".into(),
                api: None,
                kind: Default::default(),
                attributes: Default::default(),
            });
            // 1,500 communities over 120 towns: 12 or 13 each.
            let n = COMMUNITIES / (COUNTIES * TOWNS_PER_COUNTY)
                + usize::from(
                    (c * TOWNS_PER_COUNTY + t) < COMMUNITIES % (COUNTIES * TOWNS_PER_COUNTY),
                );
            let mut comms = Vec::new();
            for k in 0..n {
                communities += 1;
                let code: UnitCode = format!("{county}{:03}{:03}", 100 + t, 1 + k).parse()?;
                units.push(Unit {
                    code: code.clone(),
                    name: format!("第{}县第{}镇第{}社区", c + 1, t + 1, k + 1),
                    tier: Tier::Community,
                    parent: Some(town.clone()),
                    listen: "127.0.0.1:1".into(),
                    api: None,
                    kind: Default::default(),
                    attributes: Default::default(),
                });
                comms.push(code);
            }
            towns.push((town, comms));
        }
        tree.push((county, towns));
    }
    debug_assert_eq!(communities, COMMUNITIES);
    let counties = tree.into_iter().map(|(_, towns)| towns).collect();
    Ok((Topology::from_units(units)?, counties))
}
