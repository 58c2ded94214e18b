//! Reading console messages back: a pasted Chromium or Firefox CORS error becomes the URL, the
//! page origin and the [`CorsError`] it reports.
//!
//! The parser inverts [`CorsError::console_message`], so every message the catalogue can print
//! parses back to the same error (a property the tests check), and it also accepts the wording
//! of older Chromium builds and Firefox's "Cross-Origin Request Blocked" lines.
//!
//! ```
//! use corsair_core::console::parse;
//! use corsair_core::CorsError;
//!
//! let pasted = "localhost/:1 Access to fetch at 'https://api.example.com/items' from origin \
//!     'http://localhost:5173' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' \
//!     header is present on the requested resource.";
//! let m = parse(pasted).unwrap();
//! assert_eq!(m.url, "https://api.example.com/items");
//! assert_eq!(m.page_origin.as_deref(), Some("http://localhost:5173"));
//! assert_eq!(m.error, Some(CorsError::MissingAllowOriginHeader));
//! ```

use crate::cors_error::{AddressSpace, CorsError, Initiator};

/// Which browser wrote the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Browser {
    /// Chromium, Chrome, Edge, Opera, Brave...
    Chromium,
    /// Firefox.
    Firefox,
}

/// What a console message says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Who wrote it.
    pub browser: Browser,
    /// The URL whose response failed.
    pub url: String,
    /// The URL the page asked for, when the message says "(redirected from ...)".
    pub initial_url: Option<String>,
    /// The page's origin (Chromium messages only).
    pub page_origin: Option<String>,
    /// `fetch` or XHR, when the message says.
    pub initiator: Option<Initiator>,
    /// The failure, when recognised.
    pub error: Option<CorsError>,
    /// Firefox's reason code, when the message is Firefox's.
    pub firefox_code: Option<&'static str>,
    /// The status Firefox appends ("Status code: 404.").
    pub status: Option<u16>,
    /// The part after "blocked by CORS policy: " (or Firefox's reason), as pasted.
    pub detail: String,
}

/// Why a text is not a CORS console message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// Neither "Access to ... has been blocked by CORS policy" nor "Cross-Origin Request Blocked".
    NotACorsMessage,
    /// The message is cut off or altered where the URL or origin should be.
    Truncated,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParseError::NotACorsMessage => f.write_str(
                "this is not a CORS error message: paste the whole console line that starts with \"Access to fetch at\" (Chrome, Edge) or \"Cross-Origin Request Blocked\" (Firefox)",
            ),
            ParseError::Truncated => {
                f.write_str("the message is cut off: paste the whole line, including the URL and \"from origin '...'\"")
            }
        }
    }
}

impl std::error::Error for ParseError {}

/// Builds an error from the hint bytes.
type MakeError = fn(Vec<u8>) -> CorsError;

const PREFLIGHT_PREFIX: &str = "Response to preflight request doesn't pass access control check: ";

/// Parses the first CORS message in `text` (other lines and DevTools prefixes are skipped).
pub fn parse(text: &str) -> Result<Message, ParseError> {
    if let Some(at) = text.find("Access to ") {
        if text[at..].contains("blocked by CORS policy") {
            return parse_chromium(&text[at..]);
        }
    }
    if let Some(at) = text.find("Cross-Origin Request Blocked:") {
        return parse_firefox(&text[at..]);
    }
    Err(ParseError::NotACorsMessage)
}

fn parse_chromium(text: &str) -> Result<Message, ParseError> {
    let rest = &text["Access to ".len()..];
    let (kind, rest) = rest.split_once(" at '").ok_or(ParseError::Truncated)?;
    let initiator = match kind {
        "fetch" => Some(Initiator::Fetch),
        "XMLHttpRequest" => Some(Initiator::Xhr),
        _ => None,
    };
    let (url, initial_url, rest) = match rest.split_once("' (redirected from '") {
        Some((url, after)) => {
            let (initial, rest) = after.split_once("') from origin '").ok_or(ParseError::Truncated)?;
            (url, Some(initial.to_owned()), rest)
        }
        None => {
            let (url, rest) = rest.split_once("' from origin '").ok_or(ParseError::Truncated)?;
            (url, None, rest)
        }
    };
    let (origin, rest) = rest.split_once("' has been blocked by CORS policy: ").ok_or(ParseError::Truncated)?;
    let detail = rest.lines().next().unwrap_or_default().trim_end();
    let (preflight, body) = match detail.strip_prefix(PREFLIGHT_PREFIX) {
        Some(b) => (true, b),
        None => (false, detail),
    };
    let error = recognise(body).map(|e| if preflight { e.into_preflight() } else { e });
    Ok(Message {
        browser: Browser::Chromium,
        url: url.to_owned(),
        initial_url,
        page_origin: Some(origin.to_owned()),
        initiator,
        firefox_code: error.as_ref().and_then(CorsError::firefox_code),
        error,
        status: None,
        detail: detail.to_owned(),
    })
}

/// Sentences Chromium appends (now or in older builds) that carry no information.
const SUFFIXES: [&str; 4] = [
    " Have the server send the header with a valid value, or, if an opaque response serves your needs, set the request's mode to 'no-cors' to fetch the resource with CORS disabled.",
    " Have the server send the header with a valid value.",
    " If an opaque response serves your needs, set the request's mode to 'no-cors' to fetch the resource with CORS disabled.",
    " The credentials mode of requests initiated by the XMLHttpRequest is controlled by the withCredentials attribute.",
];

/// Maps a detail text (without the preflight prefix) to its error; non-preflight variants.
fn recognise(body: &str) -> Option<CorsError> {
    let mut body = body.trim();
    for s in SUFFIXES {
        if let Some(b) = body.strip_suffix(s) {
            body = b;
            break;
        }
    }
    let fixed: [(&str, CorsError); 8] = [
        ("Cross origin requests are not allowed by request mode.", CorsError::DisallowedByMode),
        ("The response is invalid.", CorsError::InvalidResponse),
        (
            "The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'.",
            CorsError::WildcardOriginNotAllowed,
        ),
        ("No 'Access-Control-Allow-Origin' header is present on the requested resource.", CorsError::MissingAllowOriginHeader),
        ("It does not have HTTP ok status.", CorsError::PreflightInvalidStatus { status: 0 }),
        ("Redirect is not allowed for a preflight request.", CorsError::PreflightDisallowedRedirect),
        (
            "Cannot parse Access-Control-Allow-Methods response header field in preflight response.",
            CorsError::InvalidAllowMethodsPreflightResponse,
        ),
        (
            "Cannot parse Access-Control-Allow-Headers response header field in preflight response.",
            CorsError::InvalidAllowHeadersPreflightResponse,
        ),
    ];
    for (text, error) in fixed {
        if body == text {
            return Some(error);
        }
    }
    // Chromium leaves the hint empty today; older builds may have shown the location.
    if body.starts_with("Redirect location '")
        && body.ends_with("' contains a username and password, which is disallowed for cross-origin requests.")
    {
        return Some(CorsError::RedirectContainsCredentials);
    }
    if body.starts_with("Cross origin requests are only supported for protocol schemes:") {
        return Some(CorsError::CorsDisabledScheme);
    }
    let hinted: [(&str, &str, MakeError); 6] = [
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
        ("Method ", " is not allowed by Access-Control-Allow-Methods in preflight response.", |value| {
            CorsError::MethodDisallowedByPreflightResponse { method: String::from_utf8_lossy(&value).into_owned() }
        }),
        ("Request header field ", " is not allowed by Access-Control-Allow-Headers in preflight response.", |value| {
            CorsError::HeaderDisallowedByPreflightResponse { name: String::from_utf8_lossy(&value).into_owned() }
        }),
    ];
    for (prefix, suffix, make) in hinted {
        if let Some(hint) = body.strip_prefix(prefix).and_then(|b| b.strip_suffix(suffix)) {
            return Some(make(decode_hint(hint)));
        }
    }
    recognise_local_network(body)
}

fn recognise_local_network(body: &str) -> Option<CorsError> {
    let space = |label: &str| match label {
        "public" => AddressSpace::Public,
        "local" | "private" => AddressSpace::Local,
        "loopback" => AddressSpace::Loopback,
        _ => AddressSpace::Unknown,
    };
    let ticked: Vec<&str> = body.split('`').skip(1).step_by(2).collect();
    if body.starts_with("The request client is not a secure context") {
        return Some(CorsError::InsecureLocalNetwork { resource: space(ticked.first()?) });
    }
    if body.starts_with("Request had a target IP address space of") {
        return Some(CorsError::InvalidLocalNetworkAccess {
            target: space(ticked.first()?),
            resource: space(ticked.get(1)?),
        });
    }
    if body.starts_with("Permission was denied for this request to access the") {
        return Some(CorsError::LocalNetworkAccessPermissionDenied { resource: space(ticked.first()?) });
    }
    None
}

/// Inverts Chromium's hint escaping: `\uXXXX` back to the Latin-1 byte (or UTF-8 above 0xFF).
fn decode_hint(hint: &str) -> Vec<u8> {
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

/// Firefox reason texts (the part inside "(Reason: ...)"), with `%` marking the value.
const FIREFOX_REASONS: [(&str, &str); 15] = [
    ("CORS disabled", "CORSDisabled"),
    ("CORS request did not succeed", "CORSDidNotSucceed"),
    ("CORS header ‘Origin’ cannot be added", "CORSOriginHeaderNotAdded"),
    ("CORS request external redirect not allowed", "CORSExternalRedirectNotAllowed"),
    ("CORS request not http", "CORSRequestNotHttp"),
    ("CORS header ‘Access-Control-Allow-Origin’ missing", "CORSMissingAllowOrigin"),
    ("Multiple CORS header ‘Access-Control-Allow-Origin’ not allowed", "CORSMultipleAllowOriginNotAllowed"),
    ("CORS header ‘Access-Control-Allow-Origin’ does not match ‘%’", "CORSAllowOriginNotMatchingOrigin"),
    (
        "Credential is not supported if the CORS header ‘Access-Control-Allow-Origin’ is ‘*’",
        "CORSNotSupportingCredentials",
    ),
    ("Did not find method in CORS header ‘Access-Control-Allow-Methods’", "CORSMethodNotFound"),
    ("expected ‘true’ in CORS header ‘Access-Control-Allow-Credentials’", "CORSMissingAllowCredentials"),
    ("CORS preflight response did not succeed", "CORSPreflightDidNotSucceed"),
    ("invalid token ‘%’ in CORS header ‘Access-Control-Allow-Methods’", "CORSInvalidAllowMethod"),
    ("invalid token ‘%’ in CORS header ‘Access-Control-Allow-Headers’", "CORSInvalidAllowHeader"),
    (
        "header ‘%’ is not allowed according to header ‘Access-Control-Allow-Headers’ from CORS preflight response",
        "CORSMissingAllowHeaderFromPreflight",
    ),
];

fn parse_firefox(text: &str) -> Result<Message, ParseError> {
    let line = text.lines().next().unwrap_or_default();
    let after = line.split_once("remote resource at ").ok_or(ParseError::Truncated)?.1;
    let (url, rest) = after.split_once(". (Reason: ").ok_or(ParseError::Truncated)?;
    let url = url.trim_matches(['‘', '’']);
    let (reason, tail) = rest.rsplit_once(").").ok_or(ParseError::Truncated)?;
    let status =
        tail.trim().strip_prefix("Status code: ").and_then(|s| s.trim_end_matches('.').trim().parse::<u16>().ok());
    let mut code = None;
    let mut value = None;
    for (template, c) in FIREFOX_REASONS {
        match template.split_once('%') {
            None if reason == template => code = Some(c),
            Some((pre, post)) => {
                if let Some(v) = reason.strip_prefix(pre).and_then(|r| r.strip_suffix(post)) {
                    code = Some(c);
                    value = Some(v.to_owned());
                }
            }
            None => {}
        }
        if code.is_some() {
            break;
        }
    }
    let value_bytes = || value.clone().unwrap_or_default().into_bytes();
    let error = code.and_then(|c| match c {
        "CORSMissingAllowOrigin" => Some(CorsError::MissingAllowOriginHeader),
        "CORSMultipleAllowOriginNotAllowed" => Some(CorsError::MultipleAllowOriginValues { value: Vec::new() }),
        "CORSAllowOriginNotMatchingOrigin" => Some(CorsError::AllowOriginMismatch { value: value_bytes() }),
        "CORSNotSupportingCredentials" => Some(CorsError::WildcardOriginNotAllowed),
        "CORSMissingAllowCredentials" => Some(CorsError::InvalidAllowCredentials { value: Vec::new() }),
        "CORSPreflightDidNotSucceed" => Some(CorsError::PreflightInvalidStatus { status: status.unwrap_or(0) }),
        "CORSExternalRedirectNotAllowed" => Some(CorsError::PreflightDisallowedRedirect),
        "CORSInvalidAllowMethod" => Some(CorsError::InvalidAllowMethodsPreflightResponse),
        "CORSInvalidAllowHeader" => Some(CorsError::InvalidAllowHeadersPreflightResponse),
        "CORSMethodNotFound" => Some(CorsError::MethodDisallowedByPreflightResponse { method: String::new() }),
        "CORSMissingAllowHeaderFromPreflight" => {
            Some(CorsError::HeaderDisallowedByPreflightResponse { name: value.clone().unwrap_or_default() })
        }
        "CORSRequestNotHttp" => Some(CorsError::CorsDisabledScheme),
        _ => None,
    });
    Ok(Message {
        browser: Browser::Firefox,
        url: url.to_owned(),
        initial_url: None,
        page_origin: None,
        initiator: None,
        error,
        firefox_code: code,
        status,
        detail: reason.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_errors() -> Vec<CorsError> {
        use CorsError::*;
        let v = || b"https://x.example/".to_vec();
        vec![
            DisallowedByMode,
            InvalidResponse,
            WildcardOriginNotAllowed,
            MissingAllowOriginHeader,
            MultipleAllowOriginValues { value: b"https://a.example, https://b.example".to_vec() },
            InvalidAllowOriginValue { value: b"example.com".to_vec() },
            AllowOriginMismatch { value: v() },
            InvalidAllowCredentials { value: b"True".to_vec() },
            InvalidAllowCredentials { value: Vec::new() },
            CorsDisabledScheme,
            PreflightInvalidStatus { status: 0 },
            PreflightDisallowedRedirect,
            PreflightWildcardOriginNotAllowed,
            PreflightMissingAllowOriginHeader,
            PreflightMultipleAllowOriginValues { value: b"*, *".to_vec() },
            PreflightInvalidAllowOriginValue { value: Vec::new() },
            PreflightAllowOriginMismatch { value: b"null".to_vec() },
            PreflightInvalidAllowCredentials { value: b"\xe9".to_vec() },
            InvalidAllowMethodsPreflightResponse,
            InvalidAllowHeadersPreflightResponse,
            MethodDisallowedByPreflightResponse { method: "patch".into() },
            HeaderDisallowedByPreflightResponse { name: "x-custom".into() },
            RedirectContainsCredentials,
            InsecureLocalNetwork { resource: AddressSpace::Loopback },
            InvalidLocalNetworkAccess { target: AddressSpace::Local, resource: AddressSpace::Public },
            LocalNetworkAccessPermissionDenied { resource: AddressSpace::Local },
        ]
    }

    #[test]
    fn every_chromium_message_parses_back_to_its_error() {
        for initiator in [Initiator::Fetch, Initiator::Xhr] {
            for e in all_errors() {
                let text = e.console_message(initiator, "http://b.test/x", "http://a.test/", "http://page.test");
                let m = parse(&text).unwrap_or_else(|err| panic!("{text}: {err}"));
                assert_eq!(m.error.as_ref(), Some(&e), "{text}");
                assert_eq!(m.url, "http://b.test/x");
                assert_eq!(m.initial_url.as_deref(), Some("http://a.test/"));
                assert_eq!(m.page_origin.as_deref(), Some("http://page.test"));
                assert_eq!(m.initiator, Some(initiator));
            }
        }
    }

    #[test]
    fn devtools_prefixes_and_following_lines_are_ignored() {
        let text = "index.html:1 Access to fetch at 'http://api.test/a' from origin 'http://app.test' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.\nGET http://api.test/a net::ERR_FAILED 200 (OK)";
        let m = parse(text).unwrap();
        assert_eq!(m.error, Some(CorsError::MissingAllowOriginHeader));
        assert_eq!(m.initial_url, None);
    }

    #[test]
    fn older_chromium_suffixes_are_understood() {
        let old = "Access to fetch at 'http://api.test/a' from origin 'http://app.test' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource. If an opaque response serves your needs, set the request's mode to 'no-cors' to fetch the resource with CORS disabled.";
        assert_eq!(parse(old).unwrap().error, Some(CorsError::MissingAllowOriginHeader));
        let old_mismatch = "Access to fetch at 'http://api.test/a' from origin 'http://app.test' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value 'http://app.test/' that is not equal to the supplied origin. Have the server send the header with a valid value, or, if an opaque response serves your needs, set the request's mode to 'no-cors' to fetch the resource with CORS disabled.";
        assert_eq!(
            parse(old_mismatch).unwrap().error,
            Some(CorsError::AllowOriginMismatch { value: b"http://app.test/".to_vec() })
        );
    }

    #[test]
    fn unknown_details_keep_url_and_origin() {
        let text = "Access to fetch at 'http://api.test/a' from origin 'http://app.test' has been blocked by CORS policy: Something new.";
        let m = parse(text).unwrap();
        assert_eq!(m.error, None);
        assert_eq!(m.detail, "Something new.");
    }

    #[test]
    fn non_cors_text_and_cut_messages_are_errors() {
        assert_eq!(parse("TypeError: Failed to fetch"), Err(ParseError::NotACorsMessage));
        assert_eq!(
            parse("Access to fetch at 'http://a.test/ has been blocked by CORS policy"),
            Err(ParseError::Truncated)
        );
        assert_eq!(parse(""), Err(ParseError::NotACorsMessage));
    }

    #[test]
    fn firefox_messages_give_the_reason_code_and_status() {
        let text = "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.test/items. (Reason: CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 404.";
        let m = parse(text).unwrap();
        assert_eq!(m.browser, Browser::Firefox);
        assert_eq!(m.url, "https://api.test/items");
        assert_eq!(m.firefox_code, Some("CORSMissingAllowOrigin"));
        assert_eq!(m.status, Some(404));
        assert_eq!(m.error, Some(CorsError::MissingAllowOriginHeader));
    }

    #[test]
    fn firefox_values_are_extracted() {
        let text = "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.test/items. (Reason: header ‘x-custom’ is not allowed according to header ‘Access-Control-Allow-Headers’ from CORS preflight response).";
        let m = parse(text).unwrap();
        assert_eq!(m.firefox_code, Some("CORSMissingAllowHeaderFromPreflight"));
        assert_eq!(m.error, Some(CorsError::HeaderDisallowedByPreflightResponse { name: "x-custom".into() }));
        let creds = "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at ‘https://api.test/items’. (Reason: Credential is not supported if the CORS header ‘Access-Control-Allow-Origin’ is ‘*’).";
        let m = parse(creds).unwrap();
        assert_eq!(m.url, "https://api.test/items");
        assert_eq!(m.error, Some(CorsError::WildcardOriginNotAllowed));
    }

    #[test]
    fn hints_are_unescaped_to_the_bytes_sent() {
        assert_eq!(decode_hint("a\\u00E9b"), b"a\xe9b");
        assert_eq!(decode_hint("\\u000A"), b"\n");
        assert_eq!(decode_hint("\\uZZ"), b"\\uZZ");
    }
}
