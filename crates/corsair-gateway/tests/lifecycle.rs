//! Reloads and shutdown under load: no request is lost, no response mixes two configurations,
//! and a bad configuration leaves the old one serving.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use corsair_gateway::Flags;
use corsair_testkit::{loopback, Reply, TestServer};

const A: &str = "https://a.example";
const B: &str = "https://b.example";

fn policy_for(origin: &str, upstream: std::net::SocketAddr) -> String {
    format!("allow_origins = [\"{origin}\"]\n[proxy]\nupstream = \"http://{upstream}\"\nmetrics_on_listen = true\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reloads_under_load_lose_no_request() {
    let upstream = TestServer::start(loopback(1), always(Reply::status(200).body("ok"))).await;
    let gw = start(&policy_for(A, upstream.addr)).await;
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, bad) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut clients = Vec::new();
    for _ in 0..8 {
        let (stop, ok, bad, addr) = (stop.clone(), ok.clone(), bad.clone(), gw.addr);
        clients.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let got = send(addr, request("GET", addr, "/", &[("origin", A)])).await;
                // Either policy is fine; a response that is not 200, or that allows an origin
                // the request did not come from, is not.
                let acao = got.one("access-control-allow-origin");
                if got.status == 200 && (acao.is_none() || acao.as_deref() == Some(A)) {
                    ok.fetch_add(1, Ordering::Relaxed);
                } else {
                    bad.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for i in 0..20 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let origin = if i % 2 == 0 { B } else { A };
        gw.control.reload(config(&policy_for(origin, upstream.addr), &Flags::default())).unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    assert_eq!(bad.load(Ordering::Relaxed), 0);
    assert!(ok.load(Ordering::Relaxed) > 20, "the load ran: {}", ok.load(Ordering::Relaxed));
    // The last reload (i = 19) allowed A again.
    let got = send(gw.addr, request("GET", gw.addr, "/", &[("origin", A)])).await;
    assert_eq!(got.one("access-control-allow-origin").as_deref(), Some(A));
    let metrics = send(gw.addr, request("GET", gw.addr, "/.corsair/metrics", &[])).await.text();
    assert!(metrics.contains("corsair_config_reloads_total{result=\"ok\"} 20"), "{metrics}");
}

#[tokio::test]
async fn a_bad_reload_is_refused_and_the_old_configuration_keeps_serving() {
    let upstream = TestServer::start(loopback(1), always(Reply::status(200))).await;
    let gw = start(&policy_for(A, upstream.addr)).await;
    let mut broken = config(&policy_for(B, upstream.addr), &Flags::default());
    broken.tls = Some(corsair_gateway::config::TlsFiles {
        cert: "/nonexistent/cert.pem".into(),
        key: "/nonexistent/key.pem".into(),
    });
    let err = gw.control.reload(broken).unwrap_err();
    assert!(err.contains("/nonexistent/cert.pem"), "{err}");
    let moved =
        config(&policy_for(B, upstream.addr), &Flags { listen: Some("127.0.0.1:1".into()), ..Flags::default() });
    assert!(gw.control.reload(moved).unwrap_err().contains("restart"));
    let got = send(gw.addr, request("GET", gw.addr, "/", &[("origin", A)])).await;
    assert_eq!(got.one("access-control-allow-origin").as_deref(), Some(A));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_requests_in_flight_finish_and_takes_no_new_ones() {
    // A slow upstream: each answer comes 300 ms after the request's head.
    let upstream = raw_upstream(|mut s| async move {
        use tokio::io::AsyncWriteExt;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 8\r\nconnection: close\r\n\r\nfinished").await;
    })
    .await;
    let gw = start(&policy_for(A, upstream)).await;
    let addr = gw.addr;
    let in_flight: Vec<_> = (0..4)
        .map(|_| tokio::spawn(async move { send(addr, request("GET", addr, "/", &[("origin", A)])).await }))
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    gw.control.shutdown();
    for r in in_flight {
        let got = r.await.unwrap();
        assert_eq!((got.status.as_u16(), got.text().as_str()), (200, "finished"));
    }
    tokio::time::timeout(Duration::from_secs(5), gw.task).await.expect("serve returns").unwrap().unwrap();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "the listener is closed");
}

#[tokio::test]
async fn idle_keep_alive_connections_do_not_hold_up_shutdown() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let upstream = TestServer::start(loopback(1), always(Reply::status(200).body("ok"))).await;
    for fast_path in [true, false] {
        let text = policy_for(A, upstream.addr).replace("[proxy]\n", &format!("[proxy]\nfast_path = {fast_path}\n"));
        let gw = start(&text).await;
        // One request, then the connection stays open and idle.
        let mut idle = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
        let head = format!("GET / HTTP/1.1\r\nhost: {}\r\norigin: {A}\r\n\r\n", gw.addr);
        idle.write_all(head.as_bytes()).await.unwrap();
        let mut answer = vec![0u8; 4096];
        let n = idle.read(&mut answer).await.unwrap();
        assert!(answer[..n].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answer[..n]));
        let started = std::time::Instant::now();
        gw.control.shutdown();
        tokio::time::timeout(Duration::from_secs(5), gw.task).await.expect("serve returns").unwrap().unwrap();
        assert!(started.elapsed() < Duration::from_secs(3), "fast_path {fast_path}: {:?}", started.elapsed());
        let closed = tokio::time::timeout(Duration::from_secs(2), idle.read(&mut answer)).await;
        assert!(matches!(closed, Ok(Ok(0)) | Ok(Err(_))), "fast_path {fast_path}: the idle connection is closed");
    }
}

#[tokio::test]
async fn a_reload_whose_upstream_is_the_gateway_itself_is_refused() {
    let upstream = TestServer::start(loopback(1), always(Reply::status(200))).await;
    let gw = start(&policy_for(A, upstream.addr)).await;
    let looped = config(&policy_for(A, gw.addr), &Flags::default());
    let error = gw.control.reload(looped).unwrap_err();
    assert!(error.contains("this proxy's own address"), "{error}");
    let metrics = send(gw.addr, request("GET", gw.addr, "/.corsair/metrics", &[])).await.text();
    assert!(metrics.contains("corsair_config_reloads_total{result=\"error\"} 1"), "{metrics}");
}
