//! The server's accept loop: TCP, then a TLS handshake with the config current at
//! that moment, streams handed to tonic.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_stream::wrappers::ReceiverStream;

use super::{HANDSHAKE_TIMEOUT, TlsState};

/// Accepts connections on `listener` and completes a TLS handshake on each with
/// the material current at that moment; yields the streams that pass, for tonic's
/// `serve_with_incoming`. Handshakes run side by side (a slow client holds up no
/// one) and fail alone: a refused certificate is logged by the verifier, the
/// listener keeps accepting. Ends, closing the listener, when the stream is dropped.
pub fn incoming(
    listener: TcpListener,
    state: Arc<TlsState>,
) -> ReceiverStream<Result<TlsStream<TcpStream>, std::io::Error>> {
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        let mut handshakes = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                _ = tx.closed() => break,
                accepted = listener.accept() => match accepted {
                    Ok((tcp, addr)) => {
                        let _ = tcp.set_nodelay(true);
                        let acceptor = TlsAcceptor::from(state.current().server_config());
                        handshakes.spawn(async move {
                            (addr, tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await)
                        });
                    }
                    Err(e) => {
                        // Out of descriptors and the like: pause instead of spinning.
                        tracing::warn!(error = %e, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                Some(done) = handshakes.join_next(), if !handshakes.is_empty() => match done {
                    Ok((_, Ok(Ok(stream)))) => {
                        if tx.send(Ok(stream)).await.is_err() {
                            break;
                        }
                    }
                    Ok((addr, Ok(Err(e)))) => {
                        tracing::debug!(%addr, error = %e, "TLS handshake failed");
                    }
                    Ok((addr, Err(_))) => {
                        tracing::debug!(%addr, "TLS handshake timed out");
                    }
                    Err(e) => tracing::warn!(error = %e, "TLS handshake task failed"),
                },
            }
        }
    });
    ReceiverStream::new(rx)
}
