//! Whether a leader receives on a day, by the unit's filed schedule as adjusted:
//! what a booking onto a reception day (the reception service) is checked
//! against.

use chrono::NaiveDate;
use xinfang_hub::UnitCode;

use super::ScheduleService;
use crate::error::NodeError;
use crate::schedule::filing;
use crate::schedule::model::{Entry, Month};

impl ScheduleService {
    /// The receptions of `unit` from `from` to `to` (inclusive) by its filed
    /// schedules as adjusted, in date order: the days a case can be booked onto.
    pub async fn receptions_between(
        &self,
        unit: &UnitCode,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Entry>, NodeError> {
        let mut out = Vec::new();
        let mut month = Month::of(from);
        while month.first_day() <= to {
            if let Some((f, _)) = self.filed(unit, month).await? {
                out.extend(
                    filing::effective(&f)
                        .into_iter()
                        .filter(|e| e.date >= from && e.date <= to),
                );
            }
            month = month.next();
        }
        out.sort_by(|a, b| (a.date, &a.leader).cmp(&(b.date, &b.leader)));
        Ok(out)
    }

    /// `leader`'s reception on `date` in `unit`'s filed (approved) schedule, with
    /// the adjustments recorded since; `None` when the month is not filed or the
    /// leader does not receive that day.
    pub async fn reception_of(
        &self,
        unit: &UnitCode,
        date: NaiveDate,
        leader: &str,
    ) -> Result<Option<Entry>, NodeError> {
        let Some((f, _)) = self.filed(unit, Month::of(date)).await? else {
            return Ok(None);
        };
        Ok(filing::effective(&f)
            .into_iter()
            .find(|e| e.date == date && e.leader == leader.trim()))
    }
}
