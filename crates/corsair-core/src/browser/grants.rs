//! What the failing answer did not grant, one grant at a time, for fixes that add to a CORS layer
//! a server already runs instead of replacing it.
//!
//! The browser stops at the first failed check, so its message names one thing; a server whose
//! layer lacks the origin may lack the method too. Each grant is judged here with the browser's
//! own checks ([`check_access`], [`check_preflight`]) on the answer as received, with the other
//! grants supplied, so a fix names everything the request needs and nothing the layer already
//! allows (and never narrows what it allows).
//!
//! ```
//! use corsair_core::browser::{Fetch, Intent, Response, Step, Verdict};
//! use corsair_core::Origin;
//!
//! let intent = Intent::new("https://api.example/items".parse().unwrap(),
//!                          Origin::parse("https://app.example").unwrap())
//!     .method("PUT")
//!     .header("X-Trace", "1");
//! let mut fetch = Fetch::new(intent);
//! let Step::Send(_) = fetch.next() else { unreachable!() };
//! // Express's `cors` with an origin list that lacks the page: methods granted, origin not.
//! fetch.receive(Response::new(204).header("access-control-allow-methods", "GET,HEAD,PUT,PATCH,POST,DELETE")
//!     .header("access-control-allow-headers", "x-trace"));
//! let Step::Done(Verdict::Blocked(b)) = fetch.next() else { unreachable!() };
//! let missing = b.missing_grants();
//! assert!(missing.origin && missing.layer_seen);
//! assert_eq!((missing.method, missing.headers), (None, vec![]));
//! ```

use super::preflight::check_preflight;
use super::response::{check_access, Response};
use super::Blocked;

/// What the answer would have had to grant besides what it did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MissingGrants {
    /// The page's origin is not named (absent, another origin, or `*` where credentials need
    /// the origin itself).
    pub origin: bool,
    /// `Access-Control-Allow-Credentials: true` is missing and the request sends credentials.
    pub credentials: bool,
    /// The preflight's method, when the answer does not allow it.
    pub method: Option<String>,
    /// The request headers the preflight answer does not allow, in the request's order.
    pub headers: Vec<String>,
    /// The answer carries CORS headers (any `Access-Control-*`, or `Vary: Origin`), or a
    /// preflight passed before it: a CORS layer runs, so the fix adds to it rather than
    /// installing one.
    pub layer_seen: bool,
    /// The status of an answer to the request itself that carries no CORS headers although a
    /// preflight passed: something outside the CORS layer made it (an error handler around the
    /// layer, middleware before it), so the fix moves the layer rather than adds to it.
    pub outside_layer: Option<u16>,
}

impl Blocked {
    /// Every grant the failing answer lacks for this request (see the module doc).
    pub fn missing_grants(&self) -> MissingGrants {
        let preflight = self.cors_error().is_some_and(|e| e.is_preflight());
        let needs_method = !crate::method::is_safelisted(&self.method);
        let Some(answer) = &self.response else {
            return MissingGrants {
                origin: true,
                credentials: self.include_credentials,
                method: needs_method.then(|| self.method.clone()),
                headers: self.unsafe_headers.clone(),
                layer_seen: false,
                outside_layer: None,
            };
        };
        let origin = &self.sent_origin;
        let carries = answer.headers.iter().any(|(n, _)| n.to_ascii_lowercase().starts_with("access-control-"))
            || answer.varies_on("origin");
        // An actual request that needed a preflight got here only because one passed.
        let preflighted = !preflight && (needs_method || !self.unsafe_headers.is_empty());
        let layer_seen = carries || preflighted;
        let outside_layer = (preflighted && !carries).then_some(answer.status);
        let include = self.include_credentials;
        // Each judged with the other supplied: the origin as if credentials were allowed, the
        // credentials as if the origin were named.
        let origin_missing =
            check_access(&replaced(answer, "access-control-allow-credentials", "true"), origin, include).is_err();
        let credentials_missing = include
            && check_access(&replaced(answer, "access-control-allow-origin", origin.as_str()), origin, true).is_err();
        // Made outside the layer: the preflight showed what the layer grants, this answer does not.
        let inside = outside_layer.is_none();
        let mut missing = MissingGrants {
            origin: origin_missing && inside,
            credentials: credentials_missing && inside,
            method: None,
            headers: Vec::new(),
            layer_seen,
            outside_layer,
        };
        if !preflight {
            return missing;
        }
        // The preflight's lists, judged as if the origin and credentials were granted.
        let granted = answer
            .clone()
            .without_access_lines()
            .header("access-control-allow-origin", origin.as_str())
            .header("access-control-allow-credentials", "true");
        let granted = Response { status: 204, ..granted };
        let mut ignored = Vec::new();
        if needs_method && check_preflight(&granted, origin, include, &self.method, &[], &mut ignored).is_err() {
            missing.method = Some(self.method.clone());
        }
        for name in &self.unsafe_headers {
            if check_preflight(&granted, origin, include, "GET", std::slice::from_ref(name), &mut ignored).is_err() {
                missing.headers.push(name.clone());
            }
        }
        missing
    }
}

/// `response` with the lines named `name` replaced by one `name: value`.
fn replaced(response: &Response, name: &str, value: &str) -> Response {
    let mut r = response.clone();
    r.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    r.header(name, value)
}

impl Response {
    /// This answer without its `Access-Control-Allow-Origin` and `-Credentials` lines.
    fn without_access_lines(mut self) -> Response {
        self.headers.retain(|(n, _)| {
            !n.eq_ignore_ascii_case("access-control-allow-origin")
                && !n.eq_ignore_ascii_case("access-control-allow-credentials")
        });
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::browser::{Credentials, Fetch, Intent, Step, Verdict};
    use crate::Origin;

    fn blocked(method: &str, headers: &[&str], credentials: Credentials, answer: Response) -> Blocked {
        let mut intent =
            Intent::new("https://api.test/x".parse().unwrap(), Origin::parse("http://localhost:5173").unwrap())
                .method(method)
                .credentials(credentials);
        for h in headers {
            intent = intent.header(h, "1");
        }
        let mut f = Fetch::new(intent);
        let Step::Send(_) = f.next() else { panic!() };
        f.receive(answer);
        match f.next() {
            Step::Done(Verdict::Blocked(b)) => b,
            Step::Send(_) => {
                f.receive(Response::new(200));
                match f.next() {
                    Step::Done(Verdict::Blocked(b)) => b,
                    other => panic!("{other:?}"),
                }
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn no_cors_headers_at_all_means_no_layer_and_everything_missing() {
        let b = blocked("PUT", &["X-Trace"], Credentials::Include, Response::new(404));
        let m = b.missing_grants();
        assert_eq!(
            m,
            MissingGrants {
                origin: true,
                credentials: true,
                method: Some("PUT".into()),
                headers: vec!["x-trace".into()],
                layer_seen: false,
                outside_layer: None,
            }
        );
    }

    #[test]
    fn a_granted_method_and_header_are_not_asked_for_again() {
        let answer = Response::new(204)
            .header("vary", "Origin")
            .header("access-control-allow-methods", "GET,PUT")
            .header("access-control-allow-headers", "content-type");
        let m = blocked("PUT", &["X-Trace", "Content-Type"], Credentials::SameOrigin, answer).missing_grants();
        assert!(m.origin && !m.credentials && m.layer_seen);
        assert_eq!(m.method, None);
        assert_eq!(m.headers, ["x-trace"]);
    }

    #[test]
    fn a_star_answer_to_a_credentialed_request_lacks_the_origin_and_credentials() {
        let answer = Response::new(200).header("access-control-allow-origin", "*");
        let m = blocked("GET", &[], Credentials::Include, answer).missing_grants();
        assert!(m.origin && m.credentials);
    }

    #[test]
    fn the_named_origin_without_the_credentials_line_lacks_only_credentials() {
        let answer = Response::new(200).header("access-control-allow-origin", "http://localhost:5173");
        let m = blocked("GET", &[], Credentials::Include, answer).missing_grants();
        assert!(!m.origin && m.credentials);
    }

    #[test]
    fn a_layer_that_allows_credentials_but_not_this_origin_lacks_only_the_origin() {
        // Express's cors({ origin: [others], credentials: true }) to an unlisted origin.
        let answer = Response::new(200).header("vary", "Origin").header("access-control-allow-credentials", "true");
        let m = blocked("GET", &[], Credentials::Include, answer).missing_grants();
        assert!(m.origin && !m.credentials && m.layer_seen);
    }

    #[test]
    fn an_error_without_headers_after_a_passed_preflight_was_made_outside_the_layer() {
        let preflight = Response::new(204)
            .header("access-control-allow-origin", "http://localhost:5173")
            .header("access-control-allow-methods", "PUT");
        let mut intent =
            Intent::new("https://api.test/x".parse().unwrap(), Origin::parse("http://localhost:5173").unwrap())
                .method("PUT");
        intent = intent.header("Content-Type", "application/json");
        let mut f = Fetch::new(intent);
        let Step::Send(_) = f.next() else { panic!() };
        f.receive(preflight.header("access-control-allow-headers", "content-type"));
        let Step::Send(_) = f.next() else { panic!() };
        f.receive(Response::new(500));
        let Step::Done(Verdict::Blocked(b)) = f.next() else { panic!() };
        let m = b.missing_grants();
        assert!(m.layer_seen && !m.origin, "the preflight showed the origin is granted");
        assert_eq!(m.outside_layer, Some(500));
    }

    #[test]
    fn a_star_answer_without_credentials_keeps_the_origin_and_lacks_the_method() {
        let answer = Response::new(204).header("access-control-allow-origin", "*");
        let m = blocked("PURGE", &[], Credentials::SameOrigin, answer).missing_grants();
        assert!(!m.origin);
        assert_eq!(m.method.as_deref(), Some("PURGE"));
    }
}
