//! The public page's own words, in both languages. What it shows of the case
//! (status, steps, deadlines, ratings, units) comes from the label tables and
//! the case service's progress view instead.

use crate::labels::Label;

pub const TITLE: Label = Label::new("信访事项查询", "Petition progress");
pub const INTRO: Label = Label::new(
    "请输入回执上的信访事项编号和查询码。",
    "Enter the case number and the query code printed on your receipt.",
);
pub const CASE_NO: Label = Label::new("信访事项编号", "Case number");
pub const CODE: Label = Label::new("查询码", "Query code");
pub const LOOK_UP: Label = Label::new("查询", "Look up");
pub const NO_MATCH: Label = Label::new(
    "未能查询到与该编号和查询码相符的信访事项，请核对后重试。",
    "No case matches this number and query code. Check both and try again.",
);
pub const SLOWED: Label = Label::new(
    "该编号查询码错误次数过多，请于 {} 秒后再试。",
    "Too many wrong codes for this number: try again in {} seconds.",
);
pub const BAD_INPUT: Label = Label::new("输入有误", "Please check your input");
pub const FAILED: Label = Label::new(
    "系统暂时无法查询，请稍后再试。",
    "The page cannot answer just now; please try again later.",
);
pub const NOT_HERE: Label = Label::new("此页面不存在。", "There is no such page.");
pub const PLAN_TITLE: Label = Label::new("{}领导接访安排公示", " — leaders' receptions, {}");
pub const PLAN_LINK: Label = Label::new("领导接访安排公示", "Leaders' reception schedule");
pub const PLAN_NONE: Label = Label::new(
    "本季度的接访安排尚未公示。",
    "No reception schedule of this quarter is published yet.",
);
pub const PLAN_DATE: Label = Label::new("接访日期", "Date");
pub const PLAN_TIME: Label = Label::new("时间", "Hours");
pub const PLAN_LEADER: Label = Label::new("接访领导", "Leader");
pub const PLAN_PORTFOLIO: Label = Label::new("分管工作", "Portfolio");
pub const PLAN_PLACE: Label = Label::new("接访地点", "Place");
pub const PLAN_FORM: Label = Label::new("接访形式", "Form");
pub const PLAN_BOOKED: Label = Label::new("约访事项（件）", "Matters booked");
pub const OWNED_TITLE: Label = Label::new("领导包案信访事项公示", "Cases owned by leaders");
pub const OWNED_INTRO: Label = Label::new(
    "以下信访事项由领导包案化解，经包案领导同意后公示。",
    "These petition matters are owned by leaders, published once each leader agreed.",
);
pub const OWNED_NONE: Label = Label::new("暂无公示的包案事项。", "No owned case is published yet.");
pub const OWNED_MATTER: Label = Label::new("信访事项", "Matter");
pub const OWNED_AREA: Label = Label::new("领域", "Area");
pub const OWNED_LEADER: Label = Label::new("包案领导", "Owning leader");
pub const OWNED_SINCE: Label = Label::new("包案日期", "Owned since");
pub const OWNED_OPEN: Label = Label::new("办理中", "Being handled");
pub const OWNED_DONE: Label = Label::new("已办结", "Concluded");
pub const BACK: Label = Label::new("重新查询", "Look up another case");
pub const PETITIONER: Label = Label::new("信访人", "Petitioner");
pub const REGISTERED: Label = Label::new("登记日期", "Registered on");
pub const REGISTERED_BY: Label = Label::new("登记单位", "Registered by");
pub const STATUS: Label = Label::new("办理状态", "Status");
pub const HANDLING_UNIT: Label = Label::new("承办单位", "Handling unit");
pub const DEADLINES: Label = Label::new("办理时限", "Time limits");
pub const WHAT: Label = Label::new("事项", "Step");
pub const UNIT: Label = Label::new("单位", "Unit");
pub const DUE: Label = Label::new("期限", "Due");
pub const DONE_ON: Label = Label::new("完成日期", "Done on");
pub const KEPT: Label = Label::new("是否按期", "In time");
pub const KEPT_YES: Label = Label::new("按期", "in time");
pub const KEPT_NO: Label = Label::new("超期", "late");
pub const KEPT_OPEN: Label = Label::new("办理中", "open");
pub const NOTICES: Label = Label::new("书面告知", "Written notices");
pub const DOWNLOAD: Label = Label::new("下载", "Download");
pub const REPLY: Label = Label::new("答复意见", "Reply");
pub const NONE_YET: Label = Label::new("暂无", "None yet");
pub const RATING: Label = Label::new("满意度评价", "Your rating");
pub const RATE_UNTIL: Label = Label::new(
    "请对办理结果作出评价（{} 前有效，仅可评价一次）：",
    "Please rate the handling (until {}; once only):",
);
pub const RATE: Label = Label::new("提交评价", "Submit rating");
pub const RATED: Label = Label::new("已评价：", "Rated: ");
pub const THANKS: Label = Label::new("评价已提交，谢谢。", "Your rating is recorded. Thank you.");
pub const RATING_REFUSED: Label = Label::new("评价未提交", "The rating was not recorded");
pub const RATING_BEFORE_REPLY: Label =
    Label::new("答复作出后才能评价。", "A rating follows the reply.");
pub const RATING_ONCE: Label = Label::new(
    "该答复已评价，不能重复评价。",
    "This reply has been rated already; it is rated once.",
);
pub const RATING_WINDOW: Label =
    Label::new("评价期限已过。", "The time to rate this reply has passed.");
pub const RATING_CLOSED: Label = Label::new(
    "该信访事项已不能评价。",
    "This case can no longer be rated.",
);
