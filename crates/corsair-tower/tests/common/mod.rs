//! Shared by the integration tests: serve an axum app on a loopback port, and a plain HTTP/1.1
//! client that shows every header line as received.
#![allow(dead_code)]

use std::net::SocketAddr;

use axum::Router;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

/// A running server; stops when dropped.
pub struct Server {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    /// `http://ADDR`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// Serves `app` on `127.0.0.1:0`.
pub async fn serve(app: Router) -> Server {
    serve_on([127, 0, 0, 1], app).await
}

/// Serves `app` on `ip:0`; `ip` must be loopback.
pub async fn serve_on(ip: [u8; 4], app: Router) -> Server {
    assert_eq!(ip[0], 127, "tests listen on loopback only");
    let listener = TcpListener::bind(SocketAddr::from((ip, 0))).await.expect("bind a loopback port");
    let addr = listener.local_addr().expect("local address");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Server { addr, task }
}

/// A response as received.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    /// Every line of `name`, as text, in order.
    pub fn lines(&self, name: &str) -> Vec<&str> {
        self.headers.get_all(name).iter().map(|v| v.to_str().expect("visible ASCII")).collect()
    }

    /// The only line of `name`, or `None`; panics on repeated lines.
    pub fn one(&self, name: &str) -> Option<&str> {
        let lines = self.lines(name);
        assert!(lines.len() <= 1, "{name} sent {} times: {lines:?}", lines.len());
        lines.first().copied()
    }

    /// The names of the `access-control-*` response headers, sorted.
    pub fn cors_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> =
            self.headers.keys().map(|n| n.as_str()).filter(|n| n.starts_with("access-control-")).collect();
        names.sort();
        names
    }
}

/// Sends one request on a fresh connection to `addr` (loopback).
pub async fn send(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    Client::connect(addr).await.send(method, path, headers, body).await
}

/// One HTTP/1.1 connection, reused for every request sent on it.
pub struct Client {
    addr: SocketAddr,
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
}

impl Client {
    /// Connects to `addr` (loopback).
    pub async fn connect(addr: SocketAddr) -> Client {
        assert!(addr.ip().is_loopback(), "tests send to loopback only");
        let tcp = TcpStream::connect(addr).await.expect("connect");
        let (sender, connection) =
            hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(tcp)).await.expect("handshake");
        tokio::spawn(connection);
        Client { addr, sender }
    }

    /// Sends one request and reads the whole response.
    pub async fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
        let mut request = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).expect("method"))
            .uri(path)
            .header("host", self.addr.to_string())
            .body(Full::new(Bytes::from(body.to_owned())))
            .expect("request");
        for (n, v) in headers {
            request
                .headers_mut()
                .append(HeaderName::from_bytes(n.as_bytes()).expect("name"), HeaderValue::from_str(v).expect("value"));
        }
        self.sender.ready().await.expect("the connection is ready");
        let response = self.sender.send_request(request).await.expect("a response");
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("the body").to_bytes();
        Answer { status: parts.status, headers: parts.headers, body: String::from_utf8_lossy(&body).into_owned() }
    }
}

/// A preflight's headers.
pub fn preflight<'a>(origin: &'a str, method: &'a str, request_headers: Option<&'a str>) -> Vec<(&'a str, &'a str)> {
    let mut h = vec![("origin", origin), ("access-control-request-method", method)];
    if let Some(names) = request_headers {
        h.push(("access-control-request-headers", names));
    }
    h
}
