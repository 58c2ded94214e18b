//! The browser side: a model of how Chromium runs a cross-origin `fetch()`, as a state machine
//! with no I/O.
//!
//! Give [`Fetch::new`] what the page asks for (an [`Intent`]); it yields each request the browser
//! would send ([`Step::Send`]: the preflight, then the actual request, again after each redirect),
//! takes each [`Response`], and ends in a [`Verdict`]: allowed, with what script can read, or
//! blocked, with Chromium's console message. Checks run in Chromium's order, because the order
//! decides which message appears (see `docs/chromium-rules.md`).
//!
//! [`Intent::engine`] set to [`Engine::Firefox`] applies Firefox's request rules where they
//! differ (its narrower safelist, its `Access-Control-Request-Headers`, a preflight again after
//! a redirect); [`firefox`] words any verdict as Firefox does. [`Engine::WebKit`] does the same
//! for WebKit (the client hints not safelisted, no 1024-byte rule, its `Range` rule, body
//! headers kept when a redirect makes the request a `GET`); [`webkit`] words the verdict.
//!
//! ```
//! use corsair_core::browser::{Credentials, Fetch, Intent, Response, SendKind, Step};
//! use corsair_core::Origin;
//!
//! let page = Origin::parse("http://localhost:5173").unwrap();
//! let intent = Intent::new("http://127.0.0.1:8080/api".parse().unwrap(), page)
//!     .method("PUT")
//!     .header("Content-Type", "application/json")
//!     .credentials(Credentials::Include);
//! let mut fetch = Fetch::new(intent);
//!
//! let Step::Send(preflight) = fetch.next() else { panic!() };
//! assert_eq!(preflight.kind, SendKind::Preflight);
//! assert_eq!(preflight.header("access-control-request-headers"), Some("content-type"));
//!
//! fetch.receive(Response::new(204).header("Access-Control-Allow-Origin", "*"));
//! let Step::Done(verdict) = fetch.next() else { panic!() };
//! assert_eq!(
//!     verdict.console_message().unwrap(),
//!     "Access to fetch at 'http://127.0.0.1:8080/api' from origin 'http://localhost:5173' has been blocked by CORS policy: \
//!      Response to preflight request doesn't pass access control check: The value of the 'Access-Control-Allow-Origin' \
//!      header in the response must not be the wildcard '*' when the request's credentials mode is 'include'."
//! );
//! ```

pub mod cause;
pub mod firefox;
pub mod grants;
pub mod preflight;
pub mod response;
pub mod webkit;

use std::fmt;

use url::Url;

pub use crate::console::Browser as Engine;
pub use crate::cors_error::Initiator;
use crate::cors_error::{CorsError, Fix, FixContext};
use crate::origin::{HostKind, Origin};
pub use cause::{causes, Cause};
pub use grants::MissingGrants;
pub use preflight::PreflightGrant;
pub use response::{check_access, Response};

/// Redirects Chromium follows before failing with `ERR_TOO_MANY_REDIRECTS`.
pub const MAX_REDIRECTS: u32 = 20;

/// `credentials` in `fetch()`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Credentials {
    /// Never send cookies or HTTP auth.
    Omit,
    /// Only to the page's own origin (the default).
    #[default]
    SameOrigin,
    /// Always, which makes the CORS check strict (`*` no longer works).
    Include,
}

/// `redirect` in `fetch()`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RedirectMode {
    /// Follow up to 20 redirects (the default).
    #[default]
    Follow,
    /// Fail on a redirect.
    Error,
    /// Return the redirect itself as an opaque-redirect response.
    Manual,
}

/// `mode` in `fetch()`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    /// CORS (the default for `fetch()`).
    #[default]
    Cors,
    /// No CORS: the response is opaque to script.
    NoCors,
    /// Same origin only.
    SameOrigin,
}

/// What the page asks for: `fetch(url, {method, headers, credentials, redirect, mode})`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Intent {
    /// The URL passed to `fetch()`.
    pub url: Url,
    /// The page's origin.
    pub page_origin: Origin,
    /// The page's URL, shown in mixed-content messages; defaults to the origin's root.
    pub page_url: Option<Url>,
    /// The method as the script wrote it (the model normalises it as Blink does).
    pub method: String,
    /// Headers as the script set them, in order.
    pub headers: Vec<(String, String)>,
    /// Credentials mode.
    pub credentials: Credentials,
    /// Redirect mode.
    pub redirect: RedirectMode,
    /// Request mode.
    pub mode: Mode,
    /// `fetch()` or XHR (changes some message texts).
    pub initiator: Initiator,
    /// The request body, if the page sends one. The model only carries it: CORS never reads it,
    /// but a server's body parser may answer before its CORS layer runs.
    pub body: Option<Vec<u8>>,
    /// The browser whose request-header safelist decides the preflight (Chromium's is wider).
    pub engine: Engine,
}

impl Intent {
    /// A `GET` with `fetch()`'s defaults.
    pub fn new(url: Url, page_origin: Origin) -> Intent {
        Intent {
            url,
            page_origin,
            page_url: None,
            method: "GET".to_owned(),
            headers: Vec::new(),
            credentials: Credentials::default(),
            redirect: RedirectMode::default(),
            mode: Mode::default(),
            initiator: Initiator::default(),
            body: None,
            engine: Engine::Chromium,
        }
    }

    /// Sets the engine.
    pub fn engine(mut self, engine: Engine) -> Intent {
        self.engine = engine;
        self
    }

    /// Sets the request body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Intent {
        self.body = Some(body.into());
        self
    }

    /// Sets the method.
    pub fn method(mut self, method: &str) -> Intent {
        method.clone_into(&mut self.method);
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Intent {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the credentials mode.
    pub fn credentials(mut self, credentials: Credentials) -> Intent {
        self.credentials = credentials;
        self
    }

    /// Sets the redirect mode.
    pub fn redirect(mut self, redirect: RedirectMode) -> Intent {
        self.redirect = redirect;
        self
    }

    /// Sets the request mode.
    pub fn mode(mut self, mode: Mode) -> Intent {
        self.mode = mode;
        self
    }
}

/// Which of the two requests of a CORS exchange this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SendKind {
    /// The `OPTIONS` permission request.
    Preflight,
    /// The request the page asked for (after any redirects).
    Actual,
}

/// A request the browser would send now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Preflight or actual.
    pub kind: SendKind,
    /// The method, exactly as sent.
    pub method: String,
    /// The URL.
    pub url: Url,
    /// The CORS-relevant headers, in the order Chromium adds them; the transport adds `Host`,
    /// `User-Agent`, `Accept-Encoding` and the like.
    pub headers: Vec<(String, String)>,
    /// True if the browser would attach cookies and HTTP auth.
    pub with_credentials: bool,
    /// The body: the page's, on an actual request whose method may carry one (a redirect that
    /// rewrites the method to `GET` drops it); never on a preflight.
    pub body: Option<Vec<u8>>,
}

impl Request {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The request as an `http` request head for an in-process server (corsair-tower, a test's
    /// service): method as sent, the full URL as the URI, the CORS-relevant header lines in
    /// order; no body (attach [`Request::body`] if the server reads it). `Err` only for a
    /// method, URL or header the `http` crate cannot hold, which the model never makes.
    pub fn to_http(&self) -> Result<http::Request<()>, http::Error> {
        let mut builder = http::Request::builder().method(self.method.as_str()).uri(self.url.as_str());
        for (name, value) in &self.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        builder.body(())
    }
}

/// What the model wants next.
#[allow(clippy::large_enum_variant)] // One per fetch, never in a hot path: boxing would buy nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Send this request and call [`Fetch::receive`] with the answer.
    Send(Request),
    /// Finished.
    Done(Verdict),
}

/// How script sees a response that got through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResponseType {
    /// Same-origin: everything but `Set-Cookie` is readable.
    Basic,
    /// Cross-origin, CORS-checked: safelisted and exposed headers are readable.
    Cors,
    /// `no-cors` cross-origin: status 0, nothing readable.
    Opaque,
    /// `redirect: 'manual'`: the redirect itself, nothing readable.
    OpaqueRedirect,
}

impl ResponseType {
    /// The `Response.type` string script sees.
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseType::Basic => "basic",
            ResponseType::Cors => "cors",
            ResponseType::Opaque => "opaque",
            ResponseType::OpaqueRedirect => "opaqueredirect",
        }
    }
}

/// Something worth knowing even when the request went through.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Warning {
    /// `Access-Control-Allow-Headers: *` covered `Authorization`; the standard says it must not,
    /// and Chromium prints a deprecation issue. List `authorization` explicitly.
    AuthorizationCoveredByWildcard,
    /// `Access-Control-Max-Age` above Chromium's cap: a note, not a problem (Chromium uses its
    /// cap; django-cors-headers sends 86400 by default).
    MaxAgeCapped {
        /// The value sent.
        sent: i64,
        /// What Chromium uses.
        used: u32,
    },
    /// A header the script set that browsers never send.
    DroppedForbiddenHeader(String),
    /// The final status is an error; Chromium logs "Failed to load resource: the server
    /// responded with a status of N".
    ErrorStatus(u16),
    /// An https page reached a private-network IP literal over http: allowed, with a warning
    /// and a Local Network Access permission prompt.
    MixedContentLocalNetwork,
    /// `Access-Control-Allow-Origin` names the request's origin but the response does not say
    /// `Vary: Origin`. One exchange cannot tell a fixed value from an echo: only if the value
    /// depends on the `Origin` can a shared cache hand one origin's answer to another.
    AllowOriginWithoutVary,
    /// `Access-Control-Allow-Origin: *` passed only because the page sends no credentials.
    WildcardOrigin,
}

impl Warning {
    /// Whether this is worth knowing but needs no change (Chromium's max-age cap).
    pub fn is_note(&self) -> bool {
        matches!(self, Warning::MaxAgeCapped { .. })
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::AuthorizationCoveredByWildcard => f.write_str(
                "Authorization is covered by `Access-Control-Allow-Headers: *` only because Chromium has not enforced the standard yet; list `authorization` explicitly",
            ),
            Warning::MaxAgeCapped { sent, used } => {
                write!(f, "Access-Control-Max-Age: {sent} is above Chromium's cap, so Chromium caches the preflight for {used} seconds (harmless: django-cors-headers sends 86400 by default)")
            }
            Warning::DroppedForbiddenHeader(name) => {
                write!(f, "the browser drops the header `{name}`: scripts may not set it")
            }
            Warning::ErrorStatus(status) => write!(f, "the server responded with a status of {status}"),
            Warning::MixedContentLocalNetwork => f.write_str(
                "an https page requests a private-network address over http: Chromium allows it with a mixed-content warning and asks the user for local network access",
            ),
            Warning::AllowOriginWithoutVary => f.write_str(
                "Access-Control-Allow-Origin is the request's origin, without `Vary: Origin`: if it depends on the Origin (echoed, or picked from a list), add `Vary: Origin`, or a shared cache can serve one origin's answer to another; a fixed value needs nothing",
            ),
            Warning::WildcardOrigin => f.write_str(
                "`Access-Control-Allow-Origin: *` works only while the page sends no credentials; with `credentials: 'include'` the browser will block it",
            ),
        }
    }
}

/// The end of a fetch.
#[allow(clippy::large_enum_variant)] // One per fetch, never in a hot path: boxing would buy nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Script gets the response.
    Allowed(Allowed),
    /// `fetch()` rejects with `TypeError: Failed to fetch`.
    Blocked(Blocked),
}

/// A response script can use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allowed {
    /// How script sees it.
    pub response_type: ResponseType,
    /// The status script sees (0 for opaque types).
    pub status: u16,
    /// The final URL.
    pub url: Url,
    /// Lower-case header names script can read, sorted.
    pub readable_headers: Vec<String>,
    /// What the preflight granted, if one was sent.
    pub preflight: Option<PreflightGrant>,
    /// Remarks.
    pub warnings: Vec<Warning>,
}

/// Why a fetch failed before script got a response.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Blocked by CORS.
    Cors(CorsError),
    /// An https page asked for an insecure URL.
    MixedContent,
    /// `fetch()` refused the arguments; the text is the `TypeError` message.
    TypeError(String),
    /// Blink refused before sending ("Fetch API cannot load ...").
    FetchApi(FetchApiError),
    /// A network-level failure (`net::ERR_...`).
    Network(NetError),
}

impl Failure {
    /// A stable name for the kind of failure (the `kind` of JSON reports), so every front end
    /// spells it the same way.
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::Cors(_) => "cors",
            Failure::MixedContent => "mixed_content",
            Failure::TypeError(_) => "type_error",
            Failure::FetchApi(_) => "fetch_api",
            Failure::Network(_) => "network",
        }
    }

    /// One sentence on what this kind of failure means, for failures that are not CORS (whose
    /// explanation is the [`CorsError`]'s own); empty for CORS.
    pub fn summary(&self) -> &'static str {
        match self {
            Failure::MixedContent => {
                "An https page may not fetch plain-http URLs (except loopback): serve the API over https."
            }
            Failure::TypeError(_) => "fetch() refuses these arguments before sending anything.",
            Failure::FetchApi(_) => "The browser refuses to send this request at all.",
            Failure::Network(_) => "The request failed below CORS (connection, redirect limits or redirect mode).",
            Failure::Cors(_) => "",
        }
    }
}

/// Blink's early refusals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchApiError {
    /// The scheme is not one fetch supports.
    SchemeNotSupported(String),
    /// `mode: 'same-origin'` with a cross-origin URL.
    SameOriginMode,
    /// `mode: 'no-cors'` with a redirect mode other than follow.
    NoCorsRedirect,
}

/// Network failures the model produces itself (the transport reports its own).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetError {
    /// More than 20 redirects.
    TooManyRedirects,
    /// A `Location` that is not a URL.
    InvalidRedirect,
    /// A `Location` with a scheme that cannot be followed.
    UnsafeRedirect,
    /// A redirect with `redirect: 'error'`.
    RedirectModeError,
    /// The transport failed (connection refused, TLS, timeout...); the text says how.
    Transport(String),
}

impl NetError {
    /// Chromium's net error name.
    pub fn code(&self) -> &str {
        match self {
            NetError::TooManyRedirects => "ERR_TOO_MANY_REDIRECTS",
            NetError::InvalidRedirect => "ERR_INVALID_REDIRECT",
            NetError::UnsafeRedirect => "ERR_UNSAFE_REDIRECT",
            NetError::RedirectModeError => "ERR_FAILED",
            NetError::Transport(code) => code,
        }
    }
}

/// A blocked fetch, with what Chromium would print.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blocked {
    /// What failed.
    pub failure: Failure,
    /// The URL whose response failed.
    pub url: Url,
    /// The URL the page asked for.
    pub initial_url: Url,
    /// The page's origin.
    pub page_origin: Origin,
    /// The page's URL.
    pub page_url: Url,
    /// The `Origin` the failing request carried (`null` once tainted).
    pub sent_origin: Origin,
    /// The method of the failing request.
    pub method: String,
    /// The CORS-unsafe request header names of the failing request.
    pub unsafe_headers: Vec<String>,
    /// True for credentials mode `include`.
    pub include_credentials: bool,
    /// `fetch()` or XHR.
    pub initiator: Initiator,
    /// Remarks gathered before the failure.
    pub warnings: Vec<Warning>,
    /// The answer whose check failed (`None` when nothing was answered): other engines word
    /// the same failure from facts Chromium's message leaves out (status, ACAO lines).
    pub response: Option<Response>,
    /// The redirect mode (Firefox words a failed redirect hop by it).
    pub redirect: RedirectMode,
    /// The request headers of the failing request, as the script set them (combined, in
    /// order): WebKit names the first one a preflight refused in its own order and spelling.
    pub headers: Vec<(String, String)>,
}

impl Blocked {
    /// The CORS error, if this is a CORS failure.
    pub fn cors_error(&self) -> Option<&CorsError> {
        match &self.failure {
            Failure::Cors(e) => Some(e),
            _ => None,
        }
    }

    /// The first console line Chromium prints for this failure.
    pub fn console_message(&self) -> String {
        match &self.failure {
            Failure::Cors(e) => {
                e.console_message(self.initiator, self.url.as_str(), self.initial_url.as_str(), self.page_origin.as_str())
            }
            Failure::MixedContent => format!(
                "Mixed Content: The page at '{}' was loaded over HTTPS, but requested an insecure {} '{}'. This request has been blocked; the content must be served over HTTPS.",
                elide(self.page_url.as_str()),
                match self.initiator {
                    Initiator::Fetch => "resource",
                    Initiator::Xhr => "XMLHttpRequest endpoint",
                },
                elide(self.url.as_str())
            ),
            Failure::TypeError(m) => m.clone(),
            Failure::FetchApi(e) => {
                let detail = match e {
                    FetchApiError::SchemeNotSupported(s) => format!("URL scheme \"{s}\" is not supported."),
                    FetchApiError::SameOriginMode => format!(
                        "Request mode is \"same-origin\" but the URL's origin is not same as the request origin {}.",
                        self.page_origin
                    ),
                    FetchApiError::NoCorsRedirect => {
                        "Request mode is \"no-cors\" but the redirect mode is not \"follow\".".to_owned()
                    }
                };
                format!("Fetch API cannot load {}. {detail}", elide(self.url.as_str()))
            }
            Failure::Network(e) => format!("Failed to load resource: net::{}", e.code()),
        }
    }

    /// Every console line, in order: the CORS line is followed by Chromium's network line.
    pub fn console_lines(&self) -> Vec<String> {
        let mut lines = vec![self.console_message()];
        if matches!(self.failure, Failure::Cors(_)) {
            lines.push("Failed to load resource: net::ERR_FAILED".to_owned());
        }
        lines
    }

    /// The server-side fix, for CORS failures. A request tainted by a cross-origin redirect
    /// (it sent `Origin: null`) gets the catalogue's taint fix, which never allows `null`.
    pub fn fix(&self) -> Option<Fix> {
        let tainted = self.sent_origin.is_null() && !self.page_origin.is_null();
        Some(self.cors_error()?.fix(FixContext {
            origin: self.sent_origin.as_str(),
            credentials: self.include_credentials,
            method: &self.method,
            request_headers: &self.unsafe_headers,
            tainted_url: tainted.then_some(self.url.as_str()),
            request_known: true,
        }))
    }
}

/// Blink's `ElidedString` for URLs in messages: up to 1024 characters as they are.
fn elide(url: &str) -> String {
    let chars: Vec<char> = url.chars().collect();
    if chars.len() <= 1024 {
        return url.to_owned();
    }
    let head: String = chars[..511].iter().collect();
    let tail: String = chars[chars.len() - 510..].iter().collect();
    format!("{head}...{tail}")
}

impl Verdict {
    /// True for [`Verdict::Allowed`].
    pub fn is_allowed(&self) -> bool {
        matches!(self, Verdict::Allowed(_))
    }

    /// Chromium's console line for a blocked fetch; `None` when allowed.
    pub fn console_message(&self) -> Option<String> {
        match self {
            Verdict::Allowed(_) => None,
            Verdict::Blocked(b) => Some(b.console_message()),
        }
    }

    /// The remarks.
    pub fn warnings(&self) -> &[Warning] {
        match self {
            Verdict::Allowed(a) => &a.warnings,
            Verdict::Blocked(b) => &b.warnings,
        }
    }
}

#[allow(clippy::large_enum_variant)] // One per fetch, never in a hot path: boxing would buy nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    Preflight,
    Actual,
    Done(Verdict),
}

/// One `fetch()` in progress. See the [module documentation](self).
#[derive(Clone, Debug)]
pub struct Fetch {
    page_origin: Origin,
    page_url: Url,
    credentials: Credentials,
    redirect: RedirectMode,
    mode: Mode,
    initiator: Initiator,
    initial_url: Url,
    url: Url,
    method: String,
    headers: Vec<(String, String)>,
    tainted: bool,
    cors_flag: bool,
    /// `//net` set the `Origin` header to `null` on a cross-origin hop. It matters only for
    /// requests followed in place (no CORS flag): a restarted CORS request gets a fresh `Origin`.
    origin_nulled: bool,
    redirects: u32,
    warnings: Vec<Warning>,
    grant: Option<PreflightGrant>,
    body: Option<Vec<u8>>,
    engine: Engine,
    /// How many times the script set each header name (lower case): Firefox lists a name in
    /// `Access-Control-Request-Headers` once per time.
    entries: Vec<(String, usize)>,
    /// A preflight passed earlier in this fetch.
    preflighted: bool,
    /// The latest answer, kept for [`Blocked::response`].
    last_response: Option<Response>,
    state: State,
}

impl Fetch {
    /// Starts a fetch: runs the checks `fetch()` makes before sending anything.
    pub fn new(intent: Intent) -> Fetch {
        let page_url = intent
            .page_url
            .clone()
            .unwrap_or_else(|| Url::parse(&format!("{}/", intent.page_origin)).unwrap_or_else(|_| intent.url.clone()));
        let mut fetch = Fetch {
            page_origin: intent.page_origin,
            page_url,
            credentials: intent.credentials,
            redirect: intent.redirect,
            mode: intent.mode,
            initiator: intent.initiator,
            initial_url: intent.url.clone(),
            url: intent.url,
            method: String::new(),
            headers: Vec::new(),
            tainted: false,
            cors_flag: false,
            origin_nulled: false,
            redirects: 0,
            warnings: Vec::new(),
            grant: None,
            body: intent.body.clone(),
            engine: intent.engine,
            entries: Vec::new(),
            preflighted: false,
            last_response: None,
            state: State::Actual,
        };
        if let Err(failure) = fetch.prepare(&intent.method, intent.headers) {
            fetch.block(failure);
            return fetch;
        }
        fetch.start();
        fetch
    }

    /// What to do next: send a request, or the verdict.
    pub fn next(&self) -> Step {
        match &self.state {
            State::Preflight => Step::Send(self.preflight_request()),
            State::Actual => Step::Send(self.actual_request()),
            State::Done(v) => Step::Done(v.clone()),
        }
    }

    /// Feeds the answer to the request [`Fetch::next`] returned.
    pub fn receive(&mut self, response: Response) {
        self.last_response = Some(response.clone());
        match self.state {
            State::Preflight => self.on_preflight(&response),
            State::Actual => self.on_actual(&response),
            State::Done(_) => {}
        }
    }

    /// Reports that the request could not complete (refused, reset, TLS, timeout); `code` is the
    /// Chromium net error name when known (`ERR_CONNECTION_REFUSED`). No CORS message follows
    /// such a failure, not even for a preflight.
    pub fn fail(&mut self, code: &str) {
        if !matches!(self.state, State::Done(_)) {
            self.last_response = None;
            self.block(Failure::Network(NetError::Transport(code.to_owned())));
        }
    }

    /// The verdict, once done.
    pub fn verdict(&self) -> Option<&Verdict> {
        match &self.state {
            State::Done(v) => Some(v),
            _ => None,
        }
    }

    /// The CORS-unsafe request-header names of the current request, sorted: the value of
    /// `Access-Control-Request-Headers`, split.
    pub fn unsafe_header_names(&self) -> Vec<String> {
        let mut with_accept = self.headers.clone();
        if !has_header(&self.headers, "accept") {
            // Chromium adds `Accept: */*` before this computation, so it counts toward 1024 bytes.
            with_accept.push(("Accept".to_owned(), "*/*".to_owned()));
        }
        match self.engine {
            Engine::Firefox => return firefox::unsafe_request_header_names(&self.headers, &self.entries),
            Engine::WebKit => return webkit::unsafe_request_header_names(&self.headers),
            Engine::Chromium => {}
        }
        crate::safelist::cors_unsafe_request_header_names(with_accept.iter().map(|(n, v)| (n.as_str(), v.as_bytes())))
    }

    /// Blink's checks and normalisation before anything is sent.
    fn prepare(&mut self, method: &str, headers: Vec<(String, String)>) -> Result<(), Failure> {
        if !crate::method::is_valid(method) {
            return Err(Failure::TypeError(format!(
                "Failed to execute 'fetch' on 'Window': '{method}' is not a valid HTTP method."
            )));
        }
        if crate::method::is_forbidden(method) {
            return Err(Failure::TypeError(format!(
                "Failed to execute 'fetch' on 'Window': '{method}' HTTP method is unsupported."
            )));
        }
        self.method = crate::method::normalize(method).into_owned();
        if self.body.is_some() && matches!(self.method.as_str(), "GET" | "HEAD") {
            return Err(Failure::TypeError(
                "Failed to execute 'fetch' on 'Window': Request with GET/HEAD method cannot have body.".to_owned(),
            ));
        }
        if !self.url.username().is_empty() || self.url.password().is_some() {
            return Err(Failure::TypeError(format!(
                "Failed to execute 'fetch' on 'Window': Request cannot be constructed from a URL that includes credentials: {}",
                self.url
            )));
        }
        if self.mode == Mode::NoCors && !crate::method::is_safelisted(&self.method) {
            return Err(Failure::TypeError(format!(
                "Failed to execute 'fetch' on 'Window': '{}' is unsupported in no-cors mode.",
                self.method
            )));
        }
        for (n, _) in &headers {
            let lower = n.to_ascii_lowercase();
            match self.entries.iter_mut().find(|(e, _)| *e == lower) {
                Some((_, count)) => *count += 1,
                None => self.entries.push((lower, 1)),
            }
        }
        self.headers = combine_headers(headers, self.mode, &mut self.warnings);
        if !matches!(self.url.scheme(), "http" | "https") {
            return Err(Failure::FetchApi(FetchApiError::SchemeNotSupported(self.url.scheme().to_owned())));
        }
        let cross_origin = !self.page_origin.same_origin_as(&self.url);
        if self.mode == Mode::SameOrigin && cross_origin {
            return Err(Failure::FetchApi(FetchApiError::SameOriginMode));
        }
        if self.mode == Mode::NoCors && self.redirect != RedirectMode::Follow {
            return Err(Failure::FetchApi(FetchApiError::NoCorsRedirect));
        }
        self.check_mixed_content()
    }

    /// An https page may not fetch a URL that is not potentially trustworthy.
    fn check_mixed_content(&mut self) -> Result<(), Failure> {
        if self.page_origin.scheme() != "https" {
            return Ok(());
        }
        let target = Origin::of_url(&self.url);
        if target.is_potentially_trustworthy() {
            return Ok(());
        }
        if is_local_network_literal(target.host_kind()) {
            self.warnings.push(Warning::MixedContentLocalNetwork);
            return Ok(());
        }
        Err(Failure::MixedContent)
    }

    /// Chromium's `StartRequest`: set the sticky CORS flag, refuse what it must, and decide
    /// whether a preflight goes first.
    fn start(&mut self) {
        if self.mode != Mode::NoCors && !self.page_origin.same_origin_as(&self.url) {
            self.cors_flag = true;
        }
        if self.cors_flag && !matches!(self.url.scheme(), "http" | "https") {
            return self.block(Failure::Cors(CorsError::CorsDisabledScheme));
        }
        if self.cors_flag && self.mode == Mode::SameOrigin {
            return self.block(Failure::Cors(CorsError::DisallowedByMode));
        }
        // Firefox keeps its force-preflight flag across redirects: a request preflighted once is
        // preflighted again at the new URL even when a 303 made it a plain GET (Firefox ESR 153).
        let needs_preflight = !crate::method::is_safelisted(&self.method.to_ascii_uppercase())
            || !self.unsafe_header_names().is_empty()
            || (self.engine == Engine::Firefox && self.preflighted);
        self.state = if self.cors_flag && needs_preflight { State::Preflight } else { State::Actual };
    }

    /// The `Origin` this fetch sends now.
    fn request_origin(&self) -> Origin {
        if self.tainted {
            Origin::null()
        } else {
            self.page_origin.clone()
        }
    }

    /// Chromium's `CalculateResponseTainting`: `cors` with the CORS flag, `opaque` for `no-cors`
    /// to a cross-origin URL or once tainted, else `basic`.
    fn response_type(&self) -> ResponseType {
        if self.cors_flag {
            ResponseType::Cors
        } else if self.mode == Mode::NoCors && (self.tainted || !self.page_origin.same_origin_as(&self.url)) {
            ResponseType::Opaque
        } else {
            ResponseType::Basic
        }
    }

    fn include(&self) -> bool {
        self.credentials == Credentials::Include
    }

    fn preflight_request(&self) -> Request {
        let mut headers = vec![
            ("Accept".to_owned(), "*/*".to_owned()),
            ("Access-Control-Request-Method".to_owned(), self.method.clone()),
        ];
        let names = self.unsafe_header_names();
        if !names.is_empty() {
            headers.push(("Access-Control-Request-Headers".to_owned(), names.join(",")));
        }
        headers.push(("Origin".to_owned(), self.request_origin().to_string()));
        headers.push(("Sec-Fetch-Mode".to_owned(), "cors".to_owned()));
        Request {
            kind: SendKind::Preflight,
            method: "OPTIONS".to_owned(),
            url: self.url.clone(),
            headers,
            with_credentials: false,
            body: None,
        }
    }

    fn actual_request(&self) -> Request {
        let mut headers = Vec::new();
        if !has_header(&self.headers, "accept") {
            headers.push(("Accept".to_owned(), "*/*".to_owned()));
        }
        headers.extend(self.headers.iter().cloned());
        if self.cors_flag || !matches!(self.method.as_str(), "GET" | "HEAD") {
            let origin = if self.origin_nulled && !self.cors_flag { Origin::null() } else { self.request_origin() };
            headers.push(("Origin".to_owned(), origin.to_string()));
        }
        let mode = match self.mode {
            Mode::Cors => "cors",
            Mode::NoCors => "no-cors",
            Mode::SameOrigin => "same-origin",
        };
        headers.push(("Sec-Fetch-Mode".to_owned(), mode.to_owned()));
        let with_credentials = match self.credentials {
            Credentials::Include => true,
            // Chromium's `CalculateCredentialsFlag`: only while the response tainting is `basic`.
            Credentials::SameOrigin => self.response_type() == ResponseType::Basic,
            Credentials::Omit => false,
        };
        Request {
            kind: SendKind::Actual,
            method: self.method.clone(),
            url: self.url.clone(),
            headers,
            with_credentials,
            body: if matches!(self.method.as_str(), "GET" | "HEAD") { None } else { self.body.clone() },
        }
    }

    fn on_preflight(&mut self, response: &Response) {
        let names = self.unsafe_header_names();
        let origin = self.request_origin();
        match preflight::check_preflight(response, &origin, self.include(), &self.method, &names, &mut self.warnings) {
            Ok(grant) => {
                self.grant = Some(grant);
                self.preflighted = true;
                self.state = State::Actual;
            }
            Err(e) => self.block(Failure::Cors(e)),
        }
    }

    fn on_actual(&mut self, response: &Response) {
        if response.is_redirect() {
            return self.on_redirect(response);
        }
        if self.cors_flag {
            if let Err(e) = check_access(response, &self.request_origin(), self.include()) {
                return self.block(Failure::Cors(e));
            }
            self.note_allow_origin(response);
        }
        let response_type = self.response_type();
        if response.status >= 400 && response_type != ResponseType::Opaque {
            self.warnings.push(Warning::ErrorStatus(response.status));
        }
        let allowed = Allowed {
            response_type,
            status: if response_type == ResponseType::Opaque { 0 } else { response.status },
            url: self.url.clone(),
            readable_headers: readable_headers(response, response_type, self.include()),
            preflight: self.grant.clone(),
            warnings: std::mem::take(&mut self.warnings),
        };
        self.state = State::Done(Verdict::Allowed(allowed));
    }

    /// Remarks on an `Access-Control-Allow-Origin` that passed: a `*` that credentials would
    /// break, or an echoed origin that caches could serve to other origins.
    fn note_allow_origin(&mut self, response: &Response) {
        match response.normalized("access-control-allow-origin").as_deref() {
            Some(b"*") => self.warnings.push(Warning::WildcardOrigin),
            Some(v) if v == self.request_origin().as_str().as_bytes() && !response.varies_on("origin") => {
                self.warnings.push(Warning::AllowOriginWithoutVary)
            }
            _ => {}
        }
    }

    /// Chromium's redirect handling, in its order (`cors_url_loader.cc` then Blink).
    fn on_redirect(&mut self, response: &Response) {
        let location = response.normalized("location").unwrap_or_default();
        let location: String = location.iter().map(|&b| b as char).collect();
        let Ok(new_url) = self.url.join(&location) else {
            return self.block(Failure::Network(NetError::InvalidRedirect));
        };
        let followable = matches!(new_url.scheme(), "http" | "https");
        if !followable && self.redirect != RedirectMode::Manual {
            return self.block(Failure::Network(NetError::UnsafeRedirect));
        }
        if self.cors_flag {
            if let Err(e) = check_access(response, &self.request_origin(), self.include()) {
                return self.block(Failure::Cors(e));
            }
        }
        if self.redirect == RedirectMode::Manual {
            let allowed = Allowed {
                response_type: ResponseType::OpaqueRedirect,
                status: 0,
                url: self.url.clone(),
                readable_headers: Vec::new(),
                preflight: self.grant.clone(),
                warnings: std::mem::take(&mut self.warnings),
            };
            self.state = State::Done(Verdict::Allowed(allowed));
            return;
        }
        self.redirects += 1;
        if self.redirects > MAX_REDIRECTS {
            return self.block(Failure::Network(NetError::TooManyRedirects));
        }
        let has_userinfo = !new_url.username().is_empty() || new_url.password().is_some();
        // Chromium's IsCorsEnabledRequestMode: `cors` only (not `same-origin`, not `no-cors`).
        let cors_enabled = self.mode == Mode::Cors;
        if has_userinfo
            && ((cors_enabled && (self.tainted || !self.page_origin.same_origin_as(&new_url))) || self.cors_flag)
        {
            return self.block(Failure::Cors(CorsError::RedirectContainsCredentials));
        }
        let hop_cross_origin = Origin::of_url(&new_url) != Origin::of_url(&self.url);
        if hop_cross_origin && !self.page_origin.same_origin_as(&self.url) {
            self.tainted = true;
        }
        // `redirect_info.cc`: 303 turns anything but HEAD into GET, 301/302 turn POST into GET.
        // Only a method that actually changes loses its body headers (so a 303 after a GET keeps
        // its `Content-Type`).
        let engine = self.engine;
        let rewrite = (response.status == 303 && self.method != "HEAD")
            || (matches!(response.status, 301 | 302) && self.method == "POST");
        if rewrite && self.method != "GET" {
            "GET".clone_into(&mut self.method);
            self.body = None;
            // WebKit keeps them: its preflight after a 303 that made a JSON POST a GET still
            // lists `content-type` (WebKitGTK 2.50).
            self.headers.retain(|(n, _)| {
                engine == Engine::WebKit
                    || !["content-type", "content-length", "content-encoding", "content-language", "content-location"]
                        .iter()
                        .any(|h| n.eq_ignore_ascii_case(h))
            });
        }
        if hop_cross_origin {
            self.origin_nulled = true;
            self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
        }
        if self.redirect == RedirectMode::Error {
            return self.block(Failure::Network(NetError::RedirectModeError));
        }
        self.url = new_url;
        if let Err(f) = self.check_mixed_content() {
            return self.block(f);
        }
        self.grant = None;
        self.start();
    }

    fn block(&mut self, failure: Failure) {
        let blocked = Blocked {
            failure,
            url: self.url.clone(),
            initial_url: self.initial_url.clone(),
            page_origin: self.page_origin.clone(),
            page_url: self.page_url.clone(),
            sent_origin: self.request_origin(),
            method: self.method.clone(),
            unsafe_headers: self.unsafe_header_names(),
            include_credentials: self.include(),
            initiator: self.initiator,
            warnings: std::mem::take(&mut self.warnings),
            response: self.last_response.take(),
            redirect: self.redirect,
            headers: self.headers.clone(),
        };
        self.state = State::Done(Verdict::Blocked(blocked));
    }
}

fn has_header(headers: &[(String, String)], name: &str) -> bool {
    headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
}

/// True for an IP literal in Chromium's `loopback` or `local` address space (see
/// [`crate::address`]).
fn is_local_network_literal(host: Option<HostKind>) -> bool {
    let ip: std::net::IpAddr = match host {
        Some(HostKind::Ipv4(a)) => a.into(),
        Some(HostKind::Ipv6(a)) => a.into(),
        _ => return false,
    };
    crate::address::classify(ip).address_space() != crate::cors_error::AddressSpace::Public
}

/// Blink's header list: forbidden names dropped, values trimmed, repeated names combined with
/// `", "` (first spelling kept), and for `no-cors` only no-CORS-safelisted headers.
fn combine_headers(headers: Vec<(String, String)>, mode: Mode, warnings: &mut Vec<Warning>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (name, value) in headers {
        let value = value.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r')).to_owned();
        if crate::safelist::is_forbidden_request_header(&name, value.as_bytes()) {
            let w = Warning::DroppedForbiddenHeader(name.to_ascii_lowercase());
            if !warnings.contains(&w) {
                warnings.push(w);
            }
            continue;
        }
        match out.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(&name)) {
            Some((_, v)) => {
                v.push_str(", ");
                v.push_str(&value);
            }
            None => out.push((name, value)),
        }
    }
    if mode == Mode::NoCors {
        let no_cors = ["accept", "accept-language", "content-language", "content-type"];
        out.retain(|(n, v)| {
            no_cors.iter().any(|h| n.eq_ignore_ascii_case(h))
                && crate::safelist::is_cors_safelisted_request_header(n, v.as_bytes())
        });
    }
    out
}

/// The header names script can read, lower case and sorted.
fn readable_headers(response: &Response, response_type: ResponseType, include: bool) -> Vec<String> {
    let exposure = Exposure::of(response, response_type, include);
    let mut readable: Vec<String> = response.header_names().into_iter().filter(|n| exposure.lets_read(n)).collect();
    readable.sort();
    readable
}

/// Which header names a response lets script read, whether or not it carries them: it tells
/// "not exposed" apart from "exposed, but absent from this response".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exposure {
    response_type: ResponseType,
    /// `Access-Control-Expose-Headers`, lower case (empty when absent or malformed).
    exposed: Vec<String>,
    /// `*` in it counts (not with credentials, where it is a literal name).
    star: bool,
}

impl Exposure {
    /// The exposure of a response script gets as `response_type`; `include` is whether the
    /// request was made with `credentials: 'include'`.
    pub fn of(response: &Response, response_type: ResponseType, include: bool) -> Exposure {
        let exposed: Vec<String> = match response.normalized("access-control-expose-headers") {
            None => Vec::new(),
            Some(v) => {
                let text: String = v.iter().map(|&b| b as char).collect();
                // One bad byte empties the whole set (Blink's parser).
                crate::token::parse_list([text.as_str()])
                    .map(|l| l.into_iter().map(|n| n.to_ascii_lowercase()).collect())
                    .unwrap_or_default()
            }
        };
        let star = !include && exposed.iter().any(|n| n == "*");
        Exposure { response_type, exposed, star }
    }

    /// Whether script could read a header of this name if the response carried it.
    pub fn lets_read(&self, name: &str) -> bool {
        let n = name.to_ascii_lowercase();
        if crate::safelist::is_forbidden_response_header(&n) {
            return false;
        }
        match self.response_type {
            ResponseType::Opaque | ResponseType::OpaqueRedirect => false,
            ResponseType::Basic => true,
            ResponseType::Cors => {
                crate::safelist::SAFELISTED_RESPONSE_HEADERS.contains(&n.as_str())
                    || self.star
                    || self.exposed.contains(&n)
            }
        }
    }

    /// The response type this exposure is for.
    pub fn response_type(&self) -> ResponseType {
        self.response_type
    }
}

#[cfg(test)]
mod tests;
