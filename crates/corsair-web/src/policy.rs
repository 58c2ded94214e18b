//! The policy editor: a TOML policy validated as `corsair policy check` validates it (every error
//! with its line and column), a described request decided by it, and its snippet for each stack.

use corsair_core::{Action, ConfigErrors, Policy, PolicyFile, RequestKind};
use corsair_snippet::Stack;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use serde_json::{json, Value};

/// The name errors are located in.
const FILE: &str = "corsair.toml";

/// The file read as a server reads it: no profile, no environment.
fn read(text: &str) -> Result<Policy, ConfigErrors> {
    PolicyFile::parse(FILE, text).and_then(|f| f.policy(None, |_| None))
}

fn errors_json(errors: &ConfigErrors) -> Value {
    Value::Array(
        errors
            .iter()
            .map(|e| {
                let (line, column) = match &e.location {
                    Some(l) if l.line > 0 => (Some(l.line), Some(l.column)),
                    _ => (None, None),
                };
                let key = e.error.field().key();
                json!({
                    "line": line,
                    "column": column,
                    "key": (!key.is_empty()).then_some(key),
                    "message": e.error.to_string(),
                    "located": e.to_string(),
                })
            })
            .collect(),
    )
}

/// `{"ok", "errors": [{line, column, key, message, located}], "warnings", "policy"}`: the
/// normalised policy when it is valid.
pub fn check(text: &str) -> Value {
    match read(text) {
        Ok(p) => json!({"ok": true, "errors": [], "warnings": p.warnings(), "policy": p.to_toml()}),
        Err(e) => json!({"ok": false, "errors": errors_json(&e), "warnings": [], "policy": null}),
    }
}

/// The decision for a request described as a method and `Name: value` header lines.
pub fn decide(input: &str) -> Value {
    let request: Value = match serde_json::from_str(input) {
        Ok(v) => v,
        Err(e) => return crate::failure(&format!("the request is not JSON: {e}")),
    };
    let policy = match read(request["policy"].as_str().unwrap_or_default()) {
        Ok(p) => p,
        Err(e) => return json!({"error": "the policy has errors", "errors": errors_json(&e)}),
    };
    let method_text = request["method"].as_str().unwrap_or("GET").trim();
    let Ok(method) = Method::from_bytes(method_text.as_bytes()) else {
        return crate::failure(&format!("`{method_text}` is not a method (one token: GET, PUT, OPTIONS, ...)"));
    };
    let mut headers = HeaderMap::new();
    for (i, line) in request["headers"].as_str().unwrap_or_default().lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return crate::failure(&format!("line {}: `{line}` is not `Name: value`", i + 1));
        };
        let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name.trim().as_bytes()), HeaderValue::from_str(value.trim()))
        else {
            return crate::failure(&format!("line {}: `{line}` is not a valid header line", i + 1));
        };
        headers.append(name, value);
    }
    let d = policy.decide((&method, &headers));
    let mut answer = HeaderMap::new();
    d.apply_to(&mut answer);
    json!({
        "kind": match d.kind() {
            RequestKind::NotCors => "not_cors",
            RequestKind::Preflight => "preflight",
            RequestKind::Actual => "actual",
        },
        "allowed": d.is_allowed(),
        "refusal": d.refusal().map(|r| json!({"kind": r.kind().as_str(), "reason": r.to_string()})),
        "action": match d.action() {
            Action::Forward => json!({"forward": true, "status": null}),
            Action::Respond(status) => json!({"forward": false, "status": status.as_u16()}),
        },
        "headers": answer
            .iter()
            .map(|(n, v)| json!([n.as_str(), String::from_utf8_lossy(v.as_bytes())]))
            .collect::<Vec<_>>(),
    })
}

/// `{"snippets": [{stack, description, text, warnings}]}` for every stack, or the errors.
pub fn snippets(text: &str) -> Value {
    match read(text) {
        Ok(p) => json!({
            "snippets": Stack::ALL.iter().map(|s| {
                let snippet = corsair_snippet::render(&p, *s);
                json!({
                    "stack": s.name(),
                    "description": s.description(),
                    "text": snippet.to_string(),
                    "warnings": snippet.warnings,
                })
            }).collect::<Vec<_>>(),
        }),
        Err(e) => json!({"error": "the policy has errors", "errors": errors_json(&e)}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = "allow_origins = [\"https://app.example\"]\nallow_methods = [\"PUT\"]\n";

    #[test]
    fn errors_carry_line_and_column() {
        let doc = check("allow_origins = [\"https://app.example\"]\nallow_methods = [\"PUT\"]\nmax_age = -5\n");
        assert_eq!(doc["ok"], false);
        let e = &doc["errors"][0];
        assert_eq!((e["line"].as_u64(), e["key"].as_str()), (Some(3), Some("max_age")), "{doc:#}");
        assert!(e["column"].as_u64().is_some_and(|c| c > 1), "{doc:#}");
        let doc = check("allow_origins = [\n");
        assert!(doc["errors"][0]["line"].as_u64().is_some(), "a TOML syntax error is located too: {doc:#}");
        assert_eq!(check(POLICY)["ok"], true);
    }

    #[test]
    fn a_preflight_is_decided_as_the_policy_says() {
        let request = |method: &str, lines: &str| {
            decide(&json!({"policy": POLICY, "method": method, "headers": lines}).to_string())
        };
        let ok = request("OPTIONS", "Origin: https://app.example\nAccess-Control-Request-Method: PUT");
        assert_eq!((ok["kind"].as_str(), ok["allowed"].as_bool()), (Some("preflight"), Some(true)), "{ok:#}");
        assert!(ok["headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h[0] == "access-control-allow-origin" && h[1] == "https://app.example"));
        let no = request("OPTIONS", "Origin: https://evil.example\nAccess-Control-Request-Method: PUT");
        assert_eq!(no["refusal"]["kind"], "origin", "{no:#}");
        assert!(request("GET", "no colon here")["error"].as_str().unwrap().contains("line 1"));
        assert!(request("B AD", "")["error"].is_string());
    }

    #[test]
    fn every_stack_gets_a_snippet() {
        let doc = snippets(POLICY);
        let all = doc["snippets"].as_array().unwrap();
        assert_eq!(all.len(), Stack::ALL.len());
        assert!(all.iter().all(|s| s["text"].as_str().is_some_and(|t| t.contains("app.example"))), "{doc:#}");
        assert!(snippets("max_age = \"x\"")["errors"].is_array());
    }
}
