//! The federation description: which units exist, who is whose parent, where each
//! node listens. Routing decisions are pure functions of this tree.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A unit's code: an official division code, 6 digits (GB/T 2260, city and county)
/// or 12 digits (statistical code, township and below), or, for a unit that is not
/// a division's government, its 18-character unified social credit code
/// ([`crate::credit_code`]), check character verified. The shapes cannot collide.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UnitCode(String);

impl UnitCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn scheme(&self) -> CodeScheme {
        if self.0.len() == crate::credit_code::LEN {
            CodeScheme::CreditCode
        } else {
            CodeScheme::Division
        }
    }
}

impl fmt::Display for UnitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for UnitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitCodeError {
    #[error(
        "unit code {0:?} must be 6 digits (city/county), 12 digits (township and below) or an \
         18-character unified social credit code (GB 32100-2015)"
    )]
    Shape(String),
    #[error("unit code: {0}")]
    CreditCode(crate::credit_code::CreditCodeError),
}

/// How a unit's code is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeScheme {
    /// 6 or 12 digits: the code of an administrative division.
    Division,
    /// 18 characters: a unified social credit code.
    CreditCode,
}

impl FromStr for UnitCode {
    type Err = UnitCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let division = (s.len() == 6 || s.len() == 12) && s.bytes().all(|b| b.is_ascii_digit());
        if division {
            return Ok(UnitCode(s.to_owned()));
        }
        if crate::credit_code::looks_like(s) {
            crate::credit_code::verify(s).map_err(UnitCodeError::CreditCode)?;
            return Ok(UnitCode(s.to_owned()));
        }
        Err(UnitCodeError::Shape(s.to_owned()))
    }
}

impl TryFrom<String> for UnitCode {
    type Error = UnitCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<UnitCode> for String {
    fn from(c: UnitCode) -> String {
        c.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    City,
    County,
    Township,
    Community,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::City => "city",
            Tier::County => "county",
            Tier::Township => "township",
            Tier::Community => "community",
        }
    }
    /// Depth in the tree: a child's tier is always deeper than its parent's.
    fn rank(self) -> u8 {
        self as u8
    }
}

/// What a unit is: the government (its petition office) of a division, or a
/// department of a government (a bureau), which the topology attaches to the
/// government of its own tier. Routing treats both alike: a unit sees its subtree,
/// siblings never see each other.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum UnitKind {
    /// Identified by its division code.
    #[default]
    Government,
    /// Identified by its unified social credit code; parent: the government of its
    /// tier, or (a field office) a department of a higher tier.
    Department,
}

impl UnitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Government => "government",
            UnitKind::Department => "department",
        }
    }

    fn is_default(&self) -> bool {
        *self == UnitKind::Government
    }
}

/// Without `api` in its table, a unit's API listens on 127.0.0.1 at its `listen`
/// port plus this.
pub const API_PORT_OFFSET: u16 = 1000;

/// One `[[unit]]` table of the topology file.
// No `deny_unknown_fields`: serde cannot combine it with the flattened attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub code: UnitCode,
    pub name: String,
    pub tier: Tier,
    /// `government` (the default) or `department`.
    #[serde(default, skip_serializing_if = "UnitKind::is_default")]
    pub kind: UnitKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<UnitCode>,
    /// `host:port` the unit's node listens on for replication (its children dial it).
    pub listen: String,
    /// `host:port` of the node's local API (staff and operators). Default: the
    /// loopback address with `listen`'s port plus [`API_PORT_OFFSET`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    /// The table's further `key = "value"` fields: the node's own per-unit
    /// settings. The hub carries them and never reads them; the node refuses
    /// names it does not know.
    #[serde(flatten, default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TopologyFile {
    #[serde(default)]
    unit: Vec<Unit>,
}

#[derive(Debug, thiserror::Error)]
pub enum TopologyError {
    #[error("cannot read topology file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("topology file is not valid TOML: {0}")]
    Parse(String),
    #[error("topology has no [[unit]] tables")]
    Empty,
    #[error("unit {0}: listed twice (field `code` must be unique)")]
    Duplicate(UnitCode),
    #[error("unit {unit}: field `parent` names {parent}, which is not in the topology")]
    UnknownParent { unit: UnitCode, parent: UnitCode },
    #[error("topology must have exactly one root (a unit without `parent`); found {0:?}")]
    Roots(Vec<UnitCode>),
    #[error("unit {unit}: tier `{tier}` must be below its parent's tier `{parent_tier}`")]
    TierOrder {
        unit: UnitCode,
        tier: &'static str,
        parent_tier: &'static str,
    },
    #[error(
        "unit {unit}: field `code` must be {expected} for kind `{kind}` (rule: governments by \
         division code, departments by unified social credit code)"
    )]
    KindCode {
        unit: UnitCode,
        kind: &'static str,
        expected: &'static str,
    },
    #[error(
        "unit {unit}: field `parent` = {parent} ({parent_kind}, tier `{parent_tier}`) cannot hold \
         a department of tier `{tier}` (rule: a department is attached to the government of its \
         own tier, or as a field office to a department of a higher tier)"
    )]
    DepartmentParent {
        unit: UnitCode,
        tier: &'static str,
        parent: UnitCode,
        parent_kind: &'static str,
        parent_tier: &'static str,
    },
    #[error(
        "unit {unit}: field `parent` = {parent} is a department; a government is never below a \
         department (rule: departments hang below governments)"
    )]
    GovernmentUnderDepartment { unit: UnitCode, parent: UnitCode },
    #[error("unit {unit}: field `listen` = {listen:?} must be host:port")]
    Listen { unit: UnitCode, listen: String },
    #[error("unit {0} is not in the topology")]
    UnknownUnit(String),
    #[error("unit {unit}: field `api` = {api:?} must be host:port")]
    Api { unit: UnitCode, api: String },
    #[error(
        "unit {unit}: `listen` port {port} leaves no default API port (port + {API_PORT_OFFSET}); \
         set `api = \"127.0.0.1:PORT\"`"
    )]
    NoApiPort { unit: UnitCode, port: u16 },
}

/// A validated federation tree.
#[derive(Debug, Clone)]
pub struct Topology {
    units: BTreeMap<UnitCode, Unit>,
    children: BTreeMap<UnitCode, Vec<UnitCode>>,
    root: UnitCode,
}

impl Topology {
    pub fn load(path: &Path) -> Result<Self, TopologyError> {
        let text = std::fs::read_to_string(path).map_err(|source| TopologyError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml(&text)
    }

    pub fn from_toml(text: &str) -> Result<Self, TopologyError> {
        let file: TopologyFile =
            toml::from_str(text).map_err(|e| TopologyError::Parse(e.to_string()))?;
        Self::from_units(file.unit)
    }

    pub fn from_units(list: Vec<Unit>) -> Result<Self, TopologyError> {
        if list.is_empty() {
            return Err(TopologyError::Empty);
        }
        let mut units = BTreeMap::new();
        for u in list {
            if !valid_listen(&u.listen) {
                return Err(TopologyError::Listen {
                    unit: u.code.clone(),
                    listen: u.listen.clone(),
                });
            }
            if let Some(api) = &u.api
                && !valid_listen(api)
            {
                return Err(TopologyError::Api {
                    unit: u.code.clone(),
                    api: api.clone(),
                });
            }
            u.api_address()?;
            let expected = match u.kind {
                UnitKind::Government => (CodeScheme::Division, "a 6- or 12-digit division code"),
                UnitKind::Department => (
                    CodeScheme::CreditCode,
                    "an 18-character unified social credit code",
                ),
            };
            if u.code.scheme() != expected.0 {
                return Err(TopologyError::KindCode {
                    unit: u.code.clone(),
                    kind: u.kind.as_str(),
                    expected: expected.1,
                });
            }
            if let Some(dup) = units.insert(u.code.clone(), u) {
                return Err(TopologyError::Duplicate(dup.code));
            }
        }
        let mut children: BTreeMap<UnitCode, Vec<UnitCode>> = BTreeMap::new();
        let mut roots = Vec::new();
        for u in units.values() {
            match &u.parent {
                None => roots.push(u.code.clone()),
                Some(p) => {
                    let parent = units.get(p).ok_or_else(|| TopologyError::UnknownParent {
                        unit: u.code.clone(),
                        parent: p.clone(),
                    })?;
                    check_parent(u, parent)?;
                    children.entry(p.clone()).or_default().push(u.code.clone());
                }
            }
        }
        if roots.len() != 1 {
            return Err(TopologyError::Roots(roots));
        }
        Ok(Topology {
            units,
            children,
            root: roots.remove(0),
        })
    }

    pub fn root(&self) -> &UnitCode {
        &self.root
    }

    pub fn unit(&self, code: &UnitCode) -> Option<&Unit> {
        self.units.get(code)
    }

    /// Looks a unit up by its textual code, with an error naming it.
    pub fn resolve(&self, code: &str) -> Result<&Unit, TopologyError> {
        code.parse::<UnitCode>()
            .ok()
            .and_then(|c| self.units.get(&c))
            .ok_or_else(|| TopologyError::UnknownUnit(code.to_owned()))
    }

    pub fn contains(&self, code: &UnitCode) -> bool {
        self.units.contains_key(code)
    }

    pub fn units(&self) -> impl Iterator<Item = &Unit> {
        self.units.values()
    }

    pub fn parent(&self, code: &UnitCode) -> Option<&UnitCode> {
        self.units.get(code).and_then(|u| u.parent.as_ref())
    }

    pub fn children(&self, code: &UnitCode) -> &[UnitCode] {
        self.children.get(code).map(Vec::as_slice).unwrap_or(&[])
    }

    /// True when `unit` is `ancestor` itself or lies below it.
    pub fn in_subtree(&self, ancestor: &UnitCode, unit: &UnitCode) -> bool {
        let mut cur = Some(unit);
        while let Some(c) = cur {
            if c == ancestor {
                return true;
            }
            cur = self.parent(c);
        }
        false
    }

    /// True when any unit of `scope` lies in the subtree rooted at `ancestor`.
    /// Codes unknown to the topology never match.
    pub fn touches_subtree<'a>(
        &self,
        ancestor: &UnitCode,
        scope: impl IntoIterator<Item = &'a UnitCode>,
    ) -> bool {
        scope.into_iter().any(|u| self.in_subtree(ancestor, u))
    }

    /// The chain from `code` up to the root, starting with `code` itself.
    pub fn ancestors(&self, code: &UnitCode) -> Vec<UnitCode> {
        let mut out = Vec::new();
        let mut cur = Some(code);
        while let Some(c) = cur {
            out.push(c.clone());
            cur = self.parent(c);
        }
        out
    }

    /// The lowest unit that is a superior (strict ancestor) of every unit in `units`:
    /// who decides the lead unit for a matter involving them. None for an empty set,
    /// unknown units, or a set containing the root.
    pub fn lowest_common_superior<'a>(
        &self,
        units: impl IntoIterator<Item = &'a UnitCode>,
    ) -> Option<UnitCode> {
        let mut common: Option<Vec<UnitCode>> = None;
        for u in units {
            if !self.contains(u) {
                return None;
            }
            // Strict ancestors, nearest first.
            let chain: Vec<UnitCode> = self.ancestors(u).into_iter().skip(1).collect();
            common = Some(match common {
                None => chain,
                Some(prev) => prev.into_iter().filter(|a| chain.contains(a)).collect(),
            });
        }
        common.and_then(|c| c.into_iter().next())
    }

    /// The subtree rooted at `code` in tree order: each unit followed by the
    /// units below it, children in topology order (the order tables list them).
    pub fn tree_order(&self, code: &UnitCode) -> Vec<UnitCode> {
        let mut out = Vec::new();
        let mut stack = vec![code.clone()];
        while let Some(c) = stack.pop() {
            stack.extend(self.children(&c).iter().rev().cloned());
            out.push(c);
        }
        out
    }

    /// All units in the subtree rooted at `code` (including it), depth-first.
    pub fn subtree(&self, code: &UnitCode) -> BTreeSet<UnitCode> {
        let mut out = BTreeSet::new();
        let mut stack = vec![code.clone()];
        while let Some(c) = stack.pop() {
            stack.extend(self.children(&c).iter().cloned());
            out.insert(c);
        }
        out
    }
}

impl Unit {
    /// Where the unit's node API listens: `api`, or 127.0.0.1 at the `listen` port
    /// plus [`API_PORT_OFFSET`].
    pub fn api_address(&self) -> Result<String, TopologyError> {
        if let Some(api) = &self.api {
            return Ok(api.clone());
        }
        let port = self
            .listen
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse::<u16>().ok())
            .unwrap_or(0);
        match port.checked_add(API_PORT_OFFSET) {
            Some(api) if port != 0 => Ok(format!("127.0.0.1:{api}")),
            _ => Err(TopologyError::NoApiPort {
                unit: self.code.clone(),
                port,
            }),
        }
    }
}

/// Where a unit may hang. (tier, kind) strictly deepens downwards, government
/// before department within a tier, which also rules out cycles.
fn check_parent(u: &Unit, parent: &Unit) -> Result<(), TopologyError> {
    match (u.kind, parent.kind) {
        (UnitKind::Government, UnitKind::Government) => {
            if u.tier.rank() <= parent.tier.rank() {
                return Err(TopologyError::TierOrder {
                    unit: u.code.clone(),
                    tier: u.tier.as_str(),
                    parent_tier: parent.tier.as_str(),
                });
            }
        }
        (UnitKind::Government, UnitKind::Department) => {
            return Err(TopologyError::GovernmentUnderDepartment {
                unit: u.code.clone(),
                parent: parent.code.clone(),
            });
        }
        (UnitKind::Department, pk) => {
            let fits = match pk {
                UnitKind::Government => u.tier == parent.tier,
                UnitKind::Department => u.tier.rank() > parent.tier.rank(),
            };
            if !fits {
                return Err(TopologyError::DepartmentParent {
                    unit: u.code.clone(),
                    tier: u.tier.as_str(),
                    parent: parent.code.clone(),
                    parent_kind: pk.as_str(),
                    parent_tier: parent.tier.as_str(),
                });
            }
        }
    }
    Ok(())
}

fn valid_listen(s: &str) -> bool {
    match s.rsplit_once(':') {
        Some((host, port)) => !host.is_empty() && port.parse::<u16>().is_ok(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
[[unit]]
code = "441500"
name = "汕尾市"
tier = "city"
listen = "127.0.0.1:7100"

[[unit]]
code = "441521"
name = "海丰县"
tier = "county"
parent = "441500"
listen = "127.0.0.1:7101"

[[unit]]
code = "441521115000"
name = "海城镇"
tier = "township"
parent = "441521"
listen = "127.0.0.1:7102"

[[unit]]
code = "441521101000"
name = "梅陇镇"
tier = "township"
parent = "441521"
listen = "127.0.0.1:7103"
"#;

    fn c(s: &str) -> UnitCode {
        s.parse().unwrap()
    }

    #[test]
    fn subtree_and_ancestors() {
        let t = Topology::from_toml(SAMPLE).unwrap();
        assert_eq!(t.root(), &c("441500"));
        assert!(t.in_subtree(&c("441500"), &c("441521115000")));
        assert!(!t.in_subtree(&c("441521115000"), &c("441521101000")));
        assert_eq!(
            t.ancestors(&c("441521115000")),
            vec![c("441521115000"), c("441521"), c("441500")]
        );
        assert_eq!(t.subtree(&c("441521")).len(), 3);
        let two_towns = [c("441521115000"), c("441521101000")];
        assert_eq!(t.lowest_common_superior(&two_towns), Some(c("441521")));
        let town_and_county = [c("441521115000"), c("441521")];
        assert_eq!(
            t.lowest_common_superior(&town_and_county),
            Some(c("441500"))
        );
        assert_eq!(t.lowest_common_superior(&[c("441500")]), None);
        assert_eq!(t.lowest_common_superior(&[]), None);
    }

    #[test]
    fn further_fields_are_carried_as_attributes() {
        let text = SAMPLE.replace(
            "listen = \"127.0.0.1:7101\"",
            "listen = \"127.0.0.1:7101\"\nrules = \"some-set\"",
        );
        let t = Topology::from_toml(&text).unwrap();
        let county = t.unit(&c("441521")).unwrap();
        assert_eq!(
            county.attributes.get("rules").map(String::as_str),
            Some("some-set")
        );
        let back = toml::to_string(county).unwrap();
        assert!(back.contains("rules = \"some-set\""), "{back}");
        assert!(t.unit(&c("441521101000")).unwrap().attributes.is_empty());
        let not_text = SAMPLE.replace(
            "listen = \"127.0.0.1:7101\"",
            "listen = \"127.0.0.1:7101\"\nrules = 3",
        );
        assert!(matches!(
            Topology::from_toml(&not_text),
            Err(TopologyError::Parse(_))
        ));
    }

    #[test]
    fn rejects_bad_files() {
        assert!(matches!(
            Topology::from_toml("[[unit]]\ncode=\"12\"\nname=\"x\"\ntier=\"city\"\nlisten=\"a:1\""),
            Err(TopologyError::Parse(m)) if m.contains("6 digits")
        ));
        let two_roots = SAMPLE.replace(
            "parent = \"441521\"\nlisten = \"127.0.0.1:7103\"",
            "listen = \"127.0.0.1:7103\"",
        );
        assert!(matches!(
            Topology::from_toml(&two_roots),
            Err(TopologyError::Roots(_))
        ));
        let bad_tier = SAMPLE.replace("tier = \"county\"", "tier = \"city\"");
        assert!(matches!(
            Topology::from_toml(&bad_tier),
            Err(TopologyError::TierOrder { .. })
        ));
        let bad_listen = SAMPLE.replace("127.0.0.1:7101", "nowhere");
        assert!(matches!(
            Topology::from_toml(&bad_listen),
            Err(TopologyError::Listen { .. })
        ));
        let unknown_parent = SAMPLE.replace("parent = \"441500\"", "parent = \"441599\"");
        assert!(matches!(
            Topology::from_toml(&unknown_parent),
            Err(TopologyError::UnknownParent { .. })
        ));
    }

    /// Two county bureaus under the county and a field office of one of them in
    /// a town (codes: GB 32100-2015, check characters computed).
    const DEPARTMENTS: &str = r#"
[[unit]]
code = "114415210070451214"
name = "海丰县住房和城乡建设局"
tier = "county"
kind = "department"
parent = "441521"
listen = "127.0.0.1:7110"

[[unit]]
code = "1144152100704513XU"
name = "海丰县人力资源和社会保障局"
tier = "county"
kind = "department"
parent = "441521"
listen = "127.0.0.1:7111"

[[unit]]
code = "11441521007045156N"
name = "海丰县住房和城乡建设局海城分局"
tier = "township"
kind = "department"
parent = "114415210070451214"
listen = "127.0.0.1:7112"
"#;

    #[test]
    fn departments_hang_below_the_government_of_their_tier() {
        let t = Topology::from_toml(&format!("{SAMPLE}{DEPARTMENTS}")).unwrap();
        let housing = c("114415210070451214");
        let hr = c("1144152100704513XU");
        let field = c("11441521007045156N");
        assert_eq!(t.unit(&housing).unwrap().kind, UnitKind::Department);
        assert_eq!(t.unit(&c("441521")).unwrap().kind, UnitKind::Government);
        assert_eq!(housing.scheme(), CodeScheme::CreditCode);
        assert!(t.in_subtree(&c("441521"), &housing));
        assert!(t.in_subtree(&c("441500"), &field));
        assert!(t.in_subtree(&housing, &field));
        assert!(!t.in_subtree(&hr, &housing), "siblings are apart");
        assert!(!t.in_subtree(&hr, &field));
        assert_eq!(
            t.lowest_common_superior(&[housing.clone(), hr.clone()]),
            Some(c("441521"))
        );
        let back = toml::to_string(t.unit(&housing).unwrap()).unwrap();
        assert!(back.contains("kind = \"department\""), "{back}");
        let gov = toml::to_string(t.unit(&c("441521")).unwrap()).unwrap();
        assert!(!gov.contains("kind"), "the default is not written: {gov}");
    }

    #[test]
    fn a_department_with_a_bad_code_or_in_the_wrong_place_is_refused() {
        let all = format!("{SAMPLE}{DEPARTMENTS}");
        let bad_check = all.replace("114415210070451214", "114415210070451215");
        let e = Topology::from_toml(&bad_check).unwrap_err().to_string();
        assert!(
            e.contains("check character") && e.contains("GB 32100-2015"),
            "{e}"
        );
        // A department under a township government, though its tier is the county's.
        let wrong_tier = all.replacen(
            "parent = \"441521\"\nlisten = \"127.0.0.1:7110\"",
            "parent = \"441521115000\"\nlisten = \"127.0.0.1:7110\"",
            1,
        );
        let e = Topology::from_toml(&wrong_tier).unwrap_err();
        assert!(matches!(e, TopologyError::DepartmentParent { .. }), "{e}");
        let e = e.to_string();
        assert!(
            e.contains("field `parent`") && e.contains("own tier"),
            "{e}"
        );
        // A field office at the tier of the department it belongs to.
        let flat = all.replace("tier = \"township\"\nkind", "tier = \"county\"\nkind");
        assert!(matches!(
            Topology::from_toml(&flat),
            Err(TopologyError::DepartmentParent { .. })
        ));
        // A department given a division code, and a government a credit code.
        let division = all.replace(
            "kind = \"department\"\nparent = \"114415210070451214\"",
            "kind = \"government\"\nparent = \"114415210070451214\"",
        );
        assert!(matches!(
            Topology::from_toml(&division),
            Err(TopologyError::KindCode { .. } | TopologyError::GovernmentUnderDepartment { .. })
        ));
        let no_kind = all.replacen("kind = \"department\"\n", "", 1);
        let e = Topology::from_toml(&no_kind).unwrap_err();
        assert!(matches!(e, TopologyError::KindCode { .. }), "{e}");
        assert!(e.to_string().contains("field `code`"), "{e}");
        let gov_below = format!(
            "{all}\n[[unit]]\ncode = \"441521115002\"\nname = \"x\"\ntier = \"community\"\nparent = \"11441521007045156N\"\nlisten = \"127.0.0.1:7113\"\n"
        );
        assert!(matches!(
            Topology::from_toml(&gov_below),
            Err(TopologyError::GovernmentUnderDepartment { .. })
        ));
    }

    #[test]
    fn the_api_address_is_given_or_derived_from_listen() {
        let t = Topology::from_toml(SAMPLE).unwrap();
        let root = t.unit(t.root()).unwrap();
        assert_eq!(root.api_address().unwrap(), "127.0.0.1:8100");
        let given = SAMPLE.replacen(
            "listen = \"127.0.0.1:7100\"",
            "listen = \"127.0.0.1:7100\"\napi = \"127.0.0.1:9999\"",
            1,
        );
        let t = Topology::from_toml(&given).unwrap();
        assert_eq!(
            t.unit(t.root()).unwrap().api_address().unwrap(),
            "127.0.0.1:9999"
        );
        let bad = SAMPLE.replacen(
            "listen = \"127.0.0.1:7100\"",
            "listen = \"127.0.0.1:7100\"\napi = \"nowhere\"",
            1,
        );
        let e = Topology::from_toml(&bad).unwrap_err().to_string();
        assert!(e.contains("`api`"), "{e}");
        let high = SAMPLE.replacen("127.0.0.1:7100", "127.0.0.1:65000", 1);
        let e = Topology::from_toml(&high).unwrap_err().to_string();
        assert!(e.contains("set `api"), "{e}");
    }
}
