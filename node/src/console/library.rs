//! 包案案件库: the office's owned-case library — each listed case with its
//! area, published title, the leaders it was reported to, its owner, and the
//! leaders of the roster whose portfolio covers it; above, the leaders the
//! rules want to own a case who have none yet. Listing a case and reporting it
//! to a leader are steps on the case file (the case service's rules); this page
//! only reads the library service.

use axum::extract::{Extension, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use maud::html;

use super::Console;
use super::page::{self, Nav};
use super::words as w;
use crate::case::labels;
use crate::labels::Lang;

pub async fn page(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
) -> Response {
    let s = match c.session(&headers, lang).await {
        Ok(s) => s,
        Err(r) => return r.reply(lang, true),
    };
    let library = match c.library().library(&s.who).await {
        Ok(l) => l,
        Err(e) => return super::reply::Refused::from(e).reply(lang, true),
    };
    let title = w::LIBRARY.get(lang);
    let status = |code: &str| {
        labels::status_of_code(code)
            .map(|st| labels::status(st).get(lang).to_owned())
            .unwrap_or_else(|| code.to_owned())
    };
    let (_, topology) = c.cases().hub_topology();
    let unit_name = |code: &str| {
        code.parse()
            .ok()
            .and_then(|u| topology.unit(&u).map(|x| x.name.clone()))
            .unwrap_or_else(|| code.to_owned())
    };
    let body = html! {
        h1 { (title) }
        p.hint { (w::LIBRARY_HINT.get(lang)) " " a href="/owned-published" { (w::LIBRARY_PUBLISHED.get(lang)) } }
        @if !library.leaders_without_case.is_empty() {
            p.warning id="leaders-without-case" role="status" {
                (w::LIBRARY_UNCOVERED.get(lang)) (library.leaders_without_case.join("、"))
            }
        }
        @if library.cases.is_empty() {
            p.hint id="library-cases" { (w::NONE.get(lang)) }
        } @else {
            table id="library-cases" {
                thead { tr {
                    th scope="col" { (w::CASE_NO.get(lang)) }
                    th scope="col" { (w::LIBRARY_AREA.get(lang)) }
                    th scope="col" { (w::PUBLIC_TITLE.get(lang)) }
                    th scope="col" { (w::STATUS.get(lang)) }
                    th scope="col" { (w::HANDLING_UNIT.get(lang)) }
                    th scope="col" { (w::LIBRARY_PROPOSED.get(lang)) }
                    th scope="col" { (w::LIBRARY_OWNER.get(lang)) }
                    th scope="col" { (w::LIBRARY_SUGGESTED.get(lang)) }
                } }
                tbody {
                    @for e in &library.cases {
                        tr data-case=(e.case_no) {
                            td { a href=(format!("/case/{}", e.case_no)) { (e.case_no) } }
                            td { (e.listing.area) }
                            td { (e.listing.public_title) }
                            td { (status(&e.status)) }
                            td { (unit_name(&e.handling_unit)) }
                            td.proposed {
                                @for p in &e.listing.proposals {
                                    span { (p.leader) "（" (p.basis) "，" (p.on.to_string()) "）" } " "
                                }
                            }
                            td.owner {
                                @if let Some((o, on)) = &e.listing.owner { (o) "（" (on.to_string()) "）" }
                            }
                            td.suggested { (e.suggested.join("、")) }
                        }
                    }
                }
            }
        }
    };
    page::shell(&c, &s, Nav::Library, title, body).into_response()
}

/// The owned cases as the public page publishes them, for staff to check what
/// the public sees (the public page may run on another listener, or none).
pub async fn published(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
) -> Response {
    let s = match c.session(&headers, lang).await {
        Ok(s) => s,
        Err(r) => return r.reply(lang, true),
    };
    let cases = match c.library().published_for(&s.who).await {
        Ok(p) => p,
        Err(e) => return super::reply::Refused::from(e).reply(lang, true),
    };
    let title = w::LIBRARY_PUBLISHED.get(lang);
    let body = html! {
        h1 { (title) }
        @if cases.is_empty() {
            p.hint id="published-cases" { (w::NONE.get(lang)) }
        } @else {
            table id="published-cases" {
                thead { tr {
                    th scope="col" { (w::PUBLIC_TITLE.get(lang)) }
                    th scope="col" { (w::LIBRARY_AREA.get(lang)) }
                    th scope="col" { (w::LIBRARY_OWNER.get(lang)) }
                    th scope="col" { (w::HANDLING_UNIT.get(lang)) }
                    th scope="col" { (w::STATUS.get(lang)) }
                } }
                tbody {
                    @for p in &cases {
                        tr {
                            td { (p.public_title) }
                            td { (p.area) }
                            td { (p.position) " " (p.leader) "（" (p.owned_since.to_string()) "）" }
                            td { (p.handling_unit) }
                            td { @if p.open { (w::LIBRARY_OPEN.get(lang)) } @else { (w::LIBRARY_DONE.get(lang)) } }
                        }
                    }
                }
            }
        }
    };
    page::shell(&c, &s, Nav::Library, title, body).into_response()
}
