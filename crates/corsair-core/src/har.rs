//! HAR 1.2 files as browsers export them, read into the little a CORS verdict needs.
//!
//! A HAR is what a user can hand over after the fact: DevTools' "Save all as HAR" in Chromium,
//! Firefox's "Save All As HAR", Safari's "Export HAR". [`Har::parse`] reads one (bytes the caller
//! loaded; no I/O here) into [`Entry`] values, and [`replay`] feeds each cross-origin request's
//! recorded exchanges (preflight, redirect hops, final answer) to the [browser
//! model](crate::browser), which says what the browser said and why.
//!
//! The three exports differ in what they keep (see docs/explain.md):
//!
//! - Chromium (`creator.name` `WebInspector`) adds private fields: `_resourceType` (`fetch`,
//!   `xhr`, `preflight`, ...), `_initiator`, `_fromCache`, and `_error` (`net::ERR_FAILED` on a
//!   request the browser blocked) in the response. Preflights are their own entries, after the
//!   request; a request whose preflight failed has status 0 and no `Origin`.
//! - Firefox (`Firefox`) has none of those: a preflight is an `OPTIONS` entry carrying
//!   `Access-Control-Request-Method`, a blocked response looks like a successful one, and a
//!   failed preflight leaves status 0 on the request, which keeps its `Origin`.
//! - Safari (`WebKit Web Inspector`, WebKit's `HARBuilder.js`) is HAR 1.2 with `_fetchType`,
//!   `_priority`, one page whose title is the main frame's URL, and the failure text as
//!   `_error` in the response; no resource type, no initiator.
//!
//! ```
//! use corsair_core::har::{Har, Engine};
//!
//! let har = Har::parse(r#"{"log": {"creator": {"name": "Firefox", "version": "153.0"},
//!   "entries": [{"request": {"method": "GET", "url": "https://api.example/x",
//!                            "headers": [{"name": "Origin", "value": "https://app.example"}]},
//!                "response": {"status": 200, "headers": []}}]}}"#).unwrap();
//! assert_eq!(har.engine, Engine::Firefox);
//! assert_eq!(har.entries[0].request_header("origin"), Some("https://app.example"));
//! ```

pub mod replay;

use std::fmt;

use serde::{Deserialize, Deserializer};

pub use replay::{may_be_cors_block, replay, CredentialsFrom, Judged, Missing, OriginFrom, Outcome, Replay};

/// The largest HAR read: far above a long DevTools session, small enough to hold in memory.
pub const MAX_BYTES: usize = 512 << 20;
/// The most entries read.
pub const MAX_ENTRIES: usize = 200_000;
/// The most header lines per request or response.
pub const MAX_HEADERS: usize = 2_000;

/// Why a file is not a HAR corsair can read. Each says what was found and where.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HarError {
    /// More than [`MAX_BYTES`].
    TooLarge {
        /// The size given.
        bytes: usize,
    },
    /// Not JSON, JSON nested too deep, or a field of the wrong type.
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde_json's words.
        message: String,
    },
    /// JSON, but no `log.entries` array.
    NotHar,
    /// More entries or header lines than corsair reads.
    TooMany {
        /// What there were too many of.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
}

impl fmt::Display for HarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HarError::TooLarge { bytes } => {
                write!(f, "the HAR is {bytes} bytes, above corsair's limit of {MAX_BYTES}; export only the page's requests")
            }
            HarError::Json { line, column, message } => {
                write!(f, "not a readable HAR at line {line}, column {column}: {message}")
            }
            HarError::NotHar => f.write_str(
                "JSON, but not a HAR: no `log.entries` array (export it from the browser's network panel: Save all as HAR)",
            ),
            HarError::TooMany { what, limit } => write!(f, "more than {limit} {what}: corsair reads no more"),
        }
    }
}

impl std::error::Error for HarError {}

/// Which browser wrote the file, from `log.creator.name`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Engine {
    /// Chromium's DevTools (Chrome, Edge, ...): `WebInspector`.
    Chromium,
    /// Firefox's network monitor: `Firefox`.
    Firefox,
    /// Safari's Web Inspector: `WebKit Web Inspector`.
    WebKit,
    /// Anything else (a proxy, a library): read as plain HAR 1.2.
    Other,
}

impl Engine {
    /// Reads `log.creator.name`.
    pub fn from_creator(name: &str) -> Engine {
        let n = name.to_ascii_lowercase();
        if n.contains("firefox") {
            Engine::Firefox
        } else if n.contains("webkit") || n.contains("safari") {
            Engine::WebKit
        } else if n == "webinspector" || n.contains("chrom") || n.contains("edge") {
            Engine::Chromium
        } else {
            Engine::Other
        }
    }

    /// A stable lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Chromium => "chromium",
            Engine::Firefox => "firefox",
            Engine::WebKit => "webkit",
            Engine::Other => "other",
        }
    }
}

/// A parsed HAR: who wrote it, its pages, its entries in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Har {
    /// `log.creator.name`.
    pub creator: String,
    /// `log.creator.version`.
    pub creator_version: String,
    /// The browser that wrote it.
    pub engine: Engine,
    /// `log.pages`: `(id, title)`; browsers put the page's URL in the title.
    pub pages: Vec<(String, String)>,
    /// `log.entries`, in order.
    pub entries: Vec<Entry>,
}

/// One recorded request and what came back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Entry {
    /// `pageref`.
    pub pageref: Option<String>,
    /// `request.method`.
    pub method: String,
    /// `request.url`.
    pub url: String,
    /// `request.headers`, in order.
    pub request_headers: Vec<(String, String)>,
    /// `response.status`; 0 when the browser recorded no response (blocked, failed, cancelled).
    pub status: u16,
    /// `response.statusText`.
    pub status_text: String,
    /// `response.httpVersion`.
    pub http_version: String,
    /// `response.headers`, in order.
    pub response_headers: Vec<(String, String)>,
    /// `response.redirectURL` (empty when none).
    pub redirect_url: String,
    /// Chromium's `_error` (in the response or the entry): `net::ERR_FAILED` for a CORS block.
    pub error: Option<String>,
    /// Chromium's `_resourceType`, lower case (`fetch`, `xhr`, `preflight`, `document`, ...).
    pub resource_type: Option<String>,
    /// Chromium's `_initiator.type` (`script`, `parser`, `preflight`, `other`).
    pub initiator_type: Option<String>,
    /// The initiator's URL: `_initiator.url`, else the top script frame's.
    pub initiator_url: Option<String>,
    /// Chromium's `_fromCache` (`memory`, `disk`).
    pub from_cache: Option<String>,
}

impl Entry {
    /// The first request header of that name (case-insensitive).
    pub fn request_header(&self, name: &str) -> Option<&str> {
        self.request_headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The first response header of that name (case-insensitive).
    pub fn response_header(&self, name: &str) -> Option<&str> {
        self.response_headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Whether this is a CORS preflight: Chromium's `_resourceType: preflight`, or an `OPTIONS`
    /// carrying `Access-Control-Request-Method` (all that Firefox and Safari record).
    pub fn is_preflight(&self) -> bool {
        self.resource_type.as_deref() == Some("preflight")
            || self.initiator_type.as_deref() == Some("preflight")
            || (self.method.eq_ignore_ascii_case("OPTIONS")
                && self.request_header("access-control-request-method").is_some())
    }
}

impl Har {
    /// Reads a HAR. Bounded: the size, the entries and header lines are capped, nesting is
    /// capped by serde_json (128 levels), and a field of the wrong type is an error naming its
    /// line and column, never a panic.
    pub fn parse(text: &str) -> Result<Har, HarError> {
        if text.len() > MAX_BYTES {
            return Err(HarError::TooLarge { bytes: text.len() });
        }
        let file: RawFile = serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| HarError::Json {
            line: e.line(),
            column: e.column(),
            message: strip_position(&e),
        })?;
        let log = file.log.ok_or(HarError::NotHar)?;
        let entries = log.entries.ok_or(HarError::NotHar)?;
        if entries.len() > MAX_ENTRIES {
            return Err(HarError::TooMany { what: "entries", limit: MAX_ENTRIES });
        }
        let mut out = Vec::with_capacity(entries.len());
        for e in entries {
            if e.request.headers.len() > MAX_HEADERS || e.response.headers.len() > MAX_HEADERS {
                return Err(HarError::TooMany { what: "header lines in one entry", limit: MAX_HEADERS });
            }
            let initiator_url = e.initiator.as_ref().and_then(|i| {
                i.url.clone().filter(|u| !u.is_empty()).or_else(|| {
                    i.stack.as_ref().and_then(|s| s.call_frames.iter().map(|f| f.url.clone()).find(|u| !u.is_empty()))
                })
            });
            out.push(Entry {
                pageref: e.pageref.filter(|p| !p.is_empty()),
                method: e.request.method,
                url: e.request.url,
                request_headers: e.request.headers.into_iter().map(|h| (h.name, h.value)).collect(),
                status: e.response.status,
                status_text: e.response.status_text,
                http_version: e.response.http_version,
                response_headers: e.response.headers.into_iter().map(|h| (h.name, h.value)).collect(),
                redirect_url: e.response.redirect_url,
                error: e.response.error.or(e.error).filter(|x| !x.is_empty()),
                resource_type: e.resource_type.map(|t| t.to_ascii_lowercase()).filter(|t| !t.is_empty()),
                initiator_type: e.initiator.and_then(|i| i.kind),
                initiator_url,
                from_cache: e.from_cache.filter(|c| !c.is_empty()),
            });
        }
        Ok(Har {
            engine: Engine::from_creator(&log.creator.name),
            creator: log.creator.name,
            creator_version: log.creator.version,
            pages: log.pages.into_iter().map(|p| (p.id, p.title)).collect(),
            entries: out,
        })
    }

    /// The title of the page an entry belongs to.
    pub fn page_title(&self, entry: &Entry) -> Option<&str> {
        let id = entry.pageref.as_deref()?;
        self.pages.iter().find(|(i, _)| i == id).map(|(_, t)| t.as_str())
    }
}

/// serde_json's message without its trailing " at line L column C" (said separately).
fn strip_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// `null` reads as the default: exports write `null` for absent strings and lists.
fn nullable<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Deserialize)]
struct RawFile {
    log: Option<RawLog>,
}

#[derive(Deserialize)]
struct RawLog {
    #[serde(default, deserialize_with = "nullable")]
    creator: RawCreator,
    #[serde(default, deserialize_with = "nullable")]
    pages: Vec<RawPage>,
    #[serde(default)]
    entries: Option<Vec<RawEntry>>,
}

#[derive(Deserialize, Default)]
struct RawCreator {
    #[serde(default, deserialize_with = "nullable")]
    name: String,
    #[serde(default, deserialize_with = "nullable")]
    version: String,
}

#[derive(Deserialize)]
struct RawPage {
    #[serde(default, deserialize_with = "nullable")]
    id: String,
    #[serde(default, deserialize_with = "nullable")]
    title: String,
}

#[derive(Deserialize)]
struct RawEntry {
    #[serde(default)]
    pageref: Option<String>,
    request: RawRequest,
    #[serde(default, deserialize_with = "nullable")]
    response: RawResponse,
    #[serde(default, rename = "_error")]
    error: Option<String>,
    #[serde(default, rename = "_resourceType")]
    resource_type: Option<String>,
    #[serde(default, rename = "_initiator")]
    initiator: Option<RawInitiator>,
    #[serde(default, rename = "_fromCache")]
    from_cache: Option<String>,
}

#[derive(Deserialize)]
struct RawRequest {
    #[serde(default, deserialize_with = "nullable")]
    method: String,
    #[serde(default, deserialize_with = "nullable")]
    url: String,
    #[serde(default, deserialize_with = "nullable")]
    headers: Vec<RawHeader>,
}

#[derive(Deserialize, Default)]
struct RawResponse {
    #[serde(default, deserialize_with = "nullable")]
    status: u16,
    #[serde(default, rename = "statusText", deserialize_with = "nullable")]
    status_text: String,
    #[serde(default, rename = "httpVersion", deserialize_with = "nullable")]
    http_version: String,
    #[serde(default, deserialize_with = "nullable")]
    headers: Vec<RawHeader>,
    #[serde(default, rename = "redirectURL", deserialize_with = "nullable")]
    redirect_url: String,
    #[serde(default, rename = "_error")]
    error: Option<String>,
}

#[derive(Deserialize)]
struct RawHeader {
    #[serde(default, deserialize_with = "nullable")]
    name: String,
    #[serde(default, deserialize_with = "nullable")]
    value: String,
}

#[derive(Deserialize)]
struct RawInitiator {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    stack: Option<RawStack>,
}

#[derive(Deserialize)]
struct RawStack {
    #[serde(default, rename = "callFrames", deserialize_with = "nullable")]
    call_frames: Vec<RawFrame>,
}

#[derive(Deserialize)]
struct RawFrame {
    #[serde(default, deserialize_with = "nullable")]
    url: String,
}

#[cfg(test)]
mod tests;
