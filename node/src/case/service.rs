//! The case service: what every front (the gRPC API today, the staff console and
//! the public page next) calls to register, read, list and act on cases. Each
//! call names its caller ([`Actor`]) and is authorized here against the roles ×
//! actions table, so no front can skip a permission; the rules of a step are the
//! lifecycle's ([`admit`](super::admit)); personal data in clear is shown only to
//! the configured roles, each view written to the ledger first.

use std::sync::Arc;

use chrono::{DateTime, Datelike, SecondsFormat, Utc};
use xinfang_hub::db::Db;
use xinfang_hub::store::{Foldable, OwnWork};
use xinfang_hub::{Create, Hub, HubError, UnitCode, UpdateError};
use xinfang_proto::v1 as pb;

use super::document;
use super::labels::Lang;
use super::lookup;
use super::new_rows::NewCaseRows;
use super::numbering::CaseNumbers;
use super::query_code::{QueryCode, StoredCode};
use super::record::{Body, Record, Screening, Step};
use super::state::{self, Context};
use super::view::{self, CaseFile, Lens};
use crate::auth::{Action, Actor, Guard, Role};
use crate::contact::NodeKeys;
use crate::docid;
use crate::error::NodeError;
use crate::labels::Said;
use crate::ledger::{EntryKind, Ledger, NewEntry};
use crate::pii::{Field, PiiKey};
use crate::projection::Projector;
use crate::rules::CaseRules;

mod identity;
mod intake;
mod library;
pub use library::LibraryRow;

pub use intake::EarlierCases;
use intake::Intake;
mod list;
mod major;
mod node_rules;
mod skip_level;

/// A deadline this many working days away or fewer is due soon (worklists
/// highlight it).
pub const DUE_SOON_WORKING_DAYS: i64 = 3;

/// Page size of a list when the caller names none, and the largest one taken.
pub const DEFAULT_PAGE: u32 = 100;
pub const MAX_PAGE: u32 = 10_000;

/// What the case service is built from.
pub struct CaseDeps {
    pub hub: Hub,
    pub db: Db,
    pub projector: Arc<Projector>,
    pub rules: Arc<CaseRules>,
    /// The federation's key for matching petitioners across units (keyed hashes).
    pub match_key: Option<Arc<Vec<u8>>>,
    /// This node's key pair for sealed contacts.
    pub keys: Option<Arc<NodeKeys>>,
    pub guard: Arc<Guard>,
    pub ledger: Arc<Ledger>,
    /// The node's key for personal data at rest, and the roles that see clear values.
    pub pii: Arc<PiiKey>,
    pub clear_roles: Vec<Role>,
}

pub struct CaseService {
    pub(super) deps: CaseDeps,
    numbers: Arc<CaseNumbers>,
    /// Wrong query codes per case number (the public page's backoff).
    pub(super) attempts: super::attempts::CodeAttempts,
}

/// A list of cases: filters as typed (empty: no filter).
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub limit: u32,
    pub status: String,
    pub subtree: String,
    pub category: String,
    pub overdue: bool,
    pub repeat: bool,
    pub skip_level: bool,
    /// Only open cases (a worklist): the statuses `Status::is_open` names.
    pub open_only: bool,
    /// Only cases forwarded or assigned to this node's unit and not yet taken up
    /// (routed to us).
    pub routed_to_us: bool,
    /// A case number or a petitioner's name, in part.
    pub search: String,
    /// A petitioner's identity number: their cases across the subtree, by the
    /// keyed hash (查询信访人的信访史).
    pub id_number: String,
    /// A petitioner's phone number, likewise.
    pub phone: String,
    /// Rows skipped before this page.
    pub offset: u32,
    /// Soonest deadline first, instead of newest first.
    pub by_deadline: bool,
    /// Only cases handled here with a superior's supervision demand open (上级督办),
    /// the soonest due first.
    pub supervised_here: bool,
}

impl CaseService {
    pub fn new(deps: CaseDeps) -> CaseService {
        CaseService {
            numbers: Arc::new(CaseNumbers::new(deps.db.clone())),
            attempts: Default::default(),
            deps,
        }
    }

    pub fn guard(&self) -> &Guard {
        &self.deps.guard
    }

    /// The petition classification registrations are checked against (for
    /// fronts that offer its codes to pick from).
    pub fn taxonomy(&self) -> &crate::rules::taxonomy::Taxonomy {
        &self.deps.rules.taxonomy
    }

    /// This node's unit and the federation's tree (for fronts that name units).
    pub fn hub_topology(&self) -> (&UnitCode, &xinfang_hub::Topology) {
        (self.hub().me(), self.hub().topology())
    }

    /// Today at this node (its clock), the day deadlines are counted from.
    pub fn today(&self) -> chrono::NaiveDate {
        state::local_day(self.clock())
    }

    /// Working days from today to `due` (negative once it has passed), by the
    /// node's holiday calendar.
    pub fn working_days_left(&self, due: chrono::NaiveDate) -> i64 {
        crate::rules::calendar::working_days_left(&self.deps.rules.calendar, self.today(), due)
    }

    pub(super) fn hub(&self) -> &Hub {
        &self.deps.hub
    }

    /// The rules' context: the federation, the calendar, the time limits.
    pub fn context(&self) -> Context<'_> {
        Context {
            topology: self.hub().topology(),
            calendar: &self.deps.rules.calendar,
            limits: &self.deps.rules.limits,
            higher_visits: &self.deps.rules.higher_visits,
        }
    }

    /// The node's clock (tests may set it).
    pub(super) fn clock(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.hub().now_ms()).unwrap_or_else(Utc::now)
    }

    /// How views are seen today, in `lang`.
    pub(super) fn lens<'a>(&'a self, ctx: &'a Context<'a>, lang: Lang) -> Lens<'a> {
        Lens {
            ctx,
            taxonomy: &self.deps.rules.taxonomy,
            today: state::local_day(self.clock()),
            lang,
        }
    }

    /// A case file's view in `lang` (labels and unit names; no personal data
    /// beyond what the document holds).
    pub fn view(&self, file: &CaseFile, lang: Lang) -> pb::CaseView {
        let ctx = self.context();
        view::full(file, &self.lens(&ctx, lang))
    }

    /// Registers a case at this node.
    pub async fn register(
        &self,
        who: &Actor,
        req: pb::RegisterCaseRequest,
        lang: Lang,
    ) -> Result<pb::CaseView, NodeError> {
        self.guard()
            .authorize(who, Action::RegisterCase, &req.unit)
            .await?;
        self.refuse_while_recovering()?;
        let Intake {
            registration: reg,
            personal,
            candidates,
        } = self.intake(who, &req).await?;
        let me = self.hub().me().clone();
        let flag = major::flag_at_registration(&req)?;
        let now = self.clock();
        let at = now.to_rfc3339_opts(SecondsFormat::Millis, true);
        let year = now.year();
        let id_number = personal.id.as_ref().map(|i| i.expose().to_owned());
        let phone = personal.phone.as_ref().map(|p| p.expose().to_owned());
        let pii = &self.deps.pii;
        // The petitioner's query code: handed out in this answer only, kept as a
        // salted hash in the document.
        let code = QueryCode::random();
        let stored = StoredCode::of(&code, &at);
        let ctx = self.context();
        let file = loop {
            let seq = self.numbers.next(reg.unit.as_str(), year).await?;
            let no = document::case_number(&reg.unit, year, seq);
            // A number already held here (the counter fell behind the documents,
            // e.g. restored with an older store): skip it.
            if lookup::doc_id(self.hub(), &no).await?.is_some() {
                continue;
            }
            let doc_id = docid::new_case_doc(&no);
            // Encrypted for this case number (its associated data), with keyed hashes.
            let sealed = |field: Field, v: &Option<String>| {
                v.as_ref()
                    .map(|v| (pii.seal(&no, field, v), pii.hash(field, v)))
            };
            // The counter, the personal data and the audit line of the query
            // code's issue are written in the document's own transaction: each
            // exists exactly when the case does.
            let rows = OwnWork::All(vec![
                Foldable::of(NewCaseRows {
                    case_no: no.clone(),
                    unit: reg.unit.to_string(),
                    year,
                    seq,
                    id_number: sealed(Field::IdNumber, &id_number),
                    phone: sealed(Field::Phone, &phone),
                })
                .into(),
                Foldable::of(self.guard().audit_allowed_row(who, "issue_query_code", &no)).into(),
            ]);
            // The registration and its query code are the new document's first
            // content, written in one batch.
            let seed =
                document::with_query_code(document::registration_seed(&no, &reg, &at)?, &stored)?;
            let result = self
                .hub()
                .create_with(&doc_id, seed, |d| {
                    // A major or urgent matter flagged at registration: its record
                    // travels with the registration, under the same rules as later.
                    if let Some(body) = &flag {
                        let h = document::header(d).ok_or_else(|| {
                            NodeError::Internal(format!("{no} has no registration"))
                        })?;
                        let r = major::flag_record(&me, now, &who.name, body.clone());
                        super::admit(&h, &[], &r, &ctx, state::local_day(now))
                            .map_err(NodeError::from)?;
                        document::add_record(d, &no, &r)?;
                    }
                    Ok::<_, NodeError>((CaseFile::read(d, &doc_id)?, Some(rows)))
                })
                .await;
            match result {
                Ok(file) => break file,
                // The counter fell behind the documents (e.g. a restored counter
                // table): skip the taken number.
                Err(UpdateError::Hub(HubError::Exists(_))) => continue,
                Err(e) => return Err(e.into()),
            }
        };
        let mut out = self.view(&file, lang);
        out.arrived_at = at;
        out.skip_level_candidates = candidates;
        out.id_number = id_number.unwrap_or_default();
        out.phone = phone.unwrap_or_default();
        out.query_code = code.grouped();
        tracing::info!(case_no = %out.case_no, "case registered");
        self.disclose(who, &mut out).await?;
        Ok(out)
    }

    /// The whole case file, with when it first arrived here (our clock).
    pub async fn get(
        &self,
        who: &Actor,
        case_no: &str,
        lang: Lang,
    ) -> Result<pb::CaseView, NodeError> {
        let case_no = case_no.trim();
        self.guard()
            .authorize(who, Action::ReadCases, case_no)
            .await?;
        if case_no.is_empty() {
            return Err(NodeError::empty("case_no"));
        }
        let found = lookup::find(self.hub(), case_no).await?.ok_or_else(|| {
            NodeError::NotFound(format!("case {case_no} is not held at this node"))
        })?;
        let held = found.held;
        let mut d = held.loaded.doc;
        let file = CaseFile::read(&mut d, &found.doc_id)?;
        let mut out = self.view(&file, lang);
        if !found.sharing.is_empty() {
            out.warnings.push(format!(
                "case number {} was also given to another registration ({}): a store \
                 went back in time before recovering; open each by its document id",
                file.view.case_no,
                found.sharing.join(", ")
            ));
        }
        self.open_sealed(&file, &mut out);
        out.arrived_at = DateTime::from_timestamp_millis(held.first_seen_ms)
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
            .unwrap_or_default();
        let (id_number, phone) = self.personal(&file.view.case_no).await?;
        if !id_number.is_empty() {
            out.id_number = id_number;
        }
        if !phone.is_empty() {
            out.phone = phone;
        }
        self.disclose(who, &mut out).await?;
        Ok(out)
    }

    /// Adds one lifecycle record, given as JSON (`{"kind": "forward", …}`), written
    /// by this node's unit and the caller, if their role allows the step and the
    /// rules admit it.
    pub async fn act(
        &self,
        who: &Actor,
        case_no: &str,
        body_json: &str,
        lang: Lang,
    ) -> Result<pb::CaseView, NodeError> {
        let case_no = case_no.trim();
        // Which step they ask for decides the action; the body is checked in full
        // by the rules below.
        let step = record_step(body_json)?;
        self.guard()
            .authorize(who, Action::Step(step), case_no)
            .await?;
        if case_no.is_empty() {
            return Err(NodeError::empty("case_no"));
        }
        let body: Body = serde_json::from_str(body_json).map_err(|e| not_a_record(&e))?;
        self.check_node_rules(case_no, &body).await?;
        let mut out = self.write_record(case_no, body, &who.name, lang).await?;
        self.disclose(who, &mut out).await?;
        Ok(out)
    }

    /// [`act`](Self::act) with the record already built by another service
    /// (a notice it composed): the same authorization, rules and write.
    pub async fn act_record(
        &self,
        who: &Actor,
        case_no: &str,
        body: Body,
        lang: Lang,
    ) -> Result<pb::CaseView, NodeError> {
        let case_no = case_no.trim();
        self.guard()
            .authorize(who, Action::Step(Step::of(&body)), case_no)
            .await?;
        self.check_node_rules(case_no, &body).await?;
        let mut out = self.write_record(case_no, body, &who.name, lang).await?;
        self.disclose(who, &mut out).await?;
        Ok(out)
    }

    /// The case file as this node holds it, for a service that composes from
    /// its records (notices); read access checked as for [`get`](Self::get).
    pub async fn file(&self, who: &Actor, case_no: &str) -> Result<CaseFile, NodeError> {
        let case_no = case_no.trim();
        self.guard()
            .authorize(who, Action::ReadCases, case_no)
            .await?;
        if case_no.is_empty() {
            return Err(NodeError::empty("case_no"));
        }
        let found = lookup::find(self.hub(), case_no).await?.ok_or_else(|| {
            NodeError::NotFound(format!("case {case_no} is not held at this node"))
        })?;
        let mut d = found.held.loaded.doc;
        CaseFile::read(&mut d, &found.doc_id)
    }

    /// A case file's derived state as of today at this node.
    pub fn derive(&self, file: &CaseFile) -> Option<state::Derived> {
        let h = file.header.as_ref()?;
        Some(state::derive(
            h,
            &file.records,
            &self.context(),
            self.today(),
        ))
    }

    /// Which of `steps` `who` may be offered on the case now: their roles allow
    /// the step (the table `act` checks) and this node's unit may write that kind
    /// of record on the case as it stands (`may_write`, which `act`'s rules ask
    /// too). Whether the rest of a step's rules admit it is told when it is asked.
    pub async fn steps_open_to(
        &self,
        who: &Actor,
        case_no: &str,
        steps: &[Step],
    ) -> Result<Vec<Step>, NodeError> {
        let case_no = case_no.trim();
        self.guard()
            .authorize(who, Action::ReadCases, case_no)
            .await?;
        let allowed: Vec<Step> = steps
            .iter()
            .copied()
            .filter(|s| crate::auth::any_allowed(&who.roles, Action::Step(*s)))
            .collect();
        if allowed.is_empty() {
            return Ok(allowed);
        }
        let Some(found) = lookup::find(self.hub(), case_no).await? else {
            return Ok(Vec::new());
        };
        let d = found.held.loaded.doc;
        let Some(h) = document::header(&d) else {
            return Ok(Vec::new());
        };
        let (records, _) = document::read_records(&d);
        let ctx = self.context();
        let now = self.clock();
        let today = state::local_day(now);
        let derived = state::derive(&h, &records, &ctx, today);
        let me = self.hub().me();
        Ok(allowed
            .into_iter()
            .filter(|step| {
                let probe = Record {
                    id: format!("{me}-probe"),
                    unit: me.clone(),
                    at: now,
                    body: Body::stand_in(*step, me, today),
                    by: None,
                };
                super::may_write(ctx.topology, &h.registered_by, &derived, &probe).is_ok()
            })
            .collect())
    }

    /// A progress note is a progress record; it goes through the same rules.
    pub async fn add_note(
        &self,
        who: &Actor,
        case_no: &str,
        text: &str,
        lang: Lang,
    ) -> Result<pb::CaseView, NodeError> {
        let case_no = case_no.trim();
        self.guard()
            .authorize(who, Action::AddNote, case_no)
            .await?;
        let text = text.trim();
        if text.is_empty() {
            return Err(NodeError::empty("text"));
        }
        let body = Body::Progress {
            text: text.to_owned(),
        };
        let mut out = self.write_record(case_no, body, &who.name, lang).await?;
        self.disclose(who, &mut out).await?;
        Ok(out)
    }

    /// Writes one record by this node's unit and user `by`, if the rules admit it.
    pub(super) async fn write_record(
        &self,
        case_no: &str,
        body: Body,
        by: &str,
        lang: Lang,
    ) -> Result<pb::CaseView, NodeError> {
        let me = self.hub().me().clone();
        let record = Record {
            id: format!("{me}-{}", uuid::Uuid::new_v4().simple()),
            unit: me,
            at: self.clock(),
            body,
            by: Some(by.to_owned()),
        };
        // Peers refuse a record larger than this (`remote`): refused here instead,
        // before it is written.
        let bytes = serde_json::to_vec(&record)
            .map_err(|e| NodeError::Internal(e.to_string()))?
            .len();
        if bytes > super::MAX_RECORD_BYTES {
            return Err(NodeError::invalid(
                "record",
                Said::new(
                    format!("记录有{bytes}字节，上限为{}字节", super::MAX_RECORD_BYTES),
                    format!(
                        "has {bytes} bytes; the limit is {}",
                        super::MAX_RECORD_BYTES
                    ),
                ),
            ));
        }
        let ctx = self.context();
        let not_held = || NodeError::Rule {
            rule: "case.visible",
            message: format!(
                "case {case_no} is not held at this node: unit {} cannot see or act on it",
                self.hub().me()
            ),
        };
        let doc_id = lookup::doc_id(self.hub(), case_no)
            .await?
            .ok_or_else(not_held)?;
        // One load of the document: rules and write work on it; the view is built
        // after the document is released.
        let result = self
            .hub()
            .update(&doc_id, Create::Existing, |d| {
                if !document::is_case(d) {
                    return Err(NodeError::NotFound(format!("{case_no} is not a case")));
                }
                let h = document::header(d)
                    .ok_or_else(|| NodeError::Internal(format!("{case_no} has no registration")))?;
                let (mut records, _) = document::read_records(d);
                let record = state::after_seen(record.clone(), &records);
                let today = state::local_day(record.at);
                super::admit(&h, &records, &record, &ctx, today).map_err(NodeError::from)?;
                document::add_record(d, case_no, &record)?;
                // Accepting a case registered elsewhere: publish our key so the
                // registering unit can seal the petitioner's phone to us.
                let accepted = matches!(
                    record.body,
                    Body::Screening {
                        decision: Screening::Accept
                    }
                );
                if let (true, Some(keys)) =
                    (accepted && record.unit != h.registered_by, &self.deps.keys)
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
                    super::admit(&h, &records, &key_record, &ctx, today)
                        .map_err(NodeError::from)?;
                    document::add_record(d, case_no, &key_record)?;
                }
                CaseFile::read(d, &doc_id)
            })
            .await;
        let file = match result {
            Err(UpdateError::Hub(HubError::NotFound(_))) => return Err(not_held()),
            other => other?,
        };
        let mut out = self.view(&file, lang);
        self.open_sealed(&file, &mut out);
        Ok(out)
    }

    /// The case-number counters (the recovery moves them past what it brought back).
    pub fn numbers(&self) -> Arc<CaseNumbers> {
        self.numbers.clone()
    }

    /// A store that went back in time hands out no case number until it has
    /// recovered: the numbers it lost may be held by its peers.
    fn refuse_while_recovering(&self) -> Result<(), NodeError> {
        match self.hub().recovery() {
            None => Ok(()),
            Some(mark) => Err(NodeError::Rule {
                rule: "node.recovering",
                message: format!(
                    "本节点的数据库回到了过去（{}），正在从上级节点恢复，恢复完成前不受理登记 / \
                     this node's store went back in time ({}) and is recovering from its \
                     parent; registrations are refused until recovery completes \
                     (`xinfang status` shows it)",
                    mark.reason, mark.reason
                ),
            }),
        }
    }

    /// A phone sealed to this node by the registering unit opens here.
    fn open_sealed(&self, file: &CaseFile, out: &mut pb::CaseView) {
        let Some(keys) = &self.deps.keys else {
            return;
        };
        let me = self.hub().me();
        for r in &file.records {
            if let Body::SealedContact { for_unit, sealed } = &r.body
                && for_unit == me
            {
                match keys.open(sealed, &crate::sealer::context(&file.view.case_no, me)) {
                    Ok(phone) => out.phone = phone,
                    Err(e) => out.warnings.push(format!("sealed contact: {e}")),
                }
            }
        }
    }

    /// Personal data in clear (decrypted), if this node registered the case.
    async fn personal(&self, case_no: &str) -> Result<(String, String), NodeError> {
        let row: Option<(Option<String>, Option<String>)> =
            sqlx::query_as("SELECT id_number, phone FROM node_pii WHERE case_no = $1")
                .bind(case_no)
                .fetch_optional(self.deps.db.pool())
                .await?;
        let (id, phone) = row.unwrap_or_default();
        let open = |field: Field, stored: Option<String>| -> Result<String, NodeError> {
            match stored {
                None => Ok(String::new()),
                Some(s) => self
                    .deps
                    .pii
                    .open(case_no, field, &s)
                    .map_err(|e| NodeError::Internal(e.to_string())),
            }
        };
        Ok((open(Field::IdNumber, id)?, open(Field::Phone, phone)?))
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
        if !who.roles.iter().any(|r| self.deps.clear_roles.contains(r)) {
            view.id_number.clear();
            view.phone.clear();
            return Ok(());
        }
        let entries = fields
            .into_iter()
            .map(|field| NewEntry {
                kind: EntryKind::View,
                doc_id: view.case_no.clone(),
                actor: who.name.clone(),
                peer: String::new(),
                detail: field.to_owned(),
            })
            .collect();
        // Logged before it is shown: a view that cannot be logged is not shown.
        self.deps.ledger.append(entries, None).await
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
    let v: serde_json::Value = serde_json::from_str(json).map_err(|e| not_a_record(&e))?;
    let kind = v.get("kind").and_then(|k| k.as_str()).ok_or_else(|| {
        NodeError::invalid(
            "record",
            Said::new(
                format!("须写明`kind`：{}之一", kinds()),
                format!("needs a `kind`: one of {}", kinds()),
            ),
        )
    })?;
    Step::from_kind(kind).ok_or_else(|| {
        NodeError::invalid(
            "record",
            Said::new(
                format!("“{kind}”不是记录种类；可选：{}", kinds()),
                format!("kind {kind:?} is not one of {}", kinds()),
            ),
        )
    })
}

/// A record's JSON that does not read as one.
fn not_a_record(e: &serde_json::Error) -> NodeError {
    NodeError::invalid(
        "record",
        Said::new(format!("记录不是有效的JSON：{e}"), e.to_string()),
    )
}
