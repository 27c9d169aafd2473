//! Signing in and out with the node's accounts (`Guard::sign_in`, the same as
//! the gRPC `Login`): the session cookie holds the token it issues.

use axum::Form;
use axum::extract::{Extension, State};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use super::Console;
use super::page;
use super::reply::Refused;
use super::session::CSRF_FIELD;
use super::words as w;
use crate::error::NodeError;
use crate::labels::Lang;

/// The sign-in form, with a fresh pre-session cookie and the CSRF token
/// derived from it.
fn render(
    c: &Console,
    lang: Lang,
    user: &str,
    error: Option<&str>,
) -> ([(HeaderName, String); 1], maud::Markup) {
    let (nonce, cookie) = c.sign_in_nonce();
    let csrf = c.sign_in_csrf(&nonce);
    (
        [(SET_COOKIE, cookie)],
        page::bare(
            lang,
            w::SIGN_IN.get(lang),
            html! {
                h1 { (w::SIGN_IN.get(lang)) }
                @if let Some(e) = error {
                    p.notice.bad role="alert" id="signin-error" { (e) }
                }
                form method="post" action="/login" {
                    input type="hidden" name=(CSRF_FIELD) value=(csrf);
                    div.field {
                        label for="user" { (w::USER.get(lang)) }
                        input type="text" id="user" name="user" value=(user) autocomplete="username" required autofocus;
                    }
                    div.field {
                        label for="password" { (w::PASSWORD.get(lang)) }
                        input type="password" id="password" name="password" autocomplete="current-password" required;
                    }
                    button type="submit" { (w::SIGN_IN.get(lang)) }
                }
            },
        ),
    )
}

pub async fn form(State(c): State<Console>, Extension(lang): Extension<Lang>) -> Response {
    render(&c, lang, "", None).into_response()
}

#[derive(Deserialize)]
pub struct SignIn {
    #[serde(default)]
    user: String,
    #[serde(default)]
    password: String,
    csrf: Option<String>,
}

pub async fn submit(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Form(f): Form<SignIn>,
) -> Response {
    // A sign-in form not served by this node to this browser (login CSRF) is
    // refused before the password is looked at; the form again, name kept.
    if !c.sign_in_form_ok(&headers, f.csrf.as_deref()) {
        return (
            StatusCode::FORBIDDEN,
            render(&c, lang, &f.user, Some(w::FORGED.get(lang))),
        )
            .into_response();
    }
    match c.cases().guard().sign_in(&f.user, &f.password).await {
        Ok(signed) => (
            StatusCode::SEE_OTHER,
            [
                (LOCATION, "/work".to_owned()),
                (SET_COOKIE, c.session_cookie(&signed.token)),
            ],
        )
            .into_response(),
        // Wrong name or password, or a disabled account: the form again, the
        // name kept, the Guard's message shown.
        Err(e @ (NodeError::Unauthenticated(_) | NodeError::Invalid { .. })) => (
            StatusCode::UNAUTHORIZED,
            render(&c, lang, &f.user, Some(&super::refused::told(&e, lang))),
        )
            .into_response(),
        Err(e) => Refused::from(e).reply(lang, false),
    }
}

#[derive(Deserialize)]
pub struct SignOut {
    csrf: Option<String>,
}

pub async fn sign_out(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Form(f): Form<SignOut>,
) -> Response {
    let s = match c.posted(&headers, lang, f.csrf.as_deref(), "logout").await {
        Ok(s) => s,
        Err(r) => return r.reply(lang, false),
    };
    if let Err(e) = c.cases().guard().sign_out(&s.who).await {
        return Refused::from(e).reply(lang, false);
    }
    (
        StatusCode::SEE_OTHER,
        [
            (LOCATION, "/login".to_owned()),
            (SET_COOKIE, c.cleared_cookie()),
        ],
    )
        .into_response()
}
