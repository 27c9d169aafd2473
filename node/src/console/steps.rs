//! The small form of each step a person may take on a case, and how a filled
//! form becomes the record the case service is asked to write. Which steps are
//! offered is the case service's answer (`steps_open_to`: the roles table and
//! who may write each kind of record); whether a step is admitted now is the
//! lifecycle's, told by the service when it is submitted.
//! Choices are labelled from `case::labels`.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::words as w;
use crate::case::labels;
use crate::case::record::{
    Opinion, Satisfaction, Screening, Stage, Step, Supervision, Track, VisitLevel,
};
use crate::labels::Label;

/// The steps people take in the console, in the order a case goes through
/// them. (Contact keys and sealed contacts are written by nodes, not people.)
pub const OFFERED: [Step; 27] = [
    Step::Screening,
    Step::SkipLevelLink,
    Step::SamePetitioner,
    Step::Forward,
    Step::Assign,
    Step::Objection,
    Step::ObjectionDecision,
    Step::Notice,
    Step::Major,
    Step::HigherVisit,
    Step::LeadDecision,
    Step::LibraryEntry,
    Step::OwnershipProposal,
    Step::Ownership,
    Step::Progress,
    Step::Supervision,
    Step::SendBack,
    Step::Extension,
    Step::Reply,
    Step::NoOpinion,
    Step::Rating,
    Step::LeaderApproval,
    Step::Closure,
    Step::ReturnVisit,
    Step::Archive,
    Step::ReviewRequest,
    Step::ReviewDecision,
];

/// What kind of input a field is.
pub enum Input {
    Text,
    LongText,
    Date,
    /// A whole number of days.
    Days,
    /// A unit of the federation, picked by name.
    Unit,
    /// A yes/no box.
    Check,
    /// A yes or a no that must be picked (no default): its two answers, labelled.
    Verdict {
        yes: Label,
        no: Label,
    },
    /// One of these codes, labelled.
    Choice(Vec<(String, Label)>),
    /// Names typed on one line, separated by 、 or commas: a list in the record.
    Names,
}

pub struct Field {
    /// The name in the form and, except for the screening's, in the record.
    pub name: &'static str,
    pub label: Label,
    pub input: Input,
}

fn code<T: Serialize>(v: T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

fn f(name: &'static str, label: Label, input: Input) -> Field {
    Field { name, label, input }
}

fn screenings() -> Input {
    let notice = String::new;
    Input::Choice(
        [
            Screening::Accept,
            Screening::NotAccept {
                notice: notice(),
                competent_authority: notice(),
            },
            Screening::Discipline { notice: notice() },
            Screening::Divert {
                track: Track::Litigation,
                notice: notice(),
            },
        ]
        .iter()
        .map(|s| {
            let c = serde_json::to_value(s)
                .ok()
                .and_then(|v| {
                    v.get("decision")
                        .and_then(|d| d.as_str().map(str::to_owned))
                })
                .unwrap_or_default();
            (c, labels::screening(s))
        })
        .collect(),
    )
}

fn supervisions() -> Input {
    use Supervision::*;
    Input::Choice(
        [Phone, Letter, Interview, Meeting, Listed, PublicNotice]
            .into_iter()
            .map(|m| (code(m), labels::supervision(m)))
            .collect(),
    )
}

fn opinions() -> Input {
    use Opinion::*;
    Input::Choice(
        [Adopt, Support, Explain, NotSupport]
            .into_iter()
            .map(|o| (code(o), labels::opinion(o)))
            .collect(),
    )
}

fn satisfactions() -> Input {
    use Satisfaction::*;
    Input::Choice(
        [Satisfied, Basic, Unsatisfied]
            .into_iter()
            .map(|s| (code(s), labels::satisfaction(s)))
            .collect(),
    )
}

fn stages() -> Input {
    Input::Choice(
        [Stage::Review, Stage::ReReview]
            .into_iter()
            .map(|s| (code(s), labels::stage(s)))
            .collect(),
    )
}

fn visit_levels() -> Input {
    Input::Choice(
        [VisitLevel::Province, VisitLevel::Capital]
            .into_iter()
            .map(|l| (code(l), labels::higher_visit(l)))
            .collect(),
    )
}

fn tracks() -> Input {
    use Track::*;
    Input::Choice(
        [Litigation, Arbitration, AdministrativeReview]
            .into_iter()
            .map(|t| (code(t), labels::track(t)))
            .collect(),
    )
}

/// The fields of a step's form.
pub fn fields(step: Step) -> Vec<Field> {
    match step {
        Step::Screening => vec![
            f("decision", w::DECISION, screenings()),
            f("notice", w::NOTICE, Input::LongText),
            f("competent_authority", w::COMPETENT_AUTHORITY, Input::Text),
            f("track", w::TRACK, tracks()),
        ],
        Step::Forward | Step::Assign => vec![
            f("to", w::TO_UNIT, Input::Unit),
            f("due", w::DUE, Input::Date),
        ],
        Step::Objection | Step::SendBack => vec![f("reason", w::REASON, Input::LongText)],
        Step::ObjectionDecision => vec![
            f(
                "agree",
                w::VERIFICATION,
                Input::Verdict {
                    yes: w::AGREE,
                    no: w::DISAGREE,
                },
            ),
            f("reason", w::REASON, Input::LongText),
        ],
        Step::Notice => vec![f("text", w::NOTICE_TEXT, Input::LongText)],
        Step::Major => vec![
            f("urgent", w::URGENT, Input::Check),
            f("reason", w::REASON, Input::LongText),
        ],
        Step::NoOpinion => vec![f("circumstances", w::CIRCUMSTANCES, Input::LongText)],
        Step::LeadDecision => vec![f("lead", w::LEAD_UNIT, Input::Unit)],
        Step::LibraryEntry => vec![
            f("area", w::LIBRARY_AREA, Input::Text),
            f("public_title", w::PUBLIC_TITLE, Input::Text),
            f("reason", w::REASON, Input::LongText),
        ],
        Step::OwnershipProposal => vec![
            f("leader", w::LEADER, Input::Text),
            f("basis", w::PORTFOLIO_BASIS, Input::Text),
        ],
        Step::Ownership => vec![
            f("leader", w::LEADER, Input::Text),
            f("work_group", w::WORK_GROUP, Input::Names),
        ],
        Step::Progress | Step::ReturnVisit => vec![f("text", w::TEXT, Input::LongText)],
        Step::Supervision => vec![
            f("method", w::METHOD, supervisions()),
            f("due", w::DUE, Input::Date),
            f("demand", w::DEMAND, Input::LongText),
        ],
        Step::Extension => vec![
            f("days", w::DAYS, Input::Days),
            f("reason", w::REASON, Input::LongText),
            f("approved_by", w::APPROVED_BY, Input::Text),
        ],
        Step::Reply => vec![
            f("opinion", w::OPINION, opinions()),
            f("text", w::TEXT, Input::LongText),
        ],
        Step::Rating => vec![
            f("acceptance", w::ACCEPTANCE, satisfactions()),
            f("handling", w::HANDLING, satisfactions()),
        ],
        Step::LeaderApproval => vec![
            f("leader", w::LEADER, Input::Text),
            f("opinion", w::OPINION, Input::LongText),
        ],
        Step::Closure => vec![
            f("facts_clear", w::FACTS_CLEAR, Input::Check),
            f("handled_in_place", w::HANDLED_IN_PLACE, Input::Check),
            f("file_complete", w::FILE_COMPLETE, Input::Check),
        ],
        Step::ReviewRequest => vec![f("stage", w::STAGE, stages())],
        Step::HigherVisit => vec![
            f("to", w::HIGHER_VISIT_TO, visit_levels()),
            f("on", w::HIGHER_VISIT_ON, Input::Date),
            f("place", w::HIGHER_VISIT_PLACE, Input::Text),
        ],
        // The case number of the candidate the registration offered.
        Step::SkipLevelLink => vec![f("of", w::SKIP_LEVEL_CASE, Input::Text)],
        Step::SamePetitioner => vec![
            f("of", w::SAME_PETITIONER_CASE, Input::Text),
            f("reason", w::REASON, Input::LongText),
        ],
        Step::ReviewDecision => vec![
            f("stage", w::STAGE, stages()),
            f("opinion", w::OPINION, opinions()),
            f("text", w::TEXT, Input::LongText),
        ],
        // Archiving takes no field; contact keys, sealed contacts and deliveries
        // are the node's; the reception-day records (written through the
        // reception service, whose checks need the schedule and the roster) are
        // not offered as plain step forms.
        Step::Archive
        | Step::Booking
        | Step::ReceptionOutcome
        | Step::SupervisionForm
        | Step::FormAck
        | Step::ContactKey
        | Step::SealedContact
        | Step::Delivery => Vec::new(),
    }
}

/// A form's fields could not make a record: which field, and why.
pub struct Unfit {
    pub field: &'static str,
    pub message: Label,
}

/// The record a filled form asks for, as the JSON the case service takes. Only
/// the shape is made here (numbers, yes/no); every rule is the service's.
pub fn record(step: Step, form: &HashMap<String, String>) -> Result<Value, Unfit> {
    let get = |name: &str| {
        form.get(name)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    let mut body = Map::new();
    body.insert("kind".into(), json!(step.kind()));
    if step == Step::Screening {
        let decision = get("decision");
        let mut d = Map::new();
        d.insert("decision".into(), json!(decision));
        match decision.as_str() {
            "not_accept" => {
                d.insert("notice".into(), json!(get("notice")));
                d.insert(
                    "competent_authority".into(),
                    json!(get("competent_authority")),
                );
            }
            "discipline" => {
                d.insert("notice".into(), json!(get("notice")));
            }
            "divert" => {
                d.insert("notice".into(), json!(get("notice")));
                d.insert("track".into(), json!(get("track")));
            }
            _ => {}
        }
        body.insert("decision".into(), Value::Object(d));
        return Ok(Value::Object(body));
    }
    for field in fields(step) {
        let v = get(field.name);
        let value = match field.input {
            Input::Check => json!(!v.is_empty()),
            Input::Days => json!(v.parse::<u32>().map_err(|_| Unfit {
                field: field.name,
                message: w::NOT_DAYS,
            })?),
            Input::Verdict { .. } => match v.as_str() {
                "yes" => json!(true),
                "no" => json!(false),
                _ => {
                    return Err(Unfit {
                        field: field.name,
                        message: w::PICK_ONE,
                    });
                }
            },
            Input::Names => json!(
                v.split(['、', ',', '，', ';', '；'])
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .collect::<Vec<_>>()
            ),
            _ => json!(v),
        };
        body.insert(field.name.into(), value);
    }
    Ok(Value::Object(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::record::Body;
    use crate::labels::Lang;

    #[test]
    fn a_verdict_not_picked_names_its_field() {
        let Err(u) = record(Step::ObjectionDecision, &HashMap::new()) else {
            panic!("an objection's verification needs agree or disagree picked");
        };
        assert_eq!(u.field, "agree");
        let Ok(v) = record(
            Step::ObjectionDecision,
            &[("agree".to_owned(), "yes".to_owned())].into(),
        ) else {
            panic!("agree picked");
        };
        assert_eq!(v["agree"], json!(true));
    }

    #[test]
    fn every_offered_form_makes_a_record_the_rules_can_read() {
        let filled: HashMap<String, String> = [
            ("decision", "accept"),
            ("to", "441521"),
            ("lead", "441521"),
            ("due", "2026-12-01"),
            ("reason", "不属本单位职权"),
            ("leader", "林建隆"),
            ("text", "已约谈"),
            ("method", "listed"),
            ("demand", "限期办结"),
            ("days", "30"),
            ("approved_by", "县信访局"),
            ("opinion", "support"),
            ("acceptance", "satisfied"),
            ("handling", "basic"),
            ("facts_clear", "on"),
            ("stage", "review"),
            ("agree", "no"),
            ("urgent", "on"),
            ("circumstances", "电话联系三次均拒绝表态"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let mut visit = filled.clone();
        visit.insert("to".into(), "capital".into());
        visit.insert("on".into(), "2026-11-30".into());
        visit.insert("place".into(), "国家信访局".into());
        visit.insert("of".into(), "441521115001-2026-000001".into());
        for step in OFFERED {
            let filled = if matches!(step, Step::HigherVisit | Step::SkipLevelLink) {
                &visit
            } else {
                &filled
            };
            let v = record(step, filled)
                .unwrap_or_else(|u| panic!("{}: {}", u.field, u.message.get(Lang::En)));
            let body: Body = serde_json::from_value(v.clone())
                .unwrap_or_else(|e| panic!("{}: {e}: {v}", step.kind()));
            assert_eq!(Step::of(&body), step);
        }
    }
}
