//! How a refusal reads to a person, in their language: a rule by its name
//! (`case::rule_names`, `schedule::labels`) with its code, then the service's
//! particulars; bad input as the service said it in the reader's language;
//! anything else as the service said it. Every front that shows people a
//! refusal (the console beside a form, the API's Chinese for the CLI) asks here.

use crate::error::NodeError;
use crate::labels::Lang;

pub fn told(e: &NodeError, lang: Lang) -> String {
    match e {
        NodeError::Rule { rule, message } => {
            match crate::case::rule_names::rule(rule)
                .or_else(|| crate::schedule::labels::rule_of_code(rule))
            {
                Some(name) => format!("{}（{rule}）— {message}", name.get(lang)),
                None => e.to_string(),
            }
        }
        NodeError::Invalid { rule, .. } => rule.get(lang).to_owned(),
        other => other.to_string(),
    }
}
