//! What the benchmarks found, and how it is shown: a table for people, JSON for
//! scripts (`--json`), and the JSON file `--out` asks for.

use std::path::Path;

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;

use crate::lang::Lang;

/// One measurement on one engine.
#[derive(Debug, Clone, Serialize)]
pub struct Measured {
    pub key: &'static str,
    pub what: &'static str,
    pub engine: &'static str,
    /// How many documents the run replicated.
    pub docs: usize,
    /// The median where several runs were timed, else the one value.
    pub value: f64,
    /// The 99th percentile, where several runs were timed.
    pub p99: Option<f64>,
    pub unit: &'static str,
    pub detail: String,
    pub aim: &'static str,
}

/// One measurement of the city benchmark.
#[derive(Debug, Serialize)]
pub struct Row {
    pub key: &'static str,
    pub what: &'static str,
    pub value: f64,
    pub unit: &'static str,
    pub detail: String,
    pub aim: &'static str,
}

fn table(header: Vec<&str>) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(header);
    t
}

pub fn print_json(v: &impl Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

pub fn print_rows(rows: &[Row], out: Option<&Path>, json: bool, lang: Lang) -> anyhow::Result<()> {
    if json {
        print_json(&rows)?;
    } else {
        let mut t = table(vec![
            lang.t("项目", "Measurement"),
            lang.t("结果", "Result"),
            lang.t("说明", "Detail"),
            lang.t("目标", "Aim"),
        ]);
        for r in rows {
            t.add_row(vec![
                r.what.to_owned(),
                format!("{:.1} {}", r.value, r.unit),
                r.detail.clone(),
                r.aim.to_owned(),
            ]);
        }
        println!("{t}");
    }
    if let Some(out) = out {
        std::fs::write(out, serde_json::to_string_pretty(rows)?)?;
    }
    Ok(())
}

/// One line per measurement, a column per engine, and how PostgreSQL compares.
pub fn print_measured(rows: &[Measured], lang: Lang) {
    let cell = |m: &Measured| match m.p99 {
        Some(p) => format!("{} {} (p99 {})", num(m.value), m.unit, num(p)),
        None => format!("{} {}", num(m.value), m.unit),
    };
    let mut keys: Vec<&'static str> = Vec::new();
    for r in rows {
        if !keys.contains(&r.key) {
            keys.push(r.key);
        }
    }
    let mut t = table(vec![
        lang.t("项目", "Measurement"),
        "SQLite",
        "PostgreSQL",
        lang.t("PG/SQLite", "PG/SQLite"),
        lang.t("目标", "Aim"),
        lang.t("说明（SQLite）", "Detail (SQLite)"),
    ]);
    for key in keys {
        let on = |e: &str| rows.iter().find(|r| r.key == key && r.engine == e);
        let (sq, pg) = (on("sqlite"), on("postgres"));
        let Some(first) = sq.or(pg) else { continue };
        let ratio = match (sq, pg) {
            (Some(a), Some(b)) if a.value > 0.0 => format!("{:.2}", b.value / a.value),
            _ => "—".into(),
        };
        t.add_row(vec![
            first.what.to_owned(),
            sq.map(cell).unwrap_or_else(|| "—".into()),
            pg.map(cell).unwrap_or_else(|| "—".into()),
            ratio,
            first.aim.to_owned(),
            first.detail.clone(),
        ]);
    }
    println!("{t}");
}

/// Writes the sync benchmark's rows as JSON to `out`, if asked.
pub fn write_measured(rows: &[Measured], out: Option<&Path>) -> anyhow::Result<()> {
    if let Some(out) = out {
        std::fs::write(out, serde_json::to_string_pretty(rows)?)?;
    }
    Ok(())
}

/// A number as people read it: thousands grouped, one decimal below 100.
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    if v.abs() >= 100.0 {
        let n = v.round() as i64;
        let digits = n.abs().to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        if n < 0 { format!("-{out}") } else { out }
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::num;

    #[test]
    fn numbers_group_thousands() {
        assert_eq!(num(6443.2), "6,443");
        assert_eq!(num(-1234567.0), "-1,234,567");
        assert_eq!(num(12.34), "12.3");
        assert_eq!(num(f64::NAN), "—");
    }
}
