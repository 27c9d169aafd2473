//! Reports drawn here from what the node's reports API answers: [`chart`] (PNG,
//! Chinese labels in a CJK font found on this machine). The CSV and XLSX tables
//! are the node's (`xinfang_node::sheets`), shared with the console.
//! Presentation only: every number arrives computed.

pub mod chart;
