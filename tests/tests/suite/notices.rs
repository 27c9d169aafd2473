//! The printed documents a petitioner is owed: the receipt and the eight notices,
//! issued on real cases across a federation, read back with Poppler's
//! `pdftotext` (their text holds the case number, the unit's name, the deadline
//! or window they must state, and never an ID number in clear) and drawn to PNG
//! with `pdftoppm` into `notice-pages/` in the build's target folder, for people
//! to look at.

use serde_json::json;
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::notices_client::NoticesClient;
use xinfang_tests::pdf::{text_of, tools_or_skip};
use xinfang_tests::*;

async fn notices(fed: &Federation, unit: &str) -> anyhow::Result<NoticesClient<Api>> {
    Ok(NoticesClient::new(fed.channel(unit).await?).max_decoding_message_size(16 << 20))
}

async fn issue(
    fed: &Federation,
    unit: &str,
    case_no: &str,
    kind: &str,
    facts: &str,
    basis: &str,
) -> Result<pb::IssuedNotice, tonic::Status> {
    notices(fed, unit)
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?
        .issue_notice(pb::IssueNoticeRequest {
            case_no: case_no.into(),
            kind: kind.into(),
            facts: facts.into(),
            basis: basis.into(),
            remarks: String::new(),
        })
        .await
        .map(tonic::Response::into_inner)
}

/// 2027年1月31日 from 2027-01-31.
fn chinese(date: &str) -> String {
    let mut p = date.split('-').map(|s| s.parse::<u32>().unwrap_or(0));
    let (y, m, d) = (p.next(), p.next(), p.next());
    format!(
        "{}年{}月{}日",
        y.unwrap_or(0),
        m.unwrap_or(0),
        d.unwrap_or(0)
    )
}

/// `days` days from the day of `registered_at` in China, rolled past a weekend
/// (the test runs in years the holiday calendar may not know, which then
/// counts weekends only), in Chinese.
fn days_from(registered_at: &str, days: i64) -> String {
    use chrono::{Datelike, Weekday};
    let at = chrono::DateTime::parse_from_rfc3339(registered_at).expect("an RFC 3339 time");
    let mut due = (at + chrono::Duration::hours(8)).date_naive() + chrono::Duration::days(days);
    while matches!(due.weekday(), Weekday::Sat | Weekday::Sun) {
        due += chrono::Duration::days(1);
    }
    chinese(&due.to_string())
}

/// Waits until `unit` holds the case with a record of `kind`.
async fn has_record(fed: &Federation, unit: &str, case_no: &str, kind: &str) -> anyhow::Result<()> {
    wait_for(&format!("{kind} at {unit}"), PATIENCE, || async {
        Ok(fed
            .case_at(unit, case_no)
            .await?
            .filter(|c| c.records.iter().any(|r| r.kind == kind))
            .map(|_| ()))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_notice_is_printed_from_the_case_and_states_what_it_must() -> anyhow::Result<()> {
    if !tools_or_skip("every_notice_is_printed_from_the_case_and_states_what_it_must") {
        return Ok(());
    }
    let fed = Federation::start(Backend::Sqlite, haifeng()).await?;
    let id = id_number("44152119800101123");
    let case = fed
        .client(COMM_A)
        .await?
        .register_case(pb::RegisterCaseRequest {
            unit: COMM_A.into(),
            petitioner: "张三".into(),
            content: "村道塌陷无人修缮".into(),
            id_number: id.clone(),
            ..Default::default()
        })
        .await?
        .into_inner();
    let no = case.case_no.clone();

    // The receipt: the case number, the unit, when the petitioner hears next,
    // and the query code the registration handed out (checked: a code not the
    // case's own is refused naming the field).
    let receipt = notices(&fed, COMM_A)
        .await?
        .get_receipt(pb::GetReceiptRequest {
            case_no: no.clone(),
            query_code: case.query_code.clone(),
        })
        .await?
        .into_inner();
    let text = text_of(&receipt.pdf, "receipt")?;
    assert!(text.contains(&no) && text.contains("城东社区"), "{text}");
    assert!(text.contains("15日内") && text.contains("查询"), "{text}");
    let code: String = case
        .query_code
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    assert!(
        !code.is_empty() && text.contains(&code),
        "{code} missing from: {text}"
    );
    assert!(!text.contains(&id), "the ID number is printed in clear");
    let forged = notices(&fed, COMM_A)
        .await?
        .get_receipt(pb::GetReceiptRequest {
            case_no: no.clone(),
            query_code: "0000-0000-0000-0000".into(),
        })
        .await
        .expect_err("a code not the case's own");
    assert!(
        forged.message().contains("query_code"),
        "{}",
        forged.message()
    );
    let reprint = notices(&fed, COMM_A)
        .await?
        .get_receipt(pb::GetReceiptRequest {
            case_no: no.clone(),
            query_code: String::new(),
        })
        .await?
        .into_inner();
    let text = text_of(&reprint.pdf, "receipt-reprint")?;
    assert!(!text.contains(&code), "a reprint carries no code");

    // 受理告知书: issued, it meets the duty to notify; it states the 60 days and
    // the handling deadline that now comes next.
    fed.act(
        COMM_A,
        &no,
        json!({"kind": "screening", "decision": {"decision": "accept"}}),
    )
    .await?;
    let accepted = issue(&fed, COMM_A, &no, "acceptance", "", "").await?;
    let summary = accepted.notice.clone().unwrap_or_default();
    assert!(
        summary.doc_no.starts_with("信受〔") && summary.doc_no.ends_with("〕1号"),
        "{summary:?}"
    );
    let after = accepted.case.clone().unwrap_or_default();
    let next = after.next_deadline.clone().unwrap_or_default();
    assert_ne!(
        next.kind, "notify",
        "the notice met the duty to notify: {after:?}"
    );
    let text = text_of(&accepted.pdf, "acceptance")?;
    let handle_due = days_from(&after.registered_at, 60);
    for must in [
        no.as_str(),
        "城东社区",
        "信访事项受理告知书",
        "村道塌陷无人修缮",
        "60日内",
        handle_due.as_str(),
    ] {
        assert!(text.contains(must), "{must} missing from: {text}");
    }
    assert!(!text.contains(&id));

    // Drawn again from its record, the same bytes; listed with its number.
    let again = notices(&fed, COMM_A)
        .await?
        .get_notice(pb::GetNoticeRequest {
            case_no: no.clone(),
            doc_no: summary.doc_no.clone(),
        })
        .await?
        .into_inner();
    assert_eq!(again.pdf, accepted.pdf);
    assert!(!again.redrawn_differs);

    // 延期办理告知书: the days, the reason, the new deadline.
    let extended = fed
        .act(
            COMM_A,
            &no,
            json!({"kind": "extension", "days": 20, "reason": "需现场勘查", "approved_by": "镇信访办"}),
        )
        .await?;
    // 60 days and the 20 approved.
    let handle_due = days_from(&extended.registered_at, 80);
    let ext = issue(&fed, COMM_A, &no, "extension", "", "").await?;
    let text = text_of(&ext.pdf, "extension")?;
    for must in [no.as_str(), "延长20日", "需现场勘查", handle_due.as_str()] {
        assert!(text.contains(must), "{must} missing from: {text}");
    }

    // 信访处理意见书: refused without its basis, naming it; then issued with the
    // review window and the organ to ask (the superior of the issuer).
    fed.act(
        COMM_A,
        &no,
        json!({"kind": "reply", "opinion": "support", "text": "道路已安排修复"}),
    )
    .await?;
    let refused = issue(&fed, COMM_A, &no, "handling_opinion", "村道塌陷属实", "")
        .await
        .expect_err("an opinion without its basis");
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert!(refused.message().contains("basis"), "{}", refused.message());
    let refused = issue(
        &fed,
        COMM_A,
        &no,
        "handling_opinion",
        "",
        "《公路法》第四十三条",
    )
    .await
    .expect_err("an opinion without its facts");
    assert!(refused.message().contains("facts"), "{}", refused.message());
    let opinion = issue(
        &fed,
        COMM_A,
        &no,
        "handling_opinion",
        "村道塌陷属实",
        "《公路法》第四十三条",
    )
    .await?;
    let text = text_of(&opinion.pdf, "handling-opinion")?;
    for must in [
        no.as_str(),
        "城东社区",
        "村道塌陷属实",
        "《公路法》第四十三条",
        "30日内",
        "海城镇",
        "请求复查",
    ] {
        assert!(text.contains(must), "{must} missing from: {text}");
    }

    // 复查意见书 at the town (the issuer's superior), naming the county for 复核;
    // 复核意见书 at the county, final; 不再受理告知书 after it.
    fed.act(
        COMM_A,
        &no,
        json!({"kind": "review_request", "stage": "review"}),
    )
    .await?;
    has_record(&fed, TOWN_A, &no, "review_request").await?;
    fed.act(TOWN_A, &no, json!({"kind": "review_decision", "stage": "review", "opinion": "support", "text": "维持原处理意见"}))
        .await?;
    let review = issue(
        &fed,
        TOWN_A,
        &no,
        "review_opinion",
        "经复查，原处理意见认定事实清楚",
        "《信访工作条例》第三十五条",
    )
    .await?;
    let text = text_of(&review.pdf, "review-opinion")?;
    for must in [
        no.as_str(),
        "海城镇",
        "复查意见",
        "30日内",
        "海丰县",
        "请求复核",
    ] {
        assert!(text.contains(must), "{must} missing from: {text}");
    }
    has_record(&fed, COMM_A, &no, "review_decision").await?;
    fed.act(
        COMM_A,
        &no,
        json!({"kind": "review_request", "stage": "re_review"}),
    )
    .await?;
    has_record(&fed, COUNTY, &no, "review_request").await?;
    wait_for("the re-review request at the county", PATIENCE, || async {
        Ok(fed
            .case_at(COUNTY, &no)
            .await?
            .filter(|c| c.status == "under_re_review")
            .map(|_| ()))
    })
    .await?;
    fed.act(COUNTY, &no, json!({"kind": "review_decision", "stage": "re_review", "opinion": "support", "text": "维持复查意见"}))
        .await?;
    let rereview = issue(
        &fed,
        COUNTY,
        &no,
        "rereview_opinion",
        "经复核，复查意见正确",
        "《信访工作条例》第三十六条",
    )
    .await?;
    let text = text_of(&rereview.pdf, "rereview-opinion")?;
    for must in [no.as_str(), "海丰县", "复核意见", "不再受理"] {
        assert!(text.contains(must), "{must} missing from: {text}");
    }
    let last = issue(&fed, COUNTY, &no, "no_further_acceptance", "", "").await?;
    let text = text_of(&last.pdf, "no-further-acceptance")?;
    assert!(text.contains(&no) && text.contains("不再受理"), "{text}");

    // 不予受理告知书 names the competent authority.
    let other = fed
        .register(COMM_A, "李四", "邻里纠纷诉至法院")
        .await?
        .case_no;
    fed.act(
        COMM_A,
        &other,
        json!({"kind": "screening", "decision": {"decision": "not_accept", "notice": "该事项已进入诉讼程序", "competent_authority": "海丰县人民法院"}}),
    )
    .await?;
    let refusal = issue(&fed, COMM_A, &other, "non_acceptance", "", "").await?;
    let text = text_of(&refusal.pdf, "non-acceptance")?;
    for must in [other.as_str(), "城东社区", "海丰县人民法院", "不予受理"] {
        assert!(text.contains(must), "{must} missing from: {text}");
    }

    // 转送/交办告知书 names where it went and the due date.
    let third = fed
        .register(TOWN_A, "王五", "宅基地界址争议")
        .await?
        .case_no;
    fed.act(
        TOWN_A,
        &third,
        json!({"kind": "screening", "decision": {"decision": "accept"}}),
    )
    .await?;
    let due = in_days(14);
    fed.act(
        TOWN_A,
        &third,
        json!({"kind": "assign", "to": COMM_A, "due": due}),
    )
    .await?;
    let routed = issue(&fed, TOWN_A, &third, "transfer", "", "").await?;
    let text = text_of(&routed.pdf, "transfer")?;
    for must in [
        third.as_str(),
        "海城镇",
        "交办",
        "城东社区",
        chinese(&due).as_str(),
    ] {
        assert!(text.contains(must), "{must} missing from: {text}");
    }

    // A notice the case cannot support is refused with the rule named.
    let early = issue(&fed, TOWN_A, &third, "handling_opinion", "事实", "依据")
        .await
        .expect_err("no reply yet");
    assert!(
        early.message().contains("notice.no_reply"),
        "{}",
        early.message()
    );

    // Issued notices replicate as records: the city sees the printed ones.
    wait_for("the notices at the city", PATIENCE, || async {
        let c = fed.case_at(CITY, &no).await?;
        Ok(
            c.filter(|c| c.records.iter().filter(|r| r.kind == "notice").count() >= 6)
                .map(|_| ()),
        )
    })
    .await?;
    let listed = notices(&fed, CITY)
        .await?
        .list_notices(pb::ListNoticesRequest {
            case_no: no.clone(),
        })
        .await?
        .into_inner();
    assert_eq!(listed.notices.len(), 6, "{listed:?}");

    // The petitioner downloads the handling opinion from the city's public page
    // with the case's query code; a wrong code gets no document.
    let doc = opinion.notice.clone().unwrap_or_default().doc_no;
    let ask = |code: String| {
        let (no, doc) = (no.clone(), doc.clone());
        let addr = fed.public_addr(CITY);
        async move {
            http_request(
                addr,
                "POST",
                "/notice",
                Some(&[
                    ("case_no", no.as_str()),
                    ("code", code.as_str()),
                    ("doc", doc.as_str()),
                ]),
                &[],
            )
            .await
        }
    };
    let got = ask(case.query_code.clone()).await?;
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(
        got.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/pdf")
    );
    assert!(got.body.starts_with("%PDF-"));
    let wrong = ask("0000-0000-0000-0000".to_owned()).await?;
    assert_ne!(wrong.status, 200);
    assert!(!wrong.body.starts_with("%PDF-"));
    fed.shutdown().await;
    Ok(())
}
