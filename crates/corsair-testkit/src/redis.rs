//! A real `redis-server` on a free loopback port, started and stopped by the test (never a
//! system service), for the gateway's shared rate-limit store.
//!
//! ```no_run
//! let Some(redis) = corsair_testkit::redis::RedisServer::for_tests() else { return }; // SKIPPED (a panic on CI)
//! println!("{}", redis.url());
//! ```

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` child process on 127.0.0.1, without persistence; killed on drop.
pub struct RedisServer {
    binary: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    /// Finds `redis-server`: `REDIS_SERVER` if set (only there), else `PATH`, then `/usr/bin`.
    pub fn find() -> Result<PathBuf, String> {
        if let Ok(p) = std::env::var("REDIS_SERVER") {
            let path = PathBuf::from(&p);
            return if path.is_file() { Ok(path) } else { Err(format!("REDIS_SERVER={p} is not a file")) };
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
            .map(|d| d.join("redis-server"))
            .find(|p| p.is_file())
            .ok_or_else(|| "redis-server is not installed".to_owned())
    }

    /// Starts one for a test. When `redis-server` is missing: on CI (`CI=true`) this panics, so
    /// the test fails; elsewhere it prints a loud `SKIPPED` line and returns `None`.
    pub fn for_tests() -> Option<RedisServer> {
        match RedisServer::find() {
            Ok(binary) => {
                let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
                let mut server = RedisServer { binary, port, child: None };
                server.start();
                Some(server)
            }
            Err(why) if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("CI=true and {why}: install it with apt-get install -y redis-server (.ci/run does)")
            }
            Err(why) => {
                eprintln!("\n==> SKIPPED: Redis test: {why}; install it with apt-get install -y redis-server\n");
                None
            }
        }
    }

    /// `redis://127.0.0.1:PORT/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Starts the server (again) on its port and waits until it answers `PING`.
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "redis-server is already running");
        let child = Command::new(&self.binary)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.binary.display()));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.command(&["PING"]).is_ok_and(|r| r == "+PONG") {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server did not answer on port {} within 10 s", self.port);
    }

    /// Kills the server (its data goes with it: nothing is saved).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends one command whose arguments have no spaces (inline form); the first reply line.
    pub fn command(&self, args: &[&str]) -> std::io::Result<String> {
        let mut s = TcpStream::connect_timeout(&self.addr(), Duration::from_secs(1))?;
        s.set_read_timeout(Some(Duration::from_secs(5)))?;
        let mut out = String::from("*");
        out.push_str(&format!("{}\r\n", args.len()));
        for a in args {
            out.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        s.write_all(out.as_bytes())?;
        let mut buf = [0u8; 512];
        let mut got = Vec::new();
        while !got.ends_with(b"\r\n") {
            let n = s.read(&mut buf)?;
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        let text = String::from_utf8_lossy(&got);
        Ok(text.lines().next().unwrap_or_default().to_owned())
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}
