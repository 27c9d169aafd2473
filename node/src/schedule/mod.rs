//! Leaders' monthly reception schedules (接访安排表): roster, drafts, quota rules,
//! approval, publication, filing upward, attendance and the quarterly register.
//!
//! - [`model`]: leaders, roles, months, entries.
//! - [`ruleset`]: quota rule sets (files under `rules/`), chosen per unit.
//! - [`quota`]: pure evaluation of a month's schedule against a rule set.
//! - [`table`]: the 附件2 table layout: CSV and XLSX import and export.
//! - [`publish`]: the self-contained HTML page for the hall and the portal.
//! - [`workflow`]: the schedule's states (draft, reviewed, approved, published) and
//!   the steps each allows.
//! - [`docs`], [`filing`], [`quarterly`]: the filed documents, filing status and
//!   flags, the quarterly register.
//! - [`duty`], [`duty_sheet`]: duty rosters for rest days and holidays (值班安排表),
//!   and the table offices print.
//! - [`work_report`], [`work_report_pdf`]: the quarterly plan and the yearly
//!   summary (seed 002), their XLSX and their printed layout.
//! - [`labels`]: what people read for states and filing statuses (both languages).
//! - [`service`]: the workflow at one node over drafts and documents.

pub mod docs;
pub mod duty;
pub mod duty_sheet;
pub mod filing;
pub mod labels;
pub mod model;
pub mod publish;
pub mod quarterly;
pub mod quota;
pub mod ruleset;
pub mod service;
pub mod table;
pub mod work_report;
pub mod work_report_pdf;
pub mod workflow;
