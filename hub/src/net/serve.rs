//! The parent's side of a link: serves `Replication.Sync` to this node's children,
//! one live session per child.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};
use xinfang_proto::v1::replication_server::Replication;
use xinfang_proto::v1::{SyncFrame, sync_frame};

use super::{FrameStream, Security, drive};
use crate::engine::Hub;
use crate::identity::{PeerIdentity, cert_info};
use crate::route::{Link, PeerRole};
use crate::tls::until_revoked_or;
use crate::topology::UnitCode;

/// Session bookkeeping shared by the server side: one live session per peer; a
/// newer connection from the same peer replaces the older one.
#[derive(Default, Clone)]
struct Sessions(Arc<Mutex<HashMap<UnitCode, LiveSession>>>);

/// A peer's current session: its number and the switch that ends it.
type LiveSession = (u64, watch::Sender<bool>);

impl Sessions {
    fn begin(&self, peer: &UnitCode) -> (u64, watch::Receiver<bool>) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let (tx, rx) = watch::channel(false);
        let id = map.get(peer).map(|(id, _)| id + 1).unwrap_or(0);
        if let Some((_, old)) = map.insert(peer.clone(), (id, tx)) {
            let _ = old.send(true);
        }
        (id, rx)
    }
    fn end(&self, peer: &UnitCode, id: u64) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if map.get(peer).is_some_and(|(cur, _)| *cur == id) {
            map.remove(peer);
        }
    }
}

/// The parent side: serves `Replication.Sync` to this node's children.
#[derive(Clone)]
pub struct ReplicationService {
    hub: Hub,
    security: Security,
    sessions: Sessions,
    shutdown: watch::Receiver<bool>,
}

impl ReplicationService {
    pub fn new(hub: Hub, security: Security, shutdown: watch::Receiver<bool>) -> Self {
        ReplicationService {
            hub,
            security,
            sessions: Sessions::default(),
            shutdown,
        }
    }

    /// The link for a child that claims or proves `unit`, or a refusal naming it.
    fn child_link(&self, presented: &PeerIdentity) -> Result<Link, Status> {
        let me = self.hub.me();
        match presented {
            PeerIdentity::Unit(unit) => match self.hub.link_with(unit) {
                Some(link) if link.role == PeerRole::Child => Ok(link),
                Some(_) => Err(Status::permission_denied(format!(
                    "unit {unit} is the parent of {me}: a parent dials no child; refused"
                ))),
                None => Err(Status::permission_denied(format!(
                    "peer presented unit {unit}, which is not a child of {me}; refused"
                ))),
            },
            other => Err(Status::permission_denied(format!(
                "peer presented {other}, not a node certificate; refused"
            ))),
        }
    }

    /// Runs a child's session; `serial` is the certificate it presented (TLS), whose
    /// revocation ends the session.
    fn spawn_session(
        &self,
        link: Link,
        inbound: FrameStream,
        started: Instant,
        serial: Option<String>,
    ) -> FrameStream {
        let (tx, rx) = mpsc::channel::<SyncFrame>(self.hub.config().transport.frame_queue.max(1));
        let (id, replaced) = self.sessions.begin(&link.peer);
        let hub = self.hub.clone();
        let sessions = self.sessions.clone();
        let tls = match (&self.security, serial) {
            (Security::Tls(state), Some(serial)) => Some((state.clone(), serial)),
            _ => None,
        };
        let mut shutdown = until_revoked_or(tls, self.shutdown.clone(), link.peer.clone());
        tokio::spawn(async move {
            // End on node shutdown or when a newer session for this peer starts.
            let (stop_tx, stop_rx) = watch::channel(false);
            let mut replaced = replaced;
            let watcher = tokio::spawn(async move {
                tokio::select! {
                    _ = shutdown.changed() => {}
                    _ = replaced.changed() => {}
                }
                let _ = stop_tx.send(true);
            });
            let peer = link.peer.clone();
            match drive(hub, link, inbound, tx, stop_rx, started).await {
                Ok(()) => tracing::info!(peer = %peer, "child link closed"),
                Err(e) => tracing::warn!(peer = %peer, error = %e, "child link failed"),
            }
            watcher.abort();
            sessions.end(&peer, id);
        });
        Box::pin(ReceiverStream::new(rx).map(Ok))
    }
}

#[tonic::async_trait]
impl Replication for ReplicationService {
    type SyncStream = FrameStream;

    async fn sync(
        &self,
        request: Request<Streaming<SyncFrame>>,
    ) -> Result<Response<Self::SyncStream>, Status> {
        let started = Instant::now();
        match &self.security {
            Security::Tls(_) => {
                let certs = request.peer_certs().ok_or_else(|| {
                    Status::unauthenticated("replication requires a node client certificate")
                })?;
                let leaf = certs
                    .first()
                    .ok_or_else(|| Status::unauthenticated("empty client certificate chain"))?;
                let presented =
                    cert_info(leaf.as_ref()).map_err(|e| Status::unauthenticated(e.to_string()))?;
                let link = self.child_link(&presented.identity)?;
                tracing::info!(peer = %link.peer, serial = %presented.serial, "child connected (mTLS)");
                let inbound: FrameStream = Box::pin(request.into_inner());
                Ok(Response::new(self.spawn_session(
                    link,
                    inbound,
                    started,
                    Some(presented.serial),
                )))
            }
            Security::Insecure => {
                // No certificate: the first frame must be a Hello naming the unit.
                let mut inbound = request.into_inner();
                let first = tokio::time::timeout(Duration::from_secs(10), inbound.message())
                    .await
                    .map_err(|_| Status::deadline_exceeded("no Hello within 10 s"))??
                    .ok_or_else(|| Status::cancelled("stream ended before Hello"))?;
                let unit = match &first.kind {
                    Some(sync_frame::Kind::Hello(h)) => {
                        h.unit.parse::<UnitCode>().map_err(|_| {
                            Status::invalid_argument(format!(
                                "Hello.unit {:?} is not a unit code",
                                h.unit
                            ))
                        })?
                    }
                    _ => return Err(Status::invalid_argument("first frame must be Hello")),
                };
                let link = self.child_link(&PeerIdentity::Unit(unit))?;
                tracing::info!(peer = %link.peer, "child connected (insecure)");
                let rest: FrameStream =
                    Box::pin(futures::stream::once(async move { Ok(first) }).chain(inbound));
                Ok(Response::new(self.spawn_session(link, rest, started, None)))
            }
        }
    }
}
