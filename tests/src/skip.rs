//! Tests that cannot run for lack of a dependency (PostgreSQL, Chromium, a CJK
//! font) say so on the terminal, and fail instead where the dependency is required.
//!
//! A skip is one line `SKIPPED: <test>: <reason>` written straight to standard
//! error: `eprintln!` would go to the test harness's capture, shown only when the
//! test fails, so a skipped test would look like a pass. `.ci/run` counts these
//! lines apart from the passes. When the dependency's requirement variable is `1`
//! (CI sets all three) the test panics with the same reason instead.

use std::io::Write;
use std::path::PathBuf;

use crate::chromium;

/// Something a test needs that not every machine has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dependency {
    /// The test PostgreSQL server (`XINFANG_TEST_POSTGRES`).
    Postgres,
    /// A headless Chromium (`XINFANG_CHROMIUM` or on `PATH`).
    Chromium,
    /// A CJK font for drawing charts (`XINFANG_CJK_FONT` or a well-known one).
    Font,
    /// Poppler's `pdftotext` and `pdftoppm` (Debian's `poppler-utils`), which
    /// read printed notices back.
    Poppler,
}

impl Dependency {
    /// The variable that, set to `1`, turns a skip into a failure.
    pub fn requirement(self) -> &'static str {
        match self {
            Dependency::Postgres => "XINFANG_REQUIRE_POSTGRES",
            Dependency::Chromium => "XINFANG_REQUIRE_CHROMIUM",
            Dependency::Font => "XINFANG_REQUIRE_FONT",
            Dependency::Poppler => "XINFANG_REQUIRE_POPPLER",
        }
    }

    /// Whether this machine must have it (its requirement variable is `1`).
    pub fn required(self) -> bool {
        std::env::var(self.requirement()).is_ok_and(|v| v == "1")
    }
}

/// Says on the terminal that `test` is skipped because of `reason`, or panics
/// with the reason when `dependency` is required here.
pub fn skip(test: &str, dependency: Dependency, reason: &str) {
    if dependency.required() {
        panic!(
            "{test}: {reason} ({}=1 requires it)",
            dependency.requirement()
        );
    }
    let _ = writeln!(std::io::stderr(), "SKIPPED: {test}: {reason}");
}

/// Whether the PostgreSQL variant of `test` can run; when it cannot, the hub's
/// scratch-schema helper has said so the same way (or panicked, if required).
pub async fn postgres_or_skip(test: &str) -> bool {
    xinfang_hub::db::scratch::available(test).await
}

/// The browser for `test`, or `None` once the skip is reported (panics when
/// `XINFANG_REQUIRE_CHROMIUM=1`).
pub fn chromium_or_skip(test: &str) -> Option<PathBuf> {
    let found = chromium::find();
    if found.is_none() {
        skip(
            test,
            Dependency::Chromium,
            &format!(
                "no Chromium found (install Debian's `chromium` package or set {} to the binary)",
                chromium::ENV
            ),
        );
    }
    found
}
