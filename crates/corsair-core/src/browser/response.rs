//! A response as the browser model reads it, and Chromium's access check (`CheckAccess`).

use crate::cors_error::CorsError;
use crate::origin::Origin;

/// An HTTP response's status and header lines, as received (names in any case, values raw).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header lines in the order received; repeated names kept.
    pub headers: Vec<(String, Vec<u8>)>,
}

impl<B> From<&http::Response<B>> for Response {
    fn from(r: &http::Response<B>) -> Response {
        Response::from_http(r.status(), r.headers())
    }
}

impl Response {
    /// A response with this status and no headers.
    pub fn new(status: u16) -> Response {
        Response { status, headers: Vec::new() }
    }

    /// The status and header lines of an `http` response head, in order, repeated names kept:
    /// what a transport or an in-process server hands the model.
    pub fn from_http(status: http::StatusCode, headers: &http::HeaderMap) -> Response {
        Response {
            status: status.as_u16(),
            headers: headers.iter().map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec())).collect(),
        }
    }

    /// Adds a header line (builder style, for tests and examples).
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Response {
        self.headers.push((name.to_owned(), value.as_ref().to_vec()));
        self
    }

    /// The header as Chromium reads it (`GetNormalizedHeader`): each line trimmed of spaces and
    /// tabs, lines joined with `", "`; `None` if absent (an empty line counts as present).
    pub fn normalized(&self, name: &str) -> Option<Vec<u8>> {
        let mut out: Option<Vec<u8>> = None;
        for (n, v) in &self.headers {
            if !n.eq_ignore_ascii_case(name) {
                continue;
            }
            let v = crate::token::trim_ows(v);
            match &mut out {
                None => out = Some(v.to_vec()),
                Some(acc) => {
                    acc.extend_from_slice(b", ");
                    acc.extend_from_slice(v);
                }
            }
        }
        out
    }

    /// True if `Vary` names `name` (case-insensitively) or is `*`.
    pub fn varies_on(&self, name: &str) -> bool {
        self.normalized("vary").is_some_and(|v| {
            v.split(|&b| b == b',')
                .map(crate::token::trim_ows)
                .any(|n| n == b"*" || n.eq_ignore_ascii_case(name.as_bytes()))
        })
    }

    /// True for 301, 302, 303, 307 and 308 with a `Location`: the responses the network stack
    /// follows as redirects.
    pub fn is_redirect(&self) -> bool {
        matches!(self.status, 301 | 302 | 303 | 307 | 308) && self.normalized("location").is_some()
    }

    /// The distinct header names, lower-cased, in order of first appearance.
    pub fn header_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for (n, _) in &self.headers {
            let lower = n.to_ascii_lowercase();
            if !names.contains(&lower) {
                names.push(lower);
            }
        }
        names
    }
}

/// Chromium's `CheckAccess`: the CORS check of one response, in Chromium's order (the order
/// decides which message appears).
///
/// `origin` is the origin the request carried (`null` once tainted); `include` is true for
/// credentials mode `include`.
pub fn check_access(response: &Response, origin: &Origin, include: bool) -> Result<(), CorsError> {
    let acao = response.normalized("access-control-allow-origin");
    match acao.as_deref() {
        Some(b"*") if include => return Err(CorsError::WildcardOriginNotAllowed),
        Some(b"*") => return Ok(()),
        None => return Err(CorsError::MissingAllowOriginHeader),
        Some(v) if v != origin.as_str().as_bytes() => {
            let value = v.to_vec();
            return Err(if v.iter().any(|&b| b == b' ' || b == b',') {
                CorsError::MultipleAllowOriginValues { value }
            } else if v == b"null" {
                CorsError::AllowOriginMismatch { value }
            } else if !is_valid_url(v) {
                CorsError::InvalidAllowOriginValue { value }
            } else {
                CorsError::AllowOriginMismatch { value }
            });
        }
        Some(_) => {}
    }
    if include {
        match response.normalized("access-control-allow-credentials") {
            Some(v) if v == b"true" => {}
            v => return Err(CorsError::InvalidAllowCredentials { value: v.unwrap_or_default() }),
        }
    }
    Ok(())
}

/// Whether Chromium's `GURL` would accept the bytes as a URL. GURL reads them as UTF-8, and an
/// invalid sequence becomes U+FFFD: fatal in a host, escaped in a path. So `http://caf\xE9.test`
/// is invalid and `http://\xC4\x89.test` (UTF-8 for `ĉ`) is a valid IDN, as Chromium 156 shows.
fn is_valid_url(bytes: &[u8]) -> bool {
    url::Url::parse(&String::from_utf8_lossy(bytes)).is_ok()
}
