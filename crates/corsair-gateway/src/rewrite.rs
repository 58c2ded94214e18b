//! The header rewrites of a proxy, one set of rules for both request paths: hop-by-hop lines
//! out (and the ones `Connection` names), `Host`, `Via` (the loop mark), `X-Forwarded-*`, the
//! open proxy's credentials and redirects, and the path sent upstream.
//!
//! The rules read a message's lines and tell a [`HeaderSink`] what becomes of each (kept,
//! removed) and what to add. Two sinks: [`MapEdit`] edits hyper's `HeaderMap` in place, and the
//! relay's byte writers (`relay::head`) write the head as they go, allocating nothing. So the
//! fast path and hyper's path send the same lines because they run the same code, and
//! `fuzz/bodies/relay_differential.rs` checks that they do.
//!
//! ```text
//! request:  Host, hop-by-hop, Connection-listed, Upgrade (unless WebSocket), `_` spellings,
//!           open mode: Cookie, Cookie2, Authorization            -> removed
//!           X-Forwarded-* per `forwarded` (set, append, off)      -> replaced / extended
//!           + Host (the upstream's), Via (this server's mark), Connection: upgrade (WebSocket)
//! response: hop-by-hop, Connection-listed, Upgrade (unless 101)   -> removed
//!           open mode: Set-Cookie, Set-Cookie2, WWW-Authenticate  -> removed
//!           + CSP sandbox, nosniff, Location through the proxy (open mode), Connection: upgrade (101)
//! ```

use std::net::IpAddr;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};

use crate::config::{Forwarded, Upstream as UpstreamUrl};
use crate::framing;

/// Headers that describe one connection, not the message (RFC 9110 7.6.1), plus the proxy ones:
/// removed both ways, on both paths.
pub const HOP_BY_HOP_NAMES: [&str; HOP_BY_HOP_LEN] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
];

const HOP_BY_HOP_LEN: usize = 8;

pub(crate) const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
pub(crate) const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
pub(crate) const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

/// Where a rewrite puts a message's lines: told, line by line, whether each goes on, then what
/// the proxy adds.
pub(crate) trait HeaderSink {
    /// A line of the message that goes on as it is.
    fn keep(&mut self, name: &[u8], value: &[u8]);
    /// A line of the message that does not go on.
    fn remove(&mut self, name: &[u8]);
    /// A line the proxy adds.
    fn add(&mut self, name: &HeaderName, value: Value<'_>);
}

/// A value the proxy adds, in the form its source has it, so that neither sink copies or
/// converts more than it must.
#[derive(Debug)]
pub(crate) enum Value<'a> {
    /// A value in hand (a map takes it by reference count).
    Header(&'a HeaderValue),
    /// Bytes of a head read off the wire (a map copies them, if they are header text).
    Bytes(&'a [u8]),
    /// A fixed value.
    Static(&'static str),
    /// A list extended: the client's value, `, `, then the proxy's.
    Joined(&'a [u8], &'a [u8]),
    /// A value made for this message.
    Owned(HeaderValue),
}

impl Value<'_> {
    /// The value's bytes, for a writer; a joined list writes its two parts.
    pub(crate) fn write_to(&self, out: &mut Vec<u8>) {
        match self {
            Value::Header(v) => out.extend_from_slice(v.as_bytes()),
            Value::Bytes(b) => out.extend_from_slice(b),
            Value::Static(s) => out.extend_from_slice(s.as_bytes()),
            Value::Joined(prior, ours) => {
                out.extend_from_slice(prior);
                out.extend_from_slice(b", ");
                out.extend_from_slice(ours);
            }
            Value::Owned(v) => out.extend_from_slice(v.as_bytes()),
        }
    }

    /// The value as a map holds it; `None` if the bytes are not header text.
    fn into_header_value(self) -> Option<HeaderValue> {
        match self {
            Value::Header(v) => Some(v.clone()),
            Value::Bytes(b) => HeaderValue::from_bytes(b).ok(),
            Value::Static(s) => Some(HeaderValue::from_static(s)),
            Value::Joined(prior, ours) => {
                let mut joined = Vec::with_capacity(prior.len() + 2 + ours.len());
                Value::Joined(prior, ours).write_to(&mut joined);
                HeaderValue::from_maybe_shared(bytes::Bytes::from(joined)).ok()
            }
            Value::Owned(v) => Some(v),
        }
    }
}

/// What a request going upstream gets and loses, besides the rules that hold for every request.
#[derive(Debug)]
pub(crate) struct Upstream<'a> {
    /// The `Host` line to send; `None` sends none (the pool adds the URI's, or HTTP/2 takes
    /// `:authority`).
    pub host: Option<Value<'a>>,
    /// This server's `Via` element (its loop mark), added after the client's.
    pub via: Value<'a>,
    /// How `X-Forwarded-*` are written.
    pub forwarded: Forwarded,
    /// The client's address, as header text.
    pub client: &'a [u8],
    /// `http` or `https`: how the client reached the proxy.
    pub proto: &'static str,
    /// The `Host` the client asked for (`X-Forwarded-Host`).
    pub original_host: Option<Value<'a>>,
    /// The open proxy: no credentials of the user's reach a third party.
    pub open: bool,
    /// A WebSocket handshake: `Upgrade` stays and `Connection` says `upgrade`.
    pub websocket: bool,
}

/// What a response going to the client gets and loses, besides the rules that hold for every
/// response.
#[derive(Debug, Default)]
pub(crate) struct Downstream<'a> {
    /// A `101`: `Upgrade` stays and `Connection` says `upgrade`.
    pub switching: bool,
    /// The open proxy, with the target URL that redirects are resolved against: no cookies or
    /// credential prompts from a third party, a sandbox for its HTML, redirects through the proxy.
    pub open: Option<Option<&'a url::Url>>,
}

fn is(name: &[u8], known: &str) -> bool {
    name.eq_ignore_ascii_case(known.as_bytes())
}

fn is_hop_by_hop(name: &[u8]) -> bool {
    HOP_BY_HOP_NAMES.iter().any(|n| is(name, n))
}

/// Most `Connection` options kept at hand; a message with more is read again for each line.
const LISTED: usize = 16;

/// The names a message's `Connection` lines list (RFC 9110 7.6.1: hop-by-hop too), but
/// `keep-alive` (hop-by-hop anyway) and, when `upgrade` is kept, `upgrade`.
struct Listed<'l, F> {
    names: [&'l [u8]; LISTED],
    count: usize,
    /// More than [`LISTED`]: `lines` are read again for each name asked about.
    more: bool,
    lines: F,
    keep_upgrade: bool,
}

impl<'l, F, I> Listed<'l, F>
where
    F: Fn() -> I,
    I: Iterator<Item = (&'l [u8], &'l [u8])>,
{
    fn of(lines: F, keep_upgrade: bool) -> Self {
        let mut listed = Listed { names: [b""; LISTED], count: 0, more: false, lines, keep_upgrade };
        for option in Self::options(&listed.lines, keep_upgrade) {
            if listed.count == LISTED {
                listed.more = true;
                break;
            }
            listed.names[listed.count] = option;
            listed.count += 1;
        }
        listed
    }

    fn options(lines: &F, keep_upgrade: bool) -> impl Iterator<Item = &'l [u8]> {
        lines()
            .filter(|(name, _)| is(name, "connection"))
            .flat_map(|(_, value)| value.split(|&b| b == b','))
            .map(framing::trim)
            .filter(move |o| !(o.is_empty() || is(o, "keep-alive") || (keep_upgrade && is(o, "upgrade"))))
    }

    fn contains(&self, name: &[u8]) -> bool {
        if self.more {
            return Self::options(&self.lines, self.keep_upgrade).any(|o| o.eq_ignore_ascii_case(name));
        }
        self.names[..self.count].iter().any(|o| o.eq_ignore_ascii_case(name))
    }
}

/// The lines of `map`, as a rewrite reads them.
pub(crate) fn map_lines(map: &HeaderMap) -> impl Iterator<Item = (&[u8], &[u8])> {
    map.iter().map(|(n, v)| (n.as_str().as_bytes(), v.as_bytes()))
}

/// Rewrites a request's lines (`lines` gives them, as often as asked) for the upstream.
pub(crate) fn request<'l, F, I>(lines: F, up: Upstream<'_>, sink: &mut impl HeaderSink)
where
    F: Fn() -> I,
    I: Iterator<Item = (&'l [u8], &'l [u8])>,
{
    if let Some(host) = up.host {
        sink.add(&header::HOST, host);
    }
    let listed = Listed::of(&lines, up.websocket);
    let mode = up.forwarded;
    let mut prior_for: Option<&[u8]> = None;
    let (mut has_proto, mut has_host) = (false, false);
    for (name, value) in lines() {
        let gone = is(name, "host")
            || is_hop_by_hop(name)
            || (is(name, "upgrade") && !up.websocket)
            || listed.contains(name)
            || framing::is_disguised(name)
            || (up.open && (is(name, "cookie") || is(name, "cookie2") || is(name, "authorization")));
        if gone {
            sink.remove(name);
            continue;
        }
        if mode != Forwarded::Off {
            if is(name, "x-forwarded-for") {
                // Append extends the first line; Set drops them all.
                if mode == Forwarded::Append && prior_for.is_none() {
                    prior_for = Some(value);
                }
                sink.remove(name);
                continue;
            }
            let proto = is(name, "x-forwarded-proto");
            if proto || is(name, "x-forwarded-host") {
                if mode == Forwarded::Set {
                    sink.remove(name);
                    continue;
                }
                has_proto |= proto;
                has_host |= !proto;
            }
        }
        sink.keep(name, value);
    }
    sink.add(&header::VIA, up.via);
    if up.websocket {
        sink.add(&header::CONNECTION, Value::Static("upgrade"));
    }
    if mode == Forwarded::Off {
        return;
    }
    let client = match prior_for {
        Some(prior) => Value::Joined(prior, up.client),
        None => Value::Bytes(up.client),
    };
    sink.add(&X_FORWARDED_FOR, client);
    if !has_proto {
        sink.add(&X_FORWARDED_PROTO, Value::Static(up.proto));
    }
    if let (false, Some(host)) = (has_host, up.original_host) {
        sink.add(&X_FORWARDED_HOST, host);
    }
}

/// Rewrites a response's lines (`lines` gives them, as often as asked) for the client.
pub(crate) fn response<'l, F, I>(lines: F, down: Downstream<'_>, sink: &mut impl HeaderSink)
where
    F: Fn() -> I,
    I: Iterator<Item = (&'l [u8], &'l [u8])>,
{
    let listed = Listed::of(&lines, down.switching);
    // The first `Location` decides for all of them, as a map's `get` and `insert` would.
    let mut location: Option<Redirect> = None;
    for (name, value) in lines() {
        let mut gone = is_hop_by_hop(name) || (is(name, "upgrade") && !down.switching) || listed.contains(name);
        if let (false, Some(base)) = (gone, down.open) {
            gone = is(name, "set-cookie")
                || is(name, "set-cookie2")
                || is(name, "www-authenticate")
                || is(name, "content-security-policy")
                || is(name, "x-content-type-options");
            if !gone && is(name, "location") {
                gone = !matches!(location.get_or_insert_with(|| through_proxy(value, base)), Redirect::Keep);
            }
        }
        if gone {
            sink.remove(name);
        } else {
            sink.keep(name, value);
        }
    }
    if down.switching {
        sink.add(&header::CONNECTION, Value::Static("upgrade"));
    }
    if down.open.is_some() {
        sink.add(&header::CONTENT_SECURITY_POLICY, Value::Static("sandbox"));
        sink.add(&header::X_CONTENT_TYPE_OPTIONS, Value::Static("nosniff"));
        if let Some(Redirect::Replace(rewritten)) = location {
            sink.add(&header::LOCATION, Value::Owned(rewritten));
        }
    }
}

/// Edits a `HeaderMap` after a rewrite has read it: what to remove and add, kept on the stack
/// for the usual few, applied by [`MapEdit::apply`] (removals first).
#[derive(Default)]
pub(crate) struct MapEdit {
    removed: Few<HeaderName, 8>,
    added: Few<(HeaderName, HeaderValue), 8>,
}

impl HeaderSink for MapEdit {
    fn keep(&mut self, _: &[u8], _: &[u8]) {}

    fn remove(&mut self, name: &[u8]) {
        if self.removed.iter().any(|n| n.as_str().as_bytes() == name) {
            return;
        }
        if let Ok(name) = HeaderName::from_bytes(name) {
            self.removed.push(name);
        }
    }

    fn add(&mut self, name: &HeaderName, value: Value<'_>) {
        if let Some(value) = value.into_header_value() {
            self.added.push((name.clone(), value));
        }
    }
}

impl MapEdit {
    /// Applies the edit to the map the rewrite read.
    pub(crate) fn apply(self, map: &mut HeaderMap) {
        for name in self.removed.into_iter() {
            map.remove(name);
        }
        for (name, value) in self.added.into_iter() {
            map.append(name, value);
        }
    }
}

/// A request's header map rewritten in place for the upstream (hyper's path).
pub(crate) fn request_map(map: &mut HeaderMap, up: Upstream<'_>) {
    let mut edit = MapEdit::default();
    request(|| map_lines(map), up, &mut edit);
    edit.apply(map);
}

/// A response's header map rewritten in place for the client (hyper's path).
pub(crate) fn response_map(map: &mut HeaderMap, down: Downstream<'_>) {
    let mut edit = MapEdit::default();
    response(|| map_lines(map), down, &mut edit);
    edit.apply(map);
}

/// Up to `N` items on the stack, more in a `Vec`: a map edit is a few lines, and the usual
/// request should not allocate for them.
struct Few<T, const N: usize> {
    first: [Option<T>; N],
    len: usize,
    more: Vec<T>,
}

impl<T, const N: usize> Default for Few<T, N> {
    fn default() -> Self {
        Few { first: std::array::from_fn(|_| None), len: 0, more: Vec::new() }
    }
}

impl<T, const N: usize> Few<T, N> {
    fn push(&mut self, item: T) {
        if self.len < N {
            self.first[self.len] = Some(item);
            self.len += 1;
        } else {
            self.more.push(item);
        }
    }

    fn iter(&self) -> impl Iterator<Item = &T> {
        self.first.iter().flatten().chain(&self.more)
    }

    fn into_iter(self) -> impl Iterator<Item = T> {
        self.first.into_iter().flatten().chain(self.more)
    }
}

/// The path and query a fixed route sends upstream for the client's `pq`: the prefix removed
/// when `strip`, the upstream's base path put in front. Borrowed when nothing changes.
pub fn upstream_path<'a>(upstream: &UpstreamUrl, prefix: &str, strip: bool, pq: &'a str) -> std::borrow::Cow<'a, str> {
    let strip = strip && prefix != "/";
    if upstream.base_path.is_empty() && !strip && pq.starts_with('/') {
        return pq.into();
    }
    let rest = if strip { &pq[prefix.len().min(pq.len())..] } else { pq };
    let slash = if rest.starts_with('/') { "" } else { "/" };
    format!("{}{slash}{rest}", upstream.base_path).into()
}

/// An address as header text. IPv4 is written by hand: this runs on every request, and
/// `Display` for addresses costs more than the rest of the forwarded headers together.
pub(crate) fn address_value(ip: IpAddr) -> HeaderValue {
    let text = match ip {
        IpAddr::V4(v4) => {
            let mut buf = [0u8; 15];
            let mut n = 0;
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    buf[n] = b'.';
                    n += 1;
                }
                if octet >= 100 {
                    buf[n] = b'0' + octet / 100;
                    n += 1;
                }
                if octet >= 10 {
                    buf[n] = b'0' + octet / 10 % 10;
                    n += 1;
                }
                buf[n] = b'0' + octet % 10;
                n += 1;
            }
            return HeaderValue::from_bytes(&buf[..n]).expect("digits and dots are header text");
        }
        IpAddr::V6(v6) => v6.to_string(),
    };
    HeaderValue::from_str(&text).expect("an IPv6 address is header text")
}

/// What becomes of a redirect's `Location` in open mode.
enum Redirect {
    /// Left as it is: not text, or no target URL to resolve it by.
    Keep,
    /// A path through the proxy: the browser follows it to the proxy, which checks the next hop
    /// like any request (target list, SSRF guard, rate limit).
    Replace(HeaderValue),
    /// It leads nowhere the proxy goes (another scheme, or no URL).
    Remove,
}

/// `value`, a `Location`, resolved against the target URL `base` and turned into a path
/// through the proxy.
fn through_proxy(value: &[u8], base: Option<&url::Url>) -> Redirect {
    let Some(base) = base else { return Redirect::Keep };
    // What `HeaderValue::to_str` takes: visible ASCII and tabs.
    if !value.iter().all(|&b| b == b'\t' || (0x20..0x7f).contains(&b)) {
        return Redirect::Keep;
    }
    let Ok(location) = std::str::from_utf8(value) else { return Redirect::Keep };
    match base.join(location) {
        Ok(next) if matches!(next.scheme(), "http" | "https") => match HeaderValue::from_str(&format!("/{next}")) {
            Ok(v) => Redirect::Replace(v),
            Err(_) => Redirect::Keep,
        },
        _ => Redirect::Remove,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_and_the_ones_connection_names_go() {
        let mut h = HeaderMap::new();
        h.insert(header::CONNECTION, HeaderValue::from_static("keep-alive, x-secret"));
        h.insert("x-secret", HeaderValue::from_static("1"));
        h.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        h.insert(header::TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
        h.insert(header::UPGRADE, HeaderValue::from_static("h2c"));
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        response_map(&mut h, Downstream::default());
        assert_eq!(h.len(), 1, "{h:?}");
        assert!(h.contains_key(header::CONTENT_TYPE));
    }

    #[test]
    fn only_the_listed_and_named_headers_go_whatever_their_order() {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        h.insert(header::TE, HeaderValue::from_static("trailers"));
        h.insert("x-keep", HeaderValue::from_static("1"));
        h.insert(header::UPGRADE, HeaderValue::from_static("h2c"));
        h.append(header::CONNECTION, HeaderValue::from_static("x-one"));
        h.append(header::CONNECTION, HeaderValue::from_static("upgrade, X-Two"));
        h.insert("x-one", HeaderValue::from_static("1"));
        h.insert("x-two", HeaderValue::from_static("2"));
        response_map(&mut h, Downstream::default());
        let left: Vec<&str> = h.keys().map(HeaderName::as_str).collect();
        assert_eq!(left, ["content-type", "x-keep"]);

        let mut none = HeaderMap::new();
        none.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        response_map(&mut none, Downstream::default());
        assert_eq!(none.len(), 1);
    }

    #[test]
    fn addresses_as_header_text() {
        for ip in ["0.0.0.0", "127.0.0.1", "10.9.99.100", "255.255.255.255", "1.20.200.9", "::1", "2001:db8::7"] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(address_value(ip), ip.to_string().as_str());
        }
        for octet in 0..=255u8 {
            let ip = IpAddr::from([octet, 255 - octet, octet / 3, 7]);
            assert_eq!(address_value(ip), ip.to_string().as_str());
        }
    }

    #[test]
    fn websocket_handshakes_keep_upgrade() {
        let mut h = HeaderMap::new();
        h.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
        h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        let mut response = h.clone();
        response_map(&mut response, Downstream { switching: true, open: None });
        assert_eq!(response.get(header::CONNECTION).unwrap(), "upgrade");
        assert_eq!(response.get(header::UPGRADE).unwrap(), "websocket");
        request_map(&mut h, upstream(Forwarded::Off, true));
        assert_eq!(h.get(header::CONNECTION).unwrap(), "upgrade");
        assert_eq!(h.get(header::UPGRADE).unwrap(), "websocket");
    }

    #[test]
    fn redirects_come_back_through_the_proxy() {
        let base = url::Url::parse("https://api.example.com/v1/items").unwrap();
        let open = || Downstream { switching: false, open: Some(Some(&base)) };
        let mut h = HeaderMap::new();
        h.insert(header::LOCATION, HeaderValue::from_static("/v2/items?x=1"));
        response_map(&mut h, open());
        assert_eq!(h.get(header::LOCATION).unwrap(), "/https://api.example.com/v2/items?x=1");
        assert_eq!(h.get(header::CONTENT_SECURITY_POLICY).unwrap(), "sandbox");
        h.insert(header::LOCATION, HeaderValue::from_static("http://internal.test/"));
        response_map(&mut h, open());
        assert_eq!(h.get(header::LOCATION).unwrap(), "/http://internal.test/");
        h.insert(header::LOCATION, HeaderValue::from_static("javascript:alert(1)"));
        response_map(&mut h, open());
        assert!(h.get(header::LOCATION).is_none());
        h.insert(header::LOCATION, HeaderValue::from_bytes(b"/caf\xc3\xa9").unwrap());
        response_map(&mut h, open());
        assert_eq!(h.get(header::LOCATION).unwrap().as_bytes(), b"/caf\xc3\xa9", "not text: left as it is");
        assert_eq!(h.get_all(header::CONTENT_SECURITY_POLICY).iter().count(), 1);
    }

    fn upstream(forwarded: Forwarded, websocket: bool) -> Upstream<'static> {
        Upstream {
            host: Some(Value::Static("up.test")),
            via: Value::Static("1.1 corsair-test"),
            forwarded,
            client: b"127.0.0.9",
            proto: "http",
            original_host: Some(Value::Static("gw.test")),
            open: false,
            websocket,
        }
    }

    /// A sink that writes lines as the relay does, for comparing with the map's.
    #[derive(Default)]
    struct Lines(Vec<(String, String)>);

    impl HeaderSink for Lines {
        fn keep(&mut self, name: &[u8], value: &[u8]) {
            let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
            self.0.push((text(name).to_ascii_lowercase(), text(value)));
        }
        fn remove(&mut self, _: &[u8]) {}
        fn add(&mut self, name: &HeaderName, value: Value<'_>) {
            let mut bytes = Vec::new();
            value.write_to(&mut bytes);
            self.keep(name.as_str().as_bytes(), &bytes);
        }
    }

    fn sorted(map: &HeaderMap) -> Vec<(String, String)> {
        let mut lines: Vec<(String, String)> =
            map.iter().map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect();
        lines.sort();
        lines
    }

    #[test]
    fn the_map_and_the_writer_send_the_same_lines() {
        let lines: &[(&str, &str)] = &[
            ("Host", "gw.test"),
            ("Connection", "keep-alive, x-secret"),
            ("X-Secret", "1"),
            ("Keep-Alive", "5"),
            ("Via", "1.1 other"),
            ("X-Forwarded-For", "10.0.0.1"),
            ("X-Forwarded-For", "10.0.0.2"),
            ("X-Forwarded-Proto", "https"),
            ("Content_Length", "9"),
            ("Cookie", "a=1"),
            ("Accept", "*/*"),
        ];
        for mode in [Forwarded::Set, Forwarded::Append, Forwarded::Off] {
            for open in [false, true] {
                let mut map = HeaderMap::new();
                for (n, v) in lines {
                    map.append(HeaderName::from_bytes(n.as_bytes()).unwrap(), HeaderValue::from_static(v));
                }
                let raw = || lines.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes()));
                let mut written = Lines::default();
                request(raw, Upstream { open, ..upstream(mode, false) }, &mut written);
                request_map(&mut map, Upstream { open, ..upstream(mode, false) });
                written.0.sort();
                assert_eq!(written.0, sorted(&map), "{mode:?}, open: {open}");
                assert_eq!(map.get(header::HOST).unwrap(), "up.test");
                assert_eq!(map.contains_key(header::COOKIE), !open);
                assert!(!map.contains_key("x-secret") && !map.contains_key("content_length"));
                let xff: Vec<_> = map.get_all(X_FORWARDED_FOR).iter().collect();
                match mode {
                    Forwarded::Set => assert_eq!(xff, ["127.0.0.9"]),
                    Forwarded::Append => assert_eq!(xff, ["10.0.0.1, 127.0.0.9"]),
                    Forwarded::Off => assert_eq!(xff, ["10.0.0.1", "10.0.0.2"]),
                }
                let via: Vec<_> = map.get_all(header::VIA).iter().collect();
                assert_eq!(via, ["1.1 other", "1.1 corsair-test"]);
            }
        }
    }
}
