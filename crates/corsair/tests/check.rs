//! `corsair check` and `corsair explain` as a user runs them: the real binary against scripted
//! servers on loopback.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use corsair_testkit::{loopback, Recorded, Reply, TestServer};
use serde_json::Value;

const PAGE: &str = "http://localhost:5173";

async fn corsair(args: Vec<String>, stdin: Option<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_corsair"))
            .args(&args)
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run corsair");
        if let Some(input) = stdin {
            child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        }
        drop(child.stdin.take());
        child.wait_with_output().expect("corsair output")
    })
    .await
    .unwrap()
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

/// Allows the page's origin, with the given grants on preflights.
fn allowing(methods: &'static str, headers: &'static str) -> corsair_testkit::Script {
    Arc::new(move |r: &Recorded| {
        let reply = if r.method == "OPTIONS" { Reply::status(204) } else { Reply::status(200) };
        reply
            .header("Access-Control-Allow-Origin", PAGE)
            .header("Access-Control-Allow-Methods", methods)
            .header("Access-Control-Allow-Headers", headers)
            .header("Vary", "Origin")
            .header("X-Total", "3")
    })
}

fn silent() -> corsair_testkit::Script {
    Arc::new(|_: &Recorded| Reply::status(200).header("Server", "nginx/1.25.3"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allowed_request_exits_0_and_says_what_script_can_read() {
    let s = TestServer::start(loopback(1), allowing("", "")).await;
    let url = format!("{}/items", s.origin("http"));
    let o = corsair(args(&["check", &url, "--origin", PAGE, "--read", "X-Total"]), None).await;
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("ALLOWED"), "{text}");
    assert!(text.contains("script cannot read `x-total`"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_request_exits_1_with_chromiums_message_and_the_fix() {
    let s = TestServer::start(loopback(1), silent()).await;
    let url = format!("{}/items", s.origin("http"));
    let o = corsair(args(&["check", &url, "--origin", PAGE, "--format", "json"]), None).await;
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let j = json(&o);
    assert_eq!(j["verdict"], "blocked");
    assert_eq!(
        j["browser_message"],
        format!("Access to fetch at '{url}' from origin '{PAGE}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.")
    );
    assert_eq!(j["error"]["kind"], "kMissingAllowOriginHeader");
    assert_eq!(j["error"]["firefox_code"], "CORSMissingAllowOrigin");
    assert_eq!(j["error"]["fix"]["headers"][0], serde_json::json!(["Access-Control-Allow-Origin", PAGE]));
    assert_eq!(j["stack"], "nginx", "detected from Server: nginx");
    assert!(j["error"]["fix"]["snippet"].as_str().unwrap().contains("add_header Access-Control-Allow-Origin"));
    assert_eq!(j["preflight"], Value::Null);
    assert_eq!(j["requests"].as_array().unwrap().len(), 1);
    assert_eq!(j["readable_headers"], serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_json_preflight_holds_what_was_sent_and_received() {
    let s = TestServer::start(loopback(1), allowing("PUT", "content-type, x-trace")).await;
    let url = format!("{}/items", s.origin("http"));
    let o = corsair(
        args(&[
            "check",
            &url,
            "--origin",
            PAGE,
            "-X",
            "PUT",
            "-H",
            "X-Trace: 1",
            "-H",
            "Content-Type: application/json",
            "--format",
            "json",
        ]),
        None,
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let j = json(&o);
    let pre = &j["preflight"];
    assert_eq!(pre["request"]["method"], "OPTIONS");
    let headers = pre["request"]["headers"].as_array().unwrap();
    assert!(headers.contains(&serde_json::json!(["Access-Control-Request-Method", "PUT"])));
    assert!(headers.contains(&serde_json::json!(["Access-Control-Request-Headers", "content-type,x-trace"])));
    assert_eq!(pre["response"]["status"], 204);
    assert_eq!(j["requests"].as_array().unwrap().len(), 2);
    assert_eq!(j["browser_message"], Value::Null);
    assert_eq!(j["response_type"], "cors");
    // What the server saw agrees with what corsair reports.
    assert_eq!(s.requests()[0].header("access-control-request-headers"), Some("content-type,x-trace"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_output_shows_the_timeline_verdict_and_a_snippet_for_the_stack() {
    let s = TestServer::start(loopback(1), silent()).await;
    let url = format!("{}/items", s.origin("http"));
    let o = corsair(args(&["check", &url, "--origin", PAGE, "-X", "DELETE", "--stack", "django"]), None).await;
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    for needle in [
        "OPTIONS",
        "> Access-Control-Request-Method: DELETE",
        "BLOCKED",
        "Response to preflight request doesn't pass access control check",
        "CORS_ALLOWED_ORIGINS = [\"http://localhost:5173\"]",
        "For Django (--stack)",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    assert!(!text.contains("\x1b["), "no colour when stdout is not a terminal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warnings_name_echoes_without_vary_and_dropped_headers() {
    let s = TestServer::start(
        loopback(1),
        Arc::new(|_: &Recorded| Reply::status(200).header("Access-Control-Allow-Origin", PAGE)),
    )
    .await;
    let url = format!("{}/", s.origin("http"));
    let o = corsair(args(&["check", &url, "--origin", PAGE, "-H", "Cookie: a=b", "--format", "json"]), None).await;
    assert_eq!(o.status.code(), Some(0));
    let warnings: Vec<String> =
        json(&o)["warnings"].as_array().unwrap().iter().map(|w| w.as_str().unwrap().to_owned()).collect();
    assert!(warnings.iter().any(|w| w.contains("without `Vary: Origin`")), "{warnings:?}");
    assert!(warnings.iter().any(|w| w.contains("drops the header `cookie`")), "{warnings:?}");
    assert!(s.requests()[0].header("cookie").is_none(), "a forbidden header is never sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolve_and_redirects_work_like_a_browser() {
    let target = TestServer::start(
        loopback(2),
        Arc::new(|_: &Recorded| Reply::status(200).header("Access-Control-Allow-Origin", "*")),
    )
    .await;
    let location = format!("{}/final", target.origin("http"));
    let first = TestServer::start(
        loopback(1),
        Arc::new(move |_: &Recorded| {
            Reply::status(307).header("Location", &location).header("Access-Control-Allow-Origin", "*")
        }),
    )
    .await;
    let port = first.addr.port();
    let url = format!("http://api.corsair.test:{port}/start");
    let resolve = format!("api.corsair.test:{port}:127.0.0.1");
    let o = corsair(args(&["check", &url, "--origin", PAGE, "--resolve", &resolve, "--format", "json"]), None).await;
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let j = json(&o);
    assert_eq!(j["requests"].as_array().unwrap().len(), 2);
    assert_eq!(target.requests()[0].header("origin"), Some("null"), "a cross-origin hop taints the origin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_exits_2_with_one_line() {
    let cases: [&[&str]; 5] = [
        &["check", "not a url", "--origin", PAGE],
        &["check", "http://127.0.0.1:1/", "--origin", "::bad::"],
        &["check", "http://127.0.0.1:1/", "--origin", PAGE, "-H", "no colon"],
        &["check", "http://127.0.0.1:1/", "--origin", PAGE, "--resolve", "x:1"],
        &["check", "http://127.0.0.1:1/", "--origin", PAGE, "--timeout", "0"],
    ];
    for case in cases {
        let o = corsair(args(case), None).await;
        assert_eq!(o.status.code(), Some(2), "{case:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{case:?}: {err}");
        assert!(err.starts_with("corsair: "), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_and_slow_servers_exit_2() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let o = corsair(args(&["check", &format!("http://127.0.0.1:{closed}/"), "--origin", PAGE]), None).await;
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("could not check") && stderr(&o).contains("refused"), "{}", stderr(&o));
    assert!(stdout(&o).contains("COULD NOT CHECK"), "{}", stdout(&o));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let _held = tokio::spawn(async move {
        let (_s, _) = listener.accept().await.unwrap();
        tokio::time::sleep(std::time::Duration::from_secs(20)).await;
    });
    let o = corsair(args(&["check", &format!("http://127.0.0.1:{port}/"), "--origin", PAGE, "--timeout", "0.3"]), None)
        .await;
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no response within"), "{}", stderr(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_signed_tls_fails_without_insecure_and_works_with_it() {
    let s = TestServer::start_tls(loopback(1), allowing("", "")).await;
    let url = format!("https://127.0.0.1:{}/", s.addr.port());
    let o = corsair(args(&["check", &url, "--origin", PAGE]), None).await;
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("TLS"), "{}", stderr(&o));
    let o = corsair(args(&["check", &url, "--origin", PAGE, "--insecure", "--format", "json"]), None).await;
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(json(&o)["requests"][0]["response"]["version"], "HTTP/2");
}

fn message(url: &str) -> String {
    format!("index.html:1 Access to fetch at '{url}' from origin '{PAGE}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_reads_the_message_from_an_argument_or_stdin() {
    let url = "http://127.0.0.1:9/items";
    let o = corsair(args(&["explain", &message(url)]), None).await;
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    assert!(
        text.contains("kMissingAllowOriginHeader") && text.contains(&format!("Access-Control-Allow-Origin: {PAGE}")),
        "{text}"
    );
    let o = corsair(args(&["explain"]), Some(message(url))).await;
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("kMissingAllowOriginHeader"));
    let o = corsair(args(&["explain", "-", "--format", "json"]), Some(message(url))).await;
    let j = json(&o);
    assert_eq!(j["url"], url);
    assert_eq!(j["page_origin"], PAGE);
    assert_eq!(j["error"]["kind"], "kMissingAllowOriginHeader");
    assert_eq!(j["live"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_refuses_text_that_is_not_a_cors_message() {
    let o = corsair(args(&["explain", "hello, world"]), None).await;
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a CORS error message"), "{}", stderr(&o));
    // What the script sees: where the real message is.
    let o = corsair(args(&["explain", "TypeError: Failed to fetch"]), None).await;
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("browser's console"), "{}", stderr(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_says_no_input_for_empty_input() {
    for input in ["", "  \n\n  "] {
        let o = corsair(args(&["explain"]), Some(input.to_owned())).await;
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("no input"), "{}", stderr(&o));
        assert!(!stderr(&o).contains("Paste the browser"), "no prompt when stdin is not a terminal");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_explains_each_pasted_message_in_order() {
    let first = message("http://127.0.0.1:9/a");
    let second = format!("Access to fetch at 'http://127.0.0.3:9/login' (redirected from 'http://127.0.0.1:9/b') from origin '{PAGE}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: It does not have HTTP ok status.");
    let firefox = "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at http://127.0.0.1:9/c. (Reason: CORS request did not succeed). Status code: (null).";
    // Wrapped at 60 columns with indentation, as a chat would.
    let pasted =
        wrap(&format!("{first}\nGET http://127.0.0.1:9/a net::ERR_FAILED 404 (Not Found)\n{second}\n{firefox}"), 60);
    let o = corsair(args(&["explain"]), Some(pasted.clone())).await;
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let text = stdout(&o);
    let at = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("{needle} missing:\n{text}"));
    assert!(at("Message 1 of 3") < at("kMissingAllowOriginHeader"));
    assert!(at("kMissingAllowOriginHeader") < at("Message 2 of 3"));
    assert!(at("Message 2 of 3") < at("kPreflightInvalidStatus"));
    assert!(at("kPreflightInvalidStatus") < at("Message 3 of 3"));
    assert!(at("Message 3 of 3") < at("CORSDidNotSucceed"));
    assert!(text.contains("(redirected from http://127.0.0.1:9/b)"), "{text}");
    assert!(text.contains("Status:  404"), "{text}");

    // JSON: one object per line, per message, each shaped as a single message's output.
    let o = corsair(args(&["explain", "--format", "json"]), Some(pasted)).await;
    assert_eq!(o.status.code(), Some(0));
    let lines: Vec<Value> = stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["error"]["kind"], "kMissingAllowOriginHeader");
    assert_eq!(lines[0]["method"], "GET");
    assert_eq!(lines[0]["status"], 404);
    assert_eq!(lines[1]["url"], "http://127.0.0.3:9/login");
    assert_eq!(lines[1]["initial_url"], "http://127.0.0.1:9/b");
    assert_eq!(lines[2]["browser"], "firefox");
    assert_eq!(lines[2]["other"]["kind"], "CORSDidNotSucceed");
    assert_eq!(lines[2]["firefox_code"], "CORSDidNotSucceed");
    assert_eq!(lines[0]["firefox_code"], Value::Null, "Chromium's message states no Firefox code");
    assert_eq!(lines[0]["error"]["firefox_code"], "CORSMissingAllowOrigin");
    assert!(lines.iter().all(|l| l["explained"] == true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_says_when_it_does_not_recognise_a_cors_message() {
    let msg = format!("Access to fetch at 'http://127.0.0.1:9/x' from origin '{PAGE}' has been blocked by CORS policy: A reason from a future Chromium.");
    let o = corsair(args(&["explain", &msg]), None).await;
    assert_eq!(o.status.code(), Some(2), "not explained is not a success");
    let text = stdout(&o);
    assert!(text.contains("NOT RECOGNISED Chromium"), "{text}");
    assert!(text.contains("A reason from a future Chromium."), "{text}");
    assert!(text.contains(&format!("corsair check http://127.0.0.1:9/x --origin {PAGE}")), "{text}");
    let o = corsair(args(&["explain", "--format", "json", &msg]), None).await;
    assert_eq!(o.status.code(), Some(2));
    let j = json(&o);
    assert_eq!(j["explained"], false);
    assert_eq!(j["error"], Value::Null);
    assert_eq!(j["url"], "http://127.0.0.1:9/x");
    // One unrecognised message among explained ones still fails the run.
    let o = corsair(args(&["explain"]), Some(format!("{}\n{msg}", message("http://127.0.0.1:9/a")))).await;
    assert_eq!(o.status.code(), Some(2));
}

/// Word-wraps every line at `col`, continuation lines indented, as chat clients and issue
/// trackers do.
fn wrap(text: &str, col: usize) -> String {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut current = String::new();
        for word in line.split(' ') {
            if !current.is_empty() && current.len() + word.len() >= col {
                out.push(std::mem::take(&mut current));
                current.push_str("  ");
            } else if !current.is_empty() && !current.ends_with("  ") {
                current.push(' ');
            }
            current.push_str(word);
        }
        out.push(current);
    }
    out.join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_live_says_whether_the_server_still_does_it() {
    let broken = TestServer::start(loopback(1), silent()).await;
    let url = format!("{}/items", broken.origin("http"));
    let o = corsair(args(&["explain", "--live", &message(&url)]), None).await;
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("still fails the same way (kMissingAllowOriginHeader)"), "{}", stdout(&o));

    let fixed = TestServer::start(loopback(1), allowing("", "")).await;
    let url = format!("{}/items", fixed.origin("http"));
    let o = corsair(args(&["explain", "--live", "--format", "json", &message(&url)]), None).await;
    assert_eq!(o.status.code(), Some(0));
    let j = json(&o);
    assert_eq!(j["conclusion"], "fixed");
    assert_eq!(j["live"]["verdict"], "allowed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_live_reproduces_the_method_the_message_names() {
    let s = TestServer::start(loopback(1), allowing("PUT", "")).await;
    let url = format!("{}/items", s.origin("http"));
    let msg = format!("Access to fetch at '{url}' from origin '{PAGE}' has been blocked by CORS policy: Method patch is not allowed by Access-Control-Allow-Methods in preflight response.");
    let o = corsair(args(&["explain", "--live", &msg]), None).await;
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert_eq!(s.requests()[0].header("access-control-request-method"), Some("patch"));
    assert!(stdout(&o).contains("still fails the same way"), "{}", stdout(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_live_needs_an_origin_for_firefox_messages() {
    let msg = "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at http://127.0.0.1:9/x. (Reason: CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 200.";
    let o = corsair(args(&["explain", msg]), None).await;
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("CORSMissingAllowOrigin"), "{}", stdout(&o));
    let o = corsair(args(&["explain", "--live", msg]), None).await;
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--origin"), "{}", stderr(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_uses_the_method_of_devtools_network_line() {
    let msg = format!("Access to fetch at 'http://127.0.0.1:9/items' from origin '{PAGE}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource.\nPUT http://127.0.0.1:9/items net::ERR_FAILED");
    let o = corsair(args(&["explain", &msg]), None).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("Access-Control-Allow-Methods: PUT"), "{}", stdout(&o));
    let o = corsair(args(&["explain", "--format", "json", &msg]), None).await;
    assert_eq!(json(&o)["method"], "PUT");
}

/// The advice of `corsair explain` where a header would be the wrong fix: a cross-origin
/// redirect (the browser sent `Origin: null`), a page whose own origin is `null`, a failed
/// preflight whose request the message does not describe, and Firefox's status code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_advice_never_asks_for_null_or_guesses_the_request() {
    let redirected = format!("Access to fetch at 'https://cdn.other.test/x' (redirected from 'http://api.test/x') from origin '{PAGE}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.");
    let o = corsair(args(&["explain", &redirected]), None).await;
    let text = stdout(&o);
    assert!(text.contains("Origin: null") && text.contains("Call https://cdn.other.test/x directly"), "{text}");
    assert!(
        !text.contains(&format!("Access-Control-Allow-Origin: {PAGE}")) && !text.contains("Allow-Origin: null"),
        "{text}"
    );

    let from_disk = "Access to fetch at 'http://127.0.0.1:9/items' from origin 'null' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.";
    let o = corsair(args(&["explain", from_disk]), None).await;
    let text = stdout(&o);
    assert!(text.contains("real origin") && !text.contains("Allow-Origin: null"), "{text}");

    let preflight = format!("Access to fetch at 'http://127.0.0.1:9/items' from origin '{PAGE}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: It does not have HTTP ok status.");
    let o = corsair(args(&["explain", &preflight]), None).await;
    let text = stdout(&o);
    assert!(text.contains("Access-Control-Allow-Methods: <the page's method"), "{text}");
    assert!(!text.contains("Allow-Methods: GET"), "GET never needs listing: {text}");
    let o = corsair(args(&["explain", "-X", "DELETE", &preflight]), None).await;
    assert!(stdout(&o).contains("Access-Control-Allow-Methods: DELETE"), "{}", stdout(&o));
    // A live check of a simple GET would answer another question than the message asks.
    let o = corsair(args(&["explain", "--live", &preflight]), None).await;
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("-X METHOD"), "{}", stderr(&o));

    let firefox = "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at http://127.0.0.1:9/x. (Reason: CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 401.";
    let o = corsair(args(&["explain", firefox]), None).await;
    let text = stdout(&o);
    assert!(text.contains("Status:  401") && text.contains("A 401 without CORS headers"), "{text}");
}
