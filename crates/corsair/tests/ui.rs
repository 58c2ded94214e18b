//! `corsair ui` in real Chromium: the page served by the real binary, driven over CDP.
//!
//! The console messages and the HAR the page is given are recorded by the same test in the same
//! Chromium, against a scripted server on another loopback address (as tests/explain_har.rs
//! records them), and what the page shows is held to what the CLI says about the same input:
//! `corsair explain --har --format json` for the HAR, `corsair policy check --format json` for
//! the policy's error locations. The page must make no request but for its own files, and its
//! Content-Security-Policy must refuse a `fetch` to anywhere.
//!
//! Without Chromium these tests are SKIPPED (loudly), except on CI (`CI=true`), where they fail;
//! the same holds for a corsair built without the page's WebAssembly module (docs/ui.md).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use corsair_testkit::chromium::{Chromium, Page};
use corsair_testkit::har::build;
use corsair_testkit::{loopback, page_server, Recorded, Reply, TestServer};
use serde_json::{json, Value};

/// `corsair ui --listen 127.0.0.1:0`, stopped when dropped.
struct Ui {
    child: Child,
    url: String,
}

impl Drop for Ui {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_ui() -> Ui {
    let mut child = Command::new(env!("CARGO_BIN_EXE_corsair"))
        .args(["ui", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("corsair runs");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line).expect("corsair ui prints its URL");
    let url =
        line.split_whitespace().find(|w| w.starts_with("http://")).unwrap_or_else(|| panic!("no URL in {line:?}"));
    assert!(url.starts_with("http://127.0.0.1:"), "loopback by default: {line}");
    Ui { url: url.to_owned(), child }
}

/// Opens the page and waits for the WebAssembly core; `None` (SKIPPED, or a panic on CI) when
/// this corsair was built without it.
async fn open(page: &Page, ui: &Ui) -> Option<()> {
    page.navigate(&ui.url).await.expect("the page loads");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let status = page.evaluate("[document.getElementById('status').dataset.ready || '', document.getElementById('status').textContent]").await.unwrap();
        if status[0] == "true" {
            return Some(());
        }
        let text = status[1].as_str().unwrap_or_default().to_owned();
        if text.contains("built without") {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "corsair was built without the page's WebAssembly module (CI=true): {text}"
            );
            eprintln!("\n==> SKIPPED: corsair ui browser test: {text}\n");
            return None;
        }
        assert!(Instant::now() < deadline, "the core did not start: {text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Replaces a text field's content the way typing does: focus, select all, insert (real input
/// events, so the page reacts as it does to a person).
async fn type_into(page: &Page, id: &str, text: &str) {
    page.evaluate(&format!("(e => {{ e.focus(); e.select(); }})(document.getElementById({}))", json!(id)))
        .await
        .unwrap();
    page.call("Input.insertText", json!({ "text": text })).await.expect("Input.insertText");
}

/// Evaluates `expression` until it is truthy (the page debounces input), and returns it.
async fn wait_for(page: &Page, expression: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let v = page.evaluate(expression).await.unwrap_or(Value::Null);
        if !(v.is_null() || v == false || v == "" || v == json!([])) {
            return v;
        }
        assert!(Instant::now() < deadline, "never true: {expression}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn corsair(args: &[&str]) -> (i32, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_corsair")).args(args).output().expect("corsair runs");
    (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stdout).into_owned())
}

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("corsair-ui-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The API's answers: `/missing` has no CORS headers, `/pf-status` refuses its preflight with a
/// 403, `/ok` passes.
fn api_reply(r: &Recorded) -> Reply {
    let origin = r.header("origin").unwrap_or("").to_owned();
    match (r.path.as_str(), r.method.as_str()) {
        ("/missing", _) => Reply::status(200).body("no CORS headers"),
        ("/pf-status", "OPTIONS") => Reply::status(403).header("Access-Control-Allow-Origin", origin),
        ("/ok", _) => Reply::status(200).header("Access-Control-Allow-Origin", "*"),
        _ => Reply::status(404),
    }
}

/// The page's requests in this tab: every URL `Network.requestWillBeSent` saw.
fn requested_urls(page: &Page) -> Vec<String> {
    page.network_events()
        .iter()
        .filter(|e| e.method == "Network.requestWillBeSent")
        .filter_map(|e| e.params["request"]["url"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typed_message_and_a_recorded_har_are_explained_and_drawn() {
    let Some(chromium) = Chromium::for_tests() else { return };
    // Record, in Chromium: a page on 127.0.0.1 fetching from 127.0.0.2.
    let pages = page_server(1).await;
    let api = TestServer::start(loopback(2), Arc::new(api_reply)).await;
    let browser = chromium.launch().await.expect("Chromium starts");
    let tab = browser.new_page().await.expect("a tab");
    tab.enable_network().await.unwrap();
    let page_url = format!("{}/page", pages.origin("http"));
    tab.navigate(&page_url).await.unwrap();
    let api_origin = api.origin("http");
    for (path, method) in [("/missing", "GET"), ("/pf-status", "PUT"), ("/ok", "GET")] {
        let url = json!(format!("{api_origin}{path}"));
        tab.evaluate(&format!("fetch({url}, {{method: '{method}'}}).then(r => 'ok', e => 'failed')")).await.unwrap();
    }
    let failed = || tab.network_events().iter().filter(|e| e.method == "Network.loadingFailed").count();
    let deadline = Instant::now() + Duration::from_secs(5);
    while failed() < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let recording = build(&tab.network_events(), &page_url);
    let console: Vec<String> =
        tab.take_console().into_iter().map(|e| e.text).filter(|t| t.starts_with("Access to fetch at")).collect();
    let preflight_line = console
        .iter()
        .find(|l| l.contains("/pf-status"))
        .unwrap_or_else(|| panic!("Chromium printed no line for /pf-status: {console:#?}"))
        .clone();
    let har_path = temp_file("recorded.har", &serde_json::to_vec_pretty(&recording.har).unwrap());
    let (code, cli) = corsair(&["explain", "--har", har_path.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 1, "{cli}");
    let cli: Value = serde_json::from_str(&cli).unwrap();

    let ui = start_ui();
    let page = browser.new_page().await.expect("a tab");
    page.enable_network().await.unwrap();
    page.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 1000, "height": 1250, "deviceScaleFactor": 1, "mobile": false}),
    )
    .await
    .unwrap();
    if open(&page, &ui).await.is_none() {
        return;
    }

    // A console message, typed: Chromium's own line for the failed preflight.
    type_into(&page, "method", "PUT").await;
    type_into(&page, "message", &preflight_line).await;
    let shown = wait_for(&page, "(() => { const a = document.querySelector('#explanation article'); return a && {kind: a.dataset.kind, text: a.textContent, steps: [...a.querySelectorAll('svg.diagram .step')].map(s => [s.dataset.kind, s.dataset.failed, s.textContent])}; })()").await;
    assert_eq!(shown["kind"], "kPreflightInvalidStatus", "{shown:#}");
    assert!(shown["text"].as_str().unwrap().contains("It was the OPTIONS preflight"), "{shown:#}");
    let steps: Vec<(String, String)> = shown["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s[0].as_str().unwrap().to_owned(), s[1].as_str().unwrap().to_owned()))
        .collect();
    let expected = [("preflight", "false"), ("response", "true"), ("unsent", "false")];
    assert_eq!(steps, expected.map(|(k, f)| (k.to_owned(), f.to_owned())), "{shown:#}");
    assert!(shown["steps"][2][2].as_str().unwrap().contains(&format!("PUT {api_origin}/pf-status")), "{shown:#}");

    // The HAR, through the file input: the same findings as the CLI, in Chromium's words.
    let document = page.call("DOM.getDocument", json!({})).await.unwrap();
    let input = page
        .call("DOM.querySelector", json!({"nodeId": document["root"]["nodeId"], "selector": "#har-file"}))
        .await
        .unwrap();
    page.call("DOM.setFileInputFiles", json!({"nodeId": input["nodeId"], "files": [har_path.to_str().unwrap()]}))
        .await
        .expect("DOM.setFileInputFiles");
    let summary = wait_for(&page, "document.getElementById('har-summary')?.textContent").await;
    let counts = &cli["summary"];
    assert!(
        summary.as_str().unwrap().starts_with(&format!(
            "{} cross-origin request(s): {} blocked, {} passed",
            counts["cross_origin"], counts["blocked"], counts["allowed"]
        )),
        "{summary} vs {counts}"
    );
    let articles = page
        .evaluate("[...document.querySelectorAll('#har-requests article')].map(a => ({url: a.dataset.url, finding: a.dataset.finding, console: a.querySelector('.console')?.textContent, steps: [...a.querySelectorAll('svg.diagram .step')].map(s => s.dataset.kind + (s.dataset.failed === 'true' ? '!' : ''))}))")
        .await
        .unwrap();
    let listed = cli["requests"].as_array().unwrap();
    assert_eq!(articles.as_array().unwrap().len(), listed.len(), "{articles:#}");
    for r in listed {
        let a = articles
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["url"] == r["url"])
            .unwrap_or_else(|| panic!("{r:#} not shown"));
        assert_eq!(a["finding"], r["verdict"], "{a:#}");
        assert_eq!(a["console"], r["check"]["browser_message"], "{a:#}");
    }
    let steps_of = |path: &str| {
        let url = format!("{api_origin}{path}");
        articles.as_array().unwrap().iter().find(|a| a["url"] == url).map(|a| a["steps"].clone())
    };
    assert_eq!(steps_of("/missing"), Some(json!(["request", "response!"])));
    assert_eq!(steps_of("/pf-status"), Some(json!(["preflight", "response!", "unsent"])));

    // A screenshot for the docs, when asked for (CORSAIR_UI_SCREENSHOT=docs/ui.png): the HAR's
    // report, from its summary to the failed preflight's diagram.
    page.evaluate("document.getElementById('har-report').scrollIntoView()").await.unwrap();
    let shot = page.call("Page.captureScreenshot", json!({"format": "png"})).await.expect("a screenshot");
    let png = base64_decode(shot["data"].as_str().unwrap());
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    if let Ok(path) = std::env::var("CORSAIR_UI_SCREENSHOT") {
        std::fs::write(Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path), &png).unwrap();
    }

    // Nothing but the page's own files was asked for.
    let urls = requested_urls(&page);
    assert!(urls.iter().any(|u| u.ends_with("/corsair_web.js")), "{urls:#?}");
    for u in &urls {
        assert!(u.starts_with(&ui.url) || u.starts_with("data:"), "the page requested {u}");
    }
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_policy_editor_locates_errors_decides_and_writes_snippets() {
    let Some(chromium) = Chromium::for_tests() else { return };
    let browser = chromium.launch().await.expect("Chromium starts");
    let ui = start_ui();
    let page = browser.new_page().await.expect("a tab");
    if open(&page, &ui).await.is_none() {
        return;
    }
    let bad = "allow_origins = [\"https://app.example.com\"]\nallow_methods = [\"PUT\"]\nmax_age = 999999\nallow_headers = [\"x bad\"]\n";
    type_into(&page, "policy", bad).await;
    let errors = wait_for(&page, "[...document.querySelectorAll('#policy-errors li')].map(li => [li.dataset.line, li.dataset.column, li.textContent])").await;
    // Where `corsair policy check` puts them.
    let path = temp_file("bad.toml", bad.as_bytes());
    let (code, cli) = corsair(&["policy", "check", path.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 1, "{cli}");
    let cli: Value = serde_json::from_str(&cli).unwrap();
    let expected: Vec<(String, String)> =
        cli["errors"].as_array().unwrap().iter().map(|e| (e["line"].to_string(), e["column"].to_string())).collect();
    let shown: Vec<(String, String)> = errors
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e[0].as_str().unwrap().to_owned(), e[1].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(shown, expected, "{errors:#}");
    assert!(shown.iter().any(|(l, _)| l == "3") && shown.iter().any(|(l, _)| l == "4"), "{errors:#}");
    let texts: Vec<&str> = errors.as_array().unwrap().iter().filter_map(|e| e[2].as_str()).collect();
    assert!(texts.iter().any(|t| t.starts_with("line 3, column 11: ") && t.contains("max_age")), "{texts:#?}");
    assert_eq!(
        page.evaluate("document.getElementById('snippet').textContent").await.unwrap(),
        "(fix the policy's errors first)"
    );

    // Fixed: no errors, the described preflight allowed, then refused for another origin.
    let good = "allow_origins = [\"https://app.example.com\"]\nallow_methods = [\"PUT\"]\nmax_age = 600\n";
    type_into(&page, "policy", good).await;
    wait_for(&page, "!document.getElementById('policy-ok').hidden").await;
    type_into(&page, "req-headers", "Origin: https://app.example.com\nAccess-Control-Request-Method: PUT").await;
    let decision = wait_for(&page, "(() => { const d = document.querySelector('#decision .finding'); return d && d.dataset.allowed === 'true' && d.textContent; })()").await;
    assert!(decision.as_str().unwrap().contains("access-control-allow-origin:https://app.example.com"), "{decision}");
    type_into(&page, "req-headers", "Origin: https://evil.example\nAccess-Control-Request-Method: PUT").await;
    let refused = wait_for(&page, "(() => { const d = document.querySelector('#decision .finding'); return d && d.dataset.allowed === 'false' && d.textContent; })()").await;
    assert!(refused.as_str().unwrap().contains("origin `https://evil.example` is not allowed"), "{refused}");

    // Each stack's snippet, as `corsair snippet` writes it.
    page.evaluate(
        "(s => { s.value = 'nginx'; s.dispatchEvent(new Event('change')); })(document.getElementById('stack'))",
    )
    .await
    .unwrap();
    let nginx = page.evaluate("document.getElementById('snippet').textContent").await.unwrap();
    let policy = temp_file("good.toml", good.as_bytes());
    let (code, cli) = corsair(&["snippet", "--config", policy.to_str().unwrap(), "--for", "nginx"]);
    assert_eq!(code, 0, "{cli}");
    assert!(cli.contains("app.example.com"), "{cli}");
    assert_eq!(nginx.as_str(), Some(cli.as_str()), "the page's snippet is the CLI's");
    let stacks = page.evaluate("document.getElementById('stack').options.length").await.unwrap();
    assert_eq!(stacks, 15);
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_leaves_the_page_and_its_csp_refuses_connections() {
    let Some(chromium) = Chromium::for_tests() else { return };
    let api = TestServer::start(loopback(2), Arc::new(api_reply)).await;
    let browser = chromium.launch().await.expect("Chromium starts");
    let ui = start_ui();
    let page = browser.new_page().await.expect("a tab");
    page.enable_network().await.unwrap();
    if open(&page, &ui).await.is_none() {
        return;
    }
    // Script in the page tries to send; the policy refuses before any request is made.
    let url = json!(format!("{}/ok", api.origin("http")));
    let tried = page
        .evaluate(&format!(
            "new Promise(done => {{
               document.addEventListener('securitypolicyviolation', e => done('refused by ' + e.effectiveDirective), {{once: true}});
               fetch({url}).then(() => done('sent'), () => {{}});
             }})"
        ))
        .await
        .unwrap();
    assert_eq!(tried, "refused by connect-src");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(api.requests().is_empty(), "the API got {:?}", api.requests());
    // The page's own loading asked only for its own files.
    let urls = requested_urls(&page);
    assert!(urls.len() >= 4, "{urls:#?}");
    for u in &urls {
        assert!(u.starts_with(&ui.url) || u.starts_with("data:"), "the page requested {u}");
    }
    // The server refuses a non-loopback address without the explicit flag.
    let o = Command::new(env!("CARGO_BIN_EXE_corsair")).args(["ui", "--listen", "0.0.0.0:0"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--allow-remote"));
    browser.close().await;
}

/// Standard base64 (CDP's screenshots).
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let digits: Vec<u8> = text.bytes().filter(|c| *c != b'=').map(value).collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, d)| n | u32::from(*d) << (18 - 6 * i));
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

#[test]
fn write_gives_the_same_files_as_a_static_site() {
    let dir = std::env::temp_dir().join(format!("corsair-ui-site-{}", std::process::id()));
    let o = Command::new(env!("CARGO_BIN_EXE_corsair")).args(["ui", "--write"]).arg(&dir).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    if o.status.code() == Some(2) && err.contains("built without") {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true: {err}");
        eprintln!("\n==> SKIPPED: corsair ui --write: {err}\n");
        return;
    }
    assert_eq!(o.status.code(), Some(0), "{err}");
    let index = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(index.contains("connect-src 'none'"), "the CSP travels with the page");
    for name in ["style.css", "app.js"] {
        assert!(index.contains(&format!("\"{name}\"")), "index.html loads {name}");
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web").join(name);
        assert_eq!(std::fs::read(dir.join(name)).unwrap(), std::fs::read(source).unwrap(), "{name} as in web/");
    }
    let module = std::fs::read_to_string(dir.join("corsair_web.js")).unwrap();
    assert!(module.starts_with("globalThis.CORSAIR_WASM = \"AGFzbQ"), "the module's bytes, from \\0asm");
    std::fs::remove_dir_all(&dir).unwrap();
}
