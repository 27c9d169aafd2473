//! 领导包案信访事项公示: the owned cases of the office's library as published
//! (seed 002, 挂网公示), from the library service. Nothing names or reaches a
//! petitioner: the office wrote each matter's published title for this page.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;

use super::page::{self, shell};
use super::words as w;
use crate::labels::Lang;
use crate::library::PublishedCase;

pub fn owned(lang: Lang, cases: &[PublishedCase]) -> Response {
    let body = html! {
        section {
            h1 { (w::OWNED_TITLE.get(lang)) }
            p { (w::OWNED_INTRO.get(lang)) }
            @if cases.is_empty() {
                p { (w::OWNED_NONE.get(lang)) }
            } @else {
                table #owned {
                    thead { tr {
                        th { (w::OWNED_MATTER.get(lang)) }
                        th { (w::OWNED_AREA.get(lang)) }
                        th { (w::OWNED_LEADER.get(lang)) }
                        th { (w::HANDLING_UNIT.get(lang)) }
                        th { (w::OWNED_SINCE.get(lang)) }
                        th { (w::STATUS.get(lang)) }
                    } }
                    tbody {
                        @for c in cases {
                            tr {
                                td { (c.public_title) }
                                td { (c.area) }
                                td { (c.position) " " (c.leader) }
                                td { (c.handling_unit) }
                                td { (c.owned_since.to_string()) }
                                td { @if c.open { (w::OWNED_OPEN.get(lang)) } @else { (w::OWNED_DONE.get(lang)) } }
                            }
                        }
                    }
                }
            }
            p { a href={ "/" (page::suffix(lang)) } { (w::TITLE.get(lang)) } }
        }
    };
    (StatusCode::OK, shell(lang, body)).into_response()
}
