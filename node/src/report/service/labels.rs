//! The labels reports show for the keys of each breakdown dimension: codes of
//! the case (statuses, channels, kinds of deadline) from the one table in
//! `case::labels`, units by name, classification entries by name.

use super::ReportService;
use crate::case::labels;

/// A status code's label, from the one table (`case::labels`).
pub(super) fn status_zh(code: &str) -> &str {
    labels::status_of_code(code).map_or(code, |s| labels::status(s).zh)
}

/// A channel code's label, from the one table.
pub(super) fn channel_zh(code: &str) -> &str {
    labels::channel_of_code(code).map_or(code, |c| labels::channel(c).zh)
}

/// A kind of deadline's label, from the one table.
pub(super) fn kind_zh(code: &str) -> &str {
    labels::deadline_of_code(code).map_or(code, |k| labels::deadline(k).zh)
}

impl ReportService {
    pub(super) fn label(&self, by: &str, key: &str) -> String {
        match by {
            "unit" | "tier" => self.name(key),
            "channel" => channel_zh(key).to_owned(),
            "status" => status_zh(key).to_owned(),
            "category" => self
                .rules
                .taxonomy
                .category(key, None)
                .map(|e| e.name.clone())
                .unwrap_or_else(|_| {
                    if key.is_empty() {
                        "未分类".into()
                    } else {
                        key.to_owned()
                    }
                }),
            "purpose" => self
                .rules
                .taxonomy
                .purpose(key)
                .map(|e| e.name.clone())
                .unwrap_or_else(|_| {
                    if key.is_empty() {
                        "未注明".into()
                    } else {
                        key.to_owned()
                    }
                }),
            _ => key.to_owned(),
        }
    }
}
