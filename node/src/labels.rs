//! Labels for people: the caller's language and a label in both languages. The
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
