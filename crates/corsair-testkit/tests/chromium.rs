//! The Chromium driver against a real headless Chromium and a loopback page.

use std::sync::Arc;
use std::time::Duration;

use corsair_testkit::chromium::Chromium;
use corsair_testkit::{loopback, Reply, TestServer};

#[tokio::test]
async fn evaluates_script_and_collects_console_lines() {
    let Some(chromium) = Chromium::for_tests() else { return };
    let page_server = TestServer::start(
        loopback(1),
        Arc::new(|_| Reply::status(200).header("Content-Type", "text/html").body("<!doctype html><title>t</title>")),
    )
    .await;
    let browser = chromium.launch().await.expect("Chromium starts");
    assert!(browser.product().await.expect("Browser.getVersion").contains('/'));
    let page = browser.new_page().await.expect("a tab");
    let url = format!("{}/page", page_server.origin("http"));
    page.navigate(&url).await.expect("the page loads");

    assert_eq!(page.evaluate("Promise.resolve(40 + 2)").await.unwrap(), serde_json::json!(42));
    assert!(page.evaluate("Promise.reject(new Error('no'))").await.unwrap_err().contains("no"));

    page.evaluate("console.log('hello', 7)").await.unwrap();
    assert!(page.wait_console(Duration::from_secs(5), |e| e.text == "hello 7").await);
    let entries = page.take_console();
    let hello = entries.iter().find(|e| e.text == "hello 7").unwrap();
    assert_eq!((hello.source.as_str(), hello.level.as_str()), ("console-api", "log"));
    assert!(page.take_console().is_empty(), "take_console drains");
    browser.close().await;
}
