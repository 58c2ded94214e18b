//! The `--format json` documents are a contract (docs/check.md, docs/explain.md, docs/policy.md):
//! every key each command wrote before the report module, pinned here per document shape, so a
//! renamed, dropped or added key fails a test. The real binary runs against scripted loopback
//! servers, as in `tests/check.rs`.

use std::collections::BTreeSet;
use std::process::{Command, Output};
use std::sync::Arc;

use corsair_testkit::{loopback, Recorded, Reply, TestServer};
use serde_json::Value;

const PAGE: &str = "http://localhost:5173";

async fn corsair(args: &[&str]) -> Output {
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_corsair")).args(&args).env("NO_COLOR", "1").output().expect("run corsair")
    })
    .await
    .unwrap()
}

/// Every object key of the document as a path (`error.fix.summary`, `requests[].request.url`).
fn keys(v: &Value) -> BTreeSet<String> {
    fn walk(v: &Value, at: &str, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(fields) => {
                for (k, x) in fields {
                    let path = if at.is_empty() { k.clone() } else { format!("{at}.{k}") };
                    out.insert(path.clone());
                    walk(x, &path, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|x| walk(x, &format!("{at}[]"), out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(v, "", &mut out);
    out
}

/// Fails with the keys that are missing and those that are new.
fn assert_keys(o: &Output, pinned: &[&str]) {
    let text = String::from_utf8_lossy(&o.stdout);
    let mut found = BTreeSet::new();
    for line in text.lines() {
        let doc: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {text}"));
        found.extend(keys(&doc));
    }
    let pinned: BTreeSet<String> = pinned.iter().map(|s| (*s).to_owned()).collect();
    let missing: Vec<_> = pinned.difference(&found).collect();
    let new: Vec<_> = found.difference(&pinned).collect();
    assert!(missing.is_empty() && new.is_empty(), "missing keys: {missing:?}\nnew keys: {new:?}\n{text}");
}

fn script(answer: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> corsair_testkit::Script {
    Arc::new(answer)
}

/// No CORS headers, behind nginx (so the fix has a snippet).
fn nginx_without_cors() -> corsair_testkit::Script {
    script(|_| Reply::status(200).header("Server", "nginx/1.24"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_documents_keep_their_keys() {
    let none = TestServer::start(loopback(1), nginx_without_cors()).await;
    let url = format!("{}/none", none.origin("http"));
    let o = corsair(&["check", &url, "--origin", PAGE, "--format", "json"]).await;
    assert_eq!(o.status.code(), Some(1));
    assert_keys(&o, CHECK_BLOCKED);

    // Two layers: nginx in front of Express, each sending Access-Control-Allow-Origin.
    let double = TestServer::start(
        loopback(1),
        script(|r| {
            let origin = r.header("origin").unwrap_or("").to_owned();
            Reply::status(200)
                .header("Access-Control-Allow-Origin", origin)
                .header("Access-Control-Allow-Origin", "*")
                .header("Server", "nginx")
                .header("X-Powered-By", "Express")
        }),
    )
    .await;
    let url = format!("{}/double", double.origin("http"));
    let o = corsair(&["check", &url, "--origin", PAGE, "--format", "json"]).await;
    assert_eq!(o.status.code(), Some(1));
    assert_keys(&o, CHECK_TWO_LAYERS);

    let preflight = TestServer::start(
        loopback(1),
        script(|r| {
            let origin = r.header("origin").unwrap_or("").to_owned();
            if r.method == "OPTIONS" {
                Reply::status(204)
                    .header("Access-Control-Allow-Origin", origin)
                    .header("Access-Control-Allow-Methods", "PUT")
                    .header("Access-Control-Allow-Headers", "content-type")
            } else {
                Reply::status(200).header("Access-Control-Allow-Origin", origin)
            }
        }),
    )
    .await;
    let url = format!("{}/preflight", preflight.origin("http"));
    let put =
        ["check", &url, "--origin", PAGE, "--format", "json", "-X", "PUT", "-H", "Content-Type: application/json"];
    let o = corsair(&put).await;
    assert_eq!(o.status.code(), Some(0));
    assert_keys(&o, CHECK_PREFLIGHT_ALLOWED);
    let o = corsair(&[&put[..], &["--preflight-only"]].concat()).await;
    assert_eq!(o.status.code(), Some(0));
    assert_keys(&o, CHECK_PREFLIGHT_ONLY);

    let o = corsair(&["check", &url, "--origin", PAGE, "--format", "json", "--timeout", "0"]).await;
    assert_eq!(o.status.code(), Some(2));
    assert_keys(&o, CHECK_NOT_RUN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_documents_keep_their_keys() {
    let none = TestServer::start(loopback(1), nginx_without_cors()).await;
    let url = format!("{}/none", none.origin("http"));
    let message = format!("Access to fetch at '{url}' from origin '{PAGE}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.");
    let o = corsair(&["explain", &message, "--format", "json", "--live"]).await;
    assert_eq!(o.status.code(), Some(1));
    assert_keys(&o, EXPLAIN_LIVE);

    let har = concat!(env!("CARGO_MANIFEST_DIR"), "/../corsair-core/fuzz/seeds/har/chromium-recorded.har");
    let o = corsair(&["explain", "--har", har, "--format", "json"]).await;
    assert_eq!(o.status.code(), Some(1));
    assert_keys(&o, EXPLAIN_HAR);
}

#[tokio::test]
async fn policy_check_documents_keep_their_keys() {
    let path = std::env::temp_dir().join(format!("corsair-json-keys-{}.toml", std::process::id()));
    std::fs::write(
        &path,
        "allow_origins = [\"https://a.test\", \"http://x.test\"]\nallow_credentials = true\nmax_age = 99999\n",
    )
    .unwrap();
    let o = corsair(&["policy", "check", path.to_str().unwrap(), "--format", "json"]).await;
    std::fs::remove_file(&path).unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_keys(&o, POLICY_CHECK);
}

/// Every key of check blocked's document (taken from the output before the report module).
const CHECK_BLOCKED: &[&str] = &[
    "browser_message",
    "causes",
    "engines",
    "engines.chromium",
    "engines.chromium.console",
    "engines.chromium.error_kind",
    "engines.chromium.fetch_rejection",
    "engines.chromium.verdict",
    "engines.firefox",
    "engines.firefox.console",
    "engines.firefox.fetch_rejection",
    "engines.firefox.reason_code",
    "engines.firefox.verdict",
    "engines.webkit",
    "engines.webkit.console",
    "engines.webkit.fetch_rejection",
    "engines.webkit.verdict",
    "error",
    "error.explanation",
    "error.firefox_code",
    "error.fix",
    "error.fix.headers",
    "error.fix.preflight_status",
    "error.fix.remove",
    "error.fix.snippet",
    "error.fix.snippet_adds_to_existing_layer",
    "error.fix.snippet_parts",
    "error.fix.snippet_parts[].place",
    "error.fix.snippet_parts[].text",
    "error.fix.summary",
    "error.fix.verified_snippet_command",
    "error.kind",
    "notes",
    "preflight",
    "readable_headers",
    "requests",
    "requests[].error",
    "requests[].request",
    "requests[].request.headers",
    "requests[].request.method",
    "requests[].request.url",
    "requests[].response",
    "requests[].response.headers",
    "requests[].response.reason",
    "requests[].response.status",
    "requests[].response.version",
    "response_type",
    "stack",
    "unsent",
    "verdict",
    "warnings",
];

/// Every key of check two layers's document (taken from the output before the report module;
/// `layers.front` has the keys of `layers.app`).
const CHECK_TWO_LAYERS: &[&str] = &[
    "browser_message",
    "causes",
    "engines",
    "engines.chromium",
    "engines.chromium.console",
    "engines.chromium.error_kind",
    "engines.chromium.fetch_rejection",
    "engines.chromium.verdict",
    "engines.firefox",
    "engines.firefox.console",
    "engines.firefox.fetch_rejection",
    "engines.firefox.reason_code",
    "engines.firefox.verdict",
    "engines.webkit",
    "engines.webkit.console",
    "engines.webkit.fetch_rejection",
    "engines.webkit.verdict",
    "error",
    "error.explanation",
    "error.firefox_code",
    "error.fix",
    "error.fix.headers",
    "error.fix.preflight_status",
    "error.fix.remove",
    "error.fix.snippet",
    "error.fix.snippet_adds_to_existing_layer",
    "error.fix.snippet_parts",
    "error.fix.snippet_parts[].place",
    "error.fix.snippet_parts[].text",
    "error.fix.summary",
    "error.fix.verified_snippet_command",
    "error.kind",
    "layers",
    "layers.app",
    "layers.app.evidence",
    "layers.app.product",
    "layers.duplicated",
    "layers.front",
    "layers.front.evidence",
    "layers.front.product",
    "layers.lines",
    "layers.unlisted_origin",
    "layers.unlisted_origin_lines",
    "notes",
    "preflight",
    "readable_headers",
    "requests",
    "requests[].error",
    "requests[].request",
    "requests[].request.headers",
    "requests[].request.method",
    "requests[].request.url",
    "requests[].response",
    "requests[].response.headers",
    "requests[].response.reason",
    "requests[].response.status",
    "requests[].response.version",
    "response_type",
    "stack",
    "unsent",
    "verdict",
    "warnings",
];

/// Every key of check preflight allowed's document (taken from the output before the report module).
const CHECK_PREFLIGHT_ALLOWED: &[&str] = &[
    "browser_message",
    "causes",
    "engines",
    "engines.chromium",
    "engines.chromium.console",
    "engines.chromium.error_kind",
    "engines.chromium.fetch_rejection",
    "engines.chromium.verdict",
    "engines.firefox",
    "engines.firefox.console",
    "engines.firefox.fetch_rejection",
    "engines.firefox.reason_code",
    "engines.firefox.verdict",
    "engines.webkit",
    "engines.webkit.console",
    "engines.webkit.fetch_rejection",
    "engines.webkit.verdict",
    "error",
    "notes",
    "preflight",
    "preflight.error",
    "preflight.request",
    "preflight.request.headers",
    "preflight.request.method",
    "preflight.request.url",
    "preflight.response",
    "preflight.response.headers",
    "preflight.response.reason",
    "preflight.response.status",
    "preflight.response.version",
    "readable_headers",
    "requests",
    "requests[].error",
    "requests[].request",
    "requests[].request.headers",
    "requests[].request.method",
    "requests[].request.url",
    "requests[].response",
    "requests[].response.headers",
    "requests[].response.reason",
    "requests[].response.status",
    "requests[].response.version",
    "response_type",
    "stack",
    "unsent",
    "verdict",
    "warnings",
];

/// Every key of check preflight only's document (taken from the output before the report module).
const CHECK_PREFLIGHT_ONLY: &[&str] = &[
    "browser_message",
    "causes",
    "error",
    "notes",
    "preflight",
    "preflight.error",
    "preflight.request",
    "preflight.request.headers",
    "preflight.request.method",
    "preflight.request.url",
    "preflight.response",
    "preflight.response.headers",
    "preflight.response.reason",
    "preflight.response.status",
    "preflight.response.version",
    "readable_headers",
    "requests",
    "requests[].error",
    "requests[].request",
    "requests[].request.headers",
    "requests[].request.method",
    "requests[].request.url",
    "requests[].response",
    "requests[].response.headers",
    "requests[].response.reason",
    "requests[].response.status",
    "requests[].response.version",
    "response_type",
    "stack",
    "unsent",
    "unsent.headers",
    "unsent.method",
    "unsent.url",
    "verdict",
    "warnings",
];

/// Every key of check not run's document (taken from the output before the report module).
const CHECK_NOT_RUN: &[&str] = &[
    "browser_message",
    "causes",
    "error",
    "error.explanation",
    "error.firefox_code",
    "error.fix",
    "error.kind",
    "notes",
    "preflight",
    "readable_headers",
    "requests",
    "response_type",
    "stack",
    "unsent",
    "verdict",
    "warnings",
];

/// Every key of explain live's document (taken from the output before the report module).
const EXPLAIN_LIVE: &[&str] = &[
    "browser",
    "conclusion",
    "detail",
    "error",
    "error.explanation",
    "error.firefox_code",
    "error.fix",
    "error.fix.headers",
    "error.fix.preflight_status",
    "error.fix.remove",
    "error.fix.summary",
    "error.kind",
    "error.preflight",
    "explained",
    "firefox_code",
    "initial_url",
    "live",
    "live.browser_message",
    "live.causes",
    "live.engines",
    "live.engines.chromium",
    "live.engines.chromium.console",
    "live.engines.chromium.error_kind",
    "live.engines.chromium.fetch_rejection",
    "live.engines.chromium.verdict",
    "live.engines.firefox",
    "live.engines.firefox.console",
    "live.engines.firefox.fetch_rejection",
    "live.engines.firefox.reason_code",
    "live.engines.firefox.verdict",
    "live.engines.webkit",
    "live.engines.webkit.console",
    "live.engines.webkit.fetch_rejection",
    "live.engines.webkit.verdict",
    "live.error",
    "live.error.explanation",
    "live.error.firefox_code",
    "live.error.fix",
    "live.error.fix.headers",
    "live.error.fix.preflight_status",
    "live.error.fix.remove",
    "live.error.fix.snippet",
    "live.error.fix.snippet_adds_to_existing_layer",
    "live.error.fix.snippet_parts",
    "live.error.fix.snippet_parts[].place",
    "live.error.fix.snippet_parts[].text",
    "live.error.fix.summary",
    "live.error.fix.verified_snippet_command",
    "live.error.kind",
    "live.notes",
    "live.preflight",
    "live.readable_headers",
    "live.requests",
    "live.requests[].error",
    "live.requests[].request",
    "live.requests[].request.headers",
    "live.requests[].request.method",
    "live.requests[].request.url",
    "live.requests[].response",
    "live.requests[].response.headers",
    "live.requests[].response.reason",
    "live.requests[].response.status",
    "live.requests[].response.version",
    "live.response_type",
    "live.stack",
    "live.unsent",
    "live.verdict",
    "live.warnings",
    "method",
    "other",
    "page_origin",
    "redirect_to",
    "status",
    "url",
];

/// Every key of policy check's document (taken from the output before the report module).
const POLICY_CHECK: &[&str] = &[
    "errors",
    "errors[].column",
    "errors[].file",
    "errors[].key",
    "errors[].line",
    "errors[].message",
    "file",
    "ok",
    "overrides",
    "policy",
    "profile",
    "warnings",
];

/// Every key of explain har's document (taken from the output before the report module).
const EXPLAIN_HAR: &[&str] = &[
    "har",
    "har.creator",
    "har.engine",
    "har.version",
    "messages_from",
    "note",
    "requests",
    "requests[].check",
    "requests[].check.browser_message",
    "requests[].check.causes",
    "requests[].check.causes[].explains_block",
    "requests[].check.causes[].explanation",
    "requests[].check.causes[].fix",
    "requests[].check.causes[].fix_in_page",
    "requests[].check.causes[].kind",
    "requests[].check.engines",
    "requests[].check.engines.chromium",
    "requests[].check.engines.chromium.console",
    "requests[].check.engines.chromium.error_kind",
    "requests[].check.engines.chromium.fetch_rejection",
    "requests[].check.engines.chromium.verdict",
    "requests[].check.engines.firefox",
    "requests[].check.engines.firefox.console",
    "requests[].check.engines.firefox.fetch_rejection",
    "requests[].check.engines.firefox.reason_code",
    "requests[].check.engines.firefox.verdict",
    "requests[].check.engines.webkit",
    "requests[].check.engines.webkit.console",
    "requests[].check.engines.webkit.fetch_rejection",
    "requests[].check.engines.webkit.verdict",
    "requests[].check.error",
    "requests[].check.error.explanation",
    "requests[].check.error.firefox_code",
    "requests[].check.error.fix",
    "requests[].check.error.fix.headers",
    "requests[].check.error.fix.preflight_status",
    "requests[].check.error.fix.remove",
    "requests[].check.error.fix.snippet",
    "requests[].check.error.fix.snippet_adds_to_existing_layer",
    "requests[].check.error.fix.snippet_parts",
    "requests[].check.error.fix.summary",
    "requests[].check.error.fix.verified_snippet_command",
    "requests[].check.error.kind",
    "requests[].check.notes",
    "requests[].check.preflight",
    "requests[].check.preflight.error",
    "requests[].check.preflight.request",
    "requests[].check.preflight.request.headers",
    "requests[].check.preflight.request.method",
    "requests[].check.preflight.request.url",
    "requests[].check.preflight.response",
    "requests[].check.preflight.response.headers",
    "requests[].check.preflight.response.reason",
    "requests[].check.preflight.response.status",
    "requests[].check.preflight.response.version",
    "requests[].check.readable_headers",
    "requests[].check.requests",
    "requests[].check.requests[].error",
    "requests[].check.requests[].request",
    "requests[].check.requests[].request.headers",
    "requests[].check.requests[].request.method",
    "requests[].check.requests[].request.url",
    "requests[].check.requests[].response",
    "requests[].check.requests[].response.headers",
    "requests[].check.requests[].response.reason",
    "requests[].check.requests[].response.status",
    "requests[].check.requests[].response.version",
    "requests[].check.response_type",
    "requests[].check.stack",
    "requests[].check.unsent",
    "requests[].check.verdict",
    "requests[].check.warnings",
    "requests[].credentials",
    "requests[].credentials_from",
    "requests[].entries",
    "requests[].entry",
    "requests[].fill_in",
    "requests[].method",
    "requests[].missing",
    "requests[].origin_from",
    "requests[].page_origin",
    "requests[].recorded_failure",
    "requests[].sanitised",
    "requests[].url",
    "requests[].verdict",
    "summary",
    "summary.allowed",
    "summary.blocked",
    "summary.blocked_not_in_har",
    "summary.cross_origin",
    "summary.incomplete",
    "summary.not_cors",
    "summary.same_origin",
];
