// Fuzz body: the gateway's small parsers on arbitrary text: open-proxy paths, target host
// patterns, upstream URLs and rate quotas. Included by `fuzz_targets/proxy_target.rs` and by
// `tests/fuzz_smoke.rs`.

use corsair_gateway::config::{parse_upstream, TargetPattern};
use corsair_gateway::ratelimit::Quota;
use corsair_gateway::fuzzing::target;

/// Parses `data` every way and checks what each accepted value promises.
pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(url) = target::parse(text) {
        assert!(matches!(url.scheme(), "http" | "https"), "{url}");
        assert!(url.username().is_empty() && url.password().is_none(), "{url}");
        assert!(url.host_str().is_some_and(|h| !h.is_empty()), "{url}");
        assert!(url.fragment().is_none(), "{url}");
    }
    if let Ok(pattern) = TargetPattern::parse(text) {
        let again = TargetPattern::parse(&pattern.to_string()).expect("a pattern's text parses");
        assert_eq!(again, pattern);
    }
    if let Ok(upstream) = parse_upstream(text) {
        assert!(matches!(upstream.scheme.as_str(), "http" | "https"));
        assert!(!upstream.base_path.ends_with('/'));
        assert!(!upstream.authority.as_str().contains('@'));
    }
    if let Ok(quota) = text.parse::<Quota>() {
        assert_eq!(quota.to_string().parse::<Quota>().expect("a quota's text parses"), quota);
        assert!(quota.burst() > 0);
    }
}
