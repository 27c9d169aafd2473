//! xinfang-hub: the replication engine every node embeds.
//!
//! Architecture invariant: the hub knows nothing of cases, schedules or any other
//! domain object. It moves opaque Automerge documents that carry an `_id` and a
//! `_scope` (the set of unit codes they concern), and routes them by scope along the
//! federation tree.
//!
//! - [`topology`]: the federation tree and subtree queries.
//! - [`credit_code`]: the 18-character code units other than divisions carry.
//! - [`doc`]: scoped documents: decode with limits, validate, merge.
//! - [`route`]: which documents cross a link in which direction.
//! - [`core`]: the sans-IO sync session state machine.
//! - [`db`]: one database handle for SQLite and PostgreSQL, migrations, `$N` SQL.
//! - [`store`]: storage behind one trait (SQL; in-memory for tests and fuzzers).
//! - [`engine`]: the [`Hub`]: local writes, scans for a link, applying batches.
//! - [`journal`]: hooks for the node's hash-chained journal and its attestation.
//! - [`transport`]: connection limits and timeouts of the replication transport.
//! - [`net`]: the tonic adapter (server service, child uplink, session driver).
//! - [`quarantine`]: documents from peers refused by the domain's authorship rules.
//! - [`identity`]: who a peer is, read back from the certificate it presented.
//! - [`tls`]: rustls material checked, served, dialled with, and reloaded.

pub mod core;
pub mod credit_code;
pub mod db;
pub mod doc;
pub mod engine;
pub mod identity;
pub mod journal;
pub mod net;
pub mod pack;
pub mod parallel;
pub mod quarantine;
pub mod route;
pub mod store;
#[cfg(test)]
mod test_support;
pub mod tls;
pub mod topology;
pub mod transport;

pub use engine::{
    Clock, CommitObserver, Create, DocumentCheck, HeldDoc, Hub, HubConfig, HubError,
    InvalidDocument, LinkStatus, StagedWork, UpdateError,
};
pub use quarantine::Refusal;
pub use topology::{Tier, Topology, Unit, UnitCode, UnitKind};
