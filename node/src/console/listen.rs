//! The console's listener: bound like the node API's (loopback by default; an
//! address beyond this machine only with TLS, `server::api_exposure_ok`), served
//! over the node's own certificate when the node runs with TLS.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use xinfang_hub::tls::TlsState;

/// How long a browser may take over the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the console listens.
pub enum ConsoleListen {
    /// Bind this address at start (port 0: any free port).
    Addr(SocketAddr),
    /// An already-bound listener (tests keep ports across restarts).
    Listener(TcpListener),
}

/// Serves `app` on `listener` until `shutdown` turns true: plain HTTP, or HTTPS
/// with the node's current TLS material when `tls` is given.
pub async fn serve(
    listener: TcpListener,
    tls: Option<Arc<TlsState>>,
    app: axum::Router,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let stop = async move {
        let _ = shutdown.wait_for(|s| *s).await;
    };
    match tls {
        None => {
            axum::serve(listener, app)
                .with_graceful_shutdown(stop)
                .await
        }
        Some(state) => {
            let tls = TlsListener::start(listener, state)?;
            axum::serve(tls, app).with_graceful_shutdown(stop).await
        }
    }
}

/// Connections that passed a TLS handshake, for `axum::serve`.
struct TlsListener {
    streams: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    addr: SocketAddr,
}

impl TlsListener {
    /// Accepts on `listener` and completes each handshake on its own task (a
    /// slow browser holds up no one) with the material current at that moment,
    /// so a renewed certificate is used without a restart.
    fn start(listener: TcpListener, state: Arc<TlsState>) -> std::io::Result<TlsListener> {
        let addr = listener.local_addr()?;
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tx.closed() => break,
                    accepted = listener.accept() => match accepted {
                        Ok((tcp, peer)) => {
                            let _ = tcp.set_nodelay(true);
                            let acceptor = TlsAcceptor::from(browser_config(&state));
                            let tx = tx.clone();
                            tokio::spawn(async move {
                                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                                    Ok(Ok(stream)) => {
                                        let _ = tx.send((stream, peer)).await;
                                    }
                                    Ok(Err(e)) => tracing::debug!(%peer, error = %e, "console TLS handshake failed"),
                                    Err(_) => tracing::debug!(%peer, "console TLS handshake timed out"),
                                }
                            });
                        }
                        Err(e) => {
                            // Out of descriptors and the like: pause instead of spinning.
                            tracing::warn!(error = %e, "console: accepting a connection failed");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    },
                }
            }
        });
        Ok(TlsListener { streams: rx, addr })
    }
}

/// The node's server configuration, speaking HTTP/1.1 to browsers: the API's
/// offers only HTTP/2 (gRPC), which the console is not served over.
fn browser_config(state: &TlsState) -> Arc<rustls::ServerConfig> {
    let mut config = (*state.current().server_config()).clone();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.streams.recv().await {
            Some(s) => s,
            // The accept loop ended: nothing more will come.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.addr)
    }
}
