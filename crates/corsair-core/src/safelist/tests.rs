use super::*;

fn safe(name: &str, value: &str) -> bool {
    is_cors_safelisted_request_header(name, value.as_bytes())
}

fn unsafe_names(headers: &[(&str, &str)]) -> Vec<String> {
    cors_unsafe_request_header_names(headers.iter().copied())
}

// The 128-byte limit ---------------------------------------------------------------------------

#[test]
fn safelisted_values_are_at_most_128_bytes() {
    let at_limit = "a".repeat(MAX_SAFELISTED_VALUE_LEN);
    let over = "a".repeat(MAX_SAFELISTED_VALUE_LEN + 1);
    for name in ["accept", "accept-language", "content-language"] {
        assert!(safe(name, &at_limit), "{name} at 128 bytes");
        assert!(!safe(name, &over), "{name} at 129 bytes");
    }
}

#[test]
fn content_type_over_128_bytes_needs_a_preflight_even_if_its_essence_is_safe() {
    let long = format!("text/plain;x={}", "a".repeat(120));
    assert!(long.len() > 128);
    assert!(!safe("content-type", &long));
}

#[test]
fn header_names_are_case_insensitive() {
    assert!(safe("ACCEPT", "text/html"));
    assert!(safe("Content-Type", "text/plain"));
    assert!(safe("Accept-Language", "en"));
    assert!(safe("RANGE", "bytes=0-"));
}

#[test]
fn names_outside_the_safelist_are_never_safe() {
    for name in
        ["x-requested-with", "authorization", "content-encoding", "last-event-id", "cache-control", "if-none-match", ""]
    {
        assert!(!safe(name, "x"), "{name}");
    }
}

// Accept ---------------------------------------------------------------------------------------

#[test]
fn accept_allows_anything_but_cors_unsafe_bytes() {
    for ok in ["*/*", "text/html, application/xhtml+xml;q=0.9", "a\tb", "", "ünïcode"] {
        assert!(safe("accept", ok), "{ok:?}");
    }
}

#[test]
fn accept_refuses_each_cors_unsafe_byte() {
    for b in b"\"():<>?@[\\]{}".iter().copied().chain([0x00, 0x01, 0x0a, 0x0d, 0x1f, 0x7f]) {
        let value = [b'a', b, b'b'];
        assert!(!is_cors_safelisted_request_header("accept", &value), "byte {b:#04x}");
    }
}

#[test]
fn cors_unsafe_bytes_are_exactly_the_standards_set() {
    let unsafe_set: Vec<u8> = (0u8..=255).filter(|&b| is_cors_unsafe_byte(b)).collect();
    let mut expected: Vec<u8> = (0u8..0x20).filter(|&b| b != b'\t').collect();
    expected.extend(b"\"():<>?@[\\]{}");
    expected.push(0x7f);
    expected.sort_unstable();
    assert_eq!(unsafe_set, expected);
}

// Accept-Language, Content-Language ------------------------------------------------------------

#[test]
fn language_headers_allow_alphanumerics_space_and_star_comma_dash_dot_semicolon_equals() {
    for name in ["accept-language", "content-language"] {
        for ok in ["en-US,en;q=0.9", "*", "de-CH, fr;q=0.5", "zh-Hant-TW", ""] {
            assert!(safe(name, ok), "{name}: {ok:?}");
        }
    }
}

#[test]
fn language_headers_refuse_other_bytes() {
    for name in ["accept-language", "content-language"] {
        for bad in ["en_US", "en\tUS", "en/US", "en:US", "é", "en'", "en+US", "en\"", "en(", "en!"] {
            assert!(!safe(name, bad), "{name}: {bad:?}");
        }
    }
}

// Content-Type ---------------------------------------------------------------------------------

#[test]
fn content_type_allows_the_three_form_essences_with_parameters() {
    for ok in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "text/plain;charset=UTF-8",
        "multipart/form-data; boundary=----x",
        "TEXT/PLAIN",
        "Application/X-WWW-Form-Urlencoded",
    ] {
        assert!(safe("content-type", ok), "{ok}");
    }
}

#[test]
fn content_type_parameters_are_not_validated() {
    // Chromium reads only the text before the first `;`.
    assert!(safe("content-type", "text/plain;garbage"));
    assert!(safe("content-type", "text/plain;;;"));
    assert!(safe("content-type", "text/plain; a b c"));
}

#[test]
fn content_type_refuses_the_ad_auction_essence_as_chromium_156_does() {
    // In the source behind a feature, but Chromium 156 preflights it.
    assert!(!safe("content-type", "message/ad-auction-trusted-signals-request"));
}

#[test]
fn content_type_trims_white_space_before_the_type_and_after_the_subtype() {
    assert!(safe("content-type", " text/plain"));
    assert!(safe("content-type", "text/plain "));
    assert!(safe("content-type", "\ttext/plain\t;charset=utf-8"));
}

#[test]
fn content_type_refuses_white_space_inside_the_essence() {
    assert!(!safe("content-type", "text /plain"));
    assert!(!safe("content-type", "text/ plain"));
}

#[test]
fn content_type_refuses_a_comma_after_the_subtype() {
    assert!(!safe("content-type", "text/plain,"));
    assert!(!safe("content-type", "text/plain,x/x"));
}

#[test]
fn content_type_refuses_other_essences() {
    for bad in [
        "application/json",
        "text/html",
        "text/plain2",
        "text",
        "text/",
        "/plain",
        "text/plain/x",
        "multipart/mixed",
        "",
    ] {
        assert!(!safe("content-type", bad), "{bad:?}");
    }
}

#[test]
fn content_type_refuses_cors_unsafe_bytes_even_in_parameters() {
    assert!(!safe("content-type", "text/plain;charset=\"utf-8\""));
    assert!(!safe("content-type", "text/plain;a=(b)"));
    assert!(!safe("content-type", "text/plain;a=b\x7f"));
}

// Range ----------------------------------------------------------------------------------------

#[test]
fn range_allows_one_bytes_range_with_first_at_most_last() {
    for ok in ["bytes=0-", "bytes=1-2", "bytes=5-5", "bytes=0-0", "bytes=100-", "bytes=00-1"] {
        assert!(safe("range", ok), "{ok}");
    }
}

#[test]
fn range_unit_must_be_lower_case_in_chromium_156() {
    assert!(!safe("range", "BYTES=1-2"));
    assert!(!safe("range", "Bytes=0-"));
}

#[test]
fn range_refuses_a_leading_plus_in_chromium_156() {
    assert!(!safe("range", "bytes=+1-2"));
    assert!(!safe("range", "bytes=1-+2"));
}

#[test]
fn range_refuses_suffix_ranges() {
    assert!(!safe("range", "bytes=-5"));
    assert!(!safe("range", "bytes=-0"));
}

#[test]
fn range_refuses_first_greater_than_last() {
    assert!(!safe("range", "bytes=2-1"));
}

#[test]
fn range_refuses_lists_of_ranges() {
    assert!(!safe("range", "bytes=0-1,3-4"));
    assert!(!safe("range", "bytes=0-1,"));
}

#[test]
fn range_refuses_white_space_anywhere() {
    for bad in ["bytes= 0-1", "bytes=0-1 ", " bytes=0-1", "bytes =0-1", "bytes=0 -1", "bytes=0-\t1"] {
        assert!(!safe("range", bad), "{bad:?}");
    }
}

#[test]
fn range_refuses_other_units_and_junk() {
    for bad in [
        "items=0-1",
        "bytes=",
        "bytes=a-b",
        "bytes=1",
        "bytes=1-2-3",
        "bytes=1-2x",
        "bytes=--1",
        "bytes=+-1",
        "bytes=1.5-2",
        "",
    ] {
        assert!(!safe("range", bad), "{bad:?}");
    }
}

#[test]
fn range_refuses_positions_from_i64_max_up() {
    assert!(!safe("range", "bytes=99999999999999999999-"));
    assert!(safe("range", "bytes=9223372036854775806-"));
    assert!(safe("range", "bytes=0-9223372036854775806"));
    // Chromium 156 refuses i64::MAX itself.
    assert!(!safe("range", "bytes=9223372036854775807-"));
    assert!(!safe("range", "bytes=0-9223372036854775807"));
    assert!(!safe("range", "bytes=0-9223372036854775808"));
}

// Chromium's client hints and Save-Data --------------------------------------------------------

#[test]
fn dpr_device_memory_and_downlink_take_a_decimal() {
    for name in ["dpr", "device-memory", "downlink"] {
        for ok in ["2", "1.5", "0.25", "10"] {
            assert!(safe(name, ok), "{name}: {ok}");
        }
        for bad in ["", ".5", "1.", "1.2.3", "-1", "1e3", "+1", " 1", "a"] {
            assert!(!safe(name, bad), "{name}: {bad:?}");
        }
    }
}

#[test]
fn width_viewport_width_and_rtt_take_digits_only() {
    for name in ["width", "viewport-width", "rtt"] {
        assert!(safe(name, "1920"), "{name}");
        assert!(safe(name, "0"), "{name}");
        for bad in ["", "1.5", "-1", "+1", "1 ", "px"] {
            assert!(!safe(name, bad), "{name}: {bad:?}");
        }
    }
}

#[test]
fn ect_takes_one_of_four_connection_types() {
    for ok in ["slow-2g", "2g", "3g", "4g"] {
        assert!(safe("ect", ok), "{ok}");
    }
    for bad in ["5g", "4G", "", "wifi", "slow-3g"] {
        assert!(!safe("ect", bad), "{bad:?}");
    }
}

#[test]
fn save_data_is_on_in_any_case() {
    assert!(safe("save-data", "on"));
    assert!(safe("save-data", "ON"));
    assert!(!safe("save-data", "off"));
    assert!(!safe("save-data", "1"));
    assert!(!safe("save-data", " on"));
}

#[test]
fn intervention_is_safelisted_with_any_value() {
    assert!(safe("intervention", "<https://example.com>; level=\"warning\""));
}

// Forbidden request headers --------------------------------------------------------------------

#[test]
fn every_listed_forbidden_name_is_forbidden_in_any_case() {
    for name in FORBIDDEN_REQUEST_HEADERS {
        assert!(is_forbidden_request_header(name, b"x"), "{name}");
        assert!(is_forbidden_request_header(&name.to_ascii_uppercase(), b"x"), "{name}");
    }
}

#[test]
fn chromium_still_forbids_user_agent() {
    assert!(is_forbidden_request_header("User-Agent", b"bot"));
}

#[test]
fn chromium_forbids_the_private_network_request_header() {
    assert!(is_forbidden_request_header("Access-Control-Request-Private-Network", b"true"));
}

#[test]
fn the_standards_forbidden_names_are_all_listed() {
    for name in [
        "Accept-Charset",
        "Accept-Encoding",
        "Access-Control-Request-Headers",
        "Access-Control-Request-Method",
        "Connection",
        "Content-Length",
        "Cookie",
        "Cookie2",
        "Date",
        "DNT",
        "Expect",
        "Host",
        "Keep-Alive",
        "Origin",
        "Referer",
        "Set-Cookie",
        "TE",
        "Trailer",
        "Transfer-Encoding",
        "Upgrade",
        "Via",
    ] {
        assert!(is_forbidden_request_header(name, b""), "{name}");
    }
}

#[test]
fn proxy_and_sec_prefixes_are_forbidden() {
    for name in ["Proxy-Authorization", "proxy-connection", "PROXY-x", "Sec-Fetch-Mode", "sec-ch-ua", "SEC-anything"] {
        assert!(is_forbidden_request_header(name, b"x"), "{name}");
    }
}

#[test]
fn names_that_merely_contain_a_forbidden_word_are_allowed() {
    for name in
        ["x-proxy-id", "proxy", "sec", "secret", "x-sec-token", "x-origin", "cookies", "authorization", "x-host"]
    {
        assert!(!is_forbidden_request_header(name, b"x"), "{name}");
    }
}

#[test]
fn method_override_headers_are_forbidden_with_a_forbidden_method() {
    for name in ["X-HTTP-Method", "X-HTTP-Method-Override", "X-Method-Override"] {
        for value in ["TRACE", "connect", "Track", "GET, TRACE", " trace ", "PUT,\tconnect"] {
            assert!(is_forbidden_request_header(name, value.as_bytes()), "{name}: {value}");
        }
    }
}

#[test]
fn method_override_headers_are_allowed_with_other_methods() {
    for name in ["x-http-method", "x-http-method-override", "x-method-override"] {
        for value in ["PATCH", "DELETE, PUT", "TRACEX", "", "TR ACE"] {
            assert!(!is_forbidden_request_header(name, value.as_bytes()), "{name}: {value}");
        }
    }
}

#[test]
fn forbidden_response_headers_are_the_set_cookies() {
    assert!(is_forbidden_response_header("Set-Cookie"));
    assert!(is_forbidden_response_header("set-cookie2"));
    assert!(!is_forbidden_response_header("cookie"));
    assert!(!is_forbidden_response_header("x-set-cookie"));
}

#[test]
fn response_safelist_is_the_seven_standard_names() {
    let mut names = SAFELISTED_RESPONSE_HEADERS;
    names.sort_unstable();
    assert_eq!(
        names,
        ["cache-control", "content-language", "content-length", "content-type", "expires", "last-modified", "pragma"]
    );
}

// The CORS-unsafe request-header names: what a preflight lists in ACRH ------------------------

#[test]
fn unsafe_names_are_lower_cased_deduplicated_and_byte_sorted() {
    let got =
        unsafe_names(&[("X-Zeta", "1"), ("x-alpha", "2"), ("X-ALPHA", "3"), ("X-Beta", "4"), ("Authorization", "5")]);
    assert_eq!(got, ["authorization", "x-alpha", "x-beta", "x-zeta"]);
}

#[test]
fn byte_sort_puts_digits_and_dashes_before_letters() {
    let got = unsafe_names(&[("x-b", "1"), ("x-a1", "1"), ("x-a", "1"), ("x-a-b", "1"), ("x-9", "1")]);
    assert_eq!(got, ["x-9", "x-a", "x-a-b", "x-a1", "x-b"]);
}

#[test]
fn safelisted_headers_are_not_listed() {
    let got = unsafe_names(&[("Accept", "*/*"), ("Content-Type", "text/plain"), ("Range", "bytes=0-"), ("X-Id", "1")]);
    assert_eq!(got, ["x-id"]);
}

#[test]
fn a_safelisted_name_with_an_unsafe_value_is_listed() {
    let got = unsafe_names(&[("Content-Type", "application/json"), ("Range", "bytes=-5")]);
    assert_eq!(got, ["content-type", "range"]);
}

#[test]
fn forbidden_headers_are_dropped_not_listed() {
    let got = unsafe_names(&[
        ("Cookie", "a=b"),
        ("User-Agent", "x"),
        ("Sec-Fetch-Mode", "cors"),
        ("Proxy-Authorization", "x"),
        ("X-HTTP-Method-Override", "TRACE"),
        ("X-Custom", "1"),
    ]);
    assert_eq!(got, ["x-custom"]);
}

#[test]
fn method_override_with_a_harmless_method_is_listed() {
    assert_eq!(unsafe_names(&[("X-HTTP-Method-Override", "PATCH")]), ["x-http-method-override"]);
}

#[test]
fn no_headers_means_an_empty_list() {
    assert!(unsafe_names(&[]).is_empty());
    assert!(unsafe_names(&[("Accept", "*/*"), ("Cookie", "x")]).is_empty());
}

#[test]
fn safelisted_values_totalling_1024_bytes_stay_safe() {
    let v = "a".repeat(128);
    let headers: Vec<(&str, &str)> = (0..8).map(|_| ("accept-language", v.as_str())).collect();
    assert_eq!(headers.iter().map(|(_, v)| v.len()).sum::<usize>(), MAX_SAFELISTED_TOTAL_LEN);
    assert!(unsafe_names(&headers).is_empty());
}

#[test]
fn safelisted_values_over_1024_bytes_all_become_unsafe() {
    let v = "a".repeat(128);
    let mut headers: Vec<(&str, &str)> = (0..8).map(|_| ("accept-language", v.as_str())).collect();
    headers.push(("Accept", "*/*")); // Chromium's default Accept counts too: 1027 bytes.
    headers.push(("X-Id", "1"));
    assert_eq!(unsafe_names(&headers), ["accept", "accept-language", "x-id"]);
}

#[test]
fn the_1024_total_ignores_unsafe_and_forbidden_values() {
    let big = "a".repeat(2000);
    let got = unsafe_names(&[("X-Big", big.as_str()), ("Cookie", big.as_str()), ("Accept", "*/*")]);
    assert_eq!(got, ["x-big"]);
}

#[test]
fn joined_with_commas_the_list_is_the_acrh_value() {
    let got = unsafe_names(&[("X-B", "1"), ("Content-Type", "application/json"), ("X-A", "2")]);
    assert_eq!(got.join(","), "content-type,x-a,x-b");
}
