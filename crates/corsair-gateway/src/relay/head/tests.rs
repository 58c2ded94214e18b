use super::*;
use corsair_core::Policy;
use http::{HeaderMap, Method};

fn parsed(raw: &str) -> Option<(usize, u64, bool, Option<String>)> {
    let mut lines = [httparse::EMPTY_HEADER; MAX_REQUEST_LINES];
    match parse_request(raw.as_bytes(), &mut lines) {
        Parsed::Head(h) => Some((h.len, h.body, h.close, h.host.map(|h| String::from_utf8_lossy(h).into_owned()))),
        Parsed::Partial => panic!("partial: {raw:?}"),
        Parsed::Hyper => None,
    }
}

#[test]
fn plain_requests_are_relayed() {
    let get = "GET /items?page=2 HTTP/1.1\r\nHost: api.test\r\nOrigin: https://app.test\r\n\r\n";
    assert_eq!(parsed(get), Some((get.len(), 0, false, Some("api.test".into()))));
    let post = "POST /items HTTP/1.1\r\nhost: a\r\ncontent-length: 12\r\nConnection: keep-alive, close\r\n\r\n";
    assert_eq!(parsed(post), Some((post.len(), 12, true, Some("a".into()))));
}

#[test]
fn everything_else_goes_to_hyper() {
    for raw in [
        "GET /x HTTP/1.0\r\nHost: a\r\n\r\n",
        "CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET http://a/x HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET * HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /a\"b HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /a{b} HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
        "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n",
        "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "OPTIONS /x HTTP/1.1\r\n\r\n",
        "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 005\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: a\r\nConnection: x-secret\r\n\r\n",
        "POST /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n",
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
        "GET /x HTTP/1.1\r\nBad Name: a\r\n\r\n",
    ] {
        assert!(parsed(raw).is_none(), "{raw:?}");
    }
    let many: String = (0..MAX_REQUEST_LINES + 1).map(|i| format!("x-{i}: 1\r\n")).collect();
    assert!(parsed(&format!("GET / HTTP/1.1\r\n{many}\r\n")).is_none(), "too many lines");
}

#[test]
fn a_blank_line_may_end_a_head() {
    assert!(may_be_complete(b"GET / HTTP/1.1\r\n\r\n"));
    assert!(may_be_complete(b"GET / HTTP/1.1\r\n\r\nGET /next"));
    assert!(may_be_complete(b"GET / HTTP/1.1\n\n"));
    assert!(!may_be_complete(b"GET / HTTP/1.1\r\nHost: a\r\n"));
    assert!(!may_be_complete(b""));
}

fn upstream_head(raw: &str, mode: Forwarded) -> String {
    let mut lines = [httparse::EMPTY_HEADER; MAX_REQUEST_LINES];
    let Parsed::Head(head) = parse_request(raw.as_bytes(), &mut lines) else { panic!("{raw:?}") };
    let count = lines.iter().take_while(|l| !l.name.is_empty()).count();
    let mut out = Vec::new();
    let fwd = ForwardedFor { mode, client: b"127.0.0.9", proto: "http" };
    let upstream = Upstream { path: head.target, host: b"up.test:8080", via: b"1.1 corsair-test" };
    write_request(&mut out, &head, &lines[..count], upstream, fwd);
    String::from_utf8(out).unwrap()
}

#[test]
fn the_upstream_head_drops_hop_by_hop_lines_and_sets_forwarded_ones() {
    let raw = "GET /a?b=1 HTTP/1.1\r\nHost: gw.test\r\nConnection: keep-alive\r\nKeep-Alive: 5\r\nTE: trailers\r\n\
               Proxy-Authorization: x\r\nX-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Proto: https\r\nAccept: */*\r\n\r\n";
    assert_eq!(
        upstream_head(raw, Forwarded::Set),
        "GET /a?b=1 HTTP/1.1\r\nhost: up.test:8080\r\nAccept: */*\r\nvia: 1.1 corsair-test\r\n\
         x-forwarded-for: 127.0.0.9\r\nx-forwarded-proto: http\r\nx-forwarded-host: gw.test\r\n\r\n"
    );
    assert_eq!(
        upstream_head(raw, Forwarded::Append),
        "GET /a?b=1 HTTP/1.1\r\nhost: up.test:8080\r\nX-Forwarded-Proto: https\r\nAccept: */*\r\n\
         via: 1.1 corsair-test\r\nx-forwarded-for: 10.0.0.1, 127.0.0.9\r\nx-forwarded-host: gw.test\r\n\r\n"
    );
    assert_eq!(
        upstream_head(raw, Forwarded::Off),
        "GET /a?b=1 HTTP/1.1\r\nhost: up.test:8080\r\nX-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Proto: https\r\n\
         Accept: */*\r\nvia: 1.1 corsair-test\r\n\r\n"
    );
}

#[test]
fn the_upstream_head_drops_framing_and_forwarding_names_spelt_with_underscores() {
    let raw = "POST /a HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 0\r\nContent_Length: 9\r\n\
               X_Forwarded_For: 10.9.9.9\r\nX_Custom: kept\r\n\r\n";
    let head = upstream_head(raw, Forwarded::Off);
    assert_eq!(
        head,
        "POST /a HTTP/1.1\r\nhost: up.test:8080\r\nContent-Length: 0\r\nX_Custom: kept\r\nvia: 1.1 corsair-test\r\n\r\n"
    );
}

fn response(raw: &str, head_request: bool) -> Result<Option<ResponseHead>, &'static str> {
    let mut lines = [httparse::EMPTY_HEADER; MAX_RESPONSE_LINES];
    parse_response(raw.as_bytes(), &mut lines, head_request).map(|r| r.map(|(h, _, _)| h))
}

#[test]
fn response_framing_follows_rfc_9112() {
    let f = |raw: &str, head: bool| response(raw, head).map(|r| r.map(|h| (h.framing, h.reusable)));
    assert_eq!(f("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", false), Ok(Some((Framing::Length(5), true))));
    assert_eq!(f("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n", false), Ok(Some((Framing::Length(5), true))));
    assert_eq!(f("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false), Ok(Some((Framing::Chunked, true))));
    assert_eq!(
        f("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", false),
        Ok(Some((Framing::Chunked, false)))
    );
    assert_eq!(f("HTTP/1.1 200 OK\r\n\r\n", false), Ok(Some((Framing::UntilClose, false))));
    assert_eq!(f("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", true), Ok(Some((Framing::Empty, true))));
    assert_eq!(f("HTTP/1.1 204 No Content\r\n\r\n", false), Ok(Some((Framing::Empty, true))));
    assert_eq!(f("HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", false), Ok(Some((Framing::Empty, true))));
    assert_eq!(
        f("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n", false),
        Ok(Some((Framing::Length(1), false)))
    );
    assert_eq!(f("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n", false), Ok(Some((Framing::Length(1), false))));
    assert_eq!(f("HTTP/1.1 200 OK\r\nContent-Len", false), Ok(None));
    for bad in [
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 012 OK\r\n\r\n",
        "SMTP ready\r\n\r\n",
    ] {
        assert!(response(bad, false).is_err(), "{bad:?}");
    }
}

fn client_head(raw: &str, cors: &CorsHeaders) -> Result<String, &'static str> {
    let mut lines = [httparse::EMPTY_HEADER; MAX_RESPONSE_LINES];
    let (head, count, reason) = parse_response(raw.as_bytes(), &mut lines, false).unwrap().unwrap();
    let lines = &lines[..count];
    let mut out = Vec::new();
    write_response(&mut out, &head, reason, lines, cors, false)?;
    Ok(String::from_utf8(out).unwrap())
}

fn cors_for(origin: &str) -> CorsHeaders {
    let policy = Policy::builder().allow_origin("https://app.test").expose_headers(["etag"]).build().unwrap();
    let mut request = HeaderMap::new();
    request.insert("origin", origin.parse().unwrap());
    policy.decide((&Method::GET, &request)).to_headers()
}

#[test]
fn the_client_head_has_the_policys_cors_lines_and_nothing_hop_by_hop() {
    let raw = "HTTP/1.1 200 Fine\r\nDate: Wed, 02 Dec 2026 03:42:08 GMT\r\nConnection: keep-alive, X-Secret\r\n\
               X-Secret: 1\r\nKeep-Alive: timeout=5\r\nAccess-Control-Allow-Origin: *\r\nVary: Accept-Encoding\r\n\
               Content-Length: 2\r\nETag: \"v1\"\r\n\r\nok";
    assert_eq!(
        client_head(raw, &cors_for("https://app.test")).unwrap(),
        "HTTP/1.1 200 Fine\r\nDate: Wed, 02 Dec 2026 03:42:08 GMT\r\nVary: Accept-Encoding\r\nETag: \"v1\"\r\n\
         access-control-allow-origin: https://app.test\r\naccess-control-expose-headers: etag\r\n\
         vary: origin\r\ncontent-length: 2\r\n\r\n"
    );
    let chunked = "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\nVary: *\r\n\r\n";
    let head = client_head(chunked, &cors_for("https://app.test")).unwrap();
    assert!(head.starts_with("HTTP/1.1 404 Not Found\r\nVary: *\r\n"), "{head}");
    assert!(head.contains("\r\ndate: ") && head.ends_with("transfer-encoding: chunked\r\n\r\n"), "{head}");
    assert!(!head.contains("vary: origin"), "`*` covers every name: {head}");
    let until_close = client_head("HTTP/1.1 200 OK\r\nDate: x\r\n\r\n", &cors_for("https://app.test")).unwrap();
    assert!(until_close.ends_with("connection: close\r\n\r\n"), "{until_close}");
    let options: String = (0..17).map(|i| format!("x-{i}, ")).collect();
    let raw = format!("HTTP/1.1 200 OK\r\nConnection: {options}\r\nContent-Length: 0\r\n\r\n");
    assert!(client_head(&raw, &cors_for("https://app.test")).is_err());
}

#[test]
fn status_lines_use_the_canonical_reason() {
    let mut out = Vec::new();
    write_status(&mut out, 418);
    write_status(&mut out, 599);
    assert_eq!(out, b"HTTP/1.1 418 I'm a teapot\r\nHTTP/1.1 599 <none>\r\n");
}

#[test]
fn the_parser_tells_the_rewrite_when_connection_names_no_line() {
    let plain = |connection: &str| {
        let raw = format!("HTTP/1.1 200 OK\r\n{connection}Content-Length: 0\r\n\r\n");
        let mut lines = [httparse::EMPTY_HEADER; MAX_RESPONSE_LINES];
        parse_response(raw.as_bytes(), &mut lines, false).unwrap().unwrap().0.plain_connection
    };
    assert!(plain(""));
    assert!(plain("Connection: keep-alive\r\n"));
    assert!(plain("Connection: Close, KEEP-ALIVE\r\nConnection: ,\r\n"));
    assert!(!plain("Connection: keep-alive, x-secret\r\n"));
    assert!(!plain("Connection: upgrade\r\n"));
    let many: String = (0..17).map(|_| "keep-alive, ").collect();
    assert!(!plain(&format!("Connection: {many}\r\n")), "more than the rewrite keeps at hand");
    assert!(client_head(
        &format!("HTTP/1.1 200 OK\r\nConnection: {many}\r\nContent-Length: 0\r\n\r\n"),
        &CorsHeaders::default()
    )
    .is_err());
}
