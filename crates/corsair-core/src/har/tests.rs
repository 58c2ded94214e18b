//! HAR shapes as Firefox and Safari export them (hand-written from their exporters' field lists:
//! Firefox's `har-builder.js`, WebKit's `HARBuilder.js`), and hostile input.

use super::*;
use crate::browser::Verdict;
use crate::cors_error::CorsError;

fn header(name: &str, value: &str) -> String {
    format!(r#"{{"name": "{name}", "value": "{value}"}}"#)
}

fn entry(method: &str, url: &str, req: &[(&str, &str)], status: u16, resp: &[(&str, &str)], extra: &str) -> String {
    let req: Vec<String> = req.iter().map(|(n, v)| header(n, v)).collect();
    let resp: Vec<String> = resp.iter().map(|(n, v)| header(n, v)).collect();
    format!(
        r#"{{"pageref": "page_1", "startedDateTime": "2026-12-03T11:00:00.000Z", "time": 3,
  "request": {{"bodySize": 0, "method": "{method}", "url": "{url}", "httpVersion": "HTTP/1.1",
               "headers": [{}], "cookies": [], "queryString": [], "headersSize": 300}},
  "response": {{"status": {status}, "statusText": "", "httpVersion": "HTTP/1.1", "headers": [{}],
                "cookies": [], "content": {{"mimeType": "text/plain", "size": 0}}, "redirectURL": "",
                "headersSize": 100, "bodySize": 0{extra}}},
  "cache": {{}}, "timings": {{"blocked": 0, "dns": 0, "connect": 0, "ssl": 0, "send": 0, "wait": 3, "receive": 0}}}}"#,
        req.join(","),
        resp.join(",")
    )
}

/// Firefox 153's export: `creator.name` "Firefox", the page's URL as its title, the preflight a
/// plain OPTIONS entry *before* the request, no `_error`, no resource type.
fn firefox(entries: &[String]) -> String {
    format!(
        r#"{{"log": {{"version": "1.2", "creator": {{"name": "Firefox", "version": "153.8.0"}},
  "browser": {{"name": "Firefox", "version": "153.8.0"}},
  "pages": [{{"startedDateTime": "2026-12-03T11:00:00.000Z", "id": "page_1", "title": "http://app.test:8080/page", "pageTimings": {{}}}}],
  "entries": [{}]}}}}"#,
        entries.join(",")
    )
}

/// Safari's export: `creator.name` "WebKit Web Inspector", one page `page_0` titled with the
/// main frame's URL, `_fetchType`, and the failure text as `response._error`.
fn safari(entries: &[String]) -> String {
    format!(
        r#"{{"log": {{"version": "1.2", "creator": {{"name": "WebKit Web Inspector", "version": "1.0"}},
  "pages": [{{"startedDateTime": "2026-12-03T11:00:00.000Z", "id": "page_1", "title": "http://app.test:8080/page", "pageTimings": {{}}}}],
  "entries": [{}]}}}}"#,
        entries.join(",")
    )
}

fn only(replay: &Replay) -> &Judged {
    assert_eq!(replay.requests.len(), 1, "{replay:#?}");
    &replay.requests[0]
}

fn cors_error(j: &Judged) -> Option<&CorsError> {
    match &j.outcome {
        Outcome::Judged(Verdict::Blocked(b)) => b.cors_error(),
        _ => None,
    }
}

const PAGE: &str = "http://app.test:8080";
const API: &str = "http://api.test:9090/items?q=a%20b";

#[test]
fn firefox_preflight_before_the_request_is_matched_and_judged() {
    let text = firefox(&[
        entry("GET", "http://app.test:8080/page", &[], 200, &[], ""),
        // Firefox writes the query decoded.
        entry(
            "OPTIONS",
            "http://api.test:9090/items?q=a b",
            &[
                ("Origin", PAGE),
                ("Access-Control-Request-Method", "PUT"),
                ("Access-Control-Request-Headers", "x-token"),
            ],
            204,
            &[("Access-Control-Allow-Origin", PAGE), ("Access-Control-Allow-Methods", "PUT")],
            "",
        ),
        entry("PUT", API, &[("Origin", PAGE), ("X-Token", "1"), ("Sec-Fetch-Mode", "cors")], 0, &[], ""),
    ]);
    let har = Har::parse(&text).unwrap();
    assert_eq!(har.engine, Engine::Firefox);
    let replay = replay(&har);
    assert_eq!(replay.not_cors, 1, "the page itself is a navigation");
    let j = only(&replay);
    assert_eq!(j.entry, 2);
    assert_eq!(j.origin_from, OriginFrom::OriginHeader);
    assert_eq!(cors_error(j), Some(&CorsError::HeaderDisallowedByPreflightResponse { name: "x-token".into() }));
    assert_eq!(j.exchanges.len(), 1);
    assert_eq!(j.exchanges[0].2, 1, "the OPTIONS entry answered the preflight");
    assert_eq!(j.recorded_failure.as_deref(), Some("no response recorded (status 0)"));
}

#[test]
fn firefox_blocked_response_looks_successful_and_is_still_judged() {
    let text = firefox(&[entry(
        "GET",
        API,
        &[("Origin", PAGE), ("Sec-Fetch-Mode", "cors")],
        200,
        &[("Access-Control-Allow-Origin", "http://other.test")],
        "",
    )]);
    let j = only(&replay(&Har::parse(&text).unwrap())).clone();
    assert!(matches!(cors_error(&j), Some(CorsError::AllowOriginMismatch { .. })), "{j:#?}");
    assert_eq!(j.recorded_failure, None, "Firefox records no failure for a blocked response");
}

#[test]
fn safari_error_field_and_page_title_origin() {
    // No Origin recorded: the page's origin comes from the page title.
    let text = safari(&[
        entry(
            "GET",
            "http://api.test:9090/a",
            &[("Accept", "*/*")],
            200,
            &[],
            r#", "_error": "Origin http://app.test:8080 is not allowed by Access-Control-Allow-Origin.""#,
        ),
        entry("GET", "http://app.test:8080/same", &[("Origin", PAGE)], 200, &[], ""),
    ]);
    let har = Har::parse(&text).unwrap();
    assert_eq!(har.engine, Engine::WebKit);
    assert!(har.entries[0].error.as_deref().unwrap().contains("not allowed"));
    let r = replay(&har);
    assert_eq!(r.same_origin, 1);
    // Without an Origin, a resource type or a preflight, a GET may be an <img>: not counted as CORS.
    assert_eq!(r.requests.len(), 0, "{r:#?}");
    assert_eq!(r.not_cors, 1);
}

#[test]
fn safari_origin_header_request_blocked_for_missing_allow_origin() {
    let text = safari(&[entry(
        "GET",
        "http://api.test:9090/a",
        &[("Origin", PAGE)],
        200,
        &[("Content-Type", "text/plain")],
        "",
    )]);
    let j = only(&replay(&Har::parse(&text).unwrap())).clone();
    assert_eq!(cors_error(&j), Some(&CorsError::MissingAllowOriginHeader));
}

#[test]
fn a_preflight_the_file_lacks_is_said_missing() {
    let text = firefox(&[entry("DELETE", API, &[("Origin", PAGE)], 0, &[], "")]);
    let j = only(&replay(&Har::parse(&text).unwrap())).clone();
    match &j.outcome {
        Outcome::Incomplete { missing: Missing::Preflight, wanted } => {
            assert_eq!(wanted.method, "OPTIONS");
            assert_eq!(wanted.header("access-control-request-method"), Some("DELETE"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_response_the_file_lacks_is_said_missing() {
    let text = firefox(&[entry("GET", API, &[("Origin", PAGE)], 0, &[], "")]);
    let j = only(&replay(&Har::parse(&text).unwrap())).clone();
    assert!(matches!(j.outcome, Outcome::Incomplete { missing: Missing::NoResponse { entry: 0 }, .. }), "{j:#?}");
}

#[test]
fn redirect_hops_are_chained_and_credentials_inferred_from_the_browsers_failure() {
    // Chromium's shape: `_error` in the response, resource types, the sanitised export (no Cookie).
    let chromium = |entries: &[String]| {
        format!(
            r#"{{"log": {{"version": "1.2", "creator": {{"name": "WebInspector", "version": "537.36"}},
  "pages": [{{"id": "page_1", "title": "http://app.test:8080/page"}}], "entries": [{}]}}}}"#,
            entries.join(",")
        )
    };
    let text = chromium(&[
        entry(
            "GET",
            "http://api.test:9090/r",
            &[("Origin", PAGE)],
            302,
            &[
                ("Location", "/final"),
                ("Access-Control-Allow-Origin", PAGE),
                ("Access-Control-Allow-Credentials", "true"),
            ],
            r#", "_error": null"#,
        )
        .replacen("\"cache\"", "\"_resourceType\": \"fetch\", \"cache\"", 1),
        entry(
            "GET",
            "http://api.test:9090/final",
            &[("Origin", PAGE)],
            200,
            &[("Access-Control-Allow-Origin", "*")],
            r#", "_error": "net::ERR_FAILED""#,
        )
        .replacen("\"cache\"", "\"_resourceType\": \"fetch\", \"cache\"", 1),
    ]);
    let har = Har::parse(&text).unwrap();
    assert_eq!(har.engine, Engine::Chromium);
    let j = only(&replay(&har)).clone();
    assert_eq!(j.exchanges.iter().map(|x| x.2).collect::<Vec<_>>(), [0, 1]);
    assert_eq!(j.credentials_from, CredentialsFrom::BrowserFailure);
    assert_eq!(cors_error(&j), Some(&CorsError::WildcardOriginNotAllowed));
}

#[test]
fn hostile_files_are_errors_not_panics() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(matches!(Har::parse(&deep), Err(HarError::Json { .. })));
    let wrong = r#"{"log": {"entries": [{"request": {"method": 5, "url": "x"}}]}}"#;
    let e = Har::parse(wrong).unwrap_err();
    assert!(e.to_string().contains("line 1"), "{e}");
    assert!(matches!(Har::parse(r#"{"a": 1}"#), Err(HarError::NotHar)));
    assert!(matches!(
        Har::parse(r#"{"log": {"entries": [{"request": {"method": "GET", "url": "x"}, "response": {"status": -1}}]}}"#),
        Err(HarError::Json { .. })
    ));
    // Nulls where exports write them are fine.
    let nulls = r#"{"log": {"creator": null, "pages": null, "entries": [{"request": {"method": "GET", "url": "http://a.test/", "headers": null}, "response": null}]}}"#;
    assert_eq!(Har::parse(nulls).unwrap().entries.len(), 1);
}

#[test]
fn many_entries_for_one_url_replay_in_bounded_time() {
    // 20,000 PUTs and their preflights, all for one URL, with no Origin on the requests: each
    // lookup is bounded by the index and its window, not by the file.
    let put = entry("PUT", API, &[("Sec-Fetch-Mode", "cors")], 0, &[], "");
    let options = entry(
        "OPTIONS",
        API,
        &[("Origin", PAGE), ("Access-Control-Request-Method", "PUT")],
        204,
        &[("Access-Control-Allow-Origin", PAGE), ("Access-Control-Allow-Methods", "PUT")],
        "",
    );
    let entries: Vec<String> = (0..20_000).map(|i| if i % 2 == 0 { put.clone() } else { options.clone() }).collect();
    let har = Har::parse(&firefox(&entries)).unwrap();
    let started = std::time::Instant::now();
    let r = replay(&har);
    assert_eq!(r.requests.len(), 10_000);
    // Every preflight answered exactly one request; each request then lacks its own response.
    assert!(r.requests.iter().all(|j| j.exchanges.len() == 1
        && matches!(j.outcome, Outcome::Incomplete { missing: Missing::NoResponse { .. }, .. })));
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "{:?}", started.elapsed());
}
