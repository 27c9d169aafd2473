//! Reports as a bureau hands them in, drawn here from what the node's reports API
//! answers: [`table`] (CSV with BOM, XLSX) and [`chart`] (PNG, Chinese labels in a
//! CJK font found on this machine). Presentation only: every number arrives computed.

pub mod chart;
pub mod table;
