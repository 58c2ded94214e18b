//! The JSON Schema of the whole config file (policy keys, `[profiles.NAME]`, `[proxy]`), for
//! editors: Taplo and Even Better TOML complete keys, show what each means and underline
//! unknown keys and wrong kinds as you type. `corsair policy schema` prints it.
//!
//! It is built from the key tables the shape check reads ([`TOP_KEYS`], [`PROXY_KEYS`]), so a
//! key the parser accepts is in the schema by construction; what the tables do not say (the
//! meaning, the allowed strings, the ranges) sits in the tables below, and the tests hold those
//! to the tables and to the loader: a key without a description fails, and so does an allowed
//! value or bound the loader would refuse.
//!
//! The schema checks shape, not meaning: a file it accepts can still be refused by `corsair
//! policy check` (`https://a.example/` is a string, not an origin), never the other way round.
//!
//! ```
//! let schema: serde_json::Value = serde_json::from_str(&corsair_gateway::config::json_schema()).unwrap();
//! assert_eq!(schema["properties"]["max_age"]["maximum"], 86400);
//! assert_eq!(schema["properties"]["proxy"]["properties"]["mode"]["enum"][1], "open");
//! ```

use corsair_core::policy_file::{Key, Kind, TOP_KEYS};
use serde_json::{json, Map, Value};

use super::PROXY_KEYS;

/// What each key means, by its path without the profile (`proxy.routes.prefix`). Shown on hover.
const DESCRIPTIONS: &[(&str, &str)] = &[
    ("allow_origins", "Origins and patterns allowed to read responses: \"https://app.example.com\", \"https://*.example.com\" (subdomains, never the apex), \"http://localhost:*\" (any port), \"*\" (any origin, never with credentials)."),
    ("allow_methods", "Methods beyond GET, HEAD and POST that pages may use, upper-case as browsers send them; \"*\" for any."),
    ("allow_headers", "Request headers pages set themselves (safelisted ones need no listing); \"*\" for any."),
    ("expose_headers", "Response headers scripts may read beyond the safelisted ones."),
    ("allow_credentials", "Allow cookies and HTTP authentication (fetch with credentials: \"include\"). Default: false."),
    ("max_age", "Seconds browsers may cache a preflight answer, 0 to 86400 (Chromium caps it at 7200). Default: no header."),
    ("allow_private_network", "Answer Private Network Access preflights. Default: false."),
    ("forward_preflights", "Pass preflights on to the application instead of answering them. Default: false."),
    ("refusal", "What a refused request gets. Default: \"reject-preflight\"."),
    ("refusal_status", "Status of refusals, 400 to 599. Default: 403."),
    ("preflight_status", "Status of allowed preflights, 200 to 299. Default: 204."),
    ("dangerously_allow_null", "Accept the `null` origin (sandboxed iframes, file: pages; any site can send it). Default: false."),
    ("dangerously_allow_insecure_origins", "Accept plain-http origins with credentials. Default: false."),
    ("profiles", "Named profiles ([profiles.NAME]) that override the top-level keys key by key; choose one with --profile NAME or CORSAIR_PROFILE."),
    ("profiles.profiles", "Profiles do not nest: a profile may not hold profiles."),
    ("proxy", "corsair proxy's settings (see `corsair proxy --help`); [profiles.NAME.proxy] overrides them key by key."),
    ("proxy.listen", "Address to listen on. Default: \"127.0.0.1:8787\"."),
    ("proxy.upstream", "URL of the / route, e.g. \"http://127.0.0.1:8080\"."),
    ("proxy.mode", "\"gateway\" (in front of your API) or \"open\" (a safe open proxy). Default: \"gateway\"."),
    ("proxy.routes", "Routes by path prefix ([[proxy.routes]]); the longest prefix wins."),
    ("proxy.routes.prefix", "Path prefix this route serves, e.g. \"/api\"."),
    ("proxy.routes.upstream", "URL requests under the prefix go to."),
    ("proxy.routes.profile", "A [profiles.NAME] of this file whose policy applies to this route."),
    ("proxy.routes.strip_prefix", "Remove the prefix from the path sent upstream. Default: false."),
    ("proxy.allow_targets", "Open mode only: hosts the proxy may reach, api.example.com or *.example.com, optional :port."),
    ("proxy.rate_per_client", "Open mode only: requests per client address, e.g. \"60/minute\", \"10/s\". Default: none."),
    ("proxy.rate_per_origin", "Open mode only: requests per Origin, e.g. \"60/minute\". Default: none."),
    ("proxy.rate_limit_store", "Open mode only: where the rate-limit counts live ([proxy.rate_limit_store]). Default: in this process's memory."),
    ("proxy.rate_limit_store.kind", "\"memory\" (this process) or \"redis\" (shared by every proxy on the same Redis). Default: \"memory\"."),
    ("proxy.rate_limit_store.url", "With kind = \"redis\": redis://[[user]:password@]host[:port][/db] (no TLS: use a private network)."),
    ("proxy.rate_limit_store.key_prefix", "With kind = \"redis\": prefix of the keys, 1 to 100 printable characters without spaces or braces. Default: \"corsair:rl:\"."),
    ("proxy.rate_limit_store.timeout_ms", "With kind = \"redis\": milliseconds a check may take, 1 to 10000. Default: 50."),
    ("proxy.rate_limit_store.on_failure", "With kind = \"redis\": what a request gets when Redis fails, \"admit\" or \"refuse\" (429). Default: \"admit\"."),
    ("proxy.tls_cert", "PEM certificate chain for HTTPS on the listener (with tls_key)."),
    ("proxy.tls_key", "PEM private key for HTTPS on the listener (with tls_cert)."),
    ("proxy.upstream_ca", "Extra PEM trust anchor for upstreams. Default: the system roots."),
    ("proxy.forwarded", "X-Forwarded-* headers. Default: \"set\"; \"off\" in open mode."),
    ("proxy.max_body_bytes", "Largest request body in bytes. Default: 10485760."),
    ("proxy.request_timeout_secs", "Seconds to wait for the upstream's response head, 1 to 86400. Default: 30."),
    ("proxy.connect_timeout_secs", "Seconds for the upstream connect and TLS handshake, 1 to 600. Default: 5."),
    ("proxy.max_connections", "Open client connections at most. Default: 10000."),
    ("proxy.report_only", "Decide and log, change nothing. Default: false."),
    ("proxy.debug_header", "Name each refusal in a corsair-refusal response header. Default: false."),
    ("proxy.egress_guard", "Gateway mode: refuse non-public upstream addresses too. Default: false; always on in open mode."),
    ("proxy.egress_allow", "Address ranges the egress guard lets through, e.g. [\"10.1.0.0/16\"]."),
    ("proxy.admin_listen", "A second listener for operations: /healthz and /metrics."),
    ("proxy.metrics_on_listen", "Also serve the metrics on the main listener at /.corsair/metrics (public wherever the listener is). Default: false."),
    ("proxy.fast_path", "Relay plain HTTP/1.1 requests as bytes. Default: true."),
];

/// The strings a string key accepts, where the loader accepts only a few.
const VALUES: &[(&str, &[&str])] = &[
    ("refusal", &["omit-headers", "reject-preflight", "reject-all"]),
    ("proxy.mode", &["gateway", "open"]),
    ("proxy.forwarded", &["set", "append", "off"]),
    ("proxy.rate_limit_store.kind", &["memory", "redis"]),
    ("proxy.rate_limit_store.on_failure", &["admit", "refuse"]),
];

/// The bounds (inclusive) of whole-number keys the loader checks.
const RANGES: &[(&str, i64, i64)] = &[
    ("max_age", 0, 86_400),
    ("refusal_status", 400, 599),
    ("preflight_status", 200, 299),
    ("proxy.max_body_bytes", 0, 1 << 40),
    ("proxy.request_timeout_secs", 1, 86_400),
    ("proxy.connect_timeout_secs", 1, 600),
    ("proxy.max_connections", 1, 1_000_000),
    ("proxy.rate_limit_store.timeout_ms", 1, 10_000),
];

/// The JSON Schema (draft 07, which Taplo reads) of a corsair config file, pretty-printed.
pub fn json_schema() -> String {
    let mut schema = table_schema("", TOP_KEYS);
    let top = schema.as_object_mut().expect("a table's schema is an object");
    top.insert("$schema".into(), json!("http://json-schema.org/draft-07/schema#"));
    top.insert("$id".into(), json!("https://example.invalid/corsair/policy.schema.json"));
    top.insert("title".into(), json!("corsair policy file"));
    top.insert(
        "description".into(),
        json!("A CORS policy (top-level keys), per-environment [profiles.NAME], and corsair proxy's [proxy] table. `corsair policy check FILE` validates it fully."),
    );
    let mut text = serde_json::to_string_pretty(&schema).expect("a JSON value serialises");
    text.push('\n');
    text
}

/// The schema of a table of `keys`, at `path` (dotted, without profiles).
fn table_schema(path: &str, keys: &[Key]) -> Value {
    let properties: Map<String, Value> =
        keys.iter().map(|key| (key.name.to_owned(), key_schema(&join(path, key.name), key.kind))).collect();
    json!({ "type": "object", "properties": properties, "additionalProperties": false })
}

fn key_schema(path: &str, kind: Kind) -> Value {
    let mut schema = match kind {
        Kind::Bool => json!({ "type": "boolean" }),
        Kind::Integer => json!({ "type": "integer" }),
        Kind::String => json!({ "type": "string" }),
        Kind::Strings => json!({ "type": "array", "items": { "type": "string" } }),
        Kind::Table(keys) => table_schema(path, keys),
        Kind::Tables(keys) => json!({ "type": "array", "items": table_schema(path, keys) }),
        // A profile's keys are the top level's: described by the same paths.
        Kind::Named(keys) => json!({ "type": "object", "additionalProperties": table_schema("", keys) }),
        Kind::Any => match path {
            "proxy" => table_schema("proxy", PROXY_KEYS),
            // The loader refuses nested profiles whatever they hold.
            "profiles" => json!({ "not": {} }),
            other => unreachable!("no schema for `{other}`, which the shape check leaves to another reader"),
        },
        _ => unreachable!("a kind of key this schema does not know yet"),
    };
    let object = schema.as_object_mut().expect("every key's schema is an object");
    // A profile's `profiles` is the only `profiles` below the top; it has its own text.
    let described = if path == "profiles" && matches!(kind, Kind::Any) { "profiles.profiles" } else { path };
    if let Some((_, text)) = DESCRIPTIONS.iter().find(|(p, _)| *p == described) {
        object.insert("description".into(), json!(text));
    }
    if let Some((_, values)) = VALUES.iter().find(|(p, _)| *p == path) {
        object.insert("enum".into(), json!(values));
    }
    if let Some((_, min, max)) = RANGES.iter().find(|(p, _, _)| *p == path) {
        object.insert("minimum".into(), json!(min));
        object.insert("maximum".into(), json!(max));
    }
    schema
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::table::{ProxyTable, RouteTable};
    use crate::config::tests::serde_keys;
    use crate::config::{check_file, Source};

    fn schema() -> Value {
        serde_json::from_str(&json_schema()).unwrap()
    }

    fn keys(table: &Value) -> Vec<String> {
        let mut keys: Vec<String> = table["properties"].as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    }

    /// Every key serde reads is in the schema, and nothing else: at the top, in a profile, in
    /// `[proxy]` and in a route.
    #[test]
    fn the_schema_has_exactly_the_keys_the_parser_reads() {
        let s = schema();
        // Core holds TOP_KEYS to the keys its serde table reads.
        let mut top: Vec<String> = TOP_KEYS.iter().map(|k| k.name.to_owned()).collect();
        top.sort();
        assert_eq!(keys(&s), top, "top level");
        assert_eq!(keys(&s["properties"]["profiles"]["additionalProperties"]), top);
        assert_eq!(keys(&s["properties"]["proxy"]), serde_keys::<ProxyTable>(), "[proxy]");
        let profile_proxy = &s["properties"]["profiles"]["additionalProperties"]["properties"]["proxy"];
        assert_eq!(keys(profile_proxy), serde_keys::<ProxyTable>(), "[profiles.NAME.proxy]");
        assert_eq!(keys(&s["properties"]["proxy"]["properties"]["routes"]["items"]), serde_keys::<RouteTable>());
    }

    /// Every key path, `profiles.*` aside (a profile repeats the top level).
    fn paths(prefix: &str, table: &Value, out: &mut Vec<String>) {
        for (name, value) in table["properties"].as_object().unwrap() {
            let path = join(prefix, name);
            out.push(path.clone());
            if value.get("properties").is_some() {
                paths(&path, value, out);
            } else if value["items"].get("properties").is_some() {
                paths(&path, &value["items"], out);
            }
        }
    }

    #[test]
    fn every_key_is_described_and_every_description_names_a_key() {
        let mut all = Vec::new();
        paths("", &schema(), &mut all);
        all.push("profiles.profiles".into());
        all.sort();
        let mut described: Vec<String> = DESCRIPTIONS.iter().map(|(p, _)| (*p).to_owned()).collect();
        described.sort();
        assert_eq!(all, described, "a key without a description, or a description without a key");
        for (path, ..) in VALUES.iter().map(|(p, v)| (p, v.len())).chain(RANGES.iter().map(|(p, ..)| (p, 0))) {
            assert!(all.contains(&(*path).to_owned()), "{path} constrains a key that does not exist");
        }
    }

    /// A file with `key = value` in its table (top level or `[proxy]`), as `corsair policy check` reads it.
    fn check(path: &str, value: &str) -> Result<(), String> {
        let line = |k: &str| format!("{k} = {value}\n");
        let text = match (path.strip_prefix("proxy.rate_limit_store."), path.strip_prefix("proxy.")) {
            // The store is open mode's; keys other than `kind` are Redis's.
            (Some("kind"), _) => {
                // `redis` needs its url; the other kinds take none.
                let url = if value == "\"redis\"" { "url = \"redis://127.0.0.1:6379\"\n" } else { "" };
                format!(
                    "allow_origins = [\"https://a.example\"]\n[proxy]\nmode = \"open\"\n[proxy.rate_limit_store]\n{url}{}",
                    line("kind")
                )
            }
            (Some(key), _) => format!(
                "allow_origins = [\"https://a.example\"]\n[proxy]\nmode = \"open\"\n[proxy.rate_limit_store]\nkind = \"redis\"\nurl = \"redis://127.0.0.1:6379\"\n{}",
                line(key)
            ),
            (None, Some(key)) => format!("allow_origins = [\"https://a.example\"]\n[proxy]\n{}", line(key)),
            (None, None) => format!("allow_origins = [\"https://a.example\"]\n{}", line(path)),
        };
        let source = Source { name: "c.toml".into(), text, dir: Default::default() };
        check_file(&source, None, |_| None).map_err(|e| e.to_string())
    }

    /// The allowed strings and bounds are the loader's: each allowed value and each bound is
    /// accepted, a string outside the list and a number one past a bound are refused.
    #[test]
    fn allowed_values_and_bounds_are_the_loaders() {
        for (path, values) in VALUES {
            for value in *values {
                assert_eq!(check(path, &format!("\"{value}\"")), Ok(()), "{path} = \"{value}\"");
            }
            assert!(check(path, "\"bogus\"").is_err(), "{path} = \"bogus\" is accepted");
        }
        for (path, min, max) in RANGES {
            assert_eq!(check(path, &min.to_string()), Ok(()), "{path} = {min}");
            assert_eq!(check(path, &max.to_string()), Ok(()), "{path} = {max}");
            assert!(check(path, &(min - 1).to_string()).is_err(), "{path} = {} is accepted", min - 1);
            assert!(check(path, &(max + 1).to_string()).is_err(), "{path} = {} is accepted", max + 1);
        }
    }
}
