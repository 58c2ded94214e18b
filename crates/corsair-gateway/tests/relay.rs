//! The HTTP/1.1 relay against hyper's path: the same raw requests sent to two gateways in front
//! of one upstream, one with the fast path (the default) and one with `fast_path = false`, must
//! reach the upstream alike and come back alike: status, header lines (less framing and `Date`),
//! and body. The relay keeps the upstream's header-name case where hyper lower-cases, which
//! shows that each gateway really took its own path.

mod common;

/// The differential harness's wire readers (chunked bodies, reads, searches) serve here too.
#[allow(dead_code)]
mod differential {
    include!("../fuzz/bodies/relay_differential.rs");
}

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{gateway_toml, start, APP, EVIL};
use differential::{find, read_chunks, read_more};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// What the upstream received: the head's lines (names lower-cased, sorted, framing left out)
/// and the body.
type Seen = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// The upstream: keep-alive, answers by path.
async fn upstream(seen: Seen) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind((corsair_testkit::loopback(1), 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(serve_upstream(s, seen.clone()));
        }
    });
    addr
}

async fn serve_upstream(mut s: TcpStream, seen: Seen) {
    let mut buf = Vec::new();
    loop {
        let Some((head, body)) = read_request(&mut s, &mut buf).await else { return };
        let target = head.lines().next().unwrap_or_default().split(' ').nth(1).unwrap_or_default().to_owned();
        seen.lock().unwrap().push((normalize_request(&head), body.clone()));
        // By the last segment, so routes with a base path or a stripped prefix reach the same.
        let path = target.split('?').next().unwrap_or_default();
        let last = &path[path.rfind('/').unwrap_or(0)..];
        let answer: Vec<u8> = match last {
            "/len" => b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nETag: \"v1\"\r\nAccess-Control-Allow-Origin: *\r\n\
                        Vary: Accept-Encoding\r\nX-Total: 3\r\n\r\nhello"
                .to_vec(),
            "/echo" => [
                format!("HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n", body.len())
                    .as_bytes(),
                &body,
            ]
            .concat(),
            "/chunked" => b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n\
                            5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n"
                .to_vec(),
            "/close" => {
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end").await;
                return;
            }
            "/nothing" => b"HTTP/1.1 204 No Content\r\nVary: Origin\r\n\r\n".to_vec(),
            "/cached" => b"HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: 5\r\n\r\n".to_vec(),
            "/interim" => {
                b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                    .to_vec()
            }
            "/hop" => {
                b"HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Secret\r\nX-Secret: 1\r\nKeep-Alive: timeout=5\r\n\
                        Proxy-Authenticate: Basic\r\nTrailer: x-sum\r\nUpgrade: h2c\r\nX-Kept: yes\r\n\
                        Content-Length: 0\r\n\r\n"
                    .to_vec()
            }
            "/teapot" => b"HTTP/1.1 418 Short And Stout\r\nContent-Length: 0\r\n\r\n".to_vec(),
            "/big" => {
                let body = "0123456789abcdef".repeat(20_000);
                [format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes(), body.as_bytes()]
                    .concat()
            }
            "/big-chunked" => {
                let mut out = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
                for i in 0..300 {
                    let chunk = format!("{i:04}-").repeat(50);
                    out.extend_from_slice(format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes());
                }
                out.extend_from_slice(b"0\r\n\r\n");
                out
            }
            _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found".to_vec(),
        };
        if s.write_all(&answer).await.is_err() {
            return;
        }
    }
}

/// Reads one request (head and `Content-Length` body) from `s`; `None` at the end.
async fn read_request(s: &mut TcpStream, buf: &mut Vec<u8>) -> Option<(String, Vec<u8>)> {
    loop {
        if let Some(end) = find(buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end + 4]).into_owned();
            if header(&head, "transfer-encoding").is_some() {
                buf.drain(..end + 4);
                return Some((head, read_chunks(s, buf).await?));
            }
            let length = header(&head, "content-length").map_or(0, |v| v.parse::<usize>().unwrap());
            while buf.len() < end + 4 + length {
                read_more(s, buf).await?;
            }
            let body = buf[end + 4..end + 4 + length].to_vec();
            buf.drain(..end + 4 + length);
            return Some((head, body));
        }
        read_more(s, buf).await?;
    }
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// The request line, then the header lines lower-cased and sorted; framing lines (whose form
/// each path may choose) left out, as is the `Host` port that differs between the gateways.
fn normalize_request(head: &str) -> String {
    let mut lines = head.lines();
    let first = lines.next().unwrap_or_default().to_owned();
    let mut rest: Vec<String> = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            differential::unmarked(&format!("{}: {}", n.to_ascii_lowercase(), v.trim()))
        })
        .filter(|l| !l.starts_with("content-length:") && !l.starts_with("x-forwarded-host:"))
        .collect();
    rest.sort();
    std::iter::once(first).chain(rest).collect::<Vec<_>>().join("\n")
}

/// A response as the client saw it.
#[derive(Debug, PartialEq)]
struct Seen2 {
    status_line: String,
    /// Lower-cased and sorted, without `Date` and framing.
    lines: Vec<String>,
    body: Vec<u8>,
}

/// Reads one response to a request with method `method`; the raw head is returned too.
async fn read_response(s: &mut TcpStream, buf: &mut Vec<u8>, method: &str) -> (Seen2, String) {
    let end = loop {
        if let Some(end) = find(buf, b"\r\n\r\n") {
            break end;
        }
        read_more(s, buf).await.expect("a response head");
    };
    let raw = String::from_utf8_lossy(&buf[..end + 4]).into_owned();
    buf.drain(..end + 4);
    let status_line = raw.lines().next().unwrap().to_owned();
    let status: u16 = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut body = Vec::new();
    let no_body = method == "HEAD" || status == 204 || status == 304;
    if no_body {
    } else if header(&raw, "transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        body = read_chunks(s, buf).await.expect("a chunked body");
    } else if let Some(n) = header(&raw, "content-length") {
        let n: usize = n.parse().unwrap();
        while buf.len() < n {
            read_more(s, buf).await.expect("the body");
        }
        body = buf.drain(..n).collect();
    } else {
        while read_more(s, buf).await.is_some() {}
        body = std::mem::take(buf);
    }
    let mut lines: Vec<String> = raw
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            format!("{}: {}", n.to_ascii_lowercase(), v.trim())
        })
        .filter(|l| !["date:", "content-length:", "transfer-encoding:", "connection:"].iter().any(|p| l.starts_with(p)))
        .collect();
    lines.sort();
    (Seen2 { status_line, lines, body }, raw)
}

/// Two gateways in front of one upstream: the relay's, and hyper's alone.
struct Pair {
    relay: SocketAddr,
    hyper: SocketAddr,
    seen: Seen,
    _gateways: (common::Gateway, common::Gateway),
}

async fn pair(extra: &str) -> Pair {
    pair_with(|up| gateway_toml(up, extra)).await
}

async fn pair_with(config: impl Fn(SocketAddr) -> String) -> Pair {
    let seen: Seen = Arc::default();
    let up = upstream(seen.clone()).await;
    let relay = start(&config(up)).await;
    let hyper = start(&config(up).replacen("[proxy]\n", "[proxy]\nfast_path = false\n", 1)).await;
    Pair { relay: relay.addr, hyper: hyper.addr, seen, _gateways: (relay, hyper) }
}

/// Sends `requests` (method, raw bytes with `{host}` for the gateway's address) on one connection
/// and reads an answer to each.
async fn exchange(addr: SocketAddr, requests: &[(&str, String)]) -> Vec<(Seen2, String)> {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let all: String = requests.iter().map(|(_, r)| r.replace("{host}", &addr.to_string())).collect();
    s.write_all(all.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let mut got = Vec::new();
    for (method, _) in requests {
        let answer = tokio::time::timeout(Duration::from_secs(10), read_response(&mut s, &mut buf, method));
        got.push(answer.await.expect("answered in time"));
    }
    got
}

fn get(path: &str, lines: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: {{host}}\r\n{lines}\r\n")
}

/// Cases both paths must treat alike: (name, method, raw request); `relayed` says whether the
/// fast path takes it (else it hands the connection to hyper).
fn cases() -> Vec<(&'static str, &'static str, String, bool)> {
    let origin = format!("Origin: {APP}\r\n");
    vec![
        ("actual", "GET", get("/len?x=1&y=%20", &origin), true),
        ("not cors", "GET", get("/len", ""), true),
        ("head", "HEAD", format!("HEAD /len HTTP/1.1\r\nHost: {{host}}\r\n{origin}\r\n"), true),
        (
            "post with body",
            "POST",
            format!(
                "POST /echo HTTP/1.1\r\nHost: {{host}}\r\n{origin}Content-Type: application/json\r\nContent-Length: 13\r\n\r\n{{\"a\":[1,2,3]}}"
            ),
            true,
        ),
        (
            "preflight",
            "OPTIONS",
            format!(
                "OPTIONS /len HTTP/1.1\r\nHost: {{host}}\r\n{origin}Access-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: content-type\r\n\r\n"
            ),
            true,
        ),
        ("chunked answer", "GET", get("/chunked", &origin), true),
        ("close-delimited answer", "GET", get("/close", &origin), true),
        ("204", "GET", get("/nothing", &origin), true),
        ("304", "GET", get("/cached", &format!("{origin}If-None-Match: \"v1\"\r\n")), true),
        ("interim answer", "GET", get("/interim", &origin), true),
        ("hop-by-hop answer", "GET", get("/hop", &origin), true),
        ("odd status reason", "GET", get("/teapot", &origin), true),
        ("large answer", "GET", get("/big", &origin), true),
        ("large chunked answer", "GET", get("/big-chunked", &origin), true),
        ("404", "GET", get("/missing", &origin), true),
        (
            "hop-by-hop request",
            "GET",
            get(
                "/len",
                &format!(
                    "{origin}Connection: keep-alive\r\nKeep-Alive: 5\r\nTE: trailers\r\nProxy-Authorization: x\r\nProxy-Authenticate: y\r\nTrailer: z\r\nProxy-Connection: keep-alive\r\nX-Forwarded-For: 10.1.2.3\r\nX-Forwarded-Proto: https\r\nAccept: */*\r\n"
                ),
            ),
            true,
        ),
        ("refused origin", "GET", get("/len", &format!("Origin: {EVIL}\r\n")), false),
        (
            "refused preflight",
            "OPTIONS",
            format!("OPTIONS /len HTTP/1.1\r\nHost: {{host}}\r\n{origin}Access-Control-Request-Method: PATCH\r\n\r\n"),
            false,
        ),
        ("HTTP/1.0", "GET", format!("GET /len HTTP/1.0\r\nHost: {{host}}\r\n{origin}\r\n"), false),
        (
            "chunked request",
            "POST",
            format!(
                "POST /echo HTTP/1.1\r\nHost: {{host}}\r\n{origin}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
            ),
            false,
        ),
        ("odd target", "GET", get("/a{b}", &origin), false),
        ("health", "GET", get("/healthz", ""), false),
    ]
}

fn lower_case_names(head: &str) -> bool {
    head.lines().skip(1).filter_map(|l| l.split_once(':')).all(|(n, _)| n.to_ascii_lowercase() == n)
}

#[tokio::test]
async fn the_relay_and_hyper_answer_alike() {
    for extra in ["", "forwarded = \"append\"", "forwarded = \"off\""] {
        both_alike(&pair(extra).await, "").await;
    }
}

#[tokio::test]
async fn the_relay_and_hyper_route_alike() {
    let routes = |up: SocketAddr| {
        format!(
            r#"allow_origins = ["{APP}"]
allow_methods = ["GET", "POST", "PUT"]
allow_headers = ["content-type"]
expose_headers = ["etag"]
[proxy]
[[proxy.routes]]
prefix = "/api"
upstream = "http://{up}/v1"
strip_prefix = true
[[proxy.routes]]
prefix = "/keep"
upstream = "http://{up}/base/"
[[proxy.routes]]
prefix = "/"
upstream = "http://{up}"
"#
        )
    };
    let p = pair_with(routes).await;
    for prefix in ["/api", "/keep", ""] {
        both_alike(&p, prefix).await;
    }
}

/// Sends every case (its path under `prefix`) to both gateways and compares.
async fn both_alike(p: &Pair, prefix: &str) {
    for (name, method, raw, relayed) in cases() {
        let raw = raw.replacen(" /", &format!(" {prefix}/"), 1);
        let mut answers = Vec::new();
        let mut upstream_saw = Vec::new();
        for addr in [p.relay, p.hyper] {
            let before = p.seen.lock().unwrap().len();
            let (got, raw_head) = exchange(addr, &[(method, raw.clone())]).await.remove(0);
            let seen = p.seen.lock().unwrap();
            upstream_saw.push(seen[before..].to_vec());
            answers.push((got, raw_head));
        }
        assert_eq!(answers[0].0, answers[1].0, "{name}: the client's answers differ");
        assert_eq!(upstream_saw[0], upstream_saw[1], "{name}: the upstream's requests differ");
        // The relay writes header names as the upstream did; hyper lower-cases them.
        let (relay_head, hyper_head) = (&answers[0].1, &answers[1].1);
        if ["actual", "head", "hop-by-hop answer"].contains(&name) {
            assert!(relay_head.contains("\r\nX-") || relay_head.contains("\r\nETag"), "{name}: {relay_head}");
        }
        if !relayed {
            assert!(lower_case_names(relay_head), "{name}: handed to hyper: {relay_head}");
        }
        assert!(lower_case_names(hyper_head), "{name}: hyper lower-cases: {hyper_head}");
    }
}

#[tokio::test]
async fn pipelined_requests_are_answered_in_order_on_both_paths() {
    let p = pair("").await;
    let origin = format!("Origin: {APP}\r\n");
    let requests = [
        ("GET", get("/len", &origin)),
        ("POST", format!("POST /echo HTTP/1.1\r\nHost: {{host}}\r\n{origin}Content-Length: 3\r\n\r\nabc")),
        ("GET", get("/chunked", &origin)),
        ("HEAD", format!("HEAD /len HTTP/1.1\r\nHost: {{host}}\r\n{origin}\r\n")),
        // Refused: the rest of the connection goes to hyper, which must still answer in order.
        ("GET", get("/len", &format!("Origin: {EVIL}\r\n"))),
        ("GET", get("/echo", &origin)),
    ];
    let relay: Vec<Seen2> = exchange(p.relay, &requests).await.into_iter().map(|(s, _)| s).collect();
    let hyper: Vec<Seen2> = exchange(p.hyper, &requests).await.into_iter().map(|(s, _)| s).collect();
    assert_eq!(relay, hyper);
    assert_eq!(relay[1].body, b"abc");
    assert_eq!(relay[2].body, b"hello, world");
}

#[tokio::test]
async fn requests_in_sequence_share_one_upstream_connection() {
    let connections = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = connections.clone();
    let seen: Seen = Arc::default();
    let listener = tokio::net::TcpListener::bind((corsair_testkit::loopback(1), 0)).await.unwrap();
    let up = listener.local_addr().unwrap();
    let recorded = seen.clone();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(serve_upstream(s, recorded.clone()));
        }
    });
    let gw = start(&gateway_toml(up, "")).await;
    let requests: Vec<(&str, String)> = (0..50).map(|_| ("GET", get("/len", &format!("Origin: {APP}\r\n")))).collect();
    let got = exchange(gw.addr, &requests).await;
    assert!(got.iter().all(|(s, _)| s.status_line == "HTTP/1.1 200 OK" && s.body == b"hello"));
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1, "50 requests, one upstream connection");
    // A second client later takes the idle connection from the route's pool.
    let again = exchange(gw.addr, &requests[..1]).await;
    assert_eq!(again[0].0.body, b"hello");
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1, "the idle connection was reused");
    assert_eq!(seen.lock().unwrap().len(), 51);
}

#[tokio::test]
async fn upstream_failures_get_the_gateways_answer_with_cors_headers() {
    // An upstream that breaks the framing: both Content-Length values cannot be right.
    let bad = common::raw_upstream(|mut s| async move {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!").await;
    })
    .await;
    let gw = start(&gateway_toml(bad, "")).await;
    let (got, raw) = exchange(gw.addr, &[("GET", get("/x", &format!("Origin: {APP}\r\n")))]).await.remove(0);
    assert_eq!(got.status_line, "HTTP/1.1 502 Bad Gateway", "{raw}");
    assert!(got.lines.contains(&format!("access-control-allow-origin: {APP}")), "{raw}");
    assert!(String::from_utf8_lossy(&got.body).contains("Content-Length"), "{:?}", got.body);

    // Nothing listening: a refused connection.
    let closed = {
        let l = std::net::TcpListener::bind((corsair_testkit::loopback(1), 0)).unwrap();
        l.local_addr().unwrap()
    };
    let gw = start(&gateway_toml(closed, "")).await;
    let (got, raw) = exchange(gw.addr, &[("GET", get("/x", &format!("Origin: {APP}\r\n")))]).await.remove(0);
    assert_eq!(got.status_line, "HTTP/1.1 502 Bad Gateway", "{raw}");
    assert!(got.lines.contains(&format!("access-control-allow-origin: {APP}")), "{raw}");
    assert!(raw.contains("connection: close"), "{raw}");
}

#[tokio::test]
async fn a_slow_upstream_times_out_on_the_relay() {
    let slow = common::raw_upstream(|s| async move {
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(s);
    })
    .await;
    let gw = start(&gateway_toml(slow, "request_timeout_secs = 1")).await;
    let started = std::time::Instant::now();
    let (got, raw) = exchange(gw.addr, &[("GET", get("/x", &format!("Origin: {APP}\r\n")))]).await.remove(0);
    assert_eq!(got.status_line, "HTTP/1.1 504 Gateway Timeout", "{raw}");
    assert!(got.lines.contains(&format!("access-control-allow-origin: {APP}")), "{raw}");
    assert!(started.elapsed() < Duration::from_secs(4), "took {:?}", started.elapsed());
}

#[tokio::test]
async fn a_reload_applies_to_the_next_request_on_an_open_connection() {
    let seen: Seen = Arc::default();
    let up = upstream(seen).await;
    let policy = |origin: &str| format!("allow_origins = [\"{origin}\"]\n[proxy]\nupstream = \"http://{up}\"\n");
    let gw = start(&policy(APP)).await;
    let mut s = TcpStream::connect(gw.addr).await.unwrap();
    let mut buf = Vec::new();
    let mut ask = async |origin: &str| {
        let raw = get("/len", &format!("Origin: {origin}\r\n")).replace("{host}", &gw.addr.to_string());
        s.write_all(raw.as_bytes()).await.unwrap();
        read_response(&mut s, &mut buf, "GET").await.0
    };
    let allow = |got: &Seen2| got.lines.iter().find(|l| l.starts_with("access-control-allow-origin:")).cloned();
    assert_eq!(allow(&ask(APP).await), Some(format!("access-control-allow-origin: {APP}")));
    gw.control.reload(common::config(&policy(EVIL), &corsair_gateway::Flags::default())).unwrap();
    assert_eq!(allow(&ask(EVIL).await), Some(format!("access-control-allow-origin: {EVIL}")), "the new policy");
    assert_eq!(allow(&ask(APP).await), None, "the old origin is refused now");
}
