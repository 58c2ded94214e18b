use super::*;
use crate::origin::OriginError;

fn base() -> PolicyBuilder {
    Policy::builder().allow_origin("https://app.example.com")
}

fn errors(b: PolicyBuilder) -> Vec<ConfigError> {
    b.build().expect_err("the policy should not build").into_iter().map(|l| l.error).collect()
}

/// The single error a builder produces.
fn only_error(b: PolicyBuilder) -> ConfigError {
    let mut all = errors(b);
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0)
}

fn toml_of(b: PolicyBuilder) -> String {
    b.build().unwrap().to_toml()
}

// One test per build-time ConfigError ----------------------------------------------------------

#[test]
fn no_origins_is_an_error() {
    let e = only_error(Policy::builder().allow_methods(["PUT"]));
    assert_eq!(e, ConfigError::NoOrigins);
    assert_eq!((e.field(), e.index()), (Field::AllowOrigins, None));
    assert!(e.to_string().contains("e.g. allow_origins = [\"https://app.example.com\"]"), "{e}");
}

#[test]
fn invalid_origin_names_its_index_and_the_canonical_form() {
    let e = only_error(Policy::builder().allow_origins(["https://a.example", "https://B.example/"]));
    match &e {
        ConfigError::InvalidOrigin {
            index: 1,
            error: PatternError::Origin(OriginError::NotCanonical { canonical, .. }),
        } => {
            assert_eq!(canonical, "https://b.example")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!((e.field(), e.index()), (Field::AllowOrigins, Some(1)));
    assert!(e.to_string().contains("write `https://b.example`"), "{e}");
}

#[test]
fn misplaced_wildcard_origin_is_an_invalid_origin_with_a_hint() {
    let e = only_error(Policy::builder().allow_origin("https://*example.com"));
    assert!(matches!(e, ConfigError::InvalidOrigin { index: 0, error: PatternError::MisplacedWildcard { .. } }));
    assert!(e.to_string().contains("write `https://*.example.com`"), "{e}");
}

#[test]
fn wildcard_with_credentials_is_an_error() {
    let e = only_error(Policy::builder().allow_origins(["https://a.example", "*"]).allow_credentials(true));
    assert_eq!(e, ConfigError::WildcardWithCredentials { index: 1 });
    assert_eq!(e.index(), Some(1));
    assert!(e.to_string().contains("list the origins, or set allow_credentials = false"), "{e}");
}

#[test]
fn wildcard_without_credentials_is_fine() {
    assert!(Policy::builder().allow_origin("*").build().is_ok());
}

#[test]
fn public_suffix_subdomains_with_credentials_are_an_error() {
    let e = only_error(Policy::builder().allow_origin("https://*.github.io").allow_credentials(true));
    assert_eq!(
        e,
        ConfigError::PublicSuffixWithCredentials {
            index: 0,
            value: "https://*.github.io".into(),
            suffix: "github.io".into()
        }
    );
    assert!(e.to_string().contains("e.g. `https://*.yourapp.github.io`"), "{e}");
}

#[test]
fn tld_subdomains_with_credentials_are_an_error() {
    assert!(matches!(
        only_error(Policy::builder().allow_origin("https://*.com").allow_credentials(true)),
        ConfigError::PublicSuffixWithCredentials { ref suffix, .. } if suffix == "com"
    ));
}

#[test]
fn public_suffix_subdomains_without_credentials_are_allowed() {
    assert!(Policy::builder().allow_origin("https://*.github.io").build().is_ok());
}

#[test]
fn own_domain_subdomains_with_credentials_are_allowed() {
    assert!(Policy::builder().allow_origin("https://*.example.com").allow_credentials(true).build().is_ok());
}

#[test]
fn null_origin_needs_the_dangerous_flag() {
    let e = only_error(Policy::builder().allow_origins(["https://a.example", "null"]));
    assert_eq!(e, ConfigError::NullOrigin { index: 1, value: "null".into() });
    assert!(e.to_string().contains("set dangerously_allow_null = true"), "{e}");
}

#[test]
fn file_origin_is_a_null_origin() {
    let e = only_error(Policy::builder().allow_origin("file:///home/me/index.html"));
    assert_eq!(e, ConfigError::NullOrigin { index: 0, value: "file:///home/me/index.html".into() });
}

#[test]
fn null_and_file_are_accepted_with_the_dangerous_flag() {
    let p = Policy::builder().allow_origins(["null", "file:///x"]).dangerously_allow_null(true).build().unwrap();
    assert_eq!(p.origins().len(), 1, "file:// and null are the same origin");
    assert!(p.origins()[0].is_null());
}

#[test]
fn insecure_origin_with_credentials_is_an_error() {
    let e = only_error(Policy::builder().allow_origin("http://api.example.com").allow_credentials(true));
    assert_eq!(e, ConfigError::InsecureOriginWithCredentials { index: 0, value: "http://api.example.com".into() });
    assert!(e.to_string().contains("use `https://`"), "{e}");
}

#[test]
fn insecure_websocket_and_wildcard_origins_with_credentials_are_errors() {
    for text in ["ws://chat.example.com", "http://*.example.com", "http://example.com:*"] {
        assert!(
            matches!(
                only_error(Policy::builder().allow_origin(text).allow_credentials(true)),
                ConfigError::InsecureOriginWithCredentials { .. }
            ),
            "{text}"
        );
    }
}

#[test]
fn loopback_http_origins_with_credentials_are_allowed() {
    let p = Policy::builder()
        .allow_origins(["http://localhost:*", "http://127.0.0.1:3000", "http://[::1]:8080", "http://*.localhost"])
        .allow_credentials(true)
        .build();
    assert!(p.is_ok(), "{p:?}");
}

#[test]
fn insecure_origins_with_credentials_need_the_dangerous_flag() {
    let p = Policy::builder()
        .allow_origin("http://intranet.example")
        .allow_credentials(true)
        .dangerously_allow_insecure_origins(true)
        .build();
    assert!(p.is_ok());
}

#[test]
fn insecure_origins_without_credentials_are_allowed() {
    assert!(Policy::builder().allow_origin("http://api.example.com").build().is_ok());
}

#[test]
fn invalid_method_is_an_error() {
    for bad in ["GET POST", "GET,PUT", "", "PÜT", "(GET)"] {
        let e = only_error(base().allow_methods(["PUT", bad]));
        assert_eq!(e, ConfigError::InvalidMethod { index: 1, value: bad.into() }, "{bad:?}");
        assert_eq!(e.field(), Field::AllowMethods);
        assert!(e.to_string().contains("write one method per entry"), "{e}");
    }
}

#[test]
fn forbidden_method_is_an_error_in_any_case() {
    for bad in ["CONNECT", "trace", "Track"] {
        let e = only_error(base().allow_methods([bad]));
        assert_eq!(e, ConfigError::ForbiddenMethod { index: 0, value: bad.into() });
        assert!(e.to_string().contains("remove it"), "{e}");
    }
}

#[test]
fn lower_case_standard_method_is_never_sent() {
    for (written, sent) in [("delete", "DELETE"), ("Put", "PUT"), ("options", "OPTIONS"), ("get", "GET")] {
        let e = only_error(base().allow_methods([written]));
        assert_eq!(e, ConfigError::MethodNeverSent { index: 0, value: written.into(), sent_as: sent });
        assert!(e.to_string().contains(&format!("write `{sent}`")), "{e}");
    }
}

#[test]
fn lower_case_non_standard_methods_are_kept_as_written() {
    // fetch() sends `patch` as written, so a policy may allow exactly that.
    let p = base().allow_methods(["patch", "PATCH"]).build().unwrap();
    assert!(p.to_toml().contains("allow_methods = [\"patch\", \"PATCH\"]"), "{}", p.to_toml());
}

#[test]
fn invalid_request_header_name_is_an_error() {
    let e = only_error(base().allow_headers(["x-ok", "x id"]));
    assert_eq!(e, ConfigError::InvalidHeaderName { field: Field::AllowHeaders, index: 1, value: "x id".into() });
    assert_eq!(e.field(), Field::AllowHeaders);
    assert!(e.to_string().contains("in allow_headers") && e.to_string().contains("write one name per entry"), "{e}");
}

#[test]
fn invalid_exposed_header_name_is_an_error() {
    let e = only_error(base().expose_headers(["x:y"]));
    assert_eq!(e, ConfigError::InvalidHeaderName { field: Field::ExposeHeaders, index: 0, value: "x:y".into() });
    assert_eq!(e.field(), Field::ExposeHeaders);
    assert!(e.to_string().contains("in expose_headers"), "{e}");
}

#[test]
fn forbidden_request_header_is_an_error() {
    for bad in ["Cookie", "sec-fetch-mode", "Proxy-Authorization", "user-agent", "Host"] {
        let e = only_error(base().allow_headers([bad]));
        assert_eq!(e, ConfigError::ForbiddenRequestHeader { index: 0, value: bad.into() }, "{bad}");
        assert!(e.to_string().contains("remove it"), "{e}");
    }
}

#[test]
fn forbidden_response_header_is_an_error() {
    let e = only_error(base().expose_headers(["x-id", "Set-Cookie"]));
    assert_eq!(e, ConfigError::ForbiddenResponseHeader { index: 1, value: "Set-Cookie".into() });
    assert_eq!(e.field(), Field::ExposeHeaders);
    assert!(e.to_string().contains("remove it"), "{e}");
}

#[test]
fn wildcard_expose_with_credentials_is_an_error() {
    let e = only_error(base().expose_headers(["x-id", "*"]).allow_credentials(true));
    assert_eq!(e, ConfigError::WildcardExposeWithCredentials { index: 1 });
    assert!(e.to_string().contains("list the header names"), "{e}");
}

#[test]
fn wildcard_expose_without_credentials_is_fine() {
    assert!(base().expose_headers(["*"]).build().is_ok());
}

#[test]
fn max_age_over_a_day_is_an_error() {
    let e = only_error(base().max_age(86_401));
    assert_eq!(e, ConfigError::MaxAgeOutOfRange { value: 86_401 });
    assert_eq!(e.field(), Field::MaxAge);
    assert!(e.to_string().contains("write a number of seconds from 0 to 86400"), "{e}");
    assert!(base().max_age(86_400).build().is_ok());
    assert!(base().max_age(0).build().is_ok());
}

#[test]
fn negative_max_age_is_an_error() {
    let mut b = base();
    b.max_age = Some(-1);
    assert_eq!(only_error(b), ConfigError::MaxAgeOutOfRange { value: -1 });
}

#[test]
fn preflight_status_must_be_2xx() {
    for status in [199u16, 300, 302, 404, 500] {
        let e = only_error(base().preflight_status(status));
        assert_eq!(e, ConfigError::InvalidPreflightStatus { value: i64::from(status) });
        assert!(e.to_string().contains("write 204 or 200"), "{e}");
    }
    for ok in [200u16, 204, 299] {
        assert_eq!(base().preflight_status(ok).build().unwrap().preflight_status().as_u16(), ok);
    }
}

#[test]
fn refusal_status_must_be_4xx_or_5xx() {
    for status in [StatusCode::OK, StatusCode::NO_CONTENT, StatusCode::FOUND] {
        let e = only_error(base().refusal(RefusalStyle::RejectAll(status)));
        assert_eq!(e, ConfigError::InvalidRefusalStatus { value: i64::from(status.as_u16()) });
        assert_eq!(e.field(), Field::RefusalStatus);
        assert!(e.to_string().contains("write a 4xx or 5xx status"), "{e}");
    }
}

#[test]
fn refusal_status_out_of_u16_range_is_an_error() {
    let mut b = base();
    b.refusal_status = 70_000;
    assert_eq!(only_error(b), ConfigError::InvalidRefusalStatus { value: 70_000 });
}

#[test]
fn unknown_refusal_style_is_an_error() {
    let mut b = base();
    b.refusal = "reject".into();
    let e = only_error(b);
    assert_eq!(e, ConfigError::UnknownRefusal { value: "reject".into() });
    assert_eq!(e.field(), Field::Refusal);
    assert!(e.to_string().contains("write \"omit-headers\", \"reject-preflight\" or \"reject-all\""), "{e}");
}

#[test]
fn every_error_is_reported_at_once_in_key_order() {
    let mut b = Policy::builder()
        .allow_origins(["https://a.example/", "*", "null"])
        .allow_credentials(true)
        .allow_methods(["TRACE", "delete"])
        .allow_headers(["cookie", "bad name"])
        .expose_headers(["set-cookie", "*"])
        .max_age(100_000)
        .preflight_status(500);
    b.refusal = "nope".into();
    let got = errors(b);
    let kinds: Vec<_> = got.iter().map(|e| (e.field(), e.index())).collect();
    assert_eq!(
        kinds,
        [
            (Field::AllowOrigins, Some(0)),
            (Field::AllowOrigins, Some(1)),
            (Field::AllowOrigins, Some(2)),
            (Field::AllowMethods, Some(0)),
            (Field::AllowMethods, Some(1)),
            (Field::AllowHeaders, Some(0)),
            (Field::AllowHeaders, Some(1)),
            (Field::ExposeHeaders, Some(0)),
            (Field::ExposeHeaders, Some(1)),
            (Field::MaxAge, None),
            (Field::PreflightStatus, None),
            (Field::Refusal, None),
        ],
        "{got:#?}"
    );
}

#[test]
fn errors_display_one_per_line() {
    let errs = Policy::builder().allow_methods(["TRACE"]).build().unwrap_err();
    assert_eq!(errs.len(), 2);
    let text = errs.to_string();
    assert_eq!(text.lines().count(), 2);
    assert!(text.lines().all(|l| l.starts_with("error: ")), "{text}");
}

// Normalisation --------------------------------------------------------------------------------

#[test]
fn duplicate_origins_are_kept_once() {
    let p = Policy::builder()
        .allow_origins(["https://a.example", "https://b.example", "https://a.example"])
        .build()
        .unwrap();
    let shown: Vec<String> = p.origins().iter().map(|o| o.to_string()).collect();
    assert_eq!(shown, ["https://a.example", "https://b.example"]);
}

#[test]
fn idn_origins_are_stored_as_punycode() {
    let p = Policy::builder().allow_origin("https://bücher.example").build().unwrap();
    assert_eq!(p.origins()[0].to_string(), "https://xn--bcher-kva.example");
}

#[test]
fn request_header_names_are_lower_cased_sorted_and_deduplicated() {
    let t = toml_of(base().allow_headers(["X-Zeta", "content-type", "x-zeta", "Authorization"]));
    assert!(t.contains("allow_headers = [\"authorization\", \"content-type\", \"x-zeta\"]\n"), "{t}");
}

#[test]
fn exposed_header_names_are_lower_cased_sorted_and_deduplicated() {
    let t = toml_of(base().expose_headers(["X-Total", "ETag", "x-total"]));
    assert!(t.contains("expose_headers = [\"etag\", \"x-total\"]\n"), "{t}");
}

#[test]
fn methods_are_deduplicated_and_keep_their_case() {
    let t = toml_of(base().allow_methods(["PUT", "PATCH", "PUT"]));
    assert!(t.contains("allow_methods = [\"PUT\", \"PATCH\"]\n"), "{t}");
}

#[test]
fn star_headers_keep_only_an_explicit_authorization() {
    assert!(toml_of(base().allow_headers(["*", "x-a"])).contains("allow_headers = [\"*\"]\n"));
    assert!(
        toml_of(base().allow_headers(["*", "Authorization"])).contains("allow_headers = [\"*\", \"authorization\"]\n")
    );
}

#[test]
fn star_methods_absorb_listed_methods() {
    assert!(toml_of(base().allow_methods(["PUT", "*"])).contains("allow_methods = [\"*\"]\n"));
}

#[test]
fn builder_defaults_refuse_preflights_with_403_and_answer_with_204() {
    let p = base().build().unwrap();
    assert_eq!(p.refusal(), RefusalStyle::RejectPreflight(StatusCode::FORBIDDEN));
    assert_eq!(p.preflight_status(), StatusCode::NO_CONTENT);
    assert!(!p.allows_credentials());
    assert!(!p.forwards_preflights());
}

#[test]
fn refusal_styles_have_file_names_and_statuses() {
    assert_eq!(RefusalStyle::OmitHeaders.name(), "omit-headers");
    assert_eq!(RefusalStyle::OmitHeaders.status(), None);
    assert_eq!(RefusalStyle::RejectPreflight(StatusCode::FORBIDDEN).name(), "reject-preflight");
    assert_eq!(RefusalStyle::RejectAll(StatusCode::NOT_FOUND).status(), Some(StatusCode::NOT_FOUND));
    let p = base().refusal(RefusalStyle::RejectAll(StatusCode::NOT_FOUND)).build().unwrap();
    assert_eq!(p.refusal(), RefusalStyle::RejectAll(StatusCode::NOT_FOUND));
}

// Warnings -------------------------------------------------------------------------------------

#[test]
fn max_age_over_chromiums_cap_warns() {
    let w = base().max_age(7_201).build().unwrap().warnings();
    assert!(w.iter().any(|w| w.contains("max_age = 7201") && w.contains("7200")), "{w:?}");
    assert!(base().max_age(7_200).build().unwrap().warnings().is_empty());
}

#[test]
fn star_headers_without_authorization_warn() {
    let w = base().allow_headers(["*"]).build().unwrap().warnings();
    assert!(w.iter().any(|w| w.contains("Authorization")), "{w:?}");
    assert!(base().allow_headers(["*", "authorization"]).build().unwrap().warnings().is_empty());
}

#[test]
fn upper_case_patch_warns_that_pages_must_write_it_so() {
    let w = base().allow_methods(["PATCH"]).build().unwrap().warnings();
    assert!(w.iter().any(|w| w.contains("'PATCH'")), "{w:?}");
    assert!(base().allow_methods(["PUT"]).build().unwrap().warnings().is_empty());
}

#[test]
fn a_plain_policy_has_no_warnings() {
    let p = base().allow_methods(["PUT"]).allow_headers(["content-type"]).max_age(600).build().unwrap();
    assert!(p.warnings().is_empty(), "{:?}", p.warnings());
}

#[test]
fn to_toml_omits_absent_max_age_and_refusal_status_for_omit_headers() {
    let t = toml_of(base().refusal(RefusalStyle::OmitHeaders));
    assert!(!t.contains("max_age"), "{t}");
    assert!(!t.contains("refusal_status"), "{t}");
    assert!(t.contains("refusal = \"omit-headers\"\n"), "{t}");
}

#[test]
fn debug_shows_the_normalised_policy() {
    let text = format!("{:?}", base().allow_credentials(true).build().unwrap());
    assert!(text.contains("https://app.example.com") && text.contains("credentials: true"), "{text}");
}

#[test]
fn file_origin_in_any_case_is_a_null_origin() {
    // Schemes are case-insensitive: `FILE:` pages send `Origin: null` like `file:` ones.
    assert!(matches!(
        only_error(Policy::builder().allow_origin("FILE:///x")),
        ConfigError::NullOrigin { index: 0, .. }
    ));
    let p = Policy::builder().allow_origin("File:///x").dangerously_allow_null(true).build().unwrap();
    assert!(p.origins()[0].is_null());
}

#[test]
fn builder_takes_http_types_as_tower_http_users_write_them() {
    use http::header::{AUTHORIZATION, CONTENT_TYPE, ETAG};
    use http::Method;
    let typed = base()
        .allow_methods([Method::PUT, Method::DELETE])
        .allow_headers([CONTENT_TYPE, AUTHORIZATION])
        .expose_headers(&[ETAG]);
    let strings = base()
        .allow_methods(["PUT", "DELETE"])
        .allow_headers(["content-type", "authorization"])
        .expose_headers(["etag"]);
    assert_eq!(toml_of(typed), toml_of(strings));
    // A method http accepts but CORS forbids is refused the same way, whichever type said it.
    let from_type = only_error(base().allow_methods([Method::CONNECT]));
    let from_text = only_error(base().allow_methods(["CONNECT"]));
    assert_eq!(from_type, from_text);
}
