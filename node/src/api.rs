//! The local node API (gRPC `xinfang.v1.Node`), used by the `xinfang` CLI.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xinfang_hub::db::Db;
use xinfang_hub::store::TxStep;
use xinfang_hub::tls::TlsState;
use xinfang_hub::{Create, Hub, HubError, UpdateError};
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::node_server::Node as NodeRpc;

use crate::auth::Actor;
use crate::auth::{Action, Guard, Step};
use crate::case::{self, CaseView, Details, DetailsInput, Registration};
use crate::contact::NodeKeys;
use crate::error::NodeError;
use crate::lifecycle::{self, Body, Context, Record};
use crate::pii::{Field, PiiKey};
use crate::projection::{self, CaseFilter, Projector};
use crate::rules::CaseRules;

const DEFAULT_PAGE: u32 = 100;
const MAX_PAGE: u32 = 10_000;

pub struct NodeApi {
    hub: Hub,
    db: Db,
    /// Next case number per (unit, year), once read from `node_case_counters`.
    counters: tokio::sync::Mutex<std::collections::HashMap<(String, i32), u64>>,
    projector: Arc<Projector>,
    rules: Arc<CaseRules>,
    match_key: Option<Arc<Vec<u8>>>,
    keys: Option<Arc<NodeKeys>>,
    tls: Option<Arc<TlsState>>,
    guard: Option<Arc<Guard>>,
    ledger: Option<Arc<crate::ledger::Ledger>>,
    /// The node's key for personal data at rest, and the roles that see clear values.
    pii: Option<Arc<PiiKey>>,
    clear_roles: Vec<crate::auth::Role>,
}

impl NodeApi {
    pub fn new(
        hub: Hub,
        db: Db,
        projector: Arc<Projector>,
        rules: Arc<CaseRules>,
        match_key: Option<Arc<Vec<u8>>>,
        keys: Option<Arc<NodeKeys>>,
    ) -> Self {
        NodeApi {
            hub,
            db,
            counters: Default::default(),
            projector,
            rules,
            match_key,
            keys,
            tls: None,
            guard: None,
            ledger: None,
            pii: None,
            clear_roles: crate::pii::DEFAULT_CLEAR_ROLES.to_vec(),
        }
    }

    /// Who may call what (`auth`). Without it every call is refused.
    pub fn with_guard(mut self, guard: Arc<Guard>) -> Self {
        self.guard = Some(guard);
        self
    }

    fn guard(&self) -> Result<&Guard, NodeError> {
        self.guard
            .as_deref()
            .ok_or_else(|| NodeError::Internal("the node API runs without accounts".into()))
    }

    /// The node's TLS material, for the expiry dates `status` reports.
    /// Personal data encrypted under `key`; `clear_roles` see clear values.
    pub fn with_pii(mut self, key: Arc<PiiKey>, clear_roles: Vec<crate::auth::Role>) -> Self {
        self.pii = Some(key);
        self.clear_roles = clear_roles;
        self
    }

    fn pii(&self) -> Result<&PiiKey, NodeError> {
        self.pii.as_deref().ok_or_else(|| {
            NodeError::Internal("the node API runs without its personal-data key".into())
        })
    }

    /// What of `view`'s clear personal data `who` may see: all of it, each field
    /// shown appended to the ledger (who, case, field), if one of their roles is
    /// configured for clear values; else none (the masked forms stay).
    async fn disclose(&self, who: &Actor, view: &mut pb::CaseView) -> Result<(), NodeError> {
        let fields: Vec<&'static str> = [
            (!view.id_number.is_empty()).then_some(Field::IdNumber.as_str()),
            (!view.phone.is_empty()).then_some(Field::Phone.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect();
        if fields.is_empty() {
            return Ok(());
        }
        if !who.roles.iter().any(|r| self.clear_roles.contains(r)) {
            view.id_number.clear();
            view.phone.clear();
            return Ok(());
        }
        let ledger = self.ledger.as_ref().ok_or_else(|| {
            NodeError::Internal("clear values need the ledger to log the view".into())
        })?;
        let entries = fields
            .into_iter()
            .map(|field| crate::ledger::NewEntry {
                kind: crate::ledger::EntryKind::View,
                doc_id: view.case_no.clone(),
                actor: who.name.clone(),
                peer: String::new(),
                detail: field.to_owned(),
            })
            .collect();
        // Logged before it is shown: a view that cannot be logged is not shown.
        ledger.append(entries, None).await
    }

    pub fn with_ledger(mut self, ledger: Arc<crate::ledger::Ledger>) -> Self {
        self.ledger = Some(ledger);
        self
    }

    pub fn with_tls(mut self, tls: Option<Arc<TlsState>>) -> Self {
        self.tls = tls;
        self
    }

    fn context(&self) -> Context<'_> {
        Context {
            topology: self.hub.topology(),
            calendar: &self.rules.calendar,
            limits: &self.rules.limits,
        }
    }

    /// Personal data in clear (decrypted), if this node registered the case.
    async fn personal(&self, case_no: &str) -> Result<(String, String), NodeError> {
        let row: Option<(Option<String>, Option<String>)> =
            sqlx::query_as("SELECT id_number, phone FROM node_pii WHERE case_no = $1")
                .bind(case_no)
                .fetch_optional(self.db.pool())
                .await?;
        let (id, phone) = row.unwrap_or_default();
        let open = |field: Field, stored: Option<String>| -> Result<String, NodeError> {
            match stored {
                None => Ok(String::new()),
                Some(s) => self
                    .pii()?
                    .open(case_no, field, &s)
                    .map_err(|e| NodeError::Internal(e.to_string())),
            }
        };
        Ok((open(Field::IdNumber, id)?, open(Field::Phone, phone)?))
    }

    /// The whole case file with everything derived from its records, as of today.
    fn full_view(
        &self,
        d: &mut automerge::AutoCommit,
        case_no: &str,
    ) -> Result<pb::CaseView, NodeError> {
        let view = case::read(d, case_no)?;
        let det = view.details.clone();
        let (records, unreadable) = case::read_records(d);
        let mut out = to_pb(view);
        out.id_masked = det.id_masked.unwrap_or_default();
        out.phone_masked = det.phone_masked.unwrap_or_default();
        out.address = det.address.unwrap_or_default();
        out.channel = serde_json::to_value(det.channel)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        out.purpose = det.purpose.unwrap_or_default();
        out.category = det.category.unwrap_or_default();
        out.subcategory = det.subcategory.unwrap_or_default();
        out.place = det.place.map(|u| u.to_string()).unwrap_or_default();
        out.cause = det.cause.unwrap_or_default();
        out.receiving_leader = det.receiving_leader.unwrap_or_default();
        out.responsible_unit = det
            .responsible_unit
            .map(|u| u.to_string())
            .unwrap_or_default();
        out.representatives = det.representatives;
        out.head_count = det.head_count;
        out.repeat_of = det.repeat_of.unwrap_or_default();
        out.skip_level_of = det.skip_level_of.unwrap_or_default();
        let Some(h) = case::header(d) else {
            return Ok(out);
        };
        let today = lifecycle::local_day(self.clock());
        let derived = lifecycle::derive(&h, &records, &self.context(), today);
        out.status = lifecycle::status_code(derived.status).to_owned();
        out.handling_unit = derived.handling_unit.to_string();
        out.lead_unit = derived.lead_unit.map(|u| u.to_string()).unwrap_or_default();
        out.overdue = derived.overdue;
        out.next_deadline = derived.next_deadline.map(|d| pb::Deadline {
            kind: serde_json::to_value(d.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            unit: d.unit.to_string(),
            due: d.due.to_string(),
            overdue: d.overdue,
        });
        out.closure_blockers = derived
            .closure_blockers
            .iter()
            .map(|b| b.describe().to_owned())
            .collect();
        out.warnings = derived
            .missing_years
            .iter()
            .map(ToString::to_string)
            .collect();
        // A phone sealed to this node by the registering unit opens here.
        if let Some(keys) = &self.keys {
            let me = self.hub.me();
            for r in &records {
                if let Body::SealedContact { for_unit, sealed } = &r.body
                    && for_unit == me
                {
                    match keys.open(sealed, &crate::sealer::context(case_no, me)) {
                        Ok(phone) => out.phone = phone,
                        Err(e) => out.warnings.push(format!("sealed contact: {e}")),
                    }
                }
            }
        }
        if unreadable > 0 {
            out.warnings
                .push(format!("{unreadable} record(s) could not be read"));
        }
        out.records = lifecycle::ordered(&records)
            .into_iter()
            .map(|r| {
                let json = serde_json::to_value(r).unwrap_or_default();
                pb::RecordView {
                    by: r.by.clone().unwrap_or_default(),
                    id: r.id.clone(),
                    unit: r.unit.to_string(),
                    at: r.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    kind: json["body"]["kind"].as_str().unwrap_or_default().to_owned(),
                    json: json.to_string(),
                }
            })
            .collect();
        Ok(out)
    }

    /// Adds one lifecycle record written by this node's unit and user `by`, if the
    /// rules admit it.
    pub async fn act(
        &self,
        case_no: &str,
        body_json: &str,
        by: &str,
    ) -> Result<pb::CaseView, NodeError> {
        let body: Body = serde_json::from_str(body_json)
            .map_err(|e| NodeError::invalid("record", e.to_string()))?;
        let me = self.hub.me().clone();
        let record = Record {
            id: format!("{me}-{}", uuid::Uuid::new_v4().simple()),
            unit: me,
            at: self.clock(),
            body,
            by: Some(by.to_owned()),
        };
        let today = lifecycle::local_day(record.at);
        let ctx = self.context();
        // One load of the document: rules, write and the answer all work on it.
        let result = self
            .hub
            .update(case_no, Create::Existing, |d| {
                if !case::is_case(d) {
                    return Err(NodeError::NotFound(format!("{case_no} is not a case")));
                }
                let h = case::header(d)
                    .ok_or_else(|| NodeError::Internal(format!("{case_no} has no registration")))?;
                let (mut records, _) = case::read_records(d);
                let refusal = |r: lifecycle::Refusal| NodeError::Rule {
                    rule: r.rule,
                    message: r.message,
                };
                lifecycle::admit(&h, &records, &record, &ctx, today).map_err(refusal)?;
                case::add_record(d, case_no, &record)?;
                // Accepting a case registered elsewhere: publish our key so the
                // registering unit can seal the petitioner's phone to us.
                let accepted = matches!(
                    record.body,
                    Body::Screening {
                        decision: lifecycle::Screening::Accept
                    }
                );
                if let (true, Some(keys)) = (accepted && record.unit != h.registered_by, &self.keys)
                {
                    records.push(record.clone());
                    let key_record = Record {
                        id: format!("{}-{}", record.unit, uuid::Uuid::new_v4().simple()),
                        unit: record.unit.clone(),
                        at: record.at,
                        body: Body::ContactKey {
                            cert_pem: keys.cert_pem.clone(),
                        },
                        // Written by the node itself, on the acceptance.
                        by: None,
                    };
                    lifecycle::admit(&h, &records, &key_record, &ctx, today).map_err(refusal)?;
                    case::add_record(d, case_no, &key_record)?;
                }
                self.full_view(d, case_no)
            })
            .await;
        match result {
            Err(UpdateError::Hub(HubError::NotFound(_))) => Err(NodeError::Rule {
                rule: "case.visible",
                message: format!(
                    "case {case_no} is not held at this node: unit {} cannot see or act on it",
                    self.hub.me()
                ),
            }),
            other => Ok(other?),
        }
    }

    /// The node's clock (tests may set it).
    fn clock(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp_millis(self.hub.now_ms()).unwrap_or_else(chrono::Utc::now)
    }

    fn now(&self) -> (String, i32) {
        let now = self.clock();
        (
            now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            chrono::Datelike::year(&now),
        )
    }

    /// The next case number of `unit` in `year`, handed out from memory (the
    /// first time from the stored counter); the counter is stored with each case.
    async fn next_number(&self, unit: &str, year: i32) -> Result<u64, NodeError> {
        let mut counters = self.counters.lock().await;
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
                stored.map_or(1, |n| n.max(1) as u64)
            }
        };
        counters.insert(key, next + 1);
        Ok(next)
    }

    /// Registers a case at this node, by user `by`.
    pub async fn register(
        &self,
        req: pb::RegisterCaseRequest,
        by: &str,
    ) -> Result<pb::CaseView, NodeError> {
        let me = self.hub.me().clone();
        let mut reg = Registration::validate(&me, &req.unit, &req.petitioner, &req.content)?;
        reg.by = Some(by.to_owned());
        let input = DetailsInput {
            id_number: &req.id_number,
            phone: &req.phone,
            address: &req.address,
            channel: &req.channel,
            purpose: &req.purpose,
            category: &req.category,
            subcategory: &req.subcategory,
            place: &req.place,
            cause: &req.cause,
            receiving_leader: &req.receiving_leader,
            responsible_unit: &req.responsible_unit,
            representatives: &req.representatives,
            head_count: req.head_count,
        };
        let key = self.match_key.as_deref().map(Vec::as_slice);
        let (mut details, personal) =
            Details::validate(&input, &self.rules.taxonomy, self.hub.topology(), key)?;
        if let (Some(hash), Some(category)) = (&details.id_hash, &details.category) {
            // Same petitioner (keyed hash), same matter (classification): a repeat;
            // and if a unit below us still handles it, a skip-level petition.
            self.projector.catch_up().await?;
            let matches = projection::matching_cases(
                &self.db,
                hash,
                category,
                details.subcategory.as_deref(),
            )
            .await?;
            details.repeat_of = matches.first().map(|m| m.case_no.clone());
            details.skip_level_of = matches
                .iter()
                .find(|m| {
                    let open = serde_json::from_value::<lifecycle::Status>(
                        serde_json::Value::String(m.status.clone()),
                    )
                    .is_ok_and(lifecycle::Status::is_open);
                    let below = m
                        .handling_unit
                        .as_deref()
                        .and_then(|u| u.parse::<xinfang_hub::UnitCode>().ok())
                        .is_some_and(|u| u != me && self.hub.topology().in_subtree(&me, &u));
                    open && below
                })
                .map(|m| m.case_no.clone());
        }
        reg.details = details;
        let (at, year) = self.now();
        let id_number = personal.id.as_ref().map(|i| i.expose().to_owned());
        let phone = personal.phone.as_ref().map(|p| p.expose().to_owned());
        loop {
            let seq = self.next_number(reg.unit.as_str(), year).await?;
            let no = case::case_number(&reg.unit, year, seq);
            // Encrypted for this case number (its associated data), with keyed hashes.
            let key = self.pii()?;
            let sealed = |field: Field, v: &Option<String>| {
                v.as_ref()
                    .map(|v| (key.seal(&no, field, v), key.hash(field, v)))
            };
            // The counter and the personal data in clear are written in the
            // document's own transaction: both exist exactly when the case does.
            let step = local_rows(
                no.clone(),
                reg.unit.to_string(),
                year,
                seq,
                sealed(Field::IdNumber, &id_number),
                sealed(Field::Phone, &phone),
            );
            let result = self
                .hub
                .update_with(&no, Create::New, |d| {
                    case::write_registration(d, &no, &reg, &at)?;
                    let mut view = self.full_view(d, &no)?;
                    view.arrived_at = at.clone();
                    view.id_number = id_number.clone().unwrap_or_default();
                    view.phone = phone.clone().unwrap_or_default();
                    Ok::<_, NodeError>((view, Some(step)))
                })
                .await;
            match result {
                Ok(view) => return Ok(view),
                // The counter fell behind the documents (e.g. a restored counter
                // table): skip the taken number.
                Err(UpdateError::Hub(HubError::Exists(_))) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The whole case file, with when it first arrived here (our clock).
    pub async fn get(&self, case_no: &str) -> Result<pb::CaseView, NodeError> {
        let held = self.hub.get(case_no).await?.ok_or_else(|| {
            NodeError::NotFound(format!("case {case_no} is not held at this node"))
        })?;
        let mut d = held.loaded.doc;
        let mut out = self.full_view(&mut d, case_no)?;
        out.arrived_at = ms_to_rfc3339(Some(held.first_seen_ms));
        let (id_number, phone) = self.personal(case_no).await?;
        if !id_number.is_empty() {
            out.id_number = id_number;
        }
        if !phone.is_empty() {
            out.phone = phone;
        }
        Ok(out)
    }

    fn filter(&self, req: &pb::ListCasesRequest, limit: u32) -> Result<CaseFilter, NodeError> {
        let status = match req.status.trim() {
            "" => None,
            s => {
                serde_json::from_value::<lifecycle::Status>(serde_json::Value::String(s.to_owned()))
                    .map_err(|_| {
                        NodeError::invalid(
                            "status",
                            format!("{s:?} is not a status (registered, accepted, routed, handling, replied, closed, …)"),
                        )
                    })?;
                Some(s.to_owned())
            }
        };
        let units = match req.subtree.trim() {
            "" => None,
            code => {
                let unit = self
                    .hub
                    .topology()
                    .resolve(code)
                    .map_err(|e| NodeError::invalid("subtree", e.to_string()))?;
                Some(
                    self.hub
                        .topology()
                        .subtree(&unit.code)
                        .into_iter()
                        .map(|u| u.to_string())
                        .collect(),
                )
            }
        };
        let category = match req.category.trim() {
            "" => None,
            c => {
                self.rules
                    .taxonomy
                    .category(c, None)
                    .map_err(|e| NodeError::invalid("category", e.to_string()))?;
                Some(c.to_owned())
            }
        };
        Ok(CaseFilter {
            limit,
            status,
            units,
            category,
            overdue_before: req
                .overdue
                .then(|| lifecycle::local_day(self.clock()).to_string()),
            repeat: req.repeat,
            skip_level: req.skip_level,
        })
    }

    /// A progress note is a progress record; it goes through the same rules.
    pub async fn add_note(
        &self,
        case_no: &str,
        text: &str,
        by: &str,
    ) -> Result<pb::CaseView, NodeError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(NodeError::invalid("text", "must not be empty"));
        }
        let body = serde_json::json!({ "kind": "progress", "text": text });
        self.act(case_no, &body.to_string(), by).await
    }
}

pub fn to_pb(v: CaseView) -> pb::CaseView {
    pb::CaseView {
        case_no: v.case_no,
        unit: v.unit,
        petitioner: v.petitioner,
        content: v.content,
        registered_at: v.registered_at,
        notes: v
            .notes
            .into_iter()
            .map(|n| pb::Note {
                id: n.id,
                unit: n.unit,
                text: n.text,
                at: n.at,
                by: n.by,
            })
            .collect(),
        scope: v.scope,
        heads: v.heads,
        registered_by: v.registered_by,
        ..Default::default()
    }
}

/// The step a record's JSON asks for, read from its `kind` alone (the body is
/// checked in full later, by the rules).
fn record_step(json: &str) -> Result<Step, NodeError> {
    let kinds = || {
        Step::ALL
            .iter()
            .map(|s| s.kind())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let v: serde_json::Value =
        serde_json::from_str(json).map_err(|e| NodeError::invalid("record", e.to_string()))?;
    let kind = v.get("kind").and_then(|k| k.as_str()).ok_or_else(|| {
        NodeError::invalid("record", format!("needs a `kind`: one of {}", kinds()))
    })?;
    Step::from_kind(kind).ok_or_else(|| {
        NodeError::invalid("record", format!("kind {kind:?} is not one of {}", kinds()))
    })
}

fn secs_to_rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

fn ms_to_rfc3339(ms: Option<i64>) -> String {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

#[tonic::async_trait]
impl NodeRpc for NodeApi {
    async fn register_case(
        &self,
        request: Request<pb::RegisterCaseRequest>,
    ) -> Result<Response<pb::CaseView>, Status> {
        let unit = request.get_ref().unit.clone();
        let who = self
            .guard()?
            .check(&request, Action::RegisterCase, &unit)
            .await?;
        let mut view = self.register(request.into_inner(), &who.name).await?;
        tracing::info!(case_no = %view.case_no, "case registered");
        self.disclose(&who, &mut view).await?;
        Ok(Response::new(view))
    }

    async fn get_case(
        &self,
        request: Request<pb::GetCaseRequest>,
    ) -> Result<Response<pb::CaseView>, Status> {
        let target = request.get_ref().case_no.trim().to_owned();
        let who = self
            .guard()?
            .check(&request, Action::ReadCases, &target)
            .await?;
        let no = request.into_inner().case_no;
        if no.trim().is_empty() {
            return Err(NodeError::invalid("case_no", "must not be empty").into());
        }
        let mut view = self.get(no.trim()).await?;
        self.disclose(&who, &mut view).await?;
        Ok(Response::new(view))
    }

    async fn list_cases(
        &self,
        request: Request<pb::ListCasesRequest>,
    ) -> Result<Response<pb::ListCasesResponse>, Status> {
        self.guard()?.check(&request, Action::ReadCases, "").await?;
        let req = request.into_inner();
        let limit = match req.limit {
            0 => DEFAULT_PAGE,
            n if n > MAX_PAGE => {
                return Err(
                    NodeError::invalid("limit", format!("must be at most {MAX_PAGE}")).into(),
                );
            }
            n => n,
        };
        let filter = self.filter(&req, limit)?;
        // Read-your-writes: project whatever the documents already hold.
        self.projector.catch_up().await?;
        let rows = projection::list_cases(&self.db, &filter).await?;
        Ok(Response::new(pb::ListCasesResponse {
            cases: rows
                .into_iter()
                .map(|r| pb::CaseView {
                    case_no: r.case_no,
                    unit: r.unit,
                    petitioner: r.petitioner,
                    content: r.content,
                    registered_at: r.registered_at,
                    status: r.status,
                    handling_unit: r.handling_unit.unwrap_or_default(),
                    next_deadline: r.next_due.map(|due| pb::Deadline {
                        overdue: due < lifecycle::local_day(self.clock()).to_string(),
                        due,
                        ..Default::default()
                    }),
                    category: r.category.unwrap_or_default(),
                    repeat_of: r.repeat_of.unwrap_or_default(),
                    skip_level_of: r.skip_level_of.unwrap_or_default(),
                    ..Default::default()
                })
                .collect(),
        }))
    }

    async fn add_note(
        &self,
        request: Request<pb::AddNoteRequest>,
    ) -> Result<Response<pb::CaseView>, Status> {
        let target = request.get_ref().case_no.trim().to_owned();
        let who = self
            .guard()?
            .check(&request, Action::AddNote, &target)
            .await?;
        let req = request.into_inner();
        let mut view = NodeApi::add_note(self, req.case_no.trim(), &req.text, &who.name).await?;
        self.disclose(&who, &mut view).await?;
        Ok(Response::new(view))
    }

    async fn act(
        &self,
        request: Request<pb::ActRequest>,
    ) -> Result<Response<pb::CaseView>, Status> {
        // Who first; then which step they ask for decides the action.
        let guard = self.guard()?;
        let who = guard.authenticate(&request).await?;
        let req = request.into_inner();
        let step = record_step(&req.record)?;
        guard
            .authorize(&who, Action::Step(step), req.case_no.trim())
            .await?;
        if req.case_no.trim().is_empty() {
            return Err(NodeError::invalid("case_no", "must not be empty").into());
        }
        let mut view = self.act(req.case_no.trim(), &req.record, &who.name).await?;
        self.disclose(&who, &mut view).await?;
        Ok(Response::new(view))
    }

    async fn status(
        &self,
        request: Request<pb::StatusRequest>,
    ) -> Result<Response<pb::StatusResponse>, Status> {
        let who = self
            .guard()?
            .check(&request, Action::ReadStatus, "")
            .await?;
        // Certificate details are for administrators.
        let details = who.is_admin();
        let hub = &self.hub;
        let unit = hub
            .topology()
            .unit(hub.me())
            .ok_or_else(|| Status::internal("own unit missing from topology"))?;
        let documents = hub
            .store()
            .count_docs()
            .await
            .map_err(|e| Status::internal(e.to_string()))?;
        let now_ms = hub.now_ms();
        let tls = self.tls.as_deref().filter(|_| details);
        let (seen, alerts, (ledger_seq, ledger_head)) = match &self.ledger {
            Some(l) => (l.peers().await?, l.alerts().await?, l.head().await?),
            None => (Vec::new(), Vec::new(), (0, String::new())),
        };
        let peers = hub
            .link_statuses()
            .await
            .map_err(|e| Status::from(NodeError::from(e)))?
            .into_iter()
            .map(|(link, st, lag)| {
                let cert = tls.and_then(|t| t.peer_cert(&link.peer));
                let ledger = seen.iter().find(|p| p.peer == link.peer.as_str());
                let flagged = ledger.filter(|p| p.flagged_ms != 0);
                pb::PeerStatus {
                    ledger_flag: flagged.map(|p| p.flag_reason.clone()).unwrap_or_default(),
                    ledger_flagged_at: ms_to_rfc3339(flagged.map(|p| p.flagged_ms)),
                    ledger_seen_seq: ledger.map(|p| p.seen_seq).unwrap_or(0),
                    cert_serial: cert.as_ref().map(|c| c.serial.clone()).unwrap_or_default(),
                    cert_not_after: cert
                        .map(|c| secs_to_rfc3339(c.not_after))
                        .unwrap_or_default(),
                    unit: link.peer.to_string(),
                    role: link.role.as_str().into(),
                    connected: st.connected,
                    lag,
                    acked: st.acked,
                    received: st.received,
                    last_sync: ms_to_rfc3339(st.last_in_sync_ms(now_ms)),
                    last_error: st.last_error.unwrap_or_default(),
                    bytes_sent: st.bytes_sent,
                    bytes_received: st.bytes_received,
                    session_bytes_sent: st.session_bytes_sent,
                    session_bytes_received: st.session_bytes_received,
                    caught_up: st.catch_up_ms.is_some(),
                    catch_up_ms: st.catch_up_ms.unwrap_or(0),
                    sessions: st.sessions,
                    quarantined: st.quarantined_docs,
                    last_quarantined: st.last_quarantined.unwrap_or_default(),
                }
            })
            .collect();
        // Expiry is judged by the wall clock, as the TLS handshake judges it.
        let now = chrono::Utc::now().timestamp();
        let credentials = tls
            .map(|t| t.current().expiries())
            .unwrap_or_default()
            .into_iter()
            .map(|e| pb::CredentialExpiry {
                kind: e.kind.as_str().into(),
                serial: e.serial.clone(),
                subject: e.subject.clone(),
                not_after: secs_to_rfc3339(e.not_after),
                days_left: e.days_left(now),
                warning: e.warning(now),
            })
            .collect();
        Ok(Response::new(pb::StatusResponse {
            credentials,
            tls_reload_error: tls.and_then(|t| t.reload_error()).unwrap_or_default(),
            unit: unit.code.to_string(),
            name: unit.name.clone(),
            tier: unit.tier.as_str().into(),
            head: hub.head(),
            documents,
            peers,
            epoch: hub.epoch().into(),
            integrity_alerts: alerts
                .into_iter()
                .map(|a| pb::IntegrityAlert {
                    doc_id: a.doc_id,
                    reporter: a.reporter,
                    subject: a.subject,
                    at: ms_to_rfc3339(Some(a.at_ms)),
                    reason: a.reason,
                })
                .collect(),
            ledger_seq,
            ledger_head,
        }))
    }
}

/// The registering node's own rows of a new case: the case-number counter (never
/// moved back) and the petitioner's personal data, each encrypted with its keyed
/// hash (`pii`).
fn local_rows(
    case_no: String,
    unit: String,
    year: i32,
    seq: u64,
    id_number: Option<(String, String)>,
    phone: Option<(String, String)>,
) -> TxStep {
    std::sync::Arc::new(move |conn| {
        let (case_no, unit, id_number, phone) = (
            case_no.clone(),
            unit.clone(),
            id_number.clone(),
            phone.clone(),
        );
        Box::pin(async move {
            sqlx::query(
                "INSERT INTO node_case_counters (unit, year, next) VALUES ($1, $2, $3)
                 ON CONFLICT (unit, year) DO UPDATE SET next = CASE
                   WHEN excluded.next > node_case_counters.next THEN excluded.next
                   ELSE node_case_counters.next END",
            )
            .bind(unit)
            .bind(i64::from(year))
            .bind(seq as i64 + 1)
            .execute(&mut *conn)
            .await?;
            if id_number.is_some() || phone.is_some() {
                let (id_number, id_hash) = id_number.unzip();
                let (phone, phone_hash) = phone.unzip();
                sqlx::query(
                    "INSERT INTO node_pii (case_no, id_number, id_hash, phone, phone_hash)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (case_no) DO UPDATE SET id_number = excluded.id_number,
                       id_hash = excluded.id_hash, phone = excluded.phone,
                       phone_hash = excluded.phone_hash",
                )
                .bind(case_no)
                .bind(id_number)
                .bind(id_hash)
                .bind(phone)
                .bind(phone_hash)
                .execute(&mut *conn)
                .await?;
            }
            Ok(())
        })
    })
}
