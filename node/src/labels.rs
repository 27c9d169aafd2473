//! Labels for people: the caller's language, a label in both languages, and a
//! sentence said in both (`Said`, for refusals of bad input). The
//! tables of labels live beside what they name (`case::labels` for cases);
//! services put labels into the views they answer, and the CLI, the reports and
//! every later front show them as they come, never keeping labels of their own.
//!
//! Pure: no IO.

/// The language of a caller's labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// 中文, the default.
    #[default]
    Zh,
    En,
}

impl Lang {
    /// The name of the gRPC metadata (and HTTP header) a caller names its
    /// language in.
    pub const HEADER: &'static str = "accept-language";

    /// A language tag as callers send it (`en`, `en-US`, `zh-CN`, …): English for
    /// any `en…` first choice, else Chinese.
    pub fn from_tag(tag: &str) -> Lang {
        let first = tag.split(',').next().unwrap_or_default().trim();
        if first.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("en")) {
            Lang::En
        } else {
            Lang::Zh
        }
    }

    /// The tag to send for this language.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
}

/// A label in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label {
    pub zh: &'static str,
    pub en: &'static str,
}

impl Label {
    pub const fn new(zh: &'static str, en: &'static str) -> Label {
        Label { zh, en }
    }

    pub fn get(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.zh,
            Lang::En => self.en,
        }
    }
}

/// A sentence said to a person about what they typed, written in both
/// languages where it is made (a refusal of bad input names its rule in the
/// reader's language, beside the field). Unlike `Label`, it may carry the
/// particulars (the value, the limit), so it is owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    zh: String,
    en: String,
}

impl Said {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Said {
        Said {
            zh: zh.into(),
            en: en.into(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

impl From<Label> for Said {
    fn from(l: Label) -> Said {
        Said::new(l.zh, l.en)
    }
}

/// English: what logs, the API's status messages and scripts read.
impl std::fmt::Display for Said {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.en)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags() {
        assert_eq!(Lang::from_tag("en"), Lang::En);
        assert_eq!(Lang::from_tag("en-US,zh;q=0.5"), Lang::En);
        assert_eq!(Lang::from_tag("zh-CN"), Lang::Zh);
        assert_eq!(Lang::from_tag(""), Lang::Zh);
        assert_eq!(Lang::from_tag(Lang::En.tag()), Lang::En);
    }
}
