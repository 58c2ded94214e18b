//! `Policy::decide` must not allocate: build time precomputes every header value, and deciding
//! only borrows the policy and the request. A counting global allocator checks it.
//!
//! Run with `--nocapture` to see the measured counts.

use std::hint::black_box;

use corsair_core::{Decision, Policy};
use corsair_testkit::alloc_count::{counted, CountingAllocator};
use http::{HeaderMap, HeaderName, HeaderValue, Method};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Runs `f` with counting on; returns how many allocations it made.
fn allocations(f: impl FnOnce()) -> usize {
    counted(f).1
}

fn request(method: &str, lines: &[(&str, &str)]) -> (Method, HeaderMap) {
    let mut headers = HeaderMap::new();
    for (name, value) in lines {
        headers.append(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(value).unwrap());
    }
    (Method::from_bytes(method.as_bytes()).unwrap(), headers)
}

/// Decides (and walks the headers, as a server would) with counting on, reports and asserts zero.
fn assert_decides_without_allocating(
    case: &str,
    policy: &Policy,
    (method, headers): &(Method, HeaderMap),
    allowed: bool,
) {
    let mut is_allowed = None;
    let n = allocations(|| {
        let d: Decision<'_> = policy.decide((method, headers));
        is_allowed = Some(d.is_allowed());
        for (name, value) in d.headers() {
            black_box((name, value));
        }
        black_box(d.vary());
        black_box(d.action());
    });
    eprintln!("allocations: {n:>3}  decide() + headers(): {case}");
    assert_eq!(is_allowed, Some(allowed), "{case}");
    assert_eq!(n, 0, "{case}: decide() allocated {n} times");
}

fn api_policy() -> Policy {
    Policy::builder()
        .allow_origins([
            "https://app.example.com",
            "https://*.staging.example.com",
            "http://localhost:*",
            "http://127.0.0.1:3000",
            "http://[::1]:8080",
        ])
        .allow_methods(["PUT", "DELETE"])
        .allow_headers(["content-type", "x-request-id", "authorization"])
        .expose_headers(["etag", "x-total"])
        .allow_credentials(true)
        .max_age(600)
        .build()
        .unwrap()
}

fn thousand_origins() -> Policy {
    Policy::builder()
        .allow_origins((0..1000).map(|i| format!("https://app{i}.example.com")))
        .allow_origin("https://*.staging.example.com")
        .allow_methods(["PUT"])
        .allow_headers(["content-type"])
        .build()
        .unwrap()
}

#[test]
fn allowed_actual_request_from_an_exact_origin() {
    let r = request("GET", &[("origin", "https://app.example.com"), ("accept", "*/*")]);
    assert_decides_without_allocating("actual, exact origin", &api_policy(), &r, true);
}

#[test]
fn allowed_actual_request_matched_by_a_subdomain_pattern() {
    let r = request("POST", &[("origin", "https://pr-7.staging.example.com")]);
    assert_decides_without_allocating("actual, subdomain pattern", &api_policy(), &r, true);
}

#[test]
fn allowed_actual_request_from_ip_literal_origins() {
    let p = api_policy();
    let v4 = request("GET", &[("origin", "http://127.0.0.1:3000")]);
    assert_decides_without_allocating("actual, IPv4 origin", &p, &v4, true);
    let v6 = request("GET", &[("origin", "http://[::1]:8080")]);
    assert_decides_without_allocating("actual, IPv6 origin", &p, &v6, true);
}

#[test]
fn allowed_preflight_with_request_headers() {
    let r = request(
        "OPTIONS",
        &[
            ("origin", "https://app.example.com"),
            ("access-control-request-method", "PUT"),
            ("access-control-request-headers", "authorization,content-type,x-request-id"),
        ],
    );
    assert_decides_without_allocating("preflight with ACRH", &api_policy(), &r, true);
}

#[test]
fn allowed_preflight_with_split_request_header_lines() {
    let r = request(
        "OPTIONS",
        &[
            ("origin", "http://localhost:5173"),
            ("access-control-request-method", "DELETE"),
            ("access-control-request-headers", "content-type"),
            ("access-control-request-headers", " X-Request-Id ,"),
        ],
    );
    assert_decides_without_allocating("preflight with split ACRH lines", &api_policy(), &r, true);
}

#[test]
fn allowed_preflight_against_a_thousand_origins() {
    let r = request(
        "OPTIONS",
        &[
            ("origin", "https://app999.example.com"),
            ("access-control-request-method", "PUT"),
            ("access-control-request-headers", "content-type"),
        ],
    );
    assert_decides_without_allocating("preflight, 1000-origin policy", &thousand_origins(), &r, true);
}

#[test]
fn allowed_preflight_echoing_a_credentialed_star() {
    let p = Policy::builder()
        .allow_origin("https://app.example.com")
        .allow_methods(["*"])
        .allow_headers(["*"])
        .allow_credentials(true)
        .allow_private_network(true)
        .build()
        .unwrap();
    let r = request(
        "OPTIONS",
        &[
            ("origin", "https://app.example.com"),
            ("access-control-request-method", "PROPFIND"),
            ("access-control-request-headers", "x-a,x-b"),
            ("access-control-request-private-network", "true"),
        ],
    );
    assert_decides_without_allocating("preflight, credentialed `*` echo + PNA", &p, &r, true);
}

#[test]
fn refused_preflights() {
    let p = api_policy();
    let origin = request("OPTIONS", &[("origin", "https://evil.example"), ("access-control-request-method", "PUT")]);
    assert_decides_without_allocating("refused preflight (origin)", &p, &origin, false);
    let method =
        request("OPTIONS", &[("origin", "https://app.example.com"), ("access-control-request-method", "PATCH")]);
    assert_decides_without_allocating("refused preflight (method)", &p, &method, false);
    let header = request(
        "OPTIONS",
        &[
            ("origin", "https://app.example.com"),
            ("access-control-request-method", "PUT"),
            ("access-control-request-headers", "x-evil"),
        ],
    );
    assert_decides_without_allocating("refused preflight (header)", &p, &header, false);
    let commas = ",".repeat(1024);
    let hostile = request(
        "OPTIONS",
        &[
            ("origin", "https://app.example.com"),
            ("access-control-request-method", "PUT"),
            ("access-control-request-headers", &commas),
        ],
    );
    assert_decides_without_allocating("refused preflight (1024 commas)", &p, &hostile, false);
}

#[test]
fn refused_and_non_cors_requests() {
    let p = api_policy();
    assert_decides_without_allocating("refused actual (malformed)", &p, &request("GET", &[("origin", "NULL")]), false);
    assert_decides_without_allocating("not CORS", &p, &request("GET", &[("host", "api.example.com")]), true);
}

#[test]
fn applying_a_decision_to_a_response_after_warm_up() {
    let p = api_policy();
    let (method, headers) = request(
        "OPTIONS",
        &[
            ("origin", "https://app.example.com"),
            ("access-control-request-method", "PUT"),
            ("access-control-request-headers", "content-type"),
        ],
    );
    let d = p.decide((&method, &headers));
    // The first clone of a precomputed value may make it shareable; after that, cloning is a
    // reference count and the response map has room.
    d.apply_to(&mut HeaderMap::with_capacity(16));
    let mut response = HeaderMap::with_capacity(16);
    let n = allocations(|| d.apply_to(&mut response));
    eprintln!("allocations: {n:>3}  apply_to() after warm-up");
    assert_eq!(response.len(), 6);
    assert_eq!(n, 0, "apply_to allocated {n} times");
}

#[test]
fn the_counter_sees_allocations() {
    // Guards the guard: a counter that never counts would pass every test above.
    let n = allocations(|| {
        black_box(String::from("an allocation"));
    });
    assert_eq!(n, 1);
}

#[test]
fn owned_headers_of_allowed_decisions_allocate_nothing() {
    // Request values as hyper makes them: slices of a shared buffer, so cloning one only counts
    // a reference. (A value from `from_str` is uniquely owned until its first clone.)
    let shared = |r: (Method, HeaderMap)| {
        for v in r.1.values() {
            drop(v.clone());
        }
        r
    };
    let p = api_policy();
    let cases = [
        ("actual, exact origin", shared(request("GET", &[("origin", "https://app.example.com")]))),
        ("actual, subdomain pattern", shared(request("POST", &[("origin", "https://pr-7.staging.example.com")]))),
        (
            "preflight",
            shared(request(
                "OPTIONS",
                &[
                    ("origin", "https://app.example.com"),
                    ("access-control-request-method", "PUT"),
                    ("access-control-request-headers", "content-type"),
                ],
            )),
        ),
    ];
    for (case, (method, headers)) in &cases {
        let d = p.decide((method, headers));
        // The first clone of a precomputed policy value makes it shareable (once per value).
        drop(d.to_headers());
        let mut response = HeaderMap::with_capacity(16);
        let n = allocations(|| {
            let owned = d.to_headers();
            owned.apply_to(&mut response);
        });
        eprintln!("allocations: {n:>3}  to_headers() + apply: {case}");
        assert!(response.contains_key("access-control-allow-origin"), "{case}");
        assert_eq!(n, 0, "{case}");
    }
}
