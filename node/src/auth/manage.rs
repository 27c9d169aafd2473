//! Managing the node's users: adding one, setting their roles, setting their
//! password for them. Every front (the gRPC `Accounts` service, the console's
//! users page) calls these, so the permission and the audit line are the same.

use super::{Action, Actor, Guard, User};
use crate::error::NodeError;

impl Guard {
    /// Adds a user (`password` `None`: they sign in only once one is set).
    pub async fn add_user(
        &self,
        who: &Actor,
        name: &str,
        display_name: &str,
        roles: &[String],
        password: Option<&str>,
    ) -> Result<User, NodeError> {
        self.authorize(who, Action::ManageUsers, name.trim())
            .await?;
        let u = self
            .accounts
            .add(name, display_name, roles, password)
            .await?;
        let codes: Vec<&str> = u.roles.iter().map(|r| r.code()).collect();
        self.audit_allowed(
            who,
            "user.add",
            &u.name,
            &format!("roles {}", codes.join(",")),
        )
        .await;
        Ok(u)
    }

    /// Replaces a user's roles.
    pub async fn set_roles(
        &self,
        who: &Actor,
        name: &str,
        roles: &[String],
    ) -> Result<User, NodeError> {
        let name = name.trim();
        self.authorize(who, Action::ManageUsers, name).await?;
        let u = self.accounts.set_roles(name, roles).await?;
        let codes: Vec<&str> = u.roles.iter().map(|r| r.code()).collect();
        self.audit_allowed(who, "user.roles", &u.name, &codes.join(","))
            .await;
        Ok(u)
    }

    /// Sets another user's password (an administrator's reset); their sessions end.
    pub async fn reset_password(
        &self,
        who: &Actor,
        name: &str,
        password: &str,
    ) -> Result<User, NodeError> {
        let name = name.trim();
        self.authorize(who, Action::ManageUsers, name).await?;
        self.password_set(who, name, password).await
    }

    /// Sets the password of a caller already allowed to, audited.
    pub(crate) async fn password_set(
        &self,
        who: &Actor,
        name: &str,
        password: &str,
    ) -> Result<User, NodeError> {
        let u = self.accounts.set_password(name, password).await?;
        self.audit_allowed(who, "user.password", &u.name, "sessions ended")
            .await;
        Ok(u)
    }
}
