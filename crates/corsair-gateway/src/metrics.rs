//! The gateway's Prometheus metrics: lock-free counters, rendered as text exposition 0.0.4.
//!
//! Why not a Prometheus client library: the gateway has a dozen metrics whose label values
//! are all known at compile time (request kinds, refusal reasons, error kinds). An array of
//! atomics indexed by enum covers them, so recording is one relaxed `fetch_add` with no
//! allocation, no hashing and no lock on the request path; a client library's label maps
//! (`HashMap` of label sets behind a lock, label values as strings) pay for an openness we
//! must not have anyway, since every label value from a request would be a cardinality
//! attack. Rendering the text format is a hundred lines.
//!
//! ```
//! use corsair_gateway::metrics::{Kind, Metrics, Outcome, Reason};
//! use std::time::Duration;
//!
//! let metrics = Metrics::default();
//! metrics.request(Kind::Preflight, Outcome::Refused);
//! metrics.refusal(Reason::from_refusal_kind(corsair_core::RefusalKind::Origin).unwrap());
//! metrics.upstream(Duration::from_millis(42));
//! let mut text = String::new();
//! metrics.render(&mut text);
//! assert!(text.contains("corsair_requests_total{kind=\"preflight\",result=\"refused\"} 1\n"));
//! assert!(text.contains("corsair_refusals_total{reason=\"origin\"} 1\n"));
//! assert!(text.contains("corsair_upstream_duration_seconds_bucket{le=\"0.05\"} 1\n"));
//! ```

use std::fmt::{self, Write};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The `Content-Type` of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Defines a label enum: variants, their label values, `ALL` and `as_str`.
macro_rules! label_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            /// Every value, in the order they are rendered.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The label value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

label_enum! {
    /// How a request arrived, for `corsair_requests_total{kind}`.
    Kind {
        /// A CORS preflight (`OPTIONS` with `Access-Control-Request-Method`).
        Preflight => "preflight",
        /// A CORS request other than a preflight.
        Actual => "actual",
        /// No `Origin`: CORS has nothing to say, so these are always allowed.
        NotCors => "not_cors",
        /// A WebSocket upgrade (checked against the policy's origins).
        Websocket => "websocket",
    }
}

impl From<corsair_core::RequestKind> for Kind {
    fn from(kind: corsair_core::RequestKind) -> Kind {
        match kind {
            corsair_core::RequestKind::Preflight => Kind::Preflight,
            corsair_core::RequestKind::Actual => Kind::Actual,
            corsair_core::RequestKind::NotCors => Kind::NotCors,
        }
    }
}

label_enum! {
    /// Whether the gateway let a request through, for `corsair_requests_total{result}`.
    Outcome {
        /// Forwarded (or, for a preflight, answered with permission).
        Allowed => "allowed",
        /// Refused, for one of the [`Reason`]s.
        Refused => "refused",
        /// Let through, but the upstream failed it (a 502 or 504; see
        /// `corsair_upstream_errors_total`): an outage, not a refusal.
        Failed => "failed",
    }
}

label_enum! {
    /// Why a request was refused, for `corsair_refusals_total{reason}`: the core's
    /// [`RefusalKind`](corsair_core::RefusalKind)s, with the same labels, then the gateway's own.
    Reason {
        /// The origin is not allowed (or malformed, or repeated).
        Origin => "origin",
        /// The preflight's method is not allowed.
        Method => "method",
        /// A preflight's request header is not allowed.
        Header => "header",
        /// Private network access was asked for and is not allowed.
        PrivateNetwork => "private-network",
        /// A rate limit ran out.
        RateLimit => "rate_limit",
        /// The open proxy's target host is not allowed.
        Target => "target",
        /// The SSRF guard refused the upstream address.
        Egress => "egress",
        /// The request body is over the limit.
        BodyTooLarge => "body_too_large",
        /// Never counted: a timeout is an upstream outage, not a refusal (it counts as
        /// [`Outcome::Failed`] and in `corsair_upstream_errors_total{kind="timeout"}`). The series
        /// stays, at 0, for dashboards that read it.
        Timeout => "timeout",
    }
}

impl Reason {
    /// The reason for a refusal of the core's policy, whose label is the kind's own
    /// ([`RefusalKind::as_str`](corsair_core::RefusalKind::as_str)). `None` only for a kind a
    /// newer core adds before this enum names it (the metrics tests fail first).
    pub fn from_refusal_kind(kind: corsair_core::RefusalKind) -> Option<Reason> {
        use corsair_core::RefusalKind;
        match kind {
            RefusalKind::Origin => Some(Reason::Origin),
            RefusalKind::Method => Some(Reason::Method),
            RefusalKind::Header => Some(Reason::Header),
            RefusalKind::PrivateNetwork => Some(Reason::PrivateNetwork),
            _ => None,
        }
    }
}

label_enum! {
    /// How an upstream exchange failed without a response, for
    /// `corsair_upstream_errors_total{kind}`.
    UpstreamError {
        /// No connection: the name did not resolve, or the network is unreachable.
        Connect => "connect",
        /// No connection or no response head in time.
        Timeout => "timeout",
        /// The TLS handshake failed (certificate, protocol).
        Tls => "tls",
        /// The upstream refused: connection refused (nothing listening), reset, or a stream
        /// refused or closed before a response head.
        Refused => "refused",
    }
}

label_enum! {
    /// The result of a configuration reload, for `corsair_config_reloads_total{result}`.
    Reload {
        /// The new configuration is in use.
        Ok => "ok",
        /// The new configuration was rejected; the previous one stays.
        Error => "error",
    }
}

/// Log lines lost because stderr refused them or could not keep up. A static, not a field of
/// [`Metrics`]: the log is the process's, it starts before any server and outlives reloads.
static LOG_LINES_DROPPED: AtomicU64 = AtomicU64::new(0);

/// Counts one log line that was not written (stderr closed, full, or too slow), for
/// `corsair_log_lines_dropped_total`.
pub fn log_line_dropped() {
    LOG_LINES_DROPPED.fetch_add(1, Ordering::Relaxed);
}

/// How many log lines this process has dropped.
pub fn log_lines_dropped() -> u64 {
    LOG_LINES_DROPPED.load(Ordering::Relaxed)
}

/// Upper bounds of the upstream duration buckets, 1 ms to 30 s: nanoseconds, and the `le` text.
const BUCKETS: [(u64, &str); 14] = [
    (1_000_000, "0.001"),
    (2_500_000, "0.0025"),
    (5_000_000, "0.005"),
    (10_000_000, "0.01"),
    (25_000_000, "0.025"),
    (50_000_000, "0.05"),
    (100_000_000, "0.1"),
    (250_000_000, "0.25"),
    (500_000_000, "0.5"),
    (1_000_000_000, "1"),
    (2_500_000_000, "2.5"),
    (5_000_000_000, "5"),
    (10_000_000_000, "10"),
    (30_000_000_000, "30"),
];

/// A histogram of durations over [`BUCKETS`]. Each observation counts in its own bucket only
/// (the last slot is beyond 30 s); rendering accumulates, and derives `_count` from the same
/// snapshot, so `_count` always equals the `+Inf` bucket.
#[derive(Debug, Default)]
struct Histogram {
    counts: [AtomicU64; BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

impl Histogram {
    fn record(&self, d: Duration) {
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        // `le` is inclusive: the first bucket whose bound is at least the observation.
        let slot = BUCKETS.partition_point(|&(le, _)| le < nanos);
        self.counts[slot].fetch_add(1, Ordering::Relaxed);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }
}

/// Every metric of one gateway process. Share it behind an `Arc`; every method takes `&self`.
///
/// Recording is a relaxed atomic add: no lock, no allocation. Each refused request should be
/// counted twice, once in [`request`](Metrics::request) (as [`Outcome::Refused`]) and once
/// in [`refusal`](Metrics::refusal) with its reason.
#[derive(Debug)]
pub struct Metrics {
    // Indexed by the enums' discriminants, which run from 0 in declaration order (as `ALL`).
    requests: [[AtomicU64; Outcome::ALL.len()]; Kind::ALL.len()],
    refusals: [AtomicU64; Reason::ALL.len()],
    upstream: Histogram,
    upstream_errors: [AtomicU64; UpstreamError::ALL.len()],
    connections_open: AtomicI64,
    reloads: [AtomicU64; Reload::ALL.len()],
    rate_limit_store_errors: AtomicU64,
    version: &'static str,
}

impl Default for Metrics {
    /// All zero, with this crate's version in `corsair_build_info`.
    fn default() -> Metrics {
        Metrics {
            requests: Default::default(),
            refusals: Default::default(),
            upstream: Histogram::default(),
            upstream_errors: Default::default(),
            connections_open: AtomicI64::new(0),
            reloads: Default::default(),
            rate_limit_store_errors: AtomicU64::new(0),
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

impl Metrics {
    /// Counts one request. A request without `Origin` is never refused for CORS reasons; a
    /// refused [`Kind::NotCors`] (a rate limit, say) is still counted, and shown only once it
    /// happens.
    pub fn request(&self, kind: Kind, outcome: Outcome) {
        self.requests[kind as usize][outcome as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one refusal.
    pub fn refusal(&self, reason: Reason) {
        self.refusals[reason as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Records how long an upstream took to send its response head.
    pub fn upstream(&self, elapsed: Duration) {
        self.upstream.record(elapsed);
    }

    /// Counts an upstream exchange that ended without a response.
    pub fn upstream_error(&self, kind: UpstreamError) {
        self.upstream_errors[kind as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// A client connection opened; pair with [`connection_closed`](Metrics::connection_closed),
    /// or use [`track_connection`](Metrics::track_connection), which cannot forget to.
    pub fn connection_opened(&self) {
        self.connections_open.fetch_add(1, Ordering::Relaxed);
    }

    /// A client connection closed.
    pub fn connection_closed(&self) {
        self.connections_open.fetch_sub(1, Ordering::Relaxed);
    }

    /// Counts a connection as open until the returned guard is dropped (however the
    /// connection's task ends, early returns and panics included).
    pub fn track_connection(self: &Arc<Metrics>) -> OpenConnection {
        self.connection_opened();
        OpenConnection(Arc::clone(self))
    }

    /// Counts one configuration reload.
    pub fn config_reload(&self, result: Reload) {
        self.reloads[result as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one rate-limit check the store could not answer (Redis down, slow, or failing
    /// the script): the limiter then admitted or refused as `on_failure` says.
    pub fn rate_limit_store_error(&self) {
        self.rate_limit_store_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// How many rate-limit checks the store could not answer.
    pub fn rate_limit_store_errors(&self) -> u64 {
        self.rate_limit_store_errors.load(Ordering::Relaxed)
    }

    /// Appends every metric to `out` in the Prometheus text format 0.0.4 (serve it with
    /// [`CONTENT_TYPE`]). Every series of the closed label sets is present from the start, at 0,
    /// so rates and alerts work before the first event.
    pub fn render(&self, out: &mut String) {
        // Writing to a String cannot fail.
        let _ = self.write(out);
    }

    fn write(&self, out: &mut String) -> fmt::Result {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);

        family(out, "corsair_build_info", "gauge", "The gateway's version; always 1.")?;
        out.push_str("corsair_build_info{version=\"");
        escape_label(out, self.version);
        out.push_str("\"} 1\n");

        family(out, "corsair_requests_total", "counter", "Requests by CORS kind and whether they were let through.")?;
        for &kind in Kind::ALL {
            for &outcome in Outcome::ALL {
                let n = load(&self.requests[kind as usize][outcome as usize]);
                if kind == Kind::NotCors && outcome == Outcome::Refused && n == 0 {
                    continue;
                }
                writeln!(out, "corsair_requests_total{{kind=\"{kind}\",result=\"{outcome}\"}} {n}")?;
            }
        }

        family(out, "corsair_refusals_total", "counter", "Refused requests by reason.")?;
        for &reason in Reason::ALL {
            writeln!(out, "corsair_refusals_total{{reason=\"{reason}\"}} {}", load(&self.refusals[reason as usize]))?;
        }

        let name = "corsair_upstream_duration_seconds";
        family(out, name, "histogram", "Time from sending a request upstream to its response head.")?;
        let counts: [u64; BUCKETS.len() + 1] = std::array::from_fn(|i| load(&self.upstream.counts[i]));
        let mut cumulative = 0u64;
        for (&(_, le), count) in BUCKETS.iter().zip(counts) {
            cumulative += count;
            writeln!(out, "{name}_bucket{{le=\"{le}\"}} {cumulative}")?;
        }
        cumulative += counts[BUCKETS.len()];
        writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}")?;
        write!(out, "{name}_sum ")?;
        seconds(out, load(&self.upstream.sum_nanos))?;
        writeln!(out, "\n{name}_count {cumulative}")?;

        family(out, "corsair_upstream_errors_total", "counter", "Upstream exchanges that ended without a response.")?;
        for &kind in UpstreamError::ALL {
            let n = load(&self.upstream_errors[kind as usize]);
            writeln!(out, "corsair_upstream_errors_total{{kind=\"{kind}\"}} {n}")?;
        }

        family(out, "corsair_connections_open", "gauge", "Client connections open now.")?;
        writeln!(out, "corsair_connections_open {}", self.connections_open.load(Ordering::Relaxed))?;

        family(out, "corsair_config_reloads_total", "counter", "Configuration reloads by result.")?;
        for &result in Reload::ALL {
            let n = load(&self.reloads[result as usize]);
            writeln!(out, "corsair_config_reloads_total{{result=\"{result}\"}} {n}")?;
        }

        let help = "Rate-limit checks the store could not answer (answered as on_failure says).";
        family(out, "corsair_rate_limit_store_errors_total", "counter", help)?;
        writeln!(out, "corsair_rate_limit_store_errors_total {}", self.rate_limit_store_errors())?;

        let help = "Log lines not written because stderr was closed, full or too slow.";
        family(out, "corsair_log_lines_dropped_total", "counter", help)?;
        writeln!(out, "corsair_log_lines_dropped_total {}", log_lines_dropped())?;
        Ok(())
    }
}

/// Keeps a connection counted in `corsair_connections_open` until dropped.
#[derive(Debug)]
pub struct OpenConnection(Arc<Metrics>);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.connection_closed();
    }
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) -> fmt::Result {
    writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}")
}

/// A label value with `\`, `"` and newlines escaped, as the text format requires.
fn escape_label(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// Nanoseconds as exact decimal seconds (no float rounding): `1.5`, `0.000042`, `0`.
fn seconds(out: &mut String, nanos: u64) -> fmt::Result {
    let (whole, frac) = (nanos / 1_000_000_000, nanos % 1_000_000_000);
    if frac == 0 {
        return write!(out, "{whole}");
    }
    write!(out, "{whole}.{frac:09}")?;
    // A fraction is not zero, so trimming stops at one of its digits.
    out.truncate(out.trim_end_matches('0').len());
    Ok(())
}

#[cfg(test)]
mod tests;
