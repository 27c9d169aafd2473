//! Rule sets by name: a local directory's file first, then the shipped sets; and
//! the set of every unit of the topology, resolved once at start.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use xinfang_hub::{Topology, UnitCode};

use super::parse::{check_name, named};
use super::{Filing, RuleSet, RuleSetError};

/// The sets shipped with xinfang, by name (= file stem).
const SHIPPED: [(&str, &str); 15] = [
    (
        "haifeng-county",
        include_str!("../../../../rules/haifeng-county.toml"),
    ),
    (
        "haifeng-big-town",
        include_str!("../../../../rules/haifeng-big-town.toml"),
    ),
    (
        "haifeng-town",
        include_str!("../../../../rules/haifeng-town.toml"),
    ),
    (
        "haifeng-department",
        include_str!("../../../../rules/haifeng-department.toml"),
    ),
    (
        "lishui-city",
        include_str!("../../../../rules/lishui-city.toml"),
    ),
    (
        "lishui-county",
        include_str!("../../../../rules/lishui-county.toml"),
    ),
    (
        "shenzhen-city",
        include_str!("../../../../rules/shenzhen-city.toml"),
    ),
    (
        "qingshan-township",
        include_str!("../../../../rules/qingshan-township.toml"),
    ),
    (
        "qingshan-department",
        include_str!("../../../../rules/qingshan-department.toml"),
    ),
    (
        "bureau-daily-turns",
        include_str!("../../../../rules/bureau-daily-turns.toml"),
    ),
    (
        "district-leaders",
        include_str!("../../../../rules/district-leaders.toml"),
    ),
    (
        "nanhu-community",
        include_str!("../../../../rules/nanhu-community.toml"),
    ),
    ("hospital", include_str!("../../../../rules/hospital.toml")),
    (
        "construction-bureau",
        include_str!("../../../../rules/construction-bureau.toml"),
    ),
    (
        "reception-day-county",
        include_str!("../../../../rules/reception-day-county.toml"),
    ),
];

/// The shipped sets as (name, TOML text).
pub fn shipped() -> Vec<(&'static str, &'static str)> {
    SHIPPED.to_vec()
}

/// The set named `name`: the first `DIR/NAME.toml` among `search_dirs`, else the
/// shipped one.
pub fn resolve(name: &str, search_dirs: &[PathBuf]) -> Result<RuleSet, RuleSetError> {
    let unknown = |searched: &[PathBuf]| {
        let mut known: BTreeSet<String> = SHIPPED.iter().map(|(n, _)| (*n).to_owned()).collect();
        for dir in searched {
            let Ok(list) = std::fs::read_dir(dir) else {
                continue;
            };
            for entry in list.flatten() {
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "toml")
                    && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
                {
                    known.insert(stem.to_owned());
                }
            }
        }
        RuleSetError::Unknown {
            name: name.to_owned(),
            searched: if searched.is_empty() {
                "shipped sets only".to_owned()
            } else {
                searched
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            known: known.into_iter().collect::<Vec<_>>().join(", "),
        }
    };
    // A malformed name can never be a file stem we look up (no "../x").
    if check_name(name).is_err() {
        return Err(unknown(search_dirs));
    }
    for dir in search_dirs {
        let path = dir.join(format!("{name}.toml"));
        if path.is_file() {
            return RuleSet::load(&path);
        }
    }
    match SHIPPED.iter().find(|(n, _)| *n == name) {
        Some((n, text)) => named(text, &format!("rules/{n}.toml (shipped)"), n),
        None => Err(unknown(search_dirs)),
    }
}

/// For units with no `rules` configured: no quotas, filing due on the 10th.
pub fn default_set() -> RuleSet {
    RuleSet {
        name: "default".to_owned(),
        title: "未配置接访规则（仅按默认日期报备）".to_owned(),
        source: "xinfang default: no quota rules; filing due on the 10th (seed 000, notice 二)"
            .to_owned(),
        filing: Filing::default(),
        rules: Vec::new(),
        higher_visits: None,
        supervision_form: Default::default(),
    }
}

/// The rule set of every unit in the topology, resolved once at start.
pub struct RuleSets {
    by_unit: BTreeMap<UnitCode, Arc<RuleSet>>,
    default: Arc<RuleSet>,
}

/// The field of a `[[unit]]` table in the topology file naming the unit's rule set
/// (`rules = "NAME"`).
pub const UNIT_FIELD: &str = "rules";

/// A field of a `[[unit]]` table that no part of the node reads.
#[derive(Debug, thiserror::Error)]
#[error(
    "unit {unit} ({name}): unknown field `{field}` in its [[unit]] table (expected one of \
     code, name, tier, kind, parent, listen, api, {UNIT_FIELD})"
)]
pub struct UnknownUnitField {
    pub unit: xinfang_hub::UnitCode,
    pub name: String,
    pub field: String,
}

/// The rule-set name a unit's table gives, if any. The hub carries a unit's further
/// fields without reading them; this is the only one the node knows, so any other
/// is refused (a misspelt field must not pass silently).
pub fn unit_rule_set(unit: &xinfang_hub::Unit) -> Result<Option<&str>, UnknownUnitField> {
    if let Some(other) = unit.attributes.keys().find(|k| k.as_str() != UNIT_FIELD) {
        return Err(UnknownUnitField {
            unit: unit.code.clone(),
            name: unit.name.clone(),
            field: other.clone(),
        });
    }
    Ok(unit.attributes.get(UNIT_FIELD).map(String::as_str))
}

/// Why the units' rule sets cannot be resolved: each names the unit.
#[derive(Debug, thiserror::Error)]
pub enum UnitRulesError {
    #[error(transparent)]
    UnknownField(#[from] UnknownUnitField),
    #[error("unit {unit} ({name}): rules = {set:?}: {source}")]
    Set {
        unit: UnitCode,
        name: String,
        set: String,
        source: Box<RuleSetError>,
    },
}

impl RuleSets {
    /// Resolves each unit's `rules = "NAME"`: files in `dirs` first, then the
    /// shipped sets. An unknown name stops the node with the unit named.
    pub fn resolve(topology: &Topology, dirs: &[PathBuf]) -> Result<RuleSets, UnitRulesError> {
        let mut cache: BTreeMap<String, Arc<RuleSet>> = BTreeMap::new();
        let mut by_unit = BTreeMap::new();
        for u in topology.units() {
            if let Some(name) = unit_rule_set(u)? {
                let set = match cache.get(name) {
                    Some(s) => s.clone(),
                    None => {
                        let s = Arc::new(resolve(name, dirs).map_err(|source| {
                            UnitRulesError::Set {
                                unit: u.code.clone(),
                                name: u.name.clone(),
                                set: name.to_owned(),
                                source: Box::new(source),
                            }
                        })?);
                        cache.insert(name.to_owned(), s.clone());
                        s
                    }
                };
                by_unit.insert(u.code.clone(), set);
            }
        }
        Ok(RuleSets {
            by_unit,
            default: Arc::new(default_set()),
        })
    }

    pub fn of(&self, unit: &UnitCode) -> &Arc<RuleSet> {
        self.by_unit.get(unit).unwrap_or(&self.default)
    }

    /// Each unit's rules for visits to higher authorities, for the case rules.
    pub fn higher_visits(&self) -> crate::rules::higher_visits::HigherVisitPolicies {
        crate::rules::higher_visits::HigherVisitPolicies::new(
            self.by_unit
                .iter()
                .filter_map(|(u, s)| s.higher_visits.map(|h| (u.clone(), h)))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::model::{Leader, LeaderRole, PositionClass};
    use crate::schedule::ruleset::tests::MINIMAL;
    use crate::schedule::ruleset::{Per, Period, RuleKind};

    #[test]
    fn every_shipped_set_loads_and_is_named_after_its_file() {
        let names: Vec<_> = shipped().iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "haifeng-county",
                "haifeng-big-town",
                "haifeng-town",
                "haifeng-department",
                "lishui-city",
                "lishui-county",
                "shenzhen-city",
                "qingshan-township",
                "qingshan-department",
                "bureau-daily-turns",
                "district-leaders",
                "nanhu-community",
                "hospital",
                "construction-bureau",
                "reception-day-county",
            ]
        );
        for (name, _) in shipped() {
            let set = resolve(name, &[]).unwrap();
            assert_eq!(set.name, name);
            assert!(!set.rules.is_empty(), "{name}");
            assert!(set.source.contains("seed"), "{name} cites its seed");
            assert_eq!(set.filing.due_day, 10);
        }
        // The files on disk are the ones embedded.
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../rules");
        for (name, text) in shipped() {
            let on_disk = std::fs::read_to_string(dir.join(format!("{name}.toml"))).unwrap();
            assert_eq!(on_disk, text);
        }
    }

    #[test]
    fn shipped_sets_reproduce_the_seeds() {
        let get = |n: &str| resolve(n, &[]).unwrap();
        let county = get("haifeng-county");
        let r = county.rule("leader-days-per-month").unwrap();
        assert_eq!(
            (r.kind, r.period, r.min),
            (RuleKind::LeaderDays, Some(Period::Month), 1)
        );
        let r = county.rule("leaders-per-working-day").unwrap();
        assert_eq!((r.kind, r.min), (RuleKind::DailyLeaders, 1));
        assert!(
            county
                .rules
                .iter()
                .all(|r| r.kind != RuleKind::FormRequired)
        );

        let big = get("haifeng-big-town");
        assert_eq!(big.rule("leaders-per-working-day").unwrap().min, 2);
        let week = big.rule("leader-days-per-week").unwrap();
        assert_eq!((week.period, week.min), (Some(Period::Week), 1));
        assert_eq!(
            get("haifeng-town")
                .rule("leaders-per-working-day")
                .unwrap()
                .min,
            1
        );
        assert_eq!(
            get("haifeng-department")
                .rule("leader-days-per-week")
                .unwrap()
                .min,
            1
        );

        let r = &get("lishui-city").rules[0];
        assert_eq!(
            (r.kind, r.period, r.min),
            (RuleKind::LeaderDays, Some(Period::Quarter), 1)
        );
        let r = &get("lishui-county").rules[0];
        assert_eq!(
            (r.kind, r.period, r.form.as_deref(), r.per),
            (
                RuleKind::FormRequired,
                Some(Period::Month),
                Some("fixed"),
                Per::Leader
            )
        );

        let sz = get("shenzhen-city");
        let post = |position: &str, role: LeaderRole| Leader {
            name: position.to_owned(),
            position: position.to_owned(),
            portfolio: String::new(),
            role,
            class: None,
            active: true,
        };
        let sec = sz.rule("secretary-days-per-half-year").unwrap();
        assert_eq!(sec.classes, Some(vec![PositionClass::PartySecretary]));
        assert_eq!(sec.period, Some(Period::HalfYear));
        assert!(sec.binds(&post("市委书记", LeaderRole::Principal)));
        assert!(!sec.binds(&post("副市长", LeaderRole::Member)));
        let q = sz.rule("leader-days-per-quarter").unwrap();
        for p in [
            "副市长",
            "市委副书记、市长",
            "市委常委、组织部部长",
            "市委常委、宣传部部长",
        ] {
            assert!(q.binds(&post(p, LeaderRole::Member)), "{p}");
        }
        assert!(!q.binds(&post("市委书记", LeaderRole::Principal)));
        let owned = sz.rule("owned-cases-per-year").unwrap();
        assert_eq!((owned.kind, owned.min), (RuleKind::OwnedCases, 3));
        assert_eq!(owned.resolved_after_months, 6);
        assert_eq!(owned.classes, q.classes);

        let district = get("district-leaders");
        let head = district.rule("head-days-per-month").unwrap();
        assert_eq!((head.min, head.period), (2, Some(Period::Month)));
        assert!(head.binds(&post("区长", LeaderRole::Principal)));
        assert!(!head.binds(&post("区委书记", LeaderRole::Principal)));
        let sec = district.rule("secretary-days-per-month").unwrap();
        assert!(sec.binds(&post("区委书记", LeaderRole::Principal)));

        let slot = |set: &str, id: &str| get(set).rule(id).unwrap().slot.unwrap();
        let tue = slot("nanhu-community", "tuesday-morning");
        assert_eq!(
            (
                tue.weekday,
                tue.week_of_month,
                tue.time.map(|t| t.to_string())
            ),
            (chrono::Weekday::Tue, None, Some("08:30-11:30".to_owned()))
        );
        let wed = slot("hospital", "second-wednesday-afternoon");
        assert_eq!(
            (
                wed.weekday,
                wed.week_of_month,
                wed.time.map(|t| t.to_string())
            ),
            (
                chrono::Weekday::Wed,
                Some(2),
                Some("15:00-17:00".to_owned())
            )
        );
        assert!(!tue.rotate && !wed.rotate);
        let every = slot("construction-bureau", "every-wednesday");
        assert!(every.rotate);
        assert_eq!(
            (every.weekday, every.week_of_month, every.time),
            (chrono::Weekday::Wed, None, None)
        );
        let turns = get("bureau-daily-turns");
        assert_eq!(
            (turns.rules[0].kind, turns.rules[0].period),
            (RuleKind::Turns, None)
        );
        let dept = get("qingshan-department");
        assert_eq!(
            dept.rule("members-weekly-turns")
                .map(|r| (r.kind, r.period)),
            Some((RuleKind::Turns, Some(Period::Week)))
        );

        let qs = get("qingshan-township");
        assert_eq!(
            qs.rule("leader-days-per-quarter").unwrap().period,
            Some(Period::Quarter)
        );
        assert_eq!(
            qs.rule("principal-days-per-month").unwrap().roles,
            [LeaderRole::Principal]
        );
        let daily = qs.rule("leaders-per-working-day").unwrap();
        assert_eq!(
            (daily.kind, daily.period, daily.min),
            (RuleKind::Turns, None, 1)
        );
        assert_eq!(daily.roles, [LeaderRole::InCharge, LeaderRole::Member]);
    }

    /// Every shipped rule cites its seed sentence verbatim (`rules/seeds/`).
    #[test]
    fn every_shipped_cite_is_a_sentence_of_a_seed() {
        let seeds = crate::rules::seeds::text();
        assert!(!seeds.is_empty());
        for (name, _) in shipped() {
            let set = resolve(name, &[]).unwrap();
            for rule in &set.rules {
                assert!(
                    seeds.contains(&rule.cite),
                    "{name}: rule {}: cite {:?} is not in any seed",
                    rule.id,
                    rule.cite
                );
            }
            assert!(
                seeds.contains(&set.supervision_form.cite),
                "{name}: supervision_form: cite {:?} is not in any seed",
                set.supervision_form.cite
            );
        }
        // The default a set falls back to is cited too.
        assert!(seeds.contains(&default_set().supervision_form.cite));
    }

    #[test]
    fn a_file_must_be_named_after_its_set() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other-name.toml");
        std::fs::write(&path, MINIMAL).unwrap();
        match RuleSet::load(&path).unwrap_err() {
            RuleSetError::NameMismatch { name, stem, .. } => {
                assert_eq!((name.as_str(), stem.as_str()), ("test-set", "other-name"));
            }
            other => panic!("{other:?}"),
        }
        let missing = RuleSet::load(&dir.path().join("nothing.toml")).unwrap_err();
        assert!(matches!(missing, RuleSetError::Read { .. }));
    }

    #[test]
    fn resolve_prefers_local_directories_in_order_then_shipped() {
        let first = tempfile::tempdir().unwrap();
        let second = tempfile::tempdir().unwrap();
        let local = |due: u32| {
            format!(
                "name = \"haifeng-town\"\ntitle = \"本地\"\nsource = \"local\"\n[filing]\ndue_day = {due}\n"
            )
        };
        std::fs::write(second.path().join("haifeng-town.toml"), local(5)).unwrap();
        let dirs = [first.path().to_path_buf(), second.path().to_path_buf()];
        assert_eq!(resolve("haifeng-town", &dirs).unwrap().filing.due_day, 5);
        std::fs::write(first.path().join("haifeng-town.toml"), local(3)).unwrap();
        assert_eq!(resolve("haifeng-town", &dirs).unwrap().filing.due_day, 3);
        // Not overridden: shipped.
        assert_eq!(
            resolve("lishui-city", &dirs).unwrap().title,
            "丽水市市级领导接待群众来访规则"
        );
        // A local-only set.
        std::fs::write(
            second.path().join("my-unit.toml"),
            "name = \"my-unit\"\ntitle = \"本单位\"\nsource = \"\"\n",
        )
        .unwrap();
        assert_eq!(resolve("my-unit", &dirs).unwrap().name, "my-unit");
        // A broken override is an error, not a silent fallback to the shipped set.
        std::fs::write(first.path().join("lishui-city.toml"), "name = 1").unwrap();
        assert!(matches!(
            resolve("lishui-city", &dirs),
            Err(RuleSetError::Parse { .. })
        ));

        match resolve("atlantis", &dirs).unwrap_err() {
            RuleSetError::Unknown { known, .. } => {
                assert!(
                    known.contains("haifeng-county") && known.contains("my-unit"),
                    "{known}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            resolve("../haifeng-town", &dirs),
            Err(RuleSetError::Unknown { .. })
        ));
        assert!(
            resolve("atlantis", &[])
                .unwrap_err()
                .to_string()
                .contains("shipped sets only")
        );
    }

    #[test]
    fn the_default_set_has_no_quotas() {
        let set = default_set();
        assert!(set.rules.is_empty());
        assert_eq!(set.filing.due_day, 10);
    }
}
