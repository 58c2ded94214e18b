//! The recorded exchanges of each cross-origin request, fed to the browser model.
//!
//! For every request a page made across origins, the model is started with what the HAR shows
//! the page asked for, and each request it wants to send is answered from the file: the
//! preflight from the matching `OPTIONS` entry (same URL, `Access-Control-Request-Method` the
//! request's method, the nearest in file order: Chromium writes it after the request, Firefox
//! before), each redirect hop from the next entry for the URL the model follows. When the file
//! lacks an answer the model needs, the result says which ([`Missing`]) instead of guessing.

use std::collections::{HashMap, HashSet};

use url::Url;

use super::{Entry, Har};
use crate::browser::{Credentials, Fetch, Intent, Request, Response, SendKind, Step, Verdict};
use crate::origin::Origin;

/// Where the page's origin came from: a HAR does not always say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OriginFrom {
    /// The request's `Origin` header.
    OriginHeader,
    /// The title of the page the entry belongs to (browsers write the page's URL there).
    PageTitle,
    /// Chromium's `_initiator` URL.
    Initiator,
    /// The `Referer` header.
    Referer,
}

impl OriginFrom {
    /// Says where, for people.
    pub fn describe(&self) -> &'static str {
        match self {
            OriginFrom::OriginHeader => "the request's Origin header",
            OriginFrom::PageTitle => "the page the HAR lists the request under; no Origin header was recorded",
            OriginFrom::Initiator => "the script that started the request; no Origin header was recorded",
            OriginFrom::Referer => "the Referer header; no Origin header was recorded",
        }
    }

    /// A stable name for JSON.
    pub fn name(&self) -> &'static str {
        match self {
            OriginFrom::OriginHeader => "origin_header",
            OriginFrom::PageTitle => "page",
            OriginFrom::Initiator => "initiator",
            OriginFrom::Referer => "referer",
        }
    }
}

/// Why the replay used the credentials mode it did: no HAR records fetch()'s `credentials`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialsFrom {
    /// The request carried a `Cookie` header across origins: only `include` sends one.
    CookieHeader,
    /// The browser recorded a failure that only `credentials: 'include'` explains.
    BrowserFailure,
    /// Nothing in the file says: fetch()'s default (`same-origin`) was used.
    Default,
}

/// What the file lacks to judge a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Missing {
    /// The browser recorded the request but no response (status 0): blocked or failed before
    /// the answer was kept.
    NoResponse {
        /// The entry.
        entry: usize,
    },
    /// The request needed a preflight and the file holds none for it (the browser did not
    /// record it, or used a cached one).
    Preflight,
    /// The model follows a redirect the file does not continue.
    RedirectHop {
        /// Where the redirect leads.
        url: String,
    },
}

impl Missing {
    /// What is missing, in a sentence.
    pub fn describe(&self) -> String {
        match self {
            Missing::NoResponse { entry } => format!(
                "entry {entry} has no response (status 0, no headers): the browser did not keep what the server answered"
            ),
            Missing::Preflight => "the request needs a preflight, and the HAR holds none for it (not recorded, or answered from the browser's preflight cache)".to_owned(),
            Missing::RedirectHop { url } => format!("the request was redirected to {url}, and the HAR has no entry for that hop"),
        }
    }

    /// A stable name for JSON.
    pub fn name(&self) -> &'static str {
        match self {
            Missing::NoResponse { .. } => "response",
            Missing::Preflight => "preflight",
            Missing::RedirectHop { .. } => "redirect_hop",
        }
    }
}

/// How a replay ended.
#[allow(clippy::large_enum_variant)] // One per request in a file: boxing would buy nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The model reached a verdict on recorded answers alone.
    Judged(Verdict),
    /// The model needed an answer the file does not hold.
    Incomplete {
        /// What is missing.
        missing: Missing,
        /// The request the model wanted answered.
        wanted: Request,
    },
}

/// One cross-origin request of the file, replayed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Judged {
    /// The index of the page's request in `log.entries`.
    pub entry: usize,
    /// What the page asked for, as read from the file (`corsair check` takes the same).
    pub intent: Intent,
    /// Where the page's origin came from.
    pub origin_from: OriginFrom,
    /// Why this credentials mode.
    pub credentials_from: CredentialsFrom,
    /// The exchanges fed to the model, with the entry each came from.
    pub exchanges: Vec<(Request, Response, usize)>,
    /// The verdict, or what the file lacks.
    pub outcome: Outcome,
    /// The failure the browser itself recorded (`_error`, or status 0), if any.
    pub recorded_failure: Option<String>,
    /// Request headers the model needed that a sanitised export removed (`authorization`,
    /// `cookie`): they were judged by name with a placeholder value.
    pub sanitised: Vec<String>,
}

impl Judged {
    /// The browser recorded a failure, but the recorded answers pass: something the file does
    /// not show blocked the request (a cached preflight, private network access, an extension).
    pub fn unexplained_failure(&self) -> bool {
        self.recorded_failure.as_deref().is_some_and(may_be_cors_block)
            && matches!(&self.outcome, Outcome::Judged(v) if v.is_allowed())
    }
}

/// Every cross-origin request of a file, and what else it held.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Replay {
    /// The cross-origin CORS requests, in file order.
    pub requests: Vec<Judged>,
    /// Same-origin requests (no CORS check).
    pub same_origin: usize,
    /// Entries that are no CORS request (navigations, images, scripts without `crossorigin`,
    /// non-HTTP URLs), or whose page origin the file does not give.
    pub not_cors: usize,
}

/// Request headers the browser adds itself, never the page: left out of the intent unless the
/// recorded preflight lists them.
const BROWSER_ADDED: [&str; 14] = [
    "origin",
    "host",
    "connection",
    "content-length",
    "user-agent",
    "accept-encoding",
    "accept-language",
    "referer",
    "cookie",
    "priority",
    "upgrade-insecure-requests",
    "pragma",
    "cache-control",
    "dnt",
];

/// How far from the anchor, in entries for the same URL, a preflight or redirect hop is looked
/// for: the browser writes them next to each other, and a hostile file of thousands of entries
/// for one URL must not make the replay quadratic.
const SEARCH_WINDOW: usize = 256;

/// The file's entries by URL (parsed, then percent-decoded: Firefox writes query strings
/// decoded), so that finding a preflight or a hop costs what the entries for that URL cost.
struct Index<'a> {
    har: &'a Har,
    by_url: HashMap<Vec<u8>, Vec<usize>>,
    with_preflight: HashSet<Vec<u8>>,
}

impl<'a> Index<'a> {
    fn new(har: &'a Har) -> Index<'a> {
        let mut by_url: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
        let mut with_preflight = HashSet::new();
        for (i, e) in har.entries.iter().enumerate() {
            let key = url_key(&e.url);
            if e.is_preflight() {
                with_preflight.insert(key.clone());
            }
            by_url.entry(key).or_default().push(i);
        }
        Index { har, by_url, with_preflight }
    }

    /// The entries for `url`, in file order.
    fn for_url(&self, url: &str) -> &[usize] {
        self.by_url.get(&url_key(url)).map_or(&[], Vec::as_slice)
    }
}

/// Entries a replay has taken: those of earlier requests, and its own so far.
struct Taken<'u> {
    used: &'u [bool],
    mine: Vec<usize>,
}

impl Taken<'_> {
    fn contains(&self, j: usize) -> bool {
        self.used[j] || self.mine.contains(&j)
    }
}

/// Replays every cross-origin request of the file. See the [module documentation](self).
pub fn replay(har: &Har) -> Replay {
    let index = Index::new(har);
    let mut used = vec![false; har.entries.len()];
    let mut out = Replay::default();
    for (i, entry) in har.entries.iter().enumerate() {
        if used[i] || entry.is_preflight() {
            continue;
        }
        let Ok(url) = Url::parse(&entry.url) else {
            out.not_cors += 1;
            continue;
        };
        if !matches!(url.scheme(), "http" | "https") || !is_cors_request(&index, entry, &url) {
            out.not_cors += 1;
            continue;
        }
        let Some((page_origin, origin_from)) = page_origin(har, entry) else {
            out.not_cors += 1;
            continue;
        };
        if page_origin.same_origin_as(&url) {
            out.same_origin += 1;
            continue;
        }
        used[i] = true;
        out.requests.push(replay_one(&index, i, url, page_origin, origin_from, &mut used));
    }
    out
}

/// Whether the entry is a request in CORS mode: `Sec-Fetch-Mode: cors`, Chromium's `fetch` and
/// `xhr` resource types (a request whose preflight failed keeps no other sign), or, in exports
/// without either, an `Origin` header or a preflight for its URL.
fn is_cors_request(index: &Index<'_>, entry: &Entry, url: &Url) -> bool {
    if let Some(mode) = entry.request_header("sec-fetch-mode") {
        return mode.eq_ignore_ascii_case("cors");
    }
    match entry.resource_type.as_deref() {
        Some("fetch" | "xhr" | "eventsource") => true,
        Some(_) => false,
        None => entry.request_header("origin").is_some() || index.with_preflight.contains(&url_key(url.as_str())),
    }
}

/// The page's origin and where it came from.
fn page_origin(har: &Har, entry: &Entry) -> Option<(Origin, OriginFrom)> {
    if let Some(o) = entry.request_header("origin").and_then(|o| Origin::parse(o.trim()).ok()) {
        return Some((o, OriginFrom::OriginHeader));
    }
    let of_url =
        |u: &str| Url::parse(u).ok().filter(|u| matches!(u.scheme(), "http" | "https")).map(|u| Origin::of_url(&u));
    if let Some(o) = har.page_title(entry).and_then(of_url) {
        return Some((o, OriginFrom::PageTitle));
    }
    if let Some(o) = entry.initiator_url.as_deref().and_then(of_url) {
        return Some((o, OriginFrom::Initiator));
    }
    entry.request_header("referer").and_then(of_url).map(|o| (o, OriginFrom::Referer))
}

/// The header lines the page set, as far as the file shows: the recorded request minus what
/// browsers add, plus any name the recorded preflight asked for that a sanitised export dropped
/// (returned separately).
fn page_headers(entry: &Entry, preflight: Option<&Entry>) -> (Vec<(String, String)>, Vec<String>) {
    let asked: Vec<String> = preflight
        .and_then(|p| p.request_header("access-control-request-headers"))
        .map(|v| v.split(',').map(|n| n.trim().to_ascii_lowercase()).filter(|n| !n.is_empty()).collect())
        .unwrap_or_default();
    let mut headers = Vec::new();
    for (name, value) in &entry.request_headers {
        let n = name.to_ascii_lowercase();
        let browser_added = n.starts_with(':')
            || n.starts_with("sec-")
            || n.starts_with("proxy-")
            || n.starts_with("if-")
            || BROWSER_ADDED.contains(&n.as_str());
        if browser_added && !asked.contains(&n) {
            continue;
        }
        headers.push((name.clone(), value.clone()));
    }
    let mut sanitised = Vec::new();
    for n in asked {
        if !headers.iter().any(|(h, _)| h.eq_ignore_ascii_case(&n)) {
            headers.push((n.clone(), "x".to_owned()));
            sanitised.push(n);
        }
    }
    (headers, sanitised)
}

fn replay_one(
    index: &Index<'_>,
    start: usize,
    url: Url,
    page_origin: Origin,
    origin_from: OriginFrom,
    used: &mut [bool],
) -> Judged {
    let har = index.har;
    let entry = &har.entries[start];
    let taken = Taken { used, mine: Vec::new() };
    let first_preflight = find_preflight(index, &taken, start, &entry.url, &entry.method).map(|j| &har.entries[j]);
    let (headers, sanitised) = page_headers(entry, first_preflight);
    let mut intent = Intent::new(url, page_origin).method(&entry.method);
    intent.headers = headers;
    intent.page_url =
        har.page_title(entry).and_then(|t| Url::parse(t).ok()).filter(|u| matches!(u.scheme(), "http" | "https"));
    let cookie = entry.request_header("cookie").is_some();
    let credentials_from = if cookie { CredentialsFrom::CookieHeader } else { CredentialsFrom::Default };
    intent.credentials = if cookie { Credentials::Include } else { Credentials::SameOrigin };

    let mut judged = run(index, start, intent.clone(), used);
    judged.origin_from = origin_from.clone();
    judged.credentials_from = credentials_from;
    judged.sanitised = sanitised.clone();
    // No HAR records the credentials mode: when the browser failed a request that passes with
    // the default, and `include` explains the failure, that is what the page used.
    if judged.unexplained_failure() && !cookie {
        let mut retry = run(index, start, intent.credentials(Credentials::Include), used);
        if matches!(&retry.outcome, Outcome::Judged(Verdict::Blocked(_))) {
            retry.origin_from = origin_from;
            retry.credentials_from = CredentialsFrom::BrowserFailure;
            retry.sanitised = sanitised;
            judged = retry;
        }
    }
    for (_, _, e) in &judged.exchanges {
        used[*e] = true;
    }
    judged
}

/// Runs the model on the file's answers; marks nothing used (the caller does, for the run it
/// keeps).
fn run(index: &Index<'_>, start: usize, intent: Intent, used: &[bool]) -> Judged {
    let har = index.har;
    let mut taken = Taken { used, mine: vec![start] };
    let mut fetch = Fetch::new(intent.clone());
    let mut exchanges = Vec::new();
    let mut anchor = start;
    let mut hops = 0usize;
    let outcome = loop {
        let request = match fetch.next() {
            Step::Done(v) => break Outcome::Judged(v),
            Step::Send(r) => r,
        };
        let found = match request.kind {
            SendKind::Preflight => {
                let method = request.header("access-control-request-method").unwrap_or(&request.method).to_owned();
                match find_preflight(index, &taken, anchor, request.url.as_str(), &method) {
                    Some(j) => j,
                    None => break Outcome::Incomplete { missing: Missing::Preflight, wanted: request },
                }
            }
            SendKind::Actual if hops == 0 => start,
            SendKind::Actual => match find_hop(index, &taken, anchor, &request) {
                Some(j) => j,
                None => {
                    let url = request.url.to_string();
                    break Outcome::Incomplete { missing: Missing::RedirectHop { url }, wanted: request };
                }
            },
        };
        let answer = &har.entries[found];
        taken.mine.push(found);
        if answer.status == 0 {
            break Outcome::Incomplete { missing: Missing::NoResponse { entry: found }, wanted: request };
        }
        if request.kind == SendKind::Actual {
            hops += 1;
        }
        anchor = found;
        let response = response_of(answer);
        fetch.receive(response.clone());
        exchanges.push((request, response, found));
    };
    // What the browser said about the last entry of the page's request: `_error` on any hop, or
    // no response at all.
    let mut hop_entries: Vec<usize> = exchanges.iter().map(|(_, _, e)| *e).collect();
    hop_entries.push(start);
    let recorded_failure = hop_entries
        .iter()
        .find_map(|&e| har.entries[e].error.clone())
        .or_else(|| (har.entries[start].status == 0).then(|| "no response recorded (status 0)".to_owned()));
    Judged {
        entry: start,
        intent,
        origin_from: OriginFrom::OriginHeader,
        credentials_from: CredentialsFrom::Default,
        exchanges,
        outcome,
        recorded_failure,
        sanitised: Vec::new(),
    }
}

/// Whether a recorded failure can be a CORS block: Chromium blocks with `net::ERR_FAILED`; its
/// other net errors (`ERR_ABORTED` for a cancelled or dropped load, `ERR_CONNECTION_REFUSED`, ...)
/// are something else. Other browsers write prose (Safari: "Origin ... is not allowed by
/// Access-Control-Allow-Origin."): anything but a cancellation counts.
pub fn may_be_cors_block(failure: &str) -> bool {
    match failure.strip_prefix("net::") {
        Some(code) => code == "ERR_FAILED",
        None => !failure.to_ascii_lowercase().contains("cancel"),
    }
}

/// The recorded preflight for a request to `url` with `method`: an unused preflight entry for
/// the same URL whose `Access-Control-Request-Method` is the method (when recorded), nearest to
/// `anchor` in file order.
fn find_preflight(index: &Index<'_>, taken: &Taken<'_>, anchor: usize, url: &str, method: &str) -> Option<usize> {
    let candidates = index.for_url(url);
    let fits = |j: &&usize| {
        let e = &index.har.entries[**j];
        !taken.contains(**j)
            && e.is_preflight()
            && e.request_header("access-control-request-method").is_none_or(|m| m.trim() == method)
    };
    let pos = candidates.partition_point(|&j| j < anchor);
    let before = candidates[..pos].iter().rev().take(SEARCH_WINDOW).find(fits);
    let after = candidates[pos..].iter().take(SEARCH_WINDOW).find(fits);
    match (before, after) {
        (Some(&b), Some(&a)) => Some(if anchor - b <= a - anchor { b } else { a }),
        (b, a) => b.or(a).copied(),
    }
}

/// The next hop of a redirected request: the first unused entry after `anchor` for the URL the
/// model follows, with the method it sends.
fn find_hop(index: &Index<'_>, taken: &Taken<'_>, anchor: usize, request: &Request) -> Option<usize> {
    let candidates = index.for_url(request.url.as_str());
    let pos = candidates.partition_point(|&j| j <= anchor);
    candidates[pos..]
        .iter()
        .take(SEARCH_WINDOW)
        .find(|&&j| {
            let e = &index.har.entries[j];
            !taken.contains(j) && !e.is_preflight() && e.method.eq_ignore_ascii_case(&request.method)
        })
        .copied()
}

/// The entry's response as the model reads it: header values back to bytes (a HAR holds text;
/// characters up to U+00FF were single bytes on the wire).
fn response_of(entry: &Entry) -> Response {
    let mut response = Response::new(entry.status);
    for (name, value) in &entry.response_headers {
        let mut bytes = Vec::with_capacity(value.len());
        for c in value.chars() {
            match u8::try_from(u32::from(c)) {
                Ok(b) => bytes.push(b),
                Err(_) => bytes.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
            }
        }
        response.headers.push((name.clone(), bytes));
    }
    response
}

/// A URL as the index compares it: parsed and serialised, then percent-decoded (Firefox writes
/// query strings decoded, the others encoded).
fn url_key(url: &str) -> Vec<u8> {
    let parsed = Url::parse(url).map(|u| u.to_string()).unwrap_or_else(|_| url.to_owned());
    percent_decode(&parsed)
}

fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    out
}
