//! [`CorsLayer`]: a policy, ready to wrap services.

use std::fmt;
use std::sync::Arc;

use arc_swap::ArcSwap;
use corsair_core::Policy;
use tower_layer::Layer;

use crate::handle::{PolicyHandle, Shared};
use crate::service::Cors;

/// Wraps services in [`Cors`], deciding every request with one [`Policy`].
///
/// Build it from a validated policy (`CorsLayer::new(policy)` or `policy.into()`); put it on an
/// axum `Router` (`.layer(...)`), around a hyper or tonic service, or on a nested router for a
/// per-route policy. [`CorsLayer::handle`] swaps the policy while serving.
#[derive(Clone)]
pub struct CorsLayer {
    shared: Shared,
    debug: bool,
}

impl CorsLayer {
    /// A layer deciding with `policy` (a [`Policy`] or an `Arc<Policy>`).
    pub fn new(policy: impl Into<Arc<Policy>>) -> CorsLayer {
        CorsLayer { shared: Arc::new(ArcSwap::new(policy.into())), debug: false }
    }

    /// Debug mode (off by default): the response to a refused request carries
    /// `corsair-refusal: origin | method | header | private-network`, naming what the policy
    /// refused. Handy in development; it tells a prober what the policy checks, so leave it off
    /// in production (the `tracing` event says the same, server-side, in every mode).
    pub fn debug(mut self, yes: bool) -> CorsLayer {
        self.debug = yes;
        self
    }

    /// A handle that swaps the policy of this layer and of every service made from it, while
    /// they serve.
    pub fn handle(&self) -> PolicyHandle {
        PolicyHandle { shared: self.shared.clone() }
    }

    /// The policy new requests are decided by.
    pub fn policy(&self) -> Arc<Policy> {
        self.shared.load_full()
    }
}

impl From<Policy> for CorsLayer {
    fn from(policy: Policy) -> CorsLayer {
        CorsLayer::new(policy)
    }
}

impl From<Arc<Policy>> for CorsLayer {
    fn from(policy: Arc<Policy>) -> CorsLayer {
        CorsLayer::new(policy)
    }
}

impl<S> Layer<S> for CorsLayer {
    type Service = Cors<S>;

    fn layer(&self, inner: S) -> Cors<S> {
        Cors::from_parts(inner, self.shared.clone(), self.debug)
    }
}

impl fmt::Debug for CorsLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CorsLayer").field("policy", &**self.shared.load()).field("debug", &self.debug).finish()
    }
}
