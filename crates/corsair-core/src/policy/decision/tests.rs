use super::*;
use crate::policy::PolicyBuilder;
use std::time::{Duration, Instant};

// Helpers ---------------------------------------------------------------------------------------

/// A request: method and header lines (repeated names kept, values as raw bytes). Requests and
/// policies are leaked so decisions, which borrow both, can outlive the expression that made them.
struct Req {
    method: Method,
    headers: HeaderMap,
}

impl Req {
    fn new(method: &str, lines: &[(&str, &str)]) -> &'static Req {
        let lines: Vec<(&str, &[u8])> = lines.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
        Req::bytes(method, &lines)
    }

    fn bytes(method: &str, lines: &[(&str, &[u8])]) -> &'static Req {
        let mut headers = HeaderMap::new();
        for (name, value) in lines {
            headers.append(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_bytes(value).unwrap());
        }
        Box::leak(Box::new(Req { method: Method::from_bytes(method.as_bytes()).unwrap(), headers }))
    }

    fn decide(&'static self, p: &'static Policy) -> Decision<'static> {
        p.decide((&self.method, &self.headers))
    }
}

fn get(origin: &str) -> &'static Req {
    Req::new("GET", &[("origin", origin)])
}

fn preflight(origin: &str, method: &str) -> &'static Req {
    Req::new("OPTIONS", &[("origin", origin), ("access-control-request-method", method)])
}

fn preflight_with(origin: &str, method: &str, acrh: &[&str]) -> &'static Req {
    let mut lines = vec![("origin", origin), ("access-control-request-method", method)];
    lines.extend(acrh.iter().map(|v| ("access-control-request-headers", *v)));
    Req::new("OPTIONS", &lines)
}

const APP: &str = "https://app.example.com";
const EVIL: &str = "https://evil.example";

fn policy(b: PolicyBuilder) -> &'static Policy {
    Box::leak(Box::new(b.build().unwrap_or_else(|e| panic!("{e}"))))
}

fn exact() -> &'static Policy {
    policy(
        Policy::builder()
            .allow_origins([APP, "https://*.staging.example.com"])
            .allow_methods(["PUT", "DELETE"])
            .allow_headers(["Content-Type", "X-Request-Id"])
            .expose_headers(["ETag"])
            .max_age(600),
    )
}

fn credentialed() -> &'static Policy {
    policy(
        Policy::builder()
            .allow_origins([APP, "https://*.staging.example.com"])
            .allow_methods(["PUT"])
            .allow_headers(["content-type", "authorization"])
            .expose_headers(["etag"])
            .allow_credentials(true),
    )
}

fn any_origin() -> &'static Policy {
    policy(Policy::builder().allow_origin("*").allow_methods(["PUT"]).allow_headers(["x-a"]))
}

/// Every line of one response header the decision emits.
fn lines(d: &Decision<'_>, name: &str) -> Vec<String> {
    d.headers().filter(|(n, _)| n == name).map(|(_, v)| v.to_str().unwrap().to_owned()).collect()
}

/// The single line of a response header, if present.
fn one(d: &Decision<'_>, name: &str) -> Option<String> {
    let mut all = lines(d, name);
    assert!(all.len() <= 1, "{name} sent {} times: {all:?}", all.len());
    all.pop()
}

fn acao(d: &Decision<'_>) -> Option<String> {
    one(d, "access-control-allow-origin")
}

fn vary_names(d: &Decision<'_>) -> Vec<&'static str> {
    d.vary().names().collect()
}

// Classification (Fetch: a preflight is OPTIONS + Origin + Access-Control-Request-Method) -------

#[test]
fn no_origin_is_not_a_cors_request() {
    let p = exact();
    for r in [Req::new("GET", &[]), Req::new("POST", &[("content-type", "application/json")])] {
        let d = r.decide(p);
        assert_eq!(d.kind(), RequestKind::NotCors);
        assert!(d.is_allowed());
        assert_eq!(d.action(), Action::Forward);
        assert_eq!(d.headers().count(), 0);
    }
}

#[test]
fn options_with_acrm_but_no_origin_is_not_cors() {
    let d = Req::new("OPTIONS", &[("access-control-request-method", "PUT")]).decide(exact());
    assert_eq!(d.kind(), RequestKind::NotCors);
    assert_eq!(d.action(), Action::Forward);
}

#[test]
fn options_with_origin_and_acrm_is_a_preflight() {
    assert_eq!(preflight(APP, "PUT").decide(exact()).kind(), RequestKind::Preflight);
}

#[test]
fn options_without_acrm_is_an_actual_request() {
    let d = Req::new("OPTIONS", &[("origin", APP)]).decide(exact());
    assert_eq!(d.kind(), RequestKind::Actual);
    assert_eq!(d.action(), Action::Forward, "a plain OPTIONS goes to the application");
    assert_eq!(acao(&d).as_deref(), Some(APP));
}

#[test]
fn acrm_without_options_is_an_actual_request() {
    for method in ["GET", "POST", "PUT", "DELETE"] {
        let r = Req::new(method, &[("origin", APP), ("access-control-request-method", "PUT")]);
        let d = r.decide(exact());
        assert_eq!(d.kind(), RequestKind::Actual, "{method}");
        assert_eq!(one(&d, "access-control-allow-methods"), None, "{method}");
    }
}

#[test]
fn lower_case_options_method_is_not_a_preflight() {
    // Methods are case-sensitive; browsers send preflights as `OPTIONS`.
    let r = Req::new("options", &[("origin", APP), ("access-control-request-method", "PUT")]);
    assert_eq!(r.decide(exact()).kind(), RequestKind::Actual);
}

#[test]
fn actual_requests_are_not_checked_against_allowed_methods() {
    // The browser checks methods only at preflight time; the actual request needs ACAO.
    let d = Req::new("PATCH", &[("origin", APP)]).decide(exact());
    assert!(d.is_allowed());
    assert_eq!(acao(&d).as_deref(), Some(APP));
}

#[test]
fn request_parts_convert_from_http_types() {
    let p = exact();
    let req = http::Request::builder()
        .method("OPTIONS")
        .header("origin", APP)
        .header("access-control-request-method", "PUT")
        .body(())
        .unwrap();
    assert_eq!(p.decide(&req).kind(), RequestKind::Preflight);
    let (parts, ()) = req.into_parts();
    assert_eq!(p.decide(&parts).kind(), RequestKind::Preflight);
}

// Refusals: every variant ----------------------------------------------------------------------

#[test]
fn two_origin_lines_are_refused_even_if_both_are_allowed() {
    let r = Req::new("GET", &[("origin", APP), ("origin", APP)]);
    let d = r.decide(exact());
    assert_eq!(d.refusal(), Some(&Refusal::MultipleOrigins));
    assert_eq!(d.headers().count(), 0);
}

#[test]
fn many_origin_lines_are_refused() {
    let lines: Vec<(&str, &str)> = (0..1000).map(|_| ("origin", APP)).collect();
    let d = Req::new("OPTIONS", &lines).decide(exact());
    assert_eq!(d.refusal(), Some(&Refusal::MultipleOrigins));
}

#[test]
fn malformed_origins_are_refused_with_the_bytes() {
    let p = exact();
    for bad in [
        "NULL",
        "https://app.example.com/",
        "https://APP.example.com",
        "https://app.example.com:443",
        "app.example.com",
        "",
    ] {
        let r = get(bad);
        let d = r.decide(p);
        assert_eq!(d.refusal(), Some(&Refusal::MalformedOrigin(bad.as_bytes())), "{bad:?}");
        assert_eq!(d.headers().count(), 0);
    }
}

#[test]
fn comma_joined_origins_are_malformed() {
    let r = get("https://app.example.com, https://app.example.com");
    assert!(matches!(r.decide(exact()).refusal(), Some(Refusal::MalformedOrigin(_))));
}

#[test]
fn overlong_origin_is_malformed() {
    let long = format!("https://{}.example.com", "a".repeat(2000));
    assert!(matches!(get(&long).decide(exact()).refusal(), Some(Refusal::MalformedOrigin(_))));
}

#[test]
fn star_alone_answers_odd_origins_like_any_other() {
    // The `*` answer carries no Vary: Origin, so a refusal for one odd request would be cached
    // and served, without ACAO, to every browser after it.
    let p = policy(Policy::builder().allow_origin("*").refusal(RefusalStyle::RejectAll(StatusCode::FORBIDDEN)));
    for r in [
        get("NULL"),
        get("https://a.example, https://b.example"),
        Req::new("GET", &[("origin", APP), ("origin", EVIL)]),
    ] {
        let d = r.decide(p);
        assert!(d.is_allowed());
        assert_eq!(d.action(), Action::Forward);
        assert_eq!(acao(&d).as_deref(), Some("*"));
        assert!(d.vary().is_empty());
    }
}

#[test]
fn star_with_credentials_or_other_origins_still_refuses_odd_origins() {
    let p = policy(Policy::builder().allow_origins(["*", APP]));
    assert!(matches!(get("NULL").decide(p).refusal(), Some(Refusal::MalformedOrigin(_))));
    assert_eq!(vary_names(&get("NULL").decide(p)), ["origin"]);
}

#[test]
fn unlisted_origin_is_refused() {
    let r = get(EVIL);
    let d = r.decide(exact());
    assert_eq!(d.refusal(), Some(&Refusal::OriginNotAllowed(EVIL.as_bytes())));
    assert_eq!(d.refusal().unwrap().kind(), RefusalKind::Origin);
}

#[test]
fn suffix_confusion_origins_are_refused() {
    let p = exact();
    for o in [
        "https://app.example.com.evil.com",
        "https://evil-app.example.com",
        "https://staging.example.com",
        "http://app.example.com",
    ] {
        assert!(matches!(get(o).decide(p).refusal(), Some(Refusal::OriginNotAllowed(_))), "{o}");
    }
}

#[test]
fn acrm_that_is_not_one_token_is_malformed() {
    let p = policy(Policy::builder().allow_origin(APP).allow_methods(["*"]));
    for bad in ["GET, DELETE", "GET DELETE", "", " PUT", "PUT,"] {
        let r = preflight(APP, bad);
        let d = r.decide(p);
        assert_eq!(d.refusal(), Some(&Refusal::MalformedMethod(bad.as_bytes())), "{bad:?}");
        assert_eq!(d.refusal().unwrap().kind(), RefusalKind::Method);
    }
}

#[test]
fn two_acrm_lines_are_malformed() {
    let r = Req::new(
        "OPTIONS",
        &[("origin", APP), ("access-control-request-method", "PUT"), ("access-control-request-method", "PUT")],
    );
    assert!(matches!(r.decide(exact()).refusal(), Some(Refusal::MalformedMethod(_))));
}

#[test]
fn comma_joined_acrm_is_never_echoed_into_acam() {
    // google/go-safeweb #372: echoing `GET, DELETE` would allow DELETE.
    let p = policy(Policy::builder().allow_origin(APP).allow_methods(["*"]).allow_credentials(true));
    let r = preflight(APP, "GET, DELETE");
    let d = r.decide(p);
    assert!(!d.is_allowed());
    assert_eq!(one(&d, "access-control-allow-methods"), None);
}

#[test]
fn unlisted_method_is_refused() {
    let r = preflight(APP, "PATCH");
    let d = r.decide(exact());
    assert_eq!(d.refusal(), Some(&Refusal::MethodNotAllowed(b"PATCH")));
    assert_eq!(d.headers().count(), 0);
}

#[test]
fn method_matching_is_case_sensitive() {
    // fetch() sends `patch` as written; `Access-Control-Allow-Methods: PATCH` does not cover it.
    let upper = policy(Policy::builder().allow_origin(APP).allow_methods(["PATCH"]));
    assert!(preflight(APP, "PATCH").decide(upper).is_allowed());
    assert_eq!(preflight(APP, "patch").decide(upper).refusal(), Some(&Refusal::MethodNotAllowed(b"patch")));
    let lower = policy(Policy::builder().allow_origin(APP).allow_methods(["patch"]));
    assert!(preflight(APP, "patch").decide(lower).is_allowed());
    assert!(!preflight(APP, "PATCH").decide(lower).is_allowed());
}

#[test]
fn safelisted_methods_are_always_allowed_in_a_preflight() {
    let p = policy(Policy::builder().allow_origin(APP).allow_headers(["x-a"]));
    for m in ["GET", "HEAD", "POST"] {
        let r = preflight_with(APP, m, &["x-a"]);
        assert!(r.decide(p).is_allowed(), "{m}");
    }
}

#[test]
fn safelisting_is_byte_exact() {
    let p = policy(Policy::builder().allow_origin(APP));
    assert!(matches!(preflight(APP, "get").decide(p).refusal(), Some(Refusal::MethodNotAllowed(b"get"))));
}

#[test]
fn a_method_named_star_is_just_a_method() {
    assert!(matches!(preflight(APP, "*").decide(exact()).refusal(), Some(Refusal::MethodNotAllowed(b"*"))));
}

#[test]
fn unlisted_request_header_is_refused_with_its_name() {
    let r = preflight_with(APP, "PUT", &["content-type,x-secret"]);
    let d = r.decide(exact());
    assert_eq!(d.refusal(), Some(&Refusal::HeaderNotAllowed(b"x-secret")));
    assert_eq!(d.refusal().unwrap().kind(), RefusalKind::Header);
    assert_eq!(d.headers().count(), 0, "no partial headers on a refusal");
}

#[test]
fn request_header_names_longer_than_any_allowed_are_refused() {
    let long = "x-".to_owned() + &"a".repeat(5000);
    let r = preflight_with(APP, "PUT", &[&long]);
    assert!(matches!(r.decide(exact()).refusal(), Some(Refusal::HeaderNotAllowed(_))));
}

#[test]
fn non_token_request_header_is_malformed() {
    for bad in ["x a", "x-a;b", "content-type, b/c", "\"x\""] {
        let r = preflight_with(APP, "PUT", &[bad]);
        assert!(matches!(r.decide(exact()).refusal(), Some(Refusal::MalformedHeaders(_))), "{bad}");
    }
}

#[test]
fn private_network_request_is_refused_unless_allowed() {
    let r = Req::new(
        "OPTIONS",
        &[
            ("origin", APP),
            ("access-control-request-method", "PUT"),
            ("access-control-request-private-network", "true"),
        ],
    );
    let d = r.decide(exact());
    assert_eq!(d.refusal(), Some(&Refusal::PrivateNetworkNotAllowed));
    assert_eq!(d.refusal().unwrap().kind(), RefusalKind::PrivateNetwork);
    assert_eq!(d.action(), Action::Respond(StatusCode::FORBIDDEN));
}

#[test]
fn refusal_display_escapes_and_truncates_request_bytes() {
    let r = Req::bytes("GET", &[("origin", b"https://\xff\t.example")]);
    let d = r.decide(exact());
    let text = d.refusal().unwrap().to_string();
    assert!(text.is_ascii() && !text.contains('\t'), "{text:?}");
    let long = vec![b','; 1 << 20];
    let r = Req::bytes(
        "OPTIONS",
        &[
            ("origin", APP.as_bytes()),
            ("access-control-request-method", b"PUT"),
            ("access-control-request-headers", &long),
        ],
    );
    let d = r.decide(exact());
    let text = d.refusal().unwrap().to_string();
    assert!(text.len() < 300 && text.contains("(1048576 bytes)"), "{text}");
}

// Access-Control-Allow-Origin ------------------------------------------------------------------

#[test]
fn exact_origin_gets_exactly_its_serialisation() {
    let d = get(APP).decide(exact());
    assert_eq!(acao(&d).as_deref(), Some(APP));
}

#[test]
fn pattern_matches_echo_the_request_origin() {
    let o = "https://pr-42.staging.example.com";
    assert_eq!(acao(&get(o).decide(exact())).as_deref(), Some(o));
    let dev = policy(Policy::builder().allow_origin("http://localhost:*"));
    assert_eq!(acao(&get("http://localhost:5173").decide(dev)).as_deref(), Some("http://localhost:5173"));
}

#[test]
fn star_policy_answers_star() {
    assert_eq!(acao(&get(EVIL).decide(any_origin())).as_deref(), Some("*"));
}

#[test]
fn star_with_listed_origins_answers_listed_ones_exactly() {
    let p = policy(Policy::builder().allow_origins(["*", APP]));
    assert_eq!(acao(&get(APP).decide(p)).as_deref(), Some(APP));
    assert_eq!(acao(&get(EVIL).decide(p)).as_deref(), Some("*"));
}

#[test]
fn null_origin_is_allowed_only_with_the_dangerous_flag() {
    assert!(matches!(get("null").decide(exact()).refusal(), Some(Refusal::OriginNotAllowed(b"null"))));
    let p = policy(Policy::builder().allow_origins([APP, "null"]).dangerously_allow_null(true));
    assert_eq!(acao(&get("null").decide(p)).as_deref(), Some("null"));
}

#[test]
fn star_policy_answers_null_with_star() {
    // `*` without credentials is a public resource; browsers accept it for opaque origins too.
    assert_eq!(acao(&get("null").decide(any_origin())).as_deref(), Some("*"));
}

#[test]
fn pattern_policies_do_not_admit_null() {
    let p = policy(Policy::builder().allow_origins(["https://*.example.com", "http://localhost:*"]));
    assert!(!get("null").decide(p).is_allowed());
}

// Access-Control-Allow-Credentials -------------------------------------------------------------

#[test]
fn acac_is_true_on_allowed_credentialed_responses() {
    let p = credentialed();
    assert_eq!(one(&get(APP).decide(p), "access-control-allow-credentials").as_deref(), Some("true"));
    assert_eq!(one(&preflight(APP, "PUT").decide(p), "access-control-allow-credentials").as_deref(), Some("true"));
}

#[test]
fn acac_is_absent_on_refusals() {
    let p = credentialed();
    assert_eq!(one(&get(EVIL).decide(p), "access-control-allow-credentials"), None);
    assert_eq!(one(&preflight(APP, "DELETE").decide(p), "access-control-allow-credentials"), None);
}

#[test]
fn acac_is_absent_without_credentials() {
    assert_eq!(one(&get(APP).decide(exact()), "access-control-allow-credentials"), None);
}

// Access-Control-Allow-Methods -----------------------------------------------------------------

#[test]
fn acam_lists_the_configured_methods() {
    let d = preflight(APP, "DELETE").decide(exact());
    assert_eq!(one(&d, "access-control-allow-methods").as_deref(), Some("PUT,DELETE"));
}

#[test]
fn acam_is_absent_when_no_method_is_listed() {
    let p = policy(Policy::builder().allow_origin(APP).allow_headers(["x-a"]));
    let d = preflight_with(APP, "POST", &["x-a"]).decide(p);
    assert!(d.is_allowed());
    assert_eq!(one(&d, "access-control-allow-methods"), None);
}

#[test]
fn star_methods_without_credentials_answer_star() {
    let p = policy(Policy::builder().allow_origin(APP).allow_methods(["*"]));
    let d = preflight(APP, "PROPFIND").decide(p);
    assert!(d.is_allowed());
    assert_eq!(one(&d, "access-control-allow-methods").as_deref(), Some("*"));
}

#[test]
fn star_methods_with_credentials_echo_the_requested_method() {
    // With credentials `*` is a literal method name, so the method must be named.
    let p = policy(Policy::builder().allow_origin(APP).allow_methods(["*"]).allow_credentials(true));
    for m in ["PROPFIND", "patch", "PATCH", "DELETE"] {
        let d = preflight(APP, m).decide(p);
        assert_eq!(one(&d, "access-control-allow-methods").as_deref(), Some(m));
    }
}

#[test]
fn acam_is_not_sent_on_actual_responses() {
    assert_eq!(one(&Req::new("PUT", &[("origin", APP)]).decide(exact()), "access-control-allow-methods"), None);
}

// Access-Control-Allow-Headers -----------------------------------------------------------------

#[test]
fn acah_lists_the_configured_names_lower_cased_and_sorted() {
    let d = preflight_with(APP, "PUT", &["x-request-id"]).decide(exact());
    assert_eq!(one(&d, "access-control-allow-headers").as_deref(), Some("content-type,x-request-id"));
}

#[test]
fn acah_is_absent_when_no_headers_were_requested() {
    assert_eq!(one(&preflight(APP, "PUT").decide(exact()), "access-control-allow-headers"), None);
    let d = preflight_with(APP, "PUT", &[""]).decide(exact());
    assert!(d.is_allowed());
    assert_eq!(one(&d, "access-control-allow-headers"), None);
}

#[test]
fn request_header_names_match_case_insensitively() {
    for acrh in ["X-Request-ID", "CONTENT-TYPE,x-REQUEST-id", "Content-Type"] {
        assert!(preflight_with(APP, "PUT", &[acrh]).decide(exact()).is_allowed(), "{acrh}");
    }
}

#[test]
fn unsorted_and_uppercase_lists_are_still_checked_name_by_name() {
    assert!(preflight_with(APP, "PUT", &["x-request-id,content-type"]).decide(exact()).is_allowed());
    assert!(!preflight_with(APP, "PUT", &["X-Request-Id,X-Other"]).decide(exact()).is_allowed());
}

#[test]
fn star_headers_without_credentials_answer_star() {
    let p = policy(Policy::builder().allow_origin(APP).allow_headers(["*"]));
    let d = preflight_with(APP, "POST", &["x-anything,x-else"]).decide(p);
    assert!(d.is_allowed());
    assert_eq!(one(&d, "access-control-allow-headers").as_deref(), Some("*"));
}

#[test]
fn star_does_not_cover_authorization() {
    // Fetch: Authorization must be listed explicitly; `*` never covers it.
    for creds in [false, true] {
        let p = policy(Policy::builder().allow_origin(APP).allow_headers(["*"]).allow_credentials(creds));
        let r = preflight_with(APP, "POST", &["authorization,x-a"]);
        assert_eq!(r.decide(p).refusal(), Some(&Refusal::HeaderNotAllowed(b"authorization")), "credentials {creds}");
        let r = preflight_with(APP, "POST", &["Authorization"]);
        assert!(!r.decide(p).is_allowed(), "any case");
    }
}

#[test]
fn star_with_listed_authorization_covers_it() {
    let p = policy(Policy::builder().allow_origin(APP).allow_headers(["*", "Authorization"]));
    let d = preflight_with(APP, "POST", &["authorization,x-a"]).decide(p);
    assert!(d.is_allowed());
    assert_eq!(one(&d, "access-control-allow-headers").as_deref(), Some("*,authorization"));
}

#[test]
fn star_headers_with_credentials_echo_each_request_line() {
    // With credentials `*` is a literal name, so the requested names are sent back.
    let p = policy(Policy::builder().allow_origin(APP).allow_headers(["*"]).allow_credentials(true));
    let d = preflight_with(APP, "POST", &["x-a,x-b", "x-c"]).decide(p);
    assert!(d.is_allowed());
    assert_eq!(lines(&d, "access-control-allow-headers"), ["x-a,x-b", "x-c"]);
}

#[test]
fn star_headers_with_credentials_refuse_hostile_numbers_of_names() {
    let p = policy(Policy::builder().allow_origin(APP).allow_headers(["*"]).allow_credentials(true));
    let names: Vec<String> = (0..=MAX_REQUESTED_HEADERS).map(|i| format!("x-{i}")).collect();
    let joined = names.join(",");
    assert!(matches!(preflight_with(APP, "POST", &[&joined]).decide(p).refusal(), Some(Refusal::MalformedHeaders(_))));
    let fine = names[..MAX_REQUESTED_HEADERS].join(",");
    assert!(preflight_with(APP, "POST", &[&fine]).decide(p).is_allowed());
}

#[test]
fn split_acrh_lines_are_read_as_one_list() {
    // AWS API Gateway splits Access-Control-Request-Headers into several lines.
    let p = exact();
    assert!(preflight_with(APP, "PUT", &["content-type", "x-request-id"]).decide(p).is_allowed());
    let r = preflight_with(APP, "PUT", &["content-type", "x-request-id", "x-evil"]);
    assert_eq!(r.decide(p).refusal(), Some(&Refusal::HeaderNotAllowed(b"x-evil")));
}

#[test]
fn acrh_tolerates_optional_white_space() {
    assert!(preflight_with(APP, "PUT", &[" content-type ,\tx-request-id\t"]).decide(exact()).is_allowed());
}

#[test]
fn acrh_tolerates_a_few_empty_items() {
    for acrh in ["content-type,,x-request-id", ",content-type", "content-type,", ", ,content-type, ,"] {
        assert!(preflight_with(APP, "PUT", &[acrh]).decide(exact()).is_allowed(), "{acrh:?}");
    }
}

#[test]
fn acrh_of_1024_commas_is_malformed() {
    let commas = ",".repeat(1024);
    let r = preflight_with(APP, "PUT", &[&commas]);
    assert!(matches!(r.decide(exact()).refusal(), Some(Refusal::MalformedHeaders(_))));
}

#[test]
fn acrh_of_a_mebibyte_of_commas_is_refused_quickly() {
    let commas = vec![b','; 1 << 20];
    let r = Req::bytes(
        "OPTIONS",
        &[
            ("origin", APP.as_bytes()),
            ("access-control-request-method", b"PUT"),
            ("access-control-request-headers", &commas),
        ],
    );
    let p = any_origin();
    let start = Instant::now();
    for _ in 0..10 {
        assert!(matches!(r.decide(p).refusal(), Some(Refusal::MalformedHeaders(_))));
    }
    assert!(start.elapsed() < Duration::from_secs(1), "took {:?}", start.elapsed());
}

#[test]
fn repeated_allowed_names_beyond_any_real_list_are_malformed() {
    let repeated = vec!["content-type"; 100].join(",");
    let r = preflight_with(APP, "PUT", &[&repeated]);
    assert!(matches!(r.decide(exact()).refusal(), Some(Refusal::MalformedHeaders(_))));
}

// Vary: on every outcome, so caches never serve one origin's answer to another ------------------

#[test]
fn vary_origin_on_requests_without_origin() {
    assert_eq!(vary_names(&Req::new("GET", &[]).decide(exact())), ["origin"]);
}

#[test]
fn vary_origin_on_allowed_and_refused_actual_requests() {
    assert_eq!(vary_names(&get(APP).decide(exact())), ["origin"]);
    assert_eq!(vary_names(&get(EVIL).decide(exact())), ["origin"]);
    assert_eq!(vary_names(&get("NULL").decide(exact())), ["origin"]);
}

#[test]
fn vary_on_preflights_names_the_request_method_and_headers() {
    let all = ["origin", "access-control-request-method", "access-control-request-headers"];
    assert_eq!(vary_names(&preflight(APP, "PUT").decide(exact())), all);
    assert_eq!(vary_names(&preflight(EVIL, "PUT").decide(exact())), all);
    assert_eq!(vary_names(&preflight(APP, "PATCH").decide(exact())), all);
}

#[test]
fn vary_names_the_private_network_header_when_the_policy_answers_it() {
    let p = policy(Policy::builder().allow_origin(APP).allow_private_network(true));
    assert!(vary_names(&preflight(APP, "GET").decide(p)).contains(&"access-control-request-private-network"));
    assert!(!vary_names(&preflight(APP, "GET").decide(exact())).contains(&"access-control-request-private-network"));
}

#[test]
fn no_vary_origin_for_star_only_without_credentials() {
    // tower-http #539: a static `*` answer does not depend on Origin.
    let p = any_origin();
    assert!(get(APP).decide(p).vary().is_empty());
    assert!(Req::new("GET", &[]).decide(p).vary().is_empty());
    assert_eq!(
        vary_names(&preflight(APP, "PUT").decide(p)),
        ["access-control-request-method", "access-control-request-headers"]
    );
}

#[test]
fn vary_origin_when_star_is_mixed_with_listed_origins() {
    let p = policy(Policy::builder().allow_origins(["*", APP]));
    assert_eq!(vary_names(&get(EVIL).decide(p)), ["origin"]);
    assert_eq!(vary_names(&Req::new("GET", &[]).decide(p)), ["origin"]);
}

// Expose-Headers and Max-Age -------------------------------------------------------------------

#[test]
fn aceh_is_sent_on_allowed_actual_responses_only() {
    let p = exact();
    assert_eq!(one(&get(APP).decide(p), "access-control-expose-headers").as_deref(), Some("etag"));
    assert_eq!(one(&preflight(APP, "PUT").decide(p), "access-control-expose-headers"), None);
    assert_eq!(one(&get(EVIL).decide(p), "access-control-expose-headers"), None);
}

#[test]
fn max_age_is_sent_on_allowed_preflights_only() {
    let p = exact();
    assert_eq!(one(&preflight(APP, "PUT").decide(p), "access-control-max-age").as_deref(), Some("600"));
    assert_eq!(one(&get(APP).decide(p), "access-control-max-age"), None);
    assert_eq!(one(&preflight(APP, "PATCH").decide(p), "access-control-max-age"), None);
    assert_eq!(one(&preflight(APP, "PUT").decide(credentialed()), "access-control-max-age"), None, "not configured");
}

#[test]
fn allowed_preflight_sends_exactly_the_preflight_headers() {
    let d = preflight_with(APP, "PUT", &["content-type"]).decide(exact());
    let mut names: Vec<String> = d.headers().map(|(n, _)| n.to_string()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "access-control-allow-headers",
            "access-control-allow-methods",
            "access-control-allow-origin",
            "access-control-max-age"
        ]
    );
}

#[test]
fn allowed_actual_request_sends_exactly_the_actual_headers() {
    let d = get(APP).decide(credentialed());
    let mut names: Vec<String> = d.headers().map(|(n, _)| n.to_string()).collect();
    names.sort();
    assert_eq!(
        names,
        ["access-control-allow-credentials", "access-control-allow-origin", "access-control-expose-headers"]
    );
}

// Actions: RefusalStyle x kind x forward_preflights ---------------------------------------------

fn styled(style: RefusalStyle, forward: bool) -> &'static Policy {
    policy(
        Policy::builder()
            .allow_origin(APP)
            .allow_methods(["PUT"])
            .refusal(style)
            .forward_preflights(forward)
            .preflight_status(200),
    )
}

#[test]
fn actions_follow_the_refusal_style() {
    let teapot = StatusCode::IM_A_TEAPOT;
    let ok = StatusCode::OK;
    // (style, forward_preflights, allowed preflight, refused preflight, allowed actual, refused actual)
    let table = [
        (RefusalStyle::OmitHeaders, false, Action::Respond(ok), Action::Respond(ok), Action::Forward, Action::Forward),
        (RefusalStyle::OmitHeaders, true, Action::Forward, Action::Forward, Action::Forward, Action::Forward),
        (
            RefusalStyle::RejectPreflight(teapot),
            false,
            Action::Respond(ok),
            Action::Respond(teapot),
            Action::Forward,
            Action::Forward,
        ),
        (
            RefusalStyle::RejectPreflight(teapot),
            true,
            Action::Forward,
            Action::Respond(teapot),
            Action::Forward,
            Action::Forward,
        ),
        (
            RefusalStyle::RejectAll(teapot),
            false,
            Action::Respond(ok),
            Action::Respond(teapot),
            Action::Forward,
            Action::Respond(teapot),
        ),
        (
            RefusalStyle::RejectAll(teapot),
            true,
            Action::Forward,
            Action::Respond(teapot),
            Action::Forward,
            Action::Respond(teapot),
        ),
    ];
    for (style, forward, pre_ok, pre_no, act_ok, act_no) in table {
        let p = styled(style, forward);
        let case = format!("{style:?} forward={forward}");
        assert_eq!(preflight(APP, "PUT").decide(p).action(), pre_ok, "{case}: allowed preflight");
        assert_eq!(preflight(APP, "PATCH").decide(p).action(), pre_no, "{case}: refused preflight (method)");
        assert_eq!(preflight(EVIL, "PUT").decide(p).action(), pre_no, "{case}: refused preflight (origin)");
        assert_eq!(get(APP).decide(p).action(), act_ok, "{case}: allowed actual");
        assert_eq!(get(EVIL).decide(p).action(), act_no, "{case}: refused actual");
        assert_eq!(Req::new("DELETE", &[]).decide(p).action(), Action::Forward, "{case}: not CORS");
    }
}

#[test]
fn forwarded_allowed_preflights_still_carry_their_headers() {
    let d = preflight(APP, "PUT").decide(styled(RefusalStyle::OmitHeaders, true));
    assert_eq!(d.action(), Action::Forward);
    assert_eq!(acao(&d).as_deref(), Some(APP));
    assert_eq!(one(&d, "access-control-allow-methods").as_deref(), Some("PUT"));
}

#[test]
fn default_style_answers_refused_preflights_403_and_allowed_ones_204() {
    assert_eq!(preflight(EVIL, "PUT").decide(exact()).action(), Action::Respond(StatusCode::FORBIDDEN));
    assert_eq!(preflight(APP, "PUT").decide(exact()).action(), Action::Respond(StatusCode::NO_CONTENT));
}

// Private Network Access -----------------------------------------------------------------------

#[test]
fn private_network_preflight_is_answered_when_allowed() {
    let p = policy(Policy::builder().allow_origin(APP).allow_private_network(true));
    let r = Req::new(
        "OPTIONS",
        &[
            ("origin", APP),
            ("access-control-request-method", "GET"),
            ("access-control-request-private-network", "true"),
        ],
    );
    let d = r.decide(p);
    assert!(d.is_allowed());
    assert_eq!(one(&d, "access-control-allow-private-network").as_deref(), Some("true"));
}

#[test]
fn private_network_header_is_only_answered_for_the_value_true() {
    let p = policy(Policy::builder().allow_origin(APP).allow_private_network(true));
    let r = Req::new(
        "OPTIONS",
        &[
            ("origin", APP),
            ("access-control-request-method", "GET"),
            ("access-control-request-private-network", "false"),
        ],
    );
    let d = r.decide(p);
    assert!(d.is_allowed());
    assert_eq!(one(&d, "access-control-allow-private-network"), None);
    let d = preflight(APP, "GET").decide(p);
    assert_eq!(one(&d, "access-control-allow-private-network"), None);
}

#[test]
fn private_network_header_on_an_actual_request_is_ignored() {
    let r = Req::new("GET", &[("origin", APP), ("access-control-request-private-network", "true")]);
    let d = r.decide(exact());
    assert!(d.is_allowed());
    assert_eq!(one(&d, "access-control-allow-private-network"), None);
}

// apply_to: replace CORS headers, merge Vary ---------------------------------------------------

fn response(lines: &[(&str, &str)]) -> HeaderMap {
    Req::new("GET", lines).headers.clone()
}

fn response_lines(h: &HeaderMap, name: &str) -> Vec<String> {
    h.get_all(name).iter().map(|v| v.to_str().unwrap().to_owned()).collect()
}

#[test]
fn apply_to_replaces_cors_headers_the_application_set() {
    let mut resp = response(&[
        ("access-control-allow-origin", "*"),
        ("access-control-allow-origin", "https://other.example"),
        ("access-control-allow-credentials", "true"),
        ("access-control-expose-headers", "x-leak"),
        ("content-type", "text/plain"),
    ]);
    get(APP).decide(exact()).apply_to(&mut resp);
    assert_eq!(response_lines(&resp, "access-control-allow-origin"), [APP]);
    assert!(resp.get("access-control-allow-credentials").is_none());
    assert_eq!(response_lines(&resp, "access-control-expose-headers"), ["etag"]);
    assert_eq!(response_lines(&resp, "content-type"), ["text/plain"], "other headers stay");
}

#[test]
fn apply_to_on_a_refusal_strips_the_applications_cors_headers() {
    let mut resp = response(&[("access-control-allow-origin", "*"), ("access-control-max-age", "100")]);
    get(EVIL).decide(exact()).apply_to(&mut resp);
    for name in CORS_RESPONSE_HEADERS {
        assert!(resp.get(name).is_none(), "{name}");
    }
    assert_eq!(response_lines(&resp, "vary"), ["origin"]);
}

#[test]
fn apply_to_merges_vary_with_the_applications_names() {
    let mut resp = response(&[("vary", "Accept-Encoding")]);
    preflight(APP, "PUT").decide(exact()).apply_to(&mut resp);
    assert_eq!(
        response_lines(&resp, "vary"),
        ["Accept-Encoding", "origin, access-control-request-method, access-control-request-headers"]
    );
}

#[test]
fn apply_to_does_not_repeat_vary_names_already_present() {
    let mut resp = response(&[("vary", "Origin")]);
    get(APP).decide(exact()).apply_to(&mut resp);
    assert_eq!(response_lines(&resp, "vary"), ["Origin"]);
}

#[test]
fn apply_to_twice_is_the_same_as_once() {
    let mut once = response(&[]);
    let mut twice = response(&[]);
    let r = preflight_with(APP, "PUT", &["content-type"]);
    let d = r.decide(exact());
    d.apply_to(&mut once);
    d.apply_to(&mut twice);
    d.apply_to(&mut twice);
    assert_eq!(once, twice);
}

#[test]
fn apply_to_keeps_echoed_acah_lines_in_order() {
    let p = policy(Policy::builder().allow_origin(APP).allow_headers(["*"]).allow_credentials(true));
    let r = preflight_with(APP, "POST", &["x-b", "x-a"]);
    let mut resp = response(&[("access-control-allow-headers", "x-app")]);
    r.decide(p).apply_to(&mut resp);
    assert_eq!(response_lines(&resp, "access-control-allow-headers"), ["x-b", "x-a"]);
}

#[test]
fn apply_to_not_cors_adds_only_vary() {
    let mut resp = response(&[("content-length", "0")]);
    Req::new("GET", &[]).decide(exact()).apply_to(&mut resp);
    assert_eq!(resp.len(), 2);
    assert_eq!(response_lines(&resp, "vary"), ["origin"]);
}

#[test]
fn remove_cors_headers_removes_each_cors_name_and_nothing_else() {
    for name in CORS_RESPONSE_HEADERS {
        let mut resp = response(&[(name, "x"), (name, "y"), ("content-type", "text/plain")]);
        crate::policy::decision::remove_cors_headers(&mut resp);
        assert!(resp.get(name).is_none(), "{name}");
        assert_eq!(resp.len(), 1, "{name}: other headers stay");
    }
    let keep = [
        ("access-control-request-method", "PUT"),
        ("access-control-allow-originx", "1"),
        ("x-access-control-max-age", "1"),
    ];
    let mut resp = response(&keep);
    crate::policy::decision::remove_cors_headers(&mut resp);
    assert_eq!(resp.len(), 3, "look-alike names are not CORS response headers");
}

#[test]
fn is_cors_response_header_agrees_with_the_list() {
    for name in CORS_RESPONSE_HEADERS {
        assert!(crate::policy::decision::is_cors_response_header(&http::HeaderName::from_static(name)), "{name}");
    }
    for name in ["vary", "access-control-request-headers", "origin", "access-control-allow-originx"] {
        assert!(!crate::policy::decision::is_cors_response_header(&http::HeaderName::from_static(name)), "{name}");
    }
}

#[test]
fn the_bytes_test_of_cors_response_headers_agrees_in_any_case() {
    use crate::policy::decision::is_cors_response_header_bytes as bytes;
    for name in CORS_RESPONSE_HEADERS {
        assert!(bytes(name.as_bytes()), "{name}");
        assert!(bytes(name.to_ascii_uppercase().as_bytes()), "{name}");
    }
    for name in ["vary", "Access-Control-Request-Headers", "access-control-", "access-control-allow-originx", ""] {
        assert!(!bytes(name.as_bytes()), "{name}");
    }
}

// CorsHeaders: the owned copy does exactly what apply_to does ------------------------------------

fn owned_policies() -> Vec<&'static Policy> {
    let b = Policy::builder;
    vec![
        policy(b().allow_origin(APP)),
        policy(b().allow_origin("*").allow_methods(["*"]).allow_headers(["*"]).expose_headers(["*"])),
        policy(
            b().allow_origins([APP, "https://*.example.net", "http://localhost:*"])
                .allow_methods(["PUT", "DELETE"])
                .allow_headers(["content-type", "x-request-id"])
                .expose_headers(["etag", "x-total"])
                .allow_credentials(true)
                .max_age(600)
                .allow_private_network(true),
        ),
        policy(
            b().allow_origin(APP)
                .allow_methods(["*"])
                .allow_headers(["*"])
                .allow_credentials(true)
                .forward_preflights(true)
                .refusal(RefusalStyle::OmitHeaders),
        ),
        policy(b().allow_origin(APP).refusal(RefusalStyle::RejectAll(StatusCode::UNAUTHORIZED))),
    ]
}

fn owned_requests() -> Vec<&'static Req> {
    let names = ["x-a", "x-b", "x-c, x-d", "x-e", "x-f", "x-g", "x-h", "x-i", "x-j"];
    vec![
        Req::new("GET", &[]),
        get(APP),
        Req::new("POST", &[("origin", "https://a.b.example.net")]),
        get(EVIL),
        get("null"),
        Req::new("OPTIONS", &[("origin", APP)]),
        Req::new(
            "OPTIONS",
            &[
                ("origin", "http://localhost:5173"),
                ("access-control-request-method", "PUT"),
                ("access-control-request-headers", "content-type"),
                ("access-control-request-private-network", "true"),
            ],
        ),
        preflight(APP, "PATCH"),
        preflight(EVIL, "PUT"),
        preflight_with(APP, "PUT", &names),
    ]
}

fn inner_responses() -> Vec<HeaderMap> {
    let plain = response(&[("content-type", "application/json")]);
    let with_cors = response(&[
        ("content-type", "application/json"),
        ("access-control-allow-origin", "*"),
        ("access-control-allow-origin", "https://x.example"),
        ("access-control-allow-credentials", "true"),
        ("access-control-expose-headers", "x-secret"),
        ("access-control-allow-private-network", "true"),
    ]);
    let with_vary = response(&[("vary", "accept-encoding"), ("vary", "Origin")]);
    let star = response(&[("vary", "*")]);
    vec![HeaderMap::new(), plain, with_cors, with_vary, star]
}

#[test]
fn owned_headers_apply_exactly_like_the_decision() {
    let mut checked = 0;
    for p in owned_policies() {
        for r in owned_requests() {
            let d = r.decide(p);
            let owned = d.to_headers();
            assert_eq!(owned.vary(), d.vary());
            for inner in inner_responses() {
                let mut by_decision = inner.clone();
                d.apply_to(&mut by_decision);
                let mut by_owned = inner;
                owned.clone().apply_to(&mut by_owned);
                assert_eq!(by_owned, by_decision, "{p:?}\n{} {:?}", r.method, r.headers);
                // Same lines in the same order, not just the same map.
                let order = |h: &HeaderMap| h.iter().map(|(n, v)| format!("{n}: {v:?}")).collect::<Vec<_>>();
                assert_eq!(order(&by_owned), order(&by_decision));
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 5 * 10 * 5);
}

#[test]
fn owned_headers_keep_every_echoed_line_in_order() {
    let d = owned_requests()[9].decide(owned_policies()[3]);
    let mut out = HeaderMap::new();
    d.to_headers().apply_to(&mut out);
    assert_eq!(
        response_lines(&out, "access-control-allow-headers"),
        ["x-a", "x-b", "x-c, x-d", "x-e", "x-f", "x-g", "x-h", "x-i", "x-j"]
    );
}

// answer_headers: the server's own answer holds exactly what apply_to sets on an empty map -----

#[test]
fn answer_headers_hold_the_lines_apply_to_sets_in_the_same_order() {
    let mut requests = owned_requests();
    requests.extend([
        preflight(APP, "PUT"),
        preflight(APP, "GET"),
        preflight_with(APP, "PUT", &["content-type"]),
        preflight_with(APP, "DELETE", &["x-request-id,content-type"]),
        preflight_with("https://a.example.net", "PUT", &["x-request-id"]),
        preflight_with(APP, "PUT", &["x-unknown"]),
        preflight_with(APP, "PUT", &[""]),
    ]);
    let mut blocks = 0;
    for p in owned_policies() {
        for r in &requests {
            let d = r.decide(p);
            let answer = d.answer_headers();
            let mut by_lines = HeaderMap::new();
            d.apply_to(&mut by_lines);
            assert_eq!(answer, by_lines, "{p:?}\n{} {:?}", r.method, r.headers);
            let order = |h: &HeaderMap| h.iter().map(|(n, v)| format!("{n}: {v:?}")).collect::<Vec<_>>();
            assert_eq!(order(&answer), order(&by_lines));
            blocks += usize::from(d.is_allowed() && d.answer.is_some());
        }
    }
    // The prepared blocks of allowed preflights were used, with and without
    // Access-Control-Allow-Headers.
    assert!(blocks >= 6, "{blocks}");
}

#[test]
fn prepared_blocks_serve_only_ordinary_allowed_preflights_the_server_answers() {
    let p = owned_policies()[2];
    let uses_block = |r: &'static Req| r.decide(p).answer.is_some();
    assert!(uses_block(preflight(APP, "PUT")));
    assert!(uses_block(preflight_with(APP, "PUT", &["content-type"])));
    // Refusals answer with a block of their own (`Vary` alone).
    let refused = preflight(EVIL, "PUT").decide(p);
    assert_eq!(refused.answer.map(HeaderMap::len), Some(1));
    // Private Network Access, an actual request: built line by line.
    assert!(!uses_block(owned_requests()[6]));
    assert!(!uses_block(get(APP)));
    // Echoed methods and headers (credentialed `*`), and forwarded preflights: no block.
    let echo = owned_policies()[3];
    assert!(preflight_with(APP, "PUT", &["x-a"]).decide(echo).answer.is_none());
    let forwarding = policy(Policy::builder().allow_origin(APP).allow_methods(["PUT"]).forward_preflights(true));
    assert!(preflight(APP, "PUT").decide(forwarding).answer.is_none());
}

#[test]
fn prepared_blocks_start_with_the_origins_line() {
    // `answer_headers` sets the origin's value in the block's first line without hashing, as
    // long as `http` keeps a map's lines in insertion order and the writer writes that line
    // first; it would fall back to a look-up otherwise, so this pins the fast path.
    for p in owned_policies() {
        for r in [preflight(APP, "PUT"), preflight_with(APP, "PUT", &["content-type"])] {
            let d = r.decide(p);
            if let (Some(block), true) = (d.answer, d.is_allowed()) {
                assert_eq!(block.keys().next(), Some(&header::ACCESS_CONTROL_ALLOW_ORIGIN), "{p:?}");
            }
        }
    }
}

#[test]
fn one_list_of_names_in_the_order_lines_are_written() {
    // The names are the `http` crate's constants (same representation, so equal), and every
    // writer (borrowed, owned) yields the same lines in the order of CORS_RESPONSE_HEADERS.
    let constants = [
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        header::ACCESS_CONTROL_ALLOW_METHODS,
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderName::from_static("access-control-allow-private-network"),
        header::ACCESS_CONTROL_ALLOW_HEADERS,
    ];
    assert_eq!(CORS_RESPONSE_HEADER_NAMES, constants);
    let rank = |n: &HeaderName| CORS_RESPONSE_HEADERS.iter().position(|c| *c == n.as_str()).unwrap();
    for p in owned_policies() {
        for r in owned_requests() {
            let d = r.decide(p);
            let borrowed: Vec<_> = d.headers().map(|(n, v)| (n, v.clone())).collect();
            let owned = d.to_headers();
            let owned: Vec<_> = owned.lines().map(|(n, v)| (n, v.clone())).collect();
            assert_eq!(borrowed, owned);
            assert!(borrowed.windows(2).all(|w| rank(&w[0].0) <= rank(&w[1].0)), "{borrowed:?}");
        }
    }
}

#[test]
fn long_and_short_header_lists_find_the_same_names_in_any_case() {
    // Short lists are scanned, long ones binary-searched: both must agree on every name.
    let long: Vec<Box<str>> = {
        let mut names: Vec<String> = (0..40).map(|i| format!("x-h{i}")).collect();
        names.extend(["content-type".into(), "x-a".into(), "x-ab".into(), "a".into()]);
        names.sort();
        names.into_iter().map(String::into_boxed_str).collect()
    };
    assert!(long.len() > SCANNED_NAMES);
    let probes =
        ["X-H7", "x-h39", "x-h40", "Content-Type", "x-a", "X-AB", "x-abc", "x-", "a", "A", "b", "", "x-h1", "x-h10"];
    for probe in probes {
        let expected = long.iter().any(|n| n.eq_ignore_ascii_case(probe));
        assert_eq!(contains_ignore_case(&long, probe.as_bytes()), expected, "{probe}");
        let short: Vec<Box<str>> = long.iter().filter(|n| n.len() <= 4).cloned().collect();
        assert!(short.len() <= SCANNED_NAMES);
        let expected = short.iter().any(|n| n.eq_ignore_ascii_case(probe));
        assert_eq!(contains_ignore_case(&short, probe.as_bytes()), expected, "{probe}");
    }
}

// The browser-form fast path for request headers ------------------------------------------------

/// What the general loop decides for one request-headers value against `sorted`: the first
/// name refused, or `Malformed` for a value the token reader rejects.
#[derive(Debug, PartialEq)]
enum General<'v> {
    Allowed,
    Refused(&'v [u8]),
    Malformed,
}

fn general<'v>(sorted: &[Box<str>], value: &'v [u8]) -> General<'v> {
    let limit = sorted.len() + crate::token::MAX_EMPTY_ITEMS;
    for (count, item) in TokenList::new(value).enumerate() {
        let Ok(name) = item else { return General::Malformed };
        if count + 1 > limit {
            return General::Malformed;
        }
        if !contains_ignore_case(sorted, name) {
            return General::Refused(name);
        }
    }
    General::Allowed
}

/// The fast path as the decision calls it.
fn all_listed(sorted: &[Box<str>], value: &[u8]) -> bool {
    ListedNames::new(sorted).all_listed(value)
}

/// Names with shared prefixes, bytes that sort before `,` (`!`, `#`, `+`) and lengths across
/// word boundaries (1 to 18 bytes), and long names alike in their first and last eight bytes
/// (which the hash table tells apart by the bytes between).
const NAME: &str = "[a-c!#+][a-c0-9!#+-]{0,17}|x-shared[ab]{0,3}-suffix!";

proptest::proptest! {
    /// A fast path is a second implementation: wherever it answers, it answers as the general
    /// loop does, on arbitrary lists and values (browser form or not).
    #[test]
    fn the_merge_agrees_with_the_general_loop(
        listed in proptest::collection::vec(NAME, 0..40),
        picks in proptest::collection::vec(proptest::prelude::any::<proptest::sample::Index>(), 0..12),
        others in proptest::collection::vec(NAME, 0..3),
        upper in proptest::option::of(proptest::prelude::any::<proptest::sample::Index>()),
        sort in proptest::bool::ANY,
        separator in proptest::sample::select(vec![",", ", ", ",,", " ,", ",  ", ",\t", " , "]),
        around in proptest::sample::select(vec![("", ""), (" ", ""), ("", " "), ("", ","), (",", ""), ("\t", " ")]),
    ) {
        let mut sorted: Vec<Box<str>> = listed.into_iter().map(Into::into).collect();
        sorted.sort_unstable();
        sorted.dedup();
        // Mostly listed names (so the merge has runs and gaps to walk), some others.
        let mut names: Vec<String> = picks.iter().filter(|_| !sorted.is_empty()).map(|i| i.get(&sorted).to_string()).collect();
        names.extend(others);
        if sort {
            names.sort_unstable();
            names.dedup();
        }
        if let (Some(at), false) = (upper, names.is_empty()) {
            let name = at.get_mut(&mut names);
            *name = name.to_ascii_uppercase();
        }
        let value = format!("{}{}{}", around.0, names.join(separator), around.1);
        let merged = all_listed(&sorted, value.as_bytes());
        if merged {
            proptest::prop_assert_eq!(general(&sorted, value.as_bytes()), General::Allowed, "{:?} against {:?}", value, sorted);
        }
        // And it takes every allowed value in browser form (or with `, `): the fast path is the
        // usual path.
        let browser_form = sort
            && matches!(separator, "," | ", ")
            && around == ("", "")
            && !value.bytes().any(|b| b.is_ascii_uppercase());
        if browser_form && !names.is_empty() && general(&sorted, value.as_bytes()) == General::Allowed {
            proptest::prop_assert!(merged, "{:?} against {:?}", value, sorted);
        }
    }

    /// Arbitrary bytes against a list: never a "listed" the general loop would not give.
    #[test]
    fn the_merge_never_allows_what_the_general_loop_refuses(
        listed in proptest::collection::vec(NAME, 0..20),
        value in proptest::collection::vec(proptest::sample::select(b"abc!#+-0, \t;A".to_vec()), 0..60),
    ) {
        let mut sorted: Vec<Box<str>> = listed.into_iter().map(Into::into).collect();
        sorted.sort_unstable();
        sorted.dedup();
        if all_listed(&sorted, &value) {
            proptest::prop_assert_eq!(general(&sorted, &value), General::Allowed, "{:?} against {:?}", String::from_utf8_lossy(&value), sorted);
        }
    }
}

#[test]
fn the_merge_takes_browser_form_only() {
    let sorted: Vec<Box<str>> = ["content-type", "x-a", "x-c"].into_iter().map(Into::into).collect();
    assert!(all_listed(&sorted, b"content-type,x-a"));
    assert!(all_listed(&sorted, b"x-c"));
    assert!(all_listed(&sorted, b"content-type,x-a,x-c"));
    // White space around names, as non-browser clients write lists, is trimmed.
    assert!(all_listed(&sorted, b"content-type, x-a , x-c"));
    assert!(all_listed(&sorted, b"content-type, x-a, x-c"));
    assert!(all_listed(&sorted, b"x-a,\tx-c"));
    assert!(all_listed(&sorted, b"content-type, x-c"));
    // Everything else is the general loop's: a name not listed, or another form.
    for other in [
        &b"content-type,x-b,x-c"[..],
        b"x-a,content-type",
        b"x-a, ,x-c",
        b"X-A",
        b"x-a,x-a",
        b"",
        b"x-a,",
        b"x-d",
        b"x-",
        b"x-ab",
        b"content-type,x-a,x-c,x-d",
        b"content-typ",
        b"x-a x-c",
    ] {
        assert!(!all_listed(&sorted, other), "{:?}", String::from_utf8_lossy(other));
    }
}

#[test]
fn the_merge_walks_runs_and_gaps_of_a_long_list() {
    let names: Vec<String> = (0..100).map(|i| format!("x-custom-header-{i:03}")).collect();
    let sorted: Vec<Box<str>> = names.iter().map(|n| n.as_str().into()).collect();
    for (from, to, step) in [(0, 50, 1), (37, 100, 1), (0, 100, 4), (99, 100, 1), (3, 90, 29)] {
        let picked: Vec<&str> = names[from..to].iter().step_by(step).map(String::as_str).collect();
        for separator in [",", ", "] {
            let value = picked.join(separator);
            assert!(all_listed(&sorted, value.as_bytes()), "{value}");
            let unlisted = format!("{value}{separator}x-custom-header-100");
            assert!(!all_listed(&sorted, unlisted.as_bytes()), "{unlisted}");
        }
    }
}

/// The labels are a contract (metric labels, the `corsair-refusal` header, docs): each kind keeps
/// its word, and every refusal maps to one of them.
#[test]
fn refusal_kinds_keep_their_labels() {
    let labels: Vec<&str> = RefusalKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(labels, ["origin", "method", "header", "private-network"]);
    for k in RefusalKind::ALL {
        assert_eq!(k.to_string(), k.as_str());
    }
    let every = [
        (Refusal::MultipleOrigins, RefusalKind::Origin),
        (Refusal::MalformedOrigin(b"x"), RefusalKind::Origin),
        (Refusal::OriginNotAllowed(b"x"), RefusalKind::Origin),
        (Refusal::MalformedMethod(b"x"), RefusalKind::Method),
        (Refusal::MethodNotAllowed(b"x"), RefusalKind::Method),
        (Refusal::MalformedHeaders(b"x"), RefusalKind::Header),
        (Refusal::HeaderNotAllowed(b"x"), RefusalKind::Header),
        (Refusal::PrivateNetworkNotAllowed, RefusalKind::PrivateNetwork),
    ];
    for (refusal, kind) in every {
        assert_eq!(refusal.kind(), kind, "{refusal:?}");
    }
}
