//! What both request paths (hyper's and the relay) tell the operator about a request: the
//! forwarder's [`Outcome`], the decision log line ([`LogLine`], target `corsair::decision`) and
//! the request counters ([`record`]). One module, so a request counts and logs the same
//! whichever path served it.

use std::time::{Duration, Instant};

use corsair_core::{RefusalKind, RequestKind};
use http::HeaderValue;

use crate::metrics::{self, Kind, Metrics, Reason, UpstreamError};

/// What one forwarded request looked like, for the decision log and metrics.
#[derive(Clone, Copy, Debug, Default)]
pub struct Outcome {
    /// Time to the upstream's response head, when the upstream was asked.
    pub upstream: Option<Duration>,
    /// Why the gateway answered instead of the upstream.
    pub refused: Option<GatewayRefusal>,
}

/// The gateway's own refusals and failures (the CORS refusals are the core's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GatewayRefusal {
    /// Open mode: the target host is not allowed, or the path is not a target URL.
    Target,
    /// The SSRF guard refused the destination.
    Egress,
    /// Open mode: too many requests from this client or origin.
    RateLimit,
    /// Open mode: no `Origin`, or one the policy does not list; WebSocket from such an origin.
    Origin,
    /// The request body is larger than the limit.
    BodyTooLarge,
    /// The request body could not be read: malformed framing, or cut off.
    RequestBody,
    /// No upstream response head in time.
    Timeout,
    /// The upstream could not be reached or broke the exchange.
    Upstream(UpstreamError),
}

impl GatewayRefusal {
    /// A short label for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            GatewayRefusal::Target => "target",
            GatewayRefusal::Egress => "egress",
            GatewayRefusal::RateLimit => "rate_limit",
            GatewayRefusal::Origin => "origin",
            GatewayRefusal::BodyTooLarge => "body_too_large",
            GatewayRefusal::RequestBody => "request_body",
            GatewayRefusal::Timeout => "timeout",
            GatewayRefusal::Upstream(_) => "upstream",
        }
    }

    /// The metrics reason, for refusals that are the gateway's policy rather than failures.
    pub fn reason(self) -> Option<Reason> {
        match self {
            GatewayRefusal::Target => Some(Reason::Target),
            GatewayRefusal::Egress => Some(Reason::Egress),
            GatewayRefusal::RateLimit => Some(Reason::RateLimit),
            GatewayRefusal::Origin => Some(Reason::Origin),
            GatewayRefusal::BodyTooLarge => Some(Reason::BodyTooLarge),
            GatewayRefusal::Timeout => Some(Reason::Timeout),
            // The client's mistake, not a policy's decision.
            GatewayRefusal::RequestBody | GatewayRefusal::Upstream(_) => None,
        }
    }
}

/// Counts an upstream failure or timeout in the metrics (the forwarder's own count).
pub fn count_failure(metrics: &Metrics, outcome: &Outcome) {
    match outcome.refused {
        Some(GatewayRefusal::Upstream(e)) => metrics.upstream_error(e),
        Some(GatewayRefusal::Timeout) => metrics.upstream_error(UpstreamError::Timeout),
        _ => {}
    }
}

/// One request in the decision log, as the service and the relay write it.
#[derive(Clone, Copy)]
pub(crate) struct LogLine<'a> {
    pub route: &'a str,
    pub method: &'a http::Method,
    pub path: &'a str,
    pub origin: Option<&'a HeaderValue>,
    pub kind: RequestKind,
    pub status: u16,
    /// Why the gateway or the policy refused it.
    pub refused: Option<&'static str>,
    /// Report-only mode: the refusal kind and reason the policy would have given.
    pub would_refuse: Option<(RefusalKind, &'a str)>,
    pub started: Instant,
    pub upstream: Option<Duration>,
}

impl LogLine<'_> {
    /// Logs refusals at info level, upstream failures at warn, everything else at debug.
    pub(crate) fn write(&self) {
        self.write_with_reason(None);
    }

    /// [`write`](LogLine::write), naming the policy's `reason` for a refusal.
    pub(crate) fn write_with_reason(&self, reason: Option<&str>) {
        let LogLine { route, method, path, status, refused, would_refuse, .. } = *self;
        // Field values are worked out only when the event is enabled (most requests log nothing).
        let origin = || self.origin.map(|o| String::from_utf8_lossy(o.as_bytes()).into_owned());
        let ms = || millis(self.started.elapsed());
        let upstream_ms = || self.upstream.map(millis);
        let kind = match self.kind {
            RequestKind::NotCors => "not_cors",
            RequestKind::Preflight => "preflight",
            RequestKind::Actual => "actual",
        };
        if let Some(error) = refused.filter(|r| is_outage(r)) {
            // Not a refusal: the request was let through and the upstream failed it.
            tracing::warn!(
                target: "corsair::decision",
                route, %method, path, origin = origin(), kind, status, error,
                ms = ms(), upstream_ms = upstream_ms(), "upstream failed"
            );
        } else if refused.is_some() {
            tracing::info!(
                target: "corsair::decision",
                route, %method, path, origin = origin(), kind, status, refused, reason,
                ms = ms(), upstream_ms = upstream_ms(), "request refused"
            );
        } else if let Some((would_refuse, reason)) = would_refuse {
            let would_refuse = would_refuse.as_str();
            tracing::info!(
                target: "corsair::decision",
                route, %method, path, origin = origin(), kind, status, would_refuse, reason,
                ms = ms(), upstream_ms = upstream_ms(), "request would be refused (report-only: forwarded)"
            );
        } else {
            tracing::debug!(
                target: "corsair::decision",
                route, %method, path, origin = origin(), kind, status, ms = ms(),
                upstream_ms = upstream_ms(), "request"
            );
        }
    }
}

/// A duration in milliseconds, to a tenth: log lines do not need nanoseconds.
fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e4).round() / 10.0
}

/// Whether a [`GatewayRefusal`] label (as [`LogLine::refused`] holds it) is an upstream outage
/// (502, 504), not a refusal.
fn is_outage(label: &str) -> bool {
    label == GatewayRefusal::Timeout.as_str() || label == GatewayRefusal::Upstream(UpstreamError::Refused).as_str()
}

/// Counts one request in the metrics. `outcome` is the forwarder's, present when it refused or
/// the decision log is at debug level; an allowed request without one counts as allowed, one the
/// upstream failed (502, 504) as failed, not refused.
pub(crate) fn record(m: &Metrics, kind: RequestKind, websocket: bool, outcome: &Outcome, cors: Option<RefusalKind>) {
    let kind = if websocket { Kind::Websocket } else { Kind::from(kind) };
    if cors.is_none()
        && outcome.refused.is_some_and(|r| matches!(r, GatewayRefusal::Timeout | GatewayRefusal::Upstream(_)))
    {
        m.request(kind, metrics::Outcome::Failed);
        return;
    }
    let reason = cors.and_then(Reason::from_refusal_kind).or_else(|| outcome.refused.and_then(GatewayRefusal::reason));
    m.request(kind, if reason.is_some() { metrics::Outcome::Refused } else { metrics::Outcome::Allowed });
    if let Some(reason) = reason {
        m.refusal(reason);
    }
    // Upstream latency and errors are counted by the forwarder, which knows them first.
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_logged_in_milliseconds_to_a_tenth() {
        use Duration;
        assert_eq!(millis(Duration::from_nanos(1_234_567)).to_string(), "1.2");
        assert_eq!(millis(Duration::from_micros(250)).to_string(), "0.3");
        assert_eq!(millis(Duration::from_secs(2)).to_string(), "2000");
    }

    #[test]
    fn upstream_failures_are_outages_and_policy_refusals_are_not() {
        assert!(is_outage(GatewayRefusal::Timeout.as_str()));
        assert!(is_outage(GatewayRefusal::Upstream(UpstreamError::Connect).as_str()));
        for r in
            [GatewayRefusal::Target, GatewayRefusal::Egress, GatewayRefusal::RateLimit, GatewayRefusal::BodyTooLarge]
        {
            assert!(!is_outage(r.as_str()), "{r:?}");
        }
        let m = Metrics::default();
        let outcome = Outcome { upstream: None, refused: Some(GatewayRefusal::Upstream(UpstreamError::Refused)) };
        record(&m, RequestKind::Actual, false, &outcome, None);
        let mut text = String::new();
        m.render(&mut text);
        assert!(text.contains("corsair_requests_total{kind=\"actual\",result=\"failed\"} 1\n"), "{text}");
        assert!(text.contains("corsair_requests_total{kind=\"actual\",result=\"refused\"} 0\n"), "{text}");
    }
}
