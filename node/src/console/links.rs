//! 链路: the node's links for administrators: each peer by name, connected or
//! not, lag, last sync, documents refused from it (quarantined), the ledger's
//! flag, the clock offset and its alert, certificate expiry; the node's recovery
//! state and its own credentials. Built by `NodeStatus::links` (`crate::status`),
//! the same status the gRPC `Node.Status` answers, which checks the permission.

use axum::extract::{Extension, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use maud::html;
use xinfang_hub::UnitCode;

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
    let st = match c.status().links(&s.who).await {
        Ok(st) => st,
        Err(e) => return Refused::from(e).reply(lang, true),
    };
    let (_, topology) = c.cases().hub_topology();
    let name = |code: &str| {
        code.parse::<UnitCode>()
            .ok()
            .and_then(|u| topology.unit(&u).map(|u| u.name.clone()))
            .unwrap_or_else(|| code.to_owned())
    };
    let yes_no = |b: bool| if b { w::YES.get(lang) } else { w::NO.get(lang) };
    let when = |t: &str| {
        if t.is_empty() {
            "—".to_owned()
        } else {
            page::local_time(t)
        }
    };
    let title = w::LINKS.get(lang);
    let body = html! {
        h1 { (title) " · " (st.name) }
        @if let Some(r) = &st.recovery {
            p.overdue role="status" #recovery { (w::RECOVERING.get(lang)) " " (when(&r.since)) "：" (r.reason) }
        }
        table #links {
            thead { tr {
                th scope="col" { (w::PEER.get(lang)) }
                th scope="col" { (w::LINK_ROLE.get(lang)) }
                th scope="col" { (w::CONNECTED.get(lang)) }
                th scope="col" { (w::LAG.get(lang)) }
                th scope="col" { (w::LAST_SYNC.get(lang)) }
                th scope="col" { (w::QUARANTINED.get(lang)) }
                th scope="col" { (w::LEDGER_FLAG.get(lang)) }
                th scope="col" { (w::CLOCK_OFFSET.get(lang)) }
                th scope="col" { (w::CERT_EXPIRY.get(lang)) }
                th scope="col" { (w::LAST_ERROR.get(lang)) }
            } }
            tbody {
                @for p in &st.peers {
                    tr data-peer=(p.unit) data-connected=(p.connected)
                        class=[(!p.connected || p.clock_alert || !p.ledger_flag.is_empty()).then_some("overdue")] {
                        th scope="row" { (name(&p.unit)) }
                        td { @if p.role == "parent" { (w::PARENT.get(lang)) } @else { (w::CHILD.get(lang)) } }
                        td.connected { (yes_no(p.connected)) }
                        td.num { (p.lag) }
                        td.nowrap { (when(&p.last_sync)) }
                        td.num {
                            (p.quarantined)
                            @if !p.last_quarantined.is_empty() { br; small { (p.last_quarantined) } }
                        }
                        td { @if p.ledger_flag.is_empty() { "—" } @else { (p.ledger_flag) " (" (when(&p.ledger_flagged_at)) ")" } }
                        td.num {
                            @if p.clock_offset_known { (p.clock_offset_ms) " ms" } @else { "—" }
                            @if p.clock_alert { " " strong { (w::CLOCK_ALERT.get(lang)) } }
                        }
                        td.nowrap { (when(&p.cert_not_after)) }
                        td { (p.last_error) }
                    }
                }
            }
        }
        h2 { (w::CREDENTIALS.get(lang)) }
        @if st.credentials.is_empty() {
            p { (w::NO_TLS.get(lang)) }
        } @else {
            table #credentials {
                thead { tr {
                    th scope="col" { (w::CERT_SUBJECT.get(lang)) }
                    th scope="col" { (w::CERT_EXPIRY.get(lang)) }
                    th scope="col" { (w::DAYS_LEFT_CAL.get(lang)) }
                } }
                tbody {
                    @for e in &st.credentials {
                        tr class=[(e.warning).then_some("overdue")] {
                            td { (e.kind) " " (e.subject) }
                            td.nowrap { (when(&e.not_after)) }
                            td.num { (e.days_left) }
                        }
                    }
                }
            }
        }
        @if !st.tls_reload_error.is_empty() { p.overdue { (st.tls_reload_error) } }
        @for a in &st.integrity_alerts {
            p.overdue { (w::INTEGRITY_ALERT.get(lang)) " " (when(&a.at)) "：" (name(&a.subject)) " — " (a.reason) }
        }
    };
    page::shell(&c, &s, Nav::Links, title, body).into_response()
}
