//! The gateway's own answers: a status and one line of text, and the failures of an upstream
//! exchange mapped to them (`502`, `504`, `403` for the SSRF guard, `413`). Both request paths
//! answer with these, and the CORS headers of the request go on them as on any answer.

use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};

use crate::body::ProxyBody;
use crate::connect::ConnectError;
use crate::metrics::UpstreamError;
use crate::observe::{GatewayRefusal, Outcome};
use crate::upstream::ClientError;

/// The gateway's own answer: a status and one line of text.
pub fn answer(status: StatusCode, text: impl Into<String>) -> Response<ProxyBody> {
    let mut text = text.into();
    text.push('\n');
    let mut response = Response::new(ProxyBody::text(Bytes::from(text)));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// The gateway's own answer, refusing for `why`.
pub(crate) fn refuse(
    status: StatusCode,
    why: GatewayRefusal,
    text: impl Into<String>,
) -> (Response<ProxyBody>, Outcome) {
    (answer(status, text), Outcome { upstream: None, refused: Some(why) })
}

/// The answer to a request whose upstream did not answer within `limit`.
pub fn timed_out(limit: Duration, elapsed: Duration) -> (Response<ProxyBody>, Outcome) {
    (
        answer(StatusCode::GATEWAY_TIMEOUT, format!("the upstream did not answer within {} s", limit.as_secs())),
        Outcome { upstream: Some(elapsed), refused: Some(GatewayRefusal::Timeout) },
    )
}

/// The answer to a request whose upstream broke the exchange (`why` says how).
pub fn broken(why: &dyn std::fmt::Display, elapsed: Duration) -> (Response<ProxyBody>, Outcome) {
    let (response, mut outcome) =
        refuse(StatusCode::BAD_GATEWAY, GatewayRefusal::Upstream(UpstreamError::Refused), why.to_string());
    outcome.upstream = Some(elapsed);
    (response, outcome)
}

/// An error of the upstream client as the gateway's answer.
pub fn failure(error: &ClientError, elapsed: Duration) -> (Response<ProxyBody>, Outcome) {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(c) = e.downcast_ref::<ConnectError>() {
            return match c {
                ConnectError::Refused(_) => refuse(
                    StatusCode::FORBIDDEN,
                    GatewayRefusal::Egress,
                    format!("{c}; this proxy only reaches public addresses (see egress_allow)"),
                ),
                ConnectError::Timeout(_) => {
                    refuse(StatusCode::GATEWAY_TIMEOUT, GatewayRefusal::Timeout, format!("upstream unreachable: {c}"))
                }
                ConnectError::Tls(_) => refuse(
                    StatusCode::BAD_GATEWAY,
                    GatewayRefusal::Upstream(UpstreamError::Tls),
                    format!("upstream unreachable: {c}"),
                ),
                ConnectError::Connect(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => refuse(
                    StatusCode::BAD_GATEWAY,
                    GatewayRefusal::Upstream(UpstreamError::Refused),
                    format!("upstream unreachable: {c}"),
                ),
                _ => refuse(
                    StatusCode::BAD_GATEWAY,
                    GatewayRefusal::Upstream(UpstreamError::Connect),
                    format!("upstream unreachable: {c}"),
                ),
            };
        }
        if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                GatewayRefusal::BodyTooLarge,
                "the request body is larger than this proxy's limit",
            );
        }
        source = e.source();
    }
    // The client's own body failed (a malformed chunk, or the client went away): its fault, not
    // the upstream's.
    if let ClientError::Send(e) = error {
        if e.is_user() {
            return refuse(
                StatusCode::BAD_REQUEST,
                GatewayRefusal::RequestBody,
                "the request body is malformed or cut off",
            );
        }
    }
    broken(&format_args!("the upstream broke the exchange: {error}"), elapsed)
}
