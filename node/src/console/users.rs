//! 用户: the node's users and their roles, for those who manage users
//! (administrators). Read through `Guard::users`, which checks the role; users are
//! added and changed with `xinfang admin user` for now.

use axum::extract::{Extension, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use maud::html;

use super::Console;
use super::page::{self, Nav};
use super::reply::Refused;
use super::words as w;
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
    let users = match c.cases().guard().users(&s.who).await {
        Ok(u) => u,
        Err(e) => return Refused::from(e).reply(lang, true),
    };
    let title = w::USERS.get(lang);
    let body = html! {
        h1 { (title) }
        table #users {
            thead { tr {
                th scope="col" { (w::USER.get(lang)) }
                th scope="col" { (w::DISPLAY_NAME.get(lang)) }
                th scope="col" { (w::ROLES.get(lang)) }
                th scope="col" { (w::ACCOUNT_STATE.get(lang)) }
            } }
            tbody {
                @for u in &users {
                    tr data-user=(u.name) {
                        td { (u.name) }
                        td { (u.display_name) }
                        td {
                            @for (i, r) in u.roles.iter().enumerate() {
                                @if i > 0 { "、" }
                                (match lang { Lang::Zh => r.label_zh(), Lang::En => r.code() })
                            }
                        }
                        td.nowrap {
                            @if u.disabled { (w::DISABLED.get(lang)) } @else { (w::ENABLED.get(lang)) }
                        }
                    }
                }
            }
        }
    };
    page::shell(&c, &s, Nav::Users, title, body).into_response()
}
