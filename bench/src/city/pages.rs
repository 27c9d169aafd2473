//! The staff console's pages at the city, timed as a browser on the office PC
//! would ask for them: over HTTPS (the node's certificate checked against the
//! federation's root) on one kept-alive connection, with the session cookie the
//! console sets at sign-in (it holds the node's login token, which the benchmark
//! already has from the API). Each page is asked for 50 times; the time is until
//! the whole page has arrived.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use xinfang_ca as pki;

use crate::stats::percentile;

/// A signed-in console session on one connection.
pub struct Console {
    tx: hyper::client::conn::http1::SendRequest<Empty<Bytes>>,
    cookie: String,
    host: String,
}

impl Console {
    /// Connects to the console at `port` on loopback as the node named
    /// `server_name`, with `token` as the session.
    pub async fn open(
        port: u16,
        server_name: &str,
        pki_dir: &Path,
        token: &str,
    ) -> anyhow::Result<Console> {
        let ca = pki::read_file(&pki_dir.join(pki::CA_CERT)).context("the federation's root")?;
        let verifier = xinfang_hub::tls::server_verifier(&ca, None)?;
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .with_context(|| format!("the console on port {port}"))?;
        tcp.set_nodelay(true)?;
        let name = ServerName::try_from(server_name.to_owned())?;
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .context("TLS to the console")?;
        let (tx, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
        tokio::spawn(conn);
        Ok(Console {
            tx,
            cookie: format!("xinfang_session={token}"),
            host: format!("127.0.0.1:{port}"),
        })
    }

    /// One page: its status and body.
    pub async fn get(&mut self, path: &str) -> anyhow::Result<(u16, String)> {
        self.tx.ready().await?;
        let req = hyper::Request::get(path)
            .header(hyper::header::HOST, &self.host)
            .header(hyper::header::COOKIE, &self.cookie)
            .header(hyper::header::ACCEPT_LANGUAGE, "zh-CN")
            .body(Empty::new())?;
        let res = self.tx.send_request(req).await?;
        let status = res.status().as_u16();
        let body = res.into_body().collect().await?.to_bytes();
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }

    /// `path` asked for `n` times: the milliseconds each took, sorted; refused
    /// unless every answer is 200 and holds `must_hold`.
    pub async fn time(
        &mut self,
        path: &str,
        n: usize,
        must_hold: &str,
    ) -> anyhow::Result<Vec<f64>> {
        let mut ms = Vec::with_capacity(n);
        for _ in 0..n {
            let t = Instant::now();
            let (status, body) = self.get(path).await?;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            if status != 200 || !body.contains(must_hold) {
                anyhow::bail!(
                    "{path}: HTTP {status}, expected a page with {must_hold:?}; got {}",
                    body.chars().take(300).collect::<String>()
                );
            }
        }
        ms.sort_by(f64::total_cmp);
        Ok(ms)
    }
}

/// "median X ms, p99 Y ms" of sorted times.
pub fn spread(ms: &[f64]) -> String {
    format!("median of {}; p99 {:.1} ms", ms.len(), percentile(ms, 0.99))
}
