//! `corsair proxy` as users run it: the binary, a config file, signals, and loopback sockets.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use corsair_testkit::{loopback, Reply, TestServer};

const A: &str = "https://a.example";
const B: &str = "https://b.example";

/// A running `corsair proxy`, with its stderr lines on a channel.
struct Proxy {
    child: Child,
    addr: SocketAddr,
    lines: mpsc::Receiver<String>,
}

impl Proxy {
    fn start(args: &[&str]) -> Proxy {
        let (child, lines) = Proxy::spawn(args);
        let banner = lines.recv_timeout(Duration::from_secs(20)).expect("a banner line");
        let addr = banner
            .strip_prefix("corsair proxy listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line: {banner}"))
            .parse()
            .unwrap();
        Proxy { child, addr, lines }
    }

    /// Starts with `--log-format json`; the banner is the first line, a JSON object.
    fn start_json(args: &[&str]) -> (Proxy, serde_json::Value) {
        let (child, lines) = Proxy::spawn(&[args, &["--log-format", "json"]].concat());
        let line = lines.recv_timeout(Duration::from_secs(20)).expect("a banner line");
        let banner: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("the banner is not JSON ({e}): {line}"));
        let listen = banner["listen"].as_str().unwrap_or_else(|| panic!("{banner}"));
        let addr = listen.strip_prefix("http://").unwrap().parse().unwrap();
        (Proxy { child, addr, lines }, banner)
    }

    /// Lines written within `wait`.
    fn lines_for(&self, wait: Duration) -> Vec<String> {
        let end = std::time::Instant::now() + wait;
        let mut lines = Vec::new();
        while let Some(left) = end.checked_duration_since(std::time::Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => lines.push(line),
                Err(_) => break,
            }
        }
        lines
    }

    fn spawn(args: &[&str]) -> (Child, mpsc::Receiver<String>) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_corsair"))
            .arg("proxy")
            .args(args)
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
        (child, lines)
    }

    /// Waits for a stderr line containing `text`.
    fn wait_line(&self, text: &str) -> String {
        loop {
            let line =
                self.lines.recv_timeout(Duration::from_secs(10)).unwrap_or_else(|_| panic!("no line with {text:?}"));
            if line.contains(text) {
                return line;
            }
        }
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill").args([sig, &self.child.id().to_string()]).status().unwrap().success();
        assert!(ok, "kill {sig}");
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request; the response head, lower-cased.
fn get(addr: SocketAddr, origin: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET /items HTTP/1.1\r\nhost: {addr}\r\norigin: {origin}\r\nconnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out.to_lowercase()
}

fn allows(addr: SocketAddr, origin: &str) -> bool {
    get(addr, origin).contains(&format!("access-control-allow-origin: {origin}"))
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("corsair-proxy-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn file_for(origin: &str, upstream: SocketAddr) -> String {
    format!("allow_origins = [\"{origin}\"]\n[proxy]\nlisten = \"127.0.0.1:0\"\nupstream = \"http://{upstream}\"\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_alone_run_a_gateway_and_sigterm_stops_it_cleanly() {
    let upstream = TestServer::start(loopback(1), std::sync::Arc::new(|_: &_| Reply::status(200).body("ok"))).await;
    let up = format!("http://{}", upstream.addr);
    let mut proxy = Proxy::start(&["--upstream", &up, "--listen", "127.0.0.1:0", "--allow-origin", A]);
    let addr = proxy.addr;
    let health = proxy.wait_line("health:");
    assert!(health.ends_with(&format!("http://{addr}/.corsair/healthz")), "{health}");
    let metrics = proxy.wait_line("metrics:");
    assert!(metrics.contains("not served") && metrics.contains("admin_listen"), "{metrics}");
    let head = tokio::task::spawn_blocking(move || get(addr, A)).await.unwrap();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("access-control-allow-origin: https://a.example"), "{head}");
    assert!(!tokio::task::spawn_blocking(move || allows(addr, B)).await.unwrap());
    proxy.signal("-TERM");
    let status = proxy.child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_and_a_broken_file_keeps_the_old_policy() {
    let upstream = TestServer::start(loopback(1), std::sync::Arc::new(|_: &_| Reply::status(200))).await;
    let path = temp_file("reload.toml", &file_for(A, upstream.addr));
    let proxy = Proxy::start(&["--config", path.to_str().unwrap()]);
    let addr = proxy.addr;
    assert!(tokio::task::spawn_blocking(move || allows(addr, A)).await.unwrap());

    std::fs::write(&path, file_for(B, upstream.addr)).unwrap();
    proxy.signal("-HUP");
    proxy.wait_line("configuration reloaded");
    assert!(tokio::task::spawn_blocking(move || allows(addr, B)).await.unwrap());
    assert!(!tokio::task::spawn_blocking(move || allows(addr, A)).await.unwrap());

    std::fs::write(&path, "allow_origins = [\"https://c.example/\"]\n[proxy]\nupstream = \"http://127.0.0.1:1\"\n")
        .unwrap();
    proxy.signal("-HUP");
    let line = proxy.wait_line("reload refused");
    assert!(line.contains("reload.toml:1:18"), "the error is located: {line}");
    assert!(tokio::task::spawn_blocking(move || allows(addr, B)).await.unwrap(), "the old policy keeps serving");
}

#[test]
fn config_errors_exit_1_with_their_location() {
    let path = temp_file("broken.toml", "allow_origins = [\"https://a.example\"]\n[proxy]\nlisten = \"everywhere\"\n");
    let out = Command::new(env!("CARGO_BIN_EXE_corsair")).args(["proxy", "--config"]).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.toml:3:10: proxy.listen: `everywhere` is not an address"), "{err}");

    let out = Command::new(env!("CARGO_BIN_EXE_corsair")).args(["proxy"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--upstream http://localhost:8080"));
}

#[test]
fn a_port_in_use_exits_2() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_corsair"))
        .args(["proxy", "--upstream", "http://127.0.0.1:1", "--listen", &addr])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("cannot serve on {addr}")));
}

/// A loopback address nothing listens on (bound, then released), for a proxy whose stderr
/// cannot tell us where it listens.
fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

/// Waits until something accepts connections on `addr`.
fn wait_listening(addr: SocketAddr) {
    for _ in 0..200 {
        if TcpStream::connect(addr).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing listens on {addr}");
}

/// Waits up to `secs` for the process to exit; its exit code, or `None` if it is still running.
fn exit_within(child: &mut Child, secs: u64) -> Option<i32> {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// Sends SIGTERM and gives the exit code if the process ends within 5 s (it is killed after).
fn terminate(mut child: Child) -> Option<i32> {
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let code = exit_within(&mut child, 5);
    let _ = child.kill();
    let _ = child.wait();
    code
}

/// The body of `GET path` on `addr`.
fn get_body(addr: SocketAddr, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// The value of an unlabelled sample in Prometheus text.
fn sample(metrics: &str, name: &str) -> f64 {
    let line = metrics.lines().find(|l| l.starts_with(&format!("{name} "))).unwrap_or_else(|| panic!("{metrics}"));
    line[name.len() + 1..].trim().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_stderr_neither_loses_answers_nor_stops_sigterm() {
    let upstream = TestServer::start(loopback(1), std::sync::Arc::new(|_: &_| Reply::status(200))).await;
    for stderr in ["/dev/full", "a closed pipe"] {
        let (addr, admin) = (free_addr(), free_addr());
        let text = format!(
            "allow_origins = [\"{A}\"]\n[proxy]\nlisten = \"{addr}\"\nupstream = \"http://{}\"\nadmin_listen = \"{admin}\"\n",
            upstream.addr
        );
        let path = temp_file(&format!("stderr-{}.toml", admin.port()), &text);
        let mut command = Command::new(env!("CARGO_BIN_EXE_corsair"));
        command.args(["proxy", "--config", path.to_str().unwrap()]).stdout(Stdio::null());
        let child = if stderr == "/dev/full" {
            let full = std::fs::File::options().write(true).open("/dev/full").unwrap();
            command.stderr(Stdio::from(full)).spawn().unwrap()
        } else {
            let mut child = command.stderr(Stdio::piped()).spawn().unwrap();
            drop(child.stderr.take());
            child
        };
        let answers = tokio::task::spawn_blocking(move || {
            wait_listening(addr);
            // Each refusal writes a log line at the default level.
            (0..20).map(|_| get(addr, B)).collect::<Vec<_>>()
        })
        .await
        .unwrap();
        for head in &answers {
            assert!(head.starts_with("http/1.1 "), "{stderr}: a request lost its answer: {head:?}");
        }
        let metrics = tokio::task::spawn_blocking(move || get_body(admin, "/metrics")).await.unwrap();
        assert!(sample(&metrics, "corsair_log_lines_dropped_total") >= 20.0, "{stderr}: {metrics}");
        let code = tokio::task::spawn_blocking(move || terminate(child)).await.unwrap();
        assert_eq!(code, Some(0), "{stderr}: SIGTERM stops the proxy");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_stop_signal_during_graceful_shutdown_exits_at_once() {
    // An upstream that takes requests and never answers: graceful shutdown waits for them.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let up = format!("http://{}", silent.local_addr().unwrap());
    let held = std::thread::spawn(move || silent.incoming().take(4).map_while(Result::ok).collect::<Vec<_>>());
    for (first, second) in [("-TERM", "-TERM"), ("-INT", "-INT")] {
        let mut proxy = Proxy::start(&["--upstream", &up, "--listen", "127.0.0.1:0", "--allow-origin", A]);
        let addr = proxy.addr;
        let slow = std::thread::spawn(move || get(addr, A));
        // The request is in flight once the proxy has taken it; give it time to reach upstream.
        std::thread::sleep(Duration::from_millis(300));
        proxy.signal(first);
        proxy.wait_line("stopping");
        std::thread::sleep(Duration::from_millis(300));
        assert!(proxy.child.try_wait().unwrap().is_none(), "{first}: graceful shutdown waits for the request");
        proxy.signal(second);
        let code = tokio::task::spawn_blocking(move || exit_within(&mut proxy.child, 5).ok_or(proxy)).await.unwrap();
        assert_eq!(code.ok(), Some(130), "{first} {second}: stops at once with 130");
        let _ = slow.join();
    }
    drop(held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_reload_is_counted_as_an_error() {
    let upstream = TestServer::start(loopback(1), std::sync::Arc::new(|_: &_| Reply::status(200))).await;
    let admin = free_addr();
    let good = format!("{}admin_listen = \"{admin}\"\n", file_for(A, upstream.addr));
    let path = temp_file("reload-count.toml", &good);
    let proxy = Proxy::start(&["--config", path.to_str().unwrap()]);
    let reloads = |result: &'static str| {
        let metrics = get_body(admin, "/metrics");
        let name = format!("corsair_config_reloads_total{{result=\"{result}\"}} ");
        let line = metrics.lines().find(|l| l.starts_with(&name)).unwrap_or_else(|| panic!("{metrics}")).to_owned();
        line[name.len()..].parse::<u64>().unwrap()
    };
    assert_eq!(reloads("error"), 0);
    std::fs::write(&path, format!("{}allow_credentials = \"yes\"\n", good.replace("[proxy]", "x = 1\n[proxy]")))
        .unwrap();
    proxy.signal("-HUP");
    proxy.wait_line("reload refused");
    assert!(reloads("error") >= 1, "a refused reload counts as an error");
    assert_eq!(reloads("ok"), 0);
}

/// CPU time the process has used so far, in clock ticks (user + system, /proc/PID/stat).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_file_descriptors_the_accept_loops_back_off_instead_of_spinning() {
    let upstream = TestServer::start(loopback(1), std::sync::Arc::new(|_: &_| Reply::status(200))).await;
    let (addr, admin) = (free_addr(), free_addr());
    let text =
        format!("{}admin_listen = \"{admin}\"\n", file_for(A, upstream.addr).replace("127.0.0.1:0", &addr.to_string()));
    let path = temp_file("fds.toml", &text);
    // A limit of 32 descriptors: the proxy starts with about a dozen open.
    let child = Command::new("sh")
        .args(["-c", "ulimit -n 32 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_corsair"))
        .args(["proxy", "--config", path.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let used = tokio::task::spawn_blocking(move || {
        wait_listening(addr);
        wait_listening(admin);
        // Idle connections the proxy keeps open, until it has no descriptor left; the last ones
        // wait in the listeners' backlogs, so every accept fails at once.
        let held: Vec<TcpStream> =
            (0..40).map(|i| TcpStream::connect(if i % 2 == 0 { admin } else { addr }).unwrap()).collect();
        std::thread::sleep(Duration::from_millis(500));
        let before = cpu_ticks(pid);
        std::thread::sleep(Duration::from_millis(1500));
        let used = cpu_ticks(pid) - before;
        drop(held);
        used
    })
    .await
    .unwrap();
    // A loop retrying at once burns a core: about 150 ticks in 1.5 s.
    assert!(used < 30, "{used} clock ticks of CPU in 1.5 s out of descriptors");
    let code = tokio::task::spawn_blocking(move || terminate(child)).await.unwrap();
    assert_eq!(code, Some(0), "signals still work");
}

/// The `ms=` field of a text log line.
fn ms_field(line: &str) -> &str {
    line.split(' ').find_map(|f| f.strip_prefix("ms=")).unwrap_or_else(|| panic!("no ms= in {line}"))
}

/// Whether a duration in milliseconds has at most one decimal.
fn rounded(ms: &str) -> bool {
    ms.parse::<f64>().is_ok() && ms.split_once('.').is_none_or(|(_, decimals)| decimals.len() <= 1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_rounded_line_per_refusal_and_an_outage_is_not_a_refusal() {
    let upstream = TestServer::start(loopback(1), std::sync::Arc::new(|_: &_| Reply::status(200))).await;
    let (admin, dead) = (free_addr(), free_addr());
    let text = format!(
        "{}admin_listen = \"{admin}\"\n[[proxy.routes]]\nprefix = \"/down\"\nupstream = \"http://{dead}\"\n",
        file_for(A, upstream.addr)
    );
    let path = temp_file("log-lines.toml", &text);
    let proxy = Proxy::start(&["--config", path.to_str().unwrap()]);
    let addr = proxy.addr;
    proxy.wait_line("metrics:");

    assert!(tokio::task::spawn_blocking(move || get(addr, B)).await.unwrap().starts_with("http/1.1 "));
    let lines = proxy.lines_for(Duration::from_millis(500));
    let refusals: Vec<&String> = lines.iter().filter(|l| l.contains("refused")).collect();
    assert_eq!(refusals.len(), 1, "one line per refusal: {lines:#?}");
    let line = refusals[0];
    assert!(line.contains("request refused") && line.contains("refused=\"origin\""), "{line}");
    assert!(line.contains("reason=") && line.contains(B), "the line says why: {line}");
    assert!(rounded(ms_field(line)), "{line}");

    let down = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(s, "GET /down/x HTTP/1.1\r\nhost: {addr}\r\norigin: {A}\r\nconnection: close\r\n\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    })
    .await
    .unwrap();
    assert!(down.starts_with("HTTP/1.1 502"), "{down}");
    let line = proxy.wait_line("/down/x");
    assert!(line.contains("upstream failed") && !line.contains("refused"), "an outage is not a refusal: {line}");
    assert!(rounded(ms_field(&line)), "{line}");

    let metrics = tokio::task::spawn_blocking(move || get_body(admin, "/metrics")).await.unwrap();
    for reason in ["origin", "timeout"] {
        let series = format!("corsair_refusals_total{{reason=\"{reason}\"}} ");
        let n = metrics.lines().find_map(|l| l.strip_prefix(&series)).unwrap_or_else(|| panic!("{metrics}"));
        assert_eq!(n, if reason == "origin" { "1" } else { "0" }, "{series}");
    }
    assert!(metrics.contains("corsair_requests_total{kind=\"actual\",result=\"refused\"} 1\n"), "{metrics}");
    assert!(metrics.contains("corsair_requests_total{kind=\"actual\",result=\"failed\"} 1\n"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_only_says_would_refuse() {
    let upstream = TestServer::start(loopback(1), std::sync::Arc::new(|_: &_| Reply::status(200))).await;
    let up = format!("http://{}", upstream.addr);
    let proxy = Proxy::start(&["--upstream", &up, "--listen", "127.0.0.1:0", "--allow-origin", A, "--report-only"]);
    let addr = proxy.addr;
    assert!(tokio::task::spawn_blocking(move || get(addr, B)).await.unwrap().starts_with("http/1.1 200"));
    let line = proxy.wait_line(B);
    assert!(line.contains("would be refused") && !line.contains("request refused"), "{line}");
    assert!(line.contains("would_refuse=\"origin\""), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_log_format_json_the_banner_and_every_line_are_json() {
    let upstream = TestServer::start(loopback(1), std::sync::Arc::new(|_: &_| Reply::status(200))).await;
    let up = format!("http://{}", upstream.addr);
    let (proxy, banner) = Proxy::start_json(&["--upstream", &up, "--listen", "127.0.0.1:0", "--allow-origin", A]);
    let addr = proxy.addr;
    assert_eq!(banner["message"], "corsair proxy listening", "{banner}");
    assert_eq!(banner["level"], "INFO", "{banner}");
    assert_eq!(banner["routes"][0]["upstream"], up.as_str(), "{banner}");
    assert_eq!(banner["routes"][0]["origins"][0], A, "{banner}");
    assert_eq!(banner["health"], format!("http://{addr}/.corsair/healthz"), "{banner}");
    assert_eq!(banner["metrics"], serde_json::json!([]), "{banner}");
    assert!(tokio::task::spawn_blocking(move || get(addr, B)).await.unwrap().starts_with("http/1.1 "));
    let line = proxy.wait_line(B);
    let event: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    assert_eq!(event["message"], "request refused", "{event}");
    let ms = event["ms"].as_f64().unwrap_or_else(|| panic!("{event}"));
    assert!(rounded(&ms.to_string()), "{event}");
}

#[test]
fn an_upstream_that_is_the_proxy_itself_is_refused_at_start() {
    let addr = free_addr();
    for upstream in [format!("http://{addr}"), format!("http://localhost:{}", addr.port())] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_corsair"))
            .args(["proxy", "--listen", &addr.to_string(), "--upstream", &upstream])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let code = exit_within(&mut child, 10);
        let _ = child.kill();
        let mut err = String::new();
        child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        let _ = child.wait();
        assert_eq!(code, Some(2), "{upstream}: {err}");
        assert!(err.contains("this proxy's own address"), "{upstream}: {err}");
    }
}

/// A TCP forwarder on loopback to `to` (sent once known): the loop a start-up check cannot see.
/// Counts the connections it takes.
fn forwarder() -> (SocketAddr, mpsc::Sender<SocketAddr>, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::channel::<SocketAddr>();
    let taken = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = taken.clone();
    std::thread::spawn(move || {
        let to = rx.recv().unwrap();
        for client in listener.incoming().map_while(Result::ok) {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let Ok(server) = TcpStream::connect(to) else { continue };
            for (mut from, mut into) in [(client.try_clone().unwrap(), server.try_clone().unwrap()), (server, client)] {
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut from, &mut into);
                    let _ = into.shutdown(std::net::Shutdown::Write);
                });
            }
        }
    });
    (addr, tx, taken)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_comes_back_to_the_proxy_gets_508() {
    // Both paths mark what they forward: the relay (the default) and hyper's.
    for fast_path in ["true", "false"] {
        let (via, to, taken) = forwarder();
        let text = format!("{}request_timeout_secs = 3\nfast_path = {fast_path}\n", file_for(A, via));
        let path = temp_file(&format!("loop-{fast_path}.toml"), &text);
        let proxy = Proxy::start(&["--config", path.to_str().unwrap()]);
        to.send(proxy.addr).unwrap();
        let addr = proxy.addr;
        let head = tokio::task::spawn_blocking(move || get(addr, A)).await.unwrap();
        assert!(head.starts_with("http/1.1 508"), "fast_path = {fast_path}: {head}");
        assert_eq!(
            taken.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "fast_path = {fast_path}: the request went round once"
        );
        proxy.wait_line("request loop");
    }
}
