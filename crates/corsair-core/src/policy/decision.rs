//! The server-side decision for one request: what kind of request it is, whether the policy
//! allows it, which headers to send, which `Vary` names to merge, and what to do next.
//!
//! [`Policy::decide`] reads only the method and headers, in bounded time whatever their size,
//! and borrows everything it returns: deciding an allowed request allocates nothing.
//!
//! ```
//! use corsair_core::{Action, Policy, Refusal, RequestKind};
//! use http::{HeaderMap, HeaderValue, Method, StatusCode};
//!
//! let policy = Policy::builder().allow_origin("https://app.example.com").build().unwrap();
//! let mut headers = HeaderMap::new();
//! headers.insert("origin", HeaderValue::from_static("https://evil.example"));
//! headers.insert("access-control-request-method", HeaderValue::from_static("DELETE"));
//! let d = policy.decide((&Method::OPTIONS, &headers));
//! assert_eq!(d.kind(), RequestKind::Preflight);
//! assert!(matches!(d.refusal(), Some(Refusal::OriginNotAllowed(_))));
//! assert_eq!(d.action(), Action::Respond(StatusCode::FORBIDDEN));
//! assert_eq!(d.headers().count(), 0);
//! ```

use std::fmt;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};

use crate::origin::OriginRef;
use crate::pattern::OriginMatch;
use crate::policy::{HeaderRule, MethodRule, Policy, RefusalStyle};
use crate::token::{is_token, TokenList};
use crate::vary::Vary;
use lines::{Lines, RequestLines};

/// The request line and headers a decision needs.
#[derive(Clone, Copy, Debug)]
pub struct RequestParts<'a> {
    /// The request method.
    pub method: &'a Method,
    /// The request headers, with repeated lines kept.
    pub headers: &'a HeaderMap,
}

impl<'a> From<(&'a Method, &'a HeaderMap)> for RequestParts<'a> {
    fn from((method, headers): (&'a Method, &'a HeaderMap)) -> Self {
        RequestParts { method, headers }
    }
}

impl<'a> From<&'a http::request::Parts> for RequestParts<'a> {
    fn from(p: &'a http::request::Parts) -> Self {
        RequestParts { method: &p.method, headers: &p.headers }
    }
}

impl<'a, B> From<&'a http::Request<B>> for RequestParts<'a> {
    fn from(r: &'a http::Request<B>) -> Self {
        RequestParts { method: r.method(), headers: r.headers() }
    }
}

/// How the Fetch standard classifies a request on arrival.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RequestKind {
    /// No `Origin` header: same-origin, or not from a browser. CORS has nothing to say.
    NotCors,
    /// `OPTIONS` with `Origin` and `Access-Control-Request-Method`.
    Preflight,
    /// Any other request with `Origin` (including a plain `OPTIONS`).
    Actual,
}

impl RequestKind {
    /// Classifies a request as [`Policy::decide`] does, for shells that log or count requests
    /// they do not decide themselves.
    pub fn of<'a>(request: impl Into<RequestParts<'a>>) -> RequestKind {
        let RequestParts { method, headers } = request.into();
        if !headers.contains_key(header::ORIGIN) {
            RequestKind::NotCors
        } else if method == Method::OPTIONS && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD) {
            RequestKind::Preflight
        } else {
            RequestKind::Actual
        }
    }
}

/// Why a CORS request was refused. Byte fields borrow the request and may hold anything:
/// use [`Refusal`]'s `Display` (which escapes) before logging them.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal<'a> {
    /// More than one `Origin` line (browsers send one). Never for a policy of `*` alone without
    /// credentials, whose answer does not depend on the origin.
    MultipleOrigins,
    /// An `Origin` that is not a serialised origin. Never for a policy of `*` alone without
    /// credentials, whose answer does not depend on the origin.
    MalformedOrigin(&'a [u8]),
    /// An origin the policy does not list.
    OriginNotAllowed(&'a [u8]),
    /// A preflight's `Access-Control-Request-Method` is not a single token.
    MalformedMethod(&'a [u8]),
    /// A method the policy does not allow.
    MethodNotAllowed(&'a [u8]),
    /// `Access-Control-Request-Headers` is not a list of tokens, or is hostile (too many items).
    MalformedHeaders(&'a [u8]),
    /// A request header the policy does not allow (the first one found).
    HeaderNotAllowed(&'a [u8]),
    /// `Access-Control-Request-Private-Network: true` when the policy does not allow it.
    PrivateNetworkNotAllowed,
}

impl Refusal<'_> {
    /// What was refused, for logs, metrics and debug headers, which must not carry the
    /// client's bytes: [`RefusalKind::as_str`] gives the fixed label.
    pub fn kind(&self) -> RefusalKind {
        match self {
            Refusal::MultipleOrigins | Refusal::MalformedOrigin(_) | Refusal::OriginNotAllowed(_) => {
                RefusalKind::Origin
            }
            Refusal::MalformedMethod(_) | Refusal::MethodNotAllowed(_) => RefusalKind::Method,
            Refusal::MalformedHeaders(_) | Refusal::HeaderNotAllowed(_) => RefusalKind::Header,
            Refusal::PrivateNetworkNotAllowed => RefusalKind::PrivateNetwork,
        }
    }
}

/// What part of a CORS request a policy refused: the [`Refusal`] without the request's bytes,
/// so it can travel from the decision to a response mark, a log line and a metric label as a
/// plain value, and every shell names it with the same word ([`RefusalKind::as_str`]).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefusalKind {
    /// The `Origin`: not listed, malformed, or sent more than once.
    Origin,
    /// The preflight's `Access-Control-Request-Method`: not allowed, or not a token.
    Method,
    /// A name in `Access-Control-Request-Headers`: not allowed, or the list is malformed.
    Header,
    /// `Access-Control-Request-Private-Network: true` without the policy's permission.
    PrivateNetwork,
}

impl RefusalKind {
    /// Every kind, in a fixed order, for shells that keep one counter or label per kind.
    pub const ALL: [RefusalKind; 4] =
        [RefusalKind::Origin, RefusalKind::Method, RefusalKind::Header, RefusalKind::PrivateNetwork];

    /// The label logs, metrics, the `corsair-refusal` debug header and the docs use: `origin`,
    /// `method`, `header`, `private-network`. Fixed: dashboards and alerts match on it.
    pub const fn as_str(self) -> &'static str {
        match self {
            RefusalKind::Origin => "origin",
            RefusalKind::Method => "method",
            RefusalKind::Header => "header",
            RefusalKind::PrivateNetwork => "private-network",
        }
    }
}

impl fmt::Display for RefusalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Shows at most this many bytes of a refused value in messages.
const SHOWN: usize = 128;

fn shown(b: &[u8]) -> String {
    let cut = &b[..b.len().min(SHOWN)];
    let mut s = crate::origin::escape(&String::from_utf8_lossy(cut));
    if b.len() > SHOWN {
        s.push_str(&format!("... ({} bytes)", b.len()));
    }
    s
}

impl fmt::Display for Refusal<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::MultipleOrigins => f.write_str("more than one Origin header"),
            Refusal::MalformedOrigin(v) => write!(f, "malformed Origin `{}`", shown(v)),
            Refusal::OriginNotAllowed(v) => write!(f, "origin `{}` is not allowed", shown(v)),
            Refusal::MalformedMethod(v) => write!(f, "malformed Access-Control-Request-Method `{}`", shown(v)),
            Refusal::MethodNotAllowed(v) => write!(f, "method `{}` is not allowed", shown(v)),
            Refusal::MalformedHeaders(v) => write!(f, "malformed Access-Control-Request-Headers near `{}`", shown(v)),
            Refusal::HeaderNotAllowed(v) => write!(f, "request header `{}` is not allowed", shown(v)),
            Refusal::PrivateNetworkNotAllowed => f.write_str("private network access is not allowed"),
        }
    }
}

/// What the server does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Pass the request on and add [`Decision::headers`] to the response.
    Forward,
    /// Answer now with this status, [`Decision::headers`] and an empty body.
    Respond(StatusCode),
}

#[derive(Clone, Copy, Debug)]
enum AllowHeaders<'a> {
    None,
    Value(&'a HeaderValue),
    /// Credentialed `*`: the request's own lines, each validated as a token list.
    Echo(&'a HeaderMap),
}

/// The answer to one request. Borrows the policy and the request; allocates nothing.
#[must_use = "a decision does nothing until its headers are written or its refusal handled"]
#[derive(Clone, Debug)]
pub struct Decision<'a> {
    kind: RequestKind,
    refusal: Option<Refusal<'a>>,
    action: Action,
    allow_origin: Option<&'a HeaderValue>,
    allow_credentials: Option<&'a HeaderValue>,
    allow_methods: Option<&'a HeaderValue>,
    allow_headers: AllowHeaders<'a>,
    expose_headers: Option<&'a HeaderValue>,
    max_age: Option<&'a HeaderValue>,
    allow_private_network: Option<&'a HeaderValue>,
    vary: Vary,
    /// The policy's prebuilt block of exactly these lines (but the origin's value), if any.
    answer: Option<&'a HeaderMap>,
}

impl<'a> Decision<'a> {
    /// How the request was classified.
    pub fn kind(&self) -> RequestKind {
        self.kind
    }

    /// True unless the policy refused the request (non-CORS requests are always allowed).
    pub fn is_allowed(&self) -> bool {
        self.refusal.is_none()
    }

    /// Why the request was refused, if it was.
    pub fn refusal(&self) -> Option<&Refusal<'a>> {
        self.refusal.as_ref()
    }

    /// Forward the request, or answer it now.
    pub fn action(&self) -> Action {
        self.action
    }

    /// The names to merge into the response's `Vary` (see [`Vary::merge_into`]), whatever
    /// the outcome: a cached answer must not leak to another origin.
    pub fn vary(&self) -> Vary {
        self.vary
    }

    /// The CORS response headers to set (replacing any the application set). Header lines for
    /// a credentialed `*` of request headers echo the request's validated lines, so a name may
    /// repeat; values are always valid. The same lines, in the same order, as
    /// [`CorsHeaders::lines`] of [`Decision::to_headers`].
    pub fn headers(&self) -> impl Iterator<Item = (HeaderName, &'a HeaderValue)> + '_ {
        let (value, echo) = match self.allow_headers {
            AllowHeaders::None => (None, None),
            AllowHeaders::Value(v) => (Some(v), None),
            AllowHeaders::Echo(h) => (None, Some(h.get_all(header::ACCESS_CONTROL_REQUEST_HEADERS).iter())),
        };
        let values = [
            self.allow_origin,
            self.allow_credentials,
            self.allow_methods,
            self.expose_headers,
            self.max_age,
            self.allow_private_network,
        ];
        response_lines(values, value.into_iter().chain(echo.into_iter().flatten()))
    }

    /// Sets [`Decision::headers`] on a response's headers (replacing CORS headers already
    /// there) and merges [`Decision::vary`]: what [`CorsHeaders::apply_to`] does.
    pub fn apply_to(&self, response: &mut HeaderMap) {
        write_response_lines(None, self.headers(), self.vary, response);
    }
}

/// The response lines of a decision, owned or borrowed: the single-line headers' values in the
/// order of [`CORS_RESPONSE_HEADERS`] (its last name, `Access-Control-Allow-Headers`, excepted),
/// then every `Access-Control-Allow-Headers` value. The one place lines are named and ordered.
#[inline]
fn response_lines<'v>(
    single: [Option<&'v HeaderValue>; 6],
    allow_headers: impl Iterator<Item = &'v HeaderValue>,
) -> impl Iterator<Item = (HeaderName, &'v HeaderValue)> {
    // The values and an index (a small iterator, cheap to move), each name a constant chosen
    // where it is written.
    let single_name = |i: usize| match i {
        0 => ALLOW_ORIGIN,
        1 => ALLOW_CREDENTIALS,
        2 => ALLOW_METHODS,
        3 => EXPOSE_HEADERS,
        4 => MAX_AGE,
        _ => ALLOW_PRIVATE_NETWORK,
    };
    (0..single.len())
        .filter_map(move |i| single[i].map(|v| (single_name(i), v)))
        .chain(allow_headers.map(|v| (ALLOW_HEADERS, v)))
}

/// Writes `lines` on a response's headers, replacing the CORS lines there, and merges `vary`:
/// the one writer of a decision's headers into a map. An owned copy moves its
/// `Access-Control-Allow-Origin` in as `origin` (then not in `lines`): an echoed origin is the
/// request's counted bytes, which a clone would count up here and down when the copy drops.
#[inline]
fn write_response_lines<'v>(
    origin: Option<HeaderValue>,
    lines: impl Iterator<Item = (HeaderName, &'v HeaderValue)>,
    vary: Vary,
    response: &mut HeaderMap,
) {
    remove_cors_headers(response);
    if let Some(origin) = origin {
        response.append(ALLOW_ORIGIN, origin);
    }
    for (name, value) in lines {
        response.append(name, value.clone());
    }
    vary.merge_into(response);
}

/// Every response header CORS owns; an application's own values are replaced, never doubled.
/// In the order a decision's lines are written ([`Decision::headers`], [`CorsHeaders::lines`]):
/// the names are spelled here alone.
pub const CORS_RESPONSE_HEADERS: [&str; 7] = [
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-allow-methods",
    "access-control-expose-headers",
    "access-control-max-age",
    "access-control-allow-private-network",
    "access-control-allow-headers",
];

/// [`CORS_RESPONSE_HEADERS`] as names (the `http` crate's own constants where it has them), so
/// writing and removing them needs no parsing.
const CORS_RESPONSE_HEADER_NAMES: [HeaderName; 7] =
    [ALLOW_ORIGIN, ALLOW_CREDENTIALS, ALLOW_METHODS, EXPOSE_HEADERS, MAX_AGE, ALLOW_PRIVATE_NETWORK, ALLOW_HEADERS];
const ALLOW_ORIGIN: HeaderName = HeaderName::from_static(CORS_RESPONSE_HEADERS[0]);
const ALLOW_CREDENTIALS: HeaderName = HeaderName::from_static(CORS_RESPONSE_HEADERS[1]);
const ALLOW_METHODS: HeaderName = HeaderName::from_static(CORS_RESPONSE_HEADERS[2]);
const EXPOSE_HEADERS: HeaderName = HeaderName::from_static(CORS_RESPONSE_HEADERS[3]);
const MAX_AGE: HeaderName = HeaderName::from_static(CORS_RESPONSE_HEADERS[4]);
const ALLOW_PRIVATE_NETWORK: HeaderName = HeaderName::from_static(CORS_RESPONSE_HEADERS[5]);
const ALLOW_HEADERS: HeaderName = HeaderName::from_static(CORS_RESPONSE_HEADERS[6]);

/// Every request header [`Policy::decide`] reads: a shell that builds the decision's header map
/// itself (rather than passing the request's whole map) needs these lines, all of them, and no
/// other.
pub const CORS_REQUEST_HEADERS: [HeaderName; 4] = [
    header::ORIGIN,
    header::ACCESS_CONTROL_REQUEST_METHOD,
    header::ACCESS_CONTROL_REQUEST_HEADERS,
    lines::REQUEST_PRIVATE_NETWORK,
];

/// True for a name in [`CORS_RESPONSE_HEADERS`].
pub fn is_cors_response_header(name: &HeaderName) -> bool {
    name.as_str().starts_with("access-control-") && CORS_RESPONSE_HEADER_NAMES.contains(name)
}

/// True for a name in [`CORS_RESPONSE_HEADERS`] in any case, for shells that read header lines
/// as bytes.
pub fn is_cors_response_header_bytes(name: &[u8]) -> bool {
    name.len() > 15
        && name[..15].eq_ignore_ascii_case(b"access-control-")
        && CORS_RESPONSE_HEADERS.iter().any(|h| h.as_bytes().eq_ignore_ascii_case(name))
}

/// Removes every [`CORS_RESPONSE_HEADERS`] line from `headers`. One pass over the names when
/// there is none, which is the usual case.
pub fn remove_cors_headers(headers: &mut HeaderMap) {
    if !headers.keys().any(is_cors_response_header) {
        return;
    }
    for name in &CORS_RESPONSE_HEADER_NAMES {
        headers.remove(name);
    }
}

impl Policy {
    /// Decides one request. Bounded work on hostile input: only the first two `Origin` lines
    /// are looked at, and request-header lists stop at the first bad or disallowed item.
    pub fn decide<'a>(&'a self, request: impl Into<RequestParts<'a>>) -> Decision<'a> {
        let RequestParts { method, headers } = request.into();
        let lines = RequestLines::read(headers, method == Method::OPTIONS);
        let Some(origin_value) = lines.origin.first else {
            return self.blank(RequestKind::NotCors);
        };
        let kind = if lines.method.first.is_some() { RequestKind::Preflight } else { RequestKind::Actual };
        let mut d = self.blank(kind);
        if kind == RequestKind::Preflight {
            d.vary = self.preflight_vary();
        }
        // `*` alone without credentials answers every origin alike, and says so by not varying
        // on Origin; refusing an odd Origin there would let one request get an answer without
        // CORS headers cached for everybody.
        let acao = if self.same_answer_for_every_origin() {
            Ok(&self.values.star)
        } else if lines.origin.more {
            Err(Refusal::MultipleOrigins)
        } else {
            self.allow_origin(origin_value)
        };
        let refusal = acao.and_then(|acao| {
            if kind == RequestKind::Preflight {
                self.check_preflight(headers, &lines, &mut d)?;
            }
            Ok(acao)
        });
        match refusal {
            Ok(acao) => {
                self.allow(&mut d, acao);
                d.answer = self.answers.block_for(&d);
            }
            Err(r) => {
                d.refusal = Some(r);
                d.allow_methods = None;
                d.allow_headers = AllowHeaders::None;
                d.allow_private_network = None;
                // A refusal has no lines but `Vary`, which depends on the kind alone.
                d.answer = Some(self.answers.refused(kind));
                d.action = match (kind, self.refusal) {
                    (RequestKind::Preflight, RefusalStyle::RejectPreflight(s) | RefusalStyle::RejectAll(s)) => {
                        Action::Respond(s)
                    }
                    (RequestKind::Actual, RefusalStyle::RejectAll(s)) => Action::Respond(s),
                    (RequestKind::Preflight, RefusalStyle::OmitHeaders) if !self.forward_preflights => {
                        Action::Respond(self.preflight_status)
                    }
                    _ => Action::Forward,
                };
            }
        }
        d
    }

    /// Completes `d`, which passed every check, with the lines every allowed request of its kind
    /// gets. The policy's prebuilt answer blocks (`answer.rs`) are made by this too, so they hold
    /// the same lines by construction.
    fn allow<'a>(&'a self, d: &mut Decision<'a>, acao: &'a HeaderValue) {
        d.allow_origin = Some(acao);
        d.allow_credentials = self.credentials.then_some(&self.values.true_);
        match d.kind {
            RequestKind::Preflight => {
                d.max_age = self.values.max_age.as_ref();
                if !self.forward_preflights {
                    d.action = Action::Respond(self.preflight_status);
                }
            }
            _ => d.expose_headers = self.values.expose_headers.as_ref(),
        }
    }

    /// The `Vary` of every answer to a preflight, allowed or not.
    fn preflight_vary(&self) -> Vary {
        let vary = self.origin_vary().union(Vary::REQUEST_METHOD).union(Vary::REQUEST_HEADERS);
        if self.allow_private_network {
            vary.union(Vary::REQUEST_PRIVATE_NETWORK)
        } else {
            vary
        }
    }

    /// A decision that forwards and sets nothing but the Origin `Vary`.
    fn blank(&self, kind: RequestKind) -> Decision<'_> {
        Decision {
            kind,
            refusal: None,
            action: Action::Forward,
            allow_origin: None,
            allow_credentials: None,
            allow_methods: None,
            allow_headers: AllowHeaders::None,
            expose_headers: None,
            max_age: None,
            allow_private_network: None,
            vary: self.origin_vary(),
            answer: None,
        }
    }

    /// True for `*` alone without credentials: the Origin lines do not change the answer.
    fn same_answer_for_every_origin(&self) -> bool {
        self.origins.contains_any() && self.origins.patterns().len() == 1 && !self.credentials
    }

    /// `Vary: Origin` unless the answer is the same for every origin (`*` without credentials).
    fn origin_vary(&self) -> Vary {
        if self.same_answer_for_every_origin() {
            Vary::NONE
        } else {
            Vary::ORIGIN
        }
    }

    /// The `Access-Control-Allow-Origin` value for an allowed origin.
    fn allow_origin<'a>(&'a self, value: &'a HeaderValue) -> Result<&'a HeaderValue, Refusal<'a>> {
        let bytes = value.as_bytes();
        // Listed origins are stored as browsers serialise them, so bytes equal to one are a
        // valid origin: the usual allowed request needs one look-up and no parsing.
        if let Some(v) = self.origins.get_exact(bytes) {
            return Ok(v);
        }
        // The usual wildcard shapes are proven from the bytes too (then it is the request's own
        // value, a canonical origin, as below); a miss there proves nothing.
        if self.origins.matches_pattern_bytes(bytes) {
            return Ok(value);
        }
        let Some(origin) = OriginRef::parse(bytes) else {
            return Err(Refusal::MalformedOrigin(bytes));
        };
        match self.origins.matches_wildcards(origin) {
            Some(OriginMatch::Exact(v)) => Ok(v),
            // The request's own value, now known to be a canonical origin.
            Some(OriginMatch::Pattern) => Ok(value),
            Some(OriginMatch::Any) if self.credentials => Ok(value),
            Some(OriginMatch::Any) => Ok(&self.values.star),
            None => Err(Refusal::OriginNotAllowed(bytes)),
        }
    }

    fn check_preflight<'a>(
        &'a self,
        headers: &'a HeaderMap,
        lines: &RequestLines<'a>,
        d: &mut Decision<'a>,
    ) -> Result<(), Refusal<'a>> {
        // Method: exactly one line, one token, compared case-sensitively.
        let first = lines.method.first;
        let acrm = first.map(HeaderValue::as_bytes).unwrap_or_default();
        if lines.method.more || !is_token(acrm) {
            return Err(Refusal::MalformedMethod(acrm));
        }
        let safelisted = crate::method::is_safelisted_bytes(acrm);
        d.allow_methods = match &self.methods {
            // The request's own method: `answer.rs` builds no block for such a policy.
            MethodRule::Any if self.credentials => first,
            MethodRule::Any => self.values.allow_methods.as_ref(),
            MethodRule::List(list) if safelisted || list.iter().any(|m| m.as_bytes() == acrm) => {
                self.values.allow_methods.as_ref()
            }
            MethodRule::List(_) => return Err(Refusal::MethodNotAllowed(acrm)),
        };
        // Headers: every name of every line, case-insensitively.
        let mut requested_any = false;
        let limit = match &self.headers {
            HeaderRule::List(list) => list.len() + crate::token::MAX_EMPTY_ITEMS,
            HeaderRule::Any { .. } => MAX_REQUESTED_HEADERS,
        };
        let mut count = 0usize;
        // One line is the usual case; several are read in order with a look-up.
        let (one, several) = match lines.headers {
            Lines { more: false, first } => (first, None),
            Lines { more: true, .. } => (None, Some(headers.get_all(header::ACCESS_CONTROL_REQUEST_HEADERS))),
        };
        // What browsers send (lower case, sorted, distinct, `,` without spaces) is merged with
        // the joined list (`listed.rs`); anything else, and every refusal, takes the general
        // loop.
        let merged = match (&self.headers, one) {
            (HeaderRule::List(_), Some(line)) => self.listed_headers.all_listed(line.as_bytes()),
            _ => false,
        };
        requested_any |= merged;
        let (general, several) = if merged { (None, None) } else { (one, several) };
        for line in general.into_iter().chain(several.into_iter().flatten()) {
            for item in TokenList::new(line.as_bytes()) {
                let name = item
                    .map_err(|bad| Refusal::MalformedHeaders(if bad.0.is_empty() { line.as_bytes() } else { bad.0 }))?;
                count += 1;
                if count > limit {
                    return Err(Refusal::MalformedHeaders(name));
                }
                requested_any = true;
                let allowed = match &self.headers {
                    HeaderRule::List(list) => contains_ignore_case(list, name),
                    HeaderRule::Any { authorization } => *authorization || !name.eq_ignore_ascii_case(b"authorization"),
                };
                if !allowed {
                    return Err(Refusal::HeaderNotAllowed(name));
                }
            }
        }
        if requested_any {
            d.allow_headers = match (&self.headers, self.credentials) {
                (HeaderRule::Any { .. }, true) => AllowHeaders::Echo(headers),
                _ => self.values.allow_headers.as_ref().map_or(AllowHeaders::None, AllowHeaders::Value),
            };
        }
        // Private Network Access (retired by Chromium, still sent by older builds).
        if let Some(pna) = lines.private_network {
            if pna.as_bytes() == b"true" {
                if !self.allow_private_network {
                    return Err(Refusal::PrivateNetworkNotAllowed);
                }
                d.allow_private_network = Some(&self.values.true_);
            }
        }
        Ok(())
    }
}

/// Most header names a credentialed `*` policy accepts in one preflight; browsers send one per
/// distinct header a page sets, so more is an attack on the echo.
pub const MAX_REQUESTED_HEADERS: usize = 256;

/// Lists up to this long are scanned (a length check rejects most names at once); longer ones
/// are binary-searched.
const SCANNED_NAMES: usize = 16;

/// Whether sorted lower-case names hold `name` in any case, without allocating.
fn contains_ignore_case(sorted: &[Box<str>], name: &[u8]) -> bool {
    if sorted.len() <= SCANNED_NAMES {
        return sorted.iter().any(|listed| {
            let listed = listed.as_bytes();
            // Listed names are lower case already: only the request's side needs folding.
            listed.len() == name.len() && listed.iter().zip(name).all(|(&a, &b)| a == b.to_ascii_lowercase())
        });
    }
    sorted
        .binary_search_by(|listed| {
            let listed = listed.as_bytes();
            for (&a, &b) in listed.iter().zip(name) {
                let b = b.to_ascii_lowercase();
                if a != b {
                    return a.cmp(&b);
                }
            }
            listed.len().cmp(&name.len())
        })
        .is_ok()
}

mod answer;
mod lines;
mod listed;
mod owned;
pub(crate) use answer::AnswerBlocks;
pub(crate) use listed::ListedNames;
pub use owned::CorsHeaders;

#[cfg(test)]
mod tests;
