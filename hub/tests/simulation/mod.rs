//! Deterministic simulation of a federation: every node runs the real engine
//! (merge, routing, feed) on a simulated disk and, per link, the real sans-IO
//! link core with production settings, including its attestations, marks and
//! idle timeouts. The simulator plays what the tonic driver does between the
//! cores and the storage (`net::drive`), over a simulated network, and injects
//! faults. Every run is fixed by its seed.
//!
//! - [`tree`]: generated city trees, from 15 nodes to a whole city.
//! - [`disk`]: the store with its journal, flushes, power loss, backups.
//! - [`ledger`]: the attestor over that journal.
//! - `world`: nodes, their disks and hubs, live sessions.
//! - `session`: what the driver does on a session: frames, storage work, closes,
//!   recoveries, time.
//! - `faults`: what goes wrong, and the bookkeeping of acknowledged writes.
//! - `check`: healing, settling, and what must hold afterwards.

pub mod disk;
pub mod ledger;
pub mod tree;

mod check;
mod faults;
mod session;
mod world;

pub use check::shape_named;
pub use faults::{Faults, Transport};
pub use tree::Shape;
pub use world::Sim;
