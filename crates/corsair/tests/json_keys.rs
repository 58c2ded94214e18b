//! The `--format json` documents are a contract (docs/check.md, docs/explain.md, docs/policy.md):
//! every key each command wrote before the report module, pinned here in parts (the check
//! document's top level, `engines`, `error`, an exchange, ...) that each document shape puts
//! together, so a renamed, dropped or added key fails a test. The real binary runs against scripted loopback
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

/// The keys of the parts, each under its prefix (`""` for none).
fn parts(parts: &[(&str, &[&str])]) -> BTreeSet<String> {
    parts.iter().flat_map(|(at, keys)| keys.iter().map(move |k| format!("{at}{k}"))).collect()
}

/// The keys of a blocked check whose fix has a stack's snippet, under `at`.
fn blocked_check(at: &str) -> BTreeSet<String> {
    let exchanges = format!("{at}requests[].");
    parts(&[
        (at, CHECK_TOP),
        (at, CHECK_ENGINES),
        (at, CHECK_ERROR),
        (at, CHECK_FIX),
        (at, CHECK_SNIPPET_PARTS),
        (&exchanges, EXCHANGE),
    ])
}

/// Fails with the keys that are missing and those that are new.
fn assert_keys(o: &Output, pinned: BTreeSet<String>) {
    let text = String::from_utf8_lossy(&o.stdout);
    let mut found = BTreeSet::new();
    for line in text.lines() {
        let doc: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {text}"));
        found.extend(keys(&doc));
    }
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
    assert_keys(&o, blocked_check(""));

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
    let mut two = blocked_check("");
    two.extend(parts(&[("", CHECK_LAYERS)]));
    assert_keys(&o, two);

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
    assert_keys(
        &o,
        parts(&[("", CHECK_TOP), ("", CHECK_ENGINES), ("requests[].", EXCHANGE), ("preflight.", EXCHANGE)]),
    );
    let o = corsair(&[&put[..], &["--preflight-only"]].concat()).await;
    assert_eq!(o.status.code(), Some(0));
    assert_keys(
        &o,
        parts(&[("", CHECK_TOP), ("requests[].", EXCHANGE), ("preflight.", EXCHANGE), ("unsent.", UNSENT)]),
    );

    let o = corsair(&["check", &url, "--origin", PAGE, "--format", "json", "--timeout", "0"]).await;
    assert_eq!(o.status.code(), Some(2));
    assert_keys(&o, parts(&[("", CHECK_TOP), ("", CHECK_ERROR)]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_documents_keep_their_keys() {
    let none = TestServer::start(loopback(1), nginx_without_cors()).await;
    let url = format!("{}/none", none.origin("http"));
    let message = format!("Access to fetch at '{url}' from origin '{PAGE}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.");
    let o = corsair(&["explain", &message, "--format", "json", "--live"]).await;
    assert_eq!(o.status.code(), Some(1));
    let mut live = blocked_check("live.");
    live.extend(parts(&[("", EXPLAIN_MESSAGE)]));
    assert_keys(&o, live);

    let har = concat!(env!("CARGO_MANIFEST_DIR"), "/../corsair-core/fuzz/seeds/har/chromium-recorded.har");
    let o = corsair(&["explain", "--har", har, "--format", "json"]).await;
    assert_eq!(o.status.code(), Some(1));
    let check = "requests[].check.";
    assert_keys(
        &o,
        parts(&[
            ("", HAR),
            (check, CHECK_TOP),
            (check, CHECK_ENGINES),
            (check, CHECK_ERROR),
            (check, CHECK_FIX),
            (&format!("{check}causes[]."), CAUSE),
            (&format!("{check}requests[]."), EXCHANGE),
            (&format!("{check}preflight."), EXCHANGE),
        ]),
    );
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
    assert_keys(&o, parts(&[("", POLICY_CHECK)]));
}

/// The check document's top-level keys (`engines` and `layers` apart: not in every shape).
const CHECK_TOP: &[&str] = &[
    "browser_message",
    "causes",
    "error",
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

/// `engines`: each engine's words.
const CHECK_ENGINES: &[&str] = &[
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
];

/// `error`.
const CHECK_ERROR: &[&str] = &["error.explanation", "error.firefox_code", "error.fix", "error.kind"];

/// `error.fix` of a server fix (a page fix has fewer).
const CHECK_FIX: &[&str] = &[
    "error.fix.headers",
    "error.fix.preflight_status",
    "error.fix.remove",
    "error.fix.snippet",
    "error.fix.snippet_adds_to_existing_layer",
    "error.fix.snippet_parts",
    "error.fix.summary",
    "error.fix.verified_snippet_command",
];

/// `error.fix.snippet_parts[]`, with a stack.
const CHECK_SNIPPET_PARTS: &[&str] = &["error.fix.snippet_parts[].place", "error.fix.snippet_parts[].text"];

/// `layers`, when two layers answer.
const CHECK_LAYERS: &[&str] = &[
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
];

/// An exchange, under `requests[]` and `preflight`.
const EXCHANGE: &[&str] = &[
    "error",
    "request",
    "request.headers",
    "request.method",
    "request.url",
    "response",
    "response.headers",
    "response.reason",
    "response.status",
    "response.version",
];

/// `unsent`, with `--preflight-only`.
const UNSENT: &[&str] = &["headers", "method", "url"];

/// `causes[]`.
const CAUSE: &[&str] = &["explains_block", "explanation", "fix", "fix_in_page", "kind"];

/// An explain document, `live` apart (the core's reading of the message, then `live` and `conclusion`).
const EXPLAIN_MESSAGE: &[&str] = &[
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
    "method",
    "other",
    "page_origin",
    "redirect_to",
    "status",
    "url",
];

/// An `explain --har` document, each request's `check` apart.
const HAR: &[&str] = &[
    "har",
    "har.creator",
    "har.engine",
    "har.version",
    "messages_from",
    "note",
    "requests",
    "requests[].check",
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

/// A `policy check` document with errors.
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
