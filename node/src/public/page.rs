//! The public page's pages: the look-up form and the case's progress, drawn
//! from the case service's progress view. No script.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::words as w;
use crate::case::labels::satisfaction;
use crate::case::petitioner::Progress;
use crate::case::record::Satisfaction;
use crate::labels::Lang;

/// A line above the progress.
pub enum Note {
    Thanks,
    Refused(&'static str),
}

/// `?lang=en` kept on every link and form of an English page.
pub(super) fn suffix(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "",
        Lang::En => "?lang=en",
    }
}

pub(super) fn shell(lang: Lang, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (w::TITLE.get(lang)) }
                link rel="stylesheet" href="/assets/public.css";
            }
            body {
                header {
                    strong { (w::TITLE.get(lang)) }
                    @match lang {
                        Lang::Zh => a href="/?lang=en" lang="en" { "English" },
                        Lang::En => a href="/" lang="zh-CN" { "中文" },
                    }
                }
                main { (body) }
            }
        }
    }
}

fn answer(status: StatusCode, page: Markup) -> Response {
    (status, page).into_response()
}

/// The look-up form, with a message above it when there is one.
pub fn look_up(lang: Lang, message: Option<&str>, status: StatusCode, case_no: &str) -> Response {
    answer(
        status,
        shell(
            lang,
            html! {
                @if let Some(m) = message {
                    p.message role="alert" { (m) }
                }
                section {
                    p { (w::INTRO.get(lang)) }
                    form method="post" action={ "/progress" (suffix(lang)) } {
                        label for="case_no" { (w::CASE_NO.get(lang)) }
                        input #case_no type="text" name="case_no" value=(case_no)
                            autocomplete="off" required placeholder="441521115001-2026-000001";
                        label for="code" { (w::CODE.get(lang)) }
                        input #code type="text" name="code" autocomplete="off" required
                            placeholder="XXXX-XXXX-XXXX-XXXX";
                        button type="submit" { (w::LOOK_UP.get(lang)) }
                    }
                }
                p {
                    a href={ "/plan" (suffix(lang)) } { (w::PLAN_LINK.get(lang)) }
                    " · "
                    a href={ "/owned" (suffix(lang)) } { (w::OWNED_TITLE.get(lang)) }
                }
            },
        ),
    )
}

/// The case's progress, and the rating form while the petitioner may rate.
pub fn progress(
    lang: Lang,
    p: &Progress,
    code: &str,
    note: Option<Note>,
    status: StatusCode,
) -> Response {
    let kept = |k: Option<bool>| match k {
        Some(true) => html! { (w::KEPT_YES.get(lang)) },
        Some(false) => html! { span.late { (w::KEPT_NO.get(lang)) } },
        None => html! { (w::KEPT_OPEN.get(lang)) },
    };
    answer(
        status,
        shell(
            lang,
            html! {
                @match note {
                    Some(Note::Thanks) => p.message role="status" { (w::THANKS.get(lang)) },
                    Some(Note::Refused(why)) => p.message role="alert" {
                        (w::RATING_REFUSED.get(lang)) "：" (why)
                    },
                    None => {},
                }
                section {
                    h1 { (w::CASE_NO.get(lang)) " " span #case-no { (p.case_no) } }
                    dl {
                        dt { (w::PETITIONER.get(lang)) } dd #petitioner { (p.petitioner) }
                        dt { (w::REGISTERED.get(lang)) } dd { (p.registered_on) }
                        dt { (w::REGISTERED_BY.get(lang)) } dd { (p.registered_by) }
                        dt { (w::STATUS.get(lang)) } dd #status { (p.status) }
                        dt { (w::HANDLING_UNIT.get(lang)) } dd #handling-unit { (p.handling_unit) }
                    }
                }
                section {
                    h2 { (w::DEADLINES.get(lang)) }
                    table #deadlines {
                        thead { tr {
                            th { (w::WHAT.get(lang)) } th { (w::UNIT.get(lang)) }
                            th { (w::DUE.get(lang)) } th { (w::DONE_ON.get(lang)) }
                            th { (w::KEPT.get(lang)) }
                        } }
                        tbody {
                            @for d in &p.deadlines {
                                tr {
                                    td { (d.what) } td { (d.unit) } td { (d.due) }
                                    td { @if let Some(on) = d.done_on { (on) } }
                                    td { (kept(d.kept)) }
                                }
                            }
                        }
                    }
                }
                section #notices {
                    h2 { (w::NOTICES.get(lang)) }
                    @if p.notices.is_empty() {
                        p { (w::NONE_YET.get(lang)) }
                    }
                    ul {
                        @for n in &p.notices {
                            li {
                                (n.on) " " (n.unit) " " (n.what) "：" (n.text)
                                @if let Some(doc) = &n.download {
                                    // Posted, not linked: the code never goes in an address.
                                    form.inline method="post" action={ "/notice" (suffix(lang)) } {
                                        input type="hidden" name="case_no" value=(p.case_no);
                                        input type="hidden" name="code" value=(code);
                                        input type="hidden" name="doc" value=(doc);
                                        button type="submit" { (w::DOWNLOAD.get(lang)) " " (doc) }
                                    }
                                }
                            }
                        }
                    }
                }
                section #reply {
                    h2 { (w::REPLY.get(lang)) }
                    @match &p.reply {
                        Some(r) => p { (r.on) " " (r.unit) "：" (r.text) },
                        None => p { (w::NONE_YET.get(lang)) },
                    }
                }
                section #rating {
                    h2 { (w::RATING.get(lang)) }
                    @if let Some(r) = &p.rating {
                        p { (w::RATED.get(lang)) (r) }
                    } @else if let Some(until) = p.rating_until {
                        form method="post" action={ "/rate" (suffix(lang)) } {
                            input type="hidden" name="case_no" value=(p.case_no);
                            input type="hidden" name="code" value=(code);
                            fieldset {
                                legend { (w::RATE_UNTIL.get(lang).replace("{}", &until.to_string())) }
                                @for (value, s) in [
                                    ("satisfied", Satisfaction::Satisfied),
                                    ("basic", Satisfaction::Basic),
                                    ("unsatisfied", Satisfaction::Unsatisfied),
                                ] {
                                    label {
                                        input type="radio" name="rating" value=(value) required;
                                        " " (satisfaction(s).get(lang))
                                    }
                                }
                            }
                            button type="submit" { (w::RATE.get(lang)) }
                        }
                    } @else {
                        p { (w::NONE_YET.get(lang)) }
                    }
                }
                p { a href={ "/" (suffix(lang)) } { (w::BACK.get(lang)) } }
            },
        ),
    )
}
