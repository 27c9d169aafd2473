//! The registering node's own rows of a new case, written in the transaction
//! that commits the case so that they exist exactly when it does: the
//! case-number counter (never moved back) and the petitioner's personal data
//! encrypted with its keyed hashes (`pii`). They are handed to the commit as
//! data ([`NewCaseRows`]), as the audit line of the query code's issue is
//! (`auth::AuditRow`), so the registrations committed together write them in a
//! few multi-row statements rather than several round trips each.

use std::collections::BTreeMap;
use std::sync::Arc;

use sqlx::AnyConnection;
use xinfang_hub::db::Sql;
use xinfang_hub::store::{Fold, TxStep};

/// Five columns each: well under every engine's limit of bound values.
const PII_ROWS_PER_STATEMENT: usize = 200;

/// A personal field as stored: encrypted, with its keyed hash.
pub type Sealed = (String, String);

/// One registration's rows.
#[derive(Debug, Clone)]
pub struct NewCaseRows {
    pub case_no: String,
    pub unit: String,
    pub year: i32,
    /// The case's sequence number; the counter moves past it.
    pub seq: u64,
    pub id_number: Option<Sealed>,
    pub phone: Option<Sealed>,
}

impl Fold for NewCaseRows {
    fn fold(items: Vec<Arc<Self>>) -> TxStep {
        Arc::new(move |conn| {
            let items = items.clone();
            Box::pin(async move {
                write_counters(&mut *conn, &items).await?;
                write_pii(&mut *conn, &items).await
            })
        })
    }
}

/// Each counter once (a statement may not touch one row twice on PostgreSQL),
/// moved to past the highest number given out, never back.
async fn write_counters(
    conn: &mut AnyConnection,
    items: &[Arc<NewCaseRows>],
) -> Result<(), sqlx::Error> {
    let mut next: BTreeMap<(&str, i32), u64> = BTreeMap::new();
    for r in items {
        let n = next.entry((r.unit.as_str(), r.year)).or_default();
        *n = (*n).max(r.seq + 1);
    }
    if next.is_empty() {
        return Ok(());
    }
    let mut q = Sql::new("INSERT INTO node_case_counters (unit, year, next) ");
    q.values(next, |row, ((unit, year), n)| {
        row.bind(unit.to_owned())
            .bind(i64::from(year))
            .bind(n as i64);
    });
    q.push(
        " ON CONFLICT (unit, year) DO UPDATE SET next = CASE
           WHEN excluded.next > node_case_counters.next THEN excluded.next
           ELSE node_case_counters.next END",
    );
    q.execute(&mut *conn).await?;
    Ok(())
}

async fn write_pii(
    conn: &mut AnyConnection,
    items: &[Arc<NewCaseRows>],
) -> Result<(), sqlx::Error> {
    let with: Vec<&NewCaseRows> = items
        .iter()
        .map(|r| r.as_ref())
        .filter(|r| r.id_number.is_some() || r.phone.is_some())
        .collect();
    for chunk in with.chunks(PII_ROWS_PER_STATEMENT) {
        let mut q =
            Sql::new("INSERT INTO node_pii (case_no, id_number, id_hash, phone, phone_hash) ");
        q.values(chunk.iter(), |row, r| {
            let (id_number, id_hash) = r.id_number.clone().unzip();
            let (phone, phone_hash) = r.phone.clone().unzip();
            row.bind(r.case_no.clone())
                .bind(id_number)
                .bind(id_hash)
                .bind(phone)
                .bind(phone_hash);
        });
        q.push(
            " ON CONFLICT (case_no) DO UPDATE SET id_number = excluded.id_number,
               id_hash = excluded.id_hash, phone = excluded.phone,
               phone_hash = excluded.phone_hash",
        );
        q.execute(&mut *conn).await?;
    }
    Ok(())
}
