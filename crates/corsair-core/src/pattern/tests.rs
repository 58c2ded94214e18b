use super::*;

fn pat(s: &str) -> OriginPattern {
    OriginPattern::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn origin(s: &str) -> OriginRef<'_> {
    OriginRef::parse(s.as_bytes()).unwrap_or_else(|| panic!("{s} is not a browser origin"))
}

fn matches(p: &str, o: &str) -> bool {
    pat(p).matches(origin(o))
}

fn set(patterns: &[&str]) -> OriginSet {
    patterns.iter().map(|p| pat(p)).collect()
}

/// The hint text of a misplaced-wildcard error.
fn hint(s: &str) -> String {
    match OriginPattern::parse(s) {
        Err(PatternError::MisplacedWildcard { hint, .. }) => hint,
        other => panic!("{s}: expected MisplacedWildcard, got {other:?}"),
    }
}

/// The first backticked text in a hint.
fn suggested(hint: &str) -> Option<&str> {
    let start = hint.find('`')? + 1;
    let len = hint[start..].find('`')?;
    Some(&hint[start..start + len])
}

// The four forms -------------------------------------------------------------------------------

#[test]
fn star_alone_is_any_origin() {
    assert_eq!(pat("*"), OriginPattern::Any);
    assert!(matches("*", "https://anything.example"));
    assert!(pat("*").matches(OriginRef::parse(b"null").unwrap()), "`*` admits the opaque origin too");
}

#[test]
fn exact_origin_matches_only_itself() {
    assert!(matches!(pat("https://app.example.com"), OriginPattern::Exact(_)));
    assert!(matches("https://app.example.com", "https://app.example.com"));
    assert!(!matches("https://app.example.com", "http://app.example.com"));
    assert!(!matches("https://app.example.com", "https://app.example.com:8443"));
    assert!(!matches("https://app.example.com", "https://x.app.example.com"));
}

#[test]
fn subdomain_pattern_parses_to_a_parent_domain() {
    assert_eq!(
        pat("https://*.example.com"),
        OriginPattern::Wildcard {
            scheme: "https".into(),
            host: HostPattern::SubdomainsOf("example.com".into()),
            port: PortPattern::Default
        }
    );
}

#[test]
fn port_pattern_parses_to_any_port_on_one_host() {
    assert_eq!(
        pat("http://localhost:*"),
        OriginPattern::Wildcard {
            scheme: "http".into(),
            host: HostPattern::Exact("localhost".into()),
            port: PortPattern::Any
        }
    );
}

#[test]
fn subdomain_and_port_wildcards_combine() {
    assert_eq!(
        pat("https://*.example.com:*"),
        OriginPattern::Wildcard {
            scheme: "https".into(),
            host: HostPattern::SubdomainsOf("example.com".into()),
            port: PortPattern::Any
        }
    );
    assert!(matches("https://*.example.com:*", "https://a.example.com:8443"));
    assert!(matches("https://*.example.com:*", "https://a.example.com"));
    assert!(!matches("https://*.example.com:*", "https://example.com:8443"));
    assert!(!matches("https://*.example.com:*", "http://a.example.com:8443"));
}

#[test]
fn subdomain_pattern_with_an_explicit_port() {
    assert!(matches("https://*.example.com:8443", "https://a.example.com:8443"));
    assert!(!matches("https://*.example.com:8443", "https://a.example.com"));
    assert!(!matches("https://*.example.com:8443", "https://a.example.com:9443"));
}

// Subdomain patterns: one or more labels, never the apex ---------------------------------------

#[test]
fn subdomain_pattern_never_matches_the_apex() {
    assert!(!matches("https://*.example.com", "https://example.com"));
    assert!(!matches("https://*.example.com:*", "https://example.com"));
}

#[test]
fn subdomain_pattern_matches_one_or_many_labels() {
    for o in
        ["https://a.example.com", "https://a.b.example.com", "https://a.b.c.d.example.com", "https://x-y.example.com"]
    {
        assert!(matches("https://*.example.com", o), "{o}");
    }
}

#[test]
fn subdomain_pattern_resists_suffix_confusion() {
    for o in [
        "https://evil-example.com",
        "https://notexample.com",
        "https://example.com.evil.com",
        "https://aexample.com",
        "https://a.example.com.evil.com",
        "https://example.co",
        "https://a.example.comm",
    ] {
        assert!(!matches("https://*.example.com", o), "{o}");
    }
}

#[test]
fn exact_pattern_resists_prefix_and_suffix_confusion() {
    for o in
        ["https://example.com.evil.com", "https://evil-example.com", "https://example.com:8080", "https://xexample.com"]
    {
        assert!(!matches("https://example.com", o), "{o}");
    }
}

#[test]
fn subdomain_pattern_is_scheme_and_port_exact() {
    assert!(!matches("https://*.example.com", "http://a.example.com"));
    assert!(!matches("https://*.example.com", "https://a.example.com:8443"));
    assert!(!matches("https://*.example.com", "wss://a.example.com"));
}

#[test]
fn trailing_dot_hosts_are_other_origins() {
    assert!(!matches("https://*.example.com", "https://a.example.com."));
    assert!(!matches("https://example.com", "https://example.com."));
    assert!(matches("https://*.example.com.", "https://a.example.com."));
}

#[test]
fn wildcards_never_match_the_null_origin() {
    let null = OriginRef::parse(b"null").unwrap();
    assert!(!pat("https://*.example.com").matches(null));
    assert!(!pat("http://localhost:*").matches(null));
    assert!(!pat("https://example.com").matches(null));
    assert!(pat("null").matches(null));
}

// Port wildcards -------------------------------------------------------------------------------

#[test]
fn any_port_includes_the_default_port_and_every_explicit_one() {
    for o in ["http://localhost", "http://localhost:1", "http://localhost:3000", "http://localhost:65535"] {
        assert!(matches("http://localhost:*", o), "{o}");
    }
}

#[test]
fn any_port_keeps_scheme_and_host_exact() {
    for o in
        ["https://localhost:3000", "http://localhost.evil.com:3000", "http://a.localhost:3000", "http://127.0.0.1:3000"]
    {
        assert!(!matches("http://localhost:*", o), "{o}");
    }
}

#[test]
fn default_port_written_in_a_pattern_is_not_canonical() {
    match OriginPattern::parse("https://*.example.com:443") {
        Err(PatternError::Origin(OriginError::NotCanonical { canonical, .. })) => {
            assert_eq!(canonical, "https://*.example.com")
        }
        other => panic!("{other:?}"),
    }
    match OriginPattern::parse("http://localhost:80") {
        Err(PatternError::Origin(OriginError::NotCanonical { canonical, .. })) => {
            assert_eq!(canonical, "http://localhost")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_explicit_port_and_any_port_together_are_refused() {
    assert!(hint("http://localhost:8080:*").contains("either a port or `:*`"));
}

#[test]
fn port_wildcard_works_on_ip_addresses() {
    assert!(matches("http://127.0.0.1:*", "http://127.0.0.1:5173"));
    assert!(matches("http://[::1]:*", "http://[::1]:8080"));
    assert!(!matches("http://127.0.0.1:*", "http://127.0.0.2:5173"));
}

// Non-canonical patterns carry the canonical pattern -------------------------------------------

#[test]
fn non_canonical_wildcard_patterns_name_the_canonical_pattern() {
    for (text, canonical) in [
        ("https://*.Example.com", "https://*.example.com"),
        ("https://*.example.com/", "https://*.example.com"),
        ("HTTP://localhost:*", "http://localhost:*"),
        ("https://*.example.com/path", "https://*.example.com"),
    ] {
        match OriginPattern::parse(text) {
            Err(PatternError::Origin(OriginError::NotCanonical { value, canonical: c, .. })) => {
                assert_eq!(value, text);
                assert_eq!(c, canonical, "{text}");
            }
            other => panic!("{text}: {other:?}"),
        }
    }
}

#[test]
fn exact_patterns_report_origin_errors() {
    assert!(matches!(
        OriginPattern::parse("https://example.com/"),
        Err(PatternError::Origin(OriginError::NotCanonical { .. }))
    ));
    assert!(matches!(OriginPattern::parse("file:///x"), Err(PatternError::Origin(OriginError::OpaqueScheme { .. }))));
    assert!(matches!(OriginPattern::parse(""), Err(PatternError::Origin(OriginError::Empty))));
}

#[test]
fn idn_subdomain_pattern_is_stored_as_punycode() {
    assert_eq!(pat("https://*.bücher.example").to_string(), "https://*.xn--bcher-kva.example");
    assert!(matches("https://*.bücher.example", "https://shop.xn--bcher-kva.example"));
}

// Misplaced wildcards, with hints that are themselves valid -------------------------------------

#[test]
fn star_glued_to_a_host_without_scheme_suggests_the_subdomain_pattern() {
    assert_eq!(suggested(&hint("*example.com")), Some("https://*.example.com"));
}

#[test]
fn star_glued_to_a_host_suggests_the_subdomain_pattern() {
    assert_eq!(suggested(&hint("https://*example.com")), Some("https://*.example.com"));
    assert_eq!(suggested(&hint("https://*-example.com")), Some("https://*.example.com"));
}

#[test]
fn double_star_suggests_a_single_subdomain_wildcard() {
    assert_eq!(suggested(&hint("**.x.example")), Some("https://*.x.example"));
    assert_eq!(suggested(&hint("https://**.example.com")), Some("https://*.example.com"));
    assert_eq!(suggested(&hint("https://*.*.example.com")), Some("https://*.example.com"));
}

#[test]
fn subdomain_pattern_without_scheme_suggests_https() {
    assert_eq!(suggested(&hint("*.example.com")), Some("https://*.example.com"));
    assert_eq!(suggested(&hint("localhost:*")), Some("https://localhost:*"));
}

#[test]
fn star_in_the_middle_of_a_host_asks_for_a_list() {
    for text in ["https://foo.*.com", "https://ex*ample.com", "https://example.*", "https://a.example.*.com"] {
        let h = hint(text);
        assert!(h.contains("list each origin"), "{text}: {h}");
    }
}

#[test]
fn star_as_the_whole_host_explains_star_alone() {
    for text in ["https://*", "https://*.", "https://*:8080", "https://*.*"] {
        let h = hint(text);
        assert!(h.contains("write `*` for any origin"), "{text}: {h}");
    }
}

#[test]
fn star_in_the_scheme_is_refused() {
    assert!(hint("*://example.com").contains("list each origin"));
    assert!(hint("http*://example.com").contains("list each origin"));
}

#[test]
fn near_wildcards_without_a_usable_suggestion_are_refused() {
    for text in ["h*", "*a*", "https*"] {
        assert!(OriginPattern::parse(text).is_err(), "{text}");
    }
}

#[test]
fn every_suggested_pattern_is_valid() {
    for text in [
        "*example.com",
        "**.x.example",
        "https://*example.com",
        "https://**.example.com",
        "https://*.*.example.com",
        "*.example.com",
        "*-example.com",
        "https://*",
        "https://foo.*.com",
        "h*",
        "localhost:*",
        "http://*localhost:*",
    ] {
        let h = hint(text);
        if let Some(s) = suggested(&h) {
            assert!(OriginPattern::parse(s).is_ok(), "{text}: hint `{s}` is not a valid pattern ({h})");
        }
    }
}

#[test]
fn misplaced_wildcard_display_lists_the_allowed_forms_and_the_hint() {
    let err = OriginPattern::parse("https://*example.com").unwrap_err();
    let text = err.to_string();
    assert!(text.contains("https://*.example.com") && text.contains("http://localhost:*"), "{text}");
    assert!(text.contains("for subdomains write `https://*.example.com`"), "{text}");
}

#[test]
fn subdomains_of_an_ipv4_address_are_refused() {
    assert_eq!(
        OriginPattern::parse("http://*.127.0.0.1"),
        Err(PatternError::SubdomainOfAddress { value: "http://*.127.0.0.1".into() })
    );
}

#[test]
fn subdomains_of_an_ipv6_address_are_refused() {
    let err = OriginPattern::parse("http://*.[::1]").unwrap_err();
    assert!(matches!(err, PatternError::SubdomainOfAddress { .. }));
    assert!(err.to_string().contains("list the address itself"));
}

// Public suffixes ------------------------------------------------------------------------------

#[test]
fn subdomains_of_a_tld_span_a_public_suffix() {
    assert_eq!(pat("https://*.com").public_suffix_parent(), Some("com"));
    assert_eq!(pat("https://*.co.uk").public_suffix_parent(), Some("co.uk"));
}

#[test]
fn subdomains_of_a_private_registry_suffix_span_a_public_suffix() {
    assert_eq!(pat("https://*.github.io").public_suffix_parent(), Some("github.io"));
}

#[test]
fn subdomains_of_a_registrable_domain_are_not_a_public_suffix() {
    assert_eq!(pat("https://*.example.com").public_suffix_parent(), None);
    assert_eq!(pat("https://*.user.github.io").public_suffix_parent(), None);
    assert_eq!(pat("https://*.example.co.uk:*").public_suffix_parent(), None);
}

#[test]
fn localhost_subdomains_are_not_a_public_suffix() {
    assert_eq!(pat("http://*.localhost").public_suffix_parent(), None);
    assert_eq!(pat("http://*.localhost:*").public_suffix_parent(), None);
}

#[test]
fn only_subdomain_patterns_can_span_a_public_suffix() {
    assert_eq!(pat("*").public_suffix_parent(), None);
    assert_eq!(pat("https://example.com").public_suffix_parent(), None);
    assert_eq!(pat("http://localhost:*").public_suffix_parent(), None);
}

// Loopback, scheme, null -----------------------------------------------------------------------

#[test]
fn loopback_patterns_only_reach_this_machine() {
    for yes in
        ["http://localhost:*", "http://*.localhost", "http://127.0.0.1:*", "http://[::1]:*", "http://localhost:3000"]
    {
        assert!(pat(yes).is_loopback(), "{yes}");
    }
    for no in ["*", "https://*.example.com", "http://localhost.example.com:*", "http://*.localhost.example.com", "null"]
    {
        assert!(!pat(no).is_loopback(), "{no}");
    }
}

#[test]
fn scheme_is_known_except_for_star() {
    assert_eq!(pat("*").scheme(), None);
    assert_eq!(pat("wss://*.example.com").scheme(), Some("wss"));
    assert_eq!(pat("http://example.com").scheme(), Some("http"));
}

#[test]
fn null_pattern_is_recognised() {
    assert!(pat("null").is_null());
    assert!(!pat("*").is_null());
    assert!(!pat("https://example.com").is_null());
}

// Display round-trips --------------------------------------------------------------------------

#[test]
fn display_writes_the_pattern_back_in_canonical_form() {
    for text in [
        "*",
        "null",
        "https://example.com",
        "https://*.example.com",
        "http://localhost:*",
        "https://*.example.com:*",
        "https://*.example.com:8443",
        "http://[::1]:*",
    ] {
        let p = pat(text);
        assert_eq!(p.to_string(), text);
        assert_eq!(OriginPattern::parse(&p.to_string()).unwrap(), p);
        assert_eq!(text.parse::<OriginPattern>().unwrap(), p);
    }
}

// OriginSet ------------------------------------------------------------------------------------

#[test]
fn empty_set_matches_nothing() {
    let s: OriginSet = OriginSet::new();
    assert!(s.is_empty());
    assert!(s.matches(origin("https://example.com")).is_none());
    assert!(s.matches(OriginRef::parse(b"null").unwrap()).is_none());
}

#[test]
fn exact_match_returns_the_stored_value() {
    let mut s = OriginSet::new();
    s.insert(pat("https://a.example"), 1);
    s.insert(pat("https://b.example"), 2);
    assert_eq!(s.matches(origin("https://b.example")), Some(OriginMatch::Exact(&2)));
    assert_eq!(s.matches(origin("https://a.example")), Some(OriginMatch::Exact(&1)));
}

#[test]
fn exact_wins_over_pattern_which_wins_over_any() {
    let s = set(&["*", "https://*.example.com", "https://app.example.com"]);
    assert_eq!(s.matches(origin("https://app.example.com")), Some(OriginMatch::Exact(&())));
    assert_eq!(s.matches(origin("https://x.example.com")), Some(OriginMatch::Pattern));
    assert_eq!(s.matches(origin("https://other.example")), Some(OriginMatch::Any));
    assert!(s.contains_any());
}

#[test]
fn null_is_in_a_set_only_when_listed() {
    let null = OriginRef::parse(b"null").unwrap();
    assert!(set(&["https://*.example.com", "http://localhost:*"]).matches(null).is_none());
    assert_eq!(set(&["null"]).matches(null), Some(OriginMatch::Exact(&())));
}

#[test]
fn shared_suffix_exact_origins_do_not_admit_their_concatenation() {
    // GHSA-vhxv-fg4m-p2w8: allowing foo.com and bar.com also allowed barfoo.com.
    let s = set(&["https://foo.com", "https://bar.com"]);
    for probe in [
        "https://barfoo.com",
        "https://foobar.com",
        "https://foo.com.bar.com",
        "https://oo.com",
        "https://ar.com",
        "https://bar.foo.com",
    ] {
        assert!(s.matches(origin(probe)).is_none(), "{probe}");
    }
    assert!(s.matches(origin("https://foo.com")).is_some());
    assert!(s.matches(origin("https://bar.com")).is_some());
}

#[test]
fn shared_suffix_subdomain_patterns_do_not_admit_their_concatenation() {
    let s = set(&["https://*.foo.com", "https://*.bar.com"]);
    for probe in
        ["https://barfoo.com", "https://x.barfoo.com", "https://foo.com", "https://bar.com", "https://xfoo.com"]
    {
        assert!(s.matches(origin(probe)).is_none(), "{probe}");
    }
    assert!(s.matches(origin("https://x.bar.foo.com")).is_some(), "x.bar.foo.com is under foo.com");
}

#[test]
fn several_port_rules_for_one_host_are_all_honoured() {
    let s =
        set(&["http://localhost:3000", "http://localhost:8080", "https://*.example.com", "https://*.example.com:8443"]);
    assert!(s.matches(origin("http://localhost:3000")).is_some());
    assert!(s.matches(origin("http://localhost:8080")).is_some());
    assert!(s.matches(origin("http://localhost:5000")).is_none());
    assert!(s.matches(origin("https://a.example.com")).is_some());
    assert!(s.matches(origin("https://a.example.com:8443")).is_some());
    assert!(s.matches(origin("https://a.example.com:9443")).is_none());
}

#[test]
fn parents_of_different_lengths_are_all_found() {
    let s = set(&["https://*.b.c", "https://*.a-rather-long-domain-name.example.org", "https://*.mid.example.net"]);
    for yes in [
        "https://x.b.c",
        "https://x.y.z.b.c",
        "https://q.a-rather-long-domain-name.example.org",
        "https://a.b.mid.example.net",
    ] {
        assert!(s.matches(origin(yes)).is_some(), "{yes}");
    }
    for no in ["https://b.c", "https://xb.c", "https://example.org", "https://mid.example.net", "https://x.b.c.d"] {
        assert!(s.matches(origin(no)).is_none(), "{no}");
    }
}

#[test]
fn wildcard_tables_are_per_scheme() {
    let s = set(&["https://*.example.com", "wss://localhost:*"]);
    assert!(s.matches(origin("http://a.example.com")).is_none());
    assert!(s.matches(origin("ws://localhost:1")).is_none());
    assert!(s.matches(origin("wss://localhost:1")).is_some());
}

#[test]
fn thousand_exact_origins_plus_patterns_match_exactly() {
    let mut s = OriginSet::new();
    for i in 0..1000 {
        s.insert(pat(&format!("https://app{i}.example.com")), i);
    }
    s.insert(pat("https://*.staging.example.net"), usize::MAX);
    s.insert(pat("http://localhost:*"), usize::MAX);
    for i in 0..1000 {
        let o = format!("https://app{i}.example.com");
        assert_eq!(s.matches(origin(&o)), Some(OriginMatch::Exact(&i)), "{o}");
    }
    for miss in [
        "https://app1000.example.com",
        "https://app1.example.com:8443",
        "http://app1.example.com",
        "https://app1.example.com.",
        "https://xapp1.example.com",
        "https://example.com",
        "https://staging.example.net",
    ] {
        assert!(s.matches(origin(miss)).is_none(), "{miss}");
    }
    assert_eq!(s.matches(origin("https://a.staging.example.net")), Some(OriginMatch::Pattern));
    assert_eq!(s.matches(origin("http://localhost:5173")), Some(OriginMatch::Pattern));
    assert!(!s.contains_any());
    assert_eq!(s.patterns().len(), 1002);
}

#[test]
fn patterns_are_kept_in_insertion_order() {
    let s = set(&["https://b.example", "*", "https://a.example"]);
    let shown: Vec<String> = s.patterns().iter().map(|p| p.to_string()).collect();
    assert_eq!(shown, ["https://b.example", "*", "https://a.example"]);
}

#[test]
fn a_non_canonical_subdomain_of_an_address_reports_the_address() {
    // Proposing `http://*.127.0.0.1:1` would propose another invalid pattern.
    assert!(matches!(OriginPattern::parse("http://*.127.0.0.1:1/"), Err(PatternError::SubdomainOfAddress { .. })));
    assert!(matches!(OriginPattern::parse("http://*.127.1"), Err(PatternError::SubdomainOfAddress { .. })));
    assert!(hint("http://localhost:8080/:*").contains("either a port or `:*`"));
}

#[test]
fn the_table_hasher_spreads_similar_origins() {
    use std::collections::HashSet;
    use std::hash::{BuildHasher, BuildHasherDefault};
    let build = BuildHasherDefault::<TableHasher>::default();
    let names: Vec<String> = (0..10_000).map(|i| format!("https://app{i}.example.com")).collect();
    let hashes: Vec<u64> = names.iter().map(|n| build.hash_one(n.as_str())).collect();
    let distinct: HashSet<u64> = hashes.iter().copied().collect();
    assert_eq!(distinct.len(), names.len(), "no full collisions among 10k similar names");
    // hashbrown picks the bucket from the low bits and the tag from the top 7: both must vary.
    let low: HashSet<u64> = hashes.iter().map(|h| h & 0x3ff).collect();
    let top: HashSet<u64> = hashes.iter().map(|h| h >> 57).collect();
    assert!(low.len() > 1000, "low 10 bits: {} of 1024 buckets used", low.len());
    assert_eq!(top.len(), 128, "every 7-bit tag appears");
}

#[test]
fn a_set_of_ten_thousand_origins_finds_each_and_nothing_else() {
    let mut set = OriginSet::new();
    for i in 0..10_000 {
        set.insert(OriginPattern::parse(&format!("https://app{i}.example.com")).unwrap(), i);
    }
    for i in (0..10_000).step_by(7) {
        let o = format!("https://app{i}.example.com");
        assert_eq!(set.matches(OriginRef::parse(o.as_bytes()).unwrap()), Some(OriginMatch::Exact(&i)));
    }
    for o in ["https://app10000.example.com", "https://app1.example.co", "http://app1.example.com"] {
        assert_eq!(set.matches(OriginRef::parse(o.as_bytes()).unwrap()), None, "{o}");
    }
}

/// Patterns of the shapes `quick.rs` proves from bytes (the first four wildcards), and some it
/// must leave to the general path: a fifth wildcard, an exact origin, other shapes.
const QUICK_PATTERNS: [&str; 8] = [
    "https://*.example.com",
    "http://localhost:*",
    "capacitor://*.app.example",
    "http://127.0.0.1:*",
    "https://*.a-b_c.example",
    "http://app.test:8080",
    "https://*.example.com:*",
    "http://[::1]:*",
];

#[test]
fn the_usual_pattern_shapes_are_proven_from_bytes() {
    let s = set(&QUICK_PATTERNS);
    for o in [
        "https://pr-7.staging.example.com",
        "https://a.example.com",
        "http://localhost",
        "http://localhost:5173",
        "http://127.0.0.1:9",
        "capacitor://ios.app.example",
    ] {
        assert!(s.matches_pattern_bytes(o.as_bytes()), "{o}");
        assert_eq!(s.matches(origin(o)), Some(OriginMatch::Pattern), "{o}");
    }
    // Not proven here (the general path decides them): the shapes beyond the first four, other
    // ports, malformed and non-matching values.
    for o in [
        "https://x_y.a-b_c.example",
        "https://a.example.com:8443",
        "http://[::1]:3000",
        "http://localhost:80",
        "http://localhost:05173",
        "http://localhost:0",
        "http://localhost:65536",
        "http://localhost:",
        "http://app.test",
        "http://app.test:8081",
        "https://example.com",
        "https://.example.com",
        "https://a..example.com",
        "https://a.example.com.",
        "https://A.example.com",
        "https://a.example.com/",
        "HTTPS://a.example.com",
        "https://a.evil-example.com",
    ] {
        assert!(!s.matches_pattern_bytes(o.as_bytes()), "{o}");
    }
}

#[test]
fn patterns_past_the_first_four_are_matched_by_the_general_path_alone() {
    let s = set(&[
        "https://*.a.example",
        "https://*.b.example",
        "https://*.c.example",
        "https://*.d.example",
        "https://*.e.example",
    ]);
    assert!(s.matches_pattern_bytes(b"https://x.d.example"));
    assert!(!s.matches_pattern_bytes(b"https://x.e.example"));
    assert_eq!(s.matches(origin("https://x.e.example")), Some(OriginMatch::Pattern));
}

#[test]
fn every_port_the_quick_path_proves_the_general_path_matches() {
    let s = set(&QUICK_PATTERNS);
    let mut proven = 0;
    for p in 0..=70_000u32 {
        for value in
            [format!("http://localhost:{p}"), format!("http://localhost:0{p}"), format!("http://127.0.0.1:{p}")]
        {
            if s.matches_pattern_bytes(value.as_bytes()) {
                proven += 1;
                let parsed = OriginRef::parse(value.as_bytes()).unwrap_or_else(|| panic!("{value}"));
                assert_eq!(s.matches_wildcards(parsed), Some(OriginMatch::Pattern), "{value}");
            }
        }
    }
    // Ports 1 to 65535 but the default, on two hosts.
    assert_eq!(proven, 2 * 65_534);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]

    /// What the quick path proves, the general path (parse, then the tables) agrees with.
    #[test]
    fn a_quick_match_is_a_general_match(
        scheme in proptest::sample::select(vec!["https", "https", "http", "http", "capacitor", "HTTPS", "ftp", "https:"]),
        sep in proptest::sample::select(vec!["://", "://", "://", ":/", ":///", "//"]),
        // Mostly label bytes and dots (so many values are proven), sometimes anything near.
        labels in proptest::prop_oneof![
            3 => "[a-z0-9_.\\-]{0,70}",
            1 => "[a-z.]{0,3}[a-z]{60,66}\\.?",
            1 => "[a-z0-9_.A\\-:\\[\\]/%\u{e9}]{0,70}",
        ],
        parent in proptest::sample::select(vec![
            ".example.com", ".example.com", ".example.com", "localhost", ".app.example", "example.com", ".example.com.", ".EXAMPLE.com", "", ".a-b_c.example",
            "localhost", ".app.example", "127.0.0.1", "app.test", "[::1]",
        ]),
        port in proptest::sample::select(vec![
            "", "", "", "", "", ":5173", ":", ":0", ":443", ":80", ":8080", ":5173", ":65535", ":65536", ":05173", ":*", ":1:2", " ",
        ]),
    ) {
        let s = set(&QUICK_PATTERNS);
        let value = format!("{scheme}{sep}{labels}{parent}{port}");
        if s.matches_pattern_bytes(value.as_bytes()) {
            let parsed = OriginRef::parse(value.as_bytes());
            proptest::prop_assert!(parsed.is_some(), "{value} proven but does not parse");
            proptest::prop_assert_eq!(s.matches_wildcards(parsed.unwrap()), Some(OriginMatch::Pattern), "{}", value);
        }
    }
}
