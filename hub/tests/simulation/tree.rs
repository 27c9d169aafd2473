//! Generated federation trees: a city's shape at any size, with its counties,
//! townships, communities and the functional departments beside the county and
//! city governments (18-character credit codes with their check characters).

use xinfang_hub::credit_code;
use xinfang_hub::{Tier, Topology, Unit, UnitCode, UnitKind};

/// How many units of each kind a generated city has.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub counties: usize,
    /// Townships per county.
    pub towns: usize,
    /// Communities per township.
    pub communities: usize,
    /// Bureaus beside each county government.
    pub county_departments: usize,
    /// Bureaus beside the city government.
    pub city_departments: usize,
}

impl Shape {
    /// The whole city: 1 city, 8 counties, 120 townships, 1,320 communities and
    /// 180 departments — 1,629 nodes.
    pub const CITY: Shape = Shape {
        counties: 8,
        towns: 15,
        communities: 11,
        county_departments: 20,
        city_departments: 20,
    };

    /// What CI runs on every seed: 1 city, 2 counties, 12 townships, 96
    /// communities and 16 departments — 127 nodes.
    pub const DISTRICT: Shape = Shape {
        counties: 2,
        towns: 6,
        communities: 8,
        county_departments: 6,
        city_departments: 4,
    };

    /// A few hundred nodes (CI runs one seed of it): 3 counties, 24 townships,
    /// 240 communities, 24 departments — 292 nodes.
    pub const PREFECTURE: Shape = Shape {
        counties: 3,
        towns: 8,
        communities: 10,
        county_departments: 6,
        city_departments: 6,
    };

    /// The small tree of the focused tests: 2 counties, 2 townships each, 2
    /// communities each — 15 nodes.
    pub const SMALL: Shape = Shape {
        counties: 2,
        towns: 2,
        communities: 2,
        county_departments: 0,
        city_departments: 0,
    };

    pub fn nodes(&self) -> usize {
        1 + self.city_departments
            + self.counties * (1 + self.county_departments + self.towns * (1 + self.communities))
    }

    /// The units, parents before children.
    pub fn units(&self) -> Vec<Unit> {
        assert!(
            self.counties <= 79 && self.towns <= 899 && self.communities <= 999,
            "a division code has room for these counts"
        );
        let city = "441500";
        let mut serial = 0u32;
        let mut department = |division: &str, tier: Tier, parent: &str| {
            serial += 1;
            let body = format!("11{division}{serial:09}");
            let check = credit_code::check_char(&body).expect("a body of 17 digits");
            unit(
                &format!("{body}{check}"),
                tier,
                UnitKind::Department,
                Some(parent),
            )
        };
        let mut units = vec![unit(city, Tier::City, UnitKind::Government, None)];
        for _ in 0..self.city_departments {
            units.push(department(city, Tier::City, city));
        }
        for c in 0..self.counties {
            let county = format!("4415{:02}", 21 + c);
            units.push(unit(
                &county,
                Tier::County,
                UnitKind::Government,
                Some(city),
            ));
            for _ in 0..self.county_departments {
                units.push(department(&county, Tier::County, &county));
            }
            for t in 0..self.towns {
                let town = format!("{county}{:03}000", 101 + t);
                units.push(unit(
                    &town,
                    Tier::Township,
                    UnitKind::Government,
                    Some(&county),
                ));
                for m in 0..self.communities {
                    let community = format!("{county}{:03}{:03}", 101 + t, 1 + m);
                    units.push(unit(
                        &community,
                        Tier::Community,
                        UnitKind::Government,
                        Some(&town),
                    ));
                }
            }
        }
        debug_assert_eq!(units.len(), self.nodes());
        units
    }

    pub fn topology(&self) -> Topology {
        Topology::from_units(self.units()).expect("a generated tree is a valid topology")
    }
}

fn unit(code: &str, tier: Tier, kind: UnitKind, parent: Option<&str>) -> Unit {
    let code: UnitCode = code.parse().expect("a generated unit code parses");
    Unit {
        name: format!("{} {code}", tier.as_str()),
        code,
        tier,
        parent: parent.map(|p| p.parse().expect("a generated parent code parses")),
        listen: "sim:1".into(),
        api: None,
        kind,
        attributes: Default::default(),
    }
}
