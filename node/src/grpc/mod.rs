//! The gRPC adapters of the node's local API, one per service. Each names the
//! caller (`auth::Guard`), turns the request into the service's terms, calls the
//! service and returns its answer; errors map to gRPC codes once, in
//! `NodeError`'s conversion. Rules, labels and permissions live in the services
//! and the pure modules under them, never here.

pub mod accountability;
pub mod accounts;
pub mod bulletins;
pub mod calendar;
pub mod ledger;
pub mod letters;
pub mod node;
pub mod notices;
pub mod receptions;
pub mod reports;
pub mod schedules;
pub mod status;
