//! Headless Firefox ESR, driven over WebDriver BiDi: just enough to open a page, run script in
//! it, and read what the console said. The browser is the judge in the real-browser tests.
//!
//! ```no_run
//! # async fn demo() -> Result<(), String> {
//! use corsair_testkit::firefox::Firefox;
//!
//! let Some(firefox) = Firefox::for_tests() else { return Ok(()) }; // SKIPPED (or a panic on CI)
//! let browser = firefox.launch().await?;
//! let page = browser.new_page().await?;
//! page.navigate("http://127.0.0.1:8080/page").await?;
//! assert_eq!(page.evaluate("1 + 1").await?, serde_json::json!(2));
//! let fetched = page.fetch("http://127.0.0.2:8081/api", "GET", &[]).await;
//! for line in &fetched.console {
//!     println!("{line}");
//! }
//! # Ok(()) }
//! ```
//!
//! Firefox prints its CORS messages as BiDi `log.entryAdded` events of type `javascript` (not
//! console API calls); the driver files them by browsing context. Commands used: `session.new`,
//! `session.subscribe`, `browsingContext.create`, `browsingContext.navigate`,
//! `script.evaluate`, `browser.close`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Map, Value};
use tokio::process::Command;
use tokio::sync::{mpsc, oneshot, Notify};
use tokio_tungstenite::tungstenite::Message;

use crate::chromium::{pump, Pending};
use crate::launch::{find_browser, for_tests, fresh_profile_dir, version, Launched, Readiness};
use crate::page_fetch::fetch_script;
pub use crate::page_fetch::Fetched;

/// Where to look for the browser when `FIREFOX` is not set, in order.
pub const CANDIDATES: [&str; 3] = ["/usr/bin/firefox-esr", "/usr/lib/firefox-esr/firefox-esr", "/usr/bin/firefox"];

/// Preferences written to the fresh profile's `user.js`. Everything but loopback goes to a
/// proxy on the discard port, which refuses it: a fence that keeps telemetry, updates, safe
/// browsing and remote settings off the network even if the automation defaults miss one.
pub const PREFS: [(&str, &str); 17] = [
    ("network.proxy.type", "1"),
    ("network.proxy.http", "\"127.0.0.1\""),
    ("network.proxy.http_port", "9"),
    ("network.proxy.ssl", "\"127.0.0.1\""),
    ("network.proxy.ssl_port", "9"),
    ("network.proxy.no_proxies_on", "\"127.0.0.0/8, localhost\""),
    ("network.proxy.allow_hijacking_localhost", "false"),
    ("network.trr.mode", "5"),
    ("network.captive-portal-service.enabled", "false"),
    ("network.connectivity-service.enabled", "false"),
    ("app.update.disabledForTesting", "true"),
    ("browser.safebrowsing.malware.enabled", "false"),
    ("browser.safebrowsing.phishing.enabled", "false"),
    ("datareporting.policy.dataSubmissionEnabled", "false"),
    ("toolkit.telemetry.enabled", "false"),
    ("services.settings.server", "\"http://127.0.0.1:9/\""),
    ("browser.shell.checkDefaultBrowser", "false"),
];

const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// What Firefox prints on stderr before the BiDi URL.
const BIDI_LISTENING: &str = "WebDriver BiDi listening on ";

/// An installed Firefox binary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Firefox {
    /// The executable.
    pub path: PathBuf,
}

impl Firefox {
    /// Finds the browser: `$FIREFOX` if set, else the first of [`CANDIDATES`] that exists.
    pub fn find() -> Result<Firefox, String> {
        find_browser("FIREFOX", &CANDIDATES, None).map(|path| Firefox { path })
    }

    /// [`Firefox::find`] for tests: missing on CI (`CI=true`) panics; elsewhere a loud `SKIPPED`
    /// line on stderr and `None`.
    pub fn for_tests() -> Option<Firefox> {
        for_tests(Firefox::find(), "Firefox", "firefox-esr", "FIREFOX=/path/to/firefox")
    }

    /// `firefox-esr --version`, e.g. `Mozilla Firefox 153.8.0esr`.
    pub fn version(&self) -> Result<String, String> {
        version(&self.path)
    }

    /// Starts a headless browser with a fresh profile and opens a BiDi session.
    pub async fn launch(&self) -> Result<Browser, String> {
        let profile = fresh_profile_dir("firefox")?;
        let prefs: String = PREFS.iter().map(|(k, v)| format!("user_pref(\"{k}\", {v});\n")).collect();
        std::fs::write(profile.join("user.js"), prefs).map_err(|e| format!("cannot write user.js: {e}"))?;
        let mut command = Command::new(&self.path);
        command
            .args(["--headless", "--no-remote", "--remote-debugging-port", "0", "--profile"])
            .arg(&profile)
            .arg("about:blank")
            .env("MOZ_CRASHREPORTER_DISABLE", "1");
        let ready = Readiness {
            name: "Firefox",
            timeout: Duration::from_secs(60),
            url_in: |line| {
                let at = line.find(BIDI_LISTENING)?;
                Some(line[at + BIDI_LISTENING.len()..].trim().to_owned())
            },
        };
        let (process, ws_url) = Launched::start(command, profile, ready).await?;
        let url = format!("{ws_url}/session");
        let (socket, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .map_err(|e| format!("cannot connect to {url}: {e}"))?;
        let connection = Connection::start(socket);
        let browser = Browser { process, connection };
        browser.connection.call("session.new", json!({"capabilities": {}})).await?;
        browser.connection.call("session.subscribe", json!({"events": ["log.entryAdded"]})).await?;
        Ok(browser)
    }
}

/// One `log.entryAdded` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    /// `javascript` (where CORS messages arrive) or `console`.
    pub kind: String,
    /// `error`, `warn`, `info`, `debug`.
    pub level: String,
    /// The text.
    pub text: String,
}

struct Connection {
    out: mpsc::UnboundedSender<Message>,
    next_id: AtomicU64,
    pending: Mutex<Pending>,
    /// Log entries by browsing context (`""` when the entry names none).
    log: Mutex<HashMap<String, Vec<LogEntry>>>,
    log_arrived: Notify,
}

impl Connection {
    fn start<S>(socket: S) -> Arc<Connection>
    where
        S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>>
            + futures_util::Sink<Message>
            + Send
            + Unpin
            + 'static,
    {
        let (out, outgoing) = mpsc::unbounded_channel::<Message>();
        let connection = Arc::new(Connection {
            out,
            next_id: AtomicU64::new(1),
            pending: Mutex::new(HashMap::new()),
            log: Mutex::new(HashMap::new()),
            log_arrived: Notify::new(),
        });
        pump(socket, &connection, outgoing, Connection::dispatch, |c| &c.pending, "the BiDi connection closed");
        connection
    }

    fn dispatch(&self, value: Value) {
        if value["type"] == "event" {
            if value["method"] == "log.entryAdded" {
                let p = &value["params"];
                let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
                let entry = LogEntry { kind: s(&p["type"]), level: s(&p["level"]), text: s(&p["text"]) };
                let context = s(&p["source"]["context"]);
                if let Ok(mut log) = self.log.lock() {
                    log.entry(context).or_default().push(entry);
                }
                self.log_arrived.notify_waiters();
            }
            return;
        }
        let Some(id) = value["id"].as_u64() else { return };
        let Some(reply) = self.pending.lock().ok().and_then(|mut p| p.remove(&id)) else { return };
        let result = if value["type"] == "error" {
            Err(format!("BiDi error: {} {}", value["error"], value["message"]))
        } else {
            Ok(value.get("result").cloned().unwrap_or(Value::Null))
        };
        let _ = reply.send(result);
    }

    async fn call(&self, method: &str, params: Value) -> Result<Value, String> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let message = json!({"id": id, "method": method, "params": params});
        let (reply, answer) = oneshot::channel();
        self.pending.lock().map_err(|_| "poisoned lock")?.insert(id, reply);
        self.out.send(Message::text(message.to_string())).map_err(|_| "the BiDi connection closed".to_owned())?;
        match tokio::time::timeout(COMMAND_TIMEOUT, answer).await {
            Ok(Ok(result)) => result.map_err(|e| format!("{method}: {e}")),
            Ok(Err(_)) => Err("the BiDi connection closed".to_owned()),
            Err(_) => {
                let _ = self.pending.lock().map(|mut p| p.remove(&id));
                Err(format!("{method} got no answer in {COMMAND_TIMEOUT:?}"))
            }
        }
    }
}

/// A running headless Firefox; killed and its profile removed when dropped.
pub struct Browser {
    process: Launched,
    connection: Arc<Connection>,
}

impl Browser {
    /// Opens a tab.
    pub async fn new_page(&self) -> Result<Page, String> {
        let created = self.connection.call("browsingContext.create", json!({"type": "tab"})).await?;
        let context = created["context"].as_str().ok_or("browsingContext.create returned no context")?.to_owned();
        Ok(Page { connection: self.connection.clone(), context })
    }

    /// Asks the browser to exit, then makes sure it did.
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.connection.call("browser.close", json!({}))).await;
        let _ = tokio::time::timeout(Duration::from_secs(5), self.process.child.wait()).await;
    }
}

/// One tab (a top-level browsing context).
pub struct Page {
    connection: Arc<Connection>,
    context: String,
}

impl Page {
    /// The browsing context id.
    pub fn context(&self) -> &str {
        &self.context
    }

    /// Navigates and waits until the document has loaded.
    pub async fn navigate(&self, url: &str) -> Result<(), String> {
        self.connection
            .call("browsingContext.navigate", json!({"context": self.context, "url": url, "wait": "complete"}))
            .await
            .map(|_| ())
    }

    /// Evaluates `expression` in the page, awaiting a promise, and returns its value as JSON
    /// (BiDi's serialisation of primitives, arrays and plain objects). A throw is an `Err`.
    pub async fn evaluate(&self, expression: &str) -> Result<Value, String> {
        let result = self
            .connection
            .call(
                "script.evaluate",
                json!({"expression": expression, "target": {"context": self.context}, "awaitPromise": true}),
            )
            .await?;
        if result["type"] == "exception" {
            return Err(format!("script threw: {}", result["exceptionDetails"]["text"]));
        }
        Ok(remote_value(&result["result"]))
    }

    /// Every log entry received for this tab since the last call, in order.
    pub fn take_log(&self) -> Vec<LogEntry> {
        self.connection.log.lock().ok().and_then(|mut l| l.remove(&self.context)).unwrap_or_default()
    }

    /// The log entries received so far (without taking them).
    pub fn log(&self) -> Vec<LogEntry> {
        self.connection.log.lock().ok().and_then(|l| l.get(&self.context).cloned()).unwrap_or_default()
    }

    /// Waits until `done` holds for the entries so far, or `timeout` passed; returns whether it did.
    pub async fn wait_log(&self, timeout: Duration, done: impl Fn(&[LogEntry]) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = self.connection.log_arrived.notified();
            if done(&self.log()) {
                return true;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return done(&self.log());
            }
        }
    }

    /// Runs `fetch(url, {method, headers, mode: "cors", credentials: "omit"})` in the page and
    /// collects what the page saw and Firefox's CORS console lines about `url`.
    pub async fn fetch(&self, url: &str, method: &str, headers: &[(&str, &str)]) -> Fetched {
        let v = self.evaluate(&fetch_script(url, method, headers)).await.expect("the script runs");
        let console = self.settle_cors_lines(url, v["ok"].as_bool() == Some(true)).await;
        Fetched::from_script(&v, console)
    }

    /// Firefox's CORS lines naming `needle`, once they have stopped arriving: the lines follow
    /// the promise by a few milliseconds, and a failed preflight's second line later still.
    pub async fn settle_cors_lines(&self, needle: &str, ok: bool) -> Vec<String> {
        let about = |entries: &[LogEntry]| {
            entries.iter().filter(|e| e.text.starts_with("Cross-Origin Request") && e.text.contains(needle)).count()
        };
        let wait = if ok { Duration::from_millis(100) } else { Duration::from_secs(2) };
        self.wait_log(wait, |e| about(e) > 0).await;
        // Quiet for 150 ms: no further line is coming.
        loop {
            let before = about(&self.log());
            tokio::time::sleep(Duration::from_millis(150)).await;
            if about(&self.log()) == before {
                break;
            }
        }
        self.take_log()
            .into_iter()
            .filter(|e| e.text.starts_with("Cross-Origin Request") && e.text.contains(needle))
            .map(|e| e.text)
            .collect()
    }
}

/// BiDi's `RemoteValue` as JSON: primitives, arrays and objects with string keys.
pub fn remote_value(v: &Value) -> Value {
    match v["type"].as_str() {
        Some("string" | "boolean") => v["value"].clone(),
        Some("number") => match &v["value"] {
            Value::String(special) => Value::String(special.clone()),
            n => n.clone(),
        },
        Some("array") => Value::Array(v["value"].as_array().into_iter().flatten().map(remote_value).collect()),
        Some("object") => {
            let mut map = Map::new();
            for pair in v["value"].as_array().into_iter().flatten() {
                if let Some(key) = pair[0].as_str() {
                    map.insert(key.to_owned(), remote_value(&pair[1]));
                }
            }
            Value::Object(map)
        }
        _ => Value::Null,
    }
}
