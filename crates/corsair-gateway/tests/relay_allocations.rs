//! Heap allocations per request on the relay's path, counted by a global allocator. The
//! gateway, its upstream and the client all run on this thread (a current-thread runtime), and
//! the client and upstream reuse their buffers, so after a warm-up every allocation counted is
//! the gateway's.

use std::net::SocketAddr;

use corsair_gateway::{config, Flags, Server, Source};
use corsair_testkit::alloc_count::{counted, CountingAllocator};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

const ANSWER: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}";

/// An upstream answering every request head with [`ANSWER`], reading into one buffer.
async fn upstream() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let mut have = 0;
                loop {
                    match s.read(&mut buf[have..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => have += n,
                    }
                    while let Some(end) = buf[..have].windows(4).position(|w| w == b"\r\n\r\n") {
                        if s.write_all(ANSWER).await.is_err() {
                            return;
                        }
                        buf.copy_within(end + 4..have, 0);
                        have -= end + 4;
                    }
                }
            });
        }
    });
    addr
}

/// Sends `request` `n` times on `s` and reads each answer (whose length is `answer_len`).
async fn repeat(s: &mut TcpStream, request: &[u8], answer_len: usize, n: usize) {
    let mut buf = [0u8; 4096];
    for _ in 0..n {
        s.write_all(request).await.unwrap();
        let mut got = 0;
        while got < answer_len {
            let read = s.read(&mut buf[got..]).await.unwrap();
            assert!(read > 0, "the gateway closed the connection");
            got += read;
        }
        assert_eq!(got, answer_len, "{}", String::from_utf8_lossy(&buf[..got]));
    }
}

/// Requests measured per case.
const REQUESTS: usize = 5000;

/// Allocations over [`REQUESTS`] requests through a gateway with `fast_path`, for `request`.
fn allocations(fast_path: bool, request: &'static [u8]) -> usize {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (mut s, len) = rt.block_on(async {
        let up = upstream().await;
        let text = format!(
            "allow_origins = [\"https://app.example.com\"]\nallow_methods = [\"GET\", \"PUT\"]\n\
             allow_headers = [\"content-type\"]\nmax_age = 600\n[proxy]\nupstream = \"http://{up}\"\nfast_path = {fast_path}\n"
        );
        let source = Source { name: "test.toml".into(), text, dir: Default::default() };
        let flags = Flags { listen: Some("127.0.0.1:0".into()), ..Flags::default() };
        let server = Server::bind(config::load(&source, &flags, |_| None).unwrap()).await.unwrap();
        let addr = server.local_addr();
        tokio::spawn(server.serve());
        let mut s = TcpStream::connect(addr).await.unwrap();
        // The answer's length, learnt from the first exchange.
        s.write_all(request).await.unwrap();
        let mut buf = vec![0u8; 4096];
        let mut got = 0;
        let len = loop {
            got += s.read(&mut buf[got..]).await.unwrap();
            let text = String::from_utf8_lossy(&buf[..got]);
            if let Some(end) = text.find("\r\n\r\n") {
                let body: usize = text[..end]
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length: ").or_else(|| l.strip_prefix("Content-Length: ")))
                    .map_or(0, |v| v.trim().parse().unwrap());
                if got >= end + 4 + body {
                    break end + 4 + body;
                }
            }
        };
        repeat(&mut s, request, len, 200).await;
        (s, len)
    });
    // Every task (gateway, upstream, client) runs inside this `block_on`, on this thread.
    let ((), n) = counted(|| rt.block_on(repeat(&mut s, request, len, REQUESTS)));
    // What entering the runtime costs by itself, whatever runs inside.
    let ((), base) = counted(|| rt.block_on(async {}));
    n - base
}

const ACTUAL: &[u8] =
    b"GET /data.json HTTP/1.1\r\nHost: api.test\r\nOrigin: https://app.example.com\r\nAccept: */*\r\n\r\n";
const PREFLIGHT: &[u8] = b"OPTIONS /data.json HTTP/1.1\r\nHost: api.test\r\nOrigin: https://app.example.com\r\n\
Access-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: content-type\r\n\r\n";

#[test]
fn relayed_requests_allocate_nothing() {
    let (actual, preflight) = (allocations(true, ACTUAL), allocations(true, PREFLIGHT));
    let (hyper_actual, hyper_preflight) = (allocations(false, ACTUAL), allocations(false, PREFLIGHT));
    println!(
        "allocations in {REQUESTS} requests: relay actual {actual}, preflight {preflight}; \
         hyper's path {hyper_actual}, {hyper_preflight}"
    );
    // A few one-off allocations of the runtime's own (seen: one or two in 5000 requests, the
    // same with more requests), none per request.
    assert!(actual <= 4 && preflight <= 4, "relay: {actual} and {preflight} in {REQUESTS} requests");
    assert!(hyper_actual >= REQUESTS, "the count sees the gateway's allocations: {hyper_actual}");
}
