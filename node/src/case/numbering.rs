//! Case numbers (`<unit>-<year>-<6 digits>`, `docid::CaseNo`): handed out by the
//! registering unit's node alone, from a counter per unit and year that is
//! stored in the same transaction as each new case, so a number exists exactly
//! when its case does. A counter read from storage never starts below a number
//! the node holds a case for: a store restored from an older copy gets its lost
//! cases back from its peers before it numbers again (`recovery`), and then
//! numbers past them.

use std::collections::HashMap;

use tokio::sync::Mutex;
use xinfang_hub::db::Db;

use crate::error::NodeError;

/// The counters, kept in memory once read from `node_case_counters`.
pub struct CaseNumbers {
    db: Db,
    next: Mutex<HashMap<(String, i32), u64>>,
}

impl CaseNumbers {
    pub fn new(db: Db) -> CaseNumbers {
        CaseNumbers {
            db,
            next: Mutex::default(),
        }
    }

    /// The next sequence number of `unit` in `year`, handed out from memory (the
    /// first time from the stored counter); [`super::new_rows`] stores the counter
    /// with the case.
    pub async fn next(&self, unit: &str, year: i32) -> Result<u64, NodeError> {
        let mut counters = self.next.lock().await;
        let key = (unit.to_owned(), year);
        let next = match counters.get(&key) {
            Some(n) => *n,
            None => {
                let stored: Option<i64> = sqlx::query_scalar(
                    "SELECT next FROM node_case_counters WHERE unit = $1 AND year = $2",
                )
                .bind(unit)
                .bind(i64::from(year))
                .fetch_optional(self.db.pool())
                .await?;
                let stored = stored.map_or(1, |n| n.max(1) as u64);
                stored.max(self.highest_held(unit, year).await? + 1)
            }
        };
        counters.insert(key, next + 1);
        Ok(next)
    }

    /// Forgets the counters in memory: the next number is read from storage and
    /// the cases held again (after a recovery brought lost cases back).
    pub async fn forget(&self) {
        self.next.lock().await.clear();
    }

    /// The highest sequence number of `unit` in `year` among the cases held here
    /// (0: none), including registrations that lost their number to another.
    async fn highest_held(&self, unit: &str, year: i32) -> Result<u64, NodeError> {
        // Case numbers have fixed widths, so text order is number order.
        let (from, to) = (format!("{unit}-{year}-"), format!("{unit}-{year}-999999"));
        let mut highest = 0;
        for sql in [
            "SELECT MAX(case_no) FROM node_cases WHERE case_no >= $1 AND case_no <= $2",
            "SELECT MAX(case_no) FROM node_case_collisions WHERE case_no >= $1 AND case_no <= $2",
        ] {
            let max: Option<String> = sqlx::query_scalar(sql)
                .bind(&from)
                .bind(&to)
                .fetch_one(self.db.pool())
                .await?;
            if let Some(seq) = max.as_deref().and_then(crate::docid::CaseNo::parse) {
                highest = highest.max(seq.seq);
            }
        }
        Ok(highest)
    }
}
