//! Personal data stays at the registering unit; the same petitioner is still
//! recognised across nodes (repeat and skip-level petitions) through a keyed hash.
//! What the petitioner is given: a query code at registration, and with it the
//! public progress page (信访事项查询) at any node above, the rating through it,
//! and nothing else on that listener (the page in a browser: `public_page.rs`).

use anyhow::Context;
use xinfang_proto::v1 as pb;
use xinfang_tests::*;

fn petition(unit: &str, id: &str) -> pb::RegisterCaseRequest {
    pb::RegisterCaseRequest {
        unit: unit.into(),
        petitioner: "孙七".into(),
        content: "征地补偿款未足额发放".into(),
        id_number: id.into(),
        phone: "13800138000".into(),
        channel: "visit".into(),
        purpose: "request".into(),
        category: "land".into(),
        ..Default::default()
    }
}

both_stores! {
async fn same_petitioner_is_matched_across_nodes_without_the_number_leaving_in_clear(backend: Backend)
-> anyhow::Result<()> {
    let fed = Federation::start(backend, haifeng()).await?;
    let id = id_number("44152119800101123");
    let first = fed
        .client(COMM_A)
        .await?
        .register_case(petition(COMM_A, &id))
        .await?
        .into_inner();
    assert_eq!(
        first.id_number, id,
        "the registering node shows the number to its operator"
    );
    assert!(first.id_masked.starts_with("4415") && first.id_masked.contains("**********"));
    assert_eq!(first.phone_masked, "138****8000");
    fed.act(
        COMM_A,
        &first.case_no,
        serde_json::json!({"kind": "screening", "decision": {"decision": "accept"}}),
    )
    .await?;

    // The county sees the case, masked; the number and phone in clear never arrive.
    let at_county = wait_for("case at the county", PATIENCE, || async {
        Ok(fed
            .case_at(COUNTY, &first.case_no)
            .await?
            .filter(|c| c.status == "accepted"))
    })
    .await?;
    assert_eq!(at_county.id_number, "");
    assert_eq!(at_county.phone, "");
    assert_eq!(at_county.id_masked, first.id_masked);
    // The city gets it after the county: wait for it too before reading its store.
    wait_for("case at the city", PATIENCE, || async {
        Ok(fed
            .case_at(CITY, &first.case_no)
            .await?
            .filter(|c| c.status == "accepted"))
    })
    .await?;
    for u in [COMM_A, TOWN_A, COUNTY, CITY] {
        let store = fed.hub(u).store().clone();
        let rows = store.get(std::slice::from_ref(&first.doc_id)).await?;
        assert_eq!(rows.len(), 1, "the case is held at {u}");
        for r in rows {
            // Decode and render the whole document: compression cannot hide a value.
            let doc = automerge::AutoCommit::load(&r.bytes)?;
            let text = serde_json::to_string(&automerge::AutoSerde::from(&doc))?;
            assert!(
                text.contains(&first.id_masked),
                "the masked form is there at {u}"
            );
            assert!(
                !text.contains(&id) && !text.contains("13800138000"),
                "clear data in the document at {u}"
            );
        }
    }

    // The case goes to the town: the registering community seals the phone to the
    // town's certificate; the town reads it, the county in between cannot.
    fed.act(
        COMM_A,
        &first.case_no,
        serde_json::json!({"kind": "forward", "to": TOWN_A, "due": in_days(10)}),
    )
    .await?;
    wait_for("the forward at the town", PATIENCE, || async {
        Ok(fed
            .case_at(TOWN_A, &first.case_no)
            .await?
            .filter(|c| c.handling_unit == TOWN_A))
    })
    .await?;
    fed.act(
        TOWN_A,
        &first.case_no,
        serde_json::json!({"kind": "screening", "decision": {"decision": "accept"}}),
    )
    .await?;
    let at_town = wait_for("the sealed phone at the town", PATIENCE, || async {
        Ok(fed
            .case_at(TOWN_A, &first.case_no)
            .await?
            .filter(|c| !c.phone.is_empty()))
    })
    .await?;
    assert_eq!(at_town.phone, "13800138000");
    assert_eq!(
        at_town.id_number, "",
        "the ID number stays at the registering unit"
    );
    let kinds: Vec<&str> = at_town.records.iter().map(|r| r.kind.as_str()).collect();
    assert!(
        kinds.contains(&"contact_key") && kinds.contains(&"sealed_contact"),
        "{kinds:?}"
    );
    let county_view = wait_for("the sealed record at the county", PATIENCE, || async {
        Ok(fed
            .case_at(COUNTY, &first.case_no)
            .await?
            .filter(|c| c.records.iter().any(|r| r.kind == "sealed_contact")))
    })
    .await?;
    assert_eq!(
        county_view.phone, "",
        "the county must not read the sealed phone"
    );
    for u in [COMM_A, TOWN_A, COUNTY, CITY] {
        let store = fed.hub(u).store().clone();
        for r in store.get(std::slice::from_ref(&first.case_no)).await? {
            let doc = automerge::AutoCommit::load(&r.bytes)?;
            let text = serde_json::to_string(&automerge::AutoSerde::from(&doc))?;
            assert!(
                !text.contains(&id) && !text.contains("13800138000"),
                "clear data at {u} after sealing"
            );
        }
    }

    // The same person comes to the county about the same matter while the town is
    // still handling it: a repeat, and a skip-level petition that is not accepted
    // at the county.
    let again = fed
        .client(COUNTY)
        .await?
        .register_case(petition(COUNTY, &id))
        .await?
        .into_inner();
    assert_eq!(again.repeat_of, first.case_no);
    assert_eq!(again.skip_level_of, first.case_no);
    let refused = fed
        .act(
            COUNTY,
            &again.case_no,
            serde_json::json!({"kind": "screening", "decision": {"decision": "accept"}}),
        )
        .await
        .expect_err("a skip-level petition is not accepted above");
    assert!(
        refused
            .to_string()
            .contains("skip_level.not_accepted_above"),
        "{refused}"
    );

    // Superiors see both, and can list them.
    let flagged = wait_for("flags at the city", PATIENCE, || async {
        let rows = fed
            .client(CITY)
            .await?
            .list_cases(pb::ListCasesRequest {
                limit: 100,
                skip_level: true,
                ..Default::default()
            })
            .await?
            .into_inner()
            .cases;
        Ok(rows
            .iter()
            .any(|c| c.case_no == again.case_no)
            .then_some(rows))
    })
    .await?;
    assert_eq!(flagged.len(), 1);
    let repeats = fed
        .client(CITY)
        .await?
        .list_cases(pb::ListCasesRequest {
            limit: 100,
            repeat: true,
            ..Default::default()
        })
        .await?
        .into_inner()
        .cases;
    assert_eq!(repeats.len(), 1);
    // Another person on the same matter is neither.
    let other = id_number("44152119900202234");
    let third = fed
        .client(COUNTY)
        .await?
        .register_case(petition(COUNTY, &other))
        .await?
        .into_inner();
    assert_eq!(
        (third.repeat_of.as_str(), third.skip_level_of.as_str()),
        ("", "")
    );
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
async fn bad_registrations_name_the_field_and_write_nothing(backend: Backend) -> anyhow::Result<()> {
    let fed = Federation::start(backend, county_and_town()).await?;
    let good = id_number("44152119800101123");
    let mut bad_checksum = good.clone();
    bad_checksum.replace_range(17.., if good.ends_with('0') { "1" } else { "0" });
    let mut six = petition(COUNTY, &good);
    six.representatives = (1..=6).map(|i| format!("代表{i}")).collect();
    six.head_count = 40;
    let cases: Vec<(pb::RegisterCaseRequest, &str)> = vec![
        (
            pb::RegisterCaseRequest {
                category: "astrology".into(),
                ..petition(COUNTY, &good)
            },
            "category",
        ),
        (
            pb::RegisterCaseRequest {
                subcategory: "户籍".into(),
                ..petition(COUNTY, &good)
            },
            "category",
        ),
        (petition(COUNTY, &bad_checksum), "id_number"),
        (six, "representatives"),
        (
            pb::RegisterCaseRequest {
                channel: "pigeon".into(),
                ..petition(COUNTY, &good)
            },
            "channel",
        ),
        (
            pb::RegisterCaseRequest {
                place: "441599".into(),
                ..petition(COUNTY, &good)
            },
            "place",
        ),
        (
            pb::RegisterCaseRequest {
                phone: "12".into(),
                ..petition(COUNTY, &good)
            },
            "phone",
        ),
    ];
    for (req, field) in cases {
        let err = fed
            .client(COUNTY)
            .await?
            .register_case(req)
            .await
            .expect_err(field);
        assert_eq!(err.code(), tonic::Code::InvalidArgument, "{field}: {err}");
        assert!(
            err.message().contains(&format!("`{field}`")),
            "{field}: {}",
            err.message()
        );
    }
    assert!(
        fed.list(COUNTY).await?.is_empty(),
        "something was half-written"
    );
    let pii: i64 = {
        let hub = fed.hub(COUNTY);
        let n = hub.store().count_docs().await?;
        n as i64
    };
    assert_eq!(pii, 0);
    fed.shutdown().await;
    Ok(())
}
}

// ---------------------------------------------------------------------------
// The query code and the public progress page (信访事项查询).
// ---------------------------------------------------------------------------

/// The message a look-up page shows above its form (the neutral one, a wait, a
/// refusal), or "" when it shows none.
fn alert(body: &str) -> String {
    body.split_once("role=\"alert\">")
        .and_then(|(_, rest)| rest.split_once("</p>"))
        .map(|(m, _)| m.to_owned())
        .unwrap_or_default()
}

/// The petitioner looks the case up on `unit`'s public page.
async fn look_up(
    fed: &Federation,
    unit: &str,
    case_no: &str,
    code: &str,
) -> anyhow::Result<HttpAnswer> {
    http_request(
        fed.public_addr(unit),
        "POST",
        "/progress",
        Some(&[("case_no", case_no), ("code", code)]),
        &[],
    )
    .await
}

/// The petitioner rates the reply on `unit`'s public page.
async fn rate(
    fed: &Federation,
    unit: &str,
    case_no: &str,
    code: &str,
    rating: &str,
) -> anyhow::Result<HttpAnswer> {
    http_request(
        fed.public_addr(unit),
        "POST",
        "/rate",
        Some(&[("case_no", case_no), ("code", code), ("rating", rating)]),
        &[],
    )
    .await
}

/// Form fields a request sends, if any.
type Form<'a> = Option<&'a [(&'a str, &'a str)]>;

/// A code of the right form that is nobody's (fixed, so a failure is repeatable).
const NOBODYS_CODE: &str = "ZZZZ-ZZZZ-ZZZZ-ZZZ0";

/// The audit log's actions at `unit` on `target`, read as the operator.
async fn audited(fed: &Federation, unit: &str, target: &str) -> anyhow::Result<Vec<String>> {
    use xinfang_proto::v1::accounts_client::AccountsClient;
    Ok(AccountsClient::new(fed.operator_channel(unit).await?)
        .audit(pb::AuditRequest {
            limit: 1000,
            ..Default::default()
        })
        .await?
        .into_inner()
        .entries
        .into_iter()
        .filter(|e| e.target == target)
        .map(|e| e.action)
        .collect())
}

/// Registration hands out a query code once; the city (two tiers up) opens the
/// case with it after replication, showing a masked name and no other personal
/// data; a wrong code, another case's code, a number no case has and, once
/// reissued, the old code all get the same neutral message. The code is never
/// in any replica in clear; issue and reissue are audited; only the
/// registering unit reissues.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_code_opens_its_case_at_the_city_and_nothing_else_does() -> anyhow::Result<()> {
    let fed = Federation::start(Backend::Sqlite, haifeng()).await?;
    let id = id_number("44152119800101123");
    let mut town = fed.client(TOWN_A).await?;
    let first = town
        .register_case(petition(TOWN_A, &id))
        .await?
        .into_inner();
    let code = first.query_code.clone();
    assert_eq!(code.len(), 19, "four groups of four: {code}");
    let other = town
        .register_case(pb::RegisterCaseRequest {
            petitioner: "周八".into(),
            ..petition(TOWN_A, "")
        })
        .await?
        .into_inner();
    assert_ne!(other.query_code, code);
    // Reading the case never shows the code again.
    let read = fed
        .case_at(TOWN_A, &first.case_no)
        .await?
        .context("the case")?;
    assert_eq!(read.query_code, "");

    let at_city = wait_for("both cases at the city", PATIENCE, || async {
        let a = fed.case_at(CITY, &first.case_no).await?;
        let b = fed.case_at(CITY, &other.case_no).await?;
        Ok(a.zip(b))
    })
    .await?;
    assert_eq!(at_city.0.query_code, "");
    for u in [TOWN_A, COUNTY, CITY] {
        let rows = fed
            .hub(u)
            .store()
            .get(std::slice::from_ref(&first.doc_id))
            .await?;
        for r in rows {
            let doc = automerge::AutoCommit::load(&r.bytes)?;
            let text = serde_json::to_string(&automerge::AutoSerde::from(&doc))?;
            assert!(
                text.contains("\"query_code\""),
                "the salted hash travels to {u}"
            );
            assert!(
                !text.contains(&code) && !text.contains(&code.replace('-', "")),
                "the code in clear at {u}"
            );
        }
    }

    // The petitioner at the city's page: typed in lower case, without dashes.
    let typed = code.replace('-', "").to_lowercase();
    let page = look_up(&fed, CITY, &first.case_no, &typed).await?;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(&first.case_no));
    assert!(
        page.body.contains("孙*") && !page.body.contains("孙七"),
        "a masked name only"
    );
    assert!(page.body.contains("海城镇"), "the handling unit by name");
    assert!(
        page.body.contains("已登记"),
        "the status as the label table says it"
    );
    for personal in [
        id.as_str(),
        first.id_masked.as_str(),
        "13800138000",
        first.phone_masked.as_str(),
    ] {
        assert!(!page.body.contains(personal), "{personal} shown");
    }
    assert!(page.headers.get("set-cookie").is_none());
    let english = http_request(
        fed.public_addr(CITY),
        "POST",
        "/progress?lang=en",
        Some(&[("case_no", first.case_no.as_str()), ("code", code.as_str())]),
        &[],
    )
    .await?;
    assert_eq!(english.status, 200);
    assert!(english.body.contains("registered") && english.body.contains("Handling unit"));

    // Wrong code, another case's code, a number no case has: one answer.
    let wrong = look_up(&fed, CITY, &first.case_no, NOBODYS_CODE).await?;
    let swapped = look_up(&fed, CITY, &first.case_no, &other.query_code).await?;
    let unknown_no = format!("{TOWN_A}-2026-999999");
    let no_case = look_up(&fed, CITY, &unknown_no, &code).await?;
    for (what, a) in [
        ("wrong", &wrong),
        ("swapped", &swapped),
        ("no case", &no_case),
    ] {
        assert_eq!(a.status, 404, "{what}");
        assert!(
            !a.body.contains("孙*") && !a.body.contains("海城镇"),
            "{what}"
        );
    }
    assert!(!alert(&wrong.body).is_empty());
    assert_eq!(alert(&wrong.body), alert(&swapped.body));
    assert_eq!(alert(&wrong.body), alert(&no_case.body));
    // Bad input names the field.
    let short = look_up(&fed, CITY, &first.case_no, "1234").await?;
    assert_eq!(short.status, 400);
    assert!(alert(&short.body).contains("query_code"), "{}", short.body);

    // Only the registering unit reissues.
    let err = fed
        .client(CITY)
        .await?
        .reissue_query_code(pb::ReissueQueryCodeRequest {
            case_no: first.case_no.clone(),
        })
        .await
        .expect_err("the city is not the registering unit");
    assert_eq!(err.code(), tonic::Code::FailedPrecondition);
    assert!(
        err.message().contains("query_code.by_registering_unit"),
        "{err}"
    );
    let again = town
        .reissue_query_code(pb::ReissueQueryCodeRequest {
            case_no: first.case_no.clone(),
        })
        .await?
        .into_inner();
    let new_code = again.query_code.clone();
    assert!(new_code.len() == 19 && new_code != code);
    wait_for("the new code at the city", PATIENCE, || async {
        Ok((look_up(&fed, CITY, &first.case_no, &new_code).await?.status == 200).then_some(()))
    })
    .await?;
    let old = look_up(&fed, CITY, &first.case_no, &code).await?;
    assert_eq!(old.status, 404, "the old code stopped working");
    assert_eq!(alert(&old.body), alert(&wrong.body));
    assert_eq!(
        look_up(&fed, TOWN_A, &first.case_no, &code).await?.status,
        404
    );

    let actions = audited(&fed, TOWN_A, &first.case_no).await?;
    assert!(
        actions.iter().any(|a| a == "issue_query_code"),
        "{actions:?}"
    );
    assert!(
        actions.iter().any(|a| a == "reissue_query_code"),
        "{actions:?}"
    );
    fed.shutdown().await;
    Ok(())
}

/// Ten wrong codes for one case number, then that number waits (429, with a
/// Retry-After), even with the right code; another case is answered at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_codes_slow_their_number_down_while_others_are_served() -> anyhow::Result<()> {
    let fed = Federation::start(Backend::Sqlite, county_and_town()).await?;
    let a = fed.register(COUNTY, "吴九", "路灯不亮").await?;
    let b = fed.register(COUNTY, "郑十", "噪音扰民").await?;
    for i in 0..10 {
        let wrong = look_up(&fed, COUNTY, &a.case_no, NOBODYS_CODE).await?;
        assert_eq!(wrong.status, 404, "wrong code {i} is answered as such");
    }
    let slowed = look_up(&fed, COUNTY, &a.case_no, &a.query_code).await?;
    assert_eq!(slowed.status, 429, "{}", slowed.body);
    let wait: u64 = slowed
        .headers
        .get("retry-after")
        .context("Retry-After")?
        .to_str()?
        .parse()?;
    assert!(wait >= 1);
    assert!(alert(&slowed.body).contains(&wait.to_string()));
    let started = std::time::Instant::now();
    let other = look_up(&fed, COUNTY, &b.case_no, &b.query_code).await?;
    assert_eq!(other.status, 200, "another case is served");
    println!(
        "another case answered in {:?} while the first waits",
        started.elapsed()
    );
    // Once the wait is over, the right code opens the case again.
    let opened = wait_for("the wait to end", PATIENCE, || async {
        let page = look_up(&fed, COUNTY, &a.case_no, &a.query_code).await?;
        Ok((page.status == 200).then_some(page))
    })
    .await?;
    assert!(opened.body.contains("吴*"));
    fed.shutdown().await;
    Ok(())
}

/// The case's records of `kind` held at `unit`.
async fn records_of(
    fed: &Federation,
    unit: &str,
    case_no: &str,
    kind: &str,
) -> anyhow::Result<Vec<pb::RecordView>> {
    Ok(fed
        .case_at(unit, case_no)
        .await?
        .map(|c| c.records.into_iter().filter(|r| r.kind == kind).collect())
        .unwrap_or_default())
}

/// Before the reply the page refuses a rating; after it, the petitioner rates
/// at the city's page; the rating record (by the petitioner) reaches the town
/// that handles the case, and counts in 参评率 and 满意率 at the town, the county
/// and the city; a second rating is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rating_through_the_page_reaches_the_handling_unit_and_counts_at_every_superior()
-> anyhow::Result<()> {
    use xinfang_proto::v1::reports_client::ReportsClient;
    let fed = Federation::start(Backend::Sqlite, haifeng()).await?;
    let case = fed.register(TOWN_A, "钱二", "自来水管破裂").await?;
    let (no, code) = (case.case_no.clone(), case.query_code.clone());
    fed.act(
        TOWN_A,
        &no,
        serde_json::json!({"kind": "screening", "decision": {"decision": "accept"}}),
    )
    .await?;
    wait_for("the accepted case at the city", PATIENCE, || async {
        Ok(fed
            .case_at(CITY, &no)
            .await?
            .filter(|c| c.status == "accepted"))
    })
    .await?;
    let early = rate(&fed, CITY, &no, &code, "satisfied").await?;
    assert_eq!(early.status, 409, "{}", early.body);
    assert!(
        alert(&early.body).contains("答复作出后才能评价"),
        "{}",
        early.body
    );
    assert!(records_of(&fed, CITY, &no, "rating").await?.is_empty());
    let page = look_up(&fed, CITY, &no, &code).await?;
    assert!(
        !page.body.contains("name=\"rating\""),
        "no rating offered before the reply"
    );

    fed.act(
        TOWN_A,
        &no,
        serde_json::json!({"kind": "reply", "opinion": "support", "text": "已抢修，恢复供水"}),
    )
    .await?;
    let page = wait_for("the reply on the city's page", PATIENCE, || async {
        let p = look_up(&fed, CITY, &no, &code).await?;
        Ok(p.body.contains("恢复供水").then_some(p))
    })
    .await?;
    assert!(
        page.body.contains("name=\"rating\""),
        "the rating is offered"
    );
    let rated = rate(&fed, CITY, &no, &code, "basic").await?;
    assert_eq!(rated.status, 200, "{}", rated.body);
    assert!(rated.body.contains("评价已提交") && rated.body.contains("基本满意"));

    let at_town = wait_for("the rating at the handling town", PATIENCE, || async {
        let r = records_of(&fed, TOWN_A, &no, "rating").await?;
        Ok((!r.is_empty()).then_some(r))
    })
    .await?;
    assert_eq!(at_town.len(), 1);
    assert_eq!(at_town[0].by, "信访人", "attributed to the petitioner");
    assert_eq!(
        at_town[0].unit, CITY,
        "written by the unit whose page took it"
    );

    let again = rate(&fed, CITY, &no, &code, "unsatisfied").await?;
    assert_eq!(again.status, 409);
    assert!(
        alert(&again.body).contains("不能重复评价"),
        "{}",
        again.body
    );
    // Nor at the town's own page.
    let at_town_page = rate(&fed, TOWN_A, &no, &code, "unsatisfied").await?;
    assert_eq!(at_town_page.status, 409);
    assert_eq!(records_of(&fed, TOWN_A, &no, "rating").await?.len(), 1);

    let (from, to) = (in_days(-40), in_days(1));
    for unit in [TOWN_A, COUNTY, CITY] {
        for rate in ["rated_share", "satisfaction"] {
            wait_for(&format!("{rate} at {unit}"), PATIENCE, || async {
                let keys = ReportsClient::new(fed.channel(unit).await?)
                    .cases(pb::ReportRequest {
                        unit: unit.into(),
                        from: from.clone(),
                        to: to.clone(),
                        rate: rate.into(),
                        part: "numerator".into(),
                        ..Default::default()
                    })
                    .await?
                    .into_inner();
                Ok(keys.case_nos.contains(&no).then_some(()))
            })
            .await?;
        }
    }
    fed.shutdown().await;
    Ok(())
}

/// The public listener is not the console nor the API: with a staff member's
/// token as cookie and as bearer, every staff page, form and API route is
/// refused and writes nothing; no cookie is ever set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_listener_refuses_staff_routes_and_every_other_write() -> anyhow::Result<()> {
    let fed = Federation::start(Backend::Sqlite, county_and_town()).await?;
    let case = fed.register(COUNTY, "李四", "占道经营").await?;
    let no = case.case_no.clone();
    let token = fed.login(COUNTY, TESTER, TESTER_PASSWORD).await?;
    let cookie = format!("xinfang_session={token}");
    let bearer = format!("Bearer {token}");
    let staff = [
        ("cookie", cookie.as_str()),
        ("authorization", bearer.as_str()),
    ];
    let reply = [("kind", "reply"), ("opinion", "support"), ("text", "伪造")];
    let attempts: Vec<(&str, String, Form<'_>)> = vec![
        ("GET", "/work".into(), None),
        ("GET", "/login".into(), None),
        (
            "POST",
            "/login".into(),
            Some(&[("user", TESTER), ("password", TESTER_PASSWORD)][..]),
        ),
        ("GET", "/register".into(), None),
        (
            "POST",
            "/register".into(),
            Some(&[("petitioner", "伪造"), ("content", "伪造")][..]),
        ),
        ("GET", format!("/case/{no}"), None),
        ("POST", format!("/case/{no}/step/reply"), Some(&reply[..])),
        ("GET", "/admin/audit".into(), None),
        ("GET", "/admin/users".into(), None),
        ("GET", "/reports".into(), None),
        ("GET", "/metrics".into(), None),
        ("POST", "/xinfang.v1.Node/Act".into(), Some(&reply[..])),
        ("POST", "/xinfang.v1.Node/RegisterCase".into(), None),
        ("GET", "/progress".into(), None),
        ("PUT", "/rate".into(), None),
    ];
    for (method, path, form) in &attempts {
        let a = http_request(fed.public_addr(COUNTY), method, path, *form, &staff).await?;
        assert!(
            a.status == 404 || a.status == 405,
            "{method} {path} answered {}",
            a.status
        );
        assert!(a.headers.get("set-cookie").is_none(), "{method} {path}");
    }
    // A gRPC client gets no API there either.
    let channel =
        tonic::transport::Endpoint::from_shared(format!("http://{}", fed.public_addr(COUNTY)))?
            .connect()
            .await;
    if let Ok(channel) = channel {
        let got = xinfang_proto::v1::node_client::NodeClient::new(channel)
            .get_case(pb::GetCaseRequest {
                case_no: no.clone(),
            })
            .await;
        assert!(got.is_err(), "the API answered on the public listener");
    }
    // Nothing was written.
    let after = fed.case_at(COUNTY, &no).await?.context("the case")?;
    assert!(after.records.is_empty(), "{:?}", after.records);
    assert_eq!(fed.list(COUNTY).await?, vec![no.clone()]);
    // The page itself is there, and its only form posts to itself.
    let home = http_request(fed.public_addr(COUNTY), "GET", "/", None, &staff).await?;
    assert_eq!(home.status, 200);
    assert!(home.body.contains("action=\"/progress\""));
    let csp = home
        .headers
        .get("content-security-policy")
        .context("CSP")?
        .to_str()?;
    assert!(csp.contains("form-action 'self'") && csp.contains("default-src 'none'"));
    fed.shutdown().await;
    Ok(())
}

/// Every case of one petitioner a node holds, by their identity number.
async fn history(fed: &Federation, unit: &str, id: &str) -> anyhow::Result<Vec<pb::CaseView>> {
    Ok(fed
        .client(unit)
        .await?
        .list_cases(pb::ListCasesRequest {
            limit: 100,
            id_number: id.into(),
            ..Default::default()
        })
        .await?
        .into_inner()
        .cases)
}

both_stores! {
async fn a_search_by_identity_number_finds_the_petitioners_cases_across_the_subtree(backend: Backend)
-> anyhow::Result<()> {
    let fed = Federation::start(backend, haifeng()).await?;
    let id = id_number("44152119750505321");
    let other = id_number("44152119900202234");
    // The same person at a community of each town, and someone else.
    let at_a = fed.client(COMM_A).await?.register_case(petition(COMM_A, &id)).await?.into_inner();
    let at_b = fed.client(COMM_B).await?.register_case(petition(COMM_B, &id)).await?.into_inner();
    let stranger = fed
        .client(COMM_B)
        .await?
        .register_case(pb::RegisterCaseRequest { phone: "13900139000".into(), ..petition(COMM_B, &other) })
        .await?
        .into_inner();
    // Again at the first community, which sees its earlier case: a repeat (重复信访).
    let again = fed.client(COMM_A).await?.register_case(petition(COMM_A, &id)).await?.into_inner();
    assert_eq!(again.repeat_of, at_a.case_no);
    for c in [&at_a, &at_b, &stranger, &again] {
        wait_for(&format!("{} at the county", c.case_no), PATIENCE, || async {
            fed.case_at(COUNTY, &c.case_no).await
        })
        .await?;
    }

    // At the county: that person's cases from both towns, not the other's, the
    // repeat linked to the case it repeats.
    let found = history(&fed, COUNTY, &id).await?;
    let mut nos: Vec<&str> = found.iter().map(|c| c.case_no.as_str()).collect();
    nos.sort();
    let mut want = vec![at_a.case_no.as_str(), at_b.case_no.as_str(), again.case_no.as_str()];
    want.sort();
    assert_eq!(nos, want);
    let linked: Vec<(&str, &str)> = found
        .iter()
        .filter(|c| !c.repeat_of.is_empty())
        .map(|c| (c.case_no.as_str(), c.repeat_of.as_str()))
        .collect();
    assert_eq!(linked, vec![(again.case_no.as_str(), at_a.case_no.as_str())]);
    // Town B sees only its own branch's case.
    let at_town = history(&fed, TOWN_B, &id).await?;
    assert_eq!(
        at_town.iter().map(|c| c.case_no.as_str()).collect::<Vec<_>>(),
        vec![at_b.case_no.as_str()]
    );
    // The number itself is in no document the county holds.
    let store = fed.hub(COUNTY).store().clone();
    let ids: Vec<String> = store.scan(0, 100_000).await?.into_iter().map(|r| r.doc_id).collect();
    for r in store.get(&ids).await? {
        let doc = automerge::AutoCommit::load(&r.bytes)?;
        let text = serde_json::to_string(&automerge::AutoSerde::from(&doc))?;
        assert!(!text.contains(&id), "the identity number in clear in {}", r.doc_id);
    }
    // By phone, as typed with dashes: the same three, not the other person's.
    let by_phone = fed
        .client(COUNTY)
        .await?
        .list_cases(pb::ListCasesRequest { limit: 100, phone: "138-0013-8000".into(), ..Default::default() })
        .await?
        .into_inner()
        .cases;
    let mut nos: Vec<&str> = by_phone.iter().map(|c| c.case_no.as_str()).collect();
    nos.sort();
    assert_eq!(nos, want);
    // Neither number is in any document the county holds (checked above for
    // the identity number): the phone in clear neither.
    for r in store.get(&ids).await? {
        let doc = automerge::AutoCommit::load(&r.bytes)?;
        let text = serde_json::to_string(&automerge::AutoSerde::from(&doc))?;
        assert!(!text.contains("13800138000"), "the phone in clear in {}", r.doc_id);
    }
    // The search is audited, under the hash, not the number.
    let audit = xinfang_proto::v1::accounts_client::AccountsClient::new(
        fed.operator_channel(COUNTY).await?,
    )
    .audit(pb::AuditRequest { limit: 1000, ..Default::default() })
    .await?
    .into_inner()
    .entries;
    let searched: Vec<_> = audit.iter().filter(|e| e.action == "case.search.id_number").collect();
    assert_eq!(searched.len(), 1, "{audit:?}");
    assert!(!searched[0].reason.contains(&id), "{:?}", searched[0]);
    let by_phone: Vec<_> = audit.iter().filter(|e| e.action == "case.search.phone").collect();
    assert_eq!(by_phone.len(), 1, "{audit:?}");
    assert!(!by_phone[0].reason.contains("13800138000"), "{:?}", by_phone[0]);

    // A malformed number is refused naming the field, in both languages.
    let e = history(&fed, COUNTY, "44152119750505")
        .await
        .expect_err("a short number");
    assert!(e.to_string().contains("id_number"), "{e}");
    fed.shutdown().await;
    Ok(())
}
}

both_stores! {
/// Two registrations of one person that no number links (one without the
/// identity number, under another phone): staff merge them with a record that
/// says who and why, and from then on a search by either number finds both,
/// and the cases found by the merged case's own number too. Merging with an
/// unknown case, with itself, twice, or without a reason is refused by rule.
async fn staff_merge_two_petitioners_who_are_one_person(backend: Backend) -> anyhow::Result<()> {
    let fed = Federation::start(backend, haifeng()).await?;
    let id = id_number("44152119750505321");
    let with_id = fed.client(COMM_A).await?.register_case(petition(COMM_A, &id)).await?.into_inner();
    // The same person at the other town: no identity number, another phone.
    let without = fed
        .client(COMM_B)
        .await?
        .register_case(pb::RegisterCaseRequest {
            petitioner: "孙柒".into(),
            id_number: String::new(),
            phone: "13911112222".into(),
            ..petition(COMM_B, &id)
        })
        .await?
        .into_inner();
    // And again by that other phone, later.
    let again = fed
        .client(COMM_B)
        .await?
        .register_case(pb::RegisterCaseRequest {
            petitioner: "孙柒".into(),
            id_number: String::new(),
            phone: "13911112222".into(),
            content: "征地补偿款仍未发放".into(),
            ..petition(COMM_B, &id)
        })
        .await?
        .into_inner();
    for c in [&with_id, &without, &again] {
        wait_for(&format!("{} at the county", c.case_no), PATIENCE, || async {
            fed.case_at(COUNTY, &c.case_no).await
        })
        .await?;
    }
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let nos = |cases: Vec<pb::CaseView>| sorted(cases.into_iter().map(|c| c.case_no).collect());
    assert_eq!(nos(history(&fed, COUNTY, &id).await?), vec![with_id.case_no.clone()]);

    // Refused by rule, nothing written.
    let merge = |of: &str, reason: &str| {
        serde_json::json!({"kind": "same_petitioner", "of": of, "reason": reason})
    };
    for (of, reason, rule) in [
        ("441521115001-2026-999999", "同名同址", "identity.case_held"),
        (without.case_no.as_str(), "同名同址", "identity.self"),
        (with_id.case_no.as_str(), " ", "identity.reason"),
    ] {
        let e = fed.act(COUNTY, &without.case_no, merge(of, reason)).await.unwrap_err();
        assert!(e.to_string().contains(rule), "{rule}: {e}");
    }
    let records = |c: Option<pb::CaseView>| c.map(|c| c.records.len()).unwrap_or_default();
    assert_eq!(records(fed.case_at(COUNTY, &without.case_no).await?), 0);

    // The county's clerk merges them, saying why; the record names who.
    let merged = fed
        .act(COUNTY, &without.case_no, merge(&with_id.case_no, "姓名写法不同（孙七/孙柒），住址与诉求一致"))
        .await?;
    let record = merged.records.iter().find(|r| r.kind == "same_petitioner").expect("the merge");
    assert_eq!(record.by, "tester");
    assert!(record.detail.contains(&with_id.case_no), "{}", record.detail);
    let e = fed
        .act(COUNTY, &without.case_no, merge(&with_id.case_no, "再次"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("identity.once"), "{e}");

    // By the identity number: the merged case, and the case found by its phone.
    let everything = sorted(vec![
        with_id.case_no.clone(),
        without.case_no.clone(),
        again.case_no.clone(),
    ]);
    assert_eq!(nos(history(&fed, COUNTY, &id).await?), everything);
    // By the other phone: the same three, the merge followed the other way.
    let by_phone = fed
        .client(COUNTY)
        .await?
        .list_cases(pb::ListCasesRequest { limit: 100, phone: "13911112222".into(), ..Default::default() })
        .await?
        .into_inner()
        .cases;
    assert_eq!(nos(by_phone), everything);
    // Town A, which holds neither of town B's cases, still finds only its own.
    assert_eq!(nos(history(&fed, TOWN_A, &id).await?), vec![with_id.case_no.clone()]);
    fed.shutdown().await;
    Ok(())
}
}
