//! The Firefox driver against a real headless Firefox ESR and loopback servers.

use std::sync::Arc;

use corsair_testkit::firefox::Firefox;
use corsair_testkit::{loopback, Reply, TestServer};

#[tokio::test]
async fn evaluates_script_and_collects_cors_lines() {
    let Some(firefox) = Firefox::for_tests() else { return };
    let html = |_: &_| Reply::status(200).header("Content-Type", "text/html").body("<!doctype html><title>t</title>");
    let page_server = TestServer::start(loopback(1), Arc::new(html)).await;
    // No Access-Control-Allow-Origin: Firefox blocks the response and says so.
    let api = TestServer::start(loopback(2), Arc::new(|_| Reply::status(404).body("x"))).await;
    let browser = firefox.launch().await.expect("Firefox starts");
    let page = browser.new_page().await.expect("a tab");
    page.navigate(&format!("{}/page", page_server.origin("http"))).await.expect("the page loads");

    assert_eq!(page.evaluate("Promise.resolve(40 + 2)").await.unwrap(), serde_json::json!(42));
    assert_eq!(page.evaluate("({a: [1, 'b', true]})").await.unwrap(), serde_json::json!({"a": [1, "b", true]}));
    assert!(page.evaluate("Promise.reject(new Error('no'))").await.is_err());

    let url = format!("{}/api", api.origin("http"));
    let fetched = page.fetch(&url, "GET", &[]).await;
    assert!(!fetched.ok);
    assert_eq!(fetched.body, "TypeError: NetworkError when attempting to fetch resource.");
    assert_eq!(
        fetched.console,
        [format!("Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {url}. (Reason: CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 404.")]
    );
    browser.close().await;
}
