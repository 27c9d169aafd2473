//! Who is calling the local API, and whether they may do what they ask
//! (`docs/accounts.md`).
//!
//! - [`roles`]: the roles × actions table, a pure function.
//! - [`store`]: users, tokens and the audit log in the node's own tables.
//! - `manage`: adding users, setting roles and passwords, for every front.
//! - [`Guard`]: the one place every RPC goes through first: it names the caller
//!   (a login token, a staff certificate, or an operator certificate), checks the
//!   action against the caller's roles, and logs and audits a refusal.

mod manage;
pub mod roles;
pub mod store;

use tonic::Request;
use xinfang_hub::identity::{PeerIdentity, identity_of};

pub use crate::case::Step;
pub use roles::{Action, Role, allowed, any_allowed};
pub use store::{Accounts, AuditEntry, AuditRow, Refusal, User};

use crate::error::NodeError;
use crate::labels::Said;

/// How a caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// `authorization: Bearer …` from `Login`.
    Token,
    /// A client certificate `<name>.staff.xinfang` for a user of this node.
    StaffCertificate,
    /// A client certificate `<name>.operator.xinfang`: the node's operator, an
    /// administrator who takes no step on cases or schedules.
    OperatorCertificate,
}

impl Via {
    pub fn code(self) -> &'static str {
        match self {
            Via::Token => "token",
            Via::StaffCertificate => "staff_certificate",
            Via::OperatorCertificate => "operator_certificate",
        }
    }
}

/// The authenticated caller of one request.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The user's name, or `operator:NAME` for an operator certificate. This is
    /// what records carry as `by`.
    pub name: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub via: Via,
    /// The bearer token, when the call carried one (for `Logout`).
    pub token: Option<String>,
}

impl Actor {
    pub fn role_codes(&self) -> Vec<String> {
        self.roles.iter().map(|r| r.code().to_owned()).collect()
    }

    pub fn is_admin(&self) -> bool {
        self.roles.contains(&Role::Administrator)
    }
}

/// The bearer token of a request, if it carries one. A malformed header is an
/// error, never silently ignored.
pub fn bearer<T>(req: &Request<T>) -> Result<Option<String>, NodeError> {
    let Some(v) = req.metadata().get("authorization") else {
        return Ok(None);
    };
    let v = v
        .to_str()
        .map_err(|_| NodeError::Unauthenticated("the authorization header is not ASCII".into()))?;
    match v.strip_prefix("Bearer ").map(str::trim) {
        Some(t) if !t.is_empty() => Ok(Some(t.to_owned())),
        _ => Err(NodeError::Unauthenticated(
            "the authorization header must be `Bearer TOKEN`".into(),
        )),
    }
}

/// Lines of the audit log shown when the caller names no number, and the most.
pub const DEFAULT_AUDIT_PAGE: u32 = 100;
pub const MAX_AUDIT_PAGE: u32 = 10_000;

/// A successful sign-in: the token and until when it lives.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub token: String,
    pub expires_at: String,
    pub user: User,
}

/// Authentication and authorization for every RPC of the local API.
#[derive(Clone)]
pub struct Guard {
    accounts: Accounts,
}

impl Guard {
    pub fn new(accounts: Accounts) -> Guard {
        Guard { accounts }
    }

    pub fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    /// Names the caller: a token wins over a certificate (an explicit login is
    /// what the caller meant); then a staff certificate; then an operator one.
    pub async fn authenticate<T>(&self, req: &Request<T>) -> Result<Actor, NodeError> {
        if let Some(token) = bearer(req)? {
            return self.actor_of_token(token).await;
        }
        let identity = req
            .peer_certs()
            .and_then(|certs| certs.first().map(|c| identity_of(c.as_ref())));
        match identity {
            None => Err(NodeError::Unauthenticated(
                "sign in first: `xinfang login --user NAME` (or present a staff or operator \
                 certificate)"
                    .into(),
            )),
            Some(Err(e)) => Err(NodeError::Unauthenticated(e.to_string())),
            Some(Ok(PeerIdentity::Operator(op))) => Ok(Actor {
                name: format!("operator:{op}"),
                display_name: op,
                roles: vec![Role::Administrator],
                via: Via::OperatorCertificate,
                token: None,
            }),
            Some(Ok(PeerIdentity::Staff(name))) => match self.accounts.user(&name).await? {
                Some(u) if !u.disabled => Ok(Actor {
                    name: u.name,
                    display_name: u.display_name,
                    roles: u.roles,
                    via: Via::StaffCertificate,
                    token: None,
                }),
                found => {
                    let refusal = match found {
                        Some(u) => Refusal::Disabled { user: u.name },
                        None => Refusal::UnknownUser { user: name.clone() },
                    };
                    self.refuse_login(&name, "staff_certificate", &refusal)
                        .await;
                    Err(NodeError::Unauthenticated(format!(
                        "staff certificate {name}: {refusal}"
                    )))
                }
            },
            Some(Ok(other)) => Err(NodeError::Denied(format!(
                "the node API is for staff and operators; the client presented {other}"
            ))),
        }
    }

    /// Names the caller from a login token alone (a bearer header, or the staff
    /// console's session cookie); a refused token is logged and audited.
    pub async fn actor_of_token(&self, token: String) -> Result<Actor, NodeError> {
        match self.accounts.user_of_token(&token).await? {
            Ok(u) => Ok(Actor {
                name: u.name,
                display_name: u.display_name,
                roles: u.roles,
                via: Via::Token,
                token: Some(token),
            }),
            Err(refusal) => {
                self.refuse_login(refusal.user().unwrap_or("?"), "token", &refusal)
                    .await;
                Err(NodeError::Unauthenticated(refusal.to_string()))
            }
        }
    }

    /// Signs a user in with their password: a new short-lived token, the sign-in
    /// audited either way. Every front signs in here (the gRPC `Login`, the
    /// console's sign-in form). A wrong or unknown name reads the same; whether
    /// the account is disabled is told only with the right password.
    pub async fn sign_in(&self, user: &str, password: &str) -> Result<SignedIn, NodeError> {
        let user = user.trim();
        if user.is_empty() {
            return Err(NodeError::empty("user"));
        }
        if password.is_empty() {
            return Err(NodeError::empty("password"));
        }
        match self.accounts.check_password(user, password).await? {
            Ok(u) => {
                let (token, expires_at) = self.accounts.issue_token(&u.name).await?;
                let who = Actor {
                    name: u.name.clone(),
                    display_name: u.display_name.clone(),
                    roles: u.roles.clone(),
                    via: Via::Token,
                    token: None,
                };
                self.audit_allowed(
                    &who,
                    "login.password",
                    "",
                    &format!("token until {expires_at}"),
                )
                .await;
                tracing::info!(user = %u.name, "signed in");
                Ok(SignedIn {
                    token,
                    expires_at,
                    user: u,
                })
            }
            Err(refusal) => {
                self.refuse_login(user, "password", &refusal).await;
                let msg = match &refusal {
                    Refusal::Disabled { .. } => refusal.to_string(),
                    _ => format!("sign-in refused for user {user}: wrong user name or password"),
                };
                Err(NodeError::Unauthenticated(msg))
            }
        }
    }

    /// Ends the caller's session: their token stops working at once.
    pub async fn sign_out(&self, who: &Actor) -> Result<(), NodeError> {
        if let Some(token) = &who.token {
            self.accounts.revoke_token(token).await?;
            self.audit_allowed(who, "logout", "", "").await;
        }
        Ok(())
    }

    /// A request refused before any service saw it (the console's forged or
    /// stale forms): logged and audited like a refused action.
    pub async fn audit_refused(&self, who: &Actor, action: &str, target: &str, reason: &str) {
        tracing::warn!(user = %who.name, action, target, reason, "refused");
        let e = AuditEntry {
            at: self.accounts.now_rfc3339(),
            actor: who.name.clone(),
            roles: who.role_codes(),
            action: action.to_owned(),
            target: target.to_owned(),
            outcome: "refused",
            reason: reason.to_owned(),
        };
        self.write(&e).await;
    }

    /// The node's users, for a caller who manages them. Every front lists them here.
    pub async fn users(&self, who: &Actor) -> Result<Vec<User>, NodeError> {
        self.authorize(who, Action::ManageUsers, "").await?;
        self.accounts.list().await
    }

    /// The last `limit` lines of the audit log (oldest first; 0: the default
    /// page), optionally refusals only or one actor's, for a caller allowed to
    /// read it. Every front reads the log here.
    pub async fn audit_log(
        &self,
        who: &Actor,
        limit: u32,
        refused_only: bool,
        actor: Option<&str>,
    ) -> Result<Vec<AuditEntry>, NodeError> {
        self.authorize(who, Action::ReadAudit, "").await?;
        let limit = match limit {
            0 => DEFAULT_AUDIT_PAGE,
            n if n > MAX_AUDIT_PAGE => {
                return Err(NodeError::invalid(
                    "limit",
                    Said::new(
                        format!("不能超过{MAX_AUDIT_PAGE}条"),
                        format!("must be at most {MAX_AUDIT_PAGE}"),
                    ),
                ));
            }
            n => n,
        };
        let actor = actor.map(str::trim).filter(|a| !a.is_empty());
        self.accounts.audit_log(limit, refused_only, actor).await
    }

    /// Whether `who` may take `action` on `target`; a refusal is logged, audited
    /// and names the user, their roles and the action.
    pub async fn authorize(
        &self,
        who: &Actor,
        action: Action,
        target: &str,
    ) -> Result<(), NodeError> {
        if any_allowed(&who.roles, action) {
            return Ok(());
        }
        let roles = who.role_codes().join(", ");
        let holders: Vec<&str> = Role::ALL
            .into_iter()
            .filter(|r| allowed(*r, action))
            .map(Role::code)
            .collect();
        let reason = format!(
            "user {} (roles: {roles}) may not {}{}; it needs the role {}",
            who.name,
            action.code(),
            if target.is_empty() {
                String::new()
            } else {
                format!(" on {target}")
            },
            holders.join(" or ")
        );
        tracing::warn!(user = %who.name, roles = %roles, action = %action.code(), target, "refused");
        self.audit(who, action, target, false, &reason).await;
        Err(NodeError::Denied(reason))
    }

    /// `authenticate`, then `authorize`: the first line of every handler.
    pub async fn check<T>(
        &self,
        req: &Request<T>,
        action: Action,
        target: &str,
    ) -> Result<Actor, NodeError> {
        let who = self.authenticate(req).await?;
        self.authorize(&who, action, target).await?;
        Ok(who)
    }

    /// A sensitive action that was allowed (user management, logins, rebuilds).
    pub async fn audit_allowed(&self, who: &Actor, action: &str, target: &str, note: &str) {
        self.write(&self.line(who, action.to_owned(), target, "allowed", note))
            .await;
    }

    /// As `audit_allowed`, as a row for the transaction that makes the action
    /// (the line is written exactly when the action is; a line that cannot be
    /// written fails the action).
    pub fn audit_allowed_row(&self, who: &Actor, action: &str, target: &str) -> AuditRow {
        self.accounts
            .audit_row(&self.line(who, action.to_owned(), target, "allowed", ""))
    }

    async fn audit(&self, who: &Actor, action: Action, target: &str, ok: bool, reason: &str) {
        let outcome = if ok { "allowed" } else { "refused" };
        self.write(&self.line(who, action.code(), target, outcome, reason))
            .await;
    }

    /// The audit line of `who` taking `action`, now.
    fn line(
        &self,
        who: &Actor,
        action: String,
        target: &str,
        outcome: &'static str,
        reason: &str,
    ) -> AuditEntry {
        AuditEntry {
            at: self.accounts.now_rfc3339(),
            actor: who.name.clone(),
            roles: who.role_codes(),
            action,
            target: target.to_owned(),
            outcome,
            reason: reason.to_owned(),
        }
    }

    /// A failed sign-in (password, token or certificate). The password is never
    /// logged.
    pub async fn refuse_login(&self, user: &str, how: &str, refusal: &Refusal) {
        tracing::warn!(user, via = how, reason = %refusal, "sign-in refused");
        let e = AuditEntry {
            at: self.accounts.now_rfc3339(),
            actor: user.to_owned(),
            roles: Vec::new(),
            action: format!("login.{how}"),
            target: String::new(),
            outcome: "refused",
            reason: refusal.to_string(),
        };
        self.write(&e).await;
    }

    /// The audit write must not turn a refusal into an internal error: a failed
    /// write is logged loudly and the refusal stands.
    async fn write(&self, e: &AuditEntry) {
        if let Err(err) = self.accounts.audit(e).await {
            tracing::error!(error = %err, actor = %e.actor, action = %e.action, "audit write failed");
        }
    }
}

/// A client-side interceptor that sends `authorization: Bearer TOKEN` on every
/// call (none when the token is absent), for the CLI and the tests.
#[derive(Clone, Default)]
pub struct BearerToken(Option<tonic::metadata::MetadataValue<tonic::metadata::Ascii>>);

impl BearerToken {
    /// A token that cannot travel in a header (not visible ASCII) is refused here,
    /// naming the problem, rather than dropped.
    pub fn new(token: Option<&str>) -> Result<BearerToken, String> {
        match token.map(str::trim) {
            None | Some("") => Ok(BearerToken(None)),
            Some(t) => format!("Bearer {t}")
                .parse()
                .map(|v| BearerToken(Some(v)))
                .map_err(|_| "the token is not plain ASCII (was it copied whole?)".to_owned()),
        }
    }
}

impl tonic::service::Interceptor for BearerToken {
    fn call(&mut self, mut req: Request<()>) -> Result<Request<()>, tonic::Status> {
        if let Some(v) = &self.0 {
            req.metadata_mut().insert("authorization", v.clone());
        }
        Ok(req)
    }
}
