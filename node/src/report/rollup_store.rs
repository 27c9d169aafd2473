//! The per-case facts rows and the rollup tables (SQLite or PostgreSQL): written in the
//! documents' transaction (by the projector), read by the report service.
//!
//! Writing a batch of cases: read their old facts rows, work out which are named
//! as `repeat_of` by a petition the node holds, write the new rows, and change the
//! rollups by the difference of old and new entries ([`rollup::diff`]), summed over
//! the batch so that a city's thousand cases of one month touch its row once.
//!
//! Most of that work can be done before the write lock ([`Presummed`]): a first
//! sync's cases are new to the node and repeated by nothing it holds, so their
//! entries are their whole difference. Under the lock the write reads old rows only
//! for the cases the node already held, and corrects the sum for those.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;
use sqlx::AnyConnection;
use xinfang_hub::db::Sql;

use super::facts::CaseFacts;
use super::rollup::{Anchors, Entry, diff, entries};

/// Both engines' limits on bound parameters are far above this; it keeps
/// statements short.
const CHUNK: usize = 400;

pub const FACT_COLUMNS: &str = "case_no, registered_by, received, month, channel, purpose,
    category, status, handling_unit, responsible_unit, accept_due, screened_on, accepted,
    reply_due, replied_on, closed_on, rated, satisfied, repeat_case, online, reviewed, next_due,
    next_due_kind, next_due_unit, repeated";

/// A `node_case_facts` row.
pub struct FactsRow {
    case_no: String,
    registered_by: String,
    received: String,
    month: String,
    channel: String,
    purpose: String,
    category: String,
    status: String,
    handling_unit: String,
    responsible_unit: String,
    accept_due: Option<String>,
    screened_on: Option<String>,
    // Flags are integers 0/1 in both engines.
    accepted: i64,
    reply_due: Option<String>,
    replied_on: Option<String>,
    closed_on: Option<String>,
    rated: i64,
    satisfied: Option<i64>,
    repeat_case: i64,
    online: i64,
    reviewed: i64,
    next_due: Option<String>,
    next_due_kind: String,
    next_due_unit: String,
    repeated: i64,
}

xinfang_hub::from_row!(FactsRow {
    case_no,
    registered_by,
    received,
    month,
    channel,
    purpose,
    category,
    status,
    handling_unit,
    responsible_unit,
    accept_due,
    screened_on,
    accepted,
    reply_due,
    replied_on,
    closed_on,
    rated,
    satisfied,
    repeat_case,
    online,
    reviewed,
    next_due,
    next_due_kind,
    next_due_unit,
    repeated,
});

impl FactsRow {
    /// The facts and whether a later petition repeats the case.
    pub fn into_facts(self) -> (CaseFacts, bool) {
        let d = |s: Option<String>| s.and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok());
        let facts = CaseFacts {
            received: d(Some(self.received)).unwrap_or_default(),
            case_no: self.case_no,
            registered_by: self.registered_by,
            month: self.month,
            channel: self.channel,
            purpose: self.purpose,
            category: self.category,
            status: self.status,
            handling_unit: self.handling_unit,
            responsible_unit: self.responsible_unit,
            accept_due: d(self.accept_due),
            screened_on: d(self.screened_on),
            screened_by: String::new(),
            accepted: self.accepted != 0,
            reply_due: d(self.reply_due),
            replied_on: d(self.replied_on),
            replied_by: String::new(),
            closed_on: d(self.closed_on),
            rated: self.rated != 0,
            satisfied: self.satisfied.map(|s| s != 0),
            repeat: self.repeat_case != 0,
            online: self.online != 0,
            reviewed: self.reviewed != 0,
            next_due: d(self.next_due),
            next_due_kind: self.next_due_kind,
            next_due_unit: self.next_due_unit,
        };
        (facts, self.repeated != 0)
    }
}

/// The stored facts of these cases, by case number.
async fn stored(
    conn: &mut AnyConnection,
    case_nos: &[&str],
) -> Result<HashMap<String, (CaseFacts, bool)>, sqlx::Error> {
    let mut out = HashMap::new();
    for chunk in case_nos.chunks(CHUNK) {
        let mut q = Sql::new(format!(
            "SELECT {FACT_COLUMNS} FROM node_case_facts WHERE case_no IN ("
        ));
        q.bind_list(chunk.iter().copied()).push(")");
        let rows: Vec<FactsRow> = q.fetch_all_as(&mut *conn).await?;
        for r in rows {
            let (f, repeated) = r.into_facts();
            out.insert(f.case_no.clone(), (f, repeated));
        }
    }
    Ok(out)
}

/// Which of these cases a petition held here names as `repeat_of` (node_cases
/// must already hold the batch's own rows).
async fn repeated_among(
    conn: &mut AnyConnection,
    case_nos: &[&str],
) -> Result<BTreeSet<String>, sqlx::Error> {
    let mut out = BTreeSet::new();
    for chunk in case_nos.chunks(CHUNK) {
        let mut q = Sql::new("SELECT DISTINCT repeat_of FROM node_cases WHERE repeat_of IN (");
        q.bind_list(chunk.iter().copied()).push(")");
        let v: Vec<String> = q.fetch_scalars(&mut *conn).await?;
        out.extend(v);
    }
    Ok(out)
}

/// One case of a batch: its new facts and the case its petition repeats, if any.
pub struct Incoming<'a> {
    pub facts: &'a CaseFacts,
    pub repeat_of: Option<&'a str>,
}

/// A batch's rollup entries, worked out before the write lock as if each case
/// were new to this node and repeated by no petition it holds; [`write`] corrects
/// the cases for which that does not hold.
pub struct Presummed {
    /// The entries of each case number that appears once in the batch.
    each: HashMap<String, Vec<Entry>>,
    /// Their sum, as rollup rows.
    sum: RollupRows,
}

impl Presummed {
    /// The entries of `batch`'s cases (worked out on every core) and their sum.
    pub fn new<'f>(batch: impl IntoIterator<Item = &'f CaseFacts>, anchors: &Anchors<'_>) -> Self {
        let batch: Vec<&CaseFacts> = batch.into_iter().collect();
        let mut times: HashMap<&str, usize> = HashMap::new();
        for f in &batch {
            *times.entry(f.case_no.as_str()).or_default() += 1;
        }
        // A case twice in a batch is worked out under the lock, where its last
        // standing version is known.
        let once: Vec<&CaseFacts> = batch
            .into_iter()
            .filter(|f| times.get(f.case_no.as_str()) == Some(&1))
            .collect();
        let worked = xinfang_hub::parallel::map_ordered(once, |f| {
            Ok::<_, std::convert::Infallible>((f.case_no.clone(), entries(f, false, anchors)))
        });
        let worked = match worked {
            Ok(w) => w,
            Err(never) => match never {},
        };
        let mut sum = RollupRows::default();
        for (_, e) in &worked {
            sum.add(e.iter().map(|e| (e, 1)), anchors);
        }
        Presummed {
            each: worked.into_iter().collect(),
            sum,
        }
    }
}

/// Writes the batch's facts rows and changes the rollups by what changed. Must run
/// in the transaction that writes the batch's `node_cases` rows, after them.
/// `held`: the batch's case numbers that `node_cases` held before it (a case
/// number it did not hold has no facts row either). `presummed`: the batch's
/// entries worked out beforehand, from the same facts.
pub async fn write(
    conn: &mut AnyConnection,
    batch: &[Incoming<'_>],
    held: &HashSet<String>,
    presummed: Option<Presummed>,
    anchors: &Anchors<'_>,
) -> Result<(), sqlx::Error> {
    // A case twice in one batch: its last version is the one that stands.
    let mut last: HashMap<&str, usize> = HashMap::new();
    for (i, c) in batch.iter().enumerate() {
        last.insert(c.facts.case_no.as_str(), i);
    }
    let batch: Vec<&Incoming<'_>> = batch
        .iter()
        .enumerate()
        .filter(|(i, c)| last.get(c.facts.case_no.as_str()) == Some(i))
        .map(|(_, c)| c)
        .collect();
    let nos: Vec<&str> = batch.iter().map(|c| c.facts.case_no.as_str()).collect();
    let repeated = repeated_among(conn, &nos).await?;
    let (mut rows, each) = match presummed {
        Some(p) => (p.sum, p.each),
        None => (RollupRows::default(), HashMap::new()),
    };
    // The cases whose presummed entries are their new entries: those no petition
    // held here repeats. The sum gives back the rest's (repeated, displaced, or
    // twice in the batch), and takes out what cases held before counted.
    let counted: HashSet<&str> = nos
        .iter()
        .copied()
        .filter(|no| each.contains_key(*no) && !repeated.contains(*no))
        .collect();
    let mut delta: HashMap<Entry, i64> = HashMap::new();
    for (no, assumed) in &each {
        if !counted.contains(no.as_str()) {
            diff(assumed, &[], &mut delta);
        }
    }
    let reread: Vec<&str> = nos
        .iter()
        .copied()
        .filter(|no| held.contains(*no))
        .collect();
    let old = stored(conn, &reread).await?;
    for c in &batch {
        let f = c.facts;
        let now = if counted.contains(f.case_no.as_str()) {
            Vec::new()
        } else {
            entries(f, repeated.contains(&f.case_no), anchors)
        };
        let before = old
            .get(&f.case_no)
            .map(|(f, r)| entries(f, *r, anchors))
            .unwrap_or_default();
        diff(&before, &now, &mut delta);
    }
    // Earlier cases this batch's petitions repeat, held here but not in the batch:
    // no longer resolved at one time.
    let in_batch: BTreeSet<&str> = nos.iter().copied().collect();
    let targets: Vec<&str> = batch
        .iter()
        .filter_map(|c| c.repeat_of)
        .filter(|no| !in_batch.contains(no))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let earlier = stored(conn, &targets).await?;
    let mut marked = Vec::new();
    for (no, (f, was)) in &earlier {
        if !was {
            diff(
                &entries(f, false, anchors),
                &entries(f, true, anchors),
                &mut delta,
            );
            marked.push(no.clone());
        }
    }
    for chunk in marked.chunks(CHUNK) {
        let mut q = Sql::new("UPDATE node_case_facts SET repeated = 1 WHERE case_no IN (");
        q.bind_list(chunk.iter().map(String::as_str)).push(")");
        q.execute(&mut *conn).await?;
    }
    write_facts(conn, &batch, &repeated).await?;
    rows.add(delta.iter().map(|(e, n)| (e, *n)), anchors);
    apply(conn, rows.without_zeros()).await
}

async fn write_facts(
    conn: &mut AnyConnection,
    batch: &[&Incoming<'_>],
    repeated: &BTreeSet<String>,
) -> Result<(), sqlx::Error> {
    let day = |d: Option<NaiveDate>| d.map(|d| d.to_string());
    let flag = |b: bool| i64::from(b);
    // Every column but the key, replaced by the new row's value.
    let update: Vec<String> = FACT_COLUMNS
        .split(',')
        .map(str::trim)
        .filter(|c| *c != "case_no")
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    for chunk in batch.chunks(30) {
        let mut q = Sql::new(format!("INSERT INTO node_case_facts ({FACT_COLUMNS}) "));
        q.values(chunk, |r, c| {
            let f = c.facts;
            r.bind(f.case_no.as_str())
                .bind(f.registered_by.as_str())
                .bind(f.received.to_string())
                .bind(f.month.as_str())
                .bind(f.channel.as_str())
                .bind(f.purpose.as_str())
                .bind(f.category.as_str())
                .bind(f.status.as_str())
                .bind(f.handling_unit.as_str())
                .bind(f.responsible_unit.as_str())
                .bind(day(f.accept_due))
                .bind(day(f.screened_on))
                .bind(flag(f.accepted))
                .bind(day(f.reply_due))
                .bind(day(f.replied_on))
                .bind(day(f.closed_on))
                .bind(flag(f.rated))
                .bind(f.satisfied.map(flag))
                .bind(flag(f.repeat))
                .bind(flag(f.online))
                .bind(flag(f.reviewed))
                .bind(day(f.next_due))
                .bind(f.next_due_kind.as_str())
                .bind(f.next_due_unit.as_str())
                .bind(flag(repeated.contains(&f.case_no)));
        });
        q.push(" ON CONFLICT (case_no) DO UPDATE SET ")
            .push(update.join(", "));
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Rate parts: numerator and denominator of each rate.
pub const PARTS: usize = 2 * super::rates::RATES.len();

/// The rate-part columns of `node_rollup_rates`, `p0` … `p15`.
pub fn part_columns() -> Vec<String> {
    (0..PARTS).map(|i| format!("p{i}")).collect()
}

/// The flags the `all` row of `node_rollup_counts` counts beside `n`, in column order.
pub const FLAGS: [&str; 5] = ["accepted", "replied", "closed", "repeat", "online"];

/// Rollup rows as the tables hold them, keyed by their primary keys.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RollupRows {
    /// (anchor, dim, month, value) → [n, then each of [`FLAGS`]].
    pub counts: BTreeMap<[String; 4], [i64; 6]>,
    /// (anchor, month, group, day) → cases entering each part that day.
    pub rates: BTreeMap<[String; 4], [i64; PARTS]>,
    /// (anchor, kind, day) → open deadlines.
    pub due: BTreeMap<[String; 3], i64>,
}

impl RollupRows {
    /// Adds `n` times each entry at an anchor the tables keep.
    pub fn add<'e>(
        &mut self,
        entries: impl IntoIterator<Item = (&'e Entry, i64)>,
        anchors: &Anchors<'_>,
    ) {
        for (e, n) in entries {
            if !anchors.kept(e.anchor()) {
                continue;
            }
            match e {
                Entry::Count {
                    anchor,
                    month,
                    dim,
                    value,
                } => {
                    let (dim, value, col) = match FLAGS.iter().position(|f| f == value) {
                        Some(i) if *dim == "flag" => ("all", "", i + 1),
                        _ => (*dim, value.as_str(), 0),
                    };
                    let key = [
                        anchor.to_string(),
                        dim.to_owned(),
                        month.clone(),
                        value.to_owned(),
                    ];
                    self.counts.entry(key).or_default()[col] += n;
                }
                Entry::Rate {
                    anchor,
                    month,
                    group,
                    part,
                    day,
                } => {
                    let key = [
                        anchor.to_string(),
                        month.clone(),
                        group.clone(),
                        day.to_string(),
                    ];
                    self.rates.entry(key).or_insert([0; PARTS])[usize::from(*part)] += n;
                }
                Entry::Due { anchor, kind, day } => {
                    let key = [anchor.to_string(), kind.clone(), day.to_string()];
                    *self.due.entry(key).or_insert(0) += n;
                }
            }
        }
    }

    /// Drops rows whose every count is 0.
    pub fn without_zeros(mut self) -> Self {
        self.counts.retain(|_, v| v.iter().any(|n| *n != 0));
        self.rates.retain(|_, v| v.iter().any(|n| *n != 0));
        self.due.retain(|_, n| *n != 0);
        self
    }

    /// Everything the rollup tables hold.
    pub async fn read(conn: &mut AnyConnection) -> Result<RollupRows, sqlx::Error> {
        use sqlx::Row;
        let mut out = RollupRows::default();
        let text = |r: &sqlx::any::AnyRow, i: usize| r.try_get::<String, _>(i);
        for r in sqlx::query(
            "SELECT anchor, dim, month, value, n, accepted, replied, closed, repeats, online
             FROM node_rollup_counts",
        )
        .fetch_all(&mut *conn)
        .await?
        {
            let mut v = [0i64; 6];
            for (i, x) in v.iter_mut().enumerate() {
                *x = r.try_get(4 + i)?;
            }
            out.counts
                .insert([text(&r, 0)?, text(&r, 1)?, text(&r, 2)?, text(&r, 3)?], v);
        }
        let cols = part_columns();
        for r in sqlx::query(&format!(
            "SELECT anchor, month, grp, day, {} FROM node_rollup_rates",
            cols.join(", ")
        ))
        .fetch_all(&mut *conn)
        .await?
        {
            let mut v = [0i64; PARTS];
            for (i, x) in v.iter_mut().enumerate() {
                *x = r.try_get(4 + i)?;
            }
            out.rates
                .insert([text(&r, 0)?, text(&r, 1)?, text(&r, 2)?, text(&r, 3)?], v);
        }
        for r in sqlx::query("SELECT anchor, kind, day, n FROM node_rollup_due")
            .fetch_all(&mut *conn)
            .await?
        {
            out.due
                .insert([text(&r, 0)?, text(&r, 1)?, text(&r, 2)?], r.try_get(3)?);
        }
        Ok(out)
    }
}

/// Adds the differences to the rollup tables, then deletes the rows they brought
/// to 0.
async fn apply(conn: &mut AnyConnection, rows: RollupRows) -> Result<(), sqlx::Error> {
    let counts: Vec<_> = rows.counts.into_iter().collect();
    let rates: Vec<_> = rows.rates.into_iter().collect();
    let due: Vec<_> = rows.due.into_iter().collect();
    for chunk in counts.chunks(CHUNK / 10) {
        let mut q = Sql::new(
            "INSERT INTO node_rollup_counts
               (anchor, dim, month, value, n, accepted, replied, closed, repeats, online) ",
        );
        q.values(chunk, |r, (k, v)| {
            for x in k {
                r.bind(x.as_str());
            }
            for n in v {
                r.bind(*n);
            }
        });
        q.push(
            " ON CONFLICT (anchor, dim, month, value) DO UPDATE SET
              n = node_rollup_counts.n + excluded.n,
              accepted = node_rollup_counts.accepted + excluded.accepted,
              replied = node_rollup_counts.replied + excluded.replied,
              closed = node_rollup_counts.closed + excluded.closed,
              repeats = node_rollup_counts.repeats + excluded.repeats,
              online = node_rollup_counts.online + excluded.online",
        );
        q.execute(&mut *conn).await?;
    }
    let cols = part_columns();
    let sums: Vec<String> = cols
        .iter()
        .map(|c| format!("{c} = node_rollup_rates.{c} + excluded.{c}"))
        .collect();
    for chunk in rates.chunks(CHUNK / 20) {
        let mut q = Sql::new(format!(
            "INSERT INTO node_rollup_rates (anchor, month, grp, day, {}) ",
            cols.join(", ")
        ));
        q.values(chunk, |r, (k, v)| {
            for x in k {
                r.bind(x.as_str());
            }
            for n in v {
                r.bind(*n);
            }
        });
        q.push(format!(
            " ON CONFLICT (anchor, month, grp, day) DO UPDATE SET {}",
            sums.join(", ")
        ));
        q.execute(&mut *conn).await?;
    }
    for chunk in due.chunks(CHUNK / 4) {
        let mut q = Sql::new("INSERT INTO node_rollup_due (anchor, kind, day, n) ");
        q.values(chunk, |r, (k, n)| {
            for x in k {
                r.bind(x.as_str());
            }
            r.bind(*n);
        });
        q.push(" ON CONFLICT (anchor, kind, day) DO UPDATE SET n = node_rollup_due.n + excluded.n");
        q.execute(&mut *conn).await?;
    }
    // Only rows something was taken from can have reached 0.
    let shrank = |v: &[i64]| v.iter().any(|n| *n < 0);
    let keys: Vec<&[String; 4]> = counts
        .iter()
        .filter(|(_, v)| shrank(v))
        .map(|(k, _)| k)
        .collect();
    for chunk in keys.chunks(CHUNK / 4) {
        let mut q = Sql::new(
            "DELETE FROM node_rollup_counts WHERE n = 0 AND accepted = 0 AND replied = 0
               AND closed = 0 AND repeats = 0 AND online = 0
               AND (anchor, dim, month, value) IN (",
        );
        q.values(chunk.iter(), |r, k| {
            for x in k.iter() {
                r.bind(x.as_str());
            }
        });
        q.push(")");
        q.execute(&mut *conn).await?;
    }
    let keys: Vec<&[String; 4]> = rates
        .iter()
        .filter(|(_, v)| shrank(v))
        .map(|(k, _)| k)
        .collect();
    let all_zero: Vec<String> = cols.iter().map(|c| format!("{c} = 0")).collect();
    for chunk in keys.chunks(CHUNK / 4) {
        let mut q = Sql::new(format!(
            "DELETE FROM node_rollup_rates WHERE {} AND (anchor, month, grp, day) IN (",
            all_zero.join(" AND ")
        ));
        q.values(chunk.iter(), |r, k| {
            for x in k.iter() {
                r.bind(x.as_str());
            }
        });
        q.push(")");
        q.execute(&mut *conn).await?;
    }
    let keys: Vec<&[String; 3]> = due.iter().filter(|(_, n)| *n < 0).map(|(k, _)| k).collect();
    for chunk in keys.chunks(CHUNK / 3) {
        let mut q =
            Sql::new("DELETE FROM node_rollup_due WHERE n = 0 AND (anchor, kind, day) IN (");
        q.values(chunk.iter(), |r, k| {
            for x in k.iter() {
                r.bind(x.as_str());
            }
        });
        q.push(")");
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Empties the facts and rollup tables (a rebuild derives them again).
pub async fn clear(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    for t in [
        "node_case_facts",
        "node_rollup_counts",
        "node_rollup_rates",
        "node_rollup_due",
    ] {
        sqlx::query(&format!("DELETE FROM {t}"))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
