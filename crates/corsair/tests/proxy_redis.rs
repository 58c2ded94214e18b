//! `corsair proxy` instances sharing their open-mode rate limits through a real `redis-server`
//! the test starts on loopback: three processes enforce one limit, a stopped Redis is answered
//! as `on_failure` says and counted, and a restarted one is used again without restarting the
//! proxies. Without `redis-server` the tests print a SKIPPED line; under `CI=true` they fail.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use corsair_testkit::redis::RedisServer;
use corsair_testkit::{loopback, Reply, TestServer};

const APP: &str = "https://app.example";

/// A running `corsair proxy`, with its stderr lines on a channel.
struct Proxy {
    child: Child,
    addr: SocketAddr,
    lines: mpsc::Receiver<String>,
}

impl Proxy {
    fn start(config: &PathBuf, upstream: SocketAddr) -> Proxy {
        let mut child = Command::new(env!("CARGO_BIN_EXE_corsair"))
            .args(["proxy", "--config"])
            .arg(config)
            .args(["--resolve", &format!("api.test:{}", upstream.ip())])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("corsair runs");
        let (tx, lines) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let banner = lines.recv_timeout(Duration::from_secs(20)).expect("a banner line");
        let mut block = vec![];
        while let Ok(line) = lines.recv_timeout(Duration::from_millis(300)) {
            block.push(line);
            if block.last().is_some_and(|l| l.contains("metrics:")) {
                break;
            }
        }
        assert!(
            block
                .iter()
                .any(|l| l.starts_with("  rate limits: ") && l.contains(" per client, shared in redis://127.0.0.1:")),
            "{block:#?}"
        );
        let addr = banner
            .strip_prefix("corsair proxy listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line: {banner}"))
            .parse()
            .unwrap();
        Proxy { child, addr, lines }
    }

    /// The status of one open-proxy request to the upstream, from the app's origin.
    fn status(&self, upstream: SocketAddr) -> u16 {
        let head = exchange(self.addr, &format!("/http://api.test:{}/items", upstream.port()), Some(APP));
        head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no status in {head:?}"))
    }

    /// `corsair_rate_limit_store_errors_total` on this proxy's metrics.
    fn store_errors(&self) -> u64 {
        let text = exchange(self.addr, "/.corsair/metrics", None);
        let line = text
            .lines()
            .find(|l| l.starts_with("corsair_rate_limit_store_errors_total "))
            .unwrap_or_else(|| panic!("no store error counter in {text}"));
        line.rsplit(' ').next().unwrap().trim().parse().unwrap()
    }

    /// Every stderr line so far.
    fn lines_so_far(&self) -> Vec<String> {
        self.lines.try_iter().collect()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request on a new connection; the whole response.
fn exchange(addr: SocketAddr, path: &str, origin: Option<&str>) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let origin = origin.map(|o| format!("origin: {o}\r\n")).unwrap_or_default();
    write!(s, "GET {path} HTTP/1.1\r\nhost: {addr}\r\n{origin}connection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// An open-proxy config for the app's origin, reaching `api.test` (pinned to the upstream's
/// loopback address and opened in the egress guard), limited per client, counting in Redis.
fn config(name: &str, upstream: SocketAddr, quota: &str, store: &str) -> PathBuf {
    let text = format!(
        r#"allow_origins = ["{APP}"]
[proxy]
mode = "open"
listen = "127.0.0.1:0"
allow_targets = ["api.test"]
egress_allow = ["{}/32"]
rate_per_client = "{quota}"
metrics_on_listen = true
[proxy.rate_limit_store]
kind = "redis"
{store}
"#,
        upstream.ip()
    );
    let dir = std::env::temp_dir().join(format!("corsair-proxy-redis-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

async fn upstream() -> TestServer {
    TestServer::start(loopback(1), std::sync::Arc::new(|_: &_| Reply::status(200).body("ok"))).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_proxies_on_one_redis_enforce_one_limit() {
    let Some(redis) = RedisServer::for_tests() else { return };
    let api = upstream().await;
    // 30 a minute: one new request every 2 s after the burst of 30.
    let store = format!("url = \"{}\"\nkey_prefix = \"three:\"", redis.url());
    let file = config("three.toml", api.addr, "30/minute", &store);
    let proxies: Vec<Proxy> = (0..3).map(|_| Proxy::start(&file, api.addr)).collect();
    let started = Instant::now();
    let mut admitted = [0usize; 3];
    for i in 0..90 {
        let (n, proxy) = (i % 3, &proxies[i % 3]);
        match proxy.status(api.addr) {
            200 => admitted[n] += 1,
            429 => {}
            other => panic!("request {i} through proxy {n}: status {other}"),
        }
    }
    let elapsed = started.elapsed();
    let total: usize = admitted.iter().sum();
    // The shared burst, plus one for each 2 s the run took (three separate memory stores would
    // have admitted all 90).
    let refills = (elapsed.as_millis() / 2000) as usize + 1;
    eprintln!("admitted {admitted:?} = {total} of 90 in {elapsed:?}");
    assert!((30..=30 + refills).contains(&total), "admitted {admitted:?} = {total} in {elapsed:?}");
    assert!(admitted.iter().all(|&n| n >= 5), "each proxy admitted while the burst lasted: {admitted:?}");
    assert_eq!(api.requests().len(), total, "refused requests never reach the upstream");
    for p in &proxies {
        assert_eq!(p.store_errors(), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_redis_follows_on_failure_and_a_restarted_one_limits_again() {
    let Some(mut redis) = RedisServer::for_tests() else { return };
    let api = upstream().await;
    let store = |answer: &str| format!("url = \"{}\"\ntimeout_ms = 200\non_failure = \"{answer}\"", redis.url());
    let admit = Proxy::start(&config("admit.toml", api.addr, "5/minute", &store("admit")), api.addr);
    let refuse = Proxy::start(&config("refuse.toml", api.addr, "5/minute", &store("refuse")), api.addr);
    // Both count the same client in the same Redis (one key prefix): 5 between them.
    let before: Vec<u16> = (0..6).map(|i| [&admit, &refuse][i % 2].status(api.addr)).collect();
    assert_eq!(before, [200, 200, 200, 200, 200, 429]);
    assert_eq!((admit.store_errors(), refuse.store_errors()), (0, 0));

    redis.stop();
    // on_failure = "admit": served, past the quota; "refuse": 429.
    let admitted: Vec<u16> = (0..8).map(|_| admit.status(api.addr)).collect();
    assert_eq!(admitted, [200; 8], "on_failure = \"admit\" serves while Redis is down");
    let refused: Vec<u16> = (0..4).map(|_| refuse.status(api.addr)).collect();
    assert_eq!(refused, [429; 4], "on_failure = \"refuse\" answers 429 while Redis is down");
    assert!(admit.store_errors() >= 8, "{}", admit.store_errors());
    assert!(refuse.store_errors() >= 4, "{}", refuse.store_errors());
    // Logged, but not once per request.
    std::thread::sleep(Duration::from_millis(200));
    let logged: Vec<String> =
        admit.lines_so_far().into_iter().filter(|l| l.contains("rate-limit store did not answer")).collect();
    assert!((1..=3).contains(&logged.len()), "{logged:#?}");
    eprintln!("logged: {}", logged[0]);
    assert!(logged[0].contains("the request was admitted"), "{}", logged[0]);

    redis.start();
    // The proxies reconnect on their own; the new Redis starts with no counts.
    let deadline = Instant::now() + Duration::from_secs(10);
    while refuse.status(api.addr) != 200 {
        assert!(Instant::now() < deadline, "no recovery within 10 s of the restart");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The admitting proxy admits either way: it is back when a request adds no store error.
    loop {
        let errors = admit.store_errors();
        assert_eq!(admit.status(api.addr), 200);
        if admit.store_errors() == errors {
            break;
        }
        assert!(Instant::now() < deadline, "the admitting proxy did not recover within 10 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    let errors = (admit.store_errors(), refuse.store_errors());
    let after: Vec<u16> = (0..6).map(|i| [&admit, &refuse][i % 2].status(api.addr)).collect();
    assert_eq!(after, [200, 200, 200, 429, 429, 429], "one shared limit again: 5 with the two that showed recovery");
    assert_eq!((admit.store_errors(), refuse.store_errors()), errors, "no store errors once recovered");
}
