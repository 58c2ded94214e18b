//! `corsair explain --har`, on HARs recorded by these tests in real Chromium.
//!
//! A page on `http://127.0.0.1:P` fetches from a scripted server on `http://127.0.0.2:Q`, once per
//! failure kind (and a few that pass), while the test records the tab's CDP `Network.*` events;
//! `corsair_testkit::har` turns them into the HAR DevTools would export. Chromium is the judge:
//! for each failed request, `corsair explain --har` must name the same error as Chromium's own
//! `corsErrorStatus` for it, and print Chromium's console line for it byte for byte. Passing
//! requests must be counted, not listed.
//!
//! Without Chromium these tests are SKIPPED (loudly), except on CI (`CI=true`), where they fail.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use corsair_testkit::chromium::Chromium;
use corsair_testkit::har::{build, Recording};
use corsair_testkit::{loopback, page_server, Recorded, Reply, TestServer};
use serde_json::{json, Value};

/// One fetch the page makes: path, method, headers, credentials mode.
struct Call {
    path: &'static str,
    method: &'static str,
    headers: &'static [(&'static str, &'static str)],
    credentials: &'static str,
}

const CALLS: &[Call] = &[
    Call { path: "/missing", method: "GET", headers: &[], credentials: "same-origin" },
    Call { path: "/wrong", method: "GET", headers: &[], credentials: "same-origin" },
    Call { path: "/wildcard", method: "GET", headers: &[], credentials: "include" },
    Call { path: "/pf-status", method: "PUT", headers: &[], credentials: "same-origin" },
    Call { path: "/header", method: "GET", headers: &[("X-Custom", "1")], credentials: "same-origin" },
    Call { path: "/pf-redirect", method: "PUT", headers: &[], credentials: "same-origin" },
    Call { path: "/redir", method: "GET", headers: &[], credentials: "same-origin" },
    Call { path: "/auth", method: "GET", headers: &[("Authorization", "Bearer secret")], credentials: "same-origin" },
    Call { path: "/ok", method: "GET", headers: &[], credentials: "same-origin" },
    Call {
        path: "/ok-pf",
        method: "PUT",
        headers: &[("Content-Type", "application/json")],
        credentials: "same-origin",
    },
];

/// The API server's answers: each path fails one way (or passes).
fn api_reply(r: &Recorded) -> Reply {
    let origin = r.header("origin").unwrap_or("").to_owned();
    let preflight = r.method == "OPTIONS";
    match (r.path.as_str(), preflight) {
        ("/missing", _) | ("/final", _) => Reply::status(200).body("no CORS headers"),
        ("/wrong", _) => Reply::status(200).header("Access-Control-Allow-Origin", "http://127.0.0.9:1"),
        ("/wildcard", _) | ("/ok", _) => Reply::status(200).header("Access-Control-Allow-Origin", "*"),
        ("/pf-status", true) => Reply::status(403).header("Access-Control-Allow-Origin", origin),
        ("/header" | "/auth", true) => Reply::status(204)
            .header("Access-Control-Allow-Origin", origin)
            .header("Access-Control-Allow-Headers", "x-other"),
        ("/pf-redirect", true) => {
            let to = format!("http://{}/elsewhere", r.header("host").unwrap_or_default());
            Reply::status(301).header("Location", to).header("Access-Control-Allow-Origin", origin)
        }
        ("/redir", _) => Reply::status(302).header("Location", "/final").header("Access-Control-Allow-Origin", "*"),
        ("/ok-pf", true) => Reply::status(204)
            .header("Access-Control-Allow-Origin", origin)
            .header("Access-Control-Allow-Methods", "PUT")
            .header("Access-Control-Allow-Headers", "content-type"),
        ("/ok-pf", false) => Reply::status(200).header("Access-Control-Allow-Origin", origin),
        _ => Reply::status(404),
    }
}

/// Everything one Chromium session recorded; the servers stay up (on the runtime kept here) for
/// the test that runs `corsair check` on them.
struct Session {
    _runtime: tokio::runtime::Runtime,
    _servers: (TestServer, TestServer),
    page_origin: String,
    api_origin: String,
    recording: Recording,
    /// What each fetch resolved to in the page, by path.
    results: HashMap<&'static str, String>,
    /// Chromium's "Access to fetch at ..." lines.
    console: Vec<String>,
}

fn session() -> Option<&'static Session> {
    static SESSION: OnceLock<Option<Session>> = OnceLock::new();
    SESSION
        .get_or_init(|| {
            let chromium = Chromium::for_tests()?;
            let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            let (servers, page_origin, api_origin, recording, results, console) = runtime.block_on(record(chromium));
            Some(Session { _runtime: runtime, _servers: servers, page_origin, api_origin, recording, results, console })
        })
        .as_ref()
}

type Recorded4 = ((TestServer, TestServer), String, String, Recording, HashMap<&'static str, String>, Vec<String>);

async fn record(chromium: Chromium) -> Recorded4 {
    let pages = page_server(1).await;
    let api = TestServer::start(loopback(2), Arc::new(api_reply)).await;
    let (page_origin, api_origin) = (pages.origin("http"), api.origin("http"));
    let browser = chromium.launch().await.expect("Chromium starts");
    let page = browser.new_page().await.expect("a tab");
    page.enable_network().await.expect("Network.enable");
    let page_url = format!("{page_origin}/page");
    page.navigate(&page_url).await.expect("the page loads");
    let mut results = HashMap::new();
    for call in CALLS {
        let init = json!({
            "method": call.method,
            "headers": call.headers.iter().map(|(n, v)| json!([n, v])).collect::<Vec<_>>(),
            "credentials": call.credentials,
        });
        let script = format!(
            "fetch({}, {init}).then(r => 'ok ' + r.status, e => 'failed ' + e)",
            json!(format!("{api_origin}{}", call.path))
        );
        let result = page.evaluate(&script).await.expect("the script runs");
        results.insert(call.path, result.as_str().unwrap_or_default().to_owned());
    }
    // Let the last events and console lines arrive.
    let failures = || page.network_events().iter().filter(|e| e.method == "Network.loadingFailed").count();
    for _ in 0..100 {
        if failures() >= 8 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let recording = build(&page.network_events(), &page_url);
    let console =
        page.take_console().into_iter().map(|e| e.text).filter(|t| t.starts_with("Access to fetch at")).collect();
    browser.close().await;
    ((pages, api), page_origin, api_origin, recording, results, console)
}

fn write_har(name: &str, har: &Value) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("corsair-explain-har-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(har).unwrap()).unwrap();
    path
}

fn corsair(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_corsair")).args(args).output().expect("corsair runs");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// `corsair explain --har FILE --format json [extra]`, parsed.
fn explain_json(har: &Value, name: &str, extra: &[&str]) -> (i32, Value) {
    let path = write_har(name, har);
    let mut args = vec!["explain", "--har", path.to_str().unwrap(), "--format", "json"];
    args.extend_from_slice(extra);
    let (code, out, err) = corsair(&args);
    let doc = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    (code, doc)
}

fn explained(s: &Session) -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let (code, doc) = explain_json(&s.recording.har, "chromium.har", &[]);
        assert_eq!(code, 1, "blocked requests exit 1: {doc:#}");
        doc
    })
}

fn request_for<'a>(doc: &'a Value, url: &str) -> &'a Value {
    doc["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["url"] == url)
        .unwrap_or_else(|| panic!("{url} not listed: {doc:#}"))
}

/// Chromium's verdict on `path`, and what `explain --har` says about the same request: the same
/// error kind as `corsErrorStatus`, Chromium's console line byte for byte.
fn same_as_chromium(path: &str, expected: &str) {
    let Some(s) = session() else { return };
    let url = format!("{}{path}", s.api_origin);
    let failure = s
        .recording
        .failures
        .iter()
        .find(|f| f.url == url && !f.preflight)
        .unwrap_or_else(|| panic!("Chromium did not fail {url}: {:#?}", s.recording.failures));
    // The scenario is what it says (else the test proves nothing).
    assert_eq!(failure.cors_error.as_deref(), Some(expected), "{failure:?}");
    let r = request_for(explained(s), &url);
    assert_eq!(r["verdict"], "blocked", "{r:#}");
    assert_eq!(r["check"]["error"]["kind"], format!("k{expected}"), "{r:#}");
    let console = s
        .console
        .iter()
        .find(|c| c.contains(&format!("'{url}'")))
        .unwrap_or_else(|| panic!("no console line for {url}: {:#?}", s.console));
    assert_eq!(r["check"]["browser_message"], console.as_str(), "{r:#}");
    assert_eq!(r["page_origin"], s.page_origin);
}

#[test]
fn missing_allow_origin() {
    same_as_chromium("/missing", "MissingAllowOriginHeader");
}

#[test]
fn wrong_allow_origin() {
    same_as_chromium("/wrong", "AllowOriginMismatch");
}

#[test]
fn wildcard_with_credentials_infers_the_credentials_mode() {
    same_as_chromium("/wildcard", "WildcardOriginNotAllowed");
    let Some(s) = session() else { return };
    let r = request_for(explained(s), &format!("{}/wildcard", s.api_origin));
    assert_eq!(r["credentials"], "include");
    assert_eq!(r["credentials_from"], "browser_failure", "no HAR records the mode; the failure implies it");
}

#[test]
fn preflight_non_2xx() {
    same_as_chromium("/pf-status", "PreflightInvalidStatus");
}

#[test]
fn disallowed_header() {
    same_as_chromium("/header", "HeaderDisallowedByPreflightResponse");
}

#[test]
fn redirect_in_preflight() {
    same_as_chromium("/pf-redirect", "PreflightDisallowedRedirect");
}

#[test]
fn redirect_hops_are_chained() {
    same_as_chromium("/redir", "MissingAllowOriginHeader");
    let Some(s) = session() else { return };
    let r = request_for(explained(s), &format!("{}/redir", s.api_origin));
    assert_eq!(r["entries"].as_array().unwrap().len(), 2, "both hops were fed to the model: {r:#}");
    assert!(r["check"]["browser_message"].as_str().unwrap().contains("(redirected from"), "{r:#}");
}

#[test]
fn a_request_whose_preflight_failed_is_recorded_as_devtools_records_it() {
    let Some(s) = session() else { return };
    let entries = s.recording.har["log"]["entries"].as_array().unwrap();
    let url = format!("{}/pf-status", s.api_origin);
    let request = entries.iter().find(|e| e["request"]["url"] == url && e["request"]["method"] == "PUT").unwrap();
    let preflight = entries.iter().find(|e| e["request"]["url"] == url && e["_resourceType"] == "preflight").unwrap();
    // Never sent: status 0, no response headers, and only what Chromium meant to send (no Origin).
    assert_eq!(request["response"]["status"], 0);
    assert_eq!(request["response"]["headers"], json!([]));
    assert_eq!(request["response"]["_error"], "net::ERR_FAILED");
    assert!(!request["request"]["headers"].as_array().unwrap().iter().any(|h| h["name"] == "Origin"));
    assert_eq!(preflight["response"]["status"], 403);
    // The page's origin then comes from the page the request belongs to, and is said so.
    let r = request_for(explained(s), &url);
    assert_eq!(r["origin_from"], "page", "{r:#}");
    assert_eq!(r["page_origin"], s.page_origin);
}

#[test]
fn passing_requests_are_counted_not_listed() {
    let Some(s) = session() else { return };
    let doc = explained(s);
    assert_eq!(doc["summary"]["allowed"], 2, "{doc:#}");
    assert_eq!(doc["summary"]["blocked"], 8, "{doc:#}");
    assert_eq!(doc["har"]["engine"], "chromium");
    for path in ["/ok", "/ok-pf"] {
        let url = format!("{}{path}", s.api_origin);
        assert!(!doc["requests"].as_array().unwrap().iter().any(|r| r["url"] == url), "{path} listed");
        // Chromium may end a finished load with `net::ERR_ABORTED`: no CORS error, and the
        // page got its response.
        assert!(!s.recording.failures.iter().any(|f| f.url == url && f.cors_error.is_some()), "Chromium failed {path}");
        assert!(s.results[path].starts_with("ok 200"), "{path}: {}", s.results[path]);
    }
    let (_, all) = explain_json(&s.recording.har, "chromium-all.har", &["--all"]);
    let ok = request_for(&all, &format!("{}/ok-pf", s.api_origin));
    assert_eq!(ok["verdict"], "allowed", "{ok:#}");
    assert_eq!(ok["entries"].as_array().unwrap().len(), 2, "preflight and request: {ok:#}");
}

#[test]
fn a_sanitised_har_is_still_explained() {
    let Some(s) = session() else { return };
    // DevTools' default export drops Cookie, Set-Cookie and Authorization.
    let mut har = s.recording.har.clone();
    for e in har["log"]["entries"].as_array_mut().unwrap() {
        for side in ["request", "response"] {
            e[side]["headers"].as_array_mut().unwrap().retain(|h| {
                let n = h["name"].as_str().unwrap().to_ascii_lowercase();
                !matches!(n.as_str(), "cookie" | "set-cookie" | "authorization")
            });
        }
    }
    let (_, doc) = explain_json(&har, "sanitised.har", &[]);
    let url = format!("{}/auth", s.api_origin);
    let failure = s.recording.failures.iter().find(|f| f.url == url && !f.preflight).unwrap();
    assert_eq!(failure.failed_parameter.as_deref(), Some("authorization"));
    let r = request_for(&doc, &url);
    assert_eq!(r["check"]["error"]["kind"], "kHeaderDisallowedByPreflightResponse", "{r:#}");
    assert_eq!(r["sanitised"], json!(["authorization"]), "{r:#}");
    let console = s.console.iter().find(|c| c.contains(&format!("'{url}'"))).unwrap();
    assert_eq!(r["check"]["browser_message"], console.as_str());
}

/// Undoes the single quoting `explain` writes, to run its command.
fn shell_words(line: &str) -> Vec<String> {
    let (mut words, mut word, mut quoted, mut any) = (Vec::new(), String::new(), false, false);
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                any = false;
            }
            c => word.push(c),
        }
    }
    if any || !word.is_empty() {
        words.push(word);
    }
    words
}

#[test]
fn an_unrecorded_preflight_is_said_with_the_check_command_that_fills_it_in() {
    let Some(s) = session() else { return };
    // Chromium versions that record no preflight entries.
    let mut har = s.recording.har.clone();
    har["log"]["entries"].as_array_mut().unwrap().retain(|e| e["_resourceType"] != "preflight");
    let (code, doc) = explain_json(&har, "no-preflights.har", &[]);
    assert_eq!(code, 1);
    let url = format!("{}/pf-status", s.api_origin);
    let r = request_for(&doc, &url);
    assert_eq!(r["verdict"], "incomplete", "{r:#}");
    assert_eq!(r["missing"]["kind"], "preflight", "{r:#}");
    let command = r["fill_in"].as_str().unwrap();
    assert_eq!(command, format!("corsair check {url} --origin {} -X PUT", s.page_origin));
    // The command, run, fills in what the file lacked: the same failure Chromium saw.
    let words = shell_words(command);
    assert_eq!(words[..2], ["corsair", "check"]);
    let mut args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
    args.extend(["--preflight-only", "--format", "json"]);
    let (code, out, err) = corsair(&args);
    assert_eq!(code, 1, "{out}\n{err}");
    let checked: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(checked["error"]["kind"], "kPreflightInvalidStatus", "{checked:#}");
    // A header-carrying request's command keeps the header.
    let r = request_for(&doc, &format!("{}/header", s.api_origin));
    assert!(r["fill_in"].as_str().unwrap().ends_with("-H 'X-Custom: 1'"), "{r:#}");
}

#[test]
fn text_output_lists_failures_with_chromiums_words_and_counts_passes() {
    let Some(s) = session() else { return };
    let path = write_har("text.har", &s.recording.har);
    let (code, out, err) = corsair(&["explain", "--har", path.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("10 cross-origin request(s): 8 blocked, 2 passed"), "{out}");
    assert!(out.contains("2 request(s) passed (not listed; --all lists them)."), "{out}");
    for line in &s.console {
        assert!(out.contains(line.as_str()), "missing {line}\n{out}");
    }
    assert!(out.contains("Fix:"), "{out}");
    let page_origin_line = format!("Page origin: {} (from the request's Origin header)", s.page_origin);
    assert!(out.contains(&page_origin_line), "{out}");
    // Requests whose preflight failed were recorded without an Origin: the page's URL says it.
    assert!(out.contains("(from the page the HAR lists the request under"), "{out}");
}

#[test]
fn a_firefox_har_gets_chromiums_words_and_firefoxs_reason_code() {
    // Hand-written in Firefox's shape: no private fields, the preflight a plain OPTIONS first.
    let page = "http://127.0.0.1:8080";
    let h = |n: &str, v: &str| json!({"name": n, "value": v});
    let entry = |method: &str, url: &str, req: Vec<Value>, status: u16, resp: Vec<Value>| {
        json!({"pageref": "page_1", "startedDateTime": "2026-12-03T11:00:00.000+00:00", "time": 1,
            "request": {"method": method, "url": url, "httpVersion": "HTTP/1.1", "headers": req,
                        "cookies": [], "queryString": [], "headersSize": 100, "bodySize": 0},
            "response": {"status": status, "statusText": "", "httpVersion": "HTTP/1.1", "headers": resp,
                         "cookies": [], "content": {"size": 0, "mimeType": "text/plain"}, "redirectURL": "",
                         "headersSize": 100, "bodySize": 0},
            "cache": {}, "timings": {"blocked": 0, "dns": 0, "connect": 0, "ssl": 0, "send": 0, "wait": 1, "receive": 0}})
    };
    let har = json!({"log": {"version": "1.2", "creator": {"name": "Firefox", "version": "153.8.0"},
    "browser": {"name": "Firefox", "version": "153.8.0"},
    "pages": [{"startedDateTime": "2026-12-03T11:00:00.000+00:00", "id": "page_1", "title": format!("{page}/page"), "pageTimings": {}}],
    "entries": [
        entry("GET", "http://127.0.0.2:9/a", vec![h("Origin", page), h("Sec-Fetch-Mode", "cors")], 200, vec![h("Content-Type", "text/plain")]),
        entry("GET", "http://127.0.0.2:9/b", vec![h("Origin", page), h("Sec-Fetch-Mode", "cors")], 200, vec![h("Access-Control-Allow-Origin", "*")]),
        entry("DELETE", "http://127.0.0.2:9/c", vec![h("Origin", page), h("Sec-Fetch-Mode", "cors")], 0, vec![]),
    ]}});
    let (code, doc) = explain_json(&har, "firefox.har", &[]);
    assert_eq!(code, 1);
    assert_eq!(doc["har"]["engine"], "firefox");
    assert!(doc["note"].as_str().unwrap().contains("Chromium's"), "{doc:#}");
    assert_eq!(doc["summary"]["allowed"], 1);
    let a = request_for(&doc, "http://127.0.0.2:9/a");
    assert_eq!(a["check"]["error"]["kind"], "kMissingAllowOriginHeader");
    assert_eq!(a["check"]["error"]["firefox_code"], "CORSMissingAllowOrigin");
    let c = request_for(&doc, "http://127.0.0.2:9/c");
    assert_eq!(c["missing"]["kind"], "preflight");
    assert_eq!(c["fill_in"], format!("corsair check http://127.0.0.2:9/c --origin {page} -X DELETE"));
}

#[test]
fn a_safari_har_with_its_own_error_text_is_judged_and_its_credentials_inferred() {
    // Hand-written in Safari's shape (WebKit's HARBuilder.js): one page `page_0` titled with the
    // main frame's URL, `_fetchType`, and Safari's failure text as `response._error`.
    let page = "http://127.0.0.1:8080";
    let entry = |url: &str, acao: &str, error: Option<&str>| {
        json!({"pageref": "page_0", "startedDateTime": "2026-12-03T11:00:00.000Z", "time": 1,
            "_fetchType": "Network Load", "_priority": "medium",
            "request": {"method": "GET", "url": url, "httpVersion": "HTTP/1.1", "cookies": [],
                        "headers": [{"name": "Origin", "value": page}, {"name": "Accept", "value": "*/*"}],
                        "queryString": [], "headersSize": -1, "bodySize": -1},
            "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "cookies": [],
                         "headers": [{"name": "Access-Control-Allow-Origin", "value": acao}],
                         "content": {"size": 0, "compression": 0, "mimeType": "text/plain"}, "redirectURL": "",
                         "headersSize": -1, "bodySize": -1, "_error": error},
            "cache": {}, "timings": {"blocked": -1, "dns": -1, "connect": -1, "ssl": -1, "send": 0, "wait": 1, "receive": 0}})
    };
    let har = json!({"log": {"version": "1.2", "creator": {"name": "WebKit Web Inspector", "version": "1.0"},
    "pages": [{"startedDateTime": "2026-12-03T11:00:00.000Z", "id": "page_0", "title": format!("{page}/"), "pageTimings": {}}],
    "entries": [
        entry("http://127.0.0.2:9/star", "*", Some("Cannot use wildcard in Access-Control-Allow-Origin when credentials flag is true.")),
        entry("http://127.0.0.2:9/other", "http://127.0.0.3", Some("Origin http://127.0.0.1:8080 is not allowed by Access-Control-Allow-Origin. Status code: 200")),
        entry("http://127.0.0.2:9/fine", "*", None),
    ]}});
    let (code, doc) = explain_json(&har, "safari.har", &[]);
    assert_eq!(code, 1);
    assert_eq!(doc["har"]["engine"], "webkit");
    assert_eq!(doc["summary"]["allowed"], 1, "{doc:#}");
    let star = request_for(&doc, "http://127.0.0.2:9/star");
    assert_eq!(star["check"]["error"]["kind"], "kWildcardOriginNotAllowed", "{star:#}");
    assert_eq!(star["credentials_from"], "browser_failure");
    let other = request_for(&doc, "http://127.0.0.2:9/other");
    assert_eq!(other["check"]["error"]["kind"], "kAllowOriginMismatch", "{other:#}");
    assert!(other["recorded_failure"].as_str().unwrap().starts_with("Origin http://127.0.0.1:8080 is not allowed"));
}

#[test]
fn unreadable_hars_exit_2_with_one_line() {
    let cases: HashMap<&str, Vec<u8>> = HashMap::from([
        ("not-json.har", b"<html>".to_vec()),
        ("deep.har", format!("{}{}", "[".repeat(50_000), "]".repeat(50_000)).into_bytes()),
        ("wrong-type.har", br#"{"log": {"entries": [{"request": {"method": "GET", "url": 7}}]}}"#.to_vec()),
        ("not-har.har", br#"{"entries": []}"#.to_vec()),
        ("binary.har", vec![0xff, 0xfe, 0x00]),
    ]);
    let dir = std::env::temp_dir().join(format!("corsair-explain-har-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let (code, out, err) = corsair(&["explain", "--har", path.to_str().unwrap()]);
        assert_eq!(code, 2, "{name}: {out}{err}");
        assert!(out.is_empty(), "{name}: {out}");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(err.starts_with("corsair: "), "{name}: {err}");
    }
    let (code, _, err) = corsair(&["explain", "--har", "/nonexistent/x.har"]);
    assert_eq!(code, 2, "{err}");
}
