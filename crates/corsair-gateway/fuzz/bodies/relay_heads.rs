// Fuzz body: the relay's readers of raw bytes (request heads, response heads, chunked framing)
// on arbitrary input, and what they promise: whatever the relay writes from an accepted head is
// itself a well-formed head with the same meaning. Included by `fuzz_targets/relay_heads.rs`
// and by `tests/fuzz_smoke.rs`.

use corsair_core::CorsHeaders;
use corsair_gateway::config::Forwarded;
use corsair_gateway::fuzzing::chunked::Chunked;
use corsair_gateway::fuzzing::head::{self, ForwardedFor, Framing, Parsed};

/// Reads `data` as a request head, a response head and a chunked body.
pub fn run(data: &[u8]) {
    request(data);
    response(data);
    chunks(data);
}

fn request(data: &[u8]) {
    let mut lines = [httparse::EMPTY_HEADER; head::MAX_REQUEST_LINES];
    let Parsed::Head(parsed) = head::parse_request(data, &mut lines) else { return };
    assert!(head::may_be_complete(data), "a complete head has a blank line");
    assert!(parsed.len <= data.len() && parsed.target.starts_with('/'));
    let count = lines.iter().take_while(|l| !l.name.is_empty()).count();
    for mode in [Forwarded::Set, Forwarded::Append, Forwarded::Off] {
        let mut out = Vec::new();
        let fwd = ForwardedFor { mode, client: b"127.0.0.1", proto: "http" };
        let upstream = head::Upstream { path: parsed.target, host: b"up.test", via: b"1.1 corsair-0123456789abcdef" };
        head::write_request(&mut out, &parsed, &lines[..count], upstream, fwd);
        let mut again = [httparse::EMPTY_HEADER; 2 * head::MAX_REQUEST_LINES];
        let mut req = httparse::Request::new(&mut again);
        match req.parse(&out) {
            Ok(httparse::Status::Complete(n)) => assert_eq!(n, out.len()),
            other => panic!("the upstream head does not parse: {other:?}: {:?}", String::from_utf8_lossy(&out)),
        }
        assert_eq!((req.method, req.path, req.version), (Some(parsed.method), Some(parsed.target), Some(1)));
        let hosts = req.headers.iter().filter(|h| h.name.eq_ignore_ascii_case("host")).count();
        assert_eq!(hosts, 1, "one Host line");
        assert!(!req.headers.iter().any(|h| h.name.eq_ignore_ascii_case("connection")), "no Connection line");
    }
}

fn response(data: &[u8]) {
    for head_request in [false, true] {
        let mut lines = [httparse::EMPTY_HEADER; head::MAX_RESPONSE_LINES];
        let Ok(Some((parsed, count, reason))) = head::parse_response(data, &mut lines, head_request) else { continue };
        let lines = &lines[..count];
        let mut out = Vec::new();
        if head::write_response(&mut out, &parsed, reason, lines, &CorsHeaders::default(), false).is_err() {
            continue;
        }
        let mut again = [httparse::EMPTY_HEADER; head::MAX_RESPONSE_LINES + 8];
        let mut res = httparse::Response::new(&mut again);
        match res.parse(&out) {
            Ok(httparse::Status::Complete(n)) => assert_eq!(n, out.len()),
            other => panic!("the client head does not parse: {other:?}: {:?}", String::from_utf8_lossy(&out)),
        }
        assert_eq!(res.code, Some(parsed.status));
        let lengths: Vec<&[u8]> =
            res.headers.iter().filter(|h| h.name.eq_ignore_ascii_case("content-length")).map(|h| h.value).collect();
        let chunked = res.headers.iter().filter(|h| h.name.eq_ignore_ascii_case("transfer-encoding")).count();
        match parsed.framing {
            Framing::Length(n) => assert_eq!((lengths, chunked), (vec![n.to_string().as_bytes()], 0)),
            Framing::Chunked => assert_eq!((lengths.len(), chunked), (0, 1)),
            Framing::UntilClose | Framing::Empty => assert!(lengths.len() <= 1 && chunked == 0),
        }
    }
}

fn chunks(data: &[u8]) {
    let whole = {
        let mut c = Chunked::default();
        c.feed(data).map(|n| (n, c.is_done()))
    };
    let mut c = Chunked::default();
    let mut used = 0;
    let mut bytewise = Ok((0, false));
    for b in data {
        match c.feed(std::slice::from_ref(b)) {
            Ok(n) => {
                used += n;
                bytewise = Ok((used, c.is_done()));
                if c.is_done() {
                    break;
                }
            }
            Err(e) => {
                bytewise = Err(e);
                break;
            }
        }
    }
    assert_eq!(whole.is_ok(), bytewise.is_ok(), "{whole:?} {bytewise:?}");
    if let (Ok(whole), Ok(bytewise)) = (whole, bytewise) {
        assert_eq!(whole, bytewise);
        assert!(whole.0 <= data.len());
    }
}
