//! Stock gRPC tooling can talk to a node: health checking and server reflection,
//! with TLS but without a client certificate (as grpcurl would, given the root),
//! on the API listener and on the replication listener.

use tokio_stream::StreamExt;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
use xinfang_ca as pki;
use xinfang_tests::*;

both_stores! {
async fn health_and_reflection_answer_stock_clients(backend: Backend) -> anyhow::Result<()> {
    let units = vec![(COUNTY, "海丰县", xinfang_hub::Tier::County, None)];
    let fed = Federation::start(backend, units).await?;
    let ca = pki::read_file(&fed.layout.pki().join(pki::CA_CERT))?;
    let connect = |addr: std::net::SocketAddr| {
        let ca = ca.clone();
        async move {
            Endpoint::from_shared(format!("https://{addr}"))?
                .tls_config(
                    ClientTlsConfig::new()
                        .ca_certificate(Certificate::from_pem(ca))
                        .domain_name("127.0.0.1"),
                )?
                .connect()
                .await
                .map_err(anyhow::Error::from)
        }
    };
    let channel = connect(fed.api_addr(COUNTY)).await?;

    let health = HealthClient::new(channel.clone())
        .check(HealthCheckRequest {
            service: "xinfang.v1.Node".into(),
        })
        .await?
        .into_inner();
    assert_eq!(health.status, ServingStatus::Serving as i32);

    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = ServerReflectionClient::new(channel.clone())
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await?
        .into_inner();
    let Some(answer) = answers.next().await.transpose()? else {
        anyhow::bail!("no reflection answer");
    };
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        anyhow::bail!("unexpected reflection answer");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for expected in [
        "xinfang.v1.Node",
        "xinfang.v1.Replication",
        "grpc.health.v1.Health",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }

    // Without a login or a certificate the node API itself stays closed.
    let denied = xinfang_proto::v1::node_client::NodeClient::new(channel)
        .status(xinfang_proto::v1::StatusRequest {})
        .await
        .expect_err("the node API needs a caller");
    assert_eq!(denied.code(), tonic::Code::Unauthenticated, "{denied}");
    assert!(denied.message().contains("xinfang login"), "{denied}");

    // The replication listener answers health checks but serves no staff API.
    let replication = connect(fed.addr(COUNTY)).await?;
    let health = HealthClient::new(replication.clone())
        .check(HealthCheckRequest {
            service: "xinfang.v1.Replication".into(),
        })
        .await?
        .into_inner();
    assert_eq!(health.status, ServingStatus::Serving as i32);
    let absent = xinfang_proto::v1::node_client::NodeClient::new(replication)
        .status(xinfang_proto::v1::StatusRequest {})
        .await
        .expect_err("no node API on the replication listener");
    assert_eq!(absent.code(), tonic::Code::Unimplemented, "{absent}");
    fed.shutdown().await;
    Ok(())
}
}
