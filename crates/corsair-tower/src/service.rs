//! [`Cors`]: the service that decides each request and follows the decision.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use arc_swap::Cache;
use corsair_core::{Action, Policy};
use http::{Request, Response};
use tower_service::Service;

use crate::future::ResponseFuture;
use crate::handle::{PolicyHandle, Shared};
use crate::refusal::{self, Marks};

/// The CORS middleware: see the [crate documentation](crate).
///
/// Per request it loads the current policy, calls [`Policy::decide`] on the method and headers,
/// and follows [`Action`]: `Respond` answers with an empty `ResBody::default()` body, the
/// decision's headers and `Vary`; `Forward` calls the inner service and puts the decision's
/// headers on whatever it returns (any status), replacing CORS headers the inner service set.
#[derive(Clone)]
pub struct Cors<S> {
    inner: S,
    /// The slot every service of a layer shares, for handles.
    shared: Shared,
    /// This service's copy of the slot's policy. Checking that it is current is one relaxed
    /// atomic load; `ArcSwap::load` would write to a per-thread debt list on every request.
    policy: Cache<Shared, Arc<Policy>>,
    marks: Marks,
}

impl<S> Cors<S> {
    /// Wraps `inner` with `policy` (refusals unmarked: no debug header, no [`Refused`]
    /// extension); [`CorsLayer`](crate::CorsLayer) is the usual way.
    ///
    /// [`Refused`]: crate::Refused
    pub fn new(inner: S, policy: impl Into<Arc<Policy>>) -> Cors<S> {
        Cors::from_parts(inner, Shared::new(policy.into()), Marks::default())
    }

    pub(crate) fn from_parts(inner: S, shared: Shared, marks: Marks) -> Cors<S> {
        Cors { inner, policy: Cache::new(shared.clone()), shared, marks }
    }

    /// A handle that swaps this service's policy (shared with the layer it came from).
    pub fn handle(&self) -> PolicyHandle {
        PolicyHandle { shared: self.shared.clone() }
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Cors<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Default,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        // One policy per request: the decision, and so every header of the response, comes
        // from the policy current when the request arrived, even if a swap happens while the
        // inner service works.
        let policy = self.policy.load();
        let decision = policy.decide(&request);
        if let Some(refusal) = decision.refusal() {
            refusal::report(self.shared.events(), refusal, request.method());
        }
        // The kind of a refusal, kept only when refusals are marked (off by default).
        let refused = if self.marks.any() { decision.refusal().map(|r| r.kind()) } else { None };
        match decision.action() {
            Action::Respond(status) => {
                let mut response = Response::new(ResBody::default());
                *response.status_mut() = status;
                // The core builds the answer's map (for an allowed preflight, a clone of a block
                // prepared with the policy).
                let headers = response.headers_mut();
                *headers = decision.answer_headers();
                if let Some(kind) = refused {
                    self.marks.apply(kind, &mut response);
                }
                ResponseFuture::answered(response)
            }
            Action::Forward => {
                // The decision borrows the request, which goes to the inner service: keep an
                // owned copy of the headers (no allocation).
                let cors = decision.to_headers();
                let marks = refused.map(|kind| (self.marks, kind));
                ResponseFuture::forwarded(self.inner.call(request), cors, marks)
            }
        }
    }
}

impl<S: fmt::Debug> fmt::Debug for Cors<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cors")
            .field("inner", &self.inner)
            .field("policy", &**self.shared.load())
            .field("debug", &self.marks.header)
            .field("mark_refusals", &self.marks.extension)
            .finish()
    }
}
