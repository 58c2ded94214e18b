//! The real browser is the judge: headless Chromium loads a page from an allowed loopback origin
//! (`http://127.0.0.1:P`) and one from a refused origin (`http://127.0.0.3:Q`), and each page
//! calls the API of `examples/axum.rs` (the same router, served in-process on `127.0.0.2`) with
//! `fetch()`. Allowed calls must resolve with the real status; refused ones must be blocked with
//! the console message corsair's browser model predicts (asked over the same socket with
//! corsair-probe).
//!
//! Without Chromium the test is SKIPPED (loudly), except on CI (`CI=true`), where it fails.
//! Run: `cargo test -p corsair-tower --test browser -- --nocapture`.

mod common;

#[path = "../examples/axum.rs"]
#[allow(dead_code)]
mod example;

use corsair_core::browser::Intent;
use corsair_core::Origin;
use corsair_probe::{Probe, ProbeOptions};
use corsair_testkit::chromium::Chromium;
use corsair_testkit::page_server;
use corsair_tower::CorsLayer;

/// The console message corsair's browser model predicts for the same call.
async fn predicted(url: &str, page_origin: &str, method: &str, headers: &[(&str, &str)]) -> Option<String> {
    let mut intent = Intent::new(url.parse().unwrap(), Origin::parse(page_origin).unwrap()).method(method);
    for (n, v) in headers {
        intent = intent.header(n, v);
    }
    Probe::new(ProbeOptions::default()).unwrap().run(intent).await.verdict.console_message()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_allows_the_listed_origin_and_blocks_the_other() {
    let Some(chromium) = Chromium::for_tests() else { return };
    let allowed_page = page_server(1).await;
    let refused_page = page_server(3).await;
    let allowed = allowed_page.origin("http");
    let refused = refused_page.origin("http");
    let policy = example::policy(&allowed).expect("the example's policy builds");
    let api = common::serve_on([127, 0, 0, 2], example::app(CorsLayer::new(policy).debug(true))).await;
    let items = api.url("/api/items");
    let item = api.url("/api/items/7");
    let fail = api.url("/api/fail");
    let json = [("Content-Type", "application/json")];

    let browser = chromium.launch().await.expect("Chromium starts");
    println!("{} ({})", chromium.version().unwrap_or_default(), browser.product().await.unwrap_or_default());
    println!("api {}  allowed page {allowed}  refused page {refused}", api.url(""));
    let page = browser.new_page().await.expect("a tab");

    // --- from the allowed origin --------------------------------------------------------------
    page.navigate(&format!("{allowed}/page")).await.expect("the allowed page loads");
    page.take_console();

    let list = page.fetch(&items, "GET", &[]).await;
    println!("allowed GET {items}: {list:?}");
    assert!(list.ok && list.status == Some(200), "{list:?}");
    assert!(list.body.contains("anchor"), "{list:?}");
    assert!(list.readable.contains(&"x-total-count".to_owned()), "exposed: {list:?}");

    let save = page.fetch(&item, "PUT", &json).await;
    println!("allowed PUT {item} (preflighted): {save:?}");
    assert!(save.ok && save.status == Some(200), "{save:?}");
    assert_eq!(save.body, "{\"saved\":7,\"bytes\":0}");

    let error = page.fetch(&fail, "GET", &[]).await;
    println!("allowed GET {fail}: {error:?}");
    assert!(error.ok && error.status == Some(500), "the page reads the real error: {error:?}");
    assert_eq!(error.body, "the database is down");

    let header = page.fetch(&items, "GET", &[("X-Evil", "1")]).await;
    println!("allowed origin, unlisted header: {header:?}");
    assert!(!header.ok, "{header:?}");
    let expected = format!("Access to fetch at '{items}' from origin '{allowed}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource.");
    assert_eq!(header.console_message().as_deref(), Some(expected.as_str()));
    assert_eq!(predicted(&items, &allowed, "GET", &[("X-Evil", "1")]).await, header.console_message());

    // --- from the refused origin --------------------------------------------------------------
    page.navigate(&format!("{refused}/page")).await.expect("the refused page loads");
    page.take_console();

    let list = page.fetch(&items, "GET", &[]).await;
    println!("refused GET {items}: {list:?}");
    assert!(!list.ok, "{list:?}");
    let expected = format!("Access to fetch at '{items}' from origin '{refused}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.");
    assert_eq!(list.console_message().as_deref(), Some(expected.as_str()));
    assert_eq!(predicted(&items, &refused, "GET", &[]).await, list.console_message());

    let save = page.fetch(&item, "PUT", &json).await;
    println!("refused PUT {item}: {save:?}");
    assert!(!save.ok, "{save:?}");
    let expected = format!("Access to fetch at '{item}' from origin '{refused}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource.");
    assert_eq!(save.console_message().as_deref(), Some(expected.as_str()));
    assert_eq!(predicted(&item, &refused, "PUT", &json).await, save.console_message());

    browser.close().await;
}
