//! The upstream pool over real loopback sockets: connections are reused once a response has
//! been read to its end (with or without a body), a burst opens no more connections than it has
//! requests in flight, and an upstream that closes every connection after one answer costs no
//! request.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{gateway_toml, read_head, request, send, start, APP};
use corsair_gateway::Flags;
use tokio::io::AsyncWriteExt;

/// The request heads an upstream read after each connection's first.
type Heads = Arc<std::sync::Mutex<Vec<String>>>;

/// An upstream that answers every request of a connection, alternating a body and a `204`,
/// until the client closes it; counts connections and keeps each request head.
async fn keep_alive_upstream(
    connections: Arc<AtomicUsize>,
    heads: Arc<std::sync::Mutex<Vec<String>>>,
) -> std::net::SocketAddr {
    common::raw_upstream(move |mut s| {
        let (connections, heads) = (connections.clone(), heads.clone());
        async move {
            connections.fetch_add(1, Ordering::SeqCst);
            let mut n = 0usize;
            loop {
                // raw_upstream has read this connection's first head; later ones are read here.
                let answer: &[u8] = if n % 2 == 0 {
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n[]"
                } else {
                    b"HTTP/1.1 204 No Content\r\n\r\n"
                };
                if s.write_all(answer).await.is_err() {
                    return;
                }
                n += 1;
                match read_head(&mut s).await {
                    Some(head) => heads.lock().unwrap().push(String::from_utf8_lossy(&head).into_owned()),
                    None => return,
                }
            }
        }
    })
    .await
}

#[tokio::test]
async fn sequential_requests_reuse_one_upstream_connection() {
    let (connections, heads) = (Arc::new(AtomicUsize::new(0)), Heads::default());
    let upstream = keep_alive_upstream(connections.clone(), heads.clone()).await;
    let gw = start(&gateway_toml(upstream, "")).await;
    for i in 0..20 {
        let got = send(gw.addr, request("GET", gw.addr, "/items?page=2", &[("origin", APP)])).await;
        let expected = if i % 2 == 0 { 200 } else { 204 };
        assert_eq!(got.status.as_u16(), expected, "request {i}: {got:?}");
        assert_eq!(got.one("access-control-allow-origin").as_deref(), Some(APP), "request {i}");
        if expected == 200 {
            assert_eq!(got.text(), "[]");
        }
    }
    assert_eq!(connections.load(Ordering::SeqCst), 1, "every request after the first reused the connection");
    let heads = heads.lock().unwrap();
    assert_eq!(heads.len(), 19);
    for head in heads.iter() {
        let head = head.to_lowercase();
        assert!(head.starts_with("get /items?page=2 http/1.1\r\n"), "origin-form target: {head}");
        assert!(head.contains(&format!("\r\nhost: {upstream}\r\n")), "the upstream's Host: {head}");
    }
}

#[tokio::test]
async fn concurrent_requests_open_no_more_connections_than_are_in_flight() {
    let (connections, heads) = (Arc::new(AtomicUsize::new(0)), Heads::default());
    let upstream = keep_alive_upstream(connections.clone(), heads).await;
    let gw = start(&gateway_toml(upstream, "")).await;
    let clients: Vec<_> = (0..8)
        .map(|_| {
            tokio::spawn(async move {
                for _ in 0..10 {
                    let got = send(gw.addr, request("GET", gw.addr, "/", &[("origin", APP)])).await;
                    assert!(got.status.is_success(), "{got:?}");
                }
            })
        })
        .collect();
    for c in clients {
        c.await.unwrap();
    }
    let opened = connections.load(Ordering::SeqCst);
    assert!((1..=8).contains(&opened), "80 requests, 8 at a time, opened {opened} upstream connections");
}

#[tokio::test]
async fn an_upstream_that_closes_every_connection_after_one_answer_loses_no_request() {
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    // No `Connection: close`: the proxy learns of the close only from the socket.
    let upstream = common::raw_upstream(move |mut s| {
        let counted = counted.clone();
        async move {
            counted.fetch_add(1, Ordering::SeqCst);
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nonce").await;
            let _ = s.shutdown().await;
        }
    })
    .await;
    let gw = start(&gateway_toml(upstream, "")).await;
    for i in 0..20 {
        let got = send(gw.addr, request("GET", gw.addr, "/", &[("origin", APP)])).await;
        assert_eq!(got.status.as_u16(), 200, "request {i}: {got:?}");
        assert_eq!(got.text(), "once");
    }
    assert_eq!(connections.load(Ordering::SeqCst), 20, "a closed connection is never used again");
}

#[tokio::test]
async fn a_connection_still_sending_a_request_body_is_not_waited_for() {
    use tokio::io::AsyncReadExt;
    // Answers at once, before the request body, and keeps the connection open.
    let upstream = common::raw_upstream(|mut s| async move {
        let _ = s.write_all(b"HTTP/1.1 413 Payload Too Large\r\ncontent-length: 0\r\n\r\n").await;
        let mut sink = [0u8; 1024];
        while matches!(s.read(&mut sink).await, Ok(n) if n > 0) {}
    })
    .await;
    let gw = start(&gateway_toml(upstream, "")).await;
    // A client that announces 1000 bytes, sends 10 and stalls: the upstream connection has its
    // answer and goes back to the pool while it still owes the upstream 990 bytes.
    let mut slow = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    let head = format!(
        "POST /upload HTTP/1.1\r\nhost: {}\r\norigin: {APP}\r\ncontent-length: 1000\r\n\r\n0123456789",
        gw.addr
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 1024];
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), slow.read(&mut answer)).await.unwrap().unwrap();
    assert!(
        String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 413"),
        "{}",
        String::from_utf8_lossy(&answer[..n])
    );
    // The next request must not wait for that connection.
    let next = send(gw.addr, request("GET", gw.addr, "/", &[("origin", APP)]));
    let got = tokio::time::timeout(std::time::Duration::from_secs(5), next).await.expect("answered without waiting");
    assert_eq!(got.status.as_u16(), 413);
    drop(slow);
}

/// Lets the relay put its connection back: it does so right after writing the answer, on its own
/// task, which a client on another connection could otherwise outrun.
async fn settle() {
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
}

#[tokio::test]
async fn hyper_s_path_takes_the_connection_the_relay_left() {
    let (connections, heads) = (Arc::new(AtomicUsize::new(0)), Heads::default());
    let upstream = keep_alive_upstream(connections.clone(), heads.clone()).await;
    let gw = start(&gateway_toml(upstream, "")).await;
    // A plain request: the relay's.
    let got = send(gw.addr, request("GET", gw.addr, "/first", &[("origin", APP)])).await;
    assert_eq!((got.status.as_u16(), got.text()), (200, "[]".to_string()));
    settle().await;
    // A Connection option the relay does not take: hyper's path, on the stream the relay left.
    for i in 0..3 {
        let got = send(
            gw.addr,
            request("GET", gw.addr, "/next", &[("origin", APP), ("connection", "x-trace"), ("x-trace", "1")]),
        )
        .await;
        assert!(got.status.is_success(), "request {i}: {got:?}");
        assert_eq!(got.one("access-control-allow-origin").as_deref(), Some(APP), "request {i}");
    }
    assert_eq!(connections.load(Ordering::SeqCst), 1, "one upstream connection for both paths");
    let heads = heads.lock().unwrap();
    assert_eq!(heads.len(), 3);
    for head in heads.iter() {
        let head = head.to_lowercase();
        assert!(head.starts_with("get /next http/1.1\r\n") && !head.contains("x-trace"), "{head}");
    }
}

#[tokio::test]
async fn routes_to_one_upstream_share_its_idle_connections() {
    let (connections, heads) = (Arc::new(AtomicUsize::new(0)), Heads::default());
    let upstream = keep_alive_upstream(connections.clone(), heads).await;
    let routes = format!(
        "[[proxy.routes]]\nprefix = \"/a\"\nupstream = \"http://{upstream}\"\n\
         [[proxy.routes]]\nprefix = \"/b\"\nupstream = \"http://{upstream}\"\n"
    );
    let gw = start(&gateway_toml(upstream, &routes)).await;
    for (i, path) in ["/a/1", "/b/2", "/a/3", "/b/4"].into_iter().enumerate() {
        let got = send(gw.addr, request("GET", gw.addr, path, &[("origin", APP)])).await;
        assert!(got.status.is_success(), "{path}: {got:?}");
        if i < 3 {
            settle().await;
        }
    }
    assert_eq!(connections.load(Ordering::SeqCst), 1, "both routes reused one connection");
}

#[tokio::test]
async fn a_reload_does_not_reuse_the_old_configuration_s_connections() {
    let (connections, heads) = (Arc::new(AtomicUsize::new(0)), Heads::default());
    let upstream = keep_alive_upstream(connections.clone(), heads).await;
    let text = gateway_toml(upstream, "");
    let gw = start(&text).await;
    for fast_path in [true, false] {
        let text = format!("{text}fast_path = {fast_path}\n");
        for _ in 0..2 {
            let got = send(gw.addr, request("GET", gw.addr, "/", &[("origin", APP)])).await;
            assert!(got.status.is_success(), "{got:?}");
            settle().await;
        }
        gw.control.reload(common::config(&text, &Flags::default())).expect("the reload applies");
    }
    let got = send(gw.addr, request("GET", gw.addr, "/", &[("origin", APP)])).await;
    assert!(got.status.is_success(), "{got:?}");
    // One connection per configuration served: a new pool with each (its connector may differ).
    assert_eq!(connections.load(Ordering::SeqCst), 3);
}
