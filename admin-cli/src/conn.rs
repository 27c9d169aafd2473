//! How a command reaches a node's API: `--node host:port`, or `--topology FILE
//! --unit CODE` (the unit's `api` address from the topology), over TLS checked
//! against the federation root under `--dir`.
//!
//! Who calls: the token `xinfang login` saved (`DIR/tokens/<unit>`, or
//! `DIR/tokens/node-<host>_<port>` with `--node`; `XINFANG_TOKEN` overrides), and
//! the client certificate in `--cert-dir` (a staff member's `staff.pem`, or the
//! operator's `operator.pem`; default `DIR/pki`, where `xinfang up` puts the
//! operator's). A token wins over a certificate.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, ClientTlsConfig, Endpoint, Identity};
use xinfang_ca::{self as pki, unit_dns_name};
use xinfang_hub::{Topology, UnitCode};
use xinfang_node::auth::BearerToken;
use xinfang_node::layout::FederationDir;
use xinfang_proto::v1::accounts_client::AccountsClient;
use xinfang_proto::v1::ledger_client::LedgerClient;
use xinfang_proto::v1::node_client::NodeClient;
use xinfang_proto::v1::notices_client::NoticesClient;
use xinfang_proto::v1::receptions_client::ReceptionsClient;
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
    /// Federation folder with the root certificate (`pki/ca.pem`) and saved
    /// login tokens (`tokens/`)
    #[arg(long, default_value = "federation")]
    pub dir: PathBuf,
    /// Folder with a client certificate: `staff.pem` + `staff-key.pem` (a staff
    /// member's, from `pki issue --staff`) or `operator.pem` + `operator-key.pem`.
    /// Default: DIR/pki (the operator's, made by `xinfang up`)
    #[arg(long, env = "XINFANG_CERT_DIR", value_name = "DIR")]
    pub cert_dir: Option<PathBuf>,
    /// Present the client certificate alone: ignore a saved login token and
    /// XINFANG_TOKEN (e.g. the operator, signed in as a user too, managing users)
    #[arg(long)]
    pub cert_only: bool,
    /// Plaintext (only for nodes started with --insecure)
    #[arg(long)]
    pub insecure: bool,
}

/// A channel to a node's API that sends the caller's token on every call.
pub type Api = InterceptedService<Channel, Caller>;

/// What every call carries: the caller's token, and the language the node's
/// views should carry their labels in (`accept-language`).
#[derive(Clone)]
pub struct Caller {
    bearer: BearerToken,
    lang: &'static str,
}

impl tonic::service::Interceptor for Caller {
    fn call(&mut self, req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        let mut req = self.bearer.call(req)?;
        req.metadata_mut().insert(
            xinfang_node::labels::Lang::HEADER,
            tonic::metadata::MetadataValue::from_static(self.lang),
        );
        Ok(req)
    }
}

static LANG: std::sync::OnceLock<crate::output::Lang> = std::sync::OnceLock::new();

/// The language of this run (`--lang`), sent with every call.
pub fn set_lang(lang: crate::output::Lang) {
    let _ = LANG.set(lang);
}

/// The language of this run.
pub fn lang() -> crate::output::Lang {
    LANG.get().copied().unwrap_or_default()
}

fn lang_tag() -> &'static str {
    use xinfang_node::labels::Lang as Node;
    match LANG.get().copied().unwrap_or_default() {
        crate::output::Lang::Zh => Node::Zh.tag(),
        crate::output::Lang::En => Node::En.tag(),
    }
}

/// The environment variable whose token overrides the saved one.
pub const TOKEN_ENV: &str = "XINFANG_TOKEN";

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
        Ok((u.api_address()?, unit_dns_name(&u.code)))
    }

    /// Where `xinfang login` keeps the token for this node: `DIR/tokens/<unit>`,
    /// or `DIR/tokens/node-<host>_<port>` for `--node`.
    pub fn token_file(&self) -> anyhow::Result<PathBuf> {
        let key = match (&self.node, &self.topology, &self.unit) {
            (Some(node), ..) => format!(
                "node-{}",
                node.chars()
                    .map(|c| if c.is_ascii_alphanumeric() || c == '.' {
                        c
                    } else {
                        '_'
                    })
                    .collect::<String>()
            ),
            (None, Some(topo), Some(unit)) => Topology::load(topo)?.resolve(unit)?.code.to_string(),
            _ => bail!("say which node: --node host:port, or --topology FILE --unit CODE"),
        };
        Ok(self.dir.join("tokens").join(key))
    }

    /// The token to send: `XINFANG_TOKEN`, else the saved one, else none.
    pub fn token(&self) -> anyhow::Result<Option<String>> {
        if self.cert_only {
            return Ok(None);
        }
        if let Ok(t) = std::env::var(TOKEN_ENV)
            && !t.trim().is_empty()
        {
            return Ok(Some(t.trim().to_owned()));
        }
        let path = self.token_file()?;
        match std::fs::read_to_string(&path) {
            Ok(t) if !t.trim().is_empty() => Ok(Some(t.trim().to_owned())),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(anyhow::anyhow!("{}: {e}", path.display())),
        }
    }

    /// The client certificate to present, if any: a staff member's or the
    /// operator's, from `--cert-dir` (default `DIR/pki`).
    fn identity(&self) -> anyhow::Result<Option<Identity>> {
        let explicit = self.cert_dir.is_some();
        let dir = self
            .cert_dir
            .clone()
            .unwrap_or_else(|| FederationDir::new(&self.dir).pki());
        for (cert, key) in [
            (pki::STAFF_CERT, pki::STAFF_KEY),
            (pki::OPERATOR_CERT, pki::OPERATOR_KEY),
        ] {
            if dir.join(cert).exists() {
                return Ok(Some(Identity::from_pem(
                    pki::read_file(&dir.join(cert))?,
                    pki::read_file(&dir.join(key))?,
                )));
            }
        }
        if explicit {
            bail!(
                "--cert-dir {}: neither {} nor {} is there",
                dir.display(),
                pki::STAFF_CERT,
                pki::OPERATOR_CERT
            );
        }
        Ok(None)
    }

    pub fn acting_unit(&self) -> anyhow::Result<UnitCode> {
        let u = self.unit.as_deref().context("--unit CODE is required")?;
        u.parse().map_err(|e| anyhow::anyhow!("--unit: {e}"))
    }

    pub async fn client(&self) -> anyhow::Result<NodeClient<Api>> {
        Ok(NodeClient::new(self.channel().await?))
    }

    pub async fn accounts(&self) -> anyhow::Result<AccountsClient<Api>> {
        Ok(AccountsClient::new(self.channel().await?))
    }

    pub async fn ledger(&self) -> anyhow::Result<LedgerClient<Api>> {
        Ok(LedgerClient::new(self.channel().await?).max_decoding_message_size(64 << 20))
    }

    /// The notices service of the node (answers carry PDFs).
    pub async fn notices(&self) -> anyhow::Result<NoticesClient<Api>> {
        Ok(NoticesClient::new(self.channel().await?).max_decoding_message_size(16 << 20))
    }

    /// The reception-day service of the node (its papers are PDFs).
    pub async fn receptions(&self) -> anyhow::Result<ReceptionsClient<Api>> {
        Ok(ReceptionsClient::new(self.channel().await?).max_decoding_message_size(16 << 20))
    }

    /// The schedules service of the node (8 MiB answers: exports carry files).
    pub async fn schedules(&self) -> anyhow::Result<SchedulesClient<Api>> {
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

    /// A channel to the node's API carrying the caller's token, if any.
    pub async fn channel(&self) -> anyhow::Result<Api> {
        let token = self.token()?;
        let bearer = BearerToken::new(token.as_deref()).map_err(|e| anyhow::anyhow!("{e}"))?;
        let caller = Caller {
            bearer,
            lang: lang_tag(),
        };
        Ok(InterceptedService::new(self.connect().await?, caller))
    }

    /// The bare connection to the node's API (TLS, and a client certificate if
    /// one is at hand).
    pub async fn connect(&self) -> anyhow::Result<Channel> {
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
                        "the federation root certificate is missing in {} (run `xinfang up` or `xinfang pki init`, or pass --insecure for an insecure node)",
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
            let mut tls = ClientTlsConfig::new().domain_name(server_name);
            if let Some(identity) = self.identity()? {
                tls = tls.identity(identity);
            }
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
    if s.code() == tonic::Code::Unauthenticated {
        return anyhow::anyhow!(
            "{} (Unauthenticated; sign in with `xinfang login --user NAME` and the same \
             --topology/--unit or --node)",
            s.message()
        );
    }
    if s.message() == "transport error" {
        // The cause is in the sources (a TLS alert, a reset connection).
        return anyhow::anyhow!("{chain} ({:?})", s.code());
    }
    // Bad input and named rules: the node sends them in Chinese beside its
    // English message.
    if lang() == crate::output::Lang::Zh
        && let Some(zh) = s
            .metadata()
            .get_bin(xinfang_node::grpc::status::SAID_ZH_METADATA)
            .and_then(|v| v.to_bytes().ok())
            .and_then(|b| String::from_utf8(b.to_vec()).ok())
    {
        let field = s
            .metadata()
            .get(xinfang_node::grpc::status::FIELD_METADATA)
            .and_then(|v| v.to_str().ok());
        return match field {
            Some(field) => anyhow::anyhow!("字段 `{field}`：{zh}（{:?}）", s.code()),
            None => anyhow::anyhow!("{zh}（{:?}）", s.code()),
        };
    }
    anyhow::anyhow!("{} ({:?})", s.message(), s.code())
}
