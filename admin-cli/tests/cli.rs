//! The `xinfang` command as scripts use it: real node processes, real certificates,
//! `--json` output, exit codes, and kill -9 in the middle of the work.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod support;
use support::{free_port, free_port_with};

const COUNTY: &str = "441521";
const TOWN: &str = "441521115000";
/// The member of staff the tests sign in as at every node (the operator
/// certificate manages users but takes no step on cases or schedules).
const CLERK: &str = "clerk";
const CLERK_ROLES: &str = "registrar,handler,reviewer,approver";
const CLERK_PASSWORD: &str = "clerk-password";

fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_xinfang")
}

struct Fixture {
    dir: tempfile::TempDir,
    topology: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let topology = dir.path().join("topology.toml");
        std::fs::write(
            &topology,
            format!(
                "[[unit]]\ncode = \"{COUNTY}\"\nname = \"海丰县\"\ntier = \"county\"\nlisten = \"127.0.0.1:{}\"\napi = \"127.0.0.1:{}\"\n\n\
                 [[unit]]\ncode = \"{TOWN}\"\nname = \"海城镇\"\ntier = \"township\"\nparent = \"{COUNTY}\"\nlisten = \"127.0.0.1:{}\"\napi = \"127.0.0.1:{}\"\n",
                free_port(),
                free_port(),
                free_port(),
                free_port()
            ),
        )
        .expect("write topology");
        Fixture { dir, topology }
    }

    fn fed(&self) -> PathBuf {
        self.dir.path().join("fed")
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(exe())
            .args(args)
            .output()
            .expect("run xinfang")
    }

    /// Runs a command that talks to `unit`'s node and parses its JSON output.
    fn json(&self, unit: &str, args: &[&str]) -> Value {
        let out = self.at(unit, args);
        assert!(
            out.status.success(),
            "xinfang {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("JSON output")
    }

    fn at(&self, unit: &str, args: &[&str]) -> Output {
        let mut all: Vec<&str> = args.to_vec();
        let topo = self.topology.to_str().expect("utf-8 path");
        let fed = self.fed();
        let fed = fed.to_str().expect("utf-8 path");
        all.extend(["--topology", topo, "--unit", unit, "--dir", fed, "--json"]);
        self.run(&all)
    }

    /// A federation root and node certificates for `units`, made with the CLI.
    fn init_pki(&self, units: &[&str]) {
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

    fn spawn_node(&self, unit: &str) -> Child {
        self.spawn_node_with(unit, &[])
    }

    fn spawn_node_with(&self, unit: &str, extra: &[&str]) -> Child {
        Command::new(exe())
            .args(["node", "run", "--unit", unit, "--durability", "full"])
            .args(extra)
            .arg("--topology")
            .arg(&self.topology)
            .arg("--dir")
            .arg(self.fed())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn node")
    }

    fn wait(&self, what: &str, mut ok: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !ok() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn count(&self, unit: &str) -> usize {
        let out = self.at(unit, &["case", "list", "--limit", "10000"]);
        if !out.status.success() {
            return usize::MAX;
        }
        serde_json::from_slice::<Value>(&out.stdout)
            .ok()
            .and_then(|v| v.as_array().map(Vec::len))
            .unwrap_or(usize::MAX)
    }

    fn register(&self, i: usize) -> String {
        let v = self.json(
            TOWN,
            &[
                "case",
                "register",
                "--petitioner",
                "张三",
                "--content",
                &format!("事项{i}"),
            ],
        );
        v["case_no"].as_str().expect("case_no").to_owned()
    }

    /// Waits until `unit`'s node answers (as the operator), then signs in there
    /// as [`CLERK`], whom the operator adds on first use.
    fn ready(&self, unit: &str) {
        self.wait(&format!("{unit} ready"), || {
            self.at(unit, &["status"]).status.success()
        });
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
            CLERK_PASSWORD,
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() || err.contains("already exists"),
            "adding {CLERK} at {unit}: {err}"
        );
        let out = self.at_stdin(
            unit,
            &["login", "--user", CLERK, "--password-stdin"],
            CLERK_PASSWORD,
        );
        assert!(
            out.status.success(),
            "signing in at {unit}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// As `at`, with `input` on standard input (a password for --password-stdin).
    fn at_stdin(&self, unit: &str, args: &[&str], input: &str) -> Output {
        use std::io::Write;
        let topo = self.topology.to_str().expect("utf-8 path");
        let fed = self.fed();
        let mut child = Command::new(exe())
            .args(args)
            .args(["--topology", topo, "--unit", unit, "--dir"])
            .arg(&fed)
            .arg("--json")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run xinfang");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{input}\n").as_bytes())
            .expect("write stdin");
        child.wait_with_output().expect("xinfang output")
    }

    fn town_bytes_sent(&self) -> u64 {
        let s = self.json(TOWN, &["status"]);
        s["peers"][0]["bytes_sent"].as_u64().expect("bytes_sent")
    }
}

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn kill9(mut c: Killed) {
    c.0.kill().expect("kill -9");
    c.0.wait().expect("reap");
}

#[test]
fn kill_dash_nine_loses_nothing_and_resumes_from_cursors() {
    let f = Fixture::new();
    let fed = f.fed();
    let fed = fed.to_str().expect("utf-8");
    assert!(f.run(&["pki", "init", "--dir", fed]).status.success());
    for u in [COUNTY, TOWN] {
        let out = f.run(&["pki", "issue", "--unit", u, "--dir", fed, "--json"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).expect("json");
        assert!(Path::new(v["cert"].as_str().expect("cert")).exists());
    }
    let county = Killed(f.spawn_node(COUNTY));
    let town = Killed(f.spawn_node(TOWN));
    f.ready(COUNTY);
    f.ready(TOWN);

    // The CLI contract: status and case objects.
    let status = f.json(TOWN, &["status"]);
    assert_eq!(status["unit"], TOWN);
    assert_eq!(status["peers"][0]["unit"], COUNTY);
    assert!(status["peers"][0]["connected"].is_boolean());
    assert!(status["peers"][0]["lag"].is_u64());

    let mut last = String::new();
    for i in 0..30 {
        last = f.register(i);
    }
    f.wait("30 cases at the county", || f.count(COUNTY) == 30);
    let shown = f.json(COUNTY, &["case", "show", &last]);
    assert_eq!(shown["case_no"], last.as_str());
    let first_sync = f.town_bytes_sent();

    // kill -9 the county; the town keeps registering.
    kill9(county);
    for i in 30..33 {
        f.register(i);
    }
    assert_eq!(f.count(TOWN), 33);
    let county = Killed(f.spawn_node(COUNTY));
    f.wait("33 cases at the restarted county", || f.count(COUNTY) == 33);
    let resent = f.town_bytes_sent() - first_sync;
    assert!(
        resent * 4 < first_sync,
        "resumed sync sent {resent} bytes; the first 30 documents took {first_sync}"
    );

    // kill -9 the town right after a write: the acknowledged write survives.
    let newest = f.register(99);
    kill9(town);
    let _town = Killed(f.spawn_node(TOWN));
    f.ready(TOWN);
    assert_eq!(
        f.json(TOWN, &["case", "show", &newest])["case_no"],
        newest.as_str()
    );
    f.wait("34 cases at the county", || f.count(COUNTY) == 34);
    drop(county);
}

#[test]
fn bad_input_gets_a_clear_error_and_a_non_zero_exit() {
    let f = Fixture::new();
    let out = f.run(&["case", "list", "--node", "127.0.0.1:1", "--insecure"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot reach node"));

    let bad = f.dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[unit]]\ncode = \"4415\"\nname = \"x\"\ntier = \"city\"\nlisten = \"127.0.0.1:1\"\n",
    )
    .expect("write");
    let out = f.run(&[
        "up",
        bad.to_str().expect("utf-8"),
        "--dir",
        f.fed().to_str().expect("utf-8"),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("4415") && err.contains("6 digits"), "{err}");

    let out = f.run(&["status"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--node"));
}

#[test]
fn registration_refuses_bad_fields_by_name() {
    let f = Fixture::new();
    f.init_pki(&[COUNTY]);
    let _county = Killed(f.spawn_node(COUNTY));
    f.ready(COUNTY);
    let out = f.at(
        COUNTY,
        &["case", "register", "--petitioner", "  ", "--content", "x"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    // The rule in the reader's language: Chinese by default, English on asking.
    assert!(
        err.contains("`petitioner`") && err.contains("不能为空"),
        "{err}"
    );
    let out = f.at(
        COUNTY,
        &[
            "--lang",
            "en",
            "case",
            "register",
            "--petitioner",
            "  ",
            "--content",
            "x",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("petitioner") && err.contains("must not be empty"),
        "{err}"
    );
    let fed = f.fed();
    let fed = fed.to_str().expect("utf-8");
    let out = f.run(&[
        "case",
        "register",
        "--topology",
        f.topology.to_str().expect("utf-8"),
        "--unit",
        COUNTY,
        "--dir",
        fed,
        "--petitioner",
        "张三",
        "--content",
        "正常",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Asking for a case another unit holds is "not found", with the number.
    let out = f.at(COUNTY, &["case", "show", "441521115000-2026-000001"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("441521115000-2026-000001"));
}

#[test]
fn a_case_is_handled_and_closed_step_by_step_through_the_cli() {
    let f = Fixture::new();
    f.init_pki(&[COUNTY]);
    let _county = Killed(f.spawn_node(COUNTY));
    f.ready(COUNTY);
    let no = f.json(
        COUNTY,
        &[
            "case",
            "register",
            "--petitioner",
            "赵六",
            "--content",
            "低保待遇",
        ],
    )["case_no"]
        .as_str()
        .expect("case_no")
        .to_owned();
    let close = [
        "case",
        "close",
        &no,
        "--facts-clear",
        "--handled-in-place",
        "--file-complete",
    ];
    let out = f.at(COUNTY, &close);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("closure.five_conditions"), "{err}");
    // A named rule reaches the CLI by its Chinese name.
    assert!(err.contains("不符合结案条件（五不结案）"), "{err}");

    let steps: Vec<Vec<&str>> = vec![
        vec!["case", "screen", &no, "--decision", "accept"],
        vec!["case", "own", &no, "--leader", "黄局长"],
        vec!["case", "note", &no, "--text", "已核实"],
        vec![
            "case",
            "reply",
            &no,
            "--opinion",
            "support",
            "--text",
            "予以支持",
        ],
        vec![
            "case",
            "rate",
            &no,
            "--acceptance",
            "satisfied",
            "--handling",
            "basic",
        ],
        vec![
            "case",
            "approve",
            &no,
            "--leader",
            "黄局长",
            "--opinion",
            "同意",
        ],
    ];
    for s in &steps {
        let v = f.json(COUNTY, s);
        assert_eq!(v["case_no"], no.as_str(), "{s:?}");
    }
    let v = f.json(COUNTY, &close);
    assert_eq!(v["status"], "closed");
    assert!(v["closure_blockers"].as_array().is_none_or(Vec::is_empty));
    let timeline = f.json(COUNTY, &["case", "timeline", &no]);
    let kinds: Vec<&str> = timeline
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|r| r["body"]["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "screening",
            "ownership",
            "progress",
            "reply",
            "rating",
            "leader_approval",
            "closure"
        ]
    );
    // Bad input names the flag.
    let out = f.at(
        COUNTY,
        &[
            "case",
            "forward",
            &no,
            "--to",
            "4415",
            "--due",
            "2030-01-01",
        ],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("--to"));
}

#[test]
fn a_parent_process_survives_its_child_dying_mid_transfer() {
    let f = Fixture::new();
    f.init_pki(&[COUNTY, TOWN]);
    let mut county = Killed(f.spawn_node(COUNTY));
    f.ready(COUNTY);
    // A backlog for the town: large cases forwarded to it while it is away.
    let due = (chrono::Utc::now() + chrono::Duration::days(10))
        .format("%Y-%m-%d")
        .to_string();
    let content = "村民反映土地征收补偿标准过低且长期未兑现。".repeat(400);
    for _ in 0..12 {
        let v = f.json(
            COUNTY,
            &[
                "case",
                "register",
                "--petitioner",
                "吴九",
                "--content",
                &content,
            ],
        );
        let no = v["case_no"].as_str().expect("case_no").to_owned();
        f.json(COUNTY, &["case", "screen", &no, "--decision", "accept"]);
        f.json(
            COUNTY,
            &["case", "forward", &no, "--to", TOWN, "--due", &due],
        );
    }
    // The town connects and is killed while the county is still streaming to it,
    // then (as `xinfang-bench` does) restarts quickly with clean stops.
    for _ in 0..3 {
        let town = Killed(f.spawn_node(TOWN));
        f.ready(TOWN);
        kill9(town);
        std::thread::sleep(Duration::from_millis(20));
        assert!(
            county.0.try_wait().expect("poll").is_none(),
            "the county process died when its child vanished mid-transfer"
        );
    }
    for _ in 0..8 {
        let town = Killed(f.spawn_node(TOWN));
        f.ready(TOWN);
        let pid = town.0.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .expect("kill")
                .success()
        );
        drop(town);
        assert!(
            county.0.try_wait().expect("poll").is_none(),
            "the county process died when its child restarted"
        );
    }
    f.ready(COUNTY);
}

#[test]
fn a_parent_process_survives_its_child_coming_and_going() {
    let f = Fixture::new();
    f.init_pki(&[COUNTY, TOWN]);
    let mut county = Killed(f.spawn_node(COUNTY));
    f.ready(COUNTY);
    for i in 0..6 {
        let town = Killed(f.spawn_node(TOWN));
        f.ready(TOWN);
        f.register(i);
        f.wait("the town's case at the county", || f.count(COUNTY) == i + 1);
        // Alternate a clean stop and kill -9: the county is mid-conversation either way.
        if i % 2 == 0 {
            let pid = town.0.id().to_string();
            assert!(
                Command::new("kill")
                    .args(["-TERM", &pid])
                    .status()
                    .expect("kill")
                    .success()
            );
            drop(town);
        } else {
            kill9(town);
        }
        assert!(
            county.0.try_wait().expect("poll").is_none(),
            "the county process died after its child went away ({i})"
        );
    }
    f.ready(COUNTY);
}

/// The schedule commands as scripts use them (the CLI contract): import with
/// --create-roster, check, review, approve, and the filing board, with the nodes'
/// clock started on 11 March 2016 so April's filing is late.
#[test]
fn schedule_commands_keep_their_json_contract() {
    let dir = tempfile::tempdir().expect("tempdir");
    let topology = dir.path().join("topology.toml");
    std::fs::write(
        &topology,
        format!(
            "[[unit]]\ncode = \"{COUNTY}\"\nname = \"海丰县\"\ntier = \"county\"\nrules = \"haifeng-county\"\nlisten = \"127.0.0.1:{}\"\napi = \"127.0.0.1:{}\"\n\n\
             [[unit]]\ncode = \"{TOWN}\"\nname = \"海城镇\"\ntier = \"township\"\nparent = \"{COUNTY}\"\nrules = \"haifeng-big-town\"\nlisten = \"127.0.0.1:{}\"\napi = \"127.0.0.1:{}\"\n",
            free_port(),
            free_port(),
            free_port(),
            free_port()
        ),
    )
    .expect("write topology");
    let f = Fixture { dir, topology };
    f.init_pki(&[COUNTY, TOWN]);
    let spawn = |unit: &str| {
        Killed(
            Command::new(exe())
                .args(["node", "run", "--unit", unit, "--durability", "normal"])
                .arg("--topology")
                .arg(&f.topology)
                .arg("--dir")
                .arg(f.fed())
                .env("XINFANG_CLOCK_START", "2016-03-11T10:00:00+08:00")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn node"),
        )
    };
    let _county = spawn(COUNTY);
    let _town = spawn(TOWN);
    f.ready(COUNTY);
    f.ready(TOWN);
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/haifeng-2016-04-schedule.csv"
    );
    let month = ["--month", "2016-04"];
    let v = f.json(
        COUNTY,
        &[
            &["schedule", "import", fixture][..],
            &month,
            &["--create-roster"],
        ]
        .concat(),
    );
    assert_eq!(v["entries"].as_array().map(Vec::len), Some(20));
    let v = f.json(COUNTY, &[&["schedule", "check"][..], &month].concat());
    assert_eq!(v["violations"].as_array().map(Vec::len), Some(0), "{v}");

    // The town: one leader on 5 April breaks the big-town rule, named in JSON.
    let mut csv = String::from("seq,date,leader,position,location,form,note\n");
    let days = [
        "01", "05", "06", "07", "08", "11", "12", "13", "14", "15", "18", "19", "20", "21", "22",
        "25", "26", "27", "28", "29",
    ];
    let mut seq = 0;
    for d in days {
        for who in ["林书记", "陈镇长"] {
            if d == "05" && who == "陈镇长" {
                continue;
            }
            seq += 1;
            csv.push_str(&format!(
                "{seq},2016-04-{d},{who},镇领导,镇信访办,定点接访,\n"
            ));
        }
    }
    let table = f.dir.path().join("town.csv");
    std::fs::write(&table, csv).expect("write csv");
    let table = table.to_str().expect("utf-8");
    f.json(
        TOWN,
        &[
            &["schedule", "import", table][..],
            &month,
            &["--create-roster"],
        ]
        .concat(),
    );
    let v = f.json(TOWN, &[&["schedule", "check"][..], &month].concat());
    let violations = v["violations"].as_array().expect("violations");
    let daily: Vec<&Value> = violations
        .iter()
        .filter(|x| x["message"].as_str().unwrap_or("").contains("2016-04-05"))
        .collect();
    assert_eq!(daily.len(), 1, "{v}");
    assert!(daily[0]["rule"].as_str().is_some_and(|r| !r.is_empty()));

    // Approval with violations needs --override; then the county sees it, late.
    f.json(TOWN, &[&["schedule", "review"][..], &month].concat());
    let out = f.at(TOWN, &[&["schedule", "approve"][..], &month].concat());
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("override"));
    let v = f.json(
        TOWN,
        &[
            &["schedule", "approve"][..],
            &month,
            &["--override", "陈镇长4月5日赴县开会"],
        ]
        .concat(),
    );
    assert_eq!(v["state"], "approved");
    f.wait("the town's filing at the county", || {
        let b = f.json(COUNTY, &["filings", "--month", "2016-04"]);
        b.as_array()
            .and_then(|rows| rows.iter().find(|r| r["unit"] == TOWN))
            .is_some_and(|r| r["received_at"].as_str().is_some_and(|s| !s.is_empty()))
    });
    let board = f.json(COUNTY, &["filings", "--month", "2016-04"]);
    let row = board
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["unit"] == TOWN))
        .expect("town row");
    assert_eq!(row["status"], "late", "{row}");
    assert!(
        row["received_at"]
            .as_str()
            .is_some_and(|s| s.starts_with("2016-03-11")),
        "{row}"
    );
    let may = f.json(COUNTY, &["filings", "--month", "2016-05"]);
    assert_eq!(may[0]["status"], "pending", "{may}");
    let march = f.json(COUNTY, &["filings", "--month", "2016-03"]);
    assert_eq!(march[0]["status"], "missing", "{march}");
}

/// Stops a node process the way an operator does (SIGTERM), and waits for it.
fn stop(mut c: Killed) {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let pid = Pid::from_raw(i32::try_from(c.0.id()).expect("pid"));
    kill(pid, Signal::SIGTERM).expect("SIGTERM");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if c.0.try_wait().expect("wait").is_some() {
            return;
        }
        assert!(Instant::now() < deadline, "node did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A county that outgrew its SQLite file moves to PostgreSQL with
/// `xinfang admin migrate-store`: every table is the same afterwards (documents,
/// heads, cursors, projections), and it resumes with its town where it stopped —
/// only what the town wrote meanwhile crosses the link.
#[test]
fn a_node_moved_to_postgres_resumes_without_a_full_resend() {
    use xinfang_hub::db::{Db, scratch};
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    if !rt.block_on(scratch::available(
        "cli::a_node_moved_to_postgres_resumes_without_a_full_resend",
    )) {
        return;
    }
    let schema = rt
        .block_on(scratch::Schema::create("migrate_store"))
        .expect("schema");
    let f = Fixture::new();
    f.init_pki(&[COUNTY, TOWN]);
    let county = Killed(f.spawn_node(COUNTY));
    let town = Killed(f.spawn_node(TOWN));
    f.ready(COUNTY);
    f.ready(TOWN);
    let mut cases = Vec::new();
    for i in 0..30 {
        cases.push(f.register(i));
    }
    for no in cases.iter().take(10) {
        f.json(TOWN, &["case", "note", no, "--text", "已联系信访人"]);
    }
    f.wait("30 cases at the county", || f.count(COUNTY) == 30);
    let before_move = f.town_bytes_sent();

    // A running node is not moved.
    let out = f.at(COUNTY, &["admin", "migrate-store", "--to", schema.url()]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("stop it before moving"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    stop(county);
    // The town goes on meanwhile.
    for i in 30..35 {
        f.register(i);
    }
    let sqlite_file = f
        .fed()
        .join("units")
        .join(COUNTY)
        .join("data")
        .join("xinfang.db");
    let sqlite_url = xinfang_hub::db::sqlite_url(&sqlite_file);
    let moved = f.json(COUNTY, &["admin", "migrate-store", "--to", schema.url()]);
    let tables = moved["tables"].as_array().expect("tables");
    let rows_of = |t: &str| {
        tables
            .iter()
            .find(|x| x["table"] == t)
            .and_then(|x| x["rows"].as_u64())
    };
    assert_eq!(rows_of("hub_docs"), Some(30));
    assert_eq!(rows_of("node_cases"), Some(30));
    assert_eq!(rows_of("hub_links"), Some(1));
    assert!(!moved["to"].as_str().expect("to").is_empty());

    // Every table holds the same rows on both engines.
    let (on_sqlite, on_postgres) = rt.block_on(async {
        let a = Db::open(&sqlite_url, Default::default())
            .await
            .expect("sqlite");
        let b = Db::open(schema.url(), Default::default())
            .await
            .expect("postgres");
        let fa = xinfang_node::store_copy::fingerprints(&a)
            .await
            .expect("fingerprints");
        let fb = xinfang_node::store_copy::fingerprints(&b)
            .await
            .expect("fingerprints");
        a.close().await;
        b.close().await;
        (fa, fb)
    });
    assert!(on_sqlite.len() >= 10, "{on_sqlite:?}");
    assert_eq!(on_sqlite, on_postgres);
    // Moving into a database that is no longer empty is refused.
    let again = f.at(COUNTY, &["admin", "migrate-store", "--to", schema.url()]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("is not empty"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    // The county starts on PostgreSQL and catches up with what the town wrote.
    std::fs::remove_file(&sqlite_file).expect("the SQLite file is no longer used");
    let county = Killed(f.spawn_node_with(COUNTY, &["--db", schema.url()]));
    f.ready(COUNTY);
    f.wait("35 cases at the county on PostgreSQL", || {
        f.count(COUNTY) == 35
    });
    let shown = f.json(COUNTY, &["case", "show", &cases[0]]);
    assert_eq!(shown["notes"].as_array().map(Vec::len), Some(1));
    let resent = f.town_bytes_sent() - before_move;
    assert!(
        resent * 4 < before_move,
        "after the move the town sent {resent} bytes; the first 30 documents took {before_move}"
    );
    assert!(!sqlite_file.exists(), "nothing wrote the old SQLite file");
    drop(county);
    drop(town);
}

/// `xinfang pki revoke`: what it says to people and to scripts, the signed list
/// handed to every unit's folder, and names or serials it cannot use refused with
/// nothing written.
#[test]
fn pki_revoke_signs_a_revocation_list_and_refuses_what_it_does_not_know() {
    let f = Fixture::new();
    f.init_pki(&[COUNTY, TOWN]);
    let fed = f.fed();
    let dir = fed.to_str().expect("utf-8");
    let crl = fed.join("pki").join("crl.pem");
    let stderr = |out: &Output| String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = |out: &Output| String::from_utf8_lossy(&out.stdout).into_owned();

    // Unknown holders, bad serials and reasons: refused by name, nothing written.
    for (name, says) in [("441599", "unit 441599"), ("nobody", "operator nobody")] {
        let out = f.run(&[
            "pki",
            "revoke",
            name,
            "--reason",
            "key-compromise",
            "--dir",
            dir,
        ]);
        assert!(!out.status.success());
        let err = stderr(&out);
        assert!(
            err.contains(says) && err.contains("nothing was revoked"),
            "{err}"
        );
    }
    let out = f.run(&["pki", "revoke", TOWN, "--reason", "bored", "--dir", dir]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("key-compromise"), "{}", stderr(&out));
    let out = f.run(&[
        "pki",
        "revoke",
        "--serial",
        "xyz",
        "--reason",
        "superseded",
        "--dir",
        dir,
    ]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--serial") && stderr(&out).contains("xyz"));
    assert!(!crl.exists(), "a refused revocation wrote a list");

    // The town, for people (Chinese by default).
    let out = f.run(&[
        "pki",
        "revoke",
        TOWN,
        "--reason",
        "key-compromise",
        "--dir",
        dir,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for want in [
        "已吊销证书",
        TOWN,
        "密钥泄露",
        "第 1 号",
        "已分发至单位",
        COUNTY,
    ] {
        assert!(text.contains(want), "{want} missing from: {text}");
    }
    assert!(crl.exists());
    let pem = std::fs::read_to_string(&crl).expect("crl.pem");
    assert!(pem.contains("BEGIN X509 CRL"));
    for unit in [COUNTY, TOWN] {
        let handed = fed.join("units").join(unit).join("tls").join("crl.pem");
        assert_eq!(std::fs::read_to_string(handed).expect("handed out"), pem);
    }
    // Again: nothing left to revoke.
    let out = f.run(&[
        "pki",
        "revoke",
        TOWN,
        "--reason",
        "key-compromise",
        "--dir",
        dir,
    ]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("already revoked"), "{}", stderr(&out));

    // An operator, for scripts.
    let out = f.run(&[
        "pki",
        "revoke",
        "operator",
        "--reason",
        "privilege-withdrawn",
        "--dir",
        dir,
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["revoked"][0]["kind"], "operator", "{v}");
    assert_eq!(v["revoked"][0]["name"], "operator");
    assert_eq!(v["revoked"][0]["reason"], "privilege-withdrawn");
    assert!(
        v["revoked"][0]["serial"]
            .as_str()
            .is_some_and(|s| s.len() == 32)
    );
    assert_eq!(v["crl"]["number"], 2);
    assert_eq!(v["crl"]["entries"], 2);
    assert!(v["crl"]["next_update"].as_str().is_some());
    assert_eq!(v["handed_to"].as_array().map(Vec::len), Some(2), "{v}");

    // One certificate by serial, as people copy it (upper case, colons), in English.
    let out = f.run(&["pki", "issue", "--unit", COUNTY, "--dir", dir, "--json"]);
    let issued: Value = serde_json::from_slice(&out.stdout).expect("json");
    let serial = issued["serial"].as_str().expect("serial").to_owned();
    assert!(
        issued["crl"]
            .as_str()
            .is_some_and(|p| p.ends_with("crl.pem")),
        "{issued}"
    );
    let colons: Vec<String> = serial
        .to_uppercase()
        .as_bytes()
        .chunks(2)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    let out = f.run(&[
        "pki",
        "revoke",
        "--serial",
        &colons.join(":"),
        "--reason",
        "superseded",
        "--dir",
        dir,
        "--lang",
        "en",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for want in [
        "Revoked certificate",
        serial.as_str(),
        "unit 441521",
        "superseded",
        "no. 3",
    ] {
        assert!(text.contains(want), "{want} missing from: {text}");
    }

    // A fresh list with the same revocations.
    let out = f.run(&["pki", "crl", "--dir", dir, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        (v["crl"]["number"].as_u64(), v["crl"]["entries"].as_u64()),
        (Some(4), Some(3))
    );
}

/// A node certificate that runs out within 30 days shows in `status`: a field for
/// scripts, a warning line for people.
#[test]
fn status_warns_of_a_certificate_that_runs_out_within_thirty_days() {
    let f = Fixture::new();
    f.init_pki(&[]);
    let fed = f.fed();
    let dir = fed.to_str().expect("utf-8");
    let out = f.run(&[
        "pki", "issue", "--unit", COUNTY, "--days", "10", "--dir", dir, "--json",
    ]);
    assert!(out.status.success());
    let issued: Value = serde_json::from_slice(&out.stdout).expect("json");
    let _county = Killed(f.spawn_node(COUNTY));
    f.ready(COUNTY);

    // Certificate details are the operator's (an administrator).
    let v = f.json(COUNTY, &["status", "--cert-only"]);
    assert_eq!(v["expiry_warning"], true, "{v}");
    let own = v["credentials"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["kind"] == "certificate"))
        .expect("own certificate");
    assert_eq!(own["serial"], issued["serial"]);
    assert_eq!(own["warning"], true);
    assert!(
        own["days_left"]
            .as_i64()
            .is_some_and(|d| (9..=10).contains(&d)),
        "{own}"
    );
    assert_eq!(v["tls_reload_error"], "");

    let human = |lang: &str| {
        let topo = f.topology.to_str().expect("utf-8");
        let out = f.run(&[
            "status",
            "--topology",
            topo,
            "--unit",
            COUNTY,
            "--dir",
            dir,
            "--lang",
            lang,
            "--cert-only",
        ]);
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let zh = human("zh");
    assert!(
        zh.contains("警告：本节点证书") && zh.contains("剩余"),
        "{zh}"
    );
    let en = human("en");
    assert!(en.contains("warning: this node's certificate"), "{en}");
    assert!(en.contains("xinfang pki issue --unit"), "{en}");

    // Once the running node has the list revoking the CLI's operator certificate,
    // the CLI gets nothing more, and says why.
    let out = f.run(&[
        "pki",
        "revoke",
        "operator",
        "--reason",
        "privilege-withdrawn",
        "--dir",
        dir,
    ]);
    assert!(out.status.success());
    f.wait("the node to refuse the revoked operator", || {
        let out = f.at(COUNTY, &["status"]);
        !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("revoked")
    });
}

#[test]
fn accounts_through_the_cli_login_users_and_a_refused_action() {
    let f = Fixture::new();
    f.init_pki(&[COUNTY]);
    let _county = Killed(f.spawn_node(COUNTY));
    f.ready(COUNTY);

    // The operator adds a viewer (JSON contract), and lists the users.
    let out = f.at_stdin(
        COUNTY,
        &[
            "admin",
            "user",
            "add",
            "view-only",
            "--role",
            "viewer",
            "--display",
            "查阅员",
            "--password-stdin",
            "--cert-only",
        ],
        "viewer-password",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let added: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(added[0]["name"], "view-only");
    assert_eq!(added[0]["roles"], serde_json::json!(["viewer"]));
    assert_eq!(added[0]["display_name"], "查阅员");
    let list = f.json(COUNTY, &["admin", "user", "list", "--cert-only"]);
    let names: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|u| u["name"].as_str())
        .collect();
    assert_eq!(names, vec![CLERK, "view-only"]);
    // The clerk (not an administrator) may not list users: exit 1, named.
    let out = f.at(COUNTY, &["admin", "user", "list"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("user.manage"));

    // The viewer signs in; the token file is theirs alone.
    let out = f.at_stdin(
        COUNTY,
        &["login", "--user", "view-only", "--password-stdin"],
        "viewer-password",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let login: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(login["user"]["roles"], serde_json::json!(["viewer"]));
    let token_file = PathBuf::from(login["token_file"].as_str().expect("token_file"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&token_file)
            .expect("token file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "token file mode {mode:o}");
    }
    let me = f.json(COUNTY, &["whoami"]);
    assert_eq!(me["name"], "view-only");

    // A viewer's registration: refused, exit code 1, the message names user, role
    // and action; nothing registered.
    let out = f.at(
        COUNTY,
        &[
            "case",
            "register",
            "--petitioner",
            "张三",
            "--content",
            "越权",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("permission denied")
            && err.contains("view-only")
            && err.contains("viewer")
            && err.contains("case.register"),
        "{err}"
    );
    assert_eq!(f.count(COUNTY), 0);

    // A wrong password: refused, nothing saved over the good token.
    let out = f.at_stdin(
        COUNTY,
        &["login", "--user", "view-only", "--password-stdin"],
        "wrong-password",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrong user name or password"));
    assert!(f.at(COUNTY, &["whoami"]).status.success());

    // Disabled: the saved token stops working at once, saying why.
    let v = f.json(
        COUNTY,
        &["admin", "user", "disable", "view-only", "--cert-only"],
    );
    assert_eq!(v[0]["disabled"], true);
    let out = f.at(COUNTY, &["case", "list"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("view-only") && err.contains("disabled"),
        "{err}"
    );

    // The audit log has the refusal and the wrong password.
    let log = f.json(COUNTY, &["admin", "audit", "--refused", "--cert-only"]);
    let lines = log.as_array().expect("array");
    assert!(
        lines
            .iter()
            .any(|e| e["actor"] == "view-only" && e["action"] == "case.register"),
        "{log}"
    );
    assert!(
        lines
            .iter()
            .any(|e| e["actor"] == "view-only" && e["action"] == "login.password"),
        "{log}"
    );

    // The quarantine of refused peer documents: administrators only, empty here.
    let q = f.json(COUNTY, &["admin", "quarantine", "list", "--cert-only"]);
    assert_eq!(q, serde_json::json!([]));
    let out = f.at(COUNTY, &["admin", "quarantine", "show", "1", "--cert-only"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("quarantined document 1"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Logging out forgets the token here too.
    let out = f.at(COUNTY, &["logout"]);
    assert!(out.status.success());
    assert!(!token_file.exists());
}

/// `GET /metrics` on `addr`, the body as text (None while nothing answers).
fn scrape(addr: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    text.split_once("\r\n\r\n").map(|(_, body)| body.to_owned())
}

/// Writes a two-unit topology on fresh ports and starts `xinfang up` on it: the
/// process, the nodes it lists once every one answers, and the town's replication
/// port; `None` if `up` ended before listing them.
fn start_up(f: &Fixture) -> Option<(Killed, Value, u16)> {
    use std::io::BufRead;
    // Metrics at +2000 and the console at +3000 from each replication port.
    let (county, town) = (free_port_with(&[2000, 3000]), free_port_with(&[2000, 3000]));
    std::fs::write(
        &f.topology,
        format!(
            "[[unit]]\ncode = \"{COUNTY}\"\nname = \"海丰县\"\ntier = \"county\"\nlisten = \"127.0.0.1:{county}\"\napi = \"127.0.0.1:{}\"\n\n\
             [[unit]]\ncode = \"{TOWN}\"\nname = \"海城镇\"\ntier = \"township\"\nparent = \"{COUNTY}\"\nlisten = \"127.0.0.1:{town}\"\napi = \"127.0.0.1:{}\"\n",
            free_port(),
            free_port()
        ),
    )
    .expect("write topology");
    let mut up = Killed(
        Command::new(exe())
            .args(["up", "--json", "--demo", "--dir"])
            .arg(f.fed())
            .arg(&f.topology)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn up"),
    );
    // `up --json` prints the running nodes once every one answers.
    let mut text = String::new();
    let mut lines = std::io::BufReader::new(up.0.stdout.take().expect("stdout")).lines();
    loop {
        let line = lines.next()?.expect("read");
        text.push_str(&line);
        if let Ok(v) = serde_json::from_str::<Value>(&text) {
            return Some((up, v, town));
        }
    }
}

#[test]
fn up_runs_the_federation_the_readme_shows_and_stops_it_on_ctrl_c() {
    let f = Fixture::new();
    // Ports are picked free and released, so a test running beside this one can
    // take one before `up` binds it: `up` then ends, and is started again on
    // fresh ports (at most three times).
    let (mut up, nodes, town) = (0..3)
        .find_map(|_| start_up(&f))
        .expect("up ended before listing its nodes");
    let nodes = nodes.as_array().expect("a list of nodes");
    assert_eq!(nodes.len(), 2, "{nodes:?}");
    let pids: Vec<i32> = nodes
        .iter()
        .map(|n| n["pid"].as_i64().expect("pid") as i32)
        .collect();
    let town_metrics = nodes
        .iter()
        .find(|n| n["unit"] == TOWN)
        .and_then(|n| n["metrics"].as_str())
        .expect("the town's metrics address")
        .to_owned();
    assert_eq!(town_metrics, format!("127.0.0.1:{}", town + 2000));
    let town_console = nodes
        .iter()
        .find(|n| n["unit"] == TOWN)
        .and_then(|n| n["console"].as_str())
        .expect("the town's console URL")
        .to_owned();
    assert_eq!(town_console, format!("https://127.0.0.1:{}/", town + 3000));
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", town + 3000)).is_ok(),
        "the town's console listens"
    );
    // `--demo`: one account at every node, printed; it signs in.
    let demo = &nodes[0]["demo"];
    assert_eq!(demo["user"], "demo", "{nodes:?}");
    let password = demo["password"].as_str().expect("the demo password");
    assert!(nodes.iter().all(|n| n["demo"]["password"] == password));

    // The walkthrough: a user made with the operator certificate signs in and
    // registers; the county sees the case.
    f.ready(TOWN);
    f.ready(COUNTY);
    let no = f.register(1);
    f.wait("the case at the county", || {
        f.at(COUNTY, &["case", "show", &no]).status.success()
    });
    let body = scrape(&town_metrics).expect("metrics answer");
    assert!(body.contains("xinfang_"), "{body}");
    let out = f.at_stdin(
        TOWN,
        &["login", "--user", "demo", "--password-stdin"],
        password,
    );
    assert!(
        out.status.success(),
        "the demo account signs in: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Ctrl-C stops every node and `up` itself, cleanly.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(up.0.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .expect("SIGINT");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = up.0.try_wait().expect("wait") {
            break s;
        }
        assert!(Instant::now() < deadline, "up did not stop on Ctrl-C");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
    for pid in pids {
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists()
                || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .is_ok_and(|s| s.contains(") Z ")),
            "node {pid} still runs after up stopped"
        );
    }
}

/// `xinfang ledger show|verify` as scripts and people use them: JSON entries
/// chained one to the next, an intact chain verified (exit 0, Chinese by
/// default), then an entry edited in the stopped node's database named by
/// `verify` with exit code 1, in English with `--lang en`.
#[test]
fn the_ledger_through_the_cli_shows_verifies_and_names_an_edit() {
    let f = Fixture::new();
    f.init_pki(&[COUNTY]);
    let county = Killed(f.spawn_node(COUNTY));
    f.ready(COUNTY);
    let v = f.json(
        COUNTY,
        &[
            "case",
            "register",
            "--petitioner",
            "张三",
            "--content",
            "路灯不亮",
        ],
    );
    let doc_id = v["doc_id"].as_str().expect("doc_id").to_owned();

    // The clerk is a reviewer: may read the ledger.
    let shown = f.json(COUNTY, &["ledger", "show", "--limit", "50"]);
    let entries = shown.as_array().expect("array");
    assert!(
        entries
            .iter()
            .any(|e| e["doc_id"] == doc_id.as_str() && e["kind"] == "local"),
        "{shown}"
    );
    assert!(
        entries.iter().any(|e| e["kind"] == "audit"),
        "sign-ins are chained"
    );
    for w in entries.windows(2) {
        assert_eq!(w[1]["prev_hash"], w[0]["hash"], "{shown}");
    }
    let verified = f.json(COUNTY, &["ledger", "verify"]);
    assert_eq!(verified["ok"], true, "{verified}");

    let fed = f.fed();
    let topo = f.topology.to_str().expect("utf-8").to_owned();
    let fed_s = fed.to_str().expect("utf-8").to_owned();
    let human = |extra: &[&str]| {
        let mut args = vec![
            "ledger",
            "verify",
            "--topology",
            topo.as_str(),
            "--unit",
            COUNTY,
            "--dir",
            fed_s.as_str(),
        ];
        args.extend(extra);
        f.run(&args)
    };
    let out = human(&[]);
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("账本完整"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // Someone edits the case's entry while the node is stopped.
    stop(county);
    let db_path = fed
        .join("units")
        .join(COUNTY)
        .join("data")
        .join("xinfang.db");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let edited: i64 = rt.block_on(async {
        let db =
            xinfang_hub::db::Db::open(&xinfang_hub::db::sqlite_url(&db_path), Default::default())
                .await
                .expect("open the node's database");
        let seq: i64 = sqlx::query_scalar("SELECT MIN(seq) FROM node_ledger WHERE doc_id = $1")
            .bind(&doc_id)
            .fetch_one(db.pool())
            .await
            .expect("the case's entry");
        sqlx::query("UPDATE node_ledger SET detail = 'forged' WHERE seq = $1")
            .bind(seq)
            .execute(db.pool())
            .await
            .expect("edit");
        db.close().await;
        seq
    });
    let _county = Killed(f.spawn_node(COUNTY));
    f.wait("the county back", || {
        f.at(COUNTY, &["status"]).status.success()
    });
    let out = f.at(COUNTY, &["ledger", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON before the error");
    assert_eq!(v["ok"], false);
    assert_eq!(v["bad_seq"].as_i64(), Some(edited), "{v}");
    let out = human(&["--lang", "en"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("ledger changed") && text.contains(&edited.to_string()),
        "{text}"
    );
}

/// The status line `case show` prints for people, in the language asked for.
fn shown_status(f: &Fixture, unit: &str, no: &str, lang: &str) -> String {
    let topo = f.topology.to_str().expect("utf-8 path");
    let out = f.run(&[
        "case",
        "show",
        no,
        "--topology",
        topo,
        "--unit",
        unit,
        "--dir",
        f.fed().to_str().expect("utf-8 path"),
        "--lang",
        lang,
    ]);
    assert!(
        out.status.success(),
        "case show {no}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let prefix = if lang == "en" { "Status: " } else { "状态: " };
    text.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no status line in:\n{text}"))
        .to_owned()
}

#[test]
fn every_status_reads_the_same_in_the_cli_and_the_reports_as_in_the_label_table() {
    use xinfang_node::case::labels;

    let f = Fixture::new();
    f.init_pki(&[COUNTY, TOWN]);
    let _county = Killed(f.spawn_node(COUNTY));
    let _town = Killed(f.spawn_node(TOWN));
    f.ready(COUNTY);
    f.ready(TOWN);
    let due = (chrono::Utc::now() + chrono::Duration::days(20))
        .format("%Y-%m-%d")
        .to_string();
    let steps = |no: &str, unit: &str, args: &[&str]| {
        let mut all = vec!["case", args[0], no];
        all.extend_from_slice(&args[1..]);
        let v = f.json(unit, &all);
        assert_eq!(v["case_no"], no, "{all:?}");
    };
    let accept: &[&str] = &["screen", "--decision", "accept"];
    let reply: &[&str] = &["reply", "--opinion", "support", "--text", "予以支持"];
    let close_steps: Vec<&[&str]> = vec![
        accept,
        &["own", "--leader", "黄镇长"],
        reply,
        &["rate", "--acceptance", "satisfied", "--handling", "basic"],
        &["approve", "--leader", "黄镇长", "--opinion", "同意"],
        &[
            "close",
            "--facts-clear",
            "--handled-in-place",
            "--file-complete",
        ],
    ];
    // For each status, the steps (unit, arguments) that bring a new case there.
    type Steps<'a> = Vec<(&'a str, Vec<&'a str>)>;
    fn town<'a>(s: &[&[&'a str]]) -> Steps<'a> {
        s.iter().map(|a| (TOWN, a.to_vec())).collect()
    }
    let under_review = town(&[accept, reply, &["review", "--stage", "review"]]);
    let mut reviewed = under_review.clone();
    reviewed.push((
        COUNTY,
        vec![
            "review", "--stage", "review", "--decide", "support", "--text", "维持",
        ],
    ));
    let mut under_re_review = reviewed.clone();
    under_re_review.push((TOWN, vec!["review", "--stage", "re-review"]));
    let mut final_ = under_re_review.clone();
    final_.push((
        COUNTY,
        vec![
            "review",
            "--stage",
            "re-review",
            "--decide",
            "support",
            "--text",
            "维持",
        ],
    ));
    let mut archived = town(&close_steps);
    archived.push((TOWN, vec!["archive"]));
    let plans: Vec<(&str, Steps<'_>)> = vec![
        ("registered", vec![]),
        ("accepted", town(&[accept])),
        (
            "not_accepted",
            town(&[&[
                "screen",
                "--decision",
                "not-accept",
                "--notice",
                "告知",
                "--authority",
                "海丰县人民法院",
            ]]),
        ),
        (
            "to_discipline",
            town(&[&["screen", "--decision", "discipline", "--notice", "告知"]]),
        ),
        (
            "diverted",
            town(&[&[
                "screen",
                "--decision",
                "divert",
                "--track",
                "litigation",
                "--notice",
                "告知",
            ]]),
        ),
        (
            "routed",
            town(&[accept, &["forward", "--to", COUNTY, "--due", &due]]),
        ),
        ("handling", town(&[accept, &["note", "--text", "已核实"]])),
        ("replied", town(&[accept, reply])),
        ("closed", town(&close_steps)),
        ("archived", archived),
        ("under_review", under_review),
        ("reviewed", reviewed),
        ("under_re_review", under_re_review),
        ("final", final_),
    ];
    assert_eq!(plans.len(), labels::STATUSES.len(), "a status has no plan");
    let mut cases = Vec::new();
    for (i, (code, plan)) in plans.iter().enumerate() {
        let no = f.register(100 + i);
        let mut last = TOWN;
        for (unit, args) in plan {
            // A step at the other unit waits until it holds every record so far.
            if *unit != last {
                let records = |at: &str| {
                    f.at(at, &["case", "show", &no])
                        .status
                        .success()
                        .then(|| {
                            f.json(at, &["case", "show", &no])["records"]
                                .as_array()
                                .map(Vec::len)
                        })
                        .flatten()
                };
                f.wait(&format!("{no} at {unit} as at {last}"), || {
                    let here = records(unit);
                    here.is_some() && here == records(last)
                });
                last = unit;
            }
            steps(&no, unit, args);
        }
        cases.push((*code, no));
    }
    for (code, no) in &cases {
        let status = labels::status_of_code(code).expect("a status code");
        let label = labels::status(status);
        let v = f.json(TOWN, &["case", "show", no]);
        assert_eq!(v["status"], *code, "{no}");
        assert_eq!(shown_status(&f, TOWN, no, "zh"), label.zh, "{code}");
        assert_eq!(shown_status(&f, TOWN, no, "en"), label.en, "{code}");
    }
    // The county's report by status names each status as the table does.
    f.wait("every case at the county in its final status", || {
        cases.iter().all(|(code, no)| {
            f.at(COUNTY, &["case", "show", no]).status.success()
                && f.json(COUNTY, &["case", "show", no])["status"] == *code
        })
    });
    let month = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
        .format("%Y-%m")
        .to_string();
    let report = f.json(
        COUNTY,
        &["report", "breakdown", "--by", "status", "--month", &month],
    );
    let rows = report["rows"].as_array().expect("rows");
    for (code, _) in &cases {
        let status = labels::status_of_code(code).expect("a status code");
        let row = rows
            .iter()
            .find(|r| r["key"] == *code)
            .unwrap_or_else(|| panic!("no row for {code} in {report}"));
        assert_eq!(
            row["cells"][0]["text"],
            labels::status(status).zh,
            "{code}: {row}"
        );
    }
}

/// The duty roster and work report commands as scripts use them: the 2016 National
/// Day roster asked of the calendar, drafted with `--day`, approved, published and
/// on the county's board; a working day refused with a non-zero exit naming the
/// rule; the yearly summary generated and written as XLSX.
#[test]
fn duty_and_work_report_commands_keep_their_json_contract() {
    let f = Fixture::new();
    f.init_pki(&[COUNTY, TOWN]);
    let spawn = |unit: &str| {
        Killed(
            Command::new(exe())
                .args(["node", "run", "--unit", unit, "--durability", "normal"])
                .arg("--topology")
                .arg(&f.topology)
                .arg("--dir")
                .arg(f.fed())
                .env("XINFANG_CLOCK_START", "2016-09-01T10:00:00+08:00")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn node"),
        )
    };
    let _county = spawn(COUNTY);
    let _town = spawn(TOWN);
    f.ready(COUNTY);
    f.ready(TOWN);
    f.json(
        TOWN,
        &[
            "roster",
            "add",
            "--name",
            "林书记",
            "--position",
            "镇委书记",
            "--role",
            "principal",
        ],
    );
    let span = ["--span", "2016 国庆节"];
    let v = f.json(TOWN, &[&["duty", "days"][..], &span].concat());
    let dates: Vec<String> = v["dates"]
        .as_array()
        .expect("dates")
        .iter()
        .filter_map(|d| d.as_str().map(str::to_owned))
        .collect();
    assert_eq!(dates.len(), 7, "{v}");
    assert_eq!(dates[0], "2016-10-01");

    // The adjusted working Saturday after the holiday: refused, nothing written.
    let out = f.at(
        TOWN,
        &[
            &["duty", "draft"][..],
            &span,
            &["--day", "2016-10-08=林书记"],
        ]
        .concat(),
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("2016-10-08") && err.contains("duty.rest_day"),
        "{err}"
    );

    let days: Vec<String> = dates
        .iter()
        .map(|d| format!("{d}=林书记:0660-6612345"))
        .collect();
    let mut args: Vec<&str> = vec!["duty", "draft", "--span", "2016 国庆节"];
    for d in &days {
        args.extend(["--day", d.as_str()]);
    }
    let v = f.json(TOWN, &args);
    assert_eq!(v["state"], "draft", "{v}");
    let v = f.json(TOWN, &[&["duty", "approve"][..], &span].concat());
    assert_eq!(v["state"], "approved", "{v}");
    let v = f.json(TOWN, &[&["duty", "publish"][..], &span].concat());
    assert_eq!(v["state"], "published", "{v}");
    f.wait("the roster on the county's duty board", || {
        let b = f.json(COUNTY, &[&["duty", "board"][..], &span].concat());
        b["rows"]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["unit"] == TOWN))
            .is_some_and(|r| r["filed"] == true)
    });

    let v = f.json(TOWN, &["work-report", "generate", "--period", "2016"]);
    assert_eq!(v["kind"], "summary", "{v}");
    let lin = v["leaders"]
        .as_array()
        .and_then(|l| l.iter().find(|x| x["leader"] == "林书记"))
        .expect("林书记");
    assert_eq!(lin["duty_days"], 7, "{lin}");
    let xlsx = f.dir.path().join("summary.xlsx");
    let xlsx_arg = xlsx.to_str().expect("utf-8");
    f.json(
        TOWN,
        &[
            "work-report",
            "export",
            "--period",
            "2016",
            "--xlsx",
            xlsx_arg,
        ],
    );
    let bytes = std::fs::read(&xlsx).expect("the XLSX written");
    assert!(bytes.starts_with(b"PK"), "an XLSX (zip) file");
}

#[test]
fn accountability_commands_record_refuse_by_name_and_list_at_the_unit() {
    let f = Fixture::new();
    f.init_pki(&[COUNTY, TOWN]);
    let spawn = |unit: &str| {
        Killed(
            Command::new(exe())
                .args(["node", "run", "--unit", unit, "--durability", "normal"])
                .arg("--topology")
                .arg(&f.topology)
                .arg("--dir")
                .arg(f.fed())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn node"),
        )
    };
    let _county = spawn(COUNTY);
    let _town = spawn(TOWN);
    f.ready(COUNTY);
    f.ready(TOWN);
    f.json(
        TOWN,
        &[
            "roster",
            "add",
            "--name",
            "林书记",
            "--position",
            "镇委书记",
            "--role",
            "principal",
        ],
    );
    let v = f.json(COUNTY, &["accountability", "situations"]);
    assert_eq!(v["situations"].as_array().map(Vec::len), Some(9), "{v}");
    let evidence = format!("filing:{TOWN}/2026-05");
    let record = |situation: &str| {
        vec![
            "accountability",
            "record",
            "--about",
            TOWN,
            "--person",
            "leader:林书记",
            "--situation",
            situation,
            "--form",
            "notice",
            "--evidence",
            evidence.as_str(),
            "--text",
            "未按时报备接访安排表，予以通报。",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<String>>()
    };
    fn args(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
    // An unknown situation: refused by name, non-zero exit.
    let out = f.at(COUNTY, &args(&record("nope")));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("accountability.known_situation"), "{err}");
    // The leader reaches the county's copy of the roster, then the case records.
    let mut v = Value::Null;
    f.wait("the case recorded at the county", || {
        let out = f.at(COUNTY, &args(&record("duty-unmet")));
        if out.status.success() {
            v = serde_json::from_slice(&out.stdout).expect("JSON output");
        }
        out.status.success()
    });
    assert_eq!(v["form_label"], "通报", "{v}");
    assert_eq!(v["evidence"][0]["link"], evidence.as_str(), "{v}");
    f.wait("the case at the town", || {
        let l = f.json(TOWN, &["accountability", "list"]);
        l.as_array().is_some_and(|a| a.len() == 1)
    });
    let r = f.json(COUNTY, &["accountability", "report"]);
    assert_eq!(r["total_cases"], 1, "{r}");
    assert_eq!(r["rows"][0]["unit"], TOWN, "{r}");
}

#[test]
fn letter_and_assessment_commands_keep_their_json_contract() {
    let f = Fixture::new();
    f.init_pki(&[COUNTY, TOWN]);
    let spawn = |unit: &str| {
        Killed(
            Command::new(exe())
                .args(["node", "run", "--unit", unit, "--durability", "normal"])
                .arg("--topology")
                .arg(&f.topology)
                .arg("--dir")
                .arg(f.fed())
                .env("XINFANG_CLOCK_START", "2016-09-01T10:00:00+08:00")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn node"),
        )
    };
    let _county = spawn(COUNTY);
    let _town = spawn(TOWN);
    f.ready(COUNTY);
    f.ready(TOWN);
    let draft = |rate: &str| -> Vec<String> {
        [
            "letter",
            "draft",
            "--for",
            TOWN,
            "--year",
            "2016",
            "--rate",
            rate,
            "--skip-level",
            "3",
            "--measures",
            "未完成目标的，予以通报批评。",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
    };
    // An unknown rate: refused by field and rule, a non-zero exit.
    let bad = draft("speed=95");
    let out = f.at(COUNTY, &bad.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("letter.known_rate") && err.contains("targets.rate"),
        "{err}"
    );

    let good = draft("timely_acceptance=95");
    let v = f.json(COUNTY, &good.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(v[0]["unit"], TOWN, "{v}");
    assert_eq!(v[0]["targets"][0]["bound"], "≥ 95.0%", "{v}");
    assert_eq!(v[0]["targets"][1]["target"]["kind"], "skip_level", "{v}");
    f.wait("the letter at the town", || {
        f.json(TOWN, &["letter", "list", "--year", "2016"])
            .as_array()
            .is_some_and(|l| l.len() == 1)
    });
    let v = f.json(TOWN, &["letter", "acknowledge", "--year", "2016"]);
    assert!(
        v[0]["acknowledged_at"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "{v}"
    );
    f.wait("the acknowledgement at the county", || {
        f.json(COUNTY, &["assessment", "run", "--year", "2016"])["units"][0]["acknowledged"] == true
    });
    let v = f.json(COUNTY, &["assessment", "run", "--year", "2016", "--file"]);
    assert_eq!(v["units"][0]["unit"], TOWN, "{v}");
    assert_eq!(
        v["units"][0]["targets"].as_array().map(Vec::len),
        Some(2),
        "{v}"
    );
    assert!(v["filed_at"].as_str().is_some_and(|s| !s.is_empty()), "{v}");
    let xlsx = f.dir.path().join("assessment.xlsx");
    let xlsx_arg = xlsx.to_str().expect("utf-8");
    f.json(
        COUNTY,
        &["assessment", "export", "--year", "2016", "--xlsx", xlsx_arg],
    );
    let bytes = std::fs::read(&xlsx).expect("the XLSX written");
    assert!(bytes.starts_with(b"PK"), "an XLSX (zip) file");
}
