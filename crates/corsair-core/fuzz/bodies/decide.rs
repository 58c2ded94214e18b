// Fuzz body: `Policy::decide` on arbitrary request headers.
// Included by `fuzz_targets/decide.rs` and by `tests/fuzz_smoke.rs`.

use std::sync::OnceLock;

use corsair_core::{OriginRef, OriginSet, Policy, Vary};
use http::{HeaderMap, HeaderValue, Method};

include!("policies.rs");

fn policies() -> &'static [Policy] {
    static POLICIES: OnceLock<Vec<Policy>> = OnceLock::new();
    POLICIES.get_or_init(test_policies)
}

/// Input: one control byte (policy, method, extra lines), then `\n`-separated values for
/// `Origin`, `Access-Control-Request-Method` and any number of `Access-Control-Request-Headers`.
pub fn run(data: &[u8]) {
    let Some((&control, rest)) = data.split_first() else { return };
    let policy = &policies()[usize::from(control & 3)];
    let method = if control & 4 != 0 { Method::OPTIONS } else { Method::GET };
    let mut headers = HeaderMap::new();
    let mut parts = rest.split(|&b| b == b'\n');
    let mut add = |name: &'static str, value: &[u8]| {
        if let Ok(v) = HeaderValue::from_bytes(value) {
            headers.append(name, v);
        }
    };
    if let Some(origin) = parts.next() {
        add("origin", origin);
        if control & 8 != 0 {
            add("origin", origin);
        }
    }
    if let Some(acrm) = parts.next() {
        add("access-control-request-method", acrm);
    }
    for acrh in parts {
        add("access-control-request-headers", acrh);
    }
    if control & 16 != 0 {
        add("access-control-request-private-network", b"true");
    }
    check(policy, &method, &headers);
}

fn check(policy: &Policy, method: &Method, headers: &HeaderMap) {
    let d = policy.decide((method, headers));
    let request_origin = headers.get("origin").map(HeaderValue::as_bytes);
    let mut acao_lines = 0;
    for (name, value) in d.headers() {
        assert!(d.is_allowed(), "CORS headers on a refusal");
        assert!(HeaderValue::from_bytes(value.as_bytes()).is_ok());
        let text = value.to_str().expect("visible ASCII");
        match name.as_str() {
            "access-control-allow-origin" => {
                acao_lines += 1;
                if text == "*" {
                    assert!(!policy.allows_credentials(), "`*` with credentials");
                } else {
                    assert_eq!(Some(value.as_bytes()), request_origin, "ACAO is not the request's origin");
                    let origin = OriginRef::parse(value.as_bytes()).expect("ACAO is a canonical origin");
                    let set: OriginSet = policy.origins().iter().cloned().collect();
                    assert!(set.matches(origin).is_some(), "ACAO {text:?} is not allowed by the policy");
                    assert!(d.vary().contains(Vary::ORIGIN), "an echoed origin without Vary: Origin");
                }
            }
            "access-control-allow-credentials" | "access-control-allow-private-network" => assert_eq!(text, "true"),
            "access-control-max-age" => assert!(text.parse::<u32>().is_ok()),
            _ => assert!(corsair_core::token::parse_list([text]).is_ok(), "{name}: {text:?}"),
        }
    }
    assert!(acao_lines <= 1);
    let _ = d.refusal().map(|r| (r.to_string(), r.kind()));
    // Applying twice over an application's own CORS headers leaves one set.
    let mut response = HeaderMap::new();
    response.insert("access-control-allow-origin", HeaderValue::from_static("https://stale.example"));
    d.apply_to(&mut response);
    d.apply_to(&mut response);
    assert!(response.get_all("access-control-allow-origin").iter().count() <= 1);
    assert_eq!(response.get_all("vary").iter().count(), usize::from(!d.vary().is_empty()));
    // The server's own answer (a clone of a prepared block, for an allowed preflight) holds
    // exactly the lines `apply_to` sets on an empty map.
    let mut by_lines = HeaderMap::new();
    d.apply_to(&mut by_lines);
    assert_eq!(d.answer_headers(), by_lines);
}
