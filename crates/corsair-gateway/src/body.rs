//! [`ProxyBody`]: the one response body type of the gateway, so upstream bodies stream through
//! without boxing and the gateway's own answers (errors, health, metrics) need no second type.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

use crate::upstream::UpstreamBody;

/// Errors while streaming a body (the upstream's connection broke).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A response body: streamed from an upstream, or a few bytes of the gateway's own.
#[derive(Debug, Default)]
pub enum ProxyBody {
    /// No body (preflight answers, `204`s).
    #[default]
    Empty,
    /// The gateway's own text; `None` once sent.
    Full(Option<Bytes>),
    /// The upstream's body, frame by frame as it arrives (trailers included).
    Upstream(UpstreamBody),
}

impl ProxyBody {
    /// A body of the gateway's own.
    pub fn text(text: impl Into<Bytes>) -> ProxyBody {
        ProxyBody::Full(Some(text.into()))
    }
}

impl Body for ProxyBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.get_mut() {
            ProxyBody::Empty => Poll::Ready(None),
            ProxyBody::Full(data) => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
            ProxyBody::Upstream(body) => Pin::new(body).poll_frame(cx).map_err(Into::into),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ProxyBody::Empty => true,
            ProxyBody::Full(data) => data.is_none(),
            ProxyBody::Upstream(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ProxyBody::Empty => SizeHint::with_exact(0),
            ProxyBody::Full(data) => SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64)),
            ProxyBody::Upstream(body) => body.size_hint(),
        }
    }
}
