//! The `fetch()` every driver runs in its page, and what it came to: one script, so the three
//! engines are asked exactly the same thing.

use serde_json::{json, Value};

/// The script every driver's `fetch` runs ([`chromium::Page::fetch`](crate::chromium::Page::fetch),
/// [`firefox::Page::fetch`](crate::firefox::Page::fetch), WebKit's
/// [`Browser::fetch`](crate::webkit::Browser::fetch)): `{ok, status, body, readable}` whether the
/// promise resolved or rejected.
pub(crate) fn fetch_script(url: &str, method: &str, headers: &[(&str, &str)]) -> String {
    let headers: Vec<Value> = headers.iter().map(|(n, v)| json!([n, v])).collect();
    let init = json!({"method": method, "headers": headers, "mode": "cors", "credentials": "omit"});
    format!(
        "(async () => {{
  try {{
    const r = await fetch({url}, {init});
    return {{ok: true, status: r.status, body: await r.text(), readable: [...r.headers.keys()]}};
  }} catch (e) {{
    return {{ok: false, status: null, body: String(e), readable: []}};
  }}
}})()",
        url = json!(url),
    )
}

/// What a `fetch()` from a page came to, in any of the three engines: one type, so a test reads
/// Chromium's, Firefox's and WebKit's answers to the same script the same way.
#[derive(Debug)]
pub struct Fetched {
    /// The promise resolved.
    pub ok: bool,
    /// The status, when it resolved.
    pub status: Option<u64>,
    /// The body text, or the rejection's text (`TypeError: NetworkError when attempting to fetch
    /// resource.`).
    pub body: String,
    /// Response header names the script could read.
    pub readable: Vec<String>,
    /// The engine's CORS lines about the URL, in order: Chromium's "Access to fetch at ..." line;
    /// Firefox's "Cross-Origin Request Blocked" lines; WebKit's error lines (the cause, then
    /// "Fetch API cannot load URL due to access control checks.").
    pub console: Vec<String>,
}

impl Fetched {
    /// The first CORS line, the one the browser model's `console_message` predicts (Chromium
    /// prints only one); `None` when the engine printed none.
    pub fn console_message(&self) -> Option<String> {
        self.console.first().cloned()
    }

    /// What [`fetch_script`] returned, with the console lines gathered about it.
    pub(crate) fn from_script(v: &Value, console: Vec<String>) -> Fetched {
        Fetched {
            ok: v["ok"].as_bool() == Some(true),
            status: v["status"].as_u64(),
            body: v["body"].as_str().unwrap_or_default().to_owned(),
            readable: v["readable"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|h| h.as_str().map(str::to_owned))
                .collect(),
            console,
        }
    }
}
