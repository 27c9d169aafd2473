//! Output for people (Chinese labels by default, `--lang en`) and for scripts (`--json`).

use clap::ValueEnum;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// Picks the label for this language.
    pub fn t(self, zh: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

pub fn table(header: Vec<&str>) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(header);
    t
}

pub fn print_json(v: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// RFC 3339 (UTC) shown in China Standard Time for people.
pub fn local_time(rfc3339: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(rfc3339) {
        Ok(t) => {
            let cst = chrono::FixedOffset::east_opt(8 * 3600).unwrap_or(t.timezone());
            t.with_timezone(&cst)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        }
        Err(_) => rfc3339.to_owned(),
    }
}
