//! Pasted console text: every message in it, read by the core, with the fix for the request the
//! message (and what the user adds) describes, and the exchange the message implies.

use corsair_core::console::{self, Message, Stated};
use serde_json::{json, Value};

use crate::diagram::{Arrow, Diagram};

/// `{"messages": [...]}`, or `{"error": ...}` when the text holds no CORS message.
pub fn explain(input: &str) -> Value {
    let request: Value = match serde_json::from_str(input) {
        Ok(v) => v,
        Err(e) => return crate::failure(&format!("the request is not JSON: {e}")),
    };
    let text = request["text"].as_str().unwrap_or_default();
    let headers: Vec<String> = request["headers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| h.as_str())
        .filter(|h| !h.trim().is_empty())
        .map(str::to_owned)
        .collect();
    let nonempty = |key: &str| request[key].as_str().map(str::trim).filter(|s| !s.is_empty());
    let stated = Stated {
        origin: nonempty("origin"),
        method: nonempty("method"),
        headers: &headers,
        include_credentials: request["credentials"].as_str() == Some("include"),
    };
    match console::parse_all(text) {
        Ok(messages) => json!({ "messages": messages.iter().map(|m| one(m, &stated)).collect::<Vec<_>>() }),
        Err(e) => crate::failure(&e.to_string()),
    }
}

/// `corsair explain --format json`'s object for the message, with the diagram.
fn one(m: &Message, stated: &Stated<'_>) -> Value {
    let mut doc = m.to_json(stated);
    doc["diagram"] = diagram(m, stated).unwrap_or(Value::Null);
    doc
}

/// The exchange the message implies: the redirect it names, the preflight when that failed,
/// the answer that failed, and the request a failed preflight kept from being sent.
fn diagram(m: &Message, stated: &Stated<'_>) -> Option<Value> {
    let url = m.url.as_deref()?;
    let mut d = Diagram::new(m.origin_or(stated).unwrap_or("(origin not in the message)"));
    let method = m.stated_method(stated).unwrap_or("GET");
    let preflight = m.error.as_ref().is_some_and(|e| e.is_preflight());
    let name = m
        .error
        .as_ref()
        .map(|e| e.chromium_name().to_owned())
        .or_else(|| m.other.map(|o| o.name().to_owned()))
        .unwrap_or_else(|| "blocked".to_owned());
    let status = m.status.map(|s| format!("{s} ")).unwrap_or_default();
    if let Some(initial) = m.initial_url.as_deref().filter(|i| *i != url) {
        d.step(Arrow::Request, initial, format!("{method} {initial}"), Vec::new(), false);
        d.step(Arrow::Redirect, initial, "3xx redirect".to_owned(), vec![format!("Location: {url}")], false);
    }
    if preflight {
        let mut details = vec![format!("Access-Control-Request-Method: {method}")];
        let headers = m.requested_headers(stated);
        if !headers.is_empty() {
            details.push(format!("Access-Control-Request-Headers: {}", headers.join(",")));
        }
        d.step(Arrow::Preflight, url, format!("OPTIONS {url}"), details, false);
    } else {
        d.step(Arrow::Request, url, format!("{method} {url}"), Vec::new(), false);
    }
    match m.redirect_to.as_deref() {
        Some(to) => {
            d.step(Arrow::Redirect, url, format!("{status}redirect: {name}"), vec![format!("Location: {to}")], true)
        }
        None => d.step(Arrow::Response, url, format!("{status}{name}"), Vec::new(), true),
    }
    if preflight {
        d.step(Arrow::Unsent, url, format!("{method} {url} (never sent)"), Vec::new(), false);
    }
    Some(d.to_json())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(request: Value) -> Value {
        explain(&request.to_string())
    }

    #[test]
    fn a_failed_preflight_is_drawn_as_the_failing_line_and_the_request_as_unsent() {
        let doc = run(
            json!({"text": "Access to fetch at 'http://127.0.0.2:8080/items' from origin 'http://127.0.0.1:3000' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: It does not have HTTP ok status.", "method": "PUT"}),
        );
        let m = &doc["messages"][0];
        assert_eq!(m["error"]["kind"], "kPreflightInvalidStatus");
        let steps = m["diagram"]["steps"].as_array().unwrap();
        let kinds: Vec<_> = steps.iter().map(|s| s["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["preflight", "response", "unsent"]);
        assert_eq!(steps[1]["failed"], true);
        assert_eq!(steps[2]["label"], "PUT http://127.0.0.2:8080/items (never sent)");
    }

    #[test]
    fn firefox_messages_get_the_stated_origin_and_text_without_a_message_is_an_error() {
        let doc = run(
            json!({"text": "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at http://127.0.0.2/x. (Reason: CORS header 'Access-Control-Allow-Origin' missing). Status code: 200.", "origin": "http://127.0.0.1"}),
        );
        let m = &doc["messages"][0];
        assert_eq!(m["browser"], "firefox");
        assert_eq!(m["page_origin"], "http://127.0.0.1");
        assert_eq!(m["diagram"]["lanes"][0], "page http://127.0.0.1");
        assert!(run(json!({"text": "hello"}))["error"].is_string());
        assert!(explain("not json")["error"].as_str().unwrap().contains("not JSON"));
    }
}
