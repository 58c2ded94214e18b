//! Which request headers a page may send without a preflight, which it may not send at all,
//! and which response headers it may read: the safelists, as Chromium applies them.
//!
//! These rules decide whether a request is preflighted, and what its
//! `Access-Control-Request-Headers` says, so they must match the browser byte for byte.
//!
//! ```
//! use corsair_core::safelist::{cors_unsafe_request_header_names, is_cors_safelisted_request_header};
//! assert!(is_cors_safelisted_request_header("Content-Type", b"text/plain;charset=utf-8"));
//! assert!(!is_cors_safelisted_request_header("content-type", b"application/json"));
//! let unsafe_names = cors_unsafe_request_header_names([("X-B", "1"), ("Accept", "*/*"), ("x-a", "2"), ("X-a", "3")]);
//! assert_eq!(unsafe_names, vec!["x-a", "x-b"]);
//! ```

/// Longest value a safelisted request header may have.
pub const MAX_SAFELISTED_VALUE_LEN: usize = 128;

/// Past this many bytes of safelisted values in one request, all of them become unsafe.
pub const MAX_SAFELISTED_TOTAL_LEN: usize = 1024;

/// Response headers script can read on any CORS response, without `Access-Control-Expose-Headers`.
pub const SAFELISTED_RESPONSE_HEADERS: [&str; 7] =
    ["cache-control", "content-language", "content-length", "content-type", "expires", "last-modified", "pragma"];

/// Request headers `fetch()` and XHR drop silently when script sets them.
///
/// Chromium's list: the standard's, plus `User-Agent` (crbug 571722) and
/// `Access-Control-Request-Private-Network`.
pub const FORBIDDEN_REQUEST_HEADERS: [&str; 23] = [
    "accept-charset",
    "accept-encoding",
    "access-control-request-headers",
    "access-control-request-method",
    "access-control-request-private-network",
    "connection",
    "content-length",
    "cookie",
    "cookie2",
    "date",
    "dnt",
    "expect",
    "host",
    "keep-alive",
    "origin",
    "referer",
    "set-cookie",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "via",
];

/// True if script cannot set this header (name compared case-insensitively).
///
/// `value` matters only for the method-override headers, which are forbidden when one of their
/// values is a forbidden method.
pub fn is_forbidden_request_header(name: &str, value: &[u8]) -> bool {
    let lower = name.to_ascii_lowercase();
    if FORBIDDEN_REQUEST_HEADERS.contains(&lower.as_str()) || lower.starts_with("proxy-") || lower.starts_with("sec-") {
        return true;
    }
    if matches!(lower.as_str(), "x-http-method" | "x-http-method-override" | "x-method-override") {
        return value
            .split(|&b| b == b',')
            .map(crate::token::trim_ows)
            .any(|m| std::str::from_utf8(m).is_ok_and(crate::method::is_forbidden));
    }
    false
}

/// True for `Set-Cookie` and `Set-Cookie2`, which script can never read.
pub fn is_forbidden_response_header(name: &str) -> bool {
    name.eq_ignore_ascii_case("set-cookie") || name.eq_ignore_ascii_case("set-cookie2")
}

/// A byte the Fetch standard calls CORS-unsafe in a request-header value.
pub fn is_cors_unsafe_byte(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b == 0x7f || b"\"():<>?@[\\]{}".contains(&b)
}

/// True if this one header, on its own, needs no preflight (Chromium's list, which is the
/// standard's plus client hints and `Save-Data`).
pub fn is_cors_safelisted_request_header(name: &str, value: &[u8]) -> bool {
    if value.len() > MAX_SAFELISTED_VALUE_LEN {
        return false;
    }
    let lower = name.to_ascii_lowercase();
    match lower.as_str() {
        "accept" => !value.iter().copied().any(is_cors_unsafe_byte),
        "accept-language" | "content-language" => {
            value.iter().all(|&b| b.is_ascii_alphanumeric() || b" *,-.;=".contains(&b))
        }
        "content-type" => is_safelisted_content_type(value),
        "range" => is_simple_range(value),
        // Chromium's additions: client hints and Save-Data, each with a value grammar.
        "dpr" | "device-memory" | "downlink" => is_decimal(value),
        "width" | "viewport-width" | "rtt" => !value.is_empty() && value.iter().all(u8::is_ascii_digit),
        "save-data" => value.eq_ignore_ascii_case(b"on"),
        "ect" => matches!(value, b"slow-2g" | b"2g" | b"3g" | b"4g"),
        "intervention" => true,
        _ => false,
    }
}

fn is_decimal(v: &[u8]) -> bool {
    let mut parts = v.splitn(2, |&b| b == b'.');
    let int = parts.next().unwrap_or_default();
    let frac = parts.next();
    !int.is_empty()
        && int.iter().all(u8::is_ascii_digit)
        && frac.is_none_or(|f| !f.is_empty() && f.iter().all(u8::is_ascii_digit))
}

/// `Content-Type` needs no preflight when, lower-cased, it has no unsafe byte and the text
/// before the first `;` is `type/subtype` (leading white space before the type and trailing after
/// the subtype allowed, both tokens) naming a form type. Parameters are not looked at: Chromium
/// reads the value with its lenient MIME extractor, not the standard's strict parser.
fn is_safelisted_content_type(value: &[u8]) -> bool {
    if value.iter().copied().any(is_cors_unsafe_byte) {
        return false;
    }
    let lower = value.to_ascii_lowercase();
    let essence = lower.split(|&b| b == b';').next().unwrap_or_default();
    let mut parts = essence.split(|&b| b == b'/');
    let (Some(kind), Some(sub), None) = (parts.next(), parts.next(), parts.next()) else { return false };
    let kind = kind.trim_ascii_start();
    let sub = sub.trim_ascii_end();
    if !crate::token::is_token(kind) || !crate::token::is_token(sub) {
        return false;
    }
    // The source also lists `message/ad-auction-trusted-signals-request` behind a feature;
    // Chromium 156 preflights it (docs/chromium-rules.md, "Observed in Chromium 156").
    matches!(
        (kind, sub),
        (b"application", b"x-www-form-urlencoded") | (b"multipart", b"form-data") | (b"text", b"plain")
    )
}

/// `Range` needs no preflight when it is exactly one `bytes=FIRST-[LAST]` range: the unit in
/// lower case, positions of ASCII digits only, each below `i64::MAX`, and FIRST <= LAST.
/// Chromium 156 preflights `BYTES=1-2`, `bytes=+1-2` and `bytes=9223372036854775807-`, though its
/// older source read the value lower-cased with a `+`-tolerant integer parser (docs/chromium-rules.md,
/// "Observed in Chromium 156").
fn is_simple_range(value: &[u8]) -> bool {
    let Some(spec) = value.strip_prefix(b"bytes=") else { return false };
    let Some(dash) = spec.iter().position(|&b| b == b'-') else { return false };
    let (start, end) = (&spec[..dash], &spec[dash + 1..]);
    let position = |d: &[u8]| -> Option<i64> {
        if d.is_empty() || !d.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(d).ok()?.parse().ok().filter(|&n| n != i64::MAX)
    };
    let Some(first) = position(start) else { return false };
    end.is_empty() || position(end).is_some_and(|last| first <= last)
}

/// The names a request's headers make it need a preflight for: every non-safelisted name
/// (forbidden ones excluded, since the browser drops them), plus every safelisted one when
/// their values add up to more than 1024 bytes; lower-cased, de-duplicated, byte-sorted.
///
/// Joined with `,` this is exactly the `Access-Control-Request-Headers` value.
pub fn cors_unsafe_request_header_names<'a, I, N, V>(headers: I) -> Vec<String>
where
    I: IntoIterator<Item = (N, V)>,
    N: AsRef<str> + 'a,
    V: AsRef<[u8]> + 'a,
{
    let mut unsafe_names = Vec::new();
    let mut safelisted = Vec::new();
    let mut safelisted_len = 0usize;
    for (name, value) in headers {
        let (name, value) = (name.as_ref(), value.as_ref());
        if is_forbidden_request_header(name, value) {
            continue;
        }
        let lower = name.to_ascii_lowercase();
        if is_cors_safelisted_request_header(name, value) {
            safelisted_len += value.len();
            safelisted.push(lower);
        } else {
            unsafe_names.push(lower);
        }
    }
    if safelisted_len > MAX_SAFELISTED_TOTAL_LEN {
        unsafe_names.append(&mut safelisted);
    }
    unsafe_names.sort_unstable();
    unsafe_names.dedup();
    unsafe_names
}

#[cfg(test)]
mod tests;
