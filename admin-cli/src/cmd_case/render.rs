//! How a case looks on the terminal (labels and unit names as the node's views
//! carry them) and as `--json`.

use serde::Serialize;
use xinfang_proto::v1 as pb;

use crate::output::{Lang, local_time, print_json, table};

#[derive(Serialize)]
struct NoteJson {
    id: String,
    unit: String,
    text: String,
    at: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    by: String,
}

#[derive(Serialize)]
pub(super) struct CaseJson {
    case_no: String,
    /// The case document's id: the number and the registration's nonce.
    #[serde(skip_serializing_if = "String::is_empty")]
    doc_id: String,
    unit: String,
    petitioner: String,
    content: String,
    registered_at: String,
    /// The user who registered it (empty before accounts).
    #[serde(skip_serializing_if = "String::is_empty")]
    registered_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    notes: Option<Vec<NoteJson>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    scope: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    heads: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    status: String,
    /// The status as people read it, in the language asked for (`--lang`).
    #[serde(skip_serializing_if = "String::is_empty")]
    status_label: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    handling_unit: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    lead_unit: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_deadline: Option<serde_json::Value>,
    overdue: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    closure_blockers: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) records: Vec<serde_json::Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    repeat_of: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    skip_level_of: String,
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    ledger: serde_json::Map<String, serde_json::Value>,
    /// The petitioner's query code, in the answer that issued it only.
    #[serde(skip_serializing_if = "String::is_empty")]
    query_code: String,
}

pub(super) fn to_json(c: pb::CaseView, with_notes: bool) -> CaseJson {
    CaseJson {
        query_code: c.query_code,
        case_no: c.case_no,
        doc_id: c.doc_id,
        unit: c.unit,
        petitioner: c.petitioner,
        content: c.content,
        registered_at: c.registered_at,
        registered_by: c.registered_by,
        notes: with_notes.then(|| {
            c.notes
                .into_iter()
                .map(|n| NoteJson {
                    id: n.id,
                    unit: n.unit,
                    text: n.text,
                    at: n.at,
                    by: n.by,
                })
                .collect()
        }),
        scope: c.scope,
        heads: c.heads,
        status: c.status,
        status_label: c.status_label,
        handling_unit: c.handling_unit,
        lead_unit: c.lead_unit,
        next_deadline: c.next_deadline.map(|d| {
            serde_json::json!({"kind": d.kind, "unit": d.unit, "due": d.due, "overdue": d.overdue})
        }),
        overdue: c.overdue,
        closure_blockers: c.closure_blockers,
        records: c
            .records
            .iter()
            .filter_map(|r| serde_json::from_str(&r.json).ok())
            .collect(),
        warnings: c.warnings,
        repeat_of: c.repeat_of,
        skip_level_of: c.skip_level_of,
        ledger: [
            ("id_number", c.id_number),
            ("id_masked", c.id_masked),
            ("phone", c.phone),
            ("phone_masked", c.phone_masked),
            ("address", c.address),
            ("channel", c.channel),
            ("purpose", c.purpose),
            ("category", c.category),
            ("subcategory", c.subcategory),
            ("place", c.place),
            ("cause", c.cause),
            ("receiving_leader", c.receiving_leader),
            ("responsible_unit", c.responsible_unit),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_owned(), serde_json::Value::String(v)))
        .collect(),
    }
}

pub(super) fn print_timeline(c: &pb::CaseView, lang: Lang) {
    let mut t = table(vec![
        lang.t("时间", "Time"),
        lang.t("单位", "Unit"),
        lang.t("经办人", "By"),
        lang.t("环节", "Step"),
        lang.t("内容", "Detail"),
    ]);
    for r in &c.records {
        t.add_row(vec![
            local_time(&r.at),
            named(&r.unit_name, &r.unit),
            if r.by.is_empty() {
                "—".to_owned()
            } else {
                r.by.clone()
            },
            r.step_label.clone(),
            r.detail.clone(),
        ]);
    }
    println!("{t}");
}

/// A unit as people read it: its name, with the code beside it.
pub(super) fn named(name: &str, code: &str) -> String {
    match (name.is_empty(), code.is_empty()) {
        (_, true) => String::new(),
        (true, false) => code.to_owned(),
        (false, false) if name == code => code.to_owned(),
        (false, false) => format!("{name}（{code}）"),
    }
}

fn print_case(c: &pb::CaseView, lang: Lang) {
    println!("{}: {}", lang.t("案件编号", "Case no."), c.case_no);
    if !c.status.is_empty() {
        println!("{}: {}", lang.t("状态", "Status"), c.status_label);
        println!(
            "{}: {}",
            lang.t("办理单位", "Handling unit"),
            named(&c.handling_unit_name, &c.handling_unit)
        );
        if !c.lead_unit.is_empty() {
            println!(
                "{}: {}",
                lang.t("主办单位", "Lead unit"),
                named(&c.lead_unit_name, &c.lead_unit)
            );
        }
        if let Some(d) = &c.next_deadline {
            println!(
                "{}: {} {} ({}){}",
                lang.t("下一期限", "Next deadline"),
                d.kind_label,
                d.due,
                named(&d.unit_name, &d.unit),
                if d.overdue {
                    lang.t("  【已超期】", "  [OVERDUE]")
                } else {
                    ""
                }
            );
        }
        if !c.closure_blockers.is_empty() && c.status == "replied" {
            println!(
                "{}: {}",
                lang.t("结案条件未满足", "Cannot close yet"),
                c.closure_blockers.join("；")
            );
        }
        for w in &c.warnings {
            println!("{}: {w}", lang.t("提示", "Note"));
        }
    }
    println!(
        "{}: {}",
        lang.t("登记单位", "Registered at"),
        named(&c.unit_name, &c.unit)
    );
    println!(
        "{}: {}",
        lang.t("登记时间", "Registered"),
        local_time(&c.registered_at)
    );
    if !c.registered_by.is_empty() {
        println!("{}: {}", lang.t("登记人", "Registered by"), c.registered_by);
    }
    println!("{}: {}", lang.t("信访人", "Petitioner"), c.petitioner);
    let id = if c.id_number.is_empty() {
        &c.id_masked
    } else {
        &c.id_number
    };
    let phone = if c.phone.is_empty() {
        &c.phone_masked
    } else {
        &c.phone
    };
    let place = named(&c.place_name, &c.place);
    let responsible = named(&c.responsible_unit_name, &c.responsible_unit);
    for (label, value) in [
        (lang.t("身份证号", "ID number"), id),
        (lang.t("联系电话", "Phone"), phone),
        (lang.t("住址", "Address"), &c.address),
        (lang.t("信访形式", "Channel"), &c.channel_label),
        (lang.t("信访目的", "Purpose"), &c.purpose_label),
        (lang.t("内容分类", "Category"), &c.category_label),
        (lang.t("子类", "Subcategory"), &c.subcategory_label),
        (lang.t("问题发生地", "Place"), &place),
        (lang.t("产生原因", "Cause"), &c.cause),
        (lang.t("接访领导", "Receiving leader"), &c.receiving_leader),
        (lang.t("责任单位", "Responsible unit"), &responsible),
        (lang.t("重复信访，原案", "Repeat of"), &c.repeat_of),
        (
            lang.t("越级访，下级在办", "Skip-level over"),
            &c.skip_level_of,
        ),
    ] {
        if !value.is_empty() {
            println!("{label}: {value}");
        }
    }
    if !c.representatives.is_empty() {
        println!(
            "{}: {} ({} {})",
            lang.t("代表", "Representatives"),
            c.representatives.join("、"),
            lang.t("来访人数", "people"),
            c.head_count
        );
    }
    println!("{}: {}", lang.t("诉求内容", "Demand"), c.content);
    println!("{}: {}", lang.t("涉及单位", "Scope"), c.scope.join("、"));
    if !c.records.is_empty() {
        print_timeline(c, lang);
    }
}

/// One whole case file, for scripts or for people.
pub(super) fn show(c: pb::CaseView, json: bool, lang: Lang) -> anyhow::Result<()> {
    if json {
        print_json(&to_json(c, true))
    } else {
        print_case(&c, lang);
        Ok(())
    }
}

/// The query code, shown once: the node keeps only its hash.
pub(super) fn print_query_code(code: &str, lang: Lang) {
    println!("{} {code}", lang.t("查询码", "Query code"));
    println!(
        "{}",
        lang.t(
            "（仅此一次显示，请交给信访人；遗失可重新发放）",
            "(shown this once: hand it to the petitioner; if lost, reissue it)"
        )
    );
}
