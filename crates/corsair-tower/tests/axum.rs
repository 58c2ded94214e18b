//! The layer on a real axum app, over a real loopback socket: what a browser (or curl) receives.

mod common;

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::error_handling::HandleErrorLayer;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, options, post};
use axum::{BoxError, Router};
use common::{preflight, send, serve};
use corsair_tower::{CorsLayer, Policy, PolicyBuilder, RefusalStyle};
use tower::ServiceBuilder;

const APP: &str = "https://app.example.com";
const EVIL: &str = "https://evil.example";

fn policy() -> PolicyBuilder {
    Policy::builder()
        .allow_origin(APP)
        .allow_methods(["PUT", "DELETE"])
        .allow_headers(["content-type", "x-request-id"])
        .expose_headers(["x-total-count"])
        .max_age(600)
}

/// Counts the requests that reached a handler.
#[derive(Clone, Default)]
struct Hits(Arc<AtomicUsize>);

impl Hits {
    fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

fn routes(hits: &Hits) -> Router {
    let h = hits.clone();
    let hit = move || {
        h.0.fetch_add(1, Ordering::SeqCst);
    };
    let (a, b, c, d) = (hit.clone(), hit.clone(), hit.clone(), hit);
    Router::new()
        .route(
            "/items",
            get(move || async move {
                a();
                ([("x-total-count", "2")], "[1,2]")
            })
            .put(move || async move {
                b();
                "saved"
            }),
        )
        .route(
            "/missing",
            get(move || async move {
                c();
                (StatusCode::NOT_FOUND, "no such item")
            }),
        )
        .route(
            "/broken",
            get(move || async move {
                d();
                (StatusCode::INTERNAL_SERVER_ERROR, "the database is down")
            }),
        )
        .route(
            "/own-cors",
            get(|| async {
                [
                    ("access-control-allow-origin", "*"),
                    ("access-control-allow-origin", "https://other.example"),
                    ("access-control-allow-credentials", "true"),
                    ("access-control-expose-headers", "x-secret"),
                    ("access-control-allow-methods", "GET"),
                    ("vary", "accept-encoding"),
                ]
            }),
        )
        .route("/vary-origin", get(|| async { [("vary", "Accept-Encoding, Origin")] }))
        .route("/vary-star", get(|| async { [("vary", "*")] }))
}

async fn app_with(policy: Policy, debug: bool) -> (common::Server, Hits) {
    let hits = Hits::default();
    let server = serve(routes(&hits).layer(CorsLayer::new(policy).debug(debug))).await;
    (server, hits)
}

#[tokio::test]
async fn an_allowed_actual_request_reaches_the_handler_and_gets_the_policys_headers() {
    let (server, hits) = app_with(policy().build().unwrap(), false).await;
    let r = send(server.addr, "GET", "/items", &[("origin", APP)], "").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, "[1,2]");
    assert_eq!(r.one("access-control-allow-origin"), Some(APP));
    assert_eq!(r.one("access-control-expose-headers"), Some("x-total-count"));
    assert_eq!(r.lines("vary"), ["origin"]);
    assert_eq!(r.cors_names(), ["access-control-allow-origin", "access-control-expose-headers"]);
    assert_eq!(hits.get(), 1);
}

#[tokio::test]
async fn a_request_without_origin_passes_with_only_vary_added() {
    let (server, hits) = app_with(policy().build().unwrap(), false).await;
    let r = send(server.addr, "GET", "/items", &[], "").await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "[1,2]"));
    assert!(r.cors_names().is_empty());
    assert_eq!(r.lines("vary"), ["origin"], "a cache must not serve this answer to a cross-origin request");
    assert_eq!(hits.get(), 1);
}

#[tokio::test]
async fn an_allowed_preflight_is_answered_by_the_layer_with_204_and_never_reaches_the_app() {
    let (server, hits) = app_with(policy().build().unwrap(), false).await;
    let r = send(server.addr, "OPTIONS", "/items", &preflight(APP, "PUT", Some("Content-Type,X-Request-Id")), "").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(r.body, "");
    assert_eq!(r.one("access-control-allow-origin"), Some(APP));
    assert_eq!(r.one("access-control-allow-methods"), Some("PUT,DELETE"));
    assert_eq!(r.one("access-control-allow-headers"), Some("content-type,x-request-id"));
    assert_eq!(r.one("access-control-max-age"), Some("600"));
    assert_eq!(r.one("access-control-expose-headers"), None, "expose is for actual responses");
    assert_eq!(r.lines("vary"), ["origin, access-control-request-method, access-control-request-headers"]);
    assert_eq!(hits.get(), 0);
}

#[tokio::test]
async fn the_preflight_status_is_the_policys() {
    let (server, _) = app_with(policy().preflight_status(200).build().unwrap(), false).await;
    let r = send(server.addr, "OPTIONS", "/items", &preflight(APP, "DELETE", None), "").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.one("access-control-allow-origin"), Some(APP));
}

#[tokio::test]
async fn a_preflight_for_a_route_without_that_method_is_still_answered() {
    // axum would answer 405 for OPTIONS /missing; the layer answers first.
    let (server, _) = app_with(policy().build().unwrap(), false).await;
    let r = send(server.addr, "OPTIONS", "/missing", &preflight(APP, "PUT", None), "").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn an_options_request_without_request_method_is_an_ordinary_request() {
    let hits = Hits::default();
    let h = hits.clone();
    let app = routes(&hits)
        .route(
            "/opt",
            options(move || async move {
                h.0.fetch_add(1, Ordering::SeqCst);
                "the app's own OPTIONS"
            }),
        )
        .layer(CorsLayer::new(policy().build().unwrap()));
    let server = serve(app).await;
    let r = send(server.addr, "OPTIONS", "/opt", &[("origin", APP)], "").await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "the app's own OPTIONS"));
    assert_eq!(r.one("access-control-allow-origin"), Some(APP));
    assert_eq!(hits.get(), 1);
}

#[tokio::test]
async fn error_statuses_from_handlers_and_the_router_get_cors_headers() {
    let (server, hits) = app_with(policy().build().unwrap(), false).await;
    for (path, status) in [
        ("/missing", StatusCode::NOT_FOUND),
        ("/broken", StatusCode::INTERNAL_SERVER_ERROR),
        ("/nowhere", StatusCode::NOT_FOUND),
    ] {
        let r = send(server.addr, "GET", path, &[("origin", APP)], "").await;
        assert_eq!(r.status, status, "{path}");
        assert_eq!(r.one("access-control-allow-origin"), Some(APP), "{path}: the page must be able to read the error");
        assert_eq!(r.lines("vary"), ["origin"], "{path}");
    }
    // A method the route lacks: axum's 405 goes through the layer too.
    let r = send(server.addr, "DELETE", "/missing", &[("origin", APP)], "").await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.one("access-control-allow-origin"), Some(APP));
    assert_eq!(hits.get(), 2);
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(5)).await;
    "too late"
}

#[tokio::test]
async fn a_timeout_answered_by_inner_middleware_gets_cors_headers() {
    // tower-http's timeout answers by itself (408 here).
    let app = Router::new()
        .route("/slow", get(slow))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_millis(50),
        ))
        .layer(CorsLayer::new(policy().build().unwrap()));
    let server = serve(app).await;
    let r = send(server.addr, "GET", "/slow", &[("origin", APP)], "").await;
    assert_eq!(r.status, StatusCode::REQUEST_TIMEOUT);
    assert_eq!(r.one("access-control-allow-origin"), Some(APP));

    // tower's timeout fails with an error, which axum's HandleErrorLayer turns into a response.
    let app = Router::new()
        .route("/slow", get(slow))
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(|_: BoxError| async { StatusCode::GATEWAY_TIMEOUT }))
                .timeout(Duration::from_millis(50)),
        )
        .layer(CorsLayer::new(policy().build().unwrap()));
    let server = serve(app).await;
    let r = send(server.addr, "GET", "/slow", &[("origin", APP)], "").await;
    assert_eq!(r.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(r.one("access-control-allow-origin"), Some(APP));
    assert_eq!(r.lines("vary"), ["origin"]);
}

#[tokio::test]
async fn a_body_limit_answered_by_inner_middleware_gets_cors_headers() {
    let upload = || post(|body: String| async move { format!("{} bytes", body.len()) });
    let big = "x".repeat(4096);
    // tower-http's limit answers 413 itself.
    let app = Router::new()
        .route("/upload", upload())
        .layer(tower_http::limit::RequestBodyLimitLayer::new(1024))
        .layer(CorsLayer::new(policy().build().unwrap()));
    let server = serve(app).await;
    let r = send(server.addr, "POST", "/upload", &[("origin", APP), ("content-type", "text/plain")], &big).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.one("access-control-allow-origin"), Some(APP));
    // axum's own limit is enforced by the extractor.
    let app = Router::new()
        .route("/upload", upload())
        .layer(DefaultBodyLimit::max(1024))
        .layer(CorsLayer::new(policy().build().unwrap()));
    let server = serve(app).await;
    let r = send(server.addr, "POST", "/upload", &[("origin", APP), ("content-type", "text/plain")], &big).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.one("access-control-allow-origin"), Some(APP));
}

#[tokio::test]
async fn cors_headers_the_app_set_are_replaced_not_doubled() {
    let (server, _) = app_with(policy().build().unwrap(), false).await;
    let r = send(server.addr, "GET", "/own-cors", &[("origin", APP)], "").await;
    assert_eq!(r.lines("access-control-allow-origin"), [APP]);
    assert_eq!(r.lines("access-control-expose-headers"), ["x-total-count"]);
    assert!(r.lines("access-control-allow-credentials").is_empty(), "the policy does not allow credentials");
    assert!(r.lines("access-control-allow-methods").is_empty(), "not on actual responses");
    assert_eq!(r.lines("vary"), ["accept-encoding", "origin"]);

    // Refused: the app's permissive headers must not leak through either.
    let r = send(server.addr, "GET", "/own-cors", &[("origin", EVIL)], "").await;
    assert!(r.cors_names().is_empty(), "{:?}", r.headers);
}

#[tokio::test]
async fn vary_is_merged_without_duplicates() {
    let (server, _) = app_with(policy().build().unwrap(), false).await;
    let r = send(server.addr, "GET", "/vary-origin", &[("origin", APP)], "").await;
    assert_eq!(r.lines("vary"), ["Accept-Encoding, Origin"], "Origin is already there, in any case");
    let r = send(server.addr, "GET", "/vary-star", &[("origin", APP)], "").await;
    assert_eq!(r.lines("vary"), ["*"]);
    let r = send(server.addr, "GET", "/own-cors", &[], "").await;
    assert_eq!(r.lines("vary"), ["accept-encoding", "origin"]);
}

#[tokio::test]
async fn forwarded_preflights_reach_the_apps_options_handler_and_get_the_policys_headers() {
    let hits = Hits::default();
    let h = hits.clone();
    let app = Router::new()
        .route(
            "/items",
            get(|| async { "[]" }).options(move || async move {
                h.0.fetch_add(1, Ordering::SeqCst);
                (
                    [("x-app", "options"), ("access-control-allow-origin", "*"), ("vary", "accept-encoding")],
                    "the app's preflight",
                )
            }),
        )
        .layer(CorsLayer::new(policy().forward_preflights(true).build().unwrap()));
    let server = serve(app).await;
    let r = send(server.addr, "OPTIONS", "/items", &preflight(APP, "PUT", Some("content-type")), "").await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "the app's preflight"));
    assert_eq!(r.one("x-app"), Some("options"));
    assert_eq!(r.lines("access-control-allow-origin"), [APP]);
    assert_eq!(r.one("access-control-allow-methods"), Some("PUT,DELETE"));
    assert_eq!(r.one("access-control-allow-headers"), Some("content-type,x-request-id"));
    assert_eq!(r.one("access-control-max-age"), Some("600"));
    assert_eq!(
        r.lines("vary"),
        ["accept-encoding", "origin, access-control-request-method, access-control-request-headers"]
    );
    assert_eq!(hits.get(), 1);

    // A refused preflight is still refused by the layer (the default style rejects with 403).
    let r = send(server.addr, "OPTIONS", "/items", &preflight(EVIL, "PUT", None), "").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(hits.get(), 1);
}

#[tokio::test]
async fn a_refused_forwarded_preflight_under_omit_headers_reaches_the_app_without_cors_headers() {
    let hits = Hits::default();
    let h = hits.clone();
    let app = Router::new()
        .route(
            "/items",
            options(move || async move {
                h.0.fetch_add(1, Ordering::SeqCst);
                [("access-control-allow-origin", "*")]
            }),
        )
        .layer(CorsLayer::new(policy().forward_preflights(true).refusal(RefusalStyle::OmitHeaders).build().unwrap()));
    let server = serve(app).await;
    let r = send(server.addr, "OPTIONS", "/items", &preflight(EVIL, "PUT", None), "").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.cors_names().is_empty(), "the app's `*` is removed: {:?}", r.headers);
    assert_eq!(hits.get(), 1);
}

#[tokio::test]
async fn refusal_styles() {
    // reject-preflight (the default): refused preflights get 403, refused actual requests run
    // without CORS headers (the browser then hides the response).
    let (server, hits) = app_with(policy().build().unwrap(), false).await;
    let r = send(server.addr, "OPTIONS", "/items", &preflight(EVIL, "PUT", None), "").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.cors_names().is_empty());
    assert_eq!(r.lines("vary"), ["origin, access-control-request-method, access-control-request-headers"]);
    let r = send(server.addr, "GET", "/items", &[("origin", EVIL)], "").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.cors_names().is_empty());
    assert_eq!(r.lines("vary"), ["origin"]);
    assert_eq!(hits.get(), 1);

    // omit-headers: the preflight gets the usual status, without CORS headers.
    let (server, hits) = app_with(policy().refusal(RefusalStyle::OmitHeaders).build().unwrap(), false).await;
    let r = send(server.addr, "OPTIONS", "/items", &preflight(EVIL, "PUT", None), "").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.cors_names().is_empty());
    let r = send(server.addr, "GET", "/items", &[("origin", EVIL)], "").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(hits.get(), 1);

    // reject-all: refused actual requests never reach the app.
    let style = RefusalStyle::RejectAll(StatusCode::UNAUTHORIZED);
    let (server, hits) = app_with(policy().refusal(style).build().unwrap(), false).await;
    let r = send(server.addr, "PUT", "/items", &[("origin", EVIL)], "").await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::UNAUTHORIZED, ""));
    assert!(r.cors_names().is_empty());
    assert_eq!(r.lines("vary"), ["origin"]);
    let r = send(server.addr, "OPTIONS", "/items", &preflight(EVIL, "PUT", None), "").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(hits.get(), 0);
    let r = send(server.addr, "PUT", "/items", &[("origin", APP)], "").await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "saved"));
    assert_eq!(hits.get(), 1);
}

#[tokio::test]
async fn debug_mode_names_the_refused_part_of_a_preflight() {
    let p = || policy().build().unwrap();
    let (server, _) = app_with(p(), true).await;
    let commas = ",".repeat(1024);
    let cases = [
        (preflight(EVIL, "PUT", None), "origin"),
        (preflight("not an origin", "PUT", None), "origin"),
        (preflight(APP, "PATCH", None), "method"),
        (preflight(APP, "PUT", Some("content-type,x-evil")), "header"),
        (preflight(APP, "PUT", Some(&commas)), "header"),
    ];
    for (headers, kind) in &cases {
        let r = send(server.addr, "OPTIONS", "/items", headers, "").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{headers:?}");
        assert_eq!(r.lines("corsair-refusal"), [*kind], "{headers:?}");
    }
    let mut pna = preflight(APP, "PUT", None);
    pna.push(("access-control-request-private-network", "true"));
    let r = send(server.addr, "OPTIONS", "/items", &pna, "").await;
    assert_eq!(r.lines("corsair-refusal"), ["private-network"]);
    // A refused actual request too (the network panel shows it).
    let r = send(server.addr, "GET", "/items", &[("origin", EVIL)], "").await;
    assert_eq!(r.lines("corsair-refusal"), ["origin"]);
    // Allowed requests never carry it.
    let r = send(server.addr, "OPTIONS", "/items", &preflight(APP, "PUT", None), "").await;
    assert!(r.lines("corsair-refusal").is_empty());

    // Off by default.
    let (server, _) = app_with(p(), false).await;
    let r = send(server.addr, "OPTIONS", "/items", &preflight(EVIL, "PUT", None), "").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.lines("corsair-refusal").is_empty());
}

#[tokio::test]
async fn nested_routers_have_their_own_policies() {
    let public = Policy::builder().allow_origin("*").build().unwrap();
    let private =
        Policy::builder().allow_origin(APP).allow_methods(["DELETE"]).allow_credentials(true).build().unwrap();
    let app = Router::new()
        .nest("/public", Router::new().route("/feed", get(|| async { "feed" })).layer(CorsLayer::new(public)))
        .nest(
            "/admin",
            Router::new()
                .route("/users", get(|| async { "users" }).delete(|| async { "gone" }))
                .layer(CorsLayer::new(private)),
        )
        .route("/plain", get(|| async { "plain" }));
    let server = serve(app).await;

    let r = send(server.addr, "GET", "/public/feed", &[("origin", EVIL)], "").await;
    assert_eq!(r.one("access-control-allow-origin"), Some("*"));
    assert!(r.lines("vary").is_empty(), "`*` answers every origin alike");

    let r = send(server.addr, "GET", "/admin/users", &[("origin", APP)], "").await;
    assert_eq!(r.one("access-control-allow-origin"), Some(APP));
    assert_eq!(r.one("access-control-allow-credentials"), Some("true"));
    let r = send(server.addr, "OPTIONS", "/admin/users", &preflight(EVIL, "DELETE", None), "").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = send(server.addr, "OPTIONS", "/admin/users", &preflight(APP, "DELETE", None), "").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);

    let r = send(server.addr, "GET", "/plain", &[("origin", APP)], "").await;
    assert!(r.cors_names().is_empty() && r.lines("vary").is_empty(), "no layer, no CORS");
}

#[tokio::test]
async fn a_plain_hyper_service() {
    use hyper_util::rt::TokioIo;
    use hyper_util::service::TowerToHyperService;
    use tower::Layer;

    let service = tower::service_fn(|request: http::Request<hyper::body::Incoming>| async move {
        let body = format!("{} {}", request.method(), request.uri().path());
        Ok::<_, Infallible>(http::Response::new(body))
    });
    let service = CorsLayer::new(policy().build().unwrap()).layer(service);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else { break };
            let service = TowerToHyperService::new(service.clone());
            tokio::spawn(hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tcp), service));
        }
    });
    let r = send(addr, "PUT", "/things", &[("origin", APP)], "").await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "PUT /things"));
    assert_eq!(r.one("access-control-allow-origin"), Some(APP));
    let r = send(addr, "OPTIONS", "/things", &preflight(APP, "DELETE", None), "").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(r.one("access-control-allow-methods"), Some("PUT,DELETE"));
    task.abort();
}

#[tokio::test]
async fn handlers_that_answer_with_impl_into_response_errors_still_get_headers() {
    async fn fallible() -> Result<&'static str, (StatusCode, &'static str)> {
        Err((StatusCode::UNPROCESSABLE_ENTITY, "bad input"))
    }
    let app = Router::new().route("/f", get(fallible)).layer(CorsLayer::new(policy().build().unwrap()));
    let server = serve(app).await;
    let r = send(server.addr, "GET", "/f", &[("origin", APP)], "").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.one("access-control-allow-origin"), Some(APP));
}
