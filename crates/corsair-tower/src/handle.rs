//! Hot reconfiguration: swap the policy of a running server.
//!
//! Every service a [`CorsLayer`](crate::CorsLayer) makes (and every clone of them) reads the
//! policy from one shared slot. [`PolicyHandle::set`] replaces it atomically: requests that
//! arrive afterwards are decided by the new policy, requests already in flight finish with the
//! headers of the policy they were decided by, and no response mixes the two. Readers neither
//! lock nor allocate: each service keeps its own reference to the current policy and checks
//! that it is still current with one relaxed atomic load per request ([`arc_swap::Cache`]), so
//! requests on different cores never write to shared memory. (A service that sits idle keeps
//! the policy it last used alive until its next request or until it is dropped.)

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use arc_swap::ArcSwap;
use corsair_core::Policy;

use crate::refusal::EventBudget;

/// What every service of a layer shares: the policy slot and the budget of refusal events.
/// One `Arc` for both, so a service clone (axum makes one per request) costs what it did.
#[derive(Clone)]
pub(crate) struct Shared(Arc<State>);

pub(crate) struct State {
    policy: ArcSwap<Policy>,
    events: EventBudget,
}

impl Shared {
    pub(crate) fn new(policy: Arc<Policy>) -> Shared {
        Shared(Arc::new(State { policy: ArcSwap::new(policy), events: EventBudget::default() }))
    }

    /// The refusal events this layer may still emit this second.
    pub(crate) fn events(&self) -> &EventBudget {
        &self.0.events
    }
}

/// The slot, for `arc_swap::Cache` and the handle.
impl Deref for Shared {
    type Target = ArcSwap<Policy>;

    fn deref(&self) -> &ArcSwap<Policy> {
        &self.0.policy
    }
}

/// A cheap, cloneable handle to the policy of a [`CorsLayer`](crate::CorsLayer) and every
/// service made from it.
///
/// ```
/// use corsair_tower::{CorsLayer, Policy};
///
/// let layer = CorsLayer::new(Policy::builder().allow_origin("https://a.example").build().unwrap());
/// let handle = layer.handle();
/// // ... serve with `layer`; later, from a reload task:
/// handle.set(Policy::builder().allow_origin("https://b.example").build().unwrap());
/// assert_eq!(handle.current().origins()[0].to_string(), "https://b.example");
/// ```
#[derive(Clone)]
pub struct PolicyHandle {
    pub(crate) shared: Shared,
}

impl PolicyHandle {
    /// Makes `policy` the one new requests are decided by. A policy is validated when it is
    /// built, so swapping cannot fail.
    pub fn set(&self, policy: impl Into<Arc<Policy>>) {
        self.shared.store(policy.into());
    }

    /// The policy new requests are decided by now.
    pub fn current(&self) -> Arc<Policy> {
        self.shared.load_full()
    }
}

impl fmt::Debug for PolicyHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PolicyHandle").field("current", &**self.shared.load()).finish()
    }
}
