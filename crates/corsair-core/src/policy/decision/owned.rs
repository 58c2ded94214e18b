//! [`CorsHeaders`]: a decision's headers, owned, for a response that does not exist yet.

use http::header::{self, HeaderMap, HeaderName, HeaderValue};

use super::{response_lines, write_response_lines, AllowHeaders, Decision};
use crate::vary::Vary;

/// The headers of a [`Decision`], owned: what a server keeps while the request it decided on
/// goes on to the application, to put on the response when it comes back.
///
/// Making one allocates nothing: the values are clones of the policy's precomputed values or of
/// the request's own header values (reference-counted bytes), and `true` is a flag. The one
/// exception is rare: a preflight under a credentialed `*` of request headers echoes each
/// `Access-Control-Request-Headers` line, and the lines after the first go in a `Vec`.
///
/// ```
/// use corsair_core::Policy;
/// use http::{HeaderMap, HeaderValue, Method};
///
/// let policy = Policy::builder().allow_origin("https://app.example.com").build().unwrap();
/// let mut request = HeaderMap::new();
/// request.insert("origin", HeaderValue::from_static("https://app.example.com"));
/// let cors = policy.decide((&Method::GET, &request)).to_headers();
/// drop(request); // the request is gone (to the application); the headers stay
///
/// let mut response = HeaderMap::new();
/// response.insert("access-control-allow-origin", HeaderValue::from_static("*"));
/// cors.apply_to(&mut response);
/// assert_eq!(response["access-control-allow-origin"], "https://app.example.com");
/// assert_eq!(response.get_all("access-control-allow-origin").iter().count(), 1);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CorsHeaders {
    allow_origin: Option<HeaderValue>,
    allow_credentials: bool,
    allow_methods: Option<HeaderValue>,
    expose_headers: Option<HeaderValue>,
    max_age: Option<HeaderValue>,
    allow_private_network: bool,
    allow_headers: Option<HeaderValue>,
    /// `Access-Control-Allow-Headers` lines after the first (a credentialed `*` echoing several
    /// request lines); empty, and so unallocated, otherwise.
    more_allow_headers: Vec<HeaderValue>,
    vary: Vary,
}

/// `true`, the one value of the credentials and private-network lines.
static TRUE: HeaderValue = HeaderValue::from_static("true");

impl Decision<'_> {
    /// An owned copy of [`Decision::headers`] and [`Decision::vary`].
    pub fn to_headers(&self) -> CorsHeaders {
        let (allow_headers, more_allow_headers) = match self.allow_headers {
            AllowHeaders::None => (None, Vec::new()),
            AllowHeaders::Value(v) => (Some(v.clone()), Vec::new()),
            AllowHeaders::Echo(request) => {
                let mut lines = request.get_all(header::ACCESS_CONTROL_REQUEST_HEADERS).iter();
                (lines.next().cloned(), lines.cloned().collect())
            }
        };
        CorsHeaders {
            allow_origin: self.allow_origin.cloned(),
            allow_credentials: self.allow_credentials.is_some(),
            allow_methods: self.allow_methods.cloned(),
            expose_headers: self.expose_headers.cloned(),
            max_age: self.max_age.cloned(),
            allow_private_network: self.allow_private_network.is_some(),
            allow_headers,
            more_allow_headers,
            vary: self.vary,
        }
    }
}

impl CorsHeaders {
    /// The names to merge into `Vary`.
    pub fn vary(&self) -> Vary {
        self.vary
    }

    /// The header lines, in the order [`CorsHeaders::apply_to`] sets them: for shells that
    /// write a response head as bytes (remove the application's CORS lines first, as
    /// [`crate::policy::decision::is_cors_response_header_bytes`] tells, and merge [`CorsHeaders::vary`]).
    pub fn lines(&self) -> impl Iterator<Item = (HeaderName, &HeaderValue)> + '_ {
        let single = [
            self.allow_origin.as_ref(),
            self.allow_credentials.then_some(&TRUE),
            self.allow_methods.as_ref(),
            self.expose_headers.as_ref(),
            self.max_age.as_ref(),
            self.allow_private_network.then_some(&TRUE),
        ];
        response_lines(single, self.allow_headers.iter().chain(&self.more_allow_headers))
    }

    /// Does what [`Decision::apply_to`] does: removes the CORS headers already in `response`,
    /// sets these (in the same order), and merges `Vary`.
    pub fn apply_to(mut self, response: &mut HeaderMap) {
        // The origin comes first in the lines' order; it is moved, the rest cloned (the policy's
        // values are static bytes, so a clone is a copy).
        let origin = self.allow_origin.take();
        write_response_lines(origin, self.lines(), self.vary, response);
    }
}
