//! The fix for a pasted message: what the message implies about the request, completed by what
//! the user states beside it (the CLI's flags, the page's fields). `corsair explain` and the web
//! page both ask here, so a message gets the same fix wherever it is pasted.

use serde_json::{json, Value};

use super::{Browser, FirefoxReason, Message};
use crate::cors_error::{CorsError, Fix, FixContext};

/// What the user says about the request beyond the message. Every field is optional: a message
/// alone is enough for a fix, with placeholders where it does not say.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stated<'a> {
    /// The page's origin, when the message has none (Firefox) or to try another.
    pub origin: Option<&'a str>,
    /// The method the page used.
    pub method: Option<&'a str>,
    /// Request headers the page sets, as `Name: value` lines.
    pub headers: &'a [String],
    /// The page used `credentials: 'include'`.
    pub include_credentials: bool,
}

impl Message {
    /// The page's origin: the stated one first, else the message's.
    pub fn origin_or<'a>(&'a self, stated: &Stated<'a>) -> Option<&'a str> {
        stated.origin.or(self.page_origin.as_deref())
    }

    /// The method the message or the user names, if any: a disallowed method in the message is
    /// the one the page used, whatever else was said.
    pub fn stated_method<'a>(&'a self, stated: &Stated<'a>) -> Option<&'a str> {
        match &self.error {
            Some(CorsError::MethodDisallowedByPreflightResponse { method }) if !method.is_empty() => Some(method),
            _ => stated.method.or(self.method.as_deref()),
        }
    }

    /// The request headers that needed the server's permission (lower case, sorted): the
    /// stated ones and the one the message names as disallowed.
    pub fn requested_headers(&self, stated: &Stated<'_>) -> Vec<String> {
        let mut names: Vec<String> = stated
            .headers
            .iter()
            .filter_map(|h| h.split_once(':').map(|(n, _)| n.trim().to_ascii_lowercase()))
            .collect();
        if let Some(CorsError::HeaderDisallowedByPreflightResponse { name }) = &self.error {
            if !name.is_empty() && !names.contains(name) {
                names.push(name.clone());
            }
        }
        names.sort();
        names
    }

    /// The final URL, when the message says the request was redirected from another origin than
    /// both the final URL's and the page's: the redirect tainted it (Fetch's "tainted origin"),
    /// so the browser sent `Origin: null`.
    pub fn tainted_url<'a>(&'a self, stated: &Stated<'a>) -> Option<&'a str> {
        let origin_of = |u: &str| url::Url::parse(u).ok().map(|u| u.origin().ascii_serialization());
        let (from, to) = (origin_of(self.initial_url.as_deref()?)?, origin_of(self.url.as_deref()?)?);
        let page = self.origin_or(stated)?;
        (from != to && from != page).then_some(self.url.as_deref()?)
    }

    /// True when the error only happens with `credentials: 'include'`, or the user says so.
    pub fn credentials_included(&self, stated: &Stated<'_>) -> bool {
        stated.include_credentials
            || matches!(
                self.error,
                Some(
                    CorsError::WildcardOriginNotAllowed
                        | CorsError::PreflightWildcardOriginNotAllowed
                        | CorsError::InvalidAllowCredentials { .. }
                        | CorsError::PreflightInvalidAllowCredentials { .. }
                )
            )
    }

    /// The server-side fix for the message's error, for the request as the message and the user
    /// describe it; `None` when the message reports no [`CorsError`].
    pub fn fix(&self, stated: &Stated<'_>) -> Option<Fix> {
        let error = self.error.as_ref()?;
        let headers = self.requested_headers(stated);
        let method = self.stated_method(stated);
        let tainted = self.tainted_url(stated);
        let origin = self.origin_or(stated).unwrap_or("<the page's origin>");
        Some(error.fix(FixContext {
            // After a cross-origin redirect the browser sent `Origin: null`, whatever the page's is.
            origin: if tainted.is_some() { "null" } else { origin },
            credentials: self.credentials_included(stated),
            method: method.unwrap_or("GET"),
            request_headers: &headers,
            tainted_url: tainted,
            request_known: method.is_some() || !headers.is_empty(),
        }))
    }
}

impl Message {
    /// The message explained as one JSON object: what `corsair explain --format json` prints per
    /// message (before `live` and `conclusion`, which the CLI adds), and what the web page reads.
    /// Keys: `browser` (`chromium`, `firefox`, `webkit` or null), `explained`, `url`,
    /// `redirect_to`, `status`, `method`, `firefox_code`, `other` (`kind`, `warning`,
    /// `explanation`, `advice`), `initial_url`, `page_origin`, `detail`, `error` (`kind`,
    /// `firefox_code`, `preflight`, `explanation`, `fix`: `summary`, `headers` as `[name,
    /// value]` pairs, `remove`, `preflight_status`).
    pub fn to_json(&self, stated: &Stated<'_>) -> Value {
        let error = self.error.as_ref().zip(self.fix(stated)).map(|(e, fix)| {
            json!({
                "kind": e.chromium_name(),
                "firefox_code": self.firefox_code(),
                "preflight": e.is_preflight(),
                "explanation": e.explanation(),
                "fix": {
                    "summary": fix.summary,
                    "headers": fix.headers,
                    "remove": fix.remove,
                    "preflight_status": fix.preflight_status,
                },
            })
        });
        let other = self.other.map(|o| {
            json!({
                "kind": o.name(),
                "warning": o.is_warning(),
                "explanation": o.explanation(),
                "advice": o.advice(),
            })
        });
        json!({
            "browser": self.browser.map(|b| match b {
                Browser::Chromium => "chromium",
                Browser::Firefox => "firefox",
                Browser::WebKit => "webkit",
            }),
            "explained": self.is_explained(),
            "url": self.url,
            "redirect_to": self.redirect_to,
            "status": self.status,
            "method": self.method,
            "firefox_code": self.firefox_reason.map(FirefoxReason::code),
            "other": other,
            "initial_url": self.initial_url,
            "page_origin": self.origin_or(stated),
            "detail": self.detail,
            "error": error,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::parse;

    #[test]
    fn a_disallowed_header_is_granted_by_name_and_stated_headers_join_it() {
        let m = parse("Access to fetch at 'https://api.test/x' from origin 'https://app.test' has been blocked by CORS policy: Request header field x-token is not allowed by Access-Control-Allow-Headers in preflight response.").unwrap();
        let stated = ["X-Other: 1".to_owned()];
        let s = Stated { headers: &stated, ..Stated::default() };
        assert_eq!(m.requested_headers(&s), ["x-other", "x-token"]);
        let fix = m.fix(&s).unwrap();
        assert!(
            fix.headers.iter().any(|(n, v)| n == "Access-Control-Allow-Headers" && v.contains("x-token")),
            "{fix:?}"
        );
    }

    #[test]
    fn a_cross_origin_redirect_taints_the_origin_and_the_fix_says_null_is_not_the_answer() {
        let m = parse("Access to fetch at 'https://c.test/final' (redirected from 'https://b.test/start') from origin 'https://a.test' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.").unwrap();
        assert_eq!(m.tainted_url(&Stated::default()), Some("https://c.test/final"));
        let fix = m.fix(&Stated::default()).unwrap();
        assert!(!fix.headers.iter().any(|(_, v)| v == "null"), "{fix:?}");
        // Redirected within the page's own origin: nothing tainted.
        let stated = Stated { origin: Some("https://b.test"), ..Stated::default() };
        assert_eq!(m.tainted_url(&stated), None);
    }

    #[test]
    fn a_wildcard_with_credentials_implies_include_and_no_error_means_no_fix() {
        let m = parse("Access to fetch at 'https://api.test/x' from origin 'https://app.test' has been blocked by CORS policy: The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'.").unwrap();
        assert!(m.credentials_included(&Stated::default()));
        let other = Message { error: None, ..m };
        assert!(other.fix(&Stated::default()).is_none());
    }
}
