//! The reason part of Chromium's messages, every wording since 2014, and the WebKit wordings
//! that older Chromium shared (`Origin X is not allowed by Access-Control-Allow-Origin.`).
//!
//! Texts are read without whitespace (see `paste.rs`), so each template below is matched
//! wherever the paste broke its lines.

use super::kinds::OtherFailure;
use super::paste::Squeezed;
use crate::cors_error::{AddressSpace, CorsError};

/// What a reason text says.
#[derive(Debug, Default)]
pub(super) struct Detail {
    pub error: Option<CorsError>,
    pub other: Option<OtherFailure>,
    /// From "Origin 'X' is therefore not allowed access." (before 2018) or WebKit's wording.
    pub origin: Option<String>,
    /// From "The response had HTTP status code N." or a status in the reason itself.
    pub status: Option<u16>,
    /// The redirect's source, from "Redirect from 'A' to 'B' has been blocked".
    pub redirect_from: Option<String>,
    /// Where a redirect pointed, when the text names it.
    pub redirect_to: Option<String>,
    /// The wording is WebKit's (Safari, or Chrome before 2014).
    pub webkit: bool,
    /// Where the text ends in the squeezed paragraph.
    pub end: usize,
}

const PREFLIGHT_PREFIX: &str = "Response to preflight request doesn't pass access control check:";

/// Sentences Chromium appended (now or in older builds) that carry no information.
const SUFFIXES: [&str; 5] = [
    "Have the server send the header with a valid value, or, if an opaque response serves your needs, set the request's mode to 'no-cors' to fetch the resource with CORS disabled.",
    "Have the server send the header with a valid value.",
    "If an opaque response serves your needs, set the request's mode to 'no-cors' to fetch the resource with CORS disabled.",
    "The credentials mode of requests initiated by the XMLHttpRequest is controlled by the withCredentials attribute.",
    "The credentials mode of an XMLHttpRequest is controlled by the withCredentials attribute.",
];

/// Fixed reasons, and the error each reports.
fn fixed() -> [(&'static str, CorsError); 14] {
    use CorsError::*;
    [
        ("Cross origin requests are not allowed by request mode.", DisallowedByMode),
        ("Cross origin requests are not supported.", DisallowedByMode),
        ("The response is invalid.", InvalidResponse),
        ("Invalid response.", InvalidResponse),
        (
            "The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'.",
            WildcardOriginNotAllowed,
        ),
        (
            "A wildcard '*' cannot be used in the 'Access-Control-Allow-Origin' header when the credentials flag is true.",
            WildcardOriginNotAllowed,
        ),
        ("No 'Access-Control-Allow-Origin' header is present on the requested resource.", MissingAllowOriginHeader),
        ("It does not have HTTP ok status.", PreflightInvalidStatus { status: 0 }),
        ("Redirect is not allowed for a preflight request.", PreflightDisallowedRedirect),
        ("Response for preflight is invalid (redirect)", PreflightDisallowedRedirect),
        (
            "Cannot parse Access-Control-Allow-Methods response header field in preflight response.",
            InvalidAllowMethodsPreflightResponse,
        ),
        (
            "Cannot parse Access-Control-Allow-Headers response header field in preflight response.",
            InvalidAllowHeadersPreflightResponse,
        ),
        ("Cross origin requests are only supported for HTTP.", CorsDisabledScheme),
        ("URL scheme must be \"http\" or \"https\" for CORS request.", CorsDisabledScheme),
    ]
}

/// Reads a reason text at `p`.
pub(super) fn read(sq: &Squeezed<'_>, p: usize) -> Option<Detail> {
    let (preflight, p) = match sq.eat(p, PREFLIGHT_PREFIX) {
        Some(q) => (true, q),
        None => (false, p),
    };
    let mut d = reason(sq, p)?;
    if preflight {
        d.error = d.error.map(CorsError::into_preflight);
    }
    tails(sq, &mut d);
    Some(d)
}

/// A value between `pre` and `post` at `p` (hint bytes as printed), and where `post` ends.
fn between(sq: &Squeezed<'_>, p: usize, pre: &str, post: &str) -> Option<(usize, usize, usize)> {
    let a = sq.eat(p, pre)?;
    let b = sq.find_in_message(a, post)?;
    let end = sq.eat(b, post)?;
    Some((a, b, end))
}

fn reason(sq: &Squeezed<'_>, p: usize) -> Option<Detail> {
    let done = |error: CorsError, end: usize| Some(Detail { error: Some(error), end, ..Detail::default() });
    for (text, error) in fixed() {
        if let Some(end) = sq.eat(p, text) {
            return done(error, end);
        }
    }
    if let Some(a) = sq
        .eat(p, "Response for preflight has invalid HTTP status code")
        .or_else(|| sq.eat(p, "Invalid HTTP status code"))
    {
        let (status, mut end) = sq.number(a)?;
        end = sq.eat(end, ".").unwrap_or(end);
        return Some(Detail {
            error: Some(CorsError::PreflightInvalidStatus { status }),
            status: Some(status),
            end,
            ..Detail::default()
        });
    }
    if let Some(a) = sq.eat(p, "Cross origin requests are only supported for protocol schemes:") {
        let end = sq.find(a, ".").map_or(a, |d| d + 1);
        return done(CorsError::CorsDisabledScheme, end);
    }
    if let Some((_, _, end)) = between(sq, p, "URL scheme \"", "\" is not supported.") {
        return done(CorsError::CorsDisabledScheme, end);
    }
    if let Some((a, b, end)) =
        between(sq, p, "Request mode is \"same-origin\" but the URL's origin is not same as the request origin", ".")
    {
        return Some(Detail {
            error: Some(CorsError::DisallowedByMode),
            origin: Some(sq.token(a, b)),
            end,
            ..Detail::default()
        });
    }
    if let Some(d) = hinted(sq, p) {
        return Some(d);
    }
    if let Some(d) = methods_and_headers(sq, p) {
        return Some(d);
    }
    if let Some(d) = redirects(sq, p) {
        return Some(d);
    }
    if let Some((a, b, end)) = between(sq, p, "Origin", "is not allowed by Access-Control-Allow-Origin.") {
        return Some(Detail {
            error: Some(CorsError::MissingAllowOriginHeader),
            origin: Some(sq.token(a, b)),
            webkit: true,
            end,
            ..Detail::default()
        });
    }
    local_network(sq, p)
}

/// The reasons that quote a response header's value (Chromium's hint).
fn hinted(sq: &Squeezed<'_>, p: usize) -> Option<Detail> {
    type Make = fn(Vec<u8>) -> CorsError;
    let table: [(&str, &str, Make); 5] = [
        (
            "The 'Access-Control-Allow-Origin' header contains multiple values '",
            "', but only one is allowed.",
            |value| CorsError::MultipleAllowOriginValues { value },
        ),
        ("The 'Access-Control-Allow-Origin' header contains the invalid value '", "'.", |value| {
            CorsError::InvalidAllowOriginValue { value }
        }),
        (
            "The 'Access-Control-Allow-Origin' header has a value '",
            "' that is not equal to the supplied origin.",
            |value| CorsError::AllowOriginMismatch { value },
        ),
        (
            "The value of the 'Access-Control-Allow-Credentials' header in the response is '",
            "' which must be 'true' when the request's credentials mode is 'include'.",
            |value| CorsError::InvalidAllowCredentials { value },
        ),
        (
            "Credentials flag is 'true', but the 'Access-Control-Allow-Credentials' header is '",
            "'. It must be 'true' to allow credentials.",
            |value| CorsError::InvalidAllowCredentials { value },
        ),
    ];
    for (pre, post, make) in table {
        if let Some((a, b, end)) = between(sq, p, pre, post) {
            return Some(Detail { error: Some(make(decode_hint(&sq.value(a, b)))), end, ..Detail::default() });
        }
    }
    None
}

/// "Method X is not allowed ..." and "Request header field X is not allowed ...": Chromium's
/// "in preflight response." or the older WebKit-shared ending.
fn methods_and_headers(sq: &Squeezed<'_>, p: usize) -> Option<Detail> {
    let endings = [(" in preflight response.", false), (".", true)];
    for (post, webkit) in endings {
        let method = between(sq, p, "Method", &format!("is not allowed by Access-Control-Allow-Methods{post}"));
        if let Some((a, b, end)) = method {
            let method = sq.token(a, b);
            return Some(Detail {
                error: Some(CorsError::MethodDisallowedByPreflightResponse { method }),
                webkit,
                end,
                ..Detail::default()
            });
        }
        let header =
            between(sq, p, "Request header field", &format!("is not allowed by Access-Control-Allow-Headers{post}"));
        if let Some((a, b, end)) = header {
            let name = sq.token(a, b).to_ascii_lowercase();
            return Some(Detail {
                error: Some(CorsError::HeaderDisallowedByPreflightResponse { name }),
                webkit,
                end,
                ..Detail::default()
            });
        }
    }
    None
}

fn redirects(sq: &Squeezed<'_>, p: usize) -> Option<Detail> {
    if let Some((a, b, end)) = between(
        sq,
        p,
        "Redirect location '",
        "' contains a username and password, which is disallowed for cross-origin requests.",
    ) {
        let to = sq.token(a, b);
        return Some(Detail {
            error: Some(CorsError::RedirectContainsCredentials),
            redirect_to: (!to.is_empty()).then_some(to),
            end,
            ..Detail::default()
        });
    }
    if let Some((a, b, end)) =
        between(sq, p, "Redirect location '", "' has a disallowed scheme for cross-origin requests.")
    {
        return Some(Detail {
            other: Some(OtherFailure::RedirectDisallowedScheme),
            redirect_to: Some(sq.token(a, b)),
            end,
            ..Detail::default()
        });
    }
    if let Some((a, b, end)) = between(
        sq,
        p,
        "The request was redirected to '",
        "', which is disallowed for cross-origin requests that require preflight.",
    ) {
        return Some(Detail {
            other: Some(OtherFailure::RedirectAfterPreflight),
            redirect_to: Some(sq.token(a, b)),
            end,
            ..Detail::default()
        });
    }
    let (a, b, c) = between(sq, p, "Redirect from '", "' to '")?;
    let e = sq.find_in_message(c, "' has been blocked by CORS policy:")?;
    let inner = sq.eat(e, "' has been blocked by CORS policy:")?;
    let mut d = read(sq, inner)?;
    d.redirect_from = Some(sq.token(a, b));
    d.redirect_to = Some(sq.token(c, e));
    Some(d)
}

/// Local (and the earlier Private) Network Access reasons.
fn local_network(sq: &Squeezed<'_>, p: usize) -> Option<Detail> {
    let ticked = |pre: &str, post: &str| between(sq, p, pre, post).map(|(a, b, end)| (space(&sq.token(a, b)), end));
    let with = |error: Option<CorsError>, other: Option<OtherFailure>, end| {
        Some(Detail { error, other, end, ..Detail::default() })
    };
    if let Some((r, end)) =
        ticked("The request client is not a secure context and the resource is in more-private address space `", "`.")
    {
        return with(Some(CorsError::InsecureLocalNetwork { resource: r }), None, end);
    }
    if let Some((a, b, c)) =
        between(sq, p, "Request had a target IP address space of `", "` yet the resource is in address space `")
    {
        let e = sq.find_in_message(c, "`.")?;
        let error =
            CorsError::InvalidLocalNetworkAccess { target: space(&sq.token(a, b)), resource: space(&sq.token(c, e)) };
        return with(Some(error), None, e + 2);
    }
    if let Some((t, end)) = ticked("Permission was denied for this request to access the `", "` address space.") {
        return with(Some(CorsError::LocalNetworkAccessPermissionDenied { resource: t }), None, end);
    }
    let pna = "' header was present in the preflight response for this private network request targeting the `";
    if let Some((t, end)) = ticked(&format!("No 'Access-Control-Allow-Private-Network{pna}"), "` address space.") {
        return with(None, Some(OtherFailure::PrivateNetworkAllowMissing { target: t }), end);
    }
    for id in ["Id", "Name"] {
        if let Some((t, end)) = ticked(&format!("No 'Private-Network-Access-{id}{pna}"), "` address space.") {
            return with(None, Some(OtherFailure::PrivateNetworkIdMissing { target: t }), end);
        }
    }
    if let Some((a, b, c)) = between(
        sq,
        p,
        "The 'Access-Control-Allow-Private-Network' header in the preflight response for this private network request targeting the `",
        "` address space had a value of '",
    ) {
        let end = sq.eat(sq.find_in_message(c, "', not 'true'.")?, "', not 'true'.")?;
        return with(None, Some(OtherFailure::PrivateNetworkAllowInvalid { target: space(&sq.token(a, b)) }), end);
    }
    if let Some((r, end)) =
        ticked("Request had no target IP address space, yet the resource is in address space `", "`.")
    {
        return with(None, Some(OtherFailure::PrivateNetworkUnexpected { resource: r }), end);
    }
    if let Some((t, end)) = ticked("Unable to ask for permission to access the `", "` IP address space.") {
        return with(None, Some(OtherFailure::PrivateNetworkPermissionUnavailable { target: t }), end);
    }
    None
}

/// Chromium's address-space labels, old (`local` meant loopback before 2025) and new.
fn space(label: &str) -> AddressSpace {
    match label {
        "public" => AddressSpace::Public,
        "local" | "private" => AddressSpace::Local,
        "loopback" => AddressSpace::Loopback,
        _ => AddressSpace::Unknown,
    }
}

/// The sentences that may follow a reason: the origin and status of older builds, and the
/// suggestions that carry nothing.
fn tails(sq: &Squeezed<'_>, d: &mut Detail) {
    loop {
        if let Some((a, b, end)) = between(sq, d.end, "Origin '", "' is therefore not allowed access.") {
            d.origin.get_or_insert_with(|| sq.token(a, b));
            d.end = end;
            continue;
        }
        if let Some(a) = sq.eat(d.end, "The response had HTTP status code") {
            if let Some((status, end)) = sq.number(a) {
                d.status = Some(status);
                d.end = sq.eat(end, ".").unwrap_or(end);
                continue;
            }
        }
        if let Some(end) = SUFFIXES.iter().find_map(|s| sq.eat(d.end, s)) {
            d.end = end;
            continue;
        }
        break;
    }
}

/// Inverts Chromium's hint escaping: `\uXXXX` back to the Latin-1 byte (or UTF-8 above 0xFF).
pub(super) fn decode_hint(hint: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(hint.len());
    let mut rest = hint;
    while let Some(i) = rest.find("\\u") {
        out.extend_from_slice(&rest.as_bytes()[..i]);
        let code = rest.get(i + 2..i + 6).and_then(|h| u32::from_str_radix(h, 16).ok());
        match code {
            Some(c) if c <= 0xff => {
                out.push(c as u8);
                rest = &rest[i + 6..];
            }
            Some(c) => {
                let ch = char::from_u32(c).unwrap_or('\u{fffd}');
                out.extend_from_slice(ch.to_string().as_bytes());
                rest = &rest[i + 6..];
            }
            None => {
                out.extend_from_slice(b"\\u");
                rest = &rest[i + 2..];
            }
        }
    }
    out.extend_from_slice(rest.as_bytes());
    out
}
