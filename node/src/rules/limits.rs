//! The legal time limits of a petition case (《信访工作条例》 2022, "Reg-2022"), as
//! configuration: the days and how they count. Defaults are the regulation's.

use serde::{Deserialize, Serialize};

use super::calendar::{CountingRule, DayCount};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limit {
    pub days: u32,
    pub rule: CountingRule,
}

impl Limit {
    const fn calendar(days: u32) -> Limit {
        Limit {
            days,
            rule: CountingRule {
                count: DayCount::Calendar,
                roll_to_working_day: true,
            },
        }
    }
    const fn working(days: u32) -> Limit {
        Limit {
            days,
            rule: CountingRule {
                count: DayCount::Working,
                roll_to_working_day: true,
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeLimits {
    /// From receipt to forwarding or assigning (art. 22): 15 days.
    pub forward: Limit,
    /// The receiving unit tells the petitioner whether it accepts (art. 23): 15 days.
    pub notify: Limit,
    /// The receiving unit may object that the matter is not its own (art. 23):
    /// 5 working days.
    pub object: Limit,
    /// Handling (art. 34): 60 days.
    pub handle: Limit,
    /// The most an approved extension may add (art. 34): 30 days.
    pub max_extension_days: u32,
    /// Requesting review after the written opinion (art. 35): 30 days.
    pub review_request: Limit,
    /// Answering a review (art. 35): 30 days.
    pub review_answer: Limit,
    /// Requesting re-review after the review opinion (art. 36): 30 days.
    pub rereview_request: Limit,
    /// Answering a re-review (art. 36): 30 days.
    pub rereview_answer: Limit,
    /// A major or urgent matter (重大、紧急信访事项) is given an owning leader
    /// within this many days of being flagged (seed 000: 落实领导包案; the days
    /// are local practice): 3 days by default.
    pub major_ownership: Limit,
    /// How far a record from a peer may be dated after this node's clock before
    /// it is refused (`record.future`): clocks drift, but a record from the
    /// future would sort before the records written after it.
    #[serde(default = "default_future_tolerance")]
    pub future_tolerance_minutes: u32,
    /// Which cases the five closure conditions (五不结案) bind: every case (the
    /// default), or, as seed 001 writes them ("对领导接访的信访事项"), only cases a
    /// leader received or owns.
    #[serde(default)]
    pub closure_conditions: ClosureScope,
}

/// The cases the five closure conditions bind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosureScope {
    /// Every case.
    #[default]
    All,
    /// Cases received by a leader (领导接访, the registration names one) or owned
    /// by one (包案); any other case closes once screened and answered.
    LeaderCases,
}

fn default_future_tolerance() -> u32 {
    15
}

impl Default for TimeLimits {
    fn default() -> Self {
        TimeLimits {
            forward: Limit::calendar(15),
            notify: Limit::calendar(15),
            object: Limit::working(5),
            handle: Limit::calendar(60),
            max_extension_days: 30,
            review_request: Limit::calendar(30),
            review_answer: Limit::calendar(30),
            rereview_request: Limit::calendar(30),
            rereview_answer: Limit::calendar(30),
            major_ownership: Limit::calendar(3),
            future_tolerance_minutes: default_future_tolerance(),
            closure_conditions: ClosureScope::All,
        }
    }
}

impl TimeLimits {
    /// Reads limits from TOML, falling back to nothing: every limit must be named.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| format!("time limits: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_regulations_and_round_trip() {
        let l = TimeLimits::default();
        assert_eq!((l.forward.days, l.notify.days, l.handle.days), (15, 15, 60));
        assert_eq!(l.object.rule.count, DayCount::Working);
        assert_eq!(l.max_extension_days, 30);
        let text = toml::to_string(&l).unwrap();
        assert_eq!(TimeLimits::from_toml(&text).unwrap(), l);
        assert!(
            TimeLimits::from_toml("forward = 3")
                .unwrap_err()
                .contains("forward")
        );
    }

    #[test]
    fn the_closure_conditions_bind_every_case_unless_configured() {
        let all = toml::to_string(&TimeLimits::default()).unwrap();
        assert!(all.contains("closure_conditions = \"all\""), "{all}");
        let leaders = all.replace(
            "closure_conditions = \"all\"",
            "closure_conditions = \"leader_cases\"",
        );
        assert_eq!(
            TimeLimits::from_toml(&leaders).unwrap().closure_conditions,
            ClosureScope::LeaderCases
        );
        // Files written before the setting existed keep binding every case.
        let old = all.replace("closure_conditions = \"all\"", "");
        assert_eq!(
            TimeLimits::from_toml(&old).unwrap().closure_conditions,
            ClosureScope::All
        );
        let e = TimeLimits::from_toml(&all.replace("\"all\"", "\"some\"")).unwrap_err();
        assert!(e.contains("closure_conditions"), "{e}");
    }
}
