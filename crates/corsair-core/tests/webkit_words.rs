//! The model's WebKit lines, one case per rule WebKitGTK 2.50 showed in the differential suite
//! (`crates/corsair/tests/differential.rs`, where they are compared with the real browser byte
//! for byte): each case runs the model with the answers the browser got, checks both lines, and
//! reads them back through the parser `corsair explain` uses.

use corsair_core::browser::{Credentials, Fetch, Intent, RedirectMode, Response, Step, Verdict};
use corsair_core::console::{parse, Browser, OtherFailure};
use corsair_core::{CorsError, Origin};

const PAGE: &str = "http://127.0.0.1:5173";
const API: &str = "http://127.0.0.2:8080/a";

/// Runs `intent` against `answers` (in order) and returns WebKit's lines.
fn lines(intent: Intent, answers: Vec<Response>) -> Vec<String> {
    let mut fetch = Fetch::new(intent);
    for answer in answers {
        if let Step::Send(_) = fetch.next() {
            fetch.receive(answer);
        }
    }
    match fetch.next() {
        Step::Done(Verdict::Blocked(b)) => b.webkit_console_lines(),
        other => panic!("not blocked: {other:?}"),
    }
}

fn get() -> Intent {
    Intent::new(API.parse().unwrap(), Origin::parse(PAGE).unwrap())
}

fn cannot_load(url: &str) -> String {
    format!("Fetch API cannot load {url} due to access control checks.")
}

/// Both lines, and what the parser reads back from them.
fn check(got: Vec<String>, cause: &str, url: &str, error: Option<CorsError>) {
    assert_eq!(got, [cause.to_owned(), cannot_load(url)]);
    let m = parse(&got.join("\n")).unwrap_or_else(|e| panic!("{got:?}: {e}"));
    assert_eq!(m.browser, Some(Browser::WebKit), "{got:?}");
    assert_eq!(m.url.as_deref(), Some(url), "{got:?}");
    if error.is_some() {
        assert_eq!(m.error, error, "{got:?}");
    }
}

#[test]
fn a_missing_or_mismatched_allow_origin_names_the_origin_and_the_status() {
    let cause = format!("Origin {PAGE} is not allowed by Access-Control-Allow-Origin. Status code: 404");
    check(lines(get(), vec![Response::new(404)]), &cause, API, Some(CorsError::MissingAllowOriginHeader));
    // An empty value, `null` and another origin are the same mismatch to WebKit.
    for value in ["", "null", "http://127.0.0.3:1"] {
        let answer = Response::new(200).header("Access-Control-Allow-Origin", value);
        let cause = format!("Origin {PAGE} is not allowed by Access-Control-Allow-Origin. Status code: 200");
        check(lines(get(), vec![answer]), &cause, API, None);
    }
}

#[test]
fn any_comma_is_more_than_one_origin() {
    for answer in [
        Response::new(200).header("Access-Control-Allow-Origin", format!("{PAGE}, http://b.test")),
        Response::new(200).header("Access-Control-Allow-Origin", PAGE).header("Access-Control-Allow-Origin", PAGE),
        Response::new(200).header("Access-Control-Allow-Origin", "*").header("Access-Control-Allow-Origin", PAGE),
    ] {
        check(
            lines(get(), vec![answer]),
            "Access-Control-Allow-Origin cannot contain more than one origin.",
            API,
            None,
        );
    }
}

#[test]
fn credentials_need_an_exact_origin_and_a_literal_true() {
    let include = || get().credentials(Credentials::Include);
    let star = Response::new(200)
        .header("Access-Control-Allow-Origin", "*")
        .header("Access-Control-Allow-Credentials", "true");
    check(
        lines(include(), vec![star]),
        "Cannot use wildcard in Access-Control-Allow-Origin when credentials flag is true.",
        API,
        Some(CorsError::WildcardOriginNotAllowed),
    );
    let upper = Response::new(200)
        .header("Access-Control-Allow-Origin", PAGE)
        .header("Access-Control-Allow-Credentials", "TRUE");
    check(
        lines(include(), vec![upper]),
        "Credentials flag is true, but Access-Control-Allow-Credentials is not \"true\".",
        API,
        None,
    );
}

#[test]
fn a_preflight_status_comes_before_its_allow_origin() {
    // Chromium and Firefox report the missing Access-Control-Allow-Origin first.
    let put = get().method("PUT");
    check(
        lines(put, vec![Response::new(403)]),
        "Preflight response is not successful. Status code: 403",
        API,
        Some(CorsError::PreflightInvalidStatus { status: 403 }),
    );
    let redirected = Response::new(301).header("Access-Control-Allow-Origin", "*").header("Location", "/b");
    check(
        lines(get().method("PUT"), vec![redirected]),
        "Preflight response is not successful. Status code: 301",
        API,
        None,
    );
}

#[test]
fn a_refused_header_is_the_first_in_webkits_map_in_its_spelling() {
    let preflight = || Response::new(204).header("Access-Control-Allow-Origin", "*");
    // Names WebKit knows come first, spelt its way; the others as the script wrote them.
    let intent = get().method("POST").header("X-Custom", "1").header("content-type", "application/json");
    check(
        lines(intent, vec![preflight()]),
        "Request header field Content-Type is not allowed by Access-Control-Allow-Headers.",
        API,
        None,
    );
    let intent = get().header("X-Zeta", "1").header("X-Alpha", "2");
    check(
        lines(intent, vec![preflight()]),
        "Request header field X-Zeta is not allowed by Access-Control-Allow-Headers.",
        API,
        None,
    );
    let intent = get().header("X-A", "1").header("X-B", "2");
    let answer = preflight().header("Access-Control-Allow-Headers", "x-a");
    check(
        lines(intent, vec![answer]),
        "Request header field X-B is not allowed by Access-Control-Allow-Headers.",
        API,
        None,
    );
}

#[test]
fn methods_and_invalid_lists() {
    let preflight = || Response::new(204).header("Access-Control-Allow-Origin", "*");
    check(
        lines(get().method("patch"), vec![preflight().header("Access-Control-Allow-Methods", "PATCH")]),
        "Method patch is not allowed by Access-Control-Allow-Methods.",
        API,
        None,
    );
    check(
        lines(get().method("PUT"), vec![preflight().header("Access-Control-Allow-Methods", "PUT, GET;")]),
        "Header Access-Control-Allow-Methods has an invalid value: PUT, GET;",
        API,
        Some(CorsError::InvalidAllowMethodsPreflightResponse),
    );
}

#[test]
fn redirects() {
    let b = "http://127.0.0.2:8080/b";
    let hop = Response::new(302).header("Location", "/b");
    let cause = format!("Cross-origin redirection to {b} denied by Cross-Origin Resource Sharing policy: Origin {PAGE} is not allowed by Access-Control-Allow-Origin. Status code: 302");
    check(lines(get(), vec![hop]), &cause, API, None);
    // After a hop to another origin the request carries `Origin: null`, and WebKit names it.
    let other = "http://127.0.0.3:9090/b";
    let hop = Response::new(302).header("Access-Control-Allow-Origin", "*").header("Location", other);
    let target = Response::new(200).header("Access-Control-Allow-Origin", PAGE);
    let cause = "Origin null is not allowed by Access-Control-Allow-Origin. Status code: 200";
    check(lines(get(), vec![hop, target]), cause, other, None);
    // `redirect: 'error'`.
    let hop = Response::new(302).header("Access-Control-Allow-Origin", "*").header("Location", "/b");
    let got = lines(get().redirect(RedirectMode::Error), vec![hop]);
    assert_eq!(got, [format!("Not allowed to follow a redirection while loading {API}"), cannot_load(API)]);
    let m = parse(&got.join("\n")).unwrap();
    assert_eq!(
        (m.browser, m.other, m.url.as_deref()),
        (Some(Browser::WebKit), Some(OtherFailure::RedirectModeError), Some(API))
    );
}
