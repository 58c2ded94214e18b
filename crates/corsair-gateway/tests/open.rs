//! The open proxy over real loopback sockets, and the SSRF suite.
//!
//! Traffic stays on loopback: test names (`api.test`, `internal.test`) are pinned to 127.0.0.x
//! with `--resolve`, and loopback is refused like any other non-public range unless the test's
//! `egress_allow` opens one address (standing in for "a public API"). The address classes the
//! guard refuses are tested as pure functions in `src/egress.rs` and corsair-core's `address`.

mod common;

use std::sync::Arc;

use common::*;
use corsair_gateway::Flags;
use corsair_testkit::{loopback, Recorded, Reply, TestServer};

/// An open proxy for the app's origin, reaching `api.test` (pinned to `api`'s address, opened in
/// the guard) and pinning `internal.test` to 127.0.0.3 (not opened).
async fn open_proxy(api: &TestServer, extra: &str) -> Gateway {
    let text = format!(
        r#"allow_origins = ["{APP}"]
allow_headers = ["content-type"]
[proxy]
mode = "open"
allow_targets = ["api.test", "internal.test"]
egress_allow = ["{}/32"]
{extra}
"#,
        api.addr.ip()
    );
    let flags = Flags {
        resolve: vec![format!("api.test:{}", api.addr.ip()), "internal.test:127.0.0.3".into()],
        ..Flags::default()
    };
    start_with(&text, &flags).await
}

#[tokio::test]
async fn proxies_allowed_targets_without_credentials_or_client_details_either_way() {
    let api = TestServer::start(
        loopback(2),
        always(
            Reply::status(200)
                .header("set-cookie", "session=1")
                .header("set-cookie2", "old=1")
                .header("www-authenticate", "Basic realm=\"api\"")
                .header("access-control-allow-origin", "*")
                .header("content-type", "text/html")
                .body("<script>steal()</script>"),
        ),
    )
    .await;
    let gw = open_proxy(&api, "").await;
    let path = format!("/http://api.test:{}/v1/items?q=1", api.addr.port());
    let headers =
        [("origin", APP), ("cookie", "proxy-session=1"), ("cookie2", "$Version=1"), ("authorization", "Bearer x")];
    let got = send(gw.addr, request("GET", gw.addr, &path, &headers)).await;
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(got.one("access-control-allow-origin").as_deref(), Some(APP));
    assert_eq!(got.one("set-cookie"), None);
    assert_eq!(got.one("set-cookie2"), None);
    assert_eq!(got.one("www-authenticate"), None, "a third party does not ask for the user's credentials");
    assert_eq!(
        got.one("content-security-policy").as_deref(),
        Some("sandbox"),
        "proxied HTML must not run as the proxy"
    );
    let seen = &api.requests()[0];
    assert_eq!(seen.path, "/v1/items?q=1");
    assert_eq!(seen.header("cookie"), None);
    assert_eq!(seen.header("cookie2"), None);
    assert_eq!(seen.header("authorization"), None);
    assert_eq!(seen.header("host"), Some(format!("api.test:{}", api.addr.port()).as_str()));
    // The target learns nothing of the proxy's users: no X-Forwarded-* unless `forwarded` says.
    for name in ["x-forwarded-for", "x-forwarded-host", "x-forwarded-proto"] {
        assert_eq!(seen.header(name), None, "{name}");
    }
}

#[tokio::test]
async fn refuses_unlisted_targets_origins_and_requests_without_origin() {
    let api = TestServer::start(loopback(2), always(Reply::status(200))).await;
    let gw = open_proxy(&api, "").await;
    let port = api.addr.port();

    let got = send(gw.addr, request("GET", gw.addr, &format!("/http://other.test:{port}/"), &[("origin", APP)])).await;
    assert_eq!(got.status, 403);
    assert!(got.text().contains("not a target"), "{}", got.text());
    assert_eq!(got.one("access-control-allow-origin").as_deref(), Some(APP), "the page can read why");

    let got = send(gw.addr, request("GET", gw.addr, &format!("/http://api.test:{port}/"), &[])).await;
    assert_eq!(got.status, 403, "not a browsing proxy");

    let got = send(gw.addr, request("GET", gw.addr, &format!("/http://api.test:{port}/"), &[("origin", EVIL)])).await;
    assert_eq!(got.status, 403);
    assert_eq!(got.one("access-control-allow-origin"), None);

    let got = send(gw.addr, request("GET", gw.addr, "/ftp://api.test/", &[("origin", APP)])).await;
    assert_eq!(got.status, 400);
    let got =
        send(gw.addr, request("GET", gw.addr, &format!("/http://user:pw@api.test:{port}/"), &[("origin", APP)])).await;
    assert_eq!(got.status, 400);
    assert!(api.requests().is_empty(), "nothing reached the upstream");
}

#[tokio::test]
async fn refuses_non_public_destinations_after_resolution() {
    let api = TestServer::start(loopback(2), always(Reply::status(200))).await;
    // Something listens on internal.test's pinned address: only the guard keeps it out.
    let internal = TestServer::start(loopback(3), always(Reply::status(200).body("secret"))).await;
    let gw = open_proxy(&api, "metrics_on_listen = true").await;
    let path = format!("/http://internal.test:{}/admin", internal.addr.port());
    let got = send(gw.addr, request("GET", gw.addr, &path, &[("origin", APP)])).await;
    assert_eq!(got.status, 403, "{}", got.text());
    assert!(got.text().contains("not public"), "{}", got.text());
    assert!(internal.requests().is_empty());

    // IP literals are checked without DNS, loopback and the proxy's own address included.
    let text = format!(
        "allow_origins = [\"{APP}\"]\n[proxy]\nmode = \"open\"\nallow_targets = [\"127.0.0.3\", \"127.0.0.1\"]\n"
    );
    let gw2 = start(&text).await;
    for target in
        [format!("/http://127.0.0.3:{}/", internal.addr.port()), format!("/http://127.0.0.1:{}/", gw2.addr.port())]
    {
        let got = send(gw2.addr, request("GET", gw2.addr, &target, &[("origin", APP)])).await;
        assert_eq!(got.status, 403, "{target}: {}", got.text());
    }
    let metrics = send(gw.addr, request("GET", gw.addr, "/.corsair/metrics", &[])).await.text();
    assert!(metrics.contains("corsair_refusals_total{reason=\"egress\"} 1"), "{metrics}");
}

#[tokio::test]
async fn redirects_come_back_through_the_proxy_and_every_hop_is_checked() {
    let internal = TestServer::start(loopback(3), always(Reply::status(200).body("secret"))).await;
    let target = format!("http://internal.test:{}/latest/meta-data", internal.addr.port());
    let api = TestServer::start(
        loopback(2),
        Arc::new(move |r: &Recorded| match r.path.as_str() {
            "/old" => Reply::status(302).header("location", "/new"),
            "/evil" => Reply::status(307).header("location", target.as_str()),
            _ => Reply::status(200).body("new"),
        }),
    )
    .await;
    let gw = open_proxy(&api, "").await;
    let base = format!("http://api.test:{}", api.addr.port());

    let got = send(gw.addr, request("GET", gw.addr, &format!("/{base}/old"), &[("origin", APP)])).await;
    assert_eq!(got.status, 302);
    assert_eq!(got.one("location"), Some(format!("/{base}/new")), "relative redirects resolve against the target");
    assert_eq!(got.one("access-control-allow-origin").as_deref(), Some(APP), "browsers follow CORS redirects");

    let got = send(gw.addr, request("GET", gw.addr, &format!("/{base}/evil"), &[("origin", APP)])).await;
    let next = got.one("location").unwrap();
    assert_eq!(next, format!("/http://internal.test:{}/latest/meta-data", internal.addr.port()));
    // The browser follows the redirect to the proxy, which checks the new hop like any request.
    let got = send(gw.addr, request("GET", gw.addr, &next, &[("origin", APP)])).await;
    assert_eq!(got.status, 403, "{}", got.text());
    assert!(internal.requests().is_empty());
}

#[tokio::test]
async fn rate_limits_per_client_answer_429_with_retry_after() {
    let api = TestServer::start(loopback(2), always(Reply::status(200))).await;
    let gw = open_proxy(&api, "rate_per_client = \"3/minute\"").await;
    let path = format!("/http://api.test:{}/", api.addr.port());
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let got = send(gw.addr, request("GET", gw.addr, &path, &[("origin", APP)])).await;
        statuses.push(got.status.as_u16());
        if got.status == 429 {
            let retry: u64 = got.one("retry-after").unwrap().parse().unwrap();
            assert!((1..=60).contains(&retry), "{retry}");
            assert_eq!(got.one("access-control-allow-origin").as_deref(), Some(APP), "the page can read the 429");
        }
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    assert_eq!(api.requests().len(), 3);
    // Preflights are answered by the proxy and cost the upstream nothing: not limited.
    let preflight = [
        ("origin", APP),
        ("access-control-request-method", "POST"),
        ("access-control-request-headers", "content-type"),
    ];
    let got = send(gw.addr, request("OPTIONS", gw.addr, &path, &preflight)).await;
    assert_eq!(got.status, 204);
}
