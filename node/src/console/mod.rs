//! The staff console: the pages petition-office staff work in, served by the
//! node itself on a listener of its own (`--console ADDR`).
//!
//! A front like the gRPC adapters: every page and form calls the same services
//! (`CaseService`, `ReportService`, `ScheduleService`, `NodeStatus`, the `Guard`) with the signed-in user as the caller, so the
//! services' permission checks, rules and audit apply unchanged; the console
//! only decides what to *offer* (by the same roles table) and how to show what
//! the services answer. Labels come from the label tables; the console's own
//! words (headings, buttons) are in [`words`].
//!
//! - [`listen`]: the listener (loopback, or TLS beyond it) and serving.
//! - [`session`]: the session cookie (the login token), CSRF tokens, language.
//! - [`reply`]: how a refusal becomes a page; errors mapped once.
//! - [`page`]: the page shell and the embedded assets.
//! - [`signin`], [`worklist`], [`register`], [`case_file`], [`steps`], [`audit`],
//!   [`users`], [`reports`], [`links`], [`filings`], [`schedules`], [`duty`]: the pages;
//!   [`notices`] and [`receptions`]: sections of the case file with their forms;
//!   [`suggestions`]: the worklist's suggested accountability cases;
//!   [`filings_due`]: the worklist's filings (ours owed, missing below);
//!   [`charts`]: the reports' inline SVG.

mod audit;
mod case_file;
mod charts;
mod duty;
mod filings;
mod filings_due;
mod history;
mod library;
mod links;
pub mod listen;
mod notices;
mod page;
mod receptions;
mod refused;
mod register;
mod reply;
mod reports;
mod schedules;
mod session;
mod signin;
mod steps;
mod suggestions;
mod users;
mod words;
mod worklist;

use std::sync::Arc;

use axum::Router;
use axum::http::HeaderValue;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
};
use axum::response::Response;
use axum::routing::{get, post};

use crate::accountability::service::AccountabilityService;
use crate::case::service::CaseService;
use crate::library::LibraryService;
use crate::notice::service::NoticeService;
use crate::reception::ReceptionService;
use crate::report::service::ReportService;
use crate::schedule::service::ScheduleService;
use crate::status::NodeStatus;

pub use listen::{ConsoleListen, serve};

/// What the console's handlers share.
#[derive(Clone)]
pub struct Console(Arc<Inner>);

/// The services the console calls, the same the gRPC adapters call.
pub struct Services {
    pub accountability: Arc<AccountabilityService>,
    pub cases: Arc<CaseService>,
    pub notices: Arc<NoticeService>,
    pub library: Arc<LibraryService>,
    pub receptions: Arc<ReceptionService>,
    pub reports: Arc<ReportService>,
    pub schedules: Arc<ScheduleService>,
    pub status: Arc<NodeStatus>,
}

struct Inner {
    services: Services,
    /// Served over TLS: cookies are marked `Secure`.
    secure: bool,
    /// The key CSRF tokens are derived with, new at each start (a form from
    /// before a restart is refused and shown again).
    csrf_key: [u8; 32],
}

impl Console {
    pub fn new(services: Services, secure: bool) -> Console {
        let mut csrf_key = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut csrf_key);
        Console(Arc::new(Inner {
            services,
            secure,
            csrf_key,
        }))
    }

    fn accountability(&self) -> &AccountabilityService {
        &self.0.services.accountability
    }

    fn cases(&self) -> &CaseService {
        &self.0.services.cases
    }

    fn notices(&self) -> &NoticeService {
        &self.0.services.notices
    }

    fn library(&self) -> &LibraryService {
        &self.0.services.library
    }

    fn receptions(&self) -> &ReceptionService {
        &self.0.services.receptions
    }

    fn reports(&self) -> &ReportService {
        &self.0.services.reports
    }

    fn schedules(&self) -> &ScheduleService {
        &self.0.services.schedules
    }

    fn status(&self) -> &NodeStatus {
        &self.0.services.status
    }
}

/// Every page and form of the console.
pub fn router(console: Console) -> Router {
    Router::new()
        .route("/", get(worklist::home))
        .route("/login", get(signin::form).post(signin::submit))
        .route("/logout", post(signin::sign_out))
        .route("/work", get(worklist::page))
        .route("/history", get(history::form).post(history::search))
        .route("/library", get(library::page))
        .route("/owned-published", get(library::published))
        .route("/register", get(register::form).post(register::submit))
        .route("/register/id-number", get(register::check_id))
        .route("/case/{case_no}", get(case_file::page))
        .route("/case/{case_no}/step/{kind}", post(case_file::act))
        .route(
            "/case/{case_no}/notice",
            get(notices::download).post(case_file::issue_notice),
        )
        .route(
            "/case/{case_no}/receipt",
            get(notices::receipt).post(notices::receipt_with_code),
        )
        .route(
            "/case/{case_no}/reception/{action}",
            post(case_file::reception),
        )
        .route(
            "/case/{case_no}/reception-paper/{which}",
            get(receptions::paper),
        )
        .route("/accountability/confirm", post(suggestions::confirm))
        .route("/accountability/dismiss", post(suggestions::dismiss))
        .route("/admin/audit", get(audit::page))
        .route("/admin/users", get(users::page).post(users::add))
        .route("/admin/users/{name}/roles", post(users::roles))
        .route("/admin/users/{name}/password", post(users::password))
        .route("/reports", get(reports::page))
        .route("/reports/cases", get(reports::cases))
        .route("/reports/download", get(reports::download))
        .route("/admin/links", get(links::page))
        .route("/filings", get(filings::page))
        .route("/schedules", get(schedules::page))
        .route("/schedules/grid", post(schedules::grid::submit))
        .route("/schedules/import", post(schedules::import::submit))
        .route("/schedules/step/{step}", post(schedules::steps::act))
        .route("/duty", get(duty::page))
        .route("/duty/draft", post(duty::draft))
        .route("/duty/step/{step}", post(duty::step))
        .route("/assets/console.css", get(page::css))
        .route("/assets/console.js", get(page::js))
        .layer(axum::middleware::from_fn(session::language))
        .layer(axum::middleware::map_response(hardened))
        .with_state(console)
}

/// Headers every answer carries: pages hold personal data and are not kept in
/// a shared office PC's cache; nothing runs but the node's own script; no other
/// site may frame a page (clickjacking) or have a response sniffed as another type.
async fn hardened(mut res: Response) -> Response {
    let h = res.headers_mut();
    if !h.contains_key(CACHE_CONTROL) {
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    h.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    res
}
