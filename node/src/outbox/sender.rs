//! Hands one message to the office's SMS gateway: a command the office provides
//! (its own script around whatever gateway it has, TLS included), or a plain
//! HTTP endpoint on this machine (a gateway's local agent). Either gets one JSON
//! object: `{"to", "text", "case_no", "about"}`. The answer is the outcome: a
//! command's exit status (its standard error's last line on failure), or the
//! HTTP status. Nothing is retried here: the outbox keeps the schedule.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::io::AsyncWriteExt;

/// How long one hand-over may take before it counts as failed.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// How much of a failure's explanation is kept in the case.
const DETAIL_CHARS: usize = 200;

/// Where messages go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sender {
    /// A program run once per message, the JSON on its standard input; exit
    /// status 0 means handed over.
    Command { program: PathBuf, args: Vec<String> },
    /// `POST` of the JSON to an `http://` address on this machine; a 2xx answer
    /// means handed over.
    Http {
        host: String,
        port: u16,
        path: String,
    },
}

/// Why a sender could not be configured.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SenderError {
    #[error("field `sms_url`: {0}")]
    Url(String),
}

impl Sender {
    /// An HTTP sender from `http://HOST:PORT/PATH`; only a loopback host, since
    /// the message crosses in clear (a gateway elsewhere: use a command).
    pub fn http(url: &str) -> Result<Sender, SenderError> {
        let uri: http::Uri = url
            .parse()
            .map_err(|e| SenderError::Url(format!("{url:?} is not an address: {e}")))?;
        if uri.scheme_str() != Some("http") {
            return Err(SenderError::Url(format!(
                "{url:?}: only http:// to this machine (a gateway elsewhere, or over TLS, is reached through --sms-command)"
            )));
        }
        let host = uri
            .host()
            .ok_or_else(|| SenderError::Url(format!("{url:?} names no host")))?
            .trim_matches(['[', ']'])
            .to_owned();
        let loopback = host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if !loopback {
            return Err(SenderError::Url(format!(
                "{url:?}: plain HTTP leaves this machine only through --sms-command (phone numbers would cross in clear)"
            )));
        }
        Ok(Sender::Http {
            host,
            port: uri.port_u16().unwrap_or(80),
            path: uri
                .path_and_query()
                .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
        })
    }

    /// Hands one message over; `Ok` when the gateway took it, else why not.
    pub async fn send(&self, m: &Outgoing<'_>) -> Result<(), String> {
        let body = serde_json::to_vec(m).map_err(|e| e.to_string())?;
        match tokio::time::timeout(SEND_TIMEOUT, self.hand_over(body)).await {
            Ok(r) => r.map_err(|e| clip(&e)),
            Err(_) => Err(format!("no answer within {} s", SEND_TIMEOUT.as_secs())),
        }
    }

    async fn hand_over(&self, body: Vec<u8>) -> Result<(), String> {
        match self {
            Sender::Command { program, args } => {
                let mut child = tokio::process::Command::new(program)
                    .args(args)
                    .stdin(Stdio::piped())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .kill_on_drop(true)
                    .spawn()
                    .map_err(|e| format!("{}: {e}", program.display()))?;
                if let Some(mut stdin) = child.stdin.take() {
                    stdin.write_all(&body).await.map_err(|e| e.to_string())?;
                }
                let out = child.wait_with_output().await.map_err(|e| e.to_string())?;
                if out.status.success() {
                    return Ok(());
                }
                let err = String::from_utf8_lossy(&out.stderr);
                let last = err.lines().rev().find(|l| !l.trim().is_empty());
                Err(match last {
                    Some(l) => format!("{}: {}", out.status, l.trim()),
                    None => out.status.to_string(),
                })
            }
            Sender::Http { host, port, path } => {
                let stream = tokio::net::TcpStream::connect((host.as_str(), *port))
                    .await
                    .map_err(|e| format!("{host}:{port}: {e}"))?;
                let (mut tx, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                    .await
                    .map_err(|e| e.to_string())?;
                let driver = tokio::spawn(conn);
                let req = hyper::Request::post(path.as_str())
                    .header(hyper::header::HOST, format!("{host}:{port}"))
                    .header(hyper::header::CONTENT_TYPE, "application/json")
                    .body(Full::new(Bytes::from(body)))
                    .map_err(|e| e.to_string())?;
                let res = tx.send_request(req).await.map_err(|e| e.to_string());
                let res = match res {
                    Ok(r) => r,
                    Err(e) => {
                        driver.abort();
                        return Err(e);
                    }
                };
                let status = res.status();
                let text = res
                    .into_body()
                    .collect()
                    .await
                    .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
                    .unwrap_or_default();
                driver.abort();
                if status.is_success() {
                    Ok(())
                } else {
                    Err(format!("HTTP {status} {}", text.trim()))
                }
            }
        }
    }
}

/// What a gateway receives.
#[derive(Debug, Serialize)]
pub struct Outgoing<'a> {
    /// The petitioner's phone number, in clear: only the registering node holds it.
    pub to: &'a str,
    pub text: &'a str,
    pub case_no: &'a str,
    /// Which message (the record it announces), so a gateway can drop a repeat.
    pub about: &'a str,
}

fn clip(s: &str) -> String {
    s.chars().take(DETAIL_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http_is_taken() {
        let s = Sender::http("http://127.0.0.1:8088/sms/send?k=1").unwrap();
        assert_eq!(
            s,
            Sender::Http {
                host: "127.0.0.1".into(),
                port: 8088,
                path: "/sms/send?k=1".into()
            }
        );
        assert!(Sender::http("http://localhost/").is_ok());
        assert!(Sender::http("http://[::1]:9/").is_ok());
        for bad in [
            "http://10.0.0.5/sms",
            "https://127.0.0.1/",
            "ftp://x",
            "not a url",
        ] {
            let e = Sender::http(bad).unwrap_err();
            assert!(e.to_string().starts_with("field `sms_url`"), "{bad}: {e}");
        }
    }

    fn message() -> Outgoing<'static> {
        Outgoing {
            to: "13800138000",
            text: "您的信访事项已登记",
            case_no: "441521-2026-000001",
            about: "registered",
        }
    }

    /// A real process gets the JSON on its standard input; a failing one's last
    /// line of standard error is the explanation kept.
    #[tokio::test]
    async fn a_command_gets_the_message_and_its_failure_is_explained() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("got.json");
        let ok = Sender::Command {
            program: "/bin/sh".into(),
            args: vec!["-c".into(), format!("cat > {}", out.display())],
        };
        ok.send(&message()).await.unwrap();
        let got: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(got["to"], "13800138000");
        assert_eq!(got["about"], "registered");
        let failing = Sender::Command {
            program: "/bin/sh".into(),
            args: vec![
                "-c".into(),
                "cat >/dev/null; echo starting >&2; echo 'gateway: quota exceeded' >&2; exit 3"
                    .into(),
            ],
        };
        let e = failing.send(&message()).await.unwrap_err();
        assert!(
            e.contains("gateway: quota exceeded") && e.contains('3'),
            "{e}"
        );
        let missing = Sender::Command {
            program: dir.path().join("no-such-program"),
            args: Vec::new(),
        };
        assert!(missing.send(&message()).await.is_err());
    }
}
