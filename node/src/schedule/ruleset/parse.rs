//! A rule set file read: TOML checked field by field, each refusal naming the
//! file, the rule and the field.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;

use super::{Filing, LeaderRole, Per, Period, QuotaRule, RuleKind, RuleSet, RuleSetError};
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
        higher_visits: raw.higher_visits,
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

    fn with_rule(rule: &str) -> String {
        format!("{MINIMAL}\n[[rule]]\n{rule}\n")
    }

    fn err(text: &str) -> RuleSetError {
        RuleSet::from_toml(text, "test-set.toml").unwrap_err()
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
