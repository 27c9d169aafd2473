//! Flags turned into the fields of the record JSON the node's API takes.

use clap::ValueEnum;
use serde_json::{Value, json};

use super::{ScreenDecision, Track};

/// The API's code for a value typed on the command line: the flag's value with
/// `_` for `-` (`public-notice` → `public_notice`).
pub fn code(v: impl ValueEnum) -> String {
    v.to_possible_value()
        .map(|p| p.get_name().replace('-', "_"))
        .unwrap_or_default()
}

pub fn screening(
    decision: ScreenDecision,
    notice: Option<String>,
    authority: Option<String>,
    track: Option<Track>,
) -> anyhow::Result<Value> {
    let need = |v: Option<String>, flag: &str| {
        v.filter(|s| !s.trim().is_empty())
            .ok_or_else(|| anyhow::anyhow!("--{flag} is required for this decision"))
    };
    Ok(match decision {
        ScreenDecision::Accept => json!({"decision": "accept"}),
        ScreenDecision::NotAccept => json!({
            "decision": "not_accept",
            "notice": need(notice, "notice")?,
            "competent_authority": need(authority, "authority")?,
        }),
        ScreenDecision::Discipline => json!({
            "decision": "discipline",
            "notice": need(notice, "notice")?,
        }),
        ScreenDecision::Divert => json!({
            "decision": "divert",
            "track": code(track.ok_or_else(|| anyhow::anyhow!("--track is required to divert"))?),
            "notice": need(notice, "notice")?,
        }),
    })
}

pub fn unit_arg(flag: &str, v: &str) -> anyhow::Result<String> {
    let unit: xinfang_hub::UnitCode = v.parse().map_err(|e| anyhow::anyhow!("--{flag}: {e}"))?;
    Ok(unit.to_string())
}

pub fn date_arg(flag: &str, v: &str) -> anyhow::Result<String> {
    let day = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| anyhow::anyhow!("--{flag} {v:?}: expected a date as YYYY-MM-DD"))?;
    Ok(day.to_string())
}
