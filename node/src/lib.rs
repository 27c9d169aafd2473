//! xinfang-node: the tier daemon. It embeds the hub (replication) and adds the
//! domain: petition case documents, their projections into query tables, and the
//! local gRPC API.
//!
//! - [`case`]: the case document and its rules.
//! - [`lifecycle`]: a case as records; status, deadlines, closure derived purely.
//! - [`projection`]: query tables derived from documents.
//! - [`remote`]: the rules for documents that arrive from peers.
//! - [`rules`]: pure rules: calendar and deadlines, time limits, ID numbers, taxonomy.
//! - [`api`]: the `xinfang.v1.Node` service.
//! - [`auth`]: staff accounts, roles and actions, tokens, the audit log; the guard
//!   every API call goes through ([`accounts_api`]: `xinfang.v1.Accounts`).
//! - [`ledger`]: the hash-chained ledger of commits and audit lines, its
//!   attestation to the parent ([`ledger_api`]: `xinfang.v1.Ledger`).
//! - [`pii`]: personal data at rest: the node's key, AES-256-GCM, keyed hashes.
//! - [`server`]: start/stop a node (storage, hub, gRPC server, uplink).
//! - [`metrics`]: the Prometheus endpoint (`/metrics`) and the gRPC latency layer.
//! - [`cli`]: `xinfang-node run`.
//! - [`report`]: bureau reports: case facts, rates, tables and charts.
//! - [`schedule`]: leaders' reception schedules, filing, attendance.
//! - [`layout`]: where a local federation keeps its files.

pub mod accounts_api;
pub mod api;
pub mod auth;
pub mod authorship;
pub mod case;
pub mod cli;
pub mod contact;
pub mod error;
pub mod layout;
pub mod ledger;
pub mod ledger_api;
pub mod lifecycle;
pub mod memory;
pub mod metrics;
pub mod pii;
pub mod projection;
pub mod remote;
pub mod report;
pub mod report_api;
pub mod rules;
pub mod schedule;
pub mod schedule_api;
pub mod schema;
pub mod sealer;
pub mod server;
pub mod store_copy;

pub use error::NodeError;
