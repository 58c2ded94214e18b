//! The owned copy must do exactly what the core's `Decision::apply_to` does, for every kind of
//! decision and every kind of inner response.

use super::*;
use corsair_core::{Policy, RefusalStyle};
use http::{Method, StatusCode};

fn policies() -> Vec<Policy> {
    let b = || Policy::builder();
    vec![
        b().allow_origin("https://app.example.com").build().unwrap(),
        b().allow_origin("*").allow_methods(["*"]).allow_headers(["*"]).expose_headers(["*"]).build().unwrap(),
        b().allow_origins(["https://app.example.com", "https://*.example.net", "http://localhost:*"])
            .allow_methods(["PUT", "DELETE"])
            .allow_headers(["content-type", "x-request-id"])
            .expose_headers(["etag", "x-total"])
            .allow_credentials(true)
            .max_age(600)
            .allow_private_network(true)
            .build()
            .unwrap(),
        b().allow_origin("https://app.example.com")
            .allow_methods(["*"])
            .allow_headers(["*"])
            .allow_credentials(true)
            .forward_preflights(true)
            .refusal(RefusalStyle::OmitHeaders)
            .build()
            .unwrap(),
        b().allow_origin("https://app.example.com")
            .refusal(RefusalStyle::RejectAll(StatusCode::UNAUTHORIZED))
            .build()
            .unwrap(),
    ]
}

fn requests() -> Vec<(Method, HeaderMap)> {
    let r = |method: &str, lines: &[(&str, &str)]| {
        let mut h = HeaderMap::new();
        for (n, v) in lines {
            h.append(HeaderName::from_bytes(n.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        (Method::from_bytes(method.as_bytes()).unwrap(), h)
    };
    let mut many_lines = vec![("origin", "https://app.example.com"), ("access-control-request-method", "PUT")];
    let names = ["x-a", "x-b", "x-c, x-d", "x-e", "x-f", "x-g", "x-h", "x-i", "x-j"];
    many_lines.extend(names.iter().map(|n| ("access-control-request-headers", *n)));
    vec![
        r("GET", &[]),
        r("GET", &[("origin", "https://app.example.com")]),
        r("POST", &[("origin", "https://a.b.example.net")]),
        r("GET", &[("origin", "https://evil.example")]),
        r("GET", &[("origin", "null")]),
        r("OPTIONS", &[("origin", "https://app.example.com")]),
        r(
            "OPTIONS",
            &[
                ("origin", "http://localhost:5173"),
                ("access-control-request-method", "PUT"),
                ("access-control-request-headers", "content-type"),
                ("access-control-request-private-network", "true"),
            ],
        ),
        r("OPTIONS", &[("origin", "https://app.example.com"), ("access-control-request-method", "PATCH")]),
        r("OPTIONS", &[("origin", "https://evil.example"), ("access-control-request-method", "PUT")]),
        r("OPTIONS", &many_lines),
    ]
}

fn inner_responses() -> Vec<HeaderMap> {
    let mut plain = HeaderMap::new();
    plain.insert("content-type", HeaderValue::from_static("application/json"));
    let mut with_cors = plain.clone();
    with_cors.append("access-control-allow-origin", HeaderValue::from_static("*"));
    with_cors.append("access-control-allow-origin", HeaderValue::from_static("https://x.example"));
    with_cors.append("access-control-allow-credentials", HeaderValue::from_static("true"));
    with_cors.append("access-control-expose-headers", HeaderValue::from_static("x-secret"));
    with_cors.append("access-control-allow-private-network", HeaderValue::from_static("true"));
    let mut with_vary = plain.clone();
    with_vary.append("vary", HeaderValue::from_static("accept-encoding"));
    with_vary.append("vary", HeaderValue::from_static("Origin"));
    let mut star = HeaderMap::new();
    star.insert("vary", HeaderValue::from_static("*"));
    vec![HeaderMap::new(), plain, with_cors, with_vary, star]
}

#[test]
fn applying_the_copy_equals_applying_the_decision() {
    let mut checked = 0;
    for policy in &policies() {
        for (method, request) in &requests() {
            let decision = policy.decide((method, request));
            for inner in inner_responses() {
                let mut by_core = inner.clone();
                decision.apply_to(&mut by_core);
                let mut by_copy = inner;
                CorsHeaders::of(&decision, false).apply_to(&mut by_copy);
                assert_eq!(by_copy, by_core, "{policy:?}\n{method} {request:?}");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 5 * 10 * 5);
}

#[test]
fn a_credentialed_star_echo_of_many_lines_spills_into_the_overflow_in_order() {
    let policy = &policies()[3];
    let (method, request) = &requests()[9];
    let decision = policy.decide((method, request));
    let cors = CorsHeaders::of(&decision, false);
    assert!(!cors.overflow.is_empty(), "9 echoed lines and Allow-Origin/-Credentials/-Methods exceed the inline 7");
    let mut out = HeaderMap::new();
    cors.apply_to(&mut out);
    let echoed: Vec<_> = out.get_all("access-control-allow-headers").iter().map(|v| v.to_str().unwrap()).collect();
    assert_eq!(echoed, ["x-a", "x-b", "x-c, x-d", "x-e", "x-f", "x-g", "x-h", "x-i", "x-j"]);
}

#[test]
fn usual_decisions_fit_inline() {
    for policy in &policies() {
        for (method, request) in &requests()[..9] {
            let cors = CorsHeaders::of(&policy.decide((method, request)), true);
            assert!(cors.overflow.is_empty(), "{policy:?} {method} {request:?}");
        }
    }
}

#[test]
fn debug_mode_names_the_refusal_and_replaces_an_inner_value() {
    let policy = &policies()[0];
    let (method, request) = &requests()[3];
    let decision = policy.decide((method, request));
    let mut out = HeaderMap::new();
    out.insert(REFUSAL_HEADER, HeaderValue::from_static("spoofed"));
    CorsHeaders::of(&decision, true).apply_to(&mut out);
    assert_eq!(out.get_all(REFUSAL_HEADER).iter().collect::<Vec<_>>(), ["origin"]);

    let mut quiet = HeaderMap::new();
    CorsHeaders::of(&decision, false).apply_to(&mut quiet);
    assert!(quiet.get(REFUSAL_HEADER).is_none(), "off by default");

    let all = requests();
    let allowed = policy.decide((&Method::GET, &all[1].1));
    let mut ok = HeaderMap::new();
    CorsHeaders::of(&allowed, true).apply_to(&mut ok);
    assert!(ok.get(REFUSAL_HEADER).is_none(), "only refusals carry it");
}
