//! What the `up` and long-text tests share: a two-unit topology on free loopback
//! ports, the `xinfang` command run against it, signing in, waiting on conditions,
//! and finding node processes by their command line.

// Each test file uses part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const COUNTY: &str = "441521";
pub const TOWN: &str = "441521115000";
pub const CLERK: &str = "clerk";
pub const CLERK_ROLES: &str = "registrar,handler,reviewer,approver";
pub const CLERK_PASSWORD: &str = "clerk-password";

pub fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_xinfang")
}

/// A loopback port that is free now, for a node to listen on once started.
///
/// Not port 0's answer: that comes from the range the kernel also hands out as
/// the source port of outgoing connections, and tests run side by side, their
/// nodes connecting to their parents. A port released here could become such a
/// source port before the node binds it, and the node would fail to start. So the
/// ports come from below that range (Linux's starts at 32,768), each test process
/// walking them from a random start, one after the other, so that two tests of
/// one process never pick the same.
pub fn free_port() -> u16 {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU32, Ordering};
    // Ports 18,000 to 28,999: with the 3,000 `free_port_with` may ask above
    // them, still under 32,768.
    const LOW: u32 = 18_000;
    const SPAN: u32 = 11_000;
    static START: OnceLock<u32> = OnceLock::new();
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let start = *START.get_or_init(|| rand::random::<u32>() % SPAN);
    loop {
        let port = (LOW + (start + NEXT.fetch_add(1, Ordering::Relaxed)) % SPAN) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A loopback port that is free, and free again at each of `offsets` above it
/// (`up` serves metrics 2000 above the replication port, the console 3000 above).
pub fn free_port_with(offsets: &[u16]) -> u16 {
    loop {
        let p = free_port();
        if offsets.iter().all(|offset| {
            p.checked_add(*offset)
                .is_some_and(|q| std::net::TcpListener::bind(("127.0.0.1", q)).is_ok())
        }) {
            return p;
        }
    }
}

/// Waits until `ok` holds, failing the test after `within`.
pub fn wait_for(what: &str, within: Duration, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A child process killed and reaped when the test ends, passed or not.
pub struct Killed(pub Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn signal(pid: u32, sig: nix::sys::signal::Signal) {
    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), sig);
}

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub topology: PathBuf,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let topology = dir.path().join("topology.toml");
        let f = Fixture { dir, topology };
        f.fresh_ports();
        f
    }

    /// (Re)writes the county–town topology on ports free now.
    pub fn fresh_ports(&self) {
        std::fs::write(
            &self.topology,
            format!(
                "[[unit]]\ncode = \"{COUNTY}\"\nname = \"海丰县\"\ntier = \"county\"\nlisten = \"127.0.0.1:{}\"\napi = \"127.0.0.1:{}\"\n\n\
                 [[unit]]\ncode = \"{TOWN}\"\nname = \"海城镇\"\ntier = \"township\"\nparent = \"{COUNTY}\"\nlisten = \"127.0.0.1:{}\"\napi = \"127.0.0.1:{}\"\n",
                free_port_with(&[2000]),
                free_port(),
                free_port_with(&[2000]),
                free_port()
            ),
        )
        .expect("write topology");
    }

    /// A fixture whose topology is `units` (code, name, tier, parent), each on
    /// ports free now.
    pub fn with_units(units: &[(&str, &str, &str, Option<&str>)]) -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let topology = dir.path().join("topology.toml");
        let mut text = String::new();
        for (code, name, tier, parent) in units {
            text.push_str(&format!(
                "[[unit]]\ncode = \"{code}\"\nname = \"{name}\"\ntier = \"{tier}\"\n\
                 listen = \"127.0.0.1:{}\"\napi = \"127.0.0.1:{}\"\n",
                free_port_with(&[2000]),
                free_port()
            ));
            if let Some(p) = parent {
                text.push_str(&format!("parent = \"{p}\"\n"));
            }
            text.push('\n');
        }
        std::fs::write(&topology, text).expect("write topology");
        Fixture { dir, topology }
    }

    pub fn fed(&self) -> PathBuf {
        self.dir.path().join("fed")
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(exe())
            .args(args)
            .output()
            .expect("run xinfang")
    }

    /// Runs a command against `unit`'s node, `--json`.
    pub fn at(&self, unit: &str, args: &[&str]) -> Output {
        self.at_stdin(unit, args, None)
    }

    /// As `at`, with `input` on standard input.
    pub fn at_stdin(&self, unit: &str, args: &[&str], input: Option<&[u8]>) -> Output {
        use std::io::Write;
        let mut child = Command::new(exe())
            .args(args)
            .arg("--topology")
            .arg(&self.topology)
            .args(["--unit", unit, "--dir"])
            .arg(self.fed())
            .arg("--json")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run xinfang");
        let mut stdin = child.stdin.take().expect("stdin");
        if let Some(bytes) = input {
            // The command may stop reading early (a refused text): not an error.
            let _ = stdin.write_all(bytes);
        }
        drop(stdin);
        child.wait_with_output().expect("xinfang output")
    }

    /// Runs a command that must succeed, and parses its JSON output.
    pub fn json(&self, unit: &str, args: &[&str]) -> Value {
        let out = self.at(unit, args);
        assert!(
            out.status.success(),
            "xinfang {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("JSON output")
    }

    pub fn init_pki(&self, units: &[&str]) {
        let fed = self.fed();
        let fed = fed.to_str().expect("utf-8 path");
        assert!(self.run(&["pki", "init", "--dir", fed]).status.success());
        for u in units {
            assert!(
                self.run(&["pki", "issue", "--unit", u, "--dir", fed])
                    .status
                    .success()
            );
        }
    }

    /// One node process run directly (no `up`).
    pub fn spawn_node(&self, unit: &str) -> Killed {
        Killed(
            Command::new(exe())
                .args(["node", "run", "--unit", unit])
                .arg("--topology")
                .arg(&self.topology)
                .arg("--dir")
                .arg(self.fed())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn node"),
        )
    }

    pub fn answers(&self, unit: &str) -> bool {
        self.at(unit, &["status"]).status.success()
    }

    /// Waits until `unit`'s node answers (as the operator), then signs in there
    /// as [`CLERK`], whom the operator adds on first use.
    pub fn ready(&self, unit: &str) {
        wait_for(
            &format!("{unit} to answer"),
            Duration::from_secs(30),
            || self.answers(unit),
        );
        let password = format!("{CLERK_PASSWORD}\n");
        let out = self.at_stdin(
            unit,
            &[
                "admin",
                "user",
                "add",
                CLERK,
                "--role",
                CLERK_ROLES,
                "--password-stdin",
                "--cert-only",
            ],
            Some(password.as_bytes()),
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() || err.contains("already exists"),
            "adding {CLERK} at {unit}: {err}"
        );
        let out = self.at_stdin(
            unit,
            &["login", "--user", CLERK, "--password-stdin"],
            Some(password.as_bytes()),
        );
        assert!(
            out.status.success(),
            "signing in at {unit}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Registers a case at `unit` and returns its number.
    pub fn register(&self, unit: &str, content: &str) -> String {
        let v = self.json(
            unit,
            &[
                "case",
                "register",
                "--petitioner",
                "张三",
                "--content",
                content,
            ],
        );
        v["case_no"].as_str().expect("case_no").to_owned()
    }

    /// Node processes started for this fixture's federation, by pid and unit:
    /// every running process whose command line is `… node run … --unit U …
    /// --dir FED`. Found by command line, not by parent, so a node that outlived
    /// its `up` (and was handed to init) is found too.
    pub fn node_processes(&self) -> Vec<(u32, String)> {
        node_processes_under(&self.fed())
    }
}

pub fn node_processes_under(fed: &Path) -> Vec<(u32, String)> {
    let fed = fed.as_os_str().as_encoded_bytes();
    let mut found = Vec::new();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return found;
    };
    for p in procs.flatten() {
        let Some(pid) = p.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(p.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
        let is_node = args.windows(2).any(|w| w == [&b"node"[..], &b"run"[..]]);
        let ours = args.contains(&fed);
        let unit = args
            .windows(2)
            .find(|w| w[0] == b"--unit")
            .map(|w| String::from_utf8_lossy(w[1]).into_owned());
        if let (true, true, Some(unit)) = (is_node, ours, unit) {
            found.push((pid, unit));
        }
    }
    found
}
