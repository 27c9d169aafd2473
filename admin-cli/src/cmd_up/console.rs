//! The staff consoles `up` turns on (one per node, on loopback) and the demo
//! account it may add for a federation on this machine.

use serde::Serialize;
use xinfang_hub::{Topology, Unit};
use xinfang_proto::v1 as pb;

use crate::conn::{ConnArgs, status_error};

/// Ports this far above a unit's replication port serve its staff console under
/// `up`.
const CONSOLE_PORT_OFFSET: u16 = 3000;

/// Where `up` asks a unit's node to serve its staff console: loopback, the
/// `listen` port plus [`CONSOLE_PORT_OFFSET`]; none when that port does not exist.
pub fn address(unit: &Unit) -> Option<String> {
    let port = unit.listen.rsplit_once(':')?.1.parse::<u16>().ok()?;
    let console = port
        .checked_add(CONSOLE_PORT_OFFSET)
        .filter(|_| port != 0)?;
    Some(format!("127.0.0.1:{console}"))
}

/// The console's URL as a browser opens it (HTTPS with the node's certificate,
/// plain HTTP under `--insecure`).
pub fn url(unit: &Unit, insecure: bool) -> Option<String> {
    let scheme = if insecure { "http" } else { "https" };
    address(unit).map(|a| format!("{scheme}://{a}/"))
}

/// The user `up --demo` adds at every node.
pub const DEMO_USER: &str = "demo";
/// The roles the demo user holds: every staff role, not administrator.
const DEMO_ROLES: [&str; 4] = ["registrar", "handler", "reviewer", "approver"];

/// Whether every unit listens on this machine (the demo account is for such a
/// federation only).
pub fn all_local(topo: &Topology) -> bool {
    topo.units().all(|u| {
        u.listen
            .rsplit_once(':')
            .map(|(h, _)| h.trim_matches(['[', ']']))
            .is_some_and(|h| {
                h == "localhost"
                    || h.parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            })
    })
}

/// A new random password for the demo user (the same at every node of one `up`).
pub fn demo_password() -> String {
    let mut bytes = [0u8; 9];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Adds the demo user at `conn`'s node as the operator, or gives an existing one
/// the new password.
pub async fn add_demo(conn: &ConnArgs, password: &str) -> anyhow::Result<()> {
    let mut conn = conn.clone();
    conn.cert_only = true;
    let mut accounts = conn.accounts().await?;
    let added = accounts
        .add_user(pb::AddUserRequest {
            name: DEMO_USER.into(),
            display_name: "演示".into(),
            roles: DEMO_ROLES.map(str::to_owned).to_vec(),
            password: password.into(),
        })
        .await;
    match added {
        Ok(_) => Ok(()),
        Err(s) if s.code() == tonic::Code::AlreadyExists => {
            accounts
                .set_password(pb::SetPasswordRequest {
                    name: DEMO_USER.into(),
                    password: password.into(),
                    old_password: String::new(),
                })
                .await
                .map_err(status_error)?;
            Ok(())
        }
        Err(s) => Err(status_error(s)),
    }
}

#[derive(Serialize)]
pub struct DemoJson {
    pub user: String,
    pub password: String,
}
