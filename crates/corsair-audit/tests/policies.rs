//! The detection table: scripted loopback servers with sound and flawed CORS policies, each
//! audited through the real probe. Every kind must be found where its flaw is, and nothing
//! where the policy is sound. `api.example.test` maps to 127.0.0.x with a resolve override.

use std::sync::Arc;
use std::time::{Duration, Instant};

use corsair_audit::{AuditOptions, Auditor, Kind, Severity, TargetReport};
use corsair_probe::ProbeOptions;
use corsair_testkit::{loopback, Recorded, Reply, TestServer};

/// An allow-list policy: echoes the Origin when `allow` says so.
fn echo(
    allow: impl Fn(&str) -> bool + Send + Sync + 'static,
    credentials: bool,
    vary: bool,
) -> corsair_testkit::Script {
    Arc::new(move |r: &Recorded| {
        let mut reply = Reply::status(200).header("Content-Type", "application/json").body("{\"user\":\"alice\"}");
        if vary {
            reply = reply.header("Vary", "Origin");
        }
        match r.header("origin") {
            Some(o) if allow(o) => {
                reply = reply.header("Access-Control-Allow-Origin", o);
                if credentials {
                    reply = reply.header("Access-Control-Allow-Credentials", "true");
                }
                reply
            }
            _ => reply,
        }
    })
}

/// `script`, with preflights answered by echoing the requested method and headers (as
/// `cors` and many frameworks do when no list is configured), or by a fixed short list.
fn with_preflight(script: corsair_testkit::Script, echo_request: bool) -> corsair_testkit::Script {
    Arc::new(move |r: &Recorded| {
        let reply = script(r);
        if r.method != "OPTIONS" {
            return reply;
        }
        let reply = Reply { status: 204, ..reply };
        if echo_request {
            let method = r.header("access-control-request-method").unwrap_or("GET").to_owned();
            let headers = r.header("access-control-request-headers").unwrap_or("").to_owned();
            reply.header("Access-Control-Allow-Methods", method).header("Access-Control-Allow-Headers", headers)
        } else {
            reply
                .header("Access-Control-Allow-Methods", "GET, POST")
                .header("Access-Control-Allow-Headers", "content-type")
        }
    })
}

/// A shared cache keyed without `Origin` in front of `script`: the first answer is replayed.
fn cached(script: corsair_testkit::Script) -> corsair_testkit::Script {
    let stored = Arc::new(std::sync::Mutex::new(None::<Vec<(String, Vec<u8>)>>));
    Arc::new(move |r: &Recorded| {
        let mut stored = stored.lock().unwrap();
        let headers = stored.get_or_insert_with(|| script(r).headers);
        headers.iter().fold(Reply::status(200).body("{}"), |reply, (n, v)| reply.header(n, v))
    })
}

/// Fixed headers whatever the request.
fn fixed(headers: &'static [(&'static str, &'static str)]) -> corsair_testkit::Script {
    Arc::new(move |_: &Recorded| headers.iter().fold(Reply::status(200).body("{}"), |r, (n, v)| r.header(n, v)))
}

struct Audited {
    report: TargetReport,
    server: TestServer,
}

async fn audit(script: corsair_testkit::Script, tls: bool) -> Audited {
    let server = if tls {
        TestServer::start_tls(loopback(7), script).await
    } else {
        TestServer::start(loopback(7), script).await
    };
    let port = server.addr.port();
    let scheme = if tls { "https" } else { "http" };
    let options = AuditOptions {
        probe: ProbeOptions {
            resolve: vec![format!("api.example.test:{port}:127.0.0.7").parse().unwrap()],
            timeout: Duration::from_secs(5),
            insecure: tls,
            ..ProbeOptions::default()
        },
        ..AuditOptions::default()
    };
    let auditor = Auditor::new(options).unwrap();
    let report = auditor.audit(&format!("{scheme}://api.example.test:{port}/me")).await;
    assert_eq!(report.error, None, "{report:#?}");
    assert_eq!(report.site.as_deref(), Some("example.test"));
    Audited { report, server }
}

fn kinds(report: &TargetReport) -> Vec<Kind> {
    report.findings.iter().map(|f| f.kind).collect()
}

/// An origin regex written without escaping its dots: `.` matches any character.
fn unescaped(pattern: &'static str) -> impl Fn(&str) -> bool + Send + Sync {
    move |o: &str| o.len() == pattern.len() && o.bytes().zip(pattern.bytes()).all(|(a, p)| p == b'.' || a == p)
}

// ---- flawed policies: each kind found, with the right severity and evidence ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflection_with_credentials_is_high() {
    let a = audit(echo(|_| true, true, true), false).await;
    // A server that echoes everything echoes `null` too; the lookalike probes are implied.
    assert_eq!(kinds(&a.report), [Kind::OriginReflection, Kind::NullOriginTrusted]);
    let f = &a.report.findings[0];
    assert_eq!((f.severity, f.credentials), (Severity::High, true));
    assert!(f.origin.starts_with("http://corsair-") && f.origin.ends_with(".example"), "{}", f.origin);
    assert!(f.evidence.request_headers.iter().any(|(n, v)| n == "Origin" && *v == f.origin));
    assert!(f.evidence.response_headers.iter().any(|(n, v)| n == "access-control-allow-origin" && *v == f.origin));
    assert!(
        f.replay.starts_with("corsair check http://api.example.test:")
            && f.replay.contains("--resolve api.example.test:")
    );
    assert!(a.report.notes.iter().any(|n| n.contains("every origin is echoed")));
    // The server really got the probe, as an attacker's page would send it.
    assert!(a.server.requests().iter().any(|r| r.header("origin") == Some(f.origin.as_str())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflection_without_credentials_is_low() {
    let a = audit(echo(|_| true, false, true), false).await;
    assert_eq!(kinds(&a.report), [Kind::OriginReflection, Kind::NullOriginTrusted]);
    assert!(a.report.findings.iter().all(|f| f.severity == Severity::Low && !f.credentials));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn null_in_the_allow_list() {
    let a = audit(echo(|o| o == "null" || o == "http://www.example.test", true, true), false).await;
    assert_eq!(kinds(&a.report), [Kind::NullOriginTrusted]);
    assert_eq!(a.report.findings[0].severity, Severity::High);
    assert_eq!(a.report.findings[0].origin, "null");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ends_with_the_site() {
    let a = audit(echo(|o| o.ends_with("example.test"), true, true), false).await;
    assert_eq!(kinds(&a.report), [Kind::SuffixMatchBypass]);
    assert_eq!(a.report.findings[0].origin, "http://evilexample.test");
    assert!(a.report.notes.iter().any(|n| n.contains("unescaped-dot")), "{:?}", a.report.notes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starts_with_a_trusted_origin() {
    let a = audit(echo(|o| o.starts_with("http://www.example.test"), true, true), false).await;
    assert_eq!(kinds(&a.report), [Kind::PrefixMatchBypass]);
    assert_eq!(a.report.findings[0].origin, "http://www.example.test.evil.example");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regex_with_unescaped_dots() {
    let a = audit(echo(unescaped("http://www.example.test"), true, true), false).await;
    assert_eq!(kinds(&a.report), [Kind::UnescapedDotBypass]);
    assert_eq!(a.report.findings[0].origin, "http://wwwxexample.test");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lax_host_parser_stops_at_underscore() {
    // Reads the host up to the first character outside [a-z0-9.-], as some hand-written
    // parsers do, then compares it exactly.
    let allow = |o: &str| {
        let rest = o.strip_prefix("http://").unwrap_or("");
        let host: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-').collect();
        host == "www.example.test"
    };
    let a = audit(echo(allow, true, true), false).await;
    assert_eq!(kinds(&a.report), [Kind::SpecialCharacterBypass]);
    assert_eq!(a.report.findings[0].origin, "http://www.example.test_.evil.example");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_twin_of_an_https_origin() {
    let allow = |o: &str| o == "https://www.example.test" || o == "http://www.example.test";
    let a = audit(echo(allow, true, true), true).await;
    assert_eq!(kinds(&a.report), [Kind::InsecureSchemeTrusted]);
    let f = &a.report.findings[0];
    assert_eq!((f.origin.as_str(), f.severity), ("http://www.example.test", Severity::Medium));
    assert!(f.replay.ends_with(" -k"), "{}", f.replay);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn localhost_left_in_production() {
    let a = audit(echo(|o| o == "http://www.example.test" || o == "http://localhost:3000", true, true), false).await;
    assert_eq!(kinds(&a.report), [Kind::LocalhostTrusted]);
    assert_eq!(a.report.findings[0].origin, "http://localhost:3000");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wildcard_with_credentials() {
    let a = audit(fixed(&[("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Credentials", "true")]), false)
        .await;
    assert_eq!(kinds(&a.report), [Kind::WildcardWithCredentials]);
    assert_eq!(a.report.findings[0].severity, Severity::Low);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exact_list_without_vary() {
    let a = audit(echo(|o| o == "http://www.example.test", true, false), false).await;
    assert_eq!(kinds(&a.report), [Kind::MissingVaryOrigin]);
    let f = &a.report.findings[0];
    assert_eq!((f.origin.as_str(), f.severity), ("http://www.example.test", Severity::Medium));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflection_with_an_echoing_preflight_can_write() {
    let a = audit(with_preflight(echo(|_| true, true, true), true), false).await;
    assert_eq!(
        kinds(&a.report),
        [Kind::OriginReflection, Kind::NullOriginTrusted, Kind::PermissivePreflightWithCredentials]
    );
    let f = &a.report.findings[2];
    assert_eq!((f.severity, f.credentials), (Severity::Medium, true));
    assert_eq!(f.origin, a.report.findings[0].origin, "sent from the untrusted origin found");
    assert_eq!(f.evidence.method, "OPTIONS");
    assert!(f.evidence.request_headers.iter().any(|(n, v)| n == "Access-Control-Request-Method" && v == "PURGE"));
    assert!(f.replay.contains(" -X PURGE -H 'x-corsair-") && f.replay.contains("--preflight-only"), "{}", f.replay);
    // Only the preflight went out: the PURGE itself, which could change state, did not.
    assert!(a.server.requests().iter().all(|r| r.method != "PURGE"));
    assert!(a.server.requests().iter().any(|r| r.method == "OPTIONS"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflection_with_a_listed_preflight_is_only_reflection() {
    let a = audit(with_preflight(echo(|_| true, true, true), false), false).await;
    assert_eq!(kinds(&a.report), [Kind::OriginReflection, Kind::NullOriginTrusted]);
    assert!(a.server.requests().iter().any(|r| r.method == "OPTIONS"), "the preflight was probed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_allow_origin_lines_from_proxy_and_app() {
    // The app echoes its list; a proxy in front adds its own fixed value.
    let app = echo(|o| o == "http://www.example.test", true, true);
    let script: corsair_testkit::Script =
        Arc::new(move |r: &Recorded| app(r).header("Access-Control-Allow-Origin", "https://app.example.test"));
    let a = audit(script, false).await;
    assert_eq!(kinds(&a.report), [Kind::MultipleAllowOriginValues]);
    let f = &a.report.findings[0];
    assert_eq!(f.severity, Severity::Low);
    assert!(f.detail.as_deref().is_some_and(|d| d.starts_with("2 Access-Control-Allow-Origin line(s)")), "{f:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_comma_list_in_one_line() {
    let a =
        audit(fixed(&[("Access-Control-Allow-Origin", "https://a.example.test, https://b.example.test")]), false).await;
    assert_eq!(kinds(&a.report), [Kind::MultipleAllowOriginValues]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cache_replaying_the_first_origin_is_seen() {
    // Every answer is the first one: the unrelated probe's own origin comes back to all others.
    let a = audit(cached(echo(|_| true, true, false)), false).await;
    assert_eq!(kinds(&a.report), [Kind::OriginReflection, Kind::MissingVaryOrigin]);
    let first = a.report.findings[0].origin.clone();
    let f = &a.report.findings[1];
    assert_ne!(f.origin, first);
    assert!(f.evidence.response_headers.iter().any(|(n, v)| n == "access-control-allow-origin" && *v == first));
    let detail = f.detail.as_deref().unwrap_or_default();
    assert!(detail.starts_with("served from a cache") && detail.contains(&first), "{detail}");
}

// ---- sound policies: zero findings ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sound_list_with_an_echoing_preflight_is_a_note() {
    let a = audit(with_preflight(echo(|o| o == "http://www.example.test", true, true), true), false).await;
    assert_eq!(kinds(&a.report), []);
    assert!(
        a.report.notes.iter().any(|n| n.starts_with("a preflight from http://www.example.test for method PURGE")),
        "{:?}",
        a.report.notes
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sound_list_with_a_listed_preflight_is_quiet() {
    let a = audit(with_preflight(echo(|o| o == "http://www.example.test", true, true), false), false).await;
    assert_eq!(kinds(&a.report), []);
    assert_eq!(a.report.notes, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixed_origin_behind_a_cache_is_quiet() {
    // The server names one origin whatever comes: not a cache replaying a probe's origin.
    let a = audit(cached(fixed(&[("Access-Control-Allow-Origin", "http://www.example.test")])), false).await;
    assert_eq!(kinds(&a.report), []);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sound_exact_allow_list_is_quiet() {
    let a = audit(echo(|o| o == "http://www.example.test" || o == "http://app.example.test", true, true), false).await;
    assert_eq!(kinds(&a.report), []);
    assert_eq!(a.report.notes, Vec::<String>::new());
    // It was really probed: the unrelated, null and lookalike origins all reached the server.
    let origins: Vec<String> =
        a.server.requests().iter().filter_map(|r| r.header("origin").map(str::to_owned)).collect();
    for probe in ["null", "http://evilexample.test", "http://www.example.test.evil.example", "http://wwwxexample.test"]
    {
        assert!(origins.iter().any(|o| o == probe), "{probe} not sent: {origins:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_wildcard_without_credentials_is_quiet() {
    let a = audit(fixed(&[("Access-Control-Allow-Origin", "*")]), false).await;
    assert_eq!(kinds(&a.report), []);
    assert!(a.report.notes.iter().any(|n| n.starts_with("public")), "{:?}", a.report.notes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_subdomains_of_the_site_are_quiet() {
    let allow = |o: &str| o.strip_prefix("https://").is_some_and(|h| h.ends_with(".example.test"));
    let a = audit(echo(allow, true, true), true).await;
    assert_eq!(kinds(&a.report), []);
    // Trusting every subdomain is worth knowing, not a finding.
    assert!(a.report.notes.iter().any(|n| n.starts_with("any subdomain of example.test")), "{:?}", a.report.notes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_cors_and_one_fixed_origin_are_quiet() {
    for headers in [&[][..], &[("Access-Control-Allow-Origin", "https://app.example.test")][..]] {
        let a = audit(fixed(headers), false).await;
        assert_eq!(kinds(&a.report), []);
    }
}

// ---- many targets ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_or_silent_host_does_not_stall_the_rest() {
    let good = TestServer::start(loopback(8), echo(|_| true, true, true)).await;
    // Accepts connections and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.9:0").await.unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            open.push(s);
        }
    });
    let dead_port = {
        let l = std::net::TcpListener::bind("127.0.0.10:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let resolve = [
        format!("good.example.test:{}:127.0.0.8", good.addr.port()),
        format!("silent.example.test:{silent_port}:127.0.0.9"),
        format!("dead.example.test:{dead_port}:127.0.0.10"),
    ];
    let options = AuditOptions {
        probe: ProbeOptions {
            resolve: resolve.iter().map(|r| r.parse().unwrap()).collect(),
            timeout: Duration::from_secs(1),
            ..ProbeOptions::default()
        },
        ..AuditOptions::default()
    };
    let urls = vec![
        format!("http://silent.example.test:{silent_port}/"),
        format!("http://dead.example.test:{dead_port}/"),
        format!("http://good.example.test:{}/", good.addr.port()),
        "ftp://example.test/".to_owned(),
    ];
    let started = Instant::now();
    let mut done = Vec::new();
    let reports =
        Arc::new(Auditor::new(options).unwrap()).audit_all(urls.clone(), 32, &mut |r| done.push(r.url.clone())).await;
    held.abort();
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
    assert_eq!(reports.iter().map(|r| r.url.clone()).collect::<Vec<_>>(), urls, "input order kept");
    assert!(
        reports[0].error.as_deref().is_some_and(|e| e.contains("no response within 1 s")),
        "{:?}",
        reports[0].error
    );
    assert!(reports[1].error.as_deref().is_some_and(|e| e.contains("connection failed")), "{:?}", reports[1].error);
    assert_eq!(reports[2].error, None);
    assert!(kinds(&reports[2]).contains(&Kind::OriginReflection));
    assert!(reports[3].error.as_deref().is_some_and(|e| e.contains("http")), "{:?}", reports[3].error);
    // The silent host finished last: it held its own slot, not the others'.
    assert_eq!(done.last(), Some(&urls[0]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn site_override_changes_the_lookalikes() {
    let server = TestServer::start(loopback(7), echo(|o| o.ends_with("corp.test"), true, true)).await;
    let port = server.addr.port();
    let options = |site: Option<&str>| AuditOptions {
        probe: ProbeOptions {
            resolve: vec![format!("api.corp.test:{port}:127.0.0.7").parse().unwrap()],
            ..ProbeOptions::default()
        },
        site: site.map(str::to_owned),
        ..AuditOptions::default()
    };
    let url = format!("http://api.corp.test:{port}/");
    let default = Auditor::new(options(None)).unwrap().audit(&url).await;
    assert_eq!(default.findings[0].origin, "http://evilcorp.test");
    let overridden = Auditor::new(options(Some("api.corp.test"))).unwrap().audit(&url).await;
    assert_eq!(overridden.site.as_deref(), Some("api.corp.test"));
    assert_eq!(overridden.findings[0].origin, "http://evilapi.corp.test");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_spaces_the_requests() {
    let server = TestServer::start(loopback(7), echo(|o| o == "http://www.example.test", true, true)).await;
    let port = server.addr.port();
    let options = AuditOptions {
        probe: ProbeOptions {
            resolve: vec![format!("api.example.test:{port}:127.0.0.7").parse().unwrap()],
            ..ProbeOptions::default()
        },
        rate: Some(20.0),
        ..AuditOptions::default()
    };
    let started = Instant::now();
    let report = Auditor::new(options).unwrap().audit(&format!("http://api.example.test:{port}/")).await;
    let elapsed = started.elapsed();
    assert_eq!(report.error, None);
    let sent = server.requests().len();
    assert!(sent >= 10, "{sent}");
    // n requests at 20/s take at least (n - 1) / 20 s.
    assert!(elapsed >= Duration::from_millis(50 * (sent as u64 - 1)), "{sent} requests in {elapsed:?}");
}
