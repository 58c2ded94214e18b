//! The agreement harness: the same requests go to a real server running a generated snippet
//! and to `Policy::decide`, and the CORS headers of both answers must be equal.
//!
//! Requests are raw HTTP/1.1 on 127.0.0.1 (`Connection: close`), so what is compared is exactly
//! what the server wrote.

#![allow(dead_code)]

pub mod browser;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use corsair_core::{Action, Policy};
use http::{HeaderMap, HeaderName, HeaderValue, Method};

/// The policy every stack is tested with: an exact origin, a subdomain pattern, a localhost
/// any-port pattern, credentials, a method and header list, exposed headers and a max-age.
pub fn policy() -> Policy {
    Policy::builder()
        .allow_origins(["https://example.com", "https://*.example.com", "http://localhost:*"])
        .allow_methods(["GET", "PUT", "DELETE"])
        .allow_headers(["content-type", "x-api-key"])
        .expose_headers(["x-request-id"])
        .allow_credentials(true)
        .max_age(600)
        .build()
        .expect("the test policy is valid")
}

/// A second policy: `*` without credentials, any method, any header.
pub fn star_policy() -> Policy {
    Policy::builder()
        .allow_origins(["*"])
        .allow_methods(["*"])
        .allow_headers(["*"])
        .build()
        .expect("the star policy is valid")
}

/// A third policy for the paths the other two leave out: methods and headers `*` with
/// credentials (named back from the request), refused requests answered 403, allowed preflights
/// answered 200.
pub fn echo_policy() -> Policy {
    Policy::builder()
        .allow_origins(["https://example.com", "https://*.example.com", "http://localhost:*"])
        .allow_methods(["*"])
        .allow_headers(["*"])
        .allow_credentials(true)
        .refusal(corsair_core::RefusalStyle::RejectAll(http::StatusCode::FORBIDDEN))
        .preflight_status(200)
        .build()
        .expect("the echo policy is valid")
}

/// One request of the matrix.
#[derive(Clone, Debug)]
pub struct Cell {
    pub name: String,
    pub method: &'static str,
    pub path: &'static str,
    pub headers: Vec<(&'static str, String)>,
    /// Status the application answers when the request reaches it.
    pub app_status: u16,
}

const ALLOWED: &[&str] = &[
    "https://example.com",
    "https://api.example.com",
    "https://a.b.example.com",
    "http://localhost:5173",
    "http://localhost",
];
const REFUSED: &[&str] = &[
    "https://evil-example.com",
    "https://example.com.evil.test",
    "http://example.com",
    "http://api.example.com",
    "https://example.org",
    "http://localhost.evil.test:5173",
    "https://localhost:5173",
    "null",
];

/// The matrix: actual requests from allowed, refused and look-alike origins (to a 200 route and
/// to a route that fails with 500), and preflights across methods and requested headers.
pub fn matrix() -> Vec<Cell> {
    let mut cells = Vec::new();
    let actual = |name: String, method: &'static str, path: &'static str, origin: Option<&str>| Cell {
        name,
        method,
        path,
        headers: origin.map(|o| vec![("Origin", o.to_owned())]).unwrap_or_default(),
        app_status: if path == "/error" { 500 } else { 200 },
    };
    cells.push(actual("actual without Origin".into(), "GET", "/", None));
    for o in ALLOWED.iter().chain(REFUSED) {
        cells.push(actual(format!("GET / from {o}"), "GET", "/", Some(o)));
    }
    for o in ["https://example.com", "https://api.example.com", "https://evil-example.com"] {
        cells.push(actual(format!("GET /error (500) from {o}"), "GET", "/error", Some(o)));
        let mut post = actual(format!("POST / with a cookie from {o}"), "POST", "/", Some(o));
        post.headers.push(("Cookie", "session=1".to_owned()));
        cells.push(post);
    }
    let preflight = |origin: &str, acrm: &str, acrh: Option<&str>, path: &'static str| {
        let mut headers = vec![("Origin", origin.to_owned()), ("Access-Control-Request-Method", acrm.to_owned())];
        if let Some(h) = acrh {
            headers.push(("Access-Control-Request-Headers", h.to_owned()));
        }
        Cell {
            name: format!("preflight {path} {acrm} [{}] from {origin}", acrh.unwrap_or("")),
            method: "OPTIONS",
            path,
            headers,
            app_status: 200,
        }
    };
    for o in ["https://example.com", "https://a.b.example.com", "http://localhost:5173"] {
        cells.push(preflight(o, "PUT", Some("content-type"), "/"));
        cells.push(preflight(o, "DELETE", Some("x-api-key,content-type"), "/"));
        cells.push(preflight(o, "PATCH", None, "/"));
        cells.push(preflight(o, "GET", None, "/"));
        cells.push(preflight(o, "PUT", Some("x-evil"), "/"));
        cells.push(preflight(o, "PUT", Some("authorization"), "/"));
    }
    cells.push(preflight("https://example.com", "PUT", Some("content-type"), "/error"));
    for o in ["https://evil-example.com", "https://example.com.evil.test", "http://api.example.com", "null"] {
        cells.push(preflight(o, "PUT", Some("content-type"), "/"));
    }
    cells
}

/// What a server answered.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
}

impl Answer {
    fn all(&self, name: &str) -> Vec<&str> {
        self.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect()
    }
}

/// Sends `cell` to 127.0.0.1:`port` and reads the whole answer.
pub fn send(port: u16, cell: &Cell) -> Answer {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the server");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let mut req = format!("{} {} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n", cell.method, cell.path);
    for (n, v) in &cell.headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    if cell.method == "POST" || cell.method == "PUT" {
        req.push_str("Content-Length: 0\r\n");
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).expect("write the request");
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let headers =
        lines.filter_map(|l| l.split_once(':')).map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned())).collect();
    Answer { status, headers }
}

/// Comma-separated items of every `name` line, trimmed; lower-cased if `fold`.
fn items(values: &[&str], fold: bool) -> Vec<String> {
    let mut v: Vec<String> = values
        .iter()
        .flat_map(|l| l.split(','))
        .map(|s| if fold { s.trim().to_ascii_lowercase() } else { s.trim().to_owned() })
        .filter(|s| !s.is_empty())
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Where a stack legitimately differs from `Policy::decide`; everything else must be equal.
#[derive(Clone, Copy, Debug, Default)]
pub struct Leeway {
    /// Sends Access-Control-Allow-Headers on allowed preflights that asked for none (Express's
    /// `cors`): harmless, the browser only reads it when it asked.
    pub allow_headers_unasked: bool,
}

/// Compares one answer with the decision; `Err` says how they differ.
pub fn agrees(policy: &Policy, cell: &Cell, answer: &Answer, leeway: Leeway) -> Result<(), String> {
    let mut headers = HeaderMap::new();
    for (n, v) in &cell.headers {
        headers.append(HeaderName::from_static(lower(n)), HeaderValue::from_str(v).expect("header value"));
    }
    let method = Method::from_bytes(cell.method.as_bytes()).expect("method");
    let decision = policy.decide((&method, &headers));
    let mut want = HeaderMap::new();
    decision.apply_to(&mut want);
    let mut problems = Vec::new();
    let expected_status = match decision.action() {
        Action::Respond(s) => s.as_u16(),
        Action::Forward => cell.app_status,
    };
    if answer.status != expected_status {
        problems.push(format!("status {} (decide: {expected_status})", answer.status));
    }
    let single = |name: &str| {
        let got = answer.all(name);
        let want: Vec<&str> = want.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect();
        (got.iter().map(|s| s.to_string()).collect::<Vec<_>>(), want.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    };
    for name in ["access-control-allow-origin", "access-control-allow-credentials", "access-control-max-age"] {
        let (got, want) = single(name);
        if got != want {
            problems.push(format!("{name}: {got:?} (decide: {want:?})"));
        }
    }
    for (name, fold) in [
        ("access-control-allow-methods", false),
        ("access-control-allow-headers", true),
        ("access-control-expose-headers", true),
    ] {
        let (got, want) = single(name);
        let (g, w) = (
            items(&got.iter().map(String::as_str).collect::<Vec<_>>(), fold),
            items(&want.iter().map(String::as_str).collect::<Vec<_>>(), fold),
        );
        let excused = name == "access-control-allow-headers"
            && w.is_empty()
            && leeway.allow_headers_unasked
            && decision.is_allowed();
        if g != w && !excused {
            problems.push(format!("{name}: {got:?} (decide: {want:?})"));
        }
    }
    // Vary: every name decide varies on must be there; more is allowed (the app's own).
    let (got, want) = single("vary");
    let g = items(&got.iter().map(String::as_str).collect::<Vec<_>>(), true);
    for w in items(&want.iter().map(String::as_str).collect::<Vec<_>>(), true) {
        if !g.contains(&w) {
            problems.push(format!("vary lacks {w}: {got:?} (decide: {want:?})"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

fn lower(name: &str) -> &'static str {
    match name {
        "Origin" => "origin",
        "Access-Control-Request-Method" => "access-control-request-method",
        "Access-Control-Request-Headers" => "access-control-request-headers",
        "Cookie" => "cookie",
        other => panic!("unexpected request header {other}"),
    }
}

/// Runs the matrix against the server on `port`, prints one line per cell and a summary row,
/// and panics if any cell disagrees.
pub fn run_matrix(stack: &str, policy: &Policy, port: u16, leeway: Leeway) {
    let cells = matrix();
    let mut failures = Vec::new();
    for cell in &cells {
        let answer = send(port, cell);
        match agrees(policy, cell, &answer, leeway) {
            Ok(()) => eprintln!("  agree     {stack}: {}", cell.name),
            Err(why) => {
                eprintln!("  DISAGREE  {stack}: {}: {why}", cell.name);
                failures.push(format!("{}: {why}", cell.name));
            }
        }
    }
    eprintln!("MATRIX {stack}: {}/{} cells agree with Policy::decide", cells.len() - failures.len(), cells.len());
    assert!(failures.is_empty(), "{stack} disagrees with Policy::decide:\n{}", failures.join("\n"));
}

/// A real server this test wants is not installed: on CI (`CI=true`, where `.ci/run` installs
/// it) that is a failure; elsewhere a loud SKIPPED line.
pub fn missing(what: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what} is not installed, and CI=true: .ci/run installs it");
    }
    eprintln!("SKIPPED: {what}");
}

/// A fresh directory under the system temp dir.
pub fn temp_dir(stack: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("corsair-snippet-{stack}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create a temp dir");
    dir
}

/// A port free on 127.0.0.1 a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// A child process killed when dropped.
pub struct Server(pub Child, pub PathBuf);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Server {
    /// Starts `cmd` (stdout and stderr to files in `dir`) and waits until `port` accepts.
    pub fn start(mut cmd: Command, dir: PathBuf, port: u16) -> Server {
        let out = std::fs::File::create(dir.join("server.log")).expect("log file");
        let err = out.try_clone().expect("log file");
        let child = cmd.stdout(Stdio::from(out)).stderr(Stdio::from(err)).spawn().expect("start the server");
        let mut server = Server(child, dir);
        // Generous: Django starting three servers at once on two busy cores can take 20 s.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            if let Ok(Some(status)) = server.0.try_wait() {
                panic!("the server exited ({status}): {}", server.log());
            }
            assert!(Instant::now() < deadline, "the server did not listen on {port}: {}", server.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.1.join("server.log")).unwrap_or_default()
    }
}
