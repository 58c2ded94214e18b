//! Reading console messages back: pasted CORS errors from Chromium (every wording since 2014),
//! Firefox (every reason code, old and new wordings) and Safari/WebKit become the URL, the page
//! origin and the [`CorsError`] (or [`OtherFailure`]) each reports.
//!
//! People paste messages wrapped at any column, indented, with typographic quotes, inside JSON
//! log lines, several at once, and surrounded by DevTools prefixes, stack traces and network
//! lines. [`parse_all`] undoes the paste (`paste.rs`), finds every message in order, and joins
//! the lines WebKit prints for one failure. It inverts [`CorsError::console_message`]: every
//! message the catalogue prints parses back to its error (the tests check this, and check the
//! corpus of real wordings in `tests/console/`).
//!
//! ```
//! use corsair_core::console::parse_all;
//! use corsair_core::CorsError;
//!
//! let pasted = "localhost/:1 Access to fetch at 'https://api.example.com/items' from origin
//!     'http://localhost:5173' has been blocked by CORS policy: No 'Access-Control-Allow-Origin'
//!     header is present on the requested resource.
//! GET https://api.example.com/items net::ERR_FAILED 404 (Not Found)";
//! let m = &parse_all(pasted).unwrap()[0];
//! assert_eq!(m.url.as_deref(), Some("https://api.example.com/items"));
//! assert_eq!(m.page_origin.as_deref(), Some("http://localhost:5173"));
//! assert_eq!(m.error, Some(CorsError::MissingAllowOriginHeader));
//! assert_eq!((m.method.as_deref(), m.status), (Some("GET"), Some(404)));
//! ```

mod detail;
mod envelope;
mod kinds;
mod paste;

pub use kinds::{FirefoxReason, OtherFailure, Symptom};

use crate::cors_error::{CorsError, Initiator};
use envelope::{Piece, Role};
use paste::Squeezed;

/// Which browser wrote the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Browser {
    /// Chromium, Chrome, Edge, Opera, Brave...
    Chromium,
    /// Firefox.
    Firefox,
    /// Safari and other WebKit browsers (and Chrome before 2014, which used WebKit's wording).
    WebKit,
}

impl Browser {
    /// The name shown to users.
    pub fn name(self) -> &'static str {
        match self {
            Browser::Chromium => "Chromium",
            Browser::Firefox => "Firefox",
            Browser::WebKit => "Safari/WebKit",
        }
    }
}

/// What a console message says. Fields are `None` where the message does not say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Who wrote it (`None` for text that is clearly about CORS in no browser's wording).
    pub browser: Option<Browser>,
    /// The URL whose response failed.
    pub url: Option<String>,
    /// The URL the page asked for, when the message says "(redirected from ...)" or "Redirect
    /// from ... to ...".
    pub initial_url: Option<String>,
    /// Where a redirect pointed, when the message names it.
    pub redirect_to: Option<String>,
    /// The page's origin (Chromium, and WebKit's "Origin X is not allowed").
    pub page_origin: Option<String>,
    /// `fetch` or XHR, when the message says.
    pub initiator: Option<Initiator>,
    /// The failure, when it is one of the catalogue's.
    pub error: Option<CorsError>,
    /// The failure, when the catalogue (Chromium's current enum) has no variant for it.
    pub other: Option<OtherFailure>,
    /// Firefox's reason code.
    pub firefox_reason: Option<FirefoxReason>,
    /// The response's status (Firefox's and Safari's "Status code: N", older Chromium's "The
    /// response had HTTP status code N", DevTools' network line).
    pub status: Option<u16>,
    /// The request's method, from DevTools' network line (`PUT URL net::ERR_FAILED`).
    pub method: Option<String>,
    /// The reason as pasted (after "blocked by CORS policy: ", Firefox's "(Reason: ...)").
    pub detail: String,
}

impl Message {
    /// True when corsair knows what the message reports.
    pub fn is_explained(&self) -> bool {
        self.error.is_some() || self.other.is_some()
    }

    /// MDN's name for Firefox's reason, or the one Firefox would give the error.
    pub fn firefox_code(&self) -> Option<&'static str> {
        self.firefox_reason.map(FirefoxReason::code).or_else(|| self.error.as_ref().and_then(CorsError::firefox_code))
    }
}

/// Why a text holds no CORS console message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// Nothing but whitespace.
    Empty,
    /// No browser's CORS wording, and nothing that looks like CORS.
    NotACorsMessage,
    /// A CORS message cut off before its URL and reason.
    Truncated,
    /// What a script or framework logs: the reason is in the browser console instead.
    Symptom(Symptom),
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParseError::Empty => f.write_str("no input: paste the console message as the argument or on standard input"),
            ParseError::NotACorsMessage => f.write_str(
                "this is not a CORS error message: paste the whole console line that starts with \"Access to fetch at\" (Chrome, Edge), \"Cross-Origin Request Blocked\" (Firefox) or \"Origin ... is not allowed\" (Safari)",
            ),
            ParseError::Truncated => {
                f.write_str("the message is cut off: paste the whole line, including the URL and \"from origin '...'\"")
            }
            ParseError::Symptom(s) => write!(f, "{s}"),
        }
    }
}

impl std::error::Error for ParseError {}

/// The first CORS message in `text`.
pub fn parse(text: &str) -> Result<Message, ParseError> {
    let first = parse_all(text)?.into_iter().next().ok_or(ParseError::NotACorsMessage)?;
    if first.url.is_none() && first.page_origin.is_none() && !first.is_explained() {
        return Err(ParseError::Truncated);
    }
    Ok(first)
}

/// Every CORS message in `text`, in order (never empty when `Ok`).
pub fn parse_all(text: &str) -> Result<Vec<Message>, ParseError> {
    if text.trim().is_empty() {
        return Err(ParseError::Empty);
    }
    let mut messages = Vec::new();
    for paragraph in paste::paragraphs(text) {
        let sq = Squeezed::new(&paragraph);
        let mut pieces = Vec::new();
        scan(&sq, &mut pieces);
        if pieces.is_empty() {
            messages.extend(unrecognised(&sq));
        }
        // WebKit's lines for one failure are adjacent: never joined across a blank line.
        messages.extend(merge(pieces));
    }
    if messages.is_empty() {
        return Err(symptom(text).map_or(ParseError::NotACorsMessage, ParseError::Symptom));
    }
    Ok(messages)
}

/// Where messages start, and which reader takes them from there.
#[derive(Clone, Copy)]
enum Marker {
    /// `Access to ... at '...'`.
    Chromium,
    /// `Failed to load URL:` (or WebKit's `Failed to load resource: <cause>`).
    FailedToLoad,
    /// `XMLHttpRequest cannot load`, `Fetch API cannot load`.
    CannotLoad,
    /// `Cross-Origin Request Blocked:` and `... Warning:`.
    Firefox,
    /// A WebKit cause that starts with fixed text.
    WebKit,
    /// The end of a cause (`... is not allowed by Access-Control-Allow-...`) whose start is
    /// searched backwards.
    Back,
    /// `<Kind> from origin 'X' has been blocked from loading`, also searched backwards.
    BlockedFromLoading,
    /// A Chromium reason without its envelope.
    BareReason,
    /// DevTools' network line: no message, but it ends an unrecognised reason. Must stay last:
    /// `network_line` searches past it.
    NetworkLine,
}

const MARKERS: [(&str, Marker); 18] = [
    ("Access to", Marker::Chromium),
    ("Failed to load", Marker::FailedToLoad),
    ("XMLHttpRequest cannot load", Marker::CannotLoad),
    ("Fetch API cannot load", Marker::CannotLoad),
    ("Cross-Origin Request Blocked:", Marker::Firefox),
    ("Cross-Origin Request Warning:", Marker::Firefox),
    ("Cannot use wildcard in Access-Control-Allow-Origin", Marker::WebKit),
    ("Access-Control-Allow-Origin cannot contain more than one origin", Marker::WebKit),
    ("Credentials flag is true, but", Marker::WebKit),
    ("Preflight response is not successful", Marker::WebKit),
    ("Header Access-Control-Allow-", Marker::WebKit),
    ("Cross-origin redirection to", Marker::WebKit),
    ("Not allowed to follow a redirection while loading", Marker::WebKit),
    ("is not allowed by Access-Control-Allow-", Marker::Back),
    ("has been blocked from loading by Cross-Origin Resource Sharing policy:", Marker::BlockedFromLoading),
    ("Response to preflight request doesn't pass access control check:", Marker::BareReason),
    ("has been blocked by CORS policy:", Marker::BareReason),
    ("net::ERR_FAILED", Marker::NetworkLine),
];

/// Finds the messages of one paragraph, in order.
fn scan(sq: &Squeezed<'_>, out: &mut Vec<Piece>) {
    let patterns: Vec<String> = MARKERS.iter().map(|(m, _)| paste::squeeze(m)).collect();
    // The next occurrence of each marker at or after `pos`, found again only once passed.
    let mut next: Vec<Option<usize>> = patterns.iter().map(|p| sq.s.find(p.as_str())).collect();
    let mut pos = 0;
    loop {
        for (i, p) in patterns.iter().enumerate() {
            if next[i].is_some_and(|n| n < pos) {
                next[i] = sq.find_anywhere(pos, p);
            }
        }
        let Some((i, at)) = next.iter().enumerate().filter_map(|(i, n)| n.map(|n| (i, n))).min_by_key(|&(_, n)| n)
        else {
            break;
        };
        let stop = |from: usize| reason_end(sq, &patterns, from);
        let piece = match MARKERS[i].1 {
            Marker::Chromium => envelope::chromium(sq, at, &stop),
            Marker::FailedToLoad => envelope::failed_to_load(sq, at, &stop).or_else(|| envelope::webkit_at(sq, at)),
            Marker::CannotLoad => envelope::cannot_load(sq, at, &stop),
            Marker::Firefox => envelope::firefox(sq, at),
            Marker::WebKit => envelope::webkit_at(sq, at),
            Marker::Back => envelope::webkit_cause(sq, at, pos),
            Marker::BlockedFromLoading => envelope::blocked_from_loading(sq, at, pos, &stop),
            Marker::BareReason => bare_reason(sq, at),
            Marker::NetworkLine => None,
        };
        match piece {
            Some(mut piece) => {
                // Always move on, even from a piece that read nothing after its marker.
                piece.end = piece.end.max(at + 1);
                network_line(sq, &patterns, &mut piece);
                pos = piece.end;
                out.push(piece);
            }
            None => pos = at + 1,
        }
    }
}

/// Where an unrecognised reason starting at `from` stops: at the next message, or at DevTools'
/// network line (`GET http...`, `Failed to load resource`).
fn reason_end(sq: &Squeezed<'_>, patterns: &[String], from: usize) -> usize {
    let mut next = next_start(sq, patterns, from);
    let window = sq.s.get(from.min(next)..next).unwrap_or_default();
    // "Font from origin 'X' has been blocked from loading ...": that message starts at its kind.
    if sq.eat(next, "has been blocked from loading").is_some() {
        if let Some(f) = window.rfind("fromorigin'") {
            let kind = window[..f].bytes().rev().take_while(u8::is_ascii_alphabetic).count();
            next = from + f - kind;
        }
    }
    let window = sq.s.get(from.min(next)..next).unwrap_or_default();
    let network = [
        "GEThttp",
        "POSThttp",
        "PUThttp",
        "DELETEhttp",
        "PATCHhttp",
        "OPTIONShttp",
        "HEADhttp",
        "Failedtoloadresource",
    ]
    .iter()
    .filter_map(|w| window.find(w))
    .min();
    network.map_or(next, |i| from + i)
}

/// The first marker at or after `from` (bounded).
fn next_start(sq: &Squeezed<'_>, patterns: &[String], from: usize) -> usize {
    let cap = paste::floor_boundary(&sq.s, from.saturating_add(paste::WINDOW)).max(from.min(sq.len()));
    patterns
        .iter()
        .filter_map(|p| sq.s.get(from.min(cap)..cap).and_then(|w| w.find(p.as_str())).map(|i| from + i))
        .min()
        .unwrap_or(cap)
}

/// A Chromium reason without its envelope ("Response to preflight request doesn't pass ...",
/// "... has been blocked by CORS policy: <reason>").
fn bare_reason(sq: &Squeezed<'_>, at: usize) -> Option<Piece> {
    let p = sq.eat(at, "has been blocked by CORS policy:").unwrap_or(at);
    let d = detail::read(sq, p)?;
    let mut m = Message {
        browser: Some(Browser::Chromium),
        url: None,
        initial_url: None,
        redirect_to: d.redirect_to,
        page_origin: d.origin,
        initiator: None,
        error: d.error,
        other: d.other,
        firefox_reason: None,
        status: d.status,
        method: None,
        detail: sq.prose(p, d.end),
    };
    if let Some(from) = d.redirect_from {
        m.url = Some(from);
    }
    Some(Piece { message: m, role: Role::Whole, end: d.end })
}

/// DevTools' network line after a message (`GET URL net::ERR_FAILED 404 (Not Found)`, on the
/// same line or the next): the method and the status, when its URL is the message's.
fn network_line(sq: &Squeezed<'_>, patterns: &[String], piece: &mut Piece) {
    let from = piece.end;
    // Any marker but the last (`net::ERR_FAILED`) ends the search.
    let limit = next_start(sq, &patterns[..patterns.len() - 1], from);
    let Some(e) = sq.s.get(from..limit).and_then(|w| w.find("net::ERR_FAILED")).map(|i| from + i) else { return };
    let Some(h) = sq.s.get(from..e).and_then(|w| w.rfind("http")).map(|i| from + i) else { return };
    let url = sq.token(h, e);
    let m = &mut piece.message;
    if m.url.as_deref() != Some(url.as_str()) && m.initial_url.as_deref() != Some(url.as_str()) {
        return;
    }
    let letters = sq.s.get(from..h).unwrap_or_default();
    let method: String = letters.chars().rev().take_while(char::is_ascii_uppercase).collect();
    if !method.is_empty() {
        m.method = Some(method.chars().rev().collect());
    }
    let after = e + "net::ERR_FAILED".len();
    if let Some((status, end)) = sq.number(after) {
        m.status = m.status.or(Some(status));
        piece.end = end;
    } else {
        piece.end = after;
    }
}

/// Joins WebKit's lines for one failure: the cause, then "... cannot load URL due to access
/// control checks.", then "Failed to load resource: <cause>" repeating it.
fn merge(pieces: Vec<Piece>) -> Vec<Message> {
    let mut out: Vec<(Message, Role)> = Vec::new();
    for piece in pieces {
        let last = out.last_mut();
        match (piece.role, last) {
            (Role::WebKitCannotLoad, Some((m, Role::WebKitCause))) if m.url.is_none() => {
                m.url = piece.message.url;
                m.initiator = piece.message.initiator;
                continue;
            }
            (Role::WebKitRepeat, Some((m, _)))
                if m.browser == Some(Browser::WebKit) && m.detail_matches(&piece.message) =>
            {
                m.status = m.status.or(piece.message.status);
                continue;
            }
            _ => out.push((piece.message, piece.role)),
        }
    }
    out.into_iter().map(|(m, _)| m).collect()
}

impl Message {
    /// True when `other` reports the same failure (WebKit's repeated cause).
    fn detail_matches(&self, other: &Message) -> bool {
        self.error == other.error && self.other == other.other
    }
}

/// A paragraph that is clearly about CORS but in no wording corsair reads: what it can tell.
fn unrecognised(sq: &Squeezed<'_>) -> Option<Message> {
    let text = sq.prose(0, sq.len());
    let about_cors = ["CORS", "Access-Control-Allow-", "Cross-Origin", "cross-origin", "Same Origin Policy"]
        .iter()
        .any(|w| text.contains(w));
    if !about_cors {
        return None;
    }
    let urls: Vec<String> = text
        .split_whitespace()
        .filter_map(|w| {
            let w = w.trim_matches(|c: char| "'\"()[]<>,;".contains(c));
            let w = w.trim_end_matches(['.', ':']);
            (w.starts_with("http://") || w.starts_with("https://") || w.starts_with("file://")).then(|| w.to_owned())
        })
        .collect();
    let origin = text
        .split_once("origin '")
        .or_else(|| text.split_once("Origin '"))
        .and_then(|(_, rest)| rest.split_once('\''))
        // A wrap inside the origin left a space in the prose: origins hold none.
        .map(|(o, _)| paste::squeeze(o))
        .filter(|o| !o.is_empty());
    let browser = if text.contains("Cross-Origin Request") {
        Some(Browser::Firefox)
    } else if text.contains("blocked by CORS policy") {
        Some(Browser::Chromium)
    } else if text.contains("due to access control checks") {
        Some(Browser::WebKit)
    } else {
        None
    };
    let mut detail = text.clone();
    if let Some((i, _)) = detail.char_indices().nth(300) {
        detail.truncate(i);
    }
    Some(Message {
        browser,
        url: urls.iter().find(|u| Some(u.as_str()) != origin.as_deref()).cloned(),
        initial_url: None,
        redirect_to: None,
        page_origin: origin,
        initiator: None,
        error: None,
        other: None,
        firefox_reason: None,
        status: None,
        method: None,
        detail,
    })
}

/// What scripts log instead of the console message, when nothing else was found.
fn symptom(text: &str) -> Option<Symptom> {
    let url_after = |marker: &str| {
        text.split_once(marker).and_then(|(_, rest)| {
            rest.split_whitespace().next().map(|u| u.trim_end_matches([':', ',', '\'', '"']).to_owned())
        })
    };
    if text.contains("Http failure response for") {
        return Some(Symptom::AngularUnknownError { url: url_after("Http failure response for") });
    }
    if text.contains("Network Error") || text.contains("ERR_NETWORK") {
        return Some(Symptom::AxiosNetworkError);
    }
    if text.contains("net::ERR_FAILED") {
        let url = text
            .split_whitespace()
            .take_while(|w| !w.contains("net::ERR_FAILED"))
            .filter(|w| w.starts_with("http"))
            .last()
            .map(str::to_owned);
        return Some(Symptom::NetErrFailed { url });
    }
    if ["Failed to fetch", "NetworkError when attempting to fetch resource", "Load failed"]
        .iter()
        .any(|s| text.contains(s))
    {
        return Some(Symptom::FetchRejected);
    }
    None
}

#[cfg(test)]
mod tests;
