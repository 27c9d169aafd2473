//! `xinfang up` supervises its nodes: a node killed with SIGKILL is restarted and
//! the federation converges; one that keeps crashing is given up on while the
//! others run on; Ctrl-C at any moment of start-up leaves no node running.
//! Real processes over real sockets; every wait has a timeout.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use serde_json::Value;
use support::*;

/// A running `xinfang up`: its process, the lines of its standard output as they
/// come, and all it wrote to standard error so far.
struct Up {
    process: Killed,
    stdout: Receiver<String>,
    stderr: Arc<Mutex<String>>,
}

impl Up {
    fn spawn(f: &Fixture, extra: &[&str]) -> Up {
        use std::os::unix::process::CommandExt;
        let mut cmd = Command::new(exe());
        cmd.arg("up")
            .args(extra)
            .arg("--dir")
            .arg(f.fed())
            .arg(&f.topology)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // As a terminal starts it, whatever started the tests: a shell without
        // job control starts its background commands with SIGINT ignored, and
        // a Ctrl-C before `up` listens would then be lost instead of ending it.
        // SAFETY: between fork and exec only `signal`, which is
        // async-signal-safe, is called.
        unsafe {
            cmd.pre_exec(|| {
                nix::sys::signal::signal(Signal::SIGINT, nix::sys::signal::SigHandler::SigDfl)
                    .map(|_| ())
                    .map_err(std::io::Error::from)
            });
        }
        let mut child = cmd.spawn().expect("spawn up");
        let (tx, stdout) = mpsc::channel();
        let out = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let (err, sink) = (child.stderr.take().expect("stderr"), stderr.clone());
        std::thread::spawn(move || {
            let mut err = err;
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    return;
                }
                if let Ok(mut s) = sink.lock() {
                    s.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
        });
        Up {
            process: Killed(child),
            stdout,
            stderr,
        }
    }

    fn pid(&self) -> u32 {
        self.process.0.id()
    }

    fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The next JSON value on standard output (the node list, then one event a
    /// line); `None` when `up` ended or nothing came `within`.
    fn next_json(&self, within: Duration) -> Option<Value> {
        let deadline = Instant::now() + within;
        let mut text = String::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(line) => {
                    text.push_str(&line);
                    if let Ok(v) = serde_json::from_str::<Value>(&text) {
                        return Some(v);
                    }
                }
                Err(_) => return None,
            }
        }
    }

    /// Waits for a line on standard output containing `needle`; false when `up`
    /// ended first.
    fn stdout_line(&self, needle: &str, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return true,
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => panic!("no {needle:?} from up within {within:?}"),
                Err(RecvTimeoutError::Disconnected) => return false,
            }
        }
    }

    fn wait_stderr(&self, needle: &str) {
        wait_for(
            &format!("{needle:?} from up"),
            Duration::from_secs(30),
            || self.stderr().contains(needle),
        );
    }

    /// Waits for `up` to end by itself.
    fn exit(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(s) = self.process.0.try_wait().expect("wait for up") {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "up still runs after {within:?}; it said:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Ctrl-C: `up` ends with success and no node of `f` is left running.
    fn interrupt(mut self, f: &Fixture) {
        signal(self.pid(), Signal::SIGINT);
        let status = self.exit(Duration::from_secs(30));
        assert!(status.success(), "{status}: {}", self.stderr());
        no_node_left(f);
    }
}

fn no_node_left(f: &Fixture) {
    wait_for("every node process to end", Duration::from_secs(20), || {
        f.node_processes().is_empty()
    });
}

/// `up --json` on fresh ports until it lists its nodes (a test beside this one
/// may take a port between our picking and `up` binding it: then `up` ends and
/// is started again, at most three times).
fn start_up_json(f: &Fixture) -> (Up, Value) {
    for _ in 0..3 {
        f.fresh_ports();
        let up = Up::spawn(f, &["--json"]);
        if let Some(nodes) = up.next_json(Duration::from_secs(90)) {
            return (up, nodes);
        }
    }
    panic!("up ended before listing its nodes three times");
}

fn pid_of(nodes: &Value, unit: &str) -> u32 {
    nodes
        .as_array()
        .and_then(|a| a.iter().find(|n| n["unit"] == unit))
        .and_then(|n| n["pid"].as_u64())
        .map(|p| p as u32)
        .expect("the unit's pid")
}

fn held_at(f: &Fixture, unit: &str, case_no: &str) -> bool {
    f.at(unit, &["case", "show", case_no]).status.success()
}

#[test]
fn up_restarts_a_node_killed_with_sigkill_and_the_federation_converges() {
    let f = Fixture::new();
    let (up, nodes) = start_up_json(&f);
    let town = pid_of(&nodes, TOWN);
    f.ready(TOWN);
    f.ready(COUNTY);
    let before = f.register(TOWN, "重启前登记的事项");
    wait_for(
        "the first case at the county",
        Duration::from_secs(30),
        || held_at(&f, COUNTY, &before),
    );

    signal(town, Signal::SIGKILL);
    // Said once, with how it ended and which restart follows.
    let exited = up.next_json(Duration::from_secs(30)).expect("an event");
    assert_eq!(exited["event"], "exited", "{exited}");
    assert_eq!(exited["unit"], TOWN, "{exited}");
    assert_eq!(exited["signal"], 9, "{exited}");
    assert_eq!(exited["restart"], 1, "{exited}");
    assert_eq!(exited["restart_in_ms"], 500, "{exited}");
    let restarted = up.next_json(Duration::from_secs(30)).expect("an event");
    assert_eq!(restarted["event"], "restarted", "{restarted}");
    assert_eq!(restarted["unit"], TOWN, "{restarted}");
    assert_eq!(restarted["restarts"], 1, "{restarted}");
    let new_pid = restarted["pid"].as_u64().expect("pid") as u32;
    assert_ne!(new_pid, town);
    assert!(f.node_processes().contains(&(new_pid, TOWN.to_owned())));

    // The restarted town registers; the case reaches the county.
    f.ready(TOWN);
    let after = f.register(TOWN, "重启后登记的事项");
    wait_for(
        "the case registered after the restart at the county",
        Duration::from_secs(30),
        || held_at(&f, COUNTY, &after),
    );
    // Nothing more was said: the exit once, the restart once.
    assert!(
        up.next_json(Duration::from_millis(200)).is_none(),
        "{}",
        up.stderr()
    );
    up.interrupt(&f);
}

#[test]
fn a_node_that_keeps_crashing_is_given_up_on_and_the_others_run_on() {
    let f = Fixture::new();
    let up = (0..3)
        .find_map(|_| {
            f.fresh_ports();
            let up = Up::spawn(&f, &["--lang", "en"]);
            up.stdout_line("Federation is up", Duration::from_secs(90))
                .then_some(up)
        })
        .expect("up ended before its nodes answered three times");
    let mut killed = Vec::new();
    for kill in 1..=5 {
        let mut pid = None;
        wait_for("the town's node process", Duration::from_secs(30), || {
            pid = f
                .node_processes()
                .into_iter()
                .find(|(p, u)| u == TOWN && !killed.contains(p))
                .map(|(p, _)| p);
            pid.is_some()
        });
        let pid = pid.expect("found");
        signal(pid, Signal::SIGKILL);
        killed.push(pid);
        if kill < 5 {
            up.wait_stderr(&format!(
                "node {TOWN} exited (killed by signal SIGKILL); restart no. {kill} in"
            ));
        }
    }
    up.wait_stderr(&format!(
        "node {TOWN} exited (killed by signal SIGKILL): 5 exits within 60 s, not restarting it again; the other nodes keep running."
    ));
    let said = up.stderr();
    assert_eq!(
        said.matches(&format!("node {TOWN} exited")).count(),
        5,
        "{said}"
    );
    assert!(
        !said.contains(&format!("node {TOWN} restarted (restart no. 5)")),
        "{said}"
    );
    assert!(f.answers(COUNTY), "the county stopped with the town");
    assert!(
        !f.node_processes().iter().any(|(_, u)| u == TOWN),
        "the town was started again"
    );
    up.interrupt(&f);
}

/// When, during start-up, the test sends Ctrl-C.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Moment {
    /// As soon as `up` is spawned (maybe before it listens for signals).
    Immediately,
    /// When the first node process runs (certificates made, nodes starting).
    FirstProcess,
    /// When the first node answers, the other maybe not yet.
    FirstAnswers,
    /// When every node answered and `up` listed them.
    AllAnswer,
}

/// Ctrl-C (and SIGTERM) at each moment of start-up: `up` ends and no node process
/// of its folder is left.
#[test]
fn ctrl_c_at_any_moment_of_start_up_stops_every_node() {
    use std::os::unix::process::ExitStatusExt;
    for (moment, sig) in [
        (Moment::Immediately, Signal::SIGINT),
        (Moment::FirstProcess, Signal::SIGINT),
        (Moment::FirstAnswers, Signal::SIGINT),
        (Moment::AllAnswer, Signal::SIGINT),
        // SIGTERM, as a service manager stops it, the same way.
        (Moment::FirstAnswers, Signal::SIGTERM),
    ] {
        for attempt in 1..=3 {
            let f = Fixture::new();
            let mut up = Up::spawn(&f, &["--json"]);
            let ended = |up: &mut Up| up.process.0.try_wait().ok().flatten().is_some();
            match moment {
                Moment::Immediately => {}
                Moment::FirstProcess => wait_for("a node process", Duration::from_secs(60), || {
                    ended(&mut up) || !f.node_processes().is_empty()
                }),
                Moment::FirstAnswers => {
                    wait_for("the county to answer", Duration::from_secs(60), || {
                        ended(&mut up) || f.answers(COUNTY)
                    })
                }
                Moment::AllAnswer => {
                    let _ = up.next_json(Duration::from_secs(60));
                }
            }
            signal(up.pid(), sig);
            let status = up.exit(Duration::from_secs(30));
            no_node_left(&f);
            let said = up.stderr();
            // Before `up` listens for signals, Ctrl-C ends it as it ends any
            // program; it has started nothing yet.
            let fine = status.success()
                || (moment == Moment::Immediately && status.signal() == Some(sig as i32));
            if fine {
                break;
            }
            // A port taken by a test beside this one: try again on fresh ports.
            assert!(
                said.contains("in use") && attempt < 3,
                "{moment:?}, {sig}: up ended with {status}: {said}"
            );
        }
    }
}
