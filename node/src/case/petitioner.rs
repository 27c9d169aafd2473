//! What the case service answers the petitioner (信访人), who has no account: a
//! case number and its query code open the case's progress (信访事项查询) and,
//! once a reply exists and within its window, the petitioner's own rating. And
//! the registrar's side of the code: reissuing it.
//!
//! The progress view is the case file seen from outside: status, units by name,
//! the deadlines and whether they were kept, the notices and the reply, labels
//! from the one label table; of personal data only a masked name. "No such case"
//! and "wrong code" are one answer ([`Opened::NoMatch`]), so the page cannot be
//! used to find case numbers; wrong codes slow their number down
//! ([`super::attempts`]).

use std::time::{Duration, Instant};

use chrono::{NaiveDate, SecondsFormat};
use serde::Serialize;
use xinfang_hub::Create;
use xinfang_proto::v1 as pb;

use super::document;
use super::facts;
use super::labels::{self, Lang};
use super::lookup;
use super::query_code::{QueryCode, StoredCode};
use super::record::{Body, Record, Satisfaction, Screening, Step};
use super::service::CaseService;
use super::state::{self, DeadlineKind};
use super::view::{self, CaseFile};
use crate::auth::{Action, Actor};
use crate::docid;
use crate::error::NodeError;
use crate::labels::Said;
use crate::rules::identity::mask_name;

/// Who wrote a record the petitioner made through the public page (its `by`).
/// No login name can be this: staff names are lowercase ASCII
/// (`xinfang_ca::names::is_staff_name`).
pub const PETITIONER: &str = "信访人";

/// What a case number and a code opened.
#[derive(Debug)]
pub enum Opened<T> {
    Case(T),
    /// No case with that number here, or not its code: one answer for both.
    NoMatch,
    /// Too many wrong codes for this number: try again after this long.
    SlowedDown(Duration),
}

/// The case as the petitioner sees it, labels in their language.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    pub case_no: String,
    pub registered_on: NaiveDate,
    /// The petitioner's name, masked ("孙*").
    pub petitioner: String,
    pub registered_by: String,
    pub status: String,
    /// The unit handling the case, by name.
    pub handling_unit: String,
    pub deadlines: Vec<DeadlineLine>,
    pub notices: Vec<NoticeLine>,
    pub reply: Option<ReplyLine>,
    /// The rating on file for the latest reply, if any (its label).
    pub rating: Option<String>,
    /// The last day the petitioner may rate the reply, while they may.
    pub rating_until: Option<NaiveDate>,
}

/// One time limit: what is due, by when, when it was done and whether in time.
#[derive(Debug, Clone, Serialize)]
pub struct DeadlineLine {
    pub what: String,
    pub unit: String,
    pub due: NaiveDate,
    pub done_on: Option<NaiveDate>,
    /// Done in time (`Some(true)`), late or past due undone (`Some(false)`),
    /// still open and not yet due (`None`).
    pub kept: Option<bool>,
}

/// A written notice given to the petitioner.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeLine {
    pub record_id: String,
    pub on: NaiveDate,
    pub unit: String,
    pub what: String,
    pub text: String,
    /// The document number of its printed document, which the public page
    /// offers to download ([`notice_download`]).
    pub download: Option<String>,
}

/// The reply to the petitioner (答复), the latest one.
#[derive(Debug, Clone, Serialize)]
pub struct ReplyLine {
    pub on: NaiveDate,
    pub unit: String,
    pub text: String,
}

/// The printed document a notice record holds, by its document number (what
/// the public page asks the notice service to draw); None for a notice given
/// only as text.
pub fn notice_download(_case_no: &str, notice: &Record) -> Option<String> {
    match &notice.body {
        Body::Notice {
            issued: Some(i), ..
        } => Some(i.notice.doc_no.clone()),
        _ => None,
    }
}

/// The written notice a record gives the petitioner, if it is one.
fn notice_text(body: &Body) -> Option<&str> {
    match body {
        Body::Notice { text, .. } => Some(text),
        Body::Screening { decision } => match decision {
            Screening::Accept => None,
            Screening::NotAccept { notice, .. }
            | Screening::Discipline { notice }
            | Screening::Divert { notice, .. } => Some(notice),
        },
        _ => None,
    }
}

impl CaseService {
    /// A new query code for the case, replacing the old one (which stops
    /// working): by a registrar of the registering unit, at its node; audited.
    /// The answer carries the code once.
    pub async fn reissue_query_code(
        &self,
        who: &Actor,
        case_no: &str,
        lang: Lang,
    ) -> Result<pb::CaseView, NodeError> {
        let case_no = case_no.trim();
        self.guard()
            .authorize(who, Action::RegisterCase, case_no)
            .await?;
        let doc_id = lookup::doc_id(self.hub(), case_no).await?.ok_or_else(|| {
            NodeError::NotFound(format!("case {case_no} is not held at this node"))
        })?;
        let me = self.hub().me().clone();
        let code = QueryCode::random();
        let at = self.clock().to_rfc3339_opts(SecondsFormat::Millis, true);
        let stored = StoredCode::of(&code, &at);
        let file = self
            .hub()
            .update(&doc_id, Create::Existing, |d| {
                let h = document::header(d)
                    .ok_or_else(|| NodeError::NotFound(format!("{case_no} is not a case")))?;
                if h.registered_by != me {
                    return Err(NodeError::Rule {
                        rule: "query_code.by_registering_unit",
                        message: format!(
                            "查询码由登记单位（{}）重新发放 / the query code of case {case_no} is \
                             reissued by the registering unit {}, not by {me}",
                            h.registered_by, h.registered_by
                        ),
                    });
                }
                document::write_query_code(d, case_no, &stored)?;
                CaseFile::read(d, &doc_id)
            })
            .await?;
        self.guard()
            .audit_allowed(who, "reissue_query_code", &file.view.case_no, "")
            .await;
        let ctx = self.context();
        let mut out = view::full(&file, &self.lens(&ctx, lang));
        out.query_code = code.grouped();
        Ok(out)
    }

    /// The case `case_no` opened with the query code `typed`, as the petitioner
    /// sees it. No caller: the code is the petitioner's key.
    pub async fn progress(
        &self,
        case_no: &str,
        typed: &str,
        lang: Lang,
    ) -> Result<Opened<Progress>, NodeError> {
        let file = match self.open(case_no, typed).await? {
            Opened::Case(file) => file,
            Opened::NoMatch => return Ok(Opened::NoMatch),
            Opened::SlowedDown(d) => return Ok(Opened::SlowedDown(d)),
        };
        Ok(Opened::Case(self.progress_of(&file, lang)))
    }

    /// The petitioner rates the reply (满意 / 基本满意 / 不满意) with the case's
    /// number and code: the case's rating record, written by this node's unit
    /// for the petitioner (`by` [`PETITIONER`]) and replicated like any record,
    /// once a reply exists, within its window ([`super::rating_window`]), once.
    pub async fn rate_as_petitioner(
        &self,
        case_no: &str,
        typed: &str,
        rating: Satisfaction,
        lang: Lang,
    ) -> Result<Opened<Progress>, NodeError> {
        let file = match self.open(case_no, typed).await? {
            Opened::Case(file) => file,
            Opened::NoMatch => return Ok(Opened::NoMatch),
            Opened::SlowedDown(d) => return Ok(Opened::SlowedDown(d)),
        };
        let ctx = self.context();
        super::rating_window(&file.records, &ctx, self.today())?;
        let body = Body::Rating {
            acceptance: rating,
            handling: rating,
        };
        self.write_record(&file.view.case_no, body, PETITIONER, lang)
            .await?;
        tracing::info!(case_no = %file.view.case_no, "rated by the petitioner");
        match self.open(case_no, typed).await? {
            Opened::Case(file) => Ok(Opened::Case(self.progress_of(&file, lang))),
            Opened::NoMatch => Ok(Opened::NoMatch),
            Opened::SlowedDown(d) => Ok(Opened::SlowedDown(d)),
        }
    }

    /// The case file `case_no` names if `typed` is its code; wrong codes counted.
    /// (The notice service opens it so too, to hand the petitioner a notice.)
    pub async fn open(&self, case_no: &str, typed: &str) -> Result<Opened<CaseFile>, NodeError> {
        let case_no = case_no.trim();
        if docid::case_no_of(case_no) != Some(case_no) {
            return Err(NodeError::invalid(
                "case_no",
                Said::new(
                    "信访事项编号的格式为 单位代码-年份-序号",
                    "a case number reads UNIT-YYYY-NNNNNN",
                ),
            ));
        }
        let Some(code) = QueryCode::parse(typed) else {
            return Err(NodeError::invalid(
                "query_code",
                Said::new(
                    "查询码为16位字母或数字，可按四位一组输入",
                    "a query code has 16 letters or digits, typed in groups of four or not",
                ),
            ));
        };
        let attempts = &self.attempts;
        if let Some(wait) = attempts.wait_before(case_no, Instant::now()) {
            return Ok(Opened::SlowedDown(wait));
        }
        let found = lookup::find(self.hub(), case_no).await?;
        let opened = found.and_then(|f| {
            let mut d = f.held.loaded.doc;
            let stored = document::read_query_code(&d)?;
            stored
                .opens_with(&code)
                .then(|| CaseFile::read(&mut d, &f.doc_id))
        });
        match opened {
            Some(file) => {
                attempts.succeeded(case_no);
                Ok(Opened::Case(file?))
            }
            None => {
                attempts.failed(case_no, Instant::now());
                Ok(Opened::NoMatch)
            }
        }
    }

    fn progress_of(&self, file: &CaseFile, lang: Lang) -> Progress {
        let ctx = self.context();
        let lens = self.lens(&ctx, lang);
        let today = self.today();
        let v = &file.view;
        let header = file.header.clone();
        let derived = header
            .as_ref()
            .map(|h| state::derive(h, &file.records, &ctx, today));
        let unit = |u: &str| lens.unit_name(u);
        let mut deadlines = Vec::new();
        if let Some(h) = &header {
            let f = facts::facts(&v.case_no, h, &v.details, &file.records, &ctx);
            let line = |what: Step, by: &str, due: Option<NaiveDate>, done: Option<NaiveDate>| {
                due.map(|due| DeadlineLine {
                    what: labels::step(what).get(lang).to_owned(),
                    unit: unit(by),
                    due,
                    done_on: done,
                    kept: match done {
                        Some(d) => Some(d <= due),
                        None => (due < today).then_some(false),
                    },
                })
            };
            deadlines.extend(line(
                Step::Screening,
                h.registered_by.as_str(),
                f.accept_due,
                f.screened_on,
            ));
            let replier = if f.replied_by.is_empty() {
                &f.handling_unit
            } else {
                &f.replied_by
            };
            deadlines.extend(line(Step::Reply, replier, f.reply_due, f.replied_on));
        }
        // Open limits owed to the petitioner besides those: the written notice,
        // the answer to a review.
        if let Some(d) = &derived {
            for dl in &d.deadlines {
                if matches!(dl.kind, DeadlineKind::Notify | DeadlineKind::ReviewAnswer) {
                    deadlines.push(DeadlineLine {
                        what: labels::deadline(dl.kind).get(lang).to_owned(),
                        unit: unit(dl.unit.as_str()),
                        due: dl.due,
                        done_on: None,
                        kept: dl.overdue.then_some(false),
                    });
                }
            }
        }
        let ordered = state::ordered(&file.records);
        let notices = ordered
            .iter()
            .filter_map(|r| {
                let text = notice_text(&r.body)?;
                Some(NoticeLine {
                    record_id: r.id.clone(),
                    on: state::local_day(r.at),
                    unit: unit(r.unit.as_str()),
                    what: labels::step(Step::of(&r.body)).get(lang).to_owned(),
                    text: text.to_owned(),
                    download: notice_download(&v.case_no, r),
                })
            })
            .collect();
        let latest_reply = ordered
            .iter()
            .rposition(|r| matches!(r.body, Body::Reply { .. }));
        let reply = latest_reply.map(|i| {
            let r = ordered[i];
            ReplyLine {
                on: state::local_day(r.at),
                unit: unit(r.unit.as_str()),
                text: view::detail(&r.body, &lens),
            }
        });
        let rating = latest_reply.and_then(|i| {
            ordered[i..].iter().find_map(|r| match &r.body {
                Body::Rating { handling, .. } => {
                    Some(labels::satisfaction(*handling).get(lang).to_owned())
                }
                _ => None,
            })
        });
        let rating_until = match rating {
            Some(_) => None,
            None => super::rating_window(&file.records, &ctx, today).ok(),
        };
        Progress {
            case_no: v.case_no.clone(),
            registered_on: header.as_ref().map(|h| h.received).unwrap_or_default(),
            petitioner: mask_name(&v.petitioner),
            registered_by: unit(&v.unit),
            status: derived
                .as_ref()
                .map(|d| labels::status(d.status).get(lang).to_owned())
                .unwrap_or_default(),
            handling_unit: derived
                .as_ref()
                .map(|d| unit(d.handling_unit.as_str()))
                .unwrap_or_default(),
            deadlines,
            notices,
            reply,
            rating,
            rating_until,
        }
    }
}
