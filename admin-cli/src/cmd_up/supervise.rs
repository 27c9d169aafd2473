//! `up` after start-up: watches every node process, says once how one ended,
//! restarts it after the policy's wait, gives up on one that keeps crashing while
//! the others run on, and returns when the operator asks to stop.

use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::process::Child;
use xinfang_hub::Unit;

use super::policy::{Decision, RestartPolicy};
use super::process::{describe, signal_of, tail};
use super::shutdown::Shutdown;
use crate::output::Lang;

/// One unit's node under supervision.
pub struct Supervised {
    pub unit: Unit,
    pub metrics: Option<String>,
    pub log: PathBuf,
    /// The running process; none while it waits for a restart or was given up.
    pub child: Option<Child>,
    /// Exit times within the policy's window, oldest first.
    exits: Vec<Instant>,
    restarts: u32,
    restart_at: Option<Instant>,
    gave_up: bool,
}

impl Supervised {
    pub fn new(unit: Unit, metrics: Option<String>, log: PathBuf, child: Child) -> Supervised {
        Supervised {
            unit,
            metrics,
            log,
            child: Some(child),
            exits: Vec::new(),
            restarts: 0,
            restart_at: None,
            gave_up: false,
        }
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }
}

/// Why supervision ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Ctrl-C or SIGTERM.
    StopAsked,
    /// Every node was given up on: nothing is left to run.
    AllGaveUp,
}

/// What `up` says while it supervises: one line for people on standard error, or
/// one JSON object a line on standard output with `--json` (after the list of
/// nodes), so scripts can follow restarts and new process ids.
#[derive(Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Exited {
        unit: String,
        status: String,
        code: Option<i32>,
        signal: Option<i32>,
        /// The restart that follows (1 for the first).
        restart: u32,
        restart_in_ms: u64,
    },
    Restarted {
        unit: String,
        pid: u32,
        restarts: u32,
    },
    GaveUp {
        unit: String,
        status: String,
        code: Option<i32>,
        signal: Option<i32>,
        exits: usize,
        window_s: u64,
        log: String,
    },
}

pub struct Reporter {
    pub json: bool,
    pub lang: Lang,
}

impl Reporter {
    fn say(&self, e: &Event, log_tail: Option<String>) {
        if self.json {
            if let Ok(line) = serde_json::to_string(e) {
                println!("{line}");
            }
            return;
        }
        let zh = self.lang == Lang::Zh;
        match e {
            Event::Exited {
                unit,
                status,
                restart,
                restart_in_ms,
                ..
            } => {
                let secs = *restart_in_ms as f64 / 1000.0;
                if zh {
                    eprintln!("节点 {unit} 已退出（{status}），{secs:.1} 秒后第 {restart} 次重启");
                } else {
                    eprintln!(
                        "node {unit} exited ({status}); restart no. {restart} in {secs:.1} s"
                    );
                }
            }
            Event::Restarted {
                unit,
                pid,
                restarts,
            } => {
                if zh {
                    eprintln!("节点 {unit} 已重启（第 {restarts} 次），进程 {pid}");
                } else {
                    eprintln!("node {unit} restarted (restart no. {restarts}), pid {pid}");
                }
            }
            Event::GaveUp {
                unit,
                status,
                exits,
                window_s,
                log,
                ..
            } => {
                if zh {
                    eprintln!(
                        "节点 {unit} 已退出（{status}）：{window_s} 秒内退出 {exits} 次，不再重启；其余节点继续运行。日志：{log}"
                    );
                } else {
                    eprintln!(
                        "node {unit} exited ({status}): {exits} exits within {window_s} s, not restarting it again; the other nodes keep running. Log: {log}"
                    );
                }
                if let Some(tail) = log_tail.filter(|s| !s.is_empty()) {
                    eprintln!("{tail}");
                }
            }
        }
    }
}

/// Supervises `nodes` until a stop is asked or every node was given up on.
/// `start` starts a unit's node again.
pub async fn supervise(
    nodes: &mut [Supervised],
    policy: &RestartPolicy,
    shutdown: &Shutdown,
    mut start: impl FnMut(&Supervised) -> anyhow::Result<Child>,
    out: &Reporter,
) -> Outcome {
    loop {
        if nodes.iter().all(|n| n.gave_up) {
            return Outcome::AllGaveUp;
        }
        let due = nodes.iter().filter_map(|n| n.restart_at).min();
        let restart_due = async {
            match due {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            // Stopping comes first when both are ready: no restart after Ctrl-C.
            biased;
            _ = shutdown.requested() => return Outcome::StopAsked,
            (i, status) = next_exit(nodes) => {
                nodes[i].child = None;
                exited(&mut nodes[i], status, policy, out);
            }
            _ = restart_due => {
                let now = Instant::now();
                for n in nodes.iter_mut().filter(|n| n.restart_at.is_some_and(|at| at <= now)) {
                    n.restart_at = None;
                    n.restarts += 1;
                    match start(&*n) {
                        Ok(child) => {
                            let pid = child.id().unwrap_or(0);
                            n.child = Some(child);
                            out.say(&Event::Restarted {
                                unit: n.unit.code.to_string(),
                                pid,
                                restarts: n.restarts,
                            }, None);
                        }
                        // Not even started: counts as an exit, so a node that
                        // cannot be started is given up on like one that crashes.
                        Err(e) => exited(n, Err(io::Error::other(format!("{e:#}"))), policy, out),
                    }
                }
            }
        }
    }
}

/// The first node process to exit, with how it ended; never resolves while none runs.
async fn next_exit(nodes: &mut [Supervised]) -> (usize, io::Result<ExitStatus>) {
    let waits: Vec<_> = nodes
        .iter_mut()
        .enumerate()
        .filter_map(|(i, n)| {
            n.child
                .as_mut()
                .map(|c| Box::pin(async move { (i, c.wait().await) }))
        })
        .collect();
    if waits.is_empty() {
        return std::future::pending().await;
    }
    futures::future::select_all(waits).await.0
}

fn exited(
    n: &mut Supervised,
    status: io::Result<ExitStatus>,
    policy: &RestartPolicy,
    out: &Reporter,
) {
    let now = Instant::now();
    policy.forget_old(&mut n.exits, now);
    n.exits.push(now);
    let unit = n.unit.code.to_string();
    let (status, code, signal) = match &status {
        Ok(s) => (describe(s, out.lang), s.code(), signal_of(s)),
        Err(e) => (e.to_string(), None, None),
    };
    match policy.decide(&n.exits) {
        Decision::RestartAfter(wait) => {
            n.restart_at = Some(now + wait);
            let e = Event::Exited {
                unit,
                status,
                code,
                signal,
                restart: n.restarts + 1,
                restart_in_ms: u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            };
            out.say(&e, None);
        }
        Decision::GiveUp { exits } => {
            n.gave_up = true;
            let e = Event::GaveUp {
                unit,
                status,
                code,
                signal,
                exits,
                window_s: policy.window.as_secs(),
                log: n.log.display().to_string(),
            };
            out.say(&e, Some(tail(&n.log, 10)));
        }
    }
}

/// How long `up` gives its nodes to stop cleanly before it kills them.
pub const STOP_GRACE: Duration = Duration::from_secs(10);
