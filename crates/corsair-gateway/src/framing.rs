//! How an HTTP/1.x request's body is framed, and the framing the gateway refuses, as pure
//! functions over header lines. Both paths apply these same rules: the relay to decide what it
//! may carry (anything refused goes to hyper), hyper's path to answer the refusal.
//!
//! A proxy and the server behind it must agree on where each request ends, or a request hidden in
//! a body reaches the server unseen (request smuggling). hyper parses generously (it takes
//! `Content-Length` with `Transfer-Encoding`, repeated codings, `005`); the gateway is as strict
//! as RFC 9112 allows and nginx is: one `Host` in HTTP/1.1, one `Content-Length` of plain digits,
//! `Transfer-Encoding` exactly `chunked` and never with `Content-Length`, none in HTTP/1.0.
//!
//! ```
//! use corsair_gateway::fuzzing::framing::{Body, FramingCheck, Malformed};
//!
//! let mut check = FramingCheck::default();
//! check.line(b"Host", b"api.example.com");
//! check.line(b"Content-Length", b"005");
//! assert_eq!(check.finish(true), Err(Malformed::BadLength));
//!
//! let mut check = FramingCheck::default();
//! check.line(b"host", b"api.example.com");
//! check.line(b"transfer-encoding", b"chunked");
//! assert_eq!(check.finish(true), Ok(Body::Chunked));
//! ```

use http::StatusCode;

/// How the body of an acceptable request is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    /// No framing lines: no body.
    None,
    /// `Content-Length`.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// Framing the gateway refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Malformed {
    /// An HTTP/1.1 request without `Host`.
    NoHost,
    /// More than one `Host` line.
    ManyHosts,
    /// More than one `Content-Length` line, or a list.
    ManyLengths,
    /// A `Content-Length` that is not plain digits (a sign, leading zeros, too long).
    BadLength,
    /// Both `Content-Length` and `Transfer-Encoding`.
    LengthAndCoding,
    /// More than one `Transfer-Encoding` line, or `chunked` applied twice.
    ManyCodings,
    /// A transfer coding other than `chunked`.
    UnknownCoding,
    /// `Transfer-Encoding` in an HTTP/1.0 request, which cannot carry it.
    CodingInHttp10,
}

impl Malformed {
    /// The status to answer with: `501` for a coding the gateway does not implement, `400`
    /// for the rest (RFC 9112 6.1, 6.3).
    pub fn status(self) -> StatusCode {
        match self {
            Malformed::UnknownCoding => StatusCode::NOT_IMPLEMENTED,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// What is wrong, for the answer's body and the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Malformed::NoHost => "an HTTP/1.1 request needs a Host header",
            Malformed::ManyHosts => "a request has one Host header, not several",
            Malformed::ManyLengths => "a request has one Content-Length, not several",
            Malformed::BadLength => "Content-Length must be plain digits, without a sign or leading zeros",
            Malformed::LengthAndCoding => "a request has Content-Length or Transfer-Encoding, not both",
            Malformed::ManyCodings => "Transfer-Encoding must say chunked once, on one line",
            Malformed::UnknownCoding => "the only transfer coding this proxy takes is chunked",
            Malformed::CodingInHttp10 => "an HTTP/1.0 request cannot use Transfer-Encoding",
        }
    }
}

/// What one header line is to the framing rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Line {
    /// `Host`.
    Host,
    /// `Content-Length`.
    Length,
    /// `Transfer-Encoding`.
    Coding,
    /// Anything else.
    Other,
}

/// Reads a request's header lines one at a time, then judges their framing.
#[derive(Clone, Copy, Debug, Default)]
pub struct FramingCheck {
    hosts: u8,
    lengths: u8,
    codings: u8,
    length: Option<u64>,
    coding: Option<Result<(), Malformed>>,
}

impl FramingCheck {
    /// Takes one header line and says what it was.
    pub fn line(&mut self, name: &[u8], value: &[u8]) -> Line {
        if name.eq_ignore_ascii_case(b"host") {
            self.hosts = self.hosts.saturating_add(1);
            Line::Host
        } else if name.eq_ignore_ascii_case(b"content-length") {
            self.lengths = self.lengths.saturating_add(1);
            self.length = parse_length(value);
            Line::Length
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            self.codings = self.codings.saturating_add(1);
            self.coding = Some(coding(value));
            Line::Coding
        } else {
            Line::Other
        }
    }

    /// The body's framing, or why the request is refused. `http11`: the request is HTTP/1.1
    /// (not 1.0).
    pub fn finish(&self, http11: bool) -> Result<Body, Malformed> {
        if self.hosts > 1 {
            return Err(Malformed::ManyHosts);
        }
        if http11 && self.hosts == 0 {
            return Err(Malformed::NoHost);
        }
        if self.codings > 0 {
            if !http11 {
                return Err(Malformed::CodingInHttp10);
            }
            if self.lengths > 0 {
                return Err(Malformed::LengthAndCoding);
            }
            if self.codings > 1 {
                return Err(Malformed::ManyCodings);
            }
            self.coding.unwrap_or(Ok(()))?;
            return Ok(Body::Chunked);
        }
        match (self.lengths, self.length) {
            (0, _) => Ok(Body::None),
            (1, Some(n)) => Ok(Body::Length(n)),
            (1, None) => Err(Malformed::BadLength),
            _ => Err(Malformed::ManyLengths),
        }
    }
}

/// Checks a whole request's lines at once (hyper's path, which has them in a map).
pub fn check<'a>(http11: bool, lines: impl IntoIterator<Item = (&'a [u8], &'a [u8])>) -> Result<Body, Malformed> {
    let mut check = FramingCheck::default();
    for (name, value) in lines {
        check.line(name, value);
    }
    check.finish(http11)
}

/// A `Transfer-Encoding` value: exactly `chunked` (any case, white space around it).
fn coding(value: &[u8]) -> Result<(), Malformed> {
    let mut chunked = 0;
    let mut other = false;
    for item in value.split(|&b| b == b',').map(trim) {
        if item.eq_ignore_ascii_case(b"chunked") {
            chunked += 1;
        } else {
            other = true;
        }
    }
    match (chunked, other) {
        (1, false) => Ok(()),
        (_, true) => Err(Malformed::UnknownCoding),
        _ => Err(Malformed::ManyCodings),
    }
}

/// A request's `Content-Length` value: [`digits`] with no leading zero unless it is `0`.
pub fn parse_length(value: &[u8]) -> Option<u64> {
    let n = digits(value)?;
    (trim(value)[0] != b'0' || n == 0 && trim(value).len() == 1).then_some(n)
}

/// One to 19 digits (so the number fits in a `u64`), white space around them allowed: the
/// `Content-Length` of responses, read as leniently as hyper reads them.
pub fn digits(value: &[u8]) -> Option<u64> {
    let value = trim(value);
    if value.is_empty() || value.len() > 19 || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(value.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0')))
}

/// Trims spaces and tabs.
pub fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Header names a server may read as framing or forwarding headers although they are spelt with
/// `_` (CGI, WSGI and PHP map `-` and `_` to the same variable): `Content_Length`,
/// `X_Forwarded_For`. Both paths drop them on the way up, as nginx does.
const DISGUISABLE: [&[u8]; 15] = [
    b"content-length",
    b"transfer-encoding",
    b"host",
    b"connection",
    b"keep-alive",
    b"proxy-connection",
    b"te",
    b"trailer",
    b"upgrade",
    b"expect",
    b"forwarded",
    b"x-forwarded-for",
    b"x-forwarded-host",
    b"x-forwarded-proto",
    b"x-real-ip",
];

/// True for a name with `_` that reads as one of the framing or forwarding names when `_` is
/// taken for `-`.
pub fn is_disguised(name: &[u8]) -> bool {
    name.contains(&b'_')
        && DISGUISABLE.iter().any(|known| {
            known.len() == name.len()
                && known.iter().zip(name).all(|(&k, &n)| k == n.to_ascii_lowercase() || (k == b'-' && n == b'_'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judge(http11: bool, lines: &[(&str, &str)]) -> Result<Body, Malformed> {
        check(http11, lines.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())))
    }

    #[test]
    fn host_once_in_http11_at_most_once_in_http10() {
        assert_eq!(judge(true, &[("Host", "a")]), Ok(Body::None));
        assert_eq!(judge(true, &[]), Err(Malformed::NoHost));
        assert_eq!(judge(true, &[("host", "a"), ("HOST", "a")]), Err(Malformed::ManyHosts));
        assert_eq!(judge(false, &[]), Ok(Body::None));
        assert_eq!(judge(false, &[("host", "a"), ("host", "b")]), Err(Malformed::ManyHosts));
    }

    #[test]
    fn content_length_is_one_plain_number() {
        let h = ("host", "a");
        assert_eq!(judge(true, &[h, ("content-length", "0")]), Ok(Body::Length(0)));
        assert_eq!(judge(true, &[h, ("content-length", " 60 ")]), Ok(Body::Length(60)));
        assert_eq!(
            judge(true, &[h, ("content-length", "9999999999999999999")]),
            Ok(Body::Length(9_999_999_999_999_999_999))
        );
        for bad in ["00060", "+5", "-1", "", "5 5", "0x10", "99999999999999999999", "５"] {
            assert_eq!(judge(true, &[h, ("content-length", bad)]), Err(Malformed::BadLength), "{bad:?}");
        }
        assert_eq!(judge(true, &[h, ("content-length", "5, 5")]), Err(Malformed::BadLength));
        assert_eq!(judge(true, &[h, ("content-length", "5"), ("content-length", "5")]), Err(Malformed::ManyLengths));
    }

    #[test]
    fn transfer_encoding_is_exactly_chunked() {
        let h = ("host", "a");
        for good in ["chunked", "Chunked", " CHUNKED\t"] {
            assert_eq!(judge(true, &[h, ("transfer-encoding", good)]), Ok(Body::Chunked), "{good:?}");
        }
        for (bad, why) in [
            ("identity, chunked", Malformed::UnknownCoding),
            ("gzip, chunked", Malformed::UnknownCoding),
            ("xchunked", Malformed::UnknownCoding),
            ("\"chunked\"", Malformed::UnknownCoding),
            ("chunked, chunked", Malformed::ManyCodings),
            ("", Malformed::UnknownCoding),
        ] {
            assert_eq!(judge(true, &[h, ("transfer-encoding", bad)]), Err(why), "{bad:?}");
        }
        let two = [h, ("transfer-encoding", "chunked"), ("Transfer-Encoding", "chunked")];
        assert_eq!(judge(true, &two), Err(Malformed::ManyCodings));
        let both = [h, ("transfer-encoding", "chunked"), ("content-length", "3")];
        assert_eq!(judge(true, &both), Err(Malformed::LengthAndCoding));
        assert_eq!(judge(false, &[("transfer-encoding", "chunked")]), Err(Malformed::CodingInHttp10));
    }

    #[test]
    fn statuses() {
        assert_eq!(Malformed::UnknownCoding.status(), StatusCode::NOT_IMPLEMENTED);
        assert_eq!(Malformed::LengthAndCoding.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn disguised_names_are_framing_or_forwarding_names_with_underscores() {
        for name in ["Content_Length", "transfer_encoding", "X_Forwarded_For", "x-forwarded_host", "X_REAL_IP"] {
            assert!(is_disguised(name.as_bytes()), "{name}");
        }
        for name in ["content-length", "x_custom", "my_header", "host", "x_forwarded_forx", "_"] {
            assert!(!is_disguised(name.as_bytes()), "{name}");
        }
    }
}
