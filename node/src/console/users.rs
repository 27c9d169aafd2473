//! 用户: the node's users and their roles, for those who manage users
//! (administrators): listed through `Guard::users`; added, given roles and a
//! new password through `Guard::add_user`, `set_roles` and `reset_password`,
//! the same calls the gRPC `Accounts` service makes, which check the role and
//! write the audit line. A refusal comes back beside its field, what was typed
//! kept (never a password).

use axum::Form;
use axum::extract::{Extension, Path, Query, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::Console;
use super::page::{self, Nav};
use super::reply::Refused;
use super::session::{CSRF_FIELD, Session};
use super::words as w;
use crate::auth::{Role, User};
use crate::error::NodeError;
use crate::labels::Lang;

/// Which form a refusal belongs to.
#[derive(Clone, PartialEq, Eq)]
enum Which {
    Add,
    Roles(String),
    Password(String),
}

/// A refused form: which, the field the service named, why, what was typed.
struct Problem {
    which: Which,
    field: String,
    message: String,
    typed: Typed,
}

/// A users form as typed. Roles are checkboxes, so the form is read as pairs.
#[derive(Default, Clone)]
struct Typed {
    name: String,
    display_name: String,
    roles: Vec<String>,
}

fn read(pairs: &[(String, String)]) -> (Option<String>, Typed, String) {
    let mut t = Typed::default();
    let (mut csrf, mut password) = (None, String::new());
    for (k, v) in pairs {
        match k.as_str() {
            CSRF_FIELD => csrf = Some(v.clone()),
            "name" => t.name = v.clone(),
            "display_name" => t.display_name = v.clone(),
            "role" => t.roles.push(v.clone()),
            "password" => password = v.clone(),
            _ => {}
        }
    }
    (csrf, t, password)
}

#[derive(Deserialize, Default)]
pub struct Shown {
    #[serde(default)]
    done: Option<String>,
}

pub async fn page(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Query(shown): Query<Shown>,
) -> Response {
    let s = match c.session(&headers, lang).await {
        Ok(s) => s,
        Err(r) => return r.reply(lang, true),
    };
    match c.cases().guard().users(&s.who).await {
        Ok(users) => render(&c, &s, &users, shown.done.as_deref(), None).into_response(),
        Err(e) => Refused::from(e).reply(lang, true),
    }
}

pub async fn add(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (csrf, t, password) = read(&pairs);
    let s = match c.posted(&headers, lang, csrf.as_deref(), "user.add").await {
        Ok(s) => s,
        Err(r) => return r.reply(lang, false),
    };
    let password = (!password.is_empty()).then_some(password.as_str());
    let done = c
        .cases()
        .guard()
        .add_user(&s.who, &t.name, &t.display_name, &t.roles, password)
        .await;
    answer(&c, &s, done, Which::Add, t).await
}

pub async fn roles(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (csrf, t, _) = read(&pairs);
    let target = format!("user.roles {name}");
    let s = match c.posted(&headers, lang, csrf.as_deref(), &target).await {
        Ok(s) => s,
        Err(r) => return r.reply(lang, false),
    };
    let done = c.cases().guard().set_roles(&s.who, &name, &t.roles).await;
    answer(&c, &s, done, Which::Roles(name), t).await
}

pub async fn password(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (csrf, t, password) = read(&pairs);
    let target = format!("user.password {name}");
    let s = match c.posted(&headers, lang, csrf.as_deref(), &target).await {
        Ok(s) => s,
        Err(r) => return r.reply(lang, false),
    };
    let done = c
        .cases()
        .guard()
        .reset_password(&s.who, &name, &password)
        .await;
    answer(&c, &s, done, Which::Password(name), t).await
}

/// Back to the list on success; the page again with the refusal beside its
/// field when the service names one.
async fn answer(
    c: &Console,
    s: &Session,
    done: Result<User, NodeError>,
    which: Which,
    typed: Typed,
) -> Response {
    let (field, message) = match done {
        Ok(u) => {
            return (
                StatusCode::SEE_OTHER,
                [(LOCATION, format!("/admin/users?done={}", u.name))],
            )
                .into_response();
        }
        Err(NodeError::Invalid { field, rule }) => (field.to_owned(), rule.get(s.lang).to_owned()),
        Err(e @ NodeError::Exists(_)) => ("name".to_owned(), e.to_string()),
        Err(e) => return Refused::from(e).reply(s.lang, false),
    };
    match c.cases().guard().users(&s.who).await {
        Ok(users) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            render(
                c,
                s,
                &users,
                None,
                Some(Problem {
                    which,
                    field,
                    message,
                    typed,
                }),
            ),
        )
            .into_response(),
        Err(e) => Refused::from(e).reply(s.lang, false),
    }
}

fn role_label(r: Role, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => r.label_zh(),
        Lang::En => r.code(),
    }
}

/// The error beside `field` of form `which`, if the refusal is there.
fn error(p: Option<&Problem>, which: &Which, field: &str, id: &str, label: &str) -> Markup {
    html! {
        @if let Some(p) = p.filter(|p| &p.which == which && p.field == field) {
            p.error role="alert" id=(id) { (label) "：" (p.message) }
        }
    }
}

/// Role boxes: `prefix` keeps the ids of each form apart; `checked` ticks.
fn role_boxes(prefix: &str, lang: Lang, checked: impl Fn(Role) -> bool) -> Markup {
    html! {
        @for r in Role::ALL {
            @let id = format!("{prefix}-{}", r.code());
            span.choice {
                input type="checkbox" id=(id) name="role" value=(r.code()) checked[checked(r)];
                label for=(id) { (role_label(r, lang)) }
            }
        }
    }
}

fn render(
    c: &Console,
    s: &Session,
    users: &[User],
    done: Option<&str>,
    problem: Option<Problem>,
) -> Markup {
    let lang = s.lang;
    let p = problem.as_ref();
    let typed_for = |which: &Which| p.filter(|p| &p.which == which).map(|p| &p.typed);
    let add = typed_for(&Which::Add).cloned().unwrap_or_default();
    let title = w::USERS.get(lang);
    let body = html! {
        h1 { (title) }
        @if let Some(name) = done {
            p.notice role="status" id="done" { (w::SAVED.get(lang)) "：" (name) }
        }
        table #users {
            thead { tr {
                th scope="col" { (w::USER.get(lang)) }
                th scope="col" { (w::DISPLAY_NAME.get(lang)) }
                th scope="col" { (w::ROLES.get(lang)) }
                th scope="col" { (w::ACCOUNT_STATE.get(lang)) }
            } }
            tbody {
                @for u in users {
                    tr data-user=(u.name) {
                        td { (u.name) }
                        td { (u.display_name) }
                        td {
                            @for (i, r) in u.roles.iter().enumerate() {
                                @if i > 0 { "、" }
                                (role_label(*r, lang))
                            }
                        }
                        td.nowrap {
                            @if u.disabled { (w::DISABLED.get(lang)) } @else { (w::ENABLED.get(lang)) }
                        }
                    }
                }
            }
        }
        section aria-labelledby="add-h" {
            h2 id="add-h" { (w::ADD_USER.get(lang)) }
            form method="post" action="/admin/users" #add-user {
                (page::csrf(s))
                div.field {
                    label for="new-name" { (w::USER.get(lang)) }
                    input type="text" id="new-name" name="name" value=(add.name) autocomplete="off";
                    (error(p, &Which::Add, "name", "new-name-error", w::USER.get(lang)))
                }
                div.field {
                    label for="new-display" { (w::DISPLAY_NAME.get(lang)) }
                    input type="text" id="new-display" name="display_name" value=(add.display_name);
                    (error(p, &Which::Add, "display_name", "new-display-error", w::DISPLAY_NAME.get(lang)))
                }
                fieldset {
                    legend { (w::ROLES.get(lang)) }
                    (role_boxes("new-role", lang, |r| add.roles.iter().any(|c| c == r.code())))
                    (error(p, &Which::Add, "roles", "new-roles-error", w::ROLES.get(lang)))
                }
                div.field {
                    label for="new-password" { (w::INITIAL_PASSWORD.get(lang)) }
                    input type="password" id="new-password" name="password" autocomplete="new-password";
                    (error(p, &Which::Add, "password", "new-password-error", w::INITIAL_PASSWORD.get(lang)))
                }
                button type="submit" { (w::ADD_USER.get(lang)) }
            }
        }
        section aria-labelledby="change-h" {
            h2 id="change-h" { (w::CHANGE_USER.get(lang)) }
            @for u in users {
                @let roles_form = Which::Roles(u.name.clone());
                @let password_form = Which::Password(u.name.clone());
                @let mine = p.is_some_and(|p| p.which == roles_form || p.which == password_form);
                details.user data-user=(u.name) open[mine] {
                    summary { (u.name) " " (u.display_name) }
                    form method="post" action=(format!("/admin/users/{}/roles", u.name)) {
                        (page::csrf(s))
                        fieldset {
                            legend { (w::ROLES.get(lang)) }
                            @let typed = typed_for(&roles_form);
                            (role_boxes(&format!("roles-{}", u.name), lang, |r| match typed {
                                Some(t) => t.roles.iter().any(|c| c == r.code()),
                                None => u.roles.contains(&r),
                            }))
                            (error(p, &roles_form, "roles", &format!("roles-{}-error", u.name), w::ROLES.get(lang)))
                        }
                        button type="submit" { (w::SET_ROLES.get(lang)) }
                    }
                    form method="post" action=(format!("/admin/users/{}/password", u.name)) {
                        (page::csrf(s))
                        div.field {
                            @let id = format!("password-{}", u.name);
                            label for=(id) { (w::NEW_PASSWORD.get(lang)) }
                            input type="password" id=(id) name="password" autocomplete="new-password";
                            (error(p, &password_form, "password", &format!("{id}-error"), w::NEW_PASSWORD.get(lang)))
                        }
                        button type="submit" { (w::RESET_PASSWORD.get(lang)) }
                    }
                }
            }
        }
    };
    page::shell(c, s, Nav::Users, title, body)
}
