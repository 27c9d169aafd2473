//! How a unit test that cannot run on this machine says so: one line
//! `SKIPPED: <test>: <reason>` written straight to the process's standard error
//! (the test harness captures `eprintln!`, which would hide the skip), or, where
//! the environment says the missing dependency must be there, a failure.

use std::io::Write;

/// Set to `1` where the fonts the chart tests use must be installed (CI): a test
/// that would skip for want of a font fails instead.
pub const REQUIRE_FONT: &str = "XINFANG_REQUIRE_FONT";

/// Skips `test` for `reason`, or panics with the reason when the environment
/// variable `require` is `1`.
pub fn skip(test: &str, reason: &str, require: &str) {
    if std::env::var(require).is_ok_and(|v| v == "1") {
        panic!("{test}: {reason} ({require}=1: this test must run here)");
    }
    let _ = writeln!(std::io::stderr(), "SKIPPED: {test}: {reason}");
}

/// [`skip`] for want of a font ([`REQUIRE_FONT`]).
pub fn skip_for_font(test: &str, reason: &str) {
    skip(test, reason, REQUIRE_FONT)
}
