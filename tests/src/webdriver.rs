//! A real browser driven like a person, for the staff console's tests: Debian's
//! `chromedriver` (package `chromium-driver`) started by the test on a free
//! loopback port, and headless Chromium sessions through it with `fantoccini`.
//! Each [`Browser`] is its own session: its own profile and cookies, as two
//! people at two desks.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::skip::{Dependency, skip};

/// Environment variable naming the driver binary; it wins over the search.
pub const DRIVER_ENV: &str = "XINFANG_CHROMEDRIVER";

/// How long a wait for something on a page may take.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// The browser and its driver, or `None` once the skip is reported (panics when
/// `XINFANG_REQUIRE_CHROMIUM=1`).
pub fn driver_or_skip(test: &str) -> Option<(PathBuf, PathBuf)> {
    let browser = crate::skip::chromium_or_skip(test)?;
    let driver = std::env::var_os(DRIVER_ENV)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| on_path("chromedriver"));
    match driver {
        Some(d) if d.is_file() => Some((browser, d)),
        _ => {
            skip(
                test,
                Dependency::Chromium,
                &format!(
                    "no chromedriver found (install Debian's `chromium-driver` package or set \
                     {DRIVER_ENV} to the binary)"
                ),
            );
            None
        }
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// A running chromedriver; stopped (with its browsers) when dropped.
pub struct Driver {
    child: Child,
    url: String,
    browser: PathBuf,
    profiles: tempfile::TempDir,
}

impl Driver {
    /// Starts `driver` on a free loopback port and waits until it answers as
    /// chromedriver. A port found free can be taken again before chromedriver
    /// binds it (then it exits, or another server answers there): it is started
    /// again on another port, three times at most.
    pub async fn start(browser: &Path, driver: &Path) -> anyhow::Result<Driver> {
        let mut failed = Vec::new();
        for _ in 0..3 {
            match Self::start_once(browser, driver).await {
                Ok(d) => return Ok(d),
                Err(e) => failed.push(format!("{e:#}")),
            }
        }
        bail!("chromedriver did not start: {}", failed.join("; then "))
    }

    async fn start_once(browser: &Path, driver: &Path) -> anyhow::Result<Driver> {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0")?;
            l.local_addr()?.port()
        };
        let profiles = tempfile::tempdir()?;
        let log = std::fs::File::create(profiles.path().join("chromedriver.log"))?;
        let mut cmd = Command::new(driver);
        cmd.arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        // Its own process group, so stopping it stops the browsers it started.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {}", driver.display()))?;
        let mut d = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            browser: browser.to_path_buf(),
            profiles,
        };
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        // Its status page, not just an open port: another server may hold it.
        // A chromedriver that exited ends the wait at once, with its status.
        let waited = crate::wait_for("chromedriver to say it is ready", PATIENCE, || {
            let exited = d.child.try_wait();
            async move {
                if let Some(status) = exited? {
                    return Ok(Some(Err(status)));
                }
                Ok(match crate::http_get(addr, "/status").await {
                    Ok((200, _, body)) if body.contains("\"ready\"") => Some(Ok(())),
                    _ => None,
                })
            }
        })
        .await;
        match waited {
            Ok(Ok(())) => Ok(d),
            Ok(Err(status)) => bail!("it exited ({status}) on port {port}: {}", d.log_tail()),
            Err(e) => bail!("on port {port}: {e:#}: {}", d.log_tail()),
        }
    }

    /// The end of chromedriver's log, for an error.
    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.profiles.path().join("chromedriver.log"))
            .unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = &lines[lines.len().saturating_sub(5)..];
        format!("its log ends: {:?}", tail.join(" | "))
    }

    /// A new browser session (its own profile), 1366×768, Chinese first. A
    /// browser that fails to start is started once more, on a fresh profile,
    /// and both failures are said if the second fails too.
    pub async fn browser(&self) -> anyhow::Result<Browser> {
        let mut failed = Vec::new();
        for _ in 0..2 {
            let profile = tempfile::tempdir_in(self.profiles.path())?;
            let opened =
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                    .capabilities(self.capabilities(profile.path())?)
                    .connect(&self.url)
                    .await;
            match opened {
                Ok(client) => {
                    return Ok(Browser {
                        client,
                        _profile: profile,
                    });
                }
                Err(e) => failed.push(e.to_string()),
            }
        }
        bail!(
            "opening a browser session through chromedriver: {}; {}",
            failed.join("; then "),
            self.log_tail()
        )
    }

    /// What a session asks of chromedriver, with its browser profile at `profile`.
    fn capabilities(
        &self,
        profile: &Path,
    ) -> anyhow::Result<serde_json::Map<String, serde_json::Value>> {
        let caps = json!({
            // The nodes' certificates come from the federation's own root, which
            // this throw-away profile does not trust; the connection is still TLS.
            "acceptInsecureCerts": true,
            "goog:chromeOptions": {
                "binary": self.browser,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--no-first-run",
                    "--no-default-browser-check",
                    "--disable-extensions",
                    "--disable-background-networking",
                    "--window-size=1366,768",
                    "--lang=zh-CN",
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        });
        match caps {
            serde_json::Value::Object(m) => Ok(m),
            _ => bail!("capabilities are an object"),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        #[cfg(unix)]
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One person's browser.
pub struct Browser {
    pub client: Client,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn goto(&self, url: &str) -> anyhow::Result<()> {
        Ok(self.client.goto(url).await?)
    }

    /// The input the `<label>` showing exactly `text` names, within the element
    /// at `within` (CSS): found as a screen reader finds it, by its label.
    pub async fn field_in(
        &self,
        within: &str,
        text: &str,
    ) -> anyhow::Result<fantoccini::elements::Element> {
        let scope = self
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(within))
            .await
            .with_context(|| format!("nothing matches {within}"))?;
        let label = scope
            .find(Locator::XPath(&format!(
                ".//label[normalize-space(.)='{text}']"
            )))
            .await
            .with_context(|| format!("no field labelled {text:?} in {within}"))?;
        let id = label
            .attr("for")
            .await?
            .with_context(|| format!("the label {text:?} names no input"))?;
        Ok(self.client.find(Locator::Id(&id)).await?)
    }

    /// The input labelled `text` anywhere on the page.
    pub async fn field(&self, text: &str) -> anyhow::Result<fantoccini::elements::Element> {
        self.field_in("body", text).await
    }

    /// Types `value` into the field labelled `label` in `within`, replacing what
    /// was there.
    pub async fn type_in(&self, within: &str, label: &str, value: &str) -> anyhow::Result<()> {
        let f = self.field_in(within, label).await?;
        f.clear().await?;
        f.send_keys(value).await?;
        Ok(())
    }

    /// Types `value` into the field labelled `label`, replacing what was there.
    pub async fn type_into(&self, label: &str, value: &str) -> anyhow::Result<()> {
        self.type_in("body", label, value).await
    }

    /// Sets a date field labelled `label` in `within` (a browser's own date
    /// picker is typed into differently in every locale; its value is not).
    pub async fn set_date(&self, within: &str, label: &str, day: &str) -> anyhow::Result<()> {
        let f = self.field_in(within, label).await?;
        self.client
            .execute(
                "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change'));",
                vec![serde_json::to_value(&f)?, json!(day)],
            )
            .await?;
        Ok(())
    }

    /// Picks the option shown as `text` (or starting with it) in the list
    /// labelled `label` within `within`.
    pub async fn pick_in(&self, within: &str, label: &str, text: &str) -> anyhow::Result<()> {
        let f = self.field_in(within, label).await?;
        let option = f
            .find(Locator::XPath(&format!(
                ".//option[starts-with(normalize-space(.), '{text}')]"
            )))
            .await
            .with_context(|| format!("no option {text:?} in {label:?}"))?;
        option.click().await?;
        Ok(())
    }

    /// Picks the option shown as `text` in the list labelled `label`.
    pub async fn pick(&self, label: &str, text: &str) -> anyhow::Result<()> {
        self.pick_in("body", label, text).await
    }

    /// Opens the collapsed section at `css` (a `<details>`) by clicking its summary.
    pub async fn open(&self, css: &str) -> anyhow::Result<()> {
        let d = self
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("nothing matches {css}"))?;
        if d.attr("open").await?.is_none() {
            d.find(Locator::Css("summary")).await?.click().await?;
        }
        Ok(())
    }

    /// The current value of the field labelled `label`.
    pub async fn value_of(&self, label: &str) -> anyhow::Result<String> {
        Ok(self
            .field(label)
            .await?
            .prop("value")
            .await?
            .unwrap_or_default())
    }

    /// Clicks the button showing `text` inside the element at `within` (CSS).
    pub async fn press(&self, within: &str, text: &str) -> anyhow::Result<()> {
        let scope = self.client.find(Locator::Css(within)).await?;
        let b = scope
            .find(Locator::XPath(&format!(
                ".//button[normalize-space(.)='{text}']"
            )))
            .await
            .with_context(|| format!("no button {text:?} in {within}"))?;
        b.click().await?;
        Ok(())
    }

    /// Waits until an element matching `css` is on the page; its text. (A page
    /// replaced while it is read is read again.)
    pub async fn text_of(&self, css: &str) -> anyhow::Result<String> {
        self.text_when(css, |_| true).await
    }

    /// Waits until an element matching `css` shows a text `ready` accepts (a
    /// click's new page may still be on its way); that text.
    pub async fn text_when(
        &self,
        css: &str,
        ready: impl Fn(&str) -> bool,
    ) -> anyhow::Result<String> {
        let deadline = std::time::Instant::now() + PATIENCE;
        let mut last = String::new();
        loop {
            if let Ok(e) = self.client.find(Locator::Css(css)).await {
                match e.text().await {
                    Ok(t) if ready(&t) => return Ok(t),
                    Ok(t) => last = t,
                    // Stale: the page changed under us; look again.
                    Err(_) => {}
                }
            }
            if std::time::Instant::now() > deadline {
                bail!("waited {PATIENCE:?} for {css} to show what was expected; last: {last:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Whether an element matching `css` is on the page now.
    pub async fn has(&self, css: &str) -> anyhow::Result<bool> {
        Ok(!self.client.find_all(Locator::Css(css)).await?.is_empty())
    }

    /// The text of the whole page as shown.
    pub async fn page_text(&self) -> anyhow::Result<String> {
        self.text_of("body").await
    }

    /// Writes a PNG of the page to `dir/name.png`.
    pub async fn screenshot(&self, dir: &Path, name: &str) -> anyhow::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let png = self.client.screenshot().await?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    pub async fn close(self) -> anyhow::Result<()> {
        Ok(self.client.close().await?)
    }
}
