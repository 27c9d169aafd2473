//! The console's own words: headings, buttons, hints, in both languages. What
//! the console shows of the domain (statuses, steps, deadlines, units, the
//! ledger's elements) comes from the label tables and the views instead.

use crate::labels::Label;

pub const TITLE: Label = Label::new("信访工作平台", "Petition work console");
pub const MY_WORK: Label = Label::new("我的待办", "My work");
pub const REGISTER: Label = Label::new("登记", "Register");
pub const SKIP: Label = Label::new("跳到正文", "Skip to the page");
pub const SIGN_IN: Label = Label::new("登录", "Sign in");
pub const SIGN_OUT: Label = Label::new("退出", "Sign out");
pub const USER: Label = Label::new("用户名", "User name");
pub const PASSWORD: Label = Label::new("密码", "Password");
pub const SIGN_IN_AGAIN: Label = Label::new(
    "会话已结束或未登录，请重新登录。",
    "Your session has ended or you are not signed in: sign in again.",
);
pub const FORGED: Label = Label::new(
    "表单已失效（缺少或不符的防伪令牌），未作任何更改。请刷新页面后重试。",
    "The form is stale (its anti-forgery token is missing or wrong); nothing was changed. Reload the page and try again.",
);
pub const DENIED: Label = Label::new("无权执行此操作", "Not allowed");
pub const BAD_REQUEST: Label = Label::new("请求有误", "Bad request");
pub const NOT_FOUND: Label = Label::new("未找到", "Not found");
pub const FAILED: Label = Label::new("出错了", "Something went wrong");
pub const BACK_TO_WORK: Label = Label::new("返回我的待办", "Back to my work");

// My work.
pub const AWAITING_US: Label = Label::new(
    "转送/交办给本单位、尚未受理",
    "Forwarded or assigned to us, not yet taken up",
);
pub const OPEN_CASES: Label = Label::new("在办案件", "Open cases");
pub const SUPERVISED: Label = Label::new("上级督办", "Supervision from above");
pub const SUPERVISED_BY: Label = Label::new("督办单位", "Supervised by");
pub const SUPERVISION_DUE: Label = Label::new("督办期限", "Due");
pub const NONE: Label = Label::new("暂无", "None");
pub const SEARCH: Label = Label::new("案件编号或信访人", "Case number or petitioner");
pub const STATUS: Label = Label::new("状态", "Status");
pub const ANY: Label = Label::new("全部", "Any");
pub const UNIT_BELOW: Label = Label::new("下级单位", "Unit below");
pub const FILTER: Label = Label::new("筛选", "Filter");
pub const CASE_NO: Label = Label::new("案件编号", "Case number");
pub const HANDLING_UNIT: Label = Label::new("承办单位", "Handling unit");
pub const LEAD_UNIT: Label = Label::new("主办单位", "Lead unit");
pub const REGISTERED_AT: Label = Label::new("登记单位", "Registered at");
pub const REGISTERED_ON: Label = Label::new("登记时间", "Registered on");
pub const PETITIONER_HISTORY: Label = Label::new("信访人查询", "Petitioner history");
pub const HISTORY_HINT: Label = Label::new(
    "按公民身份号码或联系电话查询本单位及下级单位的全部信访事项（含已办结），重复信访标明所重复的事项。每次查询记入审计日志。",
    "Every case of one petitioner held here and below (closed ones too), by identity number or phone; repeats name the case they repeat. Each search is in the audit log.",
);
pub const HISTORY_SEARCH: Label = Label::new("查询", "Search");
pub const HISTORY_ASK: Label = Label::new(
    "请填写公民身份号码或联系电话",
    "type an identity number or a phone number",
);
pub const HISTORY_FOUND: Label = Label::new("该信访人的信访事项", "This petitioner's cases");
pub const NEXT_DEADLINE: Label = Label::new("下一期限", "Next deadline");
pub const DAYS_LEFT: Label = Label::new("剩余工作日", "Working days left");
pub const OVERDUE: Label = Label::new("已超期", "overdue");
pub const DUE_SOON: Label = Label::new("即将到期", "due soon");
pub const PREVIOUS: Label = Label::new("上一页", "Previous");
pub const NEXT: Label = Label::new("下一页", "Next");
pub const PAGES: Label = Label::new("分页", "Pages");
pub const PAGE: Label = Label::new("第 {} 页", "Page {}");

// Register.
pub const REGISTER_TITLE: Label = Label::new("信访事项登记", "Register a petition");
pub const SAVE: Label = Label::new("登记", "Register");
pub const PICK: Label = Label::new("（请选择）", "(choose)");
pub const ONE_PER_LINE: Label = Label::new("每行一人", "one per line");
pub const FIX_BELOW: Label = Label::new(
    "登记未保存：请按提示修改标出的字段。",
    "Not registered: correct the field marked below.",
);
pub const REGISTERED: Label = Label::new("已登记", "Registered");
pub const QUERY_CODE: Label = Label::new("查询码", "Query code");
pub const QUERY_CODE_ONCE: Label = Label::new(
    "（仅此一次显示，请交给信访人，凭案件编号和查询码查询办理进展；遗失可重新发放）",
    "(shown this once: hand it to the petitioner, who follows the case with its number and this code; if lost, reissue it)",
);
pub const REPEAT_OF: Label = Label::new("重复信访，前案", "Repeat petition of");
pub const MATCHES_FOUND: Label = Label::new(
    "发现相同信访人就同一事项的在先案件",
    "Earlier cases of this petitioner on the same matter",
);
pub const CONFIRM_HINT: Label = Label::new(
    "请核对后确认登记；登记后案件记明上述关联。",
    "Check, then confirm: the case will record these links.",
);
pub const CONFIRM_SAVE: Label = Label::new("确认登记", "Confirm and register");
pub const SKIP_LEVEL_OF: Label = Label::new("越级访，下级在办", "Skip-level petition over");
pub const SKIP_LEVEL_CASE: Label = Label::new("下级在办事项编号", "Case handled below");
pub const HIGHER_VISIT_TO: Label = Label::new("去向", "To");
pub const HIGHER_VISIT_ON: Label = Label::new("上访日期", "Date");
pub const HIGHER_VISIT_PLACE: Label = Label::new("上访地点", "Place");

// The case file.
pub const CASE_FILE: Label = Label::new("案件", "Case");
pub const BLOCKERS: Label = Label::new("不能办结的原因", "What blocks closing");
pub const HISTORY: Label = Label::new("办理经过", "History");
pub const ACTIONS: Label = Label::new("可办理的操作", "What you can do now");
pub const NO_ACTIONS: Label = Label::new(
    "您的角色在此案件上没有可办理的操作。",
    "Your roles offer no action on this case.",
);
pub const BY: Label = Label::new("经办人", "by");
pub const REFUSED: Label = Label::new("未办理", "Not done");
// Printed notices.
pub const NOTICES: Label = Label::new("文书", "Notices");
pub const ISSUE_NOTICE: Label = Label::new("出具文书", "Issue a notice");
pub const NOTICE_KIND: Label = Label::new("文书种类", "Kind of notice");
pub const ISSUED: Label = Label::new("已出具", "Issued");
pub const PRINT_RECEIPT: Label = Label::new(
    "打印回执（含查询码）",
    "Print the receipt (with the query code)",
);
pub const DONE: Label = Label::new("已办理", "Done");

// Fields of the steps' forms.
pub const TO_UNIT: Label = Label::new("接收单位", "To unit");
pub const DUE: Label = Label::new("办理期限", "Due");
pub const REASON: Label = Label::new("理由", "Reason");
pub const NOTICE: Label = Label::new("告知书内容", "Written notice");
pub const COMPETENT_AUTHORITY: Label = Label::new("有权处理机关", "Competent authority");
pub const DECISION: Label = Label::new("甄别结果", "Decision");
pub const TRACK: Label = Label::new("法定途径", "Legal procedure");
pub const LEADER: Label = Label::new("领导", "Leader");
pub const SAME_PETITIONER_CASE: Label = Label::new(
    "同一信访人的另一事项编号",
    "Case number of the same person's other case",
);
pub const LIBRARY: Label = Label::new("包案案件库", "Owned-case library");
pub const LIBRARY_HINT: Label = Label::new(
    "在案件页“列入包案案件库”，再按领导分管工作“呈报领导包案”；领导同意（领导包案）后即公示。",
    "List a case on its page, then report it to a leader by portfolio; once the leader owns it, it is published.",
);
pub const LIBRARY_PUBLISHED: Label = Label::new("公示名单", "Published list");
pub const LIBRARY_UNCOVERED: Label = Label::new(
    "按本单位规则须包案、尚未筛选案件的领导：",
    "Leaders the rules want to own a case who have none selected yet: ",
);
pub const LIBRARY_OPEN: Label = Label::new("办理中", "Being handled");
pub const LIBRARY_DONE: Label = Label::new("已办结", "Concluded");
pub const LIBRARY_PROPOSED: Label = Label::new("已呈报", "Reported to");
pub const LIBRARY_OWNER: Label = Label::new("包案领导", "Owner");
pub const LIBRARY_SUGGESTED: Label =
    Label::new("分管对口领导", "Leaders whose portfolio covers it");
pub const LIBRARY_AREA: Label = Label::new("重点领域或群体", "Key area or group");
pub const PUBLIC_TITLE: Label = Label::new(
    "公示事由（不含姓名、证件号、电话）",
    "Published as (no names, ID or phone numbers)",
);
pub const PORTFOLIO_BASIS: Label = Label::new("所属分管工作", "Portfolio it falls under");
pub const WORK_GROUP: Label = Label::new(
    "工作专班成员（以、分隔）",
    "Work group members (separated by 、)",
);
pub const TEXT: Label = Label::new("内容", "Text");
pub const METHOD: Label = Label::new("督办方式", "Method");
pub const DEMAND: Label = Label::new("督办要求", "Demand");
pub const DAYS: Label = Label::new("延长天数", "Days");
pub const APPROVED_BY: Label = Label::new("批准人", "Approved by");
pub const OPINION: Label = Label::new("处理意见", "Opinion");
pub const ACCEPTANCE: Label = Label::new("对受理的评价", "On acceptance");
pub const HANDLING: Label = Label::new("对办理的评价", "On handling");
pub const FACTS_CLEAR: Label = Label::new("事实已查清", "Facts are clear");
pub const HANDLED_IN_PLACE: Label = Label::new("问题已处理到位", "Handled in place");
pub const FILE_COMPLETE: Label = Label::new("案卷完整", "Case file complete");
pub const STAGE: Label = Label::new("阶段", "Stage");
pub const VERIFICATION: Label = Label::new("核实意见", "Verification");
pub const AGREE: Label = Label::new("同意（案件退回本单位）", "Agree (the case returns to us)");
pub const DISAGREE: Label = Label::new("不同意（仍由原单位办理）", "Disagree (the unit keeps it)");
pub const NOTICE_TEXT: Label = Label::new("告知内容", "Notice");
pub const URGENT: Label = Label::new("紧急", "Urgent");
pub const CIRCUMSTANCES: Label = Label::new("拒不表态的情形", "Circumstances");
pub const NOT_DAYS: Label = Label::new("须为整数天数", "must be a whole number of days");
pub const PICK_ONE: Label = Label::new("请选择一项", "pick one");

// The audit log.
pub const AUDIT: Label = Label::new("审计日志", "Audit log");
pub const REFUSED_ONLY: Label = Label::new("仅看被拒绝的", "Refusals only");
pub const WHEN: Label = Label::new("时间", "When");
pub const ROLES: Label = Label::new("角色", "Roles");
pub const WHAT: Label = Label::new("操作", "Action");
pub const TARGET: Label = Label::new("对象", "Target");
pub const OUTCOME: Label = Label::new("结果", "Outcome");
pub const ALLOWED: Label = Label::new("已允许", "Allowed");
pub const DENIED_OUTCOME: Label = Label::new("已拒绝", "Refused");
pub const PRINT: Label = Label::new("打印回执", "Print a receipt");

// Users.
pub const USERS: Label = Label::new("用户", "Users");
pub const DISPLAY_NAME: Label = Label::new("姓名", "Name");
pub const ACCOUNT_STATE: Label = Label::new("状态", "State");
pub const ENABLED: Label = Label::new("启用", "enabled");
pub const DISABLED: Label = Label::new("停用", "disabled");
pub const ADD_USER: Label = Label::new("添加用户", "Add a user");
pub const CHANGE_USER: Label = Label::new("修改角色或重置密码", "Change roles or reset a password");
pub const INITIAL_PASSWORD: Label = Label::new("初始密码", "Initial password");
pub const NEW_PASSWORD: Label = Label::new("新密码", "New password");
pub const SET_ROLES: Label = Label::new("保存角色", "Save roles");
pub const RESET_PASSWORD: Label = Label::new("重置密码", "Reset the password");
pub const SAVED: Label = Label::new("已保存", "Saved");

// Reports.
pub const REPORTS: Label = Label::new("报表", "Reports");
pub const MONTH: Label = Label::new("月份", "Month");
pub const SHOW: Label = Label::new("查看", "Show");
pub const RATE_DRILL: Label = Label::new(
    "点击分子或分母的数字，列出其背后的案件。",
    "Click a numerator or denominator to list the cases behind it.",
);
pub const CASES_BEHIND: Label = Label::new("数字背后的案件", "The cases behind a number");
pub const TOTAL: Label = Label::new("共", "Total");
pub const DOWNLOAD: Label = Label::new("下载", "Download");
pub const BACK_TO_REPORTS: Label = Label::new("返回报表", "Back to the reports");

// Links.
pub const LINKS: Label = Label::new("链路", "Links");
pub const PEER: Label = Label::new("对端单位", "Peer");
pub const LINK_ROLE: Label = Label::new("关系", "Relation");
pub const PARENT: Label = Label::new("上级", "parent");
pub const CHILD: Label = Label::new("下级", "child");
pub const CONNECTED: Label = Label::new("已连接", "Connected");
pub const YES: Label = Label::new("是", "yes");
pub const NO: Label = Label::new("否", "no");
pub const LAG: Label = Label::new("待同步", "Lag");
pub const LAST_SYNC: Label = Label::new("最近同步", "Last in sync");
pub const QUARANTINED: Label = Label::new("拒收文档", "Refused documents");
pub const LEDGER_FLAG: Label = Label::new("账本标记", "Ledger flag");
pub const CLOCK_OFFSET: Label = Label::new("时钟偏差", "Clock offset");
pub const CLOCK_ALERT: Label = Label::new("时钟告警", "clock alert");
pub const CERT_EXPIRY: Label = Label::new("证书到期", "Certificate expires");
pub const LAST_ERROR: Label = Label::new("最近错误", "Last error");
pub const RECOVERING: Label = Label::new("恢复中，自", "Recovering since");
pub const CREDENTIALS: Label = Label::new("本节点证书", "This node's certificates");
pub const NO_TLS: Label = Label::new("本节点未启用 TLS。", "This node runs without TLS.");
pub const CERT_SUBJECT: Label = Label::new("证书", "Certificate");
pub const DAYS_LEFT_CAL: Label = Label::new("剩余天数", "Days left");
pub const INTEGRITY_ALERT: Label = Label::new("完整性告警", "Integrity alert");

// The filing board.
pub const FILINGS: Label = Label::new("备案", "Filings");
pub const UNIT: Label = Label::new("单位", "Unit");
pub const FILING_DEADLINE: Label = Label::new("备案期限", "Due");
pub const RECEIVED_AT: Label = Label::new("收到时间", "Received");
pub const VIOLATIONS: Label = Label::new("违反规则数", "Rules broken");
pub const DRILL_UNIT: Label = Label::new(
    "点击单位名称，查看其报备的接访安排表。",
    "Click a unit's name to see the table it filed.",
);

// Reception schedules.
pub const SCHEDULES: Label = Label::new("接访安排", "Reception schedules");
pub const SCHEDULE_STATE: Label = Label::new("状态", "State");
pub const RULE_SET: Label = Label::new("接访规则", "Rules");
pub const DATE: Label = Label::new("日期", "Date");
pub const WEEKDAY: Label = Label::new("星期", "Weekday");
pub const RECEPTION_LEADER: Label = Label::new("接访领导", "Leader");
pub const RECEPTION_PLACE: Label = Label::new("接访地点", "Place");
pub const DEFAULT_PLACE: Label = Label::new("默认接访地点", "Default place");
pub const DEFAULT_PLACE_HINT: Label = Label::new(
    "某日的接访地点留空时，按此地点安排。",
    "Used on days whose place is left empty.",
);
pub const RECEPTION_FORM: Label = Label::new("接访方式", "Form");
pub const TOPIC: Label = Label::new("专题", "Topic");
pub const RECEPTION_HOURS: Label = Label::new("接访时段", "Hours");
pub const NON_WORKING_DAY: Label = Label::new("非工作日接访", "On a non-working day");
pub const CHECK: Label = Label::new("检查", "Check");
pub const SAVE_DRAFT: Label = Label::new("保存草稿", "Save the draft");
pub const NO_ROSTER: Label = Label::new(
    "本单位的领导花名册为空：先导入安排表（可同时建立花名册），或用命令行添加领导。",
    "The unit's roster of leaders is empty: import a table (which can create it) or add leaders from the command line.",
);
pub const RULES_BROKEN: Label = Label::new("违反接访规则", "Rules broken");
pub const RULES_PASS: Label = Label::new("未发现违反接访规则之处。", "No rule is broken.");
pub const UNSAVED_CHECK: Label = Label::new(
    "按当前表格（尚未保存）检查的结果：",
    "Checked as the table stands now (not saved yet):",
);
pub const TABLE_REFUSED: Label = Label::new(
    "安排表未保存：请按提示修改标出的行。",
    "Not saved: correct the rows marked below.",
);
pub const DRAFT_SAVED: Label = Label::new("草稿已保存。", "The draft is saved.");
pub const IMPORT: Label = Label::new("导入安排表", "Import a table");
pub const IMPORT_FILE: Label = Label::new("安排表文件（CSV 或 XLSX）", "Table file (CSV or XLSX)");
pub const CREATE_ROSTER: Label = Label::new(
    "表中领导不在花名册上时加入花名册",
    "Add leaders the roster lacks",
);
pub const IMPORTED: Label = Label::new("已导入。", "Imported.");
pub const REVIEW: Label = Label::new("审核", "Review");
pub const APPROVE: Label = Label::new("审定并报备", "Approve and file");
pub const OVERRIDE_REASON: Label = Label::new("审定理由", "Override reason");
pub const OVERRIDE_HINT: Label = Label::new(
    "安排违反接访规则时必填：说明为何仍予审定。",
    "Required when the schedule breaks a rule: why it is approved anyway.",
);
pub const PUBLISH: Label = Label::new("公布", "Publish");
pub const ADJUST: Label = Label::new("调整", "Adjust");
pub const ADJUST_DATE: Label = Label::new("调整日期", "Date");
pub const FROM_LEADER: Label = Label::new("原接访领导", "Leader replaced");
pub const TO_LEADER: Label = Label::new("接替领导", "Leader taking the day");
pub const SWAP_DATE: Label = Label::new("对调日期", "Swap with date");
pub const ADJUST_HINT: Label = Label::new(
    "填写接替领导即替换；填写对调日期即与该日的领导对调。",
    "Name the leader taking the day to replace, or a date to swap with.",
);
pub const ATTENDANCE: Label = Label::new("到岗登记", "Attendance");
pub const ATTENDANCE_DATE: Label = Label::new("接访日期", "Date");
pub const ATTENDED: Label = Label::new("到岗情况", "Attendance");
pub const HELD: Label = Label::new("到岗", "held");
pub const MISSED: Label = Label::new("缺岗", "missed");
pub const VISITORS: Label = Label::new("接待人数", "Visitors");
pub const ABSENCE_REASON: Label = Label::new("缺岗原因", "Reason for absence");
pub const ADJUSTMENTS: Label = Label::new("调整记录", "Adjustments");
pub const ATTENDANCE_RECORDS: Label = Label::new("到岗记录", "Attendance");
pub const STEP_DONE: Label = Label::new("已办理", "Done");
pub const REVIEWED_BY: Label = Label::new("审核", "Reviewed");
pub const APPROVED_ON: Label = Label::new("审定", "Approved");
pub const PUBLISHED_AT: Label = Label::new("公布时间", "Published");
pub const FILING_STATUS: Label = Label::new("报备情况", "Filing");
pub const NOTHING_FILED: Label = Label::new(
    "该单位本月尚未报备接访安排。",
    "The unit has filed nothing for this month.",
);
pub const SCHEDULE_OF: Label = Label::new("接访安排表", "Reception schedule");
pub const BACK_TO_FILINGS: Label = Label::new("返回备案", "Back to the filings");
pub const ENTRIES: Label = Label::new("安排", "Entries");
