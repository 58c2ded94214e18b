//! Making refusals visible: a `tracing` event for every refused request and, when the layer asks
//! for them, marks on the response: a debug header for people, an extension for code.
//!
//! A refused CORS request is invisible by default on both sides: the page only sees a failed
//! `fetch()`, and the server logs an ordinary response. The event says which origin, method or
//! header the policy refused; the header shows the same in the browser's network panel; the
//! [`Refused`] extension lets a service wrapped around the layer (a gateway's metrics and
//! decision log) count refusals without parsing anything.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use corsair_core::{Refusal, RefusalKind};
use http::{HeaderName, HeaderValue, Method, Response};

/// The debug header on refused requests' responses: `corsair-refusal: origin | method | header |
/// private-network` ([`RefusalKind::as_str`]). Only with [`CorsLayer::debug`](crate::CorsLayer::debug).
pub const REFUSAL_HEADER: HeaderName = HeaderName::from_static("corsair-refusal");

/// The `tracing` target of refusal events.
pub const TARGET: &str = "corsair_tower";

/// The mark a refused request's response carries in its
/// [extensions](http::Response::extensions) when the layer
/// [marks refusals](crate::CorsLayer::mark_refusals), whether the layer answered it or the inner
/// service did. Allowed and non-CORS requests' responses never carry one.
///
/// ```
/// use corsair_tower::{CorsLayer, Policy, RefusalKind, Refused};
/// use http::{Request, Response};
/// use tower::{service_fn, Layer, ServiceExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let policy = Policy::builder().allow_origin("https://app.example.com").build().unwrap();
/// let app = service_fn(|_: Request<()>| async { Ok::<_, std::convert::Infallible>(Response::new(String::new())) });
/// let service = CorsLayer::new(policy).mark_refusals(true).layer(app);
///
/// let evil = Request::get("/").header("origin", "https://evil.example").body(()).unwrap();
/// let response = service.oneshot(evil).await.unwrap();
/// // A gateway around the layer counts it, without parsing headers.
/// let refused = response.extensions().get::<Refused>().map(|r| r.kind);
/// assert_eq!(refused, Some(RefusalKind::Origin));
/// assert_eq!(refused.map(RefusalKind::as_str), Some("origin"));
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Refused {
    /// What the policy refused ([`Refusal::kind`]); [`RefusalKind::as_str`] gives the label
    /// (`origin`, `method`, `header`, `private-network`).
    pub kind: RefusalKind,
}

impl From<&Refusal<'_>> for Refused {
    fn from(refusal: &Refusal<'_>) -> Refused {
        Refused { kind: refusal.kind() }
    }
}

/// Which marks refused requests' responses get; chosen on the layer, off by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Marks {
    /// [`REFUSAL_HEADER`] ([`CorsLayer::debug`](crate::CorsLayer::debug)).
    pub(crate) header: bool,
    /// [`Refused`] ([`CorsLayer::mark_refusals`](crate::CorsLayer::mark_refusals)).
    pub(crate) extension: bool,
}

impl Marks {
    /// True if refusals are marked at all (so there is a kind to keep).
    pub(crate) fn any(self) -> bool {
        self.header || self.extension
    }

    /// Marks `response` as the answer to a refused request of `kind`.
    pub(crate) fn apply<B>(self, kind: RefusalKind, response: &mut Response<B>) {
        if self.header {
            response.headers_mut().insert(REFUSAL_HEADER, HeaderValue::from_static(kind.as_str()));
        }
        if self.extension {
            response.extensions_mut().insert(Refused { kind });
        }
    }
}

/// Most refusal events one layer emits per second. A flood of forged origins must not become a
/// log flood (each event carries a client-chosen origin, and costs several times an allowed
/// request with a subscriber on); the next event after a full second says how many were
/// suppressed, and counting every refusal is the job of metrics ([`Refused`]).
pub const MAX_REFUSAL_EVENTS_PER_SECOND: u32 = 100;

/// The refusal events a layer may still emit in the current second, and how many it did not.
#[derive(Debug, Default)]
pub(crate) struct EventBudget {
    /// The second (since the process's first refusal) the count is for.
    second: AtomicU64,
    used: AtomicU32,
    suppressed: AtomicU64,
}

impl EventBudget {
    /// `Some(suppressed)` if an event may be emitted now (with how many were suppressed since
    /// the last one), `None` if this one is suppressed.
    fn take(&self) -> Option<u64> {
        static START: OnceLock<Instant> = OnceLock::new();
        let now = START.get_or_init(Instant::now).elapsed().as_secs();
        let second = self.second.load(Ordering::Relaxed);
        if second != now && self.second.compare_exchange(second, now, Ordering::Relaxed, Ordering::Relaxed).is_ok() {
            self.used.store(0, Ordering::Relaxed);
        }
        if self.used.fetch_add(1, Ordering::Relaxed) < MAX_REFUSAL_EVENTS_PER_SECOND {
            Some(self.suppressed.swap(0, Ordering::Relaxed))
        } else {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            None
        }
    }
}

/// Emits the refusal event: level INFO, target [`TARGET`], fields `kind` ([`RefusalKind::as_str`]),
/// `reason` (its `Display`, escaped and cut to a bounded length), `method`, and `suppressed`
/// (events left out since the last one, at most [`MAX_REFUSAL_EVENTS_PER_SECOND`] a second).
/// Nothing is counted or formatted when no subscriber records the event.
pub(crate) fn report(budget: &EventBudget, refusal: &Refusal<'_>, method: &Method) {
    if !tracing::enabled!(target: "corsair_tower", tracing::Level::INFO) {
        return;
    }
    let Some(suppressed) = budget.take() else { return };
    tracing::info!(
        target: "corsair_tower",
        kind = refusal.kind().as_str(),
        reason = %refusal,
        method = %method,
        suppressed,
        "CORS request refused"
    );
}
