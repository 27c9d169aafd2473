//! Lists of cases from the query tables: the filters a list takes, checked
//! (a petitioner's identity number hashed with the federation's matching key,
//! each such search audited), and a list's rows with their labels.

use xinfang_proto::v1 as pb;

use super::{CaseService, DEFAULT_PAGE, ListQuery, MAX_PAGE};
use crate::auth::{Action, Actor};
use crate::case::state;
use crate::case::view::Lens;
use crate::error::NodeError;
use crate::labels::{Lang, Said};
use crate::projection::{self, CaseFilter};

impl CaseService {
    /// Cases this node holds, by the query tables, newest first.
    pub async fn list(
        &self,
        who: &Actor,
        q: &ListQuery,
        lang: Lang,
    ) -> Result<Vec<pb::CaseView>, NodeError> {
        self.guard().authorize(who, Action::ReadCases, "").await?;
        let mut filter = self.filter(q)?;
        if let Some(hash) = &filter.id_hash {
            self.audit_identity_search(who, "case.search.id_number", hash)
                .await;
        }
        if let Some(hash) = &filter.phone_hash {
            self.audit_identity_search(who, "case.search.phone", hash)
                .await;
        }
        // Read-your-writes: project whatever the documents already hold.
        self.deps.projector.catch_up().await?;
        // A person's history: their cases by either number, and those of
        // petitioners staff merged with them (`same_petitioner`).
        if filter.id_hash.is_some() || filter.phone_hash.is_some() {
            let keys = self
                .person_keys(filter.id_hash.as_deref(), filter.phone_hash.as_deref())
                .await?;
            filter.id_hash = None;
            filter.phone_hash = None;
            filter.person = Some(keys);
        }
        let rows = projection::list_cases(&self.deps.db, &filter).await?;
        let ctx = self.context();
        let lens = self.lens(&ctx, lang);
        Ok(rows.into_iter().map(|r| list_row(r, &lens)).collect())
    }

    fn filter(&self, q: &ListQuery) -> Result<CaseFilter, NodeError> {
        let limit = match q.limit {
            0 => DEFAULT_PAGE,
            n if n > MAX_PAGE => {
                return Err(NodeError::invalid(
                    "limit",
                    Said::new(
                        format!("每页不超过{MAX_PAGE}条"),
                        format!("must be at most {MAX_PAGE}"),
                    ),
                ));
            }
            n => n,
        };
        let status = match q.status.trim() {
            "" => None,
            s => {
                crate::case::labels::status_of_code(s).ok_or_else(|| {
                    NodeError::invalid(
                        "status",
                        Said::new(
                            format!("“{s}”不是办理状态（registered、accepted、routed、handling、replied、closed……）"),
                            format!("{s:?} is not a status (registered, accepted, routed, handling, replied, closed, …)"),
                        ),
                    )
                })?;
                Some(s.to_owned())
            }
        };
        let topology = self.hub().topology();
        let units = match q.subtree.trim() {
            "" => None,
            code => {
                let unit = topology.resolve(code).map_err(|e| {
                    NodeError::invalid(
                        "subtree",
                        Said::new(format!("“{code}”不是本联网中的单位"), e.to_string()),
                    )
                })?;
                Some(
                    topology
                        .subtree(&unit.code)
                        .into_iter()
                        .map(|u| u.to_string())
                        .collect(),
                )
            }
        };
        let category = match q.category.trim() {
            "" => None,
            c => {
                self.deps
                    .rules
                    .taxonomy
                    .category(c, None)
                    .map_err(|e| NodeError::invalid("category", e.said()))?;
                Some(c.to_owned())
            }
        };
        Ok(CaseFilter {
            limit,
            status,
            units,
            category,
            overdue_before: q
                .overdue
                .then(|| state::local_day(self.clock()).to_string()),
            repeat: q.repeat,
            skip_level: q.skip_level,
            statuses: q.open_only.then(|| {
                crate::case::labels::STATUSES
                    .into_iter()
                    .filter(|s| s.is_open())
                    .map(|s| s.code().to_owned())
                    .collect()
            }),
            handling_unit: q.supervised_here.then(|| self.hub().me().to_string()),
            routed_to: q.routed_to_us.then(|| self.hub().me().to_string()),
            supervised: q.supervised_here,
            person: None,
            search: match q.search.trim() {
                "" => None,
                s if s.chars().count() > 100 => {
                    return Err(NodeError::too_long("search", 100));
                }
                s => Some(s.to_owned()),
            },
            id_hash: match q.id_number.trim() {
                "" => None,
                typed => {
                    let id = crate::case::registration::id_number(typed)?;
                    Some(id.keyed_hash(self.match_key("id_number")?))
                }
            },
            phone_hash: match q.phone.trim() {
                "" => None,
                typed => {
                    let phone = crate::rules::identity::Phone::parse(typed)
                        .map_err(|e| NodeError::invalid("phone", e.said()))?;
                    Some(phone.keyed_hash(self.match_key("phone")?))
                }
            },
            offset: q.offset,
            by_deadline: q.by_deadline,
        })
    }

    /// A search by identity number or phone is in the audit log, under the
    /// keyed hash (the number itself is written nowhere).
    async fn audit_identity_search(&self, who: &Actor, action: &str, hash: &str) {
        self.guard()
            .audit_allowed(who, action, "", &format!("hash {hash}"))
            .await;
    }

    /// The federation's matching key, which replicated documents' hashes of
    /// identity numbers and phones are keyed with; a search by `field` needs it.
    fn match_key(&self, field: &'static str) -> Result<&[u8], NodeError> {
        self.deps.match_key.as_deref().map(Vec::as_slice).ok_or_else(|| {
            NodeError::invalid(
                field,
                Said::new(
                    "本节点没有比对密钥（match.key），不能按身份证号或电话查询",
                    "this node has no matching key (match.key), so it cannot search by identity number or phone",
                ),
            )
        })
    }
}

/// A line of a case list, from the query tables: what a list shows, with labels.
fn list_row(r: projection::CaseRow, lens: &Lens<'_>) -> pb::CaseView {
    let today = lens.today.to_string();
    pb::CaseView {
        unit_name: lens.unit_name(&r.unit),
        status_label: lens.status_label(&r.status),
        handling_unit_name: lens.unit_name(r.handling_unit.as_deref().unwrap_or_default()),
        category_label: lens.category_label(r.category.as_deref().unwrap_or_default(), None),
        case_no: r.case_no,
        unit: r.unit,
        petitioner: r.petitioner,
        content: r.excerpt,
        registered_at: r.registered_at,
        status: r.status,
        handling_unit: r.handling_unit.unwrap_or_default(),
        next_deadline: r.next_due.map(|due| pb::Deadline {
            overdue: due < today,
            due,
            ..Default::default()
        }),
        category: r.category.unwrap_or_default(),
        repeat_of: r.repeat_of.unwrap_or_default(),
        skip_level_of: r.skip_level_of.unwrap_or_default(),
        supervision: r.supervision_due.map(|due| {
            let by = r.supervised_by.unwrap_or_default();
            pb::Deadline {
                kind: state::DeadlineKind::Supervision.code().to_owned(),
                kind_label: crate::case::labels::deadline(state::DeadlineKind::Supervision)
                    .get(lens.lang)
                    .to_owned(),
                unit_name: lens.unit_name(&by),
                unit: by,
                overdue: due < today,
                due,
            }
        }),
        ..Default::default()
    }
}
