//! The header rewrites of a proxy, for both request paths: hop-by-hop lines out (and the ones
//! `Connection` names), `X-Forwarded-*`, the path sent upstream, redirects in open mode.

use std::net::IpAddr;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};

use crate::config::Upstream;
use crate::framing;

/// Headers that describe one connection, not the message (RFC 9110 7.6.1), plus the proxy ones:
/// removed both ways, by this forwarder and by the relay. `Connection` comes first
/// ([`strip_hop_by_hop`] reads the names it lists).
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

/// [`HOP_BY_HOP_NAMES`] as names, made at compile time.
pub(crate) const HOP_BY_HOP: [HeaderName; HOP_BY_HOP_LEN] = [
    HeaderName::from_static(HOP_BY_HOP_NAMES[0]),
    HeaderName::from_static(HOP_BY_HOP_NAMES[1]),
    HeaderName::from_static(HOP_BY_HOP_NAMES[2]),
    HeaderName::from_static(HOP_BY_HOP_NAMES[3]),
    HeaderName::from_static(HOP_BY_HOP_NAMES[4]),
    HeaderName::from_static(HOP_BY_HOP_NAMES[5]),
    HeaderName::from_static(HOP_BY_HOP_NAMES[6]),
    HeaderName::from_static(HOP_BY_HOP_NAMES[7]),
];

const HOP_BY_HOP_LEN: usize = 8;

pub(crate) const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
pub(crate) const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
pub(crate) const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

pub(crate) const COOKIE2: HeaderName = HeaderName::from_static("cookie2");
pub(crate) const SET_COOKIE2: HeaderName = HeaderName::from_static("set-cookie2");

/// Removes names that read as framing or forwarding headers with `_` for `-` (see
/// [`framing::is_disguised`]). Names with `_` are rare: the usual request only scans its names.
pub(crate) fn strip_disguised(headers: &mut HeaderMap) {
    if !headers.keys().any(|n| framing::is_disguised(n.as_str().as_bytes())) {
        return;
    }
    let disguised: Vec<HeaderName> =
        headers.keys().filter(|n| framing::is_disguised(n.as_str().as_bytes())).cloned().collect();
    for name in disguised {
        headers.remove(name);
    }
}

/// Removes hop-by-hop headers, and the ones `Connection` names. `keep_upgrade` leaves
/// `Connection: upgrade` and `Upgrade` for a WebSocket handshake.
pub(crate) fn strip_hop_by_hop(headers: &mut HeaderMap, keep_upgrade: bool) {
    // This runs twice per request. One walk over the names finds which of the listed ones are
    // present: removing all eight blindly cost a hash and a probe each, 7% of the gateway's
    // instructions per proxied request, while most messages carry `Connection` at most.
    let mut present = [false; HOP_BY_HOP_LEN];
    let mut upgrade = false;
    for name in headers.keys() {
        match HOP_BY_HOP.iter().position(|h| h == name) {
            Some(i) => present[i] = true,
            None => upgrade |= name == header::UPGRADE,
        }
    }
    if present[0] {
        // `keep-alive`, the usual option, is a listed name: only other options are parsed into
        // names, so the usual message collects (and allocates) nothing here.
        let named: Vec<HeaderName> = headers
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|n| !n.eq_ignore_ascii_case("keep-alive"))
            .filter_map(|n| HeaderName::from_bytes(n.as_bytes()).ok())
            .filter(|n| !(keep_upgrade && n == header::UPGRADE))
            .collect();
        for name in named {
            headers.remove(name);
        }
    }
    for (name, _) in HOP_BY_HOP.iter().zip(present).filter(|(_, present)| *present) {
        if !(keep_upgrade && name == header::CONNECTION) {
            headers.remove(name);
        }
    }
    if keep_upgrade {
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    } else if upgrade {
        headers.remove(header::UPGRADE);
    }
}

/// The path and query a fixed route sends upstream for the client's `pq`: the prefix removed
/// when `strip`, the upstream's base path put in front. Borrowed when nothing changes.
pub fn upstream_path<'a>(upstream: &Upstream, prefix: &str, strip: bool, pq: &'a str) -> std::borrow::Cow<'a, str> {
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

/// A redirect's `Location`, turned into a path through the proxy: the browser follows it to the
/// proxy, which checks the next hop like any request (target list, SSRF guard, rate limit).
pub(crate) fn rewrite_location(h: &mut HeaderMap, base: &url::Url) {
    let Some(location) = h.get(header::LOCATION).and_then(|v| v.to_str().ok()) else { return };
    match base.join(location) {
        Ok(next) if matches!(next.scheme(), "http" | "https") => {
            if let Ok(v) = HeaderValue::from_str(&format!("/{next}")) {
                h.insert(header::LOCATION, v);
            }
        }
        _ => {
            h.remove(header::LOCATION);
        }
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
        strip_hop_by_hop(&mut h, false);
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
        strip_hop_by_hop(&mut h, false);
        let left: Vec<&str> = h.keys().map(HeaderName::as_str).collect();
        assert_eq!(left, ["content-type", "x-keep"]);

        let mut none = HeaderMap::new();
        none.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        strip_hop_by_hop(&mut none, false);
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
        strip_hop_by_hop(&mut h, true);
        assert_eq!(h.get(header::CONNECTION).unwrap(), "upgrade");
        assert_eq!(h.get(header::UPGRADE).unwrap(), "websocket");
    }

    #[test]
    fn redirects_come_back_through_the_proxy() {
        let base = url::Url::parse("https://api.example.com/v1/items").unwrap();
        let mut h = HeaderMap::new();
        h.insert(header::LOCATION, HeaderValue::from_static("/v2/items?x=1"));
        rewrite_location(&mut h, &base);
        assert_eq!(h.get(header::LOCATION).unwrap(), "/https://api.example.com/v2/items?x=1");
        h.insert(header::LOCATION, HeaderValue::from_static("http://internal.test/"));
        rewrite_location(&mut h, &base);
        assert_eq!(h.get(header::LOCATION).unwrap(), "/http://internal.test/");
        h.insert(header::LOCATION, HeaderValue::from_static("javascript:alert(1)"));
        rewrite_location(&mut h, &base);
        assert!(h.get(header::LOCATION).is_none());
    }
}
