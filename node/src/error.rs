//! The node's errors. Each front maps them once: gRPC in `grpc::status`, the
//! console in `console::refused`; how a refusal reads to a person is `told`.

use xinfang_hub::{HubError, UpdateError};

use crate::labels::Said;

#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// Bad input: names the field and the rule it breaks, in both languages
    /// (the console shows it beside the field in the reader's).
    #[error("field `{field}`: {rule}")]
    Invalid { field: &'static str, rule: Said },
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
    /// Automerge refused an edit of the document `id`: a fault of ours, never
    /// the caller's input.
    pub fn automerge(id: &str) -> impl Fn(automerge::AutomergeError) -> NodeError + Copy + '_ {
        move |e| NodeError::Internal(format!("document {id}: {e}"))
    }

    /// Bad input in `field`: the rule, said in both languages.
    pub fn invalid(field: &'static str, rule: impl Into<Said>) -> Self {
        NodeError::Invalid {
            field,
            rule: rule.into(),
        }
    }

    /// A required field left empty.
    pub fn empty(field: &'static str) -> Self {
        NodeError::invalid(field, Said::new("不能为空", "must not be empty"))
    }

    /// A field longer than its limit, in characters.
    pub fn too_long(field: &'static str, max: usize) -> Self {
        NodeError::invalid(
            field,
            Said::new(
                format!("不能超过{max}个字符"),
                format!("must be at most {max} characters"),
            ),
        )
    }

    /// A date as typed that is not one (`typed` is what was typed).
    pub fn not_a_date(field: &'static str, typed: &str) -> Self {
        let typed = typed.trim();
        NodeError::invalid(
            field,
            Said::new(
                format!("“{typed}”不是日期，应写成YYYY-MM-DD"),
                format!("{typed:?} is not a date; write YYYY-MM-DD"),
            ),
        )
    }

    /// A unit as typed that is not one of the federation's.
    pub fn not_in_federation(field: &'static str, typed: &str) -> Self {
        let typed = typed.trim();
        NodeError::invalid(
            field,
            Said::new(
                format!("“{typed}”不是本系统内的单位"),
                format!("{typed:?} is not a unit"),
            ),
        )
    }

    /// A unit code as typed that is not one (`typed` is what was typed).
    pub fn not_unit_code(
        field: &'static str,
        typed: &str,
        e: &xinfang_hub::topology::UnitCodeError,
    ) -> Self {
        use xinfang_hub::credit_code::CreditCodeError;
        use xinfang_hub::topology::UnitCodeError;
        let typed = typed.trim();
        let zh = match e {
            UnitCodeError::Shape(_) => format!(
                "“{typed}”不是单位代码：应为6位（市、县）或12位（乡镇及以下）行政区划代码，\
                 或18位统一社会信用代码"
            ),
            UnitCodeError::CreditCode(CreditCodeError::Shape(_)) => format!(
                "“{typed}”不是统一社会信用代码：应为18位数字或大写字母（不含I、O、S、V、Z）"
            ),
            UnitCodeError::CreditCode(CreditCodeError::Check {
                found, expected, ..
            }) => format!("“{typed}”的校验码是{found}，按GB 32100-2015前17位应得{expected}"),
        };
        NodeError::invalid(
            field,
            Said::new(zh, format!("{typed:?} is not a unit code: {e}")),
        )
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
