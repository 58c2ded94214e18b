//! Building the layer (`policy.layer()`) and what it leaves for the services around it: the
//! `Refused` extension on every refused request's response when the layer marks refusals.
//!
//! Extensions never cross the wire, so these tests call the service in memory, as a gateway
//! wrapped around it does.

use std::convert::Infallible;
use std::future::{ready, Future, Ready};
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use corsair_tower::{CorsLayer, Policy, PolicyBuilder, PolicyExt, RefusalStyle, Refused, REFUSAL_HEADER};
use http::{Request, Response, StatusCode};
use tower::{Layer, Service};

const APP: &str = "https://app.example.com";
const EVIL: &str = "https://evil.example";

/// Something the application put in its response's extensions, to check it survives.
#[derive(Clone, Debug, PartialEq)]
struct FromTheApp;

fn app(_: Request<()>) -> Ready<Result<Response<String>, Infallible>> {
    let mut response = Response::new("from the app".to_owned());
    response.extensions_mut().insert(FromTheApp);
    ready(Ok(response))
}

type App = tower::util::ServiceFn<fn(Request<()>) -> Ready<Result<Response<String>, Infallible>>>;

fn service(layer: CorsLayer) -> corsair_tower::Cors<App> {
    layer.layer(tower::service_fn(app as fn(_) -> _))
}

/// Calls and polls to completion (every service here answers at once).
fn call<S>(service: &mut S, request: Request<()>) -> Response<String>
where
    S: Service<Request<()>, Response = Response<String>, Error = Infallible>,
{
    let mut future = pin!(service.call(request));
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(Ok(r)) => r,
        Poll::Ready(Err(never)) => match never {},
        Poll::Pending => panic!("the app answers at once"),
    }
}

fn request(method: &str, lines: &[(&str, &str)]) -> Request<()> {
    let mut b = Request::builder().method(method).uri("/items");
    for (n, v) in lines {
        b = b.header(*n, *v);
    }
    b.body(()).unwrap()
}

fn preflight(origin: &str, method: &str, extra: &[(&'static str, &'static str)]) -> Request<()> {
    let mut lines = vec![("origin", origin), ("access-control-request-method", method)];
    lines.extend(extra.iter().copied());
    request("OPTIONS", &lines)
}

fn policy() -> PolicyBuilder {
    Policy::builder().allow_origin(APP).allow_methods(["PUT"]).allow_headers(["content-type"])
}

fn refused(r: &Response<String>) -> Option<&'static str> {
    r.extensions().get::<Refused>().map(|r| r.kind.as_str())
}

#[test]
fn policy_layer_is_corsair_layer_new() {
    let by_new = CorsLayer::new(policy().build().unwrap());
    let by_ext = policy().build().unwrap().layer();
    let by_arc = Arc::new(policy().build().unwrap()).layer();
    let answers = |layer: CorsLayer| {
        let mut s = service(layer);
        [preflight(APP, "PUT", &[]), preflight(EVIL, "PUT", &[]), request("GET", &[("origin", APP)])].map(|r| {
            let response = call(&mut s, r);
            (response.status(), response.headers().clone())
        })
    };
    let expected = answers(by_new);
    assert_eq!(answers(by_ext), expected);
    assert_eq!(answers(by_arc), expected);
    assert_eq!(expected[0].1["access-control-allow-methods"], "PUT");
}

#[test]
fn every_refused_requests_response_carries_its_kind_answered_or_forwarded() {
    let mut s = service(CorsLayer::new(policy().build().unwrap()).mark_refusals(true));
    let cases = [
        (preflight(EVIL, "PUT", &[]), "origin", StatusCode::FORBIDDEN),
        (preflight("not an origin", "PUT", &[]), "origin", StatusCode::FORBIDDEN),
        (preflight(APP, "PATCH", &[]), "method", StatusCode::FORBIDDEN),
        (preflight(APP, "PUT", &[("access-control-request-headers", "x-evil")]), "header", StatusCode::FORBIDDEN),
        (
            preflight(APP, "PUT", &[("access-control-request-private-network", "true")]),
            "private-network",
            StatusCode::FORBIDDEN,
        ),
        // A refused actual request goes on to the app (reject-preflight, the default).
        (request("GET", &[("origin", EVIL)]), "origin", StatusCode::OK),
        (request("GET", &[("origin", APP), ("origin", APP)]), "origin", StatusCode::OK),
    ];
    for (r, kind, status) in cases {
        let shown = format!("{} {:?}", r.method(), r.headers());
        let response = call(&mut s, r);
        assert_eq!(response.status(), status, "{shown}");
        assert_eq!(refused(&response), Some(kind), "{shown}");
        // A forwarded request's response keeps what the app put in its extensions.
        if status == StatusCode::OK {
            assert_eq!(response.extensions().get::<FromTheApp>(), Some(&FromTheApp));
        }
        // The extension is not the debug header.
        assert!(response.headers().get(REFUSAL_HEADER).is_none());
    }
}

#[test]
fn refusals_answered_by_reject_all_and_forwarded_by_omit_headers_are_marked_too() {
    let reject_all = policy().refusal(RefusalStyle::RejectAll(StatusCode::UNAUTHORIZED)).build().unwrap();
    let mut s = service(CorsLayer::new(reject_all).mark_refusals(true));
    let response = call(&mut s, request("PUT", &[("origin", EVIL)]));
    assert_eq!((response.status(), refused(&response)), (StatusCode::UNAUTHORIZED, Some("origin")));

    // A refused preflight the application answers itself.
    let forwarding = policy().refusal(RefusalStyle::OmitHeaders).forward_preflights(true).build().unwrap();
    let mut s = service(CorsLayer::new(forwarding).mark_refusals(true));
    let response = call(&mut s, preflight(APP, "DELETE", &[]));
    assert_eq!(response.body(), "from the app");
    assert_eq!(refused(&response), Some("method"));
}

#[test]
fn allowed_and_non_cors_requests_are_never_marked() {
    let mut s = service(CorsLayer::new(policy().build().unwrap()).mark_refusals(true));
    for r in [
        preflight(APP, "PUT", &[("access-control-request-headers", "content-type")]),
        request("GET", &[("origin", APP)]),
        request("GET", &[]),
        request("OPTIONS", &[("origin", APP)]),
    ] {
        let response = call(&mut s, r);
        assert_eq!(refused(&response), None, "{response:?}");
    }
}

#[test]
fn marking_is_off_by_default_and_independent_of_debug_mode() {
    let mut plain = service(CorsLayer::new(policy().build().unwrap()));
    for r in [preflight(EVIL, "PUT", &[]), request("GET", &[("origin", EVIL)])] {
        assert_eq!(refused(&call(&mut plain, r)), None);
    }
    let mut debug = service(CorsLayer::new(policy().build().unwrap()).debug(true));
    let response = call(&mut debug, preflight(EVIL, "PUT", &[]));
    assert_eq!((refused(&response), response.headers()[REFUSAL_HEADER].to_str().unwrap()), (None, "origin"));
    let mut both = service(CorsLayer::new(policy().build().unwrap()).debug(true).mark_refusals(true));
    let response = call(&mut both, request("GET", &[("origin", EVIL)]));
    assert_eq!((refused(&response), response.headers()[REFUSAL_HEADER].to_str().unwrap()), (Some("origin"), "origin"));
}

#[test]
fn the_mark_names_the_same_kind_as_the_core() {
    let refusal = corsair_tower::Refusal::HeaderNotAllowed(b"x-evil");
    assert_eq!(Refused::from(&refusal).kind, refusal.kind());
}
