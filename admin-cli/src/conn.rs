//! How a command reaches a node: `--node host:port`, or `--topology FILE --unit CODE`
//! (the address from the topology, the certificates `xinfang up` made under `--dir`).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use tonic::transport::{Channel, ClientTlsConfig, Endpoint, Identity};
use xinfang_hub::pki::{self, unit_dns_name};
use xinfang_hub::{Topology, UnitCode};
use xinfang_node::layout::FederationDir;
use xinfang_proto::v1::node_client::NodeClient;
use xinfang_proto::v1::schedules_client::SchedulesClient;

#[derive(Debug, Args, Clone)]
pub struct ConnArgs {
    /// Node address host:port
    #[arg(long)]
    pub node: Option<String>,
    /// Topology file, with --unit, to find the node
    #[arg(long)]
    pub topology: Option<PathBuf>,
    /// Unit code (which node to reach with --topology; the acting unit where relevant)
    #[arg(long)]
    pub unit: Option<String>,
    /// Federation folder with the certificates (`pki/`)
    #[arg(long, default_value = "federation")]
    pub dir: PathBuf,
    /// Plaintext (only for nodes started with --insecure)
    #[arg(long)]
    pub insecure: bool,
}

impl ConnArgs {
    /// The address to dial and the TLS server name to expect.
    fn target(&self) -> anyhow::Result<(String, String)> {
        if let Some(node) = &self.node {
            let host = node
                .rsplit_once(':')
                .map(|(h, _)| h.trim_matches(['[', ']']).to_owned())
                .with_context(|| format!("--node {node}: expected host:port"))?;
            return Ok((node.clone(), host));
        }
        let (Some(topo), Some(unit)) = (&self.topology, &self.unit) else {
            bail!("say which node: --node host:port, or --topology FILE --unit CODE");
        };
        let t = Topology::load(topo)?;
        let u = t.resolve(unit)?;
        Ok((u.listen.clone(), unit_dns_name(&u.code)))
    }

    pub fn acting_unit(&self) -> anyhow::Result<UnitCode> {
        let u = self.unit.as_deref().context("--unit CODE is required")?;
        u.parse().map_err(|e| anyhow::anyhow!("--unit: {e}"))
    }

    pub async fn client(&self) -> anyhow::Result<NodeClient<Channel>> {
        Ok(NodeClient::new(self.channel().await?))
    }

    /// The schedules service of the node (8 MiB answers: exports carry files).
    pub async fn schedules(&self) -> anyhow::Result<SchedulesClient<Channel>> {
        Ok(SchedulesClient::new(self.channel().await?)
            .max_decoding_message_size(16 << 20)
            .max_encoding_message_size(8 << 20))
    }

    /// As given, or with the topology's root unit when `--unit` is left out.
    pub fn or_root(&self) -> anyhow::Result<ConnArgs> {
        let mut c = self.clone();
        if c.node.is_none()
            && c.unit.is_none()
            && let Some(topo) = &c.topology
        {
            c.unit = Some(Topology::load(topo)?.root().to_string());
        }
        Ok(c)
    }

    pub async fn channel(&self) -> anyhow::Result<Channel> {
        let (addr, server_name) = self.target()?;
        let scheme = if self.insecure { "http" } else { "https" };
        let mut ep = Endpoint::from_shared(format!("{scheme}://{addr}"))
            .with_context(|| format!("bad node address {addr}"))?
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60));
        if !self.insecure {
            let dir = FederationDir::new(&self.dir).pki();
            let read = |name: &str| {
                pki::read_file(&dir.join(name)).with_context(|| {
                    format!(
                        "operator certificate missing in {} (run `xinfang up` or `xinfang pki init`, or pass --insecure for an insecure node)",
                        dir.display()
                    )
                })
            };
            // The node's certificate is checked against the root and, if the root
            // has revoked any, against its revocation list.
            let crl_path = dir.join(pki::CRL);
            let crl = if crl_path.exists() {
                Some(pki::read_file(&crl_path)?)
            } else {
                None
            };
            let verifier = xinfang_hub::tls::server_verifier(&read(pki::CA_CERT)?, crl.as_deref())
                .with_context(|| format!("certificates in {}", dir.display()))?;
            let tls = ClientTlsConfig::new()
                .identity(Identity::from_pem(
                    read(pki::OPERATOR_CERT)?,
                    read(pki::OPERATOR_KEY)?,
                ))
                .domain_name(server_name);
            ep = ep.tls_config_with_verifier(tls, verifier)?;
        }
        let channel = ep.connect().await.map_err(|e| {
            anyhow::anyhow!(
                "cannot reach node at {addr}: {}",
                xinfang_hub::net::error_chain(&e)
            )
        })?;
        Ok(channel)
    }
}

/// Turns a gRPC error into a message for people: the server's words, not a dump.
pub fn status_error(s: tonic::Status) -> anyhow::Error {
    let chain = xinfang_hub::net::error_chain(&s);
    if chain.contains("CertificateRevoked") {
        return anyhow::anyhow!(
            "the node refused this operator certificate in the TLS handshake: it is revoked \
             (issue a new one with `xinfang pki issue --operator NAME`)"
        );
    }
    if s.message() == "transport error" {
        // The cause is in the sources (a TLS alert, a reset connection).
        return anyhow::anyhow!("{chain} ({:?})", s.code());
    }
    anyhow::anyhow!("{} ({:?})", s.message(), s.code())
}
