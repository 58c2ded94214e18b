//! [`CorsLayer`]: a policy, ready to wrap services.

use std::fmt;
use std::sync::Arc;

use corsair_core::Policy;
use tower_layer::Layer;

use crate::handle::{PolicyHandle, Shared};
use crate::refusal::Marks;
use crate::service::Cors;

/// Wraps services in [`Cors`], deciding every request with one [`Policy`].
///
/// Build it from a validated policy (`CorsLayer::new(policy)`, `policy.layer()` with
/// [`PolicyExt`], or `policy.into()`); put it on an axum `Router` (`.layer(...)`), around a
/// hyper or tonic service, or on a nested router for a per-route policy.
/// [`CorsLayer::handle`] swaps the policy while serving.
#[derive(Clone)]
pub struct CorsLayer {
    shared: Shared,
    marks: Marks,
}

impl CorsLayer {
    /// A layer deciding with `policy` (a [`Policy`] or an `Arc<Policy>`).
    pub fn new(policy: impl Into<Arc<Policy>>) -> CorsLayer {
        CorsLayer { shared: Shared::new(policy.into()), marks: Marks::default() }
    }

    /// Debug mode (off by default): the response to a refused request carries
    /// `corsair-refusal: origin | method | header | private-network`, naming what the policy
    /// refused. Handy in development; it tells a prober what the policy checks, so leave it off
    /// in production (the `tracing` event says the same, server-side, in every mode).
    pub fn debug(mut self, yes: bool) -> CorsLayer {
        self.marks.header = yes;
        self
    }

    /// Marks refusals for the services around this layer (off by default): the response to
    /// every refused request, answered by the layer or by the inner service, carries a
    /// [`Refused`](crate::Refused) in its extensions, naming what the policy refused
    /// (`origin`, `method`, `header`, `private-network`). A gateway's metrics and decision log
    /// read it there; browsers never see it. Off, nothing is kept and nothing is inserted; on,
    /// a refused request's response gets its extensions map (one allocation if it had none), and
    /// allowed requests cost nothing more.
    pub fn mark_refusals(mut self, yes: bool) -> CorsLayer {
        self.marks.extension = yes;
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
        Cors::from_parts(inner, self.shared.clone(), self.marks)
    }
}

impl fmt::Debug for CorsLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CorsLayer")
            .field("policy", &**self.shared.load())
            .field("debug", &self.marks.header)
            .field("mark_refusals", &self.marks.extension)
            .finish()
    }
}

/// `policy.layer()`: a [`CorsLayer`] straight from a [`Policy`] (or an `Arc<Policy>`).
///
/// [`Policy`] lives in `corsair-core`, which knows nothing of tower; this trait, in scope with
/// `use corsair_tower::PolicyExt`, lets the layer read like the policy it applies.
///
/// ```
/// use axum::{routing::get, Router};
/// use corsair_tower::{Policy, PolicyExt};
///
/// let policy = Policy::builder().allow_origin("https://app.example.com").build().unwrap();
/// let layer = policy.layer();
/// assert_eq!(layer.policy().origins()[0].to_string(), "https://app.example.com");
/// let app: Router = Router::new().route("/", get(|| async { "hi" })).layer(layer);
/// # drop(app);
/// ```
pub trait PolicyExt: sealed::Sealed {
    /// The layer deciding every request with this policy: `CorsLayer::new(self)`.
    fn layer(self) -> CorsLayer;
}

impl PolicyExt for Policy {
    fn layer(self) -> CorsLayer {
        CorsLayer::new(self)
    }
}

impl PolicyExt for Arc<Policy> {
    fn layer(self) -> CorsLayer {
        CorsLayer::new(self)
    }
}

mod sealed {
    /// Only corsair's policy types get `layer()`, so the trait can grow without breaking anyone.
    pub trait Sealed {}
    impl Sealed for corsair_core::Policy {}
    impl Sealed for std::sync::Arc<corsair_core::Policy> {}
}
