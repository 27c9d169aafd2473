//! Headless Chromium for tests of published pages: the DOM as the browser built it,
//! and screenshots. Not every machine has a browser: tests that need one ask
//! [`crate::skip::chromium_or_skip`], which says the test is skipped, or fails it
//! where `XINFANG_REQUIRE_CHROMIUM=1`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// Environment variable naming the browser binary; it wins over the search.
pub const ENV: &str = "XINFANG_CHROMIUM";
/// A browser that has not finished by then is killed.
pub const TIMEOUT: Duration = Duration::from_secs(60);

const CANDIDATES: [&str; 4] = [
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];

/// The browser: `$XINFANG_CHROMIUM` if set (and existing), else the first of
/// chromium, chromium-browser, google-chrome on `PATH` (Debian: /usr/bin/chromium).
pub fn find() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(ENV).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        // An explicit choice that does not exist is not silently replaced by another.
        return if p.is_file() { Some(p) } else { on_path(&p) };
    }
    CANDIDATES.iter().find_map(|name| on_path(Path::new(name)))
}

fn on_path(name: &Path) -> Option<PathBuf> {
    if name.components().count() > 1 {
        return name.is_file().then(|| name.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The DOM after the page loaded and ran (`--dump-dom`).
pub fn dump_dom(html: &Path) -> anyhow::Result<String> {
    let url = file_url(html)?;
    let out = run(&["--dump-dom".to_owned(), url])?;
    String::from_utf8(out).context("chromium printed a DOM that is not UTF-8")
}

/// A 1200×1600 PNG of the page.
pub fn screenshot(html: &Path, png: &Path) -> anyhow::Result<()> {
    let url = file_url(html)?;
    let png = absolute(png)?;
    if png.exists() {
        std::fs::remove_file(&png)
            .with_context(|| format!("removing the old screenshot {}", png.display()))?;
    }
    run(&[
        format!("--screenshot={}", png.display()),
        "--window-size=1200,1600".to_owned(),
        url,
    ])?;
    // Chromium exits 0 even when it could not write the file: check.
    let meta = std::fs::metadata(&png)
        .with_context(|| format!("chromium wrote no screenshot at {}", png.display()))?;
    if meta.len() == 0 {
        bail!("chromium wrote an empty screenshot at {}", png.display());
    }
    Ok(())
}

/// Runs the browser headless with a throw-away profile; returns its stdout.
fn run(args: &[String]) -> anyhow::Result<Vec<u8>> {
    let bin = find().with_context(|| {
        format!(
            "no Chromium found (install Debian's `chromium` package or set {ENV} to the binary)"
        )
    })?;
    let profile = tempfile::tempdir().context("creating a temporary Chromium profile")?;
    // Output goes to files, not pipes: a full pipe would block the browser while
    // we poll for its exit.
    let stdout_path = profile.path().join("stdout");
    let stderr_path = profile.path().join("stderr");
    let stdout = File::create(&stdout_path).context("creating the stdout file")?;
    let stderr = File::create(&stderr_path).context("creating the stderr file")?;
    let mut cmd = Command::new(&bin);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        "--hide-scrollbars",
        "--disable-extensions",
        "--disable-background-networking",
        "--mute-audio",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(args)
    .stdin(Stdio::null())
    .stdout(stdout)
    .stderr(stderr);
    // Its own process group, so a timeout kills the renderer and GPU helpers too.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let status = wait_with_deadline(&mut child, TIMEOUT)?;
    let err_text = || {
        let text = std::fs::read_to_string(&stderr_path).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(20).collect();
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    };
    let Some(status) = status else {
        bail!(
            "{} did not finish within {} s and was killed; its last messages:\n{}",
            bin.display(),
            TIMEOUT.as_secs(),
            err_text()
        );
    };
    if !status.success() {
        bail!("{} failed ({status}):\n{}", bin.display(), err_text());
    }
    std::fs::read(&stdout_path).context("reading chromium's output")
}

/// Waits for the child, polling every 100 ms; kills it (and its group) at the
/// deadline and returns `None`.
fn wait_with_deadline(child: &mut Child, timeout: Duration) -> anyhow::Result<Option<ExitStatus>> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().context("waiting for chromium")? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            kill_group(child);
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[cfg(unix)]
fn kill_group(child: &Child) {
    // The group id is the child's pid (process_group(0) above). Without libc, the
    // kill(1) command does it; failure only leaves helpers to exit on their own.
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

#[cfg(not(unix))]
fn kill_group(_child: &Child) {}

fn absolute(p: &Path) -> anyhow::Result<PathBuf> {
    if p.is_absolute() {
        Ok(p.to_path_buf())
    } else {
        Ok(std::env::current_dir()
            .context("finding the current directory")?
            .join(p))
    }
}

/// `file://` URL of an existing file, percent-encoding everything but unreserved
/// characters and `/` (paths may hold spaces or Chinese).
pub fn file_url(path: &Path) -> anyhow::Result<String> {
    let path = path
        .canonicalize()
        .with_context(|| format!("{} does not exist", path.display()))?;
    let s = path
        .to_str()
        .with_context(|| format!("{} is not valid UTF-8", path.display()))?;
    let mut url = String::from("file://");
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            url.push(char::from(b));
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_urls_are_encoded() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("四月 schedule.html");
        std::fs::write(&p, "x").unwrap();
        let url = file_url(&p).unwrap();
        assert!(url.starts_with("file:///"), "{url}");
        assert!(
            url.ends_with("/%E5%9B%9B%E6%9C%88%20schedule.html"),
            "{url}"
        );
        assert!(file_url(&dir.path().join("missing.html")).is_err());
    }

    #[test]
    fn a_page_round_trips_through_the_browser_when_there_is_one() {
        let test = "chromium::tests::a_page_round_trips_through_the_browser_when_there_is_one";
        if crate::skip::chromium_or_skip(test).is_none() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let html = dir.path().join("p.html");
        std::fs::write(
            &html,
            "<!DOCTYPE html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><body><p id=x>陈紫光</p>\
             <script>document.getElementById('x').dataset.ran='yes'</script></body></html>",
        )
        .unwrap();
        let dom = dump_dom(&html).unwrap();
        assert!(dom.contains("陈紫光"), "{dom}");
        assert!(dom.contains("data-ran=\"yes\""), "{dom}");
        let png = dir.path().join("p.png");
        screenshot(&html, &png).unwrap();
        let bytes = std::fs::read(&png).unwrap();
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    }
}
