//! Reaching a benchmark node's API: TLS checked against the federation's root,
//! the operator's certificate presented, and the token of the benchmark's user
//! sent on every call once it has signed in.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, ClientTlsConfig, Endpoint, Identity};
use xinfang_ca::{self as pki, unit_dns_name};
use xinfang_hub::Unit;
use xinfang_node::auth::BearerToken;

/// A channel to a node's API that sends the caller's token on every call.
pub type Api = InterceptedService<Channel, BearerToken>;

/// Where one node's API is and what proves who we are to it.
#[derive(Debug, Clone)]
pub struct Endpoints {
    addr: String,
    server_name: String,
    /// The federation's `pki` folder: the root, its revocation list, the operator.
    pki: PathBuf,
}

impl Endpoints {
    pub fn new(unit: &Unit, pki: PathBuf) -> anyhow::Result<Endpoints> {
        Ok(Endpoints {
            addr: unit.api_address()?,
            server_name: unit_dns_name(&unit.code),
            pki,
        })
    }

    /// A channel sending `token` (none: the operator's certificate alone).
    pub async fn channel(&self, token: Option<&str>) -> anyhow::Result<Api> {
        let bearer = BearerToken::new(token).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(InterceptedService::new(self.connect().await?, bearer))
    }

    /// The bare TLS connection, the operator's certificate presented.
    async fn connect(&self) -> anyhow::Result<Channel> {
        let addr = &self.addr;
        let read = |name: &str| {
            pki::read_file(&self.pki.join(name))
                .with_context(|| format!("{} in {}", name, self.pki.display()))
        };
        // The node's certificate is checked against the root and, if the root
        // has revoked any, against its revocation list.
        let crl = if self.pki.join(pki::CRL).exists() {
            Some(read(pki::CRL)?)
        } else {
            None
        };
        let verifier = xinfang_hub::tls::server_verifier(&read(pki::CA_CERT)?, crl.as_deref())
            .with_context(|| format!("certificates in {}", self.pki.display()))?;
        let identity = Identity::from_pem(read(pki::OPERATOR_CERT)?, read(pki::OPERATOR_KEY)?);
        let tls = ClientTlsConfig::new()
            .domain_name(self.server_name.clone())
            .identity(identity);
        let channel = Endpoint::from_shared(format!("https://{addr}"))
            .with_context(|| format!("bad node address {addr}"))?
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .tls_config_with_verifier(tls, verifier)?
            .connect()
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "cannot reach node at {addr}: {}",
                    xinfang_hub::net::error_chain(&e)
                )
            })?;
        Ok(channel)
    }
}

/// A gRPC error as the server worded it.
pub fn status_error(s: tonic::Status) -> anyhow::Error {
    if s.message() == "transport error" {
        // The cause is in the sources (a TLS alert, a reset connection).
        return anyhow::anyhow!("{} ({:?})", xinfang_hub::net::error_chain(&s), s.code());
    }
    anyhow::anyhow!("{} ({:?})", s.message(), s.code())
}
