//! The gRPC adapter for accounts (`xinfang.v1.Accounts`): sign-in, the node's
//! users and the audit log. Errors go through the node's one mapping to `Status`.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::accounts_server::Accounts as AccountsRpc;

use xinfang_hub::db::Db;
use xinfang_hub::quarantine;

use crate::auth::{Action, Actor, Guard, User, Via};
use crate::error::NodeError;
use crate::labels::Said;

pub struct AccountsApi {
    guard: Arc<Guard>,
    /// The node's database: the hub's quarantine is read from it.
    db: Db,
}

impl AccountsApi {
    pub fn new(guard: Arc<Guard>, db: Db) -> Self {
        AccountsApi { guard, db }
    }
}

const DEFAULT_QUARANTINE: u32 = 100;
const MAX_QUARANTINE: u32 = 10_000;

fn quarantine_to_pb(e: quarantine::Entry) -> pb::QuarantineEntry {
    let (automerge, content_json) = match &e.bytes {
        Some(b) => (b.clone(), crate::authorship::render_json(&e.doc_id, b)),
        None => (Vec::new(), String::new()),
    };
    pb::QuarantineEntry {
        id: e.id,
        peer: e.peer,
        doc_id: e.doc_id,
        rule: e.rule,
        author: e.author,
        detail: e.detail,
        received_at: chrono::DateTime::from_timestamp_millis(e.received_ms)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
            .unwrap_or_default(),
        size: e.size,
        automerge,
        content_json,
    }
}

fn to_pb(u: User, via: Option<Via>) -> pb::User {
    pb::User {
        name: u.name,
        display_name: u.display_name,
        roles: u.roles.iter().map(|r| r.code().to_owned()).collect(),
        unit: u.unit,
        disabled: u.disabled,
        has_password: u.has_password,
        created_at: u.created_at,
        updated_at: u.updated_at,
        via: via.map(|v| v.code().to_owned()).unwrap_or_default(),
    }
}

type Answer<T> = Result<Response<T>, Status>;

impl AccountsApi {
    async fn manage<T>(&self, r: &Request<T>, target: &str) -> Result<Actor, NodeError> {
        self.guard.check(r, Action::ManageUsers, target).await
    }
}

#[tonic::async_trait]
impl AccountsRpc for AccountsApi {
    async fn login(&self, r: Request<pb::LoginRequest>) -> Answer<pb::LoginReply> {
        let req = r.into_inner();
        let signed = self.guard.sign_in(&req.user, &req.password).await?;
        Ok(Response::new(pb::LoginReply {
            token: signed.token,
            expires_at: signed.expires_at,
            user: Some(to_pb(signed.user, Some(Via::Token))),
        }))
    }

    async fn logout(&self, r: Request<pb::LogoutRequest>) -> Answer<pb::LogoutReply> {
        let who = self.guard.authenticate(&r).await?;
        self.guard.sign_out(&who).await?;
        Ok(Response::new(pb::LogoutReply {}))
    }

    async fn who_am_i(&self, r: Request<pb::WhoAmIRequest>) -> Answer<pb::User> {
        let who = self.guard.authenticate(&r).await?;
        if who.via == Via::OperatorCertificate {
            return Ok(Response::new(pb::User {
                name: who.name,
                display_name: who.display_name,
                roles: who.roles.iter().map(|r| r.code().to_owned()).collect(),
                via: who.via.code().into(),
                ..Default::default()
            }));
        }
        let user = self
            .guard
            .accounts()
            .user(&who.name)
            .await?
            .ok_or_else(|| NodeError::NotFound(format!("no user {}", who.name)))?;
        Ok(Response::new(to_pb(user, Some(who.via))))
    }

    async fn add_user(&self, r: Request<pb::AddUserRequest>) -> Answer<pb::User> {
        let who = self.guard.authenticate(&r).await?;
        let req = r.into_inner();
        let password = (!req.password.is_empty()).then_some(req.password.as_str());
        let u = self
            .guard
            .add_user(&who, &req.name, &req.display_name, &req.roles, password)
            .await?;
        Ok(Response::new(to_pb(u, None)))
    }

    async fn list_users(&self, r: Request<pb::ListUsersRequest>) -> Answer<pb::UserList> {
        let who = self.guard.authenticate(&r).await?;
        let users = self.guard.users(&who).await?;
        Ok(Response::new(pb::UserList {
            users: users.into_iter().map(|u| to_pb(u, None)).collect(),
        }))
    }

    async fn set_disabled(&self, r: Request<pb::SetDisabledRequest>) -> Answer<pb::User> {
        let who = self.manage(&r, r.get_ref().name.trim()).await?;
        let req = r.into_inner();
        let u = self
            .guard
            .accounts()
            .set_disabled(req.name.trim(), req.disabled)
            .await?;
        let what = if req.disabled {
            "user.disable"
        } else {
            "user.enable"
        };
        self.guard.audit_allowed(&who, what, &u.name, "").await;
        Ok(Response::new(to_pb(u, None)))
    }

    async fn set_password(&self, r: Request<pb::SetPasswordRequest>) -> Answer<pb::User> {
        let name = r.get_ref().name.trim().to_owned();
        let who = self.guard.authenticate(&r).await?;
        // Users change their own password with the old one; anyone else's takes
        // an administrator.
        let own = who.name == name && who.via != Via::OperatorCertificate;
        if own && !who.is_admin() {
            let old = &r.get_ref().old_password;
            if old.is_empty() {
                return Err(NodeError::invalid(
                    "old_password",
                    Said::new(
                        "修改密码须输入当前密码",
                        "your current password is needed to change it",
                    ),
                )
                .into());
            }
            if let Err(refusal) = self.guard.accounts().check_password(&name, old).await? {
                self.guard.refuse_login(&name, "password", &refusal).await;
                return Err(NodeError::Unauthenticated(format!(
                    "user {name}: the current password is wrong"
                ))
                .into());
            }
            let u = self
                .guard
                .password_set(&who, &name, &r.get_ref().password)
                .await?;
            return Ok(Response::new(to_pb(u, None)));
        }
        let u = self
            .guard
            .reset_password(&who, &name, &r.get_ref().password)
            .await?;
        Ok(Response::new(to_pb(u, None)))
    }

    async fn set_roles(&self, r: Request<pb::SetRolesRequest>) -> Answer<pb::User> {
        let who = self.guard.authenticate(&r).await?;
        let req = r.into_inner();
        let u = self.guard.set_roles(&who, &req.name, &req.roles).await?;
        Ok(Response::new(to_pb(u, None)))
    }

    async fn audit(&self, r: Request<pb::AuditRequest>) -> Answer<pb::AuditLog> {
        let who = self.guard.authenticate(&r).await?;
        let req = r.into_inner();
        let entries = self
            .guard
            .audit_log(&who, req.limit, req.refused_only, Some(&req.actor))
            .await?;
        Ok(Response::new(pb::AuditLog {
            entries: entries
                .into_iter()
                .map(|e| pb::AuditEntry {
                    at: e.at,
                    actor: e.actor,
                    roles: e.roles,
                    action: e.action,
                    target: e.target,
                    outcome: e.outcome.into(),
                    reason: e.reason,
                })
                .collect(),
        }))
    }

    async fn list_quarantine(
        &self,
        r: Request<pb::ListQuarantineRequest>,
    ) -> Answer<pb::QuarantineList> {
        self.guard.check(&r, Action::ReadQuarantine, "").await?;
        let limit = match r.into_inner().limit {
            0 => DEFAULT_QUARANTINE,
            n if n > MAX_QUARANTINE => {
                return Err(NodeError::invalid(
                    "limit",
                    Said::new(
                        format!("不能超过{MAX_QUARANTINE}条"),
                        format!("must be at most {MAX_QUARANTINE}"),
                    ),
                )
                .into());
            }
            n => n,
        };
        let entries = quarantine::list(&self.db, limit)
            .await
            .map_err(|e| NodeError::Storage(e.to_string()))?;
        Ok(Response::new(pb::QuarantineList {
            entries: entries.into_iter().map(quarantine_to_pb).collect(),
        }))
    }

    async fn show_quarantine(
        &self,
        r: Request<pb::ShowQuarantineRequest>,
    ) -> Answer<pb::QuarantineEntry> {
        let id = r.get_ref().id;
        self.guard
            .check(&r, Action::ReadQuarantine, &id.to_string())
            .await?;
        match quarantine::get(&self.db, id)
            .await
            .map_err(|e| NodeError::Storage(e.to_string()))?
        {
            Some(e) => Ok(Response::new(quarantine_to_pb(e))),
            None => Err(NodeError::NotFound(format!("quarantined document {id}")).into()),
        }
    }
}
