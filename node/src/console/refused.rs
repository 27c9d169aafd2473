//! Why a console request was not served: the service's refusals as the console
//! tells them apart. Kept apart from `reply` (which draws the page) so that the
//! session can refuse without knowing how a page is drawn.

use crate::error::NodeError;

/// A refusal as a clerk reads it beside a form (one home: `crate::told`).
pub use crate::told::told;

/// Why a request was not served.
#[derive(Debug)]
pub enum Refused {
    /// No session, or its token expired, was revoked or signed out.
    SignIn,
    /// A form without this session's CSRF token.
    Forged,
    Denied(String),
    /// A question the service cannot answer as asked (a bad filter in an
    /// address, a step refused where no form shows it).
    BadRequest(String),
    NotFound(String),
    Internal(String),
}

impl From<NodeError> for Refused {
    fn from(e: NodeError) -> Self {
        match e {
            NodeError::Unauthenticated(_) => Refused::SignIn,
            NodeError::Denied(m) => Refused::Denied(m),
            NodeError::NotFound(m) => Refused::NotFound(m),
            // Bad input and refused steps are shown beside their form, not here;
            // one reaching this far is still told as it is.
            e @ (NodeError::Invalid { .. } | NodeError::Rule { .. } | NodeError::Exists(_)) => {
                Refused::BadRequest(e.to_string())
            }
            other => {
                tracing::error!(error = %other, "console request failed");
                Refused::Internal(other.to_string())
            }
        }
    }
}
