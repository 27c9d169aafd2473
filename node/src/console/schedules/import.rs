//! 导入: the office's CSV/XLSX table uploaded into the month's draft, read by
//! `ScheduleService::import` with the same readers as the CLI (all or nothing;
//! a refusal names the rows and rules beside the file field).

use axum::extract::{Extension, Multipart, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use xinfang_proto::v1 as pb;

use super::super::Console;
use super::super::page;
use super::super::reply::Refused;
use super::super::session::{CSRF_FIELD, Session};
use super::super::words as w;
use super::{Problem, Shown, load, render as render_page};
use crate::labels::Lang;

/// The upload as sent.
#[derive(Default)]
struct Upload {
    csrf: Option<String>,
    month: String,
    file_name: String,
    content: Vec<u8>,
    create_roster: bool,
}

async fn read(mut mp: Multipart) -> Result<Upload, String> {
    let mut u = Upload::default();
    while let Some(field) = mp.next_field().await.map_err(|e| e.to_string())? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            CSRF_FIELD => u.csrf = Some(field.text().await.map_err(|e| e.to_string())?),
            "month" => u.month = field.text().await.map_err(|e| e.to_string())?,
            "create_roster" => u.create_roster = true,
            "file" => {
                u.file_name = field.file_name().unwrap_or_default().to_owned();
                u.content = field.bytes().await.map_err(|e| e.to_string())?.to_vec();
            }
            _ => {}
        }
    }
    Ok(u)
}

pub async fn submit(
    State(c): State<Console>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    mp: Multipart,
) -> Response {
    let u = match read(mp).await {
        Ok(u) => u,
        Err(e) => return Refused::BadRequest(e).reply(lang, false),
    };
    let s = match c
        .posted(&headers, lang, u.csrf.as_deref(), "schedule.import")
        .await
    {
        Ok(s) => s,
        Err(r) => return r.reply(lang, false),
    };
    // The table's kind by its name's ending, as the CLI tells it from the path.
    let lower = u.file_name.to_ascii_lowercase();
    let format = if lower.ends_with(".xlsx") {
        "xlsx"
    } else if lower.ends_with(".csv") {
        "csv"
    } else {
        let p = Problem {
            field: Some("content".into()),
            message: format!("{:?}：只接受 .csv 或 .xlsx 文件", u.file_name),
        };
        return refused(&c, &s, &u.month, p).await;
    };
    let req = pb::ImportRequest {
        unit: c.schedules().own_code().to_string(),
        month: u.month.trim().to_owned(),
        format: format.into(),
        content: u.content,
        create_roster: u.create_roster,
    };
    match c.schedules().import(&s.who, req).await {
        Ok(v) => (
            StatusCode::SEE_OTHER,
            [(
                LOCATION,
                format!("/schedules?month={}&done=imported", v.month),
            )],
        )
            .into_response(),
        Err(e) => match Problem::of(&e, lang, |_| None) {
            Some(mut p) => {
                // Every import refusal concerns the file.
                p.field = Some("content".into());
                refused(&c, &s, &u.month, p).await
            }
            None => Refused::from(e).reply(lang, false),
        },
    }
}

async fn refused(c: &Console, s: &Session, month: &str, p: Problem) -> Response {
    let lang = s.lang;
    let view = match load(c, s, "", month).await {
        Ok(v) => v,
        Err(e) => return Refused::from(e).reply(lang, false),
    };
    let shown = Shown {
        import: Some(p),
        ..Default::default()
    };
    match render_page(c, s, "", month, view.as_ref(), shown).await {
        Ok(m) => (StatusCode::UNPROCESSABLE_ENTITY, m).into_response(),
        Err(e) => Refused::from(e).reply(lang, false),
    }
}

/// The upload form.
pub fn render(s: &Session, month: &str, problem: Option<&Problem>) -> Markup {
    let lang = s.lang;
    html! {
        details.step data-step="import" open[problem.is_some()] {
            summary { (w::IMPORT.get(lang)) }
            form method="post" action="/schedules/import" enctype="multipart/form-data" {
                (page::csrf(s))
                input type="hidden" name="month" value=(month);
                div.field {
                    label for="import-file" { (w::IMPORT_FILE.get(lang)) }
                    input type="file" id="import-file" name="file" accept=".csv,.xlsx"
                        aria-invalid=[problem.map(|_| "true")];
                    @if let Some(p) = problem {
                        p.error id="import-file-error" role="alert" {
                            (w::IMPORT_FILE.get(lang)) "：" (p.message)
                        }
                    }
                }
                div.field {
                    label for="import-create_roster" { (w::CREATE_ROSTER.get(lang)) }
                    input type="checkbox" id="import-create_roster" name="create_roster" value="1";
                }
                button type="submit" { (w::IMPORT.get(lang)) }
            }
        }
    }
}
