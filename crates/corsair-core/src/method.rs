//! Request methods as the Fetch standard treats them.
//!
//! `fetch()` upper-cases only the six standard methods, so `fetch(url, {method: 'patch'})` sends
//! `patch`, and `Access-Control-Allow-Methods: PATCH` does not allow it: method matching in the
//! CORS check is case-sensitive.
//!
//! ```
//! use corsair_core::method;
//! assert_eq!(method::normalize("delete"), "DELETE");
//! assert_eq!(method::normalize("patch"), "patch");
//! assert!(method::is_safelisted("POST") && !method::is_safelisted("post"));
//! ```

use std::borrow::Cow;

use crate::token::is_token;

/// The methods `fetch()` and XHR upper-case (byte-case-insensitively); all others keep their case.
pub const NORMALIZED: [&str; 6] = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"];

/// CORS-safelisted methods: never need a preflight and are always allowed by one.
pub const SAFELISTED: [&str; 3] = ["GET", "HEAD", "POST"];

/// Methods scripts may not use at all; a policy naming them is a mistake.
pub const FORBIDDEN: [&str; 3] = ["CONNECT", "TRACE", "TRACK"];

/// Normalises a method the way `fetch()` does.
pub fn normalize(method: &str) -> Cow<'_, str> {
    match NORMALIZED.iter().find(|m| m.eq_ignore_ascii_case(method)) {
        Some(m) if *m != method => Cow::Borrowed(m),
        _ => Cow::Borrowed(method),
    }
}

/// True for `GET`, `HEAD` and `POST`, compared byte for byte (so `post` is not safelisted).
pub fn is_safelisted(method: &str) -> bool {
    is_safelisted_bytes(method.as_bytes())
}

/// [`is_safelisted`] on raw header bytes (a preflight's `Access-Control-Request-Method`).
pub fn is_safelisted_bytes(method: &[u8]) -> bool {
    SAFELISTED.iter().any(|m| m.as_bytes() == method)
}

/// True for `CONNECT`, `TRACE` and `TRACK` in any case.
pub fn is_forbidden(method: &str) -> bool {
    FORBIDDEN.iter().any(|m| m.eq_ignore_ascii_case(method))
}

/// True if `method` is an HTTP token, the only syntax a method may have.
pub fn is_valid(method: &str) -> bool {
    is_token(method.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_six_standard_methods_are_uppercased_in_any_case() {
        for m in NORMALIZED {
            assert_eq!(normalize(&m.to_lowercase()), m);
            let mixed: String =
                m.chars().enumerate().map(|(i, c)| if i % 2 == 0 { c.to_ascii_lowercase() } else { c }).collect();
            assert_eq!(normalize(&mixed), m);
        }
    }

    #[test]
    fn other_methods_keep_their_case() {
        assert_eq!(normalize("patch"), "patch");
        assert_eq!(normalize("Patch"), "Patch");
        assert_eq!(normalize("PATCH"), "PATCH");
        assert_eq!(normalize("propfind"), "propfind");
    }

    #[test]
    fn safelisted_methods_are_case_sensitive() {
        assert!(is_safelisted("GET") && is_safelisted("HEAD") && is_safelisted("POST"));
        assert!(!is_safelisted("get") && !is_safelisted("PUT") && !is_safelisted("OPTIONS"));
    }

    #[test]
    fn forbidden_methods_in_any_case() {
        for m in ["CONNECT", "connect", "Trace", "track"] {
            assert!(is_forbidden(m), "{m}");
        }
        assert!(!is_forbidden("DELETE"));
    }

    #[test]
    fn methods_must_be_tokens() {
        assert!(is_valid("PATCH") && is_valid("X-CUSTOM") && is_valid("a!#$%&'*+-.^_`|~"));
        for bad in ["", "GET POST", "GET,POST", "GÉT", "A\"B", "(GET)"] {
            assert!(!is_valid(bad), "{bad}");
        }
    }
}
