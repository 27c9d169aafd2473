//! Bureau reports: what superiors look at over their subtree (counts, overdue
//! cases, assessment rates).
//!
//! - [`facts`]: one case as the plain facts reports need, derived purely from its
//!   registration and records (a pure rule of the case, `case::facts`, which the
//!   petitioner's progress view reads too; named here for the reports that use it).
//! - [`rates`]: the assessment rates over a set of case facts, each charged to the
//!   petition office or the responsible unit (see `docs/reports.md`).
//! - [`rollup`]: what each case adds to the per-unit, per-month rollups that make
//!   reports at a city fast, kept in the documents' transaction.
//! - [`rollup_store`]: the facts rows and rollup tables the projector writes.
//! - [`service`]: the reports, read from those tables; it asks the projector to
//!   catch up through [`service::QueryTables`] and never imports it.
//!
//! The downloads bureaus hand in (CSV, XLSX) are written by `crate::sheets`, for
//! the CLI and the console alike.

pub use crate::case::facts;
pub mod rates;
pub mod rollup;
pub mod rollup_store;
pub mod service;
