//! Unit tests for the browser model, grouped by the rule of `docs/chromium-rules.md` they check.
//!
//! Each test reads "given this intent and these answers, expect these requests and this verdict":
//! [`drive`] runs an [`Intent`] against scripted answers, collecting every request the model sent
//! and the final [`Verdict`]. It fails the test if the model sends a request nobody scripted an
//! answer for, or stops while answers are left, so the number of round trips is checked too.

use super::*;

// ---------------------------------------------------------------------------------------------
// The driver
// ---------------------------------------------------------------------------------------------

/// A scripted answer to one request.
#[derive(Debug)]
enum Answer {
    /// The server answered.
    Respond(Response),
    /// The transport failed with this net error (`Fetch::fail`).
    Fail(&'static str),
}

impl From<Response> for Answer {
    fn from(response: Response) -> Answer {
        Answer::Respond(response)
    }
}

/// What one fetch did: every request sent, in order, and how it ended.
#[derive(Debug)]
struct Run {
    requests: Vec<Request>,
    verdict: Verdict,
}

/// Runs `intent` against `answers`, one per request the model sends.
fn drive<A: Into<Answer>>(intent: Intent, answers: impl IntoIterator<Item = A>) -> Run {
    let mut fetch = Fetch::new(intent);
    let mut answers = answers.into_iter().map(Into::into);
    let mut requests = Vec::new();
    loop {
        match fetch.next() {
            Step::Send(request) => {
                let Some(answer) = answers.next() else {
                    panic!(
                        "no scripted answer for request #{}: {request:#?}\nsent before: {requests:#?}",
                        requests.len() + 1
                    )
                };
                requests.push(request);
                match answer {
                    Answer::Respond(response) => fetch.receive(response),
                    Answer::Fail(code) => fetch.fail(code),
                }
            }
            Step::Done(verdict) => {
                let unused: Vec<Answer> = answers.collect();
                assert!(
                    unused.is_empty(),
                    "the fetch ended after {} request(s) with answers left: {unused:#?}\nverdict: {verdict:#?}",
                    requests.len()
                );
                assert_eq!(fetch.verdict(), Some(&verdict));
                return Run { requests, verdict };
            }
        }
    }
}

/// Runs an intent the model refuses before sending anything.
fn refused(intent: Intent) -> Run {
    let run = drive(intent, Vec::<Answer>::new());
    assert!(run.requests.is_empty());
    run
}

impl Run {
    /// `"<kind> <method> <url>"` for each request sent.
    fn trace(&self) -> Vec<String> {
        self.requests.iter().map(|r| format!("{:?} {} {}", r.kind, r.method, r.url)).collect()
    }

    fn preflight(&self) -> &Request {
        self.requests.iter().find(|r| r.kind == SendKind::Preflight).expect("a preflight was sent")
    }

    fn actual(&self) -> &Request {
        self.requests.iter().rev().find(|r| r.kind == SendKind::Actual).expect("an actual request was sent")
    }

    fn allowed(&self) -> &Allowed {
        match &self.verdict {
            Verdict::Allowed(a) => a,
            Verdict::Blocked(b) => panic!("expected the fetch to be allowed, got: {}\n{b:#?}", b.console_message()),
        }
    }

    fn blocked(&self) -> &Blocked {
        match &self.verdict {
            Verdict::Blocked(b) => b,
            Verdict::Allowed(a) => panic!("expected the fetch to be blocked, got: {a:#?}"),
        }
    }

    fn error(&self) -> &CorsError {
        let blocked = self.blocked();
        blocked.cors_error().unwrap_or_else(|| panic!("expected a CORS error, got {:?}", blocked.failure))
    }

    fn message(&self) -> String {
        self.blocked().console_message()
    }

    fn warnings(&self) -> &[Warning] {
        self.verdict.warnings()
    }
}

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

const PAGE: &str = "https://app.example";
/// A cross-origin URL.
const API: &str = "https://api.example/data";
/// Another origin again.
const OTHER: &str = "https://other.example/next";
/// A URL of the page's own origin.
const SAME: &str = "https://app.example/api";

const ACAO: &str = "Access-Control-Allow-Origin";
const ACAC: &str = "Access-Control-Allow-Credentials";
const ACAM: &str = "Access-Control-Allow-Methods";
const ACAH: &str = "Access-Control-Allow-Headers";
const ACEH: &str = "Access-Control-Expose-Headers";
const MAX_AGE: &str = "Access-Control-Max-Age";

const PREFIX: &str = "Response to preflight request doesn't pass access control check: ";
const MISSING: &str = "No 'Access-Control-Allow-Origin' header is present on the requested resource.";
const WILDCARD: &str = "The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'.";
const XHR_SUFFIX: &str =
    " The credentials mode of requests initiated by the XMLHttpRequest is controlled by the withCredentials attribute.";

fn mismatch(hint: &str) -> String {
    format!("The 'Access-Control-Allow-Origin' header has a value '{hint}' that is not equal to the supplied origin. Have the server send the header with a valid value.")
}

fn multiple(hint: &str) -> String {
    format!("The 'Access-Control-Allow-Origin' header contains multiple values '{hint}', but only one is allowed. Have the server send the header with a valid value.")
}

fn invalid(hint: &str) -> String {
    format!("The 'Access-Control-Allow-Origin' header contains the invalid value '{hint}'. Have the server send the header with a valid value.")
}

fn bad_credentials(hint: &str) -> String {
    format!("The value of the 'Access-Control-Allow-Credentials' header in the response is '{hint}' which must be 'true' when the request's credentials mode is 'include'.")
}

/// The console line for a CORS failure of a fetch from [`PAGE`] at `at`, not redirected.
fn cors_line(at: &str, detail: &str) -> String {
    format!("Access to fetch at '{at}' from origin 'https://app.example' has been blocked by CORS policy: {detail}")
}

/// The console line for a CORS failure at `at` after redirects from `from`.
fn redirected_line(at: &str, from: &str, detail: &str) -> String {
    format!("Access to fetch at '{at}' (redirected from '{from}') from origin 'https://app.example' has been blocked by CORS policy: {detail}")
}

fn page() -> Origin {
    Origin::parse(PAGE).unwrap()
}

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

/// `fetch(u)` from [`PAGE`].
fn fetch(u: &str) -> Intent {
    Intent::new(url(u), page())
}

/// `fetch(API)`: a cross-origin GET with the defaults.
fn cross() -> Intent {
    fetch(API)
}

/// `fetch(SAME)`: a same-origin GET with the defaults.
fn same() -> Intent {
    fetch(SAME)
}

fn xhr(mut intent: Intent) -> Intent {
    intent.initiator = Initiator::Xhr;
    intent
}

/// A response with no headers.
fn bare(status: u16) -> Response {
    Response::new(status)
}

/// A response allowing [`PAGE`], varying on `Origin` as an echo must.
fn acao(status: u16) -> Response {
    Response::new(status).header(ACAO, PAGE).header("Vary", "Origin")
}

/// A response allowing [`PAGE`] with credentials.
fn acao_creds(status: u16) -> Response {
    acao(status).header(ACAC, "true")
}

/// A response with `Access-Control-Allow-Origin: *`.
fn star(status: u16) -> Response {
    Response::new(status).header(ACAO, "*")
}

/// A redirect with no CORS headers.
fn redirect(status: u16, location: &str) -> Response {
    Response::new(status).header("Location", location)
}

/// A redirect that passes the CORS check of an untainted request from [`PAGE`].
fn hop(status: u16, location: &str) -> Response {
    acao(status).header("Location", location)
}

/// A redirect that passes the CORS check of a tainted request (`Origin: null`).
fn hop_star(status: u16, location: &str) -> Response {
    star(status).header("Location", location)
}

/// A 204 preflight answer allowing [`PAGE`], these methods and these headers.
fn grant(methods: &str, headers: &str) -> Response {
    acao(204).header(ACAM, methods).header(ACAH, headers)
}

/// The first thing the model does for this intent.
fn first(intent: Intent) -> Request {
    match Fetch::new(intent).next() {
        Step::Send(request) => request,
        Step::Done(verdict) => panic!("expected a request, got {verdict:#?}"),
    }
}

/// True if a cross-origin GET with this one header is preflighted.
fn preflighted(name: &str, value: &str) -> bool {
    first(cross().header(name, value)).kind == SendKind::Preflight
}

/// The `Access-Control-Request-Headers` of the preflight the model sends first.
fn acrh(intent: Intent) -> Option<String> {
    let request = first(intent);
    assert_eq!(request.kind, SendKind::Preflight, "expected a preflight first");
    request.header("access-control-request-headers").map(str::to_owned)
}

fn pairs(request: &Request) -> Vec<(&str, &str)> {
    request.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()
}

/// Safelisted headers (each value at most 128 bytes) whose values add up to `total` bytes.
fn safelisted_filler(total: usize) -> Vec<(&'static str, String)> {
    let names = [
        ("accept-language", b'a'),
        ("content-language", b'a'),
        ("intervention", b'x'),
        ("dpr", b'1'),
        ("device-memory", b'1'),
        ("downlink", b'1'),
        ("width", b'1'),
        ("viewport-width", b'1'),
        ("rtt", b'1'),
    ];
    let mut left = total;
    let mut out = Vec::new();
    for (name, fill) in names {
        if left == 0 {
            break;
        }
        let n = left.min(128);
        out.push((name, String::from_utf8(vec![fill; n]).unwrap()));
        left -= n;
    }
    assert_eq!(left, 0, "the filler cannot reach {total} bytes");
    out
}

fn with_headers(mut intent: Intent, headers: &[(&'static str, String)]) -> Intent {
    for (n, v) in headers {
        intent = intent.header(n, v);
    }
    intent
}

// ---------------------------------------------------------------------------------------------
// §2.5 Methods: simple or preflighted, and Blink's normalisation
// ---------------------------------------------------------------------------------------------

mod methods {
    use super::*;

    #[test]
    fn get_is_simple() {
        let run = drive(cross(), [acao(200)]);
        assert_eq!(run.trace(), ["Actual GET https://api.example/data"]);
        assert_eq!(run.allowed().response_type, ResponseType::Cors);
        assert_eq!(run.allowed().preflight, None);
    }

    #[test]
    fn head_is_simple() {
        let run = drive(cross().method("HEAD"), [acao(200)]);
        assert_eq!(run.trace(), ["Actual HEAD https://api.example/data"]);
    }

    #[test]
    fn post_is_simple() {
        let run = drive(cross().method("POST").header("Content-Type", "text/plain"), [acao(201)]);
        assert_eq!(run.trace(), ["Actual POST https://api.example/data"]);
        assert_eq!(run.allowed().status, 201);
    }

    #[test]
    fn lower_case_post_is_upper_cased_and_stays_simple() {
        let run = drive(cross().method("post"), [acao(200)]);
        assert_eq!(run.trace(), ["Actual POST https://api.example/data"]);
    }

    #[test]
    fn put_is_preflighted() {
        let run = drive(cross().method("PUT"), [grant("PUT", ""), acao(200)]);
        assert_eq!(run.trace(), ["Preflight OPTIONS https://api.example/data", "Actual PUT https://api.example/data"]);
        assert_eq!(run.preflight().header("Access-Control-Request-Method"), Some("PUT"));
    }

    #[test]
    fn delete_lower_case_is_sent_as_delete() {
        let run = drive(cross().method("delete"), [grant("DELETE", ""), acao(204)]);
        assert_eq!(run.preflight().header("access-control-request-method"), Some("DELETE"));
        assert_eq!(run.actual().method, "DELETE");
    }

    #[test]
    fn patch_lower_case_is_sent_as_patch() {
        let run = drive(cross().method("patch"), [grant("patch", ""), acao(200)]);
        assert_eq!(
            run.trace(),
            ["Preflight OPTIONS https://api.example/data", "Actual patch https://api.example/data"]
        );
        assert_eq!(run.preflight().header("access-control-request-method"), Some("patch"));
    }

    #[test]
    fn mixed_case_patch_keeps_its_case() {
        let request = first(cross().method("Patch"));
        assert_eq!(request.header("access-control-request-method"), Some("Patch"));
    }

    #[test]
    fn only_the_six_standard_methods_are_upper_cased() {
        for (written, sent) in [("get", "GET"), ("head", "HEAD"), ("post", "POST")] {
            let request = first(cross().method(written));
            assert_eq!((request.kind, request.method.as_str()), (SendKind::Actual, sent), "{written}");
        }
        for (written, sent) in
            [("put", "PUT"), ("delete", "DELETE"), ("options", "OPTIONS"), ("Put", "PUT"), ("propfind", "propfind")]
        {
            let request = first(cross().method(written));
            assert_eq!(request.kind, SendKind::Preflight, "{written}");
            assert_eq!(request.header("access-control-request-method"), Some(sent), "{written}");
        }
    }

    #[test]
    fn a_custom_method_is_preflighted() {
        let run = drive(cross().method("PURGE"), [grant("PURGE", ""), acao(200)]);
        assert_eq!(
            run.trace(),
            ["Preflight OPTIONS https://api.example/data", "Actual PURGE https://api.example/data"]
        );
    }
}

// ---------------------------------------------------------------------------------------------
// §2.2 Safelisted request headers
// ---------------------------------------------------------------------------------------------

mod safelisted_headers {
    use super::*;

    #[test]
    fn accept_with_safe_bytes_needs_no_preflight() {
        for v in ["application/json", "text/html, */*;q=0.8", "a\tb", "*/*"] {
            assert!(!preflighted("Accept", v), "{v:?}");
        }
    }

    #[test]
    fn accept_with_a_cors_unsafe_byte_is_preflighted() {
        for b in b"\"():<>?@[\\]{}\x7f\x01\x1f" {
            let v = format!("text/{}html", *b as char);
            assert!(preflighted("Accept", &v), "{v:?}");
            assert_eq!(acrh(cross().header("Accept", &v)).as_deref(), Some("accept"));
        }
    }

    #[test]
    fn accept_language_allows_alphanumerics_space_and_star_comma_dash_dot_semicolon_equals() {
        for v in ["en-US,en;q=0.9", "*", "de DE", "fr.CA"] {
            assert!(!preflighted("Accept-Language", v), "{v:?}");
        }
        for v in ["en_US", "en/US", "en!", "en\"", "é"] {
            assert!(preflighted("Accept-Language", v), "{v:?}");
        }
    }

    #[test]
    fn content_language_has_the_same_byte_set() {
        for v in ["de-DE", "en, fr", "x=1;y"] {
            assert!(!preflighted("Content-Language", v), "{v:?}");
        }
        for v in ["de@", "de:DE", "de_DE", "(de)"] {
            assert!(preflighted("Content-Language", v), "{v:?}");
        }
    }

    #[test]
    fn the_three_form_content_types_need_no_preflight() {
        for v in ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"] {
            let run = drive(cross().method("POST").header("Content-Type", v), [acao(200)]);
            assert_eq!(run.trace(), ["Actual POST https://api.example/data"], "{v}");
        }
    }

    #[test]
    fn content_type_is_lower_cased_and_its_parameters_are_not_validated() {
        for v in [
            "TEXT/PLAIN",
            "text/plain;charset=utf-8",
            "multipart/form-data; boundary=----x",
            "text/plain;garbage",
            "text/plain;;;",
            "text/plain ;x",
        ] {
            assert!(!preflighted("Content-Type", v), "{v:?}");
        }
    }

    #[test]
    fn content_type_for_protected_audience_signals_is_preflighted() {
        // Chromium 156 preflights it, though its source lists it behind a feature.
        assert!(preflighted("Content-Type", "message/ad-auction-trusted-signals-request"));
    }

    #[test]
    fn application_json_is_preflighted() {
        assert_eq!(
            acrh(cross().method("POST").header("Content-Type", "application/json")).as_deref(),
            Some("content-type")
        );
    }

    #[test]
    fn other_content_types_are_preflighted() {
        for v in [
            "text/html",
            "text /plain",
            "text/plain,",
            "text/plain,x/x",
            "text/plain/x",
            "text",
            "text/plain; charset=\"utf-8\"",
            "application/x-www-form-urlencoded\x01",
        ] {
            assert!(preflighted("Content-Type", v), "{v:?}");
        }
    }

    #[test]
    fn a_single_bytes_range_is_safelisted() {
        for v in ["bytes=0-", "bytes=0-499", "bytes=5-5", "bytes=00-01", "bytes=9223372036854775806-"] {
            assert!(!preflighted("Range", v), "{v:?}");
        }
    }

    #[test]
    fn upper_case_units_plus_signs_and_i64_max_are_preflighted_as_in_chromium_156() {
        for v in ["BYTES=1-2", "Bytes=0-1", "bytes=+1-2", "bytes=1-+2", "bytes=9223372036854775807-"] {
            assert!(preflighted("Range", v), "{v:?}");
        }
    }

    #[test]
    fn suffix_multiple_reversed_or_spaced_ranges_are_preflighted() {
        for v in [
            "bytes=-500",
            "bytes=0-1,3-4",
            "bytes=5-1",
            "bytes= 0-1",
            "bytes=0 -1",
            "items=0-1",
            "bytes=a-b",
            "bytes=",
            "bytes=99999999999999999999-",
        ] {
            assert!(preflighted("Range", v), "{v:?}");
        }
    }

    #[test]
    fn a_value_of_128_bytes_is_safelisted_and_129_is_not() {
        assert!(!preflighted("Accept", &"a".repeat(128)));
        assert!(preflighted("Accept", &"a".repeat(129)));
        let long_type = format!("text/plain;{}", "x".repeat(128 - "text/plain;".len()));
        assert!(!preflighted("Content-Type", &long_type));
        assert!(preflighted("Content-Type", &format!("{long_type}x")));
    }

    #[test]
    fn the_1024_byte_total_counts_the_default_accept() {
        // 1021 bytes of safelisted values + `Accept: */*` (3 bytes) = 1024: still fine.
        let fine = first(with_headers(cross(), &safelisted_filler(1021)));
        assert_eq!(fine.kind, SendKind::Actual);
        // 1022 + 3 = 1025 > 1024: every safelisted name, the default Accept included, needs permission.
        assert_eq!(
            acrh(with_headers(cross(), &safelisted_filler(1022))).as_deref(),
            Some(
                "accept,accept-language,content-language,device-memory,downlink,dpr,intervention,viewport-width,width"
            )
        );
    }

    #[test]
    fn an_explicit_accept_counts_instead_of_the_default() {
        let fine = with_headers(cross().header("Accept", "*/*"), &safelisted_filler(1021));
        assert_eq!(first(fine).kind, SendKind::Actual);
        let over = with_headers(cross().header("Accept", "a/b"), &safelisted_filler(1022));
        assert_eq!(first(over).kind, SendKind::Preflight);
    }

    #[test]
    fn unsafe_header_values_do_not_count_toward_the_total() {
        let intent = with_headers(cross().header("X-Custom", &"v".repeat(128)), &safelisted_filler(1021));
        assert_eq!(acrh(intent).as_deref(), Some("x-custom"));
    }

    #[test]
    fn client_hints_with_valid_values_are_safelisted() {
        for (n, v) in [
            ("DPR", "2"),
            ("Device-Memory", "0.5"),
            ("Downlink", "10.25"),
            ("Width", "640"),
            ("Viewport-Width", "1280"),
            ("RTT", "50"),
            ("ECT", "4g"),
            ("Save-Data", "ON"),
            ("Intervention", "<https://x>; level=\"warning\""),
        ] {
            assert!(!preflighted(n, v), "{n}: {v}");
        }
        for (n, v) in [("DPR", "2."), ("Width", "1.5"), ("ECT", "5g"), ("Save-Data", "off"), ("Device-Memory", "-1")] {
            assert!(preflighted(n, v), "{n}: {v}");
        }
    }

    #[test]
    fn a_custom_header_is_preflighted() {
        let run =
            drive(cross().header("X-Requested-With", "XMLHttpRequest"), [grant("", "x-requested-with"), acao(200)]);
        assert_eq!(run.preflight().header("access-control-request-headers"), Some("x-requested-with"));
        assert_eq!(run.actual().header("x-requested-with"), Some("XMLHttpRequest"));
    }

    #[test]
    fn forbidden_headers_are_dropped_with_a_warning() {
        for name in [
            "Cookie",
            "User-Agent",
            "Origin",
            "Referer",
            "Host",
            "Sec-Fetch-Site",
            "Proxy-Authorization",
            "Access-Control-Request-Private-Network",
            "Access-Control-Request-Headers",
            "Content-Length",
        ] {
            let run = drive(cross().header(name, "1"), [acao(200)]);
            assert_eq!(run.trace(), ["Actual GET https://api.example/data"], "{name}");
            let lower = name.to_ascii_lowercase();
            assert!(!run.actual().headers.iter().any(|(n, v)| n.eq_ignore_ascii_case(name) && v == "1"), "{name}");
            assert_eq!(run.warnings(), [Warning::DroppedForbiddenHeader(lower)], "{name}");
        }
    }

    #[test]
    fn method_override_headers_are_forbidden_only_for_forbidden_methods() {
        let run = drive(cross().header("X-HTTP-Method-Override", "GET, trace"), [acao(200)]);
        assert_eq!(run.warnings(), [Warning::DroppedForbiddenHeader("x-http-method-override".into())]);
        assert_eq!(acrh(cross().header("X-HTTP-Method-Override", "PUT")).as_deref(), Some("x-http-method-override"));
    }

    #[test]
    fn a_forbidden_header_set_twice_warns_once() {
        let run = drive(cross().header("Cookie", "a=1").header("cookie", "b=2"), [acao(200)]);
        assert_eq!(run.warnings(), [Warning::DroppedForbiddenHeader("cookie".into())]);
    }

    #[test]
    fn repeated_names_are_combined_with_comma_space() {
        let run = drive(
            cross().header("X-Tag", "a").header("x-tag", " b ").header("X-TAG", "c"),
            [grant("", "x-tag"), acao(200)],
        );
        assert_eq!(run.preflight().header("access-control-request-headers"), Some("x-tag"));
        let tags: Vec<_> = run.actual().headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case("x-tag")).collect();
        assert_eq!(tags, [&("X-Tag".to_owned(), "a, b, c".to_owned())]);
    }

    #[test]
    fn combining_can_make_a_safelisted_header_unsafe() {
        // Each half is a form type; `text/plain, text/plain` is not.
        let intent = cross().header("Content-Type", "text/plain").header("Content-Type", "text/plain");
        assert_eq!(acrh(intent).as_deref(), Some("content-type"));
    }
}

// ---------------------------------------------------------------------------------------------
// §4 The preflight request
// ---------------------------------------------------------------------------------------------

mod preflight_request {
    use super::*;

    #[test]
    fn has_exactly_chromiums_headers_in_order() {
        let request = first(
            cross().method("PUT").header("X-B", "1").header("Content-Type", "application/json").header("x-a", "2"),
        );
        assert_eq!(request.method, "OPTIONS");
        assert_eq!(request.url.as_str(), API);
        assert_eq!(
            pairs(&request),
            [
                ("Accept", "*/*"),
                ("Access-Control-Request-Method", "PUT"),
                ("Access-Control-Request-Headers", "content-type,x-a,x-b"),
                ("Origin", "https://app.example"),
                ("Sec-Fetch-Mode", "cors"),
            ]
        );
    }

    #[test]
    fn has_no_request_headers_line_when_only_the_method_needs_permission() {
        let request = first(cross().method("DELETE").header("Accept", "application/json"));
        assert_eq!(
            pairs(&request),
            [
                ("Accept", "*/*"),
                ("Access-Control-Request-Method", "DELETE"),
                ("Origin", "https://app.example"),
                ("Sec-Fetch-Mode", "cors"),
            ]
        );
    }

    #[test]
    fn request_headers_are_lower_cased_sorted_deduplicated_and_joined_without_space() {
        let intent =
            cross().header("X-Zeta", "1").header("Authorization", "x").header("X-ALPHA", "2").header("x-alpha", "3");
        assert_eq!(acrh(intent).as_deref(), Some("authorization,x-alpha,x-zeta"));
    }

    #[test]
    fn safelisted_headers_are_not_listed() {
        let intent = cross()
            .header("Content-Type", "text/plain")
            .header("Accept-Language", "en")
            .header("X-Id", "7")
            .header("Range", "bytes=0-1");
        assert_eq!(acrh(intent).as_deref(), Some("x-id"));
    }

    #[test]
    fn does_not_carry_the_scripts_headers() {
        let request = first(cross().header("X-Secret", "s3cr3t").header("Content-Type", "application/json"));
        assert_eq!(request.header("x-secret"), None);
        assert_eq!(request.header("content-type"), None);
    }

    #[test]
    fn never_carries_credentials() {
        let run = drive(
            cross().method("PUT").credentials(Credentials::Include),
            [grant("PUT", "").header(ACAC, "true"), acao_creds(200)],
        );
        assert!(!run.preflight().with_credentials);
        assert!(run.actual().with_credentials);
    }

    #[test]
    fn sends_the_method_verbatim() {
        assert_eq!(first(cross().method("pAtCh")).header("access-control-request-method"), Some("pAtCh"));
    }
}

// ---------------------------------------------------------------------------------------------
// §1.3 The actual request: Origin, Accept, Sec-Fetch-Mode, credentials
// ---------------------------------------------------------------------------------------------

mod actual_request {
    use super::*;

    #[test]
    fn a_cross_origin_get_carries_origin() {
        let run = drive(cross(), [acao(200)]);
        assert_eq!(run.actual().header("origin"), Some("https://app.example"));
    }

    #[test]
    fn a_same_origin_get_or_head_carries_no_origin() {
        for method in ["GET", "HEAD"] {
            let run = drive(same().method(method), [bare(200)]);
            assert_eq!(run.actual().header("origin"), None, "{method}");
        }
    }

    #[test]
    fn a_same_origin_post_or_delete_carries_origin() {
        for method in ["POST", "DELETE"] {
            let run = drive(same().method(method), [bare(200)]);
            assert_eq!(run.actual().header("origin"), Some("https://app.example"), "{method}");
        }
    }

    #[test]
    fn the_body_goes_with_the_actual_request_only() {
        let run = drive(cross().method("PUT").body("{}"), [grant("PUT", ""), acao(200)]);
        assert_eq!(run.preflight().body, None);
        assert_eq!(run.actual().body.as_deref(), Some(&b"{}"[..]));
    }

    #[test]
    fn a_redirect_that_rewrites_the_method_to_get_drops_the_body() {
        let run = drive(cross().method("POST").body("a=1"), [hop(303, "/next"), acao(200)]);
        assert_eq!(run.requests[0].body.as_deref(), Some(&b"a=1"[..]));
        assert_eq!((run.actual().method.as_str(), run.actual().body.as_deref()), ("GET", None));
        let run = drive(cross().method("POST").body("a=1"), [hop(307, "/next"), acao(200)]);
        assert_eq!(run.actual().body.as_deref(), Some(&b"a=1"[..]), "307 keeps method and body");
    }

    #[test]
    fn fetch_refuses_a_body_with_get_or_head() {
        for method in ["GET", "head"] {
            let run = refused(cross().method(method).body("x"));
            assert_eq!(
                run.blocked().console_message(),
                "Failed to execute 'fetch' on 'Window': Request with GET/HEAD method cannot have body."
            );
        }
    }

    #[test]
    fn gets_the_default_accept_unless_the_script_set_one() {
        let run = drive(cross(), [acao(200)]);
        assert_eq!(
            pairs(run.actual()),
            [("Accept", "*/*"), ("Origin", "https://app.example"), ("Sec-Fetch-Mode", "cors")]
        );
        let run = drive(cross().header("accept", "application/json"), [acao(200)]);
        assert_eq!(
            pairs(run.actual()),
            [("accept", "application/json"), ("Origin", "https://app.example"), ("Sec-Fetch-Mode", "cors")]
        );
    }

    #[test]
    fn sec_fetch_mode_names_the_mode() {
        assert_eq!(
            drive(same().mode(Mode::SameOrigin), [bare(200)]).actual().header("sec-fetch-mode"),
            Some("same-origin")
        );
        assert_eq!(drive(cross().mode(Mode::NoCors), [bare(200)]).actual().header("sec-fetch-mode"), Some("no-cors"));
    }

    #[test]
    fn cross_origin_include_sends_credentials() {
        let run = drive(cross().credentials(Credentials::Include), [acao_creds(200)]);
        assert!(run.actual().with_credentials);
    }

    #[test]
    fn cross_origin_same_origin_credentials_sends_none() {
        let run = drive(cross().credentials(Credentials::SameOrigin), [acao(200)]);
        assert!(!run.actual().with_credentials);
    }

    #[test]
    fn cross_origin_omit_sends_none() {
        let run = drive(cross().credentials(Credentials::Omit), [acao(200)]);
        assert!(!run.actual().with_credentials);
    }

    #[test]
    fn same_origin_include_sends_credentials() {
        assert!(drive(same().credentials(Credentials::Include), [bare(200)]).actual().with_credentials);
    }

    #[test]
    fn same_origin_same_origin_credentials_sends_them() {
        assert!(drive(same().credentials(Credentials::SameOrigin), [bare(200)]).actual().with_credentials);
    }

    #[test]
    fn same_origin_omit_sends_none() {
        assert!(!drive(same().credentials(Credentials::Omit), [bare(200)]).actual().with_credentials);
    }

    #[test]
    fn another_port_is_another_origin() {
        let run = drive(fetch("https://app.example:8443/api"), [bare(200)]);
        assert_eq!(run.error(), &CorsError::MissingAllowOriginHeader);
        assert_eq!(run.actual().header("origin"), Some("https://app.example"));
    }
}

// ---------------------------------------------------------------------------------------------
// §2.1 CheckAccess on actual responses
// ---------------------------------------------------------------------------------------------

mod check_access_actual {
    use super::*;

    fn answered(intent: Intent, response: Response) -> Run {
        drive(intent, [response])
    }

    #[test]
    fn missing_allow_origin() {
        let run = answered(cross(), bare(200).header("Content-Type", "application/json"));
        assert_eq!(run.error(), &CorsError::MissingAllowOriginHeader);
        assert_eq!(
            run.message(),
            "Access to fetch at 'https://api.example/data' from origin 'https://app.example' has been blocked by CORS policy: \
             No 'Access-Control-Allow-Origin' header is present on the requested resource."
        );
    }

    #[test]
    fn wildcard_passes_without_include() {
        for credentials in [Credentials::Omit, Credentials::SameOrigin] {
            let run = answered(cross().credentials(credentials), star(200));
            assert_eq!(run.allowed().response_type, ResponseType::Cors, "{credentials:?}");
        }
    }

    #[test]
    fn wildcard_fails_with_include_even_with_allow_credentials() {
        let run = answered(cross().credentials(Credentials::Include), star(200).header(ACAC, "true"));
        assert_eq!(run.error(), &CorsError::WildcardOriginNotAllowed);
        assert_eq!(
            run.message(),
            "Access to fetch at 'https://api.example/data' from origin 'https://app.example' has been blocked by CORS policy: \
             The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the \
             request's credentials mode is 'include'."
        );
    }

    #[test]
    fn the_exact_origin_passes() {
        let run = answered(cross(), acao(200));
        assert_eq!(run.allowed().status, 200);
    }

    #[test]
    fn a_trailing_slash_is_a_mismatch() {
        let run = answered(cross(), bare(200).header(ACAO, "https://app.example/"));
        assert_eq!(run.error(), &CorsError::AllowOriginMismatch { value: b"https://app.example/".to_vec() });
        assert_eq!(
            run.message(),
            "Access to fetch at 'https://api.example/data' from origin 'https://app.example' has been blocked by CORS policy: \
             The 'Access-Control-Allow-Origin' header has a value 'https://app.example/' that is not equal to the supplied \
             origin. Have the server send the header with a valid value."
        );
    }

    #[test]
    fn upper_case_is_a_mismatch() {
        let run = answered(cross(), bare(200).header(ACAO, "HTTPS://APP.EXAMPLE"));
        assert_eq!(run.message(), cors_line(API, &mismatch("HTTPS://APP.EXAMPLE")));
    }

    #[test]
    fn another_port_or_scheme_is_a_mismatch() {
        for value in ["https://app.example:8443", "http://app.example", "https://app.example:443"] {
            let run = answered(cross(), bare(200).header(ACAO, value));
            assert_eq!(run.error(), &CorsError::AllowOriginMismatch { value: value.as_bytes().to_vec() }, "{value}");
        }
    }

    #[test]
    fn null_is_a_mismatch_for_an_untainted_request() {
        let run = answered(cross(), bare(200).header(ACAO, "null"));
        assert_eq!(run.message(), cors_line(API, &mismatch("null")));
    }

    #[test]
    fn a_list_is_multiple_values() {
        let run = answered(cross(), bare(200).header(ACAO, "https://app.example, https://b.example"));
        assert_eq!(run.message(), cors_line(API, &multiple("https://app.example, https://b.example")));
    }

    #[test]
    fn two_lines_are_multiple_values_even_when_equal() {
        let run = answered(cross(), acao(200).header("access-control-allow-origin", PAGE));
        assert_eq!(
            run.message(),
            "Access to fetch at 'https://api.example/data' from origin 'https://app.example' has been blocked by CORS policy: \
             The 'Access-Control-Allow-Origin' header contains multiple values 'https://app.example, https://app.example', \
             but only one is allowed. Have the server send the header with a valid value."
        );
    }

    #[test]
    fn a_space_alone_makes_multiple_values() {
        let run = answered(cross(), bare(200).header(ACAO, "https://app.example https://b.example"));
        assert!(matches!(run.error(), CorsError::MultipleAllowOriginValues { .. }));
    }

    #[test]
    fn an_empty_value_is_invalid() {
        let run = answered(cross(), bare(200).header(ACAO, ""));
        assert_eq!(run.message(), cors_line(API, &invalid("")));
    }

    #[test]
    fn a_bare_host_or_double_star_is_invalid() {
        for value in ["app.example", "**"] {
            let run = answered(cross(), bare(200).header(ACAO, value));
            assert_eq!(run.message(), cors_line(API, &invalid(value)), "{value}");
        }
    }

    #[test]
    fn values_are_trimmed_of_spaces_and_tabs() {
        let run = answered(cross(), bare(200).header(ACAO, " \thttps://app.example \t"));
        assert!(run.verdict.is_allowed());
        let run = answered(cross(), bare(200).header(ACAO, " * "));
        assert!(run.verdict.is_allowed());
    }

    #[test]
    fn include_with_exact_origin_and_allow_credentials_true_passes() {
        let run = answered(cross().credentials(Credentials::Include), acao_creds(200));
        assert_eq!(run.allowed().response_type, ResponseType::Cors);
    }

    #[test]
    fn include_without_allow_credentials_has_an_empty_hint() {
        let run = answered(cross().credentials(Credentials::Include), acao(200));
        assert_eq!(run.error(), &CorsError::InvalidAllowCredentials { value: Vec::new() });
        assert_eq!(
            run.message(),
            "Access to fetch at 'https://api.example/data' from origin 'https://app.example' has been blocked by CORS policy: \
             The value of the 'Access-Control-Allow-Credentials' header in the response is '' which must be 'true' when the \
             request's credentials mode is 'include'."
        );
    }

    #[test]
    fn allow_credentials_is_case_sensitive() {
        let run = answered(cross().credentials(Credentials::Include), acao(200).header(ACAC, "True"));
        assert_eq!(run.message(), cors_line(API, &bad_credentials("True")));
    }

    #[test]
    fn two_allow_credentials_lines_fail() {
        let run = answered(cross().credentials(Credentials::Include), acao_creds(200).header(ACAC, "true"));
        assert_eq!(run.message(), cors_line(API, &bad_credentials("true, true")));
    }

    #[test]
    fn allow_credentials_is_trimmed() {
        let run = answered(cross().credentials(Credentials::Include), acao(200).header(ACAC, "\ttrue "));
        assert!(run.verdict.is_allowed());
    }

    #[test]
    fn allow_credentials_is_ignored_without_include() {
        for credentials in [Credentials::Omit, Credentials::SameOrigin] {
            assert!(answered(cross().credentials(credentials), acao(200).header(ACAC, "false")).verdict.is_allowed());
            assert!(answered(cross().credentials(credentials), star(200).header(ACAC, "nope")).verdict.is_allowed());
        }
    }

    #[test]
    fn the_origin_is_checked_before_allow_credentials() {
        let run = answered(cross().credentials(Credentials::Include), bare(200).header(ACAC, "false"));
        assert_eq!(run.error(), &CorsError::MissingAllowOriginHeader);
    }

    #[test]
    fn a_latin1_byte_in_the_hint_is_escaped() {
        // Not UTF-8, so GURL finds the host invalid (Chromium 156: "contains the invalid value").
        let run = answered(cross(), bare(200).header(ACAO, b"https://caf\xE9.example".as_slice()));
        assert_eq!(run.error(), &CorsError::InvalidAllowOriginValue { value: b"https://caf\xE9.example".to_vec() });
        assert!(run.message().contains("'https://caf\\u00E9.example'"), "{}", run.message());
        // In the path it is escaped, so the URL is valid and merely different.
        let run = answered(cross(), bare(200).header(ACAO, b"https://a.example/\xE9".as_slice()));
        assert_eq!(run.message(), cors_line(API, &mismatch("https://a.example/\\u00E9")));
    }

    #[test]
    fn a_utf8_idn_allow_origin_is_a_valid_url_with_each_byte_escaped() {
        // GURL reads UTF-8: `\xC4\x89` is U+0109, a valid IDN host (Chromium 156).
        let run = answered(cross(), bare(200).header(ACAO, b"http://\xC4\x89.test".as_slice()));
        assert_eq!(run.message(), cors_line(API, &mismatch("http://\\u00C4\\u0089.test")));
    }

    #[test]
    fn control_bytes_in_the_hint_are_escaped() {
        let run =
            answered(cross().credentials(Credentials::Include), acao(200).header(ACAC, b"tr\x0bue\x7f".as_slice()));
        assert_eq!(run.message(), cors_line(API, &bad_credentials("tr\\u000Bue\\u007F")));
    }

    #[test]
    fn the_check_access_function_follows_the_same_order() {
        let origin = page();
        assert_eq!(check_access(&star(200), &origin, true), Err(CorsError::WildcardOriginNotAllowed));
        assert_eq!(check_access(&bare(200), &origin, true), Err(CorsError::MissingAllowOriginHeader));
        assert_eq!(check_access(&acao(200), &origin, false), Ok(()));
        assert_eq!(check_access(&bare(200).header(ACAO, "null"), &Origin::null(), false), Ok(()));
    }
}

// ---------------------------------------------------------------------------------------------
// §2.1 Response header normalisation
// ---------------------------------------------------------------------------------------------

mod response_headers {
    use super::*;

    #[test]
    fn lines_are_trimmed_and_joined_with_comma_space() {
        let r = bare(200).header("X-A", " 1\t").header("x-a", "2").header("X-B", "3");
        assert_eq!(r.normalized("x-a").as_deref(), Some(&b"1, 2"[..]));
    }

    #[test]
    fn an_empty_line_counts_as_present() {
        assert_eq!(bare(200).header("X-A", "").normalized("X-A").as_deref(), Some(&b""[..]));
        assert_eq!(bare(200).normalized("X-A"), None);
    }

    #[test]
    fn only_the_five_redirect_statuses_with_a_location_are_redirects() {
        for status in [301, 302, 303, 307, 308] {
            assert!(redirect(status, "/x").is_redirect(), "{status}");
            assert!(!bare(status).is_redirect(), "{status}");
        }
        for status in [300, 304, 305, 306, 200] {
            assert!(!redirect(status, "/x").is_redirect(), "{status}");
        }
    }

    #[test]
    fn exposure_covers_names_the_response_does_not_carry() {
        let r = bare(200).header("Access-Control-Expose-Headers", "X-Total, *");
        let e = Exposure::of(&r, ResponseType::Cors, false);
        assert!(e.lets_read("x-total") && e.lets_read("X-Other"), "listed, and `*` without credentials");
        assert!(!e.lets_read("set-cookie"), "never readable");
        let e = Exposure::of(&r, ResponseType::Cors, true);
        assert!(e.lets_read("X-Total") && !e.lets_read("x-other"), "with credentials `*` is a literal name");
        assert!(e.lets_read("content-type"), "safelisted");
        let e = Exposure::of(
            &bare(200).header("Access-Control-Expose-Headers", "x-total, bad header"),
            ResponseType::Cors,
            false,
        );
        assert!(!e.lets_read("x-total"), "a malformed list exposes nothing");
        assert!(!Exposure::of(&r, ResponseType::OpaqueRedirect, false).lets_read("content-type"));
        assert!(Exposure::of(&bare(200), ResponseType::Basic, false).lets_read("x-total"));
    }
}

// ---------------------------------------------------------------------------------------------
// §4 The preflight answer, in Chromium's order
// ---------------------------------------------------------------------------------------------

mod preflight_answer {
    use super::*;

    fn put() -> Intent {
        cross().method("PUT")
    }

    #[test]
    fn a_redirect_fails_first() {
        let run = drive(put(), [redirect(301, "https://api.example/data/")]);
        assert_eq!(run.error(), &CorsError::PreflightDisallowedRedirect);
        assert_eq!(
            run.message(),
            "Access to fetch at 'https://api.example/data' from origin 'https://app.example' has been blocked by CORS policy: \
             Response to preflight request doesn't pass access control check: Redirect is not allowed for a preflight request."
        );
    }

    #[test]
    fn a_redirect_fails_even_with_every_grant() {
        let answer = redirect(307, "/elsewhere").header(ACAO, PAGE).header(ACAM, "PUT").header(ACAH, "*");
        assert_eq!(drive(put(), [answer]).error(), &CorsError::PreflightDisallowedRedirect);
    }

    #[test]
    fn the_origin_is_checked_before_the_status() {
        let run = drive(put(), [bare(404)]);
        assert_eq!(run.error(), &CorsError::PreflightMissingAllowOriginHeader);
        assert_eq!(
            run.message(),
            "Access to fetch at 'https://api.example/data' from origin 'https://app.example' has been blocked by CORS policy: \
             Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is \
             present on the requested resource."
        );
    }

    #[test]
    fn a_non_2xx_status_with_allow_origin_is_an_invalid_status() {
        let run = drive(put(), [acao(404).header(ACAM, "PUT")]);
        assert_eq!(run.error(), &CorsError::PreflightInvalidStatus { status: 404 });
        assert_eq!(
            run.message(),
            "Access to fetch at 'https://api.example/data' from origin 'https://app.example' has been blocked by CORS policy: \
             Response to preflight request doesn't pass access control check: It does not have HTTP ok status."
        );
    }

    #[test]
    fn statuses_200_to_299_pass() {
        for status in [200, 204, 206, 299] {
            let mut answer = grant("PUT", "");
            answer.status = status;
            let run = drive(put(), [answer, acao(200)]);
            assert!(run.verdict.is_allowed(), "{status}");
        }
    }

    #[test]
    fn other_statuses_fail() {
        for status in [100, 199, 300, 304, 400, 401, 405, 500] {
            let mut answer = grant("PUT", "");
            answer.status = status;
            assert_eq!(drive(put(), [answer]).error(), &CorsError::PreflightInvalidStatus { status }, "{status}");
        }
    }

    #[test]
    fn a_3xx_without_location_is_a_status_failure_not_a_redirect() {
        let run = drive(put(), [acao(300)]);
        assert_eq!(run.error(), &CorsError::PreflightInvalidStatus { status: 300 });
        let run = drive(put(), [acao(302)]);
        assert_eq!(run.error(), &CorsError::PreflightInvalidStatus { status: 302 });
    }

    #[test]
    fn the_access_check_uses_the_actual_requests_credentials_mode() {
        let include = put().credentials(Credentials::Include);
        let run = drive(include.clone(), [star(204).header(ACAM, "PUT")]);
        assert_eq!(run.message(), cors_line(API, &format!("{PREFIX}{WILDCARD}")));
        let run = drive(include.clone(), [grant("PUT", "")]);
        assert_eq!(run.message(), cors_line(API, &format!("{PREFIX}{}", bad_credentials(""))));
        let run = drive(include, [grant("PUT", "").header(ACAC, "true"), acao_creds(200)]);
        assert!(run.verdict.is_allowed());
    }

    #[test]
    fn preflight_origin_errors_carry_the_prefix_and_the_fetch_suffix() {
        let run = drive(put(), [bare(204).header(ACAO, "https://app.example/").header(ACAM, "PUT")]);
        assert_eq!(run.error(), &CorsError::PreflightAllowOriginMismatch { value: b"https://app.example/".to_vec() });
        assert_eq!(run.message(), cors_line(API, &format!("{PREFIX}{}", mismatch("https://app.example/"))));
        let run = drive(put(), [bare(204).header(ACAO, "a, b")]);
        assert_eq!(run.message(), cors_line(API, &format!("{PREFIX}{}", multiple("a, b"))));
        let run = drive(put(), [bare(204).header(ACAO, "**")]);
        assert_eq!(run.message(), cors_line(API, &format!("{PREFIX}{}", invalid("**"))));
    }

    #[test]
    fn a_bad_allow_methods_item_fails_without_the_prefix() {
        let run = drive(put(), [acao(204).header(ACAM, "PUT, P T")]);
        assert_eq!(run.error(), &CorsError::InvalidAllowMethodsPreflightResponse);
        assert_eq!(
            run.message(),
            "Access to fetch at 'https://api.example/data' from origin 'https://app.example' has been blocked by CORS policy: \
             Cannot parse Access-Control-Allow-Methods response header field in preflight response."
        );
    }

    #[test]
    fn allow_methods_is_parsed_even_when_the_method_is_safelisted() {
        let run = drive(cross().header("X-A", "1"), [acao(204).header(ACAM, "GET, (x)").header(ACAH, "x-a")]);
        assert_eq!(run.error(), &CorsError::InvalidAllowMethodsPreflightResponse);
    }

    #[test]
    fn empty_list_items_are_skipped() {
        let run =
            drive(put().header("X-A", "1"), [acao(204).header(ACAM, ", PUT,,").header(ACAH, ",,x-a , "), acao(200)]);
        assert!(run.verdict.is_allowed());
    }

    #[test]
    fn a_bad_allow_headers_item_fails_without_the_prefix() {
        let run = drive(put(), [acao(204).header(ACAM, "PUT").header(ACAH, "x-a, x/b")]);
        assert_eq!(
            run.message(),
            cors_line(API, "Cannot parse Access-Control-Allow-Headers response header field in preflight response.")
        );
    }

    #[test]
    fn allow_methods_is_parsed_before_allow_headers() {
        let run = drive(put(), [acao(204).header(ACAM, "P T").header(ACAH, "x/b")]);
        assert_eq!(run.error(), &CorsError::InvalidAllowMethodsPreflightResponse);
    }

    #[test]
    fn list_syntax_is_checked_before_the_method() {
        let run = drive(put(), [acao(204).header(ACAM, "DELETE").header(ACAH, "@")]);
        assert_eq!(run.error(), &CorsError::InvalidAllowHeadersPreflightResponse);
    }

    #[test]
    fn allow_methods_lines_are_joined() {
        let run = drive(put(), [acao(204).header(ACAM, "GET").header(ACAM, "PUT"), acao(200)]);
        assert!(run.verdict.is_allowed());
    }

    #[test]
    fn method_matching_is_case_sensitive() {
        let run = drive(cross().method("patch"), [grant("PATCH", "")]);
        assert_eq!(run.error(), &CorsError::MethodDisallowedByPreflightResponse { method: "patch".into() });
        assert_eq!(
            run.message(),
            "Access to fetch at 'https://api.example/data' from origin 'https://app.example' has been blocked by CORS policy: \
             Method patch is not allowed by Access-Control-Allow-Methods in preflight response."
        );
    }

    #[test]
    fn a_lower_case_listing_does_not_allow_a_normalised_method() {
        let run = drive(put(), [grant("put", "")]);
        assert_eq!(
            run.message(),
            cors_line(API, "Method PUT is not allowed by Access-Control-Allow-Methods in preflight response.")
        );
    }

    #[test]
    fn a_missing_allow_methods_disallows_a_non_safelisted_method() {
        let run = drive(put(), [acao(204)]);
        assert_eq!(run.error(), &CorsError::MethodDisallowedByPreflightResponse { method: "PUT".into() });
    }

    #[test]
    fn safelisted_methods_need_no_listing() {
        let run = drive(cross().method("POST").header("X-A", "1"), [grant("PUT", "x-a"), acao(200)]);
        assert!(run.verdict.is_allowed());
    }

    #[test]
    fn a_star_method_passes_without_include() {
        let run = drive(cross().method("patch"), [grant("*", ""), acao(200)]);
        assert!(run.verdict.is_allowed());
    }

    #[test]
    fn a_star_method_is_literal_with_include() {
        let include = put().credentials(Credentials::Include);
        let run = drive(include.clone(), [grant("*", "").header(ACAC, "true")]);
        assert_eq!(run.error(), &CorsError::MethodDisallowedByPreflightResponse { method: "PUT".into() });
        let run = drive(include, [grant("*, PUT", "").header(ACAC, "true"), acao_creds(200)]);
        assert!(run.verdict.is_allowed());
    }

    #[test]
    fn the_method_is_checked_before_the_headers() {
        let run = drive(put().header("X-A", "1"), [grant("DELETE", "")]);
        assert_eq!(run.error(), &CorsError::MethodDisallowedByPreflightResponse { method: "PUT".into() });
    }

    #[test]
    fn header_names_match_case_insensitively() {
        let run = drive(cross().header("x-custom", "1"), [grant("", "X-Custom"), acao(200)]);
        assert!(run.verdict.is_allowed());
        let run = drive(cross().header("X-CUSTOM", "1"), [grant("", "x-custom"), acao(200)]);
        assert!(run.verdict.is_allowed());
    }

    #[test]
    fn an_unlisted_header_is_reported_lower_case() {
        let run = drive(cross().header("X-Custom", "1"), [grant("", "x-other")]);
        assert_eq!(run.error(), &CorsError::HeaderDisallowedByPreflightResponse { name: "x-custom".into() });
        assert_eq!(
            run.message(),
            "Access to fetch at 'https://api.example/data' from origin 'https://app.example' has been blocked by CORS policy: \
             Request header field x-custom is not allowed by Access-Control-Allow-Headers in preflight response."
        );
    }

    #[test]
    fn with_several_unlisted_headers_the_first_in_sorted_order_is_reported() {
        // Chromium reports the first in its HashMap order; the model's documented choice is sorted order.
        let run = drive(cross().header("X-B", "1").header("X-A", "1").header("X-C", "1"), [grant("", "x-c")]);
        assert_eq!(run.error(), &CorsError::HeaderDisallowedByPreflightResponse { name: "x-a".into() });
    }

    #[test]
    fn safelisted_headers_need_no_listing() {
        let run = drive(
            cross().header("X-A", "1").header("Content-Type", "text/plain").header("Accept", "text/csv"),
            [grant("", "x-a"), acao(200)],
        );
        assert!(run.verdict.is_allowed());
    }

    #[test]
    fn a_star_header_passes_everything_without_include() {
        let run =
            drive(cross().header("X-A", "1").header("Content-Type", "application/json"), [grant("", "*"), acao(200)]);
        assert!(run.verdict.is_allowed());
        assert_eq!(run.warnings(), []);
    }

    #[test]
    fn authorization_covered_by_star_is_allowed_with_a_warning() {
        let run = drive(cross().header("Authorization", "Bearer t"), [grant("", "*"), acao(200)]);
        assert_eq!(run.allowed().warnings, [Warning::AuthorizationCoveredByWildcard]);
    }

    #[test]
    fn authorization_listed_beside_star_gives_no_warning() {
        let run = drive(cross().header("Authorization", "Bearer t"), [grant("", "*, Authorization"), acao(200)]);
        assert_eq!(run.allowed().warnings, []);
    }

    #[test]
    fn a_star_header_is_literal_with_include() {
        let include = cross().header("X-A", "1").credentials(Credentials::Include);
        let run = drive(include.clone(), [grant("", "*").header(ACAC, "true")]);
        assert_eq!(run.error(), &CorsError::HeaderDisallowedByPreflightResponse { name: "x-a".into() });
        let run = drive(include, [grant("", "*, x-a").header(ACAC, "true"), acao_creds(200)]);
        assert!(run.verdict.is_allowed());
        assert_eq!(run.warnings(), []);
    }

    #[test]
    fn authorization_is_not_covered_by_star_with_include() {
        let run = drive(
            cross().header("Authorization", "Basic x").credentials(Credentials::Include),
            [grant("", "*").header(ACAC, "true")],
        );
        assert_eq!(run.error(), &CorsError::HeaderDisallowedByPreflightResponse { name: "authorization".into() });
    }

    fn max_age(value: Option<&str>) -> (u32, Vec<Warning>) {
        let mut answer = grant("PUT", "");
        if let Some(v) = value {
            answer = answer.header(MAX_AGE, v);
        }
        let run = drive(cross().method("PUT"), [answer, acao(200)]);
        let allowed = run.allowed();
        (allowed.preflight.as_ref().expect("a grant").max_age, allowed.warnings.clone())
    }

    #[test]
    fn max_age_absent_is_five_seconds() {
        assert_eq!(max_age(None), (5, vec![]));
    }

    #[test]
    fn max_age_accepts_a_leading_plus() {
        assert_eq!(max_age(Some("+5")), (5, vec![]));
    }

    #[test]
    fn max_age_negative_is_zero() {
        assert_eq!(max_age(Some("-1")), (0, vec![]));
    }

    #[test]
    fn max_age_unparsable_is_five_seconds() {
        for v in ["abc", "1.5", "5s", "99999999999999999999", "1 2"] {
            assert_eq!(max_age(Some(v)), (5, vec![]), "{v}");
        }
    }

    #[test]
    fn max_age_is_trimmed() {
        assert_eq!(max_age(Some(" 60\t")), (60, vec![]));
    }

    #[test]
    fn max_age_above_7200_is_capped_with_a_warning() {
        assert_eq!(max_age(Some("10000")), (7200, vec![Warning::MaxAgeCapped { sent: 10000, used: 7200 }]));
        assert!(Warning::MaxAgeCapped { sent: 86400, used: 7200 }.is_note(), "nothing to change");
        assert_eq!(max_age(Some("7200")), (7200, vec![]));
    }

    #[test]
    fn two_max_age_lines_are_five_seconds() {
        let run =
            drive(cross().method("PUT"), [grant("PUT", "").header(MAX_AGE, "60").header(MAX_AGE, "60"), acao(200)]);
        assert_eq!(run.allowed().preflight, Some(PreflightGrant { max_age: 5 }));
    }

    #[test]
    fn a_transport_failure_of_the_preflight_prints_only_the_net_error() {
        let run = drive(put(), [Answer::Fail("ERR_CONNECTION_REFUSED")]);
        assert_eq!(run.blocked().failure, Failure::Network(NetError::Transport("ERR_CONNECTION_REFUSED".into())));
        assert_eq!(run.blocked().console_lines(), ["Failed to load resource: net::ERR_CONNECTION_REFUSED"]);
    }

    #[test]
    fn the_actual_response_is_checked_too_after_a_preflight() {
        let run = drive(put(), [grant("PUT", ""), bare(200)]);
        assert_eq!(run.error(), &CorsError::MissingAllowOriginHeader);
        assert_eq!(run.message(), cors_line(API, MISSING));
    }
}

// ---------------------------------------------------------------------------------------------
// §1 Redirects
// ---------------------------------------------------------------------------------------------

mod redirects {
    use super::*;

    #[test]
    fn the_3xx_of_a_cross_origin_request_is_cors_checked() {
        let run = drive(cross(), [redirect(302, OTHER)]);
        assert_eq!(run.error(), &CorsError::MissingAllowOriginHeader);
        assert_eq!(run.message(), cors_line(API, MISSING));
    }

    #[test]
    fn the_3xx_is_checked_even_with_redirect_manual() {
        let run = drive(cross().redirect(RedirectMode::Manual), [redirect(302, OTHER)]);
        assert_eq!(run.message(), cors_line(API, MISSING));
    }

    #[test]
    fn the_3xx_is_checked_even_with_redirect_error() {
        let run = drive(cross().redirect(RedirectMode::Error), [redirect(301, OTHER)]);
        assert_eq!(run.message(), cors_line(API, MISSING));
    }

    #[test]
    fn the_3xx_of_a_credentialed_request_needs_allow_credentials() {
        let run = drive(cross().credentials(Credentials::Include), [hop(302, OTHER)]);
        assert_eq!(run.error(), &CorsError::InvalidAllowCredentials { value: vec![] });
    }

    #[test]
    fn manual_gives_an_opaque_redirect() {
        let run = drive(cross().redirect(RedirectMode::Manual), [hop(302, OTHER).header("X-Secret", "1")]);
        let allowed = run.allowed();
        assert_eq!(allowed.response_type, ResponseType::OpaqueRedirect);
        assert_eq!(allowed.response_type.as_str(), "opaqueredirect");
        assert_eq!(allowed.status, 0);
        assert!(allowed.readable_headers.is_empty());
        assert_eq!(allowed.url.as_str(), API);
    }

    #[test]
    fn manual_from_a_same_origin_url_needs_no_cors_headers() {
        let run = drive(same().redirect(RedirectMode::Manual), [redirect(302, API)]);
        assert_eq!(run.allowed().response_type, ResponseType::OpaqueRedirect);
    }

    #[test]
    fn manual_skips_the_userinfo_and_scheme_checks() {
        let run = drive(cross().redirect(RedirectMode::Manual), [hop(302, "https://u:p@other.example/")]);
        assert_eq!(run.allowed().response_type, ResponseType::OpaqueRedirect);
        let run = drive(cross().redirect(RedirectMode::Manual), [hop(302, "ftp://files.example/")]);
        assert_eq!(run.allowed().response_type, ResponseType::OpaqueRedirect);
    }

    #[test]
    fn error_mode_fails_with_a_plain_network_error() {
        let run = drive(cross().redirect(RedirectMode::Error), [hop(302, OTHER)]);
        assert_eq!(run.blocked().failure, Failure::Network(NetError::RedirectModeError));
        assert_eq!(run.blocked().console_lines(), ["Failed to load resource: net::ERR_FAILED"]);
        assert_eq!(run.blocked().fix(), None);
    }

    #[test]
    fn error_mode_fails_on_a_same_origin_redirect_too() {
        let run = drive(same().redirect(RedirectMode::Error), [redirect(302, "/elsewhere")]);
        assert_eq!(run.blocked().failure, Failure::Network(NetError::RedirectModeError));
    }

    #[test]
    fn the_userinfo_check_comes_before_error_mode() {
        let run = drive(cross().redirect(RedirectMode::Error), [hop(302, "https://u:p@other.example/")]);
        assert_eq!(run.error(), &CorsError::RedirectContainsCredentials);
    }

    #[test]
    fn a_same_origin_hop_keeps_the_origin() {
        let run = drive(cross(), [hop(302, "/v2/data"), acao(200)]);
        assert_eq!(run.trace(), ["Actual GET https://api.example/data", "Actual GET https://api.example/v2/data"]);
        assert_eq!(run.requests[1].header("origin"), Some("https://app.example"));
        assert_eq!(run.allowed().url.as_str(), "https://api.example/v2/data");
    }

    #[test]
    fn a_second_cross_origin_hop_taints_the_origin() {
        let run = drive(cross(), [hop(302, OTHER), star(200)]);
        assert_eq!(run.trace(), ["Actual GET https://api.example/data", "Actual GET https://other.example/next"]);
        assert_eq!(run.requests[1].header("origin"), Some("null"));
        assert_eq!(run.allowed().response_type, ResponseType::Cors);
    }

    #[test]
    fn after_taint_the_page_origin_is_a_mismatch() {
        let run = drive(cross(), [hop(302, OTHER), acao(200)]);
        assert_eq!(
            run.message(),
            "Access to fetch at 'https://other.example/next' (redirected from 'https://api.example/data') from origin \
             'https://app.example' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value \
             'https://app.example' that is not equal to the supplied origin. Have the server send the header with a valid value."
        );
        assert_eq!(run.blocked().sent_origin, Origin::null());
    }

    #[test]
    fn after_taint_null_is_accepted() {
        let run = drive(cross(), [hop(302, OTHER), bare(200).header(ACAO, "null")]);
        assert!(run.verdict.is_allowed());
    }

    #[test]
    fn after_taint_with_include_only_null_and_allow_credentials_pass() {
        let include = cross().credentials(Credentials::Include);
        let run = drive(
            include.clone(),
            [acao_creds(302).header("Location", OTHER), bare(200).header(ACAO, "null").header(ACAC, "true")],
        );
        assert!(run.verdict.is_allowed());
        assert!(run.requests[1].with_credentials);
        let run = drive(include, [acao_creds(302).header("Location", OTHER), star(200).header(ACAC, "true")]);
        assert_eq!(run.message(), redirected_line(OTHER, API, WILDCARD));
    }

    #[test]
    fn a_tainted_3xx_is_checked_against_null() {
        let run = drive(cross(), [hop(302, OTHER), hop(302, "https://third.example/")]);
        assert_eq!(run.message(), redirected_line(OTHER, API, &mismatch("https://app.example")));
    }

    #[test]
    fn a_same_origin_url_redirecting_cross_origin_sets_the_cors_flag_without_taint() {
        let run = drive(same(), [redirect(302, API), acao(200)]);
        assert_eq!(run.trace(), ["Actual GET https://app.example/api", "Actual GET https://api.example/data"]);
        assert_eq!(run.requests[0].header("origin"), None);
        assert_eq!(run.requests[1].header("origin"), Some("https://app.example"));
        assert!(run.requests[0].with_credentials);
        assert!(!run.requests[1].with_credentials);
        assert_eq!(run.allowed().response_type, ResponseType::Cors);
    }

    #[test]
    fn the_cors_flag_is_sticky_after_coming_back() {
        // P/x -> A -> P/y: the hop A -> P/y taints, and the final same-origin response is CORS-checked.
        let run = drive(same(), [redirect(302, API), hop_star(302, "https://app.example/back"), bare(200)]);
        assert_eq!(run.requests[2].header("origin"), Some("null"));
        assert_eq!(run.message(), redirected_line("https://app.example/back", SAME, MISSING));
    }

    #[test]
    fn the_failing_3xx_after_a_hop_is_reported_at_its_own_url() {
        let run = drive(cross(), [hop(302, "https://api.example/b"), redirect(302, OTHER)]);
        assert_eq!(run.message(), redirected_line("https://api.example/b", API, MISSING));
    }

    #[test]
    fn coming_back_to_the_initial_url_prints_no_redirected_from() {
        // A -> B -> A, where A finally forgets the header.
        let run = drive(cross(), [hop(302, OTHER), hop_star(302, API), bare(200)]);
        assert_eq!(run.requests[2].header("origin"), Some("null"));
        assert_eq!(
            run.message(),
            "Access to fetch at 'https://api.example/data' from origin 'https://app.example' has been blocked by CORS policy: \
             No 'Access-Control-Allow-Origin' header is present on the requested resource."
        );
    }

    #[test]
    fn see_other_turns_put_into_get() {
        let run = drive(cross().method("PUT"), [grant("PUT", ""), hop(303, "/result"), acao(200)]);
        assert_eq!(
            run.trace(),
            [
                "Preflight OPTIONS https://api.example/data",
                "Actual PUT https://api.example/data",
                "Actual GET https://api.example/result"
            ]
        );
    }

    #[test]
    fn see_other_keeps_head() {
        let run = drive(cross().method("HEAD"), [hop(303, "/result"), acao(200)]);
        assert_eq!(run.actual().method, "HEAD");
    }

    #[test]
    fn see_other_on_a_get_changes_nothing_so_content_type_stays() {
        let run = drive(
            cross().header("Content-Type", "application/json"),
            [grant("", "content-type"), hop(303, "/result"), grant("", "content-type"), acao(200)],
        );
        assert_eq!(
            run.trace(),
            [
                "Preflight OPTIONS https://api.example/data",
                "Actual GET https://api.example/data",
                "Preflight OPTIONS https://api.example/result",
                "Actual GET https://api.example/result"
            ]
        );
        assert_eq!(run.actual().header("content-type"), Some("application/json"));
    }

    #[test]
    fn moved_and_found_turn_post_into_get() {
        for status in [301, 302] {
            let run =
                drive(cross().method("POST").header("Content-Type", "text/plain"), [hop(status, "/r"), acao(200)]);
            assert_eq!(run.actual().method, "GET", "{status}");
            assert_eq!(run.actual().header("content-type"), None, "{status}");
        }
    }

    #[test]
    fn moved_and_found_keep_other_methods() {
        let run = drive(cross().method("PUT"), [grant("PUT", ""), hop(302, "/r"), grant("PUT", ""), acao(200)]);
        assert_eq!(
            run.trace(),
            [
                "Preflight OPTIONS https://api.example/data",
                "Actual PUT https://api.example/data",
                "Preflight OPTIONS https://api.example/r",
                "Actual PUT https://api.example/r"
            ]
        );
    }

    #[test]
    fn temporary_and_permanent_redirects_keep_post_and_its_headers() {
        for status in [307, 308] {
            let run =
                drive(cross().method("POST").header("Content-Type", "text/plain"), [hop(status, "/r"), acao(200)]);
            assert_eq!(run.actual().method, "POST", "{status}");
            assert_eq!(run.actual().header("content-type"), Some("text/plain"), "{status}");
        }
    }

    #[test]
    fn dropping_the_content_headers_can_remove_the_preflight() {
        let run = drive(
            cross().method("POST").header("Content-Type", "application/json").header("Content-Language", "de"),
            [grant("", "content-type"), hop(303, "/r"), acao(200)],
        );
        assert_eq!(
            run.trace(),
            [
                "Preflight OPTIONS https://api.example/data",
                "Actual POST https://api.example/data",
                "Actual GET https://api.example/r"
            ]
        );
        assert_eq!(run.actual().header("content-type"), None);
        assert_eq!(run.actual().header("content-language"), None);
        assert_eq!(run.allowed().preflight, None);
    }

    #[test]
    fn a_method_change_removes_origin_from_a_same_origin_request() {
        let run = drive(same().method("POST"), [redirect(303, "/done"), bare(200)]);
        assert_eq!(run.requests[0].header("origin"), Some("https://app.example"));
        assert_eq!(run.requests[1].method, "GET");
        assert_eq!(run.requests[1].header("origin"), None);
    }

    #[test]
    fn a_redirected_request_gets_a_new_preflight_with_a_null_origin_once_tainted() {
        let run =
            drive(cross().method("PUT"), [grant("PUT", ""), hop(307, OTHER), star(204).header(ACAM, "PUT"), star(200)]);
        assert_eq!(
            run.trace(),
            [
                "Preflight OPTIONS https://api.example/data",
                "Actual PUT https://api.example/data",
                "Preflight OPTIONS https://other.example/next",
                "Actual PUT https://other.example/next"
            ]
        );
        assert_eq!(run.requests[2].header("origin"), Some("null"));
        assert_eq!(run.requests[3].header("origin"), Some("null"));
    }

    #[test]
    fn a_failing_preflight_after_a_redirect_names_both_urls() {
        let run = drive(cross().method("PUT"), [grant("PUT", ""), hop(307, OTHER), bare(204)]);
        assert_eq!(run.message(), redirected_line(OTHER, API, &format!("{PREFIX}{MISSING}")));
    }

    #[test]
    fn a_same_origin_url_redirecting_cross_origin_gets_a_preflight_with_the_page_origin() {
        let run = drive(same().method("PUT"), [redirect(307, API), grant("PUT", ""), acao(200)]);
        assert_eq!(
            run.trace(),
            [
                "Actual PUT https://app.example/api",
                "Preflight OPTIONS https://api.example/data",
                "Actual PUT https://api.example/data"
            ]
        );
        assert_eq!(run.requests[1].header("origin"), Some("https://app.example"));
    }

    #[test]
    fn authorization_is_dropped_on_a_cross_origin_hop() {
        let run = drive(
            cross().header("Authorization", "Bearer t"),
            [grant("", "authorization"), hop(302, OTHER), star(200)],
        );
        assert_eq!(
            run.trace(),
            [
                "Preflight OPTIONS https://api.example/data",
                "Actual GET https://api.example/data",
                "Actual GET https://other.example/next"
            ]
        );
        assert_eq!(run.requests[1].header("authorization"), Some("Bearer t"));
        assert_eq!(run.requests[2].header("authorization"), None);
    }

    #[test]
    fn authorization_survives_a_same_origin_hop() {
        let run = drive(
            cross().header("Authorization", "Bearer t"),
            [grant("", "authorization"), hop(302, "/v2"), grant("", "authorization"), acao(200)],
        );
        assert_eq!(run.requests[2].kind, SendKind::Preflight);
        assert_eq!(run.requests[3].header("authorization"), Some("Bearer t"));
    }

    #[test]
    fn userinfo_in_the_location_is_refused_with_an_empty_hint() {
        let run = drive(cross(), [hop(302, "https://user:pw@other.example/")]);
        assert_eq!(run.error(), &CorsError::RedirectContainsCredentials);
        assert_eq!(
            run.message(),
            "Access to fetch at 'https://api.example/data' from origin 'https://app.example' has been blocked by CORS policy: \
             Redirect location '' contains a username and password, which is disallowed for cross-origin requests."
        );
    }

    #[test]
    fn userinfo_is_refused_once_the_cors_flag_is_set_even_to_the_same_host() {
        let run = drive(cross(), [hop(302, "https://user@api.example/data")]);
        assert_eq!(run.error(), &CorsError::RedirectContainsCredentials);
    }

    #[test]
    fn userinfo_to_another_origin_from_a_same_origin_url_is_refused() {
        let run = drive(same(), [redirect(302, "https://u:p@api.example/")]);
        assert_eq!(
            run.message(),
            cors_line(
                SAME,
                "Redirect location '' contains a username and password, which is disallowed for cross-origin requests."
            )
        );
    }

    #[test]
    fn userinfo_within_the_page_origin_is_followed() {
        let run = drive(same(), [redirect(302, "https://u:p@app.example/y"), bare(200)]);
        assert_eq!(run.allowed().response_type, ResponseType::Basic);
    }

    #[test]
    fn twenty_redirects_are_followed() {
        let mut answers: Vec<Response> = (1..=20).map(|i| hop(302, &format!("/r{i}"))).collect();
        answers.push(acao(200));
        let run = drive(cross(), answers);
        assert_eq!(run.requests.len(), 21);
        assert_eq!(run.allowed().url.as_str(), "https://api.example/r20");
    }

    #[test]
    fn the_twenty_first_redirect_fails() {
        let answers: Vec<Response> = (1..=21).map(|i| hop(302, &format!("/r{i}"))).collect();
        let run = drive(cross(), answers);
        assert_eq!(run.requests.len(), 21);
        assert_eq!(run.blocked().failure, Failure::Network(NetError::TooManyRedirects));
        assert_eq!(run.message(), "Failed to load resource: net::ERR_TOO_MANY_REDIRECTS");
        assert_eq!(run.blocked().console_lines().len(), 1);
    }

    #[test]
    fn a_non_http_location_is_an_unsafe_redirect() {
        let run = drive(cross(), [hop(302, "ftp://files.example/x")]);
        assert_eq!(run.blocked().failure, Failure::Network(NetError::UnsafeRedirect));
        assert_eq!(run.message(), "Failed to load resource: net::ERR_UNSAFE_REDIRECT");
    }

    #[test]
    fn the_unsafe_scheme_is_found_before_the_cors_check() {
        let run = drive(cross(), [redirect(302, "data:,hello")]);
        assert_eq!(run.blocked().failure, Failure::Network(NetError::UnsafeRedirect));
    }

    #[test]
    fn an_unparsable_location_is_an_invalid_redirect() {
        for location in ["https://exa mple.com/", "http://[::1/", "https://host:99999/"] {
            let run = drive(cross(), [hop(302, location)]);
            assert_eq!(run.blocked().failure, Failure::Network(NetError::InvalidRedirect), "{location}");
            assert_eq!(run.message(), "Failed to load resource: net::ERR_INVALID_REDIRECT");
        }
    }

    #[test]
    fn a_relative_location_is_resolved_against_the_current_url() {
        let run = drive(cross(), [hop(302, "../v2/items?x=1"), acao(200)]);
        assert_eq!(run.actual().url.as_str(), "https://api.example/v2/items?x=1");
    }

    #[test]
    fn an_insecure_hop_from_an_https_page_is_mixed_content() {
        let run = drive(cross(), [hop(302, "http://other.example/x")]);
        assert_eq!(run.blocked().failure, Failure::MixedContent);
        assert_eq!(
            run.message(),
            "Mixed Content: The page at 'https://app.example/' was loaded over HTTPS, but requested an insecure resource \
             'http://other.example/x'. This request has been blocked; the content must be served over HTTPS."
        );
    }

    #[test]
    fn a_same_origin_mode_redirect_to_another_origin_is_disallowed_by_mode() {
        let run = drive(same().mode(Mode::SameOrigin), [redirect(302, API)]);
        assert_eq!(run.error(), &CorsError::DisallowedByMode);
        assert_eq!(
            run.message(),
            "Access to fetch at 'https://api.example/data' (redirected from 'https://app.example/api') from origin \
             'https://app.example' has been blocked by CORS policy: Cross origin requests are not allowed by request mode."
        );
    }

    #[test]
    fn a_preflight_grant_does_not_survive_a_redirect() {
        let run = drive(cross().method("PUT"), [grant("PUT", "").header(MAX_AGE, "60"), hop(303, "/r"), acao(200)]);
        assert_eq!(run.allowed().preflight, None);
    }
}

// ---------------------------------------------------------------------------------------------
// §6 Mixed content
// ---------------------------------------------------------------------------------------------

mod mixed_content {
    use super::*;

    #[test]
    fn an_https_page_cannot_fetch_a_public_http_url() {
        let run = refused(fetch("http://api.example/data"));
        assert_eq!(run.blocked().failure, Failure::MixedContent);
        assert_eq!(
            run.message(),
            "Mixed Content: The page at 'https://app.example/' was loaded over HTTPS, but requested an insecure resource \
             'http://api.example/data'. This request has been blocked; the content must be served over HTTPS."
        );
        assert_eq!(run.blocked().cors_error(), None);
    }

    #[test]
    fn the_page_url_is_shown_when_known() {
        let mut intent = fetch("http://api.example/data");
        intent.page_url = Some(url("https://app.example/dashboard?tab=2"));
        assert_eq!(
            refused(intent).message(),
            "Mixed Content: The page at 'https://app.example/dashboard?tab=2' was loaded over HTTPS, but requested an insecure \
             resource 'http://api.example/data'. This request has been blocked; the content must be served over HTTPS."
        );
    }

    #[test]
    fn xhr_names_the_kind_xmlhttprequest_endpoint() {
        assert_eq!(
            refused(xhr(fetch("http://api.example/data"))).message(),
            "Mixed Content: The page at 'https://app.example/' was loaded over HTTPS, but requested an insecure \
             XMLHttpRequest endpoint 'http://api.example/data'. This request has been blocked; the content must be served over HTTPS."
        );
    }

    #[test]
    fn loopback_hosts_are_potentially_trustworthy() {
        for target in [
            "http://127.0.0.1:8080/",
            "http://127.9.9.9/",
            "http://localhost:3000/",
            "http://api.localhost/",
            "http://[::1]:8080/",
        ] {
            let run = drive(fetch(target), [acao(200)]);
            assert!(run.verdict.is_allowed(), "{target}");
            assert_eq!(run.warnings(), [], "{target}");
        }
    }

    #[test]
    fn local_network_ip_literals_are_allowed_with_a_warning() {
        for target in [
            "http://10.0.0.1/",
            "http://172.16.0.1/",
            "http://172.31.255.255/",
            "http://192.168.1.1/",
            "http://169.254.169.254/",
            "http://100.64.0.1/",
            "http://0.0.0.0:8080/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://[fec0::1]/",
            "http://[2001:db8::1]/",
            "http://[3fff::1]/",
            "http://[::]/",
        ] {
            let run = drive(fetch(target), [acao(200)]);
            assert_eq!(run.requests.len(), 1, "{target}");
            assert_eq!(run.allowed().warnings, [Warning::MixedContentLocalNetwork], "{target}");
        }
    }

    #[test]
    fn public_ip_literals_are_blocked() {
        for target in [
            "http://172.32.0.1/",
            "http://100.128.0.1/",
            "http://8.8.8.8/",
            "http://[2001:4860::8888]/",
            "http://[3fff:1000::1]/",
        ] {
            assert_eq!(refused(fetch(target)).blocked().failure, Failure::MixedContent, "{target}");
        }
    }

    #[test]
    fn an_http_page_may_fetch_http() {
        let page = Origin::parse("http://app.example").unwrap();
        let run = drive(
            Intent::new(url("http://api.example/data"), page),
            [bare(200).header(ACAO, "http://app.example").header("Vary", "Origin")],
        );
        assert!(run.verdict.is_allowed());
        assert_eq!(run.warnings(), []);
    }

    #[test]
    fn mixed_content_applies_to_no_cors_too() {
        assert_eq!(
            refused(fetch("http://api.example/img.png").mode(Mode::NoCors)).blocked().failure,
            Failure::MixedContent
        );
    }
}

// ---------------------------------------------------------------------------------------------
// §5 Early refusals: TypeError and "Fetch API cannot load"
// ---------------------------------------------------------------------------------------------

mod early_errors {
    use super::*;

    #[test]
    fn trace_is_a_forbidden_method() {
        let run = refused(cross().method("TRACE"));
        assert_eq!(run.message(), "Failed to execute 'fetch' on 'Window': 'TRACE' HTTP method is unsupported.");
    }

    #[test]
    fn forbidden_methods_in_any_case() {
        for m in ["connect", "Track", "trace"] {
            assert!(matches!(refused(cross().method(m)).blocked().failure, Failure::TypeError(_)), "{m}");
        }
    }

    #[test]
    fn an_invalid_method_token() {
        let run = refused(cross().method("GET POST"));
        assert_eq!(run.message(), "Failed to execute 'fetch' on 'Window': 'GET POST' is not a valid HTTP method.");
        assert!(matches!(refused(cross().method("")).blocked().failure, Failure::TypeError(_)));
    }

    #[test]
    fn a_url_with_userinfo() {
        let run = refused(fetch("https://user:pw@api.example/data"));
        assert_eq!(
            run.message(),
            "Failed to execute 'fetch' on 'Window': Request cannot be constructed from a URL that includes credentials: \
             https://user:pw@api.example/data"
        );
    }

    #[test]
    fn no_cors_with_a_non_safelisted_method() {
        let run = refused(cross().mode(Mode::NoCors).method("put"));
        assert_eq!(run.message(), "Failed to execute 'fetch' on 'Window': 'PUT' is unsupported in no-cors mode.");
    }

    #[test]
    fn an_unsupported_scheme() {
        let run = refused(fetch("ftp://files.example/x"));
        assert_eq!(run.blocked().failure, Failure::FetchApi(FetchApiError::SchemeNotSupported("ftp".into())));
        assert_eq!(run.message(), "Fetch API cannot load ftp://files.example/x. URL scheme \"ftp\" is not supported.");
        assert_eq!(run.blocked().console_lines().len(), 1);
    }

    #[test]
    fn same_origin_mode_with_a_cross_origin_url() {
        let run = refused(cross().mode(Mode::SameOrigin));
        assert_eq!(
            run.message(),
            "Fetch API cannot load https://api.example/data. Request mode is \"same-origin\" but the URL's origin is not same \
             as the request origin https://app.example."
        );
    }

    #[test]
    fn same_origin_mode_with_a_same_origin_url_is_basic() {
        let run = drive(same().mode(Mode::SameOrigin), [bare(200)]);
        assert_eq!(run.allowed().response_type, ResponseType::Basic);
    }

    #[test]
    fn no_cors_with_a_redirect_mode_other_than_follow() {
        for redirect in [RedirectMode::Error, RedirectMode::Manual] {
            let run = refused(cross().mode(Mode::NoCors).redirect(redirect));
            assert_eq!(
                run.message(),
                "Fetch API cannot load https://api.example/data. Request mode is \"no-cors\" but the redirect mode is not \"follow\"."
            );
        }
    }

    #[test]
    fn long_urls_are_elided_to_511_dots_510() {
        let long = format!("https://api.example/{}", "a".repeat(1100));
        let run = refused(fetch(&long).mode(Mode::SameOrigin));
        let elided = format!("{}...{}", &long[..511], &long[long.len() - 510..]);
        assert!(run.message().starts_with(&format!("Fetch API cannot load {elided}. Request mode")));
        let exactly = format!("https://api.example/{}", "a".repeat(1024 - "https://api.example/".len()));
        assert!(refused(fetch(&exactly).mode(Mode::SameOrigin)).message().contains(&exactly));
    }
}

// ---------------------------------------------------------------------------------------------
// §1.4 no-cors
// ---------------------------------------------------------------------------------------------

mod no_cors {
    use super::*;

    fn no_cors() -> Intent {
        cross().mode(Mode::NoCors)
    }

    #[test]
    fn a_cross_origin_response_is_opaque_and_unchecked() {
        let run = drive(no_cors(), [bare(200).header("X-Secret", "1").header("Content-Type", "text/plain")]);
        let allowed = run.allowed();
        assert_eq!(allowed.response_type, ResponseType::Opaque);
        assert_eq!(allowed.status, 0);
        assert!(allowed.readable_headers.is_empty());
        assert_eq!(run.actual().header("origin"), None);
    }

    #[test]
    fn an_error_status_is_hidden_and_not_warned_about() {
        let run = drive(no_cors(), [bare(500)]);
        assert_eq!(run.allowed().status, 0);
        assert_eq!(run.warnings(), []);
    }

    #[test]
    fn non_safelisted_headers_are_removed_and_nothing_is_preflighted() {
        let run = drive(
            no_cors()
                .method("POST")
                .header("X-Custom", "1")
                .header("Content-Type", "application/json")
                .header("Accept", "text/html")
                .header("Range", "bytes=0-1")
                .header("Content-Language", "de")
                .header("Authorization", "x"),
            [bare(200)],
        );
        assert_eq!(run.trace(), ["Actual POST https://api.example/data"]);
        assert_eq!(
            pairs(run.actual()),
            [
                ("Accept", "text/html"),
                ("Content-Language", "de"),
                ("Origin", "https://app.example"),
                ("Sec-Fetch-Mode", "no-cors")
            ]
        );
    }

    #[test]
    fn a_form_content_type_is_kept() {
        let run = drive(no_cors().method("POST").header("Content-Type", "text/plain;charset=UTF-8"), [bare(200)]);
        assert_eq!(run.actual().header("content-type"), Some("text/plain;charset=UTF-8"));
    }

    #[test]
    fn same_origin_credentials_are_not_sent_cross_origin() {
        let run = drive(no_cors().credentials(Credentials::SameOrigin), [bare(200)]);
        assert!(!run.actual().with_credentials);
        let run = drive(no_cors().credentials(Credentials::Include), [bare(200)]);
        assert!(run.actual().with_credentials);
    }

    #[test]
    fn a_same_origin_url_is_basic() {
        let run = drive(same().mode(Mode::NoCors), [bare(200).header("X-Id", "1")]);
        assert_eq!(run.allowed().response_type, ResponseType::Basic);
        assert_eq!(run.allowed().readable_headers, ["x-id"]);
        assert!(run.actual().with_credentials);
    }

    #[test]
    fn redirects_are_not_cors_checked() {
        let run = drive(same().mode(Mode::NoCors), [redirect(302, API), bare(200)]);
        assert_eq!(run.allowed().response_type, ResponseType::Opaque);
        assert!(!run.requests[1].with_credentials);
    }

    #[test]
    fn coming_back_to_the_page_origin_after_a_hop_is_still_opaque() {
        let run = drive(
            same().mode(Mode::NoCors),
            [redirect(302, API), redirect(302, "https://app.example/back"), bare(200)],
        );
        assert_eq!(run.allowed().response_type, ResponseType::Opaque);
    }

    #[test]
    fn a_cross_origin_hop_sets_an_existing_origin_header_to_null() {
        let run = drive(same().mode(Mode::NoCors).method("POST"), [redirect(307, API), bare(200)]);
        assert_eq!(run.requests[0].header("origin"), Some("https://app.example"));
        assert_eq!(run.requests[1].method, "POST");
        assert_eq!(run.requests[1].header("origin"), Some("null"));
    }
}

// ---------------------------------------------------------------------------------------------
// Same-origin requests
// ---------------------------------------------------------------------------------------------

mod same_origin {
    use super::*;

    #[test]
    fn no_preflight_even_with_a_custom_header_and_method() {
        let run =
            drive(same().method("PUT").header("X-Custom", "1").header("Content-Type", "application/json"), [bare(200)]);
        assert_eq!(run.trace(), ["Actual PUT https://app.example/api"]);
        assert_eq!(run.actual().header("x-custom"), Some("1"));
    }

    #[test]
    fn the_response_is_basic_with_its_status() {
        let run = drive(same(), [bare(418)]);
        assert_eq!(run.allowed().response_type, ResponseType::Basic);
        assert_eq!(run.allowed().response_type.as_str(), "basic");
        assert_eq!(run.allowed().status, 418);
    }

    #[test]
    fn every_header_but_set_cookie_is_readable() {
        let run = drive(
            same(),
            [bare(200)
                .header("Set-Cookie", "a=b")
                .header("Set-Cookie2", "c=d")
                .header("X-Secret", "1")
                .header("Content-Type", "text/plain")
                .header("X-SECRET", "2")],
        );
        assert_eq!(run.allowed().readable_headers, ["content-type", "x-secret"]);
    }

    #[test]
    fn a_same_origin_redirect_needs_no_cors_headers() {
        let run = drive(same(), [redirect(301, "/moved"), bare(200)]);
        assert_eq!(run.allowed().url.as_str(), "https://app.example/moved");
        assert_eq!(run.allowed().response_type, ResponseType::Basic);
    }
}

// ---------------------------------------------------------------------------------------------
// §2.6 Readable headers of CORS responses
// ---------------------------------------------------------------------------------------------

mod readable_headers {
    use super::*;

    fn full(response: Response) -> Response {
        response
            .header("Cache-Control", "no-store")
            .header("Content-Language", "en")
            .header("Content-Length", "2")
            .header("Content-Type", "application/json")
            .header("Expires", "0")
            .header("Last-Modified", "x")
            .header("Pragma", "no-cache")
            .header("X-Request-Id", "1")
            .header("X-Total", "9")
            .header("Set-Cookie", "s=1")
            .header("Date", "today")
    }

    const SAFELISTED: [&str; 7] =
        ["cache-control", "content-language", "content-length", "content-type", "expires", "last-modified", "pragma"];

    fn readable(intent: Intent, response: Response) -> Vec<String> {
        drive(intent, [response]).allowed().readable_headers.clone()
    }

    #[test]
    fn the_seven_safelisted_are_always_readable() {
        assert_eq!(readable(cross(), full(acao(200))), SAFELISTED);
    }

    #[test]
    fn expose_headers_adds_names_case_insensitively() {
        let names = readable(cross(), full(acao(200).header(ACEH, "X-REQUEST-ID, x-total")));
        let mut expected = SAFELISTED.to_vec();
        expected.extend(["x-request-id", "x-total"]);
        expected.sort();
        assert_eq!(names, expected);
    }

    #[test]
    fn expose_headers_lines_are_joined_and_empty_items_skipped() {
        let names = readable(cross(), full(acao(200).header(ACEH, ",x-total,,").header(ACEH, " x-request-id")));
        assert!(names.contains(&"x-total".to_owned()) && names.contains(&"x-request-id".to_owned()));
    }

    #[test]
    fn star_exposes_everything_but_set_cookie_without_include() {
        let names = readable(cross(), full(acao(200).header(ACEH, "*")));
        assert!(names.contains(&"date".to_owned()) && names.contains(&"x-total".to_owned()));
        assert!(names.contains(&"access-control-expose-headers".to_owned()));
        assert!(!names.contains(&"set-cookie".to_owned()));
    }

    #[test]
    fn star_is_a_literal_name_with_include() {
        let names = readable(cross().credentials(Credentials::Include), full(acao_creds(200).header(ACEH, "*")));
        assert_eq!(names, SAFELISTED);
        let names =
            readable(cross().credentials(Credentials::Include), full(acao_creds(200).header(ACEH, "*, x-total")));
        assert!(names.contains(&"x-total".to_owned()) && !names.contains(&"date".to_owned()));
    }

    #[test]
    fn a_bad_byte_exposes_nothing_extra() {
        for value in ["x-total, x request-id", "x-total, x/y", "x-total;", "\"x-total\""] {
            assert_eq!(readable(cross(), full(acao(200).header(ACEH, value))), SAFELISTED, "{value}");
        }
        assert_eq!(readable(cross(), full(acao(200).header(ACEH, b"x-total, \xE9".as_slice()))), SAFELISTED);
    }

    #[test]
    fn set_cookie_is_never_readable_even_when_exposed() {
        let names =
            readable(cross(), full(acao(200).header(ACEH, "Set-Cookie, set-cookie2").header("Set-Cookie2", "x")));
        assert_eq!(names, SAFELISTED);
    }

    #[test]
    fn only_names_present_in_the_response_are_listed() {
        assert_eq!(readable(cross(), acao(200).header(ACEH, "x-total")), Vec::<String>::new());
    }
}

// ---------------------------------------------------------------------------------------------
// §7 Console lines: transport failures, the network line, error statuses
// ---------------------------------------------------------------------------------------------

mod console {
    use super::*;

    #[test]
    fn a_transport_failure_prints_only_its_net_error() {
        let run = drive(cross(), [Answer::Fail("ERR_CONNECTION_REFUSED")]);
        assert_eq!(run.message(), "Failed to load resource: net::ERR_CONNECTION_REFUSED");
        assert_eq!(run.blocked().console_lines(), ["Failed to load resource: net::ERR_CONNECTION_REFUSED"]);
        assert_eq!(run.blocked().cors_error(), None);
        assert_eq!(run.blocked().fix(), None);
        assert_eq!(
            run.verdict.console_message().as_deref(),
            Some("Failed to load resource: net::ERR_CONNECTION_REFUSED")
        );
    }

    #[test]
    fn a_cors_failure_is_followed_by_the_err_failed_line() {
        let run = drive(cross(), [bare(200)]);
        assert_eq!(
            run.blocked().console_lines(),
            [cors_line(API, MISSING), "Failed to load resource: net::ERR_FAILED".to_owned()]
        );
    }

    #[test]
    fn an_allowed_fetch_has_no_console_message() {
        assert_eq!(drive(cross(), [acao(200)]).verdict.console_message(), None);
    }

    #[test]
    fn error_statuses_with_valid_allow_origin_pass_with_a_warning() {
        for status in [404, 500] {
            let run = drive(cross(), [acao(status)]);
            assert_eq!(run.allowed().status, status);
            assert_eq!(run.allowed().warnings, [Warning::ErrorStatus(status)]);
        }
    }

    #[test]
    fn statuses_below_400_give_no_warning() {
        for status in [200, 204, 304, 399] {
            assert_eq!(drive(cross(), [acao(status)]).warnings(), [], "{status}");
        }
    }

    #[test]
    fn an_error_status_without_allow_origin_is_a_cors_failure() {
        let run = drive(cross(), [bare(502)]);
        assert_eq!(run.message(), cors_line(API, MISSING));
    }

    #[test]
    fn a_same_origin_error_status_is_warned_about() {
        assert_eq!(drive(same(), [bare(404)]).warnings(), [Warning::ErrorStatus(404)]);
    }

    #[test]
    fn feeding_a_finished_fetch_changes_nothing() {
        let mut f = Fetch::new(cross());
        f.receive(acao(200));
        let done = f.verdict().cloned().unwrap();
        f.receive(bare(500));
        f.fail("ERR_TIMED_OUT");
        assert_eq!(f.verdict(), Some(&done));
        assert!(matches!(f.next(), Step::Done(v) if v == done));
    }

    #[test]
    fn the_page_origin_is_printed_not_the_tainted_null() {
        let run = drive(cross(), [hop(302, OTHER), bare(200)]);
        assert!(run.message().contains("from origin 'https://app.example' has been blocked"));
    }
}

// ---------------------------------------------------------------------------------------------
// §5 XMLHttpRequest wording
// ---------------------------------------------------------------------------------------------

mod xhr_wording {
    use super::*;

    #[test]
    fn names_xmlhttprequest() {
        let run = drive(xhr(cross()), [bare(200)]);
        assert_eq!(
            run.message(),
            "Access to XMLHttpRequest at 'https://api.example/data' from origin 'https://app.example' has been blocked by \
             CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource."
        );
    }

    #[test]
    fn origin_errors_have_no_have_the_server_send_suffix() {
        let run = drive(xhr(cross()), [bare(200).header(ACAO, "https://x.example")]);
        assert_eq!(
            run.message(),
            "Access to XMLHttpRequest at 'https://api.example/data' from origin 'https://app.example' has been blocked by \
             CORS policy: The 'Access-Control-Allow-Origin' header has a value 'https://x.example' that is not equal to the \
             supplied origin."
        );
    }

    #[test]
    fn the_wildcard_error_gets_the_with_credentials_suffix() {
        let run = drive(xhr(cross().credentials(Credentials::Include)), [star(200)]);
        assert_eq!(
            run.message(),
            format!(
                "Access to XMLHttpRequest at 'https://api.example/data' from origin 'https://app.example' has been blocked by \
                 CORS policy: {WILDCARD}{XHR_SUFFIX}"
            )
        );
    }

    #[test]
    fn the_allow_credentials_error_gets_the_with_credentials_suffix() {
        let run = drive(xhr(cross().credentials(Credentials::Include)), [acao(200).header(ACAC, "yes")]);
        assert!(run.message().ends_with(&format!("{}{XHR_SUFFIX}", bad_credentials("yes"))));
    }

    #[test]
    fn preflight_errors_keep_the_prefix() {
        let run = drive(xhr(cross().method("PUT").credentials(Credentials::Include)), [star(204)]);
        assert!(run.message().ends_with(&format!("has been blocked by CORS policy: {PREFIX}{WILDCARD}{XHR_SUFFIX}")));
    }

    #[test]
    fn fetch_gets_no_with_credentials_suffix() {
        let run = drive(cross().credentials(Credentials::Include), [star(200)]);
        assert!(run.message().ends_with(WILDCARD));
    }
}

// ---------------------------------------------------------------------------------------------
// Blocked::fix()
// ---------------------------------------------------------------------------------------------

mod fixes {
    use super::*;

    fn fix_headers(run: &Run) -> Vec<(String, String)> {
        run.blocked().fix().expect("a CORS failure has a fix").headers
    }

    fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    #[test]
    fn missing_allow_origin_names_the_sent_origin_and_vary() {
        let run = drive(cross(), [bare(200)]);
        assert_eq!(fix_headers(&run), owned(&[(ACAO, PAGE), ("Vary", "Origin")]));
    }

    #[test]
    fn with_include_the_fix_adds_allow_credentials() {
        let run = drive(cross().credentials(Credentials::Include), [bare(200)]);
        assert_eq!(fix_headers(&run), owned(&[(ACAO, PAGE), (ACAC, "true"), ("Vary", "Origin")]));
    }

    #[test]
    fn once_tainted_the_fix_never_allows_null() {
        // Allowing `null` would admit every sandboxed page; the fix is to skip the redirect, or `*`.
        let run = drive(cross(), [hop(302, OTHER), bare(200)]);
        assert_eq!(fix_headers(&run), owned(&[(ACAO, "*")]));
        assert!(run.blocked().fix().unwrap().summary.contains("redirected to another origin"));
    }

    #[test]
    fn a_disallowed_method_fix_names_the_method_as_sent() {
        let run = drive(cross().method("patch"), [grant("PATCH", "")]);
        let fix = run.blocked().fix().unwrap();
        assert_eq!(fix.headers, owned(&[(ACAO, PAGE), ("Vary", "Origin"), (ACAM, "patch")]));
        assert!(fix.summary.contains("`patch`"), "{}", fix.summary);
    }

    #[test]
    fn a_disallowed_header_fix_names_every_header() {
        let run = drive(cross().header("X-B", "1").header("X-A", "2"), [grant("", "")]);
        assert_eq!(fix_headers(&run), owned(&[(ACAO, PAGE), ("Vary", "Origin"), (ACAH, "x-a, x-b")]));
    }

    #[test]
    fn a_preflight_without_allow_origin_gets_every_grant() {
        let run = drive(cross().method("PUT").header("Content-Type", "application/json"), [bare(401)]);
        assert_eq!(run.error(), &CorsError::PreflightMissingAllowOriginHeader);
        assert_eq!(
            fix_headers(&run),
            owned(&[(ACAO, PAGE), ("Vary", "Origin"), (ACAM, "PUT"), (ACAH, "content-type")])
        );
    }

    #[test]
    fn the_blocked_record_describes_the_failing_request() {
        let run = drive(cross().method("PUT").header("X-A", "1"), [grant("PUT", "")]);
        let blocked = run.blocked();
        assert_eq!(blocked.method, "PUT");
        assert_eq!(blocked.unsafe_headers, ["x-a"]);
        assert_eq!(blocked.sent_origin, page());
        assert!(!blocked.include_credentials);
        assert_eq!(blocked.url.as_str(), API);
        assert_eq!(blocked.initial_url.as_str(), API);
    }

    #[test]
    fn non_cors_failures_have_no_fix() {
        assert_eq!(refused(fetch("http://api.example/")).blocked().fix(), None);
        assert_eq!(refused(cross().method("TRACE")).blocked().fix(), None);
    }
}

mod allow_origin_remarks {
    use super::*;

    #[test]
    fn an_echoed_origin_without_vary_is_remarked_on() {
        let run = drive(cross(), [bare(200).header(ACAO, PAGE)]);
        assert!(run.verdict.is_allowed());
        assert_eq!(run.warnings(), [Warning::AllowOriginWithoutVary]);
        // One exchange cannot tell a fixed value from an echo: the text says "if".
        assert!(Warning::AllowOriginWithoutVary.to_string().contains("if it depends on the Origin"));
        assert!(!Warning::AllowOriginWithoutVary.is_note());
    }

    #[test]
    fn vary_origin_in_any_case_or_star_or_among_others_is_enough() {
        for vary in ["origin", "Accept-Encoding, ORIGIN", "*"] {
            let run = drive(cross(), [bare(200).header(ACAO, PAGE).header("Vary", vary)]);
            assert_eq!(run.warnings(), [], "{vary}");
        }
        let other = drive(cross(), [bare(200).header(ACAO, PAGE).header("Vary", "Accept-Encoding")]);
        assert_eq!(other.warnings(), [Warning::AllowOriginWithoutVary]);
    }

    #[test]
    fn a_star_that_passed_only_without_credentials_is_remarked_on() {
        for mode in [Credentials::Omit, Credentials::SameOrigin] {
            let run = drive(cross().credentials(mode), [star(200)]);
            assert!(run.verdict.is_allowed());
            assert_eq!(run.warnings(), [Warning::WildcardOrigin], "{mode:?}");
        }
    }

    #[test]
    fn same_origin_responses_are_not_judged() {
        let run = drive(Intent::new(url(SAME), Origin::parse(PAGE).unwrap()), [bare(200).header(ACAO, "*")]);
        assert_eq!(run.warnings(), []);
    }
}

#[test]
fn requests_and_responses_convert_to_and_from_http_types() {
    let f = Fetch::new(fetch(API).method("PUT").header("X-Token", "7"));
    let Step::Send(preflight) = f.next() else { panic!("a preflight first") };
    let head = preflight.to_http().unwrap();
    assert_eq!((head.method().as_str(), head.uri().to_string()), ("OPTIONS", API.to_owned()));
    let lines: Vec<(&str, &str)> = head.headers().iter().map(|(n, v)| (n.as_str(), v.to_str().unwrap())).collect();
    let expected: Vec<(String, String)> =
        preflight.headers.iter().map(|(n, v)| (n.to_ascii_lowercase(), v.clone())).collect();
    assert_eq!(lines, expected.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect::<Vec<_>>());

    let mut answer = http::Response::new(());
    *answer.status_mut() = http::StatusCode::NO_CONTENT;
    for (n, v) in [("access-control-allow-origin", PAGE), ("vary", "origin"), ("vary", "access-control-request-method")]
    {
        answer.headers_mut().append(n, http::HeaderValue::from_static(v));
    }
    let model = Response::from(&answer);
    assert_eq!(model.status, 204);
    assert_eq!(model.normalized("Vary").as_deref(), Some(&b"origin, access-control-request-method"[..]));
    assert_eq!(model, Response::from_http(answer.status(), answer.headers()));
}
