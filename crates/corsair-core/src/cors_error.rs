//! The catalogue of CORS failures: one variant per Chromium `CorsError`, each with Chromium's
//! console text, Firefox's reason code, a plain explanation and the fix.
//!
//! The texts are Chromium's for `fetch()` as of M14x–M15x (`cors_error_string.cc`; see
//! `docs/chromium-rules.md`), byte for byte, because people paste them into search engines and
//! into `corsair explain`.
//!
//! ```
//! use corsair_core::cors_error::{CorsError, Initiator};
//!
//! let e = CorsError::AllowOriginMismatch { value: b"https://a.example/".to_vec() };
//! assert_eq!(
//!     e.detail(Initiator::Fetch),
//!     "The 'Access-Control-Allow-Origin' header has a value 'https://a.example/' that is not equal to the supplied origin. Have the server send the header with a valid value."
//! );
//! assert_eq!(e.firefox_code(), Some("CORSAllowOriginNotMatchingOrigin"));
//! ```

use std::fmt;

/// Which API made the request; Chromium words some messages differently for each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Initiator {
    /// `fetch()`.
    #[default]
    Fetch,
    /// `XMLHttpRequest`.
    Xhr,
}

impl Initiator {
    /// The word in "Access to ... at": `fetch` or `XMLHttpRequest`.
    pub fn resource_word(self) -> &'static str {
        match self {
            Initiator::Fetch => "fetch",
            Initiator::Xhr => "XMLHttpRequest",
        }
    }
}

/// A Local Network Access address space, as Chromium labels it in messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AddressSpace {
    /// Not known.
    Unknown,
    /// The public internet.
    Public,
    /// Private ranges: 10/8, 172.16/12, 192.168/16, link-local, CGNAT, unique-local IPv6.
    Local,
    /// 127/8 and `::1`.
    Loopback,
}

impl AddressSpace {
    /// Chromium's label.
    pub fn label(self) -> &'static str {
        match self {
            AddressSpace::Unknown => "unknown",
            AddressSpace::Public => "public",
            AddressSpace::Local => "local",
            AddressSpace::Loopback => "loopback",
        }
    }
}

/// A CORS failure, with the offending value where Chromium shows one (the "hint").
///
/// Hints are raw response bytes; rendering escapes them as Chromium does.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CorsError {
    /// A `same-origin` mode request to another origin (`kDisallowedByMode`).
    DisallowedByMode,
    /// The response could not be used at all (`kInvalidResponse`).
    InvalidResponse,
    /// `Access-Control-Allow-Origin: *` on a credentialed request (`kWildcardOriginNotAllowed`).
    WildcardOriginNotAllowed,
    /// No `Access-Control-Allow-Origin` (`kMissingAllowOriginHeader`).
    MissingAllowOriginHeader,
    /// `Access-Control-Allow-Origin` holds a list or several lines (`kMultipleAllowOriginValues`).
    MultipleAllowOriginValues {
        /// The value, lines joined with `, `.
        value: Vec<u8>,
    },
    /// `Access-Control-Allow-Origin` is not a URL (`kInvalidAllowOriginValue`).
    InvalidAllowOriginValue {
        /// The value.
        value: Vec<u8>,
    },
    /// `Access-Control-Allow-Origin` names another origin (`kAllowOriginMismatch`).
    AllowOriginMismatch {
        /// The value.
        value: Vec<u8>,
    },
    /// `Access-Control-Allow-Credentials` is not `true` on a credentialed request
    /// (`kInvalidAllowCredentials`).
    InvalidAllowCredentials {
        /// The value, empty when the header is missing.
        value: Vec<u8>,
    },
    /// A scheme without CORS support (`kCorsDisabledScheme`).
    CorsDisabledScheme,
    /// The preflight's status is not 2xx (`kPreflightInvalidStatus`).
    PreflightInvalidStatus {
        /// The status received.
        status: u16,
    },
    /// The preflight was redirected (`kPreflightDisallowedRedirect`).
    PreflightDisallowedRedirect,
    /// `*` on the preflight of a credentialed request.
    PreflightWildcardOriginNotAllowed,
    /// No `Access-Control-Allow-Origin` on the preflight.
    PreflightMissingAllowOriginHeader,
    /// Several origins in the preflight's `Access-Control-Allow-Origin`.
    PreflightMultipleAllowOriginValues {
        /// The value.
        value: Vec<u8>,
    },
    /// A preflight `Access-Control-Allow-Origin` that is not a URL.
    PreflightInvalidAllowOriginValue {
        /// The value.
        value: Vec<u8>,
    },
    /// A preflight `Access-Control-Allow-Origin` naming another origin.
    PreflightAllowOriginMismatch {
        /// The value.
        value: Vec<u8>,
    },
    /// The preflight's `Access-Control-Allow-Credentials` is not `true`.
    PreflightInvalidAllowCredentials {
        /// The value, empty when missing.
        value: Vec<u8>,
    },
    /// `Access-Control-Allow-Methods` has an item that is not a token.
    InvalidAllowMethodsPreflightResponse,
    /// `Access-Control-Allow-Headers` has an item that is not a token.
    InvalidAllowHeadersPreflightResponse,
    /// The method is not in `Access-Control-Allow-Methods`.
    MethodDisallowedByPreflightResponse {
        /// The method as sent.
        method: String,
    },
    /// A request header is not in `Access-Control-Allow-Headers`.
    HeaderDisallowedByPreflightResponse {
        /// The lower-cased name.
        name: String,
    },
    /// A redirect's `Location` has a user name or password.
    RedirectContainsCredentials,
    /// A non-secure page asked for a more private address space (Local Network Access).
    InsecureLocalNetwork {
        /// The resource's space.
        resource: AddressSpace,
    },
    /// `targetAddressSpace` did not match the resource's space.
    InvalidLocalNetworkAccess {
        /// The space the request declared.
        target: AddressSpace,
        /// The resource's space.
        resource: AddressSpace,
    },
    /// The user (or policy) denied local network access.
    LocalNetworkAccessPermissionDenied {
        /// The resource's space.
        resource: AddressSpace,
    },
}

/// What the server must change: response headers to send, and a sentence for what headers
/// cannot say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fix {
    /// Headers the response must carry (name, value).
    pub headers: Vec<(String, String)>,
    /// Response headers to remove or stop sending twice.
    pub remove: Vec<String>,
    /// The status preflights must be answered with, when theirs is part of the problem.
    pub preflight_status: Option<u16>,
    /// The change in words.
    pub summary: String,
}

/// What the fix depends on: the request as the browser made it.
#[derive(Clone, Copy, Debug)]
pub struct FixContext<'a> {
    /// The `Origin` the browser sent (`null` once tainted).
    pub origin: &'a str,
    /// True for `credentials: 'include'`.
    pub credentials: bool,
    /// The actual request's method.
    pub method: &'a str,
    /// The request headers that needed permission (lower case), as in
    /// `Access-Control-Request-Headers`.
    pub request_headers: &'a [String],
    /// The URL reached through a cross-origin redirect, when that redirect tainted the request
    /// (so the browser sent `Origin: null`); `None` otherwise.
    pub tainted_url: Option<&'a str>,
    /// False when neither the method nor the headers are known (a pasted message that names
    /// neither): a preflight's grants are then placeholders in `<...>` saying what to write,
    /// rather than a guess that would fail the next preflight.
    pub request_known: bool,
}

impl CorsError {
    /// Chromium's enum name (`kMissingAllowOriginHeader`), for logs and JSON.
    pub fn chromium_name(&self) -> &'static str {
        use CorsError::*;
        match self {
            DisallowedByMode => "kDisallowedByMode",
            InvalidResponse => "kInvalidResponse",
            WildcardOriginNotAllowed => "kWildcardOriginNotAllowed",
            MissingAllowOriginHeader => "kMissingAllowOriginHeader",
            MultipleAllowOriginValues { .. } => "kMultipleAllowOriginValues",
            InvalidAllowOriginValue { .. } => "kInvalidAllowOriginValue",
            AllowOriginMismatch { .. } => "kAllowOriginMismatch",
            InvalidAllowCredentials { .. } => "kInvalidAllowCredentials",
            CorsDisabledScheme => "kCorsDisabledScheme",
            PreflightInvalidStatus { .. } => "kPreflightInvalidStatus",
            PreflightDisallowedRedirect => "kPreflightDisallowedRedirect",
            PreflightWildcardOriginNotAllowed => "kPreflightWildcardOriginNotAllowed",
            PreflightMissingAllowOriginHeader => "kPreflightMissingAllowOriginHeader",
            PreflightMultipleAllowOriginValues { .. } => "kPreflightMultipleAllowOriginValues",
            PreflightInvalidAllowOriginValue { .. } => "kPreflightInvalidAllowOriginValue",
            PreflightAllowOriginMismatch { .. } => "kPreflightAllowOriginMismatch",
            PreflightInvalidAllowCredentials { .. } => "kPreflightInvalidAllowCredentials",
            InvalidAllowMethodsPreflightResponse => "kInvalidAllowMethodsPreflightResponse",
            InvalidAllowHeadersPreflightResponse => "kInvalidAllowHeadersPreflightResponse",
            MethodDisallowedByPreflightResponse { .. } => "kMethodDisallowedByPreflightResponse",
            HeaderDisallowedByPreflightResponse { .. } => "kHeaderDisallowedByPreflightResponse",
            RedirectContainsCredentials => "kRedirectContainsCredentials",
            InsecureLocalNetwork { .. } => "kInsecureLocalNetwork",
            InvalidLocalNetworkAccess { .. } => "kInvalidLocalNetworkAccess",
            LocalNetworkAccessPermissionDenied { .. } => "kLocalNetworkAccessPermissionDenied",
        }
    }

    /// True for the eight errors Chromium prefixes with "Response to preflight request doesn't
    /// pass access control check: ".
    pub fn has_preflight_prefix(&self) -> bool {
        use CorsError::*;
        matches!(
            self,
            PreflightWildcardOriginNotAllowed
                | PreflightMissingAllowOriginHeader
                | PreflightMultipleAllowOriginValues { .. }
                | PreflightInvalidAllowOriginValue { .. }
                | PreflightAllowOriginMismatch { .. }
                | PreflightInvalidAllowCredentials { .. }
                | PreflightInvalidStatus { .. }
                | PreflightDisallowedRedirect
        )
    }

    /// True for every failure found in the preflight's answer.
    pub fn is_preflight(&self) -> bool {
        use CorsError::*;
        self.has_preflight_prefix()
            || matches!(
                self,
                InvalidAllowMethodsPreflightResponse
                    | InvalidAllowHeadersPreflightResponse
                    | MethodDisallowedByPreflightResponse { .. }
                    | HeaderDisallowedByPreflightResponse { .. }
            )
    }

    /// True for the errors about `Access-Control-Allow-Origin` and `-Credentials`, whose fix
    /// names the request's origin.
    fn is_about_allow_origin(&self) -> bool {
        use CorsError::*;
        matches!(
            self,
            WildcardOriginNotAllowed
                | PreflightWildcardOriginNotAllowed
                | MissingAllowOriginHeader
                | PreflightMissingAllowOriginHeader
                | MultipleAllowOriginValues { .. }
                | PreflightMultipleAllowOriginValues { .. }
                | InvalidAllowOriginValue { .. }
                | PreflightInvalidAllowOriginValue { .. }
                | AllowOriginMismatch { .. }
                | PreflightAllowOriginMismatch { .. }
                | InvalidAllowCredentials { .. }
                | PreflightInvalidAllowCredentials { .. }
        )
    }

    /// The preflight twin of an access-check error (Chromium maps them the same way).
    pub fn into_preflight(self) -> CorsError {
        use CorsError::*;
        match self {
            WildcardOriginNotAllowed => PreflightWildcardOriginNotAllowed,
            MissingAllowOriginHeader => PreflightMissingAllowOriginHeader,
            MultipleAllowOriginValues { value } => PreflightMultipleAllowOriginValues { value },
            InvalidAllowOriginValue { value } => PreflightInvalidAllowOriginValue { value },
            AllowOriginMismatch { value } => PreflightAllowOriginMismatch { value },
            InvalidAllowCredentials { value } => PreflightInvalidAllowCredentials { value },
            other => other,
        }
    }

    /// Chromium's detail text (after "has been blocked by CORS policy: " and any preflight
    /// prefix), with the hint escaped as Chromium escapes it.
    pub fn detail(&self, initiator: Initiator) -> String {
        use CorsError::*;
        const NOCORS: &str = " Have the server send the header with a valid value.";
        const XHR: &str = " The credentials mode of requests initiated by the XMLHttpRequest is controlled by the withCredentials attribute.";
        let suffix_valid = if initiator == Initiator::Fetch { NOCORS } else { "" };
        let suffix_xhr = if initiator == Initiator::Xhr { XHR } else { "" };
        match self {
            DisallowedByMode => "Cross origin requests are not allowed by request mode.".to_owned(),
            InvalidResponse => "The response is invalid.".to_owned(),
            WildcardOriginNotAllowed | PreflightWildcardOriginNotAllowed => format!(
                "The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'.{suffix_xhr}"
            ),
            MissingAllowOriginHeader | PreflightMissingAllowOriginHeader => {
                "No 'Access-Control-Allow-Origin' header is present on the requested resource.".to_owned()
            }
            MultipleAllowOriginValues { value } | PreflightMultipleAllowOriginValues { value } => format!(
                "The 'Access-Control-Allow-Origin' header contains multiple values '{}', but only one is allowed.{suffix_valid}",
                encode_hint(value)
            ),
            InvalidAllowOriginValue { value } | PreflightInvalidAllowOriginValue { value } => format!(
                "The 'Access-Control-Allow-Origin' header contains the invalid value '{}'.{suffix_valid}",
                encode_hint(value)
            ),
            AllowOriginMismatch { value } | PreflightAllowOriginMismatch { value } => format!(
                "The 'Access-Control-Allow-Origin' header has a value '{}' that is not equal to the supplied origin.{suffix_valid}",
                encode_hint(value)
            ),
            InvalidAllowCredentials { value } | PreflightInvalidAllowCredentials { value } => format!(
                "The value of the 'Access-Control-Allow-Credentials' header in the response is '{}' which must be 'true' when the request's credentials mode is 'include'.{suffix_xhr}",
                encode_hint(value)
            ),
            CorsDisabledScheme => "Cross origin requests are only supported for protocol schemes: http, data, isolated-app, chrome-extension, chrome, https, chrome-untrusted.".to_owned(),
            PreflightInvalidStatus { .. } => "It does not have HTTP ok status.".to_owned(),
            PreflightDisallowedRedirect => "Redirect is not allowed for a preflight request.".to_owned(),
            InvalidAllowMethodsPreflightResponse => {
                "Cannot parse Access-Control-Allow-Methods response header field in preflight response.".to_owned()
            }
            InvalidAllowHeadersPreflightResponse => {
                "Cannot parse Access-Control-Allow-Headers response header field in preflight response.".to_owned()
            }
            MethodDisallowedByPreflightResponse { method } => format!(
                "Method {} is not allowed by Access-Control-Allow-Methods in preflight response.",
                encode_hint(method.as_bytes())
            ),
            HeaderDisallowedByPreflightResponse { name } => format!(
                "Request header field {} is not allowed by Access-Control-Allow-Headers in preflight response.",
                encode_hint(name.as_bytes())
            ),
            RedirectContainsCredentials => {
                "Redirect location '' contains a username and password, which is disallowed for cross-origin requests.".to_owned()
            }
            InsecureLocalNetwork { resource } => format!(
                "The request client is not a secure context and the resource is in more-private address space `{}`.",
                resource.label()
            ),
            InvalidLocalNetworkAccess { target, resource } => format!(
                "Request had a target IP address space of `{}` yet the resource is in address space `{}`.",
                target.label(),
                resource.label()
            ),
            LocalNetworkAccessPermissionDenied { resource } => {
                format!("Permission was denied for this request to access the `{}` address space.", resource.label())
            }
        }
    }

    /// The full console line: "Access to fetch at '...' [(redirected from '...') ]from origin
    /// '...' has been blocked by CORS policy: [preflight prefix]detail".
    ///
    /// `url` is the URL whose response failed; `initial_url` the one the page asked for;
    /// `page_origin` the page's own origin (never the tainted `null`).
    pub fn console_message(&self, initiator: Initiator, url: &str, initial_url: &str, page_origin: &str) -> String {
        let mut s = format!("Access to {} at '{url}' ", initiator.resource_word());
        if url != initial_url {
            s.push_str(&format!("(redirected from '{initial_url}') "));
        }
        s.push_str(&format!("from origin '{page_origin}' has been blocked by CORS policy: "));
        if self.has_preflight_prefix() {
            s.push_str("Response to preflight request doesn't pass access control check: ");
        }
        s.push_str(&self.detail(initiator));
        s
    }

    /// Firefox's reason code as MDN names it (`CORSMissingAllowOrigin`), where Firefox has one.
    pub fn firefox_code(&self) -> Option<&'static str> {
        use CorsError::*;
        Some(match self {
            WildcardOriginNotAllowed | PreflightWildcardOriginNotAllowed => "CORSNotSupportingCredentials",
            MissingAllowOriginHeader | PreflightMissingAllowOriginHeader => "CORSMissingAllowOrigin",
            MultipleAllowOriginValues { .. } | PreflightMultipleAllowOriginValues { .. } => {
                "CORSMultipleAllowOriginNotAllowed"
            }
            InvalidAllowOriginValue { .. }
            | PreflightInvalidAllowOriginValue { .. }
            | AllowOriginMismatch { .. }
            | PreflightAllowOriginMismatch { .. } => "CORSAllowOriginNotMatchingOrigin",
            InvalidAllowCredentials { .. } | PreflightInvalidAllowCredentials { .. } => "CORSMissingAllowCredentials",
            CorsDisabledScheme => "CORSRequestNotHttp",
            PreflightInvalidStatus { .. } => "CORSPreflightDidNotSucceed",
            PreflightDisallowedRedirect => "CORSExternalRedirectNotAllowed",
            InvalidAllowMethodsPreflightResponse => "CORSInvalidAllowMethod",
            InvalidAllowHeadersPreflightResponse => "CORSInvalidAllowHeader",
            MethodDisallowedByPreflightResponse { .. } => "CORSMethodNotFound",
            HeaderDisallowedByPreflightResponse { .. } => "CORSMissingAllowHeaderFromPreflight",
            InvalidResponse | RedirectContainsCredentials => "CORSDidNotSucceed",
            DisallowedByMode
            | InsecureLocalNetwork { .. }
            | InvalidLocalNetworkAccess { .. }
            | LocalNetworkAccessPermissionDenied { .. } => return None,
        })
    }

    /// What went wrong, in plain words, for someone who has never read the Fetch standard.
    pub fn explanation(&self) -> &'static str {
        use CorsError::*;
        match self {
            DisallowedByMode => "The page asked for mode 'same-origin' but the URL is on another origin, so the browser refused to send the request at all.",
            InvalidResponse => "The browser could not use the response (it was malformed or cut off), so it treated the request as failed.",
            WildcardOriginNotAllowed | PreflightWildcardOriginNotAllowed => "The request carries credentials (cookies or HTTP auth), and for those the browser refuses `Access-Control-Allow-Origin: *`: a wildcard would let every site read the user's private data. The server must name the page's origin instead.",
            MissingAllowOriginHeader => "The server answered, but without an `Access-Control-Allow-Origin` header, so the browser will not let the page read the answer. Often this is an error page (404, 500, a proxy's 502) that the CORS setup does not cover, or the server does not know about this origin.",
            PreflightMissingAllowOriginHeader => "Before sending this request the browser asked for permission with an OPTIONS preflight, and the answer had no `Access-Control-Allow-Origin`. Often OPTIONS is not routed to the CORS handler (a 404/405 from the router, or authentication rejecting the preflight, which never carries credentials).",
            MultipleAllowOriginValues { .. } | PreflightMultipleAllowOriginValues { .. } => "`Access-Control-Allow-Origin` must hold exactly one origin. It holds a list, or it was sent twice (typically once by the application and once by a proxy or framework layer).",
            InvalidAllowOriginValue { .. } | PreflightInvalidAllowOriginValue { .. } => "`Access-Control-Allow-Origin` must be `*`, `null` or an origin like `https://app.example.com`; the value sent is none of these.",
            AllowOriginMismatch { .. } | PreflightAllowOriginMismatch { .. } => "`Access-Control-Allow-Origin` names an origin, but not this page's one. The comparison is exact: a trailing slash, another port, http vs https, or a different subdomain all fail.",
            InvalidAllowCredentials { .. } | PreflightInvalidAllowCredentials { .. } => "The request carries credentials, so the browser also requires `Access-Control-Allow-Credentials: true` (exactly that, lower case) on the response.",
            CorsDisabledScheme => "Cross-origin requests only work over http and https; this URL uses another scheme (often a file:// page or a typo in the URL).",
            PreflightInvalidStatus { .. } => "The OPTIONS preflight was answered with a status outside 200–299. The preflight never carries credentials, so authentication middleware that runs before CORS rejects it; or the router has no OPTIONS route.",
            PreflightDisallowedRedirect => "The OPTIONS preflight was answered with a redirect, which browsers never follow for preflights. Typical causes: http to https, a missing or extra trailing slash, or a login redirect.",
            InvalidAllowMethodsPreflightResponse => "`Access-Control-Allow-Methods` must be a comma-separated list of method names; one item is not a valid token.",
            InvalidAllowHeadersPreflightResponse => "`Access-Control-Allow-Headers` must be a comma-separated list of header names; one item is not a valid token.",
            MethodDisallowedByPreflightResponse { .. } => "The preflight answer does not list this method in `Access-Control-Allow-Methods`. Matching is case-sensitive: fetch() upper-cases only DELETE, GET, HEAD, OPTIONS, POST and PUT, so `patch` must be listed as `patch` (or the page should write `PATCH`).",
            HeaderDisallowedByPreflightResponse { .. } => "The page sets a request header that the preflight answer does not list in `Access-Control-Allow-Headers`. `Content-Type: application/json` and `Authorization` are the usual ones.",
            RedirectContainsCredentials => "A redirect pointed to a URL with a user name or password in it, which browsers refuse for cross-origin requests.",
            InsecureLocalNetwork { .. } => "A page that is not a secure context tried to reach a more private network (Local Network Access); it must be served over https and be granted permission.",
            InvalidLocalNetworkAccess { .. } => "The request declared a target address space that does not match where the server really is.",
            LocalNetworkAccessPermissionDenied { .. } => "The user (or an enterprise policy) did not grant this site access to the local network.",
        }
    }

    /// The headers the server must send (or stop sending) for this request to pass. A fix
    /// grants everything the request needs, not only what this error names: following it must
    /// not lead straight to the next error (an origin allowed, then the method refused).
    pub fn fix(&self, cx: FixContext<'_>) -> Fix {
        use CorsError::*;
        let mut fix = Fix::default();
        if let Some(url) = cx.tainted_url.filter(|_| self.is_granted_by_headers()) {
            // Allowing `null` would admit every sandboxed page: avoid the redirect instead.
            if !cx.credentials {
                grant(&mut fix, FixContext { origin: "*", ..cx }, self.is_preflight());
                fix.headers.retain(|(n, _)| n != "Vary");
            }
            fix.summary = format!(
                "The request was redirected to another origin, so the browser sent `Origin: null`. Call {url} directly (it is the final URL), or have the redirect stay on one origin; allowing `null` would admit any sandboxed page.{}",
                if cx.credentials { "" } else { " Without credentials, `Access-Control-Allow-Origin: *` on the target also works." }
            );
            return fix;
        }
        if cx.origin == "null" && self.is_granted_by_headers() {
            // Not tainted (that case is above): the page itself has an opaque origin.
            fix.summary = "The page's own origin is `null`: it was opened from a file or runs in a sandboxed iframe. Serve it from a real origin (a dev server such as http://localhost:5173) and allow that origin; never allow `null`, which every sandboxed page on the web can send.".into();
            return fix;
        }
        let preflight = self.is_preflight();
        let star_note = if cx.credentials {
            " With credentials, `*` in Access-Control-Allow-Methods, -Headers and -Expose-Headers is a name, not a wildcard: list the names."
        } else {
            ""
        };
        match self {
            MissingAllowOriginHeader | PreflightMissingAllowOriginHeader => {
                grant(&mut fix, cx, preflight);
                fix.summary = if preflight {
                    "Answer the OPTIONS preflight before any authentication or routing that rejects it, with these headers and a 204 status; send the origin lines on the response to the request itself too.".into()
                } else {
                    "Send these headers on every response to this origin, error responses included (nginx: `add_header ... always`).".into()
                };
            }
            WildcardOriginNotAllowed | PreflightWildcardOriginNotAllowed => {
                grant(&mut fix, cx, preflight);
                fix.summary = format!("With credentials, `*` is not an origin: send the requesting origin (from an allow-list, never echoed unchecked), and add Vary: Origin.{star_note}");
            }
            MultipleAllowOriginValues { .. } | PreflightMultipleAllowOriginValues { .. } => {
                grant(&mut fix, cx, preflight);
                // The line is there already, twice: the fix is to send it once, not to add it.
                fix.headers.retain(|(n, _)| n != "Access-Control-Allow-Origin");
                fix.remove.push("Access-Control-Allow-Origin (the duplicate)".into());
                fix.summary = format!("Send Access-Control-Allow-Origin once, with `{}`: if a proxy and the app both add it, remove one (nginx: `proxy_hide_header Access-Control-Allow-Origin`).", cx.origin);
            }
            InvalidAllowOriginValue { .. }
            | PreflightInvalidAllowOriginValue { .. }
            | AllowOriginMismatch { .. }
            | PreflightAllowOriginMismatch { .. } => {
                grant(&mut fix, cx, preflight);
                fix.summary = format!("Send exactly `{}` (scheme, host and port, no trailing slash).", cx.origin);
            }
            InvalidAllowCredentials { .. } | PreflightInvalidAllowCredentials { .. } => {
                grant(&mut fix, cx, preflight);
                fix.summary = "Send `Access-Control-Allow-Credentials: true` (lower case) together with the exact origin, or stop sending credentials from the page.".into();
            }
            PreflightInvalidStatus { status } => {
                grant(&mut fix, cx, true);
                let got = if *status == 0 { String::new() } else { format!(" (got {status})") };
                fix.summary = format!("Answer OPTIONS preflights with 204{got} and these headers; run the CORS layer before authentication and routing, since preflights never carry credentials.");
            }
            PreflightDisallowedRedirect => {
                fix.summary = "Call the final URL directly (https, exact path and trailing slash), or stop redirecting OPTIONS requests.".into();
            }
            InvalidAllowMethodsPreflightResponse => {
                grant(&mut fix, cx, true);
                if crate::method::is_safelisted(cx.method) {
                    // Nothing to list for this method, but the broken line still fails it.
                    fix.remove.push("Access-Control-Allow-Methods (or send a valid list)".into());
                }
                fix.summary = format!("Access-Control-Allow-Methods is malformed: it is a comma-separated list of method names, such as `{}`.", allowed_methods(cx));
            }
            MethodDisallowedByPreflightResponse { .. } => {
                grant(&mut fix, cx, true);
                fix.summary = format!(
                    "List `{}` in Access-Control-Allow-Methods, exactly as the page sends it (case-sensitive).{star_note}",
                    cx.method
                );
            }
            InvalidAllowHeadersPreflightResponse => {
                grant(&mut fix, cx, true);
                if cx.request_headers.is_empty() {
                    fix.remove.push("Access-Control-Allow-Headers (or send a valid list)".into());
                }
                fix.summary =
                    "Access-Control-Allow-Headers is malformed: it is a comma-separated list of header names.".into();
            }
            HeaderDisallowedByPreflightResponse { .. } => {
                grant(&mut fix, cx, true);
                fix.summary = format!("List every request header the page sets in Access-Control-Allow-Headers (comma-separated names).{star_note}");
            }
            RedirectContainsCredentials => {
                fix.summary = "Redirect to a URL without user name and password.".into();
            }
            CorsDisabledScheme => {
                fix.summary = "Serve the page over http(s) (e.g. a local dev server) and call an http(s) URL.".into();
            }
            DisallowedByMode => {
                fix.summary = "Use mode 'cors' (the fetch() default) for cross-origin requests.".into();
            }
            InvalidResponse
            | InsecureLocalNetwork { .. }
            | InvalidLocalNetworkAccess { .. }
            | LocalNetworkAccessPermissionDenied { .. } => {
                fix.summary = "Serve the page over https and let the user grant local network access, or call the server through a public address.".into();
            }
        }
        fix
    }

    /// Errors that response headers can fix (the origin, credentials, method and header
    /// grants, the preflight's status), as opposed to redirects, schemes and modes.
    fn is_granted_by_headers(&self) -> bool {
        use CorsError::*;
        self.is_about_allow_origin()
            || matches!(
                self,
                PreflightInvalidStatus { .. }
                    | InvalidAllowMethodsPreflightResponse
                    | MethodDisallowedByPreflightResponse { .. }
                    | InvalidAllowHeadersPreflightResponse
                    | HeaderDisallowedByPreflightResponse { .. }
            )
    }
}

/// Everything the request needs from the server: the exact origin (with credentials and
/// `Vary`) on every answer, and for a preflight the method and headers it asks for and a 204.
fn grant(fix: &mut Fix, cx: FixContext<'_>, preflight: bool) {
    fix.headers.push(("Access-Control-Allow-Origin".into(), cx.origin.into()));
    if cx.credentials {
        fix.headers.push(("Access-Control-Allow-Credentials".into(), "true".into()));
    }
    fix.headers.push(("Vary".into(), "Origin".into()));
    if preflight && !cx.request_known {
        fix.headers
            .push(("Access-Control-Allow-Methods".into(), "<the page's method, unless GET, HEAD or POST>".into()));
        fix.headers.push(("Access-Control-Allow-Headers".into(), "<the request headers the page sets, if any>".into()));
        fix.preflight_status = Some(204);
    } else if preflight {
        if !crate::method::is_safelisted(cx.method) {
            fix.headers.push(("Access-Control-Allow-Methods".into(), cx.method.into()));
        }
        if !cx.request_headers.is_empty() {
            fix.headers.push(("Access-Control-Allow-Headers".into(), cx.request_headers.join(", ")));
        }
        fix.preflight_status = Some(204);
    }
}

/// The method list to show as an example: the request's method when it needs listing.
fn allowed_methods(cx: FixContext<'_>) -> String {
    if crate::method::is_safelisted(cx.method) {
        "GET, POST".to_owned()
    } else {
        format!("GET, POST, {}", cx.method)
    }
}

/// Chromium's `EncodeHint`: bytes read as Latin-1; 0x20–0x7E kept, all else `\uXXXX` (upper case).
pub fn encode_hint(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len());
    for &b in bytes {
        if (0x20..=0x7e).contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("\\u{:04X}", b));
        }
    }
    s
}

impl fmt::Display for CorsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail(Initiator::Fetch))
    }
}

impl std::error::Error for CorsError {}

#[cfg(test)]
mod tests;
