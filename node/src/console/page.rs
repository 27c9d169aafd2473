//! The page shell (header, navigation, sign-out, language switch) and the
//! embedded assets: nothing is fetched from outside the node.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;
use maud::{DOCTYPE, Markup, html};

use super::Console;
use super::session::{CSRF_FIELD, Session};
use super::words as w;
use crate::auth::{Action, any_allowed};
use crate::labels::Lang;

const CSS: &str = include_str!("assets/console.css");
const JS: &str = include_str!("assets/console.js");

pub async fn css() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "max-age=3600"),
        ],
        CSS,
    )
}

pub async fn js() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (CACHE_CONTROL, "max-age=3600"),
        ],
        JS,
    )
}

/// Which page of the navigation is shown.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Work,
    Register,
    Audit,
    Users,
    Reports,
    Filings,
    Schedules,
    Links,
    History,
    Library,
    Other,
}

fn head(lang: Lang, title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · " (w::TITLE.get(lang)) }
            link rel="stylesheet" href="/assets/console.css";
        }
    }
}

/// A page without the signed-in header (sign-in, refusals).
pub fn bare(lang: Lang, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            (head(lang, title))
            body {
                header.top { strong { (w::TITLE.get(lang)) } (switch(lang)) }
                main { (body) }
            }
        }
    }
}

fn switch(lang: Lang) -> Markup {
    html! {
        span.lang {
            @match lang {
                Lang::Zh => a href="?lang=en" lang="en" { "English" },
                Lang::En => a href="?lang=zh" lang="zh-CN" { "中文" },
            }
        }
    }
}

/// A page for a signed-in user: unit, user, navigation, sign-out.
pub fn shell(c: &Console, s: &Session, nav: Nav, title: &str, body: Markup) -> Markup {
    let lang = s.lang;
    let (me, topology) = c.cases().hub_topology();
    let unit = topology
        .unit(me)
        .map(|u| u.name.clone())
        .unwrap_or_else(|| me.to_string());
    let current = |n: Nav| (nav == n).then_some("page");
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            (head(lang, title))
            body {
                a.skip href="#main" { (w::SKIP.get(lang)) }
                header.top {
                    strong { (unit) }
                    nav {
                        a href="/work" aria-current=[current(Nav::Work)] { (w::MY_WORK.get(lang)) }
                        a href="/register" aria-current=[current(Nav::Register)] { (w::REGISTER.get(lang)) }
                        a href="/history" aria-current=[current(Nav::History)] { (w::PETITIONER_HISTORY.get(lang)) }
                        a href="/library" aria-current=[current(Nav::Library)] { (w::LIBRARY.get(lang)) }
                        @if any_allowed(&s.who.roles, Action::ReadReports) {
                            a href="/reports" aria-current=[current(Nav::Reports)] { (w::REPORTS.get(lang)) }
                        }
                        @if any_allowed(&s.who.roles, Action::ReadSchedules) {
                            a href="/schedules" aria-current=[current(Nav::Schedules)] { (w::SCHEDULES.get(lang)) }
                            a href="/filings" aria-current=[current(Nav::Filings)] { (w::FILINGS.get(lang)) }
                        }
                        @if any_allowed(&s.who.roles, Action::ReadAudit) {
                            a href="/admin/audit" aria-current=[current(Nav::Audit)] { (w::AUDIT.get(lang)) }
                        }
                        @if any_allowed(&s.who.roles, Action::ManageUsers) {
                            a href="/admin/users" aria-current=[current(Nav::Users)] { (w::USERS.get(lang)) }
                        }
                        @if any_allowed(&s.who.roles, crate::status::NodeStatus::LINKS) {
                            a href="/admin/links" aria-current=[current(Nav::Links)] { (w::LINKS.get(lang)) }
                        }
                    }
                    span.who {
                        (s.who.display_name) " (" (s.who.name) ") "
                        form method="post" action="/logout" {
                            input type="hidden" name=(CSRF_FIELD) value=(s.csrf);
                            button type="submit" { (w::SIGN_OUT.get(lang)) }
                        }
                    }
                    (switch(lang))
                }
                main #main tabindex="-1" { (body) }
                script src="/assets/console.js" defer {}
            }
        }
    }
}

/// An instant from a view (RFC 3339, UTC) as a clerk reads it: the date and
/// minute in China Standard Time, the time the office keeps (as `case::state`
/// counts days).
pub fn local_time(rfc3339: &str) -> String {
    let china = chrono::FixedOffset::east_opt(8 * 3600);
    match (chrono::DateTime::parse_from_rfc3339(rfc3339), china) {
        (Ok(t), Some(tz)) => t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
        _ => rfc3339.to_owned(),
    }
}

/// The hidden CSRF field of a form.
pub fn csrf(s: &Session) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(s.csrf); }
}
