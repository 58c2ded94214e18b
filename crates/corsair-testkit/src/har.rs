//! A HAR built from CDP `Network.*` events the way Chromium's DevTools builds its "Save all as
//! HAR" export: headless Chromium has no panel to export from, so real-browser tests record the
//! same events DevTools listens to and write the same entries.
//!
//! What DevTools does, and this does too:
//! - one entry per hop: a `requestWillBeSent` carrying `redirectResponse` closes the previous
//!   hop with that response and its `redirectURL`;
//! - a preflight is its own entry (`_resourceType: "preflight"`, `_initiator.type: "preflight"`),
//!   created after the request it belongs to;
//! - request and response headers are the `...ExtraInfo` ones (what went on the wire) when
//!   Chromium sent them, else the `requestWillBeSent` / `responseReceived` ones;
//! - a response blocked by CORS never reaches `responseReceived`: its status and headers come
//!   from `responseReceivedExtraInfo`, and `loadingFailed`'s text becomes `response._error`;
//! - a request never sent (its preflight failed) has status 0 and no response headers.
//!
//! `loadingFailed`'s `corsErrorStatus` is not part of a HAR: it is returned beside it, so tests
//! can compare what corsair reads from the file with what Chromium itself decided.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use crate::chromium::NetworkEvent;

/// Chromium's own verdict on a failed request (`Network.loadingFailed`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadingFailed {
    /// The URL the page asked for (the first hop's).
    pub url: String,
    /// The URL of the hop that failed.
    pub final_url: String,
    /// `errorText`, e.g. `net::ERR_FAILED`.
    pub error_text: String,
    /// `corsErrorStatus.corsError`, e.g. `MissingAllowOriginHeader`.
    pub cors_error: Option<String>,
    /// `corsErrorStatus.failedParameter`.
    pub failed_parameter: Option<String>,
    /// Whether this is a preflight's own failure (Chromium fails the preflight and, with its own
    /// error, the request it belongs to).
    pub preflight: bool,
}

/// A HAR and Chromium's verdicts on the requests in it.
#[derive(Clone, Debug)]
pub struct Recording {
    /// The HAR 1.2 document.
    pub har: Value,
    /// Every `loadingFailed`, in order.
    pub failures: Vec<LoadingFailed>,
}

#[derive(Default)]
struct Hop {
    request_id: String,
    url: String,
    method: String,
    headers: Value,
    resource_type: String,
    initiator: Value,
    response: Option<Value>,
    redirect_url: String,
    error: Option<String>,
}

/// Builds the HAR DevTools would export for these events, with `page_url` as the one page.
pub fn build(events: &[NetworkEvent], page_url: &str) -> Recording {
    let mut hops: Vec<Hop> = Vec::new();
    let mut by_id: HashMap<String, Vec<usize>> = HashMap::new();
    let mut request_extra: HashMap<String, Vec<Value>> = HashMap::new();
    let mut response_extra: HashMap<String, Vec<Value>> = HashMap::new();
    let mut failures = Vec::new();
    for e in events {
        let p = &e.params;
        let id = p["requestId"].as_str().unwrap_or_default().to_owned();
        match e.method.as_str() {
            "Network.requestWillBeSent" => {
                if let Some(redirect) = p.get("redirectResponse") {
                    if let Some(&last) = by_id.get(&id).and_then(|v| v.last()) {
                        hops[last].response = Some(redirect.clone());
                        hops[last].redirect_url = p["request"]["url"].as_str().unwrap_or_default().to_owned();
                    }
                }
                let preflight = p["initiator"]["type"].as_str() == Some("preflight");
                let resource_type = if preflight {
                    "preflight".to_owned()
                } else {
                    p["type"].as_str().unwrap_or("other").to_ascii_lowercase()
                };
                by_id.entry(id.clone()).or_default().push(hops.len());
                hops.push(Hop {
                    request_id: id,
                    url: p["request"]["url"].as_str().unwrap_or_default().to_owned(),
                    method: p["request"]["method"].as_str().unwrap_or_default().to_owned(),
                    headers: p["request"]["headers"].clone(),
                    resource_type,
                    initiator: p["initiator"].clone(),
                    ..Hop::default()
                });
            }
            "Network.requestWillBeSentExtraInfo" => request_extra.entry(id).or_default().push(p["headers"].clone()),
            "Network.responseReceivedExtraInfo" => response_extra.entry(id).or_default().push(p.clone()),
            "Network.responseReceived" => {
                if let Some(&last) = by_id.get(&id).and_then(|v| v.last()) {
                    hops[last].response = Some(p["response"].clone());
                }
            }
            "Network.loadingFailed" => {
                let Some(ids) = by_id.get(&id) else { continue };
                let (first, last) = (ids[0], ids[ids.len() - 1]);
                let text = p["errorText"].as_str().unwrap_or_default().to_owned();
                hops[last].error = Some(text.clone());
                failures.push(LoadingFailed {
                    url: hops[first].url.clone(),
                    final_url: hops[last].url.clone(),
                    error_text: text,
                    cors_error: p["corsErrorStatus"]["corsError"].as_str().map(str::to_owned),
                    failed_parameter: p["corsErrorStatus"]["failedParameter"].as_str().map(str::to_owned),
                    preflight: hops[last].resource_type == "preflight",
                });
            }
            _ => {}
        }
    }
    // ExtraInfo events carry no hop number: the n-th of a request id belongs to its n-th hop
    // that went on the wire (a request whose preflight failed never did, and gets none).
    let mut hop_number: HashMap<&str, usize> = HashMap::new();
    let mut entries = Vec::new();
    for hop in &hops {
        let n = hop_number.entry(hop.request_id.as_str()).or_default();
        let k = *n;
        *n += 1;
        let sent = request_extra.get(&hop.request_id).and_then(|v| v.get(k));
        let received = response_extra.get(&hop.request_id).and_then(|v| v.get(k));
        let request_headers = header_list(sent.unwrap_or(&hop.headers));
        let (status, status_text, response_headers, version) = match (received, &hop.response) {
            (Some(x), r) => (
                x["statusCode"].as_u64().unwrap_or(0),
                status_text(x["headersText"].as_str().unwrap_or_default()),
                header_list(&x["headers"]),
                r.as_ref().and_then(|r| r["protocol"].as_str()).unwrap_or("http/1.1").to_owned(),
            ),
            (None, Some(r)) => (
                r["status"].as_u64().unwrap_or(0),
                r["statusText"].as_str().unwrap_or_default().to_owned(),
                header_list(&r["headers"]),
                r["protocol"].as_str().unwrap_or("http/1.1").to_owned(),
            ),
            (None, None) => (0, String::new(), Vec::new(), String::new()),
        };
        entries.push(json!({
            "_initiator": hop.initiator,
            "_priority": "High",
            "_resourceType": hop.resource_type,
            "cache": {},
            "pageref": "page_1",
            "request": {
                "method": hop.method,
                "url": hop.url,
                "httpVersion": version.to_ascii_uppercase(),
                "headers": request_headers,
                "queryString": [],
                "cookies": [],
                "headersSize": -1,
                "bodySize": 0,
            },
            "response": {
                "status": status,
                "statusText": status_text,
                "httpVersion": version.to_ascii_uppercase(),
                "headers": response_headers,
                "cookies": [],
                "content": {"size": 0, "mimeType": "x-unknown"},
                "redirectURL": hop.redirect_url,
                "headersSize": -1,
                "bodySize": -1,
                "_transferSize": 0,
                "_error": hop.error,
            },
            "serverIPAddress": "",
            "startedDateTime": "1970-01-01T00:00:00.000Z",
            "time": 0,
            "timings": {"blocked": -1, "dns": -1, "ssl": -1, "connect": -1, "send": 0, "wait": 0, "receive": 0},
        }));
    }
    let har = json!({
        "log": {
            "version": "1.2",
            "creator": {"name": "WebInspector", "version": "537.36"},
            "pages": [{
                "startedDateTime": "1970-01-01T00:00:00.000Z",
                "id": "page_1",
                "title": page_url,
                "pageTimings": {"onContentLoad": -1, "onLoad": -1},
            }],
            "entries": entries,
        }
    });
    Recording { har, failures }
}

/// A CDP header object as HAR lines; CDP joins repeated lines with `\n`, DevTools splits them.
fn header_list(headers: &Value) -> Vec<Value> {
    let Some(map) = headers.as_object() else { return Vec::new() };
    let map: &Map<String, Value> = map;
    map.iter()
        .flat_map(|(name, value)| {
            value
                .as_str()
                .unwrap_or_default()
                .split('\n')
                .map(|v| json!({"name": name, "value": v}))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The reason phrase of a raw status line.
fn status_text(headers_text: &str) -> String {
    let line = headers_text.lines().next().unwrap_or_default();
    line.splitn(3, ' ').nth(2).unwrap_or_default().to_owned()
}
