//! The server side: a validated CORS policy.
//!
//! A [`Policy`] is built once and checked whole: insecure or self-defeating settings are
//! [`ConfigError`]s, not surprises in production. Building also precomputes every header value,
//! so [`Policy::decide`] allocates nothing for an allowed request.
//!
//! ```
//! use corsair_core::Policy;
//! use http::{HeaderMap, HeaderValue, Method};
//!
//! let policy = Policy::builder()
//!     .allow_origins(["https://app.example.com", "https://*.staging.example.com"])
//!     .allow_methods(["GET", "PUT"])
//!     .allow_headers(["content-type", "authorization"])
//!     .allow_credentials(true)
//!     .max_age(600)
//!     .build()
//!     .unwrap();
//!
//! let mut headers = HeaderMap::new();
//! headers.insert("origin", HeaderValue::from_static("https://app.example.com"));
//! headers.insert("access-control-request-method", HeaderValue::from_static("PUT"));
//! headers.insert("access-control-request-headers", HeaderValue::from_static("authorization,content-type"));
//! let decision = policy.decide((&Method::OPTIONS, &headers));
//! assert!(decision.is_allowed());
//! let acao = decision.headers().find(|(n, _)| n == "access-control-allow-origin").unwrap().1;
//! assert_eq!(acao, "https://app.example.com");
//! ```

pub mod decision;
mod interned;

use std::fmt;

use http::{HeaderValue, StatusCode};

use crate::config_error::{ConfigError, ConfigErrors, Field};
use crate::origin::Origin;
use crate::pattern::{OriginPattern, OriginSet, PatternError};
use crate::{method, safelist, token};
use decision::{AnswerBlocks, ListedNames};

/// Longest `max_age` accepted (Firefox's cap, 24 hours).
pub const MAX_MAX_AGE: u32 = 86_400;

/// Chromium's cap on how long it caches a preflight (2 hours); larger values are cut to it.
pub const CHROMIUM_MAX_AGE_CAP: u32 = 7_200;

/// What the server does with a CORS request it refuses.
///
/// Browsers block the response either way; the choice is about what the server does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefusalStyle {
    /// Answer or forward as usual, just without CORS headers (tower-http's behaviour).
    OmitHeaders,
    /// Answer refused preflights with this status; actual requests go on without CORS headers.
    RejectPreflight(StatusCode),
    /// Answer refused preflights and refused actual requests with this status; the inner service
    /// never sees a request from a refused origin (a cheap guard against cross-site writes).
    RejectAll(StatusCode),
}

impl RefusalStyle {
    /// The name used in policy files.
    pub fn name(self) -> &'static str {
        match self {
            RefusalStyle::OmitHeaders => "omit-headers",
            RefusalStyle::RejectPreflight(_) => "reject-preflight",
            RefusalStyle::RejectAll(_) => "reject-all",
        }
    }

    /// The status used to refuse, if this style refuses with one.
    pub fn status(self) -> Option<StatusCode> {
        match self {
            RefusalStyle::OmitHeaders => None,
            RefusalStyle::RejectPreflight(s) | RefusalStyle::RejectAll(s) => Some(s),
        }
    }
}

impl Default for RefusalStyle {
    fn default() -> Self {
        RefusalStyle::RejectPreflight(StatusCode::FORBIDDEN)
    }
}

/// Which methods a preflight may ask for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum MethodRule {
    /// `*`: any method.
    Any,
    /// These, compared case-sensitively (GET, HEAD and POST are always allowed).
    List(Vec<Box<str>>),
}

/// Which request headers a preflight may ask for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum HeaderRule {
    /// `*`: any name; `authorization` only if also listed (the standard's rule).
    Any {
        /// `authorization` listed next to `*`.
        authorization: bool,
    },
    /// These lower-cased names, sorted for binary search.
    List(Vec<Box<str>>),
}

/// A validated CORS policy with its header values ready to send.
///
/// Cheap to share (`Arc<Policy>`); immutable, so a running server swaps whole policies.
#[derive(Clone)]
pub struct Policy {
    origins: OriginSet<HeaderValue>,
    credentials: bool,
    methods: MethodRule,
    headers: HeaderRule,
    expose: Vec<Box<str>>,
    max_age: Option<u32>,
    allow_private_network: bool,
    forward_preflights: bool,
    refusal: RefusalStyle,
    preflight_status: StatusCode,
    dangerously_allow_null: bool,
    dangerously_allow_insecure_origins: bool,
    values: Values,
    /// Allowed preflights' answers, ready to clone.
    answers: AnswerBlocks,
    /// The allowed request-header names joined, for the browser-form merge (empty for `*`).
    listed_headers: ListedNames,
    /// Remarks about how the policy was put together (an override that removed `*`), from
    /// [`crate::PolicyFile`]; part of [`Policy::warnings`].
    notes: Vec<String>,
}

/// Header values computed at build time.
#[derive(Clone, Debug)]
pub(crate) struct Values {
    pub(crate) star: HeaderValue,
    pub(crate) true_: HeaderValue,
    pub(crate) allow_methods: Option<HeaderValue>,
    pub(crate) allow_headers: Option<HeaderValue>,
    pub(crate) expose_headers: Option<HeaderValue>,
    pub(crate) max_age: Option<HeaderValue>,
}

impl Policy {
    /// Starts a policy; nothing is allowed until you say so.
    pub fn builder() -> PolicyBuilder {
        PolicyBuilder::default()
    }

    /// The allowed origin patterns, normalised.
    pub fn origins(&self) -> &[OriginPattern] {
        self.origins.patterns()
    }

    /// True if credentialed requests (cookies, HTTP auth, client certificates) are allowed.
    pub fn allows_credentials(&self) -> bool {
        self.credentials
    }

    /// The refusal style.
    pub fn refusal(&self) -> RefusalStyle {
        self.refusal
    }

    /// The status of an allowed preflight answered by the server itself.
    pub fn preflight_status(&self) -> StatusCode {
        self.preflight_status
    }

    /// True if preflights go on to the application (which then owns `OPTIONS` routes) instead of
    /// being answered by the CORS layer.
    pub fn forwards_preflights(&self) -> bool {
        self.forward_preflights
    }

    /// The methods a preflight may ask for, as configured; `None` for `*` (any method). Read by
    /// renderers (`corsair-snippet`) that write the policy in another server's terms.
    pub fn allowed_methods(&self) -> Option<Vec<&str>> {
        match &self.methods {
            MethodRule::Any => None,
            MethodRule::List(l) => Some(l.iter().map(|m| &**m).collect()),
        }
    }

    /// The request headers a preflight may ask for, lower-case and sorted; `None` for `*` (any
    /// name, `authorization` only if [`Policy::star_headers_cover_authorization`]).
    pub fn allowed_headers(&self) -> Option<Vec<&str>> {
        match &self.headers {
            HeaderRule::Any { .. } => None,
            HeaderRule::List(l) => Some(l.iter().map(|h| &**h).collect()),
        }
    }

    /// True if `allow_headers` is `*` and also lists `authorization`.
    pub fn star_headers_cover_authorization(&self) -> bool {
        matches!(self.headers, HeaderRule::Any { authorization: true })
    }

    /// The response headers exposed to pages, lower-case.
    pub fn exposed_headers(&self) -> Vec<&str> {
        self.expose.iter().map(|h| &**h).collect()
    }

    /// How long browsers may cache an allowed preflight, if said.
    pub fn max_age(&self) -> Option<u32> {
        self.max_age
    }

    /// True if Private Network Access preflights are allowed.
    pub fn allows_private_network(&self) -> bool {
        self.allow_private_network
    }

    /// The policy with remarks its source adds (a policy file's overrides), shown by
    /// [`Policy::warnings`].
    pub(crate) fn with_notes(mut self, notes: Vec<String>) -> Policy {
        self.notes = notes;
        self
    }

    /// Non-fatal remarks about the policy, for `corsair policy check` and logs.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = self.notes.clone();
        if let Some(age) = self.max_age.filter(|a| *a > CHROMIUM_MAX_AGE_CAP) {
            out.push(format!(
                "max_age = {age}: Chromium caches preflights for at most {CHROMIUM_MAX_AGE_CAP} seconds, so it will use {CHROMIUM_MAX_AGE_CAP}"
            ));
        }
        if let HeaderRule::Any { authorization: false } = self.headers {
            if !self.credentials {
                out.push("allow_headers = [\"*\"] does not cover Authorization in the standard (Chromium and Firefox still allow it, with a deprecation warning); add \"authorization\" if pages send it".to_owned());
            }
        }
        if let MethodRule::List(list) = &self.methods {
            if list.iter().any(|m| m.eq_ignore_ascii_case("patch") && **m == *"PATCH") {
                out.push("PATCH is listed: fetch() sends the method exactly as the page writes it, so pages must write 'PATCH', not 'patch'".to_owned());
            }
        }
        out
    }

    /// The policy written back in the policy-file syntax, normalised (canonical origins,
    /// lower-case header names, sorted lists).
    pub fn to_toml(&self) -> String {
        let list = |items: Vec<String>| {
            let quoted: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
            format!("[{}]", quoted.join(", "))
        };
        let mut s = String::new();
        s.push_str(&format!("allow_origins = {}\n", list(self.origins().iter().map(|p| p.to_string()).collect())));
        let methods = match &self.methods {
            MethodRule::Any => vec!["*".to_owned()],
            MethodRule::List(l) => l.iter().map(|m| m.to_string()).collect(),
        };
        s.push_str(&format!("allow_methods = {}\n", list(methods)));
        let headers = match &self.headers {
            HeaderRule::Any { authorization } => {
                let mut v = vec!["*".to_owned()];
                if *authorization {
                    v.push("authorization".to_owned());
                }
                v
            }
            HeaderRule::List(l) => l.iter().map(|h| h.to_string()).collect(),
        };
        s.push_str(&format!("allow_headers = {}\n", list(headers)));
        s.push_str(&format!("expose_headers = {}\n", list(self.expose.iter().map(|h| h.to_string()).collect())));
        s.push_str(&format!("allow_credentials = {}\n", self.credentials));
        if let Some(age) = self.max_age {
            s.push_str(&format!("max_age = {age}\n"));
        }
        s.push_str(&format!("allow_private_network = {}\n", self.allow_private_network));
        s.push_str(&format!("forward_preflights = {}\n", self.forward_preflights));
        s.push_str(&format!("preflight_status = {}\n", self.preflight_status.as_u16()));
        s.push_str(&format!("refusal = {:?}\n", self.refusal.name()));
        if let Some(status) = self.refusal.status() {
            s.push_str(&format!("refusal_status = {}\n", status.as_u16()));
        }
        if self.dangerously_allow_null {
            s.push_str("dangerously_allow_null = true\n");
        }
        if self.dangerously_allow_insecure_origins {
            s.push_str("dangerously_allow_insecure_origins = true\n");
        }
        s
    }
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("origins", &self.origins.patterns())
            .field("credentials", &self.credentials)
            .field("methods", &self.methods)
            .field("headers", &self.headers)
            .field("expose", &self.expose)
            .field("max_age", &self.max_age)
            .field("refusal", &self.refusal)
            .finish_non_exhaustive()
    }
}

/// Collects a policy's settings; [`PolicyBuilder::build`] validates them all at once.
///
/// Methods take text (as a file would) so every mistake comes back as a typed error from
/// `build`, never a panic.
#[must_use = "a builder does nothing until `build` is called"]
#[derive(Clone, Debug)]
pub struct PolicyBuilder {
    pub(crate) origins: Vec<String>,
    pub(crate) methods: Vec<String>,
    pub(crate) headers: Vec<String>,
    pub(crate) expose: Vec<String>,
    pub(crate) credentials: bool,
    pub(crate) max_age: Option<i64>,
    pub(crate) allow_private_network: bool,
    pub(crate) forward_preflights: bool,
    pub(crate) refusal: String,
    pub(crate) refusal_status: i64,
    pub(crate) preflight_status: i64,
    pub(crate) dangerously_allow_null: bool,
    pub(crate) dangerously_allow_insecure_origins: bool,
}

impl Default for PolicyBuilder {
    fn default() -> Self {
        PolicyBuilder {
            origins: Vec::new(),
            methods: Vec::new(),
            headers: Vec::new(),
            expose: Vec::new(),
            credentials: false,
            max_age: None,
            allow_private_network: false,
            forward_preflights: false,
            refusal: RefusalStyle::default().name().to_owned(),
            refusal_status: 403,
            preflight_status: 204,
            dangerously_allow_null: false,
            dangerously_allow_insecure_origins: false,
        }
    }
}

/// What the builder's method and header lists accept: strings as written in a config file, and
/// the `http` crate's [`Method`](http::Method) and [`HeaderName`](http::HeaderName), as
/// tower-http's users write them. Everything is validated by [`PolicyBuilder::build`] alike.
pub trait IntoToken {
    /// The token as text.
    fn into_token(self) -> String;
}

impl IntoToken for String {
    fn into_token(self) -> String {
        self
    }
}

impl IntoToken for &String {
    fn into_token(self) -> String {
        self.clone()
    }
}

impl IntoToken for &str {
    fn into_token(self) -> String {
        self.to_owned()
    }
}

impl IntoToken for http::Method {
    fn into_token(self) -> String {
        self.as_str().to_owned()
    }
}

impl IntoToken for &http::Method {
    fn into_token(self) -> String {
        self.as_str().to_owned()
    }
}

impl IntoToken for http::HeaderName {
    fn into_token(self) -> String {
        self.as_str().to_owned()
    }
}

impl IntoToken for &http::HeaderName {
    fn into_token(self) -> String {
        self.as_str().to_owned()
    }
}

impl PolicyBuilder {
    /// Allows one origin or pattern (see [`OriginPattern`]).
    pub fn allow_origin(mut self, pattern: impl Into<String>) -> Self {
        self.origins.push(pattern.into());
        self
    }

    /// Allows several origins or patterns.
    pub fn allow_origins<I: IntoIterator<Item = S>, S: Into<String>>(mut self, patterns: I) -> Self {
        self.origins.extend(patterns.into_iter().map(Into::into));
        self
    }

    /// Allows these methods in preflights (`*` for any). GET, HEAD and POST need no listing.
    pub fn allow_methods<I: IntoIterator<Item = S>, S: IntoToken>(mut self, methods: I) -> Self {
        self.methods.extend(methods.into_iter().map(IntoToken::into_token));
        self
    }

    /// Allows these request headers in preflights (`*` for any but Authorization).
    pub fn allow_headers<I: IntoIterator<Item = S>, S: IntoToken>(mut self, names: I) -> Self {
        self.headers.extend(names.into_iter().map(IntoToken::into_token));
        self
    }

    /// Lets scripts read these response headers (`*` for all, without credentials only).
    pub fn expose_headers<I: IntoIterator<Item = S>, S: IntoToken>(mut self, names: I) -> Self {
        self.expose.extend(names.into_iter().map(IntoToken::into_token));
        self
    }

    /// Allows credentialed requests (`fetch(url, {credentials: 'include'})`).
    pub fn allow_credentials(mut self, yes: bool) -> Self {
        self.credentials = yes;
        self
    }

    /// How long browsers may cache a preflight answer, in seconds (0..=86400).
    pub fn max_age(mut self, seconds: u32) -> Self {
        self.max_age = Some(i64::from(seconds));
        self
    }

    /// Answers `Access-Control-Request-Private-Network: true` preflights (the retired Private
    /// Network Access scheme; Chromium now asks the user instead).
    pub fn allow_private_network(mut self, yes: bool) -> Self {
        self.allow_private_network = yes;
        self
    }

    /// Sends preflights on to the application instead of answering them in the CORS layer.
    pub fn forward_preflights(mut self, yes: bool) -> Self {
        self.forward_preflights = yes;
        self
    }

    /// What to do with refused requests.
    pub fn refusal(mut self, style: RefusalStyle) -> Self {
        self.refusal = style.name().to_owned();
        if let Some(s) = style.status() {
            self.refusal_status = i64::from(s.as_u16());
        }
        self
    }

    /// Status of allowed preflights answered by the layer (default 204).
    pub fn preflight_status(mut self, status: u16) -> Self {
        self.preflight_status = i64::from(status);
        self
    }

    /// Accepts `null` (and `file://`) in the origins. Any page can make its origin `null`
    /// (a sandboxed iframe does), so this lets every site in under that name.
    pub fn dangerously_allow_null(mut self, yes: bool) -> Self {
        self.dangerously_allow_null = yes;
        self
    }

    /// Accepts plain-http, non-loopback origins with credentials, which anyone on the network
    /// path can impersonate.
    pub fn dangerously_allow_insecure_origins(mut self, yes: bool) -> Self {
        self.dangerously_allow_insecure_origins = yes;
        self
    }

    /// Validates everything and precomputes the header values; every error at once.
    pub fn build(self) -> Result<Policy, ConfigErrors> {
        let mut errors = ConfigErrors::default();
        let origins = self.build_origins(&mut errors);
        let methods = self.build_methods(&mut errors);
        let headers = self.build_headers(&mut errors);
        let expose = self.build_expose(&mut errors);
        let max_age = match self.max_age {
            None => None,
            Some(v) if (0..=i64::from(MAX_MAX_AGE)).contains(&v) => Some(v as u32),
            Some(v) => {
                errors.push(ConfigError::MaxAgeOutOfRange { value: v });
                None
            }
        };
        let preflight_status =
            match u16::try_from(self.preflight_status).ok().and_then(|s| StatusCode::from_u16(s).ok()) {
                Some(s) if s.is_success() => s,
                _ => {
                    errors.push(ConfigError::InvalidPreflightStatus { value: self.preflight_status });
                    StatusCode::NO_CONTENT
                }
            };
        let refusal_status = match u16::try_from(self.refusal_status).ok().and_then(|s| StatusCode::from_u16(s).ok()) {
            Some(s) if s.is_client_error() || s.is_server_error() => s,
            _ => {
                errors.push(ConfigError::InvalidRefusalStatus { value: self.refusal_status });
                StatusCode::FORBIDDEN
            }
        };
        let refusal = match self.refusal.as_str() {
            "omit-headers" => RefusalStyle::OmitHeaders,
            "reject-preflight" => RefusalStyle::RejectPreflight(refusal_status),
            "reject-all" => RefusalStyle::RejectAll(refusal_status),
            other => {
                errors.push(ConfigError::UnknownRefusal { value: other.to_owned() });
                RefusalStyle::default()
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let values = Values {
            star: HeaderValue::from_static("*"),
            true_: HeaderValue::from_static("true"),
            allow_methods: match &methods {
                MethodRule::Any if !self.credentials => Some(HeaderValue::from_static("*")),
                MethodRule::Any => None,
                MethodRule::List(l) => join_value(l.iter().map(|m| &**m)),
            },
            allow_headers: match &headers {
                HeaderRule::Any { authorization: false } if !self.credentials => Some(HeaderValue::from_static("*")),
                HeaderRule::Any { authorization: true } if !self.credentials => {
                    Some(HeaderValue::from_static("*,authorization"))
                }
                HeaderRule::Any { .. } => None,
                HeaderRule::List(l) => join_value(l.iter().map(|m| &**m)),
            },
            expose_headers: join_value(expose.iter().map(|m| &**m)),
            max_age: max_age.and_then(|age| interned::value(&age.to_string())),
        };
        let listed_headers = match &headers {
            HeaderRule::List(l) => ListedNames::new(l),
            HeaderRule::Any { .. } => ListedNames::default(),
        };
        let mut policy = Policy {
            origins,
            credentials: self.credentials,
            methods,
            headers,
            expose,
            max_age,
            allow_private_network: self.allow_private_network,
            forward_preflights: self.forward_preflights,
            refusal,
            preflight_status,
            dangerously_allow_null: self.dangerously_allow_null,
            dangerously_allow_insecure_origins: self.dangerously_allow_insecure_origins,
            values,
            answers: AnswerBlocks::default(),
            listed_headers,
            notes: Vec::new(),
        };
        policy.answers = AnswerBlocks::new(&policy);
        Ok(policy)
    }

    fn build_origins(&self, errors: &mut ConfigErrors) -> OriginSet<HeaderValue> {
        let mut set = OriginSet::new();
        if self.origins.is_empty() {
            errors.push(ConfigError::NoOrigins);
        }
        let mut seen = std::collections::HashSet::new();
        for (index, text) in self.origins.iter().enumerate() {
            let pattern = match OriginPattern::parse(text) {
                Ok(p) => p,
                Err(PatternError::Origin(crate::OriginError::OpaqueScheme { .. }))
                    if text.get(..5).is_some_and(|scheme| scheme.eq_ignore_ascii_case("file:")) =>
                {
                    if !self.dangerously_allow_null {
                        errors.push(ConfigError::NullOrigin { index, value: text.clone() });
                        continue;
                    }
                    OriginPattern::Exact(Origin::null())
                }
                Err(error) => {
                    errors.push(ConfigError::InvalidOrigin { index, error });
                    continue;
                }
            };
            if pattern.is_null() && !self.dangerously_allow_null {
                errors.push(ConfigError::NullOrigin { index, value: text.clone() });
                continue;
            }
            if self.credentials {
                if pattern == OriginPattern::Any {
                    errors.push(ConfigError::WildcardWithCredentials { index });
                    continue;
                }
                if let Some(suffix) = pattern.public_suffix_parent() {
                    errors.push(ConfigError::PublicSuffixWithCredentials {
                        index,
                        value: text.clone(),
                        suffix: suffix.to_owned(),
                    });
                    continue;
                }
                let insecure = matches!(pattern.scheme(), Some("http" | "ws")) && !pattern.is_loopback();
                if insecure && !self.dangerously_allow_insecure_origins {
                    errors.push(ConfigError::InsecureOriginWithCredentials { index, value: text.clone() });
                    continue;
                }
            }
            if !seen.insert(pattern.clone()) {
                continue;
            }
            let value = match &pattern {
                // A canonical origin is visible ASCII, so this cannot fail.
                OriginPattern::Exact(o) => interned::value(o.as_str()).unwrap_or(HeaderValue::from_static("null")),
                _ => HeaderValue::from_static("*"),
            };
            set.insert(pattern, value);
        }
        set
    }

    fn build_methods(&self, errors: &mut ConfigErrors) -> MethodRule {
        let mut list: Vec<Box<str>> = Vec::new();
        let mut any = false;
        for (index, m) in self.methods.iter().enumerate() {
            if m == "*" {
                any = true;
            } else if !method::is_valid(m) {
                errors.push(ConfigError::InvalidMethod { index, value: m.clone() });
            } else if method::is_forbidden(m) {
                errors.push(ConfigError::ForbiddenMethod { index, value: m.clone() });
            } else if let Some(std) = method::NORMALIZED.iter().find(|s| s.eq_ignore_ascii_case(m) && **s != m.as_str())
            {
                errors.push(ConfigError::MethodNeverSent { index, value: m.clone(), sent_as: std });
            } else if !list.iter().any(|x| **x == **m) {
                list.push(m.as_str().into());
            }
        }
        if any {
            MethodRule::Any
        } else {
            MethodRule::List(list)
        }
    }

    fn build_headers(&self, errors: &mut ConfigErrors) -> HeaderRule {
        let mut list: Vec<Box<str>> = Vec::new();
        let mut any = false;
        for (index, h) in self.headers.iter().enumerate() {
            if h == "*" {
                any = true;
            } else if !token::is_token(h.as_bytes()) {
                errors.push(ConfigError::InvalidHeaderName { field: Field::AllowHeaders, index, value: h.clone() });
            } else if safelist::is_forbidden_request_header(h, b"") {
                errors.push(ConfigError::ForbiddenRequestHeader { index, value: h.clone() });
            } else {
                list.push(h.to_ascii_lowercase().into());
            }
        }
        list.sort_unstable();
        list.dedup();
        if any {
            HeaderRule::Any { authorization: list.iter().any(|h| &**h == "authorization") }
        } else {
            HeaderRule::List(list)
        }
    }

    fn build_expose(&self, errors: &mut ConfigErrors) -> Vec<Box<str>> {
        let mut list: Vec<Box<str>> = Vec::new();
        for (index, h) in self.expose.iter().enumerate() {
            if h == "*" && self.credentials {
                errors.push(ConfigError::WildcardExposeWithCredentials { index });
            } else if !token::is_token(h.as_bytes()) {
                errors.push(ConfigError::InvalidHeaderName { field: Field::ExposeHeaders, index, value: h.clone() });
            } else if safelist::is_forbidden_response_header(h) {
                errors.push(ConfigError::ForbiddenResponseHeader { index, value: h.clone() });
            } else {
                list.push(h.to_ascii_lowercase().into());
            }
        }
        list.sort_unstable();
        list.dedup();
        list
    }
}

/// Joins validated tokens into one header value; `None` for an empty list.
fn join_value<'a>(items: impl Iterator<Item = &'a str>) -> Option<HeaderValue> {
    let joined = items.collect::<Vec<_>>().join(",");
    // Tokens joined with commas are always a valid header value.
    (!joined.is_empty()).then(|| interned::value(&joined)).flatten()
}

#[cfg(test)]
mod tests;
