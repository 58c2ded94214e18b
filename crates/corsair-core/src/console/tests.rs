use super::*;
use crate::cors_error::AddressSpace;

fn all_errors() -> Vec<CorsError> {
    use CorsError::*;
    let v = || b"https://x.example/".to_vec();
    vec![
        DisallowedByMode,
        InvalidResponse,
        WildcardOriginNotAllowed,
        MissingAllowOriginHeader,
        MultipleAllowOriginValues { value: b"https://a.example, https://b.example".to_vec() },
        InvalidAllowOriginValue { value: b"example.com".to_vec() },
        AllowOriginMismatch { value: v() },
        InvalidAllowCredentials { value: b"True".to_vec() },
        InvalidAllowCredentials { value: Vec::new() },
        CorsDisabledScheme,
        PreflightInvalidStatus { status: 0 },
        PreflightDisallowedRedirect,
        PreflightWildcardOriginNotAllowed,
        PreflightMissingAllowOriginHeader,
        PreflightMultipleAllowOriginValues { value: b"*, *".to_vec() },
        PreflightInvalidAllowOriginValue { value: Vec::new() },
        PreflightAllowOriginMismatch { value: b"null".to_vec() },
        PreflightInvalidAllowCredentials { value: b"\xe9".to_vec() },
        InvalidAllowMethodsPreflightResponse,
        InvalidAllowHeadersPreflightResponse,
        MethodDisallowedByPreflightResponse { method: "patch".into() },
        HeaderDisallowedByPreflightResponse { name: "x-custom".into() },
        RedirectContainsCredentials,
        InsecureLocalNetwork { resource: AddressSpace::Loopback },
        InvalidLocalNetworkAccess { target: AddressSpace::Local, resource: AddressSpace::Public },
        LocalNetworkAccessPermissionDenied { resource: AddressSpace::Local },
    ]
}

#[test]
fn every_chromium_message_parses_back_to_its_error() {
    for initiator in [Initiator::Fetch, Initiator::Xhr] {
        for e in all_errors() {
            let text = e.console_message(initiator, "http://b.test/x", "http://a.test/", "http://page.test");
            let m = parse(&text).unwrap_or_else(|err| panic!("{text}: {err}"));
            assert_eq!(m.error.as_ref(), Some(&e), "{text}");
            assert_eq!(m.url.as_deref(), Some("http://b.test/x"));
            assert_eq!(m.initial_url.as_deref(), Some("http://a.test/"));
            assert_eq!(m.page_origin.as_deref(), Some("http://page.test"));
            assert_eq!(m.initiator, Some(initiator));
        }
    }
}

#[test]
fn devtools_prefixes_and_following_lines_are_ignored() {
    let text = "index.html:1 Access to fetch at 'http://api.test/a' from origin 'http://app.test' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.\nGET http://api.test/a net::ERR_FAILED 200 (OK)";
    let m = parse(text).unwrap();
    assert_eq!(m.error, Some(CorsError::MissingAllowOriginHeader));
    assert_eq!(m.initial_url, None);
    assert_eq!((m.method.as_deref(), m.status), (Some("GET"), Some(200)));
}

#[test]
fn older_chromium_suffixes_are_understood() {
    let old = "Access to fetch at 'http://api.test/a' from origin 'http://app.test' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource. If an opaque response serves your needs, set the request's mode to 'no-cors' to fetch the resource with CORS disabled.";
    assert_eq!(parse(old).unwrap().error, Some(CorsError::MissingAllowOriginHeader));
    let old_mismatch = "Access to fetch at 'http://api.test/a' from origin 'http://app.test' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value 'http://app.test/' that is not equal to the supplied origin. Have the server send the header with a valid value, or, if an opaque response serves your needs, set the request's mode to 'no-cors' to fetch the resource with CORS disabled.";
    assert_eq!(
        parse(old_mismatch).unwrap().error,
        Some(CorsError::AllowOriginMismatch { value: b"http://app.test/".to_vec() })
    );
}

#[test]
fn unknown_details_keep_url_and_origin() {
    let text = "Access to fetch at 'http://api.test/a' from origin 'http://app.test' has been blocked by CORS policy: Something new.";
    let m = parse(text).unwrap();
    assert_eq!(m.error, None);
    assert!(!m.is_explained());
    assert_eq!(m.url.as_deref(), Some("http://api.test/a"));
    assert_eq!(m.page_origin.as_deref(), Some("http://app.test"));
    assert_eq!(m.detail, "Something new.");
}

#[test]
fn non_cors_text_empty_text_and_cut_messages_are_errors() {
    assert_eq!(parse("hello world"), Err(ParseError::NotACorsMessage));
    assert_eq!(parse("Access to fetch at 'http://a.test/ has been blocked by CORS policy"), Err(ParseError::Truncated));
    assert_eq!(parse(""), Err(ParseError::Empty));
    assert_eq!(parse(" \n\t "), Err(ParseError::Empty));
}

#[test]
fn script_side_symptoms_say_where_the_reason_is() {
    assert_eq!(parse("TypeError: Failed to fetch"), Err(ParseError::Symptom(Symptom::FetchRejected)));
    assert_eq!(
        parse("AxiosError: Network Error\n    at XMLHttpRequest.handleError (xhr.js:117)"),
        Err(ParseError::Symptom(Symptom::AxiosNetworkError))
    );
    assert_eq!(
        parse("Http failure response for http://localhost:8080/api/items: 0 Unknown Error"),
        Err(ParseError::Symptom(Symptom::AngularUnknownError { url: Some("http://localhost:8080/api/items".into()) }))
    );
    assert_eq!(
        parse("GET http://localhost:8080/x net::ERR_FAILED 500 (Internal Server Error)"),
        Err(ParseError::Symptom(Symptom::NetErrFailed { url: Some("http://localhost:8080/x".into()) }))
    );
}

#[test]
fn firefox_messages_give_the_reason_code_and_status() {
    let text = "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.test/items. (Reason: CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 404.";
    let m = parse(text).unwrap();
    assert_eq!(m.browser, Some(Browser::Firefox));
    assert_eq!(m.url.as_deref(), Some("https://api.test/items"));
    assert_eq!(m.firefox_code(), Some("CORSMissingAllowOrigin"));
    assert_eq!(m.status, Some(404));
    assert_eq!(m.error, Some(CorsError::MissingAllowOriginHeader));
}

#[test]
fn firefox_values_are_extracted() {
    let text = "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.test/items. (Reason: header ‘x-custom’ is not allowed according to header ‘Access-Control-Allow-Headers’ from CORS preflight response).";
    let m = parse(text).unwrap();
    assert_eq!(m.firefox_code(), Some("CORSMissingAllowHeaderFromPreflight"));
    assert_eq!(m.error, Some(CorsError::HeaderDisallowedByPreflightResponse { name: "x-custom".into() }));
    let creds = "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at ‘https://api.test/items’. (Reason: Credential is not supported if the CORS header ‘Access-Control-Allow-Origin’ is ‘*’).";
    let m = parse(creds).unwrap();
    assert_eq!(m.url.as_deref(), Some("https://api.test/items"));
    assert_eq!(m.error, Some(CorsError::WildcardOriginNotAllowed));
}

#[test]
fn hints_are_unescaped_to_the_bytes_sent() {
    assert_eq!(detail::decode_hint("a\\u00E9b"), b"a\xe9b");
    assert_eq!(detail::decode_hint("\\u000A"), b"\n");
    assert_eq!(detail::decode_hint("\\uZZ"), b"\\uZZ");
}

#[test]
fn firefox_warning_about_authorization_is_a_warning_not_a_block() {
    let text = "Cross-Origin Request Warning: The Same Origin Policy will disallow reading the remote resource at https://api.test/x soon. (Reason: When the `Access-Control-Allow-Headers` is `*`, the `Authorization` header is not covered. To include the `Authorization` header, it must be explicitly listed in CORS header `Access-Control-Allow-Headers`).";
    let m = parse(text).unwrap();
    assert_eq!(m.other, Some(OtherFailure::AuthorizationNotCoveredByWildcard));
    assert!(m.other.is_some_and(|o| o.is_warning()));
    assert_eq!(m.firefox_code(), Some("CORSAllowHeaderFromPreflightDeprecation"));
    let blocked = parse("Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.test/x. (Reason: CORS disabled).").unwrap();
    assert!(blocked.other.is_some_and(|o| !o.is_warning()));
}
