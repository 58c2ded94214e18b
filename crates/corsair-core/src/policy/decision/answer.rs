//! The answers a server makes itself ([`Action::Respond`]): header maps built from blocks
//! prepared with the policy.
//!
//! Every line of an allowed preflight's answer but the value of `Access-Control-Allow-Origin`
//! depends only on the policy, and a refusal's answer is its `Vary` line alone, so
//! [`PolicyBuilder::build`](crate::PolicyBuilder::build) writes those answers once, a block per
//! shape (allowed with and without `Access-Control-Allow-Headers`, refused preflight, refused
//! actual request). Answering is then a clone of a block (the map's two allocations and a copy of
//! its lines) and at most one value set, instead of hashing and inserting every line. Other
//! answers (echoed methods or headers, Private Network Access) are rare and built line by line.

use http::header::{self, HeaderMap};

use super::{Action, AllowHeaders, Decision, RequestKind};
use crate::policy::{MethodRule, Policy};

/// The prebuilt answers of one policy.
#[derive(Clone, Debug, Default)]
pub(crate) struct AnswerBlocks {
    /// An allowed preflight that asked for no header.
    without_headers: Option<HeaderMap>,
    /// An allowed preflight whose headers got the policy's `Access-Control-Allow-Headers` value.
    with_headers: Option<HeaderMap>,
    /// A refused preflight, and a refused actual request: `Vary` alone.
    refused: [HeaderMap; 2],
}

impl AnswerBlocks {
    /// The blocks of `policy`, made by the same code that decides requests; the value of
    /// `Access-Control-Allow-Origin` in them is a placeholder.
    pub(crate) fn new(policy: &Policy) -> AnswerBlocks {
        let lines = |d: Decision<'_>| {
            let mut map = HeaderMap::with_capacity(d.line_count());
            d.apply_to(&mut map);
            map
        };
        let refused = |kind| {
            let mut d = policy.blank(kind);
            if kind == RequestKind::Preflight {
                d.vary = policy.preflight_vary();
            }
            lines(d)
        };
        let refused = [refused(RequestKind::Preflight), refused(RequestKind::Actual)];
        // No allowed block where the server does not answer preflights, or where the answer's
        // methods line echoes the request's (a credentialed `*` of methods).
        let echoes_methods = matches!(policy.methods, MethodRule::Any) && policy.credentials;
        if policy.forward_preflights || echoes_methods {
            return AnswerBlocks { refused, ..AnswerBlocks::default() };
        }
        let allowed = |allow_headers| {
            let mut d = policy.blank(RequestKind::Preflight);
            d.vary = policy.preflight_vary();
            d.allow_methods = policy.values.allow_methods.as_ref();
            d.allow_headers = allow_headers;
            policy.allow(&mut d, &policy.values.star);
            lines(d)
        };
        AnswerBlocks {
            without_headers: Some(allowed(AllowHeaders::None)),
            with_headers: policy.values.allow_headers.as_ref().map(|v| allowed(AllowHeaders::Value(v))),
            refused,
        }
    }

    /// The block of a refused request the server answers: its `Vary` line alone.
    pub(crate) fn refused(&self, kind: RequestKind) -> &HeaderMap {
        &self.refused[usize::from(kind != RequestKind::Preflight)]
    }

    /// The block holding exactly `d`'s lines (but the origin's value), if `d` is an allowed
    /// preflight the server answers, without echoed headers or Private Network Access. Every
    /// other value of such a decision is the policy's own (`Policy::allow` and `check_preflight`
    /// set nothing else; a policy that echoes methods has no allowed blocks), which the blocks
    /// were written from.
    pub(crate) fn block_for(&self, d: &Decision<'_>) -> Option<&HeaderMap> {
        let answered = matches!(d.action, Action::Respond(_));
        if d.kind != RequestKind::Preflight || d.refusal.is_some() || !answered || d.allow_private_network.is_some() {
            return None;
        }
        match d.allow_headers {
            AllowHeaders::None => self.without_headers.as_ref(),
            AllowHeaders::Value(_) => self.with_headers.as_ref(),
            AllowHeaders::Echo(_) => None,
        }
    }
}

impl Decision<'_> {
    /// The headers of the server's own answer ([`Action::Respond`]): what [`Decision::apply_to`]
    /// sets on an empty map.
    ///
    /// The answer to an allowed preflight or to a refusal is a clone of a block the policy
    /// prepared when it was built (with the origin's value set): the map's own two allocations
    /// and a copy, instead of a hash-and-insert per line. The map has no spare room, so a line
    /// added afterwards (a debug header, say) grows it.
    ///
    /// ```
    /// use corsair_core::Policy;
    /// use http::{HeaderMap, HeaderValue, Method};
    ///
    /// let policy = Policy::builder().allow_origin("https://app.example.com").allow_methods(["PUT"]).build().unwrap();
    /// let mut request = HeaderMap::new();
    /// request.insert("origin", HeaderValue::from_static("https://app.example.com"));
    /// request.insert("access-control-request-method", HeaderValue::from_static("PUT"));
    /// let decision = policy.decide((&Method::OPTIONS, &request));
    ///
    /// let answer = decision.answer_headers();
    /// assert_eq!(answer["access-control-allow-origin"], "https://app.example.com");
    /// assert_eq!(answer["access-control-allow-methods"], "PUT");
    /// let mut by_lines = HeaderMap::new();
    /// decision.apply_to(&mut by_lines);
    /// assert_eq!(answer, by_lines);
    /// ```
    pub fn answer_headers(&self) -> HeaderMap {
        if let Some(block) = self.answer {
            let mut map = block.clone();
            if let Some(acao) = self.allow_origin {
                // Blocks start with `Access-Control-Allow-Origin` (the first line `apply_to`
                // writes), and `http` walks a map in insertion order: the first line is the slot,
                // found without hashing. Looked up if a map ever orders its lines otherwise.
                match map.iter_mut().next() {
                    Some((name, slot)) if name == header::ACCESS_CONTROL_ALLOW_ORIGIN => slot.clone_from(acao),
                    _ => {
                        if let Some(slot) = map.get_mut(header::ACCESS_CONTROL_ALLOW_ORIGIN) {
                            slot.clone_from(acao);
                        }
                    }
                }
            }
            return map;
        }
        let mut map = HeaderMap::with_capacity(self.line_count());
        self.apply_to(&mut map);
        map
    }

    /// How many lines [`Decision::apply_to`] adds to an empty map: [`Decision::headers`], and
    /// one `Vary` line.
    fn line_count(&self) -> usize {
        self.headers().count() + usize::from(!self.vary.is_empty())
    }
}
