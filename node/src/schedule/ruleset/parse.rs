//! A rule set file read: TOML checked field by field, each refusal naming the
//! file, the rule and the field.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;

use chrono::Weekday;

use super::{
    DEFAULT_RESOLVED_AFTER_MONTHS, Filing, LeaderRole, Per, Period, PositionClass, QuotaRule,
    ReceptionTime, RuleKind, RuleSet, RuleSetError, Slot, SupervisionForm, weekday_name,
};
use crate::rules::higher_visits::HigherVisitRules;
use crate::rules::taxonomy::Taxonomy;

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
    #[serde(default)]
    higher_visits: Option<HigherVisitRules>,
    #[serde(default)]
    supervision_form: Option<RawForm>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawForm {
    posts: Vec<String>,
    cite: Option<String>,
}

/// `[supervision_form]`: at least one known post class, none twice, and the
/// sentence it encodes.
fn supervision_form(raw: Option<RawForm>, file: &str) -> Result<SupervisionForm, RuleSetError> {
    let Some(raw) = raw else {
        return Ok(SupervisionForm::default());
    };
    let bad = |field: &'static str, problem: String| RuleSetError::Field {
        file: file.to_owned(),
        field,
        problem,
    };
    let cite = raw.cite.as_deref().map(str::trim).unwrap_or_default();
    if cite.is_empty() {
        return Err(bad(
            "supervision_form.cite",
            "required: the seed sentence naming whom the form goes to".into(),
        ));
    }
    if raw.posts.is_empty() {
        return Err(bad(
            "supervision_form.posts",
            "must name at least one position class (omit the table for seed 004's six)".into(),
        ));
    }
    let mut posts = Vec::with_capacity(raw.posts.len());
    for p in &raw.posts {
        let class = p
            .parse::<PositionClass>()
            .map_err(|e| bad("supervision_form.posts", e.to_string()))?;
        if posts.contains(&class) {
            return Err(bad(
                "supervision_form.posts",
                format!("lists {class} twice"),
            ));
        }
        posts.push(class);
    }
    Ok(SupervisionForm {
        posts,
        cite: cite.to_owned(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    kind: RuleKind,
    period: Option<Period>,
    min: u32,
    roles: Option<Vec<LeaderRole>>,
    classes: Option<Vec<String>>,
    form: Option<String>,
    per: Option<Per>,
    weekday: Option<String>,
    week_of_month: Option<u32>,
    time: Option<String>,
    resolved_after_months: Option<u32>,
    rotate: Option<bool>,
    description: String,
    cite: Option<String>,
}

/// `tuesday`, `tue`, `星期二`, `周二`.
fn weekday(text: &str) -> Result<Weekday, String> {
    let t = text.trim().to_ascii_lowercase();
    let all = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];
    all.into_iter()
        .find(|w| {
            let (code, zh) = weekday_name(*w);
            let short = zh.trim_start_matches("星期");
            t == code || t == code[..3] || t == zh || t == format!("周{short}")
        })
        .ok_or_else(|| {
            format!("{text:?} is not a weekday; write monday … sunday (or 星期一 … 星期日)")
        })
}

/// Names are file stems and appear in topology files: keep them plain so a name can
/// never walk out of a rules directory.
pub(super) fn check_name(name: &str) -> Result<(), String> {
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
        // Every rule says which sentence of its source it encodes, so a reader can
        // check it against the document (rules/README.md).
        let cite = r.cite.as_deref().map(str::trim).unwrap_or_default();
        if cite.is_empty() {
            return Err(bad(
                "cite",
                "every rule must cite the sentence of its source it encodes, verbatim (cite = \"…\")"
                    .into(),
            ));
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
            (RuleKind::FixedSlot, Some(p)) => {
                return Err(bad(
                    "period",
                    format!("fixed_slot is judged on every slot day; remove period = {p:?}"),
                ));
            }
            (RuleKind::FixedSlot, None) => {}
            (RuleKind::Turns, None | Some(Period::Week)) => {}
            (RuleKind::Turns, Some(p)) => {
                return Err(bad(
                    "period",
                    format!(
                        "turns are taken every working day (no period) or every week, not per {p:?}"
                    ),
                ));
            }
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
        let slot_fields = r.weekday.is_some()
            || r.week_of_month.is_some()
            || r.time.is_some()
            || r.rotate.is_some();
        let slot = match (r.kind, &r.weekday) {
            (RuleKind::FixedSlot, None) => {
                return Err(bad(
                    "weekday",
                    "fixed_slot needs the weekday of its receptions".into(),
                ));
            }
            (RuleKind::FixedSlot, Some(w)) => {
                let weekday = weekday(w).map_err(|p| bad("weekday", p))?;
                if let Some(n) = r.week_of_month
                    && !(1..=5).contains(&n)
                {
                    return Err(bad(
                        "week_of_month",
                        format!("{n} is not a week of a month; use 1..=5 (the n-th such weekday)"),
                    ));
                }
                let time = match &r.time {
                    None => None,
                    Some(t) => Some(
                        t.parse::<ReceptionTime>()
                            .map_err(|p| bad("time", p.to_string()))?,
                    ),
                };
                Some(Slot {
                    weekday,
                    week_of_month: r.week_of_month,
                    time,
                    rotate: r.rotate.unwrap_or(false),
                })
            }
            (k, _) if slot_fields => {
                let field = if r.weekday.is_some() {
                    "weekday"
                } else if r.week_of_month.is_some() {
                    "week_of_month"
                } else if r.time.is_some() {
                    "time"
                } else {
                    "rotate"
                };
                return Err(bad(
                    field,
                    format!("only fixed_slot takes {field}, not {}", k.code()),
                ));
            }
            _ => None,
        };
        let resolved_after_months = match (r.kind, r.resolved_after_months) {
            (RuleKind::OwnedCases, None) => DEFAULT_RESOLVED_AFTER_MONTHS,
            (RuleKind::OwnedCases, Some(n)) if n <= 36 => n,
            (RuleKind::OwnedCases, Some(n)) => {
                return Err(bad(
                    "resolved_after_months",
                    format!("{n} months is more than three years; use 0..=36"),
                ));
            }
            (k, Some(_)) => {
                return Err(bad(
                    "resolved_after_months",
                    format!(
                        "only owned_cases takes resolved_after_months, not {}",
                        k.code()
                    ),
                ));
            }
            (_, None) => 0,
        };
        let classes = match r.classes {
            None => None,
            Some(list) => {
                if list.is_empty() {
                    return Err(bad(
                        "classes",
                        "must name at least one position class (omit it for all)".into(),
                    ));
                }
                let mut out = Vec::with_capacity(list.len());
                for c in &list {
                    let class = c
                        .parse::<PositionClass>()
                        .map_err(|p| bad("classes", p.to_string()))?;
                    if out.contains(&class) {
                        return Err(bad("classes", format!("lists {class} twice")));
                    }
                    out.push(class);
                }
                Some(out)
            }
        };
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
            classes,
            form: r.form,
            per: r.per.unwrap_or_default(),
            slot,
            resolved_after_months,
            description: r.description,
            cite: cite.to_owned(),
        });
    }
    let supervision_form = supervision_form(raw.supervision_form, file)?;
    Ok(RuleSet {
        name: raw.name,
        title: raw.title,
        source: raw.source,
        filing: raw.filing,
        rules,
        higher_visits: raw.higher_visits,
        supervision_form,
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
}

/// Parses `text` as the set whose file stem is `stem`: the name must match.
pub(super) fn named(text: &str, file: &str, stem: &str) -> Result<RuleSet, RuleSetError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::ruleset::tests::MINIMAL;

    /// A set with one rule, cited unless the rule says its own cite.
    fn with_rule(rule: &str) -> String {
        if rule.contains("cite") {
            format!("{MINIMAL}\n[[rule]]\n{rule}\n")
        } else {
            format!("{MINIMAL}\n[[rule]]\n{rule}\ncite = \"原文\"\n")
        }
    }

    fn err(text: &str) -> RuleSetError {
        RuleSet::from_toml(text, "test-set.toml").unwrap_err()
    }

    #[test]
    fn a_supervision_form_names_known_posts_and_cites_its_sentence() {
        let set = RuleSet::from_toml(MINIMAL, "test-set.toml").unwrap();
        assert_eq!(set.supervision_form, SupervisionForm::default());
        assert_eq!(set.supervision_form.posts.len(), 6);

        let two = format!(
            "{MINIMAL}[supervision_form]\nposts = [\"department_head\", \"纪委书记\"]\ncite = \"原文\"\n"
        );
        let set = RuleSet::from_toml(&two, "test-set.toml").unwrap();
        assert_eq!(
            set.supervision_form.posts,
            [
                PositionClass::DepartmentHead,
                PositionClass::DisciplineSecretary
            ]
        );

        let field = |text: String| match err(&text) {
            RuleSetError::Field { field, problem, .. } => (field, problem),
            other => panic!("{other:?}"),
        };
        let (f, p) = field(format!(
            "{MINIMAL}[supervision_form]\nposts = [\"mayor\"]\ncite = \"原文\"\n"
        ));
        assert_eq!(f, "supervision_form.posts");
        assert!(p.contains("mayor"), "{p}");
        let (f, _) = field(format!(
            "{MINIMAL}[supervision_form]\nposts = [\"member\"]\n"
        ));
        assert_eq!(f, "supervision_form.cite");
        let (f, _) = field(format!(
            "{MINIMAL}[supervision_form]\nposts = []\ncite = \"原文\"\n"
        ));
        assert_eq!(f, "supervision_form.posts");
        let (f, p) = field(format!(
            "{MINIMAL}[supervision_form]\nposts = [\"member\", \"班子成员\"]\ncite = \"原文\"\n"
        ));
        assert_eq!((f, p.contains("twice")), ("supervision_form.posts", true));
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
        assert!(set.rules[0].binds_everyone());
        let set = RuleSet::from_toml(&format!("{MINIMAL}[filing]\n"), "x").unwrap();
        assert_eq!(set.filing.due_day, 10);
        assert!(set.rules.is_empty());
    }

    #[test]
    fn a_rule_without_a_citation_is_refused_and_nothing_loaded() {
        // Two rules, the second uncited: the whole set is refused, naming it.
        let text = format!(
            "{MINIMAL}\n[[rule]]\nid = \"cited\"\nkind = \"leader_days\"\nperiod = \"week\"\nmin = 1\ndescription = \"x\"\ncite = \"原文\"\n\
             \n[[rule]]\nid = \"uncited\"\nkind = \"leader_days\"\nperiod = \"month\"\nmin = 1\ndescription = \"x\"\n"
        );
        let e = err(&text);
        assert!(
            matches!(&e, RuleSetError::Rule { rule, field: "cite", file, .. } if rule == "uncited" && file == "test-set.toml"),
            "{e:?}"
        );
        let shown = e.to_string();
        assert!(
            shown.contains("field cite") && shown.contains("\"uncited\""),
            "{shown}"
        );
        // A local override without citations is an error, not a fallback.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("test-set.toml"), &text).unwrap();
        assert!(matches!(
            crate::schedule::ruleset::resolve("test-set", &[dir.path().to_path_buf()]),
            Err(RuleSetError::Rule { field: "cite", .. })
        ));
    }

    #[test]
    fn slots_classes_and_months_are_read() {
        let set = RuleSet::from_toml(
            &with_rule(
                "id = \"z\"\nkind = \"fixed_slot\"\nweekday = \"星期三\"\nweek_of_month = 2\ntime = \"15:00-17:00\"\nmin = 1\nclasses = [\"department_head\", \"部门副职\"]\ndescription = \"x\"",
            ),
            "x",
        )
        .unwrap();
        let r = &set.rules[0];
        let slot = r.slot.unwrap();
        assert_eq!(slot.weekday, chrono::Weekday::Wed);
        assert_eq!(slot.week_of_month, Some(2));
        assert_eq!(slot.label_zh(), "每月第2个星期三 15:00-17:00");
        assert_eq!(
            r.classes,
            Some(vec![
                PositionClass::DepartmentHead,
                PositionClass::DeputyDepartmentHead
            ])
        );
        assert!(!r.binds_everyone());
        let owned = RuleSet::from_toml(
            &with_rule("id = \"o\"\nkind = \"owned_cases\"\nperiod = \"year\"\nmin = 3\ndescription = \"x\""),
            "x",
        )
        .unwrap();
        assert_eq!(owned.rules[0].resolved_after_months, 6);
    }

    #[test]
    fn a_set_may_say_who_owns_a_case_taken_to_higher_authorities() {
        let set = RuleSet::from_toml(MINIMAL, "x").unwrap();
        assert_eq!(set.higher_visits, None);
        let text =
            format!("{MINIMAL}[higher_visits]\nprincipal_owns = true\nescalate_at_repeats = 2\n");
        let h = RuleSet::from_toml(&text, "x")
            .unwrap()
            .higher_visits
            .unwrap();
        assert!(h.principal_owns);
        assert_eq!(h.escalate_at_repeats, 2);
        let e = RuleSet::from_toml(
            &format!("{MINIMAL}[higher_visits]\nprincipal = true\n"),
            "x",
        )
        .unwrap_err();
        assert!(e.to_string().contains("principal"), "{e}");
        // The shipped town sets carry seed 001's practice.
        let town = crate::schedule::ruleset::resolve("haifeng-town", &[]).unwrap();
        assert_eq!(
            town.higher_visits
                .map(|h| (h.principal_owns, h.escalate_at_repeats)),
            Some((true, 2))
        );
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
        // Post classes, slots and the owned cases' months are checked by name too.
        let more = [
            (
                "id = \"z\"\nkind = \"leader_days\"\nperiod = \"week\"\nmin = 1\nclasses = [\"mayor\"]\ndescription = \"x\"",
                "classes",
            ),
            (
                "id = \"z\"\nkind = \"leader_days\"\nperiod = \"week\"\nmin = 1\nclasses = []\ndescription = \"x\"",
                "classes",
            ),
            (
                "id = \"z\"\nkind = \"fixed_slot\"\nmin = 1\ndescription = \"x\"",
                "weekday",
            ),
            (
                "id = \"z\"\nkind = \"fixed_slot\"\nweekday = \"someday\"\nmin = 1\ndescription = \"x\"",
                "weekday",
            ),
            (
                "id = \"z\"\nkind = \"fixed_slot\"\nweekday = \"tuesday\"\nweek_of_month = 6\nmin = 1\ndescription = \"x\"",
                "week_of_month",
            ),
            (
                "id = \"z\"\nkind = \"fixed_slot\"\nweekday = \"tuesday\"\ntime = \"11:30-08:30\"\nmin = 1\ndescription = \"x\"",
                "time",
            ),
            (
                "id = \"z\"\nkind = \"fixed_slot\"\nweekday = \"tuesday\"\nperiod = \"week\"\nmin = 1\ndescription = \"x\"",
                "period",
            ),
            (
                "id = \"z\"\nkind = \"leader_days\"\nperiod = \"week\"\nweekday = \"tuesday\"\nmin = 1\ndescription = \"x\"",
                "weekday",
            ),
            (
                "id = \"z\"\nkind = \"turns\"\nperiod = \"month\"\nmin = 1\ndescription = \"x\"",
                "period",
            ),
            (
                "id = \"z\"\nkind = \"turns\"\nrotate = true\nmin = 1\ndescription = \"x\"",
                "rotate",
            ),
            (
                "id = \"z\"\nkind = \"owned_cases\"\nperiod = \"year\"\nmin = 1\nresolved_after_months = 40\ndescription = \"x\"",
                "resolved_after_months",
            ),
            (
                "id = \"z\"\nkind = \"leader_days\"\nperiod = \"year\"\nmin = 1\nresolved_after_months = 6\ndescription = \"x\"",
                "resolved_after_months",
            ),
            (
                "id = \"z\"\nkind = \"leader_days\"\nperiod = \"week\"\nmin = 1\ndescription = \"x\"\ncite = \"  \"",
                "cite",
            ),
        ];
        for (rule, want) in more {
            match err(&with_rule(rule)) {
                RuleSetError::Rule { rule, field, .. } => {
                    assert_eq!((rule.as_str(), field), ("z", want), "{want}");
                }
                other => panic!("{rule}: {other:?}"),
            }
        }
        // The unknown class's message names the rule, the field and the known codes.
        let e = err(&with_rule(more[0].0)).to_string();
        assert!(
            e.contains("test-set.toml")
                && e.contains("rule \"z\"")
                && e.contains("classes")
                && e.contains("mayor")
                && e.contains("deputy_head"),
            "{e}"
        );

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
}
