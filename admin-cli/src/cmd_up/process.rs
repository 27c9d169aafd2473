//! One node process under `up`: started so that it cannot outlive `up`, asked
//! whether it answers, described when it exits, and stopped.

use std::fs::OpenOptions;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::process::{Child, Command};
use xinfang_hub::Unit;
use xinfang_node::layout::FederationDir;

use super::shutdown::Shutdown;
use crate::conn::ConnArgs;
use crate::output::Lang;

/// The last `lines` lines of a node's log, for a message about why it stopped.
pub fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// What a node process is started with; the same for every start of a unit.
pub struct NodeCommand<'a> {
    pub exe: &'a Path,
    pub topology: &'a Path,
    pub layout: &'a FederationDir,
    pub insecure: bool,
    pub db: Option<&'a str>,
}

impl NodeCommand<'_> {
    /// Spawns one node process for `unit`, logging to its folder (appended, so a
    /// restarted node's log follows the crashed one's).
    ///
    /// The node gets its own process group, so a Ctrl-C at the terminal reaches
    /// `up` alone and `up` stops the nodes in order. On Linux the node is also
    /// told to receive SIGTERM when `up` dies, even by SIGKILL, so no node
    /// outlives it. That signal follows the *thread* that spawned the child:
    /// `up` spawns from the thread running its main future (`block_on`), which
    /// lives as long as the process.
    pub fn spawn(&self, unit: &Unit, metrics: Option<&str>) -> anyhow::Result<Child> {
        let layout = self.layout;
        std::fs::create_dir_all(layout.unit(&unit.code))?;
        let log_path = layout.log(&unit.code);
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .with_context(|| format!("open {}", log_path.display()))?;
        let mut cmd = Command::new(self.exe);
        cmd.arg("node")
            .arg("run")
            .arg("--topology")
            .arg(self.topology)
            .arg("--unit")
            .arg(unit.code.as_str())
            .arg("--dir")
            .arg(layout.root())
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true);
        if self.insecure {
            cmd.arg("--insecure");
        }
        if let Some(addr) = metrics {
            cmd.arg("--metrics-listen").arg(addr);
        }
        if let Some(addr) = super::console::address(unit) {
            cmd.arg("--console").arg(addr);
        }
        // By environment, not argument: a database password stays out of `ps`.
        if let Some(url) = self.db {
            cmd.env("XINFANG_DB", url);
        }
        #[cfg(unix)]
        cmd.process_group(0);
        #[cfg(target_os = "linux")]
        {
            let parent = std::process::id();
            // SAFETY: the closure runs between fork and exec and makes only
            // async-signal-safe system calls (prctl, getppid); it allocates nothing.
            unsafe {
                cmd.pre_exec(move || {
                    use nix::sys::signal::Signal;
                    nix::sys::prctl::set_pdeathsig(Signal::SIGTERM)?;
                    // `up` died before the line above: nobody would signal us.
                    if nix::unistd::getppid().as_raw() as u32 != parent {
                        return Err(nix::errno::Errno::ESRCH.into());
                    }
                    Ok(())
                });
            }
        }
        cmd.spawn()
            .with_context(|| format!("start node for {}", unit.code))
    }
}

/// Waits until the node answers `status`, or fails with its log's tail if it
/// exits first or does not answer `within`.
pub async fn wait_ready(
    conn: &ConnArgs,
    child: &mut Child,
    log: &Path,
    within: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + within;
    // Readiness is asked as the operator: a stale saved login must not make a
    // healthy node look down.
    let mut conn = conn.clone();
    conn.cert_only = true;
    let conn = &conn;
    loop {
        if let Some(code) = child.try_wait()? {
            bail!(
                "node exited ({code}) before it was ready; its log says:\n{}",
                tail(log, 15)
            );
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            bail!("node not ready after {within:?}; log:\n{}", tail(log, 15));
        }
        // A connection attempt that hangs must not outlast the deadline.
        if let Ok(Ok(_)) = tokio::time::timeout(left, crate::cmd_status::fetch(conn)).await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Stops every child: SIGTERM to all at once, then SIGKILL to those still
/// running after `grace`, or at once when the operator signals again. Returns
/// after every child is reaped, so none outlives `up`.
pub async fn stop_all(children: Vec<&mut Child>, grace: Duration, shutdown: &Shutdown) {
    #[cfg(unix)]
    for child in &children {
        if let Some(pid) = child.id() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
    }
    let mut children = children;
    let all_exit = futures::future::join_all(children.iter_mut().map(|c| c.wait()));
    tokio::select! {
        _ = all_exit => return,
        _ = tokio::time::sleep(grace) => {}
        _ = shutdown.insisted() => {}
    }
    for child in children {
        // `kill` sends SIGKILL and reaps; an already exited child is just reaped.
        let _ = child.kill().await;
    }
}

/// How a node process ended, for people: the exit code or the signal.
pub fn describe(status: &ExitStatus, lang: Lang) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            let name = nix::sys::signal::Signal::try_from(sig)
                .map(|s| s.as_str().to_owned())
                .unwrap_or_else(|_| format!("{sig}"));
            return match lang {
                Lang::Zh => format!("被信号 {name} 终止"),
                Lang::En => format!("killed by signal {name}"),
            };
        }
    }
    match (status.code(), lang) {
        (Some(code), Lang::Zh) => format!("退出码 {code}"),
        (Some(code), Lang::En) => format!("exit code {code}"),
        (None, _) => status.to_string(),
    }
}

/// The signal number that ended a node process, if one did (for `--json`).
pub fn signal_of(status: &ExitStatus) -> Option<i32> {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        status.signal()
    }
    #[cfg(not(unix))]
    {
        let _ = status;
        None
    }
}
