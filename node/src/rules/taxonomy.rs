//! The official petition classification (seed 001): purposes (信访目的), content
//! categories with subcategories (内容分类) and forms of reception (接访方式), shipped as
//! `data/petition-taxonomy.toml` with stable ASCII codes.

use serde::Deserialize;

use crate::labels::Said;

const OFFICIAL: &str = include_str!("../../data/petition-taxonomy.toml");

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub subcategories: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Taxonomy {
    pub purpose: Vec<Entry>,
    pub category: Vec<Entry>,
    pub reception_form: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaxonomyError {
    #[error("taxonomy file: {0}")]
    Parse(String),
    #[error("unknown {kind} code {code:?}; known: {known}")]
    Unknown {
        kind: &'static str,
        code: String,
        known: String,
    },
    #[error("category {category} has no subcategory {sub:?}; it has: {known}")]
    UnknownSub {
        category: String,
        sub: String,
        known: String,
    },
}

impl TaxonomyError {
    /// The refusal as said beside the field, in both languages.
    pub fn said(&self) -> Said {
        let zh = match self {
            TaxonomyError::Parse(e) => format!("分类文件有误：{e}"),
            TaxonomyError::Unknown { kind, code, known } => {
                let kind = match *kind {
                    "purpose" => "信访目的",
                    "category" => "问题类别",
                    "reception form" => "接待形式",
                    other => other,
                };
                format!("没有代码为“{code}”的{kind}；可选：{known}")
            }
            TaxonomyError::UnknownSub {
                category,
                sub,
                known,
            } => format!("问题类别{category}下没有“{sub}”；可选：{known}"),
        };
        Said::new(zh, self.to_string())
    }
}

fn find<'a>(list: &'a [Entry], kind: &'static str, code: &str) -> Result<&'a Entry, TaxonomyError> {
    list.iter()
        .find(|e| e.code == code)
        .ok_or_else(|| TaxonomyError::Unknown {
            kind,
            code: code.to_owned(),
            known: list
                .iter()
                .map(|e| e.code.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

impl Taxonomy {
    pub fn official() -> Result<Taxonomy, TaxonomyError> {
        Self::from_toml(OFFICIAL)
    }

    pub fn from_toml(text: &str) -> Result<Taxonomy, TaxonomyError> {
        toml::from_str(text).map_err(|e| TaxonomyError::Parse(e.to_string()))
    }

    pub fn purpose(&self, code: &str) -> Result<&Entry, TaxonomyError> {
        find(&self.purpose, "purpose", code)
    }

    pub fn reception_form(&self, code: &str) -> Result<&Entry, TaxonomyError> {
        find(&self.reception_form, "reception form", code)
    }

    /// Checks a category and, if given, one of its subcategories (by name).
    pub fn category(&self, code: &str, sub: Option<&str>) -> Result<&Entry, TaxonomyError> {
        let c = find(&self.category, "category", code)?;
        if let Some(s) = sub
            && !c.subcategories.iter().any(|x| x == s)
        {
            return Err(TaxonomyError::UnknownSub {
                category: code.to_owned(),
                sub: s.to_owned(),
                known: c.subcategories.join("、"),
            });
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_classification_loads_and_checks_codes() {
        let t = Taxonomy::official().unwrap();
        assert_eq!(t.purpose.len(), 5);
        assert_eq!(t.reception_form.len(), 6);
        assert_eq!(t.purpose("request").unwrap().name, "求决");
        assert_eq!(
            t.category("labor", Some("工资福利")).unwrap().name,
            "劳动社保"
        );
        let e = t.category("labour", None).unwrap_err();
        assert!(
            e.to_string().contains("labour") && e.to_string().contains("labor"),
            "{e}"
        );
        let e = t.category("labor", Some("户籍")).unwrap_err();
        assert!(matches!(e, TaxonomyError::UnknownSub { .. }), "{e}");
        assert!(t.reception_form("fixed").is_ok());
    }
}
