//! The node's users, their login tokens and the audit log, in the node's own
//! tables (`node_users`, `node_tokens`, `node_audit`; never replicated).
//!
//! Passwords are kept as argon2id PHC strings; tokens are random and kept only as
//! their SHA-256 (a token has 256 bits of entropy, so a fast hash is enough and a
//! lookup by hash is an index read).

use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;
use sha2::{Digest, Sha256};
use xinfang_hub::db::{Db, Sql};
use xinfang_hub::store::{Fold, Foldable, TxStep};
use xinfang_hub::{Clock, UnitCode};

use super::roles::Role;
use crate::error::NodeError;
use crate::labels::Said;

/// Default lifetime of a login token.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(8 * 3600);
pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 256;
pub const MAX_DISPLAY_CHARS: usize = 100;
const TOKEN_PREFIX: &str = "xft_";

/// A user as the API shows it (never the password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub unit: String,
    pub disabled: bool,
    pub has_password: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: String,
    pub actor: String,
    pub roles: Vec<String>,
    pub action: String,
    pub target: String,
    /// `allowed` or `refused`.
    pub outcome: &'static str,
    pub reason: String,
}

/// Why a token or a password did not let someone in (logged and audited; the
/// caller gets a plain "unauthenticated").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    UnknownToken,
    Expired { user: String, at: String },
    Revoked { user: String, why: String },
    Disabled { user: String },
    UnknownUser { user: String },
    WrongPassword { user: String },
    NoPassword { user: String },
}

impl Refusal {
    /// The user concerned, if known.
    pub fn user(&self) -> Option<&str> {
        match self {
            Refusal::UnknownToken => None,
            Refusal::Expired { user, .. }
            | Refusal::Revoked { user, .. }
            | Refusal::Disabled { user }
            | Refusal::UnknownUser { user }
            | Refusal::WrongPassword { user }
            | Refusal::NoPassword { user } => Some(user),
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::UnknownToken => write!(f, "the token is not known here (log in again)"),
            Refusal::Expired { user, at } => {
                write!(f, "the token of user {user} expired at {at} (log in again)")
            }
            Refusal::Revoked { user, why } => {
                write!(f, "the token of user {user} was ended: {why}")
            }
            Refusal::Disabled { user } => write!(f, "user {user} is disabled"),
            Refusal::UnknownUser { user } => write!(f, "no user {user} at this node"),
            Refusal::WrongPassword { user } => write!(f, "wrong password for user {user}"),
            Refusal::NoPassword { user } => write!(
                f,
                "user {user} has no password (signs in with a staff certificate)"
            ),
        }
    }
}

#[derive(Clone)]
pub struct Accounts {
    db: Db,
    unit: UnitCode,
    clock: Clock,
    token_ttl: Duration,
    /// Where audit lines are chained (each line and its ledger entry commit together).
    ledger: Option<std::sync::Arc<crate::ledger::Ledger>>,
}

type UserRow = (String, String, String, String, String, i64, String, String);

const USER_COLUMNS: &str =
    "name, display_name, roles, unit, password_hash, disabled, created_at, updated_at";

/// Audit lines, with their ledger entries where the node keeps a ledger, inside
/// the caller's transaction: each kind of row in one statement per chunk.
pub async fn write_audit(
    conn: &mut sqlx::AnyConnection,
    rows: Vec<AuditRow>,
) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks(AUDIT_ROWS_PER_STATEMENT) {
        let mut q = Sql::new(
            "INSERT INTO node_audit (id, at_ms, at, actor, roles, action, target, outcome, reason) ",
        );
        q.values(chunk.iter(), |r, row| {
            let e = &row.line;
            r.bind(row.id.clone())
                .bind(row.at_ms)
                .bind(e.at.clone())
                .bind(e.actor.clone())
                .bind(e.roles.join(","))
                .bind(e.action.clone())
                .bind(e.target.clone())
                .bind(e.outcome)
                .bind(e.reason.clone());
        });
        q.execute(&mut *conn).await?;
    }
    let entries = rows
        .into_iter()
        .filter_map(|r| r.entry.map(|e| (r.at_ms, e)))
        .collect();
    crate::ledger::append_each_in(&mut *conn, entries).await
}

/// Nine columns each: well under every engine's limit of bound values.
const AUDIT_ROWS_PER_STATEMENT: usize = 100;

/// One audit line ready to write: its id and time fixed, so that writing it
/// again (a group commit retried one write at a time) writes the same line.
/// The lines of every action committed together are written at once.
#[derive(Debug, Clone)]
pub struct AuditRow {
    id: String,
    at_ms: i64,
    line: AuditEntry,
    /// Its ledger entry, where the node keeps a ledger.
    entry: Option<crate::ledger::NewEntry>,
}

impl Fold for AuditRow {
    fn fold(items: Vec<std::sync::Arc<Self>>) -> TxStep {
        let rows: Vec<AuditRow> = items.iter().map(|r| r.as_ref().clone()).collect();
        std::sync::Arc::new(move |conn| Box::pin(write_audit(conn, rows.clone())))
    }
}

fn user_of(row: UserRow) -> (User, String) {
    let (name, display_name, roles, unit, hash, disabled, created_at, updated_at) = row;
    let user = User {
        name,
        display_name,
        roles: parse_roles(&roles),
        unit,
        disabled: disabled != 0,
        has_password: !hash.is_empty(),
        created_at,
        updated_at,
    };
    (user, hash)
}

fn parse_roles(s: &str) -> Vec<Role> {
    s.split(',').filter_map(Role::parse).collect()
}

fn roles_text(roles: &[Role]) -> String {
    roles.iter().map(|r| r.code()).collect::<Vec<_>>().join(",")
}

/// Role codes as given: each known, at least one, no repeats (sorted).
pub fn check_roles(codes: &[String]) -> Result<Vec<Role>, NodeError> {
    let mut roles = Vec::new();
    for c in codes.iter().flat_map(|c| c.split(',')) {
        let c = c.trim();
        if c.is_empty() {
            continue;
        }
        let r = Role::parse(c).ok_or_else(|| {
            let all: Vec<&str> = Role::ALL.iter().map(|r| r.code()).collect();
            let all = all.join(", ");
            NodeError::invalid(
                "roles",
                Said::new(
                    format!("“{c}”不是可用的角色；可选：{all}"),
                    format!("{c:?} is not one of {all}"),
                ),
            )
        })?;
        if !roles.contains(&r) {
            roles.push(r);
        }
    }
    if roles.is_empty() {
        return Err(NodeError::invalid(
            "roles",
            Said::new("用户至少应有一个角色", "a user needs at least one role"),
        ));
    }
    roles.sort();
    Ok(roles)
}

/// A login name: 1–63 lowercase ASCII letters, digits or '-', not starting with
/// '-' (so it can be a staff certificate's DNS label, `<name>.staff.xinfang`).
/// The rule is the CA's (`xinfang_ca::is_staff_name`): the node depends on the CA
/// crate, not the reverse, so the rule lives there once.
pub fn check_name(name: &str) -> Result<String, NodeError> {
    if xinfang_ca::is_staff_name(name) {
        Ok(name.to_owned())
    } else {
        Err(NodeError::invalid(
            "name",
            Said::new(
                format!(
                    "登录名“{name}”应为1至63个小写字母、数字或“-”（“-”不能在开头）；\
                     本人姓名请填在显示名称中"
                ),
                format!(
                    "{name:?} must be 1-63 lowercase letters, digits or '-' (not first); \
                     the person's own name goes in the display name"
                ),
            ),
        ))
    }
}

fn check_password(password: &str) -> Result<(), NodeError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(NodeError::invalid(
            "password",
            Said::new(
                format!("不能少于{MIN_PASSWORD_CHARS}个字符"),
                format!("must be at least {MIN_PASSWORD_CHARS} characters"),
            ),
        ));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(NodeError::too_long("password", MAX_PASSWORD_CHARS));
    }
    if password.chars().any(char::is_control) {
        return Err(NodeError::invalid(
            "password",
            Said::new("不能含有控制字符", "must not contain control characters"),
        ));
    }
    Ok(())
}

fn check_display(display: &str, name: &str) -> Result<String, NodeError> {
    let d = display.trim();
    if d.is_empty() {
        return Ok(name.to_owned());
    }
    if d.chars().count() > MAX_DISPLAY_CHARS {
        return Err(NodeError::too_long("display_name", MAX_DISPLAY_CHARS));
    }
    if d.chars().any(char::is_control) {
        return Err(NodeError::invalid(
            "display_name",
            Said::new("不能含有控制字符", "must not contain control characters"),
        ));
    }
    Ok(d.to_owned())
}

/// argon2id with the crate's defaults (19 MiB, 2 passes), off the async threads.
async fn hash_password(password: String) -> Result<String, NodeError> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| NodeError::Internal(e.to_string()))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| NodeError::Internal(format!("password hash: {e}")))
    })
    .await
    .map_err(|e| NodeError::Internal(e.to_string()))?
}

/// Whether `password` matches the PHC string (false for a malformed one).
async fn verify_password(password: String, phc: String) -> Result<bool, NodeError> {
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&phc) else {
            return false;
        };
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
    .await
    .map_err(|e| NodeError::Internal(e.to_string()))
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

impl Accounts {
    pub fn new(db: Db, unit: UnitCode, clock: Clock, token_ttl: Duration) -> Accounts {
        Accounts {
            db,
            unit,
            clock,
            token_ttl,
            ledger: None,
        }
    }

    /// Chains every audit line into `ledger`.
    pub fn with_ledger(mut self, ledger: std::sync::Arc<crate::ledger::Ledger>) -> Accounts {
        self.ledger = Some(ledger);
        self
    }

    pub fn now_ms(&self) -> i64 {
        (self.clock)()
    }

    fn now(&self) -> String {
        rfc3339(self.now_ms())
    }

    pub fn token_ttl(&self) -> Duration {
        self.token_ttl
    }

    async fn row(&self, name: &str) -> Result<Option<(User, String)>, NodeError> {
        let row: Option<UserRow> = sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS} FROM node_users WHERE name = $1"
        ))
        .bind(name)
        .fetch_optional(self.db.pool())
        .await?;
        Ok(row.map(user_of))
    }

    pub async fn user(&self, name: &str) -> Result<Option<User>, NodeError> {
        Ok(self.row(name).await?.map(|(u, _)| u))
    }

    fn not_found(name: &str) -> NodeError {
        NodeError::NotFound(format!("no user {name} at this node"))
    }

    pub async fn list(&self) -> Result<Vec<User>, NodeError> {
        let rows: Vec<UserRow> = sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS} FROM node_users ORDER BY name"
        ))
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows.into_iter().map(|r| user_of(r).0).collect())
    }

    /// Adds a user of this node's unit. Every field is checked before anything is
    /// written; an existing name is refused.
    pub async fn add(
        &self,
        name: &str,
        display_name: &str,
        roles: &[String],
        password: Option<&str>,
    ) -> Result<User, NodeError> {
        let name = check_name(name.trim())?;
        let display = check_display(display_name, &name)?;
        let roles = check_roles(roles)?;
        let hash = match password {
            Some(p) if !p.is_empty() => {
                check_password(p)?;
                hash_password(p.to_owned()).await?
            }
            _ => String::new(),
        };
        let now = self.now();
        let done = sqlx::query(
            "INSERT INTO node_users (name, display_name, roles, unit, password_hash, disabled,
               created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, 0, $6, $6)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(&name)
        .bind(&display)
        .bind(roles_text(&roles))
        .bind(self.unit.as_str())
        .bind(&hash)
        .bind(&now)
        .execute(self.db.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(NodeError::Exists(format!("user {name} already exists")));
        }
        self.user(&name)
            .await?
            .ok_or_else(|| Self::not_found(&name))
    }

    /// Disables or enables a user; disabling ends every session at once.
    pub async fn set_disabled(&self, name: &str, disabled: bool) -> Result<User, NodeError> {
        let mut tx = self.db.begin_write().await?;
        let done =
            sqlx::query("UPDATE node_users SET disabled = $1, updated_at = $2 WHERE name = $3")
                .bind(i64::from(disabled))
                .bind(self.now())
                .bind(name)
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() == 0 {
            return Err(Self::not_found(name));
        }
        if disabled {
            self.revoke_all(&mut tx, name, "the user was disabled")
                .await?;
        }
        tx.commit().await?;
        self.user(name).await?.ok_or_else(|| Self::not_found(name))
    }

    /// Sets a password; the user's sessions end (a new password means: sign in again).
    pub async fn set_password(&self, name: &str, password: &str) -> Result<User, NodeError> {
        check_password(password)?;
        if self.row(name).await?.is_none() {
            return Err(Self::not_found(name));
        }
        let hash = hash_password(password.to_owned()).await?;
        let mut tx = self.db.begin_write().await?;
        sqlx::query("UPDATE node_users SET password_hash = $1, updated_at = $2 WHERE name = $3")
            .bind(&hash)
            .bind(self.now())
            .bind(name)
            .execute(&mut *tx)
            .await?;
        self.revoke_all(&mut tx, name, "the password was set")
            .await?;
        tx.commit().await?;
        self.user(name).await?.ok_or_else(|| Self::not_found(name))
    }

    /// Ends every live token of `name` (kept, marked, so a later call names why;
    /// enabling the user again does not bring them back).
    async fn revoke_all(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        name: &str,
        why: &str,
    ) -> Result<(), NodeError> {
        sqlx::query("UPDATE node_tokens SET revoked = $1 WHERE user_name = $2 AND revoked = ''")
            .bind(why)
            .bind(name)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    pub async fn set_roles(&self, name: &str, roles: &[String]) -> Result<User, NodeError> {
        let roles = check_roles(roles)?;
        let done = sqlx::query("UPDATE node_users SET roles = $1, updated_at = $2 WHERE name = $3")
            .bind(roles_text(&roles))
            .bind(self.now())
            .bind(name)
            .execute(self.db.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(Self::not_found(name));
        }
        self.user(name).await?.ok_or_else(|| Self::not_found(name))
    }

    /// Checks a password. The hash is computed even for an unknown user, so the
    /// answer takes as long either way.
    pub async fn check_password(
        &self,
        name: &str,
        password: &str,
    ) -> Result<Result<User, Refusal>, NodeError> {
        let row = self.row(name).await?;
        let phc = match &row {
            Some((_, h)) if !h.is_empty() => h.clone(),
            // A fixed hash of nothing anyone can type, to spend the same time.
            _ => "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$MHkLGatG0hXlJxmNTzQ/Cv2mrVJW2O7FCDmPjAYQzr0".to_owned(),
        };
        let matches = verify_password(password.to_owned(), phc).await?;
        Ok(match row {
            None => Err(Refusal::UnknownUser {
                user: name.to_owned(),
            }),
            Some((u, h)) if h.is_empty() => Err(Refusal::NoPassword { user: u.name }),
            Some((u, _)) if !matches => Err(Refusal::WrongPassword { user: u.name }),
            Some((u, _)) if u.disabled => Err(Refusal::Disabled { user: u.name }),
            Some((u, _)) => Ok(u),
        })
    }

    /// A new token for `user`, valid for the configured lifetime from now.
    pub async fn issue_token(&self, user: &str) -> Result<(String, String), NodeError> {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
        let now = self.now_ms();
        let expires =
            now.saturating_add(i64::try_from(self.token_ttl.as_millis()).unwrap_or(i64::MAX));
        // Sessions that ran out are dropped here, so the table stays small.
        sqlx::query("DELETE FROM node_tokens WHERE expires_ms <= $1")
            .bind(now)
            .execute(self.db.pool())
            .await?;
        sqlx::query(
            "INSERT INTO node_tokens (token_hash, user_name, issued_ms, expires_ms)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash(&token))
        .bind(user)
        .bind(now)
        .bind(expires)
        .execute(self.db.pool())
        .await?;
        Ok((token, rfc3339(expires)))
    }

    /// The user a token belongs to, if it is live and the user enabled.
    pub async fn user_of_token(&self, token: &str) -> Result<Result<User, Refusal>, NodeError> {
        let row: Option<(String, i64, String)> = sqlx::query_as(
            "SELECT user_name, expires_ms, revoked FROM node_tokens WHERE token_hash = $1",
        )
        .bind(token_hash(token))
        .fetch_optional(self.db.pool())
        .await?;
        let Some((name, expires, revoked)) = row else {
            return Ok(Err(Refusal::UnknownToken));
        };
        if !revoked.is_empty() {
            return Ok(Err(Refusal::Revoked {
                user: name,
                why: revoked,
            }));
        }
        if expires <= self.now_ms() {
            return Ok(Err(Refusal::Expired {
                user: name,
                at: rfc3339(expires),
            }));
        }
        Ok(match self.user(&name).await? {
            None => Err(Refusal::UnknownUser { user: name }),
            Some(u) if u.disabled => Err(Refusal::Disabled { user: u.name }),
            Some(u) => Ok(u),
        })
    }

    pub async fn revoke_token(&self, token: &str) -> Result<(), NodeError> {
        sqlx::query("DELETE FROM node_tokens WHERE token_hash = $1")
            .bind(token_hash(token))
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// Writes one audit line, in a transaction of its own (with a ledger,
    /// shared with whatever else is ready to commit). With a ledger, the line
    /// and its ledger entry are written together.
    pub async fn audit(&self, e: &AuditEntry) -> Result<(), NodeError> {
        let row = self.audit_row(e);
        match &self.ledger {
            Some(ledger) => ledger.transaction(Foldable::of(row)).await,
            None => {
                let mut conn = self.db.pool().acquire().await?;
                write_audit(&mut conn, vec![row]).await?;
                Ok(())
            }
        }
    }

    /// One audit line as data, written by [`write_audit`] in the transaction
    /// that makes the action (the line exists exactly when the action does),
    /// together with the other lines of that commit.
    pub fn audit_row(&self, e: &AuditEntry) -> AuditRow {
        let mut id = [0u8; 12];
        rand::rng().fill_bytes(&mut id);
        let at_ms = chrono::DateTime::parse_from_rfc3339(&e.at)
            .map(|t| t.timestamp_millis())
            .unwrap_or_else(|_| self.now_ms());
        let entry = self.ledger.as_ref().map(|_| crate::ledger::NewEntry {
            kind: crate::ledger::EntryKind::Audit,
            doc_id: String::new(),
            actor: e.actor.clone(),
            peer: String::new(),
            detail: format!(
                "{} {} {} {}{}",
                e.outcome,
                e.action,
                e.target,
                e.roles.join(","),
                if e.reason.is_empty() {
                    String::new()
                } else {
                    format!(": {}", e.reason)
                }
            ),
        });
        AuditRow {
            id: hex::encode(id),
            at_ms,
            line: e.clone(),
            entry,
        }
    }

    /// The last `limit` audit lines (oldest first), optionally refusals only or
    /// one actor's.
    pub async fn audit_log(
        &self,
        limit: u32,
        refused_only: bool,
        actor: Option<&str>,
    ) -> Result<Vec<AuditEntry>, NodeError> {
        let mut q = Sql::new(
            "SELECT at, actor, roles, action, target, outcome, reason FROM node_audit WHERE 1 = 1",
        );
        if refused_only {
            q.push(" AND outcome = 'refused'");
        }
        if let Some(a) = actor {
            q.push(" AND actor = ").bind(a.to_owned());
        }
        q.push(" ORDER BY at_ms DESC, id DESC LIMIT ")
            .bind(i64::from(limit));
        let rows: Vec<(String, String, String, String, String, String, String)> =
            q.fetch_all_as(self.db.pool()).await?;
        let mut out: Vec<AuditEntry> = rows
            .into_iter()
            .map(
                |(at, actor, roles, action, target, outcome, reason)| AuditEntry {
                    at,
                    actor,
                    roles: roles
                        .split(',')
                        .filter(|r| !r.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    action,
                    target,
                    outcome: if outcome == "refused" {
                        "refused"
                    } else {
                        "allowed"
                    },
                    reason,
                },
            )
            .collect();
        out.reverse();
        Ok(out)
    }

    pub fn now_rfc3339(&self) -> String {
        self.now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_roles_and_passwords_are_checked() {
        assert!(check_name("li-na").is_ok());
        assert!(check_name("Li").is_err());
        assert!(check_name("-x").is_err());
        assert!(check_name("a.b").is_err());
        assert!(check_name(&"a".repeat(64)).is_err());
        assert_eq!(
            check_roles(&["viewer,handler".into(), "handler".into()]).unwrap(),
            vec![Role::Handler, Role::Viewer]
        );
        let e = check_roles(&["boss".into()]).unwrap_err();
        assert!(e.to_string().contains("roles"), "{e}");
        assert!(check_roles(&[]).is_err());
        assert!(check_password("short").is_err());
        assert!(check_password("long enough").is_ok());
    }

    #[tokio::test]
    async fn the_dummy_hash_parses_and_matches_nothing_typed() {
        let phc = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$MHkLGatG0hXlJxmNTzQ/Cv2mrVJW2O7FCDmPjAYQzr0";
        assert!(PasswordHash::new(phc).is_ok());
        assert!(
            !verify_password("password".into(), phc.into())
                .await
                .unwrap()
        );
        let h = hash_password("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(
            verify_password("correct horse".into(), h.clone())
                .await
                .unwrap()
        );
        assert!(!verify_password("wrong horse".into(), h).await.unwrap());
    }
}
