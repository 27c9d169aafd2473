//! Reads of the case query table: lists (filtered, paged, by deadline), major
//! matters, and the same petitioner's earlier cases for repeat and skip-level
//! matching. The projector above writes the rows; these only read them.

use xinfang_hub::db::{Db, Sql};

use crate::case::Status;
use crate::error::NodeError;

/// One row of the case list.
#[derive(Debug, Clone)]
pub struct CaseRow {
    pub case_no: String,
    pub unit: String,
    pub petitioner: String,
    /// The demand's first characters (`row::excerpt`).
    pub excerpt: String,
    pub registered_at: String,
    pub notes: i64,
    pub status: String,
    pub handling_unit: Option<String>,
    pub next_due: Option<String>,
    pub category: Option<String>,
    pub repeat_of: Option<String>,
    pub skip_level_of: Option<String>,
    /// The earliest open supervision demand's due day and who demanded it (only
    /// [`list_cases`] reads them).
    pub supervision_due: Option<String>,
    pub supervised_by: Option<String>,
}

xinfang_hub::from_row!(CaseRow {
    case_no,
    unit,
    petitioner,
    excerpt,
    registered_at,
    notes,
    status,
    handling_unit,
    next_due,
    category,
    repeat_of,
    skip_level_of,
} absent_as_default {
    supervision_due,
    supervised_by,
});

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub limit: u32,
    pub status: Option<String>,
    /// Units whose cases (registered or handled there) to include.
    pub units: Option<Vec<String>>,
    pub category: Option<String>,
    /// Cases whose next deadline is before this day.
    pub overdue_before: Option<String>,
    pub repeat: bool,
    pub skip_level: bool,
    /// Only cases in these statuses (the open ones, for a worklist).
    pub statuses: Option<Vec<String>>,
    /// Only cases now handled by this unit.
    pub handling_unit: Option<String>,
    /// What was routed to this unit and awaits it (status routed, handled here).
    pub routed_to: Option<String>,
    /// A case number or a petitioner's name, in part.
    pub search: Option<String>,
    /// The petitioner's keyed identity hash (every case of one person).
    pub id_hash: Option<String>,
    /// The petitioner's keyed phone hash.
    pub phone_hash: Option<String>,
    /// Rows skipped before the page (paging).
    pub offset: u32,
    /// Soonest deadline first (cases without one last), instead of newest first.
    pub by_deadline: bool,
    /// Only cases with an open supervision demand, the soonest due first.
    pub supervised: bool,
    /// One person's cases: any of these identity or phone hashes or case
    /// numbers (a petitioner's history with the merges staff recorded).
    pub person: Option<PersonKeys>,
}

/// What one person's cases are found by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonKeys {
    pub id_hashes: std::collections::BTreeSet<String>,
    pub phone_hashes: std::collections::BTreeSet<String>,
    pub case_nos: std::collections::BTreeSet<String>,
}

impl PersonKeys {
    fn push_where<'a>(&'a self, q: &mut Sql<'a>) {
        q.push(" AND (1 = 0");
        for (column, values) in [
            ("id_hash", &self.id_hashes),
            ("phone_hash", &self.phone_hashes),
            ("case_no", &self.case_nos),
        ] {
            if !values.is_empty() {
                q.push(" OR ")
                    .push(column)
                    .push(" IN (")
                    .bind_list(values.iter().map(String::as_str))
                    .push(")");
            }
        }
        q.push(")");
    }
}

/// The cases `keys` find, with their hashes: (case number, id hash, phone hash).
pub async fn person_cases(
    db: &Db,
    keys: &PersonKeys,
    limit: u32,
) -> Result<Vec<(String, Option<String>, Option<String>)>, NodeError> {
    let mut q = Sql::new("SELECT case_no, id_hash, phone_hash FROM node_cases WHERE 1 = 1");
    keys.push_where(&mut q);
    q.push(" LIMIT ").bind(i64::from(limit));
    Ok(q.fetch_all_as(db.pool()).await?)
}

/// Every merge staff recorded (`same_petitioner`): a case and the JSON of the
/// cases its petitioner was merged with. Few rows, read off a partial index.
pub async fn petitioner_merges(db: &Db) -> Result<Vec<(String, String)>, NodeError> {
    Ok(sqlx::query_as(
        "SELECT case_no, same_petitioner FROM node_cases WHERE same_petitioner IS NOT NULL",
    )
    .fetch_all(db.pool())
    .await?)
}

pub async fn list_cases(db: &Db, f: &CaseFilter) -> Result<Vec<CaseRow>, NodeError> {
    Ok(list_sql(f).fetch_all_as::<_, CaseRow>(db.pool()).await?)
}

/// The statement [`list_cases`] sends for `f` (the schema's tests ask SQLite's
/// planner which index it reads).
pub fn list_sql(f: &CaseFilter) -> Sql<'_> {
    let mut q = Sql::new(
        "SELECT case_no, unit, petitioner, excerpt, registered_at, notes, status, handling_unit,
                next_due, category, repeat_of, skip_level_of, supervision_due, supervised_by
         FROM node_cases WHERE 1 = 1",
    );
    if let Some(s) = &f.status {
        q.push(" AND status = ").bind(s.as_str());
    }
    if let Some(units) = &f.units {
        q.push(" AND (unit IN (")
            .bind_list(units.iter().map(String::as_str))
            .push(") OR handling_unit IN (")
            .bind_list(units.iter().map(String::as_str))
            .push("))");
    }
    if let Some(c) = &f.category {
        q.push(" AND category = ").bind(c.as_str());
    }
    if let Some(day) = &f.overdue_before {
        q.push(" AND next_due IS NOT NULL AND next_due < ")
            .bind(day.as_str());
    }
    if f.repeat {
        q.push(" AND repeat_of IS NOT NULL");
    }
    if f.skip_level {
        q.push(" AND skip_level_of IS NOT NULL");
    }
    if let Some(statuses) = &f.statuses {
        q.push(" AND status IN (")
            .bind_list(statuses.iter().map(String::as_str))
            .push(")");
    }
    if let Some(u) = &f.handling_unit {
        q.push(" AND handling_unit = ").bind(u.as_str());
    }
    if let Some(u) = &f.routed_to {
        // The status written out, not bound: only then may SQLite read the
        // index that holds routed cases alone (`node_cases_routed`).
        q.push(format!(
            " AND status = '{}' AND handling_unit = ",
            Status::Routed.code()
        ))
        .bind(u.as_str());
    }
    if let Some(h) = &f.id_hash {
        q.push(" AND id_hash = ").bind(h.as_str());
    }
    if let Some(h) = &f.phone_hash {
        q.push(" AND phone_hash = ").bind(h.as_str());
    }
    if let Some(p) = &f.person {
        p.push_where(&mut q);
    }
    if let Some(text) = &f.search {
        // LIKE's own wildcards in what was typed match themselves.
        let escaped: String = text
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        let pattern = format!("%{escaped}%");
        q.push(" AND (case_no LIKE ")
            .bind(pattern.clone())
            .push(" ESCAPE '\\' OR petitioner LIKE ")
            .bind(pattern)
            .push(" ESCAPE '\\')");
    }
    if f.supervised {
        q.push(" AND supervision_due IS NOT NULL ORDER BY supervision_due, case_no");
    } else if f.by_deadline {
        // As `node_cases_by_deadline` is written, so that it serves the order.
        q.push(" ORDER BY (next_due IS NULL), next_due, registered_at DESC, case_no DESC");
    } else {
        q.push(" ORDER BY registered_at DESC, case_no DESC");
    }
    q.push(" LIMIT ")
        .bind(i64::from(f.limit))
        .push(" OFFSET ")
        .bind(i64::from(f.offset));
    q
}

/// An open case flagged a major or urgent matter, as the query tables hold it.
#[derive(Debug, Clone)]
pub struct MajorRow {
    pub case_no: String,
    pub unit: String,
    pub handling_unit: Option<String>,
    pub major_since: String,
    pub major_urgent: i64,
    pub major_reason: Option<String>,
    pub major_due: Option<String>,
    pub owner: Option<String>,
}

xinfang_hub::from_row!(MajorRow {
    case_no,
    unit,
    handling_unit,
    major_since,
    major_urgent,
    major_reason,
    major_due,
    owner,
});

/// Cases in `statuses` flagged major or urgent that were registered or are
/// handled at one of `units`: urgent first, then the oldest flag.
pub async fn major_cases(
    db: &Db,
    units: &[String],
    statuses: &[String],
) -> Result<Vec<MajorRow>, NodeError> {
    let mut q = Sql::new(
        "SELECT case_no, unit, handling_unit, major_since, major_urgent, major_reason, major_due,
                owner
         FROM node_cases WHERE major_since IS NOT NULL AND (unit IN (",
    );
    q.bind_list(units.iter().map(String::as_str))
        .push(") OR handling_unit IN (")
        .bind_list(units.iter().map(String::as_str))
        .push(")) AND status IN (")
        .bind_list(statuses.iter().map(String::as_str))
        .push(") ORDER BY major_urgent DESC, major_since, case_no");
    Ok(q.fetch_all_as::<_, MajorRow>(db.pool()).await?)
}

/// Cases of the same petitioner (by keyed hash) whose responsible unit (the one
/// named at registration, else the unit handling it) is `responsible`, in any
/// category: candidates for a skip-level petition the registrar confirms.
pub async fn same_responsible_unit(
    db: &Db,
    id_hash: &str,
    responsible: &str,
) -> Result<Vec<CaseRow>, NodeError> {
    let rows = sqlx::query_as::<_, CaseRow>(
        "SELECT c.case_no, c.unit, c.petitioner, c.excerpt, c.registered_at, c.notes, c.status,
                c.handling_unit, c.next_due, c.category, c.repeat_of, c.skip_level_of
         FROM node_cases c JOIN node_case_facts f ON f.case_no = c.case_no
         WHERE c.id_hash = $1 AND f.responsible_unit = $2
         ORDER BY c.registered_at DESC, c.case_no DESC",
    )
    .bind(id_hash)
    .bind(responsible)
    .fetch_all(db.pool())
    .await?;
    Ok(rows)
}

/// What a case's skip-level candidates are found by: its petitioner's keyed
/// hash, responsible unit and category (None: no such case, or no hash).
pub async fn skip_level_basis(
    db: &Db,
    case_no: &str,
) -> Result<Option<(String, Option<String>, Option<String>)>, NodeError> {
    let row: Option<(Option<String>, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT c.id_hash, f.responsible_unit, c.category
         FROM node_cases c LEFT JOIN node_case_facts f ON f.case_no = c.case_no
         WHERE c.case_no = $1",
    )
    .bind(case_no)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.and_then(|(hash, responsible, category)| hash.map(|h| (h, responsible, category))))
}

/// Earlier cases of the same petitioner (by keyed hash) on the same matter
/// (category and subcategory), newest first.
pub async fn matching_cases(
    db: &Db,
    id_hash: &str,
    category: &str,
    subcategory: Option<&str>,
) -> Result<Vec<CaseRow>, NodeError> {
    let rows = sqlx::query_as::<_, CaseRow>(
        "SELECT case_no, unit, petitioner, excerpt, registered_at, notes, status, handling_unit,
                next_due, category, repeat_of, skip_level_of
         FROM node_cases WHERE id_hash = $1 AND category = $2 AND COALESCE(subcategory, '') = $3
         ORDER BY registered_at DESC, case_no DESC",
    )
    .bind(id_hash)
    .bind(category)
    .bind(subcategory.unwrap_or(""))
    .fetch_all(db.pool())
    .await?;
    Ok(rows)
}

/// The cases some owned-case library lists (包案案件库): case number, the
/// listings' JSON, status and handling unit. Few rows, read off a partial index.
pub async fn library_rows(
    db: &Db,
) -> Result<Vec<(String, String, String, Option<String>)>, NodeError> {
    Ok(sqlx::query_as(
        "SELECT case_no, library, status, handling_unit FROM node_cases \
         WHERE library IS NOT NULL ORDER BY case_no",
    )
    .fetch_all(db.pool())
    .await?)
}
