//! The child's side of a link: dials its parent and keeps the link up.

use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;
use tonic::transport::{Channel, Endpoint};
use xinfang_proto::v1::SyncFrame;
use xinfang_proto::v1::replication_client::ReplicationClient;

use super::{LinkFailure, Security, drive};
use crate::engine::Hub;
use crate::route::PeerRole;
use crate::tls::until_revoked_or;
use crate::topology::UnitCode;
use crate::transport::TransportConfig;

/// Builds a channel to `listen`, verifying (with TLS) that the server is `expect`.
pub async fn connect(
    listen: &str,
    security: &Security,
    expect: &UnitCode,
    max_frame_bytes: usize,
    transport: &TransportConfig,
) -> Result<ReplicationClient<Channel>, LinkFailure> {
    let scheme = match security {
        Security::Tls(_) => "https",
        Security::Insecure => "http",
    };
    let mut endpoint = Endpoint::from_shared(format!("{scheme}://{listen}"))
        .map_err(|e| LinkFailure::new("address", format!("{listen}: {e}")))?
        .connect_timeout(Duration::from_secs(5))
        .tcp_nodelay(true)
        .http2_keep_alive_interval(transport.keepalive_interval)
        .keep_alive_timeout(transport.keepalive_timeout)
        .keep_alive_while_idle(true);
    if let Security::Tls(state) = security {
        // The material current now: a node whose certificate, root or revocation
        // list changed dials with the new one.
        let (tls, verifier) = state.current().client_tls(expect);
        endpoint = endpoint
            .tls_config_with_verifier(tls, verifier)
            .map_err(|e| LinkFailure::new("tls", e.to_string()))?;
    }
    let channel = endpoint
        .connect()
        .await
        .map_err(|e| LinkFailure::new("connect", format!("{listen}: {}", error_chain(&e))))?;
    Ok(ReplicationClient::new(channel)
        .max_decoding_message_size(max_frame_bytes)
        .max_encoding_message_size(max_frame_bytes))
}

/// Renders an error with its sources ("a: b: c"), as TLS failures hide the cause.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

/// One session with the parent: dial, open the stream, drive it.
pub async fn sync_with_parent(
    hub: &Hub,
    security: &Security,
    shutdown: watch::Receiver<bool>,
) -> Result<(), LinkFailure> {
    let started = Instant::now();
    let link = hub
        .links()
        .into_iter()
        .find(|l| l.role == PeerRole::Parent)
        .ok_or_else(|| LinkFailure::new("topology", "this unit has no parent"))?;
    let parent = hub
        .topology()
        .unit(&link.peer)
        .ok_or_else(|| LinkFailure::new("topology", "parent missing from topology"))?;
    let mut client = connect(
        &parent.listen,
        security,
        &link.peer,
        hub.config().limits.max_frame_bytes,
        &hub.config().transport,
    )
    .await?;
    // The parent's certificate, as our verifier accepted it: if new material revokes
    // it, the session ends (and the next dial is refused in the handshake).
    let tls = match security {
        Security::Tls(state) => state
            .peer_cert(&link.peer)
            .map(|c| (state.clone(), c.serial)),
        Security::Insecure => None,
    };
    let shutdown = until_revoked_or(tls, shutdown, link.peer.clone());
    let queue = hub.config().transport.frame_queue.max(1);
    let (tx, rx) = mpsc::channel::<SyncFrame>(queue);
    // The request stream must carry our Hello before the server answers (the
    // insecure server reads it to learn who we are), so start the session first.
    let hub2 = hub.clone();
    let link2 = link.clone();
    let (in_tx, in_rx) = mpsc::channel::<Result<SyncFrame, Status>>(queue);
    let session = tokio::spawn(drive(
        hub2,
        link2,
        ReceiverStream::new(in_rx),
        tx,
        shutdown,
        started,
    ));
    let response = match client.sync(ReceiverStream::new(rx)).await {
        Ok(r) => r,
        Err(status) => {
            session.abort();
            let failure = LinkFailure::new(
                "refused",
                format!(
                    "parent {} refused the link: {}: {}",
                    link.peer,
                    status.code(),
                    error_chain(&status)
                ),
            );
            hub.with_link_status(&link.peer, |s| {
                s.connected = false;
                s.last_error = Some(failure.to_string());
            });
            return Err(failure);
        }
    };
    let mut inbound = response.into_inner();
    let pump = tokio::spawn(async move {
        while let Some(item) = inbound.next().await {
            if in_tx.send(item).await.is_err() {
                break;
            }
        }
    });
    let result = session.await;
    pump.abort();
    result.map_err(|e| LinkFailure::new("internal", e.to_string()))?
}

/// Keeps the link to our parent up: dials, syncs, and on failure retries with
/// exponential backoff (100 ms doubling to 5 s) until `shutdown`.
pub async fn run_uplink(hub: Hub, security: Security, mut shutdown: watch::Receiver<bool>) {
    let mut backoff = Duration::from_millis(100);
    loop {
        if *shutdown.borrow() {
            return;
        }
        let started = Instant::now();
        match sync_with_parent(&hub, &security, shutdown.clone()).await {
            Ok(()) => tracing::info!("parent link closed"),
            Err(e) => {
                tracing::warn!(error = %e, "parent link failed");
                if let Some(p) = hub.topology().parent(hub.me()).cloned() {
                    hub.with_link_status(&p, |s| s.last_error = Some(e.to_string()));
                }
            }
        }
        if started.elapsed() > Duration::from_secs(10) {
            backoff = Duration::from_millis(100);
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = shutdown.changed() => return,
        }
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}
