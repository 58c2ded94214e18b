//! Properties of the server side over generated input: deciding never panics, every answer is
//! a valid header that a browser's CORS check can pass only for the origin that asked, and the
//! origin and pattern parsers round-trip their own output.

use corsair_core::token::{parse_list, TokenList};
use corsair_core::{Origin, OriginPattern, OriginRef, OriginSet, Policy};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use proptest::prelude::*;

const CASES: u32 = 512;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

// Policies under test --------------------------------------------------------------------------

include!("../fuzz/bodies/policies.rs");

fn policies() -> Vec<Policy> {
    test_policies()
}

// Generators -----------------------------------------------------------------------------------

/// Bytes an `http::HeaderValue` can hold (visible ASCII, SP, HT, obs-text), biased towards the
/// characters origins and lists are made of.
fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        8 => proptest::sample::select(b"abcxyz.-_:/[]*,; \t0123456789ABCnul".to_vec()),
        1 => 0x20u8..=0x7e,
        1 => 0x80u8..=0xff,
        1 => Just(b'\t'),
    ];
    proptest::collection::vec(byte, 0..64)
}

/// Text that looks like an origin often enough to reach every branch of the parsers.
fn origin_like() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "(https?|wss?|ftp|chrome-extension|[a-z][a-z0-9+.-]{0,6}|HTTPS|file)://([a-z0-9_-]{1,8}\\.){0,3}[a-z0-9_-]{1,8}\\.?(:[0-9]{1,6})?",
        2 => "(https?|ws)://(\\[[0-9a-fA-F:.]{2,24}\\]|[0-9x.]{1,18})(:[0-9]{0,6})?",
        1 => "https?://[a-zA-Z0-9._~%@:\\[\\]-]{0,24}(/[a-z]{0,4})?",
        1 => Just("null".to_owned()),
        1 => ".{0,40}",
    ]
}

/// A pattern-shaped string: scheme, optional `*.`, host, optional port or `:*`.
fn pattern_like() -> impl Strategy<Value = String> {
    let host = prop_oneof![
        "([a-z0-9-]{1,6}\\.){0,3}[a-z]{1,6}",
        Just("localhost".to_owned()),
        Just("127.0.0.1".to_owned()),
        Just("[::1]".to_owned()),
        Just("com".to_owned()),
    ];
    let port = prop_oneof![Just(String::new()), Just(":*".to_owned()), (1u32..70_000).prop_map(|p| format!(":{p}"))];
    (prop_oneof!["https?", "wss?", "HTTP"], any::<bool>(), host, port, prop_oneof![Just(""), Just("/"), Just("*")])
        .prop_map(|(scheme, sub, host, port, tail)| {
            format!("{scheme}://{}{host}{port}{tail}", if sub { "*." } else { "" })
        })
}

/// Request header lines: mostly the ones CORS reads, with arbitrary (valid) values.
fn header_lines() -> impl Strategy<Value = Vec<(HeaderName, HeaderValue)>> {
    let name = prop_oneof![
        3 => Just(HeaderName::from_static("origin")),
        2 => Just(HeaderName::from_static("access-control-request-method")),
        3 => Just(HeaderName::from_static("access-control-request-headers")),
        1 => Just(HeaderName::from_static("access-control-request-private-network")),
        1 => "[a-z][a-z0-9-]{0,12}".prop_map(|n| HeaderName::from_bytes(n.as_bytes()).unwrap()),
    ];
    let value = prop_oneof![
        2 => header_bytes(),
        2 => origin_like().prop_map(String::into_bytes),
        1 => "[A-Za-z-]{1,8}(, ?[A-Za-z-]{1,8}){0,4}".prop_map(String::into_bytes),
        1 => Just(b"true".to_vec()),
    ];
    proptest::collection::vec(
        (name, value).prop_filter_map("not a header value", |(n, v)| HeaderValue::from_bytes(&v).ok().map(|v| (n, v))),
        0..8,
    )
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        4 => Just(Method::OPTIONS),
        2 => Just(Method::GET),
        1 => Just(Method::PUT),
        1 => "[A-Za-z!#$%&'*+.^_`|~-]{1,10}".prop_map(|m| Method::from_bytes(m.as_bytes()).unwrap()),
    ]
}

fn request() -> impl Strategy<Value = (Method, HeaderMap)> {
    (method(), header_lines()).prop_map(|(m, lines)| {
        let mut h = HeaderMap::new();
        for (n, v) in lines {
            h.append(n, v);
        }
        (m, h)
    })
}

// Deciding -------------------------------------------------------------------------------------

/// The rules every emitted header must follow, whatever the request.
fn check_answer(policy: &Policy, method: &Method, headers: &HeaderMap) -> Result<(), TestCaseError> {
    let d = policy.decide((method, headers));
    let request_origin = headers.get("origin").map(HeaderValue::as_bytes);
    for (name, value) in d.headers() {
        // A valid field value, byte for byte.
        prop_assert!(HeaderValue::from_bytes(value.as_bytes()).is_ok());
        prop_assert!(name.as_str().starts_with("access-control-"), "{name}");
        let text = value.to_str().map_err(|e| TestCaseError::fail(format!("{name}: {e}")))?;
        match name.as_str() {
            "access-control-allow-origin" => {
                prop_assert!(d.is_allowed());
                if text != "*" {
                    // Not `*`: the request's own origin, canonical, and one the policy allows.
                    prop_assert_eq!(Some(value.as_bytes()), request_origin);
                    let origin = OriginRef::parse(value.as_bytes());
                    prop_assert!(origin.is_some_and(|o| o.as_str() == text), "ACAO {text:?} is not canonical");
                    let set: OriginSet = policy.origins().iter().cloned().collect();
                    prop_assert!(set.matches(origin.unwrap()).is_some(), "ACAO {text:?} is not allowed by the policy");
                } else {
                    prop_assert!(!policy.allows_credentials(), "`*` with credentials");
                }
            }
            "access-control-allow-credentials" => prop_assert_eq!(text, "true"),
            "access-control-max-age" => prop_assert!(text.parse::<u32>().is_ok(), "{text}"),
            "access-control-allow-private-network" => prop_assert_eq!(text, "true"),
            // The lists a browser parses: every item must be a token, or the preflight fails.
            _ => prop_assert!(parse_list([text]).is_ok(), "{name}: {text:?}"),
        }
    }
    // Whatever the outcome, the answer says what it depends on.
    if d.kind() != corsair_core::RequestKind::NotCors
        && d.headers().any(|(n, v)| n == "access-control-allow-origin" && v != "*")
    {
        prop_assert!(d.vary().contains(corsair_core::Vary::ORIGIN));
    }
    if !d.is_allowed() {
        prop_assert_eq!(d.headers().count(), 0, "headers on a refusal");
    }
    // The server's own answer holds exactly the lines `apply_to` sets on an empty map (an
    // allowed preflight's is a clone of a block the policy prepared).
    let mut by_lines = HeaderMap::new();
    d.apply_to(&mut by_lines);
    prop_assert_eq!(d.answer_headers(), by_lines);
    Ok(())
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn deciding_arbitrary_requests_never_panics_and_answers_validly((method, headers) in request()) {
        for policy in &policies() {
            check_answer(policy, &method, &headers)?;
        }
    }
}

proptest! {
    #![proptest_config(config(CASES))]

    #[test]
    fn arbitrary_bytes_in_each_cors_header_never_panic(
        origin in header_bytes(), acrm in header_bytes(), acrh in header_bytes(), other in header_bytes(), options in any::<bool>()
    ) {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("origin", &origin),
            ("access-control-request-method", &acrm),
            ("access-control-request-headers", &acrh),
            ("access-control-request-private-network", &other),
            ("x-anything", &other),
        ] {
            if let Ok(v) = HeaderValue::from_bytes(value) {
                headers.append(name, v);
            }
        }
        let method = if options { Method::OPTIONS } else { Method::POST };
        for policy in &policies() {
            check_answer(policy, &method, &headers)?;
        }
    }

    #[test]
    fn an_allowed_origin_with_arbitrary_request_headers_gets_its_own_origin_back(
        acrh in proptest::collection::vec(header_bytes(), 0..4)
    ) {
        let policy = &policies()[0];
        let mut headers = HeaderMap::new();
        headers.insert("origin", HeaderValue::from_static("https://a.b.example.com"));
        headers.insert("access-control-request-method", HeaderValue::from_static("PUT"));
        for line in &acrh {
            if let Ok(v) = HeaderValue::from_bytes(line) {
                headers.append("access-control-request-headers", v);
            }
        }
        let d = policy.decide((&Method::OPTIONS, &headers));
        if d.is_allowed() {
            let acao: Vec<_> = d.headers().filter(|(n, _)| n == "access-control-allow-origin").map(|(_, v)| v.clone()).collect();
            prop_assert_eq!(acao, vec![HeaderValue::from_static("https://a.b.example.com")]);
        }
        check_answer(policy, &Method::OPTIONS, &headers)?;
    }

    // Origins ----------------------------------------------------------------------------------

    #[test]
    fn a_parsed_header_origin_is_exactly_the_input(s in origin_like()) {
        if let Some(o) = OriginRef::parse(s.as_bytes()) {
            prop_assert_eq!(o.as_str(), s.as_str());
            let owned = o.to_owned();
            prop_assert_eq!(owned.as_str(), s.as_str());
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_header_parser(b in proptest::collection::vec(any::<u8>(), 0..80)) {
        if let Some(o) = OriginRef::parse(&b) {
            prop_assert_eq!(o.as_str().as_bytes(), &b[..]);
        }
    }

    #[test]
    fn canonical_origins_round_trip_through_the_configured_parser(s in origin_like()) {
        if let Ok(o) = Origin::parse(&s) {
            if !o.is_null() {
                prop_assert_eq!(Origin::parse_configured(o.as_str()), Ok(o.clone()));
                prop_assert_eq!(OriginRef::parse(o.as_str().as_bytes()).map(|r| r.as_str()), Some(o.as_str()));
            }
        }
    }

    #[test]
    fn a_configured_origin_is_one_a_browser_can_send(s in origin_like()) {
        if let Ok(o) = Origin::parse_configured(&s) {
            prop_assert_eq!(OriginRef::parse(o.as_str().as_bytes()).map(|r| r.as_str()), Some(o.as_str()));
            if !o.is_null() {
                prop_assert_eq!(Origin::parse(o.as_str()), Ok(o.clone()), "the WHATWG parser agrees");
            }
        }
    }

    #[test]
    fn a_non_canonical_error_proposes_a_canonical_origin(s in origin_like()) {
        if let Err(corsair_core::OriginError::NotCanonical { canonical, .. }) = Origin::parse_configured(&s) {
            prop_assert!(Origin::parse_configured(&canonical).is_ok(), "{s:?} -> {canonical:?}");
        }
    }

    // Patterns ---------------------------------------------------------------------------------

    #[test]
    fn pattern_display_round_trips_through_parse(s in pattern_like()) {
        if let Ok(p) = OriginPattern::parse(&s) {
            let shown = p.to_string();
            prop_assert_eq!(OriginPattern::parse(&shown), Ok(p), "{} -> {}", s, shown);
        }
    }

    #[test]
    fn a_non_canonical_pattern_error_proposes_a_valid_pattern(s in pattern_like()) {
        if let Err(corsair_core::PatternError::Origin(corsair_core::OriginError::NotCanonical { canonical, .. })) = OriginPattern::parse(&s) {
            prop_assert!(OriginPattern::parse(&canonical).is_ok(), "{s:?} -> {canonical:?}");
        }
    }

    #[test]
    fn the_compiled_set_agrees_with_each_pattern(
        patterns in proptest::collection::vec("(https?)://(\\*\\.)?[ab]{1,3}(\\.[ab]{1,3}){0,2}(:(\\*|8080))?", 1..6),
        origin in "(https?)://[ab]{1,3}(\\.[ab]{1,3}){0,3}(:8080)?",
    ) {
        // Shared suffixes (`b.ab` vs `ab`) are where hash-table matchers have gone wrong.
        let parsed: Vec<OriginPattern> = patterns.iter().filter_map(|p| OriginPattern::parse(p).ok()).collect();
        let set: OriginSet = parsed.iter().cloned().collect();
        let o = OriginRef::parse(origin.as_bytes()).unwrap();
        let any = parsed.iter().any(|p| p.matches(o));
        prop_assert_eq!(set.matches(o).is_some(), any, "{:?} vs {}", patterns, origin);
    }

    #[test]
    fn an_exact_hit_on_raw_bytes_is_a_parsed_exact_match(s in origin_like(), request in origin_like()) {
        // Deciding looks a request's Origin bytes up before parsing them: a hit must be an origin
        // the strict parser accepts, and exactly what matching the parsed origin would find.
        if let Ok(p) = OriginPattern::parse(&s) {
            let set: OriginSet = std::iter::once(p).collect();
            for bytes in [s.as_bytes(), request.as_bytes()] {
                let hit = set.get_exact(bytes).is_some();
                match OriginRef::parse(bytes) {
                    Some(o) => prop_assert_eq!(hit, matches!(set.matches(o), Some(corsair_core::OriginMatch::Exact(_)))),
                    None => prop_assert!(!hit, "{:?} is no origin", String::from_utf8_lossy(bytes)),
                }
            }
        }
    }

    #[test]
    fn subdomain_patterns_match_exactly_the_strict_subdomains(
        parent in "[ab]{1,2}(\\.[ab]{1,2}){0,1}",
        host in "[ab]{1,2}(\\.[ab]{1,2}){0,3}",
    ) {
        let p = OriginPattern::parse(&format!("https://*.{parent}")).unwrap();
        let origin = format!("https://{host}");
        let strict_subdomain = host.len() > parent.len() && host.ends_with(&format!(".{parent}"));
        prop_assert_eq!(p.matches(OriginRef::parse(origin.as_bytes()).unwrap()), strict_subdomain);
    }

    // Token lists ------------------------------------------------------------------------------

    #[test]
    fn token_lists_yield_tokens_and_stop_at_the_first_error(b in header_bytes()) {
        let mut seen_error = false;
        for item in TokenList::new(&b) {
            prop_assert!(!seen_error, "an item after an error");
            match item {
                Ok(t) => prop_assert!(corsair_core::token::is_token(t)),
                Err(_) => seen_error = true,
            }
        }
    }
}
