//! corsair-tower against its peer, tower-http's `CorsLayer`, in the same run.
//!
//! Both layers wrap the same trivial inner service (`tower::service_fn` returning a clone of a
//! prebuilt response), and are given equivalent policies. Each case is one criterion group with
//! two functions, `corsair` and `tower-http`; `inner` measures the inner service alone. Timed:
//! `Service::call`, polling the response future to completion, and dropping the response (as a
//! server does once it has written it). Not timed: building the request (criterion's batched
//! setup). Keeping every response of a batch alive instead would time the kernel's page faults
//! on fresh memory more than either layer.
//!
//! Run `crates/corsair-tower/bench.sh` for the runs and the ratio table, or
//! `cargo bench -p corsair-tower --bench cors` for criterion's own report.

use std::convert::Infallible;
use std::future::{ready, Future};
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use http::{header, HeaderName, HeaderValue, Method, Request, Response};
use tower::{Layer, Service};
use tower_http::cors::{AllowOrigin, CorsLayer as TowerCorsLayer};

use corsair_tower::{CorsLayer, Policy};

const APP: &str = "https://app.example.com";

/// The response every inner service hands out (a clone of it).
fn prebuilt() -> Response<String> {
    let mut r = Response::new(String::new());
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

type Inner =
    tower::util::ServiceFn<Box<dyn FnMut(Request<()>) -> std::future::Ready<Result<Response<String>, Infallible>>>>;

fn inner() -> Inner {
    let response = prebuilt();
    tower::service_fn(Box::new(move |_: Request<()>| ready(Ok(response.clone()))))
}

fn request(method: &str, lines: &[(&str, &str)]) -> Request<()> {
    let mut r = Request::builder().method(method).uri("/items").body(()).unwrap();
    for (n, v) in lines {
        r.headers_mut().append(HeaderName::from_bytes(n.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
    }
    r
}

/// Calls and polls to completion.
fn call<S>(service: &mut S, request: Request<()>) -> Response<String>
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

/// One case: a request, and a corsair policy with its tower-http equivalent.
struct Case {
    name: &'static str,
    request: Request<()>,
    corsair: Policy,
    tower_http: TowerCorsLayer,
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

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let (corsair, tower_http) = api();
    cases.push(Case {
        name: "actual",
        request: request("GET", &[("origin", APP)]),
        corsair: corsair.clone(),
        tower_http: tower_http.clone(),
    });
    let preflight =
        [("origin", APP), ("access-control-request-method", "PUT"), ("access-control-request-headers", "content-type")];
    cases.push(Case {
        name: "preflight",
        request: request("OPTIONS", &preflight),
        corsair: corsair.clone(),
        tower_http: tower_http.clone(),
    });
    cases.push(Case {
        name: "preflight-refused-origin",
        request: request("OPTIONS", &[("origin", "https://evil.example"), ("access-control-request-method", "PUT")]),
        corsair: corsair.clone(),
        tower_http: tower_http.clone(),
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
    });
    for n in [1, 1000] {
        let (corsair, tower_http, last) = origins(n);
        cases.push(Case {
            name: if n == 1 { "origins-1" } else { "origins-1000" },
            request: request("GET", &[("origin", &last)]),
            corsair,
            tower_http,
        });
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
    });
    cases
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("inner");
    let mut service = inner();
    let r = request("GET", &[("origin", APP)]);
    group.bench_function("inner", |b| {
        b.iter_batched(|| r.clone(), |r| drop(black_box(call(&mut service, r))), BatchSize::SmallInput)
    });
    group.finish();

    for case in cases() {
        let mut corsair = CorsLayer::new(case.corsair).layer(inner());
        let mut tower_http = case.tower_http.layer(inner());
        // Both must answer: the cases are meant to be equivalent, not broken.
        let a = call(&mut corsair, case.request.clone());
        let b = call(&mut tower_http, case.request.clone());
        let origin_of = |r: &Response<String>| r.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN).cloned();
        if !case.name.contains("refused") && !case.name.contains("hostile") {
            assert!(origin_of(&a).is_some() && origin_of(&a) == origin_of(&b), "{}: {a:?} {b:?}", case.name);
        }

        let mut group = c.benchmark_group(case.name);
        group.bench_function("corsair", |b| {
            b.iter_batched(|| case.request.clone(), |r| drop(black_box(call(&mut corsair, r))), BatchSize::SmallInput)
        });
        group.bench_function("tower-http", |b| {
            b.iter_batched(
                || case.request.clone(),
                |r| drop(black_box(call(&mut tower_http, r))),
                BatchSize::SmallInput,
            )
        });
        group.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
        .without_plots()
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench
}
criterion_main!(benches);
