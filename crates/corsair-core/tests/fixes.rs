//! Advice must work when followed: for every way a server gets CORS wrong, against every kind of
//! request a page makes, the browser model blocks the request, the fix it prints is applied to
//! the server (its headers set on every answer, the duplicates it names removed, a preflight
//! answered with 204 when it says so), and the same request then passes, at once: a fix never
//! leads straight to the next error. Where no header can help (a redirect that tainted the
//! origin), the fix says so and proposes none that would admit `null`.

use corsair_core::browser::{Credentials, Fetch, Intent, Response, SendKind, Step, Verdict};
use corsair_core::cors_error::Fix;
use corsair_core::Origin;

const PAGE: &str = "http://localhost:5173";
const API: &str = "http://api.test:8080/items";

/// A server as the test scripts it: what it answers to preflights and to the request itself.
#[derive(Clone, Debug)]
struct Server {
    preflight_status: u16,
    preflight: Vec<(String, String)>,
    actual_status: u16,
    actual: Vec<(String, String)>,
}

impl Server {
    fn new(preflight_status: u16, preflight: &[(&str, &str)], actual: &[(&str, &str)]) -> Server {
        let own = |l: &[(&str, &str)]| l.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        Server { preflight_status, preflight: own(preflight), actual_status: 200, actual: own(actual) }
    }

    fn answer(&self, kind: SendKind) -> Response {
        let (status, lines) = match kind {
            SendKind::Preflight => (self.preflight_status, &self.preflight),
            SendKind::Actual => (self.actual_status, &self.actual),
        };
        lines.iter().fold(Response::new(status), |r, (n, v)| r.header(n, v))
    }

    /// Follows `fix` as a developer would: every header it lists is sent with that value on
    /// every answer (replacing the old line), every header it says to remove is sent once at
    /// most, and a preflight it says to answer with a 2xx status is.
    fn follow(&mut self, fix: &Fix) {
        for lines in [&mut self.preflight, &mut self.actual] {
            for (name, value) in &fix.headers {
                if name.eq_ignore_ascii_case("vary") {
                    if !lines.iter().any(|(n, v)| n.eq_ignore_ascii_case("vary") && v.contains(value.as_str())) {
                        lines.push((name.clone(), value.clone()));
                    }
                    continue;
                }
                lines.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
                lines.push((name.clone(), value.clone()));
            }
            // "NAME (the duplicate)": send it once; "NAME (...)": not at all.
            for removed in &fix.remove {
                let name = removed.split(' ').next().unwrap_or_default();
                let once = removed.contains("duplicate");
                let mut seen = false;
                lines.retain(|(n, _)| !n.eq_ignore_ascii_case(name) || once && !std::mem::replace(&mut seen, true));
            }
        }
        if let Some(status) = fix.preflight_status {
            self.preflight_status = status;
        }
    }
}

fn run(intent: &Intent, server: &Server) -> Verdict {
    let mut fetch = Fetch::new(intent.clone());
    for _ in 0..10 {
        match fetch.next() {
            Step::Send(request) => fetch.receive(server.answer(request.kind)),
            Step::Done(verdict) => return verdict,
        }
    }
    panic!("the fetch did not end");
}

/// The requests pages make: simple and not, with and without credentials and custom headers.
fn intents() -> Vec<(String, Intent)> {
    let base = || Intent::new(API.parse().unwrap(), Origin::parse(PAGE).unwrap());
    let mut out = Vec::new();
    for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
        for headers in
            [&[][..], &[("content-type", "application/json")], &[("authorization", "Bearer t"), ("x-request-id", "1")]]
        {
            for credentials in [Credentials::SameOrigin, Credentials::Include] {
                let mut intent = base().method(method).credentials(credentials);
                for (n, v) in headers {
                    intent = intent.header(n, v);
                }
                let name = format!("{method} {headers:?} credentials={credentials:?}");
                out.push((name, intent));
            }
        }
    }
    out
}

/// The ways servers get it wrong, as seen in the wild.
fn broken_servers() -> Vec<(&'static str, Server)> {
    let ok = [("Access-Control-Allow-Origin", PAGE), ("Vary", "Origin")];
    vec![
        ("no CORS headers at all", Server::new(204, &[], &[])),
        ("the preflight is rejected by authentication", Server::new(401, &[], &ok)),
        ("the preflight is not routed", Server::new(404, &ok, &ok)),
        ("a 405 preflight with CORS headers", Server::new(405, &[("Access-Control-Allow-Origin", PAGE)], &ok)),
        (
            "* everywhere",
            Server::new(204, &[("Access-Control-Allow-Origin", "*")], &[("Access-Control-Allow-Origin", "*")]),
        ),
        (
            "another origin",
            Server::new(
                204,
                &[("Access-Control-Allow-Origin", "https://app.example.com")],
                &[("Access-Control-Allow-Origin", "https://app.example.com")],
            ),
        ),
        (
            "a trailing slash",
            Server::new(
                204,
                &[("Access-Control-Allow-Origin", "http://localhost:5173/")],
                &[("Access-Control-Allow-Origin", "http://localhost:5173/")],
            ),
        ),
        (
            "the origin twice (proxy and app both add it)",
            Server::new(
                204,
                &[("Access-Control-Allow-Origin", PAGE), ("Access-Control-Allow-Origin", PAGE)],
                &[("Access-Control-Allow-Origin", PAGE), ("Access-Control-Allow-Origin", PAGE)],
            ),
        ),
        ("the preflight has CORS headers, the response none", Server::new(204, &ok, &[])),
        ("the response has CORS headers, the preflight none", Server::new(204, &[], &ok)),
        ("methods and headers not listed", Server::new(204, &ok, &ok)),
        (
            "* methods and headers",
            Server::new(
                204,
                &[ok[0], ok[1], ("Access-Control-Allow-Methods", "*"), ("Access-Control-Allow-Headers", "*")],
                &ok,
            ),
        ),
        (
            "credentials spelt True",
            Server::new(
                204,
                &[ok[0], ("Access-Control-Allow-Credentials", "True")],
                &[ok[0], ("Access-Control-Allow-Credentials", "True")],
            ),
        ),
        ("a 500 preflight", Server::new(500, &ok, &ok)),
        (
            "methods listed in lower case",
            Server::new(204, &[ok[0], ("Access-Control-Allow-Methods", "get, post, put, patch, delete")], &ok),
        ),
        (
            "a malformed method list",
            Server::new(
                204,
                &[
                    ok[0],
                    ok[1],
                    ("Access-Control-Allow-Credentials", "true"),
                    ("Access-Control-Allow-Methods", "PUT;PATCH"),
                ],
                &[ok[0], ("Access-Control-Allow-Credentials", "true")],
            ),
        ),
        (
            "a malformed header list",
            Server::new(
                204,
                &[
                    ok[0],
                    ok[1],
                    ("Access-Control-Allow-Credentials", "true"),
                    ("Access-Control-Allow-Methods", "PUT, PATCH, DELETE"),
                    ("Access-Control-Allow-Headers", "content-type;x-request-id"),
                ],
                &[ok[0], ("Access-Control-Allow-Credentials", "true")],
            ),
        ),
    ]
}

#[test]
fn every_fix_makes_the_request_pass_when_followed() {
    let mut failures = Vec::new();
    let mut fixed = 0;
    for (server_name, server) in broken_servers() {
        for (intent_name, intent) in intents() {
            let Verdict::Blocked(blocked) = run(&intent, &server) else { continue };
            let Some(fix) = blocked.fix() else {
                failures.push(format!(
                    "{server_name} / {intent_name}: blocked ({}) with no fix",
                    blocked.console_message()
                ));
                continue;
            };
            let mut followed = server.clone();
            followed.follow(&fix);
            match run(&intent, &followed) {
                Verdict::Allowed(_) => fixed += 1,
                Verdict::Blocked(next) => failures.push(format!(
                    "{server_name} / {intent_name}:\n    blocked: {}\n    fix: {fix:?}\n    then: {}",
                    blocked.console_message(),
                    next.console_message()
                )),
            }
        }
    }
    assert!(failures.is_empty(), "{} fixes did not work ({fixed} did):\n{}", failures.len(), failures.join("\n"));
    println!("{fixed} blocked requests, each fixed by following its fix once");
    assert!(fixed > 300, "only {fixed} blocked requests were fixed: the matrix lost its cases");
}

/// A cross-origin redirect taints the request (`Origin: null`): no header naming the page's
/// origin can make it pass, and allowing `null` would admit every sandboxed page. The fix says
/// why and what works instead, and never proposes `null` or the page's origin.
#[test]
fn after_a_cross_origin_redirect_the_fix_says_why_no_origin_header_helps() {
    let intent = Intent::new("http://api.test:8080/old".parse().unwrap(), Origin::parse(PAGE).unwrap())
        .credentials(Credentials::Include);
    let mut fetch = Fetch::new(intent);
    let mut answers = vec![
        Response::new(301)
            .header("Location", "http://other.test:9090/new")
            .header("Access-Control-Allow-Origin", PAGE)
            .header("Access-Control-Allow-Credentials", "true"),
        Response::new(200)
            .header("Access-Control-Allow-Origin", PAGE)
            .header("Access-Control-Allow-Credentials", "true"),
    ]
    .into_iter();
    let verdict = loop {
        match fetch.next() {
            Step::Send(_) => fetch.receive(answers.next().expect("two answers")),
            Step::Done(v) => break v,
        }
    };
    let Verdict::Blocked(blocked) = verdict else { panic!("a tainted credentialed request must fail") };
    let fix = blocked.fix().expect("a fix");
    assert!(fix.headers.iter().all(|(_, v)| v != "null" && v != PAGE), "{fix:?}");
    assert!(fix.summary.contains("http://other.test:9090/new") && fix.summary.contains("null"), "{}", fix.summary);
}

/// A page whose own origin is opaque (opened from disk, a sandboxed iframe) sends `Origin: null`:
/// the fix is to serve the page from a real origin, never `Access-Control-Allow-Origin: null`.
#[test]
fn a_page_with_an_opaque_origin_is_never_told_to_allow_null() {
    let intent = Intent::new(API.parse().unwrap(), Origin::parse("null").unwrap()).method("PUT");
    for server in broken_servers().into_iter().map(|(_, s)| s) {
        let Verdict::Blocked(blocked) = run(&intent, &server) else { continue };
        let Some(fix) = blocked.fix() else { continue };
        assert!(fix.headers.iter().all(|(_, v)| v != "null"), "{fix:?}");
        assert!(fix.summary.contains("real origin") || fix.headers.is_empty(), "{}", fix.summary);
    }
}
