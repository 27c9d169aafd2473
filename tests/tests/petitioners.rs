//! Personal data stays at the registering unit; the same petitioner is still
//! recognised across nodes (repeat and skip-level petitions) through a keyed hash.

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
