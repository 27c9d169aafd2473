//! Connection-level settings of the replication transport, shared by the engine's
//! configuration and the tonic adapter (its own module so neither imports the other
//! for it).

use std::time::Duration;

/// Connection-level limits and timeouts, for the server and the client side.
#[derive(Debug, Clone)]
pub struct TransportConfig {
    /// HTTP/2 PING interval on every connection, idle or not (server and client).
    pub keepalive_interval: Duration,
    /// A connection whose PING is not answered within this is closed.
    pub keepalive_timeout: Duration,
    /// A peer that has not taken a frame of ours for this long (our send stays
    /// blocked: it does not read) is disconnected.
    pub send_timeout: Duration,
    /// Frames a session buffers toward its peer, and from it on the child side.
    pub frame_queue: usize,
    /// HTTP/2 streams one connection may have open at once (server).
    pub max_concurrent_streams: u32,
    /// Requests one connection may have in progress at once; more wait (server).
    pub concurrency_per_connection: usize,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            keepalive_interval: Duration::from_secs(15),
            keepalive_timeout: Duration::from_secs(20),
            send_timeout: Duration::from_secs(30),
            frame_queue: 64,
            max_concurrent_streams: 64,
            concurrency_per_connection: 32,
        }
    }
}
