//! xinfang-node: the tier daemon. It embeds the hub (replication) and adds the
//! domain: petition case documents, their projections into query tables, and the
//! local gRPC API.
//!
//! Layers, top down: adapters ([`grpc`], one per service) → services
//! ([`case::service`], [`schedule`]'s, [`report`]'s, [`auth`]'s accounts) → pure
//! rules ([`case`]'s records, derivation, admission and labels; [`rules`];
//! [`docid`]) → the hub (replication) → storage.
//!
//! - [`case`]: a petition case: its document, records, derived state, who may
//!   write what, labels, views, and the case service every front calls.
//! - [`docid`]: the grammar of every document id.
//! - [`labels`]: the caller's language and bilingual labels.
//! - [`projection`]: query tables derived from documents.
//! - [`remote`]: the rules for documents that arrive from peers; [`authorship`]:
//!   who wrote each change a peer sends, and whether it was theirs to write.
//! - [`rules`]: pure rules: calendar and deadlines, time limits, ID numbers, taxonomy.
//! - [`grpc`]: the gRPC adapters (`xinfang.v1.Node`, `Accounts`, `Ledger`,
//!   `Reports`, `Schedules`).
//! - [`auth`]: staff accounts, roles and actions, tokens, the audit log; the guard
//!   every call goes through.
//! - [`ledger`]: the hash-chained ledger of commits and audit lines, its
//!   attestation to the parent.
//! - [`pii`]: personal data at rest: the node's key, AES-256-GCM, keyed hashes.
//! - [`server`]: start/stop a node (storage, hub, gRPC server, uplink).
//! - [`metrics`]: the Prometheus endpoint (`/metrics`) and the gRPC latency layer.
//! - [`console`]: the staff console in the browser (HTTP pages over the same services).
//! - [`public`]: the public progress page for petitioners (case number and query
//!   code; the rating), on a listener of its own.
//! - [`cli`]: `xinfang-node run`.
//! - [`report`]: bureau reports: case facts, rates, rollups.
//! - [`schedule`]: leaders' reception schedules, filing, attendance.
//! - [`layout`]: where a local federation keeps its files.
//! - [`outbox`]: text messages owed to petitioners, queued, sent and recorded.

pub mod accountability;
pub mod auth;
pub mod authorship;
pub mod backup;
pub mod bulletin;
pub mod case;
pub mod cli;
pub mod console;
pub mod contact;
pub mod docid;
pub mod error;
pub mod grpc;
pub mod holidays;
pub mod labels;
pub mod layout;
pub mod ledger;
pub mod letter;
pub mod library;
pub mod memory;
pub mod metrics;
pub mod notice;
pub mod outbox;
pub mod pii;
pub mod projection;
pub mod public;
pub mod reception;
pub mod recovery;
pub mod remote;
pub mod report;
pub mod rules;
pub mod schedule;
pub mod schema;
pub mod sealer;
pub mod server;
pub mod sheets;
pub mod status;
pub mod store_copy;
pub mod told;

pub use error::NodeError;
