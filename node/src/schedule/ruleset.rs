//! Quota rule sets: how often a class of unit's leaders must receive petitioners and
//! when its monthly schedule is due upward. Minimums are local policy, not law (seed
//! 000 第三条, seed 001, seed 002, seed 003 第六条 each set their own), so they are
//! configuration: one TOML file per class of unit, `rules/NAME.toml` at the top of
//! the repository, also embedded in the binary so a node works anywhere.
//!
//! A unit names its set with `rules = "NAME"`; [`resolve`] looks for `NAME.toml` in
//! the given directories first (a local override), then among the shipped sets.
//! Evaluation against a schedule is in [`super::quota`].

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::model::{LeaderRole, Month};
use crate::rules::taxonomy::Taxonomy;

/// The sets shipped with xinfang, by name (= file stem).
const SHIPPED: [(&str, &str); 8] = [
    (
        "haifeng-county",
        include_str!("../../../rules/haifeng-county.toml"),
    ),
    (
        "haifeng-big-town",
        include_str!("../../../rules/haifeng-big-town.toml"),
    ),
    (
        "haifeng-town",
        include_str!("../../../rules/haifeng-town.toml"),
    ),
    (
        "haifeng-department",
        include_str!("../../../rules/haifeng-department.toml"),
    ),
    (
        "lishui-city",
        include_str!("../../../rules/lishui-city.toml"),
    ),
    (
        "lishui-county",
        include_str!("../../../rules/lishui-county.toml"),
    ),
    (
        "shenzhen-city",
        include_str!("../../../rules/shenzhen-city.toml"),
    ),
    (
        "qingshan-township",
        include_str!("../../../rules/qingshan-township.toml"),
    ),
];

/// Filing due day when a set says nothing: Haifeng's "每月10日前" (seed 000, notice 二),
/// the only deadline the seeds give.
pub const DEFAULT_DUE_DAY: u32 = 10;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleSetError {
    #[error("rule set {file}: cannot read: {message}")]
    Read { file: String, message: String },
    #[error("rule set {file}: not a valid rule set: {message}")]
    Parse { file: String, message: String },
    #[error("rule set {file}: field {field}: {problem}")]
    Field {
        file: String,
        field: &'static str,
        problem: String,
    },
    #[error("rule set {file}: rule {rule:?}, field {field}: {problem}")]
    Rule {
        file: String,
        rule: String,
        field: &'static str,
        problem: String,
    },
    #[error("rule set {file}: rule id {rule:?} is used more than once")]
    DuplicateId { file: String, rule: String },
    #[error("rule set {file}: name {name:?} must equal the file name {stem:?}")]
    NameMismatch {
        file: String,
        name: String,
        stem: String,
    },
    #[error("no rule set named {name:?} (looked in: {searched}); known: {known}")]
    Unknown {
        name: String,
        searched: String,
        known: String,
    },
}

/// What a rule counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// Each bound leader receives on at least `min` distinct days per period.
    LeaderDays,
    /// Every working day has at least `min` distinct leaders receiving.
    DailyLeaders,
    /// Like `leader_days`, counting only receptions of one form (e.g. 定点接访).
    FormRequired,
    /// Each bound leader owns (包案) at least `min` cases a year.
    OwnedCases,
}

impl RuleKind {
    pub fn code(self) -> &'static str {
        match self {
            RuleKind::LeaderDays => "leader_days",
            RuleKind::DailyLeaders => "daily_leaders",
            RuleKind::FormRequired => "form_required",
            RuleKind::OwnedCases => "owned_cases",
        }
    }
}

/// The span a count is taken over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Week,
    Month,
    Quarter,
    HalfYear,
    Year,
}

impl Period {
    pub fn code(self) -> &'static str {
        match self {
            Period::Week => "week",
            Period::Month => "month",
            Period::Quarter => "quarter",
            Period::HalfYear => "half_year",
            Period::Year => "year",
        }
    }

    /// `每周`, `每月`, …
    pub fn label_zh(self) -> &'static str {
        match self {
            Period::Week => "每周",
            Period::Month => "每月",
            Period::Quarter => "每季度",
            Period::HalfYear => "每半年",
            Period::Year => "每年",
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Whom a `form_required` count is taken for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Per {
    /// Each bound leader separately.
    #[default]
    Leader,
    /// The unit as a whole: days on which any bound leader received in that form.
    Unit,
}

/// When the monthly schedule is filed upward (备案).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filing {
    /// Next month's schedule is due by this day of the month before (1..=28, so it
    /// exists in every month).
    #[serde(default = "default_due_day")]
    pub due_day: u32,
}

fn default_due_day() -> u32 {
    DEFAULT_DUE_DAY
}

impl Default for Filing {
    fn default() -> Self {
        Filing {
            due_day: DEFAULT_DUE_DAY,
        }
    }
}

impl Filing {
    /// The day `month`'s schedule is due: `due_day` of the month before.
    pub fn deadline_for(&self, month: Month) -> NaiveDate {
        let before = month.prev();
        // A hand-built Filing may carry a day the month lacks: clamp to its end.
        NaiveDate::from_ymd_opt(before.year, before.month, self.due_day)
            .unwrap_or_else(|| before.last_day())
    }
}

/// One minimum. Loaded sets are validated: `period` is set exactly for the kinds that
/// take one, `form` only for `form_required`, `min >= 1`, `roles` not empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuotaRule {
    pub id: String,
    pub kind: RuleKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    pub min: u32,
    /// Which roster leaders the rule binds (or, for unit-wide counts, whose entries
    /// count).
    pub roles: Vec<LeaderRole>,
    /// A `reception_form` code (form_required only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<String>,
    pub per: Per,
    /// Chinese, shown to staff.
    pub description: String,
}

impl QuotaRule {
    pub fn binds(&self, role: LeaderRole) -> bool {
        self.roles.contains(&role)
    }

    /// Whether the rule binds every role (then entries naming leaders missing from
    /// the roster still count toward unit-wide numbers).
    pub fn binds_all_roles(&self) -> bool {
        LeaderRole::ALL.iter().all(|r| self.binds(*r))
    }
}

/// A class of unit's quota rules and filing deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleSet {
    pub name: String,
    pub title: String,
    /// The document and article the rules reproduce.
    pub source: String,
    pub filing: Filing,
    #[serde(rename = "rule")]
    pub rules: Vec<QuotaRule>,
}

// The file as written; checked and typed into RuleSet by `validate`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSet {
    name: String,
    title: String,
    source: String,
    #[serde(default)]
    filing: Filing,
    #[serde(default, rename = "rule")]
    rules: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    kind: RuleKind,
    period: Option<Period>,
    min: u32,
    roles: Option<Vec<LeaderRole>>,
    form: Option<String>,
    per: Option<Per>,
    description: String,
}

/// Names are file stems and appear in topology files: keep them plain so a name can
/// never walk out of a rules directory.
fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        || name.starts_with('-')
    {
        return Err(format!(
            "{name:?} is not a rule set name: use lowercase ASCII letters, digits and '-'"
        ));
    }
    Ok(())
}

fn validate(raw: RawSet, file: &str, taxonomy: &Taxonomy) -> Result<RuleSet, RuleSetError> {
    let field = |field: &'static str, problem: String| RuleSetError::Field {
        file: file.to_owned(),
        field,
        problem,
    };
    check_name(&raw.name).map_err(|p| field("name", p))?;
    if raw.title.trim().is_empty() {
        return Err(field("title", "must not be empty".into()));
    }
    if !(1..=28).contains(&raw.filing.due_day) {
        return Err(field(
            "filing.due_day",
            format!(
                "{} is not a day every month has; use 1..=28",
                raw.filing.due_day
            ),
        ));
    }
    let mut seen = BTreeSet::new();
    let mut rules = Vec::with_capacity(raw.rules.len());
    for r in raw.rules {
        let bad = |field: &'static str, problem: String| RuleSetError::Rule {
            file: file.to_owned(),
            rule: r.id.clone(),
            field,
            problem,
        };
        if r.id.trim().is_empty() || r.id.chars().any(char::is_whitespace) {
            return Err(bad("id", "must be a non-empty word without spaces".into()));
        }
        if !seen.insert(r.id.clone()) {
            return Err(RuleSetError::DuplicateId {
                file: file.to_owned(),
                rule: r.id,
            });
        }
        if r.min == 0 {
            return Err(bad(
                "min",
                "must be at least 1 (a rule requiring 0 says nothing)".into(),
            ));
        }
        if r.description.trim().is_empty() {
            return Err(bad(
                "description",
                "must not be empty: staff read it".into(),
            ));
        }
        match (r.kind, r.period) {
            (RuleKind::DailyLeaders, Some(p)) => {
                return Err(bad(
                    "period",
                    format!("daily_leaders counts every working day; remove period = {p:?}"),
                ));
            }
            (RuleKind::DailyLeaders, None) => {}
            (RuleKind::OwnedCases, Some(Period::Year)) => {}
            (RuleKind::OwnedCases, _) => {
                return Err(bad(
                    "period",
                    "owned_cases are counted per year: write period = \"year\"".into(),
                ));
            }
            (k, None) => {
                return Err(bad(
                    "period",
                    format!(
                        "{} needs a period: week, month, quarter, half_year or year",
                        k.code()
                    ),
                ));
            }
            (_, Some(_)) => {}
        }
        match (r.kind, &r.form) {
            (RuleKind::FormRequired, None) => {
                return Err(bad(
                    "form",
                    "form_required needs a reception form code".into(),
                ));
            }
            (RuleKind::FormRequired, Some(code)) => {
                taxonomy
                    .reception_form(code)
                    .map_err(|e| bad("form", e.to_string()))?;
            }
            (k, Some(_)) => {
                return Err(bad(
                    "form",
                    format!("only form_required takes a form, not {}", k.code()),
                ));
            }
            (_, None) => {}
        }
        if r.per.is_some() && r.kind != RuleKind::FormRequired {
            return Err(bad(
                "per",
                format!("only form_required takes per, not {}", r.kind.code()),
            ));
        }
        let roles = match r.roles {
            None => LeaderRole::ALL.to_vec(),
            Some(list) => {
                if list.is_empty() {
                    return Err(bad(
                        "roles",
                        "must name at least one role (omit it for all)".into(),
                    ));
                }
                let distinct: BTreeSet<_> = list.iter().collect();
                if distinct.len() != list.len() {
                    return Err(bad("roles", "lists a role twice".into()));
                }
                list
            }
        };
        rules.push(QuotaRule {
            id: r.id,
            kind: r.kind,
            period: r.period,
            min: r.min,
            roles,
            form: r.form,
            per: r.per.unwrap_or_default(),
            description: r.description,
        });
    }
    Ok(RuleSet {
        name: raw.name,
        title: raw.title,
        source: raw.source,
        filing: raw.filing,
        rules,
    })
}

impl RuleSet {
    /// Parses and validates a rule set; `file` only labels errors.
    pub fn from_toml(text: &str, file: &str) -> Result<RuleSet, RuleSetError> {
        let raw: RawSet = toml::from_str(text).map_err(|e| RuleSetError::Parse {
            file: file.to_owned(),
            message: e.to_string(),
        })?;
        // Form codes are checked against the shipped classification, the one entries
        // are checked against.
        let taxonomy = Taxonomy::official().map_err(|e| RuleSetError::Parse {
            file: "petition-taxonomy.toml".to_owned(),
            message: e.to_string(),
        })?;
        validate(raw, file, &taxonomy)
    }

    /// Reads `path`, whose stem must equal the set's name.
    pub fn load(path: &Path) -> Result<RuleSet, RuleSetError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| RuleSetError::Read {
            file: file.clone(),
            message: e.to_string(),
        })?;
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        named(&text, &file, &stem)
    }

    pub fn rule(&self, id: &str) -> Option<&QuotaRule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

fn named(text: &str, file: &str, stem: &str) -> Result<RuleSet, RuleSetError> {
    let set = RuleSet::from_toml(text, file)?;
    if set.name != stem {
        return Err(RuleSetError::NameMismatch {
            file: file.to_owned(),
            name: set.name,
            stem: stem.to_owned(),
        });
    }
    Ok(set)
}

/// The field of a `[[unit]]` table in the topology file naming the unit's rule set
/// (`rules = "NAME"`).
pub const UNIT_FIELD: &str = "rules";

/// A field of a `[[unit]]` table that no part of the node reads.
#[derive(Debug, thiserror::Error)]
#[error(
    "unit {unit} ({name}): unknown field `{field}` in its [[unit]] table (expected one of \
     code, name, tier, parent, listen, api, {UNIT_FIELD})"
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
name = "test-set"
title = "测试"
source = "test"
"#;

    fn with_rule(rule: &str) -> String {
        format!("{MINIMAL}\n[[rule]]\n{rule}\n")
    }

    fn err(text: &str) -> RuleSetError {
        RuleSet::from_toml(text, "test-set.toml").unwrap_err()
    }

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
                "qingshan-township"
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
        let sec = sz.rule("secretary-days-per-half-year").unwrap();
        assert_eq!(sec.roles, [LeaderRole::Principal]);
        assert_eq!(sec.period, Some(Period::HalfYear));
        let q = sz.rule("leader-days-per-quarter").unwrap();
        assert!(q.binds(LeaderRole::Member) && q.binds(LeaderRole::InCharge));
        assert!(!q.binds(LeaderRole::Principal));
        let owned = sz.rule("owned-cases-per-year").unwrap();
        assert_eq!((owned.kind, owned.min), (RuleKind::OwnedCases, 3));

        let qs = get("qingshan-township");
        assert_eq!(
            qs.rule("leader-days-per-quarter").unwrap().period,
            Some(Period::Quarter)
        );
        assert_eq!(
            qs.rule("principal-days-per-month").unwrap().roles,
            [LeaderRole::Principal]
        );
        assert_eq!(qs.rule("leaders-per-working-day").unwrap().min, 1);
    }

    #[test]
    fn defaults_apply_when_omitted() {
        let set = RuleSet::from_toml(
            &with_rule("id = \"a\"\nkind = \"leader_days\"\nperiod = \"week\"\nmin = 1\ndescription = \"每周1天\""),
            "x",
        )
        .unwrap();
        assert_eq!(set.filing.due_day, 10);
        assert_eq!(set.rules[0].roles, LeaderRole::ALL);
        assert_eq!(set.rules[0].per, Per::Leader);
        assert!(set.rules[0].binds_all_roles());
        let set = RuleSet::from_toml(&format!("{MINIMAL}[filing]\n"), "x").unwrap();
        assert_eq!(set.filing.due_day, 10);
        assert!(set.rules.is_empty());
    }

    #[test]
    fn invalid_sets_are_refused_naming_the_file_rule_and_field() {
        let daily = "kind = \"daily_leaders\"\nmin = 1\ndescription = \"每日\"";
        let dup = format!(
            "{}\n[[rule]]\nid = \"a\"\n{daily}",
            with_rule(&format!("id = \"a\"\n{daily}"))
        );
        assert_eq!(
            err(&dup),
            RuleSetError::DuplicateId {
                file: "test-set.toml".into(),
                rule: "a".into()
            }
        );

        let cases = [
            (
                "id = \"z\"\nkind = \"daily_leaders\"\nmin = 0\ndescription = \"x\"",
                "min",
            ),
            (
                "id = \"z\"\nkind = \"leader_days\"\nmin = 1\ndescription = \"x\"",
                "period",
            ),
            (
                "id = \"z\"\nkind = \"daily_leaders\"\nperiod = \"week\"\nmin = 1\ndescription = \"x\"",
                "period",
            ),
            (
                "id = \"z\"\nkind = \"owned_cases\"\nperiod = \"month\"\nmin = 1\ndescription = \"x\"",
                "period",
            ),
            (
                "id = \"z\"\nkind = \"leader_days\"\nperiod = \"week\"\nmin = 1\nform = \"fixed\"\ndescription = \"x\"",
                "form",
            ),
            (
                "id = \"z\"\nkind = \"form_required\"\nperiod = \"week\"\nmin = 1\ndescription = \"x\"",
                "form",
            ),
            (
                "id = \"z\"\nkind = \"form_required\"\nperiod = \"week\"\nmin = 1\nform = \"teleport\"\ndescription = \"x\"",
                "form",
            ),
            (
                "id = \"z\"\nkind = \"leader_days\"\nperiod = \"week\"\nmin = 1\nper = \"unit\"\ndescription = \"x\"",
                "per",
            ),
            (
                "id = \"z\"\nkind = \"leader_days\"\nperiod = \"week\"\nmin = 1\nroles = []\ndescription = \"x\"",
                "roles",
            ),
            (
                "id = \"z\"\nkind = \"leader_days\"\nperiod = \"week\"\nmin = 1\nroles = [\"member\", \"member\"]\ndescription = \"x\"",
                "roles",
            ),
            (
                "id = \"z\"\nkind = \"leader_days\"\nperiod = \"week\"\nmin = 1\ndescription = \" \"",
                "description",
            ),
        ];
        for (rule, want) in cases {
            match err(&with_rule(rule)) {
                RuleSetError::Rule {
                    file,
                    rule,
                    field,
                    problem,
                } => {
                    assert_eq!(
                        (file.as_str(), rule.as_str(), field),
                        ("test-set.toml", "z", want),
                        "{problem}"
                    );
                }
                other => panic!("{rule}: {other:?}"),
            }
        }
        // The unknown form's message lists the known codes.
        let e = err(&with_rule(cases[6].0)).to_string();
        assert!(
            e.contains("teleport") && e.contains("fixed") && e.contains("rule \"z\""),
            "{e}"
        );

        assert!(matches!(
            err(&format!("{MINIMAL}[filing]\ndue_day = 29\n")),
            RuleSetError::Field {
                field: "filing.due_day",
                ..
            }
        ));
        assert!(matches!(
            err(&format!("{MINIMAL}[filing]\ndue_day = 0\n")),
            RuleSetError::Field {
                field: "filing.due_day",
                ..
            }
        ));
        assert!(matches!(
            err("name = \"../etc\"\ntitle = \"x\"\nsource = \"\"\n"),
            RuleSetError::Field { field: "name", .. }
        ));
        // Unknown fields, kinds, periods and roles are parse errors naming the file.
        for text in [
            format!("{MINIMAL}colour = \"red\"\n"),
            with_rule(
                "id = \"z\"\nkind = \"leader_days\"\nperiod = \"week\"\nmin = 1\ndescription = \"x\"\nmax = 3",
            ),
            with_rule(
                "id = \"z\"\nkind = \"leader_hours\"\nperiod = \"week\"\nmin = 1\ndescription = \"x\"",
            ),
            with_rule(
                "id = \"z\"\nkind = \"leader_days\"\nperiod = \"fortnight\"\nmin = 1\ndescription = \"x\"",
            ),
            with_rule(
                "id = \"z\"\nkind = \"leader_days\"\nperiod = \"week\"\nmin = 1\nroles = [\"mayor\"]\ndescription = \"x\"",
            ),
            with_rule(
                "id = \"z\"\nkind = \"leader_days\"\nperiod = \"week\"\nmin = -1\ndescription = \"x\"",
            ),
        ] {
            let e = err(&text);
            assert!(matches!(e, RuleSetError::Parse { .. }), "{text}: {e:?}");
            assert!(e.to_string().contains("test-set.toml"), "{e}");
        }
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
    fn the_filing_deadline_is_in_the_month_before() {
        let f = Filing { due_day: 10 };
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(f.deadline_for("2016-05".parse().unwrap()), d("2016-04-10"));
        assert_eq!(f.deadline_for("2017-01".parse().unwrap()), d("2016-12-10"));
        assert_eq!(
            Filing { due_day: 28 }.deadline_for("2016-03".parse().unwrap()),
            d("2016-02-28")
        );
        // Out of range (never loaded from a file): clamped to the month's end.
        assert_eq!(
            Filing { due_day: 31 }.deadline_for("2016-03".parse().unwrap()),
            d("2016-02-29")
        );
    }

    #[test]
    fn the_default_set_has_no_quotas() {
        let set = default_set();
        assert!(set.rules.is_empty());
        assert_eq!(set.filing.due_day, 10);
    }
}
