//! The gateway over real loopback sockets: a scripted upstream (corsair-testkit), the gateway in
//! front of it, and an HTTP/1.1 or HTTP/2 client. Every answer's CORS headers are the policy's,
//! whatever the upstream sent.

mod common;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::*;
use corsair_testkit::{loopback, Recorded, Reply, TestServer};

#[tokio::test]
async fn actual_requests_get_the_policys_headers_and_upstream_cors_headers_are_replaced() {
    let upstream = TestServer::start(
        loopback(1),
        always(
            Reply::status(200)
                .header("access-control-allow-origin", "*")
                .header("access-control-allow-credentials", "true")
                .header("vary", "accept-encoding")
                .header("etag", "\"v1\"")
                .body("[1,2,3]"),
        ),
    )
    .await;
    let gw = start(&gateway_toml(upstream.addr, "")).await;
    let got = send(gw.addr, request("GET", gw.addr, "/items?x=1", &[("origin", APP)])).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.one("access-control-allow-origin").as_deref(), Some(APP));
    assert_eq!(got.one("access-control-allow-credentials"), None, "the upstream's ACAC must not survive");
    assert_eq!(got.one("access-control-expose-headers").as_deref(), Some("etag"));
    let vary: Vec<&str> = got.headers.get_all("vary").iter().map(|v| v.to_str().unwrap()).collect();
    assert_eq!(vary.join(", "), "accept-encoding, origin", "Vary is merged, the upstream's kept");
    assert_eq!(got.text(), "[1,2,3]");
    let seen = upstream.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/items?x=1");
    assert_eq!(seen[0].header("origin"), Some(APP), "the upstream still sees the Origin");
}

#[tokio::test]
async fn preflights_are_answered_by_the_gateway() {
    let upstream = TestServer::start(loopback(1), always(Reply::status(500))).await;
    let gw = start(&gateway_toml(upstream.addr, "")).await;
    let preflight = [
        ("origin", APP),
        ("access-control-request-method", "PUT"),
        ("access-control-request-headers", "content-type,x-request-id"),
    ];
    let got = send(gw.addr, request("OPTIONS", gw.addr, "/items/7", &preflight)).await;
    assert_eq!(got.status, 204);
    assert_eq!(got.one("access-control-allow-origin").as_deref(), Some(APP));
    assert_eq!(got.one("access-control-allow-methods").as_deref(), Some("GET,POST,PUT"));
    assert_eq!(got.one("access-control-max-age").as_deref(), Some("600"));
    assert!(upstream.requests().is_empty(), "the upstream must not see answered preflights");

    let refused = [("origin", EVIL), ("access-control-request-method", "PUT")];
    let got = send(gw.addr, request("OPTIONS", gw.addr, "/items/7", &refused)).await;
    assert_eq!(got.one("access-control-allow-origin"), None);
}

#[tokio::test]
async fn forwarded_preflights_reach_the_upstream_and_get_the_headers() {
    let upstream = TestServer::start(loopback(1), always(Reply::status(200).header("allow", "GET, PUT"))).await;
    let text = gateway_toml(upstream.addr, "").replace("max_age = 600", "max_age = 600\nforward_preflights = true");
    let gw = start(&text).await;
    let preflight = [("origin", APP), ("access-control-request-method", "PUT")];
    let got = send(gw.addr, request("OPTIONS", gw.addr, "/items", &preflight)).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.one("allow").as_deref(), Some("GET, PUT"));
    assert_eq!(got.one("access-control-allow-methods").as_deref(), Some("GET,POST,PUT"));
    assert_eq!(upstream.requests().len(), 1);
}

#[tokio::test]
async fn errors_and_an_unreachable_upstream_still_carry_cors_headers() {
    let upstream = TestServer::start(loopback(1), always(Reply::status(503).body("down for maintenance"))).await;
    let gw = start(&gateway_toml(upstream.addr, "")).await;
    let got = send(gw.addr, request("GET", gw.addr, "/", &[("origin", APP)])).await;
    assert_eq!(got.status, 503);
    assert_eq!(got.one("access-control-allow-origin").as_deref(), Some(APP));

    // Nothing listens on the upstream's port once it is dropped.
    let addr = upstream.addr;
    drop(upstream);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let gw = start(&gateway_toml(addr, "")).await;
    let got = send(gw.addr, request("GET", gw.addr, "/", &[("origin", APP)])).await;
    assert_eq!(got.status, 502);
    assert_eq!(got.one("access-control-allow-origin").as_deref(), Some(APP), "pages must be able to read the 502");
    assert!(got.text().contains("upstream unreachable"), "{}", got.text());
}

#[tokio::test]
async fn refused_origins_get_no_cors_headers_and_are_logged_in_metrics() {
    let upstream =
        TestServer::start(loopback(1), always(Reply::status(200).header("access-control-allow-origin", "*"))).await;
    let gw = start(&gateway_toml(upstream.addr, "metrics_on_listen = true")).await;
    let got = send(gw.addr, request("GET", gw.addr, "/", &[("origin", EVIL)])).await;
    assert_eq!(got.one("access-control-allow-origin"), None, "not even the upstream's *");
    let metrics = send(gw.addr, request("GET", gw.addr, "/.corsair/metrics", &[])).await;
    let text = metrics.text();
    assert!(text.contains("corsair_refusals_total{reason=\"origin\"} 1"), "{text}");
    assert!(text.contains("corsair_requests_total{kind=\"actual\",result=\"refused\"} 1"), "{text}");
    assert!(text.contains("corsair_upstream_duration_seconds_count 1"), "{text}");
    let health = send(gw.addr, request("GET", gw.addr, "/.corsair/healthz", &[])).await;
    assert_eq!((health.status.as_u16(), health.text().as_str()), (200, "ok\n"));
}

#[tokio::test]
async fn the_upstreams_own_healthz_and_metrics_are_not_shadowed_and_metrics_stay_private() {
    let upstream = TestServer::start(loopback(1), always(Reply::status(200).body("the upstream's"))).await;
    let admin = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let gw = start(&gateway_toml(upstream.addr, &format!("admin_listen = \"{admin}\""))).await;
    for path in ["/healthz", "/metrics", "/.corsair/metrics"] {
        let got = send(gw.addr, request("GET", gw.addr, path, &[])).await;
        assert_eq!(got.text(), "the upstream's", "{path} is the upstream's on the main listener");
    }
    let health = send(gw.addr, request("GET", gw.addr, "/.corsair/healthz", &[])).await;
    assert_eq!((health.status.as_u16(), health.text().as_str()), (200, "ok\n"));
    assert_eq!(upstream.requests().len(), 3);
    for path in ["/metrics", "/.corsair/metrics"] {
        let metrics = send(admin, request("GET", admin, path, &[])).await;
        assert!(metrics.text().contains("corsair_requests_total"), "{path} on the admin listener");
    }
    for path in ["/healthz", "/.corsair/healthz"] {
        assert_eq!(send(admin, request("GET", admin, path, &[])).await.text(), "ok\n", "{path} on the admin listener");
    }
}

#[tokio::test]
async fn forwarded_headers_hop_by_hop_and_host() {
    let upstream = TestServer::start(loopback(1), always(Reply::status(200))).await;
    let gw = start(&gateway_toml(upstream.addr, "")).await;
    let headers = [
        ("origin", APP),
        ("x-forwarded-for", "6.6.6.6"),
        ("connection", "x-drop-me"),
        ("x-drop-me", "1"),
        ("te", "trailers"),
        ("x-kept", "yes"),
    ];
    send(gw.addr, request("GET", gw.addr, "/", &headers)).await;
    let seen = &upstream.requests()[0];
    assert_eq!(seen.header("x-forwarded-for"), Some("127.0.0.1"), "a client cannot forge its address");
    assert_eq!(seen.header("x-forwarded-proto"), Some("http"));
    assert_eq!(seen.header("x-forwarded-host"), Some(gw.addr.to_string().as_str()));
    assert_eq!(seen.header("host"), Some(upstream.addr.to_string().as_str()));
    assert_eq!(seen.header("x-drop-me"), None);
    assert_eq!(seen.header("te"), None);
    assert_eq!(seen.header("x-kept"), Some("yes"));

    let upstream = TestServer::start(loopback(1), always(Reply::status(200))).await;
    let gw = start(&gateway_toml(upstream.addr, "forwarded = \"append\"")).await;
    send(gw.addr, request("GET", gw.addr, "/", &[("x-forwarded-for", "10.0.0.1")])).await;
    assert_eq!(upstream.requests()[0].header("x-forwarded-for"), Some("10.0.0.1, 127.0.0.1"));
}

#[tokio::test]
async fn bodies_stream_both_ways_and_the_limit_is_kept() {
    let big = vec![b'x'; 3 << 20];
    let body = big.clone();
    let upstream = TestServer::start(
        loopback(1),
        Arc::new(move |r: &Recorded| match r.method.as_str() {
            "GET" => Reply::status(200).body(body.clone()),
            _ => Reply::status(201).header("x-got", r.header("content-length").unwrap_or("chunked")),
        }),
    )
    .await;
    let gw = start(&gateway_toml(upstream.addr, "max_body_bytes = 1048576")).await;
    let got = send(gw.addr, request("GET", gw.addr, "/big", &[("origin", APP)])).await;
    assert_eq!(got.body.len(), big.len());

    let payload = Bytes::from(vec![b'y'; 1 << 20]);
    let got = send(gw.addr, request_with_body("POST", gw.addr, "/up", &[("origin", APP)], payload)).await;
    assert_eq!(got.status, 201);
    assert_eq!(got.one("x-got").as_deref(), Some("1048576"));

    let over = Bytes::from(vec![b'y'; (1 << 20) + 1]);
    let got = send(gw.addr, request_with_body("POST", gw.addr, "/up", &[("origin", APP)], over)).await;
    assert_eq!(got.status, 413);
    assert_eq!(got.one("access-control-allow-origin").as_deref(), Some(APP));
    assert_eq!(upstream.requests().len(), 2, "the oversized body never reached the upstream");
}

#[tokio::test]
async fn http2_clients_and_http2_tls_upstreams() {
    let upstream = TestServer::start_tls(loopback(1), always(Reply::status(200).body("over h2"))).await;
    let dir = tempdir();
    let ca = dir.join("upstream-ca.pem");
    std::fs::write(&ca, upstream.cert_pem.as_ref().unwrap()).unwrap();
    let text = format!(
        "allow_origins = [\"{APP}\"]\n[proxy]\nupstream = \"https://localhost:{}\"\nupstream_ca = \"{}\"\n",
        upstream.addr.port(),
        ca.display()
    );
    let flags = corsair_gateway::Flags { resolve: vec!["localhost:127.0.0.1".into()], ..Default::default() };
    let gw = start_with(&text, &flags).await;
    let got = send_h2(gw.addr, request("GET", gw.addr, "/x", &[("origin", APP)])).await;
    assert_eq!(got.version, http::Version::HTTP_2);
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(got.text(), "over h2");
    assert_eq!(got.one("access-control-allow-origin").as_deref(), Some(APP));
    assert_eq!(upstream.requests()[0].version, "HTTP/2", "ALPN chose h2 to the upstream");

    // Without the CA the upstream's certificate is refused: 502 and a clear reason.
    let text =
        format!("allow_origins = [\"{APP}\"]\n[proxy]\nupstream = \"https://localhost:{}\"\n", upstream.addr.port());
    let gw = start_with(&text, &flags).await;
    let got = send(gw.addr, request("GET", gw.addr, "/x", &[("origin", APP)])).await;
    assert_eq!(got.status, 502);
    assert!(got.text().contains("TLS"), "{}", got.text());
}

#[tokio::test]
async fn tls_listener_speaks_h2_and_http11() {
    let upstream = TestServer::start(loopback(1), always(Reply::status(200).body("ok"))).await;
    let dir = tempdir();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), cert.key_pair.serialize_pem()).unwrap();
    let text = gateway_toml(
        upstream.addr,
        &format!("tls_cert = \"{}\"\ntls_key = \"{}\"", dir.join("cert.pem").display(), dir.join("key.pem").display()),
    );
    let gw = start(&text).await;

    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    for (alpn, version) in [(b"h2".to_vec(), http::Version::HTTP_2), (b"http/1.1".to_vec(), http::Version::HTTP_11)] {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots.clone())
            .with_no_client_auth();
        config.alpn_protocols = vec![alpn];
        let tcp = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await.unwrap();
        let io = hyper_util::rt::TokioIo::new(tls);
        let req = request("GET", gw.addr, "/", &[("origin", APP)]);
        let response = if version == http::Version::HTTP_2 {
            let (mut s, c) =
                hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), io).await.unwrap();
            tokio::spawn(c);
            s.send_request(req).await.unwrap()
        } else {
            let (mut s, c) = hyper::client::conn::http1::handshake(io).await.unwrap();
            tokio::spawn(c);
            s.send_request(req).await.unwrap()
        };
        assert_eq!(response.version(), version);
        assert_eq!(response.headers()["access-control-allow-origin"], APP);
    }
    assert_eq!(upstream.requests()[0].header("x-forwarded-proto"), Some("https"));
}

#[tokio::test]
async fn routes_pick_the_longest_prefix_and_strip_it() {
    let api = TestServer::start(loopback(1), always(Reply::status(200).body("api"))).await;
    let admin = TestServer::start(loopback(2), always(Reply::status(200).body("admin"))).await;
    let text = format!(
        r#"allow_origins = ["{APP}"]
[profiles.admin]
allow_origins = ["https://admin.example.com"]
[proxy]
upstream = "http://{}"
[[proxy.routes]]
prefix = "/admin"
upstream = "http://{}/internal"
profile = "admin"
strip_prefix = true
"#,
        api.addr, admin.addr
    );
    let gw = start(&text).await;
    let got =
        send(gw.addr, request("GET", gw.addr, "/admin/users?page=2", &[("origin", "https://admin.example.com")])).await;
    assert_eq!(got.text(), "admin");
    assert_eq!(got.one("access-control-allow-origin").as_deref(), Some("https://admin.example.com"));
    assert_eq!(admin.requests()[0].path, "/internal/users?page=2");
    // The admin route's policy does not list the app; the default route's does.
    let got = send(gw.addr, request("GET", gw.addr, "/admin", &[("origin", APP)])).await;
    assert_eq!(got.one("access-control-allow-origin"), None);
    let got = send(gw.addr, request("GET", gw.addr, "/administrator", &[("origin", APP)])).await;
    assert_eq!(got.text(), "api", "/administrator is not under /admin");
    assert_eq!(got.one("access-control-allow-origin").as_deref(), Some(APP));
}

#[tokio::test]
async fn report_only_changes_nothing() {
    let upstream =
        TestServer::start(loopback(1), always(Reply::status(200).header("access-control-allow-origin", "*"))).await;
    let gw = start(&gateway_toml(upstream.addr, "report_only = true")).await;
    let got = send(gw.addr, request("GET", gw.addr, "/", &[("origin", EVIL)])).await;
    assert_eq!(got.one("access-control-allow-origin").as_deref(), Some("*"), "the upstream's headers pass untouched");
    let preflight = [("origin", EVIL), ("access-control-request-method", "DELETE")];
    let got = send(gw.addr, request("OPTIONS", gw.addr, "/", &preflight)).await;
    assert_eq!(got.status, 200, "report-only forwards preflights too");
    assert_eq!(upstream.requests().len(), 2);
}

#[tokio::test]
async fn websocket_upgrades_pass_for_allowed_origins_only() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // A WebSocket-ish upstream: answers the handshake with 101, then echoes bytes.
    let upstream = raw_upstream(|mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: x\r\n\r\n")
            .await;
        let mut buf = [0u8; 64];
        while let Ok(n) = s.read(&mut buf).await {
            if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    })
    .await;
    let gw = start(&gateway_toml(upstream, "")).await;
    let handshake = |origin: &str| {
        format!(
            "GET /socket HTTP/1.1\r\nhost: {}\r\nconnection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\norigin: {origin}\r\n\r\n",
            gw.addr
        )
    };
    let mut s = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    s.write_all(handshake(APP).as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 1024];
    let n = s.read(&mut buf).await.unwrap();
    let head = String::from_utf8_lossy(&buf[..n]).to_lowercase();
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(head.contains("upgrade: websocket"), "{head}");
    s.write_all(b"ping").await.unwrap();
    let mut echo = [0u8; 4];
    s.read_exact(&mut echo).await.unwrap();
    assert_eq!(&echo, b"ping");

    let mut s = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    s.write_all(handshake(EVIL).as_bytes()).await.unwrap();
    let n = s.read(&mut buf).await.unwrap();
    let head = String::from_utf8_lossy(&buf[..n]).to_lowercase();
    assert!(head.starts_with("http/1.1 403"), "browsers do not apply CORS to WebSockets, so the gateway must: {head}");
}

/// A fresh directory under the target directory (kept small; removed at the start of each use).
fn tempdir() -> std::path::PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("corsair-gateway-test-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
