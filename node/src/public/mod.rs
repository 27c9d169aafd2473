//! The public progress page (信访事项查询): a front for petitioners, who have no
//! account, on a listener of its own (`--public ADDR`), apart from the staff
//! console and the API. A case number and its query code open the case's
//! progress as the case service answers it (`CaseService::progress`); once a
//! reply exists and within its window, the petitioner rates it
//! (`CaseService::rate_as_petitioner`).
//!
//! Nothing else is served: no staff page, no API, no write but the rating; no
//! cookie is read or set, so no staff session can ride on it. The code travels
//! in POSTed forms only (never in an address, a log line or a Referer).
//!
//! - [`page`]: the pages, drawn from the progress view; [`words`]: the page's own words.

mod owned;
mod page;
mod plan;
mod words;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Form, FromRef, Query, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, RETRY_AFTER,
    X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::case::petitioner::{Opened, Progress};
use crate::case::record::Satisfaction;
use crate::case::service::CaseService;
use crate::error::NodeError;
use crate::labels::Lang;
use crate::library::LibraryService;
use crate::notice::service::NoticeService;
use crate::schedule::service::ScheduleService;

/// The page's language: `?lang=en` for English, Chinese otherwise. No cookie.
#[derive(Debug, Default, Deserialize)]
pub struct LangQuery {
    #[serde(default)]
    lang: String,
}

impl LangQuery {
    fn lang(&self) -> Lang {
        Lang::from_tag(&self.lang)
    }
}

/// A case number and a code, as typed.
#[derive(Debug, Deserialize)]
pub struct LookUp {
    #[serde(default)]
    case_no: String,
    #[serde(default)]
    code: String,
}

/// A rating: the case number, the code and the choice.
#[derive(Debug, Deserialize)]
pub struct Rate {
    #[serde(default)]
    case_no: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    rating: String,
}

/// What the page's handlers call: the case service, the notice service for
/// the printed notices' downloads, and the library service for the owned
/// cases it publishes.
#[derive(Clone)]
pub struct PublicState {
    pub cases: Arc<CaseService>,
    pub notices: Arc<NoticeService>,
    pub library: Arc<LibraryService>,
    pub schedules: Arc<ScheduleService>,
}

impl FromRef<PublicState> for Arc<ScheduleService> {
    fn from_ref(s: &PublicState) -> Self {
        s.schedules.clone()
    }
}

impl FromRef<PublicState> for Arc<LibraryService> {
    fn from_ref(s: &PublicState) -> Self {
        s.library.clone()
    }
}

impl FromRef<PublicState> for Arc<CaseService> {
    fn from_ref(s: &PublicState) -> Self {
        s.cases.clone()
    }
}

impl FromRef<PublicState> for Arc<NoticeService> {
    fn from_ref(s: &PublicState) -> Self {
        s.notices.clone()
    }
}

/// The public page's routes; everything else is "no such page".
pub fn router(state: PublicState) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/progress", post(progress))
        .route("/rate", post(rate))
        .route("/notice", post(notice))
        .route("/owned", get(owned_cases))
        .route("/plan", get(reception_plan))
        .route("/assets/public.css", get(css))
        .fallback(not_here)
        .layer(axum::middleware::map_response(hardened))
        .with_state(state)
}

#[derive(Deserialize)]
pub struct NoticeAsked {
    #[serde(default)]
    case_no: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    doc: String,
}

/// A printed notice of the case, for the petitioner with its code.
async fn notice(
    State(notices): State<Arc<NoticeService>>,
    Query(q): Query<LangQuery>,
    Form(f): Form<NoticeAsked>,
) -> Response {
    let lang = q.lang();
    match notices.for_petitioner(&f.case_no, &f.code, &f.doc).await {
        Ok(Opened::Case(p)) => (
            StatusCode::OK,
            [
                (CONTENT_TYPE, "application/pdf".to_owned()),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"{}-{}.pdf\"",
                        p.notice.case_no,
                        p.notice.kind.code()
                    ),
                ),
            ],
            p.pdf,
        )
            .into_response(),
        Ok(Opened::NoMatch) => opened(lang, &f.case_no, &f.code, Ok(Opened::NoMatch), None),
        Ok(Opened::SlowedDown(d)) => {
            opened(lang, &f.case_no, &f.code, Ok(Opened::SlowedDown(d)), None)
        }
        Err(e) => opened(lang, &f.case_no, &f.code, Err(e), None),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct PlanQuery {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    quarter: String,
}

/// The quarter's reception plan as published (seed 002: 挂网公示); the current
/// quarter unless `?quarter=YYYYQn`.
async fn reception_plan(
    State(schedules): State<Arc<ScheduleService>>,
    Query(q): Query<PlanQuery>,
) -> Response {
    let lang = Lang::from_tag(&q.lang);
    let quarter = match q.quarter.trim() {
        "" => schedules.current_quarter(),
        typed => match typed.parse::<crate::schedule::model::Quarter>() {
            Ok(quarter) => quarter,
            Err(e) => {
                let msg = format!("{}：quarter: {}", words::BAD_INPUT.get(lang), e.get(lang));
                return page::look_up(lang, Some(&msg), StatusCode::BAD_REQUEST, "");
            }
        },
    };
    match schedules.published_plan(quarter).await {
        Ok(p) => plan::plan(lang, &p),
        Err(e) => {
            tracing::error!(error = %e, "public page could not show the reception plan");
            page::look_up(
                lang,
                Some(words::FAILED.get(lang)),
                StatusCode::INTERNAL_SERVER_ERROR,
                "",
            )
        }
    }
}

/// The owned cases as published (seed 002: 挂网公示).
async fn owned_cases(
    State(library): State<Arc<LibraryService>>,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = q.lang();
    match library.published().await {
        Ok(cases) => owned::owned(lang, &cases),
        Err(e) => {
            tracing::error!(error = %e, "public page could not list the owned cases");
            page::look_up(
                lang,
                Some(words::FAILED.get(lang)),
                StatusCode::INTERNAL_SERVER_ERROR,
                "",
            )
        }
    }
}

async fn home(Query(q): Query<LangQuery>) -> Response {
    page::look_up(q.lang(), None, StatusCode::OK, "")
}

async fn progress(
    State(cases): State<Arc<CaseService>>,
    Query(q): Query<LangQuery>,
    Form(f): Form<LookUp>,
) -> Response {
    let lang = q.lang();
    let answer = cases.progress(&f.case_no, &f.code, lang).await;
    opened(lang, &f.case_no, &f.code, answer, None)
}

async fn rate(
    State(cases): State<Arc<CaseService>>,
    Query(q): Query<LangQuery>,
    Form(f): Form<Rate>,
) -> Response {
    let lang = q.lang();
    let Some(choice) = satisfaction(&f.rating) else {
        let msg = match lang {
            Lang::Zh => "字段 rating：请选择 满意、基本满意 或 不满意",
            Lang::En => "field `rating`: choose satisfied, basically satisfied or unsatisfied",
        };
        return page::look_up(lang, Some(msg), StatusCode::BAD_REQUEST, &f.case_no);
    };
    let answer = cases
        .rate_as_petitioner(&f.case_no, &f.code, choice, lang)
        .await;
    match answer {
        Err(NodeError::Rule { rule, .. }) => {
            // Refused by the rating's rules: the case as it stands, and why.
            let why = match rule {
                "rating.after_reply" => words::RATING_BEFORE_REPLY,
                "rating.once" => words::RATING_ONCE,
                "rating.window" => words::RATING_WINDOW,
                _ => words::RATING_CLOSED,
            };
            let shown = cases.progress(&f.case_no, &f.code, lang).await;
            let note = page::Note::Refused(why.get(lang));
            match shown {
                Ok(Opened::Case(p)) => {
                    page::progress(lang, &p, &f.code, Some(note), StatusCode::CONFLICT)
                }
                other => opened(lang, &f.case_no, &f.code, other, None),
            }
        }
        other => opened(lang, &f.case_no, &f.code, other, Some(page::Note::Thanks)),
    }
}

/// The rating's code as the form sends it.
fn satisfaction(code: &str) -> Option<Satisfaction> {
    match code {
        "satisfied" => Some(Satisfaction::Satisfied),
        "basic" => Some(Satisfaction::Basic),
        "unsatisfied" => Some(Satisfaction::Unsatisfied),
        _ => None,
    }
}

/// The page for what the case service answered: the case, the one neutral
/// message for no case and wrong code alike, a wait, or bad input by field.
fn opened(
    lang: Lang,
    case_no: &str,
    code: &str,
    answer: Result<Opened<Progress>, NodeError>,
    note: Option<page::Note>,
) -> Response {
    match answer {
        Ok(Opened::Case(p)) => page::progress(lang, &p, code, note, StatusCode::OK),
        Ok(Opened::NoMatch) => page::look_up(
            lang,
            Some(words::NO_MATCH.get(lang)),
            StatusCode::NOT_FOUND,
            case_no,
        ),
        Ok(Opened::SlowedDown(wait)) => {
            let secs = wait.as_secs().max(1);
            let msg = words::SLOWED.get(lang).replace("{}", &secs.to_string());
            let mut res = page::look_up(lang, Some(&msg), StatusCode::TOO_MANY_REQUESTS, case_no);
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(RETRY_AFTER, v);
            }
            res
        }
        Err(NodeError::Invalid { field, rule }) => {
            let msg = format!(
                "{}：{field}: {}",
                words::BAD_INPUT.get(lang),
                rule.get(lang)
            );
            page::look_up(lang, Some(&msg), StatusCode::BAD_REQUEST, case_no)
        }
        Err(e) => {
            tracing::error!(error = %e, "public page could not answer");
            page::look_up(
                lang,
                Some(words::FAILED.get(lang)),
                StatusCode::INTERNAL_SERVER_ERROR,
                case_no,
            )
        }
    }
}

async fn not_here(Query(q): Query<LangQuery>) -> Response {
    page::look_up(
        q.lang(),
        Some(words::NOT_HERE.get(q.lang())),
        StatusCode::NOT_FOUND,
        "",
    )
}

const CSS: &str = include_str!("assets/public.css");

async fn css() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "max-age=3600"),
        ],
        CSS,
    )
}

/// Headers every answer carries: nothing kept in a shared computer's cache, no
/// script at all, forms only to this page, no framing, no sniffing, no
/// Referer carrying anything away.
async fn hardened(mut res: Response) -> Response {
    let h = res.headers_mut();
    if !h.contains_key(CACHE_CONTROL) {
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    h.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; \
             base-uri 'none'",
        ),
    );
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    res
}
