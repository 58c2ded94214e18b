//! # corsair-gateway
//!
//! `corsair proxy`: a CORS gateway in front of any API. The protocol is corsair-core's and the
//! CORS middleware is corsair-tower's; this crate is the HTTP shell around them. What an
//! embedder touches:
//!
//! - [`config`]: the `[proxy]` settings beside the policy in one TOML file, per-profile
//!   overrides, flags, every error located ([`config::load`] -> [`Config`]).
//! - [`server`]: [`Server`] binds and serves (TLS, HTTP/1.1 and HTTP/2, upgrades, connection
//!   limit, graceful shutdown); [`Control`] reloads and stops it.
//! - [`metrics`]: the Prometheus metrics (`/metrics`), lock-free and allocation-free to record.
//! - [`ratelimit`] and [`egress`]: the rate limits and the SSRF guard a [`Config`] holds.
//!
//! Inside, every arrow points down (`tests/modules.rs` checks there is no cycle):
//!
//! ```text
//! server      listeners, TLS, lifecycle, Control
//!   service     one request: operations paths, route, CORS layer, decision log
//!     forward     hyper's path, in named steps      relay/   the HTTP/1.1 fast path
//!       rewrite     header rules over a HeaderSink  route    what a route's requests share
//!       answer      the gateway's own answers       upstream hyper's client
//!         pool        idle upstream connections of both paths, the rules for reusing them
//!           observe (logs, counts) metrics  body  connect  egress  loops  framing  target  ratelimit/
//!             config/   file, flags, environment -> typed Config
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod answer;
mod body;
pub mod config;
mod connect;
pub mod egress;
mod forward;
mod framing;
mod loops;
pub mod metrics;
mod observe;
mod pool;
pub mod ratelimit;
mod relay;
mod rewrite;
mod route;
pub mod server;
mod service;
mod target;
mod upstream;

pub use config::{Config, Flags, Source};
pub use server::{Control, Server};
pub use service::{HEALTH_PATH, METRICS_PATH};

/// Entry points for the fuzz targets (`fuzz/`), their stable smoke tests and the doc examples
/// of the parsers that read untrusted bytes: not part of the API, and may change at any time.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::relay::{chunked, head};

    /// The request framing rules of both paths.
    pub mod framing {
        pub use crate::framing::{check, Body, FramingCheck, Line, Malformed};
    }

    /// The open proxy's `/{absolute-url}` paths.
    pub mod target {
        pub use crate::target::{parse, TargetError};
    }
}
