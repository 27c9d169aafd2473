//! The outbox at work: queues what [`messages::due`] says is owed for the cases
//! registered here, as their documents change (following the hub's feed), and
//! delivers what is due (on a timer), writing each attempt into the case.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use xinfang_hub::db::Db;
use xinfang_hub::{Create, Hub};

use super::OutboxConfig;
use super::messages::{self, Message};
use super::sender::Outgoing;
use crate::case::{self, Body, Context, Record};
use crate::error::NodeError;
use crate::pii::PiiKey;
use crate::rules::CaseRules;

/// Since when messages are owed: the first start with an outbox.
const SINCE_KEY: &str = "outbox_since";
/// Messages looked at per delivery pass.
const BATCH: i64 = 20;

/// Where the queue stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    pub pending: u64,
    pub delivered: u64,
    pub failed: u64,
}

pub struct Outbox {
    hub: Hub,
    db: Db,
    rules: Arc<CaseRules>,
    pii: Arc<PiiKey>,
    cfg: OutboxConfig,
}

/// A queued message due for an attempt.
struct Queued {
    message_key: String,
    case_no: String,
    doc_id: String,
    about: String,
    text: String,
    attempts: i64,
}

xinfang_hub::from_row!(Queued {
    message_key,
    case_no,
    doc_id,
    about,
    text,
    attempts,
});

impl Outbox {
    pub fn new(
        hub: Hub,
        db: Db,
        rules: Arc<CaseRules>,
        pii: Arc<PiiKey>,
        cfg: OutboxConfig,
    ) -> Outbox {
        Outbox {
            hub,
            db,
            rules,
            pii,
            cfg,
        }
    }

    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.hub.now_ms()).unwrap_or_else(Utc::now)
    }

    /// The moment messages are owed from, fixed at the first start.
    async fn since(&self) -> Result<DateTime<Utc>, NodeError> {
        let now = self.hub.now_ms();
        sqlx::query(
            "INSERT INTO node_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(SINCE_KEY)
        .bind(now.to_string())
        .execute(self.db.pool())
        .await?;
        let (v,): (String,) = sqlx::query_as("SELECT value FROM node_meta WHERE key = $1")
            .bind(SINCE_KEY)
            .fetch_one(self.db.pool())
            .await?;
        let ms: i64 = v
            .parse()
            .map_err(|_| NodeError::Internal(format!("{SINCE_KEY} is not a time: {v:?}")))?;
        Ok(DateTime::from_timestamp_millis(ms).unwrap_or_else(Utc::now))
    }

    /// Queues what is owed for the cases registered here among the documents
    /// changed after feed position `after`; returns the position reached.
    pub async fn queue(&self, after: u64, since: DateTime<Utc>) -> Result<u64, NodeError> {
        let mut pos = after;
        while let Some((last, docs)) = case::lookup::changed_cases(&self.hub, pos).await? {
            let nos: Vec<String> = docs.keys().cloned().collect();
            // Only cases with a phone held here: those registered at this node.
            for case_no in self.phones(&nos).await?.into_keys() {
                if let Some(doc_id) = docs.get(&case_no) {
                    self.queue_case(doc_id, &case_no, since).await?;
                }
            }
            pos = last;
        }
        Ok(pos)
    }

    async fn phones(
        &self,
        case_nos: &[String],
    ) -> Result<std::collections::HashMap<String, String>, NodeError> {
        crate::pii::phones(&self.db, &self.pii, case_nos)
            .await
            .map_err(|e| NodeError::Internal(e.to_string()))
    }

    async fn queue_case(
        &self,
        doc_id: &str,
        case_no: &str,
        since: DateTime<Utc>,
    ) -> Result<(), NodeError> {
        let Some(held) = self.hub.get(doc_id).await? else {
            return Ok(());
        };
        let mut d = held.loaded.doc;
        let case::CaseFile { view, records, .. } = case::CaseFile::read(&mut d, doc_id)?;
        let Ok(registered_at) = DateTime::parse_from_rfc3339(&view.registered_at) else {
            return Ok(());
        };
        let owed = messages::due(
            case_no,
            registered_at.with_timezone(&Utc),
            &records,
            self.hub.topology(),
            since,
        );
        let now = self.hub.now_ms();
        for Message { about, text } in owed {
            sqlx::query(
                "INSERT INTO node_outbox (message_key, case_no, doc_id, about, text, state,
                     attempts, next_at, queued_at)
                 VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6)
                 ON CONFLICT (message_key) DO NOTHING",
            )
            .bind(format!("{doc_id} {about}"))
            .bind(case_no)
            .bind(doc_id)
            .bind(&about)
            .bind(&text)
            .bind(now)
            .execute(self.db.pool())
            .await?;
        }
        Ok(())
    }

    /// Tries every queued message whose time has come; returns how many.
    pub async fn deliver_due(&self) -> Result<usize, NodeError> {
        let due: Vec<Queued> = sqlx::query_as(
            "SELECT message_key, case_no, doc_id, about, text, attempts FROM node_outbox
             WHERE state = 'pending' AND next_at <= $1 ORDER BY next_at, message_key LIMIT $2",
        )
        .bind(self.hub.now_ms())
        .bind(BATCH)
        .fetch_all(self.db.pool())
        .await?;
        let n = due.len();
        for m in due {
            self.attempt(m).await?;
        }
        Ok(n)
    }

    async fn attempt(&self, m: Queued) -> Result<(), NodeError> {
        let attempt = u32::try_from(m.attempts)
            .unwrap_or(u32::MAX)
            .saturating_add(1);
        let phone = self.phones(std::slice::from_ref(&m.case_no)).await?;
        let outcome = match phone.get(&m.case_no) {
            Some(phone) => {
                self.cfg
                    .sender
                    .send(&Outgoing {
                        to: phone,
                        text: &m.text,
                        case_no: &m.case_no,
                        about: &m.about,
                    })
                    .await
            }
            None => Err("no phone number is held for this case".to_owned()),
        };
        let delivered = outcome.is_ok();
        let detail = outcome.err().unwrap_or_default();
        self.record(&m, attempt, delivered, &detail).await?;
        let now = self.hub.now_ms();
        let (state, next_at) = if delivered {
            ("delivered", now)
        } else if attempt >= self.cfg.attempts {
            ("failed", now)
        } else {
            let wait = i64::try_from(self.cfg.backoff(attempt).as_millis()).unwrap_or(i64::MAX);
            ("pending", now.saturating_add(wait))
        };
        if !delivered {
            tracing::warn!(case_no = %m.case_no, about = %m.about, attempt, %detail, state, "text message not delivered");
        }
        sqlx::query(
            "UPDATE node_outbox SET state = $1, attempts = $2, next_at = $3, last_error = $4,
                 done_at = CASE WHEN $1 = 'pending' THEN NULL ELSE $3 END
             WHERE message_key = $5",
        )
        .bind(state)
        .bind(i64::from(attempt))
        .bind(next_at)
        .bind((!detail.is_empty()).then_some(detail.as_str()))
        .bind(&m.message_key)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Writes the attempt into the case, as the registering node, through the
    /// case rules.
    async fn record(
        &self,
        m: &Queued,
        attempt: u32,
        delivered: bool,
        detail: &str,
    ) -> Result<(), NodeError> {
        let me = self.hub.me().clone();
        let rules = self.rules.clone();
        let topology = self.hub.topology().clone();
        let at = self.now();
        let (case_no, about, detail) = (m.case_no.clone(), m.about.clone(), detail.to_owned());
        self.hub
            .update(&m.doc_id, Create::Existing, move |d| {
                let Some(h) = case::header(d) else {
                    return Ok(());
                };
                let (records, _) = case::read_records(d);
                let record = case::after_seen(
                    Record {
                        id: format!("{me}-{}", uuid::Uuid::new_v4().simple()),
                        unit: me.clone(),
                        at,
                        body: Body::Delivery {
                            about: about.clone(),
                            channel: "sms".to_owned(),
                            attempt,
                            delivered,
                            detail: detail.clone(),
                        },
                        // Written by the node itself.
                        by: None,
                    },
                    &records,
                );
                let ctx = Context {
                    topology: &topology,
                    calendar: &rules.calendar,
                    limits: &rules.limits,
                    higher_visits: &rules.higher_visits,
                };
                case::admit(&h, &records, &record, &ctx, case::local_day(record.at)).map_err(
                    |r| NodeError::Rule {
                        rule: r.rule,
                        message: r.message,
                    },
                )?;
                case::add_record(d, &case_no, &record)
            })
            .await
            .map_err(NodeError::from)
    }

    /// How many messages are queued, delivered and given up.
    pub async fn counts(db: &Db) -> Result<OutboxCounts, NodeError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT state, COUNT(*) FROM node_outbox GROUP BY state")
                .fetch_all(db.pool())
                .await?;
        let mut c = OutboxCounts::default();
        for (state, n) in rows {
            let n = u64::try_from(n).unwrap_or_default();
            match state.as_str() {
                "pending" => c.pending = n,
                "delivered" => c.delivered = n,
                _ => c.failed += n,
            }
        }
        Ok(c)
    }

    /// Runs until `shutdown`: queues on every change to the feed, delivers on
    /// every change and every `every`.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let since = loop {
            match self.since().await {
                Ok(s) => break s,
                Err(e) => {
                    tracing::warn!(error = %e, "outbox cannot start; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(self.cfg.every) => {}
                        _ = shutdown.changed() => return,
                    }
                }
            }
        };
        let mut head = self.hub.subscribe();
        let mut tick = tokio::time::interval(self.cfg.every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut pos = 0;
        loop {
            match self.queue(pos, since).await {
                Ok(p) => pos = p,
                Err(e) => tracing::warn!(error = %e, "queueing text messages failed; retrying"),
            }
            if let Err(e) = self.deliver_due().await {
                tracing::warn!(error = %e, "delivering text messages failed; retrying");
            }
            tokio::select! {
                r = head.changed() => if r.is_err() { return },
                _ = tick.tick() => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}
