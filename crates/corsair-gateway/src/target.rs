//! The upstream URL of an open-proxy request: `GET /https://api.example.com/items?x=1`.
//!
//! Strict on purpose: only absolute `http` and `https` URLs, no user name or password (the open
//! proxy never forwards credentials), and a host. Front proxies that merge slashes turn
//! `/https://host` into `/https:/host`; that one damage is repaired, nothing else is guessed.
//!
//! ```
//! use corsair_gateway::fuzzing::target::{parse, TargetError};
//!
//! let url = parse("/https://api.example.com/items?x=1").unwrap();
//! assert_eq!(url.as_str(), "https://api.example.com/items?x=1");
//! assert_eq!(parse("/https:/api.example.com/").unwrap().host_str(), Some("api.example.com"));
//! assert!(matches!(parse("/ftp://files.example.com/"), Err(TargetError::Scheme(_))));
//! ```

use std::fmt;

use url::Url;

/// Why a path does not name an upstream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetError {
    /// Nothing after `/`.
    Empty,
    /// No `http://` or `https://` in front.
    NoScheme(String),
    /// A scheme other than http and https.
    Scheme(String),
    /// Not a URL.
    Invalid(String),
    /// A user name or password in the URL.
    Credentials,
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetError::Empty => f.write_str("no target: request /https://api.example.com/path through this proxy"),
            TargetError::NoScheme(t) => write!(f, "`{t}` has no scheme: write /https://{t}"),
            TargetError::Scheme(s) => write!(f, "scheme `{s}` is not proxied: only http and https"),
            TargetError::Invalid(e) => write!(f, "not a URL: {e}"),
            TargetError::Credentials => f.write_str("user names and passwords in target URLs are not forwarded"),
        }
    }
}

impl std::error::Error for TargetError {}

/// Reads the target URL from a request's path and query (which starts with `/`).
pub fn parse(path_and_query: &str) -> Result<Url, TargetError> {
    let raw = path_and_query.strip_prefix('/').unwrap_or(path_and_query);
    if raw.is_empty() {
        return Err(TargetError::Empty);
    }
    let Some(colon) = raw.find(':') else {
        return Err(TargetError::NoScheme(raw.chars().take(200).collect()));
    };
    let scheme = raw[..colon].to_ascii_lowercase();
    if !scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) || scheme.is_empty() {
        return Err(TargetError::NoScheme(raw.chars().take(200).collect()));
    }
    if scheme != "http" && scheme != "https" {
        return Err(TargetError::Scheme(scheme));
    }
    let rest = &raw[colon + 1..];
    // `https:/host` (slashes merged by a front proxy) -> `https://host`.
    let repaired = match rest.strip_prefix("//") {
        Some(_) => raw.to_owned(),
        None => format!("{scheme}://{}", rest.trim_start_matches('/')),
    };
    let mut url = Url::parse(&repaired).map_err(|e| TargetError::Invalid(e.to_string()))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(TargetError::Credentials);
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(TargetError::Invalid("no host".to_owned()));
    }
    url.set_fragment(None);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_http_and_https_urls_pass_with_query() {
        assert_eq!(parse("/http://127.0.0.1:8080/a/b?c=d&e").unwrap().as_str(), "http://127.0.0.1:8080/a/b?c=d&e");
        assert_eq!(parse("/HTTPS://API.example.com").unwrap().as_str(), "https://api.example.com/");
    }

    #[test]
    fn merged_slashes_are_repaired() {
        assert_eq!(parse("/https:/api.example.com/x").unwrap().as_str(), "https://api.example.com/x");
        assert_eq!(parse("/http:api.example.com").unwrap().as_str(), "http://api.example.com/");
    }

    #[test]
    fn other_schemes_and_missing_schemes_are_refused() {
        assert_eq!(parse("/ftp://x.example/"), Err(TargetError::Scheme("ftp".into())));
        assert_eq!(parse("/file:///etc/passwd"), Err(TargetError::Scheme("file".into())));
        assert_eq!(parse("/gopher://x.example/"), Err(TargetError::Scheme("gopher".into())));
        assert_eq!(parse("/api.example.com/x"), Err(TargetError::NoScheme("api.example.com/x".into())));
        assert!(parse("/favicon.ico").is_err());
        assert_eq!(parse("/"), Err(TargetError::Empty));
        assert_eq!(parse(""), Err(TargetError::Empty));
    }

    #[test]
    fn credentials_and_broken_urls_are_refused() {
        assert_eq!(parse("/https://user:pw@api.example.com/"), Err(TargetError::Credentials));
        assert_eq!(parse("/https://user@api.example.com/"), Err(TargetError::Credentials));
        assert!(matches!(parse("/http://api.example.com:99999/"), Err(TargetError::Invalid(_))));
        assert!(matches!(parse("/http://"), Err(TargetError::Invalid(_))));
        assert!(matches!(parse("/http://[::1/"), Err(TargetError::Invalid(_))));
    }

    #[test]
    fn fragments_are_dropped() {
        assert_eq!(parse("/https://a.example/x#frag").unwrap().as_str(), "https://a.example/x");
    }
}
