//! WebKit's words for a blocked fetch: the two console lines WebKitGTK 2.50 (Safari's engine)
//! prints, derived from the same [`Blocked`] the Chromium text comes from, and
//! [`Engine::WebKit`](super::Engine::WebKit)'s request rules where they differ from Chromium's.
//!
//! WebKit prints the cause, then `Fetch API cannot load URL due to access control checks.`. It
//! judges the response itself (`passesAccessControlCheck`, `validatePreflightResponse` in
//! WebCore), so the cause is recomputed from the failing [`Response`] rather than mapped from
//! Chromium's error: a preflight's status is checked before its `Access-Control-Allow-Origin`;
//! any `,` in that header (one line `a, b`, or two lines) is "more than one origin"; every other
//! mismatch, an empty value and `null` included, is "Origin X is not allowed ... Status code: N"
//! with the origin the request carried (`null` after a cross-origin redirect); a header name is
//! spelt as WebKit's header map spells it. The texts are checked byte for byte against the real
//! browser by the differential suite (`crates/corsair/tests/differential.rs`).
//!
//! ```
//! use corsair_core::browser::{Fetch, Intent, Response, Step, Verdict};
//! use corsair_core::Origin;
//!
//! let page = Origin::parse("http://localhost:5173").unwrap();
//! let mut fetch = Fetch::new(Intent::new("http://127.0.0.1:8080/api".parse().unwrap(), page));
//! fetch.receive(Response::new(404));
//! let Step::Done(Verdict::Blocked(blocked)) = fetch.next() else { panic!() };
//! assert_eq!(
//!     blocked.webkit_console_lines(),
//!     [
//!         "Origin http://localhost:5173 is not allowed by Access-Control-Allow-Origin. Status code: 404",
//!         "Fetch API cannot load http://127.0.0.1:8080/api due to access control checks.",
//!     ]
//! );
//! ```

use super::firefox::is_safelisted;
use super::response::Response;
use super::{Blocked, Failure, NetError};
use crate::cors_error::{CorsError, Initiator};
use crate::origin::Origin;

/// What `fetch()` rejects with in WebKit (Chromium: `TypeError: Failed to fetch`).
pub const FETCH_REJECTION: &str = "TypeError: Load failed";

/// Header names WebKit knows (`HTTPHeaderNames.in`), in its spelling: its header map keeps these
/// apart from the others and lists them first, and a message names them in this spelling
/// whatever the script wrote. Only names a page may set matter here.
const KNOWN_NAMES: [&str; 38] = [
    "Accept",
    "Accept-Language",
    "Access-Control-Allow-Credentials",
    "Access-Control-Allow-Headers",
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Origin",
    "Access-Control-Expose-Headers",
    "Access-Control-Max-Age",
    "Authorization",
    "Cache-Control",
    "Content-Disposition",
    "Content-Encoding",
    "Content-Language",
    "Content-Location",
    "Content-Range",
    "Content-Security-Policy",
    "Content-Type",
    "Default-Style",
    "ETag",
    "Expires",
    "If-Match",
    "If-Modified-Since",
    "If-None-Match",
    "If-Range",
    "If-Unmodified-Since",
    "Last-Event-ID",
    "Last-Modified",
    "Link",
    "Location",
    "Pragma",
    "Purpose",
    "Range",
    "Refresh",
    "Service-Worker",
    "Upgrade-Insecure-Requests",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "X-XSS-Protection",
];

/// WebKit's `Access-Control-Request-Headers` names for the headers as sent: the non-safelisted
/// names, lower case, sorted, each once; no 1024-byte rule, the client hints not safelisted, and
/// WebKit's own `Range` rule ([`is_range`]).
pub(super) fn unsafe_request_header_names(headers: &[(String, String)]) -> Vec<String> {
    let mut names: Vec<String> = headers
        .iter()
        .filter(|(n, v)| !is_safelisted(n, v.as_bytes(), is_range))
        .map(|(n, _)| n.to_ascii_lowercase())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// WebKit's `parseRange` for a safelisted `Range`: `bytes=` in any case, then `FIRST-[LAST]`
/// with `FIRST <= LAST`, each number an unsigned 64-bit integer that may carry a `+` (real
/// WebKitGTK 2.50 sends `BYTES=1-2`, `bytes=+1-2` and `bytes=0-9223372036854775808` without a
/// preflight, and preflights a 20-digit start). A suffix range (`bytes=-5`) is not safelisted.
pub fn is_range(value: &[u8]) -> bool {
    let Some(spec) = value.get(..6).filter(|p| p.eq_ignore_ascii_case(b"bytes=")).map(|_| &value[6..]) else {
        return false;
    };
    let Some((first, last)) = std::str::from_utf8(spec).ok().and_then(|s| s.split_once('-')) else { return false };
    let number = |d: &str| {
        let digits = d.strip_prefix('+').unwrap_or(d);
        (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.parse::<u64>().ok()).flatten()
    };
    let Some(first) = number(first) else { return false };
    last.is_empty() || number(last).is_some_and(|last| first <= last)
}

/// WebKit's `passesAccessControlCheck` for one response: `*` without credentials passes; any
/// other value must equal the origin the request carried, then with credentials
/// `Access-Control-Allow-Credentials` must be exactly `true`. The error is the cause line.
pub fn check_access(response: &Response, origin: &Origin, include: bool) -> Result<(), String> {
    let value = response.normalized("access-control-allow-origin").unwrap_or_default();
    if value == b"*" && !include {
        return Ok(());
    }
    if value != origin.as_str().as_bytes() {
        if value == b"*" {
            return Err("Cannot use wildcard in Access-Control-Allow-Origin when credentials flag is true.".to_owned());
        }
        if value.contains(&b',') {
            return Err("Access-Control-Allow-Origin cannot contain more than one origin.".to_owned());
        }
        return Err(format!(
            "Origin {origin} is not allowed by Access-Control-Allow-Origin. Status code: {}",
            response.status
        ));
    }
    if include && response.normalized("access-control-allow-credentials").as_deref() != Some(b"true") {
        return Err("Credentials flag is true, but Access-Control-Allow-Credentials is not \"true\".".to_owned());
    }
    Ok(())
}

/// A request header's name as WebKit's messages spell it, and whether WebKit knows it.
fn webkit_name(name: &str) -> (String, bool) {
    match KNOWN_NAMES.iter().find(|k| k.eq_ignore_ascii_case(name)) {
        Some(known) => ((*known).to_owned(), true),
        None => (name.to_owned(), false),
    }
}

impl Blocked {
    /// WebKit's console lines for this failure, in order: the cause, then the line that names the
    /// URL. Failures never observed in WebKit here (mixed content, transport errors, a redirect
    /// to a URL with credentials or another scheme) get no line rather than a guess.
    pub fn webkit_console_lines(&self) -> Vec<String> {
        let cause = match &self.failure {
            Failure::Cors(e) => self.webkit_cause(e),
            Failure::Network(NetError::RedirectModeError) => {
                Some(format!("Not allowed to follow a redirection while loading {}", self.url))
            }
            Failure::MixedContent | Failure::TypeError(_) | Failure::FetchApi(_) | Failure::Network(_) => None,
        };
        let Some(cause) = cause else { return Vec::new() };
        let who = match self.initiator {
            Initiator::Fetch => "Fetch API",
            Initiator::Xhr => "XMLHttpRequest",
        };
        vec![cause, format!("{who} cannot load {} due to access control checks.", self.url)]
    }

    fn webkit_cause(&self, e: &CorsError) -> Option<String> {
        let response = self.response.as_ref()?;
        let include = self.include_credentials;
        if e.is_preflight() {
            return Some(self.webkit_preflight_cause(e, response));
        }
        let access = check_access(response, &self.sent_origin, include).err().unwrap_or_else(|| {
            // Chromium refused a value WebKit's check lets through: the verdicts would differ,
            // which the differential suite would show; word it as the mismatch it is to WebKit.
            format!(
                "Origin {} is not allowed by Access-Control-Allow-Origin. Status code: {}",
                self.sent_origin, response.status
            )
        });
        if !response.is_redirect() {
            return Some(access);
        }
        let location = response.normalized("location").unwrap_or_default();
        let target = self.url.join(&String::from_utf8_lossy(&location)).ok()?;
        Some(format!("Cross-origin redirection to {target} denied by Cross-Origin Resource Sharing policy: {access}"))
    }

    /// WebKit's preflight order: the status (a redirect is a bad status too), the access check,
    /// the two lists, the method, the headers.
    fn webkit_preflight_cause(&self, e: &CorsError, response: &Response) -> String {
        use CorsError::*;
        if !(200..=299).contains(&response.status) {
            return format!("Preflight response is not successful. Status code: {}", response.status);
        }
        if let Err(cause) = check_access(response, &self.sent_origin, self.include_credentials) {
            return cause;
        }
        let invalid = |name: &str| {
            let value = response.normalized(name).unwrap_or_default();
            format!("Header {name} has an invalid value: {}", String::from_utf8_lossy(&value))
        };
        match e {
            InvalidAllowMethodsPreflightResponse => invalid("Access-Control-Allow-Methods"),
            InvalidAllowHeadersPreflightResponse => invalid("Access-Control-Allow-Headers"),
            MethodDisallowedByPreflightResponse { .. } => {
                format!("Method {} is not allowed by Access-Control-Allow-Methods.", self.method)
            }
            HeaderDisallowedByPreflightResponse { name } => format!(
                "Request header field {} is not allowed by Access-Control-Allow-Headers.",
                self.webkit_disallowed_header(response).unwrap_or_else(|| name.clone())
            ),
            _ => format!("Preflight response is not successful. Status code: {}", response.status),
        }
    }

    /// The header WebKit names when the preflight's `Access-Control-Allow-Headers` leaves some
    /// out: the first unsafe one in its header map's order (the names it knows, in the order
    /// set, then the others, in the order set), spelt as the map spells it.
    fn webkit_disallowed_header(&self, response: &Response) -> Option<String> {
        let allowed: Vec<Vec<u8>> = response
            .normalized("access-control-allow-headers")
            .unwrap_or_default()
            .split(|&b| b == b',')
            .map(|n| crate::token::trim_ows(n).to_ascii_lowercase())
            .collect();
        let star = !self.include_credentials && allowed.iter().any(|n| n == b"*");
        let refused = |(name, value): &&(String, String)| {
            !is_safelisted(name, value.as_bytes(), is_range)
                && !star
                && !allowed.iter().any(|a| a.as_slice() == name.to_ascii_lowercase().as_bytes())
        };
        let named: Vec<(String, bool)> = self.headers.iter().filter(refused).map(|(n, _)| webkit_name(n)).collect();
        named.iter().find(|(_, known)| *known).or_else(|| named.first()).map(|(n, _)| n.clone())
    }
}
