//! The cases both benchmarks run (`cors.rs` times them, `instructions.rs` counts their
//! instructions): a request, and a corsair policy with its tower-http equivalent.

use std::convert::Infallible;
use std::future::{ready, Future};
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use http::{header, HeaderName, HeaderValue, Method, Request, Response};
use tower::Service;
use tower_http::cors::{AllowOrigin, CorsLayer as TowerCorsLayer};

use corsair_tower::Policy;

const APP: &str = "https://app.example.com";

/// What the inner service answers: a new response with one header line, as a handler makes it
/// (the map gets its usual room for a few more lines, which both layers use).
pub fn handler_response() -> Response<String> {
    let mut r = Response::new(String::new());
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// A plain function pointer, so the service is `Clone` (axum clones the service per request).
pub type Inner = tower::util::ServiceFn<fn(Request<()>) -> std::future::Ready<Result<Response<String>, Infallible>>>;

fn answer(_: Request<()>) -> std::future::Ready<Result<Response<String>, Infallible>> {
    ready(Ok(handler_response()))
}

pub fn inner() -> Inner {
    tower::service_fn(answer as fn(Request<()>) -> _)
}

pub fn request(method: &str, lines: &[(&str, &str)]) -> Request<()> {
    let mut r = Request::builder().method(method).uri("/items").body(()).unwrap();
    for (n, v) in lines {
        r.headers_mut().append(HeaderName::from_bytes(n.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
    }
    r
}

/// Calls and polls to completion.
pub fn call<S>(service: &mut S, request: Request<()>) -> Response<String>
where
    S: Service<Request<()>, Response = Response<String>, Error = Infallible>,
{
    let mut future = pin!(service.call(request));
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(Ok(r)) => r,
        Poll::Ready(Err(never)) => match never {},
        Poll::Pending => unreachable!("every service here answers at once"),
    }
}

/// Panics unless both layers answered `case`'s request with the same allowed origin (or, for the
/// refusals, the hostile list and the missing `Origin`, are not compared): the cases are meant to
/// be equivalent, not broken.
pub fn assert_equivalent(case: &Case, corsair: &Response<String>, tower_http: &Response<String>) {
    let origin_of = |r: &Response<String>| r.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN).cloned();
    if !case.name.contains("refused") && !case.name.contains("hostile") && !case.name.contains("no-origin") {
        assert!(
            origin_of(corsair).is_some() && origin_of(corsair) == origin_of(tower_http),
            "{}: {corsair:?} {tower_http:?}",
            case.name
        );
    }
}

/// One case: a request, and a corsair policy with its tower-http equivalent.
pub struct Case {
    pub name: &'static str,
    pub request: Request<()>,
    pub corsair: Policy,
    pub tower_http: TowerCorsLayer,
    /// Call a fresh clone of the service for each request, as axum's router does, instead of
    /// the same service through `&mut`.
    pub cloned: bool,
}

impl Case {
    /// True for the preflights, which both layers answer themselves: their harness is the
    /// request's clone and drop alone, with no inner service.
    pub fn answered(&self) -> bool {
        self.request.method() == Method::OPTIONS
    }
}

/// The usual API policy, both ways.
fn api() -> (Policy, TowerCorsLayer) {
    let corsair = Policy::builder()
        .allow_origin(APP)
        .allow_methods(["PUT", "DELETE"])
        .allow_headers(["content-type", "x-request-id"])
        .expose_headers(["etag"])
        .allow_credentials(true)
        .max_age(600)
        .build()
        .unwrap();
    let tower_http = TowerCorsLayer::new()
        .allow_origin(AllowOrigin::list([HeaderValue::from_static(APP)]))
        .allow_methods([Method::PUT, Method::DELETE])
        .allow_headers([header::CONTENT_TYPE, HeaderName::from_static("x-request-id")])
        .expose_headers([header::ETAG])
        .allow_credentials(true)
        .max_age(Duration::from_secs(600));
    (corsair, tower_http)
}

/// A list of `n` exact origins, both ways; the request comes from the last one.
fn origins(n: usize) -> (Policy, TowerCorsLayer, String) {
    let list: Vec<String> = (0..n).map(|i| format!("https://app{i}.example.com")).collect();
    let corsair = Policy::builder().allow_origins(list.iter().cloned()).build().unwrap();
    let values = list.iter().map(|o| HeaderValue::from_str(o).unwrap());
    let tower_http = TowerCorsLayer::new().allow_origin(AllowOrigin::list(values));
    (corsair, tower_http, list[n - 1].clone())
}

pub fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let (corsair, tower_http) = api();
    cases.push(Case {
        name: "actual",
        request: request("GET", &[("origin", APP)]),
        corsair: corsair.clone(),
        tower_http: tower_http.clone(),
        cloned: false,
    });
    let preflight =
        [("origin", APP), ("access-control-request-method", "PUT"), ("access-control-request-headers", "content-type")];
    cases.push(Case {
        name: "preflight",
        request: request("OPTIONS", &preflight),
        corsair: corsair.clone(),
        tower_http: tower_http.clone(),
        cloned: false,
    });
    cases.push(Case {
        name: "preflight-refused-origin",
        request: request("OPTIONS", &[("origin", "https://evil.example"), ("access-control-request-method", "PUT")]),
        corsair: corsair.clone(),
        tower_http: tower_http.clone(),
        cloned: false,
    });
    let commas = ",".repeat(1024);
    cases.push(Case {
        name: "preflight-hostile-acrh",
        request: request(
            "OPTIONS",
            &[("origin", APP), ("access-control-request-method", "PUT"), ("access-control-request-headers", &commas)],
        ),
        corsair,
        tower_http,
        cloned: false,
    });
    for n in [1, 1000] {
        let (corsair, tower_http, last) = origins(n);
        cases.push(Case {
            name: if n == 1 { "origins-1" } else { "origins-1000" },
            request: request("GET", &[("origin", &last)]),
            corsair,
            tower_http,
            cloned: false,
        });
    }
    // Preflights with many requested headers, as browsers send them (lower case, sorted, `,`),
    // against allowed lists of several lengths; `-spaced` sends the same names with `, ` as
    // clients other than browsers write lists. tower-http checks no requested
    // header: it answers with its list whatever is asked.
    for (requested, listed) in [(5, 20), (20, 20), (20, 100), (50, 100)] {
        let names: Vec<String> = (0..listed).map(|i| format!("x-h{i:03}")).collect();
        let corsair = Policy::builder()
            .allow_origin(APP)
            .allow_methods(["PUT"])
            .allow_headers(names.iter().cloned())
            .build()
            .unwrap();
        let tower_http = TowerCorsLayer::new()
            .allow_origin(AllowOrigin::list([HeaderValue::from_static(APP)]))
            .allow_methods([Method::PUT])
            .allow_headers(names.iter().map(|n| HeaderName::from_bytes(n.as_bytes()).unwrap()).collect::<Vec<_>>());
        for separator in [",", ", ", "scattered"] {
            // `scattered`: every fifth listed name instead of the first ones, so the merge walks
            // gaps (only for 20 of 100).
            if separator == "scattered" && (requested, listed) != (20, 100) {
                continue;
            }
            let value = match separator {
                "scattered" => names.iter().step_by(5).cloned().collect::<Vec<_>>().join(","),
                _ => names[..requested].join(separator),
            };
            let spaced = match separator {
                "," => "",
                ", " => "-spaced",
                _ => "-scattered",
            };
            let name: &'static str = Box::leak(format!("preflight-{requested}-of-{listed}{spaced}").into_boxed_str());
            cases.push(Case {
                name,
                request: request(
                    "OPTIONS",
                    &[
                        ("origin", APP),
                        ("access-control-request-method", "PUT"),
                        ("access-control-request-headers", &value),
                    ],
                ),
                corsair: corsair.clone(),
                tower_http: tower_http.clone(),
                cloned: false,
            });
        }
    }
    // `https://*.example.com`: one or more labels before example.com, https, default port.
    // tower-http has no patterns; the usual predicate does the same suffix check.
    let corsair = Policy::builder().allow_origin("https://*.example.com").build().unwrap();
    let tower_http = TowerCorsLayer::new().allow_origin(AllowOrigin::predicate(|origin: &HeaderValue, _| {
        let o = origin.as_bytes();
        o.len() > "https://".len() + ".example.com".len() && o.starts_with(b"https://") && o.ends_with(b".example.com")
    }));
    cases.push(Case {
        name: "subdomain-pattern",
        request: request("GET", &[("origin", "https://pr-7.staging.example.com")]),
        corsair,
        tower_http,
        cloned: false,
    });
    let (corsair, tower_http) = api();
    // What a browser really sends with a cross-origin GET: a dozen lines around `Origin`.
    let browser_get = [
        ("host", "api.example.com"),
        (
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36",
        ),
        ("accept", "application/json, text/plain, */*"),
        ("accept-language", "en-GB,en;q=0.9,de;q=0.8"),
        ("accept-encoding", "gzip, deflate, br, zstd"),
        ("origin", APP),
        ("referer", "https://app.example.com/dashboard?tab=orders"),
        ("sec-fetch-dest", "empty"),
        ("sec-fetch-mode", "cors"),
        ("sec-fetch-site", "same-site"),
        ("cookie", "session=4f2c9a0e1b7d; theme=dark; consent=1"),
        ("priority", "u=1, i"),
    ];
    for (name, lines, cloned) in [
        ("actual-browser-12-headers", &browser_get[..], false),
        ("actual-refused-origin", &[("origin", "https://evil.example")][..], false),
        ("actual-no-origin", &[("accept", "application/json")][..], false),
        ("actual-cloned-service", &[("origin", APP)][..], true),
    ] {
        cases.push(Case {
            name,
            request: request("GET", lines),
            corsair: corsair.clone(),
            tower_http: tower_http.clone(),
            cloned,
        });
    }
    let preflight =
        [("origin", APP), ("access-control-request-method", "PUT"), ("access-control-request-headers", "content-type")];
    cases.push(Case {
        name: "preflight-cloned-service",
        request: request("OPTIONS", &preflight),
        corsair,
        tower_http,
        cloned: true,
    });
    let (corsair, tower_http, last) = origins(10_000);
    cases.push(Case {
        name: "origins-10000",
        request: request("GET", &[("origin", &last)]),
        corsair,
        tower_http,
        cloned: false,
    });
    // `http://localhost:*`: any port (or none). tower-http's usual predicate does the same.
    let corsair = Policy::builder().allow_origin("http://localhost:*").build().unwrap();
    let tower_http = TowerCorsLayer::new().allow_origin(AllowOrigin::predicate(|origin: &HeaderValue, _| {
        let o = origin.as_bytes();
        o == b"http://localhost"
            || o.strip_prefix(b"http://localhost:")
                .is_some_and(|p| !p.is_empty() && p.len() <= 5 && p.iter().all(u8::is_ascii_digit))
    }));
    cases.push(Case {
        name: "any-port-pattern",
        request: request("GET", &[("origin", "http://localhost:5173")]),
        corsair,
        tower_http,
        cloned: false,
    });
    cases
}
