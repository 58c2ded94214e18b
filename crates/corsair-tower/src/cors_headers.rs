//! The CORS headers of one decision, owned, so they outlive the request they were decided on.
//!
//! [`Decision`] borrows the request, which the service must move into the inner service before
//! the response exists. [`CorsHeaders`] copies the few lines the decision sets into a fixed-size
//! inline array: the values are clones of precomputed policy values or of the request's own
//! header values, reference-counted `Bytes`, so copying allocates nothing.

use corsair_core::decision::CORS_RESPONSE_HEADERS;
use corsair_core::{Decision, Vary};
use http::header::{HeaderMap, HeaderName, HeaderValue};

use crate::refusal::REFUSAL_HEADER;

/// Lines a decision sets, at most: Allow-Origin, -Credentials, -Methods, -Headers,
/// Expose-Headers, Max-Age, Allow-Private-Network. (No decision sets all of them: Expose goes on
/// actual requests, Methods, Max-Age and Private-Network on preflights.)
const INLINE: usize = 7;

/// The headers to put on the inner service's response, and the `Vary` names to merge.
#[derive(Clone, Debug, Default)]
pub(crate) struct CorsHeaders {
    lines: [Option<(HeaderName, HeaderValue)>; INLINE],
    /// Lines beyond [`INLINE`]. Only a forwarded preflight under a credentialed `*` of request
    /// headers gets here: the policy echoes each `Access-Control-Request-Headers` line, and a
    /// request may send several. That rare path allocates; every other one leaves this empty
    /// (an empty `Vec` owns no memory).
    overflow: Vec<(HeaderName, HeaderValue)>,
    vary: Vary,
    /// `corsair-refusal`'s value, in debug mode, for a refused request.
    refusal: Option<&'static str>,
}

impl CorsHeaders {
    /// Copies what `decision` sets; with `debug`, also the refusal kind.
    pub(crate) fn of(decision: &Decision<'_>, debug: bool) -> CorsHeaders {
        let mut out = CorsHeaders {
            vary: decision.vary(),
            refusal: debug.then(|| decision.refusal().map(|r| r.kind())).flatten(),
            ..CorsHeaders::default()
        };
        for (i, (name, value)) in decision.headers().enumerate() {
            let line = (name, value.clone());
            match out.lines.get_mut(i) {
                Some(slot) => *slot = Some(line),
                None => out.overflow.push(line),
            }
        }
        out
    }

    /// Does to `headers` what [`Decision::apply_to`] does: removes the CORS headers already
    /// there, sets ours, merges `Vary` (appending missing names, never duplicating); then sets
    /// the debug header, if any.
    pub(crate) fn apply_to(self, headers: &mut HeaderMap) {
        for name in CORS_RESPONSE_HEADERS {
            headers.remove(name);
        }
        for (name, value) in self.lines.into_iter().flatten().chain(self.overflow) {
            headers.append(name, value);
        }
        self.vary.merge_into(headers);
        if let Some(kind) = self.refusal {
            headers.insert(REFUSAL_HEADER, HeaderValue::from_static(kind));
        }
    }
}

#[cfg(test)]
mod tests;
