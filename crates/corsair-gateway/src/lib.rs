//! # corsair-gateway
//!
//! Building blocks of `corsair proxy` (issue #5), each a pure or nearly pure piece that the HTTP
//! shell will call:
//!
//! - [`egress`]: the SSRF guard. Resolve, then refuse every address that is not public (by
//!   [`corsair_core::address`]) unless an explicit rule opens its range, and hand back the exact
//!   address that was checked, so the connection goes there and DNS cannot rebind in between.
//! - [`target`]: reading the upstream URL out of an open-proxy path (`/{absolute-url}`).
//! - [`ratelimit`]: per-client and per-`Origin` rate limits (GCRA) behind a store trait, so
//!   instances behind a load balancer can share one store.
//! - [`metrics`]: the Prometheus metrics (`/metrics`), lock-free and allocation-free to record.
//!
//! The proxy server itself (routes, streaming, pooling, TLS, reload) is not here yet.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod egress;
pub mod metrics;
pub mod ratelimit;
pub mod target;
