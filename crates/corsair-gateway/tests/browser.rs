//! The real browser is the judge: headless Chromium loads a page from an allowed loopback origin
//! (`http://127.0.0.1:P`) and one from a refused origin (`http://127.0.0.3:Q`), and each page
//! calls an upstream that sends wrong CORS headers, or none, through the gateway (on
//! `127.0.0.2`). Through the gateway, allowed calls resolve with the upstream's real answer, and
//! refused ones are blocked with the console message corsair's browser model predicts.
//!
//! Without Chromium the test is SKIPPED (loudly), except on CI (`CI=true`), where it fails.
//! Run: `cargo test -p corsair-gateway --test browser -- --nocapture`.

mod common;

use std::sync::Arc;

use corsair_core::browser::Intent;
use corsair_core::Origin;
use corsair_gateway::Flags;
use corsair_probe::{Probe, ProbeOptions};
use corsair_testkit::chromium::Chromium;
use corsair_testkit::{loopback, page_server, Recorded, Reply, TestServer};

/// An API whose CORS is broken: a wrong origin on `/items`, nothing on `/plain` and `/fail`.
async fn broken_api() -> TestServer {
    TestServer::start(
        loopback(4),
        Arc::new(|r: &Recorded| match (r.method.as_str(), r.path.as_str()) {
            (_, "/fail") => Reply::status(500).body("the database is down"),
            (_, "/plain") => Reply::status(200).body("plain"),
            ("PUT", _) => {
                Reply::status(200).header("Access-Control-Allow-Origin", "https://wrong.example").body("saved")
            }
            _ => Reply::status(200)
                .header("Access-Control-Allow-Origin", "https://wrong.example")
                .header("X-Total-Count", "3")
                .body("[1,2,3]"),
        }),
    )
    .await
}

async fn predicted(url: &str, page_origin: &str, method: &str, headers: &[(&str, &str)]) -> Option<String> {
    let mut intent = Intent::new(url.parse().unwrap(), Origin::parse(page_origin).unwrap()).method(method);
    for (n, v) in headers {
        intent = intent.header(n, v);
    }
    Probe::new(ProbeOptions::default()).unwrap().run(intent).await.verdict.console_message()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_reads_the_api_through_the_gateway_from_the_allowed_origin_only() {
    let Some(chromium) = Chromium::for_tests() else { return };
    let allowed_page = page_server(1).await;
    let refused_page = page_server(3).await;
    let allowed = allowed_page.origin("http");
    let refused = refused_page.origin("http");
    let api = broken_api().await;
    let text = format!(
        r#"allow_origins = ["{allowed}"]
allow_methods = ["GET", "PUT"]
allow_headers = ["content-type"]
expose_headers = ["x-total-count"]
[proxy]
upstream = "http://{}"
"#,
        api.addr
    );
    let gw = common::start_with(&text, &Flags { listen: Some("127.0.0.2:0".into()), ..Flags::default() }).await;
    let items = gw.url("/items");
    let plain = gw.url("/plain");
    let fail = gw.url("/fail");
    let direct = format!("http://{}/items", api.addr);
    let json = [("Content-Type", "application/json")];

    let browser = chromium.launch().await.expect("Chromium starts");
    println!("{} ({})", chromium.version().unwrap_or_default(), browser.product().await.unwrap_or_default());
    println!("gateway {}  api {}  allowed page {allowed}  refused page {refused}", gw.url(""), api.addr);
    let page = browser.new_page().await.expect("a tab");

    // --- from the allowed origin --------------------------------------------------------------
    page.navigate(&format!("{allowed}/page")).await.expect("the allowed page loads");
    page.take_console();

    let broken = page.fetch(&direct, "GET", &[]).await;
    println!("allowed GET {direct} (no gateway): {broken:?}");
    assert!(!broken.ok, "without the gateway the wrong Allow-Origin blocks the call: {broken:?}");
    assert_eq!(predicted(&direct, &allowed, "GET", &[]).await, broken.console_message());

    let list = page.fetch(&items, "GET", &[]).await;
    println!("allowed GET {items}: {list:?}");
    assert!(list.ok && list.status == Some(200) && list.body == "[1,2,3]", "{list:?}");

    let none = page.fetch(&plain, "GET", &[]).await;
    assert!(none.ok && none.body == "plain", "an upstream without CORS headers: {none:?}");

    let save = page.fetch(&items, "PUT", &json).await;
    println!("allowed PUT {items} (preflighted): {save:?}");
    assert!(save.ok && save.status == Some(200) && save.body == "saved", "{save:?}");

    let error = page.fetch(&fail, "GET", &[]).await;
    println!("allowed GET {fail}: {error:?}");
    assert!(error.ok && error.status == Some(500), "the page reads the real error: {error:?}");
    assert_eq!(error.body, "the database is down");

    // --- from the refused origin --------------------------------------------------------------
    page.navigate(&format!("{refused}/page")).await.expect("the refused page loads");
    page.take_console();

    let list = page.fetch(&items, "GET", &[]).await;
    println!("refused GET {items}: {list:?}");
    assert!(!list.ok, "{list:?}");
    let expected = format!("Access to fetch at '{items}' from origin '{refused}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.");
    assert_eq!(list.console_message().as_deref(), Some(expected.as_str()));
    assert_eq!(predicted(&items, &refused, "GET", &[]).await, list.console_message());

    let save = page.fetch(&items, "PUT", &json).await;
    println!("refused PUT {items}: {save:?}");
    assert!(!save.ok, "{save:?}");
    assert_eq!(predicted(&items, &refused, "PUT", &json).await, save.console_message());
    assert!(save.console_message().as_deref().is_some_and(|c| c.contains("Response to preflight request")), "{save:?}");
    assert_eq!(api.requests().iter().filter(|r| r.method == "PUT").count(), 1, "only the allowed PUT got through");

    browser.close().await;
}
