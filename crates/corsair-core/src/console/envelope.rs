//! The sentence around each browser's reason: where the URL, the page's origin and the reason
//! are in Chromium's three envelopes, Firefox's "Cross-Origin Request Blocked" and WebKit's
//! cause lines.

use super::detail::{self, Detail};
use super::kinds::{FirefoxReason, OtherFailure};
use super::paste::{floor_boundary, Squeezed};
use super::{Browser, Message};
use crate::cors_error::{CorsError, Initiator};

/// What one marker led to.
#[derive(Debug)]
pub(super) struct Piece {
    pub message: Message,
    pub role: Role,
    /// Where it ends in the squeezed paragraph.
    pub end: usize,
}

/// How a piece combines with its neighbours (WebKit prints one failure on up to three lines).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    /// A whole message.
    Whole,
    /// WebKit's cause line ("Origin X is not allowed by ..."), which names no URL.
    WebKitCause,
    /// WebKit's "Fetch API cannot load URL due to access control checks.".
    WebKitCannotLoad,
    /// WebKit's "Failed to load resource: <cause>", repeating the cause.
    WebKitRepeat,
}

fn message(browser: Browser) -> Message {
    Message {
        browser: Some(browser),
        url: None,
        initial_url: None,
        redirect_to: None,
        page_origin: None,
        initiator: None,
        error: None,
        other: None,
        firefox_reason: None,
        status: None,
        method: None,
        detail: String::new(),
    }
}

/// Fills `m` from a reason text read at `p`, or keeps the text as the unrecognised detail.
fn apply(sq: &Squeezed<'_>, m: &mut Message, p: usize, stop: &dyn Fn(usize) -> usize) -> usize {
    match detail::read(sq, p) {
        Some(d) => {
            m.detail = sq.prose(p, d.end);
            take(m, d)
        }
        None => {
            let end = stop(p);
            m.detail = sq.prose(p, end);
            end
        }
    }
}

fn take(m: &mut Message, d: Detail) -> usize {
    m.error = d.error;
    m.other = d.other;
    if m.page_origin.is_none() {
        m.page_origin = d.origin;
    }
    m.status = m.status.or(d.status);
    if let Some(from) = d.redirect_from {
        if m.url.as_deref() != Some(from.as_str()) {
            m.initial_url = m.url.take();
            m.url = Some(from);
        }
    }
    m.redirect_to = d.redirect_to;
    if d.webkit {
        m.browser = Some(Browser::WebKit);
    }
    d.end
}

fn initiator(kind: &str) -> Option<Initiator> {
    match kind {
        "fetch" => Some(Initiator::Fetch),
        "XMLHttpRequest" => Some(Initiator::Xhr),
        _ => None,
    }
}

/// `Access to <kind> at 'URL' [(redirected from 'URL0') ]from origin 'O' has been blocked by
/// CORS policy: <reason>` (Chromium since 2018). `stop` bounds an unrecognised reason.
pub(super) fn chromium(sq: &Squeezed<'_>, p: usize, stop: &dyn Fn(usize) -> usize) -> Option<Piece> {
    let a = sq.eat(p, "Access to")?;
    let at = sq.find(a, "at '").filter(|&k| k - a <= 40)?;
    let mut m = message(Browser::Chromium);
    m.initiator = initiator(&sq.token(a, at));
    let u = at + 3;
    let blocked = sq.find(u, "has been blocked by CORS policy:");
    let redirected = sq.find_in_message(u, "' (redirected from '");
    let from = sq.find_in_message(u, "' from origin '");
    let origin_at = match (redirected, from) {
        (Some(r), f) if f.is_none_or(|f| r < f) => {
            m.url = Some(sq.token(u, r));
            let i = r + "'(redirectedfrom'".len();
            let e = sq.find_in_message(i, "') from origin '")?;
            m.initial_url = Some(sq.token(i, e));
            Some(e + "')fromorigin'".len())
        }
        (_, Some(f)) => {
            m.url = Some(sq.token(u, f));
            Some(f + "'fromorigin'".len())
        }
        _ => None,
    };
    let Some(o) = origin_at else {
        // Cut off before the origin: keep what the reason says, if it is there.
        let end = blocked
            .and_then(|b| sq.eat(b, "has been blocked by CORS policy:"))
            .map_or(u, |r| apply(sq, &mut m, r, stop));
        return Some(Piece { message: m, role: Role::Whole, end });
    };
    let Some(b) = sq.find_in_message(o, "' has been blocked by CORS policy:") else {
        return Some(Piece { message: m, role: Role::Whole, end: o });
    };
    m.page_origin = Some(sq.token(o, b));
    let r = b + "'hasbeenblockedbyCORSpolicy:".len();
    let end = apply(sq, &mut m, r, stop);
    Some(Piece { message: m, role: Role::Whole, end })
}

/// `Failed to load URL: <reason>` (Chromium 2018). The URL ends at the colon after which a
/// reason is recognised, or else at the first colon followed by a space in the text.
pub(super) fn failed_to_load(sq: &Squeezed<'_>, p: usize, stop: &dyn Fn(usize) -> usize) -> Option<Piece> {
    let u = sq.eat(p, "Failed to load")?;
    if sq.eat(u, "resource:").is_some() {
        return None;
    }
    let mut m = message(Browser::Chromium);
    let (colon, d) = url_end(sq, u, ":")?;
    m.url = Some(sq.token(u, colon));
    let end = match d {
        Some(d) => {
            m.detail = sq.prose(colon + 1, d.end);
            take(&mut m, d)
        }
        None => apply(sq, &mut m, colon + 1, stop),
    };
    Some(Piece { message: m, role: Role::Whole, end })
}

/// `<Kind> from origin 'X' has been blocked from loading by Cross-Origin Resource Sharing
/// policy: <reason>` (Chromium before 2018, for fonts, images and scripts): `X` is the
/// resource's origin, found backwards from the marker at `q` (no further than `floor`); the
/// page's origin is in the reason's "Origin '...' is therefore not allowed access.".
pub(super) fn blocked_from_loading(
    sq: &Squeezed<'_>,
    q: usize,
    floor: usize,
    stop: &dyn Fn(usize) -> usize,
) -> Option<Piece> {
    let base = super::paste::floor_boundary(&sq.s, floor.max(q.saturating_sub(512)));
    let f = base + sq.s.get(base..q)?.rfind("fromorigin'")?;
    let mut m = message(Browser::Chromium);
    m.url = Some(sq.token(f + "fromorigin'".len(), q.checked_sub(1)?));
    let r = sq.eat(q, "has been blocked from loading by Cross-Origin Resource Sharing policy:")?;
    let end = apply(sq, &mut m, r, stop);
    Some(Piece { message: m, role: Role::Whole, end })
}

/// The first `sep` after `u` followed by a reason corsair reads (with the reason when it is
/// Chromium's; `None` for WebKit's), or else the first one followed by whitespace in the text.
fn url_end(sq: &Squeezed<'_>, u: usize, sep: &str) -> Option<(usize, Option<Detail>)> {
    let mut i = u;
    let mut spaced = None;
    while let Some(c) = sq.find(i, sep) {
        if c - u > super::paste::WINDOW {
            break;
        }
        if let Some(d) = detail::read(sq, c + sep.len()) {
            return Some((c, Some(d)));
        }
        if webkit_at(sq, c + sep.len()).is_some() {
            return Some((c, None));
        }
        if spaced.is_none() && c > u && gap_after(sq, c) {
            spaced = Some(c);
        }
        i = c + sep.len();
    }
    spaced.map(|c| (c, None))
}

/// True when whitespace follows `s[c]` in the text.
fn gap_after(sq: &Squeezed<'_>, c: usize) -> bool {
    sq.prose(c, c + 2).contains(' ')
}

/// `XMLHttpRequest cannot load URL. <reason>` and `Fetch API cannot load URL. <reason>`
/// (Chromium before 2018, Safari before 2019), and WebKit's `... cannot load URL due to access
/// control checks.`.
pub(super) fn cannot_load(sq: &Squeezed<'_>, p: usize, stop: &dyn Fn(usize) -> usize) -> Option<Piece> {
    let (who, u) = [("XMLHttpRequest", Initiator::Xhr), ("Fetch API", Initiator::Fetch)]
        .into_iter()
        .find_map(|(w, i)| sq.eat(p, &format!("{w} cannot load")).map(|u| (i, u)))?;
    let mut m = message(Browser::Chromium);
    m.initiator = Some(who);
    let old = url_end(sq, u, ".");
    if let Some(d) = sq.find_in_message(u, "due to access control checks.") {
        if !matches!(&old, Some((c, Some(_))) if *c < d) {
            m.browser = Some(Browser::WebKit);
            m.url = Some(sq.token(u, d));
            let end = d + "duetoaccesscontrolchecks.".len();
            return Some(Piece { message: m, role: Role::WebKitCannotLoad, end });
        }
    }
    let (dot, d) = old?;
    m.url = Some(sq.token(u, dot));
    let end = match (d, webkit_at(sq, dot + 1)) {
        (Some(d), _) => {
            m.detail = sq.prose(dot + 1, d.end);
            take(&mut m, d)
        }
        (None, Some(cause)) => {
            let c = cause.message;
            m.browser = c.browser;
            m.error = c.error;
            m.other = c.other;
            m.page_origin = c.page_origin;
            m.status = c.status;
            m.detail = c.detail;
            cause.end
        }
        (None, None) => apply(sq, &mut m, dot + 1, stop),
    };
    Some(Piece { message: m, role: Role::Whole, end })
}

/// `Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource
/// at URL. (Reason: R). [Status code: N.]` and the warning Firefox prints about `*`.
pub(super) fn firefox(sq: &Squeezed<'_>, p: usize) -> Option<Piece> {
    let (u, warning) = if let Some(u) =
        sq.eat(p, "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at")
    {
        (u, false)
    } else {
        (
            sq.eat(
                p,
                "Cross-Origin Request Warning: The Same Origin Policy will disallow reading the remote resource at",
            )?,
            true,
        )
    };
    let mut m = message(Browser::Firefox);
    let (url_close, r) = if warning {
        let s = sq.find_in_message(u, "soon. (Reason:")?;
        (s, s + "soon.(Reason:".len())
    } else if let Some(s) = sq.find_in_message(u, ". (Reason:") {
        (s, s + ".(Reason:".len())
    } else {
        // Firefox before 2015: no reason, a suggestion instead.
        let s =
            sq.find_in_message(u, ". This can be fixed by moving the resource to the same domain or enabling CORS.")?;
        m.url = Some(sq.token(u, s).trim_matches('\'').to_owned());
        let end = s + ".Thiscanbefixedbymovingtheresourcetothesamedomainorenablingcors.".len();
        m.detail = sq.prose(s + 1, end);
        return Some(Piece { message: m, role: Role::Whole, end });
    };
    m.url = Some(sq.token(u, url_close).trim_matches('\'').to_owned());
    let (reason, value, close) = firefox_reason(sq, r)?;
    m.detail = sq.prose(r, close);
    let mut end = close + 1;
    end = sq.eat(end, ".").unwrap_or(end);
    if let Some(a) = sq.eat(end, "Status code:") {
        if let Some((n, e)) = sq.number(a) {
            m.status = Some(n);
            end = e;
        } else if let Some(e) = sq.eat(a, "(null)") {
            end = e;
        }
        end = sq.eat(end, ".").unwrap_or(end);
    }
    end = sq.eat(end, "(Learn More)").or_else(|| sq.eat(end, "[Learn More]")).unwrap_or(end);
    if let Some(reason) = reason {
        m.firefox_reason = Some(reason);
        m.error = reason.error(value.as_deref(), m.status);
        m.other = reason.other();
    }
    Some(Piece { message: m, role: Role::Whole, end })
}

/// Firefox reason texts, current and older, with `%` where the value goes.
const FIREFOX_REASONS: [(&str, FirefoxReason); 19] = [
    ("CORS disabled", FirefoxReason::CorsDisabled),
    ("CORS request did not succeed", FirefoxReason::DidNotSucceed),
    ("CORS header 'Origin' cannot be added", FirefoxReason::OriginHeaderNotAdded),
    ("CORS request external redirect not allowed", FirefoxReason::ExternalRedirectNotAllowed),
    ("CORS request not http", FirefoxReason::RequestNotHttp),
    ("CORS header 'Access-Control-Allow-Origin' missing", FirefoxReason::MissingAllowOrigin),
    ("Multiple CORS header 'Access-Control-Allow-Origin' not allowed", FirefoxReason::MultipleAllowOriginNotAllowed),
    ("Multiple CORS headers 'Access-Control-Allow-Origin' not allowed", FirefoxReason::MultipleAllowOriginNotAllowed),
    ("CORS header 'Access-Control-Allow-Origin' does not match '%'", FirefoxReason::AllowOriginNotMatchingOrigin),
    (
        "Credential is not supported if the CORS header 'Access-Control-Allow-Origin' is '*'",
        FirefoxReason::NotSupportingCredentials,
    ),
    ("Did not find method in CORS header 'Access-Control-Allow-Methods'", FirefoxReason::MethodNotFound),
    ("expected 'true' in CORS header 'Access-Control-Allow-Credentials'", FirefoxReason::MissingAllowCredentials),
    ("CORS preflight response did not succeed", FirefoxReason::PreflightDidNotSucceed),
    ("CORS preflight channel did not succeed", FirefoxReason::PreflightDidNotSucceed),
    ("invalid token '%' in CORS header 'Access-Control-Allow-Methods'", FirefoxReason::InvalidAllowMethod),
    ("invalid token '%' in CORS header 'Access-Control-Allow-Headers'", FirefoxReason::InvalidAllowHeader),
    (
        "header '%' is not allowed according to header 'Access-Control-Allow-Headers' from CORS preflight response",
        FirefoxReason::MissingAllowHeaderFromPreflight,
    ),
    (
        "missing token '%' in CORS header 'Access-Control-Allow-Headers' from CORS preflight channel",
        FirefoxReason::MissingAllowHeaderFromPreflight,
    ),
    (
        "When the `Access-Control-Allow-Headers` is `*`, the `Authorization` header is not covered. To include the `Authorization` header, it must be explicitly listed in CORS header `Access-Control-Allow-Headers`",
        FirefoxReason::AllowHeaderFromPreflightDeprecation,
    ),
];

/// The reason at `r`, its value, and where its closing `)` is.
fn firefox_reason(sq: &Squeezed<'_>, r: usize) -> Option<(Option<FirefoxReason>, Option<String>, usize)> {
    for (template, reason) in FIREFOX_REASONS {
        match template.split_once('%') {
            None => {
                if let Some(close) = sq.eat(r, template).and_then(|e| sq.eat(e, ")").map(|_| e)) {
                    return Some((Some(reason), None, close));
                }
            }
            Some((pre, post)) => {
                let post = super::paste::squeeze(&format!("{post})"));
                if let Some(a) = sq.eat(r, pre) {
                    if let Some(b) = sq.find_in_message(a, &post) {
                        return Some((Some(reason), Some(sq.value(a, b)), b + post.len() - 1));
                    }
                }
            }
        }
    }
    sq.find(r, ")").map(|close| (None, None, close))
}

/// A WebKit cause ending at the marker found at `q`: the cause's first word is searched
/// backwards from there (`Origin`, `Method`, `Request header field`), no further than `floor`.
pub(super) fn webkit_cause(sq: &Squeezed<'_>, q: usize, floor: usize) -> Option<Piece> {
    let starts = ["Origin", "Method", "Request header field"];
    let base = super::paste::floor_boundary(&sq.s, floor.max(q.saturating_sub(2048)));
    let window = sq.s.get(base..q)?;
    let start = starts.iter().filter_map(|w| window.rfind(&super::paste::squeeze(w)).map(|i| base + i)).max()?;
    webkit_at(sq, start)
}

/// The WebKit causes with a fixed start.
pub(super) fn webkit_at(sq: &Squeezed<'_>, p: usize) -> Option<Piece> {
    let mut m = message(Browser::WebKit);
    let (repeat, p) = match sq.eat(p, "Failed to load resource:") {
        Some(q) => (true, q),
        None => (false, p),
    };
    let mut whole = false;
    let mut end = match webkit_fixed(sq, p, &mut m) {
        Some(e) => e,
        None => {
            let d = detail::read(sq, p)?;
            whole = !d.webkit;
            m.detail = sq.prose(p, d.end);
            let e = take(&mut m, d);
            if whole {
                // A Chromium reason pasted without its envelope.
                m.browser = Some(Browser::Chromium);
            }
            e
        }
    };
    if let Some(a) = sq.eat(end, "Status code:") {
        if let Some((n, e)) = sq.number(a) {
            m.status = Some(n);
            if let Some(CorsError::PreflightInvalidStatus { status }) = &mut m.error {
                *status = n;
            }
            end = e;
        }
    }
    if m.detail.is_empty() {
        m.detail = sq.prose(p, end);
    }
    let role = match (whole, repeat) {
        (true, _) => Role::Whole,
        (false, true) => Role::WebKitRepeat,
        (false, false) => Role::WebKitCause,
    };
    Some(Piece { message: m, role, end })
}

/// WebKit's own wordings, with no Chromium counterpart text.
fn webkit_fixed(sq: &Squeezed<'_>, p: usize, m: &mut Message) -> Option<usize> {
    let fixed: [(&str, CorsError); 4] = [
        (
            "Cannot use wildcard in Access-Control-Allow-Origin when credentials flag is true.",
            CorsError::WildcardOriginNotAllowed,
        ),
        (
            "Access-Control-Allow-Origin cannot contain more than one origin.",
            CorsError::MultipleAllowOriginValues { value: Vec::new() },
        ),
        (
            "Credentials flag is true, but Access-Control-Allow-Credentials is not \"true\".",
            CorsError::InvalidAllowCredentials { value: Vec::new() },
        ),
        ("Preflight response is not successful", CorsError::PreflightInvalidStatus { status: 0 }),
    ];
    for (text, error) in fixed {
        if let Some(end) = sq.eat(p, text) {
            m.error = Some(error);
            m.detail = sq.prose(p, end);
            return Some(sq.eat(end, ".").unwrap_or(end));
        }
    }
    for (name, error) in [
        ("Methods", CorsError::InvalidAllowMethodsPreflightResponse),
        ("Headers", CorsError::InvalidAllowHeadersPreflightResponse),
    ] {
        if let Some(a) = sq.eat(p, &format!("Header Access-Control-Allow-{name} has an invalid value:")) {
            m.error = Some(error);
            m.detail = sq.prose(p, a);
            return Some(a);
        }
    }
    // `redirect: 'error'` met a redirect. The URL is left to the "cannot load" line that follows,
    // so the two lines join into one message.
    if let Some(a) = sq.eat(p, "Not allowed to follow a redirection while loading") {
        m.other = Some(OtherFailure::RedirectModeError);
        // The URL runs to the next line, which the squeezed text cannot see: to the next
        // message's start.
        let end = ["Fetch API cannot load", "XMLHttpRequest cannot load"]
            .iter()
            .filter_map(|next| sq.find(a, next))
            .min()
            .unwrap_or_else(|| floor_boundary(&sq.s, a.saturating_add(super::paste::WINDOW)));
        m.detail = sq.prose(p, end);
        return Some(end);
    }
    if let Some(a) = sq.eat(p, "Cross-origin redirection to") {
        let b = sq.find_in_message(a, "denied by Cross-Origin Resource Sharing policy:")?;
        m.redirect_to = Some(sq.token(a, b));
        let c = b + "deniedbyCross-OriginResourceSharingpolicy:".len();
        let inner = webkit_at(sq, c).or_else(|| {
            let d = detail::read(sq, c)?;
            let mut inner = message(Browser::WebKit);
            let end = take(&mut inner, d);
            Some(Piece { message: inner, role: Role::WebKitCause, end })
        })?;
        m.error = inner.message.error;
        m.other = inner.message.other;
        m.page_origin = inner.message.page_origin;
        m.status = inner.message.status;
        m.detail = sq.prose(p, inner.end);
        return Some(inner.end);
    }
    None
}
