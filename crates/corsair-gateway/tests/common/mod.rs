//! Shared by the gateway's socket tests: start a gateway from TOML text on a loopback port, and
//! a plain HTTP/1.1 or HTTP/2 client to talk to it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use corsair_gateway::{config, Control, Flags, Server, Source};
use corsair_testkit::{Recorded, Reply, Script};
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;

/// A running gateway.
pub struct Gateway {
    pub addr: SocketAddr,
    pub control: Control,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Gateway {
    /// `http://ADDR`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// Parses `text` as a config file (listening on a free loopback port unless it says where).
pub fn config(text: &str, flags: &Flags) -> corsair_gateway::Config {
    let source = Source { name: "test.toml".into(), text: text.into(), dir: PathBuf::new() };
    let flags = Flags { listen: flags.listen.clone().or(Some("127.0.0.1:0".into())), ..flags.clone() };
    config::load(&source, &flags, |_| None).unwrap_or_else(|e| panic!("test config has errors:\n{e}"))
}

/// Starts a gateway from config text.
pub async fn start(text: &str) -> Gateway {
    start_with(text, &Flags::default()).await
}

/// Starts a gateway from config text and flags.
pub async fn start_with(text: &str, flags: &Flags) -> Gateway {
    let server = Server::bind(config(text, flags)).await.expect("the gateway binds a loopback port");
    let addr = server.local_addr();
    assert!(addr.ip().is_loopback());
    let control = server.control();
    let task = tokio::spawn(server.serve());
    Gateway { addr, control, task }
}

/// A script that answers every request with `reply`.
pub fn always(reply: Reply) -> Script {
    Arc::new(move |_: &Recorded| reply.clone())
}

/// A response as the client saw it.
#[derive(Debug)]
pub struct Got {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub version: http::Version,
}

impl Got {
    /// A header's only value as text; panics if it is repeated.
    pub fn one(&self, name: &str) -> Option<String> {
        let mut all = self.headers.get_all(name).iter();
        let first = all.next().map(|v| v.to_str().unwrap().to_owned());
        assert!(all.next().is_none(), "{name} appears more than once: {:?}", self.headers);
        first
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one request over a new HTTP/1.1 connection to `addr`.
pub async fn send(addr: SocketAddr, request: Request<Full<Bytes>>) -> Got {
    let tcp = TcpStream::connect(addr).await.expect("connect to the gateway");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await.expect("handshake");
    tokio::spawn(conn);
    collect(sender.send_request(request).await.expect("a response")).await
}

/// Sends one request over a new HTTP/2 connection (prior knowledge) to `addr`.
pub async fn send_h2(addr: SocketAddr, request: Request<Full<Bytes>>) -> Got {
    let tcp = TcpStream::connect(addr).await.expect("connect to the gateway");
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp)).await.expect("h2 handshake");
    tokio::spawn(conn);
    collect(sender.send_request(request).await.expect("a response")).await
}

async fn collect(response: http::Response<hyper::body::Incoming>) -> Got {
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("the whole body").to_bytes();
    Got { status: parts.status, headers: parts.headers, body, version: parts.version }
}

/// A request builder with `Host` set (HTTP/1.1 needs one).
pub fn request(method: &str, addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Request<Full<Bytes>> {
    request_with_body(method, addr, path, headers, Bytes::new())
}

/// A request with a body.
pub fn request_with_body(
    method: &str,
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: Bytes,
) -> Request<Full<Bytes>> {
    let mut b = Request::builder().method(method).uri(format!("http://{addr}{path}"));
    b = b.header("host", addr.to_string());
    for (n, v) in headers {
        b = b.header(*n, *v);
    }
    b.body(Full::new(body)).unwrap()
}

/// The config text of a gateway in front of `upstream` for `https://app.example.com`.
pub fn gateway_toml(upstream: SocketAddr, extra: &str) -> String {
    format!(
        r#"allow_origins = ["https://app.example.com"]
allow_methods = ["GET", "POST", "PUT"]
allow_headers = ["content-type", "x-request-id"]
expose_headers = ["etag"]
max_age = 600
[proxy]
upstream = "http://{upstream}"
{extra}
"#
    )
}

pub const APP: &str = "https://app.example.com";
pub const EVIL: &str = "https://evil.example";

/// Reads an HTTP/1.1 request head (through the blank line) from a raw upstream's socket; `None`
/// when the peer closes first.
pub async fn read_head(s: &mut TcpStream) -> Option<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if s.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    Some(head)
}

/// A hand-written upstream on 127.0.0.1 for what the scripted server cannot do (upgrades, slow
/// answers): for each connection it reads the request head, then hands the socket to `answer`.
pub async fn raw_upstream<F, Fut>(answer: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind((corsair_testkit::loopback(1), 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let answer = answer.clone();
            tokio::spawn(async move {
                if read_head(&mut s).await.is_some() {
                    answer(s).await;
                }
            });
        }
    });
    addr
}
