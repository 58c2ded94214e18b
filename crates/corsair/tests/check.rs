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

/// Runs corsair on a pseudo-terminal `columns` wide (util-linux `script`), as a user sees it;
/// stdout and stderr arrive together, with `\r\n` line ends turned back into `\n`.
async fn corsair_on_terminal(args: Vec<String>, columns: u16) -> String {
    tokio::task::spawn_blocking(move || {
        let command = format!("stty cols {columns} rows 50; exec {} {}", env!("CARGO_BIN_EXE_corsair"), args.join(" "));
        let o = Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .expect("run script(1)");
        String::from_utf8_lossy(&o.stdout).replace("\r\n", "\n")
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

/// A server on 127.0.0.1 that answers every request with bytes `answer` chooses from the request
/// head, exactly as given (status line and all), then closes: for answers hyper would not write.
async fn raw_server(answer: impl Fn(&str) -> Vec<u8> + Send + Sync + 'static) -> (u16, tokio::task::JoinHandle<()>) {
    raw_server_after(std::time::Duration::ZERO, answer).await
}

/// [`raw_server`], answering each request only after `delay`.
async fn raw_server_after(
    delay: std::time::Duration,
    answer: impl Fn(&str) -> Vec<u8> + Send + Sync + 'static,
) -> (u16, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let answer = Arc::new(answer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tcp.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                tokio::time::sleep(delay).await;
                let _ = tcp.write_all(&answer(&String::from_utf8_lossy(&head))).await;
                let _ = tcp.shutdown().await;
            });
        }
    });
    (port, task)
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
    assert!(
        text.contains(
            "script cannot read `x-total`: the response carries it, but Access-Control-Expose-Headers does not list it"
        ),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_tells_not_exposed_from_exposed_but_absent() {
    let s = TestServer::start(
        loopback(1),
        Arc::new(|_: &Recorded| {
            Reply::status(200)
                .header("Access-Control-Allow-Origin", PAGE)
                .header("Access-Control-Expose-Headers", "X-Next-Page")
                .header("X-Total", "3")
        }),
    )
    .await;
    let url = format!("{}/items", s.origin("http"));
    let o = corsair(
        args(&[
            "check",
            &url,
            "--origin",
            PAGE,
            "--read",
            "X-Next-Page",
            "--read",
            "X-Total",
            "--read",
            "X-Missing",
            "--format",
            "json",
        ]),
        None,
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let j = json(&o);
    let warnings: Vec<&str> = j["warnings"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    let about = |name: &str| warnings.iter().find(|w| w.contains(&format!("`{name}`"))).copied().unwrap_or_default();
    assert!(about("x-next-page").contains("is exposed, but this response does not carry it"), "{warnings:?}");
    assert!(
        about("x-total").contains("carries it, but Access-Control-Expose-Headers does not list it"),
        "{warnings:?}"
    );
    assert!(
        about("x-missing").contains("does not carry it, and Access-Control-Expose-Headers does not list it"),
        "{warnings:?}"
    );
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
    assert_eq!(
        j["error"]["fix"]["verified_snippet_command"],
        format!("corsair snippet --for nginx --allow-origin {PAGE}")
    );
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
        "ALLOWED_ORIGINS = frozenset(['http://localhost:5173'])",
        "PREFLIGHT_METHODS = frozenset(['GET', 'HEAD', 'POST', 'DELETE'])",
        "class CorsPolicyMiddleware",
        "For Django (--stack)",
        "This allows exactly this request. Other routes' methods and headers, more origins: add them and run",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    assert!(!text.contains("\x1b["), "no colour when stdout is not a terminal");
    // The printed command runs as printed and writes the Django middleware.
    let command = format!("corsair snippet --for django --allow-origin {PAGE} --allow-methods DELETE");
    assert!(text.contains(&command), "missing {command:?} in\n{text}");
    let words: Vec<&str> = command.split(' ').skip(1).collect();
    let o = corsair(args(&words), None).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("class CorsPolicyMiddleware"), "{}", stdout(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_line_shows_the_version_and_reason_phrase_as_received() {
    let (port, _server) = raw_server(|_| {
        b"HTTP/1.0 200 Okey-dokey\r\nAccess-Control-Allow-Origin: *\r\nContent-Length: 0\r\n\r\n".to_vec()
    })
    .await;
    let url = format!("http://127.0.0.1:{port}/");
    let o = corsair(args(&["check", &url, "--origin", PAGE]), None).await;
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("< HTTP/1.0 200 Okey-dokey\n"), "{}", stdout(&o));
    let o = corsair(args(&["check", &url, "--origin", PAGE, "--format", "json"]), None).await;
    let response = &json(&o)["requests"][0]["response"];
    assert_eq!(response["version"], "HTTP/1.0");
    assert_eq!(response["reason"], "Okey-dokey");

    // A canonical phrase is shown as sent, and HTTP/2 has none.
    let s = TestServer::start_tls(loopback(1), allowing("", "")).await;
    let url = format!("https://127.0.0.1:{}/", s.addr.port());
    let o = corsair(args(&["check", &url, "--origin", PAGE, "--insecure"]), None).await;
    assert!(stdout(&o).contains("< HTTP/2 200\n"), "{}", stdout(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_terminal_prose_wraps_to_its_width_and_nowhere_else() {
    let s = TestServer::start(loopback(1), silent()).await;
    let url = format!("{}/items", s.origin("http"));
    let text = corsair_on_terminal(args(&["check", &url, "--origin", PAGE]), 60).await;
    let why = text.split("\nWhy:\n").nth(1).and_then(|t| t.split("\n\n").next()).unwrap_or_default();
    assert!(why.lines().count() > 1 && why.lines().all(|l| l.chars().count() <= 60), "{text}");
    let console = text.lines().find(|l| l.contains("has been blocked by CORS policy")).unwrap_or_default();
    assert!(console.chars().count() > 60, "the console message stays whole, to be copied: {text}");

    // Piped, nothing wraps, whatever COLUMNS says.
    let o = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_corsair"))
            .args(["check", &url, "--origin", PAGE])
            .env("NO_COLOR", "1")
            .env("COLUMNS", "60")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let piped = stdout(&o);
    let why = piped.split("\nWhy:\n").nth(1).and_then(|t| t.split("\n\n").next()).unwrap_or_default();
    assert_eq!(why.lines().count(), 1, "{piped}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_exchange_shows_what_it_waits_for_on_a_terminal_only() {
    let (port, _server) = raw_server_after(std::time::Duration::from_millis(1600), |_| {
        b"HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: *\r\nContent-Length: 0\r\n\r\n".to_vec()
    })
    .await;
    let url = format!("http://127.0.0.1:{port}/slow");
    let text = corsair_on_terminal(args(&["check", &url, "--origin", PAGE]), 100).await;
    assert!(text.contains(&format!("waiting for {url} (1 s)")), "{text:?}");
    assert!(text.contains("\r\x1b[2K"), "the waiting line is erased: {text:?}");
    assert!(text.contains("ALLOWED"), "{text}");
    let o = corsair(args(&["check", &url, "--origin", PAGE]), None).await;
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stderr.is_empty(), "not on a terminal: {}", stderr(&o));
}

/// An API whose JSON body parser runs before its CORS layer (Express with `express.json()`
/// mounted before `cors()`, say): a body it cannot parse gets a 400 with no CORS headers.
fn parser_before_cors() -> corsair_testkit::Script {
    Arc::new(|r: &Recorded| {
        if r.method == "OPTIONS" {
            return Reply::status(204)
                .header("Access-Control-Allow-Origin", PAGE)
                .header("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE")
                .header("Access-Control-Allow-Headers", "content-type")
                .header("Vary", "Origin");
        }
        if !r.body.is_empty() && serde_json::from_slice::<Value>(&r.body).is_err() {
            return Reply::status(400).body("Bad Request");
        }
        Reply::status(200).header("Access-Control-Allow-Origin", PAGE).header("Vary", "Origin")
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_the_server_rejects_before_cors_blocks_what_passes_without_one() {
    let s = TestServer::start(loopback(1), parser_before_cors()).await;
    let url = format!("{}/items", s.origin("http"));
    let json_put = ["check", &url, "--origin", PAGE, "-X", "PUT", "-H", "Content-Type: application/json"];
    let o = corsair(args(&json_put), None).await;
    assert_eq!(o.status.code(), Some(0), "without a body: {}", stdout(&o));

    let o = corsair(args(&[&json_put[..], &["-d", "{\"name\": oops}"]].concat()), None).await;
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let text = stdout(&o);
    assert!(
        text.contains("< HTTP/1.1 400 Bad Request") && text.contains("No 'Access-Control-Allow-Origin' header"),
        "{text}"
    );
    assert!(text.contains(&format!("sent for real: PUT {url}")), "{text}");
    assert!(text.contains("typically a body parser that rejected it"), "{text}");
    let put = s.requests().into_iter().rev().find(|r| r.method == "PUT").unwrap();
    assert_eq!(put.body, b"{\"name\": oops}");
    assert_eq!(put.header("content-length"), Some("14"));
    assert_eq!(put.header("content-type"), Some("application/json"));

    // Files, as curl reads them: -d drops line breaks, --data-binary keeps every byte.
    let dir = std::env::temp_dir().join(format!("corsair-check-body-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("body.json");
    std::fs::write(&file, "{\"a\":\n1}\n").unwrap();
    let at = format!("@{}", file.display());
    let o = corsair(args(&[&json_put[..], &["--data-binary", &at]].concat()), None).await;
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(s.requests().last().unwrap().body, b"{\"a\":\n1}\n");
    let o = corsair(args(&[&json_put[..], &["-d", &at, "--format", "json"]].concat()), None).await;
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(s.requests().last().unwrap().body, b"{\"a\":1}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_body_is_posted_as_fetch_sends_a_string() {
    let s = TestServer::start(loopback(1), parser_before_cors()).await;
    let url = format!("{}/items", s.origin("http"));
    let o = corsair(args(&["check", &url, "--origin", PAGE, "-d", "hello"]), None).await;
    // `hello` is no JSON: the parser answers 400 without CORS headers here too.
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let sent = &s.requests()[0];
    assert_eq!((sent.method.as_str(), sent.header("content-type")), ("POST", Some("text/plain;charset=UTF-8")));
    assert!(stdout(&o).contains("sent for real: POST"), "{}", stdout(&o));
    // fetch() refuses a body with GET or HEAD before sending anything; only the default GET
    // becomes POST.
    for method in ["GET", "HEAD"] {
        let o = corsair(args(&["check", &url, "--origin", PAGE, "-X", method, "-d", "x"]), None).await;
        assert_eq!(o.status.code(), Some(1), "{method}");
        assert!(stdout(&o).contains("Request with GET/HEAD method cannot have body."), "{}", stdout(&o));
    }
    assert_eq!(s.requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preflight_only_never_sends_the_request_itself() {
    let s = TestServer::start(loopback(1), parser_before_cors()).await;
    let url = format!("{}/items/7", s.origin("http"));
    let o = corsair(args(&["check", &url, "--origin", PAGE, "-X", "DELETE", "--preflight-only"]), None).await;
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let text = stdout(&o);
    assert!(text.contains(&format!("PREFLIGHT PASSED  not sent: DELETE {url}")), "{text}");
    assert!(!text.contains("sent for real"), "{text}");
    assert_eq!(s.requests().iter().map(|r| r.method.as_str()).collect::<Vec<_>>(), ["OPTIONS"]);

    let o =
        corsair(args(&["check", &url, "--origin", PAGE, "-X", "DELETE", "--preflight-only", "--format", "json"]), None)
            .await;
    let j = json(&o);
    assert_eq!(j["verdict"], "preflight_passed");
    assert_eq!(j["preflight"]["response"]["status"], 204);
    assert_eq!(j["unsent"]["method"], "DELETE");

    // A request without a preflight is sent as is by the browser: --preflight-only sends nothing.
    let o =
        corsair(args(&["check", &url, "--origin", PAGE, "-d", "a=1", "--preflight-only", "--format", "json"]), None)
            .await;
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let j = json(&o);
    assert_eq!(j["verdict"], "not_sent");
    assert_eq!(j["unsent"]["method"], "POST");
    assert_eq!(j["requests"], serde_json::json!([]));
    assert_eq!(s.requests().len(), 2, "two preflights, nothing else");

    // A preflight the server refuses ends the check as usual.
    let o = corsair(args(&["check", &url, "--origin", PAGE, "-X", "PATCH", "--preflight-only"]), None).await;
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
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
    assert!(
        warnings.iter().any(|w| w.contains("without `Vary: Origin`: if it depends on the Origin")),
        "one exchange cannot tell an echo from a fixed value: {warnings:?}"
    );
    assert!(warnings.iter().any(|w| w.contains("drops the header `cookie`")), "{warnings:?}");
    assert!(s.requests()[0].header("cookie").is_none(), "a forbidden header is never sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_max_age_above_chromiums_cap_is_a_note_not_a_warning() {
    // django-cors-headers' default CORS_PREFLIGHT_MAX_AGE.
    let s = TestServer::start(
        loopback(1),
        Arc::new(|r: &Recorded| {
            let reply = if r.method == "OPTIONS" {
                Reply::status(200)
                    .header("Access-Control-Allow-Methods", "PUT")
                    .header("Access-Control-Max-Age", "86400")
            } else {
                Reply::status(200)
            };
            reply.header("Access-Control-Allow-Origin", PAGE).header("Vary", "Origin")
        }),
    )
    .await;
    let url = format!("{}/items", s.origin("http"));
    let o = corsair(args(&["check", &url, "--origin", PAGE, "-X", "PUT", "--format", "json"]), None).await;
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let j = json(&o);
    assert_eq!(j["warnings"], serde_json::json!([]), "{j}");
    assert!(j["notes"][0].as_str().unwrap().contains("Access-Control-Max-Age: 86400 is above Chromium's cap"), "{j}");
    let text = stdout(&corsair(args(&["check", &url, "--origin", PAGE, "-X", "PUT"]), None).await);
    assert!(text.contains("Notes:\n  - Access-Control-Max-Age: 86400") && !text.contains("Warnings:"), "{text}");
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
        assert!(o.stdout.is_empty(), "text output prints nothing: {}", stdout(&o));
        // With --format json, stdout holds a document that says the check did not run.
        let o = corsair(args(&[case, &["--format", "json"]].concat()), None).await;
        assert_eq!(o.status.code(), Some(2), "{case:?}: {}", stderr(&o));
        let j = json(&o);
        assert_eq!(j["verdict"], "error", "{case:?}: {j}");
        assert_eq!(j["error"]["kind"], "usage");
        assert_eq!(format!("corsair: {}\n", j["error"]["explanation"].as_str().unwrap()), stderr(&o));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_origin_or_url_without_a_scheme_is_a_usage_error_that_names_the_fix() {
    let s = TestServer::start(loopback(1), allowing("", "")).await;
    let port = s.addr.port();
    let url = format!("{}/items", s.origin("http"));
    let bare_url = format!("127.0.0.1:{port}/x");
    let cases = [
        (args(&["check", &url, "--origin", "localhost:3000"]), "write http://localhost:3000".to_owned()),
        (args(&["check", &bare_url, "--origin", PAGE]), format!("write http://{bare_url}")),
        (args(&["check", &url, "--origin", "app.example.com"]), "write https://app.example.com".to_owned()),
    ];
    for (case, fix) in cases {
        let o = corsair(case.clone(), None).await;
        assert_eq!(o.status.code(), Some(2), "{case:?}: {}{}", stdout(&o), stderr(&o));
        assert!(stderr(&o).contains("has no scheme") && stderr(&o).contains(&fix), "{case:?}: {}", stderr(&o));
        assert!(!stdout(&o).contains("BLOCKED"), "{}", stdout(&o));
    }
    assert!(s.requests().is_empty(), "nothing is sent for a usage error");
    // An opaque origin stays possible: a page opened from disk or a sandboxed iframe.
    let o = corsair(args(&["check", &url, "--origin", "null", "--format", "json"]), None).await;
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(s.requests()[0].header("origin"), Some("null"));
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
    let o =
        corsair(args(&["check", &format!("http://127.0.0.1:{closed}/"), "--origin", PAGE, "--format", "json"]), None)
            .await;
    assert_eq!(o.status.code(), Some(2));
    let j = json(&o);
    assert_eq!(j["verdict"], "error", "a check that could not run is not \"blocked\": {j}");
    assert_eq!(j["error"]["kind"], "could_not_check");
    assert!(j["error"]["explanation"].as_str().unwrap().contains("refused"), "{j}");
    assert_eq!(j["error"]["fix"], Value::Null);
    assert_eq!(j["requests"][0]["error"].as_str().map(|e| e.contains("refused")), Some(true), "{j}");

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
    assert!(stderr(&o).contains("use --insecure"), "{}", stderr(&o));
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

// ---------------------------------------------------------------------------------------------
// The real cause, from the live answers. The answers below are byte for byte what the real
// servers sent to corsair's requests on this project's machine: Starlette 1.10.0 under uvicorn
// 0.55.0 (PyPI), nginx 1.22.1 (Debian). `real_starlette_and_nginx` runs the real servers
// themselves where they are installed.
// ---------------------------------------------------------------------------------------------

/// Starlette's `CORSMiddleware(allow_origins=[PAGE])` (methods default to GET) to a PUT preflight.
const STARLETTE_DISALLOWED_METHOD: &[u8] = b"HTTP/1.1 400 Bad Request\r\ndate: Thu, 03 Dec 2026 10:13:48 GMT\r\nserver: uvicorn\r\nvary: Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network\r\naccess-control-allow-methods: GET\r\naccess-control-max-age: 600\r\naccess-control-allow-headers: Accept, Accept-Language, Content-Language, Content-Type\r\naccess-control-allow-origin: http://localhost:5173\r\ncontent-length: 22\r\ncontent-type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nDisallowed CORS method";

/// nginx, `add_header Access-Control-Allow-Origin` in the server block and an
/// `if ($request_method = OPTIONS)` with add_header lines of its own (no origin) in `location /`.
const NGINX_IF_PREFLIGHT: &[u8] = b"HTTP/1.1 204 No Content\r\nServer: nginx/1.22.1\r\nDate: Thu, 03 Dec 2026 10:14:26 GMT\r\nConnection: close\r\nAccess-Control-Allow-Methods: GET, PUT, DELETE\r\nAccess-Control-Allow-Headers: content-type\r\n\r\n";

/// nginx, an `if` block that repeats every CORS line (`location /api/` and `/v2/`).
const NGINX_FULL_PREFLIGHT: &[u8] = b"HTTP/1.1 204 No Content\r\nServer: nginx/1.22.1\r\nDate: Thu, 03 Dec 2026 10:16:41 GMT\r\nConnection: close\r\nAccess-Control-Allow-Origin: http://localhost:5173\r\nVary: Origin\r\nAccess-Control-Allow-Methods: GET, PUT, DELETE\r\nAccess-Control-Allow-Headers: content-type, x-trace\r\n\r\n";

/// nginx, `location /api/` with `add_header Cache-Control no-store` of its own.
const NGINX_OWN_ADD_HEADER: &[u8] = b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Thu, 03 Dec 2026 10:16:41 GMT\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nLast-Modified: Thu, 03 Dec 2026 10:16:39 GMT\r\nConnection: close\r\nETag: \"6b114187-3\"\r\nCache-Control: no-store\r\nAccept-Ranges: bytes\r\n\r\n{}\n";

/// nginx, a 404 in `location /v2/`: the server's add_header lines lack `always`.
const NGINX_404: &[u8] = b"HTTP/1.1 404 Not Found\r\nServer: nginx/1.22.1\r\nDate: Thu, 03 Dec 2026 10:16:41 GMT\r\nContent-Type: text/html\r\nContent-Length: 153\r\nConnection: close\r\n\r\n<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n";

/// nginx, a server block that only redirects (`return 301 http://127.0.0.1:8124$request_uri`).
const NGINX_REDIRECT: &[u8] = b"HTTP/1.1 301 Moved Permanently\r\nServer: nginx/1.22.1\r\nDate: Thu, 03 Dec 2026 10:14:35 GMT\r\nContent-Type: text/html\r\nContent-Length: 169\r\nConnection: close\r\nLocation: http://127.0.0.1:8124/items\r\n\r\n<html>\r\n<head><title>301 Moved Permanently</title></head>\r\n<body>\r\n<center><h1>301 Moved Permanently</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n";

/// The kinds of `causes` in a JSON document.
fn cause_kinds(j: &Value) -> Vec<String> {
    j["causes"].as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preflight_refused_by_starlettes_cors_layer_is_not_blamed_on_auth_or_routing() {
    let (port, _server) = raw_server(|_| STARLETTE_DISALLOWED_METHOD.to_vec()).await;
    let url = format!("http://127.0.0.1:{port}/items");
    let o = corsair(args(&["check", &url, "--origin", PAGE, "-X", "PUT"]), None).await;
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    assert!(text.contains("It does not have HTTP ok status."), "the browser's own words stay: {text}");
    assert!(text.contains("refused by the CORS layer itself, not by authentication or routing"), "{text}");
    assert!(text.contains("Add PUT to the CORS layer's allowed methods"), "{text}");
    assert!(!text.contains("authentication middleware that runs before CORS"), "no generic guess: {text}");
    let j = json(&corsair(args(&["check", &url, "--origin", PAGE, "-X", "PUT", "--format", "json"]), None).await);
    assert_eq!(cause_kinds(&j), ["preflight_refused_by_cors_layer"]);
    assert_eq!(j["error"]["kind"], "kPreflightInvalidStatus");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_add_header_inheritance_always_and_bare_redirects_are_named() {
    let (port, _server) = raw_server(|head| {
        let line = head.lines().next().unwrap_or_default();
        let answer = match line.split(' ').take(2).collect::<Vec<_>>()[..] {
            ["OPTIONS", "/items"] => NGINX_IF_PREFLIGHT,
            ["OPTIONS", _] => NGINX_FULL_PREFLIGHT,
            ["GET", "/api/items"] => NGINX_OWN_ADD_HEADER,
            ["GET", "/old"] => NGINX_REDIRECT,
            _ => NGINX_404,
        };
        answer.to_vec()
    })
    .await;
    let base = format!("http://127.0.0.1:{port}");
    let cases: [(&str, &[&str], &str, &str); 4] = [
        ("/items", &["-X", "PUT"], "nginx_add_header_not_inherited", "inherits none of the server's"),
        ("/api/items", &["-H", "X-Trace: 1"], "nginx_add_header_not_inherited", "the location that served the request"),
        ("/v2/missing", &["-H", "X-Trace: 1"], "nginx_add_header_without_always", "unless it ends in `always`"),
        (
            "/old",
            &[],
            "redirect_without_cors",
            "answered the request with a 301 redirect to http://127.0.0.1:8124/items and no CORS headers",
        ),
    ];
    for (path, extra, kind, words) in cases {
        let url = format!("{base}{path}");
        let o = corsair(args(&[&["check", &url, "--origin", PAGE][..], extra].concat()), None).await;
        assert_eq!(o.status.code(), Some(1), "{path}: {}", stdout(&o));
        assert!(stdout(&o).contains(words), "{path}: {}", stdout(&o));
        let o =
            corsair(args(&[&["check", &url, "--origin", PAGE, "--format", "json"][..], extra].concat()), None).await;
        assert_eq!(cause_kinds(&json(&o)), [kind], "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corsairs_own_debug_header_names_the_refusal() {
    let upstream = TestServer::start(loopback(1), allowing("", "")).await;
    let mut proxy = Command::new(env!("CARGO_BIN_EXE_corsair"))
        .args(["proxy", "--listen", "127.0.0.1:0", "--upstream", &upstream.origin("http")])
        .args(["--allow-origin", PAGE, "--allow-methods", "GET,PUT", "--debug-header"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start corsair proxy");
    let stderr_pipe = proxy.stderr.take().unwrap();
    let listening = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        std::io::BufReader::new(stderr_pipe)
            .lines()
            .map_while(Result::ok)
            .find_map(|l| l.split("listening on ").nth(1).map(str::to_owned))
    })
    .await
    .unwrap()
    .expect("the proxy says where it listens");
    let url = format!("{listening}/items");
    let o = corsair(args(&["check", &url, "--origin", PAGE, "-X", "DELETE"]), None).await;
    let _ = proxy.kill();
    let _ = proxy.wait();
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let text = stdout(&o);
    assert!(text.contains("< corsair-refusal: method"), "{text}");
    assert!(text.contains("`corsair-refusal: method`: its CORS policy refused the method DELETE"), "{text}");
    assert!(text.contains("Add DELETE to the server's allowed methods."), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lower_case_method_is_fixed_in_the_page_not_on_the_server() {
    let s = TestServer::start(loopback(1), allowing("GET, PUT, PATCH, DELETE", "")).await;
    let url = format!("{}/items", s.origin("http"));
    let o = corsair(args(&["check", &url, "--origin", PAGE, "-X", "patch", "--stack", "express"]), None).await;
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    assert!(text.contains("Fix (in the page, not on the server):"), "{text}");
    assert!(text.contains("method: 'PATCH'"), "{text}");
    assert!(!text.contains("Access-Control-Allow-Methods: patch") && !text.contains("For Express"), "{text}");
    let j = json(&corsair(args(&["check", &url, "--origin", PAGE, "-X", "patch", "--format", "json"]), None).await);
    assert_eq!(cause_kinds(&j), ["lower_case_method"]);
    assert!(j["error"]["fix"]["summary"].as_str().unwrap().contains("'PATCH'"), "{j}");
    assert_eq!(j["error"]["fix"]["headers"], serde_json::json!([]));

    // Against a server without CORS, the method is not why it fails first: the server fix stays,
    // and the method comes after it.
    let bare = TestServer::start(loopback(1), silent()).await;
    let url = format!("{}/items", bare.origin("http"));
    let text = stdout(&corsair(args(&["check", &url, "--origin", PAGE, "-X", "patch"]), None).await);
    let (before, after) = text.split_once("Also (from the answers").unwrap_or_else(|| panic!("{text}"));
    assert!(
        before.contains("Access-Control-Allow-Origin: http://localhost:5173") && !before.contains("'PATCH'"),
        "{text}"
    );
    assert!(after.contains("method: 'PATCH'"), "{text}");
}

/// Starts `program` and waits until `port` on 127.0.0.1 accepts connections.
fn start_and_wait(mut command: Command, port: u16) -> Option<std::process::Child> {
    let mut child = command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().ok()?;
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(child);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    None
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The same causes from the real servers, where they are installed (`pip install starlette
/// uvicorn`, `apt-get install nginx`); otherwise a SKIPPED line says which is missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_starlette_and_nginx() {
    let dir = std::env::temp_dir().join(format!("corsair-real-servers-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("html/api")).unwrap();
    std::fs::write(dir.join("html/api/items"), "{}\n").unwrap();
    std::fs::write(
        dir.join("app.py"),
        "from starlette.applications import Starlette\nfrom starlette.middleware import Middleware\nfrom starlette.middleware.cors import CORSMiddleware\nfrom starlette.responses import JSONResponse\nfrom starlette.routing import Route\n\nasync def items(request):\n    return JSONResponse([])\n\napp = Starlette(routes=[Route('/items', items, methods=['GET', 'PUT'])], middleware=[Middleware(CORSMiddleware, allow_origins=['http://localhost:5173'])])\n",
    )
    .unwrap();
    let mut ran = Vec::new();

    let port = free_port();
    let mut uvicorn = Command::new("python3");
    uvicorn.args(["-m", "uvicorn", "app:app", "--app-dir"]).arg(&dir).args([
        "--host",
        "127.0.0.1",
        "--port",
        &port.to_string(),
    ]);
    if let Some(mut server) = start_and_wait(uvicorn, port) {
        let url = format!("http://127.0.0.1:{port}/items");
        let o = corsair(args(&["check", &url, "--origin", PAGE, "-X", "PUT", "--format", "json"]), None).await;
        let _ = server.kill();
        let _ = server.wait();
        assert_eq!(cause_kinds(&json(&o)), ["preflight_refused_by_cors_layer"], "{}", stdout(&o));
        ran.push("starlette");
    } else {
        missing("Starlette (python3 -m pip install starlette uvicorn)");
    }

    let (port, redirect_port) = (free_port(), free_port());
    let root = dir.join("html");
    let conf = format!(
        "daemon off;\nworker_processes 1;\nerror_log {d}/error.log;\npid {d}/nginx.pid;\nevents {{ worker_connections 64; }}\nhttp {{\n  access_log off;\n  client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp; fastcgi_temp_path {d}/tmp; uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;\n  server {{\n    listen 127.0.0.1:{port};\n    root {root};\n    add_header Access-Control-Allow-Origin http://localhost:5173;\n    add_header Vary Origin;\n    location / {{\n      if ($request_method = OPTIONS) {{ add_header Access-Control-Allow-Methods \"GET, PUT\"; return 204; }}\n    }}\n    location /api/ {{\n      if ($request_method = OPTIONS) {{ add_header Access-Control-Allow-Origin http://localhost:5173; add_header Access-Control-Allow-Headers x-trace; return 204; }}\n      add_header Cache-Control no-store;\n    }}\n  }}\n  server {{ listen 127.0.0.1:{redirect_port}; return 301 http://127.0.0.1:{port}$request_uri; }}\n}}\n",
        d = dir.display(),
        root = root.display(),
    );
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    std::fs::create_dir_all(dir.join("tmp")).unwrap();
    let nginx_bin = ["/usr/sbin/nginx", "nginx"].into_iter().find(|b| Command::new(b).arg("-v").output().is_ok());
    let nginx = nginx_bin.and_then(|bin| {
        let mut c = Command::new(bin);
        c.arg("-p").arg(&dir).arg("-c").arg(dir.join("nginx.conf"));
        start_and_wait(c, port)
    });
    if let Some(mut server) = nginx {
        let base = format!("http://127.0.0.1:{port}");
        let cases: [(String, &[&str], &str); 3] = [
            (format!("{base}/items"), &["-X", "PUT"], "nginx_add_header_not_inherited"),
            (format!("{base}/api/items"), &["-H", "X-Trace: 1"], "nginx_add_header_not_inherited"),
            (format!("http://127.0.0.1:{redirect_port}/api/items"), &[], "redirect_without_cors"),
        ];
        let mut seen = Vec::new();
        for (url, extra, _) in &cases {
            let o =
                corsair(args(&[&["check", url, "--origin", PAGE, "--format", "json"][..], extra].concat()), None).await;
            seen.push(cause_kinds(&json(&o)));
        }
        let _ = server.kill();
        let _ = server.wait();
        for ((url, _, kind), seen) in cases.iter().zip(seen) {
            assert_eq!(seen, [*kind], "{url}");
        }
        ran.push("nginx");
    } else {
        missing("nginx (apt-get install nginx)");
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("real servers checked: {ran:?}");
}

/// A real server this test wants is not installed: on CI (`CI=true`, where `.ci/run` installs
/// it) that is a failure; elsewhere a loud SKIPPED line.
fn missing(what: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what} is not installed, and CI=true: .ci/run installs it");
    }
    eprintln!("SKIPPED: {what}");
}
