//! Wrong query codes, counted per case number: after [`FREE_FAILURES`] wrong
//! codes for one number, that number waits before its next try (doubling from
//! one second up to a quarter of an hour), while every other number is answered
//! as before. A page that could be asked without end would let a guesser walk
//! the codes of one case; slowing the number, not the caller, needs no address
//! and holds against guessers who change theirs.
//!
//! In memory: a restart forgets the counts (the codes' 80 bits are what protect
//! a case; this only makes guessing slower still).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Wrong codes for one case number answered without delay.
pub const FREE_FAILURES: u32 = 10;

/// The first wait once a number is slowed; each further failure doubles it.
const FIRST_WAIT: Duration = Duration::from_secs(1);

/// The longest wait.
const MAX_WAIT: Duration = Duration::from_secs(15 * 60);

/// A number not tried for this long starts again from nothing.
const FORGET_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Numbers tracked at most; beyond it, the longest untried ones are forgotten.
const MAX_TRACKED: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Tally {
    failures: u32,
    last: Instant,
}

/// The wait owed after `failures` wrong codes.
fn wait_after(failures: u32) -> Duration {
    if failures < FREE_FAILURES {
        return Duration::ZERO;
    }
    let doublings = (failures - FREE_FAILURES).min(20);
    FIRST_WAIT.saturating_mul(1 << doublings).min(MAX_WAIT)
}

#[derive(Debug, Default)]
pub struct CodeAttempts {
    tallies: Mutex<HashMap<String, Tally>>,
}

impl CodeAttempts {
    /// How long `case_no` must still wait before a code is tried for it (None:
    /// it may be tried now).
    pub fn wait_before(&self, case_no: &str, now: Instant) -> Option<Duration> {
        let tallies = self.tallies.lock().unwrap_or_else(|p| p.into_inner());
        let t = tallies.get(case_no)?;
        let free_at = t.last + wait_after(t.failures);
        (free_at > now).then(|| free_at - now)
    }

    /// A wrong code (or a number no case has) was tried for `case_no`.
    pub fn failed(&self, case_no: &str, now: Instant) {
        let mut tallies = self.tallies.lock().unwrap_or_else(|p| p.into_inner());
        if tallies.len() >= MAX_TRACKED && !tallies.contains_key(case_no) {
            tallies.retain(|_, t| now.duration_since(t.last) < FORGET_AFTER);
            if tallies.len() >= MAX_TRACKED
                && let Some(oldest) = tallies
                    .iter()
                    .min_by_key(|(_, t)| t.last)
                    .map(|(k, _)| k.clone())
            {
                tallies.remove(&oldest);
            }
        }
        let t = tallies.entry(case_no.to_owned()).or_insert(Tally {
            failures: 0,
            last: now,
        });
        if now.duration_since(t.last) >= FORGET_AFTER {
            t.failures = 0;
        }
        t.failures = t.failures.saturating_add(1);
        t.last = now;
    }

    /// The right code was given: the number starts again from nothing.
    pub fn succeeded(&self, case_no: &str) {
        let mut tallies = self.tallies.lock().unwrap_or_else(|p| p.into_inner());
        tallies.remove(case_no);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_wrong_codes_are_free_then_the_number_waits_longer_each_time() {
        let a = CodeAttempts::default();
        let t0 = Instant::now();
        for _ in 0..FREE_FAILURES - 1 {
            a.failed("N", t0);
        }
        assert_eq!(a.wait_before("N", t0), None, "nine are free");
        a.failed("N", t0);
        assert_eq!(a.wait_before("N", t0), Some(FIRST_WAIT));
        assert_eq!(a.wait_before("N", t0 + FIRST_WAIT), None);
        a.failed("N", t0 + FIRST_WAIT);
        assert_eq!(a.wait_before("N", t0 + FIRST_WAIT), Some(2 * FIRST_WAIT));
        assert_eq!(
            a.wait_before("other", t0),
            None,
            "other numbers are not slowed"
        );
        for _ in 0..40 {
            a.failed("N", t0);
        }
        assert_eq!(a.wait_before("N", t0), Some(MAX_WAIT));
        a.succeeded("N");
        assert_eq!(a.wait_before("N", t0), None);
    }
}
