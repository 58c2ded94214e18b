//! The rendered text read back by a strict reader of the exposition format 0.0.4, and the
//! counters checked under concurrent use.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use corsair_core::{Refusal, RequestKind};

use super::*;

/// One sample: metric name, labels in order, value.
type Sample = (String, Vec<(String, String)>, f64);

/// A strict reader of the text format: every line is `# HELP`, `# TYPE` or a sample of the
/// family last typed; names and labels follow the grammar; histograms are cumulative and
/// consistent. Returns the samples, or the first violation with its line.
fn read(text: &str) -> Result<Vec<Sample>, String> {
    let body = text.strip_suffix('\n').ok_or("the text must end with a newline")?;
    let mut samples = Vec::new();
    let (mut helped, mut typed) = (HashSet::new(), HashMap::new());
    let mut family: Option<(String, String)> = None;
    let mut series = HashSet::new();
    for (n, line) in body.split('\n').enumerate() {
        let at = |e: String| format!("line {}: {e}: {line}", n + 1);
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').ok_or_else(|| at("HELP without text".into()))?;
            metric_name(name).map_err(at)?;
            let mut chars = help.chars();
            while let Some(c) = chars.next() {
                if c == '\\' && !matches!(chars.next(), Some('\\' | 'n')) {
                    return Err(at("HELP escapes only \\\\ and \\n".into()));
                }
            }
            if !helped.insert(name.to_owned()) {
                return Err(at("second HELP".into()));
            }
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').ok_or_else(|| at("TYPE without type".into()))?;
            metric_name(name).map_err(at)?;
            if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind) {
                return Err(at(format!("unknown type {kind}")));
            }
            if !helped.contains(name) || typed.insert(name.to_owned(), kind.to_owned()).is_some() {
                return Err(at("TYPE must follow HELP, once".into()));
            }
            family = Some((name.to_owned(), kind.to_owned()));
        } else if line.starts_with('#') || line.is_empty() {
            return Err(at("stray line".into()));
        } else {
            let (name, labels, value) = sample(line).map_err(at)?;
            let (fam, kind) = family.as_ref().ok_or_else(|| at("sample before TYPE".into()))?;
            let belongs = match kind.as_str() {
                "histogram" => ["_bucket", "_sum", "_count"].iter().any(|s| name == format!("{fam}{s}")),
                _ => name == *fam,
            };
            if !belongs {
                return Err(at(format!("sample of another family than {fam}")));
            }
            if kind == "counter" && !name.ends_with("_total") {
                return Err(at("counter names end in _total".into()));
            }
            if (kind == "counter" || name.ends_with("_bucket") || name.ends_with("_count")) && value < 0.0 {
                return Err(at("negative count".into()));
            }
            if !series.insert(format!("{name}{labels:?}")) {
                return Err(at("duplicate series".into()));
            }
            samples.push((name, labels, value));
        }
    }
    for (fam, kind) in &typed {
        if kind == "histogram" {
            histogram(fam, &samples)?;
        }
    }
    Ok(samples)
}

fn metric_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':');
    if first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
        Ok(())
    } else {
        Err(format!("bad metric name `{name}`"))
    }
}

fn sample(line: &str) -> Result<Sample, String> {
    let name_end = line.find(['{', ' ']).ok_or("no value")?;
    let name = &line[..name_end];
    metric_name(name)?;
    let mut rest = &line[name_end..];
    let mut labels = Vec::new();
    if let Some(inner) = rest.strip_prefix('{') {
        rest = inner;
        loop {
            if let Some(after) = rest.strip_prefix('}') {
                rest = after;
                break;
            }
            let (label, after) = rest.split_once("=\"").ok_or("label without =\"")?;
            let mut chars = label.chars();
            if !chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
                || label.starts_with("__")
            {
                return Err(format!("bad label name `{label}`"));
            }
            let mut value = String::new();
            let mut chars = after.char_indices();
            let end = loop {
                match chars.next().ok_or("unterminated label value")? {
                    (i, '"') => break i,
                    (_, '\\') => match chars.next().ok_or("dangling escape")?.1 {
                        '\\' => value.push('\\'),
                        '"' => value.push('"'),
                        'n' => value.push('\n'),
                        c => return Err(format!("bad escape \\{c}")),
                    },
                    (_, '\n') => return Err("raw newline in label value".into()),
                    (_, c) => value.push(c),
                }
            };
            if labels.iter().any(|(l, _)| l == label) {
                return Err(format!("label `{label}` repeated"));
            }
            labels.push((label.to_owned(), value));
            rest = &after[end + 1..];
            rest = rest.strip_prefix(',').unwrap_or(rest);
        }
    }
    let value = rest.strip_prefix(' ').ok_or("no space before the value")?;
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        v => v.parse::<f64>().map_err(|_| format!("bad value `{v}` (timestamps are not written)"))?,
    };
    Ok((name.to_owned(), labels, value))
}

/// Buckets ascend in `le` and in count, end in `+Inf`, and `_count` equals it.
fn histogram(fam: &str, samples: &[Sample]) -> Result<(), String> {
    let bucket = format!("{fam}_bucket");
    let mut previous = (f64::NEG_INFINITY, 0.0);
    let mut inf = None;
    for (_, labels, count) in samples.iter().filter(|s| s.0 == bucket) {
        let [(l, le)] = labels.as_slice() else { return Err(format!("{bucket} needs exactly an le label")) };
        let le: f64 = if le == "+Inf" { f64::INFINITY } else { le.parse().map_err(|_| format!("le `{le}`"))? };
        if l != "le" || le <= previous.0 || *count < previous.1 {
            return Err(format!("{bucket} not cumulative at le={le}"));
        }
        previous = (le, *count);
        if le.is_infinite() {
            inf = Some(*count);
        }
    }
    let inf = inf.ok_or(format!("{bucket} has no +Inf"))?;
    let count = value(samples, &format!("{fam}_count"), &[]);
    let sum = value(samples, &format!("{fam}_sum"), &[]);
    if count != inf || sum.is_nan() {
        return Err(format!("{fam}_count {count} differs from +Inf {inf}"));
    }
    Ok(())
}

fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let found = samples.iter().find(|(n, l, _)| {
        n == name && l.len() == labels.len() && l.iter().zip(labels).all(|((a, b), (c, d))| a == c && b == d)
    });
    found.unwrap_or_else(|| panic!("no sample {name}{labels:?}")).2
}

fn rendered(metrics: &Metrics) -> Vec<Sample> {
    let mut text = String::new();
    metrics.render(&mut text);
    read(&text).unwrap_or_else(|e| panic!("{e}\n\n{text}"))
}

// The format -------------------------------------------------------------------------------------

#[test]
fn a_fresh_registry_renders_every_series_at_zero() {
    let samples = rendered(&Metrics::default());
    assert_eq!(value(&samples, "corsair_build_info", &[("version", env!("CARGO_PKG_VERSION"))]), 1.0);
    for &kind in Kind::ALL {
        assert_eq!(value(&samples, "corsair_requests_total", &[("kind", kind.as_str()), ("result", "allowed")]), 0.0);
    }
    for &reason in Reason::ALL {
        assert_eq!(value(&samples, "corsair_refusals_total", &[("reason", reason.as_str())]), 0.0);
    }
    for &kind in UpstreamError::ALL {
        assert_eq!(value(&samples, "corsair_upstream_errors_total", &[("kind", kind.as_str())]), 0.0);
    }
    assert_eq!(value(&samples, "corsair_upstream_duration_seconds_count", &[]), 0.0);
    assert_eq!(value(&samples, "corsair_connections_open", &[]), 0.0);
    assert_eq!(value(&samples, "corsair_config_reloads_total", &[("result", "error")]), 0.0);
    assert_eq!(value(&samples, "corsair_rate_limit_store_errors_total", &[]), 0.0);
    // Process-wide: other tests may have dropped lines, but the series is always there.
    assert!(value(&samples, "corsair_log_lines_dropped_total", &[]) >= 0.0);
    // A not-CORS request is never refused by the policy: no such series until one is.
    assert!(!samples
        .iter()
        .any(|(_, l, _)| l.iter().any(|(_, v)| v == "not_cors") && l.iter().any(|(_, v)| v == "refused")));
}

#[test]
fn the_reader_rejects_what_prometheus_would() {
    let ok = "# HELP a_total A.\n# TYPE a_total counter\na_total{k=\"v\"} 1\n";
    assert!(read(ok).is_ok());
    for bad in [
        "# HELP a_total A.\n# TYPE a_total counter\na_total{k=\"v\"} 1",
        "# TYPE a_total counter\na_total 1\n",
        "# HELP a_total A.\n# TYPE a_total counter\nb_total 1\n",
        "# HELP a_total A \\x.\n# TYPE a_total counter\na_total 1\n",
        "# HELP a_total A.\n# TYPE a_total counter\na_total{k=v} 1\n",
        "# HELP a_total A.\n# TYPE a_total counter\na_total{k=\"\\x\"} 1\n",
        "# HELP a_total A.\n# TYPE a_total counter\na_total{1k=\"v\"} 1\n",
        "# HELP a_total A.\n# TYPE a_total counter\na_total 1\na_total 2\n",
        "# HELP a_total A.\n# TYPE a_total counter\na_total one\n",
        "# HELP h A.\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 0\nh_count 1\n",
        "# HELP h A.\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 0\nh_count 1\n",
    ] {
        assert!(read(bad).is_err(), "accepted:\n{bad}");
    }
}

#[test]
fn upstream_durations_fall_in_inclusive_buckets_and_sum_exactly() {
    let m = Metrics::default();
    for d in [
        Duration::ZERO,
        Duration::from_millis(1),
        Duration::from_micros(1001),
        Duration::from_millis(30_000),
        Duration::from_secs(31),
        Duration::MAX,
    ] {
        m.upstream(d);
    }
    let samples = rendered(&m);
    let bucket = |le| value(&samples, "corsair_upstream_duration_seconds_bucket", &[("le", le)]);
    assert_eq!(bucket("0.001"), 2.0, "0 and exactly 1 ms");
    assert_eq!(bucket("0.0025"), 3.0);
    assert_eq!(bucket("10"), 3.0);
    assert_eq!(bucket("30"), 4.0, "exactly 30 s");
    assert_eq!(bucket("+Inf"), 6.0);
    assert_eq!(value(&samples, "corsair_upstream_duration_seconds_count", &[]), 6.0);

    let m = Metrics::default();
    m.upstream(Duration::from_millis(1500));
    m.upstream(Duration::from_micros(42));
    let mut text = String::new();
    m.render(&mut text);
    assert!(text.contains("\ncorsair_upstream_duration_seconds_sum 1.500042\n"), "{text}");
}

#[test]
fn every_recorder_moves_its_own_series() {
    let m = Arc::new(Metrics::default());
    m.request(Kind::Websocket, Outcome::Refused);
    m.request(Kind::from(RequestKind::Preflight), Outcome::Allowed);
    m.refusal(Reason::BodyTooLarge);
    m.upstream_error(UpstreamError::Tls);
    m.config_reload(Reload::Error);
    m.config_reload(Reload::Ok);
    m.config_reload(Reload::Ok);
    let (a, b) = (m.track_connection(), m.track_connection());
    m.connection_opened();
    drop(a);
    let samples = rendered(&m);
    assert_eq!(value(&samples, "corsair_requests_total", &[("kind", "websocket"), ("result", "refused")]), 1.0);
    assert_eq!(value(&samples, "corsair_requests_total", &[("kind", "preflight"), ("result", "allowed")]), 1.0);
    assert_eq!(value(&samples, "corsair_requests_total", &[("kind", "actual"), ("result", "allowed")]), 0.0);
    assert_eq!(value(&samples, "corsair_refusals_total", &[("reason", "body_too_large")]), 1.0);
    assert_eq!(value(&samples, "corsair_upstream_errors_total", &[("kind", "tls")]), 1.0);
    assert_eq!(value(&samples, "corsair_config_reloads_total", &[("result", "ok")]), 2.0);
    assert_eq!(value(&samples, "corsair_connections_open", &[]), 2.0);
    drop(b);
    m.connection_closed();
    assert_eq!(value(&rendered(&m), "corsair_connections_open", &[]), 0.0);
}

#[test]
fn a_not_cors_request_refused_by_the_gateway_shows_once_it_happens() {
    let m = Metrics::default();
    m.request(Kind::NotCors, Outcome::Refused);
    assert_eq!(value(&rendered(&m), "corsair_requests_total", &[("kind", "not_cors"), ("result", "refused")]), 1.0);
}

#[test]
fn every_core_refusal_has_a_reason_named_like_its_kind() {
    let b = &b"x"[..];
    let refusals = [
        Refusal::MultipleOrigins,
        Refusal::MalformedOrigin(b),
        Refusal::OriginNotAllowed(b),
        Refusal::MalformedMethod(b),
        Refusal::MethodNotAllowed(b),
        Refusal::MalformedHeaders(b),
        Refusal::HeaderNotAllowed(b),
        Refusal::PrivateNetworkNotAllowed,
    ];
    for refusal in refusals {
        let reason = Reason::from_refusal_kind(refusal.kind()).unwrap_or_else(|| panic!("{refusal:?}"));
        assert_eq!(reason.as_str(), refusal.kind().as_str());
    }
    // Every kind the core has, including any added later, has its reason with the same label.
    for kind in corsair_core::RefusalKind::ALL {
        let reason = Reason::from_refusal_kind(kind).unwrap_or_else(|| panic!("{kind:?} has no reason"));
        assert_eq!(reason.as_str(), kind.as_str());
    }
    // The gateway's own reasons are not the core's.
    for gateway_own in [Reason::RateLimit, Reason::Target, Reason::Egress, Reason::BodyTooLarge, Reason::Timeout] {
        assert!(!corsair_core::RefusalKind::ALL.iter().any(|k| k.as_str() == gateway_own.as_str()), "{gateway_own}");
    }
}

#[test]
fn label_values_are_escaped() {
    let mut out = String::new();
    escape_label(&mut out, "1.0\"\\\nx");
    assert_eq!(out, "1.0\\\"\\\\\\nx");
}

// Concurrency ------------------------------------------------------------------------------------

#[test]
fn concurrent_recording_is_exact() {
    let m = Arc::new(Metrics::default());
    const THREADS: usize = 4;
    const EACH: usize = 25_000;
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let m = &m;
            s.spawn(move || {
                for i in 0..EACH {
                    m.request(Kind::ALL[(t + i) % 4], Outcome::Allowed);
                    m.refusal(Reason::RateLimit);
                    m.upstream(Duration::from_millis(5));
                    let open = m.track_connection();
                    m.upstream_error(UpstreamError::Connect);
                    drop(open);
                }
            });
        }
    });
    let total = (THREADS * EACH) as f64;
    let samples = rendered(&m);
    let allowed: f64 = Kind::ALL
        .iter()
        .map(|k| value(&samples, "corsair_requests_total", &[("kind", k.as_str()), ("result", "allowed")]))
        .sum();
    assert_eq!(allowed, total);
    assert_eq!(value(&samples, "corsair_requests_total", &[("kind", "actual"), ("result", "allowed")]), total / 4.0);
    assert_eq!(value(&samples, "corsair_refusals_total", &[("reason", "rate_limit")]), total);
    assert_eq!(value(&samples, "corsair_upstream_errors_total", &[("kind", "connect")]), total);
    assert_eq!(value(&samples, "corsair_upstream_duration_seconds_bucket", &[("le", "0.0025")]), 0.0);
    assert_eq!(value(&samples, "corsair_upstream_duration_seconds_bucket", &[("le", "0.005")]), total);
    assert_eq!(value(&samples, "corsair_upstream_duration_seconds_sum", &[]), total * 0.005);
    assert_eq!(value(&samples, "corsair_connections_open", &[]), 0.0);
}

#[test]
fn rendering_while_recording_stays_valid() {
    let m = Metrics::default();
    std::thread::scope(|s| {
        s.spawn(|| {
            for i in 0..50_000u64 {
                m.upstream(Duration::from_micros(i));
            }
        });
        for _ in 0..50 {
            rendered(&m);
        }
    });
}
