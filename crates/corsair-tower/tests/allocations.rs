//! Heap allocations per request through `Service::call` and the response future, counted by a
//! global allocator. The inner service hands out a response built before counting starts, so
//! what is counted is the layer's own work: loading the policy, deciding, copying the headers
//! into the future, and setting them on the response.
//!
//! Run with `--nocapture` to see the table of counts (tower-http's, for comparison, too).

use std::convert::Infallible;
use std::future::{ready, Future, Ready};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use corsair_testkit::alloc_count::{counted, CountingAllocator};
use corsair_tower::{Cors, CorsLayer, Policy};
use http::{HeaderMap, HeaderValue, Request, Response};
use tower::{Layer, Service};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// The trivial inner service: hands out the response it was given beforehand.
#[derive(Default)]
struct Prebuilt {
    next: Option<Response<String>>,
}

impl Service<Request<()>> for Prebuilt {
    type Response = Response<String>;
    type Error = Infallible;
    type Future = Ready<Result<Response<String>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request<()>) -> Self::Future {
        ready(Ok(self.next.take().expect("a response was prepared")))
    }
}

/// What a handler typically returns: a status, a content type, a body.
fn inner_response() -> Response<String> {
    let mut r = Response::new(String::new());
    r.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
    r
}

/// A request header value as hyper makes them: a slice of the connection's shared read buffer,
/// so cloning it only counts a reference. (A value from `HeaderValue::from_str` is uniquely
/// owned until its first clone, which allocates the shared count once.)
fn shared(value: &str) -> HeaderValue {
    let v = HeaderValue::from_str(value).unwrap();
    drop(v.clone());
    v
}

fn request(method: &str, lines: &[(&'static str, &str)]) -> Request<()> {
    let mut r = Request::builder().method(method).uri("/items").body(()).unwrap();
    for (n, v) in lines {
        r.headers_mut().append(*n, shared(v));
    }
    r
}

/// Calls `service` with `make()` requests: three warm-up calls (first clones of precomputed
/// values, the allocator's per-thread state, `arc-swap`'s per-thread slot), then 50 counted
/// ones. Returns the largest count of a single call, and the last response.
fn allocations_per_call<S>(
    service: &mut S,
    prepare: &mut dyn FnMut(&mut S),
    make: &dyn Fn() -> Request<()>,
) -> (usize, Response<String>)
where
    S: Service<Request<()>, Response = Response<String>, Error = Infallible>,
{
    let mut worst = 0;
    let mut last = None;
    for i in 0..53 {
        prepare(service);
        let request = make();
        let (response, n) = counted(|| {
            let mut future = pin!(service.call(request));
            match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
                Poll::Ready(Ok(response)) => response,
                Poll::Ready(Err(never)) => match never {},
                Poll::Pending => panic!("the inner service answers at once"),
            }
        });
        if i >= 3 {
            worst = worst.max(n);
        }
        last = Some(response);
    }
    (worst, last.expect("a response"))
}

fn corsair(policy: Policy) -> Cors<Prebuilt> {
    CorsLayer::new(policy).layer(Prebuilt::default())
}

fn measure(policy: Policy, make: &dyn Fn() -> Request<()>) -> (usize, Response<String>) {
    let mut service = corsair(policy);
    allocations_per_call(&mut service, &mut |s| s.get_mut().next = Some(inner_response()), make)
}

fn api_policy() -> Policy {
    Policy::builder()
        .allow_origins(["https://app.example.com", "https://*.staging.example.com"])
        .allow_methods(["PUT", "DELETE"])
        .allow_headers(["content-type", "x-request-id"])
        .expose_headers(["etag", "x-total-count"])
        .allow_credentials(true)
        .max_age(600)
        .build()
        .unwrap()
}

const APP: &str = "https://app.example.com";

fn report(case: &str, n: usize) {
    eprintln!("allocations: {n:>2}  {case}");
}

#[test]
fn an_allowed_actual_request_allocates_nothing() {
    let (n, response) = measure(api_policy(), &|| request("GET", &[("origin", APP)]));
    report("corsair, allowed actual request (exact origin)", n);
    assert_eq!(response.headers()["access-control-allow-origin"], APP);
    assert_eq!(response.headers()["access-control-expose-headers"], "etag,x-total-count");
    assert_eq!(n, 0);

    let pattern = "https://pr-7.staging.example.com";
    let (n, response) = measure(api_policy(), &|| request("POST", &[("origin", pattern)]));
    report("corsair, allowed actual request (subdomain pattern, origin echoed)", n);
    assert_eq!(response.headers()["access-control-allow-origin"], pattern);
    assert_eq!(n, 0);

    let thousand =
        Policy::builder().allow_origins((0..1000).map(|i| format!("https://app{i}.example.com"))).build().unwrap();
    let (n, response) = measure(thousand, &|| request("GET", &[("origin", "https://app999.example.com")]));
    report("corsair, allowed actual request (1000-origin list, the last)", n);
    assert_eq!(response.headers()["access-control-allow-origin"], "https://app999.example.com");
    assert_eq!(n, 0);

    let (n, response) = measure(api_policy(), &|| request("GET", &[("accept", "*/*")]));
    report("corsair, request without Origin", n);
    assert_eq!(response.headers()["vary"], "origin");
    assert_eq!(n, 0);
}

fn preflight() -> Request<()> {
    request(
        "OPTIONS",
        &[
            ("origin", APP),
            ("access-control-request-method", "PUT"),
            ("access-control-request-headers", "content-type,x-request-id"),
        ],
    )
}

#[test]
fn an_allowed_preflight_allocates_nothing_but_the_answers_own_header_map() {
    // Forwarded to the inner service (whose response exists already): nothing at all.
    let forwarding = Policy::builder()
        .allow_origin(APP)
        .allow_methods(["PUT"])
        .allow_headers(["content-type", "x-request-id"])
        .max_age(600)
        .forward_preflights(true)
        .build()
        .unwrap();
    let (n, response) = measure(forwarding, &preflight);
    report("corsair, allowed preflight forwarded to the inner service", n);
    assert_eq!(response.headers()["access-control-allow-methods"], "PUT");
    assert_eq!(n, 0);

    // Answered by the layer: the answer is a new response, and a response with headers owns a
    // header map (two allocations: its index table and its entries). Building the same empty
    // response by hand costs exactly that; the layer's own work adds nothing.
    let ((), baseline) = counted(|| {
        let mut r = Response::new(String::new());
        *r.headers_mut() = HeaderMap::with_capacity(6);
        r.headers_mut().insert("access-control-allow-origin", HeaderValue::from_static(APP));
        drop(r);
    });
    let (n, response) = measure(api_policy(), &preflight);
    report("corsair, allowed preflight answered by the layer", n);
    report("  of which the answer's header map (an empty response with headers, built by hand)", baseline);
    assert_eq!(response.status(), 204);
    assert_eq!(response.headers()["access-control-allow-headers"], "content-type,x-request-id");
    assert_eq!(baseline, 2);
    assert_eq!(n, baseline, "the layer allocates nothing beyond the answer's header map");
}

#[test]
fn a_refused_preflight_answered_by_the_layer_costs_only_its_header_map() {
    let refused_origin =
        || request("OPTIONS", &[("origin", "https://evil.example"), ("access-control-request-method", "PUT")]);
    let (n, response) = measure(api_policy(), &refused_origin);
    report("corsair, refused preflight answered by the layer (origin)", n);
    assert_eq!(response.status(), 403);
    assert_eq!(n, 2, "the answer's header map (its Vary line)");
    let commas = ",".repeat(1024);
    let hostile = || {
        request(
            "OPTIONS",
            &[("origin", APP), ("access-control-request-method", "PUT"), ("access-control-request-headers", &commas)],
        )
    };
    let (n, response) = measure(api_policy(), &hostile);
    report("corsair, refused preflight answered by the layer (1024-comma request headers)", n);
    assert_eq!(response.status(), 403);
    assert_eq!(n, 2, "the answer's header map (its Vary line)");
}

#[test]
fn marking_refusals_costs_allowed_requests_nothing() {
    let mut service = CorsLayer::new(api_policy()).mark_refusals(true).layer(Prebuilt::default());
    let mut prepare = |s: &mut Cors<Prebuilt>| s.get_mut().next = Some(inner_response());
    let (n, _) = allocations_per_call(&mut service, &mut prepare, &|| request("GET", &[("origin", APP)]));
    report("corsair, marking refusals, allowed actual request", n);
    assert_eq!(n, 0);
    let (n, response) = allocations_per_call(&mut service, &mut prepare, &preflight);
    report("corsair, marking refusals, allowed preflight answered by the layer", n);
    assert_eq!(response.status(), 204);
    assert_eq!(n, 2, "the answer's header map, as without marking");
}

#[test]
fn the_rare_path_a_forwarded_credentialed_star_echo_of_many_lines_allocates_its_overflow() {
    let star = Policy::builder()
        .allow_origin(APP)
        .allow_methods(["*"])
        .allow_headers(["*"])
        .allow_credentials(true)
        .forward_preflights(true)
        .build()
        .unwrap();
    let one_line = || {
        request(
            "OPTIONS",
            &[("origin", APP), ("access-control-request-method", "PUT"), ("access-control-request-headers", "x-a,x-b")],
        )
    };
    let (n, _) = measure(star.clone(), &one_line);
    report("corsair, forwarded preflight, credentialed `*` echo of one line", n);
    assert_eq!(n, 0);

    let many_lines = || {
        let mut lines = vec![("origin", APP), ("access-control-request-method", "PUT")];
        lines.extend(["x-a", "x-b", "x-c", "x-d", "x-e", "x-f"].map(|h| ("access-control-request-headers", h)));
        request("OPTIONS", &lines)
    };
    let (n, response) = measure(star, &many_lines);
    report("corsair, forwarded preflight, credentialed `*` echo of 6 lines (overflow Vec, documented)", n);
    assert_eq!(response.headers().get_all("access-control-allow-headers").iter().count(), 6);
    assert!(n >= 1, "the overflow Vec");
}

#[test]
fn tower_http_for_comparison() {
    use tower_http::cors::{AllowOrigin, CorsLayer as TowerCors};
    let layer = TowerCors::new()
        .allow_origin(AllowOrigin::list([HeaderValue::from_static(APP)]))
        .allow_methods([http::Method::PUT, http::Method::DELETE])
        .allow_headers([http::header::CONTENT_TYPE, http::HeaderName::from_static("x-request-id")])
        .expose_headers([http::header::ETAG, http::HeaderName::from_static("x-total-count")])
        .allow_credentials(true)
        .max_age(std::time::Duration::from_secs(600));
    let mut service = layer.layer(Prebuilt::default());
    let mut prepare = |s: &mut tower_http::cors::Cors<Prebuilt>| s.get_mut().next = Some(inner_response());
    let (n, _) = allocations_per_call(&mut service, &mut prepare, &|| request("GET", &[("origin", APP)]));
    report("tower-http, allowed actual request", n);
    let (n, _) = allocations_per_call(&mut service, &mut prepare, &preflight);
    report("tower-http, allowed preflight", n);
}

#[test]
fn the_counter_sees_allocations() {
    let (s, n) = counted(|| String::from("an allocation"));
    drop(s);
    assert_eq!(n, 1);
}
