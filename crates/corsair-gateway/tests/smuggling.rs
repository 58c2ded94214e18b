//! Request smuggling and desync, on real sockets, through both paths of the gateway: the relay
//! (the default) and hyper's (`fast_path = false`). Each case sends raw bytes on one connection
//! and passes only when the upstream parsed exactly the requests the proxy meant to forward (a
//! request hidden in a body, or split off a malformed head, shows up as one it should not have
//! seen), the client got exactly the answers expected, both paths did the same, and a request on
//! a fresh connection then gets its own answer. The cases are the seeds of the
//! `relay_differential` fuzz target, which compares the two paths on arbitrary bytes.

#[allow(dead_code)]
mod differential {
    include!("../fuzz/bodies/relay_differential.rs");
}

use std::time::Duration;

use differential::{exchange_expecting, pair, Observed, Side, APP};

/// How long a case that expects an answer waits for its first byte.
const ANSWER_WITHIN: Duration = Duration::from_secs(4);

/// A request the proxy must not forward: it hides in the body of the one before it.
const SMUGGLED: &str = "GET /SMUGGLED HTTP/1.1\r\nHost: x\r\n\r\n";

struct Case {
    name: &'static str,
    /// Policy keys before `[proxy]`.
    top: &'static str,
    /// More `[proxy]` keys.
    extra: &'static str,
    /// What the client sends, with a pause between pieces.
    pieces: Vec<Vec<u8>>,
    /// The request lines the upstream must parse, in order.
    upstream: &'static [&'static str],
    /// The statuses the client must read, in order.
    client: &'static [u16],
    /// The gateway must close the connection after them.
    closes: bool,
    /// How long the client waits for more once the gateway falls quiet.
    quiet: Duration,
}

fn case(name: &'static str, pieces: &[&str], upstream: &'static [&'static str], client: &'static [u16]) -> Case {
    let pieces = pieces.iter().map(|p| p.replace("{app}", APP).replace("{smuggled}", SMUGGLED).into_bytes()).collect();
    Case { name, top: "", extra: "", pieces, upstream, client, closes: false, quiet: Duration::from_millis(300) }
}

/// `Content-Length` of the smuggled request, as text.
fn smuggled_len() -> String {
    SMUGGLED.len().to_string()
}

fn cases() -> Vec<Case> {
    let n = smuggled_len();
    let with_len = |s: &str| s.replace("{n}", &n);
    let preflight = with_len(
        "OPTIONS /a HTTP/1.1\r\nHost: x\r\nOrigin: {app}\r\nAccess-Control-Request-Method: GET\r\nContent-Length: {n}\r\n\r\n",
    );
    let post_smuggling = |path: &str, origin: &str| {
        with_len(&format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nOrigin: {origin}\r\nContent-Length: {{n}}\r\n\r\n{{smuggled}}"
        ))
    };
    let chunked_post =
        |te: &str, body: &str| format!("POST /a HTTP/1.1\r\nHost: x\r\nOrigin: {{app}}\r\n{te}\r\n\r\n{body}");
    let mut cases = vec![
        // The relay's own answers read and discard the body, or close.
        case("preflight with a body in the same write", &[&format!("{preflight}{{smuggled}}")], &[], &[204]),
        case("preflight with a body that arrives later", &[&preflight, "{smuggled}"], &[], &[204]),
        case(
            "preflight with a chunked body",
            &[&format!(
                "OPTIONS /a HTTP/1.1\r\nHost: x\r\nOrigin: {{app}}\r\nAccess-Control-Request-Method: GET\r\n\
                 Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{{smuggled}}\r\n0\r\n\r\n",
                SMUGGLED.len()
            )],
            &[],
            &[204],
        ),
        case(
            "preflight with a body, then a pipelined request",
            &[&format!("{preflight}{{smuggled}}GET /next HTTP/1.1\r\nHost: x\r\nOrigin: {{app}}\r\n\r\n")],
            &["GET /next HTTP/1.1"],
            &[204, 200],
        ),
        case("body larger than the limit", &[&with_len(
            "POST /a HTTP/1.1\r\nHost: x\r\nOrigin: {app}\r\nContent-Length: 2000\r\n\r\n{smuggled}",
        )], &[], &[413]),
        case(
            "operations path with a body",
            &[&with_len(&format!(
                "GET {} HTTP/1.1\r\nHost: x\r\nContent-Length: {{n}}\r\n\r\n{{smuggled}}",
                corsair_gateway::HEALTH_PATH
            ))],
            &[],
            &[200],
        ),
        // Framing RFC 9112 says to reject.
        // With both, Transfer-Encoding frames the request and the connection closes after it
        // (RFC 9112 6.3): the bytes a front proxy counted by Content-Length go nowhere.
        Case {
            closes: true,
            ..case("CL.TE", &[&chunked_post("Content-Length: 6\r\nTransfer-Encoding: chunked", "0\r\n\r\nGET /SMUGGLED HTTP/1.1\r\nHost: x\r\n\r\n")], &["POST /a HTTP/1.1"], &[200])
        },
        Case {
            closes: true,
            ..case("TE.CL", &[&chunked_post("Transfer-Encoding: chunked\r\nContent-Length: 3", "8\r\nSMUGGLED\r\n0\r\n\r\n")], &["POST /a HTTP/1.1"], &[200])
        },
        case("two Host lines", &["GET /a HTTP/1.1\r\nHost: x\r\nHost: y\r\nOrigin: {app}\r\n\r\n"], &[], &[400]),
        case("no Host", &["GET /a HTTP/1.1\r\nOrigin: {app}\r\n\r\n"], &[], &[400]),
        case("Content-Length with leading zeros", &[&chunked_post("Content-Length: 005", "hello")], &[], &[400]),
        case("Content-Length with a sign", &[&chunked_post("Content-Length: +5", "hello")], &[], &[400]),
        // Equal lines say one length (RFC 9110 8.6): no ambiguity, one request.
        case("two equal Content-Length lines", &[&chunked_post("Content-Length: 5\r\nContent-Length: 5", "hello")], &["POST /a HTTP/1.1"], &[200]),
        case("a Content-Length list", &[&chunked_post("Content-Length: 5, 5", "hello")], &[], &[400]),
        case("Transfer-Encoding: identity, chunked", &[&chunked_post("Transfer-Encoding: identity, chunked", "0\r\n\r\n")], &[], &[501]),
        case("Transfer-Encoding: chunked, chunked", &[&chunked_post("Transfer-Encoding: chunked, chunked", "0\r\n\r\n")], &[], &[400]),
        case("two Transfer-Encoding lines", &[&chunked_post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked", "0\r\n\r\n")], &[], &[400]),
        case("Transfer-Encoding: xchunked", &[&chunked_post("Transfer-Encoding: xchunked", "0\r\n\r\n")], &[], &[400]),
        case("Transfer-Encoding with a vertical tab", &[&chunked_post("Transfer-Encoding: chunked\x0b", "0\r\n\r\n")], &[], &[400]),
        case("Transfer-Encoding folded (obs-fold)", &[&chunked_post("Transfer-Encoding:\r\n chunked", "0\r\n\r\n")], &[], &[400]),
        case("HTTP/1.0 with Transfer-Encoding", &["POST /a HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"], &[], &[400]),
        case("bare CR in a header line", &["GET /a HTTP/1.1\r\nHost: x\rX: y\r\nOrigin: {app}\r\n\r\n"], &[], &[400]),
        case("a chunk size that overflows", &[&chunked_post("Transfer-Encoding: chunked", "fffffffffffffffff1\r\nhello\r\n0\r\n\r\n")], &[], &[400]),
        // Framing the proxy must carry exactly.
        case("Transfer-Encoding in capitals", &[&chunked_post("Transfer-Encoding: CHUNKED", "5\r\nhello\r\n0\r\n\r\n")], &["POST /a HTTP/1.1"], &[200]),
        case("chunk extensions", &[&chunked_post("Transfer-Encoding: chunked", "5;ext=1\r\nhello\r\n0\r\n\r\n")], &["POST /a HTTP/1.1"], &[200]),
        case("trailers", &[&chunked_post("Transfer-Encoding: chunked", "5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n")], &["POST /a HTTP/1.1"], &[200]),
        case("CL.0: a GET whose body is a request", &[&with_len("GET /a HTTP/1.1\r\nHost: x\r\nOrigin: {app}\r\nContent-Length: {n}\r\n\r\n{smuggled}")], &["GET /a HTTP/1.1"], &[200]),
        case("pipelined requests", &["GET /a HTTP/1.1\r\nHost: x\r\nOrigin: {app}\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nOrigin: {app}\r\n\r\n"], &["GET /a HTTP/1.1", "GET /b HTTP/1.1"], &[200, 200]),
        case("a request after Connection: close", &["GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n"], &["GET /a HTTP/1.1"], &[200]),
        case("bare LF line ends", &["GET /a HTTP/1.1\nHost: x\nOrigin: {app}\n\n"], &["GET /a HTTP/1.1"], &[200]),
        case("Expect: 100-continue", &["POST /a HTTP/1.1\r\nHost: x\r\nOrigin: {app}\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n", "hello"], &["POST /a HTTP/1.1"], &[100, 200]),
        case("Upgrade: h2c", &["GET /a HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n"], &["GET /a HTTP/1.1"], &[200]),
        case("HTTP/1.0", &["GET /a HTTP/1.0\r\nHost: x\r\n\r\n"], &["GET /a HTTP/1.1"], &[200]),
        case("Content-Length with spaces around it", &[&chunked_post("Content-Length:  5 ", "hello")], &["POST /a HTTP/1.1"], &[200]),
        // Names that differ from framing and forwarding headers only by `_` are dropped: servers
        // that map `-` and `_` alike (CGI, WSGI) would read them as the real ones.
        case(
            "framing names spelt with _",
            &[&chunked_post("Content_Length: 0\r\nTransfer_Encoding: chunked\r\nX_Forwarded_For: 10.9.9.9\r\nContent-Length: 5", "hello")],
            &["POST /a HTTP/1.1"],
            &[200],
        ),
    ];
    cases.push(Case {
        top: "refusal = \"reject-all\"",
        ..case(
            "a refused request with a body (reject-all)",
            &[&post_smuggling("/a", "https://evil.example")],
            &[],
            &[403],
        )
    });
    cases.push(Case {
        extra: "[[proxy.routes]]\nprefix = \"/dead\"\nupstream = \"http://127.0.0.1:1\"",
        ..case("an upstream that cannot be reached, with a body", &[&post_smuggling("/dead/a", "{app}")], &[], &[502])
    });
    // An upstream that takes a request and closes without answering may have acted on it: the
    // request is not sent again (a POST would run twice), even on a reused connection.
    cases.push(case(
        "an upstream that closes without answering, on a reused connection",
        &[
            "GET /a HTTP/1.1\r\nHost: x\r\nOrigin: {app}\r\n\r\n",
            "POST /x/drop HTTP/1.1\r\nHost: x\r\nOrigin: {app}\r\nContent-Length: 2\r\n\r\nhi",
        ],
        &["GET /a HTTP/1.1", "POST /x/drop HTTP/1.1"],
        &[200, 502],
    ));
    cases.push(Case {
        extra: "request_timeout_secs = 1",
        quiet: Duration::from_millis(1500),
        ..case(
            "an upstream that does not answer in time, with a body",
            &[&with_len("POST /x/hang HTTP/1.1\r\nHost: x\r\nOrigin: {app}\r\nContent-Length: {n}\r\n\r\n{smuggled}")],
            &["POST /x/hang HTTP/1.1"],
            &[504],
        )
    });
    cases
}

/// What a case requires of one path; `None` if it holds.
fn judge(case: &Case, seen: &Observed) -> Option<String> {
    let lines: Vec<&str> = seen.upstream.iter().map(|r| r.line.as_str()).collect();
    let statuses: Vec<u16> = seen.client.iter().map(|(s, _)| *s).collect();
    let disguised =
        seen.upstream.iter().flat_map(|r| &r.lines).find(|l| l.split(':').next().is_some_and(|n| n.contains('_')));
    if lines != case.upstream || statuses != case.client || disguised.is_some() || case.closes && !seen.closed {
        return Some(format!(
            "upstream parsed {lines:?} (want {:?}), client read {statuses:?} (want {:?}){}{}",
            case.upstream,
            case.client,
            disguised.map(|l| format!(", and `{l}` went upstream")).unwrap_or_default(),
            if case.closes && !seen.closed { ", and the connection stayed open" } else { "" }
        ));
    }
    None
}

/// After a case, a new connection's request gets its own answer.
async fn fresh(side: &Side) -> Option<String> {
    let request = format!("GET /fresh HTTP/1.1\r\nHost: x\r\nOrigin: {APP}\r\n\r\n");
    let seen = exchange_expecting(side, &[request.as_bytes()], Duration::from_millis(150), ANSWER_WITHIN, 1).await;
    let want = vec![(200, b"GET /fresh 0".to_vec())];
    (seen.client != want).then(|| format!("a fresh connection then read {:?}", seen.client))
}

async fn run(case: Case) -> Vec<String> {
    let sides = pair(case.top, case.extra).await;
    let pieces: Vec<&[u8]> = case.pieces.iter().map(Vec::as_slice).collect();
    // A case that expects an answer waits seconds for its first byte (a loaded machine hands a
    // connection from the relay to hyper slowly); one that expects none, only its quiet time.
    let first = if case.client.is_empty() { case.quiet } else { ANSWER_WITHIN };
    let (relay, hyper) = tokio::join!(
        exchange_expecting(&sides[0], &pieces, case.quiet, first, case.client.len()),
        exchange_expecting(&sides[1], &pieces, case.quiet, first, case.client.len())
    );
    let mut failures = Vec::new();
    for (path, seen, side) in [("relay", &relay, &sides[0]), ("hyper", &hyper, &sides[1])] {
        if let Some(why) = judge(&case, seen) {
            failures.push(format!("{} [{path}]: {why}", case.name));
        }
        if let Some(why) = fresh(side).await {
            failures.push(format!("{} [{path}]: {why}", case.name));
        }
    }
    if (&relay.upstream, &relay.client) != (&hyper.upstream, &hyper.client) {
        failures.push(format!("{}: the paths differ:\n  relay {relay:?}\n  hyper {hyper:?}", case.name));
    }
    failures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_case_reaches_the_upstream_exactly_as_meant_on_both_paths() {
    let mut tasks = tokio::task::JoinSet::new();
    let all = cases();
    let count = all.len();
    for case in all {
        tasks.spawn(run(case));
    }
    let mut failures = Vec::new();
    while let Some(done) = tasks.join_next().await {
        failures.extend(done.expect("a case ran to the end"));
    }
    assert!(failures.is_empty(), "{} failures in {count} cases:\n{}", failures.len(), failures.join("\n"));
}

/// An upstream that sends an answer nobody asked for (here 20 ms after the real one) must not
/// have it handed to the next client: a pooled connection with unread bytes is discarded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unasked_answer_from_a_pooled_connection_reaches_no_one() {
    for side in pair("", "").await.iter() {
        let first = format!("GET /x/extra HTTP/1.1\r\nHost: x\r\nOrigin: {APP}\r\n\r\n");
        let seen = exchange_expecting(side, &[first.as_bytes()], Duration::from_millis(150), ANSWER_WITHIN, 1).await;
        assert_eq!(seen.client, vec![(200, b"GET /x/extra 0".to_vec())]);
        for i in 0..3 {
            let next = format!("GET /next/{i} HTTP/1.1\r\nHost: x\r\nOrigin: {APP}\r\n\r\n");
            let seen = exchange_expecting(side, &[next.as_bytes()], Duration::from_millis(150), ANSWER_WITHIN, 1).await;
            assert_eq!(seen.client, vec![(200, format!("GET /next/{i} 0").into_bytes())], "request {i}");
        }
    }
}

/// Every case is a seed of the `relay_differential` fuzz target (its pieces joined), so the
/// fuzzer starts from the shapes that broke proxies before. `CORSAIR_WRITE_SEEDS=1` writes them.
#[test]
fn every_case_is_a_fuzz_seed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/relay_differential");
    let write = std::env::var_os("CORSAIR_WRITE_SEEDS").is_some();
    let mut missing = Vec::new();
    for case in cases() {
        let name: String =
            case.name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
        let path = dir.join(name);
        let bytes = case.pieces.concat();
        if write {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        } else if std::fs::read(&path).ok().as_deref() != Some(bytes.as_slice()) {
            missing.push(path.display().to_string());
        }
    }
    assert!(missing.is_empty(), "seeds missing or stale (run with CORSAIR_WRITE_SEEDS=1): {missing:#?}");
}
