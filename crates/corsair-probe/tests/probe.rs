//! The probe against real servers on loopback: HTTP/1.1, HTTP/2 over TLS, redirects, and every
//! transport failure it must report instead of a CORS verdict.

use std::sync::Arc;
use std::time::Duration;

use corsair_core::browser::{Credentials, Intent, SendKind, Verdict};
use corsair_core::Origin;
use corsair_probe::{Probe, ProbeOptions, Resolve, Run, TransportError, Until};
use corsair_testkit::{loopback, Recorded, Reply, TestServer};

const PAGE: &str = "http://localhost:5173";

fn intent(url: &str) -> Intent {
    Intent::new(url.parse().unwrap(), Origin::parse(PAGE).unwrap())
}

fn probe() -> Probe {
    Probe::new(ProbeOptions { timeout: Duration::from_secs(3), ..ProbeOptions::default() }).unwrap()
}

/// A server that allows the page's origin on every answer, with the given preflight grants.
fn cors_server(methods: &'static str, headers: &'static str) -> corsair_testkit::Script {
    Arc::new(move |r: &Recorded| {
        let reply = if r.method == "OPTIONS" { Reply::status(204) } else { Reply::status(200).body("{}") };
        reply
            .header("Access-Control-Allow-Origin", PAGE)
            .header("Access-Control-Allow-Methods", methods)
            .header("Access-Control-Allow-Headers", headers)
    })
}

#[tokio::test]
async fn a_simple_get_is_one_exchange_and_allowed() {
    let server = TestServer::start(loopback(1), cors_server("", "")).await;
    let t = probe().run(intent(&format!("{}/items", server.origin("http")))).await;
    assert!(t.verdict.is_allowed(), "{:?}", t.verdict);
    assert_eq!(t.exchanges.len(), 1);
    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("origin"), Some(PAGE));
    assert_eq!(seen[0].path, "/items");
}

#[tokio::test]
async fn the_body_goes_with_the_request_over_h1_and_h2_never_with_the_preflight() {
    for tls in [false, true] {
        let server = if tls {
            TestServer::start_tls(loopback(1), cors_server("PUT", "")).await
        } else {
            TestServer::start(loopback(1), cors_server("PUT", "")).await
        };
        let url = format!("{}/items", server.origin(if tls { "https" } else { "http" }));
        let options = ProbeOptions { insecure: true, timeout: Duration::from_secs(3), ..ProbeOptions::default() };
        let t = Probe::new(options).unwrap().run(intent(&url).method("PUT").body("{\"a\":1}")).await;
        assert!(t.verdict.is_allowed(), "{:?}", t.verdict);
        let seen = server.requests();
        assert_eq!((seen[0].method.as_str(), seen[0].body.as_slice()), ("OPTIONS", &b""[..]));
        assert_eq!((seen[1].method.as_str(), seen[1].body.as_slice()), ("PUT", &b"{\"a\":1}"[..]), "tls: {tls}");
    }
}

#[tokio::test]
async fn run_until_the_preflight_never_sends_the_request_and_reports_each_send() {
    let server = TestServer::start(loopback(1), cors_server("DELETE", "")).await;
    let url = format!("{}/items/1", server.origin("http"));
    let mut sent = Vec::new();
    let run = probe().run_until(intent(&url).method("DELETE"), Until::Preflight, &mut |r| sent.push(r.kind)).await;
    let Run::Stopped(stopped) = run else { panic!("expected a stop before the request: {run:?}") };
    assert_eq!(stopped.unsent.method, "DELETE");
    assert_eq!(stopped.exchanges.len(), 1);
    assert_eq!(sent, [SendKind::Preflight]);
    assert_eq!(server.requests().len(), 1, "only the preflight reached the server");
    let run = probe().run_until(intent(&url).method("DELETE"), Until::Verdict, &mut |_| {}).await;
    assert!(matches!(run, Run::Done(t) if t.verdict.is_allowed()));
}

#[tokio::test]
async fn a_put_sends_the_preflight_chromium_sends_then_the_request() {
    let server = TestServer::start(loopback(1), cors_server("PUT", "content-type, x-trace")).await;
    let i = intent(&format!("{}/items?id=1", server.origin("http")))
        .method("PUT")
        .header("X-Trace", "1")
        .header("Content-Type", "application/json");
    let t = probe().run(i).await;
    assert!(t.verdict.is_allowed(), "{:?}", t.verdict);
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].method, "OPTIONS");
    assert_eq!(seen[0].path, "/items?id=1");
    assert_eq!(seen[0].header("access-control-request-method"), Some("PUT"));
    assert_eq!(seen[0].header("access-control-request-headers"), Some("content-type,x-trace"));
    assert_eq!(seen[0].header("accept"), Some("*/*"));
    assert_eq!(seen[1].method, "PUT");
    assert_eq!(t.exchanges[0].request.kind, SendKind::Preflight);
}

#[tokio::test]
async fn a_missing_allow_origin_gives_chromiums_message() {
    let server = TestServer::start(loopback(1), Arc::new(|_: &Recorded| Reply::status(200))).await;
    let url = format!("{}/items", server.origin("http"));
    let t = probe().run(intent(&url)).await;
    assert_eq!(
        t.verdict.console_message().unwrap(),
        format!("Access to fetch at '{url}' from origin '{PAGE}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.")
    );
    assert!(t.transport_error().is_none());
}

#[tokio::test]
async fn repeated_header_lines_reach_the_model_as_sent() {
    let server = TestServer::start(
        loopback(1),
        Arc::new(|_: &Recorded| {
            Reply::status(200).header("Access-Control-Allow-Origin", PAGE).header("Access-Control-Allow-Origin", PAGE)
        }),
    )
    .await;
    let t = probe().run(intent(&format!("{}/", server.origin("http")))).await;
    let message = t.verdict.console_message().unwrap();
    assert!(message.contains(&format!("contains multiple values '{PAGE}, {PAGE}'")), "{message}");
}

#[tokio::test]
async fn redirects_are_followed_by_the_model_not_the_client() {
    let target = TestServer::start(loopback(2), cors_server("", "")).await;
    let location = format!("{}/final", target.origin("http"));
    let first = TestServer::start(
        loopback(1),
        Arc::new(move |_: &Recorded| {
            Reply::status(302).header("Location", &location).header("Access-Control-Allow-Origin", "*")
        }),
    )
    .await;
    let t = probe().run(intent(&format!("{}/start", first.origin("http")))).await;
    assert_eq!(t.exchanges.len(), 2);
    // The hop to another origin taints the request: the target sees Origin: null and, answering
    // with the page's origin, fails the check.
    assert_eq!(target.requests()[0].header("origin"), Some("null"));
    let Verdict::Blocked(b) = &t.verdict else { panic!("{:?}", t.verdict) };
    assert!(b.console_message().contains("(redirected from"), "{}", b.console_message());
}

#[tokio::test]
async fn https_with_a_self_signed_certificate_needs_insecure_and_then_speaks_http2() {
    let server = TestServer::start_tls(loopback(1), cors_server("", "")).await;
    let url = format!("https://localhost:{}/items", server.addr.port());
    let resolve = vec![Resolve { host: "localhost".into(), port: Some(server.addr.port()), addr: loopback(1) }];
    let strict = Probe::new(ProbeOptions { resolve: resolve.clone(), ..ProbeOptions::default() }).unwrap();
    let t = strict.run(intent(&url)).await;
    assert!(matches!(t.transport_error(), Some(TransportError::Tls(_))), "{:?}", t.transport_error());
    let e = t.transport_error().unwrap();
    assert!(e.is_untrusted_certificate(), "{e}");
    // The library names no flag; the CLI that has one adds it.
    assert!(!e.to_string().contains("--insecure"), "{e}");
    let insecure = Probe::new(ProbeOptions { resolve, insecure: true, ..ProbeOptions::default() }).unwrap();
    let t = insecure.run(intent(&url).credentials(Credentials::Omit)).await;
    assert!(t.verdict.is_allowed(), "{:?}", t.verdict);
    assert_eq!(t.exchanges[0].response.as_ref().unwrap().version, "HTTP/2");
    assert_eq!(server.requests()[0].version, "HTTP/2");
}

#[tokio::test]
async fn resolve_overrides_send_a_name_to_a_loopback_address() {
    let server = TestServer::start(loopback(3), cors_server("", "")).await;
    let port = server.addr.port();
    let options = ProbeOptions {
        resolve: vec![format!("api.corsair.test:{port}:127.0.0.3").parse().unwrap()],
        ..ProbeOptions::default()
    };
    let t = Probe::new(options).unwrap().run(intent(&format!("http://api.corsair.test:{port}/x"))).await;
    assert!(t.verdict.is_allowed(), "{:?}", t.verdict);
    assert_eq!(server.requests()[0].header("host"), Some(format!("api.corsair.test:{port}").as_str()));
}

#[tokio::test]
async fn a_closed_port_is_a_connection_error_not_a_cors_verdict() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let t = probe().run(intent(&format!("http://127.0.0.1:{port}/"))).await;
    assert!(matches!(t.transport_error(), Some(TransportError::Connect(_))), "{:?}", t.transport_error());
    assert_eq!(t.verdict.console_message().unwrap(), "Failed to load resource: net::ERR_CONNECTION_REFUSED");
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let _held = tokio::spawn(async move {
        let (_sock, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    let quick = Probe::new(ProbeOptions { timeout: Duration::from_millis(300), ..ProbeOptions::default() }).unwrap();
    let t = quick.run(intent(&format!("http://127.0.0.1:{port}/"))).await;
    assert!(matches!(t.transport_error(), Some(TransportError::Timeout(_))), "{:?}", t.transport_error());
}

#[tokio::test]
async fn an_unresolvable_name_is_a_dns_error() {
    let t = probe().run(intent("http://no-such-host.invalid/")).await;
    assert!(matches!(t.transport_error(), Some(TransportError::Dns(_))), "{:?}", t.transport_error());
}

#[tokio::test]
async fn a_huge_response_head_is_refused_and_a_huge_body_is_never_read() {
    let server = TestServer::start(
        loopback(1),
        Arc::new(|r: &Recorded| {
            if r.path == "/head" {
                let mut reply = Reply::status(200);
                for i in 0..1000 {
                    reply = reply.header(&format!("x-filler-{i}"), "y".repeat(100));
                }
                reply
            } else {
                Reply::status(200).header("Access-Control-Allow-Origin", "*").body(vec![b'x'; 64 << 20])
            }
        }),
    )
    .await;
    let t = probe().run(intent(&format!("{}/head", server.origin("http")))).await;
    assert!(matches!(t.transport_error(), Some(TransportError::Http(_))), "{:?}", t.transport_error());
    let t = probe().run(intent(&format!("{}/body", server.origin("http")))).await;
    assert!(t.verdict.is_allowed(), "{:?}", t.verdict);
}

#[test]
fn resolve_entries_parse_like_curls() {
    let r: Resolve = "API.example.com:443:127.0.0.2".parse().unwrap();
    assert_eq!((r.host.as_str(), r.port, r.addr), ("api.example.com", Some(443), loopback(2)));
    let v6: Resolve = "h:80:[::1]".parse().unwrap();
    assert!(v6.addr.is_loopback());
    let any: Resolve = "h:*:127.0.0.3".parse().unwrap();
    assert_eq!(any.port, None);
    for bad in ["h:80", "h:x:127.0.0.1", ":80:127.0.0.1", "h:80:nope"] {
        assert!(bad.parse::<Resolve>().is_err(), "{bad}");
    }
}
