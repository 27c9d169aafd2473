//! `xinfang login|logout|whoami` and `xinfang admin user …|audit`: staff accounts
//! of one node (docs/accounts.md).

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use xinfang_proto::v1 as pb;

use crate::conn::{ConnArgs, status_error};
use crate::output::{Lang, local_time, print_json, table};

#[derive(Debug, Args)]
pub struct LoginArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// The user name at that node
    #[arg(long)]
    pub user: String,
    /// Read the password from the first line of standard input (for scripts);
    /// otherwise it is asked for on the terminal, without echo
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Subcommand)]
pub enum UserCmd {
    /// Add a user of the node (the password is asked for; none with --no-password:
    /// the user signs in with a staff certificate only)
    Add {
        /// Login name: lowercase letters, digits, '-'
        name: String,
        /// Roles, repeatable or comma-separated: registrar, handler, reviewer,
        /// approver, viewer, administrator
        #[arg(long = "role", required = true, value_delimiter = ',')]
        roles: Vec<String>,
        /// The person's name as shown (default: the login name)
        #[arg(long, default_value = "")]
        display: String,
        #[arg(long)]
        password_stdin: bool,
        /// No password: signs in with a staff certificate (`pki issue --staff NAME`)
        #[arg(long, conflicts_with = "password_stdin")]
        no_password: bool,
        #[command(flatten)]
        conn: ConnArgs,
    },
    /// The node's users
    List {
        #[command(flatten)]
        conn: ConnArgs,
    },
    /// Disable a user: their sessions end at once
    Disable {
        name: String,
        #[command(flatten)]
        conn: ConnArgs,
    },
    /// Enable a disabled user again
    Enable {
        name: String,
        #[command(flatten)]
        conn: ConnArgs,
    },
    /// Set a user's password (administrators), or your own (with the old one)
    Passwd {
        name: String,
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        conn: ConnArgs,
    },
    /// Replace a user's roles
    Roles {
        name: String,
        #[arg(long = "role", required = true, value_delimiter = ',')]
        roles: Vec<String>,
        #[command(flatten)]
        conn: ConnArgs,
    },
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// How many lines (the latest)
    #[arg(long, default_value_t = 100)]
    pub limit: u32,
    /// Refusals only
    #[arg(long)]
    pub refused: bool,
    /// One actor only (a user name, or operator:NAME)
    #[arg(long)]
    pub actor: Option<String>,
}

/// A password from the terminal (no echo) or, for scripts, standard input's
/// first line. Never from an argument: it would show in the process list.
fn read_password(prompt: &str, from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        let p = line.trim_end_matches(['\n', '\r']).to_owned();
        if p.is_empty() {
            bail!("--password-stdin: standard input had no password");
        }
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        bail!("no terminal to ask for the password: pass --password-stdin and pipe it in");
    }
    let p = rpassword::prompt_password(prompt).context("reading the password")?;
    if p.is_empty() {
        bail!("no password given");
    }
    Ok(p)
}

/// Writes the token where the commands look for it, readable by its owner only.
pub fn save_token(conn: &ConnArgs, token: &str) -> anyhow::Result<std::path::PathBuf> {
    let path = conn.token_file()?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(&path)
        .with_context(|| format!("write {}", path.display()))?;
    // An existing file keeps its old mode on open: narrow it too.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(token.as_bytes())?;
    f.write_all(b"\n")?;
    Ok(path)
}

#[derive(serde::Serialize)]
struct LoginJson<'a> {
    user: &'a pb::User,
    expires_at: &'a str,
    token_file: String,
}

pub async fn login(args: LoginArgs, json: bool, lang: Lang) -> anyhow::Result<()> {
    let password = read_password(lang.t("密码：", "Password: "), args.password_stdin)?;
    // Sign in over a connection without any saved token.
    let mut client =
        xinfang_proto::v1::accounts_client::AccountsClient::new(args.conn.connect().await?);
    let reply = client
        .login(pb::LoginRequest {
            user: args.user.clone(),
            password,
        })
        .await
        .map_err(status_error)?
        .into_inner();
    let path = save_token(&args.conn, &reply.token)?;
    let user = reply.user.unwrap_or_default();
    if json {
        return print_json(&LoginJson {
            user: &user,
            expires_at: &reply.expires_at,
            token_file: path.display().to_string(),
        });
    }
    println!(
        "{} {}（{}）{} {}；{} {}",
        lang.t("已登录：", "signed in:"),
        user.name,
        user.roles.join(", "),
        lang.t("有效至", "until"),
        local_time(&reply.expires_at),
        lang.t("令牌保存在", "token saved in"),
        path.display()
    );
    Ok(())
}

pub async fn logout(conn: ConnArgs, json: bool, lang: Lang) -> anyhow::Result<()> {
    let path = conn.token_file()?;
    if conn.token()?.is_some() {
        // The node forgets the token; a token it no longer knows is gone anyway.
        match conn.accounts().await?.logout(pb::LogoutRequest {}).await {
            Ok(_) => {}
            Err(s) if s.code() == tonic::Code::Unauthenticated => {}
            Err(s) => return Err(status_error(s)),
        }
    }
    if path.exists() {
        std::fs::remove_file(&path).with_context(|| format!("remove {}", path.display()))?;
    }
    if json {
        return print_json(&serde_json::json!({ "signed_out": true }));
    }
    println!("{}", lang.t("已退出登录", "signed out"));
    Ok(())
}

pub async fn whoami(conn: ConnArgs, json: bool, lang: Lang) -> anyhow::Result<()> {
    let u = conn
        .accounts()
        .await?
        .who_am_i(pb::WhoAmIRequest {})
        .await
        .map_err(status_error)?
        .into_inner();
    if json {
        return print_json(&u);
    }
    println!(
        "{} {}（{}）{}: {}；{}: {}",
        u.name,
        u.display_name,
        u.unit,
        lang.t("角色", "roles"),
        u.roles.join(", "),
        lang.t("方式", "via"),
        u.via
    );
    Ok(())
}

fn print_users(users: &[pb::User], json: bool, lang: Lang) -> anyhow::Result<()> {
    if json {
        return print_json(&users);
    }
    let mut t = table(vec![
        lang.t("用户名", "User"),
        lang.t("姓名", "Name"),
        lang.t("角色", "Roles"),
        lang.t("单位", "Unit"),
        lang.t("状态", "State"),
        lang.t("密码", "Password"),
        lang.t("更新时间", "Updated"),
    ]);
    for u in users {
        t.add_row(vec![
            u.name.clone(),
            u.display_name.clone(),
            u.roles.join(", "),
            u.unit.clone(),
            if u.disabled {
                lang.t("已停用", "disabled")
            } else {
                lang.t("启用", "enabled")
            }
            .to_owned(),
            if u.has_password {
                lang.t("有", "set")
            } else {
                lang.t("无（证书）", "none (certificate)")
            }
            .to_owned(),
            local_time(&u.updated_at),
        ]);
    }
    println!("{t}");
    Ok(())
}

pub async fn user(cmd: UserCmd, json: bool, lang: Lang) -> anyhow::Result<()> {
    let one = |u: pb::User| print_users(&[u], json, lang);
    match cmd {
        UserCmd::Add {
            name,
            roles,
            display,
            password_stdin,
            no_password,
            conn,
        } => {
            let password = if no_password {
                String::new()
            } else {
                let p = read_password(
                    lang.t("新用户的密码：", "New user's password: "),
                    password_stdin,
                )?;
                if !password_stdin {
                    let again = read_password(lang.t("再输入一次：", "Again: "), false)?;
                    if again != p {
                        bail!("the two passwords differ; nothing was changed");
                    }
                }
                p
            };
            let u = conn
                .accounts()
                .await?
                .add_user(pb::AddUserRequest {
                    name,
                    display_name: display,
                    roles,
                    password,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            one(u)
        }
        UserCmd::List { conn } => {
            let list = conn
                .accounts()
                .await?
                .list_users(pb::ListUsersRequest {})
                .await
                .map_err(status_error)?
                .into_inner();
            print_users(&list.users, json, lang)
        }
        UserCmd::Disable { name, conn } => one(set_disabled(&conn, name, true).await?),
        UserCmd::Enable { name, conn } => one(set_disabled(&conn, name, false).await?),
        UserCmd::Passwd {
            name,
            password_stdin,
            conn,
        } => {
            // Your own password needs the old one (the node checks which applies).
            let me = conn
                .accounts()
                .await?
                .who_am_i(pb::WhoAmIRequest {})
                .await
                .map_err(status_error)?
                .into_inner();
            let own = me.name == name && !me.roles.iter().any(|r| r == "administrator");
            let old_password = if own {
                read_password(lang.t("当前密码：", "Current password: "), password_stdin)?
            } else {
                String::new()
            };
            let password = read_password(lang.t("新密码：", "New password: "), password_stdin)?;
            let u = conn
                .accounts()
                .await?
                .set_password(pb::SetPasswordRequest {
                    name,
                    password,
                    old_password,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            one(u)
        }
        UserCmd::Roles { name, roles, conn } => {
            let u = conn
                .accounts()
                .await?
                .set_roles(pb::SetRolesRequest { name, roles })
                .await
                .map_err(status_error)?
                .into_inner();
            one(u)
        }
    }
}

async fn set_disabled(conn: &ConnArgs, name: String, disabled: bool) -> anyhow::Result<pb::User> {
    Ok(conn
        .accounts()
        .await?
        .set_disabled(pb::SetDisabledRequest { name, disabled })
        .await
        .map_err(status_error)?
        .into_inner())
}

pub async fn audit(args: AuditArgs, json: bool, lang: Lang) -> anyhow::Result<()> {
    let log = args
        .conn
        .accounts()
        .await?
        .audit(pb::AuditRequest {
            limit: args.limit,
            refused_only: args.refused,
            actor: args.actor.unwrap_or_default(),
        })
        .await
        .map_err(status_error)?
        .into_inner();
    if json {
        return print_json(&log.entries);
    }
    let mut t = table(vec![
        lang.t("时间", "Time"),
        lang.t("操作人", "Actor"),
        lang.t("角色", "Roles"),
        lang.t("操作", "Action"),
        lang.t("对象", "Target"),
        lang.t("结果", "Outcome"),
        lang.t("原因", "Reason"),
    ]);
    for e in &log.entries {
        t.add_row(vec![
            local_time(&e.at),
            e.actor.clone(),
            e.roles.join(", "),
            e.action.clone(),
            e.target.clone(),
            if e.outcome == "refused" {
                lang.t("拒绝", "refused")
            } else {
                lang.t("允许", "allowed")
            }
            .to_owned(),
            e.reason.clone(),
        ]);
    }
    println!("{t}");
    Ok(())
}
