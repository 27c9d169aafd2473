//! At the registering unit's node: seals the petitioner's phone to each unit that
//! accepted the case and published its key (`contact_key`), once per unit.
//! Follows the hub's feed; sealing is idempotent, so after a restart it simply
//! looks again from the start.

use std::sync::Arc;

use tokio::sync::watch;
use xinfang_hub::db::Db;
use xinfang_hub::{Create, Hub, UnitCode};

use crate::case::{self, Body, Context, Record};
use crate::contact::{self, NodeKeys};
use crate::error::NodeError;
use crate::rules::CaseRules;

/// What the sealed value is bound to: the case and the unit it is for.
pub fn context(case_no: &str, unit: &UnitCode) -> String {
    format!("{case_no} {unit}")
}

pub struct Sealer {
    hub: Hub,
    db: Db,
    keys: Arc<NodeKeys>,
    rules: Arc<CaseRules>,
    pii: Arc<crate::pii::PiiKey>,
}

impl Sealer {
    pub fn new(
        hub: Hub,
        db: Db,
        keys: Arc<NodeKeys>,
        rules: Arc<CaseRules>,
        pii: Arc<crate::pii::PiiKey>,
    ) -> Self {
        Sealer {
            hub,
            db,
            keys,
            rules,
            pii,
        }
    }

    /// Seals what is due in documents changed after `after`; returns the position
    /// reached.
    pub async fn pass(&self, after: u64) -> Result<u64, NodeError> {
        let mut pos = after;
        while let Some((last, docs)) = case::lookup::changed_cases(&self.hub, pos).await? {
            let nos: Vec<String> = docs.keys().cloned().collect();
            let phones = crate::pii::phones(&self.db, &self.pii, &nos)
                .await
                .map_err(|e| NodeError::Internal(e.to_string()))?;
            for (case_no, phone) in phones {
                if let Some(doc_id) = docs.get(&case_no) {
                    self.seal_due(doc_id, &case_no, &phone).await?;
                }
            }
            pos = last;
        }
        Ok(pos)
    }

    async fn seal_due(&self, doc_id: &str, case_no: &str, phone: &str) -> Result<(), NodeError> {
        let me = self.hub.me().clone();
        let rules = self.rules.clone();
        let keys = self.keys.clone();
        let topology = self.hub.topology().clone();
        let result = self
            .hub
            .update(doc_id, Create::Existing, move |d| {
                let Some(h) = case::header(d) else { return Ok(()) };
                let (mut records, _) = case::read_records(d);
                let sealed_for: Vec<UnitCode> = records
                    .iter()
                    .filter_map(|r| match &r.body {
                        Body::SealedContact { for_unit, .. } => Some(for_unit.clone()),
                        _ => None,
                    })
                    .collect();
                let asks: Vec<(UnitCode, String)> = records
                    .iter()
                    .filter_map(|r| match &r.body {
                        Body::ContactKey { cert_pem } if !sealed_for.contains(&r.unit) => {
                            Some((r.unit.clone(), cert_pem.clone()))
                        }
                        _ => None,
                    })
                    .collect();
                let ctx = Context {
                    topology: &topology,
                    calendar: &rules.calendar,
                    limits: &rules.limits,
                    higher_visits: &rules.higher_visits,
                };
                for (unit, cert) in asks {
                    let key = match contact::verified_key(&cert, &keys.ca_pem, &unit) {
                        Ok(k) => k,
                        Err(e) => {
                            tracing::warn!(case_no, %unit, error = %e, "contact key refused; phone not sealed");
                            continue;
                        }
                    };
                    let sealed = contact::seal(phone, &key, &context(case_no, &unit))
                        .map_err(|e| NodeError::Internal(e.to_string()))?;
                    let record = case::after_seen(
                        Record {
                            id: format!("{me}-{}", uuid::Uuid::new_v4().simple()),
                            unit: me.clone(),
                            at: chrono::Utc::now(),
                            body: Body::SealedContact { for_unit: unit, sealed },
                            // Written by the node itself.
                            by: None,
                        },
                        &records,
                    );
                    case::admit(&h, &records, &record, &ctx, case::local_day(record.at))
                        .map_err(|r| NodeError::Rule { rule: r.rule, message: r.message })?;
                    case::add_record(d, case_no, &record)?;
                    records.push(record);
                }
                Ok(())
            })
            .await;
        result.map_err(NodeError::from)
    }

    /// Runs until `shutdown`, waking on every change to our feed.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut head = self.hub.subscribe();
        let mut pos = 0;
        loop {
            match self.pass(pos).await {
                Ok(p) => pos = p,
                Err(e) => {
                    tracing::warn!(error = %e, "sealing contacts failed; retrying on the next change")
                }
            }
            tokio::select! {
                r = head.changed() => if r.is_err() { return },
                _ = shutdown.changed() => return,
            }
        }
    }
}
