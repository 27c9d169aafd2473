//! Chinese labels of the codes reports show: statuses, channels, kinds of
//! deadline, and the keys of each breakdown dimension.

use super::ReportService;

pub(super) fn status_zh(code: &str) -> &str {
    match code {
        "registered" => "已登记",
        "accepted" => "已受理",
        "not_accepted" => "不予受理",
        "to_discipline" => "转纪检监察",
        "diverted" => "导入其他程序",
        "routed" => "已转送/交办",
        "handling" => "办理中",
        "replied" => "已答复",
        "closed" => "已办结",
        "archived" => "已归档",
        "under_review" => "复查中",
        "reviewed" => "已复查",
        "under_re_review" => "复核中",
        "final" => "不再受理",
        other => other,
    }
}

pub(super) fn channel_zh(code: &str) -> &str {
    match code {
        "visit" => "来访",
        "letter" => "来信",
        "online" => "网上信访",
        "phone" => "来电",
        "fax" => "传真",
        other => other,
    }
}

pub(super) fn kind_zh(code: &str) -> &str {
    match code {
        "route" => "转送交办",
        "object" => "异议",
        "notify" => "告知",
        "handle" => "办理",
        "supervision" => "督办",
        "review_answer" => "复查复核",
        other => other,
    }
}

impl ReportService {
    pub(super) fn label(&self, by: &str, key: &str) -> String {
        match by {
            "unit" | "tier" => self.name(key),
            "channel" => channel_zh(key).to_owned(),
            "status" => status_zh(key).to_owned(),
            "category" => self
                .rules
                .taxonomy
                .category(key, None)
                .map(|e| e.name.clone())
                .unwrap_or_else(|_| {
                    if key.is_empty() {
                        "未分类".into()
                    } else {
                        key.to_owned()
                    }
                }),
            "purpose" => self
                .rules
                .taxonomy
                .purpose(key)
                .map(|e| e.name.clone())
                .unwrap_or_else(|_| {
                    if key.is_empty() {
                        "未注明".into()
                    } else {
                        key.to_owned()
                    }
                }),
            _ => key.to_owned(),
        }
    }
}
