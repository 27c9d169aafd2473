//! Who may write what, judged on every change a peer sends before any of it is
//! stored (`docs/authorization.md` has the table).
//!
//! Every Automerge change carries its actor, and every actor names the unit that
//! wrote with it (`xinfang_hub::doc::unit_actor`). For a document from a peer we
//! take the changes new to us (those `incoming` has and `prior` has not), and for
//! each:
//!
//! 1. its actor must name a unit of the topology (`author.unknown_actor`);
//! 2. from a child, that unit must lie in the child's subtree or on its chain of
//!    superiors (`author.beyond_peer`): a child relays only what its side of the
//!    tree wrote, and what it had from above (a parent relays what the whole tree
//!    wrote about us: a case forwarded from another branch comes through it);
//! 3. what the change writes must be the author's to write: a schedule document
//!    only its own unit (`schedule.own_unit`); a case's registration fields only
//!    the registering unit (`registration.by_registering_unit`); a lifecycle record
//!    is written once and never changed or removed (`record.immutable`), names its
//!    author as its unit (`record.unit_is_author`), and is one its author may write
//!    given the case as the author saw it — the records in the change's causal
//!    past, derived by [`case::derive`]: who held the case, who was assigned,
//!    which units it concerned.
//!
//! Pure: no IO, no clock. The hub calls it through [`crate::remote::RemoteRules`]
//! and quarantines a refused document whole.

use std::collections::{HashMap, HashSet};

use automerge::legacy::{Key, ObjectId, OpType};
use automerge::{
    AutoCommit, Change, ChangeHash, ROOT, ReadDoc, ScalarValue, ScalarValueRef, Value, ValueRef,
};
use xinfang_hub::doc::{self, Fields, actor_unit};
use xinfang_hub::{Refusal, Topology, UnitCode};

use crate::case::{self, Context, Header, Record};
use crate::docid::{self, Kind};

fn refusal(rule: &str, author: Option<&UnitCode>, detail: impl Into<String>) -> Refusal {
    Refusal {
        rule: rule.to_owned(),
        author: author.cloned(),
        detail: detail.into(),
    }
}

/// Judges what `incoming` brings beyond `prior` (what we hold at `me`), sent by
/// `peer`. A record dated after `not_after` (our clock plus the tolerance) is
/// refused (`record.future`): a unit whose clock runs ahead would otherwise order
/// its records before those written after them. A panic inside Automerge on
/// hostile input is a refusal, never the node's end.
pub fn judge(
    ctx: &Context<'_>,
    me: &UnitCode,
    peer: &UnitCode,
    doc_id: &str,
    prior: Option<&mut AutoCommit>,
    incoming: &mut AutoCommit,
    not_after: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<(), Refusal> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        judge_inner(ctx, me, peer, doc_id, prior, incoming, not_after)
    }))
    .unwrap_or_else(|_| {
        Err(refusal(
            "document.unreadable",
            None,
            format!("the changes of {doc_id} cannot be read"),
        ))
    })
}

fn judge_inner(
    ctx: &Context<'_>,
    me: &UnitCode,
    peer: &UnitCode,
    doc_id: &str,
    prior: Option<&mut AutoCommit>,
    incoming: &mut AutoCommit,
    not_after: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<(), Refusal> {
    let (kind, owner) =
        docid::parse(doc_id).map_err(|e| refusal("document.kind", None, e.to_string()))?;
    let mut prior = prior;
    let changes = match prior.as_mut() {
        Some(p) => p.get_changes_added(incoming),
        None => incoming.get_changes(&[]),
    };
    if changes.is_empty() {
        return Ok(());
    }
    let topo = ctx.topology;
    // What every change of a case is judged against, read in one pass of its root.
    let (case, received) = if kind == Kind::Case {
        let root = Fields::root(incoming);
        let received = case::header_in(&root).map(|h| h.received);
        (Some(CaseObjects::of(incoming, &root)), Some(received))
    } else {
        (None, None)
    };
    let mut past: Option<Past> = None;
    // Most changes follow exactly what we hold: then what the author saw is ours.
    let prior_heads = prior.as_mut().map(|p| {
        let mut h = p.get_heads();
        h.sort_unstable();
        h
    });
    // A parent relays what the whole tree wrote about us (a case forwarded from
    // another branch comes down through it); a child only its own subtree's
    // changes and those it had from its superiors.
    let from_parent = topo.parent(me) == Some(peer);
    for change in &changes {
        let author = author_of(topo, change)?;
        let within_reach =
            from_parent || topo.in_subtree(peer, &author) || topo.in_subtree(&author, peer);
        if !within_reach {
            return Err(refusal(
                "author.beyond_peer",
                Some(&author),
                format!(
                    "a change by {author} came from {peer}, a unit below {me}, which relays only \
                     changes of its own subtree and of its superiors"
                ),
            ));
        }
        match &case {
            None => {
                if author != owner {
                    return Err(refusal(
                        "schedule.own_unit",
                        Some(&author),
                        format!("{doc_id} is written only by {owner}, its own unit"),
                    ));
                }
            }
            Some(objects) => {
                let added = case_records(doc_id, &owner, objects, change, &author)?;
                if added.is_empty() {
                    continue;
                }
                if let Some(limit) = not_after
                    && let Some(r) = added.iter().find(|r| r.at > limit)
                {
                    return Err(refusal(
                        "record.future",
                        Some(&r.unit),
                        format!(
                            "record {} of case {doc_id} is dated {}, after this node's clock \
                             allows ({}): the clock of {} runs ahead",
                            r.id,
                            r.at.to_rfc3339(),
                            limit.to_rfc3339(),
                            r.unit
                        ),
                    ));
                }
                let mut deps = change.deps().to_vec();
                deps.sort_unstable();
                let seen = match (&prior_heads, prior.as_mut()) {
                    (Some(heads), Some(p)) if *heads == deps => case::read_records(p).0,
                    _ => {
                        let all = prior.is_none().then_some(changes.as_slice());
                        past.get_or_insert_with(|| Past::of(incoming, all))
                            .records_at(change.deps())
                    }
                };
                let received = received.flatten().unwrap_or_default();
                judge_records(ctx, doc_id, &owner, received, &seen, &added)?;
            }
        }
    }
    Ok(())
}

/// The unit a change's actor names, if it is one of the federation's.
fn author_of(topo: &Topology, change: &Change) -> Result<UnitCode, Refusal> {
    match actor_unit(change.actor_id()) {
        Some(u) if topo.contains(&u) => Ok(u),
        Some(u) => Err(refusal(
            "author.unknown_actor",
            None,
            format!(
                "actor {} names unit {u}, which is not in the topology",
                change.actor_id()
            ),
        )),
        None => Err(refusal(
            "author.unknown_actor",
            None,
            format!("actor {} names no unit", change.actor_id()),
        )),
    }
}

/// The ids (as Automerge prints them) of a case's `records` maps and `_scope` maps
/// (two, when two units created one concurrently).
struct CaseObjects {
    records: Vec<String>,
    scope: Vec<String>,
}

impl CaseObjects {
    /// `root`: the root's fields of `d`.
    fn of(d: &AutoCommit, root: &Fields<'_>) -> CaseObjects {
        let ids = |key: &str| -> Vec<String> {
            if !root.conflicted(key) {
                return root
                    .object(key)
                    .map(|(_, id)| vec![id.to_string()])
                    .unwrap_or_default();
            }
            d.get_all(ROOT, key)
                .map(|all| {
                    all.into_iter()
                        .filter(|(v, _)| matches!(v, Value::Object(_)))
                        .map(|(_, id)| id.to_string())
                        .collect()
                })
                .unwrap_or_default()
        };
        CaseObjects {
            records: ids(case::RECORDS_KEY),
            scope: ids(doc::SCOPE_KEY),
        }
    }
}

/// Every lifecycle record of a case with the change that wrote it, and the
/// change graph: enough to say which records a change's author had seen
/// (Automerge's own reads at past heads cost ten times as much).
struct Past {
    deps: HashMap<ChangeHash, Vec<ChangeHash>>,
    records: Vec<(ChangeHash, Record)>,
}

impl Past {
    /// `all`: every change of `d`, when the caller has them already.
    fn of(d: &mut AutoCommit, all: Option<&[Change]>) -> Past {
        let graph = |cs: &[Change]| -> HashMap<ChangeHash, Vec<ChangeHash>> {
            cs.iter().map(|c| (c.hash(), c.deps().to_vec())).collect()
        };
        let deps = match all {
            Some(cs) => graph(cs),
            None => graph(&d.get_changes(&[])),
        };
        let mut records = Vec::new();
        let mut keep = |key: &str, text: &str, op: &automerge::ObjId| {
            if let (Ok(r), Some(hash)) = (serde_json::from_str::<Record>(text), d.hash_for_opid(op))
                && r.id == key
            {
                records.push((hash, r));
            }
        };
        let maps = d.get_all(ROOT, case::RECORDS_KEY).unwrap_or_default();
        for (_, map) in maps
            .into_iter()
            .filter(|(v, _)| matches!(v, Value::Object(_)))
        {
            // One pass over the map; a record id written twice concurrently (only
            // a forged history does that) read with every value.
            let fields = Fields::of(d, &map);
            for item in fields.items() {
                if !item.conflict {
                    if let ValueRef::Scalar(ScalarValueRef::Str(text)) = &item.value {
                        keep(&item.key, text, &item.id());
                    }
                    continue;
                }
                for (v, op) in d.get_all(&map, item.key.as_ref()).unwrap_or_default() {
                    if let Value::Scalar(s) = v
                        && let ScalarValue::Str(text) = s.as_ref()
                    {
                        keep(&item.key, text, &op);
                    }
                }
            }
        }
        Past { deps, records }
    }

    /// The records written by `heads` and the changes before them.
    fn records_at(&self, heads: &[ChangeHash]) -> Vec<Record> {
        let mut seen: HashSet<ChangeHash> = HashSet::new();
        let mut stack = heads.to_vec();
        while let Some(h) = stack.pop() {
            if seen.insert(h)
                && let Some(ds) = self.deps.get(&h)
            {
                stack.extend(ds.iter().copied());
            }
        }
        self.records
            .iter()
            .filter(|(h, _)| seen.contains(h))
            .map(|(_, r)| r.clone())
            .collect()
    }
}

/// The lifecycle records `change` adds, once its other operations passed.
fn case_records(
    case_no: &str,
    registrar: &UnitCode,
    objects: &CaseObjects,
    change: &Change,
    author: &UnitCode,
) -> Result<Vec<Record>, Refusal> {
    let expanded = change.decode();
    let mut added: Vec<Record> = Vec::new();
    for op in &expanded.operations {
        let obj = match &op.obj {
            ObjectId::Root => None,
            ObjectId::Id(id) => Some(id.to_string()),
        };
        let key = match &op.key {
            Key::Map(k) => k.to_string(),
            Key::Seq(_) => String::new(),
        };
        match obj {
            None => {
                if author != registrar {
                    return Err(refusal(
                        "registration.by_registering_unit",
                        Some(author),
                        format!(
                            "field `{key}` of case {case_no} is written only by the registering \
                             unit {registrar}"
                        ),
                    ));
                }
            }
            Some(o) if objects.scope.contains(&o) => {
                // Routing: the hub holds the scope to the link's subtree.
            }
            Some(o) if objects.records.contains(&o) => {
                let replaces = !op.pred.is_empty();
                let text = match &op.action {
                    OpType::Put(ScalarValue::Str(t)) if !replaces => t.to_string(),
                    _ => {
                        return Err(refusal(
                            "record.immutable",
                            Some(author),
                            format!(
                                "record {key} of case {case_no} is changed or removed; records are \
                                 written once and never changed"
                            ),
                        ));
                    }
                };
                let record = match serde_json::from_str::<Record>(&text) {
                    Ok(r) if r.id == key => r,
                    _ => {
                        return Err(refusal(
                            "record.unreadable",
                            Some(author),
                            format!("record {key} of case {case_no} is not a lifecycle record"),
                        ));
                    }
                };
                if &record.unit != author {
                    return Err(refusal(
                        "record.unit_is_author",
                        Some(author),
                        format!(
                            "record {key} of case {case_no} names {} as its unit but was written by \
                             {author}",
                            record.unit
                        ),
                    ));
                }
                added.push(record);
            }
            Some(o) => {
                return Err(refusal(
                    "case.known_objects",
                    Some(author),
                    format!(
                        "case {case_no}: a change writes into object {o}, which a case does not have"
                    ),
                ));
            }
        }
    }
    Ok(added)
}

/// Whether the records a change adds were their author's to write, in the case as
/// the author saw it (`seen`: the records of the change's causal past).
fn judge_records(
    ctx: &Context<'_>,
    case_no: &str,
    registrar: &UnitCode,
    received: chrono::NaiveDate,
    seen: &[Record],
    added: &[Record],
) -> Result<(), Refusal> {
    let header = Header {
        registered_by: registrar.clone(),
        received,
        skip_level_of: None,
        received_by_leader: false,
    };
    let now = case::derive(&header, seen, ctx, header.received);
    for r in added {
        case::may_write(ctx.topology, registrar, &now, r).map_err(|e| {
            refusal(
                e.rule,
                Some(&r.unit),
                format!("case {case_no}: {}", e.message),
            )
        })?;
    }
    Ok(())
}

/// A kept document's fields as JSON text, for inspection: scalars as they are,
/// maps and lists nested (a record, which is JSON text, parsed), at most 8 deep.
/// Bytes that do not load give a JSON string saying why.
pub fn render_json(doc_id: &str, bytes: &[u8]) -> String {
    let limits = doc::Limits::default();
    let value = match doc::decode(doc_id, bytes, &limits) {
        Ok(loaded) => object_json(&loaded.doc, &automerge::ObjId::Root, 0),
        Err(e) => serde_json::Value::String(format!("unreadable: {e}")),
    };
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

fn object_json(d: &AutoCommit, obj: &automerge::ObjId, depth: usize) -> serde_json::Value {
    use serde_json::Value as J;
    if depth > 8 {
        return J::String("…".into());
    }
    let one = |v: Value<'_>, id: automerge::ObjId| -> J {
        match v {
            Value::Object(_) => object_json(d, &id, depth + 1),
            Value::Scalar(s) => match s.as_ref() {
                ScalarValue::Str(t) => serde_json::from_str::<J>(t)
                    .ok()
                    .filter(|j| j.is_object())
                    .unwrap_or_else(|| J::String(t.to_string())),
                ScalarValue::Int(i) => J::from(*i),
                ScalarValue::Uint(u) => J::from(*u),
                ScalarValue::F64(f) => J::from(*f),
                ScalarValue::Boolean(b) => J::Bool(*b),
                ScalarValue::Null => J::Null,
                other => J::String(other.to_string()),
            },
        }
    };
    match d.object_type(obj) {
        Ok(automerge::ObjType::List | automerge::ObjType::Text) => J::Array(
            (0..d.length(obj))
                .filter_map(|i| d.get(obj, i).ok().flatten())
                .map(|(v, id)| one(v, id))
                .collect(),
        ),
        _ => J::Object(
            d.keys(obj)
                .filter_map(|k| {
                    let (v, id) = d.get(obj, k.as_str()).ok().flatten()?;
                    Some((k, one(v, id)))
                })
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;
    use automerge::{ActorId, ObjType};
    use chrono::{TimeZone, Utc};
    use xinfang_hub::doc::unit_actor;

    use super::*;
    use crate::case::tests::{CITY, COUNTY, TOWN_A, TOWN_B, World, u};
    use crate::case::{Body, Screening, Stage, Supervision};

    const NO: &str = "441521115000-2026-000001";

    /// The lifecycle tests' federation, asked what a receiving node says.
    impl World {
        /// What `holder` of `prior` (at the receiving node) says of `incoming` from `peer`.
        fn judge(
            &self,
            peer: &str,
            id: &str,
            prior: Option<&AutoCommit>,
            incoming: &AutoCommit,
        ) -> Result<(), Refusal> {
            let mut prior = prior.cloned();
            let mut incoming = incoming.clone();
            // Children send to their parent; the county sends down to town A.
            let me = match peer {
                COUNTY => u(TOWN_A),
                _ => self.topo.parent(&u(peer)).cloned().expect("a parent"),
            };
            judge(
                &self.ctx(),
                &me,
                &u(peer),
                id,
                prior.as_mut(),
                &mut incoming,
                None,
            )
        }
    }

    fn rule(r: Result<(), Refusal>) -> String {
        match r {
            Ok(()) => "ok".into(),
            Err(e) => {
                assert!(!e.detail.is_empty());
                e.rule
            }
        }
    }

    /// A case registered by `registrar`, written with its actor.
    fn registered(no: &str, registrar: &str) -> AutoCommit {
        let mut d = doc::new_doc(no, unit_actor(&u(registrar))).expect("doc");
        doc::extend_scope(no, &mut d, [&u(registrar)]).expect("scope");
        d.put(ROOT, "kind", "case").expect("put");
        d.put(ROOT, "case_no", no).expect("put");
        d.put(ROOT, "unit", registrar).expect("put");
        d.put(ROOT, "petitioner", "张三").expect("put");
        d.put(ROOT, "registered_at", "2026-03-02T01:00:00Z")
            .expect("put");
        d.put_object(ROOT, case::RECORDS_KEY, ObjType::Map)
            .expect("records");
        d.commit();
        d
    }

    fn rec(id: &str, unit: &str, minute: u32, body: Body) -> Record {
        Record {
            id: id.into(),
            unit: u(unit),
            at: Utc
                .with_ymd_and_hms(2026, 3, 2, 2, minute, 0)
                .single()
                .expect("time"),
            body,
            by: None,
        }
    }

    /// `unit` appends a record on its own replica (a fork of `d`), as its node would.
    fn by(d: &AutoCommit, unit: &str, id: &str, minute: u32, body: Body) -> AutoCommit {
        let mut next = d.clone().with_actor(unit_actor(&u(unit)));
        case::add_record(&mut next, NO, &rec(id, unit, minute, body)).expect("record");
        next.commit();
        next
    }

    fn due() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 4, 1).expect("date")
    }

    fn accept() -> Body {
        Body::Screening {
            decision: Screening::Accept,
        }
    }

    fn supervise() -> Body {
        Body::Supervision {
            method: Supervision::Listed,
            due: due(),
            demand: "督办".into(),
        }
    }

    /// Registered at town A, accepted there and forwarded to the county, which
    /// accepted it: the county's replica.
    fn at_county() -> AutoCommit {
        let d = registered(NO, TOWN_A);
        let d = by(&d, TOWN_A, "a1", 1, accept());
        let d = by(
            &d,
            TOWN_A,
            "a2",
            2,
            Body::Forward {
                to: u(COUNTY),
                due: due(),
            },
        );
        by(&d, COUNTY, "c1", 3, accept())
    }

    #[test]
    fn an_honest_history_passes_whole_and_step_by_step() {
        let w = World::new();
        let county = at_county();
        // Everything new to a county that never saw the case, relayed by the town.
        assert_eq!(rule(w.judge(TOWN_A, NO, None, &county)), "ok");
        // The county assigns it down; the town notes progress and replies.
        let assigned = by(
            &county,
            COUNTY,
            "c2",
            4,
            Body::Assign {
                to: u(TOWN_A),
                due: due(),
            },
        );
        let town = by(
            &assigned,
            TOWN_A,
            "a3",
            5,
            Body::Progress {
                text: "已办".into(),
            },
        );
        let town = by(
            &town,
            TOWN_A,
            "a4",
            6,
            Body::Reply {
                opinion: crate::case::Opinion::Support,
                text: "答复".into(),
            },
        );
        assert_eq!(rule(w.judge(TOWN_A, NO, Some(&assigned), &town)), "ok");
        // The city supervises; it reaches the town through the county.
        let city = by(&town, CITY, "y1", 7, supervise());
        assert_eq!(rule(w.judge(COUNTY, NO, Some(&town), &city)), "ok");
        // A superior's note on a case below it (the API's notes) is fine too.
        let noted = by(
            &town,
            CITY,
            "y2",
            8,
            Body::Progress {
                text: "关注".into(),
            },
        );
        assert_eq!(rule(w.judge(COUNTY, NO, Some(&town), &noted)), "ok");
        // The same document again brings nothing new.
        assert_eq!(rule(w.judge(TOWN_A, NO, Some(&town), &town)), "ok");
    }

    #[test]
    fn a_record_is_judged_by_what_its_author_had_seen() {
        let w = World::new();
        let county = at_county();
        let reply = || Body::Reply {
            opinion: crate::case::Opinion::Support,
            text: "答复".into(),
        };
        // The county assigns the case to the town, and supervises it meanwhile.
        let assigned = by(
            &county,
            COUNTY,
            "c2",
            4,
            Body::Assign {
                to: u(TOWN_A),
                due: due(),
            },
        );
        let held = by(&assigned, COUNTY, "c3", 5, supervise());
        // The town replies having seen the assignment, not the supervision: fine.
        let town = by(&assigned, TOWN_A, "a3", 6, reply());
        assert_eq!(rule(w.judge(TOWN_A, NO, Some(&held), &town)), "ok");
        // A reply written before the town had seen any assignment is refused, even
        // though the county has assigned it since.
        let early = by(&county, TOWN_A, "a4", 6, reply());
        assert_eq!(
            rule(w.judge(TOWN_A, NO, Some(&assigned), &early)),
            "reply.by_assigned_unit"
        );
    }

    #[test]
    fn a_township_may_not_supervise_even_its_own_case() {
        let w = World::new();
        let d = registered(NO, TOWN_A);
        let bad = by(&d, TOWN_A, "a1", 1, supervise());
        assert_eq!(
            rule(w.judge(TOWN_A, NO, Some(&d), &bad)),
            "supervision.by_superior"
        );
        // Nor once the county holds it; the county may.
        let county = at_county();
        let bad = by(&county, TOWN_A, "a9", 9, supervise());
        assert_eq!(
            rule(w.judge(TOWN_A, NO, Some(&county), &bad)),
            "supervision.by_superior"
        );
        let ok = by(&county, CITY, "y1", 9, supervise());
        assert_eq!(rule(w.judge(COUNTY, NO, Some(&county), &ok)), "ok");
        let assigned = by(
            &county,
            COUNTY,
            "c2",
            4,
            Body::Assign {
                to: u(TOWN_A),
                due: due(),
            },
        );
        let ok = by(&assigned, COUNTY, "c3", 9, supervise());
        assert_eq!(rule(w.judge(COUNTY, NO, Some(&assigned), &ok)), "ok");
    }

    #[test]
    fn records_are_never_changed_or_removed() {
        let w = World::new();
        let county = at_county();
        let map = |d: &AutoCommit| match d.get(ROOT, case::RECORDS_KEY) {
            Ok(Some((Value::Object(ObjType::Map), id))) => id,
            other => panic!("records map: {other:?}"),
        };
        // The town rewrites the county's screening, keeping its unit.
        let mut edited = county.clone().with_actor(unit_actor(&u(TOWN_A)));
        let forged = rec(
            "c1",
            COUNTY,
            3,
            Body::Screening {
                decision: Screening::NotAccept {
                    notice: "不予受理".into(),
                    competent_authority: "法院".into(),
                },
            },
        );
        let m = map(&edited);
        edited
            .put(&m, "c1", serde_json::to_string(&forged).expect("json"))
            .expect("put");
        assert_eq!(
            rule(w.judge(TOWN_A, NO, Some(&county), &edited)),
            "record.immutable"
        );
        // Or removes it.
        let mut removed = county.clone().with_actor(unit_actor(&u(TOWN_A)));
        let m = map(&removed);
        removed.delete(&m, "c1").expect("delete");
        assert_eq!(
            rule(w.judge(TOWN_A, NO, Some(&county), &removed)),
            "record.immutable"
        );
    }

    #[test]
    fn a_record_names_its_author_and_is_the_authors_to_write() {
        let w = World::new();
        let county = at_county();
        // The town writes a screening in the county's name.
        let mut forged = county.clone().with_actor(unit_actor(&u(TOWN_A)));
        case::add_record(&mut forged, NO, &rec("x1", COUNTY, 9, accept())).expect("record");
        assert_eq!(
            rule(w.judge(TOWN_A, NO, Some(&county), &forged)),
            "record.unit_is_author"
        );
        // The county holds the case: the town neither screens, routes, handles nor replies.
        for (body, expected) in [
            (accept(), "screening.by_holder"),
            (
                Body::Forward {
                    to: u(TOWN_B),
                    due: due(),
                },
                "routing.by_holder",
            ),
            (
                Body::Extension {
                    days: 5,
                    reason: "x".into(),
                    approved_by: "x".into(),
                },
                "handling.by_assigned_unit",
            ),
            (
                Body::Reply {
                    opinion: crate::case::Opinion::Support,
                    text: "x".into(),
                },
                "reply.by_assigned_unit",
            ),
            (
                Body::Objection { reason: "x".into() },
                "objection.by_assigned_unit",
            ),
        ] {
            let bad = by(&county, TOWN_A, "x2", 9, body);
            assert_eq!(rule(w.judge(TOWN_A, NO, Some(&county), &bad)), expected);
        }
        // Another township, not concerned at all, may not even rate it.
        let mut b = county.clone().with_actor(unit_actor(&u(TOWN_B)));
        case::add_record(
            &mut b,
            NO,
            &rec(
                "b1",
                TOWN_B,
                9,
                Body::Rating {
                    acceptance: crate::case::Satisfaction::Satisfied,
                    handling: crate::case::Satisfaction::Satisfied,
                },
            ),
        )
        .expect("record");
        assert_eq!(
            rule(w.judge(TOWN_B, NO, Some(&county), &b)),
            "record.by_unit_concerned"
        );
    }

    #[test]
    fn registration_fields_are_the_registering_units() {
        let w = World::new();
        let county = at_county();
        let mut edited = county.clone().with_actor(unit_actor(&u(COUNTY)));
        edited.put(ROOT, "petitioner", "李四").expect("put");
        assert_eq!(
            rule(w.judge(TOWN_A, NO, Some(&county), &edited)),
            "registration.by_registering_unit"
        );
        // Another township's case number, written by town B: every field is refused.
        let other = registered(NO, TOWN_B);
        assert_eq!(
            rule(w.judge(TOWN_B, NO, None, &other)),
            "registration.by_registering_unit"
        );
        // Its registrar may.
        let mut own = county.clone().with_actor(unit_actor(&u(TOWN_A)));
        own.put(ROOT, "petitioner", "李四").expect("put");
        assert_eq!(rule(w.judge(TOWN_A, NO, Some(&county), &own)), "ok");
    }

    #[test]
    fn authors_are_units_within_reach_of_the_peer() {
        let w = World::new();
        let county = at_county();
        let mut stranger = county.clone().with_actor(ActorId::random());
        case::add_record(&mut stranger, NO, &rec("z1", COUNTY, 9, supervise())).expect("record");
        assert_eq!(
            rule(w.judge(TOWN_A, NO, Some(&county), &stranger)),
            "author.unknown_actor"
        );
        let mut outsider = county.clone().with_actor(unit_actor(&u("441599")));
        outsider.put(ROOT, "x", 1).expect("put");
        assert_eq!(
            rule(w.judge(TOWN_A, NO, Some(&county), &outsider)),
            "author.unknown_actor"
        );
        // Town A's change relayed by town B: a sibling relays nothing of town A's.
        let a = by(
            &county,
            COUNTY,
            "c2",
            4,
            Body::Assign {
                to: u(TOWN_A),
                due: due(),
            },
        );
        let a2 = by(&a, TOWN_A, "a3", 5, Body::Progress { text: "x".into() });
        assert_eq!(
            rule(w.judge(TOWN_B, NO, Some(&a), &a2)),
            "author.beyond_peer"
        );
        // From above, superiors' changes and the peer's subtree's are fine.
        assert_eq!(rule(w.judge(COUNTY, NO, Some(&a), &a2)), "ok");
        // A change into an object a case does not have.
        let mut odd = county.clone().with_actor(unit_actor(&u(TOWN_A)));
        let m = odd.put_object(ROOT, "extra", ObjType::Map).expect("obj");
        odd.commit();
        let mut odd2 = odd.clone().with_actor(unit_actor(&u(COUNTY)));
        odd2.put(&m, "k", 1).expect("put");
        assert_eq!(
            rule(w.judge(TOWN_A, NO, Some(&odd), &odd2)),
            "case.known_objects"
        );
    }

    #[test]
    fn lead_decisions_and_sealed_contacts() {
        let w = World::new();
        let county = at_county();
        let forwarded = by(
            &county,
            COUNTY,
            "c2",
            4,
            Body::Forward {
                to: u(TOWN_B),
                due: due(),
            },
        );
        let lead = || Body::LeadDecision { lead: u(TOWN_B) };
        let ok = by(&forwarded, CITY, "y1", 5, lead());
        assert_eq!(rule(w.judge(COUNTY, NO, Some(&forwarded), &ok)), "ok");
        let bad = by(&forwarded, TOWN_A, "a5", 5, lead());
        // One rule for local writes and peers' changes: the lowest common superior.
        assert_eq!(
            rule(w.judge(TOWN_A, NO, Some(&forwarded), &bad)),
            "lead.common_superior"
        );
        let sealed = || Body::SealedContact {
            for_unit: u(TOWN_B),
            sealed: crate::contact::Sealed {
                ephemeral: "00".into(),
                nonce: "00".into(),
                ciphertext: "00".into(),
            },
        };
        let ok = by(&forwarded, TOWN_A, "a6", 5, sealed());
        assert_eq!(rule(w.judge(TOWN_A, NO, Some(&forwarded), &ok)), "ok");
        // Town B's step reaches town A from the county (its parent), and the
        // county from town B.
        let b_step = by(&forwarded, TOWN_B, "b0", 5, accept());
        assert_eq!(rule(w.judge(COUNTY, NO, Some(&forwarded), &b_step)), "ok");
        assert_eq!(rule(w.judge(TOWN_B, NO, Some(&forwarded), &b_step)), "ok");
        let bad = by(&forwarded, COUNTY, "c6", 5, sealed());
        assert_eq!(
            rule(w.judge(COUNTY, NO, Some(&forwarded), &bad)),
            "contact.sealed_by_registrar"
        );
        // A review is decided above the handler, requested by a unit concerned.
        let rq = by(
            &forwarded,
            TOWN_B,
            "b1",
            6,
            Body::ReviewRequest {
                stage: Stage::Review,
            },
        );
        assert_eq!(rule(w.judge(TOWN_B, NO, Some(&forwarded), &rq)), "ok");
        let decide = |unit: &str| {
            by(
                &rq,
                unit,
                "r1",
                7,
                Body::ReviewDecision {
                    stage: Stage::Review,
                    opinion: crate::case::Opinion::Support,
                    text: "维持".into(),
                },
            )
        };
        assert_eq!(rule(w.judge(COUNTY, NO, Some(&rq), &decide(COUNTY))), "ok");
        assert_eq!(
            rule(w.judge(TOWN_B, NO, Some(&rq), &decide(TOWN_B))),
            "review.by_superior_of_issuer"
        );
    }

    #[test]
    fn schedules_are_written_by_their_own_unit() {
        let w = World::new();
        let id = format!("schedule/{TOWN_A}/2026-04");
        let mut own = doc::new_doc(&id, unit_actor(&u(TOWN_A))).expect("doc");
        doc::extend_scope(&id, &mut own, [&u(TOWN_A)]).expect("scope");
        own.put(ROOT, "kind", "schedule").expect("put");
        own.commit();
        assert_eq!(rule(w.judge(TOWN_A, &id, None, &own)), "ok");
        let mut theirs = own.clone().with_actor(unit_actor(&u(COUNTY)));
        theirs.put(ROOT, "leader", "县领导").expect("put");
        assert_eq!(
            rule(w.judge(COUNTY, &id, Some(&own), &theirs)),
            "schedule.own_unit"
        );
        assert_eq!(
            rule(w.judge(TOWN_A, "nonsense", None, &own)),
            "document.kind"
        );
    }

    #[test]
    fn quarantined_bytes_render_as_json() {
        let mut d = at_county();
        let text = render_json(NO, &d.save());
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(v["unit"], TOWN_A);
        assert_eq!(v["records"]["c1"]["unit"], COUNTY);
        assert!(render_json(NO, b"junk").contains("unreadable"));
    }
}
