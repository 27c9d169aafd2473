//! The node's errors, and their one mapping to gRPC status codes.

use xinfang_hub::{HubError, UpdateError};

#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// Bad input: names the field and the rule it breaks.
    #[error("field `{field}`: {rule}")]
    Invalid { field: &'static str, rule: String },
    /// A step the case's rules do not allow: names the rule.
    #[error("rule {rule}: {message}")]
    Rule { rule: &'static str, message: String },
    #[error("not found: {0}")]
    NotFound(String),
    #[error("permission denied: {0}")]
    Denied(String),
    /// The caller is not signed in, or their token or certificate is refused.
    #[error("unauthenticated: {0}")]
    Unauthenticated(String),
    #[error("already exists: {0}")]
    Exists(String),
    #[error(transparent)]
    Hub(HubError),
    #[error("storage: {0}")]
    Storage(String),
    #[error("internal: {0}")]
    Internal(String),
}

impl NodeError {
    pub fn invalid(field: &'static str, rule: impl Into<String>) -> Self {
        NodeError::Invalid {
            field,
            rule: rule.into(),
        }
    }
}

impl From<HubError> for NodeError {
    fn from(e: HubError) -> Self {
        match e {
            HubError::NotFound(id) => {
                NodeError::NotFound(format!("case {id} is not held at this node"))
            }
            other => NodeError::Hub(other),
        }
    }
}

impl From<UpdateError<NodeError>> for NodeError {
    fn from(e: UpdateError<NodeError>) -> Self {
        match e {
            UpdateError::Hub(h) => h.into(),
            UpdateError::Rule(r) => r,
        }
    }
}

impl From<crate::case::Refusal> for NodeError {
    fn from(r: crate::case::Refusal) -> Self {
        NodeError::Rule {
            rule: r.rule,
            message: r.message,
        }
    }
}

impl From<sqlx::Error> for NodeError {
    fn from(e: sqlx::Error) -> Self {
        NodeError::Storage(e.to_string())
    }
}

impl From<NodeError> for tonic::Status {
    fn from(e: NodeError) -> Self {
        let msg = e.to_string();
        match e {
            NodeError::Invalid { .. } => tonic::Status::invalid_argument(msg),
            NodeError::NotFound(_) => tonic::Status::not_found(msg),
            NodeError::Rule { .. } => tonic::Status::failed_precondition(msg),
            NodeError::Denied(_) => tonic::Status::permission_denied(msg),
            NodeError::Unauthenticated(_) => tonic::Status::unauthenticated(msg),
            NodeError::Exists(_) => tonic::Status::already_exists(msg),
            NodeError::Hub(HubError::Exists(_)) => tonic::Status::already_exists(msg),
            NodeError::Hub(HubError::Doc(_)) => tonic::Status::invalid_argument(msg),
            NodeError::Hub(_) | NodeError::Storage(_) | NodeError::Internal(_) => {
                tonic::Status::internal(msg)
            }
        }
    }
}
