use super::*;

// Helpers ---------------------------------------------------------------------------------------

fn header(s: &str) -> Option<OriginRef<'_>> {
    OriginRef::parse(s.as_bytes())
}

fn assert_header_refused(cases: &[&str]) {
    for case in cases {
        assert_eq!(header(case), None, "a browser never sends Origin: {case:?}");
    }
}

/// The canonical form a configured origin's error proposes.
fn canonical_of(text: &str) -> String {
    match Origin::parse_configured(text) {
        Err(OriginError::NotCanonical { canonical, .. }) => canonical,
        other => panic!("{text:?}: expected NotCanonical, got {other:?}"),
    }
}

fn reason_of(text: &str) -> &'static str {
    match Origin::parse_configured(text) {
        Err(OriginError::NotCanonical { reason, .. }) | Err(OriginError::Malformed { reason, .. }) => reason,
        other => panic!("{text:?}: expected an error with a reason, got {other:?}"),
    }
}

fn url(s: &str) -> url::Url {
    url::Url::parse(s).unwrap()
}

// The Origin header: browsers send exactly the ASCII serialisation ------------------------------

#[test]
fn header_accepts_the_serialisations_browsers_send() {
    for ok in [
        "https://example.com",
        "http://example.com",
        "https://app.example.com",
        "http://localhost:8080",
        "http://127.0.0.1:3000",
        "http://[::1]:8080",
        "https://xn--bcher-kva.example",
        "https://a-b.example.com",
        "https://1password.com",
        "https://example.com:65535",
        "https://example.com:1",
        "chrome-extension://abcdefghijklmnop",
        "moz-extension://3f1b0c1e-aaaa-bbbb-cccc-0123456789ab",
    ] {
        let o = header(ok).unwrap_or_else(|| panic!("{ok} is how browsers serialise an origin"));
        assert_eq!(o.as_str(), ok);
    }
}

#[test]
fn header_accepts_null_the_opaque_origin() {
    let o = header("null").unwrap();
    assert!(o.is_null());
    assert_eq!((o.scheme(), o.host(), o.port()), ("", "", None));
}

#[test]
fn header_null_is_case_sensitive() {
    assert_header_refused(&["NULL", "Null", "nuLL", " null", "null ", "null\t"]);
}

#[test]
fn header_refuses_upper_case_scheme_or_host() {
    assert_header_refused(&[
        "HTTPS://example.com",
        "Https://example.com",
        "https://Example.com",
        "https://EXAMPLE.COM",
    ]);
}

#[test]
fn header_refuses_trailing_slash_path_query_fragment() {
    assert_header_refused(&[
        "https://example.com/",
        "https://example.com/path",
        "https://example.com?x=1",
        "https://example.com#top",
        "https://example.com:8443/",
    ]);
}

#[test]
fn header_refuses_explicit_default_ports() {
    assert_header_refused(&[
        "https://example.com:443",
        "http://example.com:80",
        "wss://example.com:443",
        "ws://example.com:80",
    ]);
}

#[test]
fn header_keeps_ports_that_are_default_only_for_another_scheme() {
    // `:443` is only elided for https; on http it is a real port and must be kept.
    assert_eq!(header("http://example.com:443").unwrap().port(), Some(443));
    assert_eq!(header("https://example.com:80").unwrap().port(), Some(80));
}

#[test]
fn header_refuses_ports_with_leading_zeros() {
    assert_header_refused(&[
        "http://localhost:08080",
        "http://localhost:0080",
        "http://localhost:00",
        "http://localhost:01",
    ]);
}

#[test]
fn header_refuses_ports_above_65535() {
    assert_header_refused(&["http://localhost:65536", "http://localhost:99999", "http://localhost:123456"]);
}

#[test]
fn header_refuses_port_zero_which_fetch_calls_a_bad_port() {
    assert_header_refused(&["http://localhost:0", "https://example.com:0"]);
}

#[test]
fn header_refuses_non_numeric_and_empty_ports() {
    assert_header_refused(&[
        "http://localhost:",
        "http://localhost:+80",
        "http://localhost:12345foo",
        "http://localhost:8 0",
        "http://localhost:-1",
    ]);
}

#[test]
fn header_refuses_userinfo() {
    assert_header_refused(&["https://user@example.com", "https://user:pw@example.com", "https://@example.com"]);
}

#[test]
fn header_refuses_white_space_anywhere() {
    assert_header_refused(&[
        " https://example.com",
        "https://example.com ",
        "https://exa mple.com",
        "https://example.com\t",
        "https://example.com\r\n",
    ]);
}

#[test]
fn header_refuses_non_ascii_bytes() {
    assert_header_refused(&["https://bücher.example", "https://exämple.com"]);
    assert_eq!(OriginRef::parse(b"https://ex\xffample.com"), None);
    assert_eq!(OriginRef::parse(b"https://example.com\x00"), None);
}

#[test]
fn header_refuses_ipv6_that_is_not_the_shortest_form() {
    assert_header_refused(&[
        "http://[0:0:0:0:0:0:0:1]",
        "http://[::0001]",
        "http://[0::1]",
        "http://[::1%25eth0]",
        "http://[::FFFF:7f00:1]",
        "http://[2001:DB8::1]",
        "http://[2001:db8:0:0:1:0:0:1]",
    ]);
}

#[test]
fn header_ipv6_compresses_the_first_longest_run_of_zeros() {
    // WHATWG URL: the first longest run of two or more zero pieces becomes `::`.
    assert!(header("http://[2001:db8::1:0:0:1]").is_some());
    assert!(header("http://[1::2:0:0:1:1]").is_some());
    assert!(header("http://[1:0:0:2::1]").is_some(), "the longer run wins");
    assert!(header("http://[1::2:0:0:3:4]").is_some());
    assert!(header("http://[1:0:0:2::3:4]").is_none(), "ties go to the first run");
    // A single zero piece is never compressed.
    assert!(header("http://[1:0:2:3:4:5:6:7]").is_some());
    assert!(header("http://[1::2:3:4:5:6:7]").is_none());
}

#[test]
fn header_ipv4_mapped_ipv6_is_hex_as_browsers_write_it() {
    // WHATWG serialises ::ffff:127.0.0.1 as ::ffff:7f00:1 (no embedded dotted quad).
    assert_eq!(url("http://[::ffff:127.0.0.1]/").origin().ascii_serialization(), "http://[::ffff:7f00:1]");
    assert!(header("http://[::ffff:7f00:1]").is_some());
    assert!(header("http://[::ffff:127.0.0.1]").is_none());
}

#[test]
fn header_refuses_ipv4_shorthands_browsers_normalise() {
    assert_header_refused(&[
        "http://127.1",
        "http://0x7f.0.0.1",
        "http://0177.0.0.1",
        "http://127.000.000.001",
        "http://2130706433",
        "http://127.0.0.1.",
        "http://256.0.0.1",
    ]);
}

#[test]
fn header_refuses_hosts_whose_last_label_is_a_number() {
    // The URL parser would read these as IPv4 (and fail), so no browser origin has them.
    assert_header_refused(&["https://example.123", "http://foo.1", "http://a.b.0"]);
    // Digits elsewhere are fine.
    assert!(header("https://123.example").is_some());
}

#[test]
fn header_refuses_empty_and_bare_schemes() {
    assert_header_refused(&[
        "",
        "https://",
        "https:",
        "https:/example.com",
        "https:example.com",
        "://example.com",
        "example.com",
    ]);
}

#[test]
fn header_refuses_empty_labels_and_overlong_labels() {
    assert_header_refused(&["https://a..example.com", "https://.example.com", "https://example..com"]);
    let long_label = format!("https://{}.com", "a".repeat(64));
    assert_eq!(header(&long_label), None, "a DNS label has at most 63 bytes");
    let max_label = format!("https://{}.com", "a".repeat(63));
    assert!(header(&max_label).is_some());
}

#[test]
fn header_refuses_hosts_over_253_bytes() {
    let labels = vec!["a".repeat(63); 4].join("."); // 255 bytes
    assert_eq!(header(&format!("https://{labels}")), None);
    let ok = [&"a".repeat(63)[..], &"a".repeat(63), &"a".repeat(63), &"a".repeat(61)].join("."); // 253
    assert!(header(&format!("https://{ok}")).is_some());
}

#[test]
fn header_refuses_values_over_512_bytes_before_reading_them() {
    let long = format!("https://{}", "a".repeat(MAX_ORIGIN_LEN));
    assert!(long.len() > MAX_ORIGIN_LEN);
    assert_eq!(header(&long), None);
    let huge = vec![b'a'; 1 << 20];
    assert_eq!(OriginRef::parse(&huge), None);
}

#[test]
fn header_refuses_percent_encoding_and_forbidden_host_characters() {
    assert_header_refused(&[
        "https://exa%6dple.com",
        "https://a<b.com",
        "https://a^b.com",
        "https://a|b.com",
        "https://a\\b.com",
    ]);
}

#[test]
fn header_refuses_comma_joined_origins() {
    // Node folds repeated unknown headers with ", "; the result is not one origin.
    assert_header_refused(&["https://a.example, https://b.example", "https://a.example,https://b.example"]);
}

#[test]
fn header_refuses_malformed_ipv6_brackets() {
    assert_header_refused(&[
        "http://[::1",
        "http://::1]",
        "http://[::1]x",
        "http://[::1]:",
        "http://[]",
        "http://[::1]]",
        "http://[zz::1]",
    ]);
}

#[test]
fn header_refuses_upper_case_and_odd_scheme_syntax() {
    assert_header_refused(&[
        "1http://example.com",
        "-http://example.com",
        "ht_tp://example.com",
        "htt p://example.com",
    ]);
    let long_scheme = format!("{}://example.com", "a".repeat(65));
    assert_eq!(header(&long_scheme), None);
}

#[test]
fn header_exposes_scheme_host_and_port() {
    let o = header("http://[::1]:8080").unwrap();
    assert_eq!((o.scheme(), o.host(), o.port()), ("http", "[::1]", Some(8080)));
    let o = header("https://app.example.com").unwrap();
    assert_eq!((o.scheme(), o.host(), o.port()), ("https", "app.example.com", None));
    assert!(!o.is_null());
}

#[test]
fn header_trailing_dot_is_a_distinct_host() {
    // `example.com.` is a legal, different origin; it must not equal `example.com`.
    let dotted = header("https://example.com.").unwrap();
    assert_ne!(dotted.as_str(), "https://example.com");
    assert_eq!(dotted.host(), "example.com.");
    assert_eq!(header("https://example.com.."), None);
}

#[test]
fn parse_header_owned_errors_say_empty_or_malformed() {
    assert_eq!(Origin::parse_header(b""), Err(OriginError::Empty));
    assert!(matches!(Origin::parse_header(b"https://Example.com"), Err(OriginError::Malformed { .. })));
    let ok = Origin::parse_header(b"https://example.com").unwrap();
    assert_eq!(ok.as_str(), "https://example.com");
}

#[test]
fn parse_header_error_value_is_bounded() {
    let huge = vec![b'x'; 100_000];
    match Origin::parse_header(&huge) {
        Err(OriginError::Malformed { value, .. }) => assert!(value.len() <= MAX_ORIGIN_LEN),
        other => panic!("{other:?}"),
    }
}

// Configured origins: non-canonical spellings are errors carrying the canonical form -----------

#[test]
fn configured_canonical_origins_parse_unchanged() {
    for ok in [
        "https://example.com",
        "http://localhost:3000",
        "http://127.0.0.1:8080",
        "http://[::1]",
        "https://a.b.example.com:8443",
    ] {
        assert_eq!(Origin::parse_configured(ok).unwrap().as_str(), ok);
    }
}

#[test]
fn configured_trailing_slash_names_the_canonical_form() {
    assert_eq!(canonical_of("https://example.com/"), "https://example.com");
    assert_eq!(reason_of("https://example.com/"), "trailing slash");
}

#[test]
fn configured_path_query_fragment_name_the_canonical_form() {
    for text in
        ["https://example.com/app", "https://example.com/?q=1", "https://example.com#x", "https://example.com/a/b/"]
    {
        assert_eq!(canonical_of(text), "https://example.com", "{text}");
        assert!(reason_of(text).contains("path"), "{text}");
    }
}

#[test]
fn configured_upper_case_names_the_lower_case_form() {
    assert_eq!(canonical_of("https://App.Example.COM"), "https://app.example.com");
    assert_eq!(canonical_of("HTTPS://example.com"), "https://example.com");
    assert_eq!(reason_of("https://App.Example.COM"), "upper case");
}

#[test]
fn configured_default_port_on_https_is_an_error() {
    assert_eq!(canonical_of("https://example.com:443"), "https://example.com");
    assert_eq!(reason_of("https://example.com:443"), "default port is never written");
}

#[test]
fn configured_default_port_on_http_is_an_error() {
    assert_eq!(canonical_of("http://example.com:80"), "http://example.com");
    assert_eq!(reason_of("http://example.com:80"), "default port is never written");
}

#[test]
fn configured_ipv4_shorthand_names_the_dotted_quad() {
    assert_eq!(canonical_of("http://127.1"), "http://127.0.0.1");
    assert_eq!(canonical_of("http://0x7f000001:8080"), "http://127.0.0.1:8080");
    assert_eq!(canonical_of("http://2130706433"), "http://127.0.0.1");
    assert_eq!(reason_of("http://127.1"), "host or port not in canonical form");
}

#[test]
fn configured_ipv6_long_form_names_the_short_form() {
    assert_eq!(canonical_of("http://[0:0:0:0:0:0:0:1]:8080"), "http://[::1]:8080");
    assert_eq!(canonical_of("http://[::FFFF:127.0.0.1]"), "http://[::ffff:7f00:1]");
}

#[test]
fn configured_port_with_leading_zero_names_the_plain_port() {
    assert_eq!(canonical_of("http://localhost:03000"), "http://localhost:3000");
    assert_eq!(reason_of("http://localhost:03000"), "host or port not in canonical form");
}

#[test]
fn configured_empty_port_is_an_error() {
    assert_eq!(canonical_of("https://example.com:"), "https://example.com");
    assert_eq!(reason_of("https://example.com:"), "empty port");
}

#[test]
fn configured_userinfo_is_an_error() {
    assert_eq!(canonical_of("https://user:pw@example.com"), "https://example.com");
    assert_eq!(reason_of("https://user@example.com"), "user name or password");
}

#[test]
fn configured_surrounding_white_space_is_an_error() {
    assert_eq!(canonical_of(" https://example.com"), "https://example.com");
    assert_eq!(canonical_of("https://example.com\n"), "https://example.com");
    assert_eq!(reason_of("\thttps://example.com "), "surrounding white space");
}

#[test]
fn configured_port_zero_and_out_of_range_ports_are_malformed() {
    assert!(matches!(Origin::parse_configured("http://localhost:0"), Err(OriginError::Malformed { .. })));
    assert!(matches!(Origin::parse_configured("http://localhost:65536"), Err(OriginError::Malformed { .. })));
    assert!(matches!(Origin::parse_configured("http://localhost:12345foo"), Err(OriginError::Malformed { .. })));
}

#[test]
fn configured_file_scheme_has_no_origin() {
    for text in ["file:///etc/passwd", "file://host/share", "FILE:///x"] {
        assert_eq!(Origin::parse_configured(text), Err(OriginError::OpaqueScheme { value: text.into() }), "{text}");
    }
}

#[test]
fn configured_other_opaque_schemes_have_no_origin_even_without_slashes() {
    for text in ["data:text/plain,hi", "about:blank", "javascript:alert(1)", "blob:https://a.example/uuid"] {
        assert!(matches!(Origin::parse_configured(text), Err(OriginError::OpaqueScheme { .. })), "{text}");
    }
}

#[test]
fn configured_missing_scheme_suggests_https() {
    let err = Origin::parse_configured("example.com").unwrap_err();
    assert!(matches!(err, OriginError::Malformed { reason: "no scheme", .. }));
    assert!(err.to_string().contains("write `https://example.com`"), "{err}");
    let err = Origin::parse_configured("localhost:3000").unwrap_err();
    assert!(err.to_string().contains("write `https://localhost:3000`"), "{err}");
}

#[test]
fn configured_idn_is_accepted_and_stored_as_punycode() {
    let o = Origin::parse_configured("https://bücher.example").unwrap();
    assert_eq!(o.as_str(), "https://xn--bcher-kva.example");
    let o = Origin::parse_configured("https://bücher.example:8443").unwrap();
    assert_eq!(o.as_str(), "https://xn--bcher-kva.example:8443");
}

#[test]
fn configured_idn_with_another_mistake_still_reports_it() {
    assert_eq!(canonical_of("https://bücher.example/"), "https://xn--bcher-kva.example");
    assert_eq!(reason_of("https://bücher.example:443"), "default port is never written");
    assert_eq!(reason_of("HTTPS://bücher.example"), "upper case");
    assert_eq!(reason_of("https://BÜCHER.example"), "upper case");
}

#[test]
fn configured_invalid_punycode_is_malformed() {
    assert!(matches!(Origin::parse_configured("https://xn--a.example"), Err(OriginError::Malformed { .. })));
}

#[test]
fn configured_null_is_the_opaque_origin_and_case_sensitive() {
    assert!(Origin::parse_configured("null").unwrap().is_null());
    assert_eq!(canonical_of("NULL"), "null");
    assert_eq!(canonical_of("Null"), "null");
}

#[test]
fn configured_empty_is_its_own_error() {
    assert_eq!(Origin::parse_configured(""), Err(OriginError::Empty));
    assert!(OriginError::Empty.to_string().contains("write e.g. `https://"));
}

#[test]
fn configured_ok_implies_the_header_parser_accepts_the_result() {
    for text in [
        "https://bücher.example",
        "http://[::1]:1",
        "http://127.0.0.1",
        "chrome-extension://abc",
        "https://a_b.example",
    ] {
        let o = Origin::parse_configured(text).unwrap();
        assert_eq!(OriginRef::parse(o.as_str().as_bytes()).map(|r| r.as_str()), Some(o.as_str()), "{text}");
    }
}

#[test]
fn from_str_is_the_configured_parser() {
    assert_eq!("https://example.com".parse::<Origin>().unwrap().as_str(), "https://example.com");
    assert!("https://example.com/".parse::<Origin>().is_err());
}

// Error messages say what to write -------------------------------------------------------------

#[test]
fn not_canonical_display_says_write_the_canonical_form() {
    let err = Origin::parse_configured("https://Example.com:443/").unwrap_err();
    let text = err.to_string();
    assert!(text.contains("write `https://example.com`"), "{text}");
    assert!(text.contains("`https://Example.com:443/`"), "{text}");
}

#[test]
fn opaque_scheme_display_explains_null() {
    let text = Origin::parse_configured("file:///x").unwrap_err().to_string();
    assert!(text.contains("Origin: null") && text.contains("dangerously_allow_null"), "{text}");
}

#[test]
fn error_messages_escape_control_and_non_ascii_characters() {
    let text = Origin::parse_configured("https://exa\u{7}mple.com").unwrap_err().to_string();
    assert!(!text.contains('\u{7}'), "{text:?}");
    assert!(text.contains("\\u{7}"), "{text}");
}

// Lenient parsing: page URLs and command-line input --------------------------------------------

#[test]
fn lenient_parse_takes_the_origin_of_any_url() {
    assert_eq!(Origin::parse("https://App.Example.com/path?q#f").unwrap().as_str(), "https://app.example.com");
    assert_eq!(Origin::parse("http://localhost:80/").unwrap().as_str(), "http://localhost");
    assert_eq!(Origin::parse("  https://a.example  ").unwrap().as_str(), "https://a.example");
    assert_eq!(Origin::parse("https://user:pw@a.example:8443/x").unwrap().as_str(), "https://a.example:8443");
    assert_eq!(Origin::parse("http://127.1:3000").unwrap().as_str(), "http://127.0.0.1:3000");
}

#[test]
fn lenient_parse_gives_null_for_opaque_schemes() {
    assert!(Origin::parse("file:///etc/hosts").unwrap().is_null());
    assert!(Origin::parse("data:text/html,hi").unwrap().is_null());
    assert!(Origin::parse("about:blank").unwrap().is_null());
    assert!(Origin::parse("null").unwrap().is_null());
}

#[test]
fn lenient_parse_refuses_what_is_not_a_url() {
    assert_eq!(Origin::parse(""), Err(OriginError::Empty));
    assert_eq!(Origin::parse("   "), Err(OriginError::Empty));
    assert!(matches!(Origin::parse("not a url"), Err(OriginError::Malformed { .. })));
    assert!(matches!(Origin::parse("http://localhost:0"), Err(OriginError::Malformed { .. })));
}

#[test]
fn of_url_keeps_host_of_non_special_schemes() {
    assert_eq!(Origin::of_url(&url("chrome-extension://abc/page.html")).as_str(), "chrome-extension://abc");
    assert!(Origin::of_url(&url("mailto:a@b.example")).is_null());
}

#[test]
fn of_url_blob_urls_have_their_creators_origin() {
    assert_eq!(Origin::of_url(&url("blob:https://a.example/1234")).as_str(), "https://a.example");
}

#[test]
fn of_url_ipv4_mapped_ipv6_is_a_tuple_origin() {
    let o = Origin::of_url(&url("http://[::ffff:127.0.0.1]:8080/"));
    assert_eq!(o.as_str(), "http://[::ffff:7f00:1]:8080");
    assert!(!o.is_null());
}

// Loopback and trustworthiness -----------------------------------------------------------------

fn o(s: &str) -> Origin {
    Origin::parse_header(s.as_bytes()).unwrap()
}

#[test]
fn loopback_hosts_are_localhost_names_and_loopback_addresses() {
    for yes in [
        "http://localhost",
        "http://app.localhost:3000",
        "http://127.0.0.1",
        "http://127.255.255.254:1",
        "http://[::1]",
        "http://localhost.",
    ] {
        assert!(o(yes).is_loopback(), "{yes}");
    }
}

#[test]
fn loopback_excludes_look_alikes() {
    for no in [
        "http://localhost.evil.com",
        "http://localhostx",
        "http://128.0.0.1",
        "http://10.0.0.1",
        "http://[::2]",
        "https://example.com",
        "http://0.0.0.0",
    ] {
        assert!(!o(no).is_loopback(), "{no}");
    }
    assert!(!Origin::null().is_loopback());
}

#[test]
fn potentially_trustworthy_is_https_wss_or_loopback() {
    for yes in [
        "https://example.com",
        "wss://example.com",
        "http://localhost:3000",
        "http://127.0.0.1",
        "http://[::1]:8080",
        "http://a.localhost",
    ] {
        assert!(o(yes).is_potentially_trustworthy(), "{yes}");
    }
    for no in ["http://example.com", "ws://example.com", "http://192.168.1.1", "http://localhost.example.com"] {
        assert!(!o(no).is_potentially_trustworthy(), "{no}");
    }
}

#[test]
fn null_is_never_trustworthy() {
    assert!(!Origin::null().is_potentially_trustworthy());
}

#[test]
fn host_kind_tells_domains_from_addresses() {
    assert_eq!(o("https://example.com").host_kind(), Some(HostKind::Domain));
    assert_eq!(o("http://127.0.0.1").host_kind(), Some(HostKind::Ipv4(Ipv4Addr::LOCALHOST)));
    assert_eq!(o("http://[::1]").host_kind(), Some(HostKind::Ipv6(Ipv6Addr::LOCALHOST)));
    assert_eq!(Origin::null().host_kind(), None);
}

#[test]
fn effective_port_fills_in_the_scheme_default() {
    assert_eq!(o("https://example.com").effective_port(), Some(443));
    assert_eq!(o("http://example.com").effective_port(), Some(80));
    assert_eq!(o("https://example.com:8443").effective_port(), Some(8443));
    assert_eq!(o("chrome-extension://abc").effective_port(), None);
    assert_eq!(default_port("wss"), Some(443));
    assert_eq!(default_port("gopher"), None);
}

// Same-origin: scheme, host and port all equal -------------------------------------------------

#[test]
fn same_origin_ignores_path_and_default_port() {
    let a = o("https://a.example");
    assert!(a.same_origin_as(&url("https://a.example/x?y#z")));
    assert!(a.same_origin_as(&url("https://a.example:443/")));
    assert!(a.same_origin_as(&url("https://A.EXAMPLE/")));
}

#[test]
fn same_origin_differs_by_scheme_host_or_port() {
    let a = o("https://a.example");
    assert!(!a.same_origin_as(&url("http://a.example/")));
    assert!(!a.same_origin_as(&url("https://b.a.example/")));
    assert!(!a.same_origin_as(&url("https://a.example:8443/")));
    assert!(!a.same_origin_as(&url("https://a.example.evil.com/")));
}

#[test]
fn opaque_origins_are_never_same_origin_even_with_each_other() {
    assert!(!Origin::null().same_origin_as(&url("file:///etc/hosts")));
    assert!(!Origin::null().same_origin_as(&url("data:text/plain,x")));
}

#[test]
fn equality_is_equality_of_serialisations() {
    let from_header = Origin::parse_header(b"https://xn--bcher-kva.example").unwrap();
    let configured = Origin::parse_configured("https://bücher.example").unwrap();
    assert_eq!(from_header, configured);
    assert_eq!(OriginRef::parse(b"https://a.example").unwrap().to_owned(), o("https://a.example"));
    assert_eq!(o("https://a.example").as_ref().as_str(), "https://a.example");
    assert_eq!(format!("{:?}", o("https://a.example")), "Origin(https://a.example)");
}

#[test]
fn whatwg_ipv6_serialisation_matches_the_url_crate() {
    for text in [
        "::",
        "::1",
        "1::",
        "1:0:0:2::3",
        "::ffff:1.2.3.4",
        "::1.2.3.4",
        "2001:db8::ff00:42:8329",
        "1:2:3:4:5:6:7:8",
        "0:1::",
        "1:0:1:0:1:0:1:0",
    ] {
        let addr: Ipv6Addr = text.parse().unwrap();
        let expected = url(&format!("http://[{text}]/")).host_str().unwrap().trim_matches(['[', ']']).to_owned();
        assert_eq!(WhatwgIpv6(addr).to_string(), expected, "{text}");
    }
}

#[test]
fn configured_white_space_only_is_empty() {
    assert_eq!(Origin::parse_configured(" \t\u{b}"), Err(OriginError::Empty));
}

#[test]
fn configured_white_space_around_another_mistake_proposes_the_full_fix() {
    assert_eq!(canonical_of(" https://Example.com/ "), "https://example.com");
    assert!(matches!(
        Origin::parse_configured(" example.com"),
        Err(OriginError::Malformed { reason: "no scheme", .. })
    ));
    assert!(matches!(Origin::parse_configured("file:///x "), Err(OriginError::OpaqueScheme { .. })));
}

// The one-pass header parser against the straightforward one it replaced -----------------------

/// The previous `OriginRef::parse`, kept as the reference: several simple passes over the text.
fn reference_parse(bytes: &[u8]) -> Option<(&str, u16, u16, Option<u16>)> {
    fn is_lower_scheme(s: &str) -> bool {
        let b = s.as_bytes();
        !b.is_empty()
            && b.len() <= 64
            && b[0].is_ascii_lowercase()
            && b.iter().all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'.'))
    }
    fn split_host_port(rest: &str) -> Option<(&str, Option<&str>)> {
        if rest.starts_with('[') {
            let close = rest.find(']')?;
            let after = &rest[close + 1..];
            return match after {
                "" => Some((&rest[..=close], None)),
                _ => Some((&rest[..=close], Some(after.strip_prefix(':')?))),
            };
        }
        match rest.rfind(':') {
            Some(i) => Some((&rest[..i], Some(&rest[i + 1..]))),
            None => Some((rest, None)),
        }
    }
    if bytes.len() > MAX_ORIGIN_LEN || !bytes.is_ascii() {
        return None;
    }
    let s = std::str::from_utf8(bytes).ok()?;
    if s == "null" {
        return Some((s, 0, 0, None));
    }
    let scheme_end = s.find("://")?;
    let scheme = &s[..scheme_end];
    if !is_lower_scheme(scheme) {
        return None;
    }
    let (host, port_text) = split_host_port(&s[scheme_end + 3..])?;
    host_kind_strict(host)?;
    let port = match port_text {
        None => None,
        Some(p) => {
            let b = p.as_bytes();
            if b.is_empty() || b.len() > 5 || !b.iter().all(u8::is_ascii_digit) || b[0] == b'0' {
                return None;
            }
            let port: u16 = p.parse().ok()?;
            if default_port(scheme) == Some(port) {
                return None;
            }
            Some(port)
        }
    };
    Some((s, scheme_end as u16, (scheme_end + 3 + host.len()) as u16, port))
}

fn fields<'a>(o: Option<OriginRef<'a>>) -> Option<(&'a str, u16, u16, Option<u16>)> {
    o.map(|o| (o.serialized, o.scheme_end, o.host_end, o.port))
}

#[test]
fn the_one_pass_parser_agrees_with_the_reference_on_tricky_cases() {
    let cases = [
        "null",
        "NULL",
        "https://example.com",
        "https://example.com.",
        "https://example.com..",
        "https://.com",
        "https://a..b",
        "https://a_b-c.example",
        "https://1.2.3.4",
        "https://1.2.3.4.",
        "https://01.2.3.4",
        "https://1.2.3",
        "https://a.123",
        "https://123.a",
        "https://[::1]",
        "https://[::1]:8443",
        "https://[::1]x",
        "https://[::1]:",
        "https://[::1]:0",
        "https://[0:0::1]",
        "https://[::ffff:127.0.0.1]",
        "http://a:80",
        "http://a:8080",
        "http://a:08080",
        "http://a:65535",
        "http://a:65536",
        "http://a:",
        "http://a:80:90",
        "http://a:b",
        "https:/a",
        "https//a",
        "://a",
        "1http://a",
        "ht+tp.-x://a",
        "hTtp://a",
        "https://A.com",
        "https://a.com/",
        "https://a.com?",
        "https://a.com#",
        "https://user@a.com",
        "https://",
        "https://:80",
        "https://.",
        "https://a b",
        "https://\u{e9}.com",
        "ftp://a:21",
        "ftp://a:22",
        "ws://a:80",
        "wss://a:443",
        "https://xn--bcher-kva.example",
        "x://y",
        "https://a.b.c.d.e.f.g.h",
    ];
    for case in cases {
        assert_eq!(fields(OriginRef::parse(case.as_bytes())), reference_parse(case.as_bytes()), "{case:?}");
    }
    let long_label = format!("https://{}.com", "a".repeat(64));
    let long_host = format!("https://{}com", "abcdefghi.".repeat(26));
    let long_scheme = format!("{}://a", "a".repeat(65));
    for case in [long_label, long_host, long_scheme] {
        assert_eq!(fields(OriginRef::parse(case.as_bytes())), reference_parse(case.as_bytes()), "{case:?}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 5_000, ..Default::default() })]

    #[test]
    fn the_one_pass_parser_agrees_with_the_reference_on_generated_text(
        s in "(null|https?://|[a-z+.-]{0,3}:?/{0,2})([a-z0-9._-]{0,12}|\\[[0-9a-f:.]{0,12}\\]?)(:[0-9]{0,6})?[:/\\]a-zA-Z0-9]{0,2}"
    ) {
        proptest::prop_assert_eq!(fields(OriginRef::parse(s.as_bytes())), reference_parse(s.as_bytes()), "{:?}", s);
    }

    #[test]
    fn the_one_pass_parser_agrees_with_the_reference_on_any_bytes(b in proptest::collection::vec(proptest::num::u8::ANY, 0..40)) {
        proptest::prop_assert_eq!(fields(OriginRef::parse(&b)), reference_parse(&b));
    }
}
