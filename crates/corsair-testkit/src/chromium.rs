//! Headless Chromium, driven over the Chrome DevTools Protocol (CDP): just enough to open a page,
//! run script in it, and read what the console said. The browser is the judge in the real-browser
//! tests; this module only asks it questions.
//!
//! ```no_run
//! # async fn demo() -> Result<(), String> {
//! use corsair_testkit::chromium::Chromium;
//!
//! let Some(chromium) = Chromium::for_tests() else { return Ok(()) }; // SKIPPED (or a panic on CI)
//! let browser = chromium.launch().await?;
//! let page = browser.new_page().await?;
//! page.navigate("http://127.0.0.1:8080/page").await?;
//! let value = page.evaluate("1 + 1").await?;
//! assert_eq!(value, serde_json::json!(2));
//! for entry in page.take_console() {
//!     println!("{} {}: {}", entry.source, entry.level, entry.text);
//! }
//! # Ok(()) }
//! ```
//!
//! Only a few CDP methods are used: `Target.createTarget` and `Target.attachToTarget` (flat
//! sessions), `Log.enable`, `Runtime.enable`, `Page.navigate` and `Runtime.evaluate`; events
//! `Log.entryAdded`, `Runtime.consoleAPICalled` and `Runtime.exceptionThrown` become
//! [`ConsoleEntry`] values.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::process::Command;
use tokio::sync::{mpsc, oneshot, Notify};
use tokio_tungstenite::tungstenite::Message;

use crate::launch::{find_browser, for_tests, fresh_profile_dir, version, Launched, Readiness};
pub use crate::page_fetch::Fetched;

/// Where to look for the browser when `CHROMIUM` is not set, in order (then `which chromium`).
pub const CANDIDATES: [&str; 2] = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

/// The flags every launch uses. The background-networking ones keep Chromium from calling
/// Google (component updates, sync, field trials, safe browsing lists); the host-resolver rule
/// is a second fence: every host but `127.0.0.*` and `localhost` fails to resolve (IP literals
/// included), so the browser cannot reach anything off loopback even if something tries.
pub const LAUNCH_FLAGS: [&str; 11] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.*, EXCLUDE localhost",
    "--remote-debugging-port=0",
];

/// How long one CDP command may take before the driver gives up.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// How long Chromium may take to start listening: a second or two on an idle machine, but
/// 30 s was seen to pass on 2 cores with two other browsers starting beside it.
const LAUNCH_TIMEOUT: Duration = Duration::from_secs(120);

/// An installed Chromium binary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chromium {
    /// The executable.
    pub path: PathBuf,
}

impl Chromium {
    /// Finds the browser: `$CHROMIUM` if set, else the first of [`CANDIDATES`] that exists, else
    /// `which chromium`.
    pub fn find() -> Result<Chromium, String> {
        find_browser("CHROMIUM", &CANDIDATES, Some("chromium")).map(|path| Chromium { path })
    }

    /// [`Chromium::find`] for tests. When the browser is missing: on CI (`CI=true`) this panics,
    /// because a real-browser test that never ran is a failure there; elsewhere it prints a loud
    /// `SKIPPED` line to stderr and returns `None`, so the caller can return early and the test
    /// still reports.
    pub fn for_tests() -> Option<Chromium> {
        for_tests(Chromium::find(), "Chromium", "chromium", "CHROMIUM=/path/to/chromium")
    }

    /// `chromium --version`, e.g. `Chromium 156.0.8078.108 built on Debian GNU/Linux 12 (bookworm)`.
    pub fn version(&self) -> Result<String, String> {
        version(&self.path)
    }

    /// Starts a headless browser with a fresh profile and connects to it.
    pub async fn launch(&self) -> Result<Browser, String> {
        let profile = fresh_profile_dir("chromium")?;
        let mut command = Command::new(&self.path);
        command.args(LAUNCH_FLAGS).arg(format!("--user-data-dir={}", profile.display())).arg("about:blank");
        let ready = Readiness {
            name: "Chromium",
            timeout: LAUNCH_TIMEOUT,
            url_in: |line| line.strip_prefix("DevTools listening on ").map(|url| url.trim().to_owned()),
        };
        let (process, ws_url) = Launched::start(command, profile, ready).await?;
        let (socket, _) = tokio_tungstenite::connect_async(ws_url.as_str())
            .await
            .map_err(|e| format!("cannot connect to {ws_url}: {e}"))?;
        let connection = Connection::start(socket);
        Ok(Browser { process, connection })
    }
}

/// One console line, from any of the sources the driver listens to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleEntry {
    /// `Log.entryAdded`'s source (`network`, `javascript`, ...), or `console-api` for
    /// `console.*` calls, or `exception` for uncaught exceptions.
    pub source: String,
    /// `error`, `warning`, `info`, `verbose`, or the console API's type (`log`, `error`, ...).
    pub level: String,
    /// The text.
    pub text: String,
    /// The URL the entry is about, when Chromium gives one.
    pub url: Option<String>,
}

impl ConsoleEntry {
    fn from_event(method: &str, params: &Value) -> Option<ConsoleEntry> {
        let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        match method {
            "Log.entryAdded" => {
                let e = &params["entry"];
                Some(ConsoleEntry {
                    source: s(&e["source"]),
                    level: s(&e["level"]),
                    text: s(&e["text"]),
                    url: e["url"].as_str().map(str::to_owned),
                })
            }
            "Runtime.consoleAPICalled" => {
                let text = params["args"]
                    .as_array()
                    .map(|args| {
                        args.iter()
                            .map(|a| match &a["value"] {
                                Value::String(v) => v.clone(),
                                Value::Null => s(&a["description"]),
                                v => v.to_string(),
                            })
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .unwrap_or_default();
                Some(ConsoleEntry { source: "console-api".to_owned(), level: s(&params["type"]), text, url: None })
            }
            "Runtime.exceptionThrown" => {
                let d = &params["exceptionDetails"];
                let text = d["exception"]["description"].as_str().map(str::to_owned).unwrap_or_else(|| s(&d["text"]));
                Some(ConsoleEntry {
                    source: "exception".to_owned(),
                    level: "error".to_owned(),
                    text,
                    url: d["url"].as_str().map(str::to_owned),
                })
            }
            _ => None,
        }
    }
}

/// Replies awaited, by command id.
pub(crate) type Pending = HashMap<u64, oneshot::Sender<Result<Value, String>>>;

/// Runs a JSON-over-WebSocket connection (CDP, WebDriver BiDi): one task writes `outgoing` to the
/// socket, one hands each text frame to `dispatch`; when the socket closes, every command still
/// in `pending` fails with `closed`.
pub(crate) fn pump<S, C>(
    socket: S,
    connection: &Arc<C>,
    mut outgoing: mpsc::UnboundedReceiver<Message>,
    dispatch: fn(&C, Value),
    pending: fn(&C) -> &Mutex<Pending>,
    closed: &'static str,
) where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>>
        + futures_util::Sink<Message>
        + Send
        + Unpin
        + 'static,
    C: Send + Sync + 'static,
{
    let (mut sink, mut stream) = socket.split();
    tokio::spawn(async move {
        while let Some(message) = outgoing.recv().await {
            if sink.send(message).await.is_err() {
                break;
            }
        }
    });
    let reader = Arc::downgrade(connection);
    tokio::spawn(async move {
        while let Some(Ok(message)) = stream.next().await {
            let Message::Text(text) = message else { continue };
            let Some(connection) = reader.upgrade() else { break };
            let Ok(value) = serde_json::from_str::<Value>(text.as_str()) else { continue };
            dispatch(&connection, value);
        }
        if let Some(connection) = reader.upgrade() {
            let waiting: Vec<_> = pending(&connection).lock().map(|mut p| p.drain().collect()).unwrap_or_default();
            for (_, reply) in waiting {
                let _ = reply.send(Err(closed.to_owned()));
            }
        }
    });
}

/// The WebSocket and its bookkeeping: replies matched to commands by id, console events filed by
/// session.
struct Connection {
    out: mpsc::UnboundedSender<Message>,
    next_id: AtomicU64,
    pending: Mutex<Pending>,
    console: Mutex<HashMap<String, Vec<ConsoleEntry>>>,
    console_arrived: Notify,
    /// `Network.*` events by session, in arrival order (only once a page enables the domain).
    network: Mutex<HashMap<String, Vec<NetworkEvent>>>,
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
            console: Mutex::new(HashMap::new()),
            console_arrived: Notify::new(),
            network: Mutex::new(HashMap::new()),
        });
        pump(socket, &connection, outgoing, Connection::dispatch, |c| &c.pending, "the DevTools connection closed");
        connection
    }

    fn dispatch(&self, value: Value) {
        if let Some(id) = value["id"].as_u64() {
            let reply = self.pending.lock().ok().and_then(|mut p| p.remove(&id));
            if let Some(reply) = reply {
                let result = match value.get("error") {
                    Some(e) => Err(format!("CDP error: {e}")),
                    None => Ok(value.get("result").cloned().unwrap_or(Value::Null)),
                };
                let _ = reply.send(result);
            }
            return;
        }
        let (Some(method), Some(session)) = (value["method"].as_str(), value["sessionId"].as_str()) else { return };
        if method.starts_with("Network.") {
            if let Ok(mut network) = self.network.lock() {
                let event = NetworkEvent { method: method.to_owned(), params: value["params"].clone() };
                network.entry(session.to_owned()).or_default().push(event);
            }
            return;
        }
        if let Some(entry) = ConsoleEntry::from_event(method, &value["params"]) {
            if let Ok(mut console) = self.console.lock() {
                console.entry(session.to_owned()).or_default().push(entry);
            }
            self.console_arrived.notify_waiters();
        }
    }

    async fn call(&self, method: &str, params: Value, session: Option<&str>) -> Result<Value, String> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        let (reply, answer) = oneshot::channel();
        self.pending.lock().map_err(|_| "poisoned lock")?.insert(id, reply);
        self.out.send(Message::text(message.to_string())).map_err(|_| "the DevTools connection closed".to_owned())?;
        match tokio::time::timeout(COMMAND_TIMEOUT, answer).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err("the DevTools connection closed".to_owned()),
            Err(_) => {
                let _ = self.pending.lock().map(|mut p| p.remove(&id));
                Err(format!("{method} got no answer in {COMMAND_TIMEOUT:?}"))
            }
        }
    }
}

/// A running headless Chromium; killed (with its helper processes) and its profile removed
/// when dropped.
pub struct Browser {
    process: Launched,
    connection: Arc<Connection>,
}

impl Browser {
    /// `Browser.getVersion`'s product, e.g. `HeadlessChrome/156.0.8078.108`.
    pub async fn product(&self) -> Result<String, String> {
        let v = self.connection.call("Browser.getVersion", json!({}), None).await?;
        Ok(v["product"].as_str().unwrap_or_default().to_owned())
    }

    /// The user agent the browser sends.
    pub async fn user_agent(&self) -> Result<String, String> {
        let v = self.connection.call("Browser.getVersion", json!({}), None).await?;
        Ok(v["userAgent"].as_str().unwrap_or_default().to_owned())
    }

    /// Opens a tab on `about:blank`, attaches to it, and enables the Log and Runtime domains.
    pub async fn new_page(&self) -> Result<Page, String> {
        let target = self.connection.call("Target.createTarget", json!({"url": "about:blank"}), None).await?;
        let target_id = target["targetId"].as_str().ok_or("Target.createTarget returned no targetId")?.to_owned();
        let attached = self
            .connection
            .call("Target.attachToTarget", json!({"targetId": target_id, "flatten": true}), None)
            .await?;
        let session = attached["sessionId"].as_str().ok_or("Target.attachToTarget returned no sessionId")?.to_owned();
        let page = Page { connection: self.connection.clone(), session, target_id };
        page.call("Page.enable", json!({})).await?;
        page.call("Log.enable", json!({})).await?;
        page.call("Runtime.enable", json!({})).await?;
        Ok(page)
    }

    /// Asks the browser to exit, then makes sure it did.
    pub async fn close(mut self) {
        let _ =
            tokio::time::timeout(Duration::from_secs(2), self.connection.call("Browser.close", json!({}), None)).await;
        let _ = tokio::time::timeout(Duration::from_secs(5), self.process.child.wait()).await;
        // Dropping the process kills whatever is left and removes the profile.
    }
}

/// One tab, attached with a flat session.
pub struct Page {
    connection: Arc<Connection>,
    session: String,
    target_id: String,
}

impl Page {
    /// The target id of the tab.
    pub fn target_id(&self) -> &str {
        &self.target_id
    }

    /// Sends a CDP command to this tab and returns its result.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, String> {
        self.connection.call(method, params, Some(&self.session)).await
    }

    /// Navigates and waits until the document at `url` has loaded.
    pub async fn navigate(&self, url: &str) -> Result<(), String> {
        let nav = self.call("Page.navigate", json!({"url": url})).await?;
        if let Some(error) = nav["errorText"].as_str() {
            return Err(format!("navigation to {url} failed: {error}"));
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let state = self.evaluate("[location.href, document.readyState]").await.unwrap_or(Value::Null);
            if state[0].as_str() == Some(url) && state[1].as_str() == Some("complete") {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("{url} did not finish loading in 15s (state {state})"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Evaluates `expression` in the page, awaiting it if it is a promise, and returns the value
    /// (by value, so it must be JSON-serialisable). A thrown exception is an `Err`.
    pub async fn evaluate(&self, expression: &str) -> Result<Value, String> {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expression, "awaitPromise": true, "returnByValue": true, "userGesture": false}),
            )
            .await?;
        if let Some(details) = result.get("exceptionDetails") {
            let text = details["exception"]["description"].as_str().or(details["text"].as_str()).unwrap_or("exception");
            return Err(format!("script threw: {text}"));
        }
        Ok(result["result"]["value"].clone())
    }

    /// Starts recording the tab's `Network.*` events (what DevTools' network panel, and its HAR
    /// export, are built from); read them with [`Page::network_events`].
    pub async fn enable_network(&self) -> Result<(), String> {
        self.call("Network.enable", json!({})).await.map(|_| ())
    }

    /// The `Network.*` events recorded so far for this tab, in arrival order.
    pub fn network_events(&self) -> Vec<NetworkEvent> {
        self.connection.network.lock().ok().and_then(|n| n.get(&self.session).cloned()).unwrap_or_default()
    }

    /// Every console entry received for this tab since the last call, in order.
    pub fn take_console(&self) -> Vec<ConsoleEntry> {
        self.connection.console.lock().ok().and_then(|mut c| c.remove(&self.session)).unwrap_or_default()
    }

    /// The console entries received so far (without taking them).
    pub fn console(&self) -> Vec<ConsoleEntry> {
        self.connection.console.lock().ok().and_then(|c| c.get(&self.session).cloned()).unwrap_or_default()
    }

    /// Waits until an entry satisfying `done` has arrived, or `timeout` passed; returns whether
    /// one did.
    pub async fn wait_console(&self, timeout: Duration, done: impl Fn(&ConsoleEntry) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = self.connection.console_arrived.notified();
            if self.console().iter().any(&done) {
                return true;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return self.console().iter().any(&done);
            }
        }
    }

    /// Runs `fetch(url, {method, headers, mode: "cors", credentials: "omit"})` in the page and
    /// collects what the page saw, and, when it failed, Chromium's "Access to fetch at ..."
    /// console line for `url`.
    pub async fn fetch(&self, url: &str, method: &str, headers: &[(&str, &str)]) -> Fetched {
        let v = self.evaluate(&crate::page_fetch::fetch_script(url, method, headers)).await.expect("the script runs");
        let ok = v["ok"].as_bool() == Some(true);
        if !ok {
            // The CORS line comes first, then "Failed to load resource: net::ERR_FAILED".
            self.wait_console(Duration::from_secs(3), |e| e.text.starts_with("Failed to load resource")).await;
        }
        let console = self
            .take_console()
            .into_iter()
            .filter(|e| e.text.starts_with("Access to fetch at") && e.text.contains(url))
            .map(|e| e.text)
            .collect();
        Fetched::from_script(&v, console)
    }
}

/// One CDP `Network.*` event, as Chromium sent it.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkEvent {
    /// The event name, e.g. `Network.responseReceived`.
    pub method: String,
    /// Its parameters.
    pub params: Value,
}
