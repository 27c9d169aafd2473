//! 审计日志: the node's audit log for those whose roles read it (administrators):
//! every sign-in, refusal and sensitive action, newest last, refusals alone on
//! asking. Read through `Guard::audit_log`, which checks the role.

use axum::extract::{Extension, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use super::Console;
use super::page::{self, Nav};
use super::reply::Refused;
use super::words as w;
use crate::labels::Lang;

/// Lines on the page.
const LINES: u32 = 200;

#[derive(Deserialize, Default)]
pub struct Filter {
    #[serde(default)]
    refused: Option<String>,
    #[serde(default)]
    actor: String,
}

pub async fn page(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Query(f): Query<Filter>,
) -> Response {
    let s = match c.session(&headers, lang).await {
        Ok(s) => s,
        Err(r) => return r.reply(lang, true),
    };
    let refused_only = f.refused.is_some();
    let entries = match c
        .cases()
        .guard()
        .audit_log(&s.who, LINES, refused_only, Some(&f.actor))
        .await
    {
        Ok(e) => e,
        Err(e) => return Refused::from(e).reply(lang, true),
    };
    let title = w::AUDIT.get(lang);
    let body = html! {
        h1 { (title) }
        form.filters method="get" action="/admin/audit" {
            div {
                label for="actor" { (w::USER.get(lang)) } br;
                input type="text" id="actor" name="actor" value=(f.actor);
            }
            div {
                input type="checkbox" id="refused" name="refused" value="1" checked[refused_only];
                " " label for="refused" { (w::REFUSED_ONLY.get(lang)) }
            }
            button type="submit" { (w::FILTER.get(lang)) }
        }
        table #audit {
            thead { tr {
                th scope="col" { (w::WHEN.get(lang)) }
                th scope="col" { (w::USER.get(lang)) }
                th scope="col" { (w::ROLES.get(lang)) }
                th scope="col" { (w::WHAT.get(lang)) }
                th scope="col" { (w::TARGET.get(lang)) }
                th scope="col" { (w::OUTCOME.get(lang)) }
                th scope="col" { (w::REASON.get(lang)) }
            } }
            tbody {
                @for e in entries.iter().rev() {
                    tr class=[(e.outcome == "refused").then_some("overdue")] data-action=(e.action) {
                        td.nowrap { (page::local_time(&e.at)) }
                        td { (e.actor) }
                        td { (e.roles.join(", ")) }
                        td { (e.action) }
                        td { (e.target) }
                        td.nowrap {
                            @if e.outcome == "refused" { (w::DENIED_OUTCOME.get(lang)) } @else { (w::ALLOWED.get(lang)) }
                        }
                        td { (e.reason) }
                    }
                }
            }
        }
    };
    page::shell(&c, &s, Nav::Audit, title, body).into_response()
}
