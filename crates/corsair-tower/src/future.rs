//! The response future of [`Cors`](crate::Cors).

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use corsair_core::{CorsHeaders, RefusalKind};
use http::Response;
use pin_project_lite::pin_project;

use crate::refusal::Marks;

pin_project! {
    /// Resolves to the inner service's response with the policy's CORS headers, or to the
    /// layer's own answer (a preflight, or a refusal with a status).
    pub struct ResponseFuture<F, B> {
        #[pin]
        state: State<F, B>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F, B> {
        /// The inner service is answering; its response gets `cors`, and the marks of a
        /// refusal of that kind if the layer marks refusals.
        Forwarded {
            #[pin]
            future: F,
            cors: Option<(CorsHeaders, Option<(Marks, RefusalKind)>)>,
        },
        /// The layer answered.
        Answered {
            response: Option<Response<B>>,
        },
    }
}

impl<F, B> ResponseFuture<F, B> {
    pub(crate) fn forwarded(future: F, cors: CorsHeaders, refusal: Option<(Marks, RefusalKind)>) -> Self {
        ResponseFuture { state: State::Forwarded { future, cors: Some((cors, refusal)) } }
    }

    pub(crate) fn answered(response: Response<B>) -> Self {
        ResponseFuture { state: State::Answered { response: Some(response) } }
    }
}

impl<F, B, E> Future for ResponseFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Forwarded { future, cors } => {
                let mut response = ready!(future.poll(cx))?;
                if let Some((cors, refusal)) = cors.take() {
                    cors.apply_to(response.headers_mut());
                    if let Some((marks, kind)) = refusal {
                        marks.apply(kind, &mut response);
                    }
                }
                Poll::Ready(Ok(response))
            }
            StateProj::Answered { response } => {
                Poll::Ready(Ok(response.take().expect("ResponseFuture polled after it completed")))
            }
        }
    }
}

impl<F, B> std::fmt::Debug for ResponseFuture<F, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
