//! Visits to higher authorities (赴省进京上访) as each unit's rules say: whether
//! the unit's principal leader must receive and own such a case, and from how
//! many repeats the principal leader of the level above must instead. Local
//! policy (seed 001, text 5: "对发生的进京非正常上访…主要领导为第一责任人负责接待",
//! "累计重复二次以上的…由区级主要领导接待、包案"), written in the unit's rule set
//! file (`rules/NAME.toml`, `[higher_visits]`).
//!
//! Pure: no IO.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use xinfang_hub::UnitCode;

/// One unit's rules for visits to higher authorities. Without them, nothing is
/// required beyond the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HigherVisitRules {
    /// The unit's principal leader receives and owns every such case (件件接待、
    /// 包案); a case cannot close until one has.
    #[serde(default)]
    pub principal_owns: bool,
    /// From this many repeats on (visits after the first), the principal leader of
    /// the level above owns it instead; 0: never.
    #[serde(default)]
    pub escalate_at_repeats: u32,
}

/// Every unit's rules, as the node resolved them from the topology.
#[derive(Debug, Clone, Default)]
pub struct HigherVisitPolicies {
    by_unit: BTreeMap<UnitCode, HigherVisitRules>,
}

impl HigherVisitPolicies {
    pub fn new(by_unit: BTreeMap<UnitCode, HigherVisitRules>) -> Self {
        HigherVisitPolicies { by_unit }
    }

    /// The rules of `unit` (none required when its rule set says nothing).
    pub fn of(&self, unit: &UnitCode) -> HigherVisitRules {
        self.by_unit.get(unit).copied().unwrap_or_default()
    }
}
