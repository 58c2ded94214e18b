//! gRPC-web from browsers: a tonic server (HTTP/1.1 accepted, tonic-web translating) behind the
//! layer, called over a loopback socket the way grpc-web's JavaScript client calls it: a
//! preflight for `POST` with `content-type`, `x-grpc-web` and `x-user-agent`, then the `POST` of
//! an `application/grpc-web+proto` frame. The service is written by hand (a pass-through codec)
//! so the test needs no protobuf code generation.

mod common;

use std::convert::Infallible;
use std::future::{ready, Future, Ready};
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, BufMut, Bytes};
use common::{preflight, send};
use corsair_core::browser::{Credentials, Intent};
use corsair_core::Origin;
use corsair_probe::{Probe, ProbeOptions};
use corsair_tower::{CorsLayer, Policy};
use http::StatusCode;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::Status;

const APP: &str = "http://127.0.0.1:5173";
const HELLO: &str = "/corsair.test.Greeter/Hello";
/// What grpc-web's JavaScript client sends besides `content-type`.
const GRPC_WEB_HEADERS: [(&str, &str); 3] =
    [("content-type", "application/grpc-web+proto"), ("x-grpc-web", "1"), ("x-user-agent", "grpc-web-javascript/0.1")];

/// Messages are raw bytes.
#[derive(Clone, Copy, Default)]
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = RawCodec;
    type Decoder = RawCodec;
    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }
    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Bytes;
    type Error = Status;
    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put(item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Bytes;
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

/// `corsair.test.Greeter`, with one unary method `Hello` answering `hello, NAME`.
#[derive(Clone)]
struct Greeter;

impl NamedService for Greeter {
    const NAME: &'static str = "corsair.test.Greeter";
}

struct Hello;

impl UnaryService<Bytes> for Hello {
    type Response = Bytes;
    type Future = Ready<Result<tonic::Response<Bytes>, Status>>;
    fn call(&mut self, request: tonic::Request<Bytes>) -> Self::Future {
        let mut out = b"hello, ".to_vec();
        out.extend_from_slice(request.get_ref());
        ready(Ok(tonic::Response::new(Bytes::from(out))))
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl tower::Service<http::Request<tonic::body::Body>> for Greeter {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        Box::pin(async move {
            if request.uri().path() == HELLO {
                Ok(Grpc::new(RawCodec).unary(Hello, request).await)
            } else {
                Ok(Status::unimplemented("no such method").into_http())
            }
        })
    }
}

/// The policy a gRPC-web API needs: POST with the three request headers, and the status
/// headers exposed so the client can read errors.
fn grpc_web_policy() -> Policy {
    Policy::builder()
        .allow_origin(APP)
        .allow_methods(["POST"])
        .allow_headers(["content-type", "x-grpc-web", "x-user-agent", "grpc-timeout"])
        .expose_headers(["grpc-status", "grpc-message"])
        .max_age(600)
        .build()
        .unwrap()
}

async fn serve_grpc(cors: CorsLayer) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let incoming = tonic::transport::server::TcpIncoming::from(listener);
    let server = tonic::transport::Server::builder()
        .accept_http1(true)
        .layer(cors)
        .layer(tonic_web::GrpcWebLayer::new())
        .add_service(Greeter)
        .serve_with_incoming(incoming);
    let task = tokio::spawn(async move {
        let _ = server.await;
    });
    (addr, task)
}

/// A gRPC-web data frame: flag 0, big-endian length, message.
fn frame(message: &[u8]) -> String {
    let mut out = vec![0u8];
    out.put_u32(message.len() as u32);
    out.extend_from_slice(message);
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn a_grpc_web_call_from_an_allowed_origin_is_preflighted_and_allowed() {
    let (addr, task) = serve_grpc(CorsLayer::new(grpc_web_policy())).await;

    let p =
        send(addr, "OPTIONS", HELLO, &preflight(APP, "POST", Some("content-type,x-grpc-web,x-user-agent")), "").await;
    assert_eq!(p.status, StatusCode::NO_CONTENT);
    assert_eq!(p.one("access-control-allow-origin"), Some(APP));
    assert_eq!(p.one("access-control-allow-methods"), Some("POST"));
    assert_eq!(p.one("access-control-allow-headers"), Some("content-type,grpc-timeout,x-grpc-web,x-user-agent"));

    let mut headers = vec![("origin", APP)];
    headers.extend(GRPC_WEB_HEADERS);
    let r = send(addr, "POST", HELLO, &headers, &frame(b"corsair")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.one("content-type"), Some("application/grpc-web+proto"));
    assert_eq!(r.one("access-control-allow-origin"), Some(APP));
    assert_eq!(r.one("access-control-expose-headers"), Some("grpc-message,grpc-status"));
    assert_eq!(r.lines("vary"), ["origin"]);
    assert!(r.body.contains("hello, corsair"), "{:?}", r.body);
    assert!(r.body.contains("grpc-status:0"), "the trailer frame: {:?}", r.body);

    // A gRPC error (trailers-only, so grpc-status is a header) is readable by the page.
    let r = send(addr, "POST", "/corsair.test.Greeter/Nope", &headers, &frame(b"x")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.one("grpc-status"), Some("12"));
    assert_eq!(r.one("access-control-allow-origin"), Some(APP));
    task.abort();
}

#[tokio::test]
async fn a_policy_that_forgets_x_grpc_web_refuses_the_preflight_and_says_which_header() {
    let forgetful = Policy::builder()
        .allow_origin(APP)
        .allow_methods(["POST"])
        .allow_headers(["content-type", "x-user-agent"])
        .build()
        .unwrap();
    let (addr, task) = serve_grpc(CorsLayer::new(forgetful).debug(true)).await;
    let p =
        send(addr, "OPTIONS", HELLO, &preflight(APP, "POST", Some("content-type,x-grpc-web,x-user-agent")), "").await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(p.one("corsair-refusal"), Some("header"));
    assert!(p.cors_names().is_empty());
    task.abort();
}

fn grpc_web_intent(addr: SocketAddr, origin: &str) -> Intent {
    let mut intent = Intent::new(format!("http://{addr}{HELLO}").parse().unwrap(), Origin::parse(origin).unwrap())
        .method("POST")
        .credentials(Credentials::Omit);
    for (n, v) in GRPC_WEB_HEADERS {
        intent = intent.header(n, v);
    }
    intent
}

#[tokio::test]
async fn the_browser_model_allows_the_call_from_the_listed_origin_only() {
    let (addr, task) = serve_grpc(CorsLayer::new(grpc_web_policy())).await;
    let probe = Probe::new(ProbeOptions::default()).unwrap();

    let allowed = probe.run(grpc_web_intent(addr, APP)).await;
    assert!(allowed.verdict.is_allowed(), "{:?}", allowed.verdict);
    assert_eq!(allowed.exchanges.len(), 2, "a preflight, then the POST");
    assert_eq!(allowed.exchanges[0].request.method, "OPTIONS");
    assert_eq!(
        allowed.exchanges[0].request.header("access-control-request-headers"),
        Some("content-type,x-grpc-web,x-user-agent")
    );

    // Chromium checks Allow-Origin before the status, so the 403 shows as a missing header.
    let refused = probe.run(grpc_web_intent(addr, "http://127.0.0.3:5173")).await;
    assert!(!refused.verdict.is_allowed());
    assert_eq!(
        refused.verdict.console_message().as_deref(),
        Some(format!(
            "Access to fetch at 'http://{addr}{HELLO}' from origin 'http://127.0.0.3:5173' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource."
        ).as_str())
    );
    task.abort();
}
