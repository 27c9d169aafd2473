//! A petition case (信访事项, 一事一档): its document, its records, what it is
//! derived from them, who may write what, and the service every front calls.
//!
//! Layers, top down (each imports only those below it):
//! - [`service`]: the case service — registration (numbering, repeat and
//!   skip-level matching, personal data), steps on a case, reads and lists. The
//!   gRPC adapter (`grpc::node`) and every later front call it, never the layers
//!   below directly.
//! - [`view`]: what a case looks like to a person: the case file with its
//!   derived state, labels in the caller's language and units by name.
//! - [`numbering`]: case numbers, counted per unit and year; [`new_rows`]: the
//!   registering node's own rows of a new case (counter, personal data, audit
//!   line), written together for a group of registrations; [`lookup`]: the
//!   document a case number names.
//! - [`document`]: the Automerge layout of a case document.
//! - [`admission`]: whether a record may be written ([`admit`]), and the one
//!   rule of who may write each kind of record ([`may_write`]).
//! - [`state`]: the pure derivation of status, handling unit, deadlines and
//!   closure blockers from the records ([`derive`]).
//! - [`record`] and [`registration`]: the facts and the registration's input rules.
//! - [`labels`]: what a person reads for each code, in Chinese and English.
//! - [`reception`]: a case received on a leader's reception day — the booking,
//!   the leader's decision, the eight-copy supervision form (pure rules).
//! - [`query_code`]: the petitioner's query code and its salted hash;
//!   [`petitioner`]: what the case service answers the petitioner (the public
//!   page's progress view and rating) and the registrar's reissue of a code.

pub mod admission;
pub mod attempts;
pub mod document;
pub mod facts;
pub mod labels;
pub mod library;
pub mod lookup;
pub mod merges;
pub mod new_rows;
pub mod numbering;
pub mod petitioner;
pub mod query_code;
pub mod reception;
pub mod record;
pub mod registration;
pub mod rule_names;
pub mod service;
pub mod state;
pub mod step;
pub mod view;
pub mod written;

#[cfg(test)]
pub(crate) mod tests;

pub use admission::*;
pub use document::*;
pub use merges::same_petitioner_json;
pub use record::*;
pub use registration::*;
pub use state::*;
