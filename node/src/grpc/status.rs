//! The one mapping of the node's errors to gRPC status codes. The message is
//! the English (what scripts and logs read); a refusal a person should read in
//! Chinese (bad input, a named rule) carries it as metadata too, so that a
//! client shows the language its user reads (the CLI picks by its `--lang`).

use xinfang_hub::HubError;

use crate::error::NodeError;
use crate::labels::Lang;

/// The status metadata carrying the refusal as told in Chinese (UTF-8, binary
/// metadata).
pub const SAID_ZH_METADATA: &str = "xinfang-said-zh-bin";
/// The status metadata naming the field a bad-input refusal concerns.
pub const FIELD_METADATA: &str = "xinfang-field";

impl From<NodeError> for tonic::Status {
    fn from(e: NodeError) -> Self {
        let msg = e.to_string();
        let mut s = match &e {
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
        };
        if let NodeError::Invalid { .. } | NodeError::Rule { .. } = &e {
            let zh = crate::told::told(&e, Lang::Zh);
            s.metadata_mut().insert_bin(
                SAID_ZH_METADATA,
                tonic::metadata::MetadataValue::from_bytes(zh.as_bytes()),
            );
        }
        if let NodeError::Invalid { field, .. } = &e
            && let Ok(v) = field.parse()
        {
            s.metadata_mut().insert(FIELD_METADATA, v);
        }
        s
    }
}
