//! Firefox's words for a blocked fetch: the console lines Firefox ESR 153 prints and its reason
//! code, derived from the same [`Blocked`] the Chromium text comes from.
//!
//! Firefox judges the response itself (`nsCORSListenerProxy::CheckRequestApproved`), so its
//! reason is recomputed from the failing [`Response`] rather than mapped from Chromium's error:
//! two `Access-Control-Allow-Origin` lines are "Multiple", one line `a, b` is a plain mismatch,
//! and a preflight without the header reads as a missing header with the preflight's status.
//! After a failed preflight (or a failure at a redirect hop) Firefox adds a second line, "CORS
//! request did not succeed". The texts are checked byte for byte against lines recorded from the
//! real browser (`tests/console/firefox-153-recorded.txt`).
//!
//! ```
//! use corsair_core::browser::{Fetch, Intent, Response, Step, Verdict};
//! use corsair_core::Origin;
//!
//! let page = Origin::parse("http://localhost:5173").unwrap();
//! let mut fetch = Fetch::new(Intent::new("http://127.0.0.1:8080/api".parse().unwrap(), page));
//! fetch.receive(Response::new(404));
//! let Step::Done(Verdict::Blocked(blocked)) = fetch.next() else { panic!() };
//! assert_eq!(blocked.firefox_code(), Some("CORSMissingAllowOrigin"));
//! assert_eq!(
//!     blocked.firefox_console_lines(),
//!     ["Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at \
//!       http://127.0.0.1:8080/api. (Reason: CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 404."]
//! );
//! ```

use super::response::Response;
use super::{Blocked, Failure, NetError, RedirectMode};
use crate::console::FirefoxReason;
use crate::cors_error::CorsError;
use crate::origin::Origin;
use crate::token::{is_token, trim_ows};

/// What `fetch()` rejects with in Firefox (Chromium: `TypeError: Failed to fetch`).
pub const FETCH_REJECTION: &str = "TypeError: NetworkError when attempting to fetch resource.";

/// Request headers Chromium safelists and Firefox does not: the client hints and `Save-Data`.
/// Firefox preflights them, so a request Chromium sends directly can be blocked in Firefox.
pub const CHROMIUM_ONLY_SAFELISTED: [&str; 9] =
    ["dpr", "device-memory", "downlink", "width", "viewport-width", "rtt", "ect", "save-data", "intervention"];

/// Firefox's `Access-Control-Request-Headers` names for the headers as sent (`headers`, merged)
/// and set (`entries`, how many times each name was set): the non-safelisted names, lower case,
/// sorted, each as many times as the script set it (`x-a,x-a`), with no 1024-byte rule for the
/// safelisted ones, the client hints not safelisted, and a `Range` safelisted up to `u64`.
pub(super) fn unsafe_request_header_names(headers: &[(String, String)], entries: &[(String, usize)]) -> Vec<String> {
    let mut names = Vec::new();
    for (name, value) in headers {
        if !is_safelisted(name, value.as_bytes(), is_range) {
            let lower = name.to_ascii_lowercase();
            let times = entries.iter().find(|(n, _)| *n == lower).map_or(1, |(_, c)| *c);
            names.extend(std::iter::repeat_n(lower, times.max(1)));
        }
    }
    names.sort();
    names
}

/// Whether Firefox and WebKit send this header without a preflight (a forbidden one is never
/// sent, so it counts as safelisted): Chromium's safelist per header, without the client hints,
/// and with the engine's own `Range` rule.
pub(super) fn is_safelisted(name: &str, value: &[u8], range: fn(&[u8]) -> bool) -> bool {
    if crate::safelist::is_forbidden_request_header(name, value) {
        return true;
    }
    let lower = name.to_ascii_lowercase();
    match lower.as_str() {
        "range" => range(value),
        n if CHROMIUM_ONLY_SAFELISTED.contains(&n) => false,
        _ => crate::safelist::is_cors_safelisted_request_header(name, value),
    }
}

/// `bytes=FIRST-[LAST]` with `FIRST <= LAST`; Firefox reads the numbers as `u64`.
fn is_range(value: &[u8]) -> bool {
    let Some(spec) = value.strip_prefix(b"bytes=") else { return false };
    let Some((first, last)) = std::str::from_utf8(spec).ok().and_then(|s| s.split_once('-')) else { return false };
    let number =
        |d: &str| (!d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())).then(|| d.parse::<u64>().ok()).flatten();
    let Some(first) = number(first) else { return false };
    last.is_empty() || number(last).is_some_and(|last| first <= last)
}

/// One Firefox console line: the reason, the value it names, and the status it appends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirefoxLine {
    /// The reason.
    pub reason: FirefoxReason,
    /// The value `‘%2$S’` in the reason (the ACAO value, the bad token, the header name).
    pub value: Option<String>,
    /// The ` Status code: N.` tail: the status, or `(null)` when there was none.
    pub status: Option<String>,
}

impl FirefoxLine {
    fn new(reason: FirefoxReason) -> FirefoxLine {
        FirefoxLine { reason, value: None, status: None }
    }

    fn value(mut self, value: impl Into<String>) -> FirefoxLine {
        self.value = Some(value.into());
        self
    }

    fn status(mut self, status: impl ToString) -> FirefoxLine {
        self.status = Some(status.to_string());
        self
    }

    /// The line Firefox prints about `url` (`security.properties`, curly quotes included).
    pub fn text(&self, url: &str) -> String {
        use FirefoxReason::*;
        let v = self.value.as_deref().unwrap_or_default();
        let reason = match self.reason {
            CorsDisabled => "CORS disabled".to_owned(),
            DidNotSucceed => "CORS request did not succeed".to_owned(),
            OriginHeaderNotAdded => "CORS header ‘Origin’ cannot be added".to_owned(),
            ExternalRedirectNotAllowed => "CORS request external redirect not allowed".to_owned(),
            RequestNotHttp => "CORS request not http".to_owned(),
            MissingAllowOrigin => "CORS header ‘Access-Control-Allow-Origin’ missing".to_owned(),
            MultipleAllowOriginNotAllowed => "Multiple CORS header ‘Access-Control-Allow-Origin’ not allowed".to_owned(),
            AllowOriginNotMatchingOrigin => format!("CORS header ‘Access-Control-Allow-Origin’ does not match ‘{v}’"),
            NotSupportingCredentials => {
                "Credential is not supported if the CORS header ‘Access-Control-Allow-Origin’ is ‘*’".to_owned()
            }
            MethodNotFound => "Did not find method in CORS header ‘Access-Control-Allow-Methods’".to_owned(),
            MissingAllowCredentials => "expected ‘true’ in CORS header ‘Access-Control-Allow-Credentials’".to_owned(),
            PreflightDidNotSucceed => "CORS preflight response did not succeed".to_owned(),
            InvalidAllowMethod => format!("invalid token ‘{v}’ in CORS header ‘Access-Control-Allow-Methods’"),
            InvalidAllowHeader => format!("invalid token ‘{v}’ in CORS header ‘Access-Control-Allow-Headers’"),
            MissingAllowHeaderFromPreflight => format!(
                "header ‘{v}’ is not allowed according to header ‘Access-Control-Allow-Headers’ from CORS preflight response"
            ),
            AllowHeaderFromPreflightDeprecation => {
                return format!(
                    "Cross-Origin Request Warning: The Same Origin Policy will disallow reading the remote resource at {url} soon. (Reason: When the `Access-Control-Allow-Headers` is `*`, the `Authorization` header is not covered. To include the `Authorization` header, it must be explicitly listed in CORS header `Access-Control-Allow-Headers`)."
                )
            }
        };
        // Only this reason quotes the URL (CORSNotSupportingCredentials uses ‘%1$S’).
        let at = if self.reason == NotSupportingCredentials { format!("‘{url}’") } else { url.to_owned() };
        let mut line = format!(
            "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {at}. (Reason: {reason})."
        );
        if let Some(status) = &self.status {
            line.push_str(&format!(" Status code: {status}."));
        }
        line
    }
}

/// Firefox's `CheckRequestApproved` for one response, in its order: more than one
/// `Access-Control-Allow-Origin` line, none, `*` with credentials, a value other than `*` and the
/// origin (compared as strings), then `Access-Control-Allow-Credentials`.
///
/// Firefox counts the lines by their name as sent, case-sensitively: two lines spelt
/// `Access-Control-Allow-Origin` are "Multiple", but two lower-case ones (as HTTP/2 and hyper
/// send them) are merged into `a, a` and fail as a mismatch (seen in Firefox ESR 153).
pub fn check_access(response: &Response, origin: &Origin, include: bool) -> Result<(), FirefoxLine> {
    const NAME: &str = "Access-Control-Allow-Origin";
    if response.headers.iter().filter(|(n, _)| n == NAME).count() > 1 {
        return Err(FirefoxLine::new(FirefoxReason::MultipleAllowOriginNotAllowed));
    }
    let Some(value) = response.normalized(NAME) else {
        return Err(FirefoxLine::new(FirefoxReason::MissingAllowOrigin).status(response.status));
    };
    let value = value.as_slice();
    if include && value == b"*" {
        return Err(FirefoxLine::new(FirefoxReason::NotSupportingCredentials));
    }
    if value != b"*" && value != origin.as_str().as_bytes() {
        return Err(FirefoxLine::new(FirefoxReason::AllowOriginNotMatchingOrigin)
            .value(String::from_utf8_lossy(value).into_owned()));
    }
    if include && response.normalized("access-control-allow-credentials").as_deref() != Some(b"true") {
        return Err(FirefoxLine::new(FirefoxReason::MissingAllowCredentials));
    }
    Ok(())
}

/// The first item of a `#token` list Firefox refuses (empty items are skipped).
fn bad_item(response: &Response, name: &str) -> Option<String> {
    let value = response.normalized(name)?;
    value
        .split(|&b| b == b',')
        .map(trim_ows)
        .find(|item| !item.is_empty() && !is_token(item))
        .map(|item| String::from_utf8_lossy(item).into_owned())
}

/// The line that follows a failed preflight or a failed redirect hop.
fn did_not_succeed() -> FirefoxLine {
    FirefoxLine::new(FirefoxReason::DidNotSucceed).status("(null)")
}

impl Blocked {
    /// Firefox's console lines for this failure, in order, each naming the URL Firefox names.
    pub fn firefox_lines(&self) -> Vec<FirefoxLine> {
        let response = self.response.as_ref();
        match &self.failure {
            Failure::Cors(e) => self.firefox_cors_lines(e, response),
            Failure::MixedContent | Failure::TypeError(_) | Failure::FetchApi(_) => Vec::new(),
            // `redirect: 'error'` rejects without a console line.
            Failure::Network(NetError::RedirectModeError) => Vec::new(),
            Failure::Network(_) => vec![did_not_succeed()],
        }
    }

    fn firefox_cors_lines(&self, e: &CorsError, response: Option<&Response>) -> Vec<FirefoxLine> {
        use CorsError::*;
        let include = self.include_credentials;
        let mapped = || match e {
            CorsDisabledScheme => Some(FirefoxLine::new(FirefoxReason::RequestNotHttp)),
            InvalidResponse | RedirectContainsCredentials => Some(did_not_succeed()),
            DisallowedByMode
            | InsecureLocalNetwork { .. }
            | InvalidLocalNetworkAccess { .. }
            | LocalNetworkAccessPermissionDenied { .. } => None,
            // Every other error is found in a response, judged below.
            _ => None,
        };
        let Some(response) = response else { return mapped().into_iter().collect() };
        if matches!(e, InvalidResponse | RedirectContainsCredentials | CorsDisabledScheme) {
            return mapped().into_iter().collect();
        }
        let mut lines = Vec::new();
        if e.is_preflight() {
            if *e == PreflightDisallowedRedirect {
                lines.push(FirefoxLine::new(FirefoxReason::ExternalRedirectNotAllowed));
                // Then judges the redirect as a preflight answer: its access check (with the
                // origin a cross-origin hop would carry, `null`), else its 3xx status.
                let location = response.normalized("location").unwrap_or_default();
                let target = self.url.join(&String::from_utf8_lossy(&location)).ok();
                let cross = target.is_some_and(|t| Origin::of_url(&t) != Origin::of_url(&self.url));
                let origin = if cross { Origin::null() } else { self.sent_origin.clone() };
                lines.push(check_access(response, &origin, include).err().unwrap_or_else(|| {
                    FirefoxLine::new(FirefoxReason::PreflightDidNotSucceed).status(response.status)
                }));
            } else {
                lines.push(self.firefox_preflight_line(e, response));
            }
            lines.push(did_not_succeed());
            return lines;
        }
        lines.push(check_access(response, &self.sent_origin, include).err().unwrap_or_else(|| self.mapped_line(e)));
        // A hop that fails while being followed ends the request too; `redirect: 'manual'`
        // stops at the hop, and Firefox says nothing more.
        if response.is_redirect() && self.redirect != RedirectMode::Manual {
            lines.push(did_not_succeed());
        }
        lines
    }

    /// Firefox's preflight order: the access check, the status, the two lists, the method, the
    /// headers.
    fn firefox_preflight_line(&self, e: &CorsError, response: &Response) -> FirefoxLine {
        if let Err(line) = check_access(response, &self.sent_origin, self.include_credentials) {
            return line;
        }
        if !(200..=299).contains(&response.status) {
            return FirefoxLine::new(FirefoxReason::PreflightDidNotSucceed).status(response.status);
        }
        if let Some(item) = bad_item(response, "access-control-allow-methods") {
            return FirefoxLine::new(FirefoxReason::InvalidAllowMethod).value(item);
        }
        if let Some(item) = bad_item(response, "access-control-allow-headers") {
            return FirefoxLine::new(FirefoxReason::InvalidAllowHeader).value(item);
        }
        self.mapped_line(e)
    }

    /// The reason for an error Firefox's own checks above did not reach.
    fn mapped_line(&self, e: &CorsError) -> FirefoxLine {
        use CorsError::*;
        let status = self.response.as_ref().map_or(0, |r| r.status);
        match e {
            MethodDisallowedByPreflightResponse { .. } => FirefoxLine::new(FirefoxReason::MethodNotFound),
            HeaderDisallowedByPreflightResponse { name } => {
                FirefoxLine::new(FirefoxReason::MissingAllowHeaderFromPreflight).value(name.clone())
            }
            InvalidAllowMethodsPreflightResponse => FirefoxLine::new(FirefoxReason::InvalidAllowMethod),
            InvalidAllowHeadersPreflightResponse => FirefoxLine::new(FirefoxReason::InvalidAllowHeader),
            PreflightInvalidStatus { status } => FirefoxLine::new(FirefoxReason::PreflightDidNotSucceed).status(status),
            WildcardOriginNotAllowed | PreflightWildcardOriginNotAllowed => {
                FirefoxLine::new(FirefoxReason::NotSupportingCredentials)
            }
            MissingAllowOriginHeader | PreflightMissingAllowOriginHeader => {
                FirefoxLine::new(FirefoxReason::MissingAllowOrigin).status(status)
            }
            MultipleAllowOriginValues { value } | PreflightMultipleAllowOriginValues { value } if value.is_empty() => {
                FirefoxLine::new(FirefoxReason::MultipleAllowOriginNotAllowed)
            }
            MultipleAllowOriginValues { value }
            | PreflightMultipleAllowOriginValues { value }
            | InvalidAllowOriginValue { value }
            | PreflightInvalidAllowOriginValue { value }
            | AllowOriginMismatch { value }
            | PreflightAllowOriginMismatch { value } => FirefoxLine::new(FirefoxReason::AllowOriginNotMatchingOrigin)
                .value(String::from_utf8_lossy(value).into_owned()),
            InvalidAllowCredentials { .. } | PreflightInvalidAllowCredentials { .. } => {
                FirefoxLine::new(FirefoxReason::MissingAllowCredentials)
            }
            PreflightDisallowedRedirect => FirefoxLine::new(FirefoxReason::ExternalRedirectNotAllowed),
            CorsDisabledScheme => FirefoxLine::new(FirefoxReason::RequestNotHttp),
            _ => did_not_succeed(),
        }
    }

    /// Firefox's console lines for this failure, as text.
    pub fn firefox_console_lines(&self) -> Vec<String> {
        let url = self.url.as_str();
        let mut lines: Vec<String> = self.firefox_lines().iter().map(|l| l.text(url)).collect();
        if self.failure == Failure::MixedContent {
            lines.push(format!("Blocked loading mixed active content “{url}”"));
        }
        lines
    }

    /// Firefox's reason code for this failure as MDN names it (`CORSMissingAllowOrigin`): the
    /// first line's, the one that says why.
    pub fn firefox_code(&self) -> Option<&'static str> {
        self.firefox_lines().first().map(|l| l.reason.code())
    }
}
