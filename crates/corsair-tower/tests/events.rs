//! Every refusal emits one `tracing` event (target `corsair_tower`, level INFO, fields `kind`,
//! `reason`, `method`, `suppressed`), at most `MAX_REFUSAL_EVENTS_PER_SECOND` a second per
//! layer; allowed and non-CORS requests emit none.

use std::convert::Infallible;
use std::future::{ready, Ready};
use std::sync::{Arc, Mutex};

use corsair_tower::{CorsLayer, Policy, MAX_REFUSAL_EVENTS_PER_SECOND, TARGET};
use http::{Request, Response};
use tower::{Layer, Service};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};

/// One recorded event: target, level, and every field as text.
#[derive(Debug, Default, Clone)]
struct Event {
    target: String,
    level: String,
    fields: Vec<(String, String)>,
}

impl Event {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

impl Visit for Event {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.fields.push((field.name().to_owned(), value.to_owned()));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.fields.push((field.name().to_owned(), format!("{value:?}")));
    }
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Event>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut e = Event {
            target: event.metadata().target().to_owned(),
            level: event.metadata().level().to_string(),
            ..Event::default()
        };
        event.record(&mut e);
        self.0.lock().unwrap().push(e);
    }
}

fn inner(_: Request<()>) -> Ready<Result<Response<String>, Infallible>> {
    ready(Ok(Response::new(String::new())))
}

/// Calls the service once per request with a capturing subscriber; returns the events.
fn events_for(policy: Policy, requests: Vec<Request<()>>) -> Vec<Event> {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone());
    tracing::subscriber::with_default(subscriber, || {
        let mut service = CorsLayer::new(policy).layer(tower::service_fn(inner));
        for request in requests {
            // The event is emitted while deciding, in `call`; the future needs no runtime.
            drop(service.call(request));
        }
    });
    let events = capture.0.lock().unwrap().clone();
    events
}

fn request(method: &str, lines: &[(&str, &str)]) -> Request<()> {
    let mut b = Request::builder().method(method).uri("/items");
    for (n, v) in lines {
        b = b.header(*n, *v);
    }
    b.body(()).unwrap()
}

fn policy() -> Policy {
    Policy::builder().allow_origin("https://app.example.com").allow_methods(["PUT"]).build().unwrap()
}

#[test]
fn each_refusal_emits_one_event_with_kind_reason_and_method() {
    let app = "https://app.example.com";
    let cases = [
        (
            request("OPTIONS", &[("origin", "https://evil.example"), ("access-control-request-method", "PUT")]),
            "origin",
            "origin `https://evil.example` is not allowed",
            "OPTIONS",
        ),
        (
            request("DELETE", &[("origin", "https://evil.example")]),
            "origin",
            "origin `https://evil.example` is not allowed",
            "DELETE",
        ),
        (
            request("OPTIONS", &[("origin", app), ("access-control-request-method", "PATCH")]),
            "method",
            "method `PATCH` is not allowed",
            "OPTIONS",
        ),
        (
            request(
                "OPTIONS",
                &[
                    ("origin", app),
                    ("access-control-request-method", "PUT"),
                    ("access-control-request-headers", "x-evil"),
                ],
            ),
            "header",
            "request header `x-evil` is not allowed",
            "OPTIONS",
        ),
        (
            request(
                "OPTIONS",
                &[
                    ("origin", app),
                    ("access-control-request-method", "PUT"),
                    ("access-control-request-private-network", "true"),
                ],
            ),
            "private-network",
            "private network access is not allowed",
            "OPTIONS",
        ),
    ];
    for (req, kind, reason, method) in cases {
        let events = events_for(policy(), vec![req]);
        assert_eq!(events.len(), 1, "{events:?}");
        let e = &events[0];
        assert_eq!((e.target.as_str(), e.level.as_str()), (TARGET, "INFO"));
        assert_eq!(e.field("kind"), Some(kind));
        assert_eq!(e.field("reason"), Some(reason));
        assert_eq!(e.field("method"), Some(method));
        assert_eq!(e.field("message"), Some("CORS request refused"));
    }
}

#[test]
fn long_values_are_cut_in_the_reason() {
    let long = format!("https://{}.example", "a".repeat(300));
    let events = events_for(policy(), vec![request("GET", &[("origin", &long)])]);
    let reason = events[0].field("reason").unwrap();
    assert!(reason.len() < 200, "{reason}");
    assert!(reason.contains("(316 bytes)"), "{reason}");
}

#[test]
fn allowed_and_non_cors_requests_emit_nothing() {
    let app = "https://app.example.com";
    let events = events_for(
        policy(),
        vec![
            request("GET", &[]),
            request("GET", &[("origin", app)]),
            request("OPTIONS", &[("origin", app), ("access-control-request-method", "PUT")]),
        ],
    );
    assert!(events.is_empty(), "{events:?}");
}

/// A flood of forged origins is not a log flood: one layer emits at most
/// `MAX_REFUSAL_EVENTS_PER_SECOND` events a second, and the first event of a later second says
/// how many were left out.
#[test]
fn a_flood_of_refusals_is_bounded_and_the_suppressed_are_counted() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone());
    let forged = |i: usize| request("GET", &[("origin", &format!("https://evil{i}.example"))]);
    tracing::subscriber::with_default(subscriber, || {
        let mut service = CorsLayer::new(policy()).layer(tower::service_fn(inner));
        let flood = 2_000;
        for i in 0..flood {
            drop(service.call(forged(i)));
        }
        let emitted = capture.0.lock().unwrap().len();
        // A second may turn over during the flood: two seconds' worth at most.
        assert!(emitted >= MAX_REFUSAL_EVENTS_PER_SECOND as usize, "{emitted}");
        assert!(emitted <= 2 * MAX_REFUSAL_EVENTS_PER_SECOND as usize, "{emitted} events for {flood} refusals");
        std::thread::sleep(std::time::Duration::from_millis(1100));
        drop(service.call(forged(flood)));
        let events = capture.0.lock().unwrap();
        let last = events.last().unwrap();
        let suppressed: usize = last.field("suppressed").unwrap().parse().unwrap();
        assert_eq!(emitted + suppressed, flood, "every refusal is emitted or counted as suppressed");
    });
}
