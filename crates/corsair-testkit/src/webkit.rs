//! WebKitGTK (Safari's engine), driven by `WebKitWebDriver` over W3C WebDriver under Xvfb: just
//! enough to open a page, run script in it, and read what the console said. The browser is the
//! judge in the real-browser tests.
//!
//! ```no_run
//! # async fn demo() -> Result<(), String> {
//! use corsair_testkit::webkit::WebKit;
//!
//! let Some(webkit) = WebKit::for_tests() else { return Ok(()) }; // SKIPPED (or a panic on CI)
//! let browser = webkit.launch().await?;
//! browser.navigate("http://127.0.0.1:8080/page").await?;
//! assert_eq!(browser.evaluate("1 + 1").await?, serde_json::json!(2));
//! let fetched = browser.fetch("http://127.0.0.2:8081/api", "GET", &[]).await?;
//! for line in &fetched.console {
//!     println!("{line}");
//! }
//! # Ok(()) }
//! ```
//!
//! WebKitGTK's stock MiniBrowser runs automation in an ephemeral session that writes console
//! messages nowhere, so WebKitWebDriver starts a browser of our own in its place
//! (`webkit_browser.py`: Python `gi` on the same WebKit2 4.1 library, storage in a fresh
//! directory per session, `enable-write-console-messages-to-stdout` on). Its console lines
//! (`CONSOLE SECURITY ERROR Origin ... is not allowed ...`) arrive on the driver's output; they
//! name no page, so [`Browser::evaluate_logged`] brackets a script with two `console.log`
//! marks and keeps what the page printed between them. Commands used: `POST /session`,
//! `POST /session/{id}/url`, `POST /session/{id}/execute/async`, `DELETE /session/{id}`.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::sync::Notify;

use crate::launch::{find_browser, for_tests, fresh_profile_dir, is_executable, kill_group};
use crate::page_fetch::fetch_script;
pub use crate::page_fetch::Fetched;

/// Where to look for `WebKitWebDriver` when `WEBKIT_WEBDRIVER` is not set.
pub const CANDIDATES: [&str; 1] = ["/usr/bin/WebKitWebDriver"];

/// Where to look for `Xvfb` when `XVFB` is not set.
pub const XVFB_CANDIDATES: [&str; 1] = ["/usr/bin/Xvfb"];

/// The Python with `gi` the browser runs on (its `#!` line): Debian's, not a virtualenv's.
pub const PYTHON: &str = "/usr/bin/python3";

/// The browser WebKitWebDriver starts, written into each session's fresh directory.
const BROWSER_PY: &str = include_str!("webkit_browser.py");

const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
const SESSION_TIMEOUT: Duration = Duration::from_secs(180);

/// What the tests need of WebKitGTK: the WebDriver, an X server to run under, and the library's
/// Python bindings for the browser.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebKit {
    /// `WebKitWebDriver`.
    pub webdriver: PathBuf,
    /// `Xvfb`.
    pub xvfb: PathBuf,
}

impl WebKit {
    /// Finds `$WEBKIT_WEBDRIVER` (or `/usr/bin/WebKitWebDriver`), `$XVFB` (or `/usr/bin/Xvfb`)
    /// and checks that [`PYTHON`] imports WebKit2 4.1 through `gi`.
    pub fn find() -> Result<WebKit, String> {
        let webdriver = find_browser("WEBKIT_WEBDRIVER", &CANDIDATES, Some("WebKitWebDriver"))?;
        let xvfb = find_browser("XVFB", &XVFB_CANDIDATES, Some("Xvfb"))?;
        if !is_executable(std::path::Path::new(PYTHON)) {
            return Err(format!("{PYTHON} is missing"));
        }
        let check = "import gi; gi.require_version('Gtk', '3.0'); gi.require_version('WebKit2', '4.1'); \
                     from gi.repository import WebKit2";
        let imported = std::process::Command::new(PYTHON).args(["-c", check]).stderr(Stdio::null()).status();
        if !imported.is_ok_and(|s| s.success()) {
            return Err(format!("{PYTHON} cannot import WebKit2 4.1 through gi"));
        }
        Ok(WebKit { webdriver, xvfb })
    }

    /// [`WebKit::find`] for tests: missing on CI (`CI=true`) panics; elsewhere a loud `SKIPPED`
    /// line on stderr and `None`.
    pub fn for_tests() -> Option<WebKit> {
        for_tests(
            WebKit::find(),
            "WebKit",
            "webkit2gtk-driver gir1.2-webkit2-4.1 python3-gi xvfb",
            "WEBKIT_WEBDRIVER=/path/to/WebKitWebDriver",
        )
    }

    /// Starts Xvfb, WebKitWebDriver and, through a new session, the browser with fresh storage.
    pub async fn launch(&self) -> Result<Browser, String> {
        let dir = fresh_profile_dir("webkit")?;
        let browser_py = dir.join("webkit_browser.py");
        std::fs::write(&browser_py, BROWSER_PY).map_err(|e| format!("cannot write {}: {e}", browser_py.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&browser_py, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| format!("cannot make {} executable: {e}", browser_py.display()))?;
        }
        let (xvfb, display) = match start_xvfb(&self.xvfb).await {
            Ok(started) => started,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(e);
            }
        };
        let mut browser = Browser {
            xvfb,
            driver: None,
            dir,
            port: 0,
            session: String::new(),
            version: String::new(),
            output: Arc::new(Output::default()),
            marks: AtomicU64::new(0),
        };
        browser.port = free_port()?;
        let mut command = Command::new(&self.webdriver);
        command
            .arg(format!("--port={}", browser.port))
            .env("DISPLAY", format!(":{display}"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        #[cfg(unix)]
        command.process_group(0);
        let mut driver = command.spawn().map_err(|e| format!("cannot start {}: {e}", self.webdriver.display()))?;
        // The browser's console lines arrive on whichever stream it inherited; read both.
        if let Some(out) = driver.stdout.take() {
            read_lines(out, browser.output.clone());
        }
        if let Some(err) = driver.stderr.take() {
            read_lines(err, browser.output.clone());
        }
        browser.driver = Some(driver);
        let deadline = Instant::now() + Duration::from_secs(20);
        while browser.command("GET", "/status", None).await.is_err() {
            if Instant::now() > deadline {
                return Err(format!("WebKitWebDriver did not answer in 20s; it printed:\n{}", browser.output.other()));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let options = json!({
            "binary": browser_py,
            "args": ["--automation", format!("--data-directory={}", browser.dir.join("data").display())],
        });
        let capabilities = json!({"capabilities": {"alwaysMatch": {"webkitgtk:browserOptions": options}}});
        // Starting the browser (Python, GTK, WebKit's processes) takes seconds, and much longer
        // on a loaded machine.
        let created =
            browser.command_within(SESSION_TIMEOUT, "POST", "/session", Some(capabilities)).await.map_err(|e| {
                format!("cannot start a session: {e}; the driver and browser printed:\n{}", browser.output.other())
            })?;
        browser.session = created["sessionId"].as_str().ok_or("POST /session returned no sessionId")?.to_owned();
        browser.version = created["capabilities"]["browserVersion"].as_str().unwrap_or_default().to_owned();
        Ok(browser)
    }
}

/// Xvfb on the first free display (`-displayfd`): the process and the display number.
async fn start_xvfb(xvfb: &std::path::Path) -> Result<(Child, String), String> {
    let mut command = Command::new(xvfb);
    command
        .args(["-displayfd", "1", "-nolisten", "tcp", "-screen", "0", "1024x768x24"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    #[cfg(unix)]
    command.process_group(0);
    let mut child = command.spawn().map_err(|e| format!("cannot start {}: {e}", xvfb.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout pipe")?;
    let mut lines = BufReader::new(stdout).lines();
    match tokio::time::timeout(Duration::from_secs(60), lines.next_line()).await {
        Ok(Ok(Some(display))) if display.trim().parse::<u32>().is_ok() => Ok((child, display.trim().to_owned())),
        other => {
            kill_group(&mut child);
            Err(format!("Xvfb did not report its display ({other:?})"))
        }
    }
}

/// A loopback port nothing listens on now, for the driver.
fn free_port() -> Result<u16, String> {
    let listener =
        std::net::TcpListener::bind(("127.0.0.1", 0)).map_err(|e| format!("cannot find a free port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| format!("cannot find a free port: {e}"))
}

/// One console line the browser wrote: `CONSOLE SECURITY ERROR text` is source `SECURITY`,
/// level `ERROR`; `console.log` writes `CONSOLE LOG text` (no source).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleLine {
    /// `JS`, `SECURITY`, `NETWORK`, ... (empty for console API calls).
    pub source: String,
    /// `LOG`, `INFO`, `WARN`, `ERROR`, `DEBUG`.
    pub level: String,
    /// The message.
    pub text: String,
}

impl ConsoleLine {
    fn parse(line: &str) -> Option<ConsoleLine> {
        const LEVELS: [&str; 5] = ["LOG", "INFO", "WARN", "ERROR", "DEBUG"];
        let rest = line.strip_prefix("CONSOLE ")?;
        let (first, after) = rest.split_once(' ').unwrap_or((rest, ""));
        if LEVELS.contains(&first) {
            return Some(ConsoleLine { source: String::new(), level: first.to_owned(), text: after.to_owned() });
        }
        let (level, text) = after.split_once(' ').unwrap_or((after, ""));
        Some(ConsoleLine { source: first.to_owned(), level: level.to_owned(), text: text.to_owned() })
    }
}

/// What the driver and the browser printed.
#[derive(Default)]
struct Output {
    console: Mutex<Vec<ConsoleLine>>,
    /// Everything else, for error messages.
    other: Mutex<Vec<String>>,
    arrived: Notify,
}

impl Output {
    fn other(&self) -> String {
        self.other.lock().map(|o| o.join("\n")).unwrap_or_default()
    }

    fn console(&self) -> Vec<ConsoleLine> {
        self.console.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

fn read_lines(stream: impl AsyncRead + Unpin + Send + 'static, output: Arc<Output>) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            match ConsoleLine::parse(&line) {
                Some(entry) => {
                    if let Ok(mut c) = output.console.lock() {
                        c.push(entry);
                    }
                    output.arrived.notify_waiters();
                }
                None => {
                    if let Ok(mut o) = output.other.lock() {
                        o.push(line);
                    }
                }
            }
        }
    });
}

/// A WebDriver session in a running WebKitGTK browser (one window); the driver, the browser and
/// Xvfb are killed and the session's directory removed when dropped.
pub struct Browser {
    xvfb: Child,
    driver: Option<Child>,
    dir: PathBuf,
    port: u16,
    session: String,
    version: String,
    output: Arc<Output>,
    marks: AtomicU64,
}

impl Browser {
    /// The WebKitGTK version the session reports (`2.50.6`).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// One WebDriver command: its `value`, or the WebDriver error as text.
    pub async fn command(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        self.command_within(COMMAND_TIMEOUT, method, path, body).await
    }

    /// [`Browser::command`] with its own deadline.
    async fn command_within(
        &self,
        timeout: Duration,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let exchange = async {
            let stream =
                TcpStream::connect(("127.0.0.1", self.port)).await.map_err(|e| format!("cannot connect: {e}"))?;
            let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .map_err(|e| format!("handshake: {e}"))?;
            tokio::spawn(connection);
            let body = body.map(|b| b.to_string()).unwrap_or_default();
            let request = hyper::Request::builder()
                .method(method)
                .uri(path)
                .header("Host", format!("127.0.0.1:{}", self.port))
                .header("Content-Type", "application/json; charset=utf-8")
                .body(Full::new(Bytes::from(body)))
                .map_err(|e| e.to_string())?;
            let response = sender.send_request(request).await.map_err(|e| format!("{method} {path}: {e}"))?;
            let status = response.status();
            let bytes = response.into_body().collect().await.map_err(|e| format!("{method} {path}: {e}"))?.to_bytes();
            let value: Value = serde_json::from_slice(&bytes).map_err(|e| format!("{method} {path}: not JSON: {e}"))?;
            if !status.is_success() {
                let v = &value["value"];
                return Err(format!("{method} {path}: {status} {}: {}", v["error"], v["message"]));
            }
            Ok(value["value"].clone())
        };
        tokio::time::timeout(timeout, exchange)
            .await
            .unwrap_or_else(|_| Err(format!("{method} {path} got no answer in {timeout:?}")))
    }

    fn session_path(&self, tail: &str) -> String {
        format!("/session/{}{tail}", self.session)
    }

    /// Navigates and waits until the document has loaded.
    pub async fn navigate(&self, url: &str) -> Result<(), String> {
        self.command("POST", &self.session_path("/url"), Some(json!({"url": url}))).await.map(|_| ())
    }

    /// Evaluates `expression` in the page, awaiting a promise, and returns its value as JSON. A
    /// throw or a rejection is an `Err`.
    pub async fn evaluate(&self, expression: &str) -> Result<Value, String> {
        let script = format!(
            "const done = arguments[arguments.length - 1];
Promise.resolve().then(() => ({expression})).then(
  (value) => done({{ok: true, value}}),
  (e) => done({{ok: false, error: String(e)}}));"
        );
        let result = self
            .command("POST", &self.session_path("/execute/async"), Some(json!({"script": script, "args": []})))
            .await?;
        if result["ok"] == true {
            Ok(result["value"].clone())
        } else {
            Err(format!("script threw: {}", result["error"]))
        }
    }

    /// [`Browser::evaluate`], with the console lines the page printed while it ran: a
    /// `console.log` mark before and one after (a task later, so lines queued while the promise
    /// settled come first), and the lines between them.
    pub async fn evaluate_logged(&self, expression: &str) -> Result<(Value, Vec<ConsoleLine>), String> {
        let n = self.marks.fetch_add(1, Ordering::Relaxed);
        let (start, end) = (format!("corsair-mark {n} start"), format!("corsair-mark {n} end"));
        let wrapped = format!(
            "(async () => {{
  console.log({start});
  let outcome;
  try {{ outcome = {{ok: true, value: await ({expression})}}; }} catch (e) {{ outcome = {{ok: false, error: String(e)}}; }}
  await new Promise((r) => setTimeout(r, 0));
  console.log({end});
  return outcome;
}})()",
            start = json!(start),
            end = json!(end),
        );
        let outcome = self.evaluate(&wrapped).await?;
        let is_end = |l: &ConsoleLine| l.source.is_empty() && l.text == end;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let arrived = self.output.arrived.notified();
            if self.output.console().iter().any(is_end) {
                break;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return Err(format!("the console line {end:?} did not arrive in 5s"));
            }
        }
        let lines = {
            let mut console = self.output.console.lock().map_err(|_| "poisoned lock")?;
            let to = console.iter().position(is_end).ok_or("the end mark went missing")?;
            let taken: Vec<ConsoleLine> = console.drain(..=to).collect();
            let from = taken.iter().position(|l| l.source.is_empty() && l.text == start).map_or(0, |f| f + 1);
            taken[from.min(to)..to].to_vec()
        };
        if outcome["ok"] == true {
            Ok((outcome["value"].clone(), lines))
        } else {
            Err(format!("script threw: {}", outcome["error"]))
        }
    }

    /// Runs `fetch(url, {method, headers, mode: "cors", credentials: "omit"})` in the page and
    /// collects what the page saw and WebKit's error lines while it ran.
    pub async fn fetch(&self, url: &str, method: &str, headers: &[(&str, &str)]) -> Result<Fetched, String> {
        let (v, lines) = self.evaluate_logged(&fetch_script(url, method, headers)).await?;
        let errors = lines.into_iter().filter(|l| l.level == "ERROR").map(|l| l.text).collect();
        Ok(Fetched::from_script(&v, errors))
    }

    /// Ends the session (the driver closes the browser), then makes sure everything exited.
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(
            Duration::from_secs(5),
            self.command("DELETE", &format!("/session/{}", self.session), None),
        )
        .await;
        if let Some(driver) = self.driver.as_mut() {
            kill_group(driver);
            let _ = tokio::time::timeout(Duration::from_secs(5), driver.wait()).await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(2);
        if let Some(driver) = self.driver.as_mut() {
            kill_group(driver);
            while Instant::now() < deadline && !matches!(driver.try_wait(), Ok(Some(_))) {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        kill_group(&mut self.xvfb);
        while Instant::now() < deadline && !matches!(self.xvfb.try_wait(), Ok(Some(_))) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
