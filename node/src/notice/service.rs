//! The notice service: issues a notice on a case (composes it from the case's
//! records, numbers it in its series, draws the PDF, records it in the case with
//! the PDF's hash) and draws an issued notice again from its record. The gRPC
//! API, the CLI and the console all come here.

use std::sync::{Arc, OnceLock};

use chrono::Datelike;
use sha2::{Digest, Sha256};
use xinfang_hub::db::Db;
use xinfang_proto::v1 as pb;

use super::compose::{self, CaseFacts};
use super::fonts::NoticeFonts;
use super::{HandlerText, Issued, NoticeError, NoticeKind, NoticeText, pdf};
use crate::auth::{Action, Actor};
use crate::case::labels::Lang;
use crate::case::petitioner::Opened;
use crate::case::record::{Body, Step};
use crate::case::service::CaseService;
use crate::case::view::CaseFile;
use crate::error::NodeError;
use crate::labels::Said;

pub struct NoticeService {
    cases: Arc<CaseService>,
    db: Db,
    /// Found on first use: a node without a CJK font runs, and refuses notices.
    fonts: OnceLock<Result<NoticeFonts, NoticeError>>,
}

/// Papers printed together (the cards of a booking, a form's copies): their
/// titles in order and one PDF.
pub struct Papers {
    pub titles: Vec<String>,
    pub pdf: Vec<u8>,
}

/// A notice as the fronts hand it out.
pub struct NoticePdf {
    pub notice: NoticeText,
    pub pdf: Vec<u8>,
    pub sha256: String,
    /// Drawn again now, the PDF differs from the one issued (the machine's fonts
    /// changed since): the text is the same, the bytes are not.
    pub redrawn_differs: bool,
}

impl From<NoticeError> for NodeError {
    fn from(e: NoticeError) -> NodeError {
        match e {
            NoticeError::Missing { field, rule } => NodeError::Invalid { field, rule },
            NoticeError::NotAtStage { rule, message } => NodeError::Rule { rule, message },
            NoticeError::NoFont(m) => NodeError::Rule {
                rule: "notice.font",
                message: format!("no CJK font found to print notices: {m}"),
            },
            NoticeError::Pdf(m) => NodeError::Internal(format!("drawing the notice: {m}")),
        }
    }
}

impl NoticeService {
    pub fn new(cases: Arc<CaseService>, db: Db) -> NoticeService {
        NoticeService {
            cases,
            db,
            fonts: OnceLock::new(),
        }
    }

    pub fn guard(&self) -> &crate::auth::Guard {
        self.cases.guard()
    }

    fn fonts(&self) -> Result<&NoticeFonts, NodeError> {
        self.fonts
            .get_or_init(NoticeFonts::find)
            .as_ref()
            .map_err(|e| NodeError::from(e.clone()))
    }

    /// Issues a notice of `kind` on the case: refused, naming what is missing,
    /// where the case's records or the handler's text cannot support it.
    pub async fn issue(
        &self,
        who: &Actor,
        case_no: &str,
        kind: NoticeKind,
        text: &HandlerText,
        lang: Lang,
    ) -> Result<(NoticePdf, pb::CaseView), NodeError> {
        // Issuing is writing a notice record: the same permission, asked first so
        // that a refused caller burns no number.
        self.cases
            .guard()
            .authorize(who, Action::Step(Step::Notice), case_no.trim())
            .await?;
        let file = self.cases.file(who, case_no).await?;
        // Compose once to find what is missing before a number is taken.
        self.compose(&file, kind, text, 0)?;
        let fonts = self.fonts()?;
        let (me, _) = self.cases.hub_topology();
        let seq = self
            .next_number(me.as_str(), kind, self.cases.today().year())
            .await?;
        let notice = self.compose(&file, kind, text, seq)?;
        let bytes = pdf::render(&notice, fonts)?;
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let body = Body::Notice {
            text: format!("{}（{}）", notice.title, notice.doc_no),
            issued: Some(Box::new(Issued {
                notice: notice.clone(),
                sha256: sha256.clone(),
            })),
        };
        let view = self
            .cases
            .act_record(who, &file.view.case_no, body, lang)
            .await?;
        Ok((
            NoticePdf {
                notice,
                pdf: bytes,
                sha256,
                redrawn_differs: false,
            },
            view,
        ))
    }

    /// The four cards of a booking onto a reception day (seed 004 四卡), drawn from
    /// the booking record.
    pub async fn reception_cards(
        &self,
        who: &Actor,
        case_no: &str,
        booking: &str,
    ) -> Result<Papers, NodeError> {
        let file = self.cases.file(who, case_no).await?;
        let cards =
            self.with_facts(&file, |facts| super::cards::reception_cards(facts, booking))??;
        self.papers(&cards)
    }

    /// The copies of the supervision form (八联单) sent after a booking's
    /// reception, with the office's stub as it stands (acknowledgements, 撤回).
    pub async fn supervision_form(
        &self,
        who: &Actor,
        case_no: &str,
        booking: &str,
    ) -> Result<Papers, NodeError> {
        let file = self.cases.file(who, case_no).await?;
        let copies = self.with_facts(&file, |facts| {
            super::cards::supervision_form(facts, booking)
        })??;
        self.papers(&copies)
    }

    fn papers(&self, texts: &[NoticeText]) -> Result<Papers, NodeError> {
        Ok(Papers {
            titles: texts.iter().map(|t| t.title.clone()).collect(),
            pdf: pdf::render_all(texts, self.fonts()?)?,
        })
    }

    /// The notices issued on a case, oldest first.
    pub async fn issued(&self, who: &Actor, case_no: &str) -> Result<Vec<Issued>, NodeError> {
        let file = self.cases.file(who, case_no).await?;
        Ok(issued_in(&file).cloned().collect())
    }

    /// An issued notice's PDF, drawn again from its record.
    pub async fn pdf(
        &self,
        who: &Actor,
        case_no: &str,
        doc_no: &str,
    ) -> Result<NoticePdf, NodeError> {
        let file = self.cases.file(who, case_no).await?;
        let issued = issued_in(&file)
            .find(|i| i.notice.doc_no == doc_no.trim())
            .ok_or_else(|| {
                NodeError::NotFound(format!(
                    "no notice {doc_no} was issued on case {}",
                    file.view.case_no
                ))
            })?;
        let bytes = pdf::render(&issued.notice, self.fonts()?)?;
        let sha256 = hex::encode(Sha256::digest(&bytes));
        Ok(NoticePdf {
            notice: issued.notice.clone(),
            redrawn_differs: sha256 != issued.sha256,
            pdf: bytes,
            sha256,
        })
    }

    fn compose(
        &self,
        file: &CaseFile,
        kind: NoticeKind,
        text: &HandlerText,
        seq: u64,
    ) -> Result<NoticeText, NodeError> {
        Ok(self.with_facts(file, |facts| compose::compose(kind, facts, text, seq))??)
    }

    /// The receipt of a registration (not recorded: it may carry the query code,
    /// which is the petitioner's alone). `query_code`: the code the registration
    /// has just issued, or `None` for a reprint without it.
    pub async fn receipt(
        &self,
        who: &Actor,
        case_no: &str,
        query_code: Option<&str>,
    ) -> Result<NoticePdf, NodeError> {
        let file = self.cases.file(who, case_no).await?;
        // A code printed on the receipt must be the case's own: checked against
        // its stored hash (and counted like a wrong code on the public page).
        let query_code = query_code.map(str::trim).filter(|c| !c.is_empty());
        if let Some(code) = query_code {
            match self.cases.open(&file.view.case_no, code).await? {
                Opened::Case(_) => {}
                Opened::NoMatch => {
                    return Err(NodeError::invalid(
                        "query_code",
                        Said::new(
                            "不是本案件的查询码（回执只打印登记时生成的查询码）",
                            "is not this case's query code (a receipt prints only the code the \
                             registration issued)",
                        ),
                    ));
                }
                Opened::SlowedDown(wait) => {
                    return Err(NodeError::Rule {
                        rule: "query_code.slowed",
                        message: format!(
                            "too many wrong codes for this case: try again in {} s",
                            wait.as_secs().max(1)
                        ),
                    });
                }
            }
        }
        let notice = self.with_facts(&file, |facts| compose::receipt(facts, query_code))?;
        let bytes = pdf::render(&notice, self.fonts()?)?;
        Ok(NoticePdf {
            notice,
            sha256: hex::encode(Sha256::digest(&bytes)),
            pdf: bytes,
            redrawn_differs: false,
        })
    }

    /// An issued notice for the petitioner, who proves the case is theirs with
    /// its query code (the public page): wrong codes count as on the page.
    pub async fn for_petitioner(
        &self,
        case_no: &str,
        code: &str,
        doc_no: &str,
    ) -> Result<Opened<NoticePdf>, NodeError> {
        let file = match self.cases.open(case_no, code).await? {
            Opened::Case(file) => file,
            Opened::NoMatch => return Ok(Opened::NoMatch),
            Opened::SlowedDown(d) => return Ok(Opened::SlowedDown(d)),
        };
        let Some(issued) = issued_in(&file).find(|i| i.notice.doc_no == doc_no.trim()) else {
            return Ok(Opened::NoMatch);
        };
        let bytes = pdf::render(&issued.notice, self.fonts()?)?;
        let sha256 = hex::encode(Sha256::digest(&bytes));
        Ok(Opened::Case(NoticePdf {
            notice: issued.notice.clone(),
            redrawn_differs: sha256 != issued.sha256,
            pdf: bytes,
            sha256,
        }))
    }

    /// Runs `f` over what the case says, as of today at this node.
    fn with_facts<T>(
        &self,
        file: &CaseFile,
        f: impl FnOnce(&CaseFacts<'_>) -> T,
    ) -> Result<T, NodeError> {
        let derived = self.cases.derive(file).ok_or_else(|| {
            NodeError::Internal(format!("case {} has no registration", file.view.case_no))
        })?;
        let received = file
            .header
            .as_ref()
            .map(|h| h.received)
            .unwrap_or_else(|| self.cases.today());
        let view = self.cases.view(file, Lang::Zh);
        let matter = [
            &view.subcategory_label,
            &view.category_label,
            &view.purpose_label,
        ]
        .into_iter()
        .find(|s| !s.is_empty())
        .cloned()
        .unwrap_or_else(|| {
            // No category recorded: the petition's own words, shortened.
            let words: String = file.view.content.chars().take(30).collect();
            if file.view.content.chars().count() > 30 {
                format!("{words}等")
            } else {
                words
            }
        });
        let ctx = self.cases.context();
        let (me, topology) = self.cases.hub_topology();
        let facts = CaseFacts {
            case_no: &file.view.case_no,
            petitioner: &file.view.petitioner,
            received,
            matter: &matter,
            records: &file.records,
            derived: &derived,
            topology,
            limits: ctx.limits,
            issuer: me,
            today: self.cases.today(),
        };
        Ok(f(&facts))
    }

    /// The next number in the series of `kind` at `unit` in `year`: one counter
    /// row, raised and read in one statement (a refused write leaves a gap, never
    /// a repeat).
    async fn next_number(&self, unit: &str, kind: NoticeKind, year: i32) -> Result<u64, NodeError> {
        let n: i64 = sqlx::query_scalar(
            "INSERT INTO node_notice_counters (unit, series, year, last) VALUES ($1, $2, $3, 1) \
             ON CONFLICT (unit, series, year) DO UPDATE SET last = node_notice_counters.last + 1 \
             RETURNING last",
        )
        .bind(unit)
        .bind(kind.code())
        .bind(i64::from(year))
        .fetch_one(self.db.pool())
        .await?;
        Ok(n.max(1) as u64)
    }
}

/// The printed notices among a case's records.
fn issued_in(file: &CaseFile) -> impl Iterator<Item = &Issued> {
    file.records.iter().filter_map(|r| match &r.body {
        Body::Notice {
            issued: Some(i), ..
        } => Some(i.as_ref()),
        _ => None,
    })
}
