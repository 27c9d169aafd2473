//! The node's administrator manages users in the console, through the same
//! account calls as the CLI: adds a user, changes their roles, resets their
//! password; bad input comes back beside its field with what was typed kept;
//! every change is in the audit log under the administrator's name.

use xinfang_hub::Tier;
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::accounts_client::AccountsClient;
use xinfang_tests::console::*;
use xinfang_tests::webdriver::{Driver, driver_or_skip};
use xinfang_tests::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_administrator_adds_a_user_changes_roles_and_resets_a_password() -> anyhow::Result<()> {
    let test = "the_administrator_adds_a_user_changes_roles_and_resets_a_password";
    let Some((chromium, chromedriver)) = driver_or_skip(test) else {
        return Ok(());
    };
    let fed = Federation::start(
        Backend::Sqlite,
        vec![(COUNTY, "海丰县", Tier::County, None)],
    )
    .await?;
    fed.add_user(COUNTY, "admin", &["administrator"], PASSWORD)
        .await?;
    let driver = Driver::start(&chromium, &chromedriver).await?;
    let base = console(&fed, COUNTY);
    let admin = driver.browser().await?;
    sign_in(&admin, &fed, COUNTY, "admin").await?;
    admin.goto(&format!("{base}/admin/users")).await?;

    // A name against the staff-name rule: beside 用户名, the rest kept.
    let add = "#add-user";
    admin.type_in(add, "用户名", "Chen Li").await?;
    admin.type_in(add, "姓名", "陈丽").await?;
    admin.field_in(add, "登记员").await?.click().await?;
    admin.type_in(add, "初始密码", "first-password").await?;
    admin.press(add, "添加用户").await?;
    let error = admin.text_of("#new-name-error").await?;
    assert!(error.starts_with("用户名："), "{error}");
    assert_eq!(
        admin
            .field_in(add, "姓名")
            .await?
            .prop("value")
            .await?
            .as_deref(),
        Some("陈丽")
    );
    assert!(
        admin
            .field_in(add, "登记员")
            .await?
            .prop("checked")
            .await?
            .as_deref()
            == Some("true"),
        "the role picked is kept"
    );
    admin.screenshot(&shots(), "users-add-refused").await?;
    admin.type_in(add, "用户名", "chenli").await?;
    admin.type_in(add, "初始密码", "first-password").await?;
    admin.press(add, "添加用户").await?;
    admin.text_when("#done", |t| t.contains("chenli")).await?;
    let row = admin.text_of("#users tr[data-user='chenli']").await?;
    assert!(row.contains("陈丽") && row.contains("登记员"), "{row}");

    // Roles: a handler now, no longer a registrar.
    let user = "details[data-user='chenli']";
    admin.open(user).await?;
    admin.field_in(user, "登记员").await?.click().await?;
    admin.field_in(user, "承办人").await?.click().await?;
    admin.press(user, "保存角色").await?;
    admin.text_when("#done", |t| t.contains("chenli")).await?;
    let row = admin.text_of("#users tr[data-user='chenli']").await?;
    assert!(row.contains("承办人") && !row.contains("登记员"), "{row}");

    // A password too short: beside the field; then a good one.
    admin.open(user).await?;
    admin.type_in(user, "新密码", "short").await?;
    admin.press(user, "重置密码").await?;
    let error = admin.text_of("#password-chenli-error").await?;
    assert!(
        error.starts_with("新密码：") && error.contains('8'),
        "{error}"
    );
    admin.type_in(user, "新密码", "second-password").await?;
    admin.press(user, "重置密码").await?;
    admin.text_when("#done", |t| t.contains("chenli")).await?;
    admin.screenshot(&shots(), "users").await?;
    admin.close().await?;

    // The new password signs in; the old one does not.
    assert!(fed.login(COUNTY, "chenli", "first-password").await.is_err());
    fed.login(COUNTY, "chenli", "second-password").await?;

    let log = AccountsClient::new(fed.operator_channel(COUNTY).await?)
        .audit(pb::AuditRequest {
            limit: 1000,
            ..Default::default()
        })
        .await?
        .into_inner()
        .entries;
    for action in ["user.add", "user.roles", "user.password"] {
        assert!(
            log.iter().any(|e| e.actor == "admin"
                && e.action == action
                && e.target == "chenli"
                && e.outcome == "allowed"),
            "{action} in {log:?}"
        );
    }
    drop(driver);
    fed.shutdown().await;
    Ok(())
}
