//! # corsair-tower
//!
//! CORS middleware for [tower](https://docs.rs/tower) services (axum, hyper, tonic), built from
//! [`corsair_core`]'s validated [`Policy`]. All the protocol lives in the core
//! ([`Policy::decide`]); this crate only follows its decisions.
//!
//! ```
//! use axum::{body::Body, routing::get, Router};
//! use corsair_tower::{CorsLayer, Policy};
//! use http::{Request, StatusCode};
//! use tower::ServiceExt;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let policy = Policy::builder()
//!     .allow_origin("https://app.example.com")
//!     .allow_methods(["PUT"])
//!     .allow_headers(["content-type"])
//!     .build()
//!     .expect("a valid policy");
//! let app = Router::new()
//!     .route("/items", get(|| async { "[]" }).put(|| async { "saved" }))
//!     .layer(CorsLayer::new(policy));
//!
//! // The browser's preflight is answered by the layer...
//! let preflight = Request::options("/items")
//!     .header("origin", "https://app.example.com")
//!     .header("access-control-request-method", "PUT")
//!     .header("access-control-request-headers", "content-type")
//!     .body(Body::empty())
//!     .unwrap();
//! let answer = app.clone().oneshot(preflight).await.unwrap();
//! assert_eq!(answer.status(), StatusCode::NO_CONTENT);
//! assert_eq!(answer.headers()["access-control-allow-methods"], "PUT");
//!
//! // ...and the actual request reaches the handler and gets CORS headers.
//! let put = Request::put("/items").header("origin", "https://app.example.com").body(Body::empty()).unwrap();
//! let response = app.clone().oneshot(put).await.unwrap();
//! assert_eq!(response.headers()["access-control-allow-origin"], "https://app.example.com");
//! assert_eq!(response.headers()["vary"], "origin");
//!
//! // Another origin's preflight is refused (the policy's refusal style: 403 by default).
//! let evil = Request::options("/items")
//!     .header("origin", "https://evil.example")
//!     .header("access-control-request-method", "PUT")
//!     .body(Body::empty())
//!     .unwrap();
//! let refused = app.oneshot(evil).await.unwrap();
//! assert_eq!(refused.status(), StatusCode::FORBIDDEN);
//! assert!(refused.headers().get("access-control-allow-origin").is_none());
//! # }
//! ```
//!
//! ## What the layer does
//!
//! - **Non-CORS requests** (no `Origin`) go to the inner service; the response only gets
//!   `Vary: Origin` merged (unless the policy answers every origin alike), so caches keep
//!   answers for different origins apart.
//! - **Preflights** (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) are answered
//!   by the layer with the policy's `preflight_status` (204 unless set) and an empty body, unless
//!   the policy [forwards preflights](corsair_core::PolicyBuilder::forward_preflights) to an
//!   application that owns its `OPTIONS` routes; then the application answers and the layer
//!   puts the CORS headers on its answer. Other `OPTIONS` requests are ordinary requests.
//! - **Actual CORS requests** go to the inner service; its response, **whatever the status**
//!   (404s and 500s included, and answers made by inner middleware such as timeouts and body
//!   limits), gets the policy's headers. Errors the inner service returns as `Err` are not
//!   responses and pass through untouched: convert them to responses (axum's
//!   `HandleErrorLayer`) inside the CORS layer.
//! - **CORS headers set by the inner service are replaced, not doubled**: every
//!   `Access-Control-Allow-*`, `-Expose-Headers` and `-Max-Age` line the inner response carries
//!   is removed before the policy's are set, so the browser sees exactly one answer, the
//!   policy's. **`Vary` is merged**: the names the decision depends on are appended when
//!   missing, the inner service's names are kept, nothing is duplicated, `Vary: *` is left
//!   alone.
//! - **Refusals** follow the policy's [`RefusalStyle`]: answer refused preflights (and, with
//!   `RejectAll`, refused actual requests) with a status, or forward without CORS headers.
//!   Every refusal emits a [`tracing`] event (target `corsair_tower`, level INFO, fields `kind`,
//!   `reason`, `method`); in [debug mode](CorsLayer::debug) the response also carries
//!   `corsair-refusal: origin | method | header | private-network`, and when the layer
//!   [marks refusals](CorsLayer::mark_refusals) its extensions carry a [`Refused`] with the same
//!   kind, for services around the layer (a gateway's metrics and decision log).
//!
//! ## Building the layer
//!
//! `CorsLayer::new(policy)`, or `policy.layer()` with [`PolicyExt`] in scope (`Policy` lives in
//! `corsair-core`, which knows nothing of tower). Both take a `Policy` or an `Arc<Policy>`.
//!
//! ## Where to put it
//!
//! Outside everything that can answer a preflight before it: authentication (preflights never
//! carry credentials), routing's 405s, rate limits. On an axum `Router`, `.layer(...)` covers
//! every route and the fallback; for a per-route policy, give a nested router its own layer
//! (`Router::new().nest("/public", public.layer(CorsLayer::new(open)))`). For hyper, wrap the
//! service before `hyper_util::service::TowerToHyperService`. For tonic with gRPC-web from
//! browsers, `Server::builder().accept_http1(true).layer(cors).layer(GrpcWebLayer::new())`, with
//! a policy allowing `POST`, the request headers `content-type`, `x-grpc-web` and
//! `x-user-agent`, and exposing `grpc-status` and `grpc-message`.
//!
//! ## Hot reconfiguration
//!
//! [`CorsLayer::handle`] returns a [`PolicyHandle`]; [`PolicyHandle::set`] swaps the policy of
//! every service made from the layer, atomically. Each request is decided by one policy, loaded
//! once when it arrives: in-flight requests finish with the headers of the policy they started
//! with, and no response mixes two policies.
//!
//! ## Cost
//!
//! Deciding and applying allocate nothing for allowed requests: header values are precomputed
//! when the policy is built or are the request's own, and the few a forwarded request needs are
//! copied into a fixed-size [`CorsHeaders`](corsair_core::CorsHeaders) kept in the response
//! future (the decision borrows the request, which the inner service takes). The one exception
//! is a forwarded preflight under a credentialed `*` of request headers that sends several
//! `Access-Control-Request-Headers` lines: echoing the extra lines uses a `Vec`. An answer the
//! layer makes itself needs its own header map, like any response (two allocations): it is a
//! clone of a block the policy prepared when it was built
//! ([`Decision::answer_headers`](corsair_core::Decision::answer_headers)). Each service keeps its
//! own reference to the current policy, so a request reads one atomic and writes nothing shared.
//! `tests/allocations.rs` counts; `benches/cors.rs` compares with tower-http (docs/tower.md has the
//! numbers).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod file;
mod future;
mod handle;
mod layer;
mod refusal;
mod service;

pub use corsair_core::{ConfigErrors, IntoToken, Policy, PolicyBuilder, Refusal, RefusalKind, RefusalStyle};
pub use file::{load_policy, LoadError};
pub use future::ResponseFuture;
pub use handle::PolicyHandle;
pub use layer::{CorsLayer, PolicyExt};
pub use refusal::{Refused, MAX_REFUSAL_EVENTS_PER_SECOND, REFUSAL_HEADER, TARGET};
pub use service::Cors;
