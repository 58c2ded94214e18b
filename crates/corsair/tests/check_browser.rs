//! `corsair check --browser`: the real binary against scripted loopback servers, printing
//! Chromium's words, Firefox ESR's, WebKit's, or all three.

use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use corsair_testkit::{loopback, Recorded, Reply, TestServer};
use serde_json::Value;

const PAGE: &str = "http://localhost:5173";

async fn corsair(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_corsair"))
            .args(&args)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .expect("run corsair")
    })
    .await
    .unwrap()
}

async fn check(url: &str, extra: &[&str]) -> (Option<i32>, String) {
    let mut a: Vec<String> = ["check", url, "--origin", PAGE].iter().map(|s| (*s).to_owned()).collect();
    a.extend(extra.iter().map(|s| (*s).to_owned()));
    let o = corsair(a).await;
    (o.status.code(), String::from_utf8_lossy(&o.stdout).into_owned())
}

/// `corsair explain --format json` of `pasted`, given on standard input.
async fn explain(pasted: String) -> Value {
    let explained = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_corsair"))
            .args(["explain", "--format", "json"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(pasted.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    serde_json::from_slice(&explained.stdout).unwrap()
}

fn blocked_at(url: &str, reason: &str) -> String {
    format!("Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {url}. (Reason: {reason}).")
}

/// Preflights get 404 with the origin allowed; everything else 200 without CORS headers.
fn preflight_404() -> corsair_testkit::Script {
    Arc::new(|r: &Recorded| {
        if r.method == "OPTIONS" {
            Reply::status(404).header("Access-Control-Allow-Origin", PAGE)
        } else {
            Reply::status(200)
        }
    })
}

#[tokio::test]
async fn firefox_prints_firefoxs_lines_and_reason_instead_of_chromiums_message() {
    let server = TestServer::start(loopback(1), preflight_404()).await;
    let url = format!("{}/items", server.origin("http"));
    let (code, out) = check(&url, &["-X", "PUT", "--browser", "firefox"]).await;
    assert_eq!(code, Some(1), "{out}");
    let expected = format!(
        "\nFirefox console:\n  {} Status code: 404.\n  {} Status code: (null).\nFirefox reason: CORSPreflightDidNotSucceed\nfetch() rejects with: TypeError: NetworkError when attempting to fetch resource.\n",
        blocked_at(&url, "CORS preflight response did not succeed"),
        blocked_at(&url, "CORS request did not succeed"),
    );
    assert!(out.contains(&expected), "{out}");
    assert!(!out.contains("Chromium console"), "{out}");
    assert!(out.contains("\nFix:\n"), "the fix is the same model's: {out}");
}

#[tokio::test]
async fn chromium_is_the_default_and_its_output_is_unchanged() {
    let server = TestServer::start(loopback(1), preflight_404()).await;
    let url = format!("{}/items", server.origin("http"));
    let (_, default) = check(&url, &["-X", "PUT"]).await;
    let (_, chromium) = check(&url, &["-X", "PUT", "--browser", "chromium"]).await;
    assert_eq!(default, chromium);
    assert!(default.contains(&format!("\nChromium console:\n  Access to fetch at '{url}' from origin '{PAGE}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: It does not have HTTP ok status.\nFirefox reason: CORSPreflightDidNotSucceed\n")), "{default}");
    assert!(!default.contains("Firefox console"), "{default}");
}

#[tokio::test]
async fn all_prints_each_engines_verdict_and_where_they_differ() {
    // One line holding two origins: Chromium reads a list, Firefox a mismatch.
    let server = TestServer::start(
        loopback(1),
        Arc::new(|_: &Recorded| {
            Reply::status(200).header("Access-Control-Allow-Origin", format!("{PAGE}, http://b.test"))
        }),
    )
    .await;
    let url = format!("{}/items", server.origin("http"));
    let (code, out) = check(&url, &["--browser", "all"]).await;
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("\nChromium: BLOCKED\n\nChromium console:\n  Access to fetch at"), "{out}");
    let firefox =
        blocked_at(&url, &format!("CORS header ‘Access-Control-Allow-Origin’ does not match ‘{PAGE}, http://b.test’"));
    assert!(
        out.contains(&format!(
            "\nFirefox: BLOCKED\n\nFirefox console:\n  {firefox}\nFirefox reason: CORSAllowOriginNotMatchingOrigin\n"
        )),
        "{out}"
    );
    assert!(out.contains("where their words differ:"), "{out}");
    assert!(out.contains("Firefox judges this response differently: CORSAllowOriginNotMatchingOrigin, where Chromium reports kMultipleAllowOriginValues"), "{out}");
}

#[tokio::test]
async fn all_says_the_engines_agree_when_allowed() {
    let server = TestServer::start(
        loopback(1),
        Arc::new(|_: &Recorded| Reply::status(200).header("Access-Control-Allow-Origin", "*")),
    )
    .await;
    let url = format!("{}/items", server.origin("http"));
    let (code, out) = check(&url, &["--browser", "all"]).await;
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("Chromium: ALLOWED\nFirefox: ALLOWED\nSafari/WebKit: ALLOWED\nThe engines agree.\n"), "{out}");
}

#[tokio::test]
async fn json_gains_each_engines_words_and_keeps_its_fields() {
    let server = TestServer::start(loopback(1), preflight_404()).await;
    let url = format!("{}/items", server.origin("http"));
    let (_, out) = check(&url, &["-X", "PUT", "--format", "json", "--browser", "firefox"]).await;
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["verdict"], "blocked");
    assert!(v["browser_message"].as_str().unwrap().starts_with("Access to fetch at"), "existing field unchanged");
    assert_eq!(v["error"]["kind"], "kPreflightInvalidStatus");
    assert_eq!(v["error"]["firefox_code"], "CORSPreflightDidNotSucceed");
    let ff = &v["engines"]["firefox"];
    assert_eq!(ff["verdict"], "blocked");
    assert_eq!(ff["reason_code"], "CORSPreflightDidNotSucceed");
    assert_eq!(
        ff["console"],
        serde_json::json!([
            format!("{} Status code: 404.", blocked_at(&url, "CORS preflight response did not succeed")),
            format!("{} Status code: (null).", blocked_at(&url, "CORS request did not succeed")),
        ])
    );
    assert_eq!(ff["fetch_rejection"], "TypeError: NetworkError when attempting to fetch resource.");
    let ch = &v["engines"]["chromium"];
    assert_eq!(ch["error_kind"], "kPreflightInvalidStatus");
    assert_eq!(ch["console"][0], v["browser_message"]);
    assert_eq!(ch["fetch_rejection"], "TypeError: Failed to fetch");
}

/// `Access-Control-Allow-Origin: *` on GET; preflights are not routed (404, no CORS headers).
fn star_without_preflight_route() -> corsair_testkit::Script {
    Arc::new(|r: &Recorded| {
        if r.method == "OPTIONS" {
            Reply::status(404)
        } else {
            Reply::status(200).header("Access-Control-Allow-Origin", "*")
        }
    })
}

#[tokio::test]
async fn a_client_hint_is_preflighted_and_blocked_in_firefox_only() {
    let server = TestServer::start(loopback(1), star_without_preflight_route()).await;
    let url = format!("{}/items", server.origin("http"));
    let (code, out) = check(&url, &["-H", "DPR: 2.5"]).await;
    assert_eq!(code, Some(0), "Chromium safelists DPR: {out}");
    let (code, out) = check(&url, &["-H", "DPR: 2.5", "--browser", "firefox"]).await;
    assert_eq!(code, Some(1), "Firefox preflights it: {out}");
    assert!(out.contains("> Access-Control-Request-Headers: dpr"), "{out}");
    let missing =
        format!("{} Status code: 404.", blocked_at(&url, "CORS header ‘Access-Control-Allow-Origin’ missing"));
    assert!(out.contains(&missing), "{out}");
    let (_, out) = check(&url, &["-H", "DPR: 2.5", "--browser", "all"]).await;
    assert!(out.contains("\nFirefox: NOT CHECKED: it would send other requests here"), "{out}");
    let (_, out) = check(&url, &["-H", "DPR: 2.5", "--browser", "firefox", "--format", "json"]).await;
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["engines"]["firefox"]["verdict"], "blocked");
    assert_eq!(v["engines"]["chromium"]["verdict"], "not_checked");
}

#[tokio::test]
async fn firefox_preflights_again_after_a_303_turned_a_preflighted_post_into_a_get() {
    let server = TestServer::start(
        loopback(1),
        Arc::new(|r: &Recorded| match (r.method.as_str(), r.path.as_str()) {
            ("OPTIONS", "/a") => Reply::status(204)
                .header("Access-Control-Allow-Origin", PAGE)
                .header("Access-Control-Allow-Headers", "content-type"),
            (_, "/a") => Reply::status(303).header("Access-Control-Allow-Origin", "*").header("Location", "/b"),
            ("OPTIONS", _) => Reply::status(404),
            _ => Reply::status(200).header("Access-Control-Allow-Origin", "*"),
        }),
    )
    .await;
    let url = format!("{}/a", server.origin("http"));
    let post = ["-X", "POST", "-H", "Content-Type: application/json"];
    let (code, out) = check(&url, &post).await;
    assert_eq!(code, Some(0), "Chromium follows the 303 with a plain GET: {out}");
    let (code, out) = check(&url, &[&post[..], &["--browser", "firefox"]].concat()).await;
    assert_eq!(code, Some(1), "Firefox preflights /b, which is not routed: {out}");
    let b = format!("{}/b", server.origin("http"));
    assert!(out.contains(&format!("OPTIONS {b}  preflight")), "{out}");
    let (_, out) = check(&url, &[&post[..], &["--browser", "all"]].concat()).await;
    assert!(out.contains("\nFirefox: NOT CHECKED"), "{out}");
}

#[tokio::test]
async fn explain_reads_back_what_check_prints_for_firefox() {
    let server = TestServer::start(loopback(1), preflight_404()).await;
    let url = format!("{}/items", server.origin("http"));
    let (_, out) = check(&url, &["-X", "PUT", "--format", "json", "--browser", "firefox"]).await;
    let v: Value = serde_json::from_str(&out).unwrap();
    let lines: Vec<String> =
        v["engines"]["firefox"]["console"].as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_owned()).collect();
    assert_eq!(lines.len(), 2);
    let e = explain(lines[0].clone()).await;
    assert_eq!(e["browser"], "firefox");
    assert_eq!(e["error"]["firefox_code"], v["engines"]["firefox"]["reason_code"]);
    assert_eq!(e["url"], url.as_str());
    assert_eq!(e["status"], 404);
}

#[tokio::test]
async fn webkit_prints_webkits_two_lines_with_the_status_checked_first() {
    // The preflight answers 404 with the origin allowed: Chromium and Firefox report the status;
    // so does WebKit, which checks it first.
    let server = TestServer::start(loopback(1), preflight_404()).await;
    let url = format!("{}/items", server.origin("http"));
    let (code, out) = check(&url, &["-X", "PUT", "--browser", "webkit"]).await;
    assert_eq!(code, Some(1), "{out}");
    let expected = format!(
        "\nWebKit console:\n  Preflight response is not successful. Status code: 404\n  Fetch API cannot load {url} due to access control checks.\nfetch() rejects with: TypeError: Load failed\n"
    );
    assert!(out.contains(&expected), "{out}");
    assert!(!out.contains("Chromium console"), "{out}");
    assert!(out.contains("\nFix:\n"), "the fix is the same model's: {out}");
    let (_, out) = check(&url, &["-X", "PUT", "--format", "json", "--browser", "webkit"]).await;
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["verdict"], "blocked");
    assert!(v["browser_message"].as_str().unwrap().starts_with("Access to fetch at"), "existing field unchanged");
    let wk = &v["engines"]["webkit"];
    assert_eq!(wk["verdict"], "blocked");
    assert_eq!(wk["console"][0], "Preflight response is not successful. Status code: 404");
    assert_eq!(wk["fetch_rejection"], "TypeError: Load failed");
}

#[tokio::test]
async fn all_says_webkit_is_not_checked_where_it_would_send_other_requests() {
    // A Range WebKit safelists and the others preflight (here refused): WebKit is not checked
    // by a Chromium probe, and is checked (allowed) by its own.
    let ranged = TestServer::start(
        loopback(2),
        Arc::new(|r: &Recorded| {
            if r.method == "OPTIONS" {
                Reply::status(403)
            } else {
                Reply::status(200).header("Access-Control-Allow-Origin", "*")
            }
        }),
    )
    .await;
    let url = format!("{}/items", ranged.origin("http"));
    let (_, out) = check(&url, &["-H", "Range: bytes=+0-", "--browser", "all"]).await;
    assert!(out.contains("\nSafari/WebKit: NOT CHECKED: it would send other requests here"), "{out}");
    let (code, out) = check(&url, &["-H", "Range: bytes=+0-", "--browser", "all", "--format", "json"]).await;
    assert_eq!(code, Some(1), "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["engines"]["chromium"]["verdict"], "blocked");
    assert_eq!(v["engines"]["firefox"]["verdict"], "blocked", "Firefox reads only digits too");
    assert_eq!(v["engines"]["webkit"]["verdict"], "not_checked");
    let (code, out) = check(&url, &["-H", "Range: bytes=+0-", "--browser", "webkit"]).await;
    assert_eq!(code, Some(0), "WebKit sends it without a preflight: {out}");
}

#[tokio::test]
async fn explain_reads_back_what_check_prints_for_webkit() {
    let server = TestServer::start(loopback(1), Arc::new(|_: &Recorded| Reply::status(200))).await;
    let url = format!("{}/items", server.origin("http"));
    let (_, out) = check(&url, &["--format", "json", "--browser", "webkit"]).await;
    let v: Value = serde_json::from_str(&out).unwrap();
    let lines: Vec<String> =
        v["engines"]["webkit"]["console"].as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_owned()).collect();
    assert_eq!(
        lines,
        [
            format!("Origin {PAGE} is not allowed by Access-Control-Allow-Origin. Status code: 200"),
            format!("Fetch API cannot load {url} due to access control checks."),
        ]
    );
    let e = explain(lines.join("\n")).await;
    assert_eq!(e["browser"], "webkit");
    assert_eq!(e["error"]["kind"], "kMissingAllowOriginHeader");
    assert_eq!(e["url"], url.as_str());
    assert_eq!(e["page_origin"], PAGE);
    assert_eq!(e["status"], 200);
}
