//! # corsair-gateway
//!
//! `corsair proxy`: a CORS gateway in front of any API. The protocol is corsair-core's and the
//! CORS middleware is corsair-tower's; this crate is the HTTP shell around them:
//!
//! - [`config`]: the `[proxy]` settings beside the policy in one TOML file, per-profile
//!   overrides, flags, every error located.
//! - [`server`]: listeners (TLS, HTTP/1.1 and HTTP/2, upgrades), connection limit, reload and
//!   graceful shutdown.
//! - [`service`]: one request: operations endpoints, route, CORS layer, decision log.
//! - [`relay`]: the HTTP/1.1 fast path: plain requests on plain connections, relayed as bytes
//!   with the core's decision; everything else goes to hyper.
//! - [`forward`]: the request to the upstream and the streamed answer; open-proxy rules.
//! - [`framing`]: where a request's body ends, and the framing both paths refuse (smuggling).
//! - [`connect`]: upstream connections through the SSRF guard, TLS with ALPN.
//! - [`egress`]: the SSRF guard. Resolve, then refuse every address that is not public (by
//!   [`corsair_core::address`]) unless an explicit rule opens its range, and hand back the exact
//!   address that was checked, so the connection goes there and DNS cannot rebind in between.
//! - [`loops`]: an upstream that is the proxy itself, refused at start and answered `508` per
//!   request (forwarded requests carry a `Via` mark of this server's own).
//! - [`target`]: reading the upstream URL out of an open-proxy path (`/{absolute-url}`).
//! - [`ratelimit`]: per-client and per-`Origin` rate limits (GCRA) behind a store trait, so
//!   instances behind a load balancer can share one store.
//! - [`metrics`]: the Prometheus metrics (`/metrics`), lock-free and allocation-free to record.
//! - [`body`]: the streamed response body type.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod answer;
pub mod body;
pub mod config;
pub mod connect;
pub mod egress;
pub mod forward;
pub mod framing;
pub mod loops;
pub mod metrics;
pub mod observe;
pub mod ratelimit;
pub mod relay;
pub mod rewrite;
pub mod route;
pub mod server;
pub mod service;
pub mod target;
pub mod upstream;

pub use config::{Config, Flags, Source};
pub use server::{Control, Server};
