//! The statutory holidays by name (全国年节及纪念日放假办法: 元旦, 春节, 清明节,
//! 劳动节, 端午节, 中秋节, 国庆节), so a duty roster can be asked for "2026 国庆节"
//! and the calendar answer with that year's days off.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Holiday {
    NewYear,
    SpringFestival,
    Qingming,
    LabourDay,
    DragonBoat,
    MidAutumn,
    NationalDay,
}

impl Holiday {
    pub const ALL: [Holiday; 7] = [
        Holiday::NewYear,
        Holiday::SpringFestival,
        Holiday::Qingming,
        Holiday::LabourDay,
        Holiday::DragonBoat,
        Holiday::MidAutumn,
        Holiday::NationalDay,
    ];

    /// The code used in ids and in the calendar file.
    pub fn code(self) -> &'static str {
        match self {
            Holiday::NewYear => "new_year",
            Holiday::SpringFestival => "spring_festival",
            Holiday::Qingming => "qingming",
            Holiday::LabourDay => "labour_day",
            Holiday::DragonBoat => "dragon_boat",
            Holiday::MidAutumn => "mid_autumn",
            Holiday::NationalDay => "national_day",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Holiday::NewYear => "元旦",
            Holiday::SpringFestival => "春节",
            Holiday::Qingming => "清明节",
            Holiday::LabourDay => "劳动节",
            Holiday::DragonBoat => "端午节",
            Holiday::MidAutumn => "中秋节",
            Holiday::NationalDay => "国庆节",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Holiday::NewYear => "New Year's Day",
            Holiday::SpringFestival => "Spring Festival",
            Holiday::Qingming => "Qingming Festival",
            Holiday::LabourDay => "Labour Day",
            Holiday::DragonBoat => "Dragon Boat Festival",
            Holiday::MidAutumn => "Mid-Autumn Festival",
            Holiday::NationalDay => "National Day",
        }
    }

    /// Every name accepted, for error messages.
    pub fn known() -> String {
        Holiday::ALL
            .iter()
            .map(|h| format!("{} ({})", h.label_zh(), h.code()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for Holiday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Holiday {
    type Err = String;
    /// The code, the Chinese name (with or without 节), or the English name.
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        Holiday::ALL
            .into_iter()
            .find(|h| {
                s == h.code()
                    || s == h.label_zh()
                    || s.trim_end_matches('节') == h.label_zh().trim_end_matches('节')
                    || s.eq_ignore_ascii_case(h.label_en())
                    || s.replace(['-', ' '], "_").eq_ignore_ascii_case(h.code())
            })
            .ok_or_else(|| {
                format!(
                    "{s:?} is not a holiday name (rule duty.holiday_name); known: {}",
                    Holiday::known()
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_in_every_spelling_and_round_trip() {
        for h in Holiday::ALL {
            assert_eq!(h.code().parse::<Holiday>(), Ok(h));
            assert_eq!(h.label_zh().parse::<Holiday>(), Ok(h));
            assert_eq!(h.label_en().parse::<Holiday>(), Ok(h));
        }
        assert_eq!("国庆".parse::<Holiday>(), Ok(Holiday::NationalDay));
        assert_eq!("national-day".parse::<Holiday>(), Ok(Holiday::NationalDay));
        let e = "重阳节".parse::<Holiday>().unwrap_err();
        assert!(
            e.contains("duty.holiday_name") && e.contains("国庆节"),
            "{e}"
        );
    }
}
