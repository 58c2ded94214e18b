//! Unit tests for the error catalogue: Chromium's texts byte for byte (`docs/chromium-rules.md` §5,
//! with its corrections to the table in `fetch-cors-spec.md` §3), the preflight prefix, the
//! preflight twins, Firefox's codes, explanations, hint escaping and the console envelope.

use super::*;

const NOCORS: &str = " Have the server send the header with a valid value.";
const XHR: &str =
    " The credentials mode of requests initiated by the XMLHttpRequest is controlled by the withCredentials attribute.";
const PREFIX: &str = "Response to preflight request doesn't pass access control check: ";

fn v(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

/// One value of every variant.
fn every_variant() -> Vec<CorsError> {
    use CorsError::*;
    vec![
        DisallowedByMode,
        InvalidResponse,
        WildcardOriginNotAllowed,
        MissingAllowOriginHeader,
        MultipleAllowOriginValues { value: v("a, b") },
        InvalidAllowOriginValue { value: v("x") },
        AllowOriginMismatch { value: v("https://b.example") },
        InvalidAllowCredentials { value: v("") },
        CorsDisabledScheme,
        PreflightInvalidStatus { status: 404 },
        PreflightDisallowedRedirect,
        PreflightWildcardOriginNotAllowed,
        PreflightMissingAllowOriginHeader,
        PreflightMultipleAllowOriginValues { value: v("a, b") },
        PreflightInvalidAllowOriginValue { value: v("x") },
        PreflightAllowOriginMismatch { value: v("https://b.example") },
        PreflightInvalidAllowCredentials { value: v("") },
        InvalidAllowMethodsPreflightResponse,
        InvalidAllowHeadersPreflightResponse,
        MethodDisallowedByPreflightResponse { method: "PUT".into() },
        HeaderDisallowedByPreflightResponse { name: "x-a".into() },
        RedirectContainsCredentials,
        InsecureLocalNetwork { resource: AddressSpace::Local },
        InvalidLocalNetworkAccess { target: AddressSpace::Public, resource: AddressSpace::Loopback },
        LocalNetworkAccessPermissionDenied { resource: AddressSpace::Local },
    ]
}

fn fetch_detail(e: CorsError) -> String {
    e.detail(Initiator::Fetch)
}

// ---------------------------------------------------------------------------------------------
// Detail texts for fetch(), one per variant
// ---------------------------------------------------------------------------------------------

mod fetch_details {
    use super::*;

    #[test]
    fn disallowed_by_mode() {
        assert_eq!(fetch_detail(CorsError::DisallowedByMode), "Cross origin requests are not allowed by request mode.");
    }

    #[test]
    fn invalid_response() {
        assert_eq!(fetch_detail(CorsError::InvalidResponse), "The response is invalid.");
    }

    #[test]
    fn wildcard_origin_not_allowed_has_no_suffix_for_fetch() {
        assert_eq!(
            fetch_detail(CorsError::WildcardOriginNotAllowed),
            "The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the \
             request's credentials mode is 'include'."
        );
    }

    #[test]
    fn missing_allow_origin_has_nothing_appended() {
        assert_eq!(
            fetch_detail(CorsError::MissingAllowOriginHeader),
            "No 'Access-Control-Allow-Origin' header is present on the requested resource."
        );
    }

    #[test]
    fn multiple_allow_origin_values() {
        assert_eq!(
            fetch_detail(CorsError::MultipleAllowOriginValues { value: v("https://a.example, https://b.example") }),
            "The 'Access-Control-Allow-Origin' header contains multiple values 'https://a.example, https://b.example', but \
             only one is allowed. Have the server send the header with a valid value."
        );
    }

    #[test]
    fn invalid_allow_origin_value() {
        assert_eq!(
            fetch_detail(CorsError::InvalidAllowOriginValue { value: v("a.example") }),
            "The 'Access-Control-Allow-Origin' header contains the invalid value 'a.example'. Have the server send the header \
             with a valid value."
        );
    }

    #[test]
    fn invalid_allow_origin_value_with_an_empty_hint() {
        assert_eq!(
            fetch_detail(CorsError::InvalidAllowOriginValue { value: v("") }),
            "The 'Access-Control-Allow-Origin' header contains the invalid value ''. Have the server send the header with a \
             valid value."
        );
    }

    #[test]
    fn allow_origin_mismatch() {
        assert_eq!(
            fetch_detail(CorsError::AllowOriginMismatch { value: v("https://a.example/") }),
            "The 'Access-Control-Allow-Origin' header has a value 'https://a.example/' that is not equal to the supplied \
             origin. Have the server send the header with a valid value."
        );
    }

    #[test]
    fn invalid_allow_credentials() {
        assert_eq!(
            fetch_detail(CorsError::InvalidAllowCredentials { value: v("TRUE") }),
            "The value of the 'Access-Control-Allow-Credentials' header in the response is 'TRUE' which must be 'true' when \
             the request's credentials mode is 'include'."
        );
    }

    #[test]
    fn invalid_allow_credentials_missing() {
        assert_eq!(
            fetch_detail(CorsError::InvalidAllowCredentials { value: Vec::new() }),
            "The value of the 'Access-Control-Allow-Credentials' header in the response is '' which must be 'true' when the \
             request's credentials mode is 'include'."
        );
    }

    #[test]
    fn cors_disabled_scheme() {
        assert_eq!(
            fetch_detail(CorsError::CorsDisabledScheme),
            "Cross origin requests are only supported for protocol schemes: http, data, isolated-app, chrome-extension, \
             chrome, https, chrome-untrusted."
        );
    }

    #[test]
    fn preflight_invalid_status_does_not_show_the_status() {
        for status in [301, 404, 500] {
            assert_eq!(fetch_detail(CorsError::PreflightInvalidStatus { status }), "It does not have HTTP ok status.");
        }
    }

    #[test]
    fn preflight_disallowed_redirect() {
        assert_eq!(
            fetch_detail(CorsError::PreflightDisallowedRedirect),
            "Redirect is not allowed for a preflight request."
        );
    }

    #[test]
    fn preflight_twins_share_the_texts() {
        use CorsError::*;
        let pairs = [
            (WildcardOriginNotAllowed, PreflightWildcardOriginNotAllowed),
            (MissingAllowOriginHeader, PreflightMissingAllowOriginHeader),
            (MultipleAllowOriginValues { value: v("a b") }, PreflightMultipleAllowOriginValues { value: v("a b") }),
            (InvalidAllowOriginValue { value: v("**") }, PreflightInvalidAllowOriginValue { value: v("**") }),
            (AllowOriginMismatch { value: v("null") }, PreflightAllowOriginMismatch { value: v("null") }),
            (InvalidAllowCredentials { value: v("1") }, PreflightInvalidAllowCredentials { value: v("1") }),
        ];
        for (plain, twin) in pairs {
            for initiator in [Initiator::Fetch, Initiator::Xhr] {
                assert_eq!(plain.detail(initiator), twin.detail(initiator), "{plain:?}");
            }
        }
    }

    #[test]
    fn invalid_allow_methods() {
        assert_eq!(
            fetch_detail(CorsError::InvalidAllowMethodsPreflightResponse),
            "Cannot parse Access-Control-Allow-Methods response header field in preflight response."
        );
    }

    #[test]
    fn invalid_allow_headers() {
        assert_eq!(
            fetch_detail(CorsError::InvalidAllowHeadersPreflightResponse),
            "Cannot parse Access-Control-Allow-Headers response header field in preflight response."
        );
    }

    #[test]
    fn method_disallowed_shows_the_method_unquoted() {
        assert_eq!(
            fetch_detail(CorsError::MethodDisallowedByPreflightResponse { method: "patch".into() }),
            "Method patch is not allowed by Access-Control-Allow-Methods in preflight response."
        );
    }

    #[test]
    fn header_disallowed_shows_the_name_unquoted() {
        assert_eq!(
            fetch_detail(CorsError::HeaderDisallowedByPreflightResponse { name: "content-type".into() }),
            "Request header field content-type is not allowed by Access-Control-Allow-Headers in preflight response."
        );
    }

    #[test]
    fn redirect_contains_credentials_always_has_an_empty_hint() {
        assert_eq!(
            fetch_detail(CorsError::RedirectContainsCredentials),
            "Redirect location '' contains a username and password, which is disallowed for cross-origin requests."
        );
    }

    #[test]
    fn insecure_local_network_names_the_resource_space() {
        assert_eq!(
            fetch_detail(CorsError::InsecureLocalNetwork { resource: AddressSpace::Local }),
            "The request client is not a secure context and the resource is in more-private address space `local`."
        );
        assert_eq!(
            fetch_detail(CorsError::InsecureLocalNetwork { resource: AddressSpace::Loopback }),
            "The request client is not a secure context and the resource is in more-private address space `loopback`."
        );
    }

    #[test]
    fn invalid_local_network_access_names_target_then_resource() {
        assert_eq!(
            fetch_detail(CorsError::InvalidLocalNetworkAccess {
                target: AddressSpace::Local,
                resource: AddressSpace::Public
            }),
            "Request had a target IP address space of `local` yet the resource is in address space `public`."
        );
    }

    #[test]
    fn local_network_permission_denied_names_the_resource_space() {
        assert_eq!(
            fetch_detail(CorsError::LocalNetworkAccessPermissionDenied { resource: AddressSpace::Loopback }),
            "Permission was denied for this request to access the `loopback` address space."
        );
    }

    #[test]
    fn address_space_labels() {
        let labels: Vec<_> = [AddressSpace::Unknown, AddressSpace::Public, AddressSpace::Local, AddressSpace::Loopback]
            .map(AddressSpace::label)
            .to_vec();
        assert_eq!(labels, ["unknown", "public", "local", "loopback"]);
    }

    #[test]
    fn only_the_three_origin_errors_and_their_twins_get_the_have_the_server_send_suffix() {
        use CorsError::*;
        for e in every_variant() {
            let with_suffix = matches!(
                e,
                MultipleAllowOriginValues { .. }
                    | InvalidAllowOriginValue { .. }
                    | AllowOriginMismatch { .. }
                    | PreflightMultipleAllowOriginValues { .. }
                    | PreflightInvalidAllowOriginValue { .. }
                    | PreflightAllowOriginMismatch { .. }
            );
            assert_eq!(e.detail(Initiator::Fetch).ends_with(NOCORS), with_suffix, "{e:?}");
            assert!(!e.detail(Initiator::Fetch).contains(XHR.trim_start()), "{e:?}");
        }
    }

    #[test]
    fn no_detail_mentions_no_cors_any_more() {
        for e in every_variant() {
            assert!(!e.detail(Initiator::Fetch).contains("no-cors"), "{e:?}");
        }
    }

    #[test]
    fn display_is_the_fetch_detail() {
        for e in every_variant() {
            assert_eq!(e.to_string(), e.detail(Initiator::Fetch), "{e:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// XMLHttpRequest details
// ---------------------------------------------------------------------------------------------

mod xhr_details {
    use super::*;

    #[test]
    fn wildcard_gets_the_with_credentials_sentence() {
        for e in [CorsError::WildcardOriginNotAllowed, CorsError::PreflightWildcardOriginNotAllowed] {
            assert_eq!(
                e.detail(Initiator::Xhr),
                "The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when \
                 the request's credentials mode is 'include'. The credentials mode of requests initiated by the \
                 XMLHttpRequest is controlled by the withCredentials attribute."
            );
        }
    }

    #[test]
    fn allow_credentials_gets_the_with_credentials_sentence() {
        assert_eq!(
            CorsError::InvalidAllowCredentials { value: v("") }.detail(Initiator::Xhr),
            format!(
                "The value of the 'Access-Control-Allow-Credentials' header in the response is '' which must be 'true' when \
                 the request's credentials mode is 'include'.{XHR}"
            )
        );
    }

    #[test]
    fn origin_errors_get_no_suffix() {
        assert_eq!(
            CorsError::AllowOriginMismatch { value: v("https://b.example") }.detail(Initiator::Xhr),
            "The 'Access-Control-Allow-Origin' header has a value 'https://b.example' that is not equal to the supplied origin."
        );
        assert_eq!(
            CorsError::MultipleAllowOriginValues { value: v("a, b") }.detail(Initiator::Xhr),
            "The 'Access-Control-Allow-Origin' header contains multiple values 'a, b', but only one is allowed."
        );
        assert_eq!(
            CorsError::PreflightInvalidAllowOriginValue { value: v("**") }.detail(Initiator::Xhr),
            "The 'Access-Control-Allow-Origin' header contains the invalid value '**'."
        );
    }

    #[test]
    fn only_wildcard_and_credentials_errors_get_the_xhr_sentence() {
        use CorsError::*;
        for e in every_variant() {
            let with = matches!(
                e,
                WildcardOriginNotAllowed
                    | PreflightWildcardOriginNotAllowed
                    | InvalidAllowCredentials { .. }
                    | PreflightInvalidAllowCredentials { .. }
            );
            let xhr = e.detail(Initiator::Xhr);
            assert_eq!(xhr.ends_with(XHR), with, "{e:?}");
            if !with {
                let fetch = e.detail(Initiator::Fetch);
                assert_eq!(xhr, fetch.strip_suffix(NOCORS).unwrap_or(&fetch), "{e:?}");
            }
        }
    }

    #[test]
    fn resource_words() {
        assert_eq!(Initiator::Fetch.resource_word(), "fetch");
        assert_eq!(Initiator::Xhr.resource_word(), "XMLHttpRequest");
        assert_eq!(Initiator::default(), Initiator::Fetch);
    }
}

// ---------------------------------------------------------------------------------------------
// The preflight prefix, is_preflight and the twins
// ---------------------------------------------------------------------------------------------

mod preflight_classes {
    use super::*;

    #[test]
    fn exactly_eight_errors_carry_the_preflight_prefix() {
        let prefixed: Vec<&str> =
            every_variant().iter().filter(|e| e.has_preflight_prefix()).map(CorsError::chromium_name).collect();
        assert_eq!(
            prefixed,
            [
                "kPreflightInvalidStatus",
                "kPreflightDisallowedRedirect",
                "kPreflightWildcardOriginNotAllowed",
                "kPreflightMissingAllowOriginHeader",
                "kPreflightMultipleAllowOriginValues",
                "kPreflightInvalidAllowOriginValue",
                "kPreflightAllowOriginMismatch",
                "kPreflightInvalidAllowCredentials",
            ]
        );
    }

    #[test]
    fn allow_methods_and_allow_headers_errors_have_no_prefix() {
        use CorsError::*;
        for e in [
            InvalidAllowMethodsPreflightResponse,
            InvalidAllowHeadersPreflightResponse,
            MethodDisallowedByPreflightResponse { method: "PUT".into() },
            HeaderDisallowedByPreflightResponse { name: "x".into() },
        ] {
            assert!(!e.has_preflight_prefix(), "{e:?}");
            assert!(e.is_preflight(), "{e:?}");
        }
    }

    #[test]
    fn is_preflight_is_the_prefixed_eight_plus_the_four_list_errors() {
        let preflight: Vec<&str> =
            every_variant().iter().filter(|e| e.is_preflight()).map(CorsError::chromium_name).collect();
        assert_eq!(preflight.len(), 12);
        for e in every_variant() {
            if e.has_preflight_prefix() {
                assert!(e.is_preflight(), "{e:?}");
            }
        }
        assert!(!CorsError::MissingAllowOriginHeader.is_preflight());
        assert!(!CorsError::RedirectContainsCredentials.is_preflight());
    }

    #[test]
    fn into_preflight_maps_the_six_access_check_errors_to_their_twins() {
        use CorsError::*;
        let cases = [
            (WildcardOriginNotAllowed, PreflightWildcardOriginNotAllowed),
            (MissingAllowOriginHeader, PreflightMissingAllowOriginHeader),
            (MultipleAllowOriginValues { value: v("a, b") }, PreflightMultipleAllowOriginValues { value: v("a, b") }),
            (InvalidAllowOriginValue { value: v("") }, PreflightInvalidAllowOriginValue { value: v("") }),
            (AllowOriginMismatch { value: v("null") }, PreflightAllowOriginMismatch { value: v("null") }),
            (InvalidAllowCredentials { value: v("True") }, PreflightInvalidAllowCredentials { value: v("True") }),
        ];
        for (plain, twin) in cases {
            assert_eq!(plain.clone().into_preflight(), twin, "{plain:?}");
        }
    }

    #[test]
    fn into_preflight_leaves_every_other_error_alone() {
        for e in every_variant() {
            let is_access_error = matches!(
                e,
                CorsError::WildcardOriginNotAllowed
                    | CorsError::MissingAllowOriginHeader
                    | CorsError::MultipleAllowOriginValues { .. }
                    | CorsError::InvalidAllowOriginValue { .. }
                    | CorsError::AllowOriginMismatch { .. }
                    | CorsError::InvalidAllowCredentials { .. }
            );
            if !is_access_error {
                assert_eq!(e.clone().into_preflight(), e);
            }
        }
    }

    #[test]
    fn every_twin_carries_the_prefix() {
        for e in every_variant() {
            let twin = e.clone().into_preflight();
            if twin != e {
                assert!(twin.has_preflight_prefix() && !e.has_preflight_prefix(), "{e:?}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Names, Firefox codes, explanations
// ---------------------------------------------------------------------------------------------

mod names_and_codes {
    use super::*;

    #[test]
    fn chromium_names_are_distinct_k_names() {
        let names: Vec<&str> = every_variant().iter().map(CorsError::chromium_name).collect();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 25);
        for name in names {
            assert!(name.starts_with('k') && name[1..].starts_with(|c: char| c.is_ascii_uppercase()), "{name}");
        }
    }

    #[test]
    fn chromium_names_match_the_mojom() {
        assert_eq!(CorsError::MissingAllowOriginHeader.chromium_name(), "kMissingAllowOriginHeader");
        assert_eq!(CorsError::PreflightInvalidStatus { status: 500 }.chromium_name(), "kPreflightInvalidStatus");
        assert_eq!(
            CorsError::LocalNetworkAccessPermissionDenied { resource: AddressSpace::Local }.chromium_name(),
            "kLocalNetworkAccessPermissionDenied"
        );
    }

    #[test]
    fn firefox_code_for_every_variant() {
        use CorsError::*;
        let expected: Vec<(CorsError, Option<&str>)> = vec![
            (DisallowedByMode, None),
            (InvalidResponse, Some("CORSDidNotSucceed")),
            (WildcardOriginNotAllowed, Some("CORSNotSupportingCredentials")),
            (MissingAllowOriginHeader, Some("CORSMissingAllowOrigin")),
            (MultipleAllowOriginValues { value: v("a, b") }, Some("CORSMultipleAllowOriginNotAllowed")),
            (InvalidAllowOriginValue { value: v("x") }, Some("CORSAllowOriginNotMatchingOrigin")),
            (AllowOriginMismatch { value: v("https://b.example") }, Some("CORSAllowOriginNotMatchingOrigin")),
            (InvalidAllowCredentials { value: v("") }, Some("CORSMissingAllowCredentials")),
            (CorsDisabledScheme, Some("CORSRequestNotHttp")),
            (PreflightInvalidStatus { status: 404 }, Some("CORSPreflightDidNotSucceed")),
            (PreflightDisallowedRedirect, Some("CORSExternalRedirectNotAllowed")),
            (PreflightWildcardOriginNotAllowed, Some("CORSNotSupportingCredentials")),
            (PreflightMissingAllowOriginHeader, Some("CORSMissingAllowOrigin")),
            (PreflightMultipleAllowOriginValues { value: v("a, b") }, Some("CORSMultipleAllowOriginNotAllowed")),
            (PreflightInvalidAllowOriginValue { value: v("x") }, Some("CORSAllowOriginNotMatchingOrigin")),
            (PreflightAllowOriginMismatch { value: v("https://b.example") }, Some("CORSAllowOriginNotMatchingOrigin")),
            (PreflightInvalidAllowCredentials { value: v("") }, Some("CORSMissingAllowCredentials")),
            (InvalidAllowMethodsPreflightResponse, Some("CORSInvalidAllowMethod")),
            (InvalidAllowHeadersPreflightResponse, Some("CORSInvalidAllowHeader")),
            (MethodDisallowedByPreflightResponse { method: "PUT".into() }, Some("CORSMethodNotFound")),
            (HeaderDisallowedByPreflightResponse { name: "x-a".into() }, Some("CORSMissingAllowHeaderFromPreflight")),
            (RedirectContainsCredentials, Some("CORSDidNotSucceed")),
            (InsecureLocalNetwork { resource: AddressSpace::Local }, None),
            (InvalidLocalNetworkAccess { target: AddressSpace::Public, resource: AddressSpace::Loopback }, None),
            (LocalNetworkAccessPermissionDenied { resource: AddressSpace::Local }, None),
        ];
        assert_eq!(expected.len(), every_variant().len());
        for (e, code) in expected {
            assert_eq!(e.firefox_code(), code, "{e:?}");
        }
    }

    #[test]
    fn firefox_codes_use_mdns_names_without_digit_suffixes() {
        for e in every_variant() {
            if let Some(code) = e.firefox_code() {
                assert!(code.starts_with("CORS") && !code.ends_with(|c: char| c.is_ascii_digit()), "{code}");
            }
        }
    }

    #[test]
    fn every_variant_has_an_explanation() {
        for e in every_variant() {
            let text = e.explanation();
            assert!(!text.trim().is_empty(), "{e:?}");
            assert!(text.ends_with('.'), "{e:?}: {text}");
        }
    }

    #[test]
    fn the_two_missing_allow_origin_explanations_differ() {
        assert_ne!(
            CorsError::MissingAllowOriginHeader.explanation(),
            CorsError::PreflightMissingAllowOriginHeader.explanation()
        );
        assert!(CorsError::PreflightMissingAllowOriginHeader.explanation().contains("OPTIONS"));
    }

    #[test]
    fn method_explanation_mentions_case_sensitivity() {
        let text = CorsError::MethodDisallowedByPreflightResponse { method: "patch".into() }.explanation();
        assert!(text.contains("case-sensitive"), "{text}");
    }
}

// ---------------------------------------------------------------------------------------------
// EncodeHint
// ---------------------------------------------------------------------------------------------

mod hints {
    use super::*;

    #[test]
    fn printable_ascii_is_kept() {
        let all: Vec<u8> = (0x20..=0x7e).collect();
        assert_eq!(encode_hint(&all).as_bytes(), all.as_slice());
    }

    #[test]
    fn a_latin1_byte_becomes_four_upper_case_hex_digits() {
        assert_eq!(encode_hint(b"caf\xE9"), "caf\\u00E9");
        assert_eq!(encode_hint(b"\xff\x80"), "\\u00FF\\u0080");
    }

    #[test]
    fn control_bytes_and_del_are_escaped() {
        assert_eq!(encode_hint(b"\x00\x09\x0a\x0d\x1f\x7f"), "\\u0000\\u0009\\u000A\\u000D\\u001F\\u007F");
    }

    #[test]
    fn utf8_is_read_byte_by_byte_as_latin1() {
        assert_eq!(encode_hint("é".as_bytes()), "\\u00C3\\u00A9");
    }

    #[test]
    fn the_empty_hint_is_empty() {
        assert_eq!(encode_hint(b""), "");
    }

    #[test]
    fn details_escape_their_hints() {
        assert_eq!(
            CorsError::InvalidAllowCredentials { value: b"tr\nue".to_vec() }.detail(Initiator::Fetch),
            "The value of the 'Access-Control-Allow-Credentials' header in the response is 'tr\\u000Aue' which must be \
             'true' when the request's credentials mode is 'include'."
        );
        assert_eq!(
            CorsError::HeaderDisallowedByPreflightResponse { name: "x-\u{7f}".into() }.detail(Initiator::Fetch),
            "Request header field x-\\u007F is not allowed by Access-Control-Allow-Headers in preflight response."
        );
        assert_eq!(
            CorsError::AllowOriginMismatch { value: b"https://\xE9.example".to_vec() }.detail(Initiator::Xhr),
            "The 'Access-Control-Allow-Origin' header has a value 'https://\\u00E9.example' that is not equal to the \
             supplied origin."
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The console envelope
// ---------------------------------------------------------------------------------------------

mod envelope {
    use super::*;

    const API: &str = "https://api.example/data";
    const PAGE: &str = "https://app.example";

    #[test]
    fn without_redirect() {
        assert_eq!(
            CorsError::MissingAllowOriginHeader.console_message(Initiator::Fetch, API, API, PAGE),
            "Access to fetch at 'https://api.example/data' from origin 'https://app.example' has been blocked by CORS \
             policy: No 'Access-Control-Allow-Origin' header is present on the requested resource."
        );
    }

    #[test]
    fn with_redirected_from_when_the_urls_differ() {
        assert_eq!(
            CorsError::MissingAllowOriginHeader.console_message(
                Initiator::Fetch,
                "https://b.example/final",
                API,
                PAGE
            ),
            "Access to fetch at 'https://b.example/final' (redirected from 'https://api.example/data') from origin \
             'https://app.example' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on \
             the requested resource."
        );
    }

    #[test]
    fn with_the_preflight_prefix() {
        assert_eq!(
            CorsError::PreflightInvalidStatus { status: 401 }.console_message(Initiator::Fetch, API, API, PAGE),
            "Access to fetch at 'https://api.example/data' from origin 'https://app.example' has been blocked by CORS \
             policy: Response to preflight request doesn't pass access control check: It does not have HTTP ok status."
        );
    }

    #[test]
    fn with_redirect_and_prefix_and_suffix() {
        assert_eq!(
            CorsError::PreflightAllowOriginMismatch { value: v("https://app.example/") }.console_message(
                Initiator::Fetch,
                "https://b.example/x",
                API,
                PAGE
            ),
            "Access to fetch at 'https://b.example/x' (redirected from 'https://api.example/data') from origin \
             'https://app.example' has been blocked by CORS policy: Response to preflight request doesn't pass access \
             control check: The 'Access-Control-Allow-Origin' header has a value 'https://app.example/' that is not equal \
             to the supplied origin. Have the server send the header with a valid value."
        );
    }

    #[test]
    fn list_errors_have_no_prefix_in_the_envelope() {
        assert_eq!(
            CorsError::HeaderDisallowedByPreflightResponse { name: "authorization".into() }.console_message(
                Initiator::Fetch,
                API,
                API,
                PAGE
            ),
            "Access to fetch at 'https://api.example/data' from origin 'https://app.example' has been blocked by CORS \
             policy: Request header field authorization is not allowed by Access-Control-Allow-Headers in preflight response."
        );
    }

    #[test]
    fn for_xhr() {
        assert_eq!(
            CorsError::PreflightWildcardOriginNotAllowed.console_message(Initiator::Xhr, API, API, PAGE),
            format!(
                "Access to XMLHttpRequest at 'https://api.example/data' from origin 'https://app.example' has been blocked by \
                 CORS policy: {PREFIX}The value of the 'Access-Control-Allow-Origin' header in the response must not be the \
                 wildcard '*' when the request's credentials mode is 'include'.{XHR}"
            )
        );
    }

    #[test]
    fn an_opaque_page_origin_is_printed_as_null() {
        assert_eq!(
            CorsError::AllowOriginMismatch { value: v("null") }.console_message(Initiator::Fetch, API, API, "null"),
            "Access to fetch at 'https://api.example/data' from origin 'null' has been blocked by CORS policy: The \
             'Access-Control-Allow-Origin' header has a value 'null' that is not equal to the supplied origin. Have the \
             server send the header with a valid value."
        );
    }

    #[test]
    fn urls_are_printed_in_full() {
        let long = format!("https://api.example/{}", "a".repeat(2000));
        let message = CorsError::MissingAllowOriginHeader.console_message(Initiator::Fetch, &long, &long, PAGE);
        assert!(message.contains(&format!("at '{long}' from")));
    }

    #[test]
    fn every_variant_fits_the_envelope() {
        for e in every_variant() {
            let message = e.console_message(Initiator::Fetch, API, API, PAGE);
            let head = "Access to fetch at 'https://api.example/data' from origin 'https://app.example' has been blocked by CORS policy: ";
            let rest = message.strip_prefix(head).unwrap_or_else(|| panic!("{message}"));
            let expected = if e.has_preflight_prefix() {
                format!("{PREFIX}{}", e.detail(Initiator::Fetch))
            } else {
                e.detail(Initiator::Fetch)
            };
            assert_eq!(rest, expected, "{e:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// CorsError::fix
// ---------------------------------------------------------------------------------------------

mod fixes {
    use super::*;

    fn cx<'a>(origin: &'a str, credentials: bool, method: &'a str, request_headers: &'a [String]) -> FixContext<'a> {
        FixContext { origin, credentials, method, request_headers, tainted_url: None, request_known: true }
    }

    fn headers(fix: &Fix) -> Vec<(&str, &str)> {
        fix.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()
    }

    #[test]
    fn missing_allow_origin_without_credentials() {
        let fix = CorsError::MissingAllowOriginHeader.fix(cx("https://app.example", false, "GET", &[]));
        assert_eq!(headers(&fix), [("Access-Control-Allow-Origin", "https://app.example"), ("Vary", "Origin")]);
        assert!(!fix.summary.is_empty());
    }

    #[test]
    fn missing_allow_origin_with_credentials() {
        let fix = CorsError::MissingAllowOriginHeader.fix(cx("https://app.example", true, "GET", &[]));
        assert_eq!(
            headers(&fix),
            [
                ("Access-Control-Allow-Origin", "https://app.example"),
                ("Access-Control-Allow-Credentials", "true"),
                ("Vary", "Origin")
            ]
        );
    }

    #[test]
    fn a_preflight_status_fix_adds_the_grants() {
        let names = vec!["content-type".to_owned(), "x-id".to_owned()];
        let fix =
            CorsError::PreflightInvalidStatus { status: 401 }.fix(cx("https://app.example", false, "PUT", &names));
        assert_eq!(
            headers(&fix),
            [
                ("Access-Control-Allow-Origin", "https://app.example"),
                ("Vary", "Origin"),
                ("Access-Control-Allow-Methods", "PUT"),
                ("Access-Control-Allow-Headers", "content-type, x-id")
            ]
        );
        assert!(fix.summary.contains("401"), "{}", fix.summary);
    }

    #[test]
    fn safelisted_methods_are_not_granted() {
        let names = vec!["x-id".to_owned()];
        let fix = CorsError::PreflightMissingAllowOriginHeader.fix(cx("https://app.example", false, "POST", &names));
        assert!(!fix.headers.iter().any(|(n, _)| n == "Access-Control-Allow-Methods"));
    }

    #[test]
    fn multiple_values_asks_to_remove_the_duplicate() {
        let fix =
            CorsError::MultipleAllowOriginValues { value: v("a, b") }.fix(cx("https://app.example", false, "GET", &[]));
        assert_eq!(fix.remove, ["Access-Control-Allow-Origin (the duplicate)"]);
        // The line is there already: the fix does not also list it as one to send.
        assert!(!fix.headers.iter().any(|(n, _)| n == "Access-Control-Allow-Origin"), "{:?}", fix.headers);
        assert!(fix.summary.contains("`https://app.example`"), "{}", fix.summary);
    }

    #[test]
    fn mismatch_summary_names_the_exact_origin() {
        let fix = CorsError::AllowOriginMismatch { value: v("https://app.example/") }.fix(cx(
            "https://app.example",
            false,
            "GET",
            &[],
        ));
        assert!(fix.summary.contains("`https://app.example`"), "{}", fix.summary);
    }

    #[test]
    fn credentials_fix_sends_true() {
        let fix = CorsError::InvalidAllowCredentials { value: v("") }.fix(cx("https://app.example", true, "GET", &[]));
        assert_eq!(
            headers(&fix),
            [
                ("Access-Control-Allow-Origin", "https://app.example"),
                ("Access-Control-Allow-Credentials", "true"),
                ("Vary", "Origin")
            ]
        );
    }

    #[test]
    fn method_fix_names_the_method_as_sent() {
        let fix = CorsError::MethodDisallowedByPreflightResponse { method: "patch".into() }.fix(cx(
            "https://app.example",
            false,
            "patch",
            &[],
        ));
        // The whole grant, so that following it does not lead to the next error.
        assert_eq!(
            headers(&fix),
            [
                ("Access-Control-Allow-Origin", "https://app.example"),
                ("Vary", "Origin"),
                ("Access-Control-Allow-Methods", "patch")
            ]
        );
        assert_eq!(fix.preflight_status, Some(204));
    }

    #[test]
    fn header_fix_names_every_header() {
        let names = vec!["authorization".to_owned(), "x-id".to_owned()];
        let fix = CorsError::HeaderDisallowedByPreflightResponse { name: "authorization".into() }.fix(cx(
            "https://app.example",
            false,
            "GET",
            &names,
        ));
        assert_eq!(
            headers(&fix),
            [
                ("Access-Control-Allow-Origin", "https://app.example"),
                ("Vary", "Origin"),
                ("Access-Control-Allow-Headers", "authorization, x-id")
            ]
        );
        assert!(!fix.headers.iter().any(|(n, _)| n == "Access-Control-Allow-Methods"), "GET is never listed");
    }

    #[test]
    fn an_unknown_request_gets_placeholders_not_a_guess() {
        let cx = FixContext { request_known: false, ..cx("https://app.example", false, "GET", &[]) };
        let fix = CorsError::PreflightInvalidStatus { status: 401 }.fix(cx);
        let methods = fix.headers.iter().find(|(n, _)| n == "Access-Control-Allow-Methods").map(|(_, v)| v.as_str());
        assert_eq!(methods, Some("<the page's method, unless GET, HEAD or POST>"));
        assert!(fix.headers.iter().any(|(n, v)| n == "Access-Control-Allow-Headers" && v.starts_with('<')));
        // Errors of the response itself need no method or headers.
        let fix = CorsError::MissingAllowOriginHeader.fix(cx);
        assert!(fix.headers.iter().all(|(_, v)| !v.starts_with('<')), "{:?}", fix.headers);
    }

    #[test]
    fn every_variant_has_a_summary() {
        for e in every_variant() {
            assert!(!e.fix(cx("https://app.example", false, "GET", &[])).summary.is_empty(), "{e:?}");
        }
    }
}

#[test]
fn a_tainted_request_is_never_told_to_allow_null() {
    let headers: Vec<String> = Vec::new();
    let cx = |credentials| FixContext {
        origin: "null",
        credentials,
        method: "GET",
        request_headers: &headers,
        tainted_url: Some("https://other.example/next"),
        request_known: true,
    };
    for e in
        [CorsError::MissingAllowOriginHeader, CorsError::AllowOriginMismatch { value: b"https://app.example".to_vec() }]
    {
        let anonymous = e.fix(cx(false));
        assert_eq!(anonymous.headers, vec![("Access-Control-Allow-Origin".to_owned(), "*".to_owned())]);
        assert!(anonymous.summary.contains("Call https://other.example/next directly"), "{}", anonymous.summary);
        let credentialed = e.fix(cx(true));
        assert!(credentialed.headers.is_empty(), "{:?}", credentialed.headers);
    }
    // A method refused after the redirect: still no `null`; without credentials, `*` and the method.
    let method = CorsError::MethodDisallowedByPreflightResponse { method: "PUT".into() }
        .fix(FixContext { method: "PUT", ..cx(false) });
    let want = [("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Methods", "PUT")];
    assert_eq!(method.headers, want.map(|(n, v)| (n.to_owned(), v.to_owned())));
    assert!(method.summary.contains("Call https://other.example/next directly"), "{}", method.summary);
}
