//! 文书: the printed notices on the case file — the ones issued, each a PDF to
//! download (drawn again from its record), the receipt to reprint, and a form to
//! issue one. Composing, numbering, recording and drawing are the notice
//! service's; a refusal (an opinion without its basis) comes back beside the
//! field it names.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Extension, Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::Console;
use super::page;
use super::refused::told;
use super::reply::Refused;
use super::session::{CSRF_FIELD, Session};
use super::words as w;
use crate::auth::{Action, any_allowed};
use crate::case::record::Step;
use crate::error::NodeError;
use crate::labels::{Label, Lang};
use crate::notice::service::NoticePdf;
use crate::notice::{HandlerText, Issued, NoticeKind};

/// A notice form that was refused: what was typed, and why (beside `field`
/// where the service named one of the form's fields).
pub struct NoticeRefusal {
    pub typed: HashMap<String, String>,
    pub field: Option<&'static str>,
    pub message: String,
}

/// The handler's fields of the form, with their labels.
const FIELDS: [(&str, Label); 3] = [
    (
        "facts",
        Label::new("查明的事实（意见书必填）", "Facts found (opinions)"),
    ),
    (
        "basis",
        Label::new("依据（意见书必填）", "Basis (opinions)"),
    ),
    ("remarks", Label::new("补充说明", "Remarks")),
];

/// The section of the case file: issued notices, the receipt, the form.
pub fn section(
    s: &Session,
    case_no: &str,
    issued: &[Issued],
    refusal: Option<&NoticeRefusal>,
) -> Markup {
    let lang = s.lang;
    let typed = |name: &str| {
        refusal
            .and_then(|r| r.typed.get(name))
            .cloned()
            .unwrap_or_default()
    };
    let may_issue = any_allowed(&s.who.roles, Action::Step(Step::Notice));
    html! {
        section aria-labelledby="notices-h" #notices {
            h2 id="notices-h" { (w::NOTICES.get(lang)) }
            ul #issued-notices {
                li { a href=(format!("/case/{case_no}/receipt")) { (NoticeKind::Receipt.label().get(lang)) } }
                @for i in issued {
                    li data-kind=(i.notice.kind.code()) {
                        a href=(format!("/case/{case_no}/notice?doc={}", urlencode(&i.notice.doc_no))) {
                            (i.notice.kind.label().get(lang)) " " (i.notice.doc_no)
                        }
                        " · " (i.notice.date)
                    }
                }
            }
            @if may_issue {
                details.step open[refusal.is_some()] data-step="issue-notice" {
                    summary { (w::ISSUE_NOTICE.get(lang)) }
                    @if let Some(r) = refusal.filter(|r| r.field.is_none()) {
                        p.error role="alert" id="notice-error" { (w::REFUSED.get(lang)) "：" (r.message) }
                    }
                    form method="post" action=(format!("/case/{case_no}/notice")) {
                        (page::csrf(s))
                        div.field {
                            label for="notice-kind" { (w::NOTICE_KIND.get(lang)) }
                            select id="notice-kind" name="kind" {
                                @for k in NoticeKind::ALL {
                                    option value=(k.code()) selected[typed("kind") == k.code()] { (k.label().get(lang)) }
                                }
                            }
                        }
                        @for (name, label) in FIELDS {
                            @let bad = refusal.is_some_and(|r| r.field == Some(name));
                            div.field {
                                label for=(format!("notice-{name}")) { (label.get(lang)) }
                                textarea id=(format!("notice-{name}")) name=(name) rows="2" aria-invalid=[bad.then_some("true")] { (typed(name)) }
                                @if bad {
                                    @if let Some(r) = refusal {
                                        p.error role="alert" id=(format!("notice-{name}-error")) { (label.get(lang)) "：" (r.message) }
                                    }
                                }
                            }
                        }
                        button type="submit" { (w::ISSUE_NOTICE.get(lang)) }
                    }
                }
            }
        }
    }
}

/// Percent-encodes a document number for a query string (its 〔〕 and 号).
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A PDF the service drew, or its refusal as a page (`page`: a link followed,
/// not a form posted).
fn answer(drawn: Result<NoticePdf, NodeError>, lang: Lang, page: bool) -> Response {
    match drawn {
        Ok(p) => pdf_response(p),
        Err(e) => Refused::from(e).reply(lang, page),
    }
}

fn pdf_response(p: NoticePdf) -> Response {
    let name = format!("{}-{}.pdf", p.notice.case_no, p.notice.kind.code());
    (
        StatusCode::OK,
        [
            (CONTENT_TYPE, "application/pdf".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        p.pdf,
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct Which {
    doc: String,
}

/// An issued notice's PDF.
pub async fn download(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Path(case_no): Path<String>,
    Query(which): Query<Which>,
) -> Response {
    let s = match c.session(&headers, lang).await {
        Ok(s) => s,
        Err(r) => return r.reply(lang, true),
    };
    answer(
        c.notices().pdf(&s.who, &case_no, &which.doc).await,
        lang,
        true,
    )
}

/// The receipt, reprinted (without the query code).
pub async fn receipt(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Path(case_no): Path<String>,
) -> Response {
    let s = match c.session(&headers, lang).await {
        Ok(s) => s,
        Err(r) => return r.reply(lang, true),
    };
    answer(
        c.notices().receipt(&s.who, &case_no, None).await,
        lang,
        true,
    )
}

/// The receipt with the query code the registration's answer showed: posted
/// from that answer (the code never goes in an address), checked by the service.
pub async fn receipt_with_code(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Path(case_no): Path<String>,
    Form(mut typed): Form<HashMap<String, String>>,
) -> Response {
    let csrf = typed.remove(CSRF_FIELD);
    let s = match c
        .posted(
            &headers,
            lang,
            csrf.as_deref(),
            &format!("{case_no} receipt"),
        )
        .await
    {
        Ok(s) => s,
        Err(r) => return r.reply(lang, false),
    };
    let code = typed.get("query_code").map(String::as_str);
    answer(
        c.notices().receipt(&s.who, &case_no, code).await,
        lang,
        false,
    )
}

/// What issuing a notice from the case file's form came to.
pub enum Issuing {
    /// The page to show: back to the case file, where it is listed, or a refusal
    /// that has no field to stand beside.
    Done(Response),
    /// The form again, with why (the case file draws it).
    Refused(NoticeRefusal),
}

/// Issues the notice the form asks for, as the signed-in user.
pub async fn issue(
    c: &Console,
    s: &Session,
    case_no: &str,
    typed: HashMap<String, String>,
) -> Issuing {
    let lang = s.lang;
    let field = |name: &str| typed.get(name).cloned().unwrap_or_default();
    let Some(kind) = NoticeKind::from_code(&field("kind")).filter(|k| NoticeKind::ALL.contains(k))
    else {
        return Issuing::Done(
            Refused::BadRequest(format!("no notice kind {:?}", field("kind"))).reply(lang, false),
        );
    };
    let text = HandlerText {
        facts: field("facts"),
        basis: field("basis"),
        remarks: field("remarks"),
    };
    match c.notices().issue(&s.who, case_no, kind, &text, lang).await {
        Ok((p, _)) => {
            let to = format!("/case/{case_no}?issued={}", urlencode(&p.notice.doc_no));
            Issuing::Done((StatusCode::SEE_OTHER, [(LOCATION, to)]).into_response())
        }
        Err(NodeError::Invalid { field, rule }) => Issuing::Refused(NoticeRefusal {
            field: FIELDS.iter().find(|(n, _)| *n == field).map(|(n, _)| *n),
            message: rule.get(lang).to_owned(),
            typed,
        }),
        Err(e @ NodeError::Rule { .. }) => Issuing::Refused(NoticeRefusal {
            field: None,
            message: told(&e, lang),
            typed,
        }),
        Err(e) => Issuing::Done(Refused::from(e).reply(lang, false)),
    }
}
