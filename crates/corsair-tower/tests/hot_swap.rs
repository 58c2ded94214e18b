//! Swapping the policy while serving: new requests get the new policy, requests in flight keep
//! the one they started with, and no response mixes two policies.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use common::{preflight, serve, Answer, Client};
use corsair_tower::{CorsLayer, Policy};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use tokio::sync::{mpsc, Notify};
use tower::Layer;

const APP: &str = "https://app.example.com";

fn policy_a() -> Policy {
    Policy::builder()
        .allow_origin(APP)
        .allow_methods(["PUT"])
        .allow_headers(["x-a"])
        .expose_headers(["x-policy-a"])
        .max_age(100)
        .build()
        .unwrap()
}

fn policy_b() -> Policy {
    Policy::builder()
        .allow_origin(APP)
        .allow_methods(["PUT", "DELETE"])
        .allow_headers(["x-a", "x-b"])
        .expose_headers(["x-policy-b"])
        .max_age(200)
        .allow_credentials(true)
        .build()
        .unwrap()
}

/// The CORS and Vary lines of a header map, as sorted `name: value` text.
fn cors_lines(headers: &HeaderMap) -> Vec<String> {
    let mut lines: Vec<String> = headers
        .iter()
        .filter(|(n, _)| n.as_str().starts_with("access-control-") || n.as_str() == "vary")
        .map(|(n, v)| format!("{n}: {}", v.to_str().unwrap()))
        .collect();
    lines.sort();
    lines
}

/// What `policy` alone answers to this request (the oracle: the core's own decision).
fn expected(policy: &Policy, method: &str, lines: &[(&str, &str)]) -> Vec<String> {
    let mut request = HeaderMap::new();
    for (n, v) in lines {
        request.append(HeaderName::from_bytes(n.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
    }
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let mut out = HeaderMap::new();
    policy.decide((&method, &request)).apply_to(&mut out);
    cors_lines(&out)
}

#[tokio::test]
async fn a_request_in_flight_keeps_the_policy_it_started_with() {
    let (entered_tx, mut entered) = mpsc::unbounded_channel::<()>();
    let release = Arc::new(Notify::new());
    let r = release.clone();
    let app = Router::new().route(
        "/slow",
        get(move || {
            let (entered_tx, release) = (entered_tx.clone(), r.clone());
            async move {
                let _ = entered_tx.send(());
                release.notified().await;
                "done"
            }
        }),
    );
    let cors = CorsLayer::new(policy_a());
    let handle = cors.handle();
    let server = serve(app.layer(cors)).await;
    let addr = server.addr;

    let in_flight = tokio::spawn(async move { common::send(addr, "GET", "/slow", &[("origin", APP)], "").await });
    entered.recv().await.expect("the handler runs");
    handle.set(policy_b());
    release.notify_one();
    let old: Answer = in_flight.await.unwrap();
    assert_eq!(old.body, "done");
    assert_eq!(cors_lines(&old.headers), expected(&policy_a(), "GET", &[("origin", APP)]));
    assert_eq!(old.one("access-control-expose-headers"), Some("x-policy-a"));

    let next = tokio::spawn(async move { common::send(addr, "GET", "/slow", &[("origin", APP)], "").await });
    entered.recv().await.expect("the handler runs");
    release.notify_one();
    let new = next.await.unwrap();
    assert_eq!(cors_lines(&new.headers), expected(&policy_b(), "GET", &[("origin", APP)]));
    assert_eq!(new.one("access-control-allow-credentials"), Some("true"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_during_swaps_each_see_exactly_one_policy() {
    const CLIENTS: usize = 4;
    const REQUESTS: usize = 150;
    let app = Router::new().route(
        "/items",
        get(|| async {
            // Let swaps happen while the request is in flight.
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
            "[]"
        }),
    );
    let cors = CorsLayer::new(policy_a());
    let handle = cors.handle();
    let server = serve(app.layer(cors)).await;

    let actual: Vec<(&str, &str)> = vec![("origin", APP)];
    let pre = preflight(APP, "PUT", Some("x-a"));
    let answers = [
        (expected(&policy_a(), "GET", &actual), expected(&policy_b(), "GET", &actual)),
        (expected(&policy_a(), "OPTIONS", &pre), expected(&policy_b(), "OPTIONS", &pre)),
    ];
    assert_ne!(answers[0].0, answers[0].1, "the policies must answer differently");
    assert_ne!(answers[1].0, answers[1].1);
    let answers = Arc::new(answers);

    let done = Arc::new(AtomicBool::new(false));
    let swaps = Arc::new(AtomicUsize::new(0));
    let swapper = {
        let (done, swaps) = (done.clone(), swaps.clone());
        tokio::spawn(async move {
            let (a, b) = (Arc::new(policy_a()), Arc::new(policy_b()));
            while !done.load(Ordering::SeqCst) {
                let n = swaps.fetch_add(1, Ordering::SeqCst);
                handle.set(if n % 2 == 0 { b.clone() } else { a.clone() });
                tokio::task::yield_now().await;
            }
        })
    };

    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (addr, answers) = (server.addr, answers.clone());
        let (actual, pre) = (actual.clone(), pre.clone());
        clients.push(tokio::spawn(async move {
            let mut client = Client::connect(addr).await;
            let (mut from_a, mut from_b, mut mixed) = (0usize, 0usize, Vec::new());
            for i in 0..REQUESTS {
                let (kind, r) = if (i + c) % 2 == 0 {
                    (0, client.send("GET", "/items", &actual, "").await)
                } else {
                    (1, client.send("OPTIONS", "/items", &pre, "").await)
                };
                let got = cors_lines(&r.headers);
                if got == answers[kind].0 {
                    from_a += 1;
                } else if got == answers[kind].1 {
                    from_b += 1;
                } else {
                    mixed.push(got);
                }
            }
            (from_a, from_b, mixed)
        }));
    }
    let (mut from_a, mut from_b) = (0, 0);
    for client in clients {
        let (a, b, mixed) = client.await.unwrap();
        assert!(mixed.is_empty(), "answers from neither policy alone: {mixed:#?}");
        from_a += a;
        from_b += b;
    }
    done.store(true, Ordering::SeqCst);
    swapper.await.unwrap();
    let swaps = swaps.load(Ordering::SeqCst);
    println!("{} requests during {swaps} swaps: {from_a} answered by A, {from_b} by B", CLIENTS * REQUESTS);
    assert_eq!(from_a + from_b, CLIENTS * REQUESTS);
    assert!(from_a > 0 && from_b > 0, "the swaps must interleave with the requests ({from_a} A, {from_b} B)");
}

#[test]
fn every_service_and_handle_of_a_layer_share_one_policy() {
    let cors = CorsLayer::new(policy_a());
    let from_layer = cors.handle();
    let service = cors.layer(tower::service_fn(|_: http::Request<()>| async {
        Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    }));
    let clone = service.clone();
    let from_service = clone.handle();
    from_service.set(policy_b());
    assert!(from_layer.current().allows_credentials());
    assert!(cors.policy().allows_credentials());
    assert!(service.handle().current().allows_credentials());
    // A separate layer has its own slot.
    assert!(!CorsLayer::new(policy_a()).policy().allows_credentials());
}
