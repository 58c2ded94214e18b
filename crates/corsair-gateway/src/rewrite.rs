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

/// A line the proxy adds: the name for a map, and the line's start for a writer, made once.
#[derive(Debug)]
pub(crate) struct Added {
    /// The name.
    pub name: HeaderName,
    /// `name: `, as a writer starts the line.
    pub start: &'static str,
}

macro_rules! added {
    ($($const:ident = $name:expr, $text:literal;)*) => {
        $(pub(crate) const $const: Added = Added { name: $name, start: concat!($text, ": ") };)*
    };
}

added! {
    HOST = header::HOST, "host";
    VIA = header::VIA, "via";
    CONNECTION = header::CONNECTION, "connection";
    X_FORWARDED_FOR = HeaderName::from_static("x-forwarded-for"), "x-forwarded-for";
    X_FORWARDED_PROTO = HeaderName::from_static("x-forwarded-proto"), "x-forwarded-proto";
    X_FORWARDED_HOST = HeaderName::from_static("x-forwarded-host"), "x-forwarded-host";
    CONTENT_SECURITY_POLICY = header::CONTENT_SECURITY_POLICY, "content-security-policy";
    X_CONTENT_TYPE_OPTIONS = header::X_CONTENT_TYPE_OPTIONS, "x-content-type-options";
    LOCATION = header::LOCATION, "location";
}

/// Where a rewrite puts a message's lines: told, line by line, whether each goes on, then what
/// the proxy adds.
pub(crate) trait HeaderSink {
    /// A line of the message that goes on as it is.
    fn keep(&mut self, name: &[u8], value: &[u8]);
    /// A line of the message that does not go on.
    fn remove(&mut self, name: &[u8]);
    /// A line the proxy adds.
    fn add(&mut self, line: &Added, value: &Value<'_>);
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
    #[inline(always)]
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
    fn to_header_value(&self) -> Option<HeaderValue> {
        match self {
            Value::Header(v) => Some((*v).clone()),
            Value::Bytes(b) => HeaderValue::from_bytes(b).ok(),
            Value::Static(s) => Some(HeaderValue::from_static(s)),
            Value::Joined(prior, ours) => {
                let mut joined = Vec::with_capacity(prior.len() + 2 + ours.len());
                self.write_to(&mut joined);
                HeaderValue::from_maybe_shared(bytes::Bytes::from(joined)).ok()
            }
            Value::Owned(v) => Some(v.clone()),
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
    /// The caller has read the `Connection` lines and found only `keep-alive` and `close`
    /// (the relay takes no other request): they are not read again.
    pub plain_connection: bool,
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
    /// The caller has read the `Connection` lines and found only `keep-alive` and `close`, at
    /// most [`MAX_CONNECTION_OPTIONS`] (the relay's parser does): they are not read again.
    pub plain_connection: bool,
}

/// Whether `name` is `known` (lower case) in any case. A plain loop that stops at the first
/// difference: the standard library's comparison works in chunks, which costs a short name
/// (every name here is one) several times more.
#[inline(always)]
fn is(name: &[u8], known: &str) -> bool {
    name.len() == known.len() && name.iter().zip(known.as_bytes()).all(|(n, k)| n.to_ascii_lowercase() == *k)
}

/// The names the rules treat apart from the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Name {
    Host,
    Connection,
    /// The other names that describe one connection, not the message (RFC 9110 7.6.1), and
    /// the proxy ones: `Keep-Alive`, `Proxy-Connection`, `Proxy-Authenticate`,
    /// `Proxy-Authorization`, `TE`, `Trailer`, `Transfer-Encoding`.
    HopByHop,
    Upgrade,
    ForwardedFor,
    ForwardedProto,
    ForwardedHost,
    /// `Cookie`, `Cookie2`, `Authorization`: the user's credentials.
    Credentials,
    /// `Set-Cookie`, `Set-Cookie2`, `WWW-Authenticate`: a site asking for credentials.
    SetsCredentials,
    /// `Content-Security-Policy`, `X-Content-Type-Options`: set by the open proxy.
    Sandbox,
    Location,
    Other,
}

/// The names the rules know, lower case.
const KNOWN: [(&str, Name); 22] = [
    ("te", Name::HopByHop),
    ("host", Name::Host),
    ("cookie", Name::Credentials),
    ("upgrade", Name::Upgrade),
    ("trailer", Name::HopByHop),
    ("cookie2", Name::Credentials),
    ("location", Name::Location),
    ("connection", Name::Connection),
    ("keep-alive", Name::HopByHop),
    ("set-cookie", Name::SetsCredentials),
    ("set-cookie2", Name::SetsCredentials),
    ("authorization", Name::Credentials),
    ("x-forwarded-for", Name::ForwardedFor),
    ("proxy-connection", Name::HopByHop),
    ("x-forwarded-host", Name::ForwardedHost),
    ("www-authenticate", Name::SetsCredentials),
    ("transfer-encoding", Name::HopByHop),
    ("x-forwarded-proto", Name::ForwardedProto),
    ("proxy-authenticate", Name::HopByHop),
    ("proxy-authorization", Name::HopByHop),
    ("x-content-type-options", Name::Sandbox),
    ("content-security-policy", Name::Sandbox),
];

/// Per name length, the first letters of the [`KNOWN`] names of that length (bit 0: `a`).
const FIRST_LETTERS: [u32; 24] = {
    let mut table = [0u32; 24];
    let mut i = 0;
    while i < KNOWN.len() {
        let name = KNOWN[i].0.as_bytes();
        table[name.len()] |= 1 << (name[0] - b'a');
        i += 1;
    }
    table
};

/// Where the [`KNOWN`] names of each length start (they are sorted by length).
const STARTS: [u8; 25] = {
    let mut starts = [KNOWN.len() as u8; 25];
    let mut i = KNOWN.len();
    while i > 0 {
        i -= 1;
        starts[KNOWN[i].0.len()] = i as u8;
    }
    starts
};

/// What `name` is to the rules. Every line of every message is asked, so its length and first
/// letter rule out most names at once (a table look-up); the rest are compared.
#[inline(always)]
fn name_of(name: &[u8]) -> Name {
    let letters = FIRST_LETTERS.get(name.len()).copied().unwrap_or(0);
    if letters == 0 {
        return Name::Other;
    }
    // Not empty: no known name is. `| 0x20` lower-cases a letter; anything else misses.
    let first = (name[0] | 0x20).wrapping_sub(b'a');
    if first >= 26 || letters & (1 << first) == 0 {
        return Name::Other;
    }
    KNOWN[STARTS[name.len()] as usize..]
        .iter()
        .take_while(|(known, _)| known.len() == name.len())
        .find(|(known, _)| is(name, known))
        .map_or(Name::Other, |(_, n)| *n)
}

/// Most `Connection` options a message may have for the relay, which keeps the ones it must
/// look for at hand; a message with more is read again for each line (hyper's path).
pub(crate) const MAX_CONNECTION_OPTIONS: usize = 16;
const LISTED: usize = MAX_CONNECTION_OPTIONS;

/// Names kept at hand; more are looked for in the lines again.
const KEPT: usize = 4;

/// The options of a message's `Connection` lines that name lines to remove (RFC 9110 7.6.1):
/// all but `keep-alive` (hop-by-hop anyway) and, when `upgrade` is kept, `upgrade`. The usual
/// message lists none of those, and its lines are then asked nothing.
struct Listed<'l, F> {
    /// The first few names (most messages list none); with more, `lines` are read again.
    names: [&'l [u8]; KEPT],
    count: usize,
    /// More than [`LISTED`] options, `keep-alive` included.
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
        let mut listed = Listed { names: [b""; KEPT], count: 0, more: false, lines, keep_upgrade };
        let mut options = 0;
        for (name, value) in (listed.lines)() {
            if name.len() != 10 || !is(name, "connection") {
                continue;
            }
            for option in value.split(|&b| b == b',') {
                let option = framing::trim(option);
                if option.is_empty() {
                    continue;
                }
                options += 1;
                if options > LISTED {
                    listed.more = true;
                } else if listed.names_lines(option) {
                    if let Some(slot) = listed.names.get_mut(listed.count) {
                        *slot = option;
                    }
                    listed.count += 1;
                }
            }
        }
        listed
    }

    /// No options to look for.
    fn none(lines: F) -> Self {
        Listed { names: [b""; KEPT], count: 0, more: false, lines, keep_upgrade: false }
    }

    /// Whether `option` names lines to remove.
    fn names_lines(&self, option: &[u8]) -> bool {
        !(is(option, "keep-alive") || (self.keep_upgrade && is(option, "upgrade")))
    }

    #[inline]
    fn contains(&self, name: &[u8]) -> bool {
        if self.more || self.count > KEPT {
            return (self.lines)()
                .filter(|(n, _)| is(n, "connection"))
                .flat_map(|(_, value)| value.split(|&b| b == b','))
                .map(framing::trim)
                .any(|o| o.eq_ignore_ascii_case(name) && self.names_lines(o));
        }
        self.count > 0 && self.names[..self.count].iter().any(|o| o.eq_ignore_ascii_case(name))
    }
}

/// The lines of `map`, as a rewrite reads them.
pub(crate) fn map_lines(map: &HeaderMap) -> impl Iterator<Item = (&[u8], &[u8])> {
    map.iter().map(|(n, v)| (n.as_str().as_bytes(), v.as_bytes()))
}

/// Rewrites a request's lines (`lines` gives them, as often as asked) for the upstream.
pub(crate) fn request<'l, F, I>(lines: F, up: &Upstream<'_>, sink: &mut impl HeaderSink)
where
    F: Fn() -> I,
    I: Iterator<Item = (&'l [u8], &'l [u8])>,
{
    if let Some(host) = &up.host {
        sink.add(&HOST, host);
    }
    let listed = if up.plain_connection { Listed::none(&lines) } else { Listed::of(&lines, up.websocket) };
    let mode = up.forwarded;
    let mut prior_for: Option<&[u8]> = None;
    let (mut has_proto, mut has_host) = (false, false);
    for (name, value) in lines() {
        let gone = match name_of(name) {
            Name::Host | Name::Connection | Name::HopByHop => true,
            Name::Upgrade => !up.websocket,
            Name::Credentials => up.open,
            Name::ForwardedFor if mode != Forwarded::Off => {
                // Append extends the first line; Set drops them all.
                if mode == Forwarded::Append && prior_for.is_none() {
                    prior_for = Some(value);
                }
                true
            }
            Name::ForwardedProto if mode == Forwarded::Append => {
                has_proto = true;
                false
            }
            Name::ForwardedHost if mode == Forwarded::Append => {
                has_host = true;
                false
            }
            Name::ForwardedProto | Name::ForwardedHost => mode == Forwarded::Set,
            _ => false,
        } || listed.contains(name)
            || framing::is_disguised(name);
        if gone {
            sink.remove(name);
        } else {
            sink.keep(name, value);
        }
    }
    sink.add(&VIA, &up.via);
    if up.websocket {
        sink.add(&CONNECTION, &Value::Static("upgrade"));
    }
    if mode == Forwarded::Off {
        return;
    }
    let client = match prior_for {
        Some(prior) => Value::Joined(prior, up.client),
        None => Value::Bytes(up.client),
    };
    sink.add(&X_FORWARDED_FOR, &client);
    if !has_proto {
        sink.add(&X_FORWARDED_PROTO, &Value::Static(up.proto));
    }
    if let (false, Some(host)) = (has_host, &up.original_host) {
        sink.add(&X_FORWARDED_HOST, host);
    }
}

/// Rewrites a response's lines (`lines` gives them, as often as asked) for the client. True if
/// its `Connection` lines list more than 16 names (the relay, which keeps them at hand, refuses
/// such a response).
pub(crate) fn response<'l, F, I>(lines: F, down: Downstream<'_>, sink: &mut impl HeaderSink) -> bool
where
    F: Fn() -> I,
    I: Iterator<Item = (&'l [u8], &'l [u8])>,
{
    let listed = if down.plain_connection { Listed::none(&lines) } else { Listed::of(&lines, down.switching) };
    // The first `Location` decides for all of them, as a map's `get` and `insert` would.
    let mut location: Option<Redirect> = None;
    for (name, value) in lines() {
        let gone = match name_of(name) {
            Name::Connection | Name::HopByHop => true,
            Name::Upgrade => !down.switching,
            Name::SetsCredentials | Name::Sandbox => down.open.is_some(),
            Name::Location => match down.open {
                Some(base) => !matches!(location.get_or_insert_with(|| through_proxy(value, base)), Redirect::Keep),
                None => false,
            },
            _ => false,
        } || listed.contains(name);
        if gone {
            sink.remove(name);
        } else {
            sink.keep(name, value);
        }
    }
    if down.switching {
        sink.add(&CONNECTION, &Value::Static("upgrade"));
    }
    if down.open.is_some() {
        sink.add(&CONTENT_SECURITY_POLICY, &Value::Static("sandbox"));
        sink.add(&X_CONTENT_TYPE_OPTIONS, &Value::Static("nosniff"));
        if let Some(Redirect::Replace(rewritten)) = location {
            sink.add(&LOCATION, &Value::Owned(rewritten));
        }
    }
    listed.more
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

    fn add(&mut self, line: &Added, value: &Value<'_>) {
        if let Some(value) = value.to_header_value() {
            self.added.push((line.name.clone(), value));
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
pub(crate) fn request_map(map: &mut HeaderMap, up: &Upstream<'_>) {
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
    fn every_name_the_rules_know_is_found_whatever_its_case() {
        let hop_by_hop = [
            "keep-alive",
            "proxy-connection",
            "proxy-authenticate",
            "proxy-authorization",
            "te",
            "trailer",
            "transfer-encoding",
        ];
        for name in hop_by_hop {
            assert_eq!(name_of(name.as_bytes()), Name::HopByHop, "{name}");
            assert_eq!(name_of(name.to_ascii_uppercase().as_bytes()), Name::HopByHop, "{name}");
        }
        assert!(KNOWN.windows(2).all(|w| w[0].0.len() <= w[1].0.len()), "sorted by length, as STARTS needs");
        for (known, name) in KNOWN {
            assert_eq!(name_of(known.as_bytes()), name, "{known}");
        }
        assert_eq!(name_of(b"Connection"), Name::Connection);
        assert_eq!(name_of(b"HOST"), Name::Host);
        assert_eq!(name_of(b"X-Forwarded-Proto"), Name::ForwardedProto);
        for other in ["hosts", "tee", "x-forwarded-fox", "content-length", "", "content-security-polic"] {
            assert_eq!(name_of(other.as_bytes()), Name::Other, "{other}");
        }
    }

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

        // More names than are kept at hand, and more options than the relay takes.
        for count in [6, 20] {
            let mut many = HeaderMap::new();
            let names: Vec<String> = (0..count).map(|i| format!("x-{i}")).collect();
            many.insert(header::CONNECTION, HeaderValue::from_str(&names.join(", ")).unwrap());
            for name in &names {
                many.insert(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_static("1"));
            }
            many.insert("x-keep", HeaderValue::from_static("1"));
            response_map(&mut many, Downstream::default());
            let left: Vec<&str> = many.keys().map(HeaderName::as_str).collect();
            assert_eq!(left, ["x-keep"], "{count} names");
        }

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
        response_map(&mut response, Downstream { switching: true, open: None, plain_connection: false });
        assert_eq!(response.get(header::CONNECTION).unwrap(), "upgrade");
        assert_eq!(response.get(header::UPGRADE).unwrap(), "websocket");
        request_map(&mut h, &upstream(Forwarded::Off, true));
        assert_eq!(h.get(header::CONNECTION).unwrap(), "upgrade");
        assert_eq!(h.get(header::UPGRADE).unwrap(), "websocket");
    }

    #[test]
    fn redirects_come_back_through_the_proxy() {
        let base = url::Url::parse("https://api.example.com/v1/items").unwrap();
        let open = || Downstream { switching: false, open: Some(Some(&base)), plain_connection: false };
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
            plain_connection: false,
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
        fn add(&mut self, line: &Added, value: &Value<'_>) {
            let mut bytes = Vec::new();
            value.write_to(&mut bytes);
            self.keep(line.name.as_str().as_bytes(), &bytes);
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
                request(raw, &Upstream { open, ..upstream(mode, false) }, &mut written);
                request_map(&mut map, &Upstream { open, ..upstream(mode, false) });
                written.0.sort();
                assert_eq!(written.0, sorted(&map), "{mode:?}, open: {open}");
                assert_eq!(map.get(header::HOST).unwrap(), "up.test");
                assert_eq!(map.contains_key(header::COOKIE), !open);
                assert!(!map.contains_key("x-secret") && !map.contains_key("content_length"));
                let xff: Vec<_> = map.get_all(&X_FORWARDED_FOR.name).iter().collect();
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
