//! The layer's answers, judged by the core's browser model (`corsair_core::browser::Fetch`).
//!
//! 1. In memory, for a grid of policies and page requests: a browser talking to the layer (around
//!    an app that sets its own permissive CORS headers) reaches exactly the verdict it reaches
//!    talking to the bare decision (`Policy::decide` + `Decision::apply_to`), and allows exactly
//!    what the policy allows.
//! 2. Over a loopback socket, with corsair-probe, against `examples/axum.rs`: allowed and refused
//!    requests, error statuses, readable headers, and the console messages Chromium would print.

mod common;

#[path = "../examples/axum.rs"]
#[allow(dead_code)]
mod example;

use std::convert::Infallible;
use std::future::{ready, Future, Ready};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use corsair_core::browser::{Credentials, Fetch, Intent, Response, Step, Verdict};
use corsair_core::{Action, Origin, RefusalStyle};
use corsair_probe::{Probe, ProbeOptions};
use corsair_tower::{CorsLayer, Policy};
use http::{HeaderMap, HeaderValue, Request, StatusCode};
use tower::{Layer, Service};

const API: &str = "http://127.0.0.1:8080/api/items";

/// The app behind the layer: answers 200 with a body type, an `etag`, and CORS headers of its
/// own that would allow everything (a common mistake the layer must override).
fn app_headers() -> HeaderMap {
    let mut h = HeaderMap::new();
    for (n, v) in [
        ("content-type", "application/json"),
        ("etag", "\"v1\""),
        ("access-control-allow-origin", "*"),
        ("access-control-allow-credentials", "true"),
        ("access-control-allow-headers", "*"),
        ("access-control-allow-methods", "*"),
        ("access-control-expose-headers", "*"),
    ] {
        h.append(n, HeaderValue::from_static(v));
    }
    h
}

fn app(_: Request<()>) -> Ready<Result<http::Response<String>, Infallible>> {
    let mut response = http::Response::new("{}".to_owned());
    *response.headers_mut() = app_headers();
    ready(Ok(response))
}

/// Runs a fetch against `server` (one request in, one response out) to its verdict.
/// The verdict without the failing response it keeps: the layer's answer carries its debug
/// header (`corsair-refusal`), which the bare decision does not write and the browser ignores.
fn verdict_only(v: &Verdict) -> Verdict {
    match v.clone() {
        Verdict::Blocked(mut b) => {
            b.response = None;
            Verdict::Blocked(b)
        }
        allowed => allowed,
    }
}

fn exchange(intent: Intent, mut server: impl FnMut(Request<()>) -> Response) -> Verdict {
    let mut fetch = Fetch::new(intent);
    for _ in 0..10 {
        match fetch.next() {
            Step::Done(v) => return v,
            Step::Send(req) => fetch.receive(server(req.to_http().expect("the model makes valid requests"))),
        }
    }
    panic!("the model keeps sending requests");
}

/// The layer as the server (polled in place: the app answers at once).
fn through_layer(policy: &Policy) -> impl FnMut(Request<()>) -> Response {
    let mut service = CorsLayer::new(policy.clone()).debug(true).layer(tower::service_fn(app));
    move |request| {
        let mut future = pin!(service.call(request));
        match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(Ok(r)) => Response::from(&r),
            Poll::Ready(Err(never)) => match never {},
            Poll::Pending => panic!("the app answers at once"),
        }
    }
}

/// The bare decision as the server; also records whether every request was allowed.
fn through_decision<'a>(policy: &'a Policy, all_allowed: &'a mut bool) -> impl FnMut(Request<()>) -> Response + 'a {
    move |request| {
        let d = policy.decide(&request);
        *all_allowed &= d.is_allowed();
        let (status, mut headers) = match d.action() {
            Action::Respond(s) => (s, HeaderMap::new()),
            Action::Forward => (StatusCode::OK, app_headers()),
        };
        d.apply_to(&mut headers);
        Response::from_http(status, &headers)
    }
}

fn policies() -> Vec<Policy> {
    let b = Policy::builder;
    vec![
        b().allow_origin("https://app.example.com").build().unwrap(),
        b().allow_origin("*").allow_methods(["*"]).allow_headers(["*"]).expose_headers(["*"]).build().unwrap(),
        b().allow_origins(["https://app.example.com", "https://*.example.net"])
            .allow_methods(["PUT", "DELETE"])
            .allow_headers(["content-type", "x-custom"])
            .expose_headers(["etag"])
            .allow_credentials(true)
            .max_age(600)
            .build()
            .unwrap(),
        b().allow_origin("https://app.example.com")
            .allow_methods(["*"])
            .allow_headers(["*"])
            .allow_credentials(true)
            .refusal(RefusalStyle::OmitHeaders)
            .build()
            .unwrap(),
        b().allow_origin("http://localhost:*")
            .allow_methods(["PATCH"])
            .allow_headers(["authorization", "content-type"])
            .refusal(RefusalStyle::RejectAll(StatusCode::FORBIDDEN))
            .preflight_status(200)
            .build()
            .unwrap(),
    ]
}

const PAGES: [&str; 5] =
    ["https://app.example.com", "https://a.b.example.net", "http://localhost:5173", "https://evil.example", "null"];
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "DELETE", "PATCH"];
const HEADERS: [&[(&str, &str)]; 4] = [
    &[],
    &[("Content-Type", "application/json")],
    &[("X-Custom", "1"), ("Content-Type", "text/plain")],
    &[("Authorization", "Bearer t")],
];

#[test]
fn the_layer_leads_the_browser_to_the_bare_decisions_verdict_whatever_the_app_sets() {
    let (mut allowed, mut blocked) = (0, 0);
    for policy in &policies() {
        for page in PAGES {
            for method in METHODS {
                for headers in HEADERS {
                    for mode in [Credentials::Omit, Credentials::Include] {
                        let intent = || {
                            let origin = if page == "null" { Origin::null() } else { Origin::parse(page).unwrap() };
                            let mut i = Intent::new(API.parse().unwrap(), origin).method(method).credentials(mode);
                            for (n, v) in headers {
                                i = i.header(n, v);
                            }
                            i
                        };
                        let by_layer = exchange(intent(), through_layer(policy));
                        let mut all_allowed = true;
                        let by_decision = exchange(intent(), through_decision(policy, &mut all_allowed));
                        let case = format!("{policy:?}\n{page} {method} {headers:?} {mode:?}");
                        assert_eq!(verdict_only(&by_layer), verdict_only(&by_decision), "{case}");
                        let policy_allows =
                            all_allowed && (mode != Credentials::Include || policy.allows_credentials());
                        assert_eq!(by_layer.is_allowed(), policy_allows, "{case}\n{by_layer:?}");
                        if by_layer.is_allowed() {
                            allowed += 1;
                        } else {
                            blocked += 1;
                        }
                    }
                }
            }
        }
    }
    println!("{allowed} allowed, {blocked} blocked");
    assert!(allowed > 100 && blocked > 100, "the grid must exercise both outcomes ({allowed}, {blocked})");
}

#[test]
fn the_apps_own_wildcards_never_leak_through() {
    // The app says `*` for everything; the policy allows one origin and nothing more.
    let policy = Policy::builder().allow_origin("https://app.example.com").build().unwrap();
    let intent = Intent::new(API.parse().unwrap(), Origin::parse("https://evil.example").unwrap());
    let verdict = exchange(intent, through_layer(&policy));
    assert_eq!(
        verdict.console_message().as_deref(),
        Some("Access to fetch at 'http://127.0.0.1:8080/api/items' from origin 'https://evil.example' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.")
    );
    let intent = Intent::new(API.parse().unwrap(), Origin::parse("https://app.example.com").unwrap())
        .credentials(Credentials::Include);
    let verdict = exchange(intent, through_layer(&policy));
    assert!(!verdict.is_allowed(), "the app's Allow-Credentials must not survive: {verdict:?}");
}

// --- over a socket, against examples/axum.rs ---------------------------------------------------

const PAGE: &str = "http://127.0.0.1:5173";

async fn example_server() -> common::Server {
    let policy = example::policy(PAGE).expect("the example's policy builds");
    common::serve(example::app(CorsLayer::new(policy).debug(true))).await
}

fn intent(server: &common::Server, path: &str, page: &str) -> Intent {
    Intent::new(server.url(path).parse().unwrap(), Origin::parse(page).unwrap())
}

#[tokio::test]
async fn the_example_allows_its_page_and_blocks_others_as_chromium_would() {
    let server = example_server().await;
    let probe = Probe::new(ProbeOptions::default()).unwrap();
    let run = |intent: Intent| {
        let probe = &probe;
        async move { probe.run(intent).await }
    };

    let list = run(intent(&server, "/api/items", PAGE)).await;
    let Verdict::Allowed(ok) = &list.verdict else { panic!("{:?}", list.verdict) };
    assert_eq!(ok.status, 200);
    assert!(ok.readable_headers.contains(&"x-total-count".to_owned()), "{:?}", ok.readable_headers);
    assert_eq!(list.exchanges.len(), 1, "a simple GET needs no preflight");

    let save =
        run(intent(&server, "/api/items/7", PAGE).method("PUT").header("Content-Type", "application/json")).await;
    assert!(save.verdict.is_allowed(), "{:?}", save.verdict);
    assert_eq!(save.exchanges.len(), 2, "a preflight, then the PUT");

    for (path, status) in [("/api/items/9", 404), ("/api/fail", 500)] {
        let t = run(intent(&server, path, PAGE)).await;
        let Verdict::Allowed(ok) = &t.verdict else { panic!("{path}: {:?}", t.verdict) };
        assert_eq!(ok.status, status, "{path}: the page sees the real error");
    }

    let evil = "http://127.0.0.3:5173";
    let url = server.url("/api/items");
    let cases = [
        (
            intent(&server, "/api/items", evil),
            format!("Access to fetch at '{url}' from origin '{evil}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource."),
        ),
        (
            intent(&server, "/api/items", evil).method("DELETE"),
            format!("Access to fetch at '{url}' from origin '{evil}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource."),
        ),
        (
            intent(&server, "/api/items", PAGE).header("X-Evil", "1"),
            format!("Access to fetch at '{url}' from origin '{PAGE}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource."),
        ),
        (
            intent(&server, "/api/items", PAGE).credentials(Credentials::Include),
            format!("Access to fetch at '{url}' from origin '{PAGE}' has been blocked by CORS policy: The value of the 'Access-Control-Allow-Credentials' header in the response is '' which must be 'true' when the request's credentials mode is 'include'."),
        ),
    ];
    for (intent, message) in cases {
        let t = run(intent).await;
        assert_eq!(t.verdict.console_message(), Some(message));
    }
}
