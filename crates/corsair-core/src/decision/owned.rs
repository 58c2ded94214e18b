//! [`CorsHeaders`]: a decision's headers, owned, for a response that does not exist yet.

use http::header::{self, HeaderMap, HeaderValue};

use super::{remove_cors_headers, AllowHeaders, Decision, ALLOW_PRIVATE_NETWORK};
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

    /// Does what [`Decision::apply_to`] does: removes the CORS headers already in `response`,
    /// sets these (in the same order), and merges `Vary`.
    pub fn apply_to(self, response: &mut HeaderMap) {
        remove_cors_headers(response);
        let true_ = || HeaderValue::from_static("true");
        if let Some(v) = self.allow_origin {
            response.append(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
        }
        if self.allow_credentials {
            response.append(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, true_());
        }
        if let Some(v) = self.allow_methods {
            response.append(header::ACCESS_CONTROL_ALLOW_METHODS, v);
        }
        if let Some(v) = self.expose_headers {
            response.append(header::ACCESS_CONTROL_EXPOSE_HEADERS, v);
        }
        if let Some(v) = self.max_age {
            response.append(header::ACCESS_CONTROL_MAX_AGE, v);
        }
        if self.allow_private_network {
            response.append(ALLOW_PRIVATE_NETWORK, true_());
        }
        for v in self.allow_headers.into_iter().chain(self.more_allow_headers) {
            response.append(header::ACCESS_CONTROL_ALLOW_HEADERS, v);
        }
        self.vary.merge_into(response);
    }
}
