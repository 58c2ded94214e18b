//! Real servers started on loopback for the fix tests, and `corsair check` run against them.

#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The page's origin in every fix test.
pub const PAGE: &str = "http://localhost:5173";

/// `corsair check URL --origin ORIGIN ARGS --format json`, parsed.
pub fn check(url: &str, origin: &str, args: &[&str]) -> Value {
    let o = Command::new(env!("CARGO_BIN_EXE_corsair"))
        .args(["check", url, "--origin", origin, "--format", "json"])
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run corsair");
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
}

/// The printed fix as (place, text) parts.
pub fn parts(v: &Value) -> Vec<(String, String)> {
    v["error"]["fix"]["snippet_parts"]
        .as_array()
        .unwrap_or_else(|| panic!("no snippet parts: {v}"))
        .iter()
        .map(|p| (p["place"].as_str().unwrap().to_owned(), p["text"].as_str().unwrap().to_owned()))
        .collect()
}

/// A real server this test wants is not installed: on CI (`CI=true`, where `.ci/run` installs
/// it) that is a failure; elsewhere a loud SKIPPED line.
pub fn missing(what: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what} is not installed, and CI=true: .ci/run installs it");
    }
    eprintln!("SKIPPED: {what}");
}

/// Debian's nginx, or a SKIPPED line.
pub fn nginx_binary() -> Option<&'static str> {
    let found = ["/usr/sbin/nginx", "/usr/bin/nginx"].into_iter().find(|p| Path::new(p).exists());
    if found.is_none() {
        missing("nginx (apt-get install nginx)");
    }
    found
}

/// The node_modules with express and cors that `.ci/run` installs for corsair-snippet's tests.
pub fn express_modules() -> Option<PathBuf> {
    let modules = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corsair-snippet/tests/node/node_modules");
    let node = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if !node || !modules.join("express").exists() || !modules.join("cors").exists() {
        missing("node with express and cors (cd crates/corsair-snippet/tests/node && npm ci)");
        return None;
    }
    Some(modules)
}

/// A fresh directory under the system temp dir.
pub fn temp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("corsair-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create a temp dir");
    dir
}

/// A port free on 127.0.0.1 a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// A server process, killed when dropped; its output goes to `server.log` in its directory.
pub struct Proc(Child, PathBuf);

impl Proc {
    /// Starts `cmd` and waits until `port` accepts; panics with the log if it exits first.
    pub fn start(mut cmd: Command, dir: &Path, port: u16) -> Proc {
        let log = dir.join(format!("server-{port}.log"));
        let out = std::fs::File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file");
        let child = cmd
            .env("PYTHONUNBUFFERED", "1")
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .expect("start the server");
        let mut p = Proc(child, log);
        // Generous: Django's system checks with other servers starting on two busy cores.
        let deadline = Instant::now() + Duration::from_secs(150);
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return p;
            }
            if let Ok(Some(status)) = p.0.try_wait() {
                panic!("the server exited ({status}): {}", p.log());
            }
            assert!(Instant::now() < deadline, "the server did not listen on {port}: {}", p.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What the server wrote.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.1).unwrap_or_default()
    }
}

impl Drop for Proc {
    /// SIGTERM first (Apache and nginx then stop their children too), SIGKILL after 3 s.
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `corsair check URL --origin ORIGIN ARGS` as text, as a user reads it.
pub fn check_text(url: &str, origin: &str, args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_corsair"))
        .args(["check", url, "--origin", origin])
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run corsair");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Whether python3 imports `modules` (comma-separated); a SKIPPED line (or, under CI, a
/// failure) naming `install` when not.
pub fn python_has(modules: &str, install: &str) -> bool {
    let ok =
        Command::new("python3").args(["-c", &format!("import {modules}")]).output().is_ok_and(|o| o.status.success());
    if !ok {
        missing(install);
    }
    ok
}

/// Writes `app` as `app.py` in `dir` and serves `app:app` with uvicorn on a free port.
pub fn uvicorn(dir: &Path, app: &str) -> (Proc, u16) {
    std::fs::write(dir.join("app.py"), app).expect("write app.py");
    let port = free_port();
    let mut cmd = Command::new("python3");
    cmd.args(["-m", "uvicorn", "app:app", "--app-dir"]).arg(dir).args([
        "--host",
        "127.0.0.1",
        "--port",
        &port.to_string(),
    ]);
    (Proc::start(cmd, dir, port), port)
}

/// Writes `app` as `server.js` in `dir` and runs it with node on `port` (its `process.argv[2]`),
/// with the test's express and cors.
pub fn express(modules: &Path, dir: &Path, app: &str, port: u16) -> Proc {
    std::fs::write(dir.join("server.js"), app).expect("write server.js");
    let mut cmd = Command::new("node");
    cmd.arg(dir.join("server.js")).arg(port.to_string()).env("NODE_PATH", modules);
    Proc::start(cmd, dir, port)
}

/// What to install for the Django fix tests.
pub const DJANGO_INSTALL: &str =
    "Django and django-cors-headers (python3 -m pip install django==5.2.19 django-cors-headers==4.9.0)";

/// Writes `settings` as `settings.py` in `dir` (beside the test's `urls.py`) and serves the
/// project with `runserver` on a free port.
pub fn django(dir: &Path, settings: &str) -> (Proc, u16) {
    std::fs::write(dir.join("settings.py"), settings).expect("write settings.py");
    let port = free_port();
    let mut cmd = Command::new("python3");
    cmd.args(["-m", "django", "runserver", "--noreload", "--nothreading", &format!("127.0.0.1:{port}")])
        .current_dir(dir)
        .env("PYTHONPATH", dir)
        .env("DJANGO_SETTINGS_MODULE", "settings");
    (Proc::start(cmd, dir, port), port)
}
