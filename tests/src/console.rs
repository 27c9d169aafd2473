//! What the console's browser tests share: where screenshots go, a node's
//! console address, signing in as a person does, and waiting for a case to show
//! on a worklist.

use std::path::PathBuf;

use anyhow::Context;

use crate::webdriver::Browser;
use crate::{Federation, PATIENCE, wait_for};

/// The password the console tests give every user they add.
pub const PASSWORD: &str = "console-password";

/// Where screenshots go: `console-screenshots/` in the build's target folder.
pub fn shots() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("console-screenshots")
}

/// The base URL of `unit`'s console.
pub fn console(fed: &Federation, unit: &str) -> String {
    format!("https://{}", fed.console_addr(unit))
}

/// Signs `user` in at `unit`'s console and waits for their worklist.
pub async fn sign_in(b: &Browser, fed: &Federation, unit: &str, user: &str) -> anyhow::Result<()> {
    b.goto(&format!("{}/login", console(fed, unit))).await?;
    b.type_into("用户名", user).await?;
    b.type_into("密码", PASSWORD).await?;
    b.press("form[action='/login']", "登录").await?;
    b.text_when("h1", |t| t == "我的待办")
        .await
        .with_context(|| format!("signing in as {user} at {unit}"))?;
    Ok(())
}

/// Waits until `case_no` is in the list `table` of `unit`'s worklist, reloading
/// as a person would; its row's text.
pub async fn wait_on_worklist(
    b: &Browser,
    fed: &Federation,
    unit: &str,
    table: &str,
    case_no: &str,
) -> anyhow::Result<String> {
    let url = format!("{}/work", console(fed, unit));
    let row = format!("#{table} tr[data-case='{case_no}']");
    wait_for(
        &format!("{case_no} on {unit}'s worklist"),
        PATIENCE,
        || async {
            b.goto(&url).await?;
            Ok(if b.has(&row).await? {
                Some(b.text_of(&row).await?)
            } else {
                None
            })
        },
    )
    .await
}

/// Submits a form the page never offered, from the signed-in browser: `fields`
/// as typed, plus the session's CSRF token read from the page when `with_csrf`.
pub async fn forge(
    b: &Browser,
    action: &str,
    fields: &[(&str, &str)],
    csrf: Option<&str>,
) -> anyhow::Result<()> {
    let fields: Vec<serde_json::Value> = fields
        .iter()
        .map(|(k, v)| serde_json::json!([k, v]))
        .collect();
    b.client
        .execute(
            "const [action, fields, csrf] = arguments;
             const f = document.createElement('form');
             f.method = 'post'; f.action = action;
             const add = (k, v) => { const i = document.createElement('input');
                 i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i); };
             for (const [k, v] of fields) add(k, v);
             if (csrf !== null) add('csrf', csrf);
             document.body.appendChild(f); f.submit();",
            vec![
                serde_json::json!(action),
                serde_json::json!(fields),
                serde_json::json!(csrf),
            ],
        )
        .await?;
    Ok(())
}
