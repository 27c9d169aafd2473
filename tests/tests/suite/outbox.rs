//! Text messages to petitioners (短信告知), through a gateway on loopback that
//! refuses its first request: the community's node, which registered the case
//! and alone holds the phone, sends the registration's message again after the
//! gateway's refusal, records both attempts in the case (seen at the town too,
//! the registering unit being theirs to write), and tells the petitioner when
//! the town — another node — accepts the case. A gateway command that always
//! fails is given up after the configured attempts, each recorded with the
//! gateway's explanation. Nobody writes a delivery record through the API.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use xinfang_hub::Tier;
use xinfang_node::outbox::{OutboxConfig, Sender};
use xinfang_proto::v1 as pb;
use xinfang_tests::*;

const PHONE: &str = "13800138000";

fn units() -> Vec<(&'static str, &'static str, Tier, Option<&'static str>)> {
    vec![
        (COUNTY, "海丰县", Tier::County, None),
        (TOWN_A, "海城镇", Tier::Township, Some(COUNTY)),
        (COMM_A, "城东社区", Tier::Community, Some(TOWN_A)),
    ]
}

/// What the gateway received, and how many of the first requests it refuses.
#[derive(Clone, Default)]
struct Gateway {
    got: Arc<Mutex<Vec<Value>>>,
    refuse_first: usize,
}

impl Gateway {
    fn messages(&self) -> Vec<Value> {
        self.got.lock().map(|g| g.clone()).unwrap_or_default()
    }
}

/// A gateway's local agent on 127.0.0.1: it answers 503 to its first
/// `refuse_first` requests and 200 after, keeping every body.
async fn gateway(refuse_first: usize) -> anyhow::Result<(SocketAddr, Gateway)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let g = Gateway {
        got: Arc::default(),
        refuse_first,
    };
    let state = g.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let state = state.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let state = state.clone();
                    async move {
                        let body = req.into_body().collect().await.map(|b| b.to_bytes());
                        let value: Value = body
                            .ok()
                            .and_then(|b| serde_json::from_slice(&b).ok())
                            .unwrap_or(Value::Null);
                        let n = {
                            let mut got = state.got.lock().expect("gateway lock");
                            got.push(value);
                            got.len()
                        };
                        let status = if n <= state.refuse_first {
                            StatusCode::SERVICE_UNAVAILABLE
                        } else {
                            StatusCode::OK
                        };
                        let mut res = Response::new(Full::new(Bytes::from_static(b"busy")));
                        *res.status_mut() = status;
                        Ok::<_, Infallible>(res)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    Ok((addr, g))
}

/// Retries quickly, for a test.
fn quick(sender: Sender, attempts: u32) -> OutboxConfig {
    let mut c = OutboxConfig::new(sender);
    c.first_retry = Duration::from_millis(200);
    c.every = Duration::from_millis(100);
    c.attempts = attempts;
    c
}

async fn register_with_phone(fed: &Federation, unit: &str, name: &str) -> anyhow::Result<String> {
    Ok(fed
        .client(unit)
        .await?
        .register_case(pb::RegisterCaseRequest {
            unit: unit.into(),
            petitioner: name.into(),
            phone: PHONE.into(),
            content: "小区排水管道堵塞".into(),
            ..Default::default()
        })
        .await?
        .into_inner()
        .case_no)
}

/// The delivery records of a case at `unit`: (attempt, delivered, text shown).
async fn deliveries(
    fed: &Federation,
    unit: &str,
    case_no: &str,
) -> anyhow::Result<Vec<pb::RecordView>> {
    Ok(fed
        .case_at(unit, case_no)
        .await?
        .map(|v| {
            v.records
                .into_iter()
                .filter(|r| r.kind == "delivery")
                .collect()
        })
        .unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_message_is_sent_again_and_every_attempt_is_in_the_case() -> anyhow::Result<()> {
    let (addr, gw) = gateway(1).await?;
    let mut fed = Federation::start(Backend::Sqlite, units()).await?;
    fed.stop_node(COMM_A).await?;
    fed.outboxes.insert(
        COMM_A.into(),
        quick(Sender::http(&format!("http://{addr}/sms/send"))?, 5),
    );
    fed.start_node(COMM_A).await?;

    let case_no = register_with_phone(&fed, COMM_A, "王五").await?;
    let records = wait_for(
        "both attempts in the case at the town",
        PATIENCE,
        || async {
            let d = deliveries(&fed, TOWN_A, &case_no).await?;
            Ok((d.len() >= 2).then_some(d))
        },
    )
    .await?;
    assert_eq!(records.len(), 2, "{records:?}");
    assert!(
        records[0].detail.contains("短信发送失败（第1次）") && records[0].detail.contains("503"),
        "{:?}",
        records[0]
    );
    assert!(
        records[1].detail.contains("短信已送达（第2次发送）"),
        "{:?}",
        records[1]
    );
    let sent = gw.messages();
    assert_eq!(sent.len(), 2, "{sent:?}");
    for m in &sent {
        assert_eq!(m["to"], PHONE);
        assert_eq!(m["about"], "registered");
        assert_eq!(m["case_no"], case_no.as_str());
        let text = m["text"].as_str().unwrap_or_default();
        assert!(text.contains(&case_no) && text.contains("已登记"), "{text}");
        assert!(
            !text.contains("排水"),
            "a message carries no demand text: {text}"
        );
    }

    // The case moves at another node: the community forwards, the town accepts.
    let accept = json!({"kind": "screening", "decision": {"decision": "accept"}});
    fed.act(COMM_A, &case_no, accept.clone()).await?;
    fed.act(
        COMM_A,
        &case_no,
        json!({"kind": "forward", "to": TOWN_A, "due": in_days(20)}),
    )
    .await?;
    wait_for("the forward at the town", PATIENCE, || async {
        Ok(fed
            .case_at(TOWN_A, &case_no)
            .await?
            .filter(|v| v.records.iter().any(|r| r.kind == "forward")))
    })
    .await?;
    fed.act(TOWN_A, &case_no, accept).await?;
    let texts = wait_for("the town's acceptance told", PATIENCE, || async {
        let texts: Vec<String> = gw
            .messages()
            .iter()
            .filter_map(|m| m["text"].as_str().map(str::to_owned))
            .collect();
        Ok(texts
            .iter()
            .any(|t| t.contains("已由海城镇受理"))
            .then_some(texts))
    })
    .await?;
    assert!(
        texts.iter().any(|t| t.contains("已由城东社区受理")),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.contains("转送海城镇办理")),
        "{texts:?}"
    );

    // Nobody writes a delivery by hand, at either node.
    let forged = json!({"kind": "delivery", "about": "registered", "channel": "sms",
                        "attempt": 9, "delivered": true, "detail": ""});
    for unit in [COMM_A, TOWN_A] {
        let e = fed
            .act(unit, &case_no, forged.clone())
            .await
            .expect_err("a hand-written delivery");
        let status = e.downcast_ref::<tonic::Status>().map(tonic::Status::code);
        assert_eq!(status, Some(tonic::Code::PermissionDenied), "{e}");
    }
    fed.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_that_keeps_failing_is_given_up_after_the_attempts() -> anyhow::Result<()> {
    let mut fed = Federation::start(Backend::Sqlite, units()).await?;
    fed.stop_node(COMM_A).await?;
    let down = Sender::Command {
        program: "/bin/sh".into(),
        args: vec![
            "-c".into(),
            "cat >/dev/null; echo 'gateway: account suspended' >&2; exit 2".into(),
        ],
    };
    fed.outboxes.insert(COMM_A.into(), quick(down, 2));
    fed.start_node(COMM_A).await?;
    let first = register_with_phone(&fed, COMM_A, "赵六").await?;
    let failed = wait_for("two failed attempts", PATIENCE, || async {
        let d = deliveries(&fed, COMM_A, &first).await?;
        Ok((d.len() >= 2).then_some(d))
    })
    .await?;
    for (i, r) in failed.iter().enumerate() {
        assert!(
            r.detail.contains(&format!("短信发送失败（第{}次）", i + 1))
                && r.detail.contains("gateway: account suspended"),
            "{r:?}"
        );
    }
    // A later case's two attempts come after any third of the first's would
    // have (the queue goes in order of when each attempt is due): none came.
    let second = register_with_phone(&fed, COMM_A, "孙七").await?;
    wait_for("the second case's attempts", PATIENCE, || async {
        let d = deliveries(&fed, COMM_A, &second).await?;
        Ok((d.len() >= 2).then_some(()))
    })
    .await?;
    assert_eq!(deliveries(&fed, COMM_A, &first).await?.len(), 2);
    fed.shutdown().await;
    Ok(())
}
