//! Origins: the `(scheme, host, port)` tuple a browser sends in `Origin`, or the opaque `null`.
//!
//! Three ways in, because three kinds of text carry origins:
//!
//! - [`Origin::parse_header`] reads the bytes of an `Origin` request header. Browsers only ever
//!   send the ASCII serialisation (lower case, punycode, no default port), so anything else is
//!   refused rather than normalised: a server that normalises would accept spellings no browser
//!   sends. [`OriginRef`] is the borrowed, allocation-free form used on request paths.
//! - [`Origin::parse_configured`] reads an origin a person wrote in a policy. Non-canonical
//!   spellings (trailing slash, path, upper case, `:443` on https, ...) are errors that carry the
//!   canonical form, because a policy entry that can never equal a header is a silent bug.
//! - [`Origin::parse`] is the WHATWG way: parse a URL and take its origin. It is for page URLs
//!   and command-line input, where being forgiving is the point.
//!
//! ```
//! use corsair_core::{Origin, OriginError};
//!
//! let o = Origin::parse_header(b"https://app.example.com").unwrap();
//! assert_eq!(o.to_string(), "https://app.example.com");
//!
//! let err = Origin::parse_configured("https://App.example.com:443/").unwrap_err();
//! assert!(matches!(err, OriginError::NotCanonical { ref canonical, .. } if canonical == "https://app.example.com"));
//! ```

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// An origin: a scheme, host and port tuple, or the opaque origin serialised as `null`.
///
/// Equality is equality of the ASCII serialisation, which is what the CORS check compares.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin {
    serialized: Box<str>,
    // Byte offsets into `serialized`; all zero for the opaque origin.
    scheme_end: u16,
    host_end: u16,
    port: Option<u16>,
}

/// A borrowed origin read from header bytes without allocating.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OriginRef<'a> {
    serialized: &'a str,
    scheme_end: u16,
    host_end: u16,
    port: Option<u16>,
}

/// The kind of host an origin names; decides loopback and trustworthiness questions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostKind {
    /// A domain name (ASCII, lower case, punycode for IDN).
    Domain,
    /// A dotted-quad IPv4 address.
    Ipv4(Ipv4Addr),
    /// A bracketed IPv6 address.
    Ipv6(Ipv6Addr),
}

/// Why text is not an origin; the `Display` text says what to write instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OriginError {
    /// Empty text.
    Empty,
    /// Not parseable as `scheme://host[:port]`.
    Malformed {
        /// The text as given.
        value: String,
        /// What is wrong, in a few words.
        reason: &'static str,
    },
    /// Valid, but not written the way browsers serialise it.
    NotCanonical {
        /// The text as given.
        value: String,
        /// The serialisation a browser would send.
        canonical: String,
        /// What differs, in a few words.
        reason: &'static str,
    },
    /// A scheme with no tuple origin (`file:`, `data:`, `about:` ...): browsers send `null`.
    OpaqueScheme {
        /// The text as given.
        value: String,
    },
}

impl fmt::Display for OriginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OriginError::Empty => f.write_str("an origin cannot be empty; write e.g. `https://app.example.com`"),
            OriginError::Malformed { value, reason } => {
                write!(f, "`{}` is not an origin: {reason}", escape(value))?;
                if !value.contains("://") && !value.is_empty() && value != "*" {
                    write!(f, "; write `https://{}`", escape(value.trim_matches('/')))?;
                }
                Ok(())
            }
            OriginError::NotCanonical { value, canonical, reason } => write!(
                f,
                "`{}` is not how browsers write this origin ({reason}); write `{canonical}`",
                escape(value)
            ),
            OriginError::OpaqueScheme { value } => write!(
                f,
                "`{}` has no origin of its own: pages there send `Origin: null`; write `null` (which needs dangerously_allow_null)",
                escape(value)
            ),
        }
    }
}

impl std::error::Error for OriginError {}

/// Escapes text for messages: printable ASCII stays, everything else becomes `\u{..}`.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if (' '..='~').contains(&c) {
            out.push(c);
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    out
}

/// The default port of a scheme with one; such ports are never serialised.
pub fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        "ftp" => Some(21),
        _ => None,
    }
}

/// Longest origin we read: scheme + "://" + a 253-byte name + ":65535", with room to spare.
/// Longer header values are refused before any other work.
pub const MAX_ORIGIN_LEN: usize = 512;

impl<'a> OriginRef<'a> {
    /// Parses the exact ASCII serialisation browsers send; `None` for anything else.
    ///
    /// Accepts `null`, and `scheme://host[:port]` where the scheme is lower case, the host is a
    /// lower-case domain (letters, digits, `-`, `_`, `.`), a canonical dotted-quad IPv4 address or a
    /// bracketed IPv6 address in its WHATWG serialisation, and the port is decimal without leading
    /// zeros, from 1 to 65535, and not the scheme's default. Runs in time linear in the input and
    /// never allocates.
    pub fn parse(bytes: &'a [u8]) -> Option<OriginRef<'a>> {
        // One pass over the bytes for the usual `scheme://domain[:port]`; this runs on every
        // request a CORS layer sees. Every byte accepted below is ASCII.
        if bytes.len() > MAX_ORIGIN_LEN {
            return None;
        }
        if bytes == b"null" {
            return Some(OriginRef { serialized: "null", scheme_end: 0, host_end: 0, port: None });
        }
        // Scheme: a lower-case letter, then lower-case letters, digits, `+`, `-`, `.`; then `://`.
        let scheme_end = bytes.iter().position(|&c| !is_scheme_byte(c))?;
        if scheme_end == 0
            || scheme_end > 64
            || !bytes[0].is_ascii_lowercase()
            || !bytes[scheme_end..].starts_with(b"://")
        {
            return None;
        }
        let host_start = scheme_end + 3;
        let rest = &bytes[host_start..];
        let host_len = if rest.first() == Some(&b'[') {
            let close = rest.iter().position(|&c| c == b']')?;
            host_kind_strict(std::str::from_utf8(&rest[..=close]).ok()?)?;
            close + 1
        } else {
            scan_host(rest)?
        };
        let port = match &rest[host_len..] {
            [] => None,
            [b':', digits @ ..] => {
                let port = parse_port_strict(digits)?;
                let scheme = std::str::from_utf8(&bytes[..scheme_end]).ok()?;
                if default_port(scheme) == Some(port) {
                    return None;
                }
                Some(port)
            }
            _ => return None,
        };
        let serialized = std::str::from_utf8(bytes).ok()?;
        Some(OriginRef { serialized, scheme_end: scheme_end as u16, host_end: (host_start + host_len) as u16, port })
    }

    /// The serialisation, exactly as received.
    pub fn as_str(&self) -> &'a str {
        self.serialized
    }

    /// True for the opaque origin, `null`.
    pub fn is_null(&self) -> bool {
        self.host_end == 0
    }

    /// The scheme (`https`), empty for `null`.
    pub fn scheme(&self) -> &'a str {
        &self.serialized[..self.scheme_end as usize]
    }

    /// The host as serialised (IPv6 with brackets), empty for `null`.
    pub fn host(&self) -> &'a str {
        if self.is_null() {
            return "";
        }
        &self.serialized[self.scheme_end as usize + 3..self.host_end as usize]
    }

    /// The explicit port; `None` when the scheme's default applies (or for `null`).
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// Copies into an owned [`Origin`].
    pub fn to_owned(&self) -> Origin {
        Origin {
            serialized: self.serialized.into(),
            scheme_end: self.scheme_end,
            host_end: self.host_end,
            port: self.port,
        }
    }
}

fn is_scheme_byte(c: u8) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'.')
}

/// What a byte can be in a host that is not bracketed IPv6.
/// (Bits, so a label's bytes can be or-ed together.)
const HOST_OTHER: u8 = 0;
const HOST_NAME: u8 = 1; // a-z - _
const HOST_DIGIT: u8 = 2;
const HOST_DOT: u8 = 4;
const HOST_END: u8 = 8; // `:`, where the port starts
const HOST_LABEL: u8 = HOST_NAME | HOST_DIGIT;

const HOST_BYTES: [u8; 256] = {
    let mut t = [HOST_OTHER; 256];
    let mut c = b'a';
    while c <= b'z' {
        t[c as usize] = HOST_NAME;
        c += 1;
    }
    let mut d = b'0';
    while d <= b'9' {
        t[d as usize] = HOST_DIGIT;
        d += 1;
    }
    t[b'-' as usize] = HOST_NAME;
    t[b'_' as usize] = HOST_NAME;
    t[b'.' as usize] = HOST_DOT;
    t[b':' as usize] = HOST_END;
    t
};

/// True for a byte of a domain label as browsers serialise hosts (`a-z 0-9 - _`).
pub(crate) fn is_label_byte(b: u8) -> bool {
    HOST_BYTES[usize::from(b)] & HOST_LABEL != 0
}

/// Reads the host at the start of `rest` (up to a `:` or the end) and returns its length if it
/// is a host as a browser serialises it (not bracketed IPv6): a lower-case domain, checked in
/// this one pass, or a dotted quad (handed to [`host_kind_strict`]).
fn scan_host(rest: &[u8]) -> Option<usize> {
    // Labels: non-empty, at most 63 of `a-z 0-9 - _`; one trailing dot is a distinct, legal host
    // (`example.com.`), empty inner labels are not. One plain loop over the bytes (this runs for
    // every origin that is not listed exactly): `seen` collects the classes of the current
    // label's bytes, `all` those of every label.
    let (mut i, mut label_start, mut labels) = (0usize, 0usize, 0usize);
    let (mut seen, mut all, mut last_label_numeric) = (0u8, 0u8, true);
    let (label_len, label_numeric) = loop {
        let class = match rest.get(i) {
            Some(&c) => HOST_BYTES[usize::from(c)],
            None => HOST_END,
        };
        if class & HOST_LABEL != 0 {
            seen |= class;
            i += 1;
            continue;
        }
        let label_len = i - label_start;
        if label_len > 63 {
            return None;
        }
        all |= seen;
        let label_numeric = seen & HOST_NAME == 0;
        match class {
            HOST_DOT if label_len > 0 => {
                (last_label_numeric, labels) = (label_numeric, labels + 1);
                i += 1;
                (label_start, seen) = (i, 0);
            }
            HOST_END => break (label_len, label_numeric),
            _ => return None,
        }
    };
    let only_digits_and_dots = all & HOST_NAME == 0;
    let len = i;
    if len == 0 || len > 253 {
        return None;
    }
    if only_digits_and_dots {
        return host_kind_strict(std::str::from_utf8(&rest[..len]).ok()?).map(|_| len);
    }
    // The last label (before a trailing dot, if any) must not be all digits: the WHATWG host
    // parser turns such names into IPv4 addresses, so browsers never send them.
    let numeric_last = if label_len > 0 { label_numeric } else { labels > 0 && last_label_numeric };
    (!numeric_last).then_some(len)
}

/// A decimal port from 1 to 65535 without leading zeros. Port 0 is refused: Fetch lists it as a
/// bad port, so no page is ever loaded from it and no browser sends it.
pub(crate) fn parse_port_strict(b: &[u8]) -> Option<u16> {
    if b.is_empty() || b.len() > 5 || !b.iter().all(u8::is_ascii_digit) || b[0] == b'0' {
        return None;
    }
    let port = b.iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'));
    u16::try_from(port).ok()
}

/// Writes into a fixed buffer on the stack, so canonical-form checks on request paths never
/// allocate. Writing more than `N` bytes fails.
struct StackWriter<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> fmt::Write for StackWriter<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).filter(|&end| end <= N).ok_or(fmt::Error)?;
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// True if `value` displays exactly as `expected` (at most 64 bytes), without allocating.
fn displays_as(value: impl fmt::Display, expected: &str) -> bool {
    use fmt::Write;
    let mut w = StackWriter::<64> { buf: [0; 64], len: 0 };
    write!(w, "{value}").is_ok() && w.buf[..w.len] == *expected.as_bytes()
}

/// An IPv6 address serialised the WHATWG way: lower-case hex pieces, the first longest run of
/// two or more zero pieces written `::`, and never an embedded dotted quad (`::ffff:7f00:1`,
/// where Rust's `Display` writes `::ffff:127.0.0.1`).
struct WhatwgIpv6(Ipv6Addr);

impl fmt::Display for WhatwgIpv6 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pieces = self.0.segments();
        let (mut compress, mut longest, mut i) = (None, 1, 0);
        while i < pieces.len() {
            let start = i;
            while i < pieces.len() && pieces[i] == 0 {
                i += 1;
            }
            if i - start > longest {
                (compress, longest) = (Some(start), i - start);
            }
            i = i.max(start + 1);
        }
        let mut ignore_zero = false;
        for (i, &piece) in pieces.iter().enumerate() {
            if ignore_zero && piece == 0 {
                continue;
            }
            ignore_zero = false;
            if compress == Some(i) {
                f.write_str(if i == 0 { "::" } else { ":" })?;
                ignore_zero = true;
                continue;
            }
            write!(f, "{piece:x}")?;
            if i != pieces.len() - 1 {
                f.write_str(":")?;
            }
        }
        Ok(())
    }
}

/// Classifies a host written exactly as a browser serialises it; `None` if it is not.
fn host_kind_strict(host: &str) -> Option<HostKind> {
    if let Some(inner) = host.strip_prefix('[') {
        let inner = inner.strip_suffix(']')?;
        let addr: Ipv6Addr = inner.parse().ok()?;
        // Only the WHATWG serialisation (shortest, lower case) is what a browser sends.
        return displays_as(WhatwgIpv6(addr), inner).then_some(HostKind::Ipv6(addr));
    }
    let b = host.as_bytes();
    if b.is_empty() || b.len() > 253 {
        return None;
    }
    if b.iter().all(|c| c.is_ascii_digit() || *c == b'.') {
        let addr: Ipv4Addr = host.parse().ok()?;
        return displays_as(addr, host).then_some(HostKind::Ipv4(addr));
    }
    // One trailing dot is a distinct, legal host (`example.com.`); empty inner labels are not.
    // Labels: non-empty, at most 63 of `a-z 0-9 - _`. One pass, no allocation.
    let trimmed = host.strip_suffix('.').unwrap_or(host);
    let (mut label_len, mut label_numeric) = (0usize, true);
    for &c in trimmed.as_bytes() {
        if c == b'.' {
            if label_len == 0 {
                return None;
            }
            (label_len, label_numeric) = (0, true);
            continue;
        }
        if !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'_') {
            return None;
        }
        label_len += 1;
        label_numeric &= c.is_ascii_digit();
        if label_len > 63 {
            return None;
        }
    }
    // The WHATWG host parser turns a last label of digits into IPv4, so such names never appear.
    (label_len > 0 && !label_numeric).then_some(HostKind::Domain)
}

impl Origin {
    /// The opaque origin, serialised `null` (sandboxed frames, `file:` pages, tainted redirects).
    pub fn null() -> Origin {
        Origin { serialized: "null".into(), scheme_end: 0, host_end: 0, port: None }
    }

    /// Parses the bytes of an `Origin` header strictly; see [`OriginRef::parse`].
    pub fn parse_header(bytes: &[u8]) -> Result<Origin, OriginError> {
        if bytes.is_empty() {
            return Err(OriginError::Empty);
        }
        OriginRef::parse(bytes).map(|o| o.to_owned()).ok_or_else(|| OriginError::Malformed {
            value: String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_ORIGIN_LEN)]).into_owned(),
            reason: "not the serialisation a browser sends (`scheme://host[:port]`, lower case, or `null`)",
        })
    }

    /// Parses any URL the WHATWG way and returns its origin (`null` for opaque schemes).
    ///
    /// Forgiving on purpose: `https://App.Example.com/path` gives `https://app.example.com`.
    pub fn parse(text: &str) -> Result<Origin, OriginError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(OriginError::Empty);
        }
        if text == "null" {
            return Ok(Origin::null());
        }
        let url = url::Url::parse(text)
            .map_err(|e| OriginError::Malformed { value: text.to_owned(), reason: url_reason(e) })?;
        if url.port() == Some(0) {
            return Err(OriginError::Malformed { value: text.to_owned(), reason: BAD_PORT_ZERO });
        }
        Ok(Origin::of_url(&url))
    }

    /// The origin of a URL, as the browser computes it.
    ///
    /// Schemes without a tuple origin give `null`, except non-special schemes with a host
    /// (`chrome-extension://id`), which browsers serialise as `scheme://host`.
    pub fn of_url(url: &url::Url) -> Origin {
        match url.origin() {
            url::Origin::Tuple(..) => {
                let s = url.origin().ascii_serialization();
                OriginRef::parse(s.as_bytes()).map(|o| o.to_owned()).unwrap_or_else(Origin::null)
            }
            url::Origin::Opaque(_) => match (url.scheme(), url.host_str()) {
                ("file" | "data" | "about" | "blob" | "javascript", _) | (_, None) => Origin::null(),
                (scheme, Some(host)) => {
                    let s = match url.port() {
                        Some(p) => format!("{scheme}://{}:{p}", host.to_ascii_lowercase()),
                        None => format!("{scheme}://{}", host.to_ascii_lowercase()),
                    };
                    OriginRef::parse(s.as_bytes()).map(|o| o.to_owned()).unwrap_or_else(Origin::null)
                }
            },
        }
    }

    /// Parses an origin written in a policy: it must already be canonical (IDN may be Unicode).
    ///
    /// `file://...` and other schemes without an origin are [`OriginError::OpaqueScheme`]; `null`
    /// parses to [`Origin::null`] (whether a policy may contain it is the policy's decision).
    pub fn parse_configured(text: &str) -> Result<Origin, OriginError> {
        if text.is_empty() {
            return Err(OriginError::Empty);
        }
        if text == "null" {
            return Ok(Origin::null());
        }
        let trimmed = text.trim();
        if trimmed != text {
            // Propose what the trimmed text is, canonically; or say what else is wrong with it.
            let canonical = match Origin::parse_configured(trimmed) {
                Ok(origin) => origin.to_string(),
                Err(OriginError::NotCanonical { canonical, .. }) => canonical,
                Err(other) => return Err(other),
            };
            return Err(OriginError::NotCanonical {
                value: text.to_owned(),
                canonical,
                reason: "surrounding white space",
            });
        }
        if text.eq_ignore_ascii_case("null") {
            return Err(OriginError::NotCanonical {
                value: text.into(),
                canonical: "null".into(),
                reason: "`null` is lower case",
            });
        }
        // `data:`, `about:blank` ... have no `//`, but are still schemes without an origin.
        let scheme = text.split_once(':').map_or("", |(scheme, _)| scheme);
        if matches!(scheme.to_ascii_lowercase().as_str(), "file" | "data" | "about" | "blob" | "javascript") {
            return Err(OriginError::OpaqueScheme { value: text.to_owned() });
        }
        if !text.contains("://") {
            return Err(OriginError::Malformed { value: text.to_owned(), reason: "no scheme" });
        }
        let url = url::Url::parse(text)
            .map_err(|e| OriginError::Malformed { value: text.to_owned(), reason: url_reason(e) })?;
        if url.port() == Some(0) {
            return Err(OriginError::Malformed { value: text.to_owned(), reason: BAD_PORT_ZERO });
        }
        let origin = Origin::of_url(&url);
        if origin.is_null() {
            return Err(match url.origin() {
                url::Origin::Tuple(..) => OriginError::Malformed {
                    value: text.to_owned(),
                    reason: "the host has characters browsers never send in an origin",
                },
                url::Origin::Opaque(_) => OriginError::OpaqueScheme { value: text.to_owned() },
            });
        }
        if origin.as_str() == text {
            return Ok(origin);
        }
        match non_canonical_reason(text, &url, &origin) {
            None => Ok(origin),
            Some(reason) => {
                Err(OriginError::NotCanonical { value: text.to_owned(), canonical: origin.to_string(), reason })
            }
        }
    }

    /// The ASCII serialisation, as sent in `Origin` and compared with `Access-Control-Allow-Origin`.
    pub fn as_str(&self) -> &str {
        &self.serialized
    }

    /// Borrows as an [`OriginRef`].
    pub fn as_ref(&self) -> OriginRef<'_> {
        OriginRef {
            serialized: &self.serialized,
            scheme_end: self.scheme_end,
            host_end: self.host_end,
            port: self.port,
        }
    }

    /// True for the opaque origin, `null`.
    pub fn is_null(&self) -> bool {
        self.host_end == 0
    }

    /// The scheme, empty for `null`.
    pub fn scheme(&self) -> &str {
        self.as_ref().scheme()
    }

    /// The host as serialised (IPv6 with brackets), empty for `null`.
    pub fn host(&self) -> &str {
        self.as_ref().host()
    }

    /// The explicit port, `None` when the scheme's default applies.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The port a connection uses: the explicit one or the scheme's default.
    pub fn effective_port(&self) -> Option<u16> {
        self.port.or_else(|| default_port(self.scheme()))
    }

    /// What kind of host this is; `None` for `null`.
    pub fn host_kind(&self) -> Option<HostKind> {
        if self.is_null() {
            return None;
        }
        host_kind_strict(self.host())
    }

    /// True for hosts that can only be this machine: `localhost`, `*.localhost`, 127.0.0.0/8, `[::1]`.
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(self.host())
    }

    /// "Potentially trustworthy" in the Secure Contexts sense: https/wss, or a loopback host.
    ///
    /// An https page may fetch such URLs without a mixed-content block.
    pub fn is_potentially_trustworthy(&self) -> bool {
        matches!(self.scheme(), "https" | "wss") || (!self.is_null() && self.is_loopback())
    }

    /// True when `url` has this origin (the test behind "same-origin" and the CORS flag).
    pub fn same_origin_as(&self, url: &url::Url) -> bool {
        !self.is_null() && Origin::of_url(url) == *self
    }
}

/// True for loopback host spellings as serialised: `localhost`, `x.localhost`, 127/8, `[::1]`.
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_end_matches('.');
    if h == "localhost" || h.ends_with(".localhost") {
        return true;
    }
    match host_kind_strict(host) {
        Some(HostKind::Ipv4(a)) => a.is_loopback(),
        Some(HostKind::Ipv6(a)) => a.is_loopback(),
        _ => false,
    }
}

fn url_reason(e: url::ParseError) -> &'static str {
    use url::ParseError::*;
    match e {
        EmptyHost => "the host is empty",
        IdnaError => "the host is not a valid international domain name",
        InvalidPort => "the port is not a number from 0 to 65535",
        InvalidIpv4Address => "the IPv4 address is invalid",
        InvalidIpv6Address => "the IPv6 address is invalid",
        InvalidDomainCharacter => "the host contains a character not allowed in domain names",
        RelativeUrlWithoutBase => "no scheme",
        _ => "not a URL",
    }
}

const BAD_PORT_ZERO: &str = "port 0 is a bad port: browsers never load pages from it";

/// Why `text`, which parses to `origin`, is not written canonically; `None` when the only
/// difference is a Unicode host that browsers send as punycode (accepted).
fn non_canonical_reason(text: &str, url: &url::Url, origin: &Origin) -> Option<&'static str> {
    let (scheme, after_scheme) = text.split_once("://").unwrap_or(("", text));
    let authority_end = after_scheme.find(['/', '?', '#']).unwrap_or(after_scheme.len());
    let (authority, tail) = after_scheme.split_at(authority_end);
    // `host[:port]`, honouring IPv6 brackets.
    let (host, port) = match authority.rfind([':', ']']) {
        Some(i) if authority.as_bytes()[i] == b':' => (&authority[..i], Some(&authority[i + 1..])),
        _ => (authority, None),
    };
    let port_as_written = match (port, origin.port()) {
        (None, None) => true,
        (Some(text), Some(port)) => displays_as(port, text),
        _ => false,
    };
    let reason = if !url.username().is_empty() || url.password().is_some() {
        "user name or password"
    } else if tail == "/" {
        "trailing slash"
    } else if !tail.is_empty() {
        "an origin has no path, query or fragment"
    } else if port == Some("") {
        "empty port"
    } else if port.is_some() && origin.port().is_none() {
        "default port is never written"
    } else if !host.is_ascii() && !host.chars().any(char::is_uppercase) && scheme == origin.scheme() && port_as_written
    {
        return None;
    } else if text.bytes().any(|b| b.is_ascii_uppercase()) || host.chars().any(char::is_uppercase) {
        "upper case"
    } else {
        "host or port not in canonical form"
    };
    Some(reason)
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.serialized)
    }
}

impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Origin({})", self.serialized)
    }
}

impl std::str::FromStr for Origin {
    type Err = OriginError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Origin::parse_configured(s)
    }
}

#[cfg(test)]
mod tests;
