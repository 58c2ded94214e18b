//! The two sides of the core must agree: a server answering with `Policy::decide` lets the
//! browser model through exactly when the policy allowed every request of the exchange.
//!
//! Policies and requests are drawn from small pools of tricky values (patterns, lower-case
//! `patch`, `*` with and without credentials, Authorization, JSON bodies), so every rule that
//! could make the two sides drift is exercised.

use corsair_core::browser::{Credentials, Fetch, Intent, Response, Step};
use corsair_core::{Action, Origin, Policy, RefusalStyle};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use proptest::prelude::*;

const API: &str = "http://127.0.0.1:8080/api/items";

const ORIGINS: [&str; 6] = [
    "https://app.example.com",
    "https://*.example.com",
    "http://localhost:*",
    "*",
    "http://127.0.0.1:3000",
    "https://other.example.net",
];
const PAGES: [&str; 7] = [
    "https://app.example.com",
    "https://a.b.example.com",
    "https://example.com",
    "http://localhost:5173",
    "https://evil.example",
    "http://127.0.0.1:3000",
    "https://other.example.net",
];
const METHODS: [&str; 5] = ["PUT", "DELETE", "PATCH", "patch", "*"];
const REQUEST_METHODS: [&str; 7] = ["GET", "POST", "PUT", "DELETE", "patch", "PATCH", "HEAD"];
const HEADERS: [&str; 4] = ["content-type", "x-custom", "authorization", "*"];
const REQUEST_HEADERS: [(&str, &str); 6] = [
    ("Content-Type", "application/json"),
    ("Content-Type", "text/plain"),
    ("X-Custom", "1"),
    ("Authorization", "Bearer t"),
    ("Accept-Language", "en"),
    ("X-Other", "2"),
];

fn subset<T: Copy + std::fmt::Debug + 'static>(pool: &'static [T]) -> impl Strategy<Value = Vec<T>> {
    proptest::sample::subsequence(pool, 0..=pool.len())
}

#[derive(Debug, Clone)]
struct Case {
    origins: Vec<&'static str>,
    methods: Vec<&'static str>,
    headers: Vec<&'static str>,
    credentials: bool,
    refusal: u8,
    page: &'static str,
    method: &'static str,
    request_headers: Vec<(&'static str, &'static str)>,
    mode: Credentials,
}

fn cases() -> impl Strategy<Value = Case> {
    (
        subset(&ORIGINS).prop_filter("at least one origin", |o| !o.is_empty()),
        subset(&METHODS),
        subset(&HEADERS),
        any::<bool>(),
        0u8..3,
        proptest::sample::select(&PAGES[..]),
        proptest::sample::select(&REQUEST_METHODS[..]),
        subset(&REQUEST_HEADERS),
        prop_oneof![Just(Credentials::Omit), Just(Credentials::SameOrigin), Just(Credentials::Include)],
    )
        .prop_map(|(origins, methods, headers, credentials, refusal, page, method, request_headers, mode)| Case {
            origins,
            methods,
            headers,
            credentials,
            refusal,
            page,
            method,
            request_headers,
            mode,
        })
}

fn build(case: &Case) -> Option<Policy> {
    let refusal = match case.refusal {
        0 => RefusalStyle::OmitHeaders,
        1 => RefusalStyle::RejectPreflight(StatusCode::FORBIDDEN),
        _ => RefusalStyle::RejectAll(StatusCode::FORBIDDEN),
    };
    Policy::builder()
        .allow_origins(case.origins.iter().copied())
        .allow_methods(case.methods.iter().copied())
        .allow_headers(case.headers.iter().copied())
        .allow_credentials(case.credentials)
        .refusal(refusal)
        .build()
        .ok()
}

/// A server in memory: answers each request the model sends with what the policy decides.
/// Returns the verdict and whether every decision allowed its request.
fn exchange(policy: &Policy, intent: Intent) -> (corsair_core::browser::Verdict, bool, usize) {
    let mut fetch = Fetch::new(intent);
    let mut all_allowed = true;
    let mut rounds = 0;
    loop {
        match fetch.next() {
            Step::Done(v) => return (v, all_allowed, rounds),
            Step::Send(req) => {
                rounds += 1;
                assert!(rounds < 10, "the model keeps sending requests");
                let method = Method::from_bytes(req.method.as_bytes()).expect("the model sends token methods");
                let mut headers = HeaderMap::new();
                for (n, v) in &req.headers {
                    headers.append(
                        HeaderName::from_bytes(n.as_bytes()).expect("valid name"),
                        HeaderValue::from_str(v).expect("valid value"),
                    );
                }
                let decision = policy.decide((&method, &headers));
                all_allowed &= decision.is_allowed();
                let status = match decision.action() {
                    Action::Respond(s) => s.as_u16(),
                    Action::Forward => 200,
                };
                let mut out = HeaderMap::new();
                decision.apply_to(&mut out);
                let mut response = Response::new(status);
                for (n, v) in &out {
                    response = response.header(n.as_str(), v.as_bytes());
                }
                fetch.receive(response);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn the_browser_accepts_exactly_what_the_policy_allows(case in cases()) {
        let Some(policy) = build(&case) else { return Ok(()) };
        let mut intent = Intent::new(API.parse().unwrap(), Origin::parse(case.page).unwrap())
            .method(case.method)
            .credentials(case.mode);
        for (n, v) in &case.request_headers {
            intent = intent.header(n, v);
        }
        let (verdict, all_allowed, _) = exchange(&policy, intent);
        // A server cannot see a request's credentials mode (preflights never carry credentials),
        // so a policy without credentials "allows" each exchange it sees; it still does not allow
        // credentialed requests, and the browser must block them.
        let policy_allows = all_allowed && (case.mode != Credentials::Include || policy.allows_credentials());
        prop_assert_eq!(
            verdict.is_allowed(),
            policy_allows,
            "policy {:?}\nverdict {:?}",
            policy,
            verdict
        );
    }
}

/// The same agreement, spelled out for the cases people hit most.
#[test]
fn a_credentialed_json_put_from_a_listed_origin_passes() {
    let policy = Policy::builder()
        .allow_origin("https://app.example.com")
        .allow_methods(["PUT"])
        .allow_headers(["content-type"])
        .allow_credentials(true)
        .build()
        .unwrap();
    let intent = Intent::new(API.parse().unwrap(), Origin::parse("https://app.example.com").unwrap())
        .method("PUT")
        .header("Content-Type", "application/json")
        .credentials(Credentials::Include);
    let (verdict, allowed, rounds) = exchange(&policy, intent);
    assert!(allowed && verdict.is_allowed(), "{verdict:?}");
    assert_eq!(rounds, 2, "a preflight and the actual request");
}

#[test]
fn lower_case_patch_is_refused_by_a_policy_listing_patch_upper_case() {
    let policy = Policy::builder().allow_origin("https://app.example.com").allow_methods(["PATCH"]).build().unwrap();
    let intent = Intent::new(API.parse().unwrap(), Origin::parse("https://app.example.com").unwrap()).method("patch");
    let (verdict, allowed, _) = exchange(&policy, intent);
    assert!(!allowed && !verdict.is_allowed());
}

#[test]
fn a_subdomain_pattern_answers_with_the_exact_origin_that_passes_credentials() {
    let policy = Policy::builder().allow_origin("https://*.example.com").allow_credentials(true).build().unwrap();
    let intent = Intent::new(API.parse().unwrap(), Origin::parse("https://a.b.example.com").unwrap())
        .credentials(Credentials::Include);
    let (verdict, allowed, rounds) = exchange(&policy, intent);
    assert!(allowed && verdict.is_allowed(), "{verdict:?}");
    assert_eq!(rounds, 1, "a simple GET needs no preflight");
}

#[test]
fn credentialed_requests_fail_against_a_policy_without_credentials() {
    for origin in ["*", "https://app.example.com"] {
        let policy = Policy::builder().allow_origin(origin).build().unwrap();
        let intent = Intent::new(API.parse().unwrap(), Origin::parse("https://app.example.com").unwrap())
            .credentials(Credentials::Include);
        let (verdict, allowed, _) = exchange(&policy, intent);
        assert!(allowed, "the server cannot tell");
        assert!(!verdict.is_allowed(), "but the browser blocks: {verdict:?}");
    }
}

#[test]
fn authorization_under_a_star_policy_is_refused_unless_listed() {
    let star = Policy::builder().allow_origin("*").allow_headers(["*"]).build().unwrap();
    let listed = Policy::builder().allow_origin("*").allow_headers(["*", "authorization"]).build().unwrap();
    let intent = || {
        Intent::new(API.parse().unwrap(), Origin::parse("https://app.example.com").unwrap())
            .header("Authorization", "Bearer t")
    };
    let (v1, a1, _) = exchange(&star, intent());
    let (v2, a2, _) = exchange(&listed, intent());
    assert!(!a1 && !v1.is_allowed());
    assert!(a2 && v2.is_allowed(), "{v2:?}");
}
