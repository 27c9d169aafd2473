//! The situations in which people are held accountable for petition work and the
//! forms accountability takes (seed 003 art. 14 and 15), as configuration: a TOML
//! file under `rules/accountability/`, compiled into the binary. Also the
//! thresholds from which the node suggests cases. Pure: parses text, no IO.

use serde::Deserialize;

use crate::labels::Lang;

/// One of the nine situations of art. 14.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Situation {
    pub code: String,
    /// Its number in the article, e.g. （二）.
    pub number: String,
    pub zh: String,
    pub en: String,
    /// The article's sentence, verbatim.
    pub cite: String,
}

/// One form accountability takes (art. 15): 通报, 诫勉, 组织调整, 纪律处分.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Form {
    pub code: String,
    pub zh: String,
    pub en: String,
    pub cite: String,
}

/// When evidence becomes a suggestion, and under which situation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuggestRules {
    /// This many empty posts of one leader within `window_days`.
    pub missed_posts: usize,
    pub window_days: u32,
    pub missed_posts_situation: String,
    pub missing_filing_situation: String,
    /// A case deadline passed by at least this many days.
    pub overdue_days: u32,
    pub overdue_situation: String,
}

/// A set of situations, forms and thresholds.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountabilityRules {
    pub name: String,
    pub source: String,
    #[serde(rename = "situation")]
    pub situations: Vec<Situation>,
    #[serde(rename = "form")]
    pub forms: Vec<Form>,
    pub suggest: SuggestRules,
}

/// The shipped set (Lishui).
const LISHUI: &str = include_str!("../../../rules/accountability/lishui.toml");

impl AccountabilityRules {
    /// Parses a set and checks it holds together: codes unique, the suggestion
    /// situations among its own.
    pub fn parse(text: &str) -> Result<AccountabilityRules, String> {
        let r: AccountabilityRules = toml::from_str(text).map_err(|e| e.to_string())?;
        if r.situations.is_empty() || r.forms.is_empty() {
            return Err("a set names at least one situation and one form".into());
        }
        for (i, s) in r.situations.iter().enumerate() {
            if r.situations[..i].iter().any(|o| o.code == s.code) {
                return Err(format!("situation {:?} is named twice", s.code));
            }
        }
        for (i, f) in r.forms.iter().enumerate() {
            if r.forms[..i].iter().any(|o| o.code == f.code) {
                return Err(format!("form {:?} is named twice", f.code));
            }
        }
        for c in [
            &r.suggest.missed_posts_situation,
            &r.suggest.missing_filing_situation,
            &r.suggest.overdue_situation,
        ] {
            if r.situation(c).is_none() {
                return Err(format!("[suggest] names situation {c:?}, not in the set"));
            }
        }
        if r.suggest.missed_posts == 0 || r.suggest.window_days == 0 {
            return Err("[suggest] missed_posts and window_days are at least 1".into());
        }
        Ok(r)
    }

    /// The set shipped with xinfang (seed 003, Lishui).
    pub fn shipped() -> AccountabilityRules {
        // The file is part of the binary and checked by the tests below.
        Self::parse(LISHUI).unwrap_or_else(|e| panic!("rules/accountability/lishui.toml: {e}"))
    }

    pub fn situation(&self, code: &str) -> Option<&Situation> {
        self.situations.iter().find(|s| s.code == code.trim())
    }

    pub fn form(&self, code: &str) -> Option<&Form> {
        self.forms.iter().find(|f| f.code == code.trim())
    }

    /// A situation's label, e.g. "（二）未落实信访工作责任、不按规定接访".
    pub fn situation_label(&self, code: &str, lang: Lang) -> String {
        match self.situation(code) {
            Some(s) if lang == Lang::En => format!("{} {}", s.number, s.en),
            Some(s) => format!("{}{}", s.number, s.zh),
            None => code.to_owned(),
        }
    }

    pub fn form_label(&self, code: &str, lang: Lang) -> String {
        match self.form(code) {
            Some(f) if lang == Lang::En => f.en.clone(),
            Some(f) => f.zh.clone(),
            None => code.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_set_has_the_nine_situations_and_four_forms() {
        let r = AccountabilityRules::shipped();
        assert_eq!(r.situations.len(), 9);
        let forms: Vec<_> = r.forms.iter().map(|f| f.zh.as_str()).collect();
        assert_eq!(forms, ["通报", "诫勉", "组织调整或者组织处理", "纪律处分"]);
        assert_eq!(
            r.situation_label("duty-unmet", Lang::Zh),
            "（二）未落实信访工作责任、不按规定接访"
        );
    }

    #[test]
    fn a_set_naming_an_unknown_suggestion_situation_is_refused() {
        let bad = LISHUI.replace(
            "overdue_situation = \"handling-breach\"",
            "overdue_situation = \"nope\"",
        );
        let e = AccountabilityRules::parse(&bad).unwrap_err();
        assert!(e.contains("nope"), "{e}");
    }

    /// Every cite is a sentence of a seed, verbatim (`rules/seeds/`).
    #[test]
    fn every_cite_is_in_a_seed() {
        let seeds = crate::rules::seeds::text();
        let r = AccountabilityRules::shipped();
        for cite in r
            .situations
            .iter()
            .map(|s| &s.cite)
            .chain(r.forms.iter().map(|f| &f.cite))
        {
            assert!(seeds.contains(cite.as_str()), "{cite:?} is not in any seed");
        }
    }
}
