//! Making refusals visible: a `tracing` event for every refused request, and in debug mode a
//! response header naming the reason.
//!
//! A refused CORS request is invisible by default on both sides: the page only sees a failed
//! `fetch()`, and the server logs an ordinary response. The event says which origin, method or
//! header the policy refused; the header shows the same in the browser's network panel.

use corsair_core::Refusal;
use http::{HeaderName, Method};

/// The debug header on refused requests' responses: `corsair-refusal: origin | method | header |
/// private-network` ([`Refusal::kind`]). Only with [`CorsLayer::debug`](crate::CorsLayer::debug).
pub const REFUSAL_HEADER: HeaderName = HeaderName::from_static("corsair-refusal");

/// The `tracing` target of refusal events.
pub const TARGET: &str = "corsair_tower";

/// Emits the refusal event: level INFO, target [`TARGET`], fields `kind` ([`Refusal::kind`]),
/// `reason` (its `Display`, escaped and cut to a bounded length) and `method`. The reason is
/// only formatted when a subscriber records the event.
pub(crate) fn report(refusal: &Refusal<'_>, method: &Method) {
    tracing::info!(
        target: "corsair_tower",
        kind = refusal.kind(),
        reason = %refusal,
        method = %method,
        "CORS request refused"
    );
}
