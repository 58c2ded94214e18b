//! Finding the lines of a request that CORS reads.
//!
//! A preflight is read from up to four header names (`Origin`, `Access-Control-Request-Method`,
//! `-Headers`, `-Private-Network`). Four hash look-ups (one of a 38-byte custom name) cost more
//! than one walk over a browser's dozen or so request lines, so `OPTIONS` requests with few lines
//! are walked once; requests with many lines, and every other method (which needs `Origin`
//! alone), are looked up. Either way the work is bounded, and both ways find the same lines.

use http::header::{self, HeaderMap, HeaderName, HeaderValue};

/// Most request lines walked; beyond, look-ups are cheaper (and the cost stays bounded).
pub(crate) const MAX_WALKED_LINES: usize = 24;

/// `Access-Control-Request-Private-Network`, which `http` has no constant for.
pub(crate) const REQUEST_PRIVATE_NETWORK: HeaderName =
    HeaderName::from_static("access-control-request-private-network");

/// The first line of one header name, and whether there are more.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Lines<'a> {
    pub(crate) first: Option<&'a HeaderValue>,
    pub(crate) more: bool,
}

impl<'a> Lines<'a> {
    fn add(&mut self, value: &'a HeaderValue) {
        if self.first.is_none() {
            self.first = Some(value);
        } else {
            self.more = true;
        }
    }

    fn looked_up(headers: &'a HeaderMap, name: HeaderName) -> Lines<'a> {
        let mut all = headers.get_all(name).into_iter();
        Lines { first: all.next(), more: all.next().is_some() }
    }
}

/// The CORS lines of one request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RequestLines<'a> {
    pub(crate) origin: Lines<'a>,
    /// `Access-Control-Request-*`: only read for `OPTIONS` requests.
    pub(crate) method: Lines<'a>,
    pub(crate) headers: Lines<'a>,
    pub(crate) private_network: Option<&'a HeaderValue>,
}

impl<'a> RequestLines<'a> {
    /// The lines of a request with method `OPTIONS` (`options`) or another.
    pub(crate) fn read(headers: &'a HeaderMap, options: bool) -> RequestLines<'a> {
        if !options {
            return RequestLines { origin: Lines::looked_up(headers, header::ORIGIN), ..RequestLines::default() };
        }
        if headers.len() > MAX_WALKED_LINES {
            return RequestLines::looked_up(headers);
        }
        let mut lines = RequestLines::default();
        for (name, value) in headers {
            if name == header::ORIGIN {
                lines.origin.add(value);
            } else if name == header::ACCESS_CONTROL_REQUEST_METHOD {
                lines.method.add(value);
            } else if name == header::ACCESS_CONTROL_REQUEST_HEADERS {
                lines.headers.add(value);
            } else if lines.private_network.is_none() && name == REQUEST_PRIVATE_NETWORK {
                lines.private_network = Some(value);
            }
        }
        lines
    }

    /// [`RequestLines::read`] for `OPTIONS`, by look-ups.
    pub(crate) fn looked_up(headers: &'a HeaderMap) -> RequestLines<'a> {
        RequestLines {
            origin: Lines::looked_up(headers, header::ORIGIN),
            method: Lines::looked_up(headers, header::ACCESS_CONTROL_REQUEST_METHOD),
            headers: Lines::looked_up(headers, header::ACCESS_CONTROL_REQUEST_HEADERS),
            private_network: headers.get(REQUEST_PRIVATE_NETWORK),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(lines: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in lines {
            h.append(HeaderName::from_bytes(n.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn walking_finds_what_look_ups_find() {
        let cases = [
            request(&[]),
            request(&[("origin", "https://a.example"), ("access-control-request-method", "PUT")]),
            request(&[
                ("host", "api.example"),
                ("origin", "https://a.example"),
                ("origin", "https://b.example"),
                ("access-control-request-method", "PUT"),
                ("access-control-request-method", "GET"),
                ("access-control-request-headers", "x-a"),
                ("x-other", "1"),
                ("access-control-request-headers", "x-b"),
                ("access-control-request-private-network", "true"),
                ("access-control-request-private-network", "false"),
                ("access-control-request-private-networks", "true"),
            ]),
            request(&[("access-control-request-private-network", "true"), ("origin", "null")]),
        ];
        for h in &cases {
            assert!(h.len() <= MAX_WALKED_LINES);
            assert_eq!(RequestLines::read(h, true), RequestLines::looked_up(h), "{h:?}");
        }
    }

    #[test]
    fn many_lines_are_looked_up_and_other_methods_read_origin_alone() {
        let mut lines = vec![("origin", "https://a.example"), ("access-control-request-method", "PUT")];
        lines.extend(std::iter::repeat_n(("x-filler", "1"), MAX_WALKED_LINES));
        let h = request(&lines);
        assert_eq!(RequestLines::read(&h, true), RequestLines::looked_up(&h));
        let get = RequestLines::read(&h, false);
        assert_eq!(get.origin, RequestLines::looked_up(&h).origin);
        assert_eq!(get.method, Lines::default());
    }
}
