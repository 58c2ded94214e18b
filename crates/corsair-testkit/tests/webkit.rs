//! The WebKit driver against real WebKitGTK (WebKitWebDriver, our Python `gi` browser, Xvfb)
//! and loopback servers.

use std::sync::Arc;

use corsair_testkit::webkit::WebKit;
use corsair_testkit::{loopback, Reply, TestServer};

#[tokio::test]
async fn evaluates_script_and_collects_cors_lines() {
    let Some(webkit) = WebKit::for_tests() else { return };
    let html = |_: &_| Reply::status(200).header("Content-Type", "text/html").body("<!doctype html><title>t</title>");
    let page_server = TestServer::start(loopback(1), Arc::new(html)).await;
    // No Access-Control-Allow-Origin: WebKit blocks the response and says so, on two lines.
    let api = TestServer::start(loopback(2), Arc::new(|_| Reply::status(404).body("x"))).await;
    let browser = webkit.launch().await.expect("WebKit starts");
    assert!(browser.version().starts_with("2."), "WebKitGTK version {:?}", browser.version());
    let page = page_server.origin("http");
    browser.navigate(&format!("{page}/page")).await.expect("the page loads");

    assert_eq!(browser.evaluate("Promise.resolve(40 + 2)").await.unwrap(), serde_json::json!(42));
    assert_eq!(browser.evaluate("({a: [1, 'b', true]})").await.unwrap(), serde_json::json!({"a": [1, "b", true]}));
    assert!(browser.evaluate("Promise.reject(new Error('no'))").await.is_err());
    let (value, lines) = browser.evaluate_logged("(console.error('between'), 7)").await.unwrap();
    assert_eq!(value, serde_json::json!(7));
    assert_eq!(lines.iter().map(|l| (l.level.as_str(), l.text.as_str())).collect::<Vec<_>>(), [("ERROR", "between")]);

    let url = format!("{}/api", api.origin("http"));
    let fetched = browser.fetch(&url, "GET", &[]).await.expect("the script runs");
    assert!(!fetched.ok);
    assert_eq!(fetched.body, "TypeError: Load failed");
    assert_eq!(
        fetched.console,
        [
            format!("Origin {page} is not allowed by Access-Control-Allow-Origin. Status code: 404"),
            format!("Fetch API cannot load {url} due to access control checks."),
        ]
    );
    // Allowed: no line at all.
    let ok =
        TestServer::start(loopback(3), Arc::new(|_| Reply::status(200).header("Access-Control-Allow-Origin", "*")))
            .await;
    let fetched = browser.fetch(&format!("{}/ok", ok.origin("http")), "GET", &[]).await.expect("the script runs");
    assert!(fetched.ok, "{fetched:?}");
    assert!(fetched.console.is_empty(), "{:?}", fetched.console);
    browser.close().await;
}
