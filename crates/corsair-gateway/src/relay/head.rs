//! The relay's reading and writing of message heads, as pure functions over bytes.
//!
//! A request is relayed only when it is plainly one the relay can carry: HTTP/1.1, origin-form,
//! no body or a `Content-Length` one, no upgrade, no `Expect`, no `Transfer-Encoding`, framing
//! that [`crate::framing`] accepts (one `Host`, one plain `Content-Length`), a path of the usual
//! characters. Anything else is served by hyper, so every odd or hostile request gets hyper's
//! answer and the relay's rules stay small.

use corsair_core::decision::is_cors_response_header_bytes;
use corsair_core::CorsHeaders;
use http::StatusCode;

use crate::config::Forwarded;
use crate::framing::{self, trim, Body, FramingCheck, Line};
use crate::rewrite::{self, Added, HeaderSink, Value};

/// Most request header lines the relay reads; requests with more go to hyper (which takes 100).
pub const MAX_REQUEST_LINES: usize = 64;
/// Most response header lines (hyper's client takes the same).
pub const MAX_RESPONSE_LINES: usize = 100;

/// A request head the relay forwards.
#[derive(Debug)]
pub struct RequestHead<'b> {
    /// Length of the head in bytes, the blank line included.
    pub len: usize,
    /// The method, as sent.
    pub method: &'b str,
    /// The path and query, as sent.
    pub target: &'b str,
    /// The `Content-Length` (0 without one).
    pub body: u64,
    /// The client asked to close the connection after this exchange.
    pub close: bool,
    /// The `Host` value.
    pub host: Option<&'b [u8]>,
}

/// What a request head calls for.
#[derive(Debug)]
pub enum Parsed<'b> {
    /// More bytes are needed.
    Partial,
    /// A head the relay forwards.
    Head(RequestHead<'b>),
    /// Anything else: hyper serves it (and answers the malformed ones).
    Hyper,
}

fn is(name: &str, known: &str) -> bool {
    name.eq_ignore_ascii_case(known)
}

/// Reads the request head at the start of `buf` into `lines`.
pub fn parse_request<'b>(buf: &'b [u8], lines: &mut [httparse::Header<'b>]) -> Parsed<'b> {
    let mut request = httparse::Request::new(lines);
    let len = match request.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Parsed::Partial,
        Err(_) => return Parsed::Hyper,
    };
    let (Some(method), Some(target), Some(1)) = (request.method, request.path, request.version) else {
        return Parsed::Hyper;
    };
    if method == "CONNECT" || !target.starts_with('/') || !target.bytes().all(is_plain_target_byte) {
        return Parsed::Hyper;
    }
    let mut head = RequestHead { len, method, target, body: 0, close: false, host: None };
    let mut framing = FramingCheck::default();
    for line in request.headers.iter() {
        let name = line.name;
        match framing.line(name.as_bytes(), line.value) {
            Line::Host => head.host = Some(line.value),
            Line::Length => {}
            // Chunked request bodies are hyper's to carry.
            Line::Coding => return Parsed::Hyper,
            Line::Other if is(name, "connection") => {
                for option in line.value.split(|&b| b == b',').map(trim) {
                    if option.eq_ignore_ascii_case(b"close") {
                        head.close = true;
                    } else if !(option.is_empty() || option.eq_ignore_ascii_case(b"keep-alive")) {
                        return Parsed::Hyper;
                    }
                }
            }
            Line::Other => {
                if is(name, "upgrade") || is(name, "expect") || is(name, "http2-settings") {
                    return Parsed::Hyper;
                }
            }
        }
    }
    // Framing the gateway refuses is refused by hyper's path, with the same rules.
    match framing.finish(true) {
        Ok(Body::None) => {}
        Ok(Body::Length(n)) => head.body = n,
        Ok(Body::Chunked) | Err(_) => return Parsed::Hyper,
    }
    Parsed::Head(head)
}

/// True if `buf` may hold a whole head: a blank line (CRLF or bare LF) appears in it. Cheaper
/// than parsing while bytes trickle in; httparse has the last word.
pub fn may_be_complete(buf: &[u8]) -> bool {
    if buf.ends_with(b"\r\n\r\n") {
        return true;
    }
    let mut from = 0;
    while let Some(p) = buf[from..].iter().position(|&b| b == b'\n') {
        from += p + 1;
        if let [b'\n', ..] | [b'\r', b'\n', ..] = &buf[from..] {
            return true;
        }
    }
    false
}

/// The RFC 3986 characters of a path and query (unreserved, sub-delims, `:@/?%`): every such
/// target is one `http` accepts too, so the relay never forwards what hyper would refuse.
fn is_plain_target_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&b)
}

/// How the relay writes `X-Forwarded-*`, per the route's [`Forwarded`] mode.
#[derive(Clone, Copy, Debug)]
pub struct ForwardedFor<'a> {
    /// The mode.
    pub mode: Forwarded,
    /// The client's address, as header text.
    pub client: &'a [u8],
    /// `http` or `https`.
    pub proto: &'static str,
}

/// What the upstream head says of where it goes and who sent it on.
#[derive(Clone, Copy, Debug)]
pub struct Upstream<'a> {
    /// The path and query to send.
    pub path: &'a str,
    /// The `Host` value.
    pub host: &'a [u8],
    /// This proxy's `Via` element (its loop mark), appended to the client's.
    pub via: &'a [u8],
}

/// The relay's [`HeaderSink`]: lines written as the rewrite decides them, nothing allocated.
struct Writer<'o> {
    out: &'o mut Vec<u8>,
}

impl HeaderSink for Writer<'_> {
    #[inline]
    fn keep(&mut self, name: &[u8], value: &[u8]) {
        write_line(self.out, name, value);
    }

    fn remove(&mut self, _: &[u8]) {}

    #[inline(always)]
    fn add(&mut self, line: &Added, value: &Value<'_>) {
        self.out.extend_from_slice(line.start.as_bytes());
        value.write_to(self.out);
        self.out.extend_from_slice(b"\r\n");
    }
}

/// Writes the upstream request head: the request line with the upstream's path, then the
/// client's lines as [`rewrite::request`] rewrites them for hyper's path too (its `Host`, no
/// hop-by-hop lines, this proxy's `Via`, `X-Forwarded-*`).
pub fn write_request(
    out: &mut Vec<u8>,
    head: &RequestHead<'_>,
    lines: &[httparse::Header<'_>],
    upstream: Upstream<'_>,
    forwarded: ForwardedFor<'_>,
) {
    out.clear();
    // The rewrite's first line is the `Host` it is given: written here with the request line, it
    // costs no call to the sink.
    for part in [head.method.as_bytes(), b" ", upstream.path.as_bytes(), b" HTTP/1.1\r\nhost: ", upstream.host, b"\r\n"]
    {
        out.extend_from_slice(part);
    }
    let rules = rewrite::Upstream {
        host: None,
        via: Value::Bytes(upstream.via),
        forwarded: forwarded.mode,
        client: forwarded.client,
        proto: forwarded.proto,
        original_host: head.host.map(Value::Bytes),
        open: false,
        websocket: false,
        // `parse_request` takes no other `Connection` options than `keep-alive` and `close`.
        plain_connection: true,
    };
    rewrite::request(|| lines.iter().map(|l| (l.name.as_bytes(), l.value)), &rules, &mut Writer { out: &mut *out });
    out.extend_from_slice(b"\r\n");
}

#[inline]
fn write_line(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// How a response body is delimited (RFC 9112 6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// No body: a `HEAD` answer, `204` or `304`.
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// Chunked, to be passed on as it is.
    Chunked,
    /// Until the upstream closes the connection.
    UntilClose,
}

/// An upstream response head.
#[derive(Debug)]
pub struct ResponseHead {
    /// Length of the head in bytes.
    pub len: usize,
    /// The status code.
    pub status: u16,
    /// How the body ends.
    pub framing: Framing,
    /// The upstream connection can carry another request after this body.
    pub reusable: bool,
    /// The `Content-Length` it declares (a `HEAD` answer or a `304` says it for a body it does
    /// not send).
    pub length: Option<u64>,
    /// Its `Connection` lines, if any, list only `keep-alive` and `close` (at most
    /// [`rewrite::MAX_CONNECTION_OPTIONS`] of them): they name no other line to remove, so the
    /// rewrite need not read them again.
    pub plain_connection: bool,
}

/// Parses the response head at the start of `buf`: `Ok(None)` asks for more bytes, an error
/// names what is wrong. `head_request`: the request was `HEAD`, so no body follows.
pub fn parse_response<'b>(
    buf: &'b [u8],
    lines: &mut [httparse::Header<'b>],
    head_request: bool,
) -> Result<Option<(ResponseHead, usize, &'b str)>, &'static str> {
    let mut response = httparse::Response::new(lines);
    let len = match response.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err("too many header lines"),
        Err(_) => return Err("not a valid HTTP/1.1 response head"),
    };
    let status = response.code.ok_or("no status code")?;
    // httparse reads any three digits; `http` (and so hyper's path) takes 100 to 999 only.
    if status < 100 {
        return Err("a status code below 100");
    }
    let http11 = response.version == Some(1);
    let mut length: Option<u64> = None;
    let mut chunked = false;
    let mut close = !http11;
    let (mut plain_connection, mut options) = (true, 0);
    for line in response.headers.iter() {
        if is(line.name, "content-length") {
            for item in line.value.split(|&b| b == b',') {
                let n = framing::digits(item).ok_or("an invalid Content-Length")?;
                if length.is_some_and(|l| l != n) {
                    return Err("Content-Length values that disagree");
                }
                length = Some(n);
            }
        } else if is(line.name, "transfer-encoding") {
            if chunked || !trim(line.value).eq_ignore_ascii_case(b"chunked") {
                return Err("a transfer coding other than chunked");
            }
            chunked = true;
        } else if is(line.name, "connection") {
            for option in line.value.split(|&b| b == b',').map(trim).filter(|o| !o.is_empty()) {
                options += 1;
                if option.eq_ignore_ascii_case(b"close") {
                    close = true;
                } else if !option.eq_ignore_ascii_case(b"keep-alive") {
                    plain_connection = false;
                }
            }
        }
    }
    let no_body = head_request || (100..200).contains(&status) || status == 204 || status == 304;
    let framing = if no_body {
        Framing::Empty
    } else if chunked {
        Framing::Chunked
    } else if let Some(n) = length {
        Framing::Length(n)
    } else {
        Framing::UntilClose
    };
    // With both, the length is ignored (RFC 9112 6.1), and the connection is not trusted again.
    let reusable = !close && framing != Framing::UntilClose && !(chunked && length.is_some());
    let count = response.headers.len();
    let reason = response.reason.unwrap_or_default();
    let plain_connection = plain_connection && options <= rewrite::MAX_CONNECTION_OPTIONS;
    Ok(Some((ResponseHead { len, status, framing, reusable, length, plain_connection }, count, reason)))
}

/// The relay's [`HeaderSink`] for the client's head: the rewrite's lines, less the framing the
/// relay writes itself and the upstream's CORS lines (the policy's replace them, as the CORS
/// layer does on hyper's path); notes whether the upstream sent a `Date`.
struct ClientWriter<'o> {
    out: Writer<'o>,
    has_date: bool,
}

impl HeaderSink for ClientWriter<'_> {
    #[inline]
    fn keep(&mut self, name: &[u8], value: &[u8]) {
        if name.eq_ignore_ascii_case(b"content-length") || is_cors_response_header_bytes(name) {
            return;
        }
        self.has_date |= name.eq_ignore_ascii_case(b"date");
        self.out.keep(name, value);
    }

    fn remove(&mut self, _: &[u8]) {}

    #[inline]
    fn add(&mut self, line: &Added, value: &Value<'_>) {
        self.out.add(line, value);
    }
}

/// Writes the head the client gets: the status line (with the upstream's reason phrase, as
/// hyper keeps it), the upstream's lines as [`rewrite::response`] rewrites them for hyper's path
/// too (no hop-by-hop lines, nor the names `Connection` lists), less its CORS lines and framing,
/// then `cors`, the merged `Vary`, `Date` if the upstream sent none, the framing, and
/// `Connection: close` when `close`.
pub fn write_response(
    out: &mut Vec<u8>,
    head: &ResponseHead,
    reason: &str,
    lines: &[httparse::Header<'_>],
    cors: &CorsHeaders,
    close: bool,
) -> Result<(), &'static str> {
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(itoa::Buffer::new().format(head.status).as_bytes());
    out.push(b' ');
    out.extend_from_slice(reason.as_bytes());
    out.extend_from_slice(b"\r\n");
    let mut writer = ClientWriter { out: Writer { out: &mut *out }, has_date: false };
    let raw = || lines.iter().map(|l| (l.name.as_bytes(), l.value));
    let down = rewrite::Downstream { plain_connection: head.plain_connection, ..Default::default() };
    if rewrite::response(raw, down, &mut writer) {
        return Err("too many Connection options");
    }
    let has_date = writer.has_date;
    for (name, value) in cors.lines() {
        write_line(out, name.as_str().as_bytes(), value.as_bytes());
    }
    let vary = lines.iter().filter(|l| is(l.name, "vary")).map(|l| l.value);
    let missing = cors.vary().missing_from(vary);
    if !missing.is_empty() {
        write_line(out, b"vary", missing.value().as_bytes());
    }
    if !has_date {
        super::date::write_line(out);
    }
    match head.framing {
        Framing::Chunked => out.extend_from_slice(b"transfer-encoding: chunked\r\n"),
        Framing::Length(n) => write_length(out, n),
        // A HEAD answer or a 304 says how long the body would be; a 204 has none.
        Framing::Empty => {
            if let (Some(n), false) = (head.length, head.status == 204 || head.status < 200) {
                write_length(out, n);
            }
        }
        Framing::UntilClose => {}
    }
    if close || head.framing == Framing::UntilClose {
        out.extend_from_slice(b"connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    Ok(())
}

/// `HTTP/1.1 <code> <reason>` for the gateway's own answers, with the canonical reason as hyper
/// writes it.
pub fn write_status(out: &mut Vec<u8>, status: u16) {
    out.extend_from_slice(b"HTTP/1.1 ");
    let mut digits = itoa::Buffer::new();
    out.extend_from_slice(digits.format(status).as_bytes());
    out.push(b' ');
    let reason = StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("<none>");
    out.extend_from_slice(reason.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// `content-length: n`.
pub fn write_length(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(b"content-length: ");
    let mut digits = itoa::Buffer::new();
    out.extend_from_slice(digits.format(n).as_bytes());
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests;
