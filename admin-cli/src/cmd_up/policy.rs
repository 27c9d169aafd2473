//! When `up` restarts a node that exited, and when it gives up on it: pure
//! arithmetic on the node's exit times, so the rule is tested without processes.

use std::time::{Duration, Instant};

/// Exponential backoff within a window of recent exits.
///
/// Only exits within `window` of the latest count: a node that ran steadily for
/// longer than the window starts again from `first_delay`, while one that keeps
/// crashing waits longer each time and is given up on at its `max_exits`-th exit
/// within the window (a node that cannot start — a taken port, a broken database —
/// would otherwise be restarted forever and bury the others' messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestartPolicy {
    /// Wait before the first restart.
    pub first_delay: Duration,
    /// The wait doubles with each recent exit up to this.
    pub max_delay: Duration,
    /// This many exits within `window` and the node is not restarted again.
    pub max_exits: usize,
    pub window: Duration,
}

impl Default for RestartPolicy {
    /// 0.5 s doubling to 30 s; five exits within 60 s give up.
    fn default() -> RestartPolicy {
        RestartPolicy {
            first_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_exits: 5,
            window: Duration::from_secs(60),
        }
    }
}

/// What to do about a node that just exited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Start it again after this wait.
    RestartAfter(Duration),
    /// Leave it stopped: it exited `exits` times within the window.
    GiveUp { exits: usize },
}

impl RestartPolicy {
    /// Decides about a node whose exit times so far are `exits`, oldest first, the
    /// exit just seen last. No exits at all (nothing to decide) restarts at once
    /// after the first delay.
    pub fn decide(&self, exits: &[Instant]) -> Decision {
        let Some(&latest) = exits.last() else {
            return Decision::RestartAfter(self.first_delay);
        };
        let recent = self.recent(exits, latest);
        if recent >= self.max_exits.max(1) {
            return Decision::GiveUp { exits: recent };
        }
        // recent ≥ 1: the latest exit is always within its own window.
        let doublings = u32::try_from(recent.saturating_sub(1)).unwrap_or(u32::MAX);
        let factor = 1u32.checked_shl(doublings).unwrap_or(u32::MAX);
        Decision::RestartAfter(self.first_delay.saturating_mul(factor).min(self.max_delay))
    }

    /// Drops exit times that can no longer count (older than the window before
    /// `now`), so a node restarted for weeks keeps a short list.
    pub fn forget_old(&self, exits: &mut Vec<Instant>, now: Instant) {
        exits.retain(|t| now.saturating_duration_since(*t) < self.window);
    }

    fn recent(&self, exits: &[Instant], latest: Instant) -> usize {
        exits
            .iter()
            .filter(|t| latest.saturating_duration_since(**t) < self.window)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn at(t0: Instant, secs: &[u64]) -> Vec<Instant> {
        secs.iter().map(|s| t0 + Duration::from_secs(*s)).collect()
    }

    #[test]
    fn the_wait_doubles_with_each_recent_exit() {
        let p = RestartPolicy::default();
        let t0 = Instant::now();
        let waits: Vec<Decision> = (1..=4)
            .map(|n| p.decide(&at(t0, &[0, 1, 2, 3][..n])))
            .collect();
        assert_eq!(
            waits,
            [ms(500), ms(1000), ms(2000), ms(4000)].map(Decision::RestartAfter)
        );
    }

    #[test]
    fn the_fifth_exit_within_a_minute_gives_up() {
        let p = RestartPolicy::default();
        let t0 = Instant::now();
        assert_eq!(
            p.decide(&at(t0, &[0, 10, 20, 30, 59])),
            Decision::GiveUp { exits: 5 }
        );
        // The same five exits spread over more than the window: only the last
        // four count, so it is restarted, after the fourth wait.
        assert_eq!(
            p.decide(&at(t0, &[0, 10, 20, 30, 61])),
            Decision::RestartAfter(ms(4000))
        );
    }

    #[test]
    fn a_node_that_ran_longer_than_the_window_starts_over() {
        let p = RestartPolicy::default();
        let t0 = Instant::now();
        assert_eq!(
            p.decide(&at(t0, &[0, 1, 2, 3, 600])),
            Decision::RestartAfter(ms(500))
        );
    }

    #[test]
    fn the_wait_stops_at_the_cap() {
        let p = RestartPolicy {
            max_exits: 100,
            max_delay: Duration::from_secs(3),
            ..RestartPolicy::default()
        };
        let t0 = Instant::now();
        let exits: Vec<Instant> = (0..50).map(|i| t0 + ms(i)).collect();
        assert_eq!(
            p.decide(&exits),
            Decision::RestartAfter(Duration::from_secs(3))
        );
    }

    #[test]
    fn no_exits_and_odd_settings_do_not_panic() {
        let t0 = Instant::now();
        let p = RestartPolicy::default();
        assert_eq!(p.decide(&[]), Decision::RestartAfter(ms(500)));
        // Zero allowed exits reads as one: the first exit gives up.
        let never = RestartPolicy { max_exits: 0, ..p };
        assert_eq!(never.decide(&[t0]), Decision::GiveUp { exits: 1 });
        // Exit times out of order (a clock cannot go back, but a caller might
        // pass them so): no panic, no negative durations.
        let _ = p.decide(&[t0 + ms(5000), t0]);
    }

    #[test]
    fn old_exits_are_forgotten() {
        let p = RestartPolicy::default();
        let t0 = Instant::now();
        let mut exits = at(t0, &[0, 30, 70, 100]);
        p.forget_old(&mut exits, t0 + Duration::from_secs(100));
        assert_eq!(exits, at(t0, &[70, 100]));
    }
}
