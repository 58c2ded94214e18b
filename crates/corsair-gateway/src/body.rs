//! The gateway's body types: [`RequestBody`] as it goes upstream, [`ProxyBody`] as the answer
//! goes to the client. One response body type, so upstream bodies stream through without boxing
//! and the gateway's own answers (errors, health, metrics) need no second type.
//!
//! A leaf: an upstream body that ends hands its HTTP/1.1 connection to whatever [`Recycle`]
//! the pool gave it, so this module needs nothing of the pool's.

use std::pin::Pin;
use std::task::{Context, Poll};

use std::fmt;
use std::sync::Arc;
use std::task::ready;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::Limited;
use hyper::body::Incoming;
use hyper::client::conn::http1;

/// Request bodies as sent upstream: streamed, cut off at the body limit.
pub type RequestBody = Limited<Incoming>;

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

/// Where an HTTP/1.1 upstream connection goes once the response it carried has ended: the pool.
/// A trait, so this module needs nothing of the pool's, and an `Arc` made once per connection,
/// so handing a connection back allocates nothing per request.
pub trait Recycle: Send + Sync {
    /// Takes back `sender`, whose last response has been read to its end.
    fn recycle(self: Arc<Self>, sender: http1::SendRequest<RequestBody>);
}

/// An upstream's response body, streamed; reading it to the end puts its HTTP/1.1 connection
/// back in the pool.
pub struct UpstreamBody {
    body: Incoming,
    back: Option<(Arc<dyn Recycle>, http1::SendRequest<RequestBody>)>,
}

impl UpstreamBody {
    /// `body`, whose connection goes back through `back` when it ends (at once if it has ended
    /// already); `None` for a connection that is not reused (HTTP/2, a `101`).
    pub(crate) fn new(body: Incoming, back: Option<(Arc<dyn Recycle>, http1::SendRequest<RequestBody>)>) -> Self {
        let mut body = UpstreamBody { body, back };
        if body.body.is_end_stream() {
            body.give_back();
        }
        body
    }

    fn give_back(&mut self) {
        if let Some((pool, sender)) = self.back.take() {
            pool.recycle(sender);
        }
    }
}

impl fmt::Debug for UpstreamBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpstreamBody").field("body", &self.body).field("pooled", &self.back.is_some()).finish()
    }
}

impl Body for UpstreamBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        let frame = ready!(Pin::new(&mut this.body).poll_frame(cx));
        let ended = match &frame {
            None => true,
            Some(Ok(_)) => this.body.is_end_stream(),
            // A broken body leaves the connection in no state to reuse: it goes with the body.
            Some(Err(_)) => {
                this.back = None;
                false
            }
        };
        if ended {
            this.give_back();
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
